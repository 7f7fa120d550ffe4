//! Reading a Work Breakdown Structure (WBS) written in Markdown: its title and its phases,
//! each with a title and its tasks (tasks may have sub-items, to any depth).
//!
//! WBS documents are written by hand in many shapes, so the reader is tolerant. It reads
//! the document line by line (ignoring fenced code, HTML comments, tables and front
//! matter), builds an outline, and then decides which outline entries are phases:
//!
//! - **Headings** (`## 1. Service foundation`, `## Phase 2: Data`, `## Reservations`)
//!   followed by `- ` or `1. ` bullets (nested bullets are sub-items). A numbered heading,
//!   or one with a phase keyword (Phase, Stage, Step, Part, Milestone, Workstream, Work
//!   package, Epic, Sprint, Iteration), is always a phase. An unnumbered heading is a phase
//!   only when one of its bullets starts with an action verb ("reads like work"), and
//!   headings named like the non-work sections of a WBS (Scope, Out of scope, Milestones,
//!   Risks, Notes, Assumptions, Glossary, …; see `NON_WORK`) are skipped with everything
//!   under them. An unnumbered heading with no bullets of its own whose subsections or
//!   numbered items hold the work (`## Work breakdown`) is a container: its children are
//!   the phases. Deeper headings inside a phase are tasks, their bullets sub-items.
//! - **Phase lines with labels**: `Phase 1: Project setup`, `**Phase 2 – Data layer**`,
//!   `Stage 3 - Launch`, or `1. Project setup` when the next line is a label such as
//!   `Goal:` or `Tasks:`, or a `- ` bullet at the same indentation. Bullets after a
//!   `Tasks:` label (also `Activities:`, `Work items:`, `Steps:`, …, or a `### Tasks`
//!   heading) are the phase's tasks; bullets after other bare labels (`Deliverables:`,
//!   `Risks:`, `Acceptance criteria:`, …) are not work and are skipped. When a phase has a
//!   `Tasks:` list, its bullets outside any label are skipped too. A label with a value on
//!   its line (`Goal: a running skeleton`) is description, not a list; `Tasks: a; b` lists
//!   two tasks.
//! - **Numbered items**: `1.1 Backend foundation` with `1.1.1 …` children, as plain
//!   lines, bullets, bold lines or headings. The tree follows the numbers (the parent of
//!   `1.1.1` is the nearest written `1.1` or `1`), not the indentation. A one-segment
//!   number (`1 Backend`, `1. Backend`) is an item only when a `1.x` item follows it.
//!   The top-level items are the phases; when the whole WBS is a single root item (the
//!   project itself), its children are the phases instead.
//!
//! Also: setext headings, `[ ]` checkboxes, lazy continuation lines of a bullet, block
//! quotes. Indented code blocks are not recognised (WBS bullets are often indented four
//! spaces). A numbered bullet standing alone without a written parent keeps its number
//! as text (`- 2.5 engineers`). With no phase at all, top-level bullets that read like
//! work form one phase named after the title.
//!
//! The title is the first level-1 heading (or, when there is none, the single root item
//! the phases were found under).

use std::collections::HashMap;

use crate::model::clauses::starts_with_action_verb;

/// A WBS: its title and its phases, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wbs {
    /// The first level-1 heading, without its `#`.
    pub title: Option<String>,
    pub phases: Vec<Phase>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    pub title: String,
    pub tasks: Vec<Item>,
}

/// A task of a phase, or a sub-item of a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    pub children: Vec<Item>,
}

impl Item {
    pub fn leaf(title: impl Into<String>) -> Item {
        Item {
            title: title.into(),
            children: Vec::new(),
        }
    }
}

/// What `parse` understands, for messages about a document in which it found nothing.
pub const EXPECTED_FORMATS: &str = "expected a WBS with numbered phase headings followed by \
task bullets (`## 1. Project setup` then `- Create the repository`), phase lines with a \
task list (`Phase 1: Project setup`, then `Tasks:` and `- ` bullets), or numbered items \
(`1.1 Backend foundation` with `1.1.1 Create the repository` under it)";

/// Reads a WBS document. Never fails: a document without phases gives no phases.
pub fn parse(text: &str) -> Wbs {
    let lines = active_lines(text);
    let mut builder = Builder::new(&lines);
    builder.build();
    let title = builder.title.clone();
    let roots = clean_children(&builder.nodes, 0);
    let mut wbs = Wbs {
        title,
        phases: Vec::new(),
    };
    let (roots, wrapper) = unwrap_single_root(&roots);
    if wbs.title.is_none() {
        wbs.title = wrapper.map(str::to_string);
    }
    let mut loose = Vec::new();
    collect_phases(roots, &mut wbs.phases, &mut loose);
    if wbs.phases.is_empty() && loose.iter().any(reads_like_work) {
        wbs.phases.push(Phase {
            title: wbs
                .title
                .clone()
                .unwrap_or_else(|| "Work items".to_string()),
            tasks: loose
                .iter()
                .map(to_item)
                .flat_map(|i| i.into_iter())
                .collect(),
        });
    }
    wbs
}

// ---------------------------------------------------------------------------------------
// Lines

