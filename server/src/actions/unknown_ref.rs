//! `unknown-dependency`: replace the reference with the closest existing ID, or remove it.
//! Removing is also offered for the references of `dependency-cycle` and
//! `later-stage-dependency` findings.
//!
//! Closest: edit distance between the ID strings, then the longest shared prefix of
//! segments, then the same stage; never a candidate that would make a cycle or a
//! later-stage dependency, nor one the note already lists.

use super::notes::value_end;
use super::{shorten, Action, Doc, Edit};
use crate::model::id::TaskId;
use crate::model::line::{Note, Reference};
use crate::rules::Finding;

/// How many replacement candidates to offer.
const CANDIDATES: usize = 3;

fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut prev = row[0];
        row[0] = i;
        for j in 1..=b.len() {
            let cur = row[j];
            row[j] = (row[j] + 1)
                .min(row[j - 1] + 1)
                .min(prev + usize::from(a[i - 1] != b[j - 1]));
            prev = cur;
        }
    }
    row[b.len()]
}

fn shared_prefix(a: &TaskId, b: &TaskId) -> usize {
    a.nums()
        .iter()
        .zip(b.nums())
        .take_while(|(x, y)| x == y)
        .count()
}

/// For each node, whether the owner may depend on it without a cycle or a later-stage
/// dependency: not the owner, its ancestors or descendants, nor any node that reaches
/// one of them through written references (one backward walk over all references).
fn allowed(doc: &Doc, owner: usize) -> Vec<bool> {
    let tree = doc.tree;
    let n = tree.nodes.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in tree.nodes.iter().enumerate() {
        for (_, r) in node.references() {
            if let Some(t) = tree.resolve(&r.id) {
                dependents[t].push(i);
            }
        }
    }
    let owner_id = &tree.nodes[owner].id;
    let mut blocked = vec![false; n];
    let mut stack: Vec<usize> = (0..n)
        .filter(|&i| {
            let id = &tree.nodes[i].id;
            i == owner || id.is_ancestor_of(owner_id) || owner_id.is_ancestor_of(id)
        })
        .collect();
    while let Some(i) = stack.pop() {
        if blocked[i] {
            continue;
        }
        blocked[i] = true;
        stack.extend(dependents[i].iter().copied().filter(|&d| !blocked[d]));
    }
    (0..n)
        .map(|c| {
            let node = &tree.nodes[c];
            !blocked[c]
                && node.written.is_some()
                && tree.resolve(&node.id) == Some(c)
                && !(tree.three_stage() && node.id.stage() > owner_id.stage())
        })
        .collect()
}

/// The ID part of a reference's span (after its keyword).
fn id_start(text: &str, reference: &Reference) -> usize {
    let (s, e) = (reference.span.start as usize, reference.span.end as usize);
    text[s..e]
        .find(|c: char| c.is_ascii_digit())
        .map_or(s, |p| s + p)
}

/// The quick fixes of an `unknown-dependency` finding.
pub fn fixes(doc: &Doc, finding: &Finding) -> Vec<Action> {
    let Some((owner, note, reference)) = doc.reference_at(finding.location) else {
        return Vec::new();
    };
    let tree = doc.tree;
    let listed: Vec<&TaskId> = note.refs.iter().map(|r| &r.id).collect();
    let wanted = reference.id.to_string();
    let allowed = allowed(doc, owner);
    let line = finding.location.line;
    let text = doc.line(line);
    let start = id_start(&text, reference);
    // A reference written with a keyword (`Stage 4`, `Task 1.7`) keeps it, so only IDs of
    // its level fit (`Stage 1.1` would be nonsense).
    let has_keyword = start > reference.span.start as usize;
    let mut candidates: Vec<(usize, usize, bool, usize, usize)> = (0..tree.nodes.len())
        .filter(|&c| {
            let id = &tree.nodes[c].id;
            allowed[c]
                && !listed.contains(&id)
                && id.letter().is_some() == reference.id.letter().is_some()
                && (!has_keyword || id.level() == reference.id.level())
        })
        .map(|c| {
            let id = &tree.nodes[c].id;
            (
                distance(&wanted, &id.to_string()),
                usize::MAX - shared_prefix(&reference.id, id),
                id.stage() != reference.id.stage(),
                id.level().abs_diff(reference.id.level()),
                c,
            )
        })
        .collect();
    candidates.sort_unstable();
    let mut out: Vec<Action> = candidates
        .iter()
        .take(CANDIDATES)
        .map(|&(.., c)| {
            let id = &tree.nodes[c].id;
            let edit = Edit::replace(line, start as u32, reference.span.end, id.to_string());
            let title = match tree.nodes[c].title() {
                "" => format!("Replace {} with {id}", reference.id),
                t => format!("Replace {} with {id} ({})", reference.id, shorten(t, 40)),
            };
            Action::quick_fix(title, vec![edit], vec![finding.clone()])
        })
        .collect();
    out.extend(remove_fix(doc, finding));
    out
}

