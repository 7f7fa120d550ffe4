//! `check-task-wording`: rewrite a check task's title to its stage's wording naming its
//! group; give it the letter of its verb when they disagree (or, when that letter is
//! taken, the verb of its letter); move check tasks written before an ordinary child of
//! their group after the group's last task.
//!
//! Text after the old wording stays (`… in task_outcomes.md`, an italic note).

use super::renumber::{self, Last, Renumbering};
use super::{insert_lines_after, name, wording_for, Action, Doc, Edit, Pos};
use crate::model::id::TaskId;
use crate::model::line::CheckKind;
use crate::rules::wording::check_task_wording;
use crate::rules::{Code, Finding};

/// Where `wording` ends at the start of `raw`, matching words case-insensitively and
/// skipping emphasis marks.
fn match_prefix(raw: &str, wording: &str) -> Option<usize> {
    let b = raw.as_bytes();
    let mut p = 0;
    for word in wording.split_whitespace() {
        while p < b.len() && matches!(b[p], b' ' | b'\t' | b'*' | b'_') {
            p += 1;
        }
        let end = p + word.len();
        if end > b.len()
            || !b[p..end].eq_ignore_ascii_case(word.as_bytes())
            || b.get(end).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return None;
        }
        p = end;
    }
    while p < b.len() && matches!(b[p], b'*' | b'_') {
        p += 1;
    }
    Some(p)
}

/// The emphasis written around a title's first word (`**` in `**Verify** Task 1.2`).
pub fn verb_emphasis(raw: &str) -> Option<&str> {
    let run = &raw[..raw.len() - raw.trim_start_matches(['*', '_']).len()];
    if run.is_empty() {
        return None;
    }
    let word = &raw[run.len()..];
    let word_end = word.find(['*', '_', ' ', '\t']).unwrap_or(word.len());
    word[word_end..].starts_with(run).then_some(run)
}

/// `wording` with its first word (the verb) in `emphasis`.
pub fn emphasize_verb(wording: &str, emphasis: Option<&str>) -> String {
    match (emphasis, wording.split_once(' ')) {
        (Some(e), Some((verb, rest))) => format!("{e}{verb}{e} {rest}"),
        (Some(e), None) => format!("{e}{wording}{e}"),
        (None, _) => wording.to_string(),
    }
}

/// A check task's corrected title and letter, as edits; `None` when nothing changes or no
/// clean correction exists.
pub struct Rewrite {
    pub edits: Vec<Edit>,
    /// Other check tasks of the group given their verb's letter with this one.
    pub also_renamed: Vec<(TaskId, TaskId)>,
    pub new_id: TaskId,
    pub title: String,
    pub title_changed: bool,
}

