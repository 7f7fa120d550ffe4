use super::references::RefNode;
use super::{Code, Finding, Location};

/// A reference of `from` to `target` of a later stage (the caller applies it in the
/// three-stage profile only).
pub fn finding(from: &RefNode, target: &RefNode, location: Location) -> Option<Finding> {
    let (from_stage, to_stage) = (from.id.stage(), target.id.stage());
    (to_stage > from_stage).then(|| {
        Finding::new(
            Code::LaterStageDependency,
            location,
            format!(
                "{} (stage {from_stage}) depends on {} of the later stage {to_stage}; a stage may only depend on itself and earlier stages",
                from.name(),
                target.name()
            ),
        )
    })
}
