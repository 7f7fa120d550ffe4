//! Does a task title name one action ("atomic"), and does it open with an action verb?
//!
//! The checks are text heuristics: no parser, no regex, no lowercase copies (lookups fold
//! ASCII case on the fly). A title that cannot hold a joint, which is most of them, takes
//! a fast path that allocates only the returned text.
//!
//! How [`actions`] splits a title:
//!
//! 1. **Masking.** Bracketed groups (`(…)`, `[…]`, `{…}`), quotations (`"…"`, `“…”`,
//!    `'…'`, `‘…’`) and code spans become opaque tokens: nothing inside them is a verb
//!    or a joint. An unclosed group runs to the end of the title.
//! 2. **Imperative titles only.** A title whose first word is not a lexicon verb holds
//!    at most one imperative clause, so it is never split.
//! 3. **Joints.** `and`, `and then`, `then`, `as well as`, `plus`, `&`, `+` (light) and
//!    `;` or a sentence end (strong) split the title only where the word after them
//!    (after `then`, `also`, `finally`, …) opens an action (`Title::opens_action`).
//!    A sentence ends at a dot followed by a space and a capital, never after `e.g.`,
//!    `i.e.`, `etc.`, `vs.`; dots inside words (`Cargo.toml`, `v1.2.3`) end nothing.
//! 4. **Nouns that look like verbs.** After a joint, a lexicon word is a verb when an
//!    object marker follows it (a determiner, pronoun, preposition, name, number, code
//!    span or quotation). A plain word after it is an object only if the verb is rarely a
//!    noun (`fix failures`, but not `test fixtures`, `log rotation`, `release notes`) and
//!    the word before the joint is no verb-like modifier (`read and write endpoints`).
//!    After `then`, or when the clause so far is a bare verb (`Build and …`), any lexicon
//!    word counts.
//! 5. **Lists.** A comma is no joint, but once a joint confirms a series
//!    (`A, B, and C`), the comma-separated items that open an action split too.
//! 6. **Subordinate clauses.** After a relative pronoun (`that` after a noun, `which`,
//!    `who`, `where`, …), a that-clause (`Verify that …`), a conjunction (`if`, `when`,
//!    `so`, …), an infinitive (`to` + verb), or inside a sentence that does not open with
//!    a verb, light joints split nothing until the next `;`, sentence or `, then`: those
//!    verbs describe the output. A `by …ing` phrase needs no rule: `-ing` forms are not in
//!    the lexicon.
//! 7. **Run and report.** `Run|Execute|Test|Check|Measure|… X and report|print|log|… Y`
//!    is one action.
//! 8. **Shared object.** A clause that is a bare verb borrows the object of the next
//!    clause: `Build and push the API image` gives "Build the API image" and
//!    "push the API image". The borrowed object stops before a preposition.
//!
//! Where the heuristics are unsure they keep the title whole: a missed non-atomic task
//! costs less than a false warning on a good title.

use std::cmp::Ordering;
use std::sync::OnceLock;

/// The imperative actions a title joins, in order, each as the clause text written in the
/// title (trimmed, without the joint word, original case). One element (or zero for an empty
/// title) means the title is atomic; two or more means it is non-atomic.
///
/// A clause loses trailing `,`, `;`, `:`, `!`, `?` and a sentence-ending dot (not the dot
/// of `etc.`). Verbs sharing one object each get that object appended, so their text is
/// not a verbatim slice: `Build and push the API image` gives `["Build the API image",
/// "push the API image"]`.
pub fn actions(title: &str) -> Vec<String> {
    let title = title.trim();
    if title.is_empty() {
        return Vec::new();
    }
    if !starts_with_action_verb(title) || !may_hold_joint(title) {
        return whole_title(title);
    }
    let title = Title::new(title);
    let clauses = title.clauses();
    if clauses.len() < 2 {
        return whole_title(title.text);
    }
    title.clause_texts(&clauses)
}

/// Whether the title's first word (after leading emphasis/punctuation like `**`, `_`, backticks are NOT skipped) is an action verb of the lexicon (case-insensitive; inflections such as "Adds"/"Added" need not count).
pub fn starts_with_action_verb(title: &str) -> bool {
    let rest = title.trim_start_matches(|c: char| c.is_whitespace() || LEADING_MARKUP.contains(&c));
    let word_end = rest
        .find(|c: char| c.is_whitespace() || WORD_DELIMITERS.contains(&c))
        .unwrap_or(rest.len());
    let word = rest[..word_end].trim_end_matches(|c: char| !c.is_alphanumeric());
    is_action_verb(word)
}

/// Whether a lowercase word is in the lexicon.
///
/// ASCII case is folded, so `"Deploy"` counts too; the word is not trimmed or stemmed.
pub fn is_action_verb(word: &str) -> bool {
    contains_folded(lexicon(), word)
}

/// The lexicon of base-form verbs, one per line; `#` starts a comment line.
const LEXICON_SOURCE: &str = include_str!("verbs.txt");

fn lexicon() -> &'static [&'static str] {
    static LEXICON: OnceLock<Vec<&'static str>> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut verbs: Vec<&'static str> = LEXICON_SOURCE
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        // Sorted here, not trusted from the file, so binary search stays correct
        // whoever edits the list.
        verbs.sort_unstable();
        verbs.dedup();
        verbs
    })
}

/// Binary search of a sorted lowercase list, folding the ASCII case of `word` on the fly
/// so that no lowercase copy is ever allocated.
fn contains_folded(sorted_lowercase: &[&str], word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    sorted_lowercase
        .binary_search_by(|entry| compare_folded(entry, word))
        .is_ok()
}

fn compare_folded(lowercase: &str, word: &str) -> Ordering {
    lowercase
        .bytes()
        .cmp(word.bytes().map(|byte| byte.to_ascii_lowercase()))
}

// ---------------------------------------------------------------------------------------
// Word lists. Every list searched by `contains_folded` must stay sorted (a test checks).
// ---------------------------------------------------------------------------------------

/// Characters skipped before the first word by [`starts_with_action_verb`]: emphasis and
/// list markup. Backticks, quotes and brackets are not skipped: a title that opens with
/// code or a quotation does not open with a verb.
const LEADING_MARKUP: &[char] = &['*', '_', '~', '#', '>', '-', '+', '.', ':', '!', '|', '='];

/// Characters that end a word for [`starts_with_action_verb`] (`Implement:`, `Add(…)`).
const WORD_DELIMITERS: &[char] = &[',', ';', ':', '(', '[', '{', '"', '`', '“'];

