//! The one renumbering engine: new IDs for some nodes, their subtrees follow, and every
//! reference to a renumbered node follows it. Used by split, the numbering and duplicate
//! fixes, check-task letters and rename.
//!
//! Only ID spans, the ID part of references (`Task ` / `Stage ` keywords stay) and the
//! `Task X.Y` a check task's title names are edited; nothing else.

use rustc_hash::FxHashMap;

use super::{name, Action, ActionKind, Doc, Edit};
use crate::model::id::TaskId;
use crate::rules::{Code, Finding};

/// A node's new last segment: a number, or a check-task letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Last {
    Num(u32),
    Letter(u8),
}

/// What changes: a new last segment for some nodes, or a whole new ID (rename); every
/// other node keeps its last segment under its (possibly renumbered) parent.
#[derive(Clone, Debug, Default)]
pub struct Renumbering {
    pub last: FxHashMap<usize, Last>,
    pub full: FxHashMap<usize, TaskId>,
}

impl Renumbering {
    pub fn is_empty(&self) -> bool {
        self.last.is_empty() && self.full.is_empty()
    }
}

/// The ID of every node after the renumbering.
pub fn final_ids(doc: &Doc, r: &Renumbering) -> Vec<TaskId> {
    let n = doc.tree.nodes.len();
    let mut memo: Vec<Option<TaskId>> = vec![None; n];
    for i in 0..n {
        final_id(doc, r, i, &mut memo, 0);
    }
    memo.into_iter()
        .enumerate()
        .map(|(i, id)| id.unwrap_or_else(|| doc.tree.nodes[i].id.clone()))
        .collect()
}

fn final_id(
    doc: &Doc,
    r: &Renumbering,
    i: usize,
    memo: &mut Vec<Option<TaskId>>,
    depth: usize,
) -> TaskId {
    if let Some(id) = &memo[i] {
        return id.clone();
    }
    let own = &doc.tree.nodes[i].id;
    let id = if let Some(full) = r.full.get(&i) {
        full.clone()
    } else {
        let last = r.last.get(&i).copied().unwrap_or(match own.letter() {
            Some(l) => Last::Letter(l),
            None => Last::Num(own.last_num()),
        });
        let own_prefix = match own.letter() {
            Some(_) => own.nums().to_vec(),
            None => own.nums()[..own.nums().len() - 1].to_vec(),
        };
        let prefix = match doc.sparent[i] {
            // Depth guard: a parent chain never loops, but stay safe on odd input.
            Some(p) if depth < 64 => {
                let parent = final_id(doc, r, p, memo, depth + 1);
                if parent.letter().is_none() && parent.nums().len() == own_prefix.len() {
                    parent.nums().to_vec()
                } else {
                    own_prefix
                }
            }
            _ => own_prefix,
        };
        match last {
            Last::Num(num) => {
                let mut nums = prefix;
                nums.push(num);
                TaskId::new(nums, None)
            }
            Last::Letter(l) if !prefix.is_empty() => TaskId::new(prefix, Some(l)),
            Last::Letter(_) => own.clone(),
        }
    };
    memo[i] = Some(id.clone());
    id
}

/// The edits of a renumbering: node IDs, references, and the `Task X.Y` check tasks name.
pub fn edits(doc: &Doc, r: &Renumbering) -> Vec<Edit> {
    if r.is_empty() {
        return Vec::new();
    }
    let finals = final_ids(doc, r);
    edits_for(doc, &finals)
}

