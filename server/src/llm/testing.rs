//! A scripted LLM endpoint on 127.0.0.1 for tests: speaks OpenAI chat completions and
//! Anthropic Messages, plain and streamed, with faults.
//!
//! [`FakeLlm`] is a small HTTP/1.1 server (one request per connection, `Connection:
//! close`) that answers every request with the next [`Reply`] of its script; the last
//! reply repeats. It records each request ([`RecordedRequest`]: method, path, headers
//! with lowercased names, JSON body) and counts the connections open, so a test can prove
//! that cancelling a completion closed its connection. It never touches the internet.
//!
//! The wire formats are the real ones: an OpenAI reply is streamed as
//! `chat.completion.chunk` SSE events ending in `data: [DONE]` when the request body has
//! `"stream": true`, else one `chat.completion` JSON; an Anthropic reply is streamed as
//! `message_start`, `content_block_start`, `ping`, `content_block_delta`…,
//! `content_block_stop`, `message_delta`, `message_stop` events (with `input_json_delta`s
//! of a `tool_use` block when the request has `tools`; then the text must be the tool's
//! JSON input), else one `message` JSON. Streams use `Transfer-Encoding: chunked`, one
//! HTTP chunk per event, [`FakeLlm::set_chunk`] characters of text per delta.
//!
//! In an async test (`#[tokio::test]`):
//!
//! ```no_run
//! # async fn example() {
//! use wbs_lsp::llm::testing::{FakeLlm, Reply};
//! let fake = FakeLlm::start(vec![Reply::openai(r#"{"tasks":[{"title":"Write it"}]}"#)]).await;
//! let settings = fake.openai_settings(); // provider openai, base_url = fake.openai_base_url()
//! // … run the code under test with `settings` …
//! assert_eq!(fake.requests()[0].path, "/v1/chat/completions");
//! # }
//! ```
//!
//! In a synchronous test (no tokio runtime: the end-to-end tests that spawn the server
//! binary), [`FakeLlm::start_blocking`] runs the server on its own thread and runtime;
//! dropping the `FakeLlm` stops it:
//!
//! ```no_run
//! use wbs_lsp::llm::testing::{FakeLlm, Reply};
//! let fake = FakeLlm::start_blocking(vec![Reply::openai(r#"{"tasks":[{"title":"Write it"}]}"#)]);
//! let toml = format!(
//!     "[llm]\nprovider = \"openai\"\nbase_url = \"{}\"\nmodel = \"fake-model\"\n",
//!     fake.openai_base_url()
//! );
//! // … write `toml` to .wbs-lsp.toml in a temporary workspace, drive the server …
//! assert_eq!(fake.requests().len(), 1);
//! ```
//!
//! The base URL of the OpenAI provider is `fake.url() + "/v1"` ([`FakeLlm::openai_base_url`]);
//! that of the Anthropic provider is `fake.url()`. The fake answers any path; [`Reply::Stall`]
//! and [`Reply::StreamError`] use the Anthropic format when the path ends in `/messages`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::settings::{LlmSettings, ProviderKind};

/// One scripted answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// An OpenAI chat-completions answer whose content is `text`, streamed (if the request
    /// asked `stream: true`) in deltas of [`FakeLlm::set_chunk`] characters, or as one JSON
    /// body otherwise.
    OpenAi { text: String },
    /// The Anthropic Messages equivalent: a text block, or a `tool_use` block when the
    /// request had `tools` (then `text` must be the JSON input).
    Anthropic { text: String },
    /// An error status with this body (JSON content type when it parses as JSON) and
    /// optionally a `Retry-After: secs` header.
    Status {
        status: u16,
        body: String,
        retry_after: Option<u64>,
    },
    /// Sends the headers and the start of a stream (with `text_before` as content), then
    /// stalls until the client closes the connection: for timeouts and cancellation.
    Stall { text_before: String },
    /// `307 Temporary Redirect` to `location`.
    Redirect { location: String },
    /// `200 OK`, `text/html`, this body.
    Garbage { body: String },
    /// Closes the connection without answering (the client sees a dropped connection).
    Hangup,
    /// A `200 OK` stream that reports an error: an Anthropic `event: error` with
    /// `{"type": "error", "error": {"type": kind, "message": message}}` (for example
    /// `kind = "overloaded_error"`), or an OpenAI `data: {"error": {…}}`.
    StreamError { kind: String, message: String },
}

