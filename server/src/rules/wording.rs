//! The seed's check-task wording per stage (rules.md section 2), shared by the rule that
//! checks it and by whatever writes check tasks.

use std::fmt::Write as _;

use crate::model::id::TaskId;
use crate::model::line::CheckKind;

/// A word of a wording: fixed text, or the group's ID.
#[derive(Clone, Copy)]
enum Word {
    Text(&'static str),
    Group,
}

use Word::{Group, Text};

/// The words of the expected wording of a check task in `stage` (1-3; anything else gets
/// the stage-neutral form `Verb Task X.Y`).
fn template(kind: CheckKind, stage: u32) -> &'static [Word] {
    match (kind, stage) {
        (CheckKind::Validate, 1) => &[
            Text("Validate"),
            Text("core"),
            Text("functionality"),
            Text("of"),
            Text("Task"),
            Group,
        ],
        (CheckKind::Validate, 2) => &[
            Text("Validate"),
            Text("integration"),
            Text("of"),
            Text("Task"),
            Group,
        ],
        (CheckKind::Validate, 3) => &[
            Text("Validate"),
            Text("production"),
            Text("readiness"),
            Text("of"),
            Text("Task"),
            Group,
        ],
        (CheckKind::Document, 1) => &[
            Text("Document"),
            Text("Task"),
            Group,
            Text("implementation"),
        ],
        (CheckKind::Document, 2) => &[
            Text("Document"),
            Text("Task"),
            Group,
            Text("integration"),
            Text("results"),
        ],
        (CheckKind::Document, 3) => &[
            Text("Document"),
            Text("Task"),
            Group,
            Text("production"),
            Text("deployment"),
        ],
        (CheckKind::Validate, _) => &[Text("Validate"), Text("Task"), Group],
        (CheckKind::Verify, _) => &[Text("Verify"), Text("Task"), Group],
        (CheckKind::Document, _) => &[Text("Document"), Text("Task"), Group],
    }
}

/// The expected wording of a check task of `group` in `stage` (1-3; anything else gets the
/// stage-neutral form `Verb Task X.Y`).
pub fn check_task_wording(kind: CheckKind, stage: u32, group: &TaskId) -> String {
    let mut out = String::new();
    for (i, word) in template(kind, stage).iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match word {
            Text(text) => out.push_str(text),
            Group => write!(out, "{group}").expect("writing to a String"),
        }
    }
    out
}

/// Whether `title` starts with the expected wording (`check_task_wording`), ignoring case,
/// runs of white space and punctuation after a word (`Verify Task 1.2: build passes`,
/// `… of Task 1.2.`): the wording written out and compared word by word (the tests hold
/// it to that), without writing it out and reading only as much of the title as it needs
/// (this runs on every check task of a document).
pub fn has_wording(title: &str, kind: CheckKind, stage: u32, group: &TaskId) -> bool {
    let mut rest = title;
    for word in template(kind, stage) {
        rest = rest.trim_start();
        let end = match word {
            Text(text) => {
                // The words are ASCII: a match ends on a character boundary.
                let n = text.len();
                if rest.len() < n || !rest.as_bytes()[..n].eq_ignore_ascii_case(text.as_bytes()) {
                    return false;
                }
                n
            }
            Group => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let id = rest[..end].trim_end_matches(WORD_PUNCTUATION);
                if !word_is_id(id, group) {
                    return false;
                }
                id.len()
            }
        };
        rest = rest[end..].trim_start_matches(WORD_PUNCTUATION);
        // A word ends at white space or at the end of the title.
        if !rest.chars().next().is_none_or(char::is_whitespace) {
            return false;
        }
    }
    true
}

/// Punctuation that may follow a word of the wording.
const WORD_PUNCTUATION: &[char] = &['.', ',', ':', ';', '!', '?', ')'];

