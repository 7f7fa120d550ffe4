//! Line classes for plain chunks without tree-sitter.
//!
//! Most of a task list is plain Markdown: ATX headings, paragraphs, lists, fenced code and
//! HTML comments (inactive nodes), with no other HTML, tables or quotes. In such a chunk the
//! block structure follows from indentation and a few markers, and a line scan gives the
//! same [`LineClass`]es as tree-sitter-md at a small fraction of its cost (its block parser
//! reads 3–4 MB/s, which made opening a large document slow).
//!
//! The scan is conservative: any line that could start a construct outside the subset
//! (or whose meaning depends on rules the scan does not model) makes it give up, and the
//! chunk is parsed by tree-sitter as before. A differential test compares the two on
//! random chunks built from every construct it refuses and on every fixture.

use super::{LineClass, LineKind};

/// The classes of the chunk's `line_count` lines, or `None` when the chunk holds anything
/// but headings, paragraphs, breaks, lists, fenced code and comments, or their layout is one
/// the scan does not model.
pub fn classify(text: &str, line_count: usize) -> Option<Vec<LineClass>> {
    // On a chunk's first line, as on a document's, `---` may open front matter.
    if has_unusual_bytes(text) || text.split('\n').next().unwrap_or("").trim_end() == "---" {
        return None;
    }
    let mut classes = Vec::with_capacity(line_count);
    // Content columns of the open list items, outermost first.
    let mut items: Vec<usize> = Vec::new();
    // Whether the last line left a paragraph open, so the next text line continues it.
    let mut paragraph = false;
    // Whether an HTML comment outside any list is open (it runs to a line with `-->`).
    let mut comment = false;
    // The open fenced code block.
    let mut fence: Option<Fence> = None;
    for line in text.split('\n').take(line_count) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if comment {
            comment = !line.contains("-->");
            classes.push(COMMENT);
            continue;
        }
        if let Some(open) = fence {
            classes.push(CODE);
            let rest = line.trim_start_matches([' ', '\t']);
            if rest.is_empty() {
                continue;
            }
            let indent = super::carry::indent_width(line);
            if indent < open.column {
                // Less indented than the item holding the fence: the item ends, and the
                // fence with it. Left to tree-sitter.
                return None;
            }
            if indent - open.column < 4 && open.closed_by(rest) {
                fence = None;
            }
            continue;
        }
        // Leading spaces and tabs: their width in columns (a tab reaches the next multiple
        // of four) places the line; their length in bytes is where its content starts.
        let lead = line
            .bytes()
            .take_while(|&b| b == b' ' || b == b'\t')
            .count();
        let indent = super::carry::indent_width(line);
        let rest = &line[lead..];
        if rest.is_empty() {
            paragraph = false;
            classes.push(LineClass::default());
            continue;
        }
        // The list items the line's indentation keeps it inside.
        let matched = items.iter().take_while(|&&column| column <= indent).count();
        let base = if matched == 0 { 0 } else { items[matched - 1] };
        if indent - base >= 4 {
            // Indented past its container: paragraph text if a paragraph is open (an
            // indented code block cannot interrupt one), otherwise code. tree-sitter-md
            // reads such a line as code when it looks like a block start (a list marker,
            // HTML), so those are left to it.
            if !paragraph
                || heading_marks(rest).is_some()
                || list_marker(rest).is_some()
                || starts_other_block(rest)
            {
                return None;
            }
            classes.push(LineClass::default());
            continue;
        }
        if let Some((marker, len)) = super::carry::opens_fence(rest) {
            // A fence may interrupt a paragraph; it ends the items it is not inside.
            items.truncate(matched);
            paragraph = false;
            fence = Some(Fence {
                marker,
                len,
                column: base,
            });
            classes.push(CODE);
            continue;
        }
        if let Some(closed) = comment_start(rest) {
            // A comment may interrupt a paragraph; it ends the items it is not inside.
            // Inside an item, a comment over several lines ends with the item when a line
            // is indented less: left to tree-sitter.
            if !closed && matched > 0 {
                return None;
            }
            items.truncate(matched);
            paragraph = false;
            comment = !closed;
            classes.push(COMMENT);
            continue;
        }
        if let Some(marks) = heading_marks(rest) {
            if indent > 0 {
                return None;
            }
            items.clear();
            paragraph = false;
            classes.push(LineClass {
                kind: LineKind::Heading,
                content_start: marks as u32,
                list_item: false,
            });
            continue;
        }
        if indent == 0 && !paragraph && is_thematic_break(rest) {
            // A break between sections (a `---` under a paragraph would underline it).
            items.clear();
            classes.push(LineClass {
                kind: LineKind::Opaque,
                content_start: 0,
                list_item: false,
            });
            continue;
        }
        if let Some(marker) = list_marker(rest) {
            let width = marker.width;
            if starts_other_block(&rest[width..]) {
                return None;
            }
            // An ordered item interrupts the paragraph it would otherwise continue only if
            // it starts at 1 (a lazy line, outside the paragraph's item, is not one).
            if marker.ordered_from_other_than_one && paragraph && matched == items.len() {
                return None;
            }
            items.truncate(matched);
            items.push(indent + width);
            paragraph = true;
            classes.push(LineClass {
                kind: LineKind::Text,
                content_start: (lead + width) as u32,
                list_item: true,
            });
            continue;
        }
        if starts_other_block(rest) {
            return None;
        }
        if !paragraph {
            // A new paragraph in the innermost item that still holds the line. (An open
            // paragraph instead takes the line as its continuation, lazily if need be,
            // and every item stays open.)
            items.truncate(matched);
            paragraph = true;
        }
        classes.push(LineClass::default());
    }
    // A fence left open runs to the end of the document: left to tree-sitter.
    if classes.len() != line_count || fence.is_some() {
        return None;
    }
    if comment && text.ends_with('\n') && line_count == text.split('\n').count() {
        // A comment left open at the end stops before the empty line after the last line
        // break, as every block does.
        classes[line_count - 1] = LineClass::default();
    }
    Some(classes)
}