/// The edits that give every node its ID in `finals`.
pub fn edits_for(doc: &Doc, finals: &[TaskId]) -> Vec<Edit> {
    let tree = doc.tree;
    let mut out = Vec::new();
    for (i, node) in tree.nodes.iter().enumerate() {
        let Some(written) = node.written else {
            continue;
        };
        if finals[i] != node.id {
            let span = written.id_span;
            out.push(Edit::replace(
                node.line,
                span.start,
                span.end,
                finals[i].to_string(),
            ));
        }
        if written.check_verb.is_some() {
            if let Some(named) = &written.named_task {
                // A check task that names its parent follows the parent it is written
                // under (a duplicate's, too); any other name follows the node it resolves to.
                let target = match doc.sparent[i] {
                    Some(p) if node.id.parent().as_ref() == Some(named) => Some(p),
                    _ => tree.resolve(named),
                };
                if let Some(t) = target {
                    if finals[t] != *named {
                        let text = doc.line(node.line);
                        let (from, to) = doc.title_range(i);
                        if let Some((s, e)) =
                            named_task_span(&text, from as usize, to as usize, named)
                        {
                            out.push(Edit::replace(
                                node.line,
                                s as u32,
                                e as u32,
                                finals[t].to_string(),
                            ));
                        }
                    }
                }
            }
        }
        for (line, reference) in node.references() {
            let Some(t) = tree.resolve(&reference.id) else {
                continue;
            };
            if finals[t] == reference.id {
                continue;
            }
            let text = doc.line(line);
            let (s, e) = (reference.span.start as usize, reference.span.end as usize);
            let id_start = text[s..e]
                .find(|c: char| c.is_ascii_digit())
                .map_or(s, |p| s + p);
            out.push(Edit::replace(
                line,
                id_start as u32,
                e as u32,
                finals[t].to_string(),
            ));
        }
    }
    out
}

/// The byte range of the ID in the first `Task <id>` of `text[from..to]`.
pub fn named_task_span(text: &str, from: usize, to: usize, id: &TaskId) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let to = to.min(b.len());
    let mut i = from;
    while i + 4 <= to {
        let word = b[i..i + 4].eq_ignore_ascii_case(b"task")
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if word {
            let mut p = i + 4;
            while p < to && matches!(b[p], b' ' | b'\t') {
                p += 1;
            }
            if p > i + 4 {
                if let Some((found, len)) = TaskId::parse_prefix(&text[p..to]) {
                    if found == *id {
                        return Some((p, p + len));
                    }
                }
            }
        }
        i += 1;
    }
    None
}

/// The numbered children of a group (`None`: the top level) in document order; `None`
/// when the group is the stages of a three-stage plan, whose numbers are not renumbered.
pub fn group_members(doc: &Doc, group: Option<usize>) -> Option<Vec<usize>> {
    let members = match group {
        Some(g) => &doc.schildren[g],
        None if doc.tree.three_stage() => return None,
        None => &doc.sroots,
    };
    Some(
        members
            .iter()
            .copied()
            .filter(|&c| doc.tree.nodes[c].id.letter().is_none())
            .collect(),
    )
}

/// Numbers a group's numbered children 1..n in document order (letters stay).
pub fn group_renumbering(doc: &Doc, group: Option<usize>, into: &mut Renumbering) {
    for (k, c) in group_members(doc, group).into_iter().flatten().enumerate() {
        let n = k as u32 + 1;
        if doc.tree.nodes[c].id.last_num() != n {
            into.last.insert(c, Last::Num(n));
        }
    }
}

/// Every group of the document numbered 1..n (in a three-stage plan the stages keep
/// their numbers).
pub fn document_renumbering(doc: &Doc) -> Renumbering {
    let mut r = Renumbering::default();
    group_renumbering(doc, None, &mut r);
    for g in 0..doc.tree.nodes.len() {
        if !doc.schildren[g].is_empty() {
            group_renumbering(doc, Some(g), &mut r);
        }
    }
    r
}

/// The node a `numbering` or `duplicate-id` finding stands on, when renumbering its group
/// fixes it (a gap, a number not greater than the one before, a duplicate); orphans,
/// nodes outside their parent's block and stages outside 1-3 are not fixed so.
pub fn fixable(doc: &Doc, finding: &Finding) -> Option<usize> {
    let i = doc.node_at(finding.location)?;
    let tree = doc.tree;
    let node = &tree.nodes[i];
    let group_ok = doc.sparent[i].is_some() || !tree.three_stage();
    match finding.code {
        Code::DuplicateId => (node.id.letter().is_none() && group_ok).then_some(i),
        Code::Numbering => {
            if !group_ok || node.duplicate_of.is_some() {
                return None;
            }
            if let Some(p) = node.parent {
                let parent = &tree.nodes[p];
                if parent.is_implied() && parent.children.first() == Some(&i) {
                    return None;
                }
                match i.checked_sub(1) {
                    Some(prev) => {
                        let prev_id = &tree.nodes[prev].id;
                        if *prev_id != parent.id && !parent.id.is_ancestor_of(prev_id) {
                            return None;
                        }
                    }
                    None => return None,
                }
            }
            if tree.three_stage() && node.level() == 1 {
                return None;
            }
            Some(i)
        }
        _ => None,
    }
}

