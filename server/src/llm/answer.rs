//! Reading a model's answer: JSON of the schema, or a Markdown list, tolerantly.
//!
//! [`parse_answer`] tries, in order:
//! 1. JSON: the whole answer, then the inside of each code fence, then the first balanced
//!    `{…}` or `[…]` in the prose that parses and holds tasks. An object's list may be
//!    under `tasks`, `children`, `items` or `subtasks`; a bare array is a list; a string is
//!    a title. A task's title is `title`, `name`, `task` or `description` (in that order of
//!    preference), its dependencies `dependencies`, `depends_on` or `deps` (an array or a
//!    comma-separated string), its gate `stage_gate`, `stageGate` or `gate`, its children
//!    `children`, `subtasks` or `tasks`. Key spelling is loose (case, `_`, `-`).
//! 2. A Markdown list: list items, headings and lines led by a task ID
//!    (`- [ ] 1.2.3 Title (Dependencies: 1.1 | Stage Gate: x)`, `1. Title`,
//!    `* **1.2** Title`, `### Stage 1: Title`). Markers, checkboxes, IDs, level keywords and
//!    emphasis are stripped; `Dependencies:` / `Depends on:` / `Stage Gate:` / `Gate:` notes
//!    on the line or on the lines below go to the fields. When every item has an ID, the
//!    IDs decide the nesting; otherwise headings and indentation do.
//!
//! Titles lose any leading task ID (`1.2 Design` → `Design`): the callers number.

use serde_json::{json, Map, Value};

/// A task the model proposes: a title, its dependencies as written (IDs or words), an
/// optional stage gate, and children.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProposedTask {
    pub title: String,
    pub dependencies: Vec<String>,
    pub stage_gate: Option<String>,
    pub children: Vec<ProposedTask>,
}

/// The JSON schema of an answer: `{"tasks": [{title, dependencies, stage_gate, children}]}`.
pub fn tasks_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "tasks": {
                "type": "array",
                "items": { "$ref": "#/$defs/task" }
            }
        },
        "required": ["tasks"],
        "$defs": {
            "task": {
                "type": "object",
                "properties": {
                    "title": { "type": "string" },
                    "dependencies": { "type": "array", "items": { "type": "string" } },
                    "stage_gate": { "type": "string" },
                    "children": { "type": "array", "items": { "$ref": "#/$defs/task" } }
                },
                "required": ["title"]
            }
        }
    })
}

/// The tasks of an answer: JSON (the schema, a bare array, inside a code fence or prose)
/// or a Markdown list (IDs, markers, checkboxes and notes stripped). An error says what
/// was wrong, for the user.
///
/// A JSON answer whose task list is explicitly empty (`{"tasks": []}`) gives `Ok` of an
/// empty list: the model said there is nothing to add.
pub fn parse_answer(text: &str) -> Result<Vec<ProposedTask>, String> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err("the answer is empty".to_string());
    }
    let json_error = match json_answer(text) {
        JsonAnswer::Tasks(tasks) => return Ok(tasks),
        JsonAnswer::Invalid(error) => Some(error),
        JsonAnswer::NotJson => None,
    };
    let tasks = markdown_answer(text);
    if !tasks.is_empty() {
        return Ok(tasks);
    }
    Err(match json_error {
        Some(error) => format!(
            "the answer looks like JSON but does not parse ({error}), found: {}",
            excerpt(text)
        ),
        None => format!(
            "expected JSON with a \"tasks\" array or a Markdown list, found: {}",
            excerpt(text)
        ),
    })
}

/// The first 80 characters of `text`, whitespace collapsed.
fn excerpt(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(80).collect();
    if flat.chars().count() > 80 {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------

enum JsonAnswer {
    Tasks(Vec<ProposedTask>),
    /// The answer looks like JSON but none of it parses: serde's message.
    Invalid(String),
    NotJson,
}

fn json_answer(text: &str) -> JsonAnswer {
    let mut invalid = None;
    let mut whole = vec![text];
    whole.extend(fenced_blocks(text));
    for candidate in whole {
        let candidate = candidate.trim();
        if !looks_like_json(candidate) {
            continue;
        }
        let parsed = serde_json::from_str::<Value>(candidate).or_else(|error| {
            serde_json::from_str(&without_trailing_commas(candidate)).map_err(|_| error)
        });
        match parsed {
            Ok(value) => {
                if let Some(tasks) = tasks_from_value(&value, true, 0) {
                    return JsonAnswer::Tasks(tasks);
                }
            }
            Err(error) => {
                invalid.get_or_insert_with(|| error.to_string());
            }
        }
    }
    // JSON in prose: the first balanced {…} or […] that parses and holds tasks.
    let bytes = text.as_bytes();
    let mut tries = 0;
    for (start, &byte) in bytes.iter().enumerate() {
        if byte != b'{' && byte != b'[' {
            continue;
        }
        tries += 1;
        if tries > 500 {
            break;
        }
        let Some(end) = balanced_end(bytes, start) else {
            continue;
        };
        if let Ok(value) = serde_json::from_str::<Value>(&text[start..end]) {
            if let Some(tasks) = tasks_from_value(&value, false, 0) {
                return JsonAnswer::Tasks(tasks);
            }
        }
    }
    match invalid {
        Some(error) => JsonAnswer::Invalid(error),
        None => JsonAnswer::NotJson,
    }
}

/// `text` without the commas before a closing `}` or `]` (outside strings), which some
/// models write.
fn without_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}' | ']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// An object, or an array of objects or strings (not a Markdown checkbox `[ ]`).
fn looks_like_json(text: &str) -> bool {
    if text.starts_with('{') {
        return true;
    }
    text.strip_prefix('[')
        .map(|rest| matches!(rest.trim_start().chars().next(), Some('{' | '"' | ']')))
        .unwrap_or(false)
}

