//! `missing-check-tasks`: insert the missing Validate / Verify / Document tasks of a group
//! (rules.md section 6): letter IDs `X.Y.A/B/C`, the stage's wording, after the group's last
//! child, in the style of the group's children.
//!
//! A missing letter goes before the group's first check task with a later letter when the
//! group already closes with check tasks (so `A`, `C` gets its `B` in between), else after
//! the last line of the group's subtree (its notes included).

use std::cmp::Reverse;

use super::{
    insert_lines_after, insert_lines_before, missing_kinds, name, wording_for, Action, ActionKind,
    Doc, Edit, Pos,
};
use crate::model::id::TaskId;
use crate::model::line::CheckKind;
use crate::rules::{Code, Finding};

/// The edits that add the `missing` check tasks of group `g`, or `None` when one of their
/// IDs is already taken (the wording fix then renames the task holding it first).
pub fn insert_edits(doc: &Doc, g: usize, missing: &[CheckKind]) -> Option<Vec<Edit>> {
    let tree = doc.tree;
    let group = &tree.nodes[g];
    let ids: Vec<TaskId> = missing
        .iter()
        .map(|k| TaskId::new(group.id.nums().to_vec(), Some(k.letter())))
        .collect();
    if ids.iter().any(|id| tree.node_for(id).is_some()) {
        return None;
    }
    let children = &doc.schildren[g];
    let last = *children.last()?;
    // The check tasks that close the group, in document order.
    let first_closing = children
        .iter()
        .rposition(|&c| !tree.is_check_task(c))
        .map_or(0, |p| p + 1);
    let closing = &children[first_closing..];
    let template = doc
        .template_child(g, |c| {
            tree.is_check_task(c) && tree.nodes[c].id.letter().is_some()
        })
        .filter(|&c| tree.is_check_task(c))
        .or_else(|| doc.template_child(g, |c| tree.is_leaf(c) && !tree.is_check_task(c)))?;
    let style = doc.style_of(template);
    // New check tasks write their verb as the template check task does (`**Verify**`).
    let verb_emphasis = tree.is_check_task(template).then(|| {
        let (ts, te) = doc.title_range(template);
        let text = doc.line(tree.nodes[template].line);
        super::wording::verb_emphasis(&text[ts as usize..te as usize]).map(str::to_string)
    });
    let verb_emphasis = verb_emphasis.flatten();

    // Anchor per missing kind: `Some(c)` inserts before check task `c`, `None` after all.
    let mut groups: Vec<(Option<usize>, Vec<String>)> = Vec::new();
    for (kind, id) in missing.iter().zip(&ids) {
        let before = closing.iter().copied().find(|&c| {
            tree.check_kind(c)
                .or_else(|| tree.nodes[c].id.letter().and_then(CheckKind::from_letter))
                .is_some_and(|k| k.letter() > kind.letter())
        });
        let wording = wording_for(tree, g, *kind);
        let title = super::wording::emphasize_verb(&wording, verb_emphasis.as_deref());
        let text = style.render(id, &title);
        match groups.iter_mut().find(|(a, _)| *a == before) {
            Some((_, lines)) => lines.push(text),
            None => groups.push((before, vec![text])),
        }
    }
    Some(
        groups
            .into_iter()
            .map(|(anchor, lines)| match anchor {
                Some(c) => insert_lines_before(doc.rope, tree.nodes[c].line, &lines),
                None => insert_lines_after(doc.rope, doc.subtree_end_line(last), &lines),
            })
            .collect(),
    )
}

fn title(doc: &Doc, g: usize, missing: &[CheckKind]) -> String {
    let id = &doc.tree.nodes[g].id;
    let names: Vec<String> = missing
        .iter()
        .map(|k| format!("{id}.{}", k.letter() as char))
        .collect();
    match missing {
        [one] => format!(
            "Add the {} task {} to {}",
            one.verb(),
            names[0],
            name(doc.tree, g)
        ),
        _ => format!(
            "Add the check tasks {} to {}",
            crate::rules::quoted_list(&names).replace('"', ""),
            name(doc.tree, g)
        ),
    }
}

/// The quick fix of a `missing-check-tasks` finding.
pub fn fix(doc: &Doc, finding: &Finding) -> Option<Action> {
    let g = doc.node_at(finding.location)?;
    let missing = missing_kinds(doc.tree, g);
    if missing.is_empty() {
        return None;
    }
    let edits = insert_edits(doc, g, &missing)?;
    Some(Action::quick_fix(title(doc, g, &missing), edits, vec![finding.clone()]).preferred(true))
}

/// The edits of every `missing-check-tasks` fix of the document, ordered so that where
/// two groups insert at one place the deeper group's tasks come first; with the findings
/// they fix.
pub fn all_edits(doc: &Doc) -> (Vec<Edit>, Vec<Finding>) {
    let mut edits: Vec<(Pos, Reverse<usize>, usize, Edit)> = Vec::new();
    let mut fixes = Vec::new();
    for finding in doc.findings_with(&[Code::MissingCheckTasks]) {
        let Some(g) = doc.node_at(finding.location) else {
            continue;
        };
        let missing = missing_kinds(doc.tree, g);
        if missing.is_empty() {
            continue;
        }
        let Some(group_edits) = insert_edits(doc, g, &missing) else {
            continue;
        };
        let level = doc.tree.nodes[g].level();
        for e in group_edits {
            let n = edits.len();
            edits.push((e.start, Reverse(level), n, e));
        }
        fixes.push(finding.clone());
    }
    edits.sort_by_key(|(pos, level, n, _)| (*pos, *level, *n));
    (edits.into_iter().map(|(.., e)| e).collect(), fixes)
}

