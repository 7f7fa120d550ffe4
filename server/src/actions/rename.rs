//! Rename an ID: the node and its subtree are renumbered (children keep their suffix:
//! 1.2 -> 1.5 makes 1.2.3 -> 1.5.3) and every reference follows. Refused when the new
//! ID is not an ID, changes the level, is taken, or would have no parent.

use super::renumber::{self, Renumbering};
use super::{Doc, Edit};
use crate::model::id::TaskId;
use crate::rules::{level_name, name};

/// What a rename at a position renames: the node, and the range of the ID under the
/// cursor (a node's ID, or the ID part of a reference to it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub node: usize,
    pub line: usize,
    pub start: u32,
    pub end: u32,
}

/// The ID at (line, byte column): on a node's ID or on a reference (its keyword
/// included); an error message elsewhere.
pub fn target_at(doc: &Doc, line: usize, col: u32) -> Result<Target, String> {
    let tree = doc.tree;
    if let Some(i) = doc.node_on_line(line) {
        let span = tree.nodes[i].id_span();
        if span.start <= col && col <= span.end {
            return Ok(Target {
                node: i,
                line,
                start: span.start,
                end: span.end,
            });
        }
    }
    for node in &tree.nodes {
        for (l, reference) in node.references() {
            if l != line || col < reference.span.start || col > reference.span.end {
                continue;
            }
            let Some(t) = tree.resolve(&reference.id) else {
                return Err(format!(
                    "{} is not in this document, so there is nothing to rename",
                    reference.id
                ));
            };
            let text = doc.line(l);
            let (s, e) = (reference.span.start as usize, reference.span.end as usize);
            let start = text[s..e]
                .find(|c: char| c.is_ascii_digit())
                .map_or(s, |p| s + p);
            return Ok(Target {
                node: t,
                line,
                start: start as u32,
                end: reference.span.end,
            });
        }
    }
    Err(
        "Place the cursor on a task ID (a node's number or a Dependencies reference) to rename it"
            .into(),
    )
}

/// The edits that rename node `node` to `new_name`, or why not.
pub fn rename(doc: &Doc, node: usize, new_name: &str) -> Result<Vec<Edit>, String> {
    let tree = doc.tree;
    let old = &tree.nodes[node].id;
    let wanted = new_name.trim();
    let Some(new) = TaskId::parse(wanted) else {
        return Err(format!(
            "\"{wanted}\" is not a task ID: write numbers separated by dots (1.2.3), optionally ending in a check-task letter (1.2.A)"
        ));
    };
    if new == *old {
        return Ok(Vec::new());
    }
    if new.level() != old.level() {
        return Err(format!(
            "{new} is a {} ID (level {}) and {old} a {} ID (level {}); renaming cannot change a node's level",
            level_name(new.level()),
            new.level(),
            level_name(old.level()),
            old.level()
        ));
    }
    if new.letter().is_some() && !tree.is_leaf(node) {
        return Err(format!(
            "{old} has children; a check-task letter ID ({new}) is for leaves only"
        ));
    }
    if let Some(existing) = tree.node_for(&new) {
        let n = &tree.nodes[existing];
        return Err(if n.is_implied() {
            format!(
                "{new} is already used: nodes numbered under it exist; pick an ID that is not used"
            )
        } else {
            format!(
                "{new} already exists ({} on line {}: \"{}\"); pick an ID that is not used",
                name(tree, existing),
                n.line + 1,
                n.title()
            )
        });
    }
    if let Some(parent) = new.parent() {
        if tree.node_for(&parent).is_none() {
            return Err(format!(
                "{new} would have no parent: {parent} is not in this document"
            ));
        }
    }
    let mut r = Renumbering::default();
    r.full.insert(node, new);
    Ok(renumber::edits(doc, &r))
}

#[cfg(test)]
mod tests {
    use super::super::apply;
    use super::super::testing::*;
    use super::*;
    use crate::rules::Code;

    const PLAN: &str = "\
Phase 1: Build (Dependencies: None | Stage Gate: ok)
1.1 Setup (Dependencies: None | Stage Gate: ok)
  1.1.1 Configure the tools
  1.1.A Validate Task 1.1
  1.1.B Verify Task 1.1
  1.1.C Document Task 1.1
1.2 Ship (Dependencies: Task 1.1, 1.1.1 | Stage Gate: ok)
  1.2.1 Tag the release
  1.2.A Validate Task 1.2
  1.2.B Verify Task 1.2
  1.2.C Document Task 1.2
1.A Validate Task 1
1.B Verify Task 1
1.C Document Task 1
";

    #[test]
    fn renames_the_subtree_and_references() {
        with_doc(PLAN, |doc| {
            let target = target_at(doc, 1, 1).unwrap();
            assert_eq!((target.line, target.start, target.end), (1, 0, 3));
            let edits = rename(doc, target.node, "1.5").unwrap();
            let after = apply(PLAN, &edits);
            assert_eq!(after, PLAN.replace("1.1", "1.5"));
            // From a reference: the ID part, keyword excluded.
            let target = target_at(doc, 6, 30).unwrap();
            assert_eq!(
                &doc.line(6)[target.start as usize..target.end as usize],
                "1.1"
            );
            assert_eq!(target.node, doc.node_on_line(1).unwrap());
        });
        let after = with_doc(PLAN, |doc| {
            let t = target_at(doc, 1, 0).unwrap();
            apply(PLAN, &rename(doc, t.node, "1.5").unwrap())
        });
        // Only the numbering of the group changes (1.2 then 1.5: a gap and an order).
        let codes: Vec<Code> = findings_of(&after).iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::Numbering, Code::Numbering], "{after}");
        assert!(findings_of(PLAN).is_empty());
    }

    #[test]
    fn refuses_bad_targets() {
        with_doc(PLAN, |doc| {
            let n = doc.node_on_line(1).unwrap();
            assert!(rename(doc, n, "1.2")
                .unwrap_err()
                .contains("1.2 already exists (Phase 1.2 on line 7"));
            assert!(rename(doc, n, "1.x").unwrap_err().contains("not a task ID"));
            assert!(rename(doc, n, "1.1.4")
                .unwrap_err()
                .contains("cannot change a node's level"));
            assert!(rename(doc, n, "2.1")
                .unwrap_err()
                .contains("2 is not in this document"));
            assert!(target_at(doc, 0, 20).is_err());
        });
    }
}
