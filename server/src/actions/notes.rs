//! `missing-dependencies` / `missing-stage-gate`: add the note where the node's siblings
//! keep theirs: on the node's line in parentheses, on a paragraph line after it, or as a
//! sub-bullet. A node that already has its other note gets the new one beside it.
//!
//! Values: for Dependencies the previous sibling's ID (when that makes no cycle and no
//! later-stage dependency), else `None`; for a Stage Gate the seed's gate wording of the
//! stage (three-stage plans, on a stage), else a `TODO:` placeholder the title asks the
//! user to fill.

use rustc_hash::FxHashSet;

use super::{insert_lines_after, insert_lines_before, name, shorten, Action, Doc, Edit};
use crate::model::line::{Keyword, Note, NoteKey};
use crate::rules::{Code, Finding};

pub const PLACEHOLDER: &str = "TODO: what must hold before moving on";

/// The seed's Stage Gate of each stage of the three-stage framework.
pub fn seed_gate(stage: u32) -> Option<&'static str> {
    match stage {
        1 => Some("Core functionality proven with seed data and passing unit tests"),
        2 => Some("Backend stable with live integrations"),
        3 => Some("Production deployment validated"),
        _ => None,
    }
}

fn key_text(key: NoteKey) -> &'static str {
    match key {
        NoteKey::Dependencies => "Dependencies",
        NoteKey::StageGate => "Stage Gate",
    }
}

/// How the document spells `key` (`Depends on`, `Gate`), read from the node nearest to `i`
/// that has such a note; else the contract's own name.
fn spelled(doc: &Doc, i: usize, key: NoteKey) -> String {
    let tree = doc.tree;
    nearest_with_notes(doc, i, |s| tree.nodes[s].notes_with(key).next().is_some())
        .and_then(|s| tree.nodes[s].notes_with(key).next())
        .map(|&(l, note)| {
            let text = doc.line(l);
            text[note.key_span.start as usize..note.key_span.end as usize].to_string()
        })
        .filter(|spelling| !spelling.is_empty())
        .unwrap_or_else(|| key_text(key).to_string())
}

/// What separates two notes written on one line in the document (`|` or `;`), read from
/// the node nearest to `i` that has two; else ` | `.
fn separator(doc: &Doc, i: usize) -> &'static str {
    let tree = doc.tree;
    let two_on_a_line = |s: usize| {
        let notes = &tree.nodes[s].notes;
        notes
            .windows(2)
            .find(|w| w[0].0 == w[1].0 && w[0].1.is_present())
            .map(|w| (w[0].0, w[0].1, w[1].1))
    };
    nearest_with_notes(doc, i, |s| two_on_a_line(s).is_some())
        .and_then(two_on_a_line)
        .map_or(" | ", |(l, first, second)| {
            let text = doc.line(l);
            let between = &text[value_end(&text, first)..key_start(&text, second)];
            if between.contains(';') && !between.contains('|') {
                "; "
            } else {
                " | "
            }
        })
}

fn key_of(code: Code) -> Option<NoteKey> {
    match code {
        Code::MissingDependencies => Some(NoteKey::Dependencies),
        Code::MissingStageGate => Some(NoteKey::StageGate),
        _ => None,
    }
}

/// The value a new note of `key` on node `i` gets, and whether it is a placeholder.
pub fn value_for(doc: &Doc, i: usize, key: NoteKey) -> (String, bool) {
    match key {
        NoteKey::Dependencies => (dependencies_value(doc, i), false),
        NoteKey::StageGate => {
            let node = &doc.tree.nodes[i];
            match seed_gate(node.id.stage()) {
                Some(gate) if doc.tree.three_stage() && node.level() == 1 => {
                    (gate.to_string(), false)
                }
                _ => (PLACEHOLDER.to_string(), true),
            }
        }
    }
}

