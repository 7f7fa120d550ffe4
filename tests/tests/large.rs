//! Large input: a ~50 MB task list and a task list with a 1 MB line.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::json;
use wbs_lsp_e2e::{assert_diagnostics, range, server_is_optimized, Client, Expected};

const VERBS: [&str; 5] = ["Implement", "Add", "Configure", "Write", "Create"];
const OBJECTS: [&str; 8] = [
    "the order repository",
    "a health endpoint",
    "the retry policy",
    "request validation",
    "structured logging",
    "the cache layer",
    "a migration script",
    "the metrics exporter",
];

/// A valid three-stage task list of about `bytes` bytes whose only defect is that the last
/// phase of stage 3 depends on `9.9`; returns the text and the (line, UTF-16 column) of
/// that reference.
fn big_task_list(bytes: usize) -> (String, u32, u32) {
    const STAGES: [(&str, &str, &str); 3] = [
        ("CORE", "core functionality of", "implementation"),
        ("INTEGRATION", "integration of", "integration results"),
        ("POLISH", "production readiness of", "production deployment"),
    ];
    // A phase block is about 520 bytes.
    let phases = (bytes / 3 / 520).max(2);
    let mut text = String::with_capacity(bytes + bytes / 8);
    text.push_str("# Big – Task List\n\n");
    let mut line = 2u32;
    let mut reference = (0, 0);
    for (s, (word, validate, document)) in STAGES.iter().enumerate() {
        let s = s + 1;
        let stage_deps = if s == 1 {
            "None".to_string()
        } else {
            format!("Stage {} complete", s - 1)
        };
        let _ = write!(
            text,
            "### Stage {s}: {word} – Part {s}\n(Dependencies: {stage_deps} | Stage Gate: stage {s} is done)\n\n"
        );
        line += 3;
        for p in 1..=phases {
            let id = format!("{s}.{p}");
            let deps = if s == 3 && p == phases {
                let prefix = format!("{id} Phase {p} (Dependencies: ");
                reference = (line, prefix.encode_utf16().count() as u32);
                "9.9".to_string()
            } else if p == 1 {
                "None".to_string()
            } else {
                format!("{s}.{}", p - 1)
            };
            let _ = writeln!(
                text,
                "{id} Phase {p} (Dependencies: {deps} | Stage Gate: phase {p} passes its tests)"
            );
            for t in 1..=8 {
                let _ = writeln!(
                    text,
                    "  {id}.{t} {} {}",
                    VERBS[(p + t) % 5],
                    OBJECTS[(p * 3 + t) % 8]
                );
            }
            let _ = write!(
                text,
                "\n{id}.A Validate {validate} Task {id}\n{id}.B Verify Task {id}\n\
                 {id}.C Document Task {id} {document}\n\n"
            );
            line += 14;
        }
    }
    (text, reference.0, reference.1)
}

#[test]
fn the_generator_is_right_on_a_small_list() {
    let (text, line, column) = big_task_list(20_000);
    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.did_open("file:///tmp/x/tasks_big.md", 1, &text);
    assert_diagnostics(
        &client.wait_for_diagnostics("file:///tmp/x/tasks_big.md", 1),
        &[Expected {
            code: "unknown-dependency",
            severity: 1,
            range: range(line, column, line, column + 3),
            message_has: &["9.9"],
        }],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

/// Peak (`VmHWM`) or current (`VmRSS`) resident memory of a process, from /proc (Linux).
fn rss_mib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[test]
fn a_50_mb_document_is_served() {
    let uri = "file:///tmp/x/tasks_huge.md";
    let small = "file:///tmp/x/tasks_small.md";
    let generating = Instant::now();
    let (text, line, column) = big_task_list(50 * 1024 * 1024);
    assert!(text.len() >= 50 * 1000 * 1000, "{} bytes", text.len());
    eprintln!(
        "generated {} bytes in {:?}",
        text.len(),
        generating.elapsed()
    );
    let mut client = Client::spawn();
    // Analysing 50 MB takes minutes in a debug build on a loaded machine.
    client.timeout = client.timeout.max(Duration::from_secs(600));
    client.initialize(json!({}));
    let (small_text, _, _) = big_task_list(5_000);
    client.did_open(small, 1, &small_text);
    client.wait_for_diagnostics(small, 1);

    let started = Instant::now();
    client.did_open(uri, 1, &text);
    drop(text);
    // The server goes on answering requests (after it has taken in the document).
    let report = client.call(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": small}}),
    );
    assert_eq!(
        report["items"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    eprintln!("50 MB open: answering again after {:?}", started.elapsed());

    if !server_is_optimized() {
        // Debug builds: that the server lives and answers is the test.
        eprintln!("debug build: not waiting for the diagnostics of the 50 MB document");
    } else {
        let diagnostics = client.wait_for_diagnostics(uri, 1);
        eprintln!("50 MB open: diagnostics after {:?}", started.elapsed());
        assert_diagnostics(
            &diagnostics,
            &[Expected {
                code: "unknown-dependency",
                severity: 1,
                range: range(line, column, line, column + 3),
                message_has: &["9.9"],
            }],
        );
    }
    eprintln!(
        "server RSS: peak {:?} MiB, now {:?} MiB",
        rss_mib(client.pid(), "VmHWM:"),
        rss_mib(client.pid(), "VmRSS:")
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_1_mb_line_inside_a_task_list() {
    let uri = "file:///tmp/x/tasks_long_line.md";
    let (mut text, line, column) = big_task_list(5_000);
    // A 1 MB note line under the first phase (before its tasks), with multibyte text and
    // an unknown reference at its end.
    let long_note = format!(
        "(Stage Gate: {} – 😀 done | Dependencies: 8.8)",
        "word ".repeat(200_000)
    );
    let first_phase = text.find("1.1 Phase 1").expect("phase 1.1");
    let after = first_phase + text[first_phase..].find('\n').expect("a line end") + 1;
    text.insert_str(after, &format!("{long_note}\n"));
    let note_line = text[..after].matches('\n').count() as u32;
    let note_column = long_note[..long_note.find("8.8").expect("8.8")]
        .encode_utf16()
        .count() as u32;

    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.did_open(uri, 1, &text);
    let diagnostics = client.wait_for_diagnostics(uri, 1);
    let unknown = |line: u32, column: u32, id: &'static [&'static str]| Expected {
        code: "unknown-dependency",
        severity: 1,
        range: range(line, column, line, column + 3),
        message_has: id,
    };
    assert_diagnostics(
        &diagnostics,
        &[
            unknown(note_line, note_column, &["8.8"]),
            unknown(line + 1, column, &["9.9"]),
        ],
    );
    // An edit at the end of the long line (UTF-16 positions) is applied.
    client.did_change(
        uri,
        2,
        json!([{"range": range(note_line, note_column, note_line, note_column + 3), "text": "None"}]),
    );
    assert_diagnostics(
        &client.wait_for_diagnostics(uri, 2),
        &[unknown(line + 1, column, &["9.9"])],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_50_mb_document_fits_in_1_gib() {
    let uri = "file:///tmp/x/tasks_huge.md";
    let (text, _, _) = big_task_list(50 * 1024 * 1024);
    let mut client = Client::spawn();
    client.timeout = client.timeout.max(Duration::from_secs(600));
    client.initialize(json!({}));
    client.did_open(uri, 1, &text);
    drop(text);
    client.wait_for_diagnostics(uri, 1);
    let peak = rss_mib(client.pid(), "VmHWM:").expect("/proc/<pid>/status");
    assert!(peak < 1024, "peak RSS {peak} MiB for a 50 MB document");
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
