//! `source.fixAll.wbs-lsp`: every safe fix at once: numbering and duplicates (renumbering
//! their groups), check-task wording and order, missing notes, missing check tasks. Not
//! splits and not unknown references, which need a person's judgement.
//!
//! The fixes are applied in passes on the text (one kind of fix per pass, IDs first, so
//! later fixes see the final numbers), each pass re-analysed, until nothing more is
//! fixed; the result is then given as line edits of the original text (a line diff), so
//! edits never overlap, and applying fix-all again finds nothing to do.

use ropey::Rope;

use super::{notes, offset, renumber, wording, Action, ActionKind, Doc, Edit, Pos};
use crate::document::{Document, TextEdit};
use crate::model::{Profile, TaskTree};
use crate::rules::{self, Code, Finding, RuleSettings};

/// The codes fix-all fixes (where it can).
pub const SAFE: &[Code] = &[
    Code::Numbering,
    Code::DuplicateId,
    Code::CheckTaskWording,
    Code::MissingDependencies,
    Code::MissingStageGate,
    Code::MissingCheckTasks,
];

const MAX_PASSES: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Renumber,
    Rewrite,
    Move,
    Notes,
    CheckTasks,
}

const KINDS: [Kind; 5] = [
    Kind::Renumber,
    Kind::Rewrite,
    Kind::Move,
    Kind::Notes,
    Kind::CheckTasks,
];

impl Kind {
    /// The findings whose number a pass of this kind must lower.
    fn counts(self, f: &Finding) -> bool {
        match self {
            Kind::Renumber => matches!(f.code, Code::Numbering | Code::DuplicateId),
            Kind::Rewrite => f.code == Code::CheckTaskWording,
            Kind::Move => {
                f.code == Code::CheckTaskWording && f.message.contains("is written after it")
            }
            Kind::Notes => matches!(f.code, Code::MissingDependencies | Code::MissingStageGate),
            Kind::CheckTasks => f.code == Code::MissingCheckTasks,
        }
    }

    /// Groups of edits, each group one fix (groups may be dropped when they overlap).
    fn edits(self, doc: &Doc) -> Vec<Vec<Edit>> {
        match self {
            Kind::Renumber => {
                let mut r = renumber::Renumbering::default();
                let mut groups = Vec::new();
                for f in doc.findings_with(&[Code::Numbering, Code::DuplicateId]) {
                    if let Some(i) = renumber::fixable(doc, f) {
                        let g = doc.sparent[i];
                        if !groups.contains(&g) {
                            groups.push(g);
                            renumber::group_renumbering(doc, g, &mut r);
                        }
                    }
                }
                vec![renumber::edits(doc, &r)]
            }
            Kind::Rewrite => wording::all_rewrites(doc)
                .into_iter()
                .map(|(e, _)| e)
                .collect(),
            Kind::Move => wording::all_moves(doc)
                .into_iter()
                .map(|(e, _)| e)
                .collect(),
            Kind::Notes => notes::all_edits(doc).into_iter().map(|(e, _)| e).collect(),
            Kind::CheckTasks => vec![super::check_tasks::all_edits(doc).0],
        }
    }
}

/// Keeps the groups whose edits overlap no edit of an earlier kept group.
fn non_overlapping(rope: &Rope, groups: Vec<Vec<Edit>>) -> Vec<Edit> {
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    for group in groups {
        let ranges: Vec<(usize, usize)> = group
            .iter()
            .map(|e| (offset(rope, e.start), offset(rope, e.end)))
            .collect();
        let clash = ranges.iter().any(|&(s, e)| {
            taken
                .iter()
                .any(|&(ts, te)| (s < te && ts < e) || (s == ts && (s == e || ts == te)))
        });
        if !clash {
            taken.extend(ranges);
            out.extend(group);
        }
    }
    out
}

/// The text after every safe fix.
///
/// Each pass applies one kind of fix to the document incrementally (only the chunks an
/// edit touches are parsed again) and keeps it only if it lowered the number of the
/// findings that kind fixes; a kind that makes no progress is not tried again.
pub fn fixed_text(text: &str, profile: Profile, settings: &RuleSettings) -> String {
    let mut current = Document::new(text, 0);
    let mut exhausted: Vec<Kind> = Vec::new();
    for _ in 0..MAX_PASSES {
        // The next kind with something to do: its edits as byte ranges, and how many
        // findings it should lower.
        let plan = {
            let tree = TaskTree::from_lines(current.line_items(), Some(profile));
            let findings = rules::check(&tree, settings);
            let doc = Doc::new(&tree, &findings, current.rope());
            let mut plan = None;
            for kind in KINDS {
                if exhausted.contains(&kind) {
                    continue;
                }
                let before = findings.iter().filter(|f| kind.counts(f)).count();
                if before == 0 {
                    continue;
                }
                let edits = non_overlapping(doc.rope, kind.edits(&doc));
                if edits.is_empty() {
                    exhausted.push(kind);
                    continue;
                }
                let mut ranges: Vec<(usize, usize, usize, String)> = edits
                    .into_iter()
                    .enumerate()
                    .map(|(i, e)| {
                        (
                            offset(doc.rope, e.start),
                            offset(doc.rope, e.end),
                            i,
                            e.new_text,
                        )
                    })
                    .collect();
                // From the end, so earlier offsets stay valid; inserts at one place in
                // reverse so they end up in their order.
                ranges.sort_by_key(|&(s, e, i, _)| std::cmp::Reverse((s, e, i)));
                plan = Some((kind, ranges, before));
                break;
            }
            plan
        };
        let Some((kind, ranges, before)) = plan else {
            break;
        };
        let saved = current.text();
        for (start, end, _, text) in ranges {
            current.apply(&TextEdit {
                range: Some(start..end),
                text,
            });
        }
        let tree = TaskTree::from_lines(current.line_items(), Some(profile));
        let after = rules::check(&tree, settings)
            .iter()
            .filter(|f| kind.counts(f))
            .count();
        drop(tree);
        if after >= before {
            exhausted.push(kind);
            current = Document::new(&saved, 0);
        }
    }
    current.text()
}