/// The previous sibling's ID, or `None`.
fn dependencies_value(doc: &Doc, i: usize) -> String {
    let tree = doc.tree;
    let node = &tree.nodes[i];
    let siblings = match doc.sparent[i] {
        Some(p) => &doc.schildren[p],
        None => &doc.sroots,
    };
    let previous = siblings
        .iter()
        .copied()
        .take_while(|&s| s != i)
        .filter(|&s| {
            let n = &tree.nodes[s];
            n.written.is_some()
                && n.id.letter().is_none()
                && !tree.is_check_task(s)
                && tree.resolve(&n.id) == Some(s)
        })
        .last();
    let Some(p) = previous else {
        return "None".into();
    };
    let prev = &tree.nodes[p];
    if tree.three_stage() && prev.id.stage() > node.id.stage() {
        return "None".into();
    }
    // The new edge i -> p must not close a cycle: nothing reachable from p may be i, its
    // ancestors or its descendants.
    let mut forbidden: FxHashSet<usize> = doc.descendants(i).into_iter().collect();
    forbidden.insert(i);
    forbidden.extend(tree.ancestors(i));
    let mut seen = FxHashSet::default();
    let mut stack = vec![p];
    while let Some(n) = stack.pop() {
        if forbidden.contains(&n) {
            return "None".into();
        }
        if !seen.insert(n) {
            continue;
        }
        for (_, r) in tree.nodes[n].references() {
            if let Some(t) = tree.resolve(&r.id) {
                stack.push(t);
            }
        }
    }
    match prev.keyword() {
        Some(Keyword::Stage) if prev.level() == 1 => format!("Stage {} complete", prev.id),
        Some(k) if prev.level() == 1 => format!("{} {}", k.as_str(), prev.id),
        _ => prev.id.to_string(),
    }
}

/// Where a present note's value ends on its line (before `|`, `;`, the closing `)` or
/// `-->`, without trailing white space).
pub(super) fn value_end(text: &str, note: &Note) -> usize {
    let b = text.as_bytes();
    let mut depth = 0i32;
    let mut i = note.value_span.start as usize;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' if depth == 0 => break,
            b')' => depth -= 1,
            b'|' | b';' if depth == 0 => break,
            b'-' if text[i..].starts_with("-->") => break,
            _ => {}
        }
        i += 1;
    }
    // Not `value_span.end`: on a parenthesised notes line the parsed value can run to the
    // line's end, closing parenthesis included.
    note.value_span.start as usize + text[note.value_span.start as usize..i].trim_end().len()
}

/// The start of a key with the emphasis right before it (`**Stage Gate:**`).
fn key_start(text: &str, note: &Note) -> usize {
    let b = text.as_bytes();
    let mut s = note.key_span.start as usize;
    while s > 0 && matches!(b[s - 1], b'*' | b'_') {
        s -= 1;
    }
    s
}

fn indentation(text: &str) -> usize {
    text.len() - text.trim_start_matches([' ', '\t']).len()
}

/// The width of leading white space, a tab reaching the next multiple of 4 (CommonMark).
fn columns(whitespace: &str) -> usize {
    whitespace.chars().fold(0, |col, c| {
        if c == '\t' {
            col + 4 - col % 4
        } else {
            col + 1
        }
    })
}

/// Whether a note line keeps its notes inline: on a node line, in parentheses, or
/// several on one line.
fn inline_line(doc: &Doc, owner: usize, line: usize, note: &Note) -> bool {
    let node = &doc.tree.nodes[owner];
    if line == node.line {
        return true;
    }
    let text = doc.line(line);
    let start = super::note_region_start(&text, note.key_span.start as usize);
    text.as_bytes().get(start) == Some(&b'(')
        || node.notes.iter().filter(|(l, _)| *l == line).count() > 1
}

