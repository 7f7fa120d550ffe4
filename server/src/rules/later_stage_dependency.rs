use super::{name, reference_location, Code, Sink};
use crate::model::TaskTree;

/// A node that depends on a node of a later stage (three-stage profile).
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    if !tree.three_stage() {
        return;
    }
    for (i, node) in tree.nodes.iter().enumerate() {
        for (line, reference) in node.references() {
            let Some(target) = tree.resolve(&reference.id) else {
                continue;
            };
            let (from, to) = (node.id.stage(), tree.nodes[target].id.stage());
            if to <= from {
                continue;
            }
            let message = format!(
                "{} (stage {from}) depends on {} of the later stage {to}; a stage may only depend on itself and earlier stages",
                name(tree, i),
                name(tree, target)
            );
            let location = reference_location(line, reference);
            sink.report(
                i,
                Code::LaterStageDependency,
                Code::LaterStageDependency.default_severity(),
                location,
                message,
            );
        }
    }
}