/// The document's lines with fenced code, HTML comments, tables and front matter blanked
/// out (so that line numbers stay those of the document).
fn active_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_comment = false;
    let mut fence: Option<(char, usize)> = None;
    let mut front_matter = false;
    for (number, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        if number == 0 && raw.trim_end() == "---" {
            front_matter = true;
            out.push(String::new());
            continue;
        }
        if front_matter {
            if matches!(raw.trim_end(), "---" | "...") {
                front_matter = false;
            }
            out.push(String::new());
            continue;
        }
        if let Some((ch, len)) = fence {
            let t = raw.trim();
            if t.chars().take_while(|&c| c == ch).count() >= len
                && t.trim_start_matches(ch).trim().is_empty()
            {
                fence = None;
            }
            out.push(String::new());
            continue;
        }
        // HTML comments, possibly several on a line or across lines.
        let mut line = String::new();
        let mut rest = raw;
        loop {
            if in_comment {
                match rest.find("-->") {
                    Some(end) => {
                        rest = &rest[end + 3..];
                        in_comment = false;
                    }
                    None => break,
                }
            } else {
                match rest.find("<!--") {
                    Some(start) => {
                        line.push_str(&rest[..start]);
                        rest = &rest[start + 4..];
                        in_comment = true;
                    }
                    None => {
                        line.push_str(rest);
                        break;
                    }
                }
            }
        }
        let t = line.trim_start();
        let fence_char = t.chars().next().filter(|c| *c == '`' || *c == '~');
        if let Some(ch) = fence_char {
            let len = t.chars().take_while(|&c| c == ch).count();
            if len >= 3 {
                fence = Some((ch, len));
                out.push(String::new());
                continue;
            }
        }
        if t.starts_with('|') {
            out.push(String::new());
            continue;
        }
        // Block quotes: read what they quote.
        let mut t = line.as_str();
        while let Some(inner) = t.trim_start().strip_prefix('>') {
            t = inner.strip_prefix(' ').unwrap_or(inner);
        }
        out.push(t.trim_end().to_string());
    }
    out
}

fn is_thematic_break(t: &str) -> bool {
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3
        && (t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '_')
            || t.chars().all(|c| c == '-'))
}

fn indent_of(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// A list item: its indentation, whether it is ordered (and its number), and its text after
/// the marker and any checkbox.
struct ListItem<'a> {
    indent: usize,
    ordered: Option<u32>,
    text: &'a str,
}

fn list_item(line: &str) -> Option<ListItem<'_>> {
    let indent = indent_of(line);
    let t = line.trim_start();
    let b = t.as_bytes();
    let (ordered, rest) = if matches!(b.first(), Some(b'-' | b'*' | b'+'))
        && (b.len() == 1 || matches!(b.get(1), Some(b' ' | b'\t')))
    {
        (None, &t[1..])
    } else {
        let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if (1..=9).contains(&digits)
            && matches!(b.get(digits), Some(b'.' | b')'))
            && (b.len() == digits + 1 || matches!(b.get(digits + 1), Some(b' ' | b'\t')))
        {
            (t[..digits].parse().ok(), &t[digits + 1..])
        } else {
            return None;
        }
    };
    let mut text = rest.trim();
    for box_ in ["[ ]", "[x]", "[X]"] {
        if let Some(after) = text.strip_prefix(box_) {
            text = after.trim_start();
        }
    }
    Some(ListItem {
        indent,
        ordered,
        text,
    })
}

/// An ATX heading: level and text.
fn atx_heading(line: &str) -> Option<(u8, &str)> {
    if indent_of(line) > 3 {
        return None;
    }
    let t = line.trim_start();
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &t[hashes..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let mut text = rest.trim();
    // A closing sequence of `#`.
    let stripped = text.trim_end_matches('#');
    if stripped.is_empty() || stripped.ends_with([' ', '\t']) {
        text = stripped.trim_end();
    }
    Some((hashes as u8, text))
}

/// Text without any `**` / `__` emphasis and without wrapping `*…*` / `_…_`.
fn plain(text: &str) -> String {
    let text = text.replace("**", "").replace("__", "");
    strip_wrapping(text.trim()).to_string()
}

/// Removes emphasis wrapped around the whole text (`**Setup**`, `_Setup_`).
fn strip_wrapping(mut text: &str) -> &str {
    loop {
        let before = text;
        for mark in ["**", "__", "*", "_"] {
            if text.len() > 2 * mark.len() && text.starts_with(mark) && text.ends_with(mark) {
                let inner = &text[mark.len()..text.len() - mark.len()];
                if !inner.contains(mark) {
                    text = inner.trim();
                }
            }
        }
        if text == before {
            return text;
        }
    }
}

/// A title as it will be written: trimmed, no wrapping emphasis, no trailing colon or
/// hard-break backslash.
fn clean_title(text: &str) -> String {
    let mut t = text.trim().trim_end_matches('\\').trim();
    loop {
        let before = t;
        t = strip_wrapping(t);
        t = t.trim_end_matches(':').trim();
        // `**Setup:**` leaves `Setup:` inside the emphasis.
        if t == before {
            break;
        }
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A number of segments (`1`, `1.2`, `1.2.3`) at the start of `text`, followed by an
/// optional `.`, `)` or `:` and then white space or the end; returns it and the rest.
fn leading_number(text: &str) -> Option<(Vec<u32>, &str)> {
    let b = text.as_bytes();
    let mut nums = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 4 {
            return None;
        }
        nums.push(text[start..i].parse().ok()?);
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            continue;
        }
        break;
    }
    if matches!(b.get(i), Some(b'.' | b')' | b':')) {
        i += 1;
    }
    match b.get(i) {
        None => Some((nums, "")),
        Some(b' ' | b'\t') => Some((nums, text[i..].trim())),
        _ => None,
    }
}

const PHASE_KEYWORDS: [&str; 11] = [
    "work package",
    "workstream",
    "milestone",
    "iteration",
    "phase",
    "stage",
    "sprint",
    "step",
    "part",
    "epic",
    "wp",
];

/// Keywords that name a phase only on a line of their own or a heading, not on a bullet
/// (`- Step 1: create the repository` is a task).
const LINE_ONLY_KEYWORDS: [&str; 3] = ["step", "part", "wp"];

/// How strictly [`keyword_phase`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// A heading: `## Phase 2 Data layer` is a phase.
    Heading,
    /// A line: the number needs a separator after it (`Phase 2: Data`, `Phase 2 – Data`).
    Line,
    /// A bullet: as a line, and not with the keywords of `LINE_ONLY_KEYWORDS`.
    Bullet,
}