/// A new note line written like `note` (of node `owner`, on `line`) for node `i`.
fn line_like(
    doc: &Doc,
    owner: usize,
    line: usize,
    note: &Note,
    i: usize,
    notes: &[(NoteKey, String)],
) -> Vec<String> {
    let text = doc.line(line);
    let owner_text = doc.line(doc.tree.nodes[owner].line);
    let node_text = doc.line(doc.tree.nodes[i].line);
    // Indentation is copied, tabs included: the note sits as far inside node `i` as
    // `note` sits inside its owner. Spaces for a tab would end a tab-indented list and
    // turn what follows into code.
    let leading = |t: &str| t[..indentation(t)].to_string();
    let heading_or = |t: &str| {
        if t.trim_start().starts_with('#') {
            String::new()
        } else {
            leading(t)
        }
    };
    let (owner_ws, note_ws) = (heading_or(&owner_text), leading(&text));
    let relative = match note_ws.strip_prefix(owner_ws.as_str()) {
        Some(rest) => rest.to_string(),
        None => " ".repeat(columns(&note_ws).saturating_sub(columns(&owner_ws))),
    };
    let indent = format!("{}{relative}", heading_or(&node_text));
    let ks = key_start(&text, note);
    let prefix = &text[indentation(&text)..ks];
    if inline_line(doc, owner, line, note) {
        // A paragraph of notes: `(Key: value | Key: value)`.
        let body: Vec<String> = notes
            .iter()
            .map(|(k, v)| format!("{}: {v}", spelled(doc, i, *k)))
            .collect();
        return vec![format!("{indent}({})", body.join(separator(doc, i)))];
    }
    let emphasis = &text[ks..note.key_span.start as usize];
    let value_start = (note.value_span.start as usize).max(note.key_span.end as usize);
    let mut sep = text[note.key_span.end as usize..value_start].to_string();
    if !sep.ends_with([' ', '\t']) {
        sep.push(' ');
    }
    notes
        .iter()
        .map(|(k, v)| format!("{indent}{prefix}{emphasis}{}{sep}{v}", spelled(doc, i, *k)))
        .collect()
}

/// The edits that add `notes` to node `i`, or `None` when it cannot be done cleanly.
pub fn add_edits(doc: &Doc, i: usize, notes: &[(NoteKey, String)]) -> Option<Vec<Edit>> {
    let tree = doc.tree;
    let node = &tree.nodes[i];
    node.written?;
    let [(key, value)] = notes else {
        return if node.notes.is_empty() {
            fresh_edits(doc, i, notes)
        } else {
            None
        };
    };
    // An empty note of this key: fill in its value.
    if let Some((l, note)) = node.notes_with(*key).next() {
        let text = doc.line(*l);
        let b = text.as_bytes();
        let pos = note.value_span.start as usize;
        let before = if pos > 0 && matches!(b[pos - 1], b' ' | b'\t') {
            ""
        } else {
            " "
        };
        let after = match b.get(pos) {
            Some(c) if !matches!(c, b' ' | b'\t' | b')') => " ",
            _ => "",
        };
        return Some(vec![Edit::insert(
            super::Pos::new(*l, pos as u32),
            format!("{before}{value}{after}"),
        )]);
    }
    // The node's other note: the new one goes beside it.
    if let Some(&(l, other)) = node
        .notes
        .iter()
        .find(|(_, n)| n.is_present())
        .or(node.notes.first())
    {
        let text = doc.line(l);
        if inline_line(doc, i, l, other) {
            let (spelling, sep) = (spelled(doc, i, *key), separator(doc, i));
            return Some(vec![match key {
                NoteKey::StageGate => Edit::insert(
                    super::Pos::new(l, value_end(&text, other) as u32),
                    format!("{sep}{spelling}: {value}"),
                ),
                NoteKey::Dependencies => Edit::insert(
                    super::Pos::new(l, key_start(&text, other) as u32),
                    format!("{spelling}: {value}{sep}"),
                ),
            }]);
        }
        // Written like a sibling's note of this key on its own line, if there is one.
        let like = nearest_with_notes(doc, i, |s| {
            tree.nodes[s]
                .notes_with(*key)
                .any(|&(sl, n)| !inline_line(doc, s, sl, n))
        })
        .and_then(|s| {
            tree.nodes[s]
                .notes_with(*key)
                .find(|&&(sl, n)| !inline_line(doc, s, sl, n))
                .map(|&(sl, n)| (s, sl, n))
        });
        let lines = match like {
            Some((s, sl, n)) => line_like(doc, s, sl, n, i, notes),
            None => line_like(doc, i, l, other, i, notes),
        };
        return Some(vec![match key {
            NoteKey::StageGate => insert_lines_after(doc.rope, l, &lines),
            NoteKey::Dependencies => insert_lines_before(doc.rope, l, &lines),
        }]);
    }
    fresh_edits(doc, i, notes)
}

