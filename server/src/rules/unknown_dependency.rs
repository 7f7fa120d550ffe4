use super::references::RefNode;
use super::{Code, Finding, Location};
use crate::model::line::Reference;

/// A reference of `from` to an ID that no written node carries.
pub fn finding(from: &RefNode, reference: &Reference, location: Location) -> Finding {
    Finding::new(
        Code::UnknownDependency,
        location,
        format!(
            "{} depends on {}, which is not in this document; fix the ID or remove it",
            from.name(),
            reference.id
        ),
    )
}
