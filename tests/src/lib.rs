//! End-to-end tests of the `wbs-lsp` binary: a small LSP client that drives the real built
//! server over stdio, the way an editor does.
//!
//! The binary is `target/<profile>/wbs-lsp` next to the test executable (or `WBS_LSP_BIN`).
//! A path dependency does not build another package's binaries, so the first use in a test
//! process runs `cargo build -p wbs-lsp --bin wbs-lsp` for the same target dir and profile
//! (a no-op when it is up to date; skipped when `WBS_LSP_BIN` is set).
//!
//! Every wait has a generous timeout ([`timeout`], 60 s by default, `WBS_LSP_E2E_TIMEOUT`
//! seconds to override): tests never depend on speed, only on the order of messages.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use serde_json;

/// The default time to wait for any one message or for the process to exit.
pub fn timeout() -> Duration {
    let secs = std::env::var("WBS_LSP_E2E_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// The repository root (the folder holding `server/`, `tests/`, `examples/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The text of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A `file://` URI for an absolute path made of URI-safe characters.
pub fn file_uri(path: &Path) -> String {
    let text = path.to_str().expect("a UTF-8 path");
    assert!(text.starts_with('/'), "not absolute: {text}");
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b)),
        "path needs percent-encoding: {text}"
    );
    format!("file://{text}")
}

/// The server binary: `WBS_LSP_BIN`, else `target/<profile>/wbs-lsp` beside this test
/// executable, built (once per test process) with cargo for the same profile.
pub fn server_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("WBS_LSP_BIN") {
                return PathBuf::from(path);
            }
            let exe = std::env::current_exe().expect("the test executable's path");
            // target/<profile>/deps/<test> or target/<triple>/<profile>/deps/<test>
            let mut profile_dir = exe.parent().expect("deps dir").to_path_buf();
            if profile_dir.ends_with("deps") {
                profile_dir.pop();
            }
            let binary = profile_dir.join(format!("wbs-lsp{}", std::env::consts::EXE_SUFFIX));
            build_binary(&profile_dir);
            assert!(
                binary.is_file(),
                "no server binary at {} (set WBS_LSP_BIN to use another)",
                binary.display()
            );
            binary
        })
        .clone()
}

/// Whether the server under test is an optimized build: `WBS_LSP_E2E_OPTIMIZED` (`1` or
/// `0`) when set, else whether its path has a `release` folder or these tests are
/// optimized. Slow checks (the diagnostics of 50 MB) run only against optimized builds.
pub fn server_is_optimized() -> bool {
    match std::env::var("WBS_LSP_E2E_OPTIMIZED").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => {
            !cfg!(debug_assertions)
                || server_binary()
                    .components()
                    .any(|c| c.as_os_str() == "release")
        }
    }
}

fn build_binary(profile_dir: &Path) {
    let profile_name = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a profile folder name");
    let profile = match profile_name {
        "debug" => "dev",
        other => other,
    };
    let mut target_dir = profile_dir.parent().expect("a target dir").to_path_buf();
    let mut triple = None;
    if !target_dir.join("CACHEDIR.TAG").exists()
        && target_dir
            .parent()
            .is_some_and(|p| p.join("CACHEDIR.TAG").exists())
    {
        triple = target_dir
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string);
        target_dir.pop();
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = Command::new(cargo);
    command
        .current_dir(repo_root())
        .args(["build", "--quiet", "-p", "wbs-lsp", "--bin", "wbs-lsp"])
        .arg("--profile")
        .arg(profile)
        .arg("--target-dir")
        .arg(&target_dir);
    if let Some(triple) = triple {
        command.arg("--target").arg(triple);
    }
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(status.success(), "{command:?} failed: {status}");
}

/// Runs `wbs-lsp <args>` to completion in `cwd` (for the `check` command).
pub fn run_binary(args: &[&str], cwd: &Path) -> Output {
    Command::new(server_binary())
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("running wbs-lsp")
}

enum Event {
    Message(Value),
    /// The server's stdout ended or could not be read; why.
    Closed(String),
}

/// How a test client answers the server's requests.
type Responder = Box<dyn FnMut(&Value) -> Option<Value>>;