impl Reply {
    pub fn openai(text: impl Into<String>) -> Reply {
        Reply::OpenAi { text: text.into() }
    }

    pub fn anthropic(text: impl Into<String>) -> Reply {
        Reply::Anthropic { text: text.into() }
    }

    /// An error status without `Retry-After`.
    pub fn status(status: u16, body: impl Into<String>) -> Reply {
        Reply::Status {
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    pub fn stall(text_before: impl Into<String>) -> Reply {
        Reply::Stall {
            text_before: text_before.into(),
        }
    }
}

/// A request the fake received.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as JSON, or as a JSON string holding the raw text when it is not JSON.
    pub body: Value,
}

impl RecordedRequest {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}

struct Shared {
    replies: Mutex<Vec<Reply>>,
    served: AtomicUsize,
    requests: Mutex<Vec<RecordedRequest>>,
    open: AtomicUsize,
    /// Whether a request asking `stream: true` gets a stream (else one JSON body).
    streams: std::sync::atomic::AtomicBool,
    /// Characters per delta, and the pause between deltas.
    pace: Mutex<(usize, Duration)>,
}

impl Shared {
    fn next_reply(&self) -> Reply {
        let index = self.served.fetch_add(1, Ordering::SeqCst);
        let replies = self.replies.lock().unwrap_or_else(|e| e.into_inner());
        match replies.get(index).or(replies.last()) {
            Some(reply) => reply.clone(),
            None => Reply::status(500, "the FakeLlm has no scripted reply"),
        }
    }

    fn pace(&self) -> (usize, Duration) {
        *self.pace.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counts a connection open while it lives.
struct OpenGuard(Arc<Shared>);

impl OpenGuard {
    fn new(shared: Arc<Shared>) -> OpenGuard {
        shared.open.fetch_add(1, Ordering::SeqCst);
        OpenGuard(shared)
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The scripted endpoint. Dropping it stops the server and closes its connections.
pub struct FakeLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FakeLlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeLlm").field("url", &self.url()).finish()
    }
}

impl FakeLlm {
    fn shared(replies: Vec<Reply>) -> Arc<Shared> {
        Arc::new(Shared {
            replies: Mutex::new(replies),
            served: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            open: AtomicUsize::new(0),
            streams: std::sync::atomic::AtomicBool::new(true),
            pace: Mutex::new((16, Duration::ZERO)),
        })
    }

    /// Starts the server on the current tokio runtime. `replies` are served in order; the
    /// last one repeats.
    pub async fn start(replies: Vec<Reply>) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("FakeLlm: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("FakeLlm: local address");
        let shared = Self::shared(replies);
        let (shutdown, stop) = watch::channel(false);
        tokio::spawn(serve(listener, shared.clone(), stop));
        FakeLlm {
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: None,
        }
    }

    /// Starts the server on a thread of its own with its own runtime: for synchronous
    /// tests (and works inside a runtime too). Returns once it listens.
    pub fn start_blocking(replies: Vec<Reply>) -> FakeLlm {
        let shared = Self::shared(replies);
        let (shutdown, stop) = watch::channel(false);
        let (bound, address) = std::sync::mpsc::channel();
        let server = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fake-llm".to_string())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("FakeLlm: a tokio runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("FakeLlm: bind 127.0.0.1:0");
                    let _ = bound.send(listener.local_addr().expect("FakeLlm: local address"));
                    serve(listener, server, stop).await;
                });
            })
            .expect("FakeLlm: spawn its thread");
        let addr = address.recv().expect("FakeLlm: the server thread started");
        FakeLlm {
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OpenAI provider's base URL: [`FakeLlm::url`] + `/v1`.
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// Settings for the OpenAI provider against this fake (model `fake-model`, 5 s timeout).
    pub fn openai_settings(&self) -> LlmSettings {
        LlmSettings {
            provider: Some(ProviderKind::Openai),
            base_url: Some(self.openai_base_url()),
            model: Some("fake-model".to_string()),
            timeout_secs: Some(5),
            ..LlmSettings::default()
        }
    }

    /// Settings for the Anthropic provider against this fake (model `fake-model`, 5 s
    /// timeout; the key is read from `ANTHROPIC_API_KEY` unless `api_key_env` is set).
    pub fn anthropic_settings(&self) -> LlmSettings {
        LlmSettings {
            provider: Some(ProviderKind::Anthropic),
            base_url: Some(self.url()),
            model: Some("fake-model".to_string()),
            timeout_secs: Some(5),
            ..LlmSettings::default()
        }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }

    /// The streaming pace: `chars` characters per delta, `delay` between deltas (default:
    /// 16 characters, no delay).
    pub fn set_chunk(&self, chars: usize, delay: Duration) {
        *self.shared.pace.lock().unwrap_or_else(|e| e.into_inner()) = (chars.max(1), delay);
    }

    /// Whether requests asking to stream get a stream (default `true`); `false` makes the
    /// fake answer one JSON body anyway, like servers that ignore `stream`.
    pub fn set_stream(&self, streams: bool) {
        self.shared.streams.store(streams, Ordering::SeqCst);
    }

    /// Replaces the script; the next request gets the first of `replies`.
    pub fn set_replies(&self, replies: Vec<Reply>) {
        *self
            .shared
            .replies
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = replies;
        self.shared.served.store(0, Ordering::SeqCst);
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let stops = stop.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let guard = OpenGuard::new(shared.clone());
                let mut stop = stops.clone();
                tokio::spawn(async move {
                    let guard = guard;
                    tokio::select! {
                        _ = connection(stream, &guard.0) => {}
                        _ = stop.wait_for(|stopped| *stopped) => {}
                    }
                });
            }
            _ = stop.wait_for(|stopped| *stopped) => break,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Reads one request; `None` when the client closed first.
async fn read_request(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buffer.len() > 1 << 20 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split_whitespace();
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let raw = &buffer[head_end..head_end + length];
    let body = serde_json::from_slice(raw)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()));
    Some(RecordedRequest {
        method,
        path,
        headers,
        body,
    })
}

