//! Random edit sequences give the same chunk trees, scanned lines and findings
//! incrementally as a fresh parse of the resulting text. Edits of Dependencies values
//! (adding, removing and changing references, to known and unknown IDs, closing and opening
//! cycles) are frequent: the analysis updates references without building the tree again.

use proptest::prelude::*;
use wbs_lsp::analysis::{Analyzer, ChunkLines};
use wbs_lsp::config::Config;
use wbs_lsp::document::{Document, TextEdit};
use wbs_lsp::testgen::{self, Style};

const BASE: &str = "---\ntitle: plan\n---\n\n### **Stage 1: CORE – Base**\n(Dependencies: None | Stage Gate: ok)\n\n\
1.1 Setup (Dependencies: None | Stage Gate: ready)\n  1.1.1 Configure the toolchain\n  1.1.2 Add CI and deploy it\n\n\
1.1.A Validate core functionality of Task 1.1\n1.1.B Verify Task 1.1\n1.1.C Document Task 1.1 implementation\n\n\
```bash\n1.9 not a node\n```\n\n<!--\n1.2 Done phase (Dependencies: 1.1)\n  1.2.1 Write docs\n-->\n\n\
- [ ] **1.3** Listed phase\n  - Dependencies: 1.2, 9.9\n  - **Stage Gate:** works\n  - [x] 1.3.1 Implement *the* `thing`\n\n\
| a | b |\n|---|---|\n| 1.4 x | y |\n\n## Stage 2: INTEGRATION\n\n2.1 Real (Dependencies: 3.1)\n  2.1.1 Replace the stub\n\n\
- [ ] **2.2** Wired phase\n  - Dependencies: 2.1\n  - **Stage Gate:** wired\n  - [ ] 2.2.1 Connect the queue\n\
  - [ ] 2.2.2 Add the worker (Dependencies: 2.2.1)\n  - [ ] 2.2.3 Replace the poller\n    - Dependencies: 2.2.2, 1.3\n";

const PIECES: &[&str] = &[
    "a",
    "e",
    " and add tests",
    "Verify",
    "Task 1.1",
    "core",
    "Login",
    "*",
    "_",
    "[",
    "]",
    "`",
    "```\n",
    "~~~\n",
    "\n",
    "\n\n",
    " ",
    "  ",
    "1.2 ",
    "1.3.2 ",
    "- ",
    "# ",
    "## ",
    "<!--",
    "-->",
    "x",
    "é",
    "–",
    "\r\n",
    "(Dependencies: 1.1)",
    "\n  - Dependencies: 2.2.3\n",
    ", 2.2",
    "Stage 3: ",
    "> ",
    "    ",
];

/// What references are written: IDs of the document, of its inactive part and of nothing,
/// with and without keywords.
const REFERENCES: &[&str] = &[
    "1.1",
    "1.2",
    "1.3",
    "1.3.1",
    "1.1.A",
    "2.1",
    "2.2",
    "2.2.1",
    "2.2.2",
    "2.2.3",
    "9.9",
    "3.1",
    "Stage 1",
    "Stage 2",
    "Task 2.2.3",
    "1",
    "2",
    "None",
    "v1.2",
];

#[derive(Clone, Debug)]
enum Edit {
    /// Replaces `delete` bytes at `at` by some `PIECES`.
    Text(prop::sample::Index, usize, Vec<prop::sample::Index>),
    /// Rewrites the value of one Dependencies note.
    Dependencies(prop::sample::Index, DependencyEdit),
}

#[derive(Clone, Debug)]
enum DependencyEdit {
    /// Appends `, ID`.
    Add(prop::sample::Index),
    /// Removes the last reference (or the whole value).
    RemoveLast,
    /// Replaces the value by a list of references.
    Replace(Vec<prop::sample::Index>),
    /// Types or deletes one character at the end of the value.
    Type(bool),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let index = any::<prop::sample::Index>;
    prop_oneof![
        3 => (index(), 0usize..6, prop::collection::vec(index(), 0..3))
            .prop_map(|(at, delete, pieces)| Edit::Text(at, delete, pieces)),
        2 => (
            index(),
            prop_oneof![
                index().prop_map(DependencyEdit::Add),
                Just(DependencyEdit::RemoveLast),
                prop::collection::vec(index(), 0..4).prop_map(DependencyEdit::Replace),
                any::<bool>().prop_map(DependencyEdit::Type),
            ]
        )
            .prop_map(|(which, edit)| Edit::Dependencies(which, edit)),
    ]
}

