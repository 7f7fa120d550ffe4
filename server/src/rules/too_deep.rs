use super::{name, Code, Sink};
use crate::model::TaskTree;

/// The format stops at five levels: Stage.Phase.Task.Subtask.Atomic.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        if node.level() <= 5 || node.duplicate_of.is_some() {
            continue;
        }
        let message = format!(
            "{} is {} levels deep; the format stops at five (Stage.Phase.Task.Subtask.Atomic): fold it into its parent",
            name(tree, i),
            node.level()
        );
        sink.on_node(i, Code::TooDeep, Code::TooDeep.default_severity(), message);
    }
}