/// A line of a fenced code block, fences included.
const CODE: LineClass = LineClass {
    kind: LineKind::Code,
    content_start: 0,
    list_item: false,
};

#[derive(Clone, Copy)]
struct Fence {
    marker: u8,
    len: usize,
    /// The content column of the list item holding the fence (0 outside lists).
    column: usize,
}

impl Fence {
    /// Whether `rest` (a line past its indentation) is this fence's closing fence.
    fn closed_by(&self, rest: &str) -> bool {
        super::carry::fence_run(rest).is_some_and(|(marker, len)| {
            marker == self.marker && len >= self.len && super::carry::is_blank(&rest[len..])
        })
    }
}

/// A line of an HTML comment block: inactive nodes.
const COMMENT: LineClass = LineClass {
    kind: LineKind::HtmlComment,
    content_start: 0,
    list_item: false,
};

/// Whether `rest` opens an HTML comment, and if so whether the comment closes on it.
/// `<!-->` and `<!--->`, empty comments with their own rules, are left to tree-sitter.
fn comment_start(rest: &str) -> Option<bool> {
    let body = rest.strip_prefix("<!--")?;
    if body.starts_with('>') || body.starts_with("->") {
        return None;
    }
    Some(body.contains("-->"))
}

/// Control characters other than tabs, and a carriage return that does not end a line:
/// cases the scan leaves to tree-sitter.
fn has_unusual_bytes(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\n' | b'\t' => false,
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        _ => b < 0x20 || b == 0x7f,
    })
}

/// The number of `#` of an ATX heading's opening sequence.
fn heading_marks(rest: &str) -> Option<usize> {
    let marks = rest.bytes().take_while(|&b| b == b'#').count();
    let after = rest.as_bytes().get(marks);
    ((1..=6).contains(&marks) && matches!(after, None | Some(b' '))).then_some(marks)
}

/// `---`, `***` or `___`, three or more of one mark, spaces allowed between them.
fn is_thematic_break(rest: &str) -> bool {
    let mark = rest.as_bytes()[0];
    matches!(mark, b'-' | b'*' | b'_')
        && rest.bytes().all(|b| b == mark || b == b' ')
        && rest.bytes().filter(|&b| b == mark).count() >= 3
}

struct ListMarker {
    /// The marker and the spaces after it.
    width: usize,
    ordered_from_other_than_one: bool,
}

/// A bullet (`-`, `*`, `+`) or ordered (`1.`, `2)`) list marker with the spaces after it,
/// when the item has content on its first line and that content is not indented code
/// (five spaces or more).
fn list_marker(rest: &str) -> Option<ListMarker> {
    let bytes = rest.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let (marker, ordered_from_other_than_one) = match bytes.first()? {
        b'-' | b'*' | b'+' => (1, false),
        b'0'..=b'9' if digits <= 9 && matches!(bytes.get(digits), Some(b'.' | b')')) => {
            // tree-sitter-md lets `1.` interrupt a paragraph but not `01.`.
            (digits + 1, &rest[..digits] != "1")
        }
        _ => return None,
    };
    let spaces = bytes[marker..].iter().take_while(|&&b| b == b' ').count();
    // A tab after the marker counts partly towards the content's column: not modelled.
    let content = bytes.get(marker + spaces).filter(|&&b| b != b'\t');
    ((1..=4).contains(&spaces) && content.is_some()).then_some(ListMarker {
        width: marker + spaces,
        ordered_from_other_than_one,
    })
}

/// Whether text that would otherwise be a paragraph line (or a list item's first line)
/// could start, underline or define anything else: a heading, quote, fence, HTML, an
/// ordered or nested list marker, a thematic break, a setext underline, a table's
/// delimiter row or a link reference definition.
fn starts_other_block(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    match bytes.first() {
        None => return true,
        Some(b'#' | b'>' | b'<') => return true,
        Some(b'`') if rest.starts_with("```") => return true,
        Some(b'~') if rest.starts_with("~~~") => return true,
        Some(b'-' | b'*' | b'+') if matches!(bytes.get(1), None | Some(b' ' | b'\t')) => {
            return true
        }
        Some(b'[') if !rest.contains(']') => return true,
        _ => {}
    }
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0
        && matches!(bytes.get(digits), Some(b'.' | b')'))
        && matches!(bytes.get(digits + 1), None | Some(b' ' | b'\t'))
    {
        return true;
    }
    let only_rule_marks = bytes.iter().all(|b| {
        matches!(
            b,
            b'-' | b'*' | b'_' | b'=' | b'+' | b'|' | b':' | b' ' | b'\t'
        )
    });
    only_rule_marks || rest.contains("]:")
}

#[cfg(test)]
mod tests;
