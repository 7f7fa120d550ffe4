//! Block-level Markdown parsing with tree-sitter-md, one chunk at a time.
//!
//! Only the block grammar runs: the inline grammar is slow to re-parse and its incremental
//! trees were seen to drift from a fresh parse, and the rules need nothing from it that a
//! node's own line does not show.

pub mod carry;

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Parser, Query, QueryCursor, StreamingIterator, Tree};

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

struct BlockQuery {
    query: Query,
    captures: Vec<Capture>,
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

fn block_query() -> &'static BlockQuery {
    static QUERY: OnceLock<BlockQuery> = OnceLock::new();
    QUERY.get_or_init(|| {
        let query = Query::new(&tree_sitter_md::LANGUAGE.into(), BLOCKS_QUERY)
            .expect("queries/blocks.scm compiles against tree-sitter-md");
        let captures = query
            .capture_names()
            .iter()
            .map(|name| match *name {
                "code" => Capture::Code,
                "html" => Capture::Html,
                "heading" => Capture::Heading,
                "setext_heading" => Capture::SetextHeading,
                "list_marker" => Capture::ListMarker,
                "heading_marker" => Capture::HeadingMarker,
                _ => Capture::Opaque,
            })
            .collect();
        BlockQuery { query, captures }
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
    let bq = block_query();
    let mut classes = vec![LineClass::default(); line_count];
    let mut cursor = QueryCursor::new();
    let mut captures = cursor.captures(&bq.query, tree.root_node(), text.as_bytes());
    let last = line_count.saturating_sub(1);
    while let Some((m, index)) = captures.next() {
        let capture = m.captures()[*index];
        let node = capture.node;
        let start = node.start_position();
        let end = node.end_position();
        let first_row = start.row.min(last);
        // A block's range usually ends at column 0 of the line after it.
        let last_row = if end.column == 0 && end.row > start.row {
            end.row - 1
        } else {
            end.row
        }
        .min(last);
        let kind = match bq.captures[capture.index as usize] {
            Capture::Code => Some(LineKind::Code),
            Capture::Opaque => Some(LineKind::Opaque),
            Capture::Html => {
                let block = &text[node.byte_range()];
                if block.trim_start().starts_with("<!--") {
                    Some(LineKind::HtmlComment)
                } else {
                    Some(LineKind::Opaque)
                }
            }
            Capture::Heading => Some(LineKind::Heading),
            Capture::SetextHeading => {
                // The underline is the heading's last line; it is not text.
                for class in &mut classes[first_row..last_row] {
                    promote(class, LineKind::Heading);
                }
                promote(&mut classes[last_row], LineKind::Opaque);
                None
            }
            Capture::ListMarker => {
                let class = &mut classes[first_row];
                class.list_item = true;
                class.content_start = class.content_start.max(end.column as u32);
                None
            }
            Capture::HeadingMarker => {
                let class = &mut classes[first_row];
                class.content_start = class.content_start.max(end.column as u32);
                None
            }
        };
        if let Some(kind) = kind {
            for class in &mut classes[first_row..=last_row] {
                promote(class, kind);
            }
        }
    }
    classes
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