/// Lexicon verbs that are just as often nouns or noun modifiers in task titles
/// (`test fixtures`, `log rotation`, `release notes`, `read and write endpoints`). After a
/// joint they count as verbs only when an object marker follows them.
#[rustfmt::skip]
const AMBIGUOUS_VERBS: &[&str] = &[
    "access", "alert", "archive", "audit", "back", "backup", "batch", "benchmark", "block",
    "branch", "break", "bridge", "broadcast", "bucket", "buffer", "build", "bundle", "cache",
    "call", "cap", "change", "chart", "check", "checkout", "chunk", "clean", "cleanup", "clear",
    "close", "cluster", "comment", "commit", "complete", "copy", "count", "cover", "crawl",
    "create", "cut", "debug", "delete", "demo", "deploy", "design", "diff", "display", "document",
    "download", "draft", "drain", "drop", "dump", "edit", "export", "fetch", "filter", "flag",
    "fork", "format", "forward", "gate", "get", "group", "guard", "hash", "hook", "host", "import",
    "index", "insert", "install", "label", "launch", "limit", "link", "lint", "list", "load", "lock", "log",
    "lower", "map", "mark", "mask", "merge", "mirror", "mock", "model", "monitor", "mount", "name",
    "open", "output", "package", "patch", "pin", "ping", "pipe", "plan", "plot", "poll", "port",
    "post", "present", "preview", "print", "process", "profile", "prompt", "proxy", "pull", "push",
    "put", "query", "queue", "rank", "read", "record", "refresh", "release", "reload", "render", "replay",
    "report", "request", "reset", "restart", "restore", "retry", "return", "review", "roll",
    "rollback", "round", "route", "run", "sample", "save", "scale", "scan", "schedule", "scope",
    "score", "script", "search", "secure", "seed", "segment", "select", "sequence", "set", "setup",
    "shard", "share", "ship", "show", "sign", "size", "sketch", "slice", "snapshot", "sort",
    "spike", "split", "stage", "start", "stash", "stop", "store", "stream", "stress", "structure",
    "stub", "style", "support", "swap", "switch", "sync", "tag", "tail", "target", "template",
    "test", "theme", "time", "timestamp", "toggle", "trace", "track", "train", "transfer",
    "transition", "trigger", "try", "turn", "update", "upgrade", "upload", "use", "version", "view",
    "wait", "warm", "watch", "wire", "wrap", "zip",
];

/// Verbs that name an access mode and so often modify a noun in pairs (`read and write
/// endpoints`, `the create and update forms`): after one of them, `and V noun` is no action.
#[rustfmt::skip]
const ACCESS_MODES: &[&str] = &[
    "create", "delete", "download", "export", "get", "import", "insert", "list", "patch", "post",
    "put", "read", "update", "upload", "upsert", "write",
];

/// Words that show the word before them is a verb taking an object: determiners,
/// pronouns and adjectives that rarely follow a noun modifier (`test the endpoint`,
/// `log it`, `clean up stale branches`).
#[rustfmt::skip]
const OBJECT_MARKERS: &[&str] = &[
    "a", "all", "an", "another", "any", "both", "broken", "each", "either", "every", "everything",
    "existing", "failing", "her", "his", "how", "it", "its", "missing", "my", "new", "no", "old",
    "our", "remaining", "some", "stale", "that", "the", "their", "them", "these", "this", "those",
    "unused", "what", "whether", "which", "your",
];

/// Prepositions that follow a verb far more often than a noun modifier (`deploy to
/// staging`, `index on email`). `for` and `of` are left out: `test for login`, `export of
/// CSV` read as nouns.
const VERB_PREPOSITIONS: &[&str] = &[
    "across", "against", "as", "at", "away", "back", "by", "down", "from", "in", "into", "off",
    "on", "onto", "out", "over", "through", "to", "under", "up", "via", "with", "within",
    "without",
];

/// Particles of phrasal verbs (`set up`, `clean up`, `log in`, `roll back`). `on`, `over`
/// and `away` are left out: after a verb they are more often prepositions (`index on
/// email`, `alert on backlog`).
const PARTICLES: &[&str] = &["back", "down", "in", "off", "out", "up"];

/// All prepositions: after one, `that` is a determiner (`tests for that module`).
const PREPOSITIONS: &[&str] = &[
    "about", "above", "across", "after", "against", "along", "among", "around", "as", "at",
    "before", "behind", "below", "beside", "between", "beyond", "by", "down", "during", "for",
    "from", "in", "inside", "into", "near", "of", "off", "on", "onto", "out", "outside", "over",
    "per", "since", "through", "to", "toward", "towards", "under", "until", "up", "upon", "via",
    "with", "within", "without",
];

/// Words that open a relative or adverbial clause; its verbs describe the output.
/// `that` is handled apart because it is also a determiner.
const SUBORDINATORS: &[&str] = &[
    "because", "if", "so", "unless", "until", "when", "whenever", "where", "whereby", "wherein",
    "whether", "which", "while", "whilst", "who", "whom", "whose",
];

/// Verbs after which `that` opens a clause (`Verify that migrations apply`), not a
/// determiner (`Refactor that module`).
const THAT_CLAUSE_VERBS: &[&str] = &[
    "assert",
    "check",
    "confirm",
    "demonstrate",
    "document",
    "ensure",
    "guarantee",
    "prove",
    "show",
    "test",
    "validate",
    "verify",
];

/// Adverbs skipped between a joint and its verb (`and then add`, `; also add`).
#[rustfmt::skip]
const JOINT_ADVERBS: &[&str] = &[
    "afterwards", "also", "finally", "later", "next", "optionally", "subsequently", "then",
];

/// Words after which a would-be verb has no object: the clause ends there.
const CLAUSE_ENDING_WORDS: &[&str] = &["and", "but", "nor", "or", "plus", "then"];

/// Verbs that run something; followed by a [`REPORTING_VERBS`] clause they make one action.
#[rustfmt::skip]
const RUNNING_VERBS: &[&str] = &[
    "audit", "benchmark", "check", "evaluate", "execute", "lint", "measure", "profile", "re-run",
    "rerun", "run", "scan", "test", "validate", "verify",
];

/// Verbs that report the result of a run (`and report failures`).
#[rustfmt::skip]
const REPORTING_VERBS: &[&str] = &[
    "display", "dump", "emit", "list", "log", "output", "print", "record", "report", "show",
    "summarise", "summarize",
];

/// Abbreviations whose dot ends no sentence (`Use e.g. Postgres`).
const ABBREVIATIONS: &[&str] = &[
    "al.", "approx.", "ca.", "cf.", "e.g.", "eg.", "esp.", "etc.", "i.e.", "ie.", "incl.", "misc.",
    "no.", "resp.", "viz.", "vs.",
];

// ---------------------------------------------------------------------------------------
// Fast paths and clause text
// ---------------------------------------------------------------------------------------

/// Cheap pre-check: can the title hold any joint at all? Most titles cannot, and skip
/// tokenisation.
fn may_hold_joint(title: &str) -> bool {
    let bytes = title.as_bytes();
    let symbol_joint = bytes.iter().any(|byte| matches!(byte, b';' | b'&' | b'+'));
    let sentence_end = bytes
        .windows(2)
        .any(|pair| pair[0] == b'.' && pair[1].is_ascii_whitespace());
    symbol_joint
        || sentence_end
        || title.split(|c: char| !c.is_ascii_alphabetic()).any(|word| {
            ["and", "then", "plus", "well"]
                .iter()
                .any(|joint| word.eq_ignore_ascii_case(joint))
        })
}