pub fn rewrite(doc: &Doc, i: usize) -> Option<Rewrite> {
    let tree = doc.tree;
    let node = &tree.nodes[i];
    let written = node.written?;
    let g = node.parent?;
    if !tree.is_check_task(i) {
        return None;
    }
    let group = &tree.nodes[g];
    let verb = written.check_verb;
    let letter = node.id.letter();
    let letter_kind = letter.and_then(CheckKind::from_letter);
    let mut kind = verb.or(letter_kind)?;
    let mut r = Renumbering::default();
    if let (Some(v), Some(_)) = (verb, letter) {
        if letter_kind != Some(v) {
            let target = TaskId::new(group.id.nums().to_vec(), Some(v.letter()));
            let kind_taken = |k: CheckKind| {
                group
                    .children
                    .iter()
                    .any(|&c| c != i && tree.is_check_task(c) && tree.check_kind(c) == Some(k))
            };
            if tree.node_for(&target).is_none() {
                r.last.insert(i, Last::Letter(v.letter()));
            } else if let Some(letters) = letters_by_verb(doc, g) {
                // Letters swapped or shifted (`1.1.C Verify`, `1.1.B Document`): each
                // check task of the group takes its verb's letter, all at once.
                r.last.extend(letters);
            } else if let Some(lk) = letter_kind.filter(|&lk| !kind_taken(lk)) {
                kind = lk;
            } else {
                return None;
            }
        }
    }
    let stage = group.id.stage();
    let free = !tree.three_stage() || !(1..=3).contains(&stage);
    let text = doc.line(node.line);
    let (ts, te) = doc.title_range(i);
    let raw = &text[ts as usize..te as usize];
    let mut named: Vec<&TaskId> = vec![&group.id];
    named.extend(written.named_task.as_ref());
    let mut best: Option<(usize, u32)> = None;
    for id in named {
        for k in CheckKind::ALL {
            for s in 0..=3 {
                if let Some(end) = match_prefix(raw, &check_task_wording(k, s, id)) {
                    if best.is_none_or(|(e, _)| end > e) {
                        best = Some((end, s));
                    }
                }
            }
        }
    }
    let wording = match best {
        Some((_, s)) if free => check_task_wording(kind, s, &group.id),
        _ => wording_for(tree, g, kind),
    };
    let rest = best.map_or("", |(end, _)| &raw[end..]);
    let title = format!("{}{rest}", emphasize_verb(&wording, verb_emphasis(raw)));
    let title_changed = title != raw;
    if !title_changed && r.is_empty() {
        return None;
    }
    let mut edits = renumber::edits(doc, &r);
    if title_changed {
        edits.push(Edit::replace(node.line, ts, te, title.clone()));
    }
    let final_ids = renumber::final_ids(doc, &r);
    let mut also_renamed: Vec<(usize, TaskId, TaskId)> = r
        .last
        .keys()
        .filter(|&&c| c != i)
        .map(|&c| (c, tree.nodes[c].id.clone(), final_ids[c].clone()))
        .collect();
    also_renamed.sort_by_key(|(c, _, _)| *c);
    let also_renamed = also_renamed.into_iter().map(|(_, a, b)| (a, b)).collect();
    let new_id = final_ids[i].clone();
    Some(Rewrite {
        edits,
        also_renamed,
        new_id,
        title,
        title_changed,
    })
}

/// New letters for the check tasks of group `g` whose letter disagrees with their verb,
/// when giving every check task its verb's letter leaves no two with the same ID.
fn letters_by_verb(doc: &Doc, g: usize) -> Option<Vec<(usize, Last)>> {
    let tree = doc.tree;
    let group = &tree.nodes[g];
    let mut taken: Vec<TaskId> = Vec::new();
    let mut changes = Vec::new();
    for &c in &group.children {
        let id = &tree.nodes[c].id;
        let verb = tree.nodes[c]
            .written
            .filter(|_| tree.is_check_task(c) && id.letter().is_some())
            .and_then(|w| w.check_verb);
        let final_id = match verb {
            Some(v) if id.letter() != Some(v.letter()) => {
                changes.push((c, Last::Letter(v.letter())));
                TaskId::new(group.id.nums().to_vec(), Some(v.letter()))
            }
            _ => id.clone(),
        };
        if taken.contains(&final_id) {
            return None;
        }
        taken.push(final_id);
    }
    (changes.len() > 1).then_some(changes)
}

fn rewrite_title(doc: &Doc, i: usize, rw: &Rewrite) -> String {
    let old = &doc.tree.nodes[i].id;
    let shown = super::shorten(&rw.title, 90);
    if !rw.also_renamed.is_empty() {
        let mut renames = vec![format!("{old} to {}", rw.new_id)];
        renames.extend(rw.also_renamed.iter().map(|(a, b)| format!("{a} to {b}")));
        let rewritten = if rw.title_changed {
            format!(", and rewrite {old} as \"{shown}\"")
        } else {
            String::new()
        };
        return format!(
            "Rename {} to match their verbs{rewritten}",
            renames.join(", ")
        );
    }
    match (rw.new_id != *old, rw.title_changed) {
        (true, true) => format!(
            "Rename {old} to {} and rewrite it as \"{shown}\"",
            rw.new_id
        ),
        (true, false) => format!("Rename {old} to {} to match its verb", rw.new_id),
        _ => format!("Rewrite {old} as \"{shown}\""),
    }
}

/// The check tasks of group `g` written before one of its ordinary children.
fn misplaced(doc: &Doc, g: usize) -> (Vec<usize>, Option<usize>) {
    let tree = doc.tree;
    let children = &tree.nodes[g].children;
    let Some(last) = children.iter().rposition(|&c| !tree.is_check_task(c)) else {
        return (Vec::new(), None);
    };
    let moved = children[..last]
        .iter()
        .copied()
        .filter(|&c| tree.is_check_task(c) && !tree.nodes[c].inactive)
        .collect();
    (moved, Some(children[last]))
}

