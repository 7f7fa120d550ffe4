//! One open document: the rope, its chunks (the scanned lines of each, and the
//! tree-sitter tree of the large ones that are not plain), and its version.
//!
//! Chunks start only on lines where Markdown's block state resets (see `syntax::carry`),
//! and among those only where a hash of the line's ID says so, so that chunk boundaries are a
//! function of nearby text: an edit re-chunks from the chunk it starts in until a boundary
//! lines up with an old one again, and every other chunk is kept as it was.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use ropey::Rope;
use tree_sitter::{InputEdit, Point, Tree};

use crate::model::line::{scan_line, LineItem};
use crate::syntax::{self, carry};

/// One reset line in two starts a new chunk (headings always do).
const BOUNDARY_ONE_IN: u64 = 2;
/// How far into a reset line its ID is looked for, and how much of a line without one
/// the boundary hash reads.
const BOUNDARY_ID_SEARCH: usize = 24;
const BOUNDARY_HASH_BYTES: usize = 12;
/// Documents larger than this are parsed on every core when opened.
const PARALLEL_PARSE_BYTES: usize = 256 * 1024;
/// Runs of chunks per parsing thread when a large document is opened.
const PARSE_RUNS_PER_THREAD: usize = 8;

pub struct Chunk {
    pub start_line: usize,
    pub line_count: usize,
    /// Kept only for large chunks that tree-sitter parsed (plain chunks are classified by a
    /// line scan and have none), where an incremental reparse pays: a tree costs tens of
    /// bytes per byte of text, and a small chunk reparses from scratch in microseconds.
    tree: Option<Tree>,
    pub lines: Arc<[LineItem]>,
}

/// Chunks of at least this many lines keep their tree for incremental reparsing.
const KEEP_TREE_LINES: usize = 256;

pub struct Document {
    rope: Rope,
    version: i32,
    chunks: Vec<Chunk>,
}

/// A text edit in byte offsets of the document before the edit.
#[derive(Clone, Debug)]
pub struct TextEdit {
    pub range: Option<Range<usize>>,
    pub text: String,
}

impl Document {
    pub fn new(text: &str, version: i32) -> Document {
        let rope = Rope::from_str(text);
        let ranges = chunk_ranges(&rope, 0, None).0;
        let chunks = parse_chunks(&rope, ranges);
        Document {
            rope,
            version,
            chunks,
        }
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn set_version(&mut self, version: i32) {
        self.version = version;
    }

    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    pub fn line_count(&self) -> usize {
        self.rope.len_lines()
    }

    /// The text of a line without its line break.
    pub fn line(&self, line: usize) -> Cow<'_, str> {
        line_text(&self.rope, line)
    }

    /// The scanned item of every line, in order.
    pub fn line_items(&self) -> impl Iterator<Item = (usize, &LineItem)> {
        self.chunks.iter().flat_map(|c| {
            c.lines
                .iter()
                .enumerate()
                .map(move |(i, l)| (c.start_line + i, l))
        })
    }

