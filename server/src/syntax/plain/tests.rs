use super::*;
use crate::syntax::{self as tree_syntax};

/// The classes tree-sitter-md gives the same text.
fn parsed(text: &str, line_count: usize) -> Vec<LineClass> {
    let tree = tree_syntax::parse(text, None);
    tree_syntax::classify(&tree, text, line_count)
}

fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// Asserts that the scan either gives up or agrees with tree-sitter; true when it agreed.
fn agrees(text: &str) -> bool {
    let n = line_count(text);
    match classify(text, n) {
        None => false,
        Some(plain) => {
            let tree = parsed(text, n);
            for (i, (p, t)) in plain.iter().zip(&tree).enumerate() {
                assert_eq!(p, t, "line {i} of\n{text}\n(scan, tree-sitter)",);
            }
            true
        }
    }
}

#[test]
fn generated_task_lists_are_plain_and_agree() {
    let plain_styles = crate::testgen::Style::ALL
        .into_iter()
        .filter(|&s| s != crate::testgen::Style::Tables);
    for style in plain_styles {
        let text = crate::testgen::task_list(3_000, style);
        assert!(agrees(&text), "{style:?} is plain");
        // And chunk by chunk, as the document parses it.
        let doc = crate::document::Document::new(&text, 1);
        for chunk in doc.chunks() {
            assert!(agrees(&doc.chunk_text(chunk)));
        }
    }
}

#[test]
fn tables_are_left_to_tree_sitter() {
    let text = crate::testgen::task_list(1_000, crate::testgen::Style::Tables);
    assert!(!agrees(&text));
}

#[test]
fn fixtures_agree_where_plain() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["tests/fixtures", "examples", "editors"] {
        collect_markdown(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "the fixtures are found");
    let mut plain = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // Whole files, and every suffix that starts after a blank line (as chunks do).
        if agrees(&text) {
            plain += 1;
        }
        for (at, _) in text.match_indices("\n\n") {
            agrees(&text[at + 2..]);
        }
    }
    assert!(plain > 0, "some fixture is plain");
}

fn collect_markdown(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "node_modules") {
                continue;
            }
            collect_markdown(&path, files);
        } else if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
}

#[test]
fn refuses_what_it_does_not_model() {
    for text in [
        "```\ncode never closed\n",
        "- a\n  ```\n  code\nout of the item\n  ```\n",
        "a\n2. ordered, continuing the paragraph\n",
        "- a\n  2) ordered, continuing the item's paragraph\n",
        "<!-->\n",
        "- a\n  <!-- open\n  -->\n",
        "> quote\n",
        "text\n---\n",
        "text\n===\n",
        "| a | b |\n|---|---|\n",
        "[ref]: http://example.com\n",
        "    code\n",
        "- a\n\n      code in an item\n",
        "-\ttab after the marker\n",
        "- \ttab after the marker\n",
        "-\n",
        "-      five spaces\n",
        "- - nested on one line\n",
        "  # indented heading\n",
        "text\n***\n",
        "a\rb\n",
    ] {
        assert_eq!(classify(text, line_count(text)), None, "{text:?}");
    }
}

#[test]
fn classifies_headings_paragraphs_and_bullets() {
    let text = concat!(
        "### Stage 1: CORE – Base\n",
        "(Dependencies: None | Stage Gate: ok)\n",
        "\n",
        "1.1 Group\n",
        "  1.1.1 Add x\n",
        "\n",
        "- [ ] **1.2** Group\n",
        "  - Dependencies: 1.1\n",
        "    - 1.2.1 Add y\n",
        " lazy\n",
        "*   1.3 wide\n",
    );
    let classes = classify(text, line_count(text)).expect("plain");
    let got: Vec<_> = classes
        .iter()
        .map(|c| (c.kind, c.content_start, c.list_item))
        .collect();
    assert_eq!(
        got,
        [
            (LineKind::Heading, 3, false),
            (LineKind::Text, 0, false),
            (LineKind::Text, 0, false),
            (LineKind::Text, 0, false),
            (LineKind::Text, 0, false),
            (LineKind::Text, 0, false),
            (LineKind::Text, 2, true),
            (LineKind::Text, 4, true),
            (LineKind::Text, 6, true),
            (LineKind::Text, 0, false),
            (LineKind::Text, 4, true),
            (LineKind::Text, 0, false),
        ]
    );
    assert!(agrees(text));
}

