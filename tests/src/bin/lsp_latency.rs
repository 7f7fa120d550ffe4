//! End-to-end latency of the release server over stdio.
//!
//! ```text
//! cargo build --release -p wbs-lsp
//! cargo run --release -p wbs-lsp-e2e --bin lsp_latency -- \
//!     [--server target/release/wbs-lsp] [--lines 10000] [--style seed|nested|ordered|tabs|commented|fenced|tables] [--edits 200] \
//!     [--dump PATH] [--trace]
//! ```
//!
//! `--dump` writes the generated document; `--trace` prints every edit's time and line.
//!
//! Spawns the server, initializes without the pull capability (so the server pushes),
//! opens a generated task list and measures open -> the first `publishDiagnostics` of
//! version 1; then sends single-character edits (insert a character at the end of a line,
//! delete it on the next edit, at lines spread evenly over the file) and measures each
//! `didChange` -> the `publishDiagnostics` carrying its version, waiting for each before
//! sending the next. Prints one summary line, with the server's peak RSS (`VmHWM`) read
//! just before shutdown, and a second line splitting the edits into those on plain task
//! titles (the common keystroke, which keeps the document's structure) and the others
//! (check tasks, notes, headings: some of these change the structure).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wbs_lsp::document::Document;
use wbs_lsp::testgen::{self, Style};

const URI: &str = "file:///bench/tasks_bench.md";
const TIMEOUT: Duration = Duration::from_secs(60);

struct Options {
    server: PathBuf,
    lines: usize,
    style: Style,
    edits: usize,
    dump: Option<PathBuf>,
    trace: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: lsp_latency [--server PATH] [--lines N] [--style seed|nested|ordered|tabs|commented|fenced|tables] [--edits N] [--dump PATH] [--trace]"
    );
    std::process::exit(2);
}

fn options() -> Options {
    let mut o = Options {
        server: PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/release/wbs-lsp"
        )),
        lines: 10_000,
        style: Style::Seed,
        edits: 200,
        dump: None,
        trace: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--server" => o.server = PathBuf::from(value()),
            "--lines" => o.lines = value().parse().unwrap_or_else(|_| usage()),
            "--style" => o.style = Style::parse(&value()).unwrap_or_else(|| usage()),
            "--edits" => o.edits = value().parse().unwrap_or_else(|_| usage()),
            "--dump" => o.dump = Some(PathBuf::from(value())),
            "--trace" => o.trace = true,
            _ => usage(),
        }
    }
    o
}

/// The server process with a reader thread that timestamps each message on arrival.
struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<(Instant, Value)>,
    next_id: i64,
}

impl Server {
    fn spawn(path: &PathBuf) -> Server {
        let mut child = Command::new(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                eprintln!(
                    "lsp_latency: cannot start {}: {e} (build it with `cargo build --release -p wbs-lsp`)",
                    path.display()
                );
                std::process::exit(2);
            });
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, incoming) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 16, stdout);
            while let Some(body) = read_frame(&mut reader) {
                let at = Instant::now();
                match serde_json::from_slice::<Value>(&body) {
                    Ok(value) => {
                        if tx.send((at, value)).is_err() {
                            break;
                        }
                    }
                    Err(e) => eprintln!("lsp_latency: server sent a frame that is not JSON: {e}"),
                }
            }
        });
        Server {
            child,
            stdin,
            incoming,
            next_id: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).expect("serializable");
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        self.stdin
            .write_all(header.as_bytes())
            .and_then(|_| self.stdin.write_all(&body))
            .and_then(|_| self.stdin.flush())
            .unwrap_or_else(|e| fail(&format!("writing to the server failed: {e}")));
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let (_, response) = self.wait_for(&format!("the response to {method}"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        });
        if let Some(error) = response.get("error") {
            fail(&format!("{method} failed: {error}"));
        }
        response
    }

    /// Waits for a message matching `wanted`, answering server requests on the way.
    fn wait_for(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> (Instant, Value) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, message) = match self.incoming.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    fail(&format!("no {what} within {}s", TIMEOUT.as_secs()))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    fail(&format!("the server closed its output before {what}"))
                }
            };
            if wanted(&message) {
                return (at, message);
            }
            if let (Some(id), Some(_)) = (message.get("id"), message.get("method")) {
                // A request from the server (e.g. workspace/configuration): answer null.
                let reply = json!({"jsonrpc": "2.0", "id": id, "result": null});
                self.send(&reply);
            }
        }
    }

    /// Waits for the diagnostics of `version`; returns when they arrived and how many.
    fn diagnostics_for(&mut self, version: i64) -> (Instant, usize) {
        let (at, message) = self.wait_for(&format!("diagnostics for version {version}"), |m| {
            m.get("method").and_then(Value::as_str) == Some("textDocument/publishDiagnostics")
                && m["params"]["uri"] == URI
                && m["params"]["version"].as_i64() == Some(version)
        });
        let count = message["params"]["diagnostics"]
            .as_array()
            .map_or(0, Vec::len);
        (at, count)
    }

    /// `VmHWM` (peak resident set) of the server, in KiB.
    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

