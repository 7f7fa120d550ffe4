//! Block-level Markdown parsing with tree-sitter-md, one chunk at a time, and a line scan
//! ([`plain`]) that classifies the chunks it fully understands without it.
//!
//! Only the block grammar runs: the inline grammar is slow to re-parse and its incremental
//! trees were seen to drift from a fresh parse, and the rules need nothing from it that a
//! node's own line does not show.

pub mod carry;
pub mod plain;

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Language, Node, Parser, Query, Tree};

/// What block a line belongs to, as far as task lists care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Paragraph text, a list item's text, or a blank line.
    Text,
    /// An ATX heading or a line of a setext heading's text.
    Heading,
    Code,
    /// A line of an HTML block that is a comment (`<!-- … -->`).
    HtmlComment,
    /// Any other raw HTML, front matter, tables, block quotes, breaks: never a node.
    Opaque,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineClass {
    pub kind: LineKind,
    /// Byte column where the line's content starts, past heading marks and list markers.
    pub content_start: u32,
    /// Whether a Markdown list marker stands on this line.
    pub list_item: bool,
}

impl Default for LineClass {
    fn default() -> Self {
        LineClass {
            kind: LineKind::Text,
            content_start: 0,
            list_item: false,
        }
    }
}

pub const BLOCKS_QUERY: &str = include_str!("../../../queries/blocks.scm");

/// What each node kind of tree-sitter-md means to `classify`, indexed by kind ID.
///
/// `queries/blocks.scm` names the kinds; a plain tree walk applies them. Running the file
/// as a query (`QueryCursor`) gave the same classes but cost a fifth of opening a document,
/// more than the walk.
struct BlockKinds {
    by_kind: Vec<Option<Capture>>,
    /// Kinds whose descendants the patterns never name: the walk does not enter them.
    closed: Vec<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    Code,
    Html,
    Opaque,
    Heading,
    SetextHeading,
    ListMarker,
    HeadingMarker,
}

impl Capture {
    fn from_name(name: &str) -> Capture {
        match name {
            "code" => Capture::Code,
            "html" => Capture::Html,
            "heading" => Capture::Heading,
            "setext_heading" => Capture::SetextHeading,
            "list_marker" => Capture::ListMarker,
            "heading_marker" => Capture::HeadingMarker,
            _ => Capture::Opaque,
        }
    }
}

fn block_kinds() -> &'static BlockKinds {
    static KINDS: OnceLock<BlockKinds> = OnceLock::new();
    KINDS.get_or_init(|| {
        let language: Language = tree_sitter_md::LANGUAGE.into();
        // Compiling it checks every kind name against the grammar.
        Query::new(&language, BLOCKS_QUERY)
            .expect("queries/blocks.scm compiles against tree-sitter-md");
        let mut by_kind = vec![None; language.node_kind_count()];
        for (kind, capture) in block_patterns(BLOCKS_QUERY) {
            let id = language.id_for_node_kind(kind, true);
            assert!(id != 0, "queries/blocks.scm: unknown node kind {kind}");
            by_kind[id as usize] = Some(Capture::from_name(capture));
        }
        // Paragraphs hold inline text; code, HTML, tables and front matter hold their
        // lines. None of them holds a block, a heading or a list marker.
        let mut closed = vec![false; language.node_kind_count()];
        for kind in [
            "paragraph",
            "fenced_code_block",
            "indented_code_block",
            "html_block",
            "pipe_table",
            "minus_metadata",
            "plus_metadata",
        ] {
            let id = language.id_for_node_kind(kind, true);
            assert!(id != 0, "tree-sitter-md has no node kind {kind}");
            closed[id as usize] = true;
        }
        BlockKinds { by_kind, closed }
    })
}

/// The `(kind) @capture` patterns of a query file, one per line (`;` starts a comment).
fn block_patterns(source: &str) -> impl Iterator<Item = (&str, &str)> {
    source.lines().filter_map(|line| {
        let line = line.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            return None;
        }
        let (pattern, capture) = line
            .split_once('@')
            .expect("queries/blocks.scm: each pattern is `(kind) @capture`");
        let kind = pattern
            .trim()
            .strip_prefix('(')
            .and_then(|p| p.strip_suffix(')'))
            .expect("queries/blocks.scm: each pattern is `(kind) @capture`");
        Some((kind, capture.trim()))
    })
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_md::LANGUAGE.into())
            .expect("tree-sitter-md matches the tree-sitter ABI");
        parser
    });
}

/// Parses one chunk's text (re-using `old` when it was edited to match `text`).
pub fn parse(text: &str, old: Option<&Tree>) -> Tree {
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        parser
            .parse(text, old)
            .or_else(|| {
                // A parse only fails when cancelled or timed out, which we never ask for;
                // reset and retry from scratch rather than give up on the chunk.
                parser.reset();
                parser.parse(text, None)
            })
            .expect("tree-sitter parse without timeout or cancellation")
    })
}

/// Classifies each of the chunk's `line_count` lines from its tree.
pub fn classify(tree: &Tree, text: &str, line_count: usize) -> Vec<LineClass> {
    let kinds = block_kinds();
    let mut classes = vec![LineClass::default(); line_count];
    let last = line_count.saturating_sub(1);
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let kind = node.kind_id() as usize;
        if let Some(&Some(capture)) = kinds.by_kind.get(kind) {
            apply(capture, node, text, last, &mut classes);
        }
        if !kinds.closed.get(kind).copied().unwrap_or(false) && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return classes;
            }
        }
    }
}

