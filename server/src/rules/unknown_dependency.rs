use super::{name, reference_location, Code, Sink};
use crate::model::TaskTree;

/// A reference to an ID that no written node carries.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        for (line, reference) in node.references() {
            if tree.resolve(&reference.id).is_some() {
                continue;
            }
            let message = format!(
                "{} depends on {}, which is not in this document; fix the ID or remove it",
                name(tree, i),
                reference.id
            );
            let location = reference_location(line, reference);
            sink.report(
                i,
                Code::UnknownDependency,
                Code::UnknownDependency.default_severity(),
                location,
                message,
            );
        }
    }
}