/// Line bodies for random chunks: mostly what the scan accepts, in layouts that test its
/// model of nesting, laziness and indentation, and now and then something it must refuse.
const BODIES: &[&str] = &[
    "1.1 Set up the repo",
    "1.1.1 Add a health endpoint",
    "**1.2** Group title",
    "[ ] 1.3 Add x",
    "[x] 1.3.1 Done",
    "(Dependencies: 1.1 | Stage Gate: ok)",
    "Dependencies: None",
    "Stage Gate: all green",
    "text with `code` and *emphasis*",
    "_1.4_ emphasised",
    "= not an underline",
    "+1 vote",
    "-minus glued",
    "*star glued*",
    "#hashtag",
    "2024 was a year",
    "1.1.A Validate Task 1.1",
    "| a | b |",
    "a | b",
    "é – multibyte",
    "\u{a0}nbsp start",
    "tab\tinside",
    "<!-- c -->",
    "```",
    "```sh",
    "~~~",
    "~~~~ text",
    "````",
    "```` ",
    "``` `inline`",
    "<!-- - [ ] 1.6 old",
    "<!--",
    "-->",
    "still commented -->",
    "1.7 old --> after",
    "✅ 1.5 emoji",
    "\\- escaped",
    "&amp; entity",
    "![img](x.png)",
    "[link](x) text",
    "[ref]",
    "---",
    "***",
    "_ _ _",
];

/// Bodies the scan refuses, now and then, so that refusals are seen in context too.
const REFUSED: &[&str] = &[
    "<!-->",
    "<!--->",
    "<div>",
    "> quote",
    "===",
    "|---|---|",
    "[ref]: /url",
    "[open",
];

const MARKERS: &[&str] = &[
    "",
    "",
    "",
    "",
    "- ",
    "- ",
    "- ",
    "* ",
    "+ ",
    "-  ",
    "-   ",
    "-    ",
    "-     ",
    "- - ",
    "-\t",
    "- \t",
    "1.\t",
    "1. ",
    "1. ",
    "2. ",
    "1) ",
    "10. ",
    "01. ",
    "1.  ",
    "1.     ",
    "1234567890. ",
    "- 1. ",
];
const HEADINGS: &[&str] = &["# ", "## ", "### ", "###### ", "####### ", "#", "#  "];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Indentation as nested lists use it, and now and then a few spaces off.
const INDENTS: &[&str] = &[
    "",
    "",
    "",
    "",
    " ",
    "  ",
    "  ",
    "  ",
    "   ",
    "    ",
    "    ",
    "     ",
    "      ",
    "      ",
    "       ",
    "        ",
    "          ",
    "\t",
    "\t",
    "\t\t",
    " \t",
    "  \t",
    "\t ",
    "\t  ",
    "\t\t  ",
    "   \t",
];

fn random_chunk(rng: &mut Lcg) -> String {
    let lines = 1 + rng.next(8);
    let mut text = String::new();
    for _ in 0..lines {
        match rng.next(12) {
            0 | 1 => {}
            2 => {
                text.push_str(&" ".repeat(rng.next(6) / 5));
                text.push_str(HEADINGS[rng.next(HEADINGS.len())]);
                text.push_str(BODIES[rng.next(BODIES.len())]);
            }
            3 if rng.next(3) == 0 => {
                text.push_str(INDENTS[rng.next(INDENTS.len())]);
                text.push_str(MARKERS[rng.next(MARKERS.len())]);
                text.push_str(REFUSED[rng.next(REFUSED.len())]);
            }
            _ => {
                text.push_str(INDENTS[rng.next(INDENTS.len())]);
                text.push_str(MARKERS[rng.next(MARKERS.len())]);
                text.push_str(BODIES[rng.next(BODIES.len())]);
            }
        }
        if rng.next(8) == 0 {
            text.push_str("  ");
        }
        text.push_str(if rng.next(10) == 0 { "\r\n" } else { "\n" });
    }
    text
}

