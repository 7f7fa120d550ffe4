//! Whether a task title is one action: the clause analysis behind `non-atomic` and
//! `not-actionable` (rules.md, "What non-atomic means").
//!
//! The approach: mask what never counts (parentheses, quotes, code spans), split into
//! sentences, then look at each joint (`and`, `then`, `plus`, `&`, `+`, `;`, `as well as`):
//! it separates two actions when the clause before it is imperative and the word after it
//! is a base-form verb acting as one. Base forms are what make this workable: verbs inside
//! relative clauses are inflected ("that fetches rates and stores them"), and words that
//! are both noun and verb count as verbs only when an object-like word follows them
//! ("test the endpoint", not "test fixtures").

use std::collections::HashSet;
use std::sync::OnceLock;

const VERBS: &str = include_str!("verbs.txt");

/// Words that are nouns at least as often as verbs in task titles.
const NOUN_LIKE: &[&str] = &[
    "test", "log", "index", "cache", "seed", "record", "schedule", "search", "report", "design", "document", "process",
    "review", "update", "upgrade", "release", "build", "order", "filter", "sort", "map", "list", "query", "request",
    "import", "export", "package", "monitor", "alert", "audit", "benchmark", "check", "change", "commit", "display",
    "file", "format", "group", "host", "input", "output", "link", "load", "lock", "merge", "model", "name", "page",
    "patch", "plan", "post", "print", "profile", "rate", "reset", "return", "route", "sample", "scan", "score",
    "share", "sign", "size", "stage", "store", "stream", "support", "sync", "tag", "template", "trace", "track",
    "upload", "use", "version", "access", "cluster", "queue", "script", "label", "mock", "stub", "snapshot", "table",
    "hook", "gate", "flag", "spike", "setup", "cleanup", "time", "type", "switch", "block", "branch", "bundle",
];

/// A run verb followed by one of these is one action ("Run pytest and output a summary").
const RUN_VERBS: &[&str] = &["run", "execute", "test", "check", "measure", "rerun"];
const REPORT_VERBS: &[&str] = &["report", "output", "print", "log", "summarize", "summarise", "record", "show"];

/// Words after which a verb is being used on something.
const OBJECT_STARTERS: &[&str] = &[
    "the", "a", "an", "all", "each", "every", "any", "some", "its", "their", "our", "your", "this", "that", "these",
    "those", "it", "them", "new", "existing", "missing", "both", "one", "two", "three", "more", "to", "for", "in",
    "on", "into", "from", "with", "via", "at", "by", "up", "down", "out", "off", "over", "across", "through",
    "against", "as", "per", "after", "before", "between", "under", "within", "without", "only",
];

/// Words that open a clause describing the one output (relative or subordinate).
const RELATIVE_MARKERS: &[&str] = &["that", "which", "who", "whose", "where", "when", "while", "until", "unless", "if", "so"];

const ABBREVIATIONS: &[&str] = &["e.g", "i.e", "etc", "vs", "cf", "approx", "incl"];

fn lexicon() -> &'static HashSet<&'static str> {
    static LEXICON: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LEXICON.get_or_init(|| VERBS.split_whitespace().collect())
}

/// Whether a lowercase word is in the lexicon.
pub fn is_action_verb(word: &str) -> bool {
    lexicon().contains(word)
}

/// Whether the title's first word is an action verb (case-insensitive).
pub fn starts_with_action_verb(title: &str) -> bool {
    let word: String = title
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '-')
        .flat_map(char::to_lowercase)
        .collect();
    is_action_verb(&word)
}

#[derive(Clone, Debug)]
struct Token {
    /// Lowercase text of a word; the joint or punctuation itself otherwise.
    text: String,
    start: usize,
    end: usize,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word,
    /// Text in parentheses, quotes or a code span: one opaque thing.
    Masked,
    Comma,
    /// `;`, `&`, `+`
    Symbol,
    SentenceEnd,
}