/// Moves the check tasks of `g` written before an ordinary child after its last one.
pub fn move_fix(doc: &Doc, g: usize) -> Option<Action> {
    let (moved, last) = misplaced(doc, g);
    let last = last?;
    if moved.is_empty() {
        return None;
    }
    let mut edits = Vec::new();
    let mut lines = Vec::new();
    for &c in &moved {
        let (start, end) = (doc.tree.nodes[c].line, doc.node_end_line(c));
        lines.extend((start..=end).map(|l| doc.line(l).into_owned()));
        edits.push(Edit {
            start: Pos::new(start, 0),
            end: Pos::new(end + 1, 0),
            new_text: String::new(),
        });
    }
    let anchor = doc.subtree_end_line(last);
    edits.push(insert_lines_after(doc.rope, anchor, &lines));
    let fixes = doc
        .findings_with(&[Code::CheckTaskWording])
        .filter(|f| {
            doc.node_at(f.location)
                .is_some_and(|c| moved.contains(&c) && rewrite(doc, c).is_none())
        })
        .cloned()
        .collect();
    let ids: Vec<String> = moved
        .iter()
        .map(|&c| doc.tree.nodes[c].id.to_string())
        .collect();
    Some(Action::quick_fix(
        format!(
            "Move {} after {}, the last task of {}",
            ids.join(", "),
            doc.tree.nodes[last].id,
            name(doc.tree, g)
        ),
        edits,
        fixes,
    ))
}

/// The quick fixes of a `check-task-wording` finding.
pub fn fix(doc: &Doc, finding: &Finding) -> Vec<Action> {
    let Some(i) = doc.node_at(finding.location) else {
        return Vec::new();
    };
    let Some(g) = doc.tree.nodes[i].parent else {
        return Vec::new();
    };
    let out_of_place = misplaced(doc, g).0.contains(&i);
    let mut out = Vec::new();
    if let Some(rw) = rewrite(doc, i) {
        let fixes = if out_of_place {
            Vec::new()
        } else {
            vec![finding.clone()]
        };
        let title = rewrite_title(doc, i, &rw);
        out.push(Action::quick_fix(title, rw.edits, fixes).preferred(!out_of_place));
    }
    if out_of_place {
        out.extend(move_fix(doc, g).map(|a| {
            let preferred = a.fixes.iter().any(|f| f == finding);
            a.preferred(preferred)
        }));
    }
    out
}

/// Fix-all: every rewrite, then (in a later pass) every move.
pub fn all_rewrites(doc: &Doc) -> Vec<(Vec<Edit>, Finding)> {
    doc.findings_with(&[Code::CheckTaskWording])
        .filter_map(|f| {
            let i = doc.node_at(f.location)?;
            rewrite(doc, i).map(|rw| (rw.edits, f.clone()))
        })
        .collect()
}

