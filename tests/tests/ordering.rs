//! 1,000 incremental edits sent without waiting apply in order: the diagnostics of the last
//! version are those of the final text opened fresh, pulled, or checked from a file.

use serde_json::{json, Value};
use wbs_lsp_e2e::{brief, repo_root, run_binary, without_uris, Client, TextBuffer};

const URI: &str = "file:///tmp/x/tasks_order.md";
const FRESH_URI: &str = "file:///tmp/x/tasks_order_fresh.md";
const LAST_VERSION: i32 = 1001;

/// A fixed-seed generator (64-bit LCG), so a failure replays the same edits.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SNIPPETS: [&str; 15] = [
    "x",
    "é",
    "😀",
    "–",
    " ",
    "\n",
    "7",
    ".",
    "2.3 ",
    "\n\n",
    "  1.1.9 Add a cache for stock lookups\n",
    " (Dependencies: 9.9 | Stage Gate: ok)",
    "1.2.A Validate core functionality of Task 1.2\n",
    "<!--",
    "-->",
];

/// A random position at a character boundary: (line, UTF-16 column, byte offset).
fn random_position(rng: &mut Lcg, text: &TextBuffer) -> (u32, u32, usize) {
    let starts = text.line_starts();
    let line = rng.below(starts.len());
    let end = starts
        .get(line + 1)
        .map_or(text.text.len(), |&next| next - 1);
    let boundaries: Vec<usize> = text.text[starts[line]..end]
        .char_indices()
        .map(|(i, _)| starts[line] + i)
        .chain(std::iter::once(end))
        .collect();
    let offset = boundaries[rng.below(boundaries.len())];
    let (l, c) = text.position(offset);
    (l, c, offset)
}

/// One random edit of `text`, applied to it; returns the LSP content change.
fn random_edit(rng: &mut Lcg, text: &mut TextBuffer) -> Value {
    let (line, character, offset) = random_position(rng, text);
    match rng.below(20) {
        // Insert a snippet.
        0..=9 => {
            let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
            text.edit((line, character), (line, character), snippet)
        }
        // Delete 1..=6 characters (line breaks included).
        10..=16 => {
            let count = 1 + rng.below(6);
            let end = text.text[offset..]
                .char_indices()
                .nth(count)
                .map_or(text.text.len(), |(i, _)| offset + i);
            let end = text.position(end);
            text.edit((line, character), end, "")
        }
        // Replace a few characters with a digit.
        17..=18 => {
            let end = text.text[offset..]
                .char_indices()
                .nth(2)
                .map_or(text.text.len(), |(i, _)| offset + i);
            let end = text.position(end);
            let digit = ["1", "2", "3", "9"][rng.below(4)];
            text.edit((line, character), end, digit)
        }
        // Delete the whole line.
        _ => {
            let lines = text.line_starts().len() as u32;
            if line + 1 < lines {
                text.edit((line, 0), (line + 1, 0), "")
            } else {
                text.edit((line, 0), (line, character), "")
            }
        }
    }
}

#[test]
fn a_thousand_unawaited_edits_apply_in_order() {
    let original =
        std::fs::read_to_string(repo_root().join("examples/tasks_list.md")).expect("example");
    let mut text = TextBuffer::new(&original);
    // WBS_LSP_E2E_SEED replays another sequence of edits.
    let seed = std::env::var("WBS_LSP_E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234);
    let mut rng = Lcg(seed);
    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.did_open(URI, 1, &original);
    for version in 2..=LAST_VERSION {
        // Every tenth notification carries two changes, the second in the positions left
        // by the first.
        let count = if version % 10 == 0 { 2 } else { 1 };
        let changes: Vec<Value> = (0..count)
            .map(|_| random_edit(&mut rng, &mut text))
            .collect();
        client.did_change(URI, version, Value::Array(changes));
    }
    let edited = client.wait_for_diagnostics(URI, LAST_VERSION);
    assert!(
        text.text.lines().count() > 60,
        "the edits left too little text to be a test"
    );

    client.did_open(FRESH_URI, 1, &text.text);
    let fresh = client.wait_for_diagnostics(FRESH_URI, 1);
    assert!(!fresh.is_empty(), "the final text should have diagnostics");
    eprintln!(
        "seed {seed}: {} lines, {} diagnostics",
        text.text.lines().count(),
        fresh.len()
    );
    assert_eq!(
        without_uris(&edited),
        without_uris(&fresh),
        "after 1,000 edits: {:#?}\nfresh open of the same text: {:#?}\nfinal text:\n{}",
        brief(&edited),
        brief(&fresh),
        text.text
    );

    let pulled = client.call(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(pulled["kind"], "full");
    assert_eq!(pulled["items"], Value::Array(edited.clone()));
    assert_eq!(client.shutdown_and_exit().code(), Some(0));

    // The check command agrees (its JSON ranges are UTF-16 too).
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("tasks_final.md"), &text.text).expect("writing");
    let output = run_binary(&["check", "--format", "json", "tasks_final.md"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("check JSON");
    let checked = report[0]["diagnostics"]
        .as_array()
        .expect("a diagnostics array");
    assert_eq!(without_uris(checked), without_uris(&edited));
}