/// What one captured node says about its lines.
fn apply(capture: Capture, node: Node, text: &str, last: usize, classes: &mut [LineClass]) {
    let start = node.start_position();
    let end = node.end_position();
    let first_row = start.row.min(last);
    // A block's range usually ends on the line after it: at column 0, or inside a list or
    // quote past that line's indentation or `>` (its continuation), before any content.
    let end_line_start = node.end_byte() - end.column;
    let ends_before_content = text[end_line_start..node.end_byte()]
        .bytes()
        .all(|c| matches!(c, b' ' | b'\t' | b'>'));
    let last_row = if ends_before_content && end.row > start.row {
        end.row - 1
    } else {
        end.row
    }
    .min(last);
    let kind = match capture {
        Capture::Code => LineKind::Code,
        Capture::Opaque => LineKind::Opaque,
        Capture::Html => {
            let block = &text[node.byte_range()];
            if block.trim_start().starts_with("<!--") {
                LineKind::HtmlComment
            } else {
                LineKind::Opaque
            }
        }
        Capture::Heading => LineKind::Heading,
        Capture::SetextHeading => {
            // The underline is the heading's last line; it is not text.
            for class in &mut classes[first_row..last_row] {
                promote(class, LineKind::Heading);
            }
            promote(&mut classes[last_row], LineKind::Opaque);
            return;
        }
        Capture::ListMarker => {
            let class = &mut classes[first_row];
            class.list_item = true;
            class.content_start = class.content_start.max(end.column as u32);
            return;
        }
        Capture::HeadingMarker => {
            let class = &mut classes[first_row];
            class.content_start = class.content_start.max(end.column as u32);
            return;
        }
    };
    for class in &mut classes[first_row..=last_row] {
        promote(class, kind);
    }
}

/// Raises a line's kind; code, HTML and opaque blocks win over headings and text.
fn promote(class: &mut LineClass, kind: LineKind) {
    let rank = |k: LineKind| match k {
        LineKind::Text => 0,
        LineKind::Heading => 1,
        LineKind::HtmlComment => 2,
        LineKind::Code | LineKind::Opaque => 3,
    };
    if rank(kind) > rank(class.kind) {
        class.kind = kind;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(LineKind, u32, bool)> {
        let tree = parse(text, None);
        let n = text.split('\n').count();
        classify(&tree, text, n)
            .into_iter()
            .map(|c| (c.kind, c.content_start, c.list_item))
            .collect()
    }

    /// `classify` as the query file reads when run as a query.
    fn classify_with_query(tree: &Tree, text: &str, line_count: usize) -> Vec<LineClass> {
        use tree_sitter::{QueryCursor, StreamingIterator};
        let query = Query::new(&tree_sitter_md::LANGUAGE.into(), BLOCKS_QUERY).unwrap();
        let mut classes = vec![LineClass::default(); line_count];
        let mut cursor = QueryCursor::new();
        let mut captures = cursor.captures(&query, tree.root_node(), text.as_bytes());
        while let Some((m, index)) = captures.next() {
            let capture = m.captures()[*index];
            let name = query.capture_names()[capture.index as usize];
            let last = line_count.saturating_sub(1);
            apply(
                Capture::from_name(name),
                capture.node,
                text,
                last,
                &mut classes,
            );
        }
        classes
    }

    #[test]
    fn the_walk_classifies_as_the_query_does() {
        let mut texts: Vec<String> = ["../tests/fixtures", "../examples"]
            .iter()
            .flat_map(|dir| {
                markdown_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            })
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect();
        assert!(texts.len() > 10, "the fixtures are found");
        for style in [crate::testgen::Style::Seed, crate::testgen::Style::Nested] {
            texts.push(crate::testgen::task_list(2_000, style));
        }
        texts.push(
            "Title\n=====\n\n> - 1.1 quoted\n>   - 1.1.1 deeper\n\n+ 1.2 plus\n  1) 1.2.1 paren\n\n\
             <div>\n1.3 html\n</div>\n\n    1.4 indented code\n\n---\n\n[ref]: http://x\n\n\
             - item\n\n  ```\n  1.5 fenced in a list\n  ```\n## 1.6 heading ##\n"
                .into(),
        );
        for text in &texts {
            let tree = parse(text, None);
            let n = text.split('\n').count();
            assert_eq!(
                classify(&tree, text, n),
                classify_with_query(&tree, text, n),
                "{}",
                &text[..text.len().min(200)]
            );
        }
    }

    fn markdown_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(markdown_files(&path));
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
        files
    }

    #[test]
    fn ordered_list_marker_is_not_an_id() {
        let k = kinds("1. Install X\n1.1 Install Y\n");
        assert_eq!(k[0], (LineKind::Text, 3, true));
        assert_eq!(k[1], (LineKind::Text, 0, false));
    }

    #[test]
    fn blocks_are_classified() {
        let text = "### Stage 1: CORE\n\n```\n1.1 code\n```\n\n| a | b |\n|---|---|\n| 1.1 x | y |\n\n<!--\n1.2 old\n-->\n\n- [ ] 1.3 item\n  - 1.3.1 nested\n";
        let k = kinds(text);
        assert_eq!(k[0], (LineKind::Heading, 3, false));
        assert_eq!(k[3].0, LineKind::Code);
        assert_eq!(k[8].0, LineKind::Opaque);
        assert_eq!(k[11].0, LineKind::HtmlComment);
        assert_eq!(k[14], (LineKind::Text, 2, true));
        assert_eq!(k[15], (LineKind::Text, 4, true));
    }

    #[test]
    fn setext_heading_underline_is_opaque() {
        let k = kinds("Stage 1: CORE\n=====\n");
        assert_eq!(k[0].0, LineKind::Heading);
        assert_eq!(k[1].0, LineKind::Opaque);
    }
}