fn tokenize(title: &str) -> Vec<Token> {
    let b = title.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let close = match c {
            b'(' => Some(b')'),
            b'[' => Some(b']'),
            b'"' => Some(b'"'),
            b'`' => Some(b'`'),
            _ => None,
        };
        if let Some(close) = close {
            let end = closing(b, i, c, close);
            tokens.push(Token { text: String::new(), start: i, end, kind: Kind::Masked });
            i = end;
            continue;
        }
        if c.is_ascii_alphanumeric() || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] >= 0x80 || matches!(b[i], b'_' | b'/' | b'-' | b'\'' | b'.' | b':'))
            {
                // A dot ends the word unless more of the word follows (file.py, v1.2).
                if matches!(b[i], b'.' | b':') && !b.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric()) {
                    break;
                }
                i += 1;
            }
            let text = title[start..i].to_lowercase();
            tokens.push(Token { text, start, end: i, kind: Kind::Word });
            continue;
        }
        match c {
            b',' => tokens.push(Token { text: ",".into(), start: i, end: i + 1, kind: Kind::Comma }),
            b';' | b'&' | b'+' => tokens.push(Token { text: (c as char).to_string(), start: i, end: i + 1, kind: Kind::Symbol }),
            b'.' | b'!' | b'?' => {
                let previous = tokens.last().filter(|t| t.kind == Kind::Word && t.end == i).map(|t| t.text.as_str());
                let abbreviation = previous.is_some_and(|p| ABBREVIATIONS.contains(&p));
                let next_capital = b.get(i + 1) == Some(&b' ') && title[i + 1..].trim_start().starts_with(|c: char| c.is_uppercase());
                if !abbreviation && next_capital {
                    tokens.push(Token { text: ".".into(), start: i, end: i + 1, kind: Kind::SentenceEnd });
                }
            }
            _ => {}
        }
        i += 1;
    }
    tokens
}

/// The end (exclusive) of a bracketed, quoted or code region starting at `open`.
fn closing(b: &[u8], open: usize, open_char: u8, close: u8) -> usize {
    let mut depth = 0;
    for (i, &c) in b.iter().enumerate().skip(open) {
        if c == close && (open_char == close && i > open || open_char != close && depth == 1) {
            return i + 1;
        }
        if c == open_char && open_char != close {
            depth += 1;
        } else if c == close {
            depth -= 1;
        }
    }
    b.len()
}

/// A base-form verb acting as one at token `i`: in the lexicon, and, when it is often a
/// noun, followed by something it acts on.
fn acts_as_verb(tokens: &[Token], i: usize) -> bool {
    let Some(t) = tokens.get(i) else { return false };
    if t.kind != Kind::Word || !is_action_verb(&t.text) {
        return false;
    }
    if !NOUN_LIKE.contains(&t.text.as_str()) {
        return true;
    }
    match tokens.get(i + 1) {
        None => true,
        Some(next) => match next.kind {
            Kind::Word => {
                OBJECT_STARTERS.contains(&next.text.as_str())
                    || next.text.contains(['.', '_', '/'])
                    || next.text.starts_with(|c: char| c.is_ascii_digit())
            }
            Kind::Masked => true,
            _ => true,
        },
    }
}

/// The joint starting at token `i` and how many tokens it takes.
fn joint_at(tokens: &[Token], i: usize) -> Option<usize> {
    let word = |k: usize| tokens.get(k).filter(|t| t.kind == Kind::Word).map(|t| t.text.as_str());
    let t = &tokens[i];
    if t.kind == Kind::Symbol {
        return Some(1);
    }
    if t.kind == Kind::Comma && word(i + 1) == Some("then") {
        return Some(2);
    }
    match word(i)? {
        "and" if word(i + 1) == Some("then") => Some(2),
        "and" | "then" | "plus" => Some(1),
        "as" if word(i + 1) == Some("well") && word(i + 2) == Some("as") => Some(3),
        _ => None,
    }
}

