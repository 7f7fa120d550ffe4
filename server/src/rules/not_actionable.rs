use super::{line_name, Code, Finding, Location};
use crate::model::line::NodeLine;

/// A leaf (not a check task) with an empty title or one that does not start with a verb.
/// A local rule: it reads the node's own line only.
pub fn finding(line: usize, node: &NodeLine) -> Option<Finding> {
    if node.starts_with_verb {
        return None;
    }
    let message = if node.title.is_empty() {
        format!(
            "{} has no title; say what to do, starting with a verb",
            line_name(node)
        )
    } else {
        format!(
            "{} \"{}\" does not start with an action verb; say what to do (\"Implement …\", \"Add …\", \"Configure …\")",
            line_name(node),
            node.title
        )
    };
    Some(Finding {
        code: Code::NotActionable,
        severity: Code::NotActionable.default_severity(),
        location: Location::new(line, node.id_span),
        message,
        related: Vec::new(),
    })
}