/// The fix-all action, or `None` when there is nothing to fix.
pub fn fix_all(
    tree: &TaskTree,
    findings: &[Finding],
    rope: &Rope,
    settings: &RuleSettings,
) -> Option<Action> {
    if !findings.iter().any(|f| SAFE.contains(&f.code)) {
        return None;
    }
    let original = rope.to_string();
    let fixed = fixed_text(&original, tree.profile, settings);
    if fixed == original {
        return None;
    }
    let edits = diff(rope, &fixed);
    let after = Document::new(&fixed, 0);
    let after_tree = TaskTree::from_lines(after.line_items(), Some(tree.profile));
    let remaining = rules::check(&after_tree, settings);
    let fixes: Vec<Finding> = findings
        .iter()
        .filter(|f| SAFE.contains(&f.code))
        .filter(|f| {
            !remaining
                .iter()
                .any(|r| r.code == f.code && r.message == f.message)
        })
        .cloned()
        .collect();
    Some(Action {
        title: format!(
            "Fix all safe problems ({} diagnostic{}: numbering, check tasks, notes, wording)",
            fixes.len(),
            if fixes.len() == 1 { "" } else { "s" }
        ),
        kind: ActionKind::SourceFixAll,
        edits,
        fixes,
        preferred: false,
    })
}

/// Line edits that turn the text of `rope` into `new`.
pub fn diff(rope: &Rope, new: &str) -> Vec<Edit> {
    let old_lines: Vec<String> = rope.lines().map(|l| l.to_string()).collect();
    let new_rope = Rope::from_str(new);
    let new_lines: Vec<String> = new_rope.lines().map(|l| l.to_string()).collect();
    let a: Vec<&str> = old_lines.iter().map(String::as_str).collect();
    let b: Vec<&str> = new_lines.iter().map(String::as_str).collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let hunks = myers(a_mid, b_mid, 4000).unwrap_or_else(|| vec![(0, a_mid.len(), 0, b_mid.len())]);
    hunks
        .into_iter()
        .map(|(a0, a1, b0, b1)| Edit {
            start: Pos::new(prefix + a0, 0),
            end: Pos::new(prefix + a1, 0),
            new_text: b_mid[b0..b1].concat(),
        })
        .collect()
}

/// Myers' diff: the hunks `(a_start, a_end, b_start, b_end)` that turn `a` into `b`, or
/// `None` beyond `max_d` differences.
fn myers(a: &[&str], b: &[&str], max_d: usize) -> Option<Vec<(usize, usize, usize, usize)>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let off = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut end = None;
    'outer: for d in 0..=(max.min(max_d) as isize) {
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
        let mut k = -d;
        while k <= d {
            let idx = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                end = Some(d);
                break 'outer;
            }
            k += 2;
        }
    }
    let d_end = end?;
    // Walk back: each step one insertion or deletion, then the diagonal before it.
    let (mut x, mut y) = (n, m);
    let mut ops: Vec<(bool, usize)> = Vec::new(); // (is_insert, index in b or a)
    for d in (1..=d_end).rev() {
        let prev = &trace[d as usize];
        let at = |k: isize| prev[(k + d) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
        }
        if prev_k == k + 1 {
            ops.push((true, prev_y as usize));
        } else {
            ops.push((false, prev_x as usize));
        }
        x = prev_x;
        y = prev_y;
    }
    ops.reverse();
    // Group into hunks: walk both sequences in step.
    let mut hunks: Vec<(usize, usize, usize, usize)> = Vec::new();
    let (mut ai, mut bi) = (0usize, 0usize);
    let mut current: Option<(usize, usize, usize, usize)> = None;
    for (insert, index) in ops {
        // Advance over equal lines up to the op.
        let target_gap = if insert { index - bi } else { index - ai };
        if target_gap > 0 {
            if let Some(h) = current.take() {
                hunks.push(h);
            }
            ai += target_gap;
            bi += target_gap;
        }
        let h = current.get_or_insert((ai, ai, bi, bi));
        if insert {
            bi += 1;
            h.3 = bi;
        } else {
            ai += 1;
            h.1 = ai;
        }
    }
    hunks.extend(current);
    Some(hunks)
}