/// The one action of an atomic title.
fn whole_title(title: &str) -> Vec<String> {
    let text = trim_clause(title);
    if text.is_empty() {
        Vec::new()
    } else {
        vec![text.to_owned()]
    }
}

/// Trims whitespace, trailing separators and a sentence-ending dot (but not the dot of a
/// trailing abbreviation such as `etc.`).
fn trim_clause(text: &str) -> &str {
    let mut text = text.trim();
    loop {
        let before = text.len();
        text = text.trim_end_matches([',', ';', ':', '!', '?']).trim_end();
        if let Some(without_dot) = text.strip_suffix('.') {
            if !ends_with_abbreviation(text) {
                text = without_dot.trim_end();
            }
        }
        if text.len() == before {
            return text;
        }
    }
}

fn ends_with_abbreviation(text: &str) -> bool {
    let last_word = text.rsplit(char::is_whitespace).next().unwrap_or(text);
    let last_word = last_word.trim_start_matches(|c: char| !c.is_alphanumeric());
    contains_folded(ABBREVIATIONS, last_word)
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word,
    /// A code span: opaque, and an object when it follows a verb (`add `foo``).
    Code,
    /// A quotation: opaque, and an object when it follows a verb (`log "done"`).
    Quote,
    /// A parenthesised or bracketed group: opaque.
    Bracket,
    Comma,
    Semicolon,
    /// Dots cut off a word's end (`v1.2.` becomes `v1.2` and a dot).
    Dot,
    /// `&`, `&&` or `+` standing alone: a light joint.
    SymbolJoint,
    /// Any other punctuation (`:`, `!`, `?`, a lone `-`).
    Punct,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    /// Byte range in the title.
    start: usize,
    end: usize,
}

/// Byte sequences of the curly quotes.
const LEFT_DOUBLE: &[u8] = "“".as_bytes();
const RIGHT_DOUBLE: &[u8] = "”".as_bytes();
const LEFT_SINGLE: &[u8] = "‘".as_bytes();
const RIGHT_SINGLE: &[u8] = "’".as_bytes();

fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(bytes.len() / 4 + 1);
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let rest = &bytes[at..];
        let (kind, end) = match byte {
            _ if byte.is_ascii_whitespace() => {
                at += 1;
                continue;
            }
            b'(' | b'[' | b'{' => (Kind::Bracket, bracket_end(bytes, at)),
            b'`' => (Kind::Code, code_span_end(bytes, at)),
            b'"' => (Kind::Quote, find_after(bytes, at + 1, b"\"")),
            b',' => (Kind::Comma, at + 1),
            b';' => (Kind::Semicolon, at + 1),
            _ if rest.starts_with(LEFT_DOUBLE) => (
                Kind::Quote,
                find_after(bytes, at + LEFT_DOUBLE.len(), RIGHT_DOUBLE),
            ),
            _ => match single_quote_end(bytes, at) {
                Some(end) => (Kind::Quote, end),
                None => {
                    push_word(text, at, word_end(bytes, at), &mut tokens);
                    at = tokens.last().map_or(at + 1, |token| token.end);
                    continue;
                }
            },
        };
        tokens.push(Token {
            kind,
            start: at,
            end,
        });
        at = end;
    }
    tokens
}

/// End of a bracketed group, nesting any of `()[]{}`; the title's end if unclosed.
fn bracket_end(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (offset, byte) in bytes[open..].iter().enumerate() {
        match byte {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return open + offset + 1;
                }
            }
            _ => {}
        }
    }
    bytes.len()
}

/// End of a code span opened by a run of N backticks: the next run of exactly N.
fn code_span_end(bytes: &[u8], open: usize) -> usize {
    let run = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|&&byte| byte == b'`')
            .count()
    };
    let opening = run(open);
    let mut at = open + opening;
    while at < bytes.len() {
        if bytes[at] == b'`' {
            let closing = run(at);
            if closing == opening {
                return at + closing;
            }
            at += closing;
        } else {
            at += 1;
        }
    }
    bytes.len()
}

/// Index just past the first `needle` at or after `from`; the title's end if none.
fn find_after(bytes: &[u8], from: usize, needle: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| {
            rest.windows(needle.len())
                .position(|window| window == needle)
        })
        .map_or(bytes.len(), |offset| from + offset + needle.len())
}

/// A single-quoted span (`'build and deploy'`, `‘…’`) opening at a word start, if it
/// closes: the closing quote must not be followed by a letter or digit, so that
/// apostrophes (`user's`) close nothing.
fn single_quote_end(bytes: &[u8], open: usize) -> Option<usize> {
    let (open_len, close) = if bytes[open] == b'\'' {
        (1, b"'".as_slice())
    } else if bytes[open..].starts_with(LEFT_SINGLE) {
        (LEFT_SINGLE.len(), RIGHT_SINGLE)
    } else {
        return None;
    };
    let mut at = open + open_len + 1;
    while at + close.len() <= bytes.len() {
        if bytes[at..].starts_with(close) {
            let after = at + close.len();
            let closes_word = bytes
                .get(after)
                .is_none_or(|byte| !byte.is_ascii_alphanumeric());
            if closes_word && !bytes[at - 1].is_ascii_whitespace() {
                return Some(after);
            }
        }
        at += 1;
    }
    None
}

/// End of the word starting at `start`: the next whitespace, separator or group opener.
fn word_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    while at < bytes.len() {
        let byte = bytes[at];
        let delimits = byte.is_ascii_whitespace()
            || matches!(byte, b',' | b';' | b'(' | b'[' | b'{' | b'"' | b'`')
            || bytes[at..].starts_with(LEFT_DOUBLE);
        if delimits && at > start {
            break;
        }
        at += 1;
    }
    at
}

/// Pushes the word `start..end`, splitting trailing `.:!?` off as punctuation unless the
/// word is an abbreviation (`etc.`). Dots inside a word (`Cargo.toml`, `v1.2.3`) stay in it.
fn push_word(text: &str, start: usize, end: usize, tokens: &mut Vec<Token>) {
    let bytes = text.as_bytes();
    let word = &text[start..end];
    if matches!(word, "&" | "&&" | "+") {
        tokens.push(Token {
            kind: Kind::SymbolJoint,
            start,
            end,
        });
        return;
    }
    let mut core_end = end;
    while core_end > start && matches!(bytes[core_end - 1], b'.' | b':' | b'!' | b'?') {
        core_end -= 1;
    }
    if core_end == end || contains_folded(ABBREVIATIONS, word) {
        tokens.push(Token {
            kind: Kind::Word,
            start,
            end,
        });
        return;
    }
    if core_end > start {
        tokens.push(Token {
            kind: Kind::Word,
            start,
            end: core_end,
        });
    }
    let kind = if bytes[core_end] == b'.' {
        Kind::Dot
    } else {
        Kind::Punct
    };
    tokens.push(Token {
        kind,
        start: core_end,
        end,
    });
}

