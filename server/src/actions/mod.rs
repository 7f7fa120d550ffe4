//! Code actions and rename as plain text edits: the pure layer under `lsp::actions`.
//!
//! Every function here reads the task tree, the findings and the document text (a rope)
//! and returns [`Action`]s or [`Edit`]s in (line, byte column) positions; `lsp::actions`
//! converts them to LSP types in the negotiated encoding. Edits of one action never
//! overlap, and inserts at the same position apply in the order given.
//!
//! One file per fix; [`renumber`] is the one engine that changes IDs (split, numbering and
//! duplicate fixes, check-task letters, rename), so references always follow their node.

pub mod check_tasks;
pub mod fix_all;
pub mod notes;
pub mod rename;
pub mod renumber;
pub mod split;
pub mod unknown_ref;
pub mod wording;

use std::borrow::Cow;

use ropey::Rope;
use rustc_hash::FxHashMap;

use crate::model::id::TaskId;
use crate::model::line::{Note, Reference};
use crate::model::TaskTree;
use crate::rules::{Code, Finding, Location};

/// A position: a line and a byte column in it (past the line's text means its end, before
/// the line break).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub col: u32,
}

impl Pos {
    pub fn new(line: usize, col: u32) -> Pos {
        Pos { line, col }
    }
}

/// Replace the text from `start` to `end` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: Pos,
    pub end: Pos,
    pub new_text: String,
}

impl Edit {
    pub fn replace(line: usize, start: u32, end: u32, new_text: impl Into<String>) -> Edit {
        Edit {
            start: Pos::new(line, start),
            end: Pos::new(line, end),
            new_text: new_text.into(),
        }
    }

    pub fn insert(at: Pos, new_text: impl Into<String>) -> Edit {
        Edit {
            start: at,
            end: at,
            new_text: new_text.into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    QuickFix,
    Refactor,
    RefactorRewrite,
    Source,
    SourceFixAll,
}

impl ActionKind {
    /// The LSP `CodeActionKind` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::QuickFix => "quickfix",
            ActionKind::Refactor => "refactor",
            ActionKind::RefactorRewrite => "refactor.rewrite",
            ActionKind::Source => "source",
            ActionKind::SourceFixAll => "source.fixAll.wbs-lsp",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    pub edits: Vec<Edit>,
    /// The findings the action fixes.
    pub fixes: Vec<Finding>,
    pub preferred: bool,
}

impl Action {
    pub fn quick_fix(title: String, edits: Vec<Edit>, fixes: Vec<Finding>) -> Action {
        Action {
            title,
            kind: ActionKind::QuickFix,
            edits,
            fixes,
            preferred: false,
        }
    }

    pub fn preferred(mut self, preferred: bool) -> Action {
        self.preferred = preferred;
        self
    }
}

/// Applies edits made against `text` (positions in lines and byte columns of `text`);
/// edits must not overlap, inserts at one position apply in the order given.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let rope = Rope::from_str(text);
    let mut ranges: Vec<(usize, usize, usize)> = edits
        .iter()
        .enumerate()
        .map(|(i, e)| (offset(&rope, e.start), offset(&rope, e.end), i))
        .collect();
    ranges.sort_by_key(|&(start, end, i)| (start, end, i));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, i) in ranges {
        assert!(start >= at, "overlapping edits: {edits:?}");
        out.push_str(&text[at..start]);
        out.push_str(&edits[i].new_text);
        at = end.max(start);
    }
    out.push_str(&text[at..]);
    out
}

/// The byte offset of a position (clamped to the line's text, then to the document).
pub fn offset(rope: &Rope, pos: Pos) -> usize {
    if pos.line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let start = rope.line_to_byte(pos.line);
    let len = line(rope, pos.line).len();
    start + (pos.col as usize).min(len)
}