/// A running server and the client side of its connection.
pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    events: Receiver<Event>,
    /// Messages received and not yet taken by a wait, in arrival order.
    inbox: VecDeque<Value>,
    closed: Option<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    next_id: i64,
    /// Answers requests from the server: `Some(result)`, or `None` for a null result.
    responder: Option<Responder>,
    /// How long each wait lasts.
    pub timeout: Duration,
}

impl Client {
    /// Starts `wbs-lsp` (serving on stdio).
    pub fn spawn() -> Client {
        Client::spawn_args(&[])
    }

    pub fn spawn_args(args: &[&str]) -> Client {
        Client::spawn_with_env(args, &[])
    }

    /// Starts `wbs-lsp` with these arguments and extra environment variables.
    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)]) -> Client {
        let binary = server_binary();
        let mut child = Command::new(&binary)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || read_frames(BufReader::new(stdout), tx));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || collect_stderr(stderr_pipe, sink));
        Client {
            stdin: child.stdin.take(),
            child,
            events,
            inbox: VecDeque::new(),
            closed: None,
            stderr,
            next_id: 0,
            responder: None,
            timeout: timeout(),
        }
    }

    /// Answers the server's requests with `respond` (a `None` answer is a null result), as
    /// an editor answers `workspace/applyEdit` or `window/showMessageRequest`.
    pub fn set_responder(&mut self, respond: impl FnMut(&Value) -> Option<Value> + 'static) {
        self.responder = Some(Box::new(respond));
    }

    /// Sends `initialize` with these client capabilities (no workspace, no options) and then
    /// `initialized`; returns the `InitializeResult`.
    pub fn initialize(&mut self, capabilities: Value) -> Value {
        self.initialize_with(json!({ "capabilities": capabilities }))
    }

    /// Sends `initialize` with these params (`processId` and `rootUri` default to null) and
    /// then `initialized`; returns the `InitializeResult`.
    pub fn initialize_with(&mut self, params: Value) -> Value {
        let mut params = params;
        let object = params.as_object_mut().expect("initialize params object");
        object.entry("processId").or_insert(Value::Null);
        object.entry("rootUri").or_insert(Value::Null);
        object.entry("capabilities").or_insert(json!({}));
        let result = self.call("initialize", params);
        self.notify("initialized", json!({}));
        result
    }

    /// Sends a request and waits for its response; returns the whole response message.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for_response(&json!(id))
    }

    /// Sends a request and returns its result; panics on an error response.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        match response.get("error") {
            Some(error) => panic!("{method} failed: {error}"),
            None => response.get("result").cloned().unwrap_or(Value::Null),
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends one message as a frame.
    pub fn send(&mut self, message: &Value) {
        self.send_frame(message.to_string().as_bytes());
    }

    /// Sends `body` behind a correct `Content-Length` header.
    pub fn send_frame(&mut self, body: &[u8]) {
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(body);
        self.send_raw(&frame);
    }

    /// Writes bytes to the server's stdin as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        if let Err(e) = stdin.write_all(bytes).and_then(|()| stdin.flush()) {
            panic!(
                "writing to the server failed: {e}\nserver stderr:\n{}",
                self.stderr_text()
            );
        }
    }

    pub fn did_open(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {
                "uri": uri, "languageId": "markdown", "version": version, "text": text
            }}),
        );
    }

    /// Sends `didChange` with these content changes.
    pub fn did_change(&mut self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    /// The response to the request with this id (notifications that arrive first stay in
    /// the inbox).
    pub fn wait_for_response(&mut self, id: &Value) -> Value {
        let what = format!("the response to request {id}");
        self.wait_for(&what, |m| {
            m.get("method").is_none() && m.get("id") == Some(id)
        })
    }

    /// The first notification of this method that satisfies `accept`.
    pub fn wait_for_notification(
        &mut self,
        method: &str,
        accept: impl Fn(&Value) -> bool,
    ) -> Value {
        let what = format!("a {method} notification");
        self.wait_for(&what, |m| {
            m.get("id").is_none()
                && m.get("method").and_then(Value::as_str) == Some(method)
                && accept(&m["params"])
        })
    }

    /// The diagnostics of the `publishDiagnostics` for `uri` whose `version` is `version`.
    pub fn wait_for_diagnostics(&mut self, uri: &str, version: i32) -> Vec<Value> {
        self.wait_for_diagnostics_where(uri, version, |_| true)
    }

    /// Like [`Client::wait_for_diagnostics`], for the first such publication whose
    /// diagnostics satisfy `accept` (earlier ones for that version are taken and dropped).
    pub fn wait_for_diagnostics_where(
        &mut self,
        uri: &str,
        version: i32,
        accept: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let what = format!("textDocument/publishDiagnostics for {uri} at version {version}");
        let message = self.wait_for(&what, |m| {
            is_publish_for(m, uri)
                && m["params"]["version"] == json!(version)
                && accept(m["params"]["diagnostics"].as_array().map_or(&[], |v| v))
        });
        diagnostics_of(&message)
    }

    /// Takes from the inbox every `publishDiagnostics` for `uri` received so far.
    pub fn take_publications(&mut self, uri: &str) -> Vec<Value> {
        let (taken, kept): (VecDeque<Value>, VecDeque<Value>) = std::mem::take(&mut self.inbox)
            .into_iter()
            .partition(|m| is_publish_for(m, uri));
        self.inbox = kept;
        taken.into()
    }

    /// Messages received and not yet taken.
    pub fn inbox(&self) -> impl Iterator<Item = &Value> {
        self.inbox.iter()
    }

    /// Takes the first message (from the inbox, else as it arrives) that satisfies `accept`;
    /// panics after the timeout, listing what did arrive.
    pub fn wait_for(&mut self, what: &str, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.inbox.iter().position(&accept) {
            return self.inbox.remove(i).expect("an index in range");
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(why) = &self.closed {
                let why = why.clone();
                self.fail(&format!(
                    "waiting for {what}: the server's output ended ({why})"
                ));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Event::Message(message)) => {
                    self.answer_server_request(&message);
                    if accept(&message) {
                        return message;
                    }
                    self.inbox.push_back(message);
                }
                Ok(Event::Closed(why)) => self.closed = Some(why),
                Err(RecvTimeoutError::Timeout) => self.fail(&format!(
                    "timed out after {:?} waiting for {what}",
                    self.timeout
                )),
                Err(RecvTimeoutError::Disconnected) => {
                    self.closed.get_or_insert_with(|| "reader stopped".into());
                }
            }
        }
    }

    /// Requests from the server (`workspace/diagnostic/refresh`, …) get the responder's
    /// answer, else a null result.
    fn answer_server_request(&mut self, message: &Value) {
        if let (Some(id), Some(_)) = (message.get("id"), message.get("method")) {
            if self.stdin.is_some() {
                let result = self
                    .responder
                    .as_mut()
                    .and_then(|respond| respond(message))
                    .unwrap_or(Value::Null);
                let reply = json!({"jsonrpc": "2.0", "id": id, "result": result});
                self.send(&reply);
            }
        }
    }

    /// `shutdown`, then `exit`; returns the exit status.
    pub fn shutdown_and_exit(mut self) -> ExitStatus {
        let result = self.call("shutdown", Value::Null);
        assert_eq!(result, Value::Null, "shutdown result");
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    /// Waits for the process to exit (stdin stays open: the server must exit by itself).
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => self.fail(&format!(
                    "the server did not exit within {:?}",
                    self.timeout
                )),
                Err(e) => panic!("waiting for the server: {e}"),
            }
        }
    }

    /// Closes the server's stdin (end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the server wrote to stderr so far (the last 64 KiB).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr buffer")).into_owned()
    }

    fn fail(&mut self, problem: &str) -> ! {
        let process = match self.child.try_wait() {
            Ok(Some(status)) => format!("the server has exited: {status}"),
            Ok(None) => "the server is running".to_string(),
            Err(e) => format!("the server's state is unknown: {e}"),
        };
        let mut report = String::new();
        for message in &self.inbox {
            report.push_str("  ");
            report.push_str(&summary(message));
            report.push('\n');
        }
        if report.is_empty() {
            report.push_str("  (nothing)\n");
        }
        panic!(
            "{problem}\n{process}\nreceived and not taken:\n{report}server stderr:\n{}",
            self.stderr_text()
        );
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn is_publish_for(message: &Value, uri: &str) -> bool {
    message.get("id").is_none()
        && message["method"] == "textDocument/publishDiagnostics"
        && message["params"]["uri"] == uri
}

/// The `diagnostics` array of a `publishDiagnostics` notification.
pub fn diagnostics_of(message: &Value) -> Vec<Value> {
    message["params"]["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no diagnostics array in {}", summary(message)))
}