// ---------------------------------------------------------------------------------------
// Clauses
// ---------------------------------------------------------------------------------------

/// How a clause is joined to the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Joint {
    /// The first clause.
    First,
    /// `and`, `then`, `plus`, `&`, a confirmed list comma, ….
    Light,
    /// `;` or a sentence end.
    Strong,
}

/// A point where a new action starts.
#[derive(Clone, Copy, Debug)]
struct Split {
    /// First token of the joint; the previous clause ends before it.
    joint: usize,
    /// Token of the new clause's verb.
    verb: usize,
    strength: Joint,
}

/// One action: tokens `verb..end`.
#[derive(Clone, Copy, Debug)]
struct Clause {
    verb: usize,
    end: usize,
    joint: Joint,
}

/// What follows a would-be verb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Follower {
    /// An object marker: a determiner, pronoun, preposition, name, number, code or quote.
    Object,
    /// A plain lowercase word: an object or the head of a compound noun.
    Plain,
    /// `of`: the would-be verb is a noun (`export of CSV`).
    NounMarker,
    /// Nothing: the clause ends (end of title, punctuation, another joint).
    Nothing,
}

/// What the position of a would-be verb says about it.
#[derive(Clone, Copy, Debug, Default)]
struct Context {
    /// The clause so far is a bare verb series (`Build, tag and …`): the next verb
    /// carries the shared object, so any lexicon word is a verb.
    in_series: bool,
    /// A verb-like modifier precedes the joint (`read and …`): see
    /// [`Title::modifier_before`].
    after_modifier: bool,
    /// `then` sits between the joint and the word (`, then run …`): a sequence adverb
    /// announces a new step, so any lexicon word is a verb.
    after_then: bool,
}

struct Title<'a> {
    text: &'a str,
    tokens: Vec<Token>,
}