/// The imperative actions a title joins, in order, as written (trimmed, without joints).
/// One element (or none for an empty title) means the title is atomic.
pub fn actions(title: &str) -> Vec<String> {
    let tokens = tokenize(title);
    let mut result = Vec::new();
    for sentence in tokens.split(|t| t.kind == Kind::SentenceEnd) {
        if sentence.is_empty() {
            continue;
        }
        let imperative = acts_as_verb(sentence, 0) || (sentence[0].kind == Kind::Word && is_action_verb(&sentence[0].text));
        if !imperative {
            if result.is_empty() {
                result.push(text_of(title, sentence));
            }
            continue;
        }
        result.extend(sentence_actions(title, sentence));
    }
    if result.iter().all(|a| a.is_empty()) {
        return Vec::new();
    }
    result.retain(|a| !a.is_empty());
    result
}

fn text_of(title: &str, tokens: &[Token]) -> String {
    match (tokens.first(), tokens.last()) {
        (Some(a), Some(b)) => title[a.start..b.end].trim().to_string(),
        _ => String::new(),
    }
}

/// Splits an imperative sentence at the joints that separate actions.
fn sentence_actions(title: &str, tokens: &[Token]) -> Vec<String> {
    // (start of clause, index of its verb)
    let mut clause_starts: Vec<(usize, usize)> = vec![(0, 0)];
    let mut cuts: Vec<(usize, usize)> = Vec::new(); // (joint start, next clause start)
    let mut in_subordinate = false;
    let mut i = 1;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.kind == Kind::Word {
            let next = tokens.get(i + 1).filter(|n| n.kind == Kind::Word);
            // "to build …" (infinitive) and "by calling …" describe the one output.
            let infinitive = t.text == "to" && next.is_some_and(|n| is_action_verb(&n.text));
            let means = matches!(t.text.as_str(), "by" | "for") && next.is_some_and(|n| n.text.ends_with("ing"));
            if RELATIVE_MARKERS.contains(&t.text.as_str()) || infinitive || means {
                in_subordinate = true;
            }
        }
        if let Some(len) = joint_at(tokens, i) {
            let next = i + len;
            let clause_verb = &tokens[clause_starts.last().expect("a clause").1].text;
            let run_and_report = RUN_VERBS.contains(&clause_verb.as_str())
                && tokens.get(next).is_some_and(|n| REPORT_VERBS.contains(&n.text.as_str()));
            if !in_subordinate && !run_and_report && acts_as_verb(tokens, next) {
                cuts.push((i, next));
                clause_starts.push((next, next));
                i = next + 1;
                continue;
            }
        }
        i += 1;
    }
    if cuts.is_empty() {
        return vec![text_of(title, tokens)];
    }
    // In a series "A, B, and C", the commas before verbs separate actions too.
    let first_cut = cuts[0].0;
    let mut series: Vec<(usize, usize)> = Vec::new();
    let mut subordinate = false;
    for k in 1..first_cut {
        let t = &tokens[k];
        if t.kind == Kind::Word && (RELATIVE_MARKERS.contains(&t.text.as_str()) || t.text == "to") {
            subordinate = true;
        }
        if !subordinate && t.kind == Kind::Comma && acts_as_verb(tokens, k + 1) {
            series.push((k, k + 1));
        }
    }
    let mut all_cuts = series;
    all_cuts.extend(cuts);
    let mut pieces: Vec<(usize, usize)> = Vec::new(); // token ranges
    let mut start = 0;
    for &(joint, next) in &all_cuts {
        let mut end = joint;
        // Drop a comma before the joint ("…, and add tests").
        while end > start && tokens[end - 1].kind == Kind::Comma {
            end -= 1;
        }
        pieces.push((start, end));
        start = next;
    }
    pieces.push((start, tokens.len()));
    let texts: Vec<String> = pieces
        .iter()
        .map(|&(a, b)| if a < b { text_of(title, &tokens[a..b]) } else { String::new() })
        .collect();
    // "Build and push the API image": a lone verb shares the next clause's object.
    let mut out = Vec::with_capacity(texts.len());
    for (k, &(a, b)) in pieces.iter().enumerate() {
        if b - a == 1 && k + 1 < pieces.len() {
            let (na, nb) = pieces[k + 1];
            if nb > na + 1 {
                out.push(format!("{} {}", texts[k], text_of(title, &tokens[na + 1..nb])));
                continue;
            }
        }
        out.push(texts[k].clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(title: &str) -> usize {
        actions(title).len()
    }

    #[test]
    fn seed_examples_are_atomic() {
        for title in [
            "Create UserRepository class in app/database/repositories/user_repository.py with seed data support",
            "Replace test auth flow with JWT implementation in app/core/auth_service.py",
            "Add integration test for user registration workflow",
            "Run pytest and output summary of failing tests",
            "Generate issue_resolving.md by calling error_solving MCP and logging prompt",
            "Configure Python development environment (pytest, ruff, mypy)",
        ] {
            assert_eq!(actions(title), [title], "{title}");
        }
    }

    #[test]
    fn joined_actions() {
        assert_eq!(
            actions("Implement the login endpoint and add tests for it"),
            ["Implement the login endpoint", "add tests for it"]
        );
        assert_eq!(actions("Build and push the API image"), ["Build the API image", "push the API image"]);
        for title in [
            "Create the schema; seed the database",
            "Write the migration, then run it",
            "Add the route and then document it",
            "Configure nginx as well as deploy the certificates",
            "Install Redis plus configure eviction",
            "Install Redis & configure eviction",
            "Install Redis + configure eviction",
            "Create the table. Add an index on email.",
            "Test the endpoint and fix failures",
            "Create release v1.2. Tag it.",
        ] {
            assert_eq!(count(title), 2, "{title}: {:?}", actions(title));
        }
        assert_eq!(
            actions("Design the schema, write the models, and add tests"),
            ["Design the schema", "write the models", "add tests"]
        );
    }

    #[test]
    fn one_action() {
        for title in [
            "Add a job that fetches rates and stores them in Redis",
            "Write a script to build and push images",
            "Run cargo test and report failures",
            "Execute the load test and summarize latency",
            "Measure p95 and record it",
            "Check links and print broken ones",
            "Add unit tests and integration tests for auth",
            "Create tables for users and orders",
            "Add logging and error handling middleware",
            "Configure logging and error-handling middleware",
            "Add seed data and test fixtures",
            "Document Task 1.2 implementation in task_outcomes.md",
            "Update v1.2.3 release notes. See docs.",
            "Use e.g. Postgres or MySQL",
            "Compare Redis vs. Memcached",
            "Set up CI (build and test) for the repo",
            "Add the \"build and deploy\" button",
            "Add `make build && make test` to the Makefile",
            "Deploy to staging or production",
            "Implement login, logout, registration",
            "Bump to version 1.2.3 in Cargo.toml",
            "Optimize DB queries, caching, and connection pooling",
            "Add health-check and version endpoints",
            "Configure logging and error-handling middleware",
            "Implement security scanning and compliance checks",
        ] {
            assert_eq!(count(title), 1, "{title}: {:?}", actions(title));
        }
        assert!(actions("").is_empty());
    }

    #[test]
    fn action_verbs() {
        for title in ["Implement X", "Set up CI", "validate core functionality of Task 1.2", "Scaffold the app"] {
            assert!(starts_with_action_verb(title), "{title}");
        }
        for title in ["", "Backend Foundation", "Login endpoint", "The API", "TODO"] {
            assert!(!starts_with_action_verb(title), "{title}");
        }
        assert!(lexicon().len() > 400);
    }
}