/// "Remove reference X": the reference and its separator go; an emptied value becomes
/// `None`.
pub fn remove_fix(doc: &Doc, finding: &Finding) -> Option<Action> {
    let (_, note, reference) = doc.reference_at(finding.location)?;
    let edit = remove_edit(doc, finding.location.line, note, reference);
    Some(Action::quick_fix(
        format!("Remove reference {}", reference.id),
        vec![edit],
        vec![finding.clone()],
    ))
}

/// The edit that removes `reference` from `note` on line `line`.
pub fn remove_edit(doc: &Doc, line: usize, note: &Note, reference: &Reference) -> Edit {
    let text = doc.line(line);
    let b = text.as_bytes();
    let vs = note.value_span.start as usize;
    let ve = value_end(&text, note);
    let (rs, re) = (reference.span.start as usize, reference.span.end as usize);

    // Separators: a comma, or the word `and`, between the items of the list.
    let left_sep = |from: usize, to: usize| -> Option<(usize, usize)> {
        let part = &text[from..to];
        let comma = part.rfind(',').map(|p| (from + p, from + p + 1));
        let and = part
            .to_ascii_lowercase()
            .rfind(" and ")
            .map(|p| (from + p, from + p + 4));
        match (comma, and) {
            (Some(c), Some(a)) => Some(if c.0 > a.0 { c } else { a }),
            (c, a) => c.or(a),
        }
    };
    let right_sep = |from: usize, to: usize| -> Option<(usize, usize)> {
        let part = &text[from..to];
        let comma = part.find(',').map(|p| (from + p, from + p + 1));
        let and = part
            .to_ascii_lowercase()
            .find(" and ")
            .map(|p| (from + p, from + p + 5));
        match (comma, and) {
            (Some(c), Some(a)) => Some(if c.0 < a.0 { c } else { a }),
            (c, a) => c.or(a),
        }
    };
    let bracket_open = text[vs..rs].rfind('[').map(|p| vs + p + 1);
    let bracket_close = text[re..ve].find(']').map(|p| re + p);
    let lo = bracket_open.unwrap_or(vs);
    let hi = bracket_close.unwrap_or(ve);
    let left = left_sep(lo, rs);
    let right = right_sep(re, hi);
    let item_start = left.map_or(lo, |(_, e)| e);
    let item_end = right.map_or(hi, |(s, _)| s);
    let others = note.refs.iter().any(|r| {
        r.span != reference.span
            && (r.span.start as usize) >= item_start
            && (r.span.end as usize) <= item_end
    });
    let skip_ws = |mut p: usize| {
        while p < b.len() && matches!(b[p], b' ' | b'\t') {
            p += 1;
        }
        p
    };
    if others {
        // `1.1 1.7`: only the token and the spaces before it (or after, at the start).
        let mut s = rs;
        while s > item_start && matches!(b[s - 1], b' ' | b'\t') {
            s -= 1;
        }
        return if s < rs {
            Edit::replace(line, s as u32, re as u32, "")
        } else {
            Edit::replace(line, rs as u32, skip_ws(re) as u32, "")
        };
    }
    match (left, right) {
        (Some((ls, _)), _) => {
            let mut s = ls;
            while s > lo && matches!(b[s - 1], b' ' | b'\t') {
                s -= 1;
            }
            Edit::replace(line, s as u32, item_end.min(hi) as u32, "").trimmed_end(&text, item_end)
        }
        (None, Some((_, e))) => Edit::replace(line, item_start as u32, skip_ws(e) as u32, ""),
        (None, None) => Edit::replace(line, vs as u32, ve as u32, "None"),
    }
}