/// The written node nearest to `i` that satisfies `wanted`: its previous siblings, then
/// its next ones, then any node of its level, then any node.
fn nearest_with_notes(doc: &Doc, i: usize, wanted: impl Fn(usize) -> bool) -> Option<usize> {
    let tree = doc.tree;
    let node = &tree.nodes[i];
    let siblings = match doc.sparent[i] {
        Some(p) => &doc.schildren[p],
        None => &doc.sroots,
    };
    let ok = |s: usize| s != i && tree.nodes[s].written.is_some() && wanted(s);
    let position = siblings.iter().position(|&s| s == i).unwrap_or(0);
    siblings[..position]
        .iter()
        .rev()
        .copied()
        .find(|&s| ok(s))
        .or_else(|| siblings[position..].iter().copied().find(|&s| ok(s)))
        .or_else(|| {
            nearby(i, tree.nodes.len())
                .filter(|&s| ok(s) && tree.nodes[s].level() == node.level())
                .min_by_key(|&s| s.abs_diff(i))
        })
        .or_else(|| {
            nearby(i, tree.nodes.len())
                .filter(|&s| ok(s))
                .min_by_key(|&s| s.abs_diff(i))
        })
}

/// The nodes around `i` a style is looked for in (bounded, so a fix-all over a long plan
/// without notes stays linear).
fn nearby(i: usize, len: usize) -> std::ops::Range<usize> {
    const REACH: usize = 500;
    i.saturating_sub(REACH)..(i + REACH).min(len)
}

/// Notes for a node that has none: in the style of its siblings.
fn fresh_edits(doc: &Doc, i: usize, notes: &[(NoteKey, String)]) -> Option<Vec<Edit>> {
    let tree = doc.tree;
    let node = &tree.nodes[i];
    let key = notes.first()?.0;
    let nearest = nearest_with_notes(doc, i, |s| !tree.nodes[s].notes.is_empty());
    let node_text = doc.line(node.line);
    let body: Vec<String> = notes
        .iter()
        .map(|(k, v)| format!("{}: {v}", spelled(doc, i, *k)))
        .collect();
    let sep = separator(doc, i);
    let same_line = |doc: &Doc| {
        let text = doc.line(node.line);
        let mut end = text.trim_end().len();
        if node.inactive {
            if let Some(p) = text.find("-->") {
                end = text[..p].trim_end().len();
            }
        }
        vec![Edit::insert(
            super::Pos::new(node.line, end as u32),
            format!(" ({})", body.join(sep)),
        )]
    };
    let Some(s) = nearest else {
        return Some(if node_text.trim_start().starts_with('#') {
            vec![insert_lines_after(
                doc.rope,
                node.line,
                &[format!("({})", body.join(sep))],
            )]
        } else {
            same_line(doc)
        });
    };
    let sib = &tree.nodes[s];
    let &(l, note) = sib
        .notes_with(key)
        .next()
        .or(sib.notes.first())
        .expect("a sibling with notes");
    if l == sib.line {
        return Some(same_line(doc));
    }
    let lines = if inline_line(doc, s, l, note) {
        line_like(doc, s, l, note, i, notes)
    } else {
        // One line per note, each written like the sibling's note of its key.
        notes
            .iter()
            .flat_map(|entry| {
                let &(kl, kn) = sib.notes_with(entry.0).next().unwrap_or(&(l, note));
                line_like(doc, s, kl, kn, i, std::slice::from_ref(entry))
            })
            .collect()
    };
    Some(vec![insert_lines_after(doc.rope, node.line, &lines)])
}