/// The text of a line without its line break.
pub fn line(rope: &Rope, line: usize) -> Cow<'_, str> {
    if line >= rope.len_lines() {
        return Cow::Borrowed("");
    }
    let text: Cow<str> = rope.line(line).into();
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim_end_matches(['\n', '\r'])),
        Cow::Owned(mut s) => {
            let len = s.trim_end_matches(['\n', '\r']).len();
            s.truncate(len);
            Cow::Owned(s)
        }
    }
}

/// The document's line ending: CRLF when its first line break is one, else LF.
pub fn eol(rope: &Rope) -> &'static str {
    for l in 0..rope.len_lines().min(2) {
        let slice = rope.line(l);
        let n = slice.len_chars();
        if n >= 2 && slice.char(n - 2) == '\r' && slice.char(n - 1) == '\n' {
            return "\r\n";
        }
        if n >= 1 && slice.char(n - 1) == '\n' {
            return "\n";
        }
    }
    "\n"
}

/// The end of a line's text.
pub fn line_end(rope: &Rope, l: usize) -> Pos {
    Pos::new(l, line(rope, l).len() as u32)
}

/// Inserts whole lines after line `l` (at the end of its text, so the last line works).
pub fn insert_lines_after(rope: &Rope, l: usize, lines: &[String]) -> Edit {
    let eol = eol(rope);
    let text: String = lines.iter().map(|t| format!("{eol}{t}")).collect();
    Edit::insert(line_end(rope, l), text)
}

/// Inserts whole lines before line `l`.
pub fn insert_lines_before(rope: &Rope, l: usize, lines: &[String]) -> Edit {
    let eol = eol(rope);
    let text: String = lines.iter().map(|t| format!("{t}{eol}")).collect();
    Edit::insert(Pos::new(l, 0), text)
}

/// What the fixes share about a document: the tree, the findings and the text, with
/// indexes built once.
pub struct Doc<'t, 'a> {
    pub tree: &'t TaskTree<'a>,
    pub findings: &'t [Finding],
    pub rope: &'t Rope,
    /// The written node on each line.
    by_line: FxHashMap<usize, usize>,
    /// The node each node is written under: the nearest node above it carrying its
    /// parent's ID (so a duplicate's children stay with the duplicate), else the tree's.
    pub sparent: Vec<Option<usize>>,
    /// Children by `sparent`, in document order; `roots` for none.
    pub schildren: Vec<Vec<usize>>,
    pub sroots: Vec<usize>,
}

impl<'t, 'a> Doc<'t, 'a> {
    pub fn new(tree: &'t TaskTree<'a>, findings: &'t [Finding], rope: &'t Rope) -> Self {
        let mut by_line = FxHashMap::default();
        let mut last_seen: FxHashMap<&TaskId, usize> = FxHashMap::default();
        let mut sparent = vec![None; tree.nodes.len()];
        let mut schildren = vec![Vec::new(); tree.nodes.len()];
        let mut sroots = Vec::new();
        for (i, node) in tree.nodes.iter().enumerate() {
            if node.written.is_some() {
                by_line.insert(node.line, i);
            }
            let parent = node.id.parent().and_then(|p| {
                last_seen
                    .get(&p)
                    .copied()
                    .or_else(|| tree.node_for(&p))
                    .filter(|&q| q != i)
            });
            sparent[i] = parent;
            match parent {
                Some(p) => schildren[p].push(i),
                None => sroots.push(i),
            }
            last_seen.insert(&node.id, i);
        }
        Doc {
            tree,
            findings,
            rope,
            by_line,
            sparent,
            schildren,
            sroots,
        }
    }