pub fn all_moves(doc: &Doc) -> Vec<(Vec<Edit>, Vec<Finding>)> {
    let mut groups: Vec<usize> = doc
        .findings_with(&[Code::CheckTaskWording])
        .filter_map(|f| {
            doc.node_at(f.location)
                .and_then(|i| doc.tree.nodes[i].parent)
        })
        .collect();
    groups.dedup();
    groups
        .into_iter()
        .filter_map(|g| move_fix(doc, g))
        .map(|a| (a.edits, a.fixes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    const HEAD: &str = "### Stage 1: CORE\n(Dependencies: None | Stage Gate: ok)\n### Stage 2: INTEGRATION\n(Dependencies: Stage 1 | Stage Gate: ok)\n### Stage 3: POLISH\n(Dependencies: Stage 2 | Stage Gate: ok)\n";

    fn group(checks: &str) -> String {
        format!("{HEAD}3.2 Observability (Dependencies: None | Stage Gate: ok)\n  3.2.1 Add tracing\n{checks}")
    }

    fn assert_no_wording_findings(text: &str) {
        let findings = findings_of(text);
        assert!(
            !findings.iter().any(|f| f.code == Code::CheckTaskWording),
            "{:?}",
            brief(&findings)
        );
    }

    #[test]
    fn swapped_letters_are_swapped_back() {
        let text = group("3.2.A Validate production readiness of Task 3.2\n3.2.C **Verify** Task 3.2 *(lint clean)*\n3.2.B **Document** Task 3.2 production deployment\n");
        let action = fix_on(&text, Code::CheckTaskWording, 10, "Rename");
        assert_eq!(
            action.title,
            "Rename 3.2.C to 3.2.B, 3.2.B to 3.2.C to match their verbs"
        );
        let after = apply_checked(&text, &action);
        assert!(
            after.ends_with("3.2.B **Verify** Task 3.2 *(lint clean)*\n3.2.C **Document** Task 3.2 production deployment\n"),
            "{after}"
        );
        assert_no_wording_findings(&after);
        // Fix-all does the same (and renumbers 3.2 to 3.1, as stage 3 has no 3.1).
        let fixed = crate::actions::fix_all::fixed_text(
            &text,
            crate::model::Profile::ThreeStage,
            &crate::rules::RuleSettings::default(),
        );
        assert!(
            fixed.ends_with("3.1.B **Verify** Task 3.1 *(lint clean)*\n3.1.C **Document** Task 3.1 production deployment\n"),
            "{fixed}"
        );
    }

    #[test]
    fn shifted_letters_keep_the_verbs() {
        // A Verify task lettered A with a Document task lettered B: the letters move, the
        // user's verbs stay (rewriting A's verb to Validate would lose the Verify task).
        let text =
            group("3.2.A **Verify** Task 3.2\n3.2.B **Document** Task 3.2 production deployment\n");
        let action = fix_on(&text, Code::CheckTaskWording, 9, "Rename");
        assert_eq!(
            action.title,
            "Rename 3.2.A to 3.2.B, 3.2.B to 3.2.C to match their verbs"
        );
        let after = apply_checked(&text, &action);
        assert!(
            after.ends_with(
                "3.2.B **Verify** Task 3.2\n3.2.C **Document** Task 3.2 production deployment\n"
            ),
            "{after}"
        );
    }

    #[test]
    fn rewrites_to_the_stage_wording_keeping_what_follows() {
        let text = group("3.2.A Validate production readiness of Task 3.2\n3.2.B Verify Task 3.2\n3.2.C **Document** Task 3.2 integration results *(in task_outcomes.md)*\n");
        let action = fix_on(&text, Code::CheckTaskWording, 11, "Rewrite");
        assert_eq!(
            action.title,
            "Rewrite 3.2.C as \"**Document** Task 3.2 production deployment *(in task_outcomes.md)*\""
        );
        assert!(action.preferred);
        let after = apply_checked(&text, &action);
        assert!(
            after.ends_with(
                "3.2.C **Document** Task 3.2 production deployment *(in task_outcomes.md)*\n"
            ),
            "{after}"
        );
        assert_no_wording_findings(&after);
    }

    #[test]
    fn names_the_right_task_and_fixes_the_letter() {
        let text = group("3.2.A Validate production readiness of Task 3.2\n3.2.B Verify Task 3.1\n3.2.D Document Task 3.2 production deployment\n");
        let action = fix_on(&text, Code::CheckTaskWording, 10, "Rewrite");
        let after = apply_checked(&text, &action);
        assert!(after.contains("3.2.B Verify Task 3.2\n"), "{after}");
        let action = fix_on(&text, Code::CheckTaskWording, 11, "Rename");
        assert_eq!(action.title, "Rename 3.2.D to 3.2.C to match its verb");
        let after = apply_checked(&text, &action);
        assert!(
            after.contains("3.2.C Document Task 3.2 production deployment\n"),
            "{after}"
        );
    }

    #[test]
    fn moves_check_tasks_written_before_a_task() {
        let text = group("3.2.A Validate production readiness of Task 3.2\n  3.2.2 Add metrics\n3.2.B Verify Task 3.2\n3.2.C Document Task 3.2 production deployment\n");
        let action = fix_on(&text, Code::CheckTaskWording, 9, "Move");
        assert_eq!(
            action.title,
            "Move 3.2.A after 3.2.2, the last task of Phase 3.2"
        );
        let after = apply_checked(&text, &action);
        assert_eq!(after, group("  3.2.2 Add metrics\n3.2.A Validate production readiness of Task 3.2\n3.2.B Verify Task 3.2\n3.2.C Document Task 3.2 production deployment\n"));
    }
}