fn differential(cases: usize, seed: u64) {
    let mut rng = Lcg(seed);
    let mut accepted = 0;
    for _ in 0..cases {
        if agrees(&random_chunk(&mut rng)) {
            accepted += 1;
        }
    }
    // The comparison means something only if many chunks are accepted.
    assert!(accepted * 20 > cases, "{accepted} of {cases} accepted");
}

#[test]
fn agrees_with_tree_sitter_on_random_chunks() {
    differential(40_000, 1);
}

/// The same with many more cases: `cargo test --release -p wbs-lsp plain -- --ignored`.
#[test]
#[ignore]
fn agrees_with_tree_sitter_on_many_random_chunks() {
    differential(2_000_000, 7);
}

/// A whole task list laid out as people write one, varied at random: the list marker and
/// the spaces after it, the indentation unit (two to four spaces, or a tab), checkboxes
/// and bold IDs, blank lines, notes as sub-bullets, continuation lines or lazy lines,
/// fenced code and comments inside items, headings between phases.
fn structured_list(rng: &mut Lcg) -> String {
    let unit = ["  ", "   ", "    ", "\t"][rng.next(4)];
    let marker = ["-", "*", "+", "1.", "1)"][rng.next(5)];
    let mut text = String::new();
    for phase in 1..=1 + rng.next(3) {
        if rng.next(2) == 0 {
            text.push_str(&format!("## Phase {phase}\n"));
            if rng.next(2) == 0 {
                text.push('\n');
            }
        }
        structured_item(rng, unit, marker, 0, &format!("1.{phase}"), &mut text);
        if rng.next(3) == 0 {
            text.push('\n');
        }
    }
    text
}

fn structured_item(
    rng: &mut Lcg,
    unit: &str,
    marker: &str,
    depth: usize,
    id: &str,
    text: &mut String,
) {
    let indent = unit.repeat(depth);
    let inner = unit.repeat(depth + 1);
    let spaces = " ".repeat(1 + rng.next(6) / 4);
    let checkbox = ["", "[ ] ", "[x] "][rng.next(3)];
    let shown = if rng.next(2) == 0 {
        format!("**{id}**")
    } else {
        id.to_string()
    };
    text.push_str(&format!(
        "{indent}{marker}{spaces}{checkbox}{shown} Add part {id}\n"
    ));
    match rng.next(6) {
        0 => text.push_str(&format!("{inner}- Dependencies: None\n")),
        1 => text.push_str(&format!("{inner}(Dependencies: None | Stage Gate: ok)\n")),
        2 => text.push_str("Dependencies: None, a lazy line\n"),
        3 => text.push_str(&format!("{inner}```sh\n{inner}make {id}\n\n{inner}```\n")),
        4 => text.push_str(&format!("{inner}<!-- {marker} {id}.9 dropped -->\n")),
        _ => {}
    }
    if rng.next(4) == 0 {
        text.push('\n');
    }
    if depth < 3 {
        for child in 1..=rng.next(4) {
            structured_item(rng, unit, marker, depth + 1, &format!("{id}.{child}"), text);
        }
    }
}

#[test]
fn agrees_with_tree_sitter_on_structured_lists() {
    let mut rng = Lcg(3);
    let (mut chunks, mut accepted) = (0, 0);
    for _ in 0..1_000 {
        let text = structured_list(&mut rng);
        agrees(&text);
        let doc = crate::document::Document::new(&text, 1);
        for chunk in doc.chunks() {
            chunks += 1;
            if agrees(&doc.chunk_text(chunk)) {
                accepted += 1;
            }
        }
    }
    assert!(
        accepted * 2 > chunks,
        "{accepted} of {chunks} chunks accepted"
    );
}