/// One line about a message, for failure reports (long texts cut).
pub fn summary(message: &Value) -> String {
    let text = message.to_string();
    const MAX: usize = 1500;
    if text.len() <= MAX {
        return text;
    }
    let mut cut = MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes)", &text[..cut], text.len())
}

fn read_frames(mut input: impl BufRead, tx: mpsc::Sender<Event>) {
    let event = loop {
        let mut length = None;
        let mut line = String::new();
        loop {
            line.clear();
            match input.read_line(&mut line) {
                Ok(0) => {
                    let _ = tx.send(Event::Closed("end of output".into()));
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Event::Closed(format!("reading a header: {e}")));
                    return;
                }
            }
            let header = line.trim_end_matches(['\r', '\n']);
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let Some(length) = length else {
            break Event::Closed(format!("a frame without Content-Length: {line:?}"));
        };
        let mut body = vec![0; length];
        if let Err(e) = input.read_exact(&mut body) {
            break Event::Closed(format!("reading a {length}-byte body: {e}"));
        }
        match serde_json::from_slice(&body) {
            Ok(message) => {
                if tx.send(Event::Message(message)).is_err() {
                    return;
                }
            }
            Err(e) => {
                break Event::Closed(format!(
                    "the server sent a body that is not JSON ({e}): {:?}",
                    String::from_utf8_lossy(&body[..body.len().min(500)])
                ))
            }
        }
    };
    let _ = tx.send(event);
}