impl Edit {
    /// Keeps white space that ends an item (`1.1, 1.7 ]` keeps the space before `]`).
    fn trimmed_end(mut self, text: &str, item_end: usize) -> Edit {
        let trimmed = text[..item_end].trim_end_matches([' ', '\t']).len();
        if trimmed as u32 > self.start.col {
            self.end.col = trimmed as u32;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::apply;
    use super::super::testing::*;
    use super::*;
    use crate::rules::Code;

    const PLAN: &str = "\
Phase 1: Build (Dependencies: None | Stage Gate: ok)
1.1 Implement login endpoint
1.2 Add the health route
1.A Validate Task 1
1.B Verify Task 1
1.C Document Task 1
Phase 2: Ship (Dependencies: DEPS | Stage Gate: ok)
2.1 Tag the release
2.A Validate Task 2
2.B Verify Task 2
2.C Document Task 2
";

    fn plan(deps: &str) -> String {
        PLAN.replace("DEPS", deps)
    }

    fn removed(deps: &str) -> String {
        let text = plan(deps);
        let action = fix_on(&text, Code::UnknownDependency, 7, "Remove");
        assert_eq!(action.title, "Remove reference 1.7");
        let after = apply_checked(&text, &action);
        after.lines().nth(6).unwrap().to_string()
    }

    #[test]
    fn replaces_with_the_closest_id() {
        let text = plan("1.7");
        assert_eq!(
            fix_titles(&text),
            [
                "Replace 1.7 with 1.1 (Implement login endpoint)",
                "Replace 1.7 with 1.2 (Add the health route)",
                "Replace 1.7 with 1 (Build)",
                "Remove reference 1.7"
            ]
        );
        let action = fix_on(&text, Code::UnknownDependency, 7, "with 1.1");
        let after = apply(&text, &action.edits);
        assert!(after.contains("Phase 2: Ship (Dependencies: 1.1 | Stage Gate: ok)"));
        // The keyword stays.
        let text = plan("Task 1.7");
        let action = fix_on(&text, Code::UnknownDependency, 7, "with 1.1");
        let after = apply_checked(&text, &action);
        assert!(after.contains("(Dependencies: Task 1.1 |"), "{after}");
        // With a keyword, only IDs of the reference's level are offered.
        assert_eq!(
            fix_titles(&plan("Phase 4 complete")),
            ["Replace 4 with 1 (Build)", "Remove reference 4"]
        );
    }

    /// The titles of the fixes of the document's first `unknown-dependency`.
    fn fix_titles(text: &str) -> Vec<String> {
        with_doc(text, |doc| {
            let f = doc
                .findings_with(&[Code::UnknownDependency])
                .next()
                .expect("an unknown-dependency finding");
            fixes(doc, f).iter().map(|a| a.title.clone()).collect()
        })
    }

    #[test]
    fn removes_with_its_separator() {
        assert_eq!(
            removed("1.1, 1.7"),
            "Phase 2: Ship (Dependencies: 1.1 | Stage Gate: ok)"
        );
        assert_eq!(
            removed("1.7, 1.1"),
            "Phase 2: Ship (Dependencies: 1.1 | Stage Gate: ok)"
        );
        assert_eq!(
            removed("1.1 and 1.7"),
            "Phase 2: Ship (Dependencies: 1.1 | Stage Gate: ok)"
        );
        assert_eq!(
            removed("1.7 and 1.2"),
            "Phase 2: Ship (Dependencies: 1.2 | Stage Gate: ok)"
        );
        assert_eq!(
            removed("[1.1, 1.7]"),
            "Phase 2: Ship (Dependencies: [1.1] | Stage Gate: ok)"
        );
        assert_eq!(
            removed("[1.7, 1.2]"),
            "Phase 2: Ship (Dependencies: [1.2] | Stage Gate: ok)"
        );
        assert_eq!(
            removed("1.1, 1.7, 1.2"),
            "Phase 2: Ship (Dependencies: 1.1, 1.2 | Stage Gate: ok)"
        );
        assert_eq!(
            removed("1.7"),
            "Phase 2: Ship (Dependencies: None | Stage Gate: ok)"
        );
        assert_eq!(
            removed("[1.7]"),
            "Phase 2: Ship (Dependencies: None | Stage Gate: ok)"
        );
        assert_eq!(
            removed("Task 1.7 complete"),
            "Phase 2: Ship (Dependencies: None | Stage Gate: ok)"
        );
        assert_eq!(
            removed("1.1 1.7"),
            "Phase 2: Ship (Dependencies: 1.1 | Stage Gate: ok)"
        );
    }
}