/// The insides of the code fences (```` ``` ```` or `~~~`) of `text`.
fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, &str)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        match open {
            None => {
                if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                    open = Some((offset + line.len(), &trimmed[..3]));
                }
            }
            Some((start, fence)) => {
                if trimmed.starts_with(fence)
                    && trimmed[3..].trim_start_matches(&fence[..1]).is_empty()
                {
                    blocks.push(&text[start..offset]);
                    open = None;
                }
            }
        }
        offset += line.len();
    }
    if let Some((start, _)) = open {
        blocks.push(&text[start..]);
    }
    blocks
}

/// The end (exclusive) of the balanced bracket group opening at `start`, strings skipped.
fn balanced_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &byte) in bytes.iter().enumerate().skip(start) {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A key's loose spelling: lowercase, without `_`, `-` and spaces.
fn loose(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first of `names` (loose spellings, in order of preference) that `object` has
/// and `accept` takes.
fn field<'a>(
    object: &'a Map<String, Value>,
    names: &[&str],
    accept: impl Fn(&Value) -> bool,
) -> Option<&'a Value> {
    names.iter().find_map(|name| {
        object
            .iter()
            .find(|(key, value)| loose(key) == *name && accept(value))
            .map(|(_, value)| value)
    })
}

const LIST_KEYS: &[&str] = &["tasks", "children", "items", "subtasks"];
const TITLE_KEYS: &[&str] = &["title", "name", "task", "description", "summary", "label"];
const DEPENDENCY_KEYS: &[&str] = &[
    "dependencies",
    "dependson",
    "deps",
    "depends",
    "dependency",
    "prerequisites",
];
const GATE_KEYS: &[&str] = &["stagegate", "gate"];
const CHILD_KEYS: &[&str] = &["children", "subtasks", "tasks", "items"];