/// `1.2.4 → 1.2.3, 1.2.5 → 1.2.4` (at most three, then `…`).
fn changes(doc: &Doc, r: &Renumbering, finals: &[TaskId]) -> String {
    let mut moved: Vec<usize> = r.last.keys().chain(r.full.keys()).copied().collect();
    moved.sort_unstable();
    moved.dedup();
    let mut parts: Vec<String> = moved
        .iter()
        .take(3)
        .map(|&i| format!("{} → {}", doc.tree.nodes[i].id, finals[i]))
        .collect();
    if moved.len() > 3 {
        parts.push("…".into());
    }
    parts.join(", ")
}

fn group_name(doc: &Doc, group: Option<usize>) -> String {
    match group {
        Some(g) => format!("the children of {}", name(doc.tree, g)),
        None => "the top-level nodes".into(),
    }
}

/// The quick fix of a `numbering` or `duplicate-id` finding: renumber the node's group.
pub fn fix(doc: &Doc, finding: &Finding) -> Option<Action> {
    let i = fixable(doc, finding)?;
    let group = doc.sparent[i];
    let mut r = Renumbering::default();
    group_renumbering(doc, group, &mut r);
    if r.is_empty() {
        return None;
    }
    let finals = final_ids(doc, &r);
    let members = group_members(doc, group).unwrap_or_default();
    let fixes = doc
        .findings_with(&[Code::Numbering, Code::DuplicateId])
        .filter(|f| fixable(doc, f).is_some_and(|n| members.contains(&n)))
        .cloned()
        .collect();
    let title = format!(
        "Renumber {} 1..{} ({})",
        group_name(doc, group),
        members.len(),
        changes(doc, &r, &finals)
    );
    Some(Action {
        title,
        kind: ActionKind::QuickFix,
        edits: edits_for(doc, &finals),
        fixes,
        preferred: true,
    })
}

/// The refactoring offered on any node with children: number them 1..n.
pub fn renumber_children(doc: &Doc, group: usize) -> Option<Action> {
    let mut r = Renumbering::default();
    group_renumbering(doc, Some(group), &mut r);
    if r.is_empty() {
        return None;
    }
    let finals = final_ids(doc, &r);
    let members = group_members(doc, Some(group)).unwrap_or_default();
    let fixes = doc
        .findings_with(&[Code::Numbering, Code::DuplicateId])
        .filter(|f| fixable(doc, f).is_some_and(|n| members.contains(&n)))
        .cloned()
        .collect();
    Some(Action {
        title: format!(
            "Renumber {} 1..{} ({})",
            group_name(doc, Some(group)),
            members.len(),
            changes(doc, &r, &finals)
        ),
        kind: ActionKind::RefactorRewrite,
        edits: edits_for(doc, &finals),
        fixes,
        preferred: false,
    })
}