/// Whether `word` is `id` as it is written out (`Display`: numbers without leading zeros
/// joined by dots, then `.` and the letter), ignoring case; without writing it out.
fn word_is_id(word: &str, id: &TaskId) -> bool {
    let b = word.as_bytes();
    let mut i = 0;
    for (k, &n) in id.nums().iter().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return false;
            }
            i += 1;
        }
        let start = i;
        let mut value: u64 = 0;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start == 10 {
                return false;
            }
            value = value * 10 + u64::from(d - b'0');
            i += 1;
        }
        let leading_zero = b.get(start) == Some(&b'0') && i - start > 1;
        if i == start || leading_zero || value != u64::from(n) {
            return false;
        }
    }
    match id.letter() {
        None => i == b.len(),
        Some(letter) => b.len() == i + 2 && b[i] == b'.' && b[i + 1].eq_ignore_ascii_case(&letter),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The oracle `has_wording` must agree with: whether `title` starts with `wording`
    /// written out, compared word by word (case, runs of white space and punctuation after
    /// a word ignored).
    fn starts_with_wording(title: &str, wording: &str) -> bool {
        let mut title_words = title.split_whitespace();
        wording.split_whitespace().all(|w| {
            title_words
                .next()
                .is_some_and(|t| t.trim_end_matches(WORD_PUNCTUATION).eq_ignore_ascii_case(w))
        })
    }

    #[test]
    fn punctuation_may_follow_the_wording() {
        let group = TaskId::parse("1.1").unwrap();
        for (title, kind) in [
            (
                "Validate core functionality of Task 1.1.",
                CheckKind::Validate,
            ),
            ("Verify Task 1.1: build passes", CheckKind::Verify),
            ("Verify Task 1.1, build passes", CheckKind::Verify),
            ("Document Task 1.1 implementation.", CheckKind::Document),
        ] {
            assert!(has_wording(title, kind, 1, &group), "{title}");
        }
        assert!(!has_wording(
            "Verify Task 1.1.2.",
            CheckKind::Verify,
            1,
            &group
        ));
    }

    #[test]
    fn has_wording_is_starts_with_the_written_wording() {
        let groups = ["1.2", "1.2.3", "10.20", "3.1.4.1.5", "1.2.A", "0.2"];
        let titles = [
            "Validate core functionality of Task 1.2",
            "validate CORE functionality of task 1.2 in notes.md",
            "Validate core functionality of Task 01.2",
            "Validate core functionality of Task 1.2.",
            "Validate core functionality of Task 1.2.a",
            "Validate core functionality of Task 1.2.A",
            "Validate  integration of Task 1.2.3",
            "Validate production readiness of Task 10.20",
            "Verify Task 3.1.4.1.5",
            "Verify Task 3.1.4.1.5x",
            "Verify Task 3.1.4.1",
            "Document Task 1.2.3 implementation",
            "Document Task 1.2.3 integration results",
            "Document Task 10.20 production deployment",
            "Document Task",
            "",
            "Verify\u{a0}Task 1.2",
            "Verify Task\t1.2\u{2003}done",
            "VerifyTask 1.2",
            "Verify Task 1.2é",
            "Verifyé Task 1.2",
            "  Verify   Task  1.2  ",
            "Verify Task 1.2.3.4.5.6.7.8.9",
            "Verify Task 4294967296",
            "Verify Task 10.020",
            "Verify Task 10.20.",
            "Verify Task 1.2.B",
            "Verify Task 0.2",
            "Verify Task 1..2",
            "Verify Task 1.2: build passes",
            "Verify Task 1.2, build passes",
            "Verify: Task 1.2",
            "Document Task 1.2.3 implementation.",
            "Verify Task 1.2.:",
            "Verify Task 1.2.A.",
            "Verify Task 1.2.3.",
            "Verify Task 1.2:x",
        ];
        for group in groups {
            let group = TaskId::parse(group).unwrap();
            for kind in CheckKind::ALL {
                for stage in 0..5 {
                    let wording = check_task_wording(kind, stage, &group);
                    for title in titles.iter().copied().chain([wording.as_str()]) {
                        assert_eq!(
                            has_wording(title, kind, stage, &group),
                            starts_with_wording(title, &wording),
                            "{title:?} against {wording:?}"
                        );
                    }
                }
            }
        }
    }
}
