use super::{line_name, quoted_list, Code, Finding, Location};
use crate::model::line::NodeLine;

/// A leaf (not a check task) whose title joins two or more actions. A local rule: it
/// reads the node's own line only (the caller knows the node is such a leaf).
pub fn finding(line: usize, node: &NodeLine) -> Option<Finding> {
    if node.actions.len() < 2 {
        return None;
    }
    let actions: Vec<String> = node.actions.iter().map(|a| lower_first(a)).collect();
    let message = format!(
        "{} joins {} actions: {}; split it into one task per action",
        line_name(node),
        actions.len(),
        quoted_list(&actions)
    );
    Some(Finding {
        code: Code::NonAtomic,
        severity: Code::NonAtomic.default_severity(),
        location: Location::new(line, node.id_span),
        message,
        related: Vec::new(),
    })
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
