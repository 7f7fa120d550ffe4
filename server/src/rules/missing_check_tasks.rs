use super::wording::check_task_wording;
use super::{name, Code, Sink};
use crate::model::line::CheckKind;
use crate::model::TaskTree;

/// A task group without one or more of its Validate / Verify / Document tasks.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        if !tree.is_task_group(i) {
            continue;
        }
        let missing = missing_kinds(tree, i);
        if missing.is_empty() {
            continue;
        }
        let suggestions: Vec<String> = missing
            .iter()
            .map(|&kind| {
                format!(
                    "\"{}.{} {}\"",
                    node.id,
                    kind.letter() as char,
                    wording_for(tree, i, kind)
                )
            })
            .collect();
        let verbs: Vec<&str> = missing.iter().map(|k| k.verb()).collect();
        let message = format!(
            "{} lacks its {} task{}; add {} after its last child",
            name(tree, i),
            verbs.join(" and "),
            if missing.len() > 1 { "s" } else { "" },
            suggestions.join(", ")
        );
        sink.on_node(
            i,
            Code::MissingCheckTasks,
            Code::MissingCheckTasks.default_severity(),
            message,
        );
    }
}

/// The check-task kinds a group lacks, in Validate, Verify, Document order.
pub fn missing_kinds(tree: &TaskTree, group: usize) -> Vec<CheckKind> {
    let mut present = [false; CheckKind::ALL.len()];
    for &c in &tree.nodes[group].children {
        if tree.is_check_task(c) {
            if let Some(kind) = tree.check_kind(c) {
                present[kind as usize] = true;
            }
        }
    }
    CheckKind::ALL
        .into_iter()
        .filter(|&k| !present[k as usize])
        .collect()
}

/// The wording a check task of this group should have in its profile and stage.
pub fn wording_for(tree: &TaskTree, group: usize, kind: CheckKind) -> String {
    let id = &tree.nodes[group].id;
    let stage = if tree.three_stage() { id.stage() } else { 0 };
    check_task_wording(kind, stage, id)
}