fn describe(key: NoteKey, value: &str, placeholder: bool) -> String {
    match (key, placeholder) {
        (NoteKey::StageGate, true) => "a Stage Gate".to_string(),
        _ => format!("{}: {}", key_text(key), shorten(value, 50)),
    }
}

/// The quick fixes of a `missing-dependencies` or `missing-stage-gate` finding: add that
/// note, and when the node lacks both (and has no notes), add both at once.
pub fn fixes(doc: &Doc, finding: &Finding) -> Vec<Action> {
    let mut out = Vec::new();
    let (Some(i), Some(key)) = (doc.node_at(finding.location), key_of(finding.code)) else {
        return out;
    };
    let (value, placeholder) = value_for(doc, i, key);
    let who = name(doc.tree, i);
    if let Some(edits) = add_edits(doc, i, &[(key, value.clone())]) {
        let mut title = format!("Add {} to {who}", describe(key, &value, placeholder));
        if placeholder {
            title.push_str(" (then replace the TODO with what must hold before moving on)");
        }
        out.push(Action::quick_fix(title, edits, vec![finding.clone()]).preferred(!placeholder));
    }
    let both: Vec<&Finding> = doc
        .findings_with(&[Code::MissingDependencies, Code::MissingStageGate])
        .filter(|f| doc.node_at(f.location) == Some(i))
        .collect();
    if both.len() == 2 && doc.tree.nodes[i].notes.is_empty() {
        let deps = value_for(doc, i, NoteKey::Dependencies);
        let gate = value_for(doc, i, NoteKey::StageGate);
        let notes = [
            (NoteKey::Dependencies, deps.0.clone()),
            (NoteKey::StageGate, gate.0.clone()),
        ];
        if let Some(edits) = add_edits(doc, i, &notes) {
            let mut title = format!(
                "Add {} and {} to {who}",
                describe(NoteKey::Dependencies, &deps.0, false),
                describe(NoteKey::StageGate, &gate.0, gate.1)
            );
            if gate.1 {
                title.push_str(" (then replace the TODO)");
            }
            out.push(Action::quick_fix(
                title,
                edits,
                both.into_iter().cloned().collect(),
            ));
        }
    }
    out
}