    pub fn line(&self, l: usize) -> Cow<'t, str> {
        line(self.rope, l)
    }

    /// The written node on a line.
    pub fn node_on_line(&self, l: usize) -> Option<usize> {
        self.by_line.get(&l).copied()
    }

    /// The node a finding on a node's ID stands on.
    pub fn node_at(&self, location: Location) -> Option<usize> {
        self.node_on_line(location.line)
            .filter(|&i| self.tree.nodes[i].id_span().start == location.start)
    }

    /// The reference a finding on a reference stands on: the node, the note and the
    /// reference.
    pub fn reference_at(&self, location: Location) -> Option<(usize, &'t Note, &'t Reference)> {
        let tree: &'t TaskTree<'a> = self.tree;
        tree.nodes.iter().enumerate().find_map(|(i, node)| {
            node.notes.iter().find_map(|&(l, note)| {
                (l == location.line)
                    .then(|| {
                        note.refs
                            .iter()
                            .find(|r| r.span.start == location.start && r.span.end == location.end)
                    })
                    .flatten()
                    .map(|r| (i, note, r))
            })
        })
    }

    /// The findings with one of these codes.
    pub fn findings_with<'s>(
        &'s self,
        codes: &'s [Code],
    ) -> impl Iterator<Item = &'t Finding> + 's {
        let findings: &'t [Finding] = self.findings;
        findings.iter().filter(move |f| codes.contains(&f.code))
    }

    /// Descendants of a node by `schildren`, in document order.
    pub fn descendants(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.schildren[i].iter().rev().copied().collect();
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.schildren[n].iter().rev().copied());
        }
        out
    }

    /// The last line of a node: its own line or its last note's.
    pub fn node_end_line(&self, i: usize) -> usize {
        let node = &self.tree.nodes[i];
        let end = node
            .notes
            .iter()
            .map(|(l, _)| *l)
            .fold(node.line, usize::max);
        if node.inactive {
            self.comment_end(end)
        } else {
            end
        }
    }

    /// The last line of a node's subtree, its notes included.
    pub fn subtree_end_line(&self, i: usize) -> usize {
        std::iter::once(i)
            .chain(self.descendants(i))
            .filter(|&n| self.tree.nodes[n].written.is_some())
            .map(|n| self.node_end_line(n))
            .max()
            .unwrap_or(self.tree.nodes[i].line)
    }

    /// The line that closes an HTML comment open on line `l` (`l` itself when it closes
    /// there or no close follows).
    fn comment_end(&self, l: usize) -> usize {
        (l..self.rope.len_lines())
            .find(|&n| self.line(n).contains("-->"))
            .unwrap_or(l)
    }

    /// The byte range of a node's title on its line: after the ID (its separator and
    /// closing emphasis) up to the notes, without surrounding white space.
    pub fn title_range(&self, i: usize) -> (u32, u32) {
        let node = &self.tree.nodes[i];
        let text = self.line(node.line);
        let b = text.as_bytes();
        let start = after_id(&text, node.id_span().end as usize);
        let mut end = b.len();
        if let Some(note_start) = node
            .notes
            .iter()
            .filter(|(l, _)| *l == node.line)
            .map(|(_, n)| note_region_start(&text, n.key_span.start as usize))
            .min()
        {
            end = note_start;
        }
        if node.inactive {
            if let Some(p) = text[..end].find("-->") {
                end = p;
            }
        }
        let end = start + text[start..end.max(start)].trim_end().len();
        (start as u32, end as u32)
    }

    /// How a node line is written around its ID, for writing new nodes in its style.
    pub fn style_of(&self, i: usize) -> Style {
        let node = &self.tree.nodes[i];
        let text = self.line(node.line);
        let span = node.id_span();
        let mut before = text[..span.start as usize].to_string();
        if node.inactive {
            if let Some(p) = before.find("<!--") {
                let rest = before[p + 4..].trim_start().to_string();
                before = format!("{}{rest}", &before[..p]);
            }
        }
        let before = before.replacen("[x]", "[ ]", 1).replacen("[X]", "[ ]", 1);
        let title_start = after_id(&text, span.end as usize);
        let mut after = text[span.end as usize..title_start].to_string();
        // `**1.2**: Title`: the parser reads a separator after the closing emphasis as the
        // title's start, so new lines leave it out (`**1.2** Title`).
        let closing = after.trim_start_matches(['.', ':', ')']);
        if closing.starts_with(['*', '_']) {
            let emphasis_end = closing.len() - closing.trim_start_matches(['*', '_']).len();
            let lead = after.len() - closing.len();
            after = format!("{}{} ", &after[..lead], &closing[..emphasis_end]);
        }
        let after = if after.is_empty() { " ".into() } else { after };
        // A Markdown hard break (two trailing spaces) keeps paragraph lines apart.
        let trail = if text.ends_with("  ") && !node.inactive {
            "  ".to_string()
        } else {
            String::new()
        };
        Style {
            before,
            after,
            trail,
        }
    }

    /// The node to take a group's style from: preferably an active child matching
    /// `prefer`.
    pub fn template_child(&self, group: usize, prefer: impl Fn(usize) -> bool) -> Option<usize> {
        let children = &self.schildren[group];
        let written = |&&c: &&usize| self.tree.nodes[c].written.is_some();
        let active = |&&c: &&usize| !self.tree.nodes[c].inactive;
        children
            .iter()
            .rev()
            .filter(written)
            .filter(active)
            .find(|&&c| prefer(c))
            .or_else(|| children.iter().rev().filter(written).find(active))
            .or_else(|| children.iter().rev().find(written))
            .copied()
    }
}