/// A list held by a value (an array, or a string holding a JSON array).
fn as_list(value: &Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items.clone()),
        Value::String(text) => match serde_json::from_str::<Value>(text.trim()) {
            Ok(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

/// The tasks a JSON value holds. `explicit`: the value is the whole answer, so an empty
/// array counts as "no tasks" rather than as not-an-answer.
fn tasks_from_value(value: &Value, explicit: bool, depth: usize) -> Option<Vec<ProposedTask>> {
    if depth > 4 {
        return None;
    }
    match value {
        Value::Array(items) => {
            let tasks = tasks_from_items(items);
            (!tasks.is_empty() || (explicit && items.is_empty())).then_some(tasks)
        }
        Value::Object(object) => {
            if let Some(items) =
                field(object, LIST_KEYS, |v| as_list(v).is_some()).and_then(as_list)
            {
                let tasks = tasks_from_items(&items);
                return (!tasks.is_empty() || items.is_empty()).then_some(tasks);
            }
            if field(object, TITLE_KEYS, is_text).is_some() {
                return task_from_value(value, 0).map(|task| vec![task]);
            }
            // A wrapper: {"plan": {"tasks": […]}}.
            let mut nested = object
                .values()
                .filter(|v| matches!(v, Value::Object(_) | Value::Array(_)));
            match (nested.next(), nested.next()) {
                (Some(inner), None) => tasks_from_value(inner, false, depth + 1),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_text(value: &Value) -> bool {
    matches!(value, Value::String(s) if !s.trim().is_empty())
}

fn tasks_from_items(items: &[Value]) -> Vec<ProposedTask> {
    items
        .iter()
        .filter_map(|item| task_from_value(item, 0))
        .collect()
}

fn task_from_value(value: &Value, depth: usize) -> Option<ProposedTask> {
    if depth > 64 {
        return None;
    }
    match value {
        Value::String(text) => task_from_text(text),
        Value::Object(object) => {
            let title = field(object, TITLE_KEYS, is_text)?.as_str()?;
            let mut task = task_from_text(title)?;
            if let Some(deps) = field(object, DEPENDENCY_KEYS, |v| !v.is_null()) {
                let deps = dependencies_from_value(deps);
                if !deps.is_empty() || task.dependencies.is_empty() {
                    task.dependencies = deps;
                }
            }
            if let Some(gate) = field(object, GATE_KEYS, |v| gate_of(v).is_some()) {
                task.stage_gate = gate_of(gate);
            }
            if let Some(children) =
                field(object, CHILD_KEYS, |v| as_list(v).is_some()).and_then(as_list)
            {
                task.children = children
                    .iter()
                    .filter_map(|child| task_from_value(child, depth + 1))
                    .collect();
            }
            Some(task)
        }
        _ => None,
    }
}

fn gate_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => gate_value(text),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn dependencies_from_value(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => split_dependencies(text),
        Value::Number(n) => split_dependencies(&n.to_string()),
        Value::Array(items) => items
            .iter()
            .flat_map(|item| match item {
                Value::String(text) => split_dependencies(text),
                Value::Number(n) => split_dependencies(&n.to_string()),
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A task from one line of text: its ID stripped, its notes read.
fn task_from_text(text: &str) -> Option<ProposedTask> {
    let item = parse_item_text(text, true);
    (!item.title.is_empty()).then(|| ProposedTask {
        title: item.title,
        dependencies: item.dependencies,
        stage_gate: item.stage_gate,
        children: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------
// Lines: IDs, notes, titles
// ---------------------------------------------------------------------------------------

const LEVEL_KEYWORDS: &[&str] = &["stage", "phase", "subtask", "task", "step", "milestone"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NoteKind {
    Dependencies,
    Gate,
}

/// Longest first, so that `stage gate` wins over `gate` and `depends on` over `depends`.
const NOTE_KEYWORDS: &[(&str, NoteKind)] = &[
    ("prerequisites", NoteKind::Dependencies),
    ("dependencies", NoteKind::Dependencies),
    ("dependency", NoteKind::Dependencies),
    ("depends on", NoteKind::Dependencies),
    ("depends", NoteKind::Dependencies),
    ("deps", NoteKind::Dependencies),
    ("stage gate", NoteKind::Gate),
    ("stage-gate", NoteKind::Gate),
    ("stagegate", NoteKind::Gate),
    ("gate", NoteKind::Gate),
];

/// A task ID at the start of a text.
struct Id<'a> {
    id: &'a str,
    segments: usize,
    /// A `.`, `:` or `)` right after the ID (`1.`, `Stage 1:`).
    punctuated: bool,
    rest: &'a str,
}

/// `1`, `1.2.3`, `1.2.A`, `1.` (with an optional backtick around) at the start of `text`;
/// what follows must not be a letter or digit.
fn take_id(text: &str) -> Option<Id<'_>> {
    let bytes = text.as_bytes();
    let ticked = bytes.first() == Some(&b'`');
    let start = usize::from(ticked);
    let digits_at = |i: usize| {
        bytes[i.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let letters_at = |i: usize| {
        bytes[i.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count()
    };
    let first = digits_at(start);
    if first == 0 || first > 6 {
        return None;
    }
    let mut end = start + first;
    let mut segments = 1;
    while bytes.get(end) == Some(&b'.') {
        let next = end + 1;
        let digits = digits_at(next);
        if digits > 0 {
            end = next + digits;
            segments += 1;
            continue;
        }
        let letters = letters_at(next);
        if (1..=2).contains(&letters) {
            let after = next + letters + digits_at(next + letters);
            if !bytes.get(after).is_some_and(|b| b.is_ascii_alphanumeric()) {
                end = after;
                segments += 1;
                continue;
            }
        }
        break;
    }
    let id = &text[start..end];
    let mut after = end;
    if ticked {
        if bytes.get(after) != Some(&b'`') {
            return None;
        }
        after += 1;
    }
    let punctuated = matches!(bytes.get(after), Some(b'.' | b':' | b')'));
    if punctuated {
        after += 1;
    }
    let rest = &text[after..];
    if rest.chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    Some(Id {
        id,
        segments,
        punctuated,
        rest,
    })
}

fn strip_emphasis_start(text: &str) -> &str {
    text.trim_start_matches(|c: char| c == '*' || c == '_' || c.is_whitespace())
}

/// A level keyword and ID (`Stage 1:`, `Phase 1.2`) or an ID (`1.2.3`, `1.`) at the start
/// of `text`: the ID, its depth, and the rest. `lone_numbers`: a bare number followed by
/// `.`, `:` or `)` counts as an ID.
fn leading_id(text: &str, lone_numbers: bool) -> Option<(String, usize, &str)> {
    let text = strip_emphasis_start(text);
    let lower = text.to_ascii_lowercase();
    for keyword in LEVEL_KEYWORDS {
        if lower.starts_with(keyword) && text[keyword.len()..].starts_with([' ', '\t']) {
            let after = strip_emphasis_start(&text[keyword.len()..]);
            if let Some(id) = take_id(after) {
                let separated = id.punctuated
                    || id.segments > 1
                    || strip_emphasis_start(id.rest).starts_with(['-', '–', '—', ':'])
                    || strip_emphasis_start(id.rest).is_empty();
                if separated {
                    return Some((id.id.to_string(), id.segments, id.rest));
                }
            }
            return None;
        }
    }
    let id = take_id(text)?;
    (id.segments > 1 || (lone_numbers && id.punctuated))
        .then(|| (id.id.to_string(), id.segments, id.rest))
}

/// Where notes start in `text`: each note keyword followed by `:` that stands at the start
/// or after `(`, `|`, `;`, `,`, `[` or a dash: (keyword start, value start, kind).
fn note_marks(text: &str) -> Vec<(usize, usize, NoteKind)> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut marks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if lower.is_char_boundary(i) && opens_note(&lower[..i]) {
            let found = NOTE_KEYWORDS.iter().find_map(|(keyword, kind)| {
                if !lower[i..].starts_with(keyword) {
                    return None;
                }
                let mut j = i + keyword.len();
                while j < bytes.len() && matches!(bytes[j], b'*' | b'_' | b' ') {
                    j += 1;
                }
                (bytes.get(j) == Some(&b':')).then_some((j + 1, *kind))
            });
            if let Some((value, kind)) = found {
                marks.push((i, value, kind));
                i = value;
                continue;
            }
        }
        i += 1;
    }
    marks
}

fn opens_note(before: &str) -> bool {
    let before = before.trim_end_matches(|c: char| c == '*' || c == '_' || c.is_whitespace());
    match before.chars().next_back() {
        None => true,
        Some(c) => matches!(c, '(' | '|' | ';' | ',' | '[' | '-' | '–' | '—' | '.'),
    }
}

fn is_none_word(value: &str) -> bool {
    let value = value.trim().trim_end_matches('.').trim();
    value.is_empty()
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "none" | "n/a" | "na" | "-" | "—" | "–" | "nil" | "null" | "(none)" | "no dependencies"
        )
}

/// A note's value: trimmed, emphasis and a closing parenthesis it does not open removed.
fn note_value(value: &str) -> &str {
    let mut value = value.trim();
    loop {
        let before = value;
        value = value
            .trim_matches(|c: char| c == '*' || c == '_' || c.is_whitespace())
            .trim_end_matches(['|', ';', ',']);
        if value.ends_with(')') && value.matches('(').count() < value.matches(')').count() {
            value = &value[..value.len() - 1];
        }
        if value.ends_with(']') && value.matches('[').count() < value.matches(']').count() {
            value = &value[..value.len() - 1];
        }
        if value == before {
            return value;
        }
    }
}

/// Dependencies as written: split on commas, semicolons, `&` and `and`; `None`, `N/A`,
/// `-` mean none; `Task 1.2` becomes `1.2`.
fn split_dependencies(text: &str) -> Vec<String> {
    let text = note_value(text);
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let mut parts = Vec::new();
    for part in text.split([',', ';', '&']) {
        let mut rest = part;
        loop {
            let lower = rest.to_ascii_lowercase();
            match lower.find(" and ") {
                Some(at) => {
                    parts.push(&rest[..at]);
                    rest = &rest[at + 5..];
                }
                None => {
                    parts.push(rest);
                    break;
                }
            }
        }
    }
    parts
        .into_iter()
        .map(|part| {
            let part = note_value(part)
                .trim_matches('`')
                .trim_end_matches('.')
                .trim();
            let lower = part.to_ascii_lowercase();
            for keyword in LEVEL_KEYWORDS {
                if lower.starts_with(keyword) {
                    let after = part[keyword.len()..].trim_start();
                    if let Some(id) = take_id(after) {
                        if id.rest.trim().is_empty() {
                            return id.id.to_string();
                        }
                    }
                }
            }
            part.to_string()
        })
        .filter(|part| !is_none_word(part))
        .collect()
}

fn gate_value(text: &str) -> Option<String> {
    let value = note_value(text);
    (!is_none_word(value)).then(|| value.to_string())
}

/// The notes of `text` (which starts at a note keyword) into `deps` and `gate`.
fn read_notes(
    text: &str,
    marks: &[(usize, usize, NoteKind)],
    deps: &mut Vec<String>,
    gate: &mut Option<String>,
) {
    for (n, &(_, value_start, kind)) in marks.iter().enumerate() {
        let value_end = marks.get(n + 1).map_or(text.len(), |next| next.0);
        let value = &text[value_start..value_end];
        match kind {
            NoteKind::Dependencies => {
                for dep in split_dependencies(value) {
                    if !deps.contains(&dep) {
                        deps.push(dep);
                    }
                }
            }
            NoteKind::Gate => {
                if let Some(value) = gate_value(value) {
                    *gate = Some(value);
                }
            }
        }
    }
}

/// A title without emphasis markers and trailing separators.
fn clean_title(text: &str) -> String {
    let text = text.replace("**", "").replace("__", "");
    let trim = |c: char| {
        c.is_whitespace() || matches!(c, '*' | '_' | '(' | '|' | '—' | '–' | ';' | ',' | ':' | '[')
    };
    let mut title = text.trim_matches(trim);
    // A lone trailing dash: "Title -".
    while let Some(stripped) = title.strip_suffix(" -") {
        title = stripped.trim_matches(trim);
    }
    title
        .trim_start_matches(|c: char| c == '-' || c == '.' || c == ')' || c.is_whitespace())
        .trim_matches(trim)
        .to_string()
}

/// What one item's text says.
#[derive(Debug, Default)]
struct ItemText {
    title: String,
    id: Option<(String, usize)>,
    dependencies: Vec<String>,
    stage_gate: Option<String>,
}

/// An item's text (markers and checkbox already removed): its ID, title and notes.
fn parse_item_text(text: &str, lone_numbers: bool) -> ItemText {
    let mut item = ItemText::default();
    let mut rest = text.trim();
    if let Some((id, depth, after)) = leading_id(rest, lone_numbers) {
        item.id = Some((id, depth));
        rest = after;
    }
    if let Some((bold, description)) = bold_title(text, rest) {
        let marks = note_marks(description);
        if let Some(&(start, _, _)) = marks.first() {
            let shifted: Vec<_> = marks
                .iter()
                .map(|&(s, v, k)| (s - start, v - start, k))
                .collect();
            read_notes(
                &description[start..],
                &shifted,
                &mut item.dependencies,
                &mut item.stage_gate,
            );
        }
        item.title = clean_title(bold);
        return item;
    }
    rest = rest.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '*' | '_' | ':' | '-' | '–' | '—' | '.' | ')')
    });
    let marks = note_marks(rest);
    let title = match marks.first() {
        Some(&(start, _, _)) => {
            let notes = &rest[start..];
            let shifted: Vec<_> = marks
                .iter()
                .map(|&(s, v, k)| (s - start, v - start, k))
                .collect();
            read_notes(
                notes,
                &shifted,
                &mut item.dependencies,
                &mut item.stage_gate,
            );
            &rest[..start]
        }
        None => rest,
    };
    item.title = clean_title(title);
    item
}

/// A bold title followed by a description (`**Title** – what it means`,
/// `**1.2 Title**: …`, `**Title:** …`): the title and the description. `text` is the
/// item's text, `rest` what follows its ID.
fn bold_title<'a>(text: &str, rest: &'a str) -> Option<(&'a str, &'a str)> {
    let lead = rest.trim_start();
    let (bold, after) = if let Some(inner) = lead.strip_prefix("**") {
        let end = inner.find("**")?;
        (&inner[..end], &inner[end + 2..])
    } else if text.trim_start().starts_with("**") {
        // The bold opened before the ID: `**1.2 Title** – …`.
        let end = lead.find("**")?;
        (&lead[..end], &lead[end + 2..])
    } else {
        return None;
    };
    let after = after.trim();
    let separated = after.starts_with([':', '-', '–', '—'])
        || (bold.trim_end().ends_with(':') && !after.is_empty());
    if bold.trim().is_empty() || !separated || !note_marks(bold).is_empty() {
        return None;
    }
    let description = after.trim_start_matches([':', '-', '–', '—']).trim();
    (!description.is_empty()).then_some((bold, description))
}

/// Whether `text` is only notes (`(Dependencies: None | Stage Gate: x)`,
/// `**Stage Gate:** x`), and if so their marks.
fn note_line(text: &str) -> Option<Vec<(usize, usize, NoteKind)>> {
    let marks = note_marks(text);
    let first = marks.first()?;
    text[..first.0]
        .chars()
        .all(|c| c.is_whitespace() || matches!(c, '(' | '*' | '_' | '[' | '-' | '>'))
        .then_some(marks)
}

// ---------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct FlatItem {
    indent: usize,
    heading: Option<usize>,
    /// An ordered-list item (`1. Title`).
    ordinal: bool,
    id_depth: Option<usize>,
    task: ProposedTask,
}

/// A list marker (`-`, `*`, `+`, `•`, `1.`, `1)`) at the start of `text`: the rest, and
/// whether the list is ordered.
fn list_marker(text: &str) -> Option<(&str, bool)> {
    let mut chars = text.chars();
    match chars.next()? {
        '-' | '*' | '+' | '•' => {
            let rest = chars.as_str();
            (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some((rest, false))
        }
        c if c.is_ascii_digit() => {
            let digits = text.bytes().take_while(u8::is_ascii_digit).count();
            let rest = &text[digits..];
            let rest = rest.strip_prefix(['.', ')'])?;
            (digits <= 9 && (rest.is_empty() || rest.starts_with([' ', '\t'])))
                .then_some((rest, true))
        }
        _ => None,
    }
}

fn strip_checkbox(text: &str) -> &str {
    let text = text.trim_start();
    let bytes = text.as_bytes();
    if bytes.len() >= 3
        && bytes[0] == b'['
        && bytes[2] == b']'
        && matches!(bytes[1], b' ' | b'x' | b'X' | b'-' | b'~' | b'/')
    {
        return text[3..].trim_start();
    }
    text
}

fn heading(text: &str) -> Option<(usize, &str)> {
    let level = text.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &text[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim();
    let rest = match rest.trim_end_matches('#') {
        stripped if stripped.ends_with(' ') || stripped.is_empty() => stripped.trim_end(),
        _ => rest,
    };
    Some((level, rest))
}

fn indent_of(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

fn markdown_answer(text: &str) -> Vec<ProposedTask> {
    let mut items: Vec<FlatItem> = Vec::new();
    let mut in_comment = false;
    for line in text.lines() {
        let indent = indent_of(line);
        let content = line.trim();
        if in_comment {
            in_comment = !content.contains("-->");
            continue;
        }
        if content.starts_with("<!--") {
            in_comment = !content.contains("-->");
            continue;
        }
        if content.is_empty()
            || content.starts_with("```")
            || content.starts_with("~~~")
            || content.starts_with('|')
        {
            continue;
        }
        let (body, head, ordinal, marked) = if let Some((level, rest)) = heading(content) {
            (rest, Some(level), false, true)
        } else if let Some((rest, ordered)) = list_marker(content) {
            (strip_checkbox(rest), None, ordered, true)
        } else {
            (strip_checkbox(content), None, false, false)
        };
        if let Some(marks) = note_line(body) {
            let mut notes = ItemText::default();
            read_notes(body, &marks, &mut notes.dependencies, &mut notes.stage_gate);
            let owner = items
                .iter()
                .rposition(|item| item.heading.is_none() && item.indent < indent)
                .or(items.len().checked_sub(1));
            if let Some(owner) = owner {
                let task = &mut items[owner].task;
                for dep in notes.dependencies {
                    if !task.dependencies.contains(&dep) {
                        task.dependencies.push(dep);
                    }
                }
                if notes.stage_gate.is_some() {
                    task.stage_gate = notes.stage_gate;
                }
            }
            continue;
        }
        let item = parse_item_text(body, marked);
        if !marked && item.id.is_none() {
            continue; // prose
        }
        if item.title.is_empty() {
            continue;
        }
        items.push(FlatItem {
            indent,
            heading: head,
            ordinal,
            id_depth: item.id.as_ref().map(|(_, depth)| *depth),
            task: ProposedTask {
                title: item.title,
                dependencies: item.dependencies,
                stage_gate: item.stage_gate,
                children: Vec::new(),
            },
        });
    }
    nest(items)
}

/// The tree of the flat items: by ID depth when every item has an ID (headings without one
/// are section titles, dropped), else by heading level and indentation.
fn nest(mut items: Vec<FlatItem>) -> Vec<ProposedTask> {
    let with_ids = items.iter().filter(|item| item.id_depth.is_some()).count();
    let by_ids = with_ids > 0
        && items.iter().all(|item| {
            item.id_depth.is_some() || item.heading.is_some() || (item.ordinal && item.indent < 2)
        });
    let keyed: Vec<(usize, ProposedTask)> = if by_ids {
        items
            .into_iter()
            .filter(|item| item.id_depth.is_some() || item.heading.is_none())
            .map(|item| (item.id_depth.unwrap_or(1), item.task))
            .collect()
    } else {
        // A first heading that no other heading matches in level is the document's title.
        if items.len() > 1 {
            if let Some(level) = items[0].heading {
                let unique = !items[1..]
                    .iter()
                    .any(|item| item.heading.is_some_and(|other| other <= level));
                if unique && items[0].id_depth.is_none() {
                    items.remove(0);
                }
            }
        }
        items
            .into_iter()
            .map(|item| (item.heading.unwrap_or(10 + item.indent), item.task))
            .collect()
    };
    let mut roots = Vec::new();
    let mut stack: Vec<(usize, ProposedTask)> = Vec::new();
    fn pop(stack: &mut Vec<(usize, ProposedTask)>, roots: &mut Vec<ProposedTask>) {
        if let Some((_, task)) = stack.pop() {
            match stack.last_mut() {
                Some((_, parent)) => parent.children.push(task),
                None => roots.push(task),
            }
        }
    }
    for (key, task) in keyed {
        while stack.last().is_some_and(|(top, _)| *top >= key) {
            pop(&mut stack, &mut roots);
        }
        stack.push((key, task));
    }
    while !stack.is_empty() {
        pop(&mut stack, &mut roots);
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(title: &str) -> ProposedTask {
        ProposedTask {
            title: title.to_string(),
            ..ProposedTask::default()
        }
    }

    fn with(
        title: &str,
        deps: &[&str],
        gate: Option<&str>,
        children: Vec<ProposedTask>,
    ) -> ProposedTask {
        ProposedTask {
            title: title.to_string(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            stage_gate: gate.map(str::to_string),
            children,
        }
    }

    #[test]
    fn schema_has_the_tasks_array_and_a_recursive_task() {
        let schema = tasks_schema();
        assert_eq!(schema["required"], json!(["tasks"]));
        assert_eq!(
            schema["properties"]["tasks"]["items"]["$ref"],
            "#/$defs/task"
        );
        let task = &schema["$defs"]["task"];
        assert_eq!(task["required"], json!(["title"]));
        assert_eq!(
            task["properties"]["children"]["items"]["$ref"],
            "#/$defs/task"
        );
        assert_eq!(task["properties"]["dependencies"]["type"], "array");
        assert_eq!(task["properties"]["stage_gate"]["type"], "string");
    }

    #[test]
    fn json_of_the_schema() {
        let text = r#"{"tasks": [
            {"title": "Design the schema", "dependencies": ["1.1"], "stage_gate": "schema reviewed",
             "children": [{"title": "Write the migration"}]},
            {"title": "Seed data", "dependencies": []}
        ]}"#;
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![
                with(
                    "Design the schema",
                    &["1.1"],
                    Some("schema reviewed"),
                    vec![task("Write the migration")]
                ),
                task("Seed data"),
            ]
        );
    }

    #[test]
    fn json_with_other_keys() {
        let text = r#"{"items": [
            {"name": "Build", "depends_on": "1.1, 1.2 and 1.3", "stageGate": "it builds",
             "subtasks": ["Compile", {"task": "Link", "deps": "None"}]},
            {"description": "Ship it", "Stage Gate": "N/A", "gate": "x"}
        ]}"#;
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![
                with(
                    "Build",
                    &["1.1", "1.2", "1.3"],
                    Some("it builds"),
                    vec![task("Compile"), task("Link")]
                ),
                with("Ship it", &[], Some("x"), vec![]),
            ]
        );
        let children = parse_answer(r#"{"children": [{"title": "A", "tasks": [{"title": "B"}]}]}"#);
        assert_eq!(
            children.unwrap(),
            vec![with("A", &[], None, vec![task("B")])]
        );
        let subtasks = parse_answer(r#"{"subtasks": ["A", "B"]}"#).unwrap();
        assert_eq!(subtasks, vec![task("A"), task("B")]);
    }

    #[test]
    fn title_is_preferred_over_name_and_description() {
        let text = r#"[{"description": "Long words", "name": "Name", "title": "Title"}]"#;
        assert_eq!(parse_answer(text).unwrap(), vec![task("Title")]);
    }

    #[test]
    fn a_bare_json_array() {
        let text = r#"[{"title": "A"}, "B", 3, null, {"title": ""}]"#;
        assert_eq!(parse_answer(text).unwrap(), vec![task("A"), task("B")]);
    }

    #[test]
    fn json_in_a_fence_or_prose() {
        let fenced =
            "Here is the plan:\n```json\n{\"tasks\": [{\"title\": \"A\"}]}\n```\nGood luck!";
        assert_eq!(parse_answer(fenced).unwrap(), vec![task("A")]);
        let prose =
            "Sure! The tasks are {\"tasks\": [{\"title\": \"A }{ [\\\"x\\\"]\"}]} as asked.";
        assert_eq!(parse_answer(prose).unwrap(), vec![task("A }{ [\"x\"]")]);
        let array = "Tasks: [ {\"title\": \"B\"} ] (end)";
        assert_eq!(parse_answer(array).unwrap(), vec![task("B")]);
        let wrapped = r#"{"plan": {"tasks": [{"title": "C"}]}}"#;
        assert_eq!(parse_answer(wrapped).unwrap(), vec![task("C")]);
    }

    #[test]
    fn a_stringified_tasks_array() {
        let text = r#"{"tasks": "[{\"title\": \"A\"}]"}"#;
        assert_eq!(parse_answer(text).unwrap(), vec![task("A")]);
    }

    #[test]
    fn ids_and_notes_in_json_titles_are_read() {
        let text = r#"{"tasks": [{"title": "1.2 Design (Dependencies: 1.1 | Stage Gate: ok)"}]}"#;
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![with("Design", &["1.1"], Some("ok"), vec![])]
        );
    }

    #[test]
    fn an_empty_tasks_array_is_no_tasks() {
        assert_eq!(parse_answer(r#"{"tasks": []}"#).unwrap(), vec![]);
        assert_eq!(parse_answer("[]").unwrap(), vec![]);
    }

    #[test]
    fn markdown_with_ids_nests_by_id() {
        let text = "\
### Stage 1: CORE – Foundation & Test Harness
(Dependencies: None | Stage Gate: API proven with seed data)

1.1 Backend Foundation (Dependencies: None | Stage Gate: project builds)
  1.1.1 Configure Python tooling (pytest, ruff, mypy)
1.1.2 Create `.env.example` and the settings loader
1.1.A Validate core functionality of Task 1.1
1.2 HTTP API (Dependencies: 1.1, 1.0 and 0.9 | Stage Gate: endpoints respond)
";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![with(
                "CORE – Foundation & Test Harness",
                &[],
                Some("API proven with seed data"),
                vec![
                    with(
                        "Backend Foundation",
                        &[],
                        Some("project builds"),
                        vec![
                            task("Configure Python tooling (pytest, ruff, mypy)"),
                            task("Create `.env.example` and the settings loader"),
                            task("Validate core functionality of Task 1.1"),
                        ]
                    ),
                    with(
                        "HTTP API",
                        &["1.1", "1.0", "0.9"],
                        Some("endpoints respond"),
                        vec![]
                    ),
                ]
            )]
        );
    }

    #[test]
    fn markdown_checkboxes_bold_ids_and_sub_bullet_notes() {
        let text = "\
Here is the breakdown:

- [ ] 1.2.3 Write the handler (Dependencies: 1.2.1 | Stage Gate: x)
- [x] **1.2.4** Add tests  
    - Depends on: 1.2.3
    - **Stage Gate:** tests pass (unit)
* **1.2.5 Document it**
- [ ] `1.2.6` Review — Gate: approved
";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![
                with("Write the handler", &["1.2.1"], Some("x"), vec![]),
                with("Add tests", &["1.2.3"], Some("tests pass (unit)"), vec![]),
                task("Document it"),
                with("Review", &[], Some("approved"), vec![]),
            ]
        );
    }

    #[test]
    fn markdown_nests_by_indentation_without_ids() {
        let text = "\
# Plan

1. Planning
   - Gather requirements
   - Write the spec
     * Review it
2. Build
   + Code
";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![
                with(
                    "Planning",
                    &[],
                    None,
                    vec![
                        task("Gather requirements"),
                        with("Write the spec", &[], None, vec![task("Review it")]),
                    ]
                ),
                with("Build", &[], None, vec![task("Code")]),
            ]
        );
    }

    #[test]
    fn markdown_headings_nest_lists() {
        let text = "## Backend\n- Models\n- Views\n## Frontend\n- Pages\n";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![
                with("Backend", &[], None, vec![task("Models"), task("Views")]),
                with("Frontend", &[], None, vec![task("Pages")]),
            ]
        );
    }

    #[test]
    fn ordered_items_and_id_lines_mix() {
        let text = "1. Planning\n1.1 Gather\n1.2 Spec\n2. Build\n2.1 Code\n";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![
                with("Planning", &[], None, vec![task("Gather"), task("Spec")]),
                with("Build", &[], None, vec![task("Code")]),
            ]
        );
    }

    #[test]
    fn markdown_in_a_fence_with_none_words() {
        let text = "```markdown\n- Phase 2 - Build (Dependencies: N/A | Stage Gate: -)\n- Deploy (Depends on: none)\n```";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![task("Build"), task("Deploy")]
        );
    }

    #[test]
    fn dependencies_drop_level_keywords() {
        assert_eq!(
            split_dependencies("Task 1.1, Phase 2 & `1.3`; None"),
            vec!["1.1", "2", "1.3"]
        );
        assert_eq!(split_dependencies("[1.1, 1.2]"), vec!["1.1", "1.2"]);
    }

    #[test]
    fn ids_are_recognised() {
        let id = take_id("1.2.A Title").unwrap();
        assert_eq!((id.id, id.segments, id.rest), ("1.2.A", 3, " Title"));
        assert!(take_id("1.5x faster").is_none());
        assert!(take_id("2024 budget").is_some_and(|id| id.segments == 1 && !id.punctuated));
        assert_eq!(leading_id("2024 budget", true), None);
        assert_eq!(leading_id("Phase 2 rollout", true), None);
        assert_eq!(
            leading_id("Stage 2: X", false).map(|(id, d, _)| (id, d)),
            Some(("2".into(), 1))
        );
        assert_eq!(leading_id("1.Introduction", true), None);
    }

    #[test]
    fn a_word_containing_a_note_keyword_is_not_a_note() {
        let text = "- Define the stage gate: criteria for the gateway\n- Set up gateway: nginx\n";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![
                task("Define the stage gate: criteria for the gateway"),
                task("Set up gateway: nginx"),
            ]
        );
    }

    #[test]
    fn prose_is_an_error() {
        let error = parse_answer("I cannot help with that request, sorry.").unwrap_err();
        assert_eq!(
            error,
            "expected JSON with a \"tasks\" array or a Markdown list, found: I cannot help with that request, sorry."
        );
        let long = "word ".repeat(40);
        let error = parse_answer(&long).unwrap_err();
        assert!(error.ends_with('…'), "{error}");
        assert_eq!(error.split("found: ").nth(1).unwrap().chars().count(), 81);
    }

    #[test]
    fn empty_and_broken_json_are_errors() {
        assert_eq!(parse_answer("  \n ").unwrap_err(), "the answer is empty");
        let error = parse_answer("{\"tasks\": [{\"title\": \"A\"").unwrap_err();
        assert!(
            error.starts_with("the answer looks like JSON but does not parse ("),
            "{error}"
        );
        let error = parse_answer(r#"{"answer": 42}"#).unwrap_err();
        assert!(
            error.starts_with("expected JSON with a \"tasks\" array"),
            "{error}"
        );
    }

    #[test]
    fn bold_titles_with_descriptions() {
        let text = "\
Here's the breakdown:

1. **Design the order schema** – define tables and constraints
2. **Implement the repository:** CRUD functions (Dependencies: 1)
   - **2.1 Write queries** - with indexes
3. **Add validation**
";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![
                task("Design the order schema"),
                with(
                    "Implement the repository",
                    &["1"],
                    None,
                    vec![task("Write queries")]
                ),
                task("Add validation"),
            ]
        );
    }

    #[test]
    fn trailing_commas_are_forgiven() {
        let text = "{\"tasks\": [{\"title\": \"A,]\", \"dependencies\": [\"1.1\",],},],}";
        assert_eq!(
            parse_answer(text).unwrap(),
            vec![with("A,]", &["1.1"], None, vec![])]
        );
    }

    #[test]
    fn empty_titles_are_dropped() {
        let text = "- \n- **  **\n- [ ] \n- Real\n";
        assert_eq!(parse_answer(text).unwrap(), vec![task("Real")]);
    }
}
