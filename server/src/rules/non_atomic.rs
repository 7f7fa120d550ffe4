use super::{name, quoted_list, Code, Sink};
use crate::model::TaskTree;

/// A leaf (not a check task) whose title joins two or more actions.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        let Some(written) = node.written else {
            continue;
        };
        if written.actions.len() < 2 || !tree.is_leaf(i) || tree.is_check_task(i) {
            continue;
        }
        let actions: Vec<String> = written.actions.iter().map(|a| lower_first(a)).collect();
        let message = format!(
            "{} joins {} actions: {}; split it into one task per action",
            name(tree, i),
            actions.len(),
            quoted_list(&actions)
        );
        sink.on_node(
            i,
            Code::NonAtomic,
            Code::NonAtomic.default_severity(),
            message,
        );
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Keep acronyms and names ("API", "JWT") as written.
        Some(c) if chars.clone().next().is_some_and(|n| n.is_lowercase()) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}