fn collect_stderr(mut pipe: impl Read, sink: Arc<Mutex<Vec<u8>>>) {
    const KEEP: usize = 64 * 1024;
    let mut buffer = [0u8; 8192];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut kept = sink.lock().expect("stderr buffer");
                kept.extend_from_slice(&buffer[..n]);
                if kept.len() > KEEP {
                    let excess = kept.len() - KEEP;
                    kept.drain(..excess);
                }
            }
        }
    }
}

/// A diagnostic without the document URI in its related information, so diagnostics of
/// the same text under two URIs compare equal.
pub fn without_uris(diagnostics: &[Value]) -> Vec<Value> {
    diagnostics
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if let Some(related) = d
                .get_mut("relatedInformation")
                .and_then(Value::as_array_mut)
            {
                for r in related {
                    r["location"]["uri"] = json!("<uri>");
                }
            }
            d
        })
        .collect()
}

/// `(line, code, severity)` of each diagnostic, for quick comparisons in messages.
pub fn brief(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{}-{}:{} {} {}",
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["range"]["end"]["line"],
                d["range"]["end"]["character"],
                d["severity"],
                d["code"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// An LSP range.
pub fn range(start_line: u32, start_char: u32, end_line: u32, end_char: u32) -> Value {
    json!({
        "start": {"line": start_line, "character": start_char},
        "end": {"line": end_line, "character": end_char}
    })
}

/// Text with its positions in UTF-16 code units, as the client side of incremental sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextBuffer {
    pub text: String,
}

impl TextBuffer {
    pub fn new(text: &str) -> TextBuffer {
        TextBuffer {
            text: text.to_string(),
        }
    }

    /// Byte offsets of the starts of the lines (`\n`, `\r\n` and `\r` end a line).
    pub fn line_starts(&self) -> Vec<usize> {
        let bytes = self.text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        starts
    }

    /// The byte offset of a (line, UTF-16 column) position inside the text.
    pub fn offset(&self, line: u32, character: u32) -> usize {
        let starts = self.line_starts();
        let start = starts[line as usize];
        let mut units = 0;
        for (i, c) in self.text[start..].char_indices() {
            if units == character as usize {
                return start + i;
            }
            assert!(
                c != '\n' && c != '\r',
                "column {character} is past the end of line {line}"
            );
            units += c.len_utf16();
            assert!(
                units <= character as usize,
                "column {character} of line {line} is inside a character"
            );
        }
        assert_eq!(units, character as usize, "column past the end of the text");
        self.text.len()
    }

    /// The (line, UTF-16 column) of a byte offset at a character boundary.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset) - 1;
        let character: usize = self.text[starts[line]..offset]
            .chars()
            .map(char::len_utf16)
            .sum();
        (line as u32, character as u32)
    }

    /// Applies an edit given in UTF-16 positions; returns the LSP content change.
    pub fn edit(&mut self, start: (u32, u32), end: (u32, u32), new_text: &str) -> Value {
        let from = self.offset(start.0, start.1);
        let to = self.offset(end.0, end.1);
        assert!(from <= to, "an edit range must not be reversed");
        self.text.replace_range(from..to, new_text);
        json!({"range": range(start.0, start.1, end.0, end.1), "text": new_text})
    }
}