impl<'a> Title<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            tokens: tokenize(text),
        }
    }

    /// The word at `index` without surrounding punctuation (`**Validate**` gives
    /// `Validate`); empty for anything that is not a word.
    fn key(&self, index: usize) -> &'a str {
        match self.tokens.get(index) {
            Some(token) if token.kind == Kind::Word => {
                self.text[token.start..token.end].trim_matches(|c: char| !c.is_alphanumeric())
            }
            _ => "",
        }
    }

    fn kind(&self, index: usize) -> Option<Kind> {
        self.tokens.get(index).map(|token| token.kind)
    }

    fn is_word(&self, index: usize, word: &str) -> bool {
        self.key(index).eq_ignore_ascii_case(word)
    }

    fn is_in(&self, index: usize, list: &[&str]) -> bool {
        contains_folded(list, self.key(index))
    }

    fn is_verb(&self, index: usize) -> bool {
        is_action_verb(self.key(index))
    }

    /// Length in tokens of a word joint starting at `index` (`and`, `then`, `plus`,
    /// `as well as`), if there is one.
    fn word_joint_len(&self, index: usize) -> Option<usize> {
        if self.is_word(index, "and") || self.is_word(index, "plus") || self.is_word(index, "then")
        {
            Some(1)
        } else if self.is_word(index, "as")
            && self.is_word(index + 1, "well")
            && self.is_word(index + 2, "as")
        {
            Some(3)
        } else {
            None
        }
    }

    fn skip_adverbs(&self, mut index: usize) -> usize {
        while self.is_in(index, JOINT_ADVERBS) {
            index += 1;
        }
        index
    }

    fn skip_particles(&self, mut index: usize) -> usize {
        while self.is_in(index, PARTICLES) {
            index += 1;
        }
        index
    }

    /// Whether the dot at `index` ends a sentence: a space and a capitalised word follow.
    /// Abbreviations never produce a dot token, so `e.g. Postgres` ends nothing.
    fn ends_sentence(&self, index: usize) -> bool {
        let Some(dot) = self.tokens.get(index) else {
            return false;
        };
        let spaced = self
            .text
            .as_bytes()
            .get(dot.end)
            .is_some_and(u8::is_ascii_whitespace);
        let capitalised = match self.tokens.get(index + 1) {
            Some(next) if next.kind == Kind::Word => self.text[next.start..]
                .chars()
                .next()
                .is_some_and(char::is_uppercase),
            _ => false,
        };
        dot.kind == Kind::Dot && spaced && capitalised
    }

    /// Whether tokens `from..to` are nothing but verbs with their particles, separated by
    /// commas (`Build`, `Set up`, `Build, tag,`): a clause still waiting for its object.
    fn is_verb_series(&self, from: usize, to: usize) -> bool {
        if from >= to {
            return false;
        }
        let mut expect_verb = true;
        for index in from..to {
            if expect_verb {
                if !self.is_verb(index) {
                    return false;
                }
                expect_verb = false;
            } else if self.kind(index) == Some(Kind::Comma) {
                expect_verb = true;
            } else if !self.is_in(index, PARTICLES) {
                return false;
            }
        }
        true
    }

    /// Whether the word just before the joint at `joint` (skipping a comma) is a verb-like
    /// modifier, so that `X and V noun` most likely coordinates modifiers of one noun rather
    /// than two actions: an access mode anywhere (`Add the read and write endpoints`), or
    /// a lexicon word right after the clause's verb or a comma (`Implement parse,
    /// validate and transform steps`). A lexicon word deeper in the object is a noun head
    /// (`Fix the user's profile and add tests`).
    fn modifier_before(&self, joint: usize, clause_verb: usize) -> bool {
        let mut before = joint.saturating_sub(1);
        if self.kind(before) == Some(Kind::Comma) {
            before = before.saturating_sub(1);
        }
        if before <= clause_verb || !self.is_verb(before) {
            return false;
        }
        let previous = before - 1;
        self.is_in(before, ACCESS_MODES)
            || previous == clause_verb
            || self.kind(previous) == Some(Kind::Comma)
            || self.is_verb_series(clause_verb, before)
    }

    fn follower(&self, verb: usize) -> Follower {
        let next = self.skip_particles(verb + 1);
        let Some(token) = self.tokens.get(next) else {
            return Follower::Nothing;
        };
        match token.kind {
            Kind::Code | Kind::Quote => Follower::Object,
            Kind::Bracket => Follower::Plain,
            Kind::Comma | Kind::Semicolon | Kind::Dot | Kind::SymbolJoint | Kind::Punct => {
                Follower::Nothing
            }
            Kind::Word => {
                if self.is_in(next, CLAUSE_ENDING_WORDS) {
                    Follower::Nothing
                } else if self.is_in(next, OBJECT_MARKERS) || self.is_in(next, VERB_PREPOSITIONS) {
                    Follower::Object
                } else if self.is_word(next, "of") {
                    Follower::NounMarker
                } else if self.looks_like_name_or_code(verb, next) {
                    Follower::Object
                } else {
                    Follower::Plain
                }
            }
        }
    }

    /// A number, a path, an identifier (`v1.2`, `app/main.py`, `user_id`), or a
    /// capitalised name after a lowercase verb (`cache Redis responses`). In Title Case
    /// titles capitals prove nothing, so a capitalised verb gets no name evidence.
    fn looks_like_name_or_code(&self, verb: usize, next: usize) -> bool {
        let word = &self.text[self.tokens[next].start..self.tokens[next].end];
        let code_like = word
            .bytes()
            .any(|byte| byte.is_ascii_digit() || b"_/.\\:@#$=<>".contains(&byte));
        let verb_lowercase = self.key(verb).starts_with(|c: char| c.is_lowercase());
        let name = verb_lowercase && word.starts_with(|c: char| c.is_uppercase());
        code_like || name
    }

    /// Whether the word at `index` opens an action clause after a joint.
    ///
    /// The word must be a lexicon verb; then what follows it decides, because many
    /// software verbs are also nouns:
    /// - an object marker means a verb (`and test the endpoint`, `; seed the database`);
    /// - `of` means a noun (`and export of CSV`);
    /// - a plain word is an object only for verbs that are rarely nouns (`and fix
    ///   failures`) and only when the word before the joint is no verb-like modifier
    ///   (`read and write endpoints`); so `test fixtures`, `log rotation` stay nouns;
    /// - nothing (the clause ends) means a verb only in a verb series or after `then`.
    ///
    /// In a verb series or after `then` a plain word is always an object: see [`Context`].
    fn opens_action(&self, index: usize, context: Context) -> bool {
        if self.kind(index) != Some(Kind::Word) || !self.is_verb(index) {
            return false;
        }
        let position_says_verb = context.in_series || context.after_then;
        match self.follower(index) {
            Follower::Object => true,
            Follower::NounMarker => false,
            Follower::Nothing => position_says_verb,
            Follower::Plain => {
                position_says_verb
                    || (!self.is_in(index, AMBIGUOUS_VERBS) && !context.after_modifier)
            }
        }
    }

    /// The context of the word at `verb` after the joint starting at `joint`.
    fn context(&self, joint: usize, verb: usize, clause_verb: usize) -> Context {
        Context {
            in_series: self.is_verb_series(clause_verb, joint),
            after_modifier: self.modifier_before(joint, clause_verb),
            after_then: self.has_then(joint, verb),
        }
    }

    /// Whether `then` is among the tokens `from..to`.
    fn has_then(&self, from: usize, to: usize) -> bool {
        (from..to).any(|index| self.is_word(index, "then"))
    }

    /// Whether the word at `index` opens a subordinate clause whose verbs describe the
    /// output rather than add actions (`a job that fetches …`, `a script to build …`).
    fn opens_subordinate(&self, index: usize, clause_verb: usize) -> bool {
        if self.is_word(index, "that") {
            // `that` right after a verb or a preposition is a determiner (`Refactor that
            // module`, `tests for that module`), unless the verb takes a that-clause
            // (`Verify that migrations apply and roll back`); after a noun it is a
            // relative pronoun (`a job that fetches rates`).
            let previous = index - 1;
            if previous == clause_verb && self.is_in(clause_verb, THAT_CLAUSE_VERBS) {
                return true;
            }
            let determiner = previous == clause_verb
                || self.kind(previous) != Some(Kind::Word)
                || self.is_in(previous, PREPOSITIONS)
                || self.is_verb_series(clause_verb, index);
            return !determiner;
        }
        if self.is_word(index, "to") {
            return self.kind(index + 1) == Some(Kind::Word) && self.is_verb(index + 1);
        }
        self.is_in(index, SUBORDINATORS)
    }

    /// Finds where new actions start. The title's first word is known to be a verb.
    fn splits(&self) -> Vec<Split> {
        let count = self.tokens.len();
        let mut splits = Vec::new();
        // Commas that open an action, kept until a joint confirms the list.
        let mut pending: Vec<Split> = Vec::new();
        let mut clause_verb = 0;
        let mut subordinate = false;
        let mut index = 1;
        while index < count {
            let kind = self.tokens[index].kind;
            let strong_boundary =
                kind == Kind::Semicolon || (kind == Kind::Dot && self.ends_sentence(index));
            if strong_boundary {
                pending.clear();
                let verb = self.skip_adverbs(index + 1);
                let context = Context {
                    after_then: self.has_then(index, verb),
                    ..Context::default()
                };
                if self.opens_action(verb, context) {
                    splits.push(Split {
                        joint: index,
                        verb,
                        strength: Joint::Strong,
                    });
                    clause_verb = verb;
                    subordinate = false;
                    index = verb + 1;
                } else {
                    // A sentence or `;` part that opens with no verb is a note: nothing in
                    // it counts as an action.
                    subordinate = true;
                    index += 1;
                }
                continue;
            }
            let joint_len = match kind {
                Kind::SymbolJoint => Some(1),
                Kind::Word => self.word_joint_len(index),
                _ => None,
            };
            let Some(joint_len) = joint_len else {
                if kind == Kind::Comma && !subordinate {
                    if let Some(verb) = self.list_item_verb(index, clause_verb) {
                        pending.push(Split {
                            joint: index,
                            verb,
                            strength: Joint::Light,
                        });
                    }
                } else if kind == Kind::Word {
                    let current_verb = pending.last().map_or(clause_verb, |split| split.verb);
                    subordinate |= self.opens_subordinate(index, current_verb);
                }
                index += 1;
                continue;
            };
            // `, then` starts a new step even after a subordinate clause.
            let comma_then =
                self.is_word(index, "then") && self.kind(index - 1) == Some(Kind::Comma);
            let verb = self.skip_adverbs(index + joint_len);
            if subordinate && !comma_then {
                index = verb;
                continue;
            }
            if self.opens_action(verb, self.context(index, verb, clause_verb)) {
                splits.append(&mut pending);
                splits.push(Split {
                    joint: index,
                    verb,
                    strength: Joint::Light,
                });
                clause_verb = verb;
                subordinate = false;
                index = verb + 1;
            } else {
                index = verb;
            }
        }
        splits
    }

    /// The verb after the comma at `comma` if it opens a list item that is an action
    /// (`Design the schema, write the models, and add tests`).
    fn list_item_verb(&self, comma: usize, clause_verb: usize) -> Option<usize> {
        let next = comma + 1;
        if self.word_joint_len(next).is_some() || self.kind(next) == Some(Kind::SymbolJoint) {
            return None; // `, and …` / `, then …`: the joint itself decides.
        }
        let verb = self.skip_adverbs(next);
        self.opens_action(verb, self.context(comma, verb, clause_verb))
            .then_some(verb)
    }

    fn clauses(&self) -> Vec<Clause> {
        let mut clauses = Vec::new();
        let mut verb = 0;
        let mut joint = Joint::First;
        for split in self.splits() {
            clauses.push(Clause {
                verb,
                end: split.joint,
                joint,
            });
            verb = split.verb;
            joint = split.strength;
        }
        clauses.push(Clause {
            verb,
            end: self.tokens.len(),
            joint,
        });
        self.merge_run_and_report(&mut clauses);
        clauses
    }

    /// `Run the suite and report failures` is one action: a run and the report of its
    /// result have one output.
    fn merge_run_and_report(&self, clauses: &mut Vec<Clause>) {
        let mut index = 0;
        while index + 1 < clauses.len() {
            let next = clauses[index + 1];
            if next.joint == Joint::Light
                && self.is_in(clauses[index].verb, RUNNING_VERBS)
                && self.is_in(next.verb, REPORTING_VERBS)
            {
                clauses[index].end = next.end;
                clauses.remove(index + 1);
            } else {
                index += 1;
            }
        }
    }

    /// Byte range of a clause's text in the title.
    fn clause_bytes(&self, clause: &Clause) -> (usize, usize) {
        let start = self.tokens[clause.verb].start;
        let end = self
            .tokens
            .get(clause.end)
            .map_or(self.text.len(), |token| token.start);
        (start, end)
    }

    fn clause_text(&self, clause: &Clause) -> &'a str {
        let (start, end) = self.clause_bytes(clause);
        trim_clause(&self.text[start..end])
    }

    /// The object a bare verb borrows from the clause after it (`the API image` in `Build
    /// and push the API image`), if that clause has one. The object stops before the first
    /// preposition other than `of`: `Build and publish the package to PyPI` lends "the
    /// package". An object that starts with a preposition is no object (`Build and deploy
    /// to staging` keeps "Build" bare).
    fn shared_object(&self, clauses: &[Clause], bare: usize) -> Option<&'a str> {
        let mut later = clauses.iter().skip(bare + 1);
        let giver = later.find(|clause| {
            clause.joint != Joint::Light || !self.is_verb_series(clause.verb, clause.end)
        })?;
        if giver.joint != Joint::Light {
            return None;
        }
        let object = self.skip_particles(giver.verb + 1);
        if object >= giver.end || self.is_in(object, PREPOSITIONS) {
            return None;
        }
        let object_end = (object + 1..giver.end)
            .find(|&index| self.is_in(index, PREPOSITIONS) && !self.is_word(index, "of"))
            .map_or_else(
                || self.clause_bytes(giver).1,
                |index| self.tokens[index].start,
            );
        let object_text = trim_clause(&self.text[self.tokens[object].start..object_end]);
        (!object_text.is_empty()).then_some(object_text)
    }

    fn clause_texts(&self, clauses: &[Clause]) -> Vec<String> {
        clauses
            .iter()
            .enumerate()
            .map(|(index, clause)| {
                let text = self.clause_text(clause);
                let object = if self.is_verb_series(clause.verb, clause.end) {
                    self.shared_object(clauses, index)
                } else {
                    None
                };
                match object {
                    Some(object) => format!("{text} {object}"),
                    None => text.to_owned(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn assert_actions(title: &str, expected: &[&str]) {
        assert_eq!(actions(title), expected, "actions of {title:?}");
    }

    #[track_caller]
    fn assert_atomic(title: &str) {
        let found = actions(title);
        assert_eq!(
            found.len(),
            1,
            "{title:?} should be one action, got {found:?}"
        );
    }

    #[track_caller]
    fn assert_count(title: &str, count: usize) {
        let found = actions(title);
        assert_eq!(
            found.len(),
            count,
            "{title:?} should join {count} actions, got {found:?}"
        );
    }

    // --- The contract's non-atomic examples ---------------------------------------

    #[test]
    fn verb_after_and_starts_a_second_action() {
        assert_actions(
            "Implement the login endpoint and add tests for it",
            &["Implement the login endpoint", "add tests for it"],
        );
    }

    #[test]
    fn two_verbs_sharing_one_object_each_get_the_object() {
        assert_actions(
            "Build and push the API image",
            &["Build the API image", "push the API image"],
        );
        assert_actions(
            "Build, tag, and push the image",
            &["Build the image", "tag the image", "push the image"],
        );
        assert_actions("Set up and configure CI", &["Set up CI", "configure CI"]);
        assert_actions(
            "Design and implement auth",
            &["Design auth", "implement auth"],
        );
    }

    #[test]
    fn bare_verbs_without_a_shareable_object_stay_bare() {
        assert_actions("Build and deploy", &["Build", "deploy"]);
        // A prepositional phrase is no object: "Build to staging" would misread.
        assert_actions(
            "Build and deploy to staging",
            &["Build", "deploy to staging"],
        );
    }

    #[test]
    fn semicolon_joins_actions() {
        assert_actions(
            "Create the schema; seed the database",
            &["Create the schema", "seed the database"],
        );
    }

    #[test]
    fn then_joins_actions_with_or_without_and() {
        assert_actions(
            "Write the migration, then run it",
            &["Write the migration", "run it"],
        );
        assert_actions(
            "Write the migration then run it",
            &["Write the migration", "run it"],
        );
        assert_actions(
            "Add the route and then document it",
            &["Add the route", "document it"],
        );
    }

    #[test]
    fn as_well_as_and_plus_and_symbols_join_actions() {
        assert_actions(
            "Configure nginx as well as deploy the certificates",
            &["Configure nginx", "deploy the certificates"],
        );
        for title in [
            "Install Redis plus configure eviction",
            "Install Redis & configure eviction",
            "Install Redis + configure eviction",
        ] {
            assert_actions(title, &["Install Redis", "configure eviction"]);
        }
        assert_count("Install Redis && configure eviction", 2);
    }

    #[test]
    fn sentences_that_each_open_with_a_verb_are_separate_actions() {
        assert_actions(
            "Create the table. Add an index on email.",
            &["Create the table", "Add an index on email"],
        );
        assert_actions(
            "Create release v1.2. Tag it.",
            &["Create release v1.2", "Tag it"],
        );
        assert_actions(
            "Update README.md. Add badges.",
            &["Update README.md", "Add badges"],
        );
        assert_count("Add docs. Then deploy the app.", 2);
    }

    #[test]
    fn oxford_list_of_actions_is_split_at_every_item() {
        assert_actions(
            "Design the schema, write the models, and add tests",
            &["Design the schema", "write the models", "add tests"],
        );
        assert_count("Design the schema, write the models and add tests", 3);
    }

    #[test]
    fn unambiguous_verb_with_plain_object_starts_an_action() {
        assert_actions(
            "Test the endpoint and fix failures",
            &["Test the endpoint", "fix failures"],
        );
        assert_count("Refactor the parser and update its tests", 2);
        assert_count(
            "Migrate users to the new schema and add a rollback script",
            2,
        );
        assert_count("Write unit tests and run them", 2);
        // `write` is a verb before a plain noun: the deliberate defect of examples/tasks_list.md.
        assert_count(
            "Implement the stock reservation service and write unit tests for it",
            2,
        );
        assert_count("Fix the profile and write tests", 2);
        // A lexicon word inside the object is a noun head, not a modifier.
        assert_count("Fix the profile and add tests", 2);
    }

    #[test]
    fn ambiguous_verb_with_object_marker_starts_an_action() {
        assert_count("Add a cache and cache the responses", 2);
        assert_count("Add fixtures and test it against staging", 2);
        assert_count("Add tracing and log `request_id`", 2);
        assert_count("Add tracing and log user_id", 2);
        assert_count("Add a worker and cache Redis responses", 2);
        assert_count("Create the schema and seed 3 users", 2);
        assert_count("Create the table and index on email", 2);
        assert_count("Monitor the queue depth and alert on backlog", 2);
    }

    #[test]
    fn title_case_titles_split_on_clear_verbs_only() {
        assert_count("Implement Login Endpoint And Add Tests", 2);
        // Capitals prove nothing when every word has one.
        assert_atomic("Add Seed Data And Test Fixtures");
    }

    // --- The contract's atomic examples -----------------------------------------------

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
            assert_actions(title, &[title]);
        }
    }

    #[test]
    fn verbs_in_relative_and_infinitive_clauses_describe_the_output() {
        assert_atomic("Add a job that fetches rates and stores them in Redis");
        // Plural antecedent: the relative verbs are base forms, still no new action.
        assert_atomic("Add jobs that fetch rates and store them in Redis");
        assert_atomic("Add jobs that fetch rates, parse them, and store them in Redis");
        assert_atomic("Write a script to build and push images");
        assert_atomic("Create an API to list and filter orders");
        assert_atomic("Add a hook which formats code and push it upstream");
        assert_atomic("Retry the request if it fails and log the error");
        assert_atomic("Document how to deploy and roll back the service");
    }

    #[test]
    fn that_after_a_verb_or_preposition_is_a_determiner() {
        assert_count("Refactor that module and add tests", 2);
        assert_count("Add tests for that module and deploy it", 2);
    }

    #[test]
    fn that_after_a_verb_taking_a_that_clause_opens_a_clause() {
        // Plural subject: `roll back` is parallel to `apply`, no second action. The price is
        // a deliberate false negative on `Ensure that tests pass and update the docs`.
        assert_atomic("Verify that migrations apply cleanly and roll back without errors");
        assert_atomic("Ensure that tests pass and update the docs");
    }

    #[test]
    fn then_announces_a_new_step_even_before_a_noun_like_verb() {
        assert_actions(
            "Install Node 20, then run npm ci",
            &["Install Node 20", "run npm ci"],
        );
        assert_count("Add the index and then test login", 2);
        assert_count("Write the migration. Then deploy.", 2);
    }

    #[test]
    fn a_new_step_after_a_subordinate_clause_still_counts() {
        assert_actions(
            "Write a script to build images, then run it",
            &["Write a script to build images", "run it"],
        );
        assert_count("Add a job that fetches rates; deploy it to staging", 2);
        assert_count("Add a job that fetches rates. Deploy it to staging.", 2);
    }

    #[test]
    fn by_ing_phrase_is_a_means_but_a_later_base_verb_is_an_action() {
        assert_atomic("Generate the report by calling the API and logging the prompt");
        assert_count(
            "Fix the bug by patching the parser and add a regression test",
            2,
        );
    }

    #[test]
    fn running_and_reporting_is_one_action() {
        for title in [
            "Run cargo test and report failures",
            "Execute the load test and summarize latency",
            "Measure p95 and record it",
            "Check links and print broken ones",
            "Run the benchmarks and report the results",
            "Run the suite & print the summary",
            "Verify the backups and log any failures",
        ] {
            assert_atomic(title);
        }
        assert_actions(
            "Run the benchmarks and report the results",
            &["Run the benchmarks and report the results"],
        );
        assert_count("Run the tests and fix the failures", 2);
        assert_count("Run the tests and report failures; fix them", 2);
        assert_count("Run the tests and report the failures and fix them", 2);
        // Reporting is one action with a run, not with other work.
        assert_count("Write the exporter and print the summary", 2);
    }

    #[test]
    fn and_between_nouns_is_no_joint() {
        for title in [
            "Add unit tests and integration tests for auth",
            "Create tables for users and orders",
            "Add logging and error handling middleware",
            "Configure logging and error-handling middleware",
            "Add seed data and test fixtures",
            "Add request logging and log rotation",
            "Implement read and write endpoints",
            "Add the read and write endpoints",
            "Grant read and write access to the bucket",
            "Implement parse, validate and transform steps",
            "Implement create, update and delete operations",
            "Support upload and download of files",
            "Add pagination and sort options",
            "Write docs and release notes",
            "Add retries and backoff",
            "Implement JWT authentication middleware and refresh token rotation",
            "Set up GitHub Actions workflow for lint, test and build",
            "Create backup and restore scripts for PostgreSQL",
            "Add Makefile targets for build, test and deploy",
            "Add login and sign-up pages",
            "Implement sign up and log in flows",
            "Add unit and integration tests",
            "Add tests and docs",
        ] {
            assert_atomic(title);
        }
    }

    #[test]
    fn ambiguous_verb_before_a_plain_word_is_read_as_a_noun() {
        // A deliberate false negative: "log errors" may be an action, but "test
        // fixtures", "release notes" and the like are far more common in task titles.
        assert_atomic("Catch exceptions and log errors");
        assert_atomic("Update the schema and deploy services");
    }

    #[test]
    fn dots_in_names_versions_and_abbreviations_end_no_sentence() {
        for title in [
            "Document Task 1.2 implementation in task_outcomes.md",
            "Update v1.2.3 release notes. See docs.",
            "Use e.g. Postgres or MySQL",
            "Compare Redis vs. Memcached",
            "Bump to version 1.2.3 in Cargo.toml",
            "Add lint, format, etc. Deploy the app.",
            "Support many stores, i.e. Redis and Memcached",
            "Update notes. the rest is done",
        ] {
            assert_atomic(title);
        }
    }

    #[test]
    fn parentheses_quotes_and_code_spans_are_opaque() {
        for title in [
            "Set up CI (build and test) for the repo",
            "Add the \"build and deploy\" button",
            "Add the “build and deploy” button",
            "Add the 'build and deploy' button",
            "Add the ‘build and deploy’ button",
            "Add `make build && make test` to the Makefile",
            "Add ``make build` && `make test`` to the Makefile",
            "Configure Python development environment (pytest, ruff, mypy; and deploy it)",
            "Link [build and deploy](docs/build.md) in the README",
        ] {
            assert_actions(title, &[title]);
        }
        // Apostrophes are no quotes: the joint after them still counts.
        assert_count("Fix the user's profile and add tests", 2);
        assert_count("Update the users' data and add tests", 2);
    }

    #[test]
    fn or_and_bare_commas_are_no_joints() {
        assert_atomic("Deploy to staging or production");
        assert_atomic("Implement login, logout, registration");
        assert_atomic("Create the table, add an index");
        assert_atomic("Build, tag");
    }

    #[test]
    fn titles_not_opening_with_a_verb_are_never_split() {
        assert_atomic("Login endpoint and add tests");
        assert_atomic("Backend Foundation");
        assert_atomic("`cargo build` and run tests");
    }

    #[test]
    fn empty_and_blank_titles_have_no_action() {
        assert_actions("", &[]);
        assert_actions("   ", &[]);
        assert_actions("...", &[]);
    }

    #[test]
    fn clause_text_is_trimmed_of_separators() {
        assert_actions("  Implement the parser.  ", &["Implement the parser"]);
        assert_actions("Add tests for A, B, etc.", &["Add tests for A, B, etc."]);
        assert_actions(
            "Create the schema ;  seed the database ;",
            &["Create the schema", "seed the database"],
        );
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for title in [
            "Build and",
            "Build and then",
            "Build &",
            "Add (unclosed and deploy it",
            "Add \"unclosed and deploy it",
            "Add `unclosed and deploy it",
            "Add 'unclosed and deploy it",
            "Add ) and ] and } and deploy it",
            "Add ‘ and “ and deploy it",
            "Add ; ; ;",
            "Add. . . Deploy.",
            "Añadir pruebas y documentar",
            "Add ünïcödé and deploy ünïcödé",
            "Add\u{a0}tests and\u{a0}deploy it",
            "Build, , and push it",
        ] {
            let _ = actions(title);
        }
        // A pseudo-random walk over tricky characters.
        let alphabet: Vec<char> = "ab AT.;,&+()[]{}\"'`“”‘’é\u{a0}-_/:!?".chars().collect();
        let words = [
            "and",
            "then",
            "Build",
            "push",
            "the",
            "test",
            "that",
            "to",
            "as well as",
            "plus",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let mut title = String::from("Add ");
            for _ in 0..12 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let pick = (state >> 33) as usize;
                if pick.is_multiple_of(3) {
                    title.push_str(words[pick % words.len()]);
                    title.push(' ');
                } else {
                    title.push(alphabet[pick % alphabet.len()]);
                }
            }
            for action in actions(&title) {
                assert!(!action.is_empty(), "empty action in {title:?}");
            }
        }
    }

    #[test]
    fn fast_path_and_full_analysis_agree_on_clause_text() {
        // Without a joint the fast path answers; with a non-splitting joint the tokenizer
        // does. Both must trim the same way.
        assert_actions("Implement the parser.", &["Implement the parser"]);
        assert_actions(
            "Add unit and integration tests.",
            &["Add unit and integration tests"],
        );
    }

    // --- starts_with_action_verb / is_action_verb ----------------------------------------

    #[test]
    fn recognises_an_opening_action_verb() {
        for title in [
            "Implement X",
            "Set up CI",
            "Validate core functionality of Task 1.2",
            "**Validate** core functionality of Task 1.2",
            "_deploy_ the service",
            "IMPLEMENT the parser",
            "Implement: the parser",
            "Re-run the flaky suite",
            "  Add tests",
        ] {
            assert!(
                starts_with_action_verb(title),
                "{title:?} opens with a verb"
            );
        }
    }

    #[test]
    fn rejects_titles_without_an_opening_action_verb() {
        for title in [
            "",
            "   ",
            "Backend Foundation",
            "Login endpoint",
            "The API",
            "TODO",
            "`add` the flag",
            "(Optional) Add caching",
            "\"Add\" button",
            "Adds tests",
            "Added tests",
            "See docs",
        ] {
            assert!(
                !starts_with_action_verb(title),
                "{title:?} does not open with a verb"
            );
        }
    }

    #[test]
    fn lexicon_lookup_folds_case_and_needs_base_forms() {
        for verb in [
            "add",
            "implement",
            "create",
            "configure",
            "deploy",
            "write",
            "refactor",
            "migrate",
            "scaffold",
            "seed",
            "benchmark",
            "containerize",
            "provision",
        ] {
            assert!(is_action_verb(verb), "{verb} is in the lexicon");
        }
        assert!(is_action_verb("Deploy"));
        assert!(!is_action_verb("deploys"));
        assert!(!is_action_verb("deployed"));
        assert!(!is_action_verb(""));
        assert!(!is_action_verb("see"));
        assert!(!is_action_verb("login"));
    }

    // --- Lexicon and list hygiene --------------------------------------------------------

    #[test]
    fn lexicon_file_is_lowercase_sorted_unique_and_generous() {
        let lines: Vec<&str> = LEXICON_SOURCE.lines().collect();
        for line in &lines {
            assert!(
                !line.is_empty()
                    && line
                        .bytes()
                        .all(|byte| byte.is_ascii_lowercase() || byte == b'-'),
                "bad lexicon line {line:?}"
            );
        }
        assert!(
            lines.windows(2).all(|pair| pair[0] < pair[1]),
            "verbs.txt must be sorted and unique"
        );
        assert!(
            lexicon().len() >= 500,
            "lexicon has {} verbs",
            lexicon().len()
        );
    }

    #[test]
    fn word_lists_are_sorted_lowercase_and_consistent() {
        let lists: [(&str, &[&str]); 12] = [
            ("THAT_CLAUSE_VERBS", THAT_CLAUSE_VERBS),
            ("AMBIGUOUS_VERBS", AMBIGUOUS_VERBS),
            ("ACCESS_MODES", ACCESS_MODES),
            ("OBJECT_MARKERS", OBJECT_MARKERS),
            ("VERB_PREPOSITIONS", VERB_PREPOSITIONS),
            ("PARTICLES", PARTICLES),
            ("PREPOSITIONS", PREPOSITIONS),
            ("SUBORDINATORS", SUBORDINATORS),
            ("JOINT_ADVERBS", JOINT_ADVERBS),
            ("CLAUSE_ENDING_WORDS", CLAUSE_ENDING_WORDS),
            ("RUNNING_VERBS", RUNNING_VERBS),
            ("REPORTING_VERBS", REPORTING_VERBS),
        ];
        for (name, list) in lists
            .iter()
            .chain([("ABBREVIATIONS", ABBREVIATIONS)].iter())
        {
            assert!(
                list.windows(2).all(|pair| pair[0] < pair[1]),
                "{name} must be sorted and unique"
            );
            assert!(
                list.iter().all(|word| word.to_lowercase() == *word),
                "{name} must be lowercase"
            );
        }
        for list in [
            AMBIGUOUS_VERBS,
            ACCESS_MODES,
            THAT_CLAUSE_VERBS,
            RUNNING_VERBS,
            REPORTING_VERBS,
        ] {
            for verb in list {
                assert!(is_action_verb(verb), "{verb} must be in verbs.txt");
            }
        }
    }
}