/// `Phase 1: Setup`, `Phase 2 – Data layer`, `Stage III. Launch`, `Phase 4` (in plain
/// text): the number and the title.
fn keyword_phase(text: &str, strictness: Strictness) -> Option<(u32, String)> {
    let lower = text.to_ascii_lowercase();
    let keyword = PHASE_KEYWORDS.iter().find(|k| {
        lower.starts_with(*k)
            && lower[k.len()..].starts_with([' ', '\t', '-', '_'])
            && !(strictness == Strictness::Bullet && LINE_ONLY_KEYWORDS.contains(k))
    })?;
    let rest = text[keyword.len()..].trim_start_matches([' ', '\t', '-', '_']);
    let number_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let number_text = &rest[..number_len];
    let number = if number_text.bytes().all(|b| b.is_ascii_digit()) && !number_text.is_empty() {
        number_text.parse().ok()
    } else {
        roman(number_text)
    }?;
    let after = &rest[number_len..];
    let title = after.trim_start();
    let separated = after.is_empty()
        || title.starts_with([':', '.', ')', '-', '–', '—', '|'])
        || (strictness == Strictness::Heading && after.starts_with([' ', '\t']));
    if !separated {
        return None;
    }
    let title = title.trim_start_matches([':', '.', ')', '-', '–', '—', '|', ' ', '\t']);
    Some((number, clean_title(title)))
}

fn roman(text: &str) -> Option<u32> {
    const NUMERALS: [&str; 10] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"];
    NUMERALS
        .iter()
        .position(|n| *n == text)
        .map(|i| i as u32 + 1)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LabelKind {
    /// `Tasks:`: what follows is the work.
    Tasks,
    /// `Deliverables:`, `Risks:`, …: what follows is not work.
    Other,
}

const TASK_LABELS: [&str; 22] = [
    "tasks",
    "task",
    "task list",
    "key tasks",
    "main tasks",
    "work items",
    "work",
    "activities",
    "key activities",
    "main activities",
    "steps",
    "actions",
    "action items",
    "subtasks",
    "sub-tasks",
    "todo",
    "to do",
    "to-do",
    "work packages",
    "items",
    "stories",
    "user stories",
];

/// Names of labels and sections that describe the work rather than being work.
const NON_WORK: [&str; 73] = [
    "goal",
    "goals",
    "objective",
    "objectives",
    "purpose",
    "description",
    "summary",
    "overview",
    "introduction",
    "background",
    "context",
    "scope",
    "in scope",
    "out of scope",
    "non-goals",
    "non goals",
    "deliverable",
    "deliverables",
    "output",
    "outputs",
    "outcome",
    "outcomes",
    "result",
    "results",
    "duration",
    "timeline",
    "timeframe",
    "time frame",
    "schedule",
    "estimate",
    "estimates",
    "effort",
    "owner",
    "owners",
    "responsible",
    "team",
    "roles",
    "stakeholders",
    "assignee",
    "dependencies",
    "depends on",
    "prerequisites",
    "inputs",
    "risk",
    "risks",
    "mitigation",
    "mitigations",
    "note",
    "notes",
    "open questions",
    "questions",
    "acceptance criteria",
    "exit criteria",
    "entry criteria",
    "success criteria",
    "definition of done",
    "done when",
    "milestone",
    "milestones",
    "status",
    "priority",
    "budget",
    "cost",
    "resources",
    "assumptions",
    "constraints",
    "glossary",
    "references",
    "appendix",
    "kpis",
    "metrics",
    "revision history",
    "table of contents",
];

/// Whether a heading's name (number stripped) names a non-work section: `Scope`, `Risks
/// and mitigations`, `Milestones (draft)`.
fn is_non_work_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    let without_parens = match lower.find('(') {
        Some(i) => &lower[..i],
        None => &lower[..],
    };
    let normal = without_parens
        .replace(" & ", " and ")
        .replace(['/', ','], " and ");
    let parts: Vec<&str> = normal
        .split(" and ")
        .map(|p| p.trim().trim_end_matches([':', '.']).trim())
        .filter(|p| !p.is_empty())
        .collect();
    !parts.is_empty() && parts.iter().all(|p| NON_WORK.contains(p))
}

