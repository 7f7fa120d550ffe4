//! Lexical block state carried from one line to the next.
//!
//! The document is parsed as independent chunks, so a chunk may only start on a line
//! whose meaning cannot depend on what came before it. Only a few Markdown constructs
//! carry over into a non-indented line: an open fenced code block, an open HTML block and
//! front matter (list items, quotes, indented code and paragraphs all end there, except
//! for lazy paragraph continuation, which chunk starts avoid). This scanner tracks those
//! states conservatively: when in doubt it stays "inside", which only makes chunks larger.

/// What an open block needs to see before it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carry {
    Normal,
    Fence { marker: u8, len: usize },
    Html(HtmlEnd),
    FrontMatter { marker: u8 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HtmlEnd {
    Text(&'static str),
    BlankLine,
}

const RAW_TAGS: [(&str, &str); 4] = [
    ("<script", "</script>"),
    ("<pre", "</pre>"),
    ("<style", "</style>"),
    ("<textarea", "</textarea>"),
];

/// Leading spaces (a tab counts as reaching the next multiple of four).
pub fn indent_width(line: &str) -> usize {
    let mut width = 0;
    for b in line.bytes() {
        match b {
            b' ' => width += 1,
            b'\t' => width += 4 - width % 4,
            _ => break,
        }
    }
    width
}

pub fn is_blank(line: &str) -> bool {
    line.bytes()
        .all(|b| b == b' ' || b == b'\t' || b == b'\r' || b == b'\n')
}

/// The state after `line`, given the state before it. `first_line` is true only for the
/// document's first line, where front matter may start.
pub fn step(carry: Carry, line: &str, first_line: bool) -> Carry {
    let line = line.trim_end_matches(['\n', '\r']);
    match carry {
        Carry::Fence { marker, len } => {
            if closes_fence(line, marker, len) {
                Carry::Normal
            } else {
                carry
            }
        }
        Carry::Html(HtmlEnd::BlankLine) => {
            if is_blank(line) {
                Carry::Normal
            } else {
                carry
            }
        }
        Carry::Html(HtmlEnd::Text(end)) => {
            if contains_ignore_ascii_case(line, end) {
                Carry::Normal
            } else {
                carry
            }
        }
        Carry::FrontMatter { marker } => {
            let t = line.trim_end();
            let closes = if marker == b'-' {
                t == "---" || t == "..."
            } else {
                t == "+++"
            };
            if closes {
                Carry::Normal
            } else {
                carry
            }
        }
        Carry::Normal => {
            if first_line {
                let t = line.trim_end();
                if t == "---" {
                    return Carry::FrontMatter { marker: b'-' };
                }
                if t == "+++" {
                    return Carry::FrontMatter { marker: b'+' };
                }
            }
            if indent_width(line) > 3 {
                return Carry::Normal;
            }
            let rest = line.trim_start();
            if let Some((marker, len)) = opens_fence(rest) {
                return Carry::Fence { marker, len };
            }
            opens_html(rest).unwrap_or(Carry::Normal)
        }
    }
}

pub(super) fn fence_run(rest: &str) -> Option<(u8, usize)> {
    let marker = *rest.as_bytes().first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == marker).count();
    (len >= 3).then_some((marker, len))
}

pub(super) fn opens_fence(rest: &str) -> Option<(u8, usize)> {
    let (marker, len) = fence_run(rest)?;
    // A backtick fence's info string may not contain backticks (else it is inline code).
    if marker == b'`' && rest[len..].contains('`') {
        return None;
    }
    Some((marker, len))
}

fn closes_fence(line: &str, marker: u8, open_len: usize) -> bool {
    if indent_width(line) > 3 {
        return false;
    }
    let rest = line.trim_start();
    match fence_run(rest) {
        Some((m, len)) => m == marker && len >= open_len && is_blank(&rest[len..]),
        None => false,
    }
}

fn opens_html(rest: &str) -> Option<Carry> {
    if !rest.starts_with('<') {
        return None;
    }
    let lower_prefix: String = rest
        .chars()
        .take(12)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let text_end = |start_len: usize, end: &'static str| {
        // The end condition may already hold on the opening line.
        if contains_ignore_ascii_case(&rest[start_len.min(rest.len())..], end) {
            Carry::Normal
        } else {
            Carry::Html(HtmlEnd::Text(end))
        }
    };
    for (open, close) in RAW_TAGS {
        if lower_prefix.starts_with(open) {
            let after = rest.as_bytes().get(open.len()).copied();
            if matches!(after, None | Some(b' ' | b'\t' | b'>')) {
                return Some(text_end(open.len(), close));
            }
        }
    }
    if rest.starts_with("<!--") {
        return Some(text_end(4, "-->"));
    }
    if rest.starts_with("<?") {
        return Some(text_end(2, "?>"));
    }
    if rest.starts_with("<![CDATA[") {
        return Some(text_end(9, "]]>"));
    }
    let second = rest.as_bytes().get(1).copied();
    if rest.starts_with("<!") && rest.as_bytes().get(2).is_some_and(u8::is_ascii_alphabetic) {
        return Some(text_end(2, ">"));
    }
    // Types 6 and 7 (any other tag) run to a blank line. Counting every tag-like line
    // is conservative: it only keeps a chunk open longer.
    if second.is_some_and(|b| b.is_ascii_alphabetic() || b == b'/') {
        return Some(Carry::Html(HtmlEnd::BlankLine));
    }
    None
}

fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Whether a non-indented line ends every block that a chunk boundary could cut, given
/// the previous line: after a blank line any non-indented line does; otherwise only an
/// ATX heading or a bullet list item with content (both interrupt a paragraph).
pub fn is_reset_line(line: &str, previous_blank: bool) -> bool {
    let Some(&first) = line.as_bytes().first() else {
        return false;
    };
    if first == b' ' || first == b'\t' || is_blank(line) {
        return false;
    }
    // A chunk is parsed as a document of its own, so on its first line `---` or `+++`
    // would open front matter.
    if matches!(line.trim_end(), "---" | "+++") {
        return false;
    }
    if previous_blank {
        return true;
    }
    is_atx_heading(line) || is_bullet_with_content(line) || is_first_ordered_item(line)
}

pub fn is_atx_heading(line: &str) -> bool {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes)
        && matches!(
            line.as_bytes().get(hashes),
            None | Some(b' ' | b'\t' | b'\r' | b'\n')
        )
}

/// `1. text` or `1) text`: an ordered item that may interrupt a paragraph (another start
/// number may not, so `2. text` could be a paragraph's continuation).
fn is_first_ordered_item(line: &str) -> bool {
    let b = line.as_bytes();
    b.first() == Some(&b'1')
        && matches!(b.get(1), Some(b'.' | b')'))
        && matches!(b.get(2), Some(b' ' | b'\t'))
        && !is_blank(&line[3..])
}

fn is_bullet_with_content(line: &str) -> bool {
    let b = line.as_bytes();
    if !matches!(b.first(), Some(b'-' | b'*' | b'+')) || !matches!(b.get(1), Some(b' ' | b'\t')) {
        return false;
    }
    if is_blank(&line[2..]) {
        return false;
    }
    // `- - -` and `* * *` are thematic breaks, not items.
    let marker = b[0];
    let is_break = b
        .iter()
        .filter(|&&c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        .all(|&c| c == marker);
    !is_break
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> Vec<Carry> {
        let mut carry = Carry::Normal;
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                carry = step(carry, l, i == 0);
                carry
            })
            .collect()
    }

    #[test]
    fn fences_open_and_close() {
        let states = run(&["text", "```rust", "- 1.1 not a node", "```", "after"]);
        assert_eq!(
            states[1],
            Carry::Fence {
                marker: b'`',
                len: 3
            }
        );
        assert_eq!(
            states[2],
            Carry::Fence {
                marker: b'`',
                len: 3
            }
        );
        assert_eq!(states[3], Carry::Normal);
    }

    #[test]
    fn shorter_or_indented_fence_does_not_close() {
        let states = run(&["````", "```", "    ````", "````"]);
        assert_ne!(states[1], Carry::Normal);
        assert_ne!(states[2], Carry::Normal);
        assert_eq!(states[3], Carry::Normal);
    }

    #[test]
    fn inline_code_is_not_a_fence() {
        assert_eq!(run(&["```inline``` text"])[0], Carry::Normal);
    }

    #[test]
    fn html_comment_spans_lines() {
        let states = run(&["<!--", "1.1 done", "-->", "x"]);
        assert_eq!(states[0], Carry::Html(HtmlEnd::Text("-->")));
        assert_eq!(states[1], Carry::Html(HtmlEnd::Text("-->")));
        assert_eq!(states[2], Carry::Normal);
        assert_eq!(run(&["<!-- one line -->"])[0], Carry::Normal);
    }

    #[test]
    fn front_matter_only_on_first_line() {
        assert_eq!(
            run(&["---", "a: 1", "---"])[1],
            Carry::FrontMatter { marker: b'-' }
        );
        assert_eq!(run(&["---", "a: 1", "---"])[2], Carry::Normal);
        assert_eq!(run(&["x", "---"])[1], Carry::Normal);
    }

    #[test]
    fn reset_lines() {
        assert!(is_reset_line("## Stage 2", false));
        assert!(is_reset_line("- [ ] 1.2 Item", false));
        assert!(is_reset_line("1.2 Paragraph", true));
        assert!(!is_reset_line("1.2 Paragraph", false));
        assert!(!is_reset_line("  - nested", true));
        assert!(!is_reset_line("- - -", false));
        assert!(!is_reset_line("#hashtag", false));
        assert!(!is_reset_line("", true));
        assert!(!is_reset_line("---", true));
        assert!(is_reset_line("1. [ ] **1.2** Item", false));
        assert!(is_reset_line("1) Item", false));
        assert!(!is_reset_line("2. Item", false));
        assert!(!is_reset_line("1.", false));
        assert!(!is_reset_line("+++", true));
    }
}