/// The source action: every group numbered 1..n, references following.
pub fn renumber_document(doc: &Doc) -> Option<Action> {
    let r = document_renumbering(doc);
    if r.is_empty() {
        return None;
    }
    let finals = final_ids(doc, &r);
    let fixes = doc
        .findings_with(&[Code::Numbering, Code::DuplicateId])
        .filter(|f| fixable(doc, f).is_some())
        .cloned()
        .collect();
    Some(Action {
        title: format!(
            "Renumber the whole document ({})",
            changes(doc, &r, &finals)
        ),
        kind: ActionKind::Source,
        edits: edits_for(doc, &finals),
        fixes,
        preferred: false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    const GAP: &str = "\
# Plan

Phase 1: Setup (Dependencies: None | Stage Gate: ok)
1.1 Configure the tools
1.2 Add the settings loader
1.4 Add the health route (Dependencies: 1.5)
1.5 Write the API tests
1.A Validate core functionality of Task 1
1.B Verify Task 1
1.C Document Task 1 implementation

Phase 2: Build (Dependencies: 1.4, Phase 1 | Stage Gate: ok)
2.1 Implement the endpoint (Dependencies: Task 1.5)
2.A Validate Task 2
2.B Verify Task 2
2.C Document Task 2
";

    #[test]
    fn gap_renumbers_the_group_and_its_references() {
        let action = fix_on(GAP, Code::Numbering, 6, "Renumber");
        assert_eq!(
            action.title,
            "Renumber the children of Phase 1 1..4 (1.4 → 1.3, 1.5 → 1.4)"
        );
        assert!(action.preferred);
        let after = apply_checked(GAP, &action);
        assert_eq!(
            after,
            GAP.replace(
                "1.4 Add the health route (Dependencies: 1.5)",
                "1.3 Add the health route (Dependencies: 1.4)"
            )
            .replace("1.5 Write", "1.4 Write")
            .replace("(Dependencies: 1.4, Phase 1", "(Dependencies: 1.3, Phase 1")
            .replace("Task 1.5)", "Task 1.4)")
        );
        assert!(
            findings_of(&after).is_empty(),
            "{:?}",
            brief(&findings_of(&after))
        );
    }

    #[test]
    fn duplicate_renumbers_with_subtree_and_keeps_letters() {
        let text = "\
Phase 1: Setup (Dependencies: None | Stage Gate: ok)
1.1 Configure (Dependencies: None | Stage Gate: ok)
1.1.1 Configure the tools
1.1.A Validate Task 1.1
1.1.B Verify Task 1.1
1.1.C Document Task 1.1
1.1 Build (Dependencies: None | Stage Gate: ok)
1.1.1 Build the image
1.1.A Validate Task 1.1
1.1.B Verify Task 1.1
1.1.C Document Task 1.1
1.A Validate Task 1
1.B Verify Task 1
1.C Document Task 1
";
        let action = fix_on(text, Code::DuplicateId, 7, "Renumber");
        let after = apply_checked(text, &action);
        assert_eq!(
            after,
            "\
Phase 1: Setup (Dependencies: None | Stage Gate: ok)
1.1 Configure (Dependencies: None | Stage Gate: ok)
1.1.1 Configure the tools
1.1.A Validate Task 1.1
1.1.B Verify Task 1.1
1.1.C Document Task 1.1
1.2 Build (Dependencies: None | Stage Gate: ok)
1.2.1 Build the image
1.2.A Validate Task 1.2
1.2.B Verify Task 1.2
1.2.C Document Task 1.2
1.A Validate Task 1
1.B Verify Task 1
1.C Document Task 1
"
        );
    }

    #[test]
    fn whole_document_and_unfixable_cases() {
        with_doc(GAP, |doc| {
            let action = renumber_document(doc).unwrap();
            assert_eq!(action.kind, ActionKind::Source);
            assert_eq!(action.fixes.len(), 1);
            let after = apply_checked(GAP, &action);
            assert!(findings_of(&after).is_empty());
        });
        // An orphan and a stage out of range are not fixed by renumbering.
        let text =
            "Stage 1: CORE (Dependencies: None | Stage Gate: ok)\n1.2.1 Configure the tools\n";
        with_doc(text, |doc| {
            let numbering: Vec<_> = doc.findings_with(&[Code::Numbering]).collect();
            assert!(!numbering.is_empty());
            assert!(numbering.iter().all(|f| fixable(doc, f).is_none()));
        });
    }

    #[test]
    fn named_task_spans() {
        let id = TaskId::parse("1.2").unwrap();
        let text = "1.2.A Validate core functionality of task 1.2 in x";
        assert_eq!(named_task_span(text, 6, text.len(), &id), Some((42, 45)));
        assert_eq!(named_task_span("Subtask 1.2", 0, 11, &id), None);
    }
}