/// `Tasks:`, `**Deliverables:** a report`: the label's kind and the value after it.
fn label(text: &str) -> Option<(LabelKind, String)> {
    let text = text.replace("**", "").replace("__", "");
    let (key, value) = text.split_once(':')?;
    let key = key.trim().trim_matches(['*', '_']).trim();
    if key.is_empty()
        || key.split_whitespace().count() > 4
        || key.contains(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let lower = key.to_lowercase();
    let kind = if TASK_LABELS.contains(&lower.as_str()) {
        LabelKind::Tasks
    } else if NON_WORK.contains(&lower.as_str()) {
        LabelKind::Other
    } else {
        return None;
    };
    Some((
        kind,
        value.trim().trim_matches(['*', '_']).trim().to_string(),
    ))
}

/// A heading that is a label (`### Tasks`, `#### Deliverables:`).
fn heading_label(text: &str) -> Option<LabelKind> {
    let lower = plain(text).trim_end_matches(':').trim().to_lowercase();
    if TASK_LABELS.contains(&lower.as_str()) {
        Some(LabelKind::Tasks)
    } else if is_non_work_name(&lower) {
        Some(LabelKind::Other)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------
// The outline

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Root,
    /// A heading, or a phase line (`Phase 1: Setup`), which closes like a heading deeper
    /// than any real one.
    Section,
    /// `1.1 Backend`.
    Numbered,
    Bullet,
    Label(LabelKind),
}

#[derive(Debug)]
struct RawNode {
    kind: Kind,
    title: String,
    /// Written with a number or a phase keyword.
    numbered: bool,
    /// Written with a phase keyword (`Phase 2`), or a phase line.
    keyword: bool,
    /// A non-work section: dropped with its content.
    excluded: bool,
    /// A `### Tasks` heading: its children belong to its parent.
    transparent: bool,
    /// A numbered bullet without a written parent: its text with the number, which it
    /// keeps when it stands alone (`- 2.5 engineers` is no item `2.5`).
    orphan_text: Option<String>,
    children: Vec<usize>,
}

/// The level given to phase lines in the stack of open sections.
const PHASE_LINE_LEVEL: u8 = 7;

struct Builder<'l> {
    lines: &'l [String],
    nodes: Vec<RawNode>,
    title: Option<String>,
    /// Open sections: (level, node).
    sections: Vec<(u8, usize)>,
    /// Where bullets without a parent bullet go: the innermost section, or the last
    /// numbered line that is not a bullet.
    container: usize,
    /// The indentation of the container when it is a numbered line.
    container_indent: usize,
    /// The open label of the container, if any.
    label: Option<usize>,
    /// Whether that label's container is a section (not a numbered line).
    label_in_section: bool,
    /// Open bullets: (indentation, node).
    bullets: Vec<(usize, usize)>,
    /// The last node a lazy continuation line may extend.
    last_bullet: Option<usize>,
    ids: HashMap<Vec<u32>, usize>,
    /// The number of the last ordered bullet at the top of a list (`2.` of `1. … 2. …`),
    /// to tell a numbered task list from numbered phase lines.
    ordered_run: Option<u32>,
    /// Lines whose one-segment number (`1 Backend`) is an item: a `1.x` item follows.
    single_ids: Vec<bool>,
}

impl<'l> Builder<'l> {
    fn new(lines: &'l [String]) -> Builder<'l> {
        let root = RawNode {
            kind: Kind::Root,
            title: String::new(),
            numbered: false,
            keyword: false,
            excluded: false,
            transparent: false,
            orphan_text: None,
            children: Vec::new(),
        };
        Builder {
            lines,
            nodes: vec![root],
            title: None,
            sections: Vec::new(),
            container: 0,
            container_indent: 0,
            label: None,
            label_in_section: false,
            bullets: Vec::new(),
            last_bullet: None,
            ids: HashMap::new(),
            ordered_run: None,
            single_ids: single_number_items(lines),
        }
    }

    fn add(&mut self, parent: usize, kind: Kind, title: String) -> usize {
        let index = self.nodes.len();
        self.nodes.push(RawNode {
            kind,
            title,
            numbered: false,
            keyword: false,
            excluded: false,
            transparent: false,
            orphan_text: None,
            children: Vec::new(),
        });
        self.nodes[parent].children.push(index);
        index
    }

    fn section_parent(&self) -> usize {
        self.sections.last().map_or(0, |&(_, node)| node)
    }

    /// The nearest written ancestor of a numbered item; none inside a non-work section
    /// (`## Notes` with `- 1.1 is urgent` is a note, not a task of `1`).
    fn id_parent(&self, id: &[u32]) -> Option<usize> {
        if self.sections.iter().any(|&(_, n)| self.nodes[n].excluded) {
            return None;
        }
        (1..id.len())
            .rev()
            .find_map(|len| self.ids.get(&id[..len]).copied())
    }

    fn open_section(&mut self, level: u8, node: usize) {
        self.sections.push((level, node));
        self.container = node;
        self.label = None;
        self.bullets.clear();
        self.last_bullet = None;
        self.ordered_run = None;
    }

    fn close_sections(&mut self, level: u8) {
        while self.sections.last().is_some_and(|&(l, _)| l >= level) {
            self.sections.pop();
        }
    }

    fn build(&mut self) {
        let mut i = 0;
        let mut previous_blank = true;
        while i < self.lines.len() {
            let line = &self.lines[i];
            if line.trim().is_empty() {
                previous_blank = true;
                i += 1;
                continue;
            }
            // A setext heading: a plain line underlined with `===` or `---`.
            let setext = self.lines.get(i + 1).and_then(|next| {
                let t = next.trim();
                let plain_line = list_item(line).is_none() && atx_heading(line).is_none();
                if plain_line && indent_of(line) < 4 && !t.is_empty() {
                    if t.chars().all(|c| c == '=') {
                        return Some(1);
                    }
                    if t.len() >= 2 && t.chars().all(|c| c == '-') {
                        return Some(2);
                    }
                }
                None
            });
            if let Some(level) = setext {
                self.heading(level, line.trim());
                i += 2;
                previous_blank = true;
                continue;
            }
            if is_thematic_break(line.trim()) {
                previous_blank = true;
                i += 1;
                continue;
            }
            if let Some((level, text)) = atx_heading(line) {
                self.heading(level, text);
            } else {
                self.line(i, previous_blank);
            }
            previous_blank = false;
            i += 1;
        }
    }

    fn heading(&mut self, level: u8, text: &str) {
        let text = plain(text);
        if level == 1 && self.title.is_none() {
            self.title = Some(clean_title(&text));
            return;
        }
        self.close_sections(level);
        let mut numbered = false;
        let mut keyword = false;
        let mut id = None;
        let mut title = clean_title(&text);
        if let Some((number, rest)) = keyword_phase(&text, Strictness::Heading) {
            numbered = true;
            keyword = true;
            id = Some(vec![number]);
            title = if rest.is_empty() { text.clone() } else { rest };
        } else if let Some((nums, rest)) = leading_number(&text) {
            numbered = true;
            title = clean_title(rest);
            id = Some(nums);
        }
        let label = if numbered && !keyword {
            heading_label(&title).filter(|k| *k == LabelKind::Other)
        } else if !numbered {
            heading_label(&title)
        } else {
            None
        };
        let parent = id
            .as_deref()
            .and_then(|id| self.id_parent(id))
            .unwrap_or_else(|| self.section_parent());
        let node = self.add(parent, Kind::Section, title);
        let n = &mut self.nodes[node];
        n.numbered = numbered;
        n.keyword = keyword;
        match label {
            Some(LabelKind::Other) => n.excluded = true,
            Some(LabelKind::Tasks) => n.transparent = true,
            None => {}
        }
        if let (Some(id), false) = (id, n.excluded) {
            self.ids.insert(id, node);
        }
        self.open_section(level, node);
    }

    fn line(&mut self, i: usize, previous_blank: bool) {
        let line = self.lines[i].as_str();
        let item = list_item(line);
        let indent = item
            .as_ref()
            .map_or_else(|| indent_of(line), |it| it.indent);
        let body = item.as_ref().map_or_else(|| line.trim(), |it| it.text);
        let body_plain = plain(body);

        // `Phase 1: Setup`, `**Phase 2 – Data**`, `- **Phase 3:** Launch`.
        let strictness = if item.is_some() {
            Strictness::Bullet
        } else {
            Strictness::Line
        };
        let keyword_line = keyword_phase(&body_plain, strictness).filter(|_| indent <= 3);
        // `1. Project setup` followed by `Goal:` / `Tasks:`, or `**1. Project setup**`.
        let wrapped = item.is_none() && body.starts_with(['*', '_']) && body.ends_with(['*', '_']);
        let ordered_phase = match &item {
            Some(ListItem {
                ordered: Some(n),
                indent: 0..=3,
                ..
            }) if (self.next_is_label(i) || self.next_is_unordered_at(i, indent))
                && label(body).is_none()
                && !(self.ordered_run == Some(n.wrapping_sub(1)) && self.in_task_list()) =>
            {
                Some((*n, clean_title(&body_plain)))
            }
            None if wrapped && !self.single_ids[i] => leading_number(&body_plain)
                .filter(|(nums, _)| nums.len() == 1)
                .map(|(nums, rest)| (nums[0], clean_title(rest))),
            _ => None,
        };
        if let Some((number, title)) = keyword_line.or(ordered_phase) {
            self.open_phase_line(number, title, &body_plain);
            if item.is_some() {
                self.bullets.push((indent, self.container));
            }
            return;
        }

        // Numbered items: `1.1 Backend`, `- 1.1.1 Create …`, `**1.2 Data**`, and `1 Backend`
        // when a `1.x` item follows.
        let number = match &item {
            Some(ListItem {
                ordered: Some(n), ..
            }) if self.single_ids[i] => Some((vec![*n], clean_title(body))),
            _ => leading_number(&body_plain)
                .filter(|(nums, _)| nums.len() >= 2 || self.single_ids[i])
                .map(|(nums, rest)| (nums, clean_title(rest))),
        };
        if let Some((id, title)) = number {
            let parent = match self.id_parent(&id) {
                Some(p) => p,
                None if item.is_some() => self.bullet_parent(indent),
                // Not under the numbered line before it (which is no ancestor), but in
                // the section, or in the section's task list.
                None => match self.label {
                    Some(label) if self.label_in_section => label,
                    _ => self.section_parent(),
                },
            };
            let orphan = item.is_some() && self.id_parent(&id).is_none();
            let node = self.add(parent, Kind::Numbered, title);
            self.nodes[node].numbered = true;
            if orphan {
                self.nodes[node].orphan_text = Some(clean_title(body));
            }
            self.ids.insert(id, node);
            if item.is_some() {
                self.bullets.retain(|&(ind, _)| ind < indent);
                self.bullets.push((indent, node));
            } else {
                self.container = node;
                self.container_indent = indent;
                self.label = None;
                self.bullets.clear();
            }
            self.last_bullet = Some(node);
            return;
        }

        if let Some((kind, value)) = label(body) {
            let bare = value.is_empty();
            if item.is_some() {
                let parent = self.bullet_parent(indent);
                let node = self.add(parent, Kind::Label(kind), String::new());
                self.bullets.push((indent, node));
                if kind == LabelKind::Tasks {
                    self.inline_tasks(node, &value);
                }
            } else if bare || kind == LabelKind::Tasks {
                let node = self.add(self.container, Kind::Label(kind), String::new());
                self.label = Some(node);
                self.label_in_section = self.nodes[self.container].kind != Kind::Numbered;
                self.bullets.clear();
                self.ordered_run = None;
                if kind == LabelKind::Tasks {
                    self.inline_tasks(node, &value);
                }
            } else {
                // `Goal: a running skeleton`: a description, not a list.
                self.label = None;
                self.bullets.clear();
            }
            self.last_bullet = None;
            return;
        }

        if let Some(item) = item {
            let parent = self.bullet_parent(item.indent);
            let node = self.add(parent, Kind::Bullet, clean_title(item.text));
            self.bullets.push((item.indent, node));
            if item.indent <= 3 {
                self.ordered_run = item.ordered;
            }
            self.last_bullet = Some(node);
            return;
        }

        // Prose: a lazy continuation of the bullet above, or a paragraph that ends lists.
        match self.last_bullet {
            Some(node) if !previous_blank => {
                let extra = clean_title(body);
                let title = &mut self.nodes[node].title;
                if !extra.is_empty() {
                    title.push(' ');
                    title.push_str(&extra);
                }
            }
            _ => {
                if indent == 0 {
                    self.bullets.clear();
                }
                self.last_bullet = None;
            }
        }
    }

    /// Opens a phase line (`Phase 1: Setup`): like a heading deeper than any real one,
    /// which also closes label sections (`### Deliverables`) left open before it.
    fn open_phase_line(&mut self, number: u32, title: String, line: &str) {
        while let Some(&(level, node)) = self.sections.last() {
            let n = &self.nodes[node];
            if level >= PHASE_LINE_LEVEL || n.transparent || (n.excluded && level >= 3) {
                self.sections.pop();
            } else {
                break;
            }
        }
        let parent = self.section_parent();
        let title = if title.is_empty() {
            clean_title(line)
        } else {
            title
        };
        let node = self.add(parent, Kind::Section, title);
        self.nodes[node].numbered = true;
        self.nodes[node].keyword = true;
        self.ids.insert(vec![number], node);
        self.open_section(PHASE_LINE_LEVEL, node);
    }

    /// Whether bullets now go into a `Tasks:` list.
    fn in_task_list(&self) -> bool {
        self.label
            .is_some_and(|l| self.nodes[l].kind == Kind::Label(LabelKind::Tasks))
    }

    /// The parent of a bullet (or numbered bullet without a written parent) at `indent`:
    /// the open bullet it is indented under, else the container's open label, else the
    /// container, unless that is a numbered line indented deeper than the bullet (`2.
    /// Frontend` after `   1.2 Add tests`), when it is the section.
    fn bullet_parent(&mut self, indent: usize) -> usize {
        self.bullets.retain(|&(ind, _)| ind < indent);
        if let Some(&(_, node)) = self.bullets.last() {
            return node;
        }
        if self.nodes[self.container].kind == Kind::Numbered && indent < self.container_indent {
            return self.section_parent();
        }
        self.label.unwrap_or(self.container)
    }

    fn inline_tasks(&mut self, label: usize, value: &str) {
        for part in value.split(';') {
            let title = clean_title(part);
            if !title.is_empty() {
                self.add(label, Kind::Bullet, title);
            }
        }
    }

    /// Whether the next non-blank line is an unordered bullet at `indent` (`1. Setup` then
    /// `- Create the repository`: a numbered phase with its tasks).
    fn next_is_unordered_at(&self, i: usize, indent: usize) -> bool {
        self.lines[i + 1..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| list_item(l))
            .is_some_and(|item| item.ordered.is_none() && item.indent == indent)
    }

    /// Whether the next non-blank line is a label (not a list item).
    fn next_is_label(&self, i: usize) -> bool {
        self.lines[i + 1..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| list_item(l).is_none() && label(l.trim()).is_some())
    }
}

/// For each line, whether it starts with a one-segment number (`1 Backend`, `1. Backend`,
/// `**1. Backend**`) that the next numbered line extends (`1.1 …`).
fn single_number_items(lines: &[String]) -> Vec<bool> {
    let number_of = |line: &str| -> Option<Vec<u32>> {
        if atx_heading(line).is_some() {
            return None;
        }
        let body = match list_item(line) {
            Some(item) => {
                if let Some(n) = item.ordered {
                    return Some(vec![n]);
                }
                item.text
            }
            None => line.trim(),
        };
        leading_number(&plain(body)).map(|(nums, _)| nums)
    };
    let numbers: Vec<Option<Vec<u32>>> = lines.iter().map(|l| number_of(l)).collect();
    let mut out = vec![false; lines.len()];
    for (i, number) in numbers.iter().enumerate() {
        let Some(number) = number else { continue };
        if number.len() != 1 || indent_of(&lines[i]) > 3 {
            continue;
        }
        for (j, later) in numbers.iter().enumerate().skip(i + 1) {
            if atx_heading(&lines[j]).is_some() {
                break;
            }
            let Some(later) = later else { continue };
            if later.len() >= 2 {
                out[i] = later[0] == number[0];
                break;
            }
            if indent_of(&lines[j]) <= 3 {
                break;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// From the outline to phases

/// An outline node once labels, non-work sections and empty entries are resolved.
#[derive(Debug)]
struct Clean {
    kind: Kind,
    title: String,
    numbered: bool,
    keyword: bool,
    children: Vec<Clean>,
}

fn clean_children(nodes: &[RawNode], index: usize) -> Vec<Clean> {
    let node = &nodes[index];
    let has_task_label = node.children.iter().any(|&c| {
        nodes[c].kind == Kind::Label(LabelKind::Tasks)
            || (nodes[c].transparent && !nodes[c].excluded)
    });
    let numbered_children = node
        .children
        .iter()
        .filter(|&&c| nodes[c].kind == Kind::Numbered)
        .count();
    let mut out = Vec::new();
    for &c in &node.children {
        let child = &nodes[c];
        if child.excluded || child.kind == Kind::Label(LabelKind::Other) {
            continue;
        }
        if has_task_label && child.kind == Kind::Bullet {
            continue;
        }
        let children = clean_children(nodes, c);
        let spliced = child.transparent
            || child.kind == Kind::Label(LabelKind::Tasks)
            || (child.title.is_empty() && child.kind == Kind::Bullet);
        if spliced {
            out.extend(children);
        } else {
            let title = match &child.orphan_text {
                Some(text) if numbered_children == 1 && children.is_empty() => text.clone(),
                _ => child.title.clone(),
            };
            out.push(Clean {
                kind: child.kind,
                title,
                numbered: child.numbered,
                keyword: child.keyword,
                children,
            });
        }
    }
    out
}

/// When the whole WBS is one item (the project) whose children have children, its
/// children are the phases; returns them and the wrapper's title.
fn unwrap_single_root(roots: &[Clean]) -> (&[Clean], Option<&str>) {
    let mut roots = roots;
    let mut title = None;
    while let [only] = roots {
        let unwrap = matches!(only.kind, Kind::Numbered | Kind::Bullet)
            && only.children.len() >= 2
            && only.children.iter().any(|c| !c.children.is_empty());
        if !unwrap {
            break;
        }
        title.get_or_insert(only.title.as_str());
        roots = &only.children;
    }
    (roots, title)
}

fn reads_like_work(node: &Clean) -> bool {
    (matches!(node.kind, Kind::Bullet | Kind::Numbered) && starts_with_action_verb(&node.title))
        || node.children.iter().any(reads_like_work)
}

/// Whether a section holds phases rather than being one.
fn is_container(node: &Clean) -> bool {
    let phase_children = node
        .children
        .iter()
        .any(|c| c.kind == Kind::Section && c.keyword);
    if phase_children && !node.keyword {
        return true;
    }
    if node.numbered || node.keyword {
        return false;
    }
    let direct_leaves = node
        .children
        .iter()
        .any(|c| matches!(c.kind, Kind::Bullet | Kind::Numbered) && c.children.is_empty());
    let structure = node
        .children
        .iter()
        .any(|c| c.kind == Kind::Section || (c.kind == Kind::Numbered && !c.children.is_empty()));
    structure && !direct_leaves
}

fn collect_phases(nodes: &[Clean], phases: &mut Vec<Phase>, loose: &mut Vec<Clean>) {
    for node in nodes {
        match node.kind {
            Kind::Section => {
                if is_container(node) {
                    let (children, _) = unwrap_single_root(&node.children);
                    collect_phases(children, phases, &mut Vec::new());
                } else if node.numbered || node.keyword || reads_like_work(node) {
                    phases.push(to_phase(node));
                }
            }
            Kind::Numbered | Kind::Bullet => {
                if node.children.is_empty() {
                    loose.push(Clean {
                        kind: node.kind,
                        title: node.title.clone(),
                        numbered: node.numbered,
                        keyword: node.keyword,
                        children: Vec::new(),
                    });
                } else {
                    phases.push(to_phase(node));
                }
            }
            Kind::Root | Kind::Label(_) => {}
        }
    }
}

fn to_phase(node: &Clean) -> Phase {
    Phase {
        title: if node.title.is_empty() {
            "Unnamed phase".to_string()
        } else {
            node.title.clone()
        },
        tasks: node.children.iter().flat_map(to_item).collect(),
    }
}

/// An item, or its children when it has no title.
fn to_item(node: &Clean) -> Vec<Item> {
    let children: Vec<Item> = node.children.iter().flat_map(to_item).collect();
    if node.title.is_empty() {
        children
    } else {
        vec![Item {
            title: node.title.clone(),
            children,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(titles: &[&str]) -> Vec<Item> {
        titles.iter().map(|t| Item::leaf(*t)).collect()
    }

    fn phase(title: &str, tasks: Vec<Item>) -> Phase {
        Phase {
            title: title.to_string(),
            tasks,
        }
    }

    fn titles(wbs: &Wbs) -> Vec<&str> {
        wbs.phases.iter().map(|p| p.title.as_str()).collect()
    }

    #[test]
    fn numbered_headings_with_bullets_skipping_non_work_sections() {
        let wbs = parse(
            "# Work Breakdown Structure – Library App\n\
             \n\
             ## Scope\n\
             \n\
             A service for loans.\n\
             - Covers loans and returns\n\
             \n\
             ## 1. Foundation\n\
             \n\
             - Set up the project\n\
             - Provide a health endpoint\n\
             \n\
             ## 2. Loans\n\
             - Expose loan endpoints\n\
             \x20 - Borrow a book\n\
             \x20 - Return a book\n\
             - Validate requests\n\
             \n\
             ## Out of scope\n\
             - Build the mobile app\n\
             \n\
             ## Risks\n\
             - Partner API may be slow\n\
             \n\
             ## Milestones\n\
             \n\
             | M1 | Loans | week 2 |\n",
        );
        assert_eq!(
            wbs.title.as_deref(),
            Some("Work Breakdown Structure – Library App")
        );
        assert_eq!(
            wbs.phases,
            vec![
                phase(
                    "Foundation",
                    leaves(&["Set up the project", "Provide a health endpoint"])
                ),
                phase(
                    "Loans",
                    vec![
                        Item {
                            title: "Expose loan endpoints".into(),
                            children: leaves(&["Borrow a book", "Return a book"]),
                        },
                        Item::leaf("Validate requests"),
                    ]
                ),
            ]
        );
    }

    #[test]
    fn unnumbered_headings_are_phases_only_when_their_bullets_read_like_work() {
        let wbs = parse(
            "# Plan\n\n## Stakeholders\n- Operations team\n- Billing team\n\n\
             ## Data layer\n- Create the schema\n- Seed the tables\n\n\
             ## Phase 3: Launch\n",
        );
        assert_eq!(titles(&wbs), ["Data layer", "Launch"]);
        assert!(wbs.phases[1].tasks.is_empty());
    }

    #[test]
    fn phase_lines_with_task_labels() {
        let wbs = parse(
            "# Shop WBS\n\
             \n\
             Phase 1: Project setup\n\
             Goal: a repository everyone can build\n\
             Tasks:\n\
             - Create the repository\n\
             - Configure CI\n\
             Deliverables:\n\
             - A green build\n\
             \n\
             **Phase 2 – Data layer**\n\
             Duration: 2 weeks\n\
             **Tasks:**\n\
             1. Design the schema\n\
             2. Write the migrations\n\
             **Deliverables:** schema document\n\
             \n\
             3. Payments\n\
             Goal: take money\n\
             Tasks:\n\
             - Integrate the payment provider\n\
             Acceptance criteria:\n\
             - Refunds work\n",
        );
        assert_eq!(wbs.title.as_deref(), Some("Shop WBS"));
        assert_eq!(
            wbs.phases,
            vec![
                phase(
                    "Project setup",
                    leaves(&["Create the repository", "Configure CI"])
                ),
                phase(
                    "Data layer",
                    leaves(&["Design the schema", "Write the migrations"])
                ),
                phase("Payments", leaves(&["Integrate the payment provider"])),
            ]
        );
    }

    #[test]
    fn numbered_phases_followed_by_bullets() {
        let wbs = parse(
            "# P\n\n1. Project setup\n- Create the repository\n- Configure CI\n\n\
             2. Data layer\n- Design the schema\n",
        );
        assert_eq!(
            wbs.phases,
            vec![
                phase(
                    "Project setup",
                    leaves(&["Create the repository", "Configure CI"])
                ),
                phase("Data layer", leaves(&["Design the schema"])),
            ]
        );
        // A numbered task list with nested details stays a task list.
        let wbs = parse("## 1. Setup\n1. Create the repository\n   - with a README\n2. Add CI\n");
        assert_eq!(
            wbs.phases,
            vec![phase(
                "Setup",
                vec![
                    Item {
                        title: "Create the repository".into(),
                        children: leaves(&["with a README"]),
                    },
                    Item::leaf("Add CI"),
                ]
            )]
        );
    }

    #[test]
    fn phase_headings_with_task_subheadings() {
        let wbs = parse(
            "# X\n\n## Phase 1: Setup\n### Goal\nGet going.\n### Tasks\n- Create the repo\n\
             ### Deliverables\n- A repo\n\n## Phase 2: Build\n- Build the API\n",
        );
        assert_eq!(
            wbs.phases,
            vec![
                phase("Setup", leaves(&["Create the repo"])),
                phase("Build", leaves(&["Build the API"])),
            ]
        );
    }

    #[test]
    fn nested_numbered_items_form_a_tree() {
        let wbs = parse(
            "# Fleet WBS\n\
             \n\
             1.1 Backend foundation\n\
             \x20 1.1.1 Create the repository\n\
             \x20 1.1.2 Configure the build\n\
             \x20   1.1.2.1 Add the linter\n\
             \x20   1.1.2.2 Add the formatter\n\
             1.2 Vehicle tracking\n\
             - 1.2.1 Ingest GPS positions\n\
             - 1.2.2 Store the last position\n",
        );
        assert_eq!(
            wbs.phases,
            vec![
                phase(
                    "Backend foundation",
                    vec![
                        Item::leaf("Create the repository"),
                        Item {
                            title: "Configure the build".into(),
                            children: leaves(&["Add the linter", "Add the formatter"]),
                        },
                    ]
                ),
                phase(
                    "Vehicle tracking",
                    leaves(&["Ingest GPS positions", "Store the last position"])
                ),
            ]
        );
    }

    #[test]
    fn a_single_numbered_root_is_the_project() {
        let wbs = parse(
            "1 Fleet platform\n1.1 Backend\n1.1.1 Create the repo\n1.1.2 Add CI\n\
             1.2 Tracking\n1.2.1 Ingest positions\n",
        );
        assert_eq!(wbs.title.as_deref(), Some("Fleet platform"));
        assert_eq!(titles(&wbs), ["Backend", "Tracking"]);
        assert_eq!(wbs.phases[0].tasks.len(), 2);
    }

    #[test]
    fn numbered_items_under_a_container_heading() {
        let wbs = parse(
            "# P\n\n## Scope\nText.\n\n## Work breakdown\n\n1. Backend\n   1.1 Create the API\n   \
             1.2 Add tests\n2. Frontend\n   2.1 Build the pages\n\n## Notes\n- 1.1 is urgent\n",
        );
        assert_eq!(
            wbs.phases,
            vec![
                phase("Backend", leaves(&["Create the API", "Add tests"])),
                phase("Frontend", leaves(&["Build the pages"])),
            ]
        );
    }

    #[test]
    fn numbered_headings_with_numbered_items() {
        let wbs = parse(
            "# P\n## 1. Backend\n### 1.1 API\n- Create the routes\n### 1.2 Data\n- Create tables\n\
             ## 2. Ops\n- Deploy it\n",
        );
        assert_eq!(titles(&wbs), ["Backend", "Ops"]);
        assert_eq!(
            wbs.phases[0].tasks,
            vec![
                Item {
                    title: "API".into(),
                    children: leaves(&["Create the routes"])
                },
                Item {
                    title: "Data".into(),
                    children: leaves(&["Create tables"])
                },
            ]
        );
    }

    #[test]
    fn code_fences_and_comments_are_ignored() {
        let wbs = parse(
            "# P\n\n## 1. Setup\n- Create the repo <!-- owner: ann -->\n<!--\n- Hidden task\n-->\n\
             ```\n## 2. Not a phase\n- Not a task\n```\n- Add CI\n",
        );
        assert_eq!(
            wbs.phases,
            vec![phase("Setup", leaves(&["Create the repo", "Add CI"]))]
        );
    }

    #[test]
    fn prose_alone_has_no_phases() {
        let wbs = parse("# Meeting notes\n\nWe talked about the roadmap.\n\n## Scope\n- Things\n");
        assert!(wbs.phases.is_empty());
        assert!(parse("").phases.is_empty());
    }

    #[test]
    fn a_lone_numbered_bullet_keeps_its_number() {
        let wbs = parse("## 1. Staffing\n- 2.5 engineers on loan\n- Hire a designer\n");
        assert_eq!(
            wbs.phases[0].tasks,
            leaves(&["2.5 engineers on loan", "Hire a designer"])
        );
        let wbs = parse("## Setup\n- 4.1 Create the repo\n- 4.2 Add CI\n");
        assert_eq!(wbs.phases[0].tasks, leaves(&["Create the repo", "Add CI"]));
    }

    #[test]
    fn lazy_continuation_lines_extend_the_bullet() {
        let wbs = parse("## 1. Setup\n- Create the repository\n  with a README\n- Add CI\n");
        assert_eq!(
            wbs.phases[0].tasks,
            leaves(&["Create the repository with a README", "Add CI"])
        );
    }

    #[test]
    fn setext_headings_and_checkboxes() {
        let wbs = parse("Plan\n====\n\nSetup\n-----\n- [ ] Create the repo\n- [x] Add CI\n");
        assert_eq!(wbs.title.as_deref(), Some("Plan"));
        assert_eq!(
            wbs.phases,
            vec![phase("Setup", leaves(&["Create the repo", "Add CI"]))]
        );
    }

    #[test]
    fn a_bare_nested_list_gives_phases() {
        let wbs = parse("# P\n\n- Setup\n  - Create the repo\n- Data\n  - Create the tables\n");
        assert_eq!(titles(&wbs), ["Setup", "Data"]);
    }
}