    /// The text of one of this document's chunks, line breaks included.
    pub fn chunk_text(&self, chunk: &Chunk) -> Cow<'_, str> {
        chunk_text(
            &self.rope,
            chunk.start_line..chunk.start_line + chunk.line_count,
        )
    }

    /// The tree of each chunk as an S-expression (for comparing against a fresh parse).
    pub fn trees(&self) -> Vec<(usize, String)> {
        self.chunks
            .iter()
            .map(|c| {
                let sexp = match &c.tree {
                    Some(tree) => tree.root_node().to_sexp(),
                    None => syntax::parse(&self.chunk_text(c), None)
                        .root_node()
                        .to_sexp(),
                };
                (c.start_line, sexp)
            })
            .collect()
    }

    /// Applies one change. Byte offsets are clamped to the document and to char
    /// boundaries, so a stale or odd range never panics.
    pub fn apply(&mut self, edit: &TextEdit) {
        let Some(range) = &edit.range else {
            *self = Document::new(&edit.text, self.version);
            return;
        };
        let len = self.rope.len_bytes();
        let start = self.floor_char_boundary(range.start.min(len));
        let end = self.floor_char_boundary(range.end.clamp(start, len));
        self.replace(start, end, &edit.text);
    }

    fn floor_char_boundary(&self, byte: usize) -> usize {
        let ch = self.rope.byte_to_char(byte);
        self.rope.char_to_byte(ch)
    }

    fn replace(&mut self, start: usize, end: usize, text: &str) {
        let start_line = self.rope.byte_to_line(start);

        let mut first = self.chunk_index(start_line);
        if first > 0 && self.chunks[first].start_line == start_line {
            // The edit may change whether its first line still starts a chunk.
            first -= 1;
        }
        let rope = &mut self.rope;
        let old_line_count = rope.len_lines();
        let chunk_start_byte = rope.line_to_byte(self.chunks[first].start_line);
        let tree_edit = input_edit(
            rope,
            chunk_start_byte,
            self.chunks[first].start_line,
            start,
            end,
            text,
        );

        let start_char = rope.byte_to_char(start);
        let end_char = rope.byte_to_char(end);
        rope.remove(start_char..end_char);
        rope.insert(start_char, text);

        let delta = rope.len_lines() as isize - old_line_count as isize;
        let new_last_line = rope.byte_to_line(start + text.len());

        let chunks = &self.chunks;
        let resync = |line: usize| -> Option<usize> {
            if line <= new_last_line {
                return None;
            }
            let old_line = (line as isize - delta) as usize;
            chunks[first + 1..]
                .binary_search_by_key(&old_line, |c| c.start_line)
                .ok()
                .map(|i| first + 1 + i)
        };
        let (ranges, resync_at) = chunk_ranges(rope, self.chunks[first].start_line, Some(&resync));
        let resync_at = resync_at.unwrap_or(self.chunks.len());

        let new_chunks: Vec<Chunk> = match &self.chunks[first].tree {
            Some(old) if ranges.len() == 1 && resync_at == first + 1 => {
                let mut old = old.clone();
                old.edit(&tree_edit);
                vec![build_chunk(rope, ranges[0].clone(), Some(&old))]
            }
            _ => parse_chunks(rope, ranges),
        };
        for chunk in &mut self.chunks[resync_at..] {
            chunk.start_line = (chunk.start_line as isize + delta) as usize;
        }
        self.chunks.splice(first..resync_at, new_chunks);
    }

    /// The chunk holding `line`.
    fn chunk_index(&self, line: usize) -> usize {
        self.chunks
            .partition_point(|c| c.start_line <= line)
            .saturating_sub(1)
    }
}

fn line_text(rope: &Rope, line: usize) -> Cow<'_, str> {
    let slice = rope.line(line);
    let text: Cow<str> = slice.into();
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim_end_matches(['\n', '\r'])),
        Cow::Owned(mut s) => {
            let trimmed = s.trim_end_matches(['\n', '\r']).len();
            s.truncate(trimmed);
            Cow::Owned(s)
        }
    }
}

