//! Random edit sequences give the same chunk trees, scanned lines and findings
//! incrementally as a fresh parse of the resulting text.

use proptest::prelude::*;
use wbs_lsp::analysis::{Analyzer, ChunkLines};
use wbs_lsp::config::Config;
use wbs_lsp::document::{Document, TextEdit};

const BASE: &str = "---\ntitle: plan\n---\n\n### **Stage 1: CORE – Base**\n(Dependencies: None | Stage Gate: ok)\n\n\
1.1 Setup (Dependencies: None | Stage Gate: ready)\n  1.1.1 Configure the toolchain\n  1.1.2 Add CI and deploy it\n\n\
1.1.A Validate core functionality of Task 1.1\n1.1.B Verify Task 1.1\n1.1.C Document Task 1.1 implementation\n\n\
```bash\n1.9 not a node\n```\n\n<!--\n1.2 Done phase (Dependencies: 1.1)\n  1.2.1 Write docs\n-->\n\n\
- [ ] **1.3** Listed phase\n  - Dependencies: 1.2, 9.9\n  - **Stage Gate:** works\n  - [x] 1.3.1 Implement *the* `thing`\n\n\
| a | b |\n|---|---|\n| 1.4 x | y |\n\n## Stage 2: INTEGRATION\n\n2.1 Real (Dependencies: 3.1)\n  2.1.1 Replace the stub\n";

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
    "Stage 3: ",
    "> ",
    "    ",
];

fn edit_strategy() -> impl Strategy<Value = (prop::sample::Index, usize, Vec<prop::sample::Index>)>
{
    (
        any::<prop::sample::Index>(),
        0usize..6,
        prop::collection::vec(any::<prop::sample::Index>(), 0..3),
    )
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

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200),
        ..ProptestConfig::default()
    })]
    #[test]
    fn incremental_equals_fresh(edits in prop::collection::vec(edit_strategy(), 1..25)) {
        let mut doc = Document::new(BASE, 1);
        let mut analyzer = Analyzer::default();
        analyzer.analyze(&chunk_lines(&doc), &Config::default());
        for (at, delete, pieces) in edits {
            let text = doc.text();
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let insert: String = pieces.iter().map(|p| PIECES[p.index(PIECES.len())]).collect();
            doc.apply(&TextEdit { range: Some(start..end), text: insert.clone() });
            let mut expected = text.clone();
            expected.replace_range(start..end, &insert);
            prop_assert_eq!(doc.text(), expected);
            // The analysis that reuses structural findings agrees with a full one.
            let reused = analyzer.analyze(&chunk_lines(&doc), &Config::default());
            prop_assert_eq!(reused, wbs_lsp::analyze(doc.line_items(), &Config::default()));
        }
        let fresh = Document::new(&doc.text(), 1);
        prop_assert_eq!(doc.trees(), fresh.trees());
        let lines: Vec<_> = doc.line_items().map(|(l, i)| (l, i.clone())).collect();
        let fresh_lines: Vec<_> = fresh.line_items().map(|(l, i)| (l, i.clone())).collect();
        prop_assert_eq!(lines, fresh_lines);
        prop_assert_eq!(findings(&doc), findings(&fresh));
    }
}
