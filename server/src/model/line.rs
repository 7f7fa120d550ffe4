//! What one line of a task list says: a node, notes, a heading, or nothing.
//!
//! Everything here depends on the line's own text and block class only, so the result is
//! cached per chunk and recomputed only for the chunks an edit touches.

use super::clauses;
use super::id::TaskId;
use crate::syntax::{LineClass, LineKind};

/// A byte range within one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    Stage,
    Phase,
    Task,
    Subtask,
}

impl Keyword {
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Stage => "Stage",
            Keyword::Phase => "Phase",
            Keyword::Task => "Task",
            Keyword::Subtask => "Subtask",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckKind {
    Validate,
    Verify,
    Document,
}

impl CheckKind {
    pub const ALL: [CheckKind; 3] = [CheckKind::Validate, CheckKind::Verify, CheckKind::Document];

    pub fn verb(self) -> &'static str {
        match self {
            CheckKind::Validate => "Validate",
            CheckKind::Verify => "Verify",
            CheckKind::Document => "Document",
        }
    }

    pub fn letter(self) -> u8 {
        match self {
            CheckKind::Validate => b'A',
            CheckKind::Verify => b'B',
            CheckKind::Document => b'C',
        }
    }

    pub fn from_letter(letter: u8) -> Option<CheckKind> {
        CheckKind::ALL.into_iter().find(|k| k.letter() == letter)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeLine {
    pub id: TaskId,
    pub id_span: Span,
    pub keyword: Option<Keyword>,
    pub title: String,
    /// `Some(checked)` when the line has a task-list checkbox.
    pub checkbox: Option<bool>,
    /// The check-task verb the title starts with.
    pub check_verb: Option<CheckKind>,
    /// The first `Task X.Y` the title names.
    pub named_task: Option<TaskId>,
    /// The actions of a title that joins two or more; empty when it is atomic.
    pub actions: Box<[String]>,
    pub starts_with_verb: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKey {
    Dependencies,
    StageGate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub id: TaskId,
    /// Covers the level keyword, if any, and the ID.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub key: NoteKey,
    pub key_span: Span,
    pub value: String,
    pub value_span: Span,
    /// For Dependencies: the references (empty for `None` and for plain words).
    pub refs: Vec<Reference>,
}

impl Note {
    /// A note with an empty value counts as missing.
    pub fn is_present(&self) -> bool {
        !self.value.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Node(Box<NodeLine>),
    /// A line holding notes only (they belong to the node above).
    Notes,
    /// A heading that is not a node: notes below it belong to nobody.
    Heading,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineItem {
    pub kind: ItemKind,
    pub inactive: bool,
    pub notes: Box<[Note]>,
}

impl LineItem {
    pub fn other() -> LineItem {
        LineItem {
            kind: ItemKind::Other,
            inactive: false,
            notes: Box::new([]),
        }
    }

    pub fn node(&self) -> Option<&NodeLine> {
        match &self.kind {
            ItemKind::Node(node) => Some(node),
            _ => None,
        }
    }
}

/// Scans one line (without its line break) of the given block class.
pub fn scan_line(line: &str, class: LineClass) -> LineItem {
    let line = line.trim_end_matches(['\n', '\r']);
    let inactive = match class.kind {
        LineKind::Code | LineKind::Opaque => return LineItem::other(),
        LineKind::HtmlComment => true,
        LineKind::Text | LineKind::Heading => false,
    };
    let mut pos = (class.content_start as usize).min(line.len());
    while !line.is_char_boundary(pos) {
        pos -= 1;
    }
    pos = skip_ws(line, pos);
    if inactive {
        // Inside a comment Markdown is not parsed: strip the comment mark and any list
        // marker by hand.
        if line[pos..].starts_with("<!--") {
            pos = skip_ws(line, pos + 4);
        }
        pos = skip_list_marker(line, pos);
        pos = skip_heading_marks(line, pos);
    }
    let body_start = pos;
    pos = skip_checkbox(line, pos).unwrap_or(pos);
    let checkbox = skip_checkbox(line, body_start).map(|_| {
        let mark = line.as_bytes()[skip_ws(line, body_start) + 1];
        mark == b'x' || mark == b'X'
    });
    pos = skip_ws(line, pos);
    let after_emphasis = skip_emphasis(line, pos);

    if let Some(node) = scan_node(line, after_emphasis, checkbox, inactive) {
        let (node, notes) = node;
        return LineItem {
            kind: ItemKind::Node(Box::new(node)),
            inactive,
            notes,
        };
    }
    if class.kind == LineKind::Heading {
        return LineItem {
            kind: ItemKind::Heading,
            inactive,
            notes: Box::new([]),
        };
    }
    // A notes line: `(Dependencies: …)`, `- Dependencies: …`, `**Stage Gate:** …`.
    let mut p = after_emphasis;
    let region_start = p;
    if line[p..].starts_with('(') {
        p = skip_emphasis(line, skip_ws(line, p + 1));
    }
    if key_at(line, p).is_some() {
        // From the `(` when there is one, so that its `)` closes the last value.
        let notes = parse_notes(line, region_start);
        if !notes.is_empty() {
            return LineItem {
                kind: ItemKind::Notes,
                inactive,
                notes: notes.into_boxed_slice(),
            };
        }
    }
    LineItem {
        kind: ItemKind::Other,
        inactive,
        notes: Box::new([]),
    }
}

fn scan_node(
    line: &str,
    start: usize,
    checkbox: Option<bool>,
    inactive: bool,
) -> Option<(NodeLine, Box<[Note]>)> {
    let mut pos = start;
    let keyword = keyword_at(line, pos).map(|(keyword, len)| {
        pos = skip_ws(line, pos + len);
        keyword
    });
    let (id, id_len) = TaskId::parse_prefix(&line[pos..])?;
    if id.nums().len() == 1 && id.letter().is_none() && keyword.is_none() {
        return None;
    }
    let id_span = Span::new(pos, pos + id_len);
    let mut after = pos + id_len;
    if matches!(line.as_bytes().get(after), Some(b'.' | b':' | b')')) {
        after += 1;
    }
    match line.as_bytes().get(after) {
        None | Some(b' ' | b'\t' | b'*' | b'_') => {}
        _ => return None,
    }
    let rest_start = after;
    let note_start = find_note_region(line, rest_start);
    let title_end = note_start.unwrap_or(line.len());
    let mut title = clean_title(&line[rest_start..title_end]);
    if inactive {
        title = title.trim_end_matches("-->").trim_end().to_string();
    }
    let notes = note_start
        .map(|s| parse_notes(line, s))
        .unwrap_or_default()
        .into_boxed_slice();
    let check_verb = check_verb(&title);
    let named_task = named_task(&title);
    let actions = clauses::actions(&title);
    let actions = if actions.len() >= 2 {
        actions.into_boxed_slice()
    } else {
        Box::new([])
    };
    let starts_with_verb = clauses::starts_with_action_verb(&title);
    Some((
        NodeLine {
            id,
            id_span,
            keyword,
            title,
            checkbox,
            check_verb,
            named_task,
            actions,
            starts_with_verb,
        },
        notes,
    ))
}

fn skip_ws(line: &str, mut pos: usize) -> usize {
    let b = line.as_bytes();
    while pos < b.len() && (b[pos] == b' ' || b[pos] == b'\t') {
        pos += 1;
    }
    pos
}

fn skip_emphasis(line: &str, mut pos: usize) -> usize {
    let b = line.as_bytes();
    let mut n = 0;
    while n < 3 && pos < b.len() && (b[pos] == b'*' || b[pos] == b'_') {
        pos += 1;
        n += 1;
    }
    pos
}

fn skip_checkbox(line: &str, pos: usize) -> Option<usize> {
    let pos = skip_ws(line, pos);
    let b = line.as_bytes();
    if b.len() >= pos + 3
        && b[pos] == b'['
        && matches!(b[pos + 1], b' ' | b'x' | b'X')
        && b[pos + 2] == b']'
        && matches!(b.get(pos + 3), None | Some(b' ' | b'\t'))
    {
        Some(pos + 3)
    } else {
        None
    }
}

/// `### ` of a heading inside a comment, where Markdown is not parsed.
fn skip_heading_marks(line: &str, pos: usize) -> usize {
    let hashes = line.as_bytes()[pos..]
        .iter()
        .take_while(|&&b| b == b'#')
        .count();
    if (1..=6).contains(&hashes) && matches!(line.as_bytes().get(pos + hashes), Some(b' ' | b'\t'))
    {
        skip_ws(line, pos + hashes)
    } else {
        pos
    }
}

fn skip_list_marker(line: &str, pos: usize) -> usize {
    let b = line.as_bytes();
    let rest = &b[pos..];
    if matches!(rest.first(), Some(b'-' | b'*' | b'+')) && matches!(rest.get(1), Some(b' ' | b'\t'))
    {
        return skip_ws(line, pos + 1);
    }
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=9).contains(&digits)
        && matches!(rest.get(digits), Some(b'.' | b')'))
        && matches!(rest.get(digits + 1), Some(b' ' | b'\t'))
    {
        return skip_ws(line, pos + digits + 1);
    }
    pos
}

fn word_at(line: &str, pos: usize, word: &str) -> bool {
    let b = line.as_bytes();
    let end = pos + word.len();
    end <= b.len()
        && b[pos..end].eq_ignore_ascii_case(word.as_bytes())
        && !b.get(end).is_some_and(|c| c.is_ascii_alphanumeric())
}

fn keyword_at(line: &str, pos: usize) -> Option<(Keyword, usize)> {
    const KEYWORDS: [(&str, Keyword); 4] = [
        ("subtask", Keyword::Subtask),
        ("stage", Keyword::Stage),
        ("phase", Keyword::Phase),
        ("task", Keyword::Task),
    ];
    for (word, keyword) in KEYWORDS {
        if word_at(line, pos, word)
            && matches!(line.as_bytes().get(pos + word.len()), Some(b' ' | b'\t'))
        {
            return Some((keyword, word.len()));
        }
    }
    None
}

/// A note key at `pos` followed by `:` (emphasis may stand around the key or the colon);
/// returns the key, its length, and where the value starts.
fn key_at(line: &str, pos: usize) -> Option<(NoteKey, usize, usize)> {
    const KEYS: [(&str, NoteKey); 4] = [
        ("dependencies", NoteKey::Dependencies),
        ("depends on", NoteKey::Dependencies),
        ("stage gate", NoteKey::StageGate),
        ("gate", NoteKey::StageGate),
    ];
    let b = line.as_bytes();
    if pos > 0 && b[pos - 1].is_ascii_alphanumeric() {
        return None;
    }
    for (word, key) in KEYS {
        if word_at(line, pos, word) {
            let mut p = skip_emphasis(line, pos + word.len());
            p = skip_ws(line, p);
            if b.get(p) == Some(&b':') {
                let value = skip_ws(line, skip_emphasis(line, p + 1));
                return Some((key, word.len(), value));
            }
        }
    }
    None
}

/// Where the notes of a node line begin (the `(` before the first key, or the key).
fn find_note_region(line: &str, from: usize) -> Option<usize> {
    let b = line.as_bytes();
    let mut in_code = false;
    for pos in from..b.len() {
        if b[pos] == b'`' {
            in_code = !in_code;
        }
        if in_code || !matches!(b[pos], b'd' | b'D' | b's' | b'S' | b'g' | b'G') {
            continue;
        }
        if key_at(line, pos).is_some() {
            // Include an opening parenthesis (and emphasis) right before the key.
            let mut start = pos;
            while start > from && matches!(b[start - 1], b'*' | b'_' | b' ' | b'\t') {
                start -= 1;
            }
            if start > from && b[start - 1] == b'(' {
                start -= 1;
            } else {
                start = pos;
            }
            return Some(start);
        }
    }
    None
}

/// Parses the notes of a note region starting at `start` (a key, or `(` before one).
fn parse_notes(line: &str, start: usize) -> Vec<Note> {
    let b = line.as_bytes();
    let mut pos = start;
    let mut region_end = line.len();
    if b.get(pos) == Some(&b'(') {
        let mut depth = 0;
        for (i, &c) in b.iter().enumerate().skip(pos) {
            match c {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        region_end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        pos += 1;
    }
    let mut notes = Vec::new();
    while pos < region_end {
        pos = skip_ws(line, skip_emphasis(line, skip_ws(line, pos)));
        let key = key_at(line, pos);
        let value_start = key.map_or(pos, |k| k.2).min(region_end);
        let value_end = value_end(line, value_start, region_end);
        if let Some((key, key_len, _)) = key {
            let raw = &line[value_start..value_end];
            let value = raw.trim().trim_matches(['*', '_']).trim();
            // Where the value stands once white space and emphasis around it are gone.
            let leading = raw.len() - raw.trim_start_matches([' ', '\t', '*', '_']).len();
            let value_offset = value_start + leading;
            let refs = match key {
                NoteKey::Dependencies => parse_references(value, value_offset),
                NoteKey::StageGate => Vec::new(),
            };
            notes.push(Note {
                key,
                key_span: Span::new(pos, pos + key_len),
                value: value.to_string(),
                value_span: Span::new(value_offset, value_offset + value.len()),
                refs,
            });
        }
        pos = value_end + 1;
    }
    notes
}

/// A value ends at `|`, `;`, a comma followed by a key, or the region's end, outside
/// nested parentheses.
fn value_end(line: &str, from: usize, region_end: usize) -> usize {
    let b = line.as_bytes();
    let mut depth = 0i32;
    let mut i = from;
    while i < region_end {
        match b[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'|' | b';' if depth <= 0 => return i,
            b',' if depth <= 0 => {
                let next = skip_ws(line, skip_emphasis(line, skip_ws(line, i + 1)));
                if key_at(line, next).is_some() {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    region_end
}

const NONE_VALUES: [&str; 6] = ["none", "n/a", "-", "—", "[]", "none."];

/// References in a Dependencies value that starts at byte `offset` of the line.
pub fn parse_references(value: &str, offset: usize) -> Vec<Reference> {
    let lower = value.to_ascii_lowercase();
    if NONE_VALUES.contains(&lower.trim()) {
        return Vec::new();
    }
    let b = value.as_bytes();
    let mut refs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let glued = i > 0 && glued_to_previous(value, i);
        if !b[i].is_ascii_digit() || glued {
            i += 1;
            continue;
        }
        let Some((id, len)) = TaskId::parse_prefix(&value[i..]) else {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            continue;
        };
        let keyword_start = keyword_before(value, i);
        let stands_alone = || {
            let item_start = value[..i]
                .rfind([',', ';', '[', '(', '|'])
                .map_or(0, |p| p + 1);
            let item_end = value[i + len..]
                .find([',', ';', ']', ')', '|'])
                .map_or(value.len(), |p| i + len + p);
            let item = value[item_start..item_end].trim();
            item == &value[i..i + len]
                || item
                    .split(" and ")
                    .any(|part| part.trim() == &value[i..i + len])
        };
        if id.nums().len() > 1 || id.letter().is_some() || keyword_start.is_some() || stands_alone()
        {
            let start = keyword_start.unwrap_or(i);
            refs.push(Reference {
                id,
                span: Span::new(offset + start, offset + i + len),
            });
        }
        i += len;
    }
    refs
}

/// Whether the digit at `i` continues the text before it (`v1.2`, `PR-1.2`, `a/1.2`,
/// `foo_1.2`) rather than starting an ID. Two exceptions: underscores that open emphasis
/// (`_1.2_`), and a hyphen after an ID, as in the range `1.1.1-1.1.4`, which reads like
/// `1.1.1–1.1.4`.
fn glued_to_previous(value: &str, i: usize) -> bool {
    let b = value.as_bytes();
    match b[i - 1] {
        b'_' => {
            let before = value[..i].trim_end_matches('_');
            before
                .as_bytes()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        }
        b'-' => {
            let before = &value[..i - 1];
            let token_start = before
                .char_indices()
                .rev()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '.'))
                .map_or(0, |(p, c)| p + c.len_utf8());
            let is_id = TaskId::parse(&before[token_start..])
                .is_some_and(|id| id.nums().len() > 1 || id.letter().is_some());
            !is_id
        }
        c => c.is_ascii_alphanumeric() || matches!(c, b'.' | b'/'),
    }
}

/// The start of a level keyword standing right before `pos` (`Task 1.2`).
fn keyword_before(value: &str, pos: usize) -> Option<usize> {
    let before = value[..pos].trim_end_matches([' ', '\t']);
    if before.len() == pos {
        return None;
    }
    let word_start = before
        .rfind(|c: char| !c.is_ascii_alphabetic())
        .map_or(0, |p| p + 1);
    keyword_at(value, word_start).map(|_| word_start)
}

/// The title: text without emphasis markers, trailing separators or hard breaks.
fn clean_title(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let chars: Vec<char> = raw.chars().collect();
    let mut in_code = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == '`' {
            in_code = !in_code;
        }
        if !in_code && c == '*' {
            continue;
        }
        if !in_code && c == '_' {
            let prev_word = i > 0 && chars[i - 1].is_alphanumeric();
            let next_word = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
            if !(prev_word && next_word) {
                continue;
            }
        }
        out.push(c);
    }
    // A separator after closing emphasis (`**1.2.A**: Validate …`) is not title text.
    let trimmed = out
        .trim()
        .trim_start_matches([':', '.', ')', '—', '–'])
        .trim_start()
        .trim_end_matches(['(', '|', ',', '—', '–', ';'])
        .trim_end();
    let trimmed = trimmed.strip_suffix(" -").unwrap_or(trimmed).trim();
    trimmed.to_string()
}

fn check_verb(title: &str) -> Option<CheckKind> {
    let word: String = title
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    CheckKind::ALL
        .into_iter()
        .find(|k| k.verb().eq_ignore_ascii_case(&word))
}

/// The first `Task X.Y` named in a title.
pub fn named_task(title: &str) -> Option<TaskId> {
    let b = title.as_bytes();
    (0..b.len()).find_map(|i| {
        if (i > 0 && b[i - 1].is_ascii_alphanumeric()) || !word_at(title, i, "task") {
            return None;
        }
        let p = skip_ws(title, i + 4);
        if p == i + 4 {
            return None;
        }
        TaskId::parse_prefix(&title[p..]).map(|(id, _)| id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &str) -> LineItem {
        scan_line(line, LineClass::default())
    }

    fn node(line: &str) -> NodeLine {
        match text(line).kind {
            ItemKind::Node(n) => *n,
            other => panic!("{line:?} is not a node: {other:?}"),
        }
    }

    #[test]
    fn node_prefixes() {
        let heading = LineClass {
            kind: LineKind::Heading,
            content_start: 3,
            list_item: false,
        };
        let item = scan_line("### **Stage 1: CORE – Foundation & Test Harness**", heading);
        let n = item.node().unwrap().clone();
        assert_eq!(n.id.to_string(), "1");
        assert_eq!(n.keyword, Some(Keyword::Stage));
        assert_eq!(n.title, "CORE – Foundation & Test Harness");
        let item = scan_line(
            "  - [x] **1.2.3** Add health endpoint",
            LineClass {
                kind: LineKind::Text,
                content_start: 4,
                list_item: true,
            },
        );
        let n = item.node().unwrap().clone();
        assert_eq!((n.id.to_string(), n.checkbox), ("1.2.3".into(), Some(true)));
        assert_eq!(n.title, "Add health endpoint");
        assert_eq!(n.id_span, Span { start: 10, end: 15 });
        let n = node("1.2.A **Validate** core functionality of Task 1.2 *(compliance with docs)*");
        assert_eq!(n.check_verb, Some(CheckKind::Validate));
        assert_eq!(n.named_task.unwrap().to_string(), "1.2");
        assert_eq!(
            n.title,
            "Validate core functionality of Task 1.2 (compliance with docs)"
        );
        assert_eq!(node("Phase 2: Integration").id.to_string(), "2");
        assert_eq!(node("1.1) Setup").id.to_string(), "1.1");
    }

    #[test]
    fn not_nodes() {
        for line in [
            "2 weeks of work",
            "Stage one",
            "v1.2 release",
            "1.2x",
            "Task list",
            "1.1foo",
        ] {
            assert!(text(line).node().is_none(), "{line}");
        }
    }

    #[test]
    fn same_line_notes() {
        let item = text(
            "1.2 Test Harness (Dependencies: 1.1, Task 1.0.1 | Stage Gate: API proven (seed data))",
        );
        let n = item.node().unwrap();
        assert_eq!(n.title, "Test Harness");
        assert_eq!(item.notes.len(), 2);
        assert_eq!(item.notes[0].key, NoteKey::Dependencies);
        let refs: Vec<String> = item.notes[0]
            .refs
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        assert_eq!(refs, ["1.1", "1.0.1"]);
        assert_eq!(item.notes[1].value, "API proven (seed data)");
    }

    #[test]
    fn note_lines() {
        let item = text("(Dependencies: Stage 1 complete, Stage Gate: Backend stable)");
        assert_eq!(item.kind, ItemKind::Notes);
        assert_eq!(item.notes.len(), 2);
        assert_eq!(item.notes[0].refs[0].id.to_string(), "1");
        let line = "(Dependencies: Stage 1 complete, Stage Gate: Backend stable)";
        let span = item.notes[0].refs[0].span;
        assert_eq!(&line[span.start as usize..span.end as usize], "Stage 1");
        let item = scan_line(
            "  - **Stage Gate:** phase works",
            LineClass {
                content_start: 4,
                list_item: true,
                ..LineClass::default()
            },
        );
        assert_eq!(item.notes[0].key, NoteKey::StageGate);
        assert_eq!(item.notes[0].value, "phase works");
        assert!(!text("Dependencies:").notes[0].is_present());
    }

    #[test]
    fn separators_emphasis_and_parentheses() {
        let n = node("**1.1.A**: Validate core functionality of Task 1.1");
        assert_eq!(n.check_verb, Some(CheckKind::Validate));
        // Underscore emphasis works as asterisks do.
        let n = node("__1.1__ Ledger core");
        assert_eq!(
            (n.id.to_string(), n.title.as_str()),
            ("1.1".into(), "Ledger core")
        );
        let n = node("_1.2.A_ Validate Task 1.2");
        assert_eq!(n.id.to_string(), "1.2.A");
        assert_eq!(n.check_verb, Some(CheckKind::Validate));
        assert!(scan_line("1.2_draft notes", LineClass::default())
            .node()
            .is_none());
        let line = "- Dependencies: **1.7**";
        let item = scan_line(
            line,
            LineClass {
                content_start: 2,
                list_item: true,
                ..LineClass::default()
            },
        );
        let span = item.notes[0].refs[0].span;
        assert_eq!(&line[span.start as usize..span.end as usize], "1.7");
        let item = text("(Dependencies: None | Stage Gate: )");
        assert_eq!(item.notes[1].value, "");
        assert!(!item.notes[1].is_present());
    }

    #[test]
    fn references() {
        let ids = |v: &str| -> Vec<String> {
            parse_references(v, 0)
                .iter()
                .map(|r| r.id.to_string())
                .collect()
        };
        assert!(ids("None").is_empty());
        assert!(ids("N/A").is_empty());
        assert!(ids("2 weeks after launch").is_empty());
        assert!(ids("v1.2 of the SDK").is_empty());
        assert_eq!(ids("[1.1, 1.2]"), ["1.1", "1.2"]);
        assert_eq!(ids("1.1 and 1.2.A"), ["1.1", "1.2.A"]);
        assert_eq!(ids("1, 3"), ["1", "3"]);
        assert_eq!(ids("[1]"), ["1"]);
        assert_eq!(ids("Phase 2 and Task 1.3.1"), ["2", "1.3.1"]);
        // A range with a hyphen reads like one with an en dash.
        assert_eq!(ids("1.1.1-1.1.4"), ["1.1.1", "1.1.4"]);
        assert_eq!(ids("1.1.1–1.1.4"), ["1.1.1", "1.1.4"]);
        assert!(ids("PR-1.2, build_1.3, docs/1.4").is_empty());
        assert_eq!(ids("3.1, 2.–-1.2 and é-1.3"), ["3.1"]);
        // Emphasis with underscores around a reference.
        assert_eq!(ids("1.1, _1.2_, __1.3.A__"), ["1.1", "1.2", "1.3.A"]);
    }

    #[test]
    fn inactive_lines() {
        let class = LineClass {
            kind: LineKind::HtmlComment,
            ..LineClass::default()
        };
        let item = scan_line("<!-- - 1.1 Finished phase -->", class);
        assert!(item.inactive);
        assert_eq!(item.node().unwrap().title, "Finished phase");
        let heading = scan_line("<!-- ### Stage 2: INTEGRATION -->", class);
        assert_eq!(heading.node().unwrap().id.to_string(), "2");
        assert_eq!(
            scan_line("## Phase 2: Old", class).node().unwrap().keyword,
            Some(Keyword::Phase)
        );
    }
}