/// Lines as the rope counts them: broken at LF, CRLF and a lone CR.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\n', '\r']) {
            Some(i) => {
                let next = if s[i..].starts_with("\r\n") {
                    i + 2
                } else {
                    i + 1
                };
                rest = Some(&s[next..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

/// Whether a reset line starts a chunk: a hash of the line's first token with a digit
/// (its ID, past any list marker, checkbox or emphasis) picks one in `BOUNDARY_ONE_IN`, so
/// typing a title never moves a boundary; a line without a digit near its start hashes its
/// first bytes. FNV-1a's low bits hardly mix, so the top bits of a multiplicative finish
/// decide.
fn picked_as_boundary(text: &str) -> bool {
    // An ordered list marker's number is not the line's ID.
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let text = match text.as_bytes().get(digits..digits + 2) {
        Some([b'.' | b')', b' ' | b'\t']) if digits > 0 => &text[digits + 2..],
        _ => text,
    };
    let bytes = text.as_bytes();
    let head = &bytes[..bytes.len().min(BOUNDARY_ID_SEARCH)];
    let key = match head.iter().position(u8::is_ascii_digit) {
        Some(start) => {
            let len = bytes[start..]
                .iter()
                .position(|b| b.is_ascii_whitespace())
                .unwrap_or(bytes.len() - start);
            &bytes[start..start + len]
        }
        None => &bytes[..bytes.len().min(BOUNDARY_HASH_BYTES)],
    };
    let fnv = key.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (fnv.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60).is_multiple_of(BOUNDARY_ONE_IN)
}

/// Splits the document into chunk line ranges from `from` (a chunk start) on. With
/// `resync`, stops at the first boundary it accepts and returns the old chunk index.
fn chunk_ranges(
    rope: &Rope,
    from: usize,
    resync: Option<&dyn Fn(usize) -> Option<usize>>,
) -> (Vec<Range<usize>>, Option<usize>) {
    let total = rope.len_lines();
    let mut ranges = Vec::new();
    let mut state = carry::Carry::Normal;
    let mut previous_blank = from > 0 && carry::is_blank(&line_text(rope, from - 1));
    let mut chunk_start = from;
    for line in from..total {
        let text = line_text(rope, line);
        if line > chunk_start
            && state == carry::Carry::Normal
            && carry::is_reset_line(&text, previous_blank)
            && (carry::is_atx_heading(&text) || picked_as_boundary(&text))
        {
            ranges.push(chunk_start..line);
            if let Some(old) = resync.and_then(|r| r(line)) {
                return (ranges, Some(old));
            }
            chunk_start = line;
        }
        state = carry::step(state, &text, line == 0);
        previous_blank = carry::is_blank(&text);
    }
    ranges.push(chunk_start..total);
    (ranges, None)
}

fn parse_chunks(rope: &Rope, ranges: Vec<Range<usize>>) -> Vec<Chunk> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if rope.len_bytes() < PARALLEL_PARSE_BYTES || ranges.len() < 2 || threads < 2 {
        return ranges
            .into_iter()
            .map(|r| build_chunk(rope, r, None))
            .collect();
    }
    // Runs of chunks of about equal size in bytes, several per core, taken in turn by one
    // thread per core: a thread that is slowed down (a busy machine) leaves its next runs
    // to the others.
    let runs = (threads * PARSE_RUNS_PER_THREAD).min(ranges.len());
    let run_bytes = rope.len_bytes().div_ceil(runs);
    let mut bounds = vec![0];
    for k in 1..runs {
        let at = ranges
            .partition_point(|r| rope.line_to_byte(r.start) < k * run_bytes)
            .max(bounds[bounds.len() - 1]);
        bounds.push(at);
    }
    bounds.push(ranges.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parsed: Vec<(usize, Vec<Chunk>)> = std::thread::scope(|scope| {
        let work = || {
            let mut done = Vec::new();
            loop {
                let run = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if run >= runs {
                    return done;
                }
                let chunks = ranges[bounds[run]..bounds[run + 1]]
                    .iter()
                    .map(|r| build_chunk(rope, r.clone(), None))
                    .collect::<Vec<_>>();
                done.push((run, chunks));
            }
        };
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for other in others {
            all.extend(other.join().expect("chunk parser thread"));
        }
        all
    });
    parsed.sort_unstable_by_key(|(run, _)| *run);
    parsed.into_iter().flat_map(|(_, chunks)| chunks).collect()
}

fn chunk_text(rope: &Rope, range: Range<usize>) -> Cow<'_, str> {
    let start_byte = rope.line_to_byte(range.start);
    let end_byte = if range.end >= rope.len_lines() {
        rope.len_bytes()
    } else {
        rope.line_to_byte(range.end)
    };
    rope.byte_slice(start_byte..end_byte).into()
}

fn build_chunk(rope: &Rope, range: Range<usize>, old: Option<&Tree>) -> Chunk {
    let text = chunk_text(rope, range.clone());
    let line_count = range.len();
    // A plain chunk (headings, paragraphs, bullet lists) is classified by a line scan that
    // agrees with tree-sitter-md there and costs a fraction of a parse; it needs no tree.
    let (classes, tree) = match syntax::plain::classify(&text, line_count) {
        Some(classes) => (classes, None),
        None => {
            let tree = syntax::parse(&text, old);
            let classes = syntax::classify(&tree, &text, line_count);
            (classes, (line_count >= KEEP_TREE_LINES).then_some(tree))
        }
    };
    let lines: Arc<[LineItem]> = split_lines(&text)
        .take(line_count)
        .zip(classes)
        .map(|(line, class)| scan_line(line, class))
        .collect();
    debug_assert_eq!(lines.len(), line_count);
    Chunk {
        start_line: range.start,
        line_count,
        tree,
        lines,
    }
}

/// The tree-sitter edit for replacing `start..end` with `text`, relative to the chunk
/// that starts at `chunk_line` (byte `chunk_byte`).
fn input_edit(
    rope: &Rope,
    chunk_byte: usize,
    chunk_line: usize,
    start: usize,
    end: usize,
    text: &str,
) -> InputEdit {
    let point = |byte: usize| {
        let line = rope.byte_to_line(byte);
        Point::new(line - chunk_line, byte - rope.line_to_byte(line))
    };
    let start_position = point(start);
    let new_end_position = match text.rfind('\n') {
        Some(last) => Point::new(
            start_position.row + text.matches('\n').count(),
            text.len() - last - 1,
        ),
        None => Point::new(start_position.row, start_position.column + text.len()),
    };
    InputEdit {
        start_byte: start - chunk_byte,
        old_end_byte: end - chunk_byte,
        new_end_byte: start - chunk_byte + text.len(),
        start_position,
        old_end_position: point(end),
        new_end_position,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(doc: &mut Document, start: usize, end: usize, text: &str) {
        doc.apply(&TextEdit {
            range: Some(start..end),
            text: text.into(),
        });
    }

    fn assert_same_as_fresh(doc: &Document) {
        let fresh = Document::new(&doc.text(), 0);
        assert_eq!(doc.trees(), fresh.trees());
        let items: Vec<_> = doc.line_items().map(|(l, i)| (l, i.clone())).collect();
        let fresh_items: Vec<_> = fresh.line_items().map(|(l, i)| (l, i.clone())).collect();
        assert_eq!(items, fresh_items);
    }

    #[test]
    fn edits_match_a_fresh_parse() {
        let mut text = String::new();
        for i in 1..40 {
            text.push_str(&format!(
                "## Phase {i}: Work\n\n- 1.{i} Group\n  - 1.{i}.1 Add thing\n\n"
            ));
        }
        let mut doc = Document::new(&text, 1);
        assert!(doc.chunks().len() > 10);
        edit(&mut doc, 10, 10, "x");
        assert_same_as_fresh(&doc);
        // Open a fence in the middle: everything after becomes code.
        let mid = doc.text().find("## Phase 20").unwrap();
        edit(&mut doc, mid, mid, "```\n");
        assert_same_as_fresh(&doc);
        assert!(doc.line_items().filter(|(_, i)| i.node().is_some()).count() < 60);
        // Close it again.
        edit(&mut doc, mid, mid + 4, "");
        assert_same_as_fresh(&doc);
        let end = doc.rope().len_bytes();
        edit(&mut doc, 0, end, "");
        assert_same_as_fresh(&doc);
    }

    #[test]
    fn a_large_document_parses_on_threads_as_on_one() {
        let text = crate::testgen::task_list(8_000, crate::testgen::Style::Nested);
        assert!(text.len() > PARALLEL_PARSE_BYTES);
        let doc = Document::new(&text, 1);
        let rope = Rope::from_str(&text);
        let one_thread: Vec<Chunk> = chunk_ranges(&rope, 0, None)
            .0
            .into_iter()
            .map(|r| build_chunk(&rope, r, None))
            .collect();
        assert_eq!(doc.chunks().len(), one_thread.len());
        for (a, b) in doc.chunks().iter().zip(&one_thread) {
            assert_eq!((a.start_line, a.line_count), (b.start_line, b.line_count));
            assert_eq!(a.lines, b.lines);
        }
    }

    /// Chunks are parsed as documents of their own; they must read every line as one
    /// parse of the whole text does.
    #[test]
    fn chunks_classify_as_the_whole_document_does() {
        let mut texts = vec![
            "---\ntitle: x\n---\n\n1.1 Add a\n\n1.2 Add b\n".to_string(),
            "- a\n\n```\n1.1 code\n\n1.2 code\n```\n\n1.3 Add c\n".to_string(),
            "<!--\n\n1.1 old\n\n-->\n\n1.2 Add b\n".to_string(),
        ];
        // A chunk starting on a front matter fence would read up to the next one as front
        // matter. Boundaries are picked by a hash of the line, so try several spellings.
        for fence in ["---", "--- ", "---  ", "+++", "+++ ", "+++  "] {
            texts.push(format!(
                "intro\n\n{fence}\n1.1 Add a\n{fence}\n\n1.2 Add b\n"
            ));
        }
        for style in crate::testgen::Style::ALL {
            texts.push(crate::testgen::task_list(3_000, style));
        }
        texts.push("Intro\n1. Install\n1) Build\n2. Later\n   1. Nested\n1. Back\n".into());
        for text in &texts {
            let doc = Document::new(text, 1);
            let tree = syntax::parse(text, None);
            let classes = syntax::classify(&tree, text, doc.line_count());
            let whole: Vec<LineItem> = split_lines(text)
                .zip(classes)
                .map(|(line, class)| scan_line(line, class))
                .collect();
            let chunked: Vec<LineItem> = doc.line_items().map(|(_, i)| i.clone()).collect();
            assert_eq!(chunked, whole, "{}", &text[..text.len().min(300)]);
        }
    }

    #[test]
    fn crlf_and_multibyte() {
        let text = "### Stage 1: CORE – Base\r\n(Dependencies: None | Stage Gate: ok)\r\n\r\n1.1 Set up – env\r\n";
        let doc = Document::new(text, 1);
        let nodes: Vec<_> = doc
            .line_items()
            .filter_map(|(l, i)| i.node().map(|n| (l, n.title.clone())))
            .collect();
        assert_eq!(
            nodes,
            [
                (0, "CORE – Base".to_string()),
                (3, "Set up – env".to_string())
            ]
        );
    }

    #[test]
    fn clamps_bad_ranges() {
        let mut doc = Document::new("héllo\n", 1);
        edit(&mut doc, 2, 999, "y");
        assert_eq!(doc.text(), "hy");
    }
}