/// The byte range and the text of an edit of `text`; `None` when it has nothing to edit.
fn resolve(text: &str, edit: &Edit) -> Option<(usize, usize, String)> {
    match edit {
        Edit::Text(at, delete, pieces) => {
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let insert: String = pieces
                .iter()
                .map(|p| PIECES[p.index(PIECES.len())])
                .collect();
            Some((start, end, insert))
        }
        Edit::Dependencies(which, edit) => {
            let notes: Vec<usize> = text
                .match_indices("Dependencies:")
                .map(|(i, m)| i + m.len())
                .collect();
            if notes.is_empty() {
                return None;
            }
            let start = notes[which.index(notes.len())];
            // The value runs to the end of the note: a `)`, a `|` or the line's end.
            let len = text[start..]
                .find([')', '|', '\n', '\r'])
                .unwrap_or(text.len() - start);
            let end = start + len;
            let value = &text[start..end];
            let reference = |i: &prop::sample::Index| REFERENCES[i.index(REFERENCES.len())];
            Some(match edit {
                DependencyEdit::Add(i) => (end, end, format!(", {}", reference(i))),
                DependencyEdit::RemoveLast => match value.rfind(',') {
                    Some(comma) => (start + comma, end, String::new()),
                    None => (start, end, String::new()),
                },
                DependencyEdit::Replace(refs) => {
                    let list: Vec<&str> = refs.iter().map(reference).collect();
                    (start, end, format!(" {}", list.join(", ")))
                }
                DependencyEdit::Type(true) => (end, end, "x".into()),
                DependencyEdit::Type(false) => {
                    let mut cut = end.saturating_sub(1).max(start);
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    (cut, end, String::new())
                }
            })
        }
    }
}

fn chunk_lines(doc: &Document) -> Vec<ChunkLines> {
    doc.chunks()
        .iter()
        .map(|c| (c.start_line, c.lines.clone()))
        .collect()
}

fn findings(doc: &Document) -> Vec<String> {
    wbs_lsp::analyze(doc.line_items(), &Config::default())
        .iter()
        .map(|f| format!("{:?} {} {}", f.location, f.code, f.message))
        .collect()
}

/// Applies `edits` to `base` one by one, checking after each that the analysis that
/// reuses what it can agrees with a full one, and at the end that the document equals a
/// fresh parse of its text.
fn check_edits(base: &str, edits: &[Edit]) -> Result<(), TestCaseError> {
    let mut doc = Document::new(base, 1);
    let mut analyzer = Analyzer::default();
    analyzer.analyze(&chunk_lines(&doc), &Config::default());
    for edit in edits {
        let text = doc.text();
        let Some((start, end, insert)) = resolve(&text, edit) else {
            continue;
        };
        doc.apply(&TextEdit {
            range: Some(start..end),
            text: insert.clone(),
        });
        let mut expected = text.clone();
        expected.replace_range(start..end, &insert);
        prop_assert_eq!(doc.text(), expected);
        let reused = analyzer.analyze(&chunk_lines(&doc), &Config::default());
        prop_assert_eq!(
            reused,
            wbs_lsp::analyze(doc.line_items(), &Config::default())
        );
    }
    let fresh = Document::new(&doc.text(), 1);
    prop_assert_eq!(doc.trees(), fresh.trees());
    let lines: Vec<_> = doc.line_items().map(|(l, i)| (l, i.clone())).collect();
    let fresh_lines: Vec<_> = fresh.line_items().map(|(l, i)| (l, i.clone())).collect();
    prop_assert_eq!(lines, fresh_lines);
    prop_assert_eq!(findings(&doc), findings(&fresh));
    Ok(())
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(200),
        ..ProptestConfig::default()
    })]
    #[test]
    fn incremental_equals_fresh(edits in prop::collection::vec(edit_strategy(), 1..25)) {
        check_edits(BASE, &edits)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        // A larger document, in many chunks: fewer cases.
        cases: cases(200) / 4,
        ..ProptestConfig::default()
    })]
    #[test]
    fn incremental_equals_fresh_on_generated_lists(
        nested in any::<bool>(),
        edits in prop::collection::vec(edit_strategy(), 1..25),
    ) {
        let style = if nested { Style::Nested } else { Style::Seed };
        check_edits(&testgen::task_list(400, style), &edits)?;
    }
}