/// One expected diagnostic: code, severity, range, and words its message must contain
/// (message wording is not part of the contract; the node and the offending ID are).
pub struct Expected<'a> {
    pub code: &'a str,
    pub severity: i64,
    pub range: Value,
    pub message_has: &'a [&'a str],
}

/// The start of a diagnostic's range and its code: the order diagnostics are compared in.
fn sort_key(d: &Value) -> (u64, u64, String) {
    (
        d["range"]["start"]["line"].as_u64().unwrap_or(u64::MAX),
        d["range"]["start"]["character"]
            .as_u64()
            .unwrap_or(u64::MAX),
        d["code"].as_str().unwrap_or("").to_string(),
    )
}

/// Diagnostics sorted by position then code (LSP gives their order no meaning).
pub fn sorted(diagnostics: &[Value]) -> Vec<Value> {
    let mut list = diagnostics.to_vec();
    list.sort_by_key(sort_key);
    list
}

/// Asserts that `actual` holds exactly the `expected` diagnostics (in any order), each with
/// `source` "wbs-lsp"; related information is checked separately.
pub fn assert_diagnostics(actual: &[Value], expected: &[Expected<'_>]) {
    let actual = sorted(actual);
    let mut want: Vec<&Expected<'_>> = expected.iter().collect();
    want.sort_by_key(|e| {
        (
            e.range["start"]["line"].as_u64().unwrap_or(0),
            e.range["start"]["character"].as_u64().unwrap_or(0),
            e.code.to_string(),
        )
    });
    let shown_want: Vec<String> = want
        .iter()
        .map(|e| format!("{} {} {}", e.range, e.severity, e.code))
        .collect();
    assert_eq!(
        actual.len(),
        want.len(),
        "got {:#?}\nwanted {shown_want:#?}\nfull: {}",
        brief(&actual),
        Value::Array(actual.clone())
    );
    for (d, e) in actual.iter().zip(want) {
        let context = format!("in {d}\nwanted {} {} {}", e.range, e.severity, e.code);
        assert_eq!(d["code"], e.code, "{context}");
        assert_eq!(d["severity"], e.severity, "{context}");
        assert_eq!(d["source"], "wbs-lsp", "{context}");
        assert_eq!(d["range"], e.range, "{context}");
        let message = d["message"].as_str().unwrap_or_else(|| panic!("{context}"));
        for part in e.message_has {
            assert!(message.contains(part), "message lacks {part:?}: {context}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_buffer_positions_are_utf16() {
        let mut text = TextBuffer::new("a – 😀 b\r\nx\ny");
        assert_eq!(text.line_starts(), [0, 14, 16]);
        // `a – ` is 4 UTF-16 units and 6 bytes; the emoji is 2 units and 4 bytes.
        assert_eq!(text.offset(0, 4), 6);
        assert_eq!(text.offset(0, 7), 11);
        assert_eq!(text.position(11), (0, 7));
        assert_eq!(text.offset(1, 1), 15);
        assert_eq!(text.offset(2, 1), text.text.len());
        let change = text.edit((0, 4), (1, 0), "Z");
        assert_eq!(text.text, "a – Zx\ny");
        assert_eq!(change["range"], range(0, 4, 1, 0));
        assert_eq!(change["text"], "Z");
    }

    #[test]
    #[should_panic(expected = "inside a character")]
    fn text_buffer_refuses_half_a_surrogate_pair() {
        TextBuffer::new("😀").offset(0, 1);
    }
}