async fn connection(mut stream: TcpStream, shared: &Shared) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(request.clone());
    let reply = shared.next_reply();
    if answer(&mut stream, &request, reply, shared).await.is_ok() {
        let _ = stream.shutdown().await;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

async fn write_whole(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

/// A chunked `text/event-stream` answer, one HTTP chunk per event.
struct EventStream<'a> {
    stream: &'a mut TcpStream,
}

impl<'a> EventStream<'a> {
    async fn open(stream: &'a mut TcpStream) -> std::io::Result<EventStream<'a>> {
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
                  Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            )
            .await?;
        stream.flush().await?;
        Ok(EventStream { stream })
    }

    async fn send(&mut self, event: Option<&str>, data: &Value) -> std::io::Result<()> {
        let mut text = String::new();
        if let Some(event) = event {
            text.push_str(&format!("event: {event}\n"));
        }
        text.push_str(&format!("data: {data}\n\n"));
        self.raw(&text).await
    }

    async fn raw(&mut self, text: &str) -> std::io::Result<()> {
        let chunk = format!("{:x}\r\n{text}\r\n", text.len());
        self.stream.write_all(chunk.as_bytes()).await?;
        self.stream.flush().await
    }

    async fn end(self) -> std::io::Result<()> {
        self.stream.write_all(b"0\r\n\r\n").await?;
        self.stream.flush().await
    }

    /// Waits until the client closes the connection.
    async fn stall(self) {
        let mut buffer = [0u8; 1024];
        while let Ok(n) = self.stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
        }
    }
}

fn pieces(text: &str, chars: usize) -> Vec<String> {
    let all: Vec<char> = text.chars().collect();
    all.chunks(chars.max(1))
        .map(|piece| piece.iter().collect())
        .collect()
}

fn model_of(request: &RecordedRequest) -> Value {
    request
        .body
        .get("model")
        .cloned()
        .unwrap_or_else(|| json!("fake-model"))
}

fn openai_chunk(request: &RecordedRequest, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model_of(request),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })
}