/// The source action: insert every missing check task of the document.
pub fn insert_all(doc: &Doc) -> Option<Action> {
    let (edits, fixes) = all_edits(doc);
    if edits.is_empty() {
        return None;
    }
    Some(Action {
        title: format!(
            "Add every missing check task ({} group{})",
            fixes.len(),
            if fixes.len() == 1 { "" } else { "s" }
        ),
        kind: ActionKind::Source,
        edits,
        fixes,
        preferred: false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::apply;
    use super::super::testing::*;
    use super::*;

    const HEAD: &str = "### Stage 1: CORE – Base\n(Dependencies: None | Stage Gate: ok)\n\n";

    #[test]
    fn inserts_all_three_in_the_style_of_the_children() {
        let text = format!(
            "{HEAD}- [x] **1.1** Setup (Dependencies: None | Stage Gate: ok)\n  - [x] **1.1.1** Configure the tools\n  - [ ] **1.1.2**: Add the settings loader\n    - Dependencies: 1.1.1\n\nAfter.\n"
        );
        let action = fix_on(&text, Code::MissingCheckTasks, 4, "Add");
        assert_eq!(
            action.title,
            "Add the check tasks 1.1.A, 1.1.B and 1.1.C to Phase 1.1"
        );
        let after = apply_checked(&text, &action);
        assert_eq!(
            after,
            format!(
                "{HEAD}- [x] **1.1** Setup (Dependencies: None | Stage Gate: ok)\n  - [x] **1.1.1** Configure the tools\n  - [ ] **1.1.2**: Add the settings loader\n    - Dependencies: 1.1.1\n  - [ ] **1.1.A** Validate core functionality of Task 1.1\n  - [ ] **1.1.B** Verify Task 1.1\n  - [ ] **1.1.C** Document Task 1.1 implementation\n\nAfter.\n"
            )
        );
        // Only the missing Stage 2 and 3 are left.
        assert_eq!(brief(&findings_of(&after)), ["1:10 stage-structure"]);
    }

    #[test]
    fn inserts_a_middle_letter_between_with_crlf_and_stage_wording() {
        let text = "### Stage 1: CORE\r\n(Dependencies: None | Stage Gate: ok)\r\n### Stage 2: INTEGRATION\r\n(Dependencies: Stage 1 complete | Stage Gate: ok)\r\n2.1 Wire (Dependencies: None | Stage Gate: ok)\r\n  2.1.1 Connect the database\r\n\r\n2.1.A **Validate** integration of Task 2.1\r\n2.1.C **Document** Task 2.1 integration results\r\n### Stage 3: POLISH\r\n(Dependencies: None | Stage Gate: ok)\r\n";
        let action = fix_on(text, Code::MissingCheckTasks, 5, "Verify");
        assert_eq!(action.title, "Add the Verify task 2.1.B to Phase 2.1");
        let after = apply_checked(text, &action);
        assert!(
            // The verb in bold, as the neighbouring check tasks write it.
            after.contains("2.1.A **Validate** integration of Task 2.1\r\n2.1.B **Verify** Task 2.1\r\n2.1.C **Document**"),
            "{after}"
        );
    }

    #[test]
    fn nested_groups_insert_the_deeper_group_first() {
        let text = "Phase 1: Build (Dependencies: None | Stage Gate: ok)\n1.1 Write the code\n1.2 Tests (Dependencies: 1.1 | Stage Gate: ok)\n1.2.1 Write the tests\n";
        with_doc(text, |doc| {
            let action = insert_all(doc).unwrap();
            assert_eq!(action.fixes.len(), 2);
            let after = apply(text, &action.edits);
            assert_eq!(
                after,
                "Phase 1: Build (Dependencies: None | Stage Gate: ok)\n1.1 Write the code\n1.2 Tests (Dependencies: 1.1 | Stage Gate: ok)\n1.2.1 Write the tests\n1.2.A Validate Task 1.2\n1.2.B Verify Task 1.2\n1.2.C Document Task 1.2\n1.A Validate Task 1\n1.B Verify Task 1\n1.C Document Task 1\n"
            );
            assert!(
                findings_of(&after).is_empty(),
                "{:?}",
                brief(&findings_of(&after))
            );
        });
    }

    #[test]
    fn a_taken_letter_blocks_the_fix() {
        // 1.1.A is a Verify task: Validate is missing but its letter is taken.
        let text = "Phase 1: Build (Dependencies: None | Stage Gate: ok)\n1.1 Write the code\n1.A Verify Task 1\n1.C Document Task 1\n";
        with_doc(text, |doc| {
            let f = doc
                .findings_with(&[Code::MissingCheckTasks])
                .next()
                .unwrap();
            assert!(fix(doc, f).is_none());
        });
    }
}