/// How a node line is written: what stands before its ID (indentation, list marker,
/// checkbox, opening emphasis, keyword) and between the ID and its title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Style {
    pub before: String,
    pub after: String,
    /// Trailing white space kept as a hard line break.
    pub trail: String,
}

impl Style {
    pub fn render(&self, id: &TaskId, title: &str) -> String {
        format!("{}{id}{}{title}{}", self.before, self.after, self.trail)
    }
}

/// Where a node's title starts: after the ID's separator, closing emphasis and spaces.
fn after_id(text: &str, id_end: usize) -> usize {
    let b = text.as_bytes();
    let mut p = id_end;
    if matches!(b.get(p), Some(b'.' | b':' | b')')) {
        p += 1;
    }
    let emphasis = b[p..]
        .iter()
        .take_while(|c| matches!(c, b'*' | b'_'))
        .count();
    // Emphasis right after the ID closes it (`**1.2**`), unless it opens the title
    // (`1.2 **Validate**` has a space first, so it is not counted here).
    p += emphasis;
    if emphasis > 0 && matches!(b.get(p), Some(b'.' | b':' | b')')) {
        p += 1;
    }
    while matches!(b.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    p
}

/// Where the note region around a key starts: the `(` (and emphasis) before it, if any.
pub fn note_region_start(text: &str, key_start: usize) -> usize {
    let b = text.as_bytes();
    let mut start = key_start;
    while start > 0 && matches!(b[start - 1], b'*' | b'_' | b' ' | b'\t') {
        start -= 1;
    }
    if start > 0 && b[start - 1] == b'(' {
        start - 1
    } else {
        let mut s = key_start;
        while s > 0 && matches!(b[s - 1], b'*' | b'_') {
            s -= 1;
        }
        s
    }
}

pub use crate::rules::missing_check_tasks::{missing_kinds, wording_for};

/// How messages and titles name a node (`Phase 1.3`).
pub fn name(tree: &TaskTree, i: usize) -> String {
    crate::rules::name(tree, i)
}

/// A title cut to about `max` characters at a word boundary.
pub fn shorten(title: &str, max: usize) -> String {
    if title.chars().count() <= max {
        return title.to_string();
    }
    let cut: String = title.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(p) if p > max / 2 => cut[..p].to_string(),
        _ => cut,
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ';', ':']))
}