/// Anthropic tool mode: the name of the request's first tool.
fn tool_of(request: &RecordedRequest) -> Option<String> {
    request
        .body
        .get("tools")?
        .get(0)?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

fn anthropic_start(request: &RecordedRequest) -> Value {
    json!({
        "type": "message_start",
        "message": {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model_of(request),
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": {"input_tokens": 10, "output_tokens": 1},
        },
    })
}

fn anthropic_block_start(tool: &Option<String>) -> Value {
    match tool {
        Some(name) => json!({
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_fake", "name": name, "input": {}},
        }),
        None => json!({
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        }),
    }
}

fn anthropic_delta(tool: &Option<String>, piece: &str) -> Value {
    let delta = match tool {
        Some(_) => json!({"type": "input_json_delta", "partial_json": piece}),
        None => json!({"type": "text_delta", "text": piece}),
    };
    json!({"type": "content_block_delta", "index": 0, "delta": delta})
}

async fn answer(
    stream: &mut TcpStream,
    request: &RecordedRequest,
    reply: Reply,
    shared: &Shared,
) -> std::io::Result<()> {
    let streamed = request.body.get("stream") == Some(&Value::Bool(true))
        && shared.streams.load(Ordering::SeqCst);
    let anthropic_path = request.path.trim_end_matches('/').ends_with("/messages");
    let (chars, delay) = shared.pace();
    let pause = || async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    };
    match reply {
        Reply::OpenAi { text } if streamed => {
            let mut events = EventStream::open(stream).await?;
            let first = json!({"role": "assistant", "content": ""});
            events
                .send(None, &openai_chunk(request, first, None))
                .await?;
            for piece in pieces(&text, chars) {
                pause().await;
                let delta = json!({"content": piece});
                events
                    .send(None, &openai_chunk(request, delta, None))
                    .await?;
            }
            let last = openai_chunk(request, json!({}), Some("stop"));
            events.send(None, &last).await?;
            events.raw("data: [DONE]\n\n").await?;
            events.end().await
        }
        Reply::OpenAi { text } => {
            let body = json!({
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": model_of(request),
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            });
            write_whole(
                stream,
                200,
                "application/json",
                &[],
                body.to_string().as_bytes(),
            )
            .await
        }
        Reply::Anthropic { text } if streamed => {
            let tool = tool_of(request);
            let mut events = EventStream::open(stream).await?;
            events
                .send(Some("message_start"), &anthropic_start(request))
                .await?;
            events
                .send(Some("content_block_start"), &anthropic_block_start(&tool))
                .await?;
            events.send(Some("ping"), &json!({"type": "ping"})).await?;
            for piece in pieces(&text, chars) {
                pause().await;
                events
                    .send(Some("content_block_delta"), &anthropic_delta(&tool, &piece))
                    .await?;
            }
            events
                .send(
                    Some("content_block_stop"),
                    &json!({"type": "content_block_stop", "index": 0}),
                )
                .await?;
            let stop = if tool.is_some() {
                "tool_use"
            } else {
                "end_turn"
            };
            let delta = json!({
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": null},
                "usage": {"output_tokens": 10},
            });
            events.send(Some("message_delta"), &delta).await?;
            events
                .send(Some("message_stop"), &json!({"type": "message_stop"}))
                .await?;
            events.end().await
        }
        Reply::Anthropic { text } => {
            let tool = tool_of(request);
            let content = match &tool {
                Some(name) => json!([{
                    "type": "tool_use",
                    "id": "toolu_fake",
                    "name": name,
                    "input": serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text.clone())),
                }]),
                None => json!([{"type": "text", "text": text}]),
            };
            let body = json!({
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model_of(request),
                "content": content,
                "stop_reason": if tool.is_some() { "tool_use" } else { "end_turn" },
                "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 10},
            });
            write_whole(
                stream,
                200,
                "application/json",
                &[],
                body.to_string().as_bytes(),
            )
            .await
        }
        Reply::Status {
            status,
            body,
            retry_after,
        } => {
            let content_type = if serde_json::from_str::<Value>(&body).is_ok() {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            let extra: Vec<(&str, String)> = retry_after
                .map(|secs| ("Retry-After", secs.to_string()))
                .into_iter()
                .collect();
            write_whole(stream, status, content_type, &extra, body.as_bytes()).await
        }
        Reply::Stall { text_before } => {
            let mut events = EventStream::open(stream).await?;
            if anthropic_path {
                let tool = tool_of(request);
                events
                    .send(Some("message_start"), &anthropic_start(request))
                    .await?;
                events
                    .send(Some("content_block_start"), &anthropic_block_start(&tool))
                    .await?;
                if !text_before.is_empty() {
                    events
                        .send(
                            Some("content_block_delta"),
                            &anthropic_delta(&tool, &text_before),
                        )
                        .await?;
                }
            } else {
                let first = json!({"role": "assistant", "content": ""});
                events
                    .send(None, &openai_chunk(request, first, None))
                    .await?;
                if !text_before.is_empty() {
                    let delta = json!({"content": text_before});
                    events
                        .send(None, &openai_chunk(request, delta, None))
                        .await?;
                }
            }
            events.stall().await;
            Ok(())
        }
        Reply::Redirect { location } => {
            write_whole(
                stream,
                307,
                "text/plain; charset=utf-8",
                &[("Location", location)],
                b"",
            )
            .await
        }
        Reply::Garbage { body } => {
            write_whole(
                stream,
                200,
                "text/html; charset=utf-8",
                &[],
                body.as_bytes(),
            )
            .await
        }
        Reply::Hangup => Ok(()),
        Reply::StreamError { kind, message } => {
            let mut events = EventStream::open(stream).await?;
            if anthropic_path {
                events
                    .send(Some("message_start"), &anthropic_start(request))
                    .await?;
                let error = json!({"type": "error", "error": {"type": kind, "message": message}});
                events.send(Some("error"), &error).await?;
            } else {
                let error = json!({"error": {"message": message, "type": kind, "code": null}});
                events.send(None, &error).await?;
            }
            events.end().await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw HTTP/1.1 exchange with the fake, without reqwest.
    async fn raw_post(url: &str, path: &str, body: &str) -> String {
        let addr = url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Test: Yes\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        String::from_utf8(answer).unwrap()
    }

    #[tokio::test]
    async fn serves_replies_in_order_and_repeats_the_last() {
        let fake = FakeLlm::start(vec![
            Reply::status(500, "first"),
            Reply::status(404, "second"),
        ])
        .await;
        let body = r#"{"model":"m"}"#;
        assert!(raw_post(&fake.url(), "/v1/chat/completions", body)
            .await
            .starts_with("HTTP/1.1 500"));
        assert!(raw_post(&fake.url(), "/v1/chat/completions", body)
            .await
            .starts_with("HTTP/1.1 404"));
        assert!(raw_post(&fake.url(), "/x", "not json")
            .await
            .starts_with("HTTP/1.1 404"));
        let requests = fake.requests();
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].method, "POST");
        assert_eq!(requests[0].path, "/v1/chat/completions");
        assert_eq!(requests[0].header("x-test"), Some("Yes"));
        assert_eq!(requests[0].header("X-TEST"), Some("Yes"));
        assert_eq!(requests[0].body, json!({"model": "m"}));
        assert_eq!(requests[2].body, json!("not json"));
        fake.set_replies(vec![Reply::status(401, "")]);
        assert!(raw_post(&fake.url(), "/", "")
            .await
            .starts_with("HTTP/1.1 401"));
    }

    #[tokio::test]
    async fn openai_stream_is_chunked_sse_ending_in_done() {
        let fake = FakeLlm::start(vec![Reply::openai("hello world")]).await;
        fake.set_chunk(5, Duration::ZERO);
        let answer = raw_post(&fake.url(), "/v1/chat/completions", r#"{"stream":true}"#).await;
        assert!(answer.contains("Transfer-Encoding: chunked"), "{answer}");
        assert!(answer.contains("text/event-stream"), "{answer}");
        assert!(
            answer.contains(r#""delta":{"content":"hello"}"#),
            "{answer}"
        );
        assert!(
            answer.contains(r#""delta":{"content":" worl"}"#),
            "{answer}"
        );
        assert!(answer.contains(r#""finish_reason":"stop""#), "{answer}");
        assert!(answer.contains("data: [DONE]\n\n"), "{answer}");
        assert!(answer.ends_with("0\r\n\r\n"), "{answer}");
    }

    #[test]
    fn start_blocking_works_without_a_runtime_and_stops_on_drop() {
        let fake = FakeLlm::start_blocking(vec![Reply::openai("hi")]);
        let addr = fake.url().trim_start_matches("http://").to_string();
        {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            let body = r#"{"model":"m"}"#;
            write!(
                stream,
                "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            assert!(answer.contains(r#""content":"hi""#), "{answer}");
            assert!(answer.contains(r#""object":"chat.completion""#), "{answer}");
        }
        assert_eq!(fake.requests().len(), 1);
        drop(fake);
        assert!(std::net::TcpStream::connect(&addr).is_err());
    }
}
