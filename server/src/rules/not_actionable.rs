use super::{name, Code, Sink};
use crate::model::TaskTree;

/// A leaf (not a check task) with an empty title or one that does not start with a verb.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        let Some(written) = node.written else {
            continue;
        };
        if written.starts_with_verb || !tree.is_leaf(i) || tree.is_check_task(i) {
            continue;
        }
        let message = if written.title.is_empty() {
            format!(
                "{} has no title; say what to do, starting with a verb",
                name(tree, i)
            )
        } else {
            format!(
                "{} \"{}\" does not start with an action verb; say what to do (\"Implement …\", \"Add …\", \"Configure …\")",
                name(tree, i),
                written.title
            )
        };
        sink.on_node(
            i,
            Code::NotActionable,
            Code::NotActionable.default_severity(),
            message,
        );
    }
}