/// The edits of one note fix per node for fix-all (Dependencies first; a node's second
/// note comes in the next pass, beside the first), each with the finding it fixes.
pub fn all_edits(doc: &Doc) -> Vec<(Vec<Edit>, Finding)> {
    let mut out = Vec::new();
    let mut done = FxHashSet::default();
    for finding in doc.findings_with(&[Code::MissingDependencies, Code::MissingStageGate]) {
        let (Some(i), Some(key)) = (doc.node_at(finding.location), key_of(finding.code)) else {
            continue;
        };
        if !done.insert(i) {
            continue;
        }
        let (value, _) = value_for(doc, i, key);
        if let Some(edits) = add_edits(doc, i, &[(key, value)]) {
            out.push((edits, finding.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn adds_a_stage_gate_beside_the_same_line_dependencies() {
        let text = "\
Phase 1: Build (Dependencies: None | Stage Gate: ok)
1.1 Setup (Dependencies: None | Stage Gate: ok)
  1.1.1 Configure the tools
  1.1.A Validate Task 1.1
  1.1.B Verify Task 1.1
  1.1.C Document Task 1.1
1.2 Ship (Dependencies: 1.1)
  1.2.1 Tag the release
  1.2.A Validate Task 1.2
  1.2.B Verify Task 1.2
  1.2.C Document Task 1.2
";
        let action = fix_on(text, Code::MissingStageGate, 7, "Stage Gate");
        assert_eq!(
            action.title,
            "Add a Stage Gate to Phase 1.2 (then replace the TODO with what must hold before moving on)"
        );
        assert!(!action.preferred);
        let after = apply_checked(text, &action);
        assert!(after.contains(
            "1.2 Ship (Dependencies: 1.1 | Stage Gate: TODO: what must hold before moving on)\n"
        ));
        assert!(findings_of(&after).is_empty());
        // Dependencies go before an existing Stage Gate.
        let text = text.replace(
            "1.2 Ship (Dependencies: 1.1)",
            "1.2 Ship (**Stage Gate:** ok)",
        );
        let action = fix_on(&text, Code::MissingDependencies, 7, "Dependencies");
        assert_eq!(action.title, "Add Dependencies: 1.1 to Phase 1.2");
        assert!(action.preferred);
        let after = apply_checked(&text, &action);
        assert!(
            after.contains("1.2 Ship (Dependencies: 1.1 | **Stage Gate:** ok)\n"),
            "{after}"
        );
    }

    const NESTED: &str = "\
## Stage 1: CORE – Pipeline
- Dependencies: None
- **Stage Gate:** messages land in the outbox

- [x] **1.1** Project Foundation
  - Dependencies: None
  - **Stage Gate:** the service starts
  - [x] **1.1.1** Scaffold the service
  - [x] **1.1.A** Validate core functionality of Task 1.1
  - [x] **1.1.B** Verify Task 1.1
  - [x] **1.1.C** Document Task 1.1 implementation
- [ ] **1.2** Templates
  - [ ] **1.2.1** Define the message model
  - [ ] **1.2.A** Validate core functionality of Task 1.2
  - [ ] **1.2.B** Verify Task 1.2
  - [ ] **1.2.C** Document Task 1.2 implementation
";

    #[test]
    fn sub_bullets_like_the_siblings() {
        let action = fix_on(NESTED, Code::MissingDependencies, 12, "Dependencies");
        assert_eq!(action.title, "Add Dependencies: 1.1 to Phase 1.2");
        let after = apply_checked(NESTED, &action);
        assert!(
            after.contains("- [ ] **1.2** Templates\n  - Dependencies: 1.1\n  - [ ] **1.2.1**"),
            "{after}"
        );
        // The Stage Gate then follows the Dependencies line, emphasis as the sibling's.
        let action = fix_on(&after, Code::MissingStageGate, 12, "Stage Gate");
        let after = apply_checked(&after, &action);
        assert!(
            after.contains("  - Dependencies: 1.1\n  - **Stage Gate:** TODO: what must hold before moving on\n  - [ ] **1.2.1**"),
            "{after}"
        );
        // Both at once.
        let both = fix_on(NESTED, Code::MissingDependencies, 12, "and");
        assert_eq!(both.fixes.len(), 2);
        let after_both = apply_checked(NESTED, &both);
        assert_eq!(after_both, after);
    }

    #[test]
    fn the_documents_spelling_of_keys_and_separators() {
        let text = "\
Phase 1: Build (Depends on: None; Gate: ok)
1.1 Setup (Depends on: None; Gate: ok)
  1.1.1 Configure the tools
  1.1.A Validate Task 1.1
  1.1.B Verify Task 1.1
  1.1.C Document Task 1.1
1.2 Ship (Depends on: 1.1)
  1.2.1 Tag the release
  1.2.A Validate Task 1.2
  1.2.B Verify Task 1.2
  1.2.C Document Task 1.2
1.3 Announce (Gate: posted)
  1.3.1 Post the notes
  1.3.A Validate Task 1.3
  1.3.B Verify Task 1.3
  1.3.C Document Task 1.3
";
        let action = fix_on(text, Code::MissingStageGate, 7, "Stage Gate");
        let after = apply_checked(text, &action);
        assert!(
            after.contains(
                "1.2 Ship (Depends on: 1.1; Gate: TODO: what must hold before moving on)\n"
            ),
            "{after}"
        );
        let action = fix_on(text, Code::MissingDependencies, 12, "Dependencies");
        let after = apply_checked(text, &action);
        assert!(
            after.contains("1.3 Announce (Depends on: 1.2; Gate: posted)\n"),
            "{after}"
        );
    }

    #[test]
    fn tab_indented_lists_keep_their_tabs() {
        let text = "\
- [ ] **1.1** Setup
\t- Dependencies: None
\t- Stage Gate: ok
\t- [ ] **1.1.1** Create the repo
\t- [ ] **1.1.2** Add CI
\t\t- Stage Gate: green
\t\t- [ ] **1.1.2.1** Write the workflow
\t\t- [ ] **1.1.2.2** Cache the dependencies
\t\t- [ ] **1.1.2.A** Validate Task 1.1.2
\t\t- [ ] **1.1.2.B** Verify Task 1.1.2
\t\t- [ ] **1.1.2.C** Document Task 1.1.2
\t- [ ] **1.1.A** Validate Task 1.1
\t- [ ] **1.1.B** Verify Task 1.1
\t- [ ] **1.1.C** Document Task 1.1
";
        let action = fix_on(text, Code::MissingDependencies, 5, "Dependencies");
        // `apply_checked` also asserts that no finding appears: with spaces, the
        // tab-indented lines after the note would turn into code and 1.1.2 into a leaf.
        let after = apply_checked(text, &action);
        assert!(
            after.contains(
                "\t- [ ] **1.1.2** Add CI\n\t\t- Dependencies: 1.1.1\n\t\t- Stage Gate: green\n"
            ),
            "{after}"
        );
    }

    #[test]
    fn stage_paragraph_with_the_seed_gate() {
        let text = "\
### Stage 1: CORE – Base
(Dependencies: None | Stage Gate: ok)

1.1 Setup (Dependencies: None | Stage Gate: ok)
  1.1.1 Configure the tools
1.1.A Validate core functionality of Task 1.1
1.1.B Verify Task 1.1
1.1.C Document Task 1.1 implementation

### Stage 2: INTEGRATION – Live

2.1 Wire (Dependencies: 1.1 | Stage Gate: ok)
  2.1.1 Connect the database
2.1.A Validate integration of Task 2.1
2.1.B Verify Task 2.1
2.1.C Document Task 2.1 integration results
";
        let both = fix_on(text, Code::MissingStageGate, 10, "and");
        assert_eq!(
            both.title,
            "Add Dependencies: Stage 1 complete and Stage Gate: Backend stable with live integrations to Stage 2"
        );
        let after = apply_checked(text, &both);
        assert!(after.contains(
            "### Stage 2: INTEGRATION – Live\n(Dependencies: Stage 1 complete | Stage Gate: Backend stable with live integrations)\n\n2.1"
        ), "{after}");
    }

    #[test]
    fn fills_an_empty_value_and_avoids_cycles() {
        let text = "\
Phase 1: Build (Dependencies: None | Stage Gate: ok)
1.1 Setup (Dependencies: 1.2 | Stage Gate: ok)
  1.1.1 Configure the tools
  1.1.A Validate Task 1.1
  1.1.B Verify Task 1.1
  1.1.C Document Task 1.1
1.2 Ship (Dependencies: | Stage Gate: ok)
  1.2.1 Tag the release
  1.2.A Validate Task 1.2
  1.2.B Verify Task 1.2
  1.2.C Document Task 1.2
";
        // 1.1 depends on 1.2, so 1.2 gets `None`, not 1.1.
        let action = fix_on(text, Code::MissingDependencies, 7, "Dependencies");
        assert_eq!(action.title, "Add Dependencies: None to Phase 1.2");
        let after = apply_checked(text, &action);
        assert!(
            after.contains("1.2 Ship (Dependencies: None | Stage Gate: ok)\n"),
            "{after}"
        );
    }
}