fn fail(message: &str) -> ! {
    eprintln!("lsp_latency: {message}");
    std::process::exit(1);
}

/// One `Content-Length` frame; `None` at the end of the stream.
fn read_frame(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            if length.is_some() {
                break;
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() {
    let o = options();
    let text = testgen::task_list(o.lines, o.style);
    if let Some(path) = &o.dump {
        std::fs::write(path, &text)
            .unwrap_or_else(|e| fail(&format!("writing {}: {e}", path.display())));
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let doc_lines = text.lines().count();
    // Each point is typed at twice (insert, then delete).
    let points: Vec<(usize, usize)> = testgen::edit_lines(&text, o.edits.div_ceil(2).max(1))
        .into_iter()
        .map(|l| (l, lines[l].encode_utf16().count()))
        .collect();

    let plain = plain_leaf_lines(&text);

    let mut server = Server::spawn(&o.server);
    server.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": null,
            "workspaceFolders": null,
            "capabilities": {},
        }),
    );
    server.notify("initialized", json!({}));

    let open = Instant::now();
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "markdown", "version": 1, "text": text}}),
    );
    let (at, open_diagnostics) = server.diagnostics_for(1);
    let open_time = at - open;

    let mut times = Vec::with_capacity(o.edits);
    let (mut leaf_times, mut other_times) = (Vec::new(), Vec::new());
    let mut last_diagnostics = open_diagnostics;
    for k in 0..o.edits {
        let (line, col) = points[(k / 2) % points.len()];
        let version = 2 + k as i64;
        let (end, new_text) = if k % 2 == 0 {
            (col, "x")
        } else {
            (col + 1, "")
        };
        let change = json!({
            "range": {
                "start": {"line": line, "character": col},
                "end": {"line": line, "character": end},
            },
            "text": new_text,
        });
        let sent = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": version}, "contentChanges": [change]}),
        );
        let (at, count) = server.diagnostics_for(version);
        times.push(at - sent);
        if o.trace {
            eprintln!(
                "edit {k} version {version} line {line}: {:.3} ms  {:?}",
                ms(at - sent),
                lines[line]
            );
        }
        if plain.binary_search(&line).is_ok() {
            leaf_times.push(at - sent);
        } else {
            other_times.push(at - sent);
        }
        last_diagnostics = count;
    }

    let peak_kib = server.peak_rss_kib();
    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match server.child.try_wait() {
            Ok(Some(_)) => break,
            _ if Instant::now() >= deadline => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                break;
            }
            _ => thread::sleep(Duration::from_millis(10)),
        }
    }

    times.sort_unstable();
    leaf_times.sort_unstable();
    other_times.sort_unstable();
    let mean = if times.is_empty() {
        Duration::ZERO
    } else {
        times.iter().sum::<Duration>() / times.len() as u32
    };
    let peak = peak_kib.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
    println!(
        "lines={} style={} doc_lines={doc_lines} bytes={} open_ms={:.2} edit_p50_ms={:.3} edit_p95_ms={:.3} edit_max_ms={:.3} edit_mean_ms={:.3} edits={} peak_rss_mib={peak} diagnostics={open_diagnostics}/{last_diagnostics}",
        o.lines,
        o.style.as_str(),
        text.len(),
        ms(open_time),
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.95)),
        ms(times.last().copied().unwrap_or_default()),
        ms(mean),
        times.len(),
    );
    println!(
        "  edits on plain task titles: {}; other edits: {}",
        summary(&leaf_times),
        summary(&other_times)
    );
}

/// `n=… p50_ms=… p95_ms=… max_ms=…` of sorted durations.
fn summary(sorted: &[Duration]) -> String {
    format!(
        "n={} p50_ms={:.3} p95_ms={:.3} max_ms={:.3}",
        sorted.len(),
        ms(percentile(sorted, 0.50)),
        ms(percentile(sorted, 0.95)),
        ms(sorted.last().copied().unwrap_or_default())
    )
}

/// Sorted lines holding a plain task title: a node with no letter, no check verb and no
/// notes, at level 3 or deeper. Typing at the end of one keeps the document's structure.
fn plain_leaf_lines(text: &str) -> Vec<usize> {
    Document::new(text, 0)
        .line_items()
        .filter(|(_, item)| {
            item.notes.is_empty()
                && item.node().is_some_and(|n| {
                    n.id.level() >= 3 && n.id.letter().is_none() && n.check_verb.is_none()
                })
        })
        .map(|(line, _)| line)
        .collect()
}