/// Upper-cases the first character.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The quick fixes of one finding (none for codes without a safe edit: not-actionable,
/// too-deep, stage-structure).
pub fn quick_fixes(doc: &Doc, finding: &Finding) -> Vec<Action> {
    match finding.code {
        Code::MissingCheckTasks => check_tasks::fix(doc, finding).into_iter().collect(),
        Code::MissingDependencies | Code::MissingStageGate => notes::fixes(doc, finding),
        Code::NonAtomic => split::fix(doc, finding).into_iter().collect(),
        Code::Numbering | Code::DuplicateId => renumber::fix(doc, finding).into_iter().collect(),
        Code::UnknownDependency => unknown_ref::fixes(doc, finding),
        Code::DependencyCycle | Code::LaterStageDependency => {
            unknown_ref::remove_fix(doc, finding).into_iter().collect()
        }
        Code::CheckTaskWording => wording::fix(doc, finding).into_iter().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Fixtures for the actions' unit tests: analyse a text, run a fix, apply its edits,
    //! analyse again.

    use super::*;
    use crate::document::Document;
    use crate::rules::RuleSettings;

    pub fn findings_of(text: &str) -> Vec<Finding> {
        let doc = Document::new(text, 0);
        let tree = TaskTree::build(&doc, None);
        crate::rules::check(&tree, &RuleSettings::default())
    }

    /// Runs `f` on the document of `text`.
    pub fn with_doc<R>(text: &str, f: impl FnOnce(&Doc) -> R) -> R {
        let document = Document::new(text, 0);
        let tree = TaskTree::build(&document, None);
        let findings = crate::rules::check(&tree, &RuleSettings::default());
        let doc = Doc::new(&tree, &findings, document.rope());
        f(&doc)
    }

    pub fn brief(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| format!("{}:{} {}", f.location.line + 1, f.location.start, f.code))
            .collect()
    }

    /// Applies an action and checks that the findings it claims to fix are gone and that
    /// nothing new appeared (compared by code and message); returns the new text.
    pub fn apply_checked(text: &str, action: &Action) -> String {
        let after = apply(text, &action.edits);
        let before = findings_of(text);
        let now = findings_of(&after);
        for fixed in &action.fixes {
            assert!(
                !now.iter()
                    .any(|f| f.code == fixed.code && f.message == fixed.message),
                "still reported after {:?}: {fixed:?}\n{after}",
                action.title
            );
        }
        let key = |f: &Finding| (f.code, f.message.clone());
        let old: Vec<_> = before.iter().map(key).collect();
        let new: Vec<&Finding> = now.iter().filter(|f| !old.contains(&key(f))).collect();
        assert!(
            new.is_empty(),
            "new findings after {:?}: {new:#?}\n{after}",
            action.title
        );
        after
    }

    /// The single quick fix the finding with `code` on 1-based line `line` offers with
    /// the title containing `title`.
    pub fn fix_on(text: &str, code: Code, line: usize, title: &str) -> Action {
        with_doc(text, |doc| {
            let finding = doc
                .findings
                .iter()
                .find(|f| f.code == code && f.location.line + 1 == line)
                .unwrap_or_else(|| panic!("no {code} on line {line}: {:?}", brief(doc.findings)));
            let actions = quick_fixes(doc, finding);
            actions
                .into_iter()
                .find(|a| a.title.contains(title))
                .unwrap_or_else(|| panic!("no action titled like {title:?} for {finding:?}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_orders_and_keeps_insert_order() {
        let text = "ab\ncd\n";
        let edits = [
            Edit::insert(Pos::new(1, 0), "X"),
            Edit::replace(0, 0, 1, "A"),
            Edit::insert(Pos::new(1, 0), "Y"),
            Edit::insert(Pos::new(0, 99), "!"),
        ];
        assert_eq!(apply(text, &edits), "Ab!\nXYcd\n");
    }

    #[test]
    fn line_endings_and_lines() {
        let crlf = Rope::from_str("a\r\nb\r\n");
        assert_eq!(eol(&crlf), "\r\n");
        assert_eq!(line(&crlf, 0), "a");
        assert_eq!(eol(&Rope::from_str("a\nb")), "\n");
        let edit = insert_lines_after(&crlf, 0, &["x".into()]);
        assert_eq!(apply("a\r\nb\r\n", &[edit]), "a\r\nx\r\nb\r\n");
        let rope = Rope::from_str("a\nb");
        let edit = insert_lines_after(&rope, 1, &["c".into()]);
        assert_eq!(apply("a\nb", &[edit]), "a\nb\nc");
    }

    #[test]
    fn styles_and_titles() {
        let text = "# Plan\n\n- [x] **1.1** Setup\n  - [x] **1.1.1**: Configure the tools (Dependencies: None)\n1.1.2. Add a thing\n";
        testing::with_doc(text, |doc| {
            let n = doc.node_on_line(3).unwrap();
            assert_eq!(
                doc.style_of(n),
                Style {
                    before: "  - [ ] **".into(),
                    after: "** ".into(),
                    trail: String::new(),
                }
            );
            let (s, e) = doc.title_range(n);
            assert_eq!(&doc.line(3)[s as usize..e as usize], "Configure the tools");
            let n = doc.node_on_line(4).unwrap();
            assert_eq!(doc.style_of(n).after, ". ");
        });
    }
}

#[cfg(test)]
mod fixtures {
    //! Every quick fix on every contract fixture and example: it applies cleanly, removes
    //! what it claims to fix, and adds no finding of a code that was not reported before
    //! in at least that number.

    use super::testing::*;
    use super::*;
    use std::path::Path;

    fn documents() -> Vec<(String, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut out = Vec::new();
        for dir in ["tests/fixtures/contract", "examples", "tests/fixtures/e2e"] {
            let mut entries: Vec<_> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect();
            entries.sort();
            for path in entries {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
        out
    }

    fn counts(findings: &[Finding]) -> Vec<(Code, usize)> {
        Code::ALL
            .iter()
            .map(|&c| (c, findings.iter().filter(|f| f.code == c).count()))
            .collect()
    }

    #[test]
    fn every_quick_fix_on_every_fixture() {
        let mut problems = Vec::new();
        let mut tried = 0;
        for (name, text) in documents() {
            let actions: Vec<Action> = with_doc(&text, |doc| {
                doc.findings
                    .iter()
                    .flat_map(|f| quick_fixes(doc, f))
                    .collect()
            });
            let before = counts(&findings_of(&text));
            for action in actions {
                tried += 1;
                let after_text = apply(&text, &action.edits);
                let after = findings_of(&after_text);
                let now = counts(&after);
                for ((code, b), (_, a)) in before.iter().zip(&now) {
                    let fixed = action.fixes.iter().filter(|f| f.code == *code).count();
                    if *a > *b - fixed.min(*b) {
                        problems.push(format!(
                            "{name}: {:?}: {code} {b} -> {a} (fixes {fixed})",
                            action.title
                        ));
                    }
                }
            }
        }
        assert!(tried > 40, "{tried}");
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn source_actions_on_every_fixture() {
        use crate::rules::RuleSettings;
        let mut problems = Vec::new();
        for (name, text) in documents() {
            let (fix_all, sources) = with_doc(&text, |doc| {
                let fix_all =
                    fix_all::fix_all(doc.tree, doc.findings, doc.rope, &RuleSettings::default());
                let sources: Vec<Action> = check_tasks::insert_all(doc)
                    .into_iter()
                    .chain(renumber::renumber_document(doc))
                    .chain(
                        (0..doc.tree.nodes.len())
                            .filter_map(|n| renumber::renumber_children(doc, n)),
                    )
                    .collect();
                (fix_all, sources)
            });
            let before = counts(&findings_of(&text));
            for action in sources.iter().chain(&fix_all) {
                let after_text = apply(&text, &action.edits);
                let now = counts(&findings_of(&after_text));
                for ((code, b), (_, a)) in before.iter().zip(&now) {
                    let fixed = action.fixes.iter().filter(|f| f.code == *code).count();
                    if *a > *b - fixed.min(*b) {
                        problems.push(format!(
                            "{name}: {:?}: {code} {b} -> {a} (fixes {fixed})",
                            action.title
                        ));
                    }
                }
            }
            if let Some(action) = fix_all {
                let fixed = apply(&text, &action.edits);
                let profile = with_doc(&text, |doc| doc.tree.profile);
                let again = fix_all::fixed_text(&fixed, profile, &RuleSettings::default());
                if again != fixed {
                    problems.push(format!("{name}: fix-all is not idempotent"));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
