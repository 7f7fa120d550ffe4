//! The seed's check-task wording per stage (rules.md section 2), shared by the rule that
//! checks it and by whatever writes check tasks.

use crate::model::id::TaskId;
use crate::model::line::CheckKind;

/// The expected wording of a check task of `group` in `stage` (1-3; anything else gets the
/// stage-neutral form `Verb Task X.Y`).
pub fn check_task_wording(kind: CheckKind, stage: u32, group: &TaskId) -> String {
    match (kind, stage) {
        (CheckKind::Validate, 1) => format!("Validate core functionality of Task {group}"),
        (CheckKind::Validate, 2) => format!("Validate integration of Task {group}"),
        (CheckKind::Validate, 3) => format!("Validate production readiness of Task {group}"),
        (CheckKind::Document, 1) => format!("Document Task {group} implementation"),
        (CheckKind::Document, 2) => format!("Document Task {group} integration results"),
        (CheckKind::Document, 3) => format!("Document Task {group} production deployment"),
        (kind, _) => format!("{} Task {group}", kind.verb()),
    }
}

/// Whether `title` starts with `wording`, ignoring case and runs of white space.
pub fn starts_with_wording(title: &str, wording: &str) -> bool {
    let mut title_words = title.split_whitespace();
    wording.split_whitespace().all(|w| {
        title_words
            .next()
            .is_some_and(|t| t.eq_ignore_ascii_case(w))
    })
}

/// The first word every stage's title starts with.
pub fn stage_word(stage: u32) -> Option<&'static str> {
    match stage {
        1 => Some("CORE"),
        2 => Some("INTEGRATION"),
        3 => Some("POLISH"),
        _ => None,
    }
}