#[cfg(test)]
mod tests {
    use super::super::apply;
    use super::super::testing::*;
    use super::*;

    fn check_diff(old: &str, new: &str) {
        let rope = Rope::from_str(old);
        let edits = diff(&rope, new);
        assert_eq!(apply(old, &edits), new, "{edits:?}");
    }

    #[test]
    fn line_diffs() {
        check_diff("a\nb\nc\n", "a\nx\nb\nc\ny\n");
        check_diff("a\nb\nc\n", "c\n");
        check_diff("a\nb\nc", "a\nB\nc");
        check_diff("a\r\nb\r\n", "a\r\nz\r\nb\r\n");
        check_diff("", "x\n");
        check_diff("x\ny", "");
        check_diff("1\n2\n3\n4\n5\n6\n", "0\n2\n3\n3.5\n4\n6\n7\n");
        let rope = Rope::from_str("a\nb\nc\n");
        assert_eq!(
            diff(&rope, "a\nx\nb\nc\n"),
            [Edit::insert(Pos::new(1, 0), "x\n")]
        );
    }

    fn fix_all_text(text: &str) -> Option<String> {
        with_doc(text, |doc| {
            fix_all(doc.tree, doc.findings, doc.rope, &RuleSettings::default())
                .map(|a| apply(text, &a.edits))
        })
    }

    #[test]
    fn fixes_everything_safe_and_is_idempotent() {
        let text = "\
Phase 1: Build
1.1 Setup (Dependencies: None | Stage Gate: ok)
  1.1.1 Configure the tools
  1.1.3 Add the settings loader (Dependencies: 1.1.4)
  1.1.4 Write the tests
1.2 Ship (Dependencies: 1.1.3)
  1.2.1 Tag the release
  1.2.B Verify Task 1.1
1.3 Deploy (Dependencies: 1.7)
  1.3.1 Push the image
";
        let fixed = fix_all_text(text).unwrap();
        assert_eq!(
            fixed,
            "\
Phase 1: Build (Dependencies: None | Stage Gate: TODO: what must hold before moving on)
1.1 Setup (Dependencies: None | Stage Gate: ok)
  1.1.1 Configure the tools
  1.1.2 Add the settings loader (Dependencies: 1.1.3)
  1.1.3 Write the tests
  1.1.A Validate Task 1.1
  1.1.B Verify Task 1.1
  1.1.C Document Task 1.1
1.2 Ship (Dependencies: 1.1.2 | Stage Gate: TODO: what must hold before moving on)
  1.2.1 Tag the release
  1.2.A Validate Task 1.2
  1.2.B Verify Task 1.2
  1.2.C Document Task 1.2
1.3 Deploy (Dependencies: 1.7 | Stage Gate: TODO: what must hold before moving on)
  1.3.1 Push the image
  1.3.A Validate Task 1.3
  1.3.B Verify Task 1.3
  1.3.C Document Task 1.3
"
        );
        let left: Vec<Code> = findings_of(&fixed).iter().map(|f| f.code).collect();
        assert_eq!(left, [Code::UnknownDependency]);
        assert_eq!(fix_all_text(&fixed), None);
    }
}

#[cfg(test)]
mod examples {
    use super::super::apply;
    use super::super::testing::{brief, findings_of};
    use super::*;

    /// Fix-all on the examples leaves only what needs a person (a split, an unknown
    /// reference, a later-stage dependency), and a second run changes nothing.
    #[test]
    fn examples_round_trip() {
        for (name, left) in [
            (
                "tasks_list.md",
                vec!["34:2 non-atomic", "86:47 unknown-dependency"],
            ),
            ("nested_list.md", vec!["33:23 later-stage-dependency"]),
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../examples")
                .join(name);
            let text = std::fs::read_to_string(path).unwrap();
            let fixed = fixed_text(&text, Profile::ThreeStage, &RuleSettings::default());
            let rope = Rope::from_str(&text);
            assert_eq!(apply(&text, &diff(&rope, &fixed)), fixed);
            assert_eq!(brief(&findings_of(&fixed)), left, "{name}");
            assert_eq!(
                fixed_text(&fixed, Profile::ThreeStage, &RuleSettings::default()),
                fixed
            );
            // The same with CRLF line endings: the same fixes, CRLF lines.
            let crlf = text.replace('\n', "\r\n");
            let fixed_crlf = fixed_text(&crlf, Profile::ThreeStage, &RuleSettings::default());
            assert_eq!(fixed_crlf, fixed.replace('\n', "\r\n"), "{name}");
            let rope = Rope::from_str(&crlf);
            assert_eq!(apply(&crlf, &diff(&rope, &fixed_crlf)), fixed_crlf);
        }
    }
}
