//! Providers: one long-lived HTTP client, explicit timeouts, streaming for progress.
//!
//! - **openai**: `POST {base_url}/chat/completions`, streamed (`stream: true`, SSE
//!   `data:` lines up to `data: [DONE]`); a plain JSON answer is accepted too. With a
//!   schema, `response_format` asks for JSON of the schema; a server that rejects it
//!   (HTTP 400 naming `response_format` or `json_schema`) is asked once more without it.
//! - **anthropic**: `POST {base_url}/v1/messages`, streamed; with a schema, the answer is
//!   the input of a forced `record_tasks` tool call.
//! - **command**: a program reading `system + "\n\n" + user` on stdin and writing the
//!   answer on stdout.
//!
//! Timeouts: `timeout_secs` bounds the wait for the answer's headers, for a plain body,
//! and every gap between two chunks of a stream (a stream that keeps flowing is not cut);
//! for the command provider it bounds the whole run. Redirects are never followed, so a
//! key never reaches another host. 429 and 5xx answers and connections dropped mid-way
//! are retried `max_retries` times (honouring `Retry-After` in seconds, else waiting 1 s,
//! 2 s, 4 s…, at most 30 s each). Dropping the future of [`Llm::complete`] drops the
//! response (which closes its connection) or kills the command.

use std::fmt;
use std::process::Stdio;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{sleep, timeout};

use super::settings::{CommandLine, LlmSettings, ProviderKind};
use super::sse::{SseEvent, SseParser};

/// The `anthropic-version` header sent.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Anthropic's `max_tokens`.
pub const ANTHROPIC_MAX_TOKENS: u32 = 8192;
/// The environment variable read for Anthropic when `api_key_env` is not set.
pub const ANTHROPIC_KEY_ENV: &str = "ANTHROPIC_API_KEY";
/// The tool whose input is the structured answer (Anthropic).
pub const TOOL_NAME: &str = "record_tasks";
/// How much of an error body a message quotes.
const BODY_LIMIT: usize = 300;
/// The longest wait between two retries.
const MAX_WAIT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What is sent: a system text, the user's text, and when the caller wants structured
/// output, the JSON schema the answer must follow.
#[derive(Clone, Debug, Default)]
pub struct Prompt {
    pub system: String,
    pub user: String,
    pub schema: Option<Value>,
}

/// Progress of one completion, for `$/progress` and the command line's status line.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The request was sent to this endpoint (or command).
    Sent { endpoint: String },
    /// Text arrived; `chars` is the total so far.
    Received { chars: usize },
    /// The endpoint asked to wait (429) or failed transiently; retrying after `after`.
    Retrying { after: Duration, reason: String },
}

/// Errors a user must understand. Messages name URLs, environment variable names and
/// settings, never a key's value.
#[derive(Clone, Debug, PartialEq)]
pub enum LlmError {
    /// No model configured.
    NoModel,
    /// A setting is missing or wrong (for example no `command` for the command provider).
    Settings(String),
    /// Nothing listens at the URL.
    Connect {
        url: String,
        detail: String,
    },
    /// 401 / 403.
    Unauthorized {
        status: u16,
        url: String,
        key_env: Option<String>,
    },
    /// 429 after the retries.
    RateLimited {
        url: String,
        retries: u32,
    },
    /// Another HTTP error status (5xx after the retries, 4xx).
    Status {
        status: u16,
        url: String,
        body: String,
    },
    /// No answer within the timeout.
    Timeout {
        url: String,
        secs: u64,
    },
    /// The endpoint redirected; keys are never sent on to another host.
    Redirect {
        url: String,
        location: String,
    },
    /// The answer is not valid JSON or not the schema; `raw` is the answer (no secrets).
    BadAnswer {
        detail: String,
        raw: String,
    },
    /// The command provider failed.
    Command {
        command: String,
        detail: String,
    },
    Cancelled,
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::NoModel => write!(
                f,
                "no model configured: set `model` in the [llm] table of .wbs-lsp.toml \
                 (for example `model = \"llama3.1\"` for Ollama) or `llm.model` in the \
                 editor's wbs-lsp settings"
            ),
            LlmError::Settings(message) => f.write_str(message),
            LlmError::Connect { url, detail } => write!(
                f,
                "cannot reach the LLM endpoint at {url} ({detail}): start the server there \
                 (for Ollama: `ollama serve`) or set llm.base_url"
            ),
            LlmError::Unauthorized {
                status,
                url,
                key_env: Some(name),
            } => write!(
                f,
                "the LLM endpoint at {url} refused the API key (HTTP {status}): check the key \
                 in the environment variable {name}"
            ),
            LlmError::Unauthorized {
                status,
                url,
                key_env: None,
            } => write!(
                f,
                "the LLM endpoint at {url} refused the request (HTTP {status}): set \
                 llm.api_key_env to the name of the environment variable holding your API key"
            ),
            LlmError::RateLimited { url, retries } => write!(
                f,
                "the LLM endpoint at {url} is rate limiting (HTTP 429) and still was after \
                 {retries} {}; try again later",
                if *retries == 1 { "retry" } else { "retries" }
            ),
            LlmError::Status { status, url, body } => {
                write!(f, "the LLM endpoint at {url} answered HTTP {status}")?;
                if body.trim().is_empty() {
                    Ok(())
                } else {
                    write!(f, ": {}", body.trim())
                }
            }
            LlmError::Timeout { url, secs } => write!(
                f,
                "no answer from {url} within {secs} s; raise llm.timeout_secs or use a faster \
                 model"
            ),
            LlmError::Redirect { url, location } => write!(
                f,
                "the LLM endpoint at {url} redirects to {location}; redirects are not followed \
                 so that the API key stays with the configured host: set llm.base_url to the \
                 final address if you trust it"
            ),
            LlmError::BadAnswer { detail, .. } => {
                write!(f, "the model's answer is not a task list: {detail}")
            }
            LlmError::Command { command, detail } => {
                write!(f, "the LLM command `{command}` failed: {detail}")
            }
            LlmError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for LlmError {}

/// A configured provider over a shared HTTP client.
#[derive(Clone)]
pub struct Llm {
    pub settings: LlmSettings,
    client: reqwest::Client,
    /// The API key's value: never printed, scrubbed from quoted bodies.
    key: Option<String>,
    /// The variable the key comes from (named in messages).
    key_env: Option<String>,
    /// `settings.headers`, checked.
    headers: HeaderMap,
}

impl fmt::Debug for Llm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut settings = self.settings.clone();
        if let Some(headers) = settings.headers.as_mut() {
            headers
                .values_mut()
                .for_each(|value| *value = "[redacted]".to_string());
        }
        f.debug_struct("Llm")
            .field("settings", &settings)
            .field("api_key", &self.key.as_ref().map(|_| "[redacted]"))
            .field("key_env", &self.key_env)
            .finish_non_exhaustive()
    }
}

/// How one attempt failed.
enum Failure {
    /// Give up with this error.
    Fatal(LlmError),
    /// Retry (after `wait`, or the backoff) while retries remain; else this error.
    Transient {
        error: LlmError,
        wait: Option<Duration>,
        reason: String,
    },
    /// HTTP 400 about `response_format`: ask again without it.
    SchemaRejected(LlmError),
}

impl Failure {
    fn into_error(self) -> LlmError {
        match self {
            Failure::Fatal(error)
            | Failure::Transient { error, .. }
            | Failure::SchemaRejected(error) => error,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wire {
    OpenAi,
    Anthropic,
}

/// The innermost cause of an error: "Connection refused (os error 111)" rather than
/// "error sending request for url …".
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Seconds from a `Retry-After` header (the HTTP-date form is not honoured).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// The message of a JSON error body (`{"error": {"message": …}}`, `{"error": "…"}`,
/// `{"message": …}`), else the body.
fn error_message(body: &str) -> String {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return body.to_string();
    };
    let message = value
        .pointer("/error/message")
        .or_else(|| value.get("error").filter(|e| e.is_string()))
        .or_else(|| value.get("message"))
        .and_then(Value::as_str);
    match message {
        Some(message) if !message.trim().is_empty() => message.to_string(),
        _ => body.to_string(),
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(5))
}

fn counted_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

impl Llm {
    /// The HTTP client every provider shares: build it once per process. Connect timeout
    /// 10 s, redirects never followed.
    pub fn http_client() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wbs-lsp/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    }

    /// The environment variable whose key goes with each request, when a key is sent.
    pub fn sends_key_from(&self) -> Option<&str> {
        self.key.as_ref().and(self.key_env.as_deref())
    }

    /// Checks the settings (a model is named, a command is given, …); reads the API key
    /// from the named environment variable through `env`.
    pub fn new(
        client: reqwest::Client,
        settings: &LlmSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Llm, LlmError> {
        let provider = settings.provider();
        let named_env = settings
            .api_key_env
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty());
        let (key, key_env) = match provider {
            ProviderKind::Openai | ProviderKind::Anthropic => {
                if settings
                    .model
                    .as_deref()
                    .is_none_or(|m| m.trim().is_empty())
                {
                    return Err(LlmError::NoModel);
                }
                let base_url = settings.base_url();
                if let Err(error) = reqwest::Url::parse(&base_url) {
                    return Err(LlmError::Settings(format!(
                        "llm.base_url `{base_url}` is not a URL ({error})"
                    )));
                }
                let key_of = |name: &str| env(name).filter(|value| !value.trim().is_empty());
                match (named_env, provider) {
                    (Some(name), _) => match key_of(name) {
                        Some(key) => (Some(key.trim().to_string()), Some(name.to_string())),
                        None => {
                            return Err(LlmError::Settings(format!(
                            "the environment variable {name} named by llm.api_key_env is not set"
                        )))
                        }
                    },
                    (None, ProviderKind::Anthropic) => (
                        key_of(ANTHROPIC_KEY_ENV).map(|key| key.trim().to_string()),
                        Some(ANTHROPIC_KEY_ENV.to_string()),
                    ),
                    (None, _) => (None, None),
                }
            }
            ProviderKind::Command => {
                let empty = match &settings.command {
                    None => true,
                    Some(CommandLine::Shell(line)) => line.trim().is_empty(),
                    Some(CommandLine::Argv(argv)) => argv.first().is_none_or(|p| p.is_empty()),
                };
                if empty {
                    return Err(LlmError::Settings(
                        "the command provider needs `command` in the [llm] table of \
                         .wbs-lsp.toml: a program and its arguments (`command = [\"llm\", \"-m\", \
                         \"llama3.1\"]`) or a shell command line"
                            .to_string(),
                    ));
                }
                (None, None)
            }
        };
        let mut headers = HeaderMap::new();
        for (name, value) in settings.headers.iter().flatten() {
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                LlmError::Settings(format!("llm.headers: `{name}` is not a valid header name"))
            })?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                LlmError::Settings(format!(
                    "llm.headers: the value of `{name}` is not a valid header value"
                ))
            })?;
            value.set_sensitive(true);
            headers.insert(header, value);
        }
        Ok(Llm {
            settings: settings.clone(),
            client,
            key,
            key_env,
            headers,
        })
    }

    /// One completion: the answer's whole text. Streams when the provider can, calling
    /// `progress` as text arrives. Dropping the future aborts the request.
    pub async fn complete(
        &self,
        prompt: &Prompt,
        progress: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, LlmError> {
        match self.settings.provider() {
            ProviderKind::Openai => self.openai(prompt, progress).await,
            ProviderKind::Anthropic => self.anthropic(prompt, progress).await,
            ProviderKind::Command => self.command(prompt, progress).await,
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.timeout_secs().max(1))
    }

    fn model(&self) -> &str {
        self.settings.model.as_deref().unwrap_or_default().trim()
    }

    /// `text` with the key replaced by `[redacted]`, cut to about 300 characters.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.trim().to_string();
        if let Some(key) = self.key.as_deref().filter(|key| !key.is_empty()) {
            text = text.replace(key, "[redacted]");
        }
        if text.chars().count() > BODY_LIMIT {
            text = text.chars().take(BODY_LIMIT).collect::<String>() + "…";
        }
        text
    }

    fn sensitive(value: &str) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(value).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    async fn openai(
        &self,
        prompt: &Prompt,
        progress: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, LlmError> {
        let url = format!("{}/chat/completions", self.settings.base_url());
        let mut messages = Vec::new();
        if !prompt.system.is_empty() {
            messages.push(json!({"role": "system", "content": prompt.system}));
        }
        messages.push(json!({"role": "user", "content": prompt.user}));
        let mut body = json!({
            "model": self.model(),
            "messages": messages,
            "stream": true,
        });
        if let Some(schema) = &prompt.schema {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "tasks", "schema": schema, "strict": false},
            });
        }
        let mut headers = HeaderMap::new();
        if let Some(value) = self
            .key
            .as_deref()
            .and_then(|key| Self::sensitive(&format!("Bearer {key}")))
        {
            headers.insert(AUTHORIZATION, value);
        }
        headers.extend(self.headers.clone());
        let with_schema = prompt.schema.is_some();
        match self
            .exchange(&url, &headers, &body, Wire::OpenAi, with_schema, progress)
            .await
        {
            Err(Failure::SchemaRejected(_)) => {
                if let Some(object) = body.as_object_mut() {
                    object.remove("response_format");
                }
                self.exchange(&url, &headers, &body, Wire::OpenAi, false, progress)
                    .await
                    .map_err(Failure::into_error)
            }
            other => other.map_err(Failure::into_error),
        }
    }

    async fn anthropic(
        &self,
        prompt: &Prompt,
        progress: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, LlmError> {
        let url = format!("{}/v1/messages", self.settings.base_url());
        let mut body = json!({
            "model": self.model(),
            "max_tokens": ANTHROPIC_MAX_TOKENS,
            "messages": [{"role": "user", "content": prompt.user}],
            "stream": true,
        });
        if !prompt.system.is_empty() {
            body["system"] = json!(prompt.system);
        }
        if let Some(schema) = &prompt.schema {
            body["tools"] = json!([{
                "name": TOOL_NAME,
                "description": "Record the proposed tasks.",
                "input_schema": schema,
            }]);
            body["tool_choice"] = json!({"type": "tool", "name": TOOL_NAME});
        }
        let mut headers = HeaderMap::new();
        if let Some(value) = self.key.as_deref().and_then(Self::sensitive) {
            headers.insert("x-api-key", value);
        }
        headers.insert(
            "anthropic-version",
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.extend(self.headers.clone());
        self.exchange(&url, &headers, &body, Wire::Anthropic, false, progress)
            .await
            .map_err(Failure::into_error)
    }

    /// Attempts with retries.
    async fn exchange(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        wire: Wire,
        schema_fallback: bool,
        progress: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, Failure> {
        let retries = self.settings.max_retries();
        let mut attempt = 0;
        loop {
            let (error, wait, reason) = match self
                .attempt(url, headers, body, wire, schema_fallback, progress)
                .await
            {
                Ok(text) => return Ok(text),
                Err(Failure::Transient {
                    error,
                    wait,
                    reason,
                }) => (error, wait, reason),
                Err(failure) => return Err(failure),
            };
            if attempt >= retries {
                return Err(Failure::Fatal(match error {
                    LlmError::RateLimited { url, .. } => LlmError::RateLimited { url, retries },
                    error => error,
                }));
            }
            let wait = wait.unwrap_or_else(|| backoff(attempt)).min(MAX_WAIT);
            progress(Event::Retrying {
                after: wait,
                reason,
            });
            sleep(wait).await;
            attempt += 1;
        }
    }

    /// One request and its answer.
    async fn attempt(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        wire: Wire,
        schema_fallback: bool,
        progress: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, Failure> {
        let limit = self.timeout();
        let timed_out = || {
            Failure::Fatal(LlmError::Timeout {
                url: url.to_string(),
                secs: limit.as_secs(),
            })
        };
        progress(Event::Sent {
            endpoint: url.to_string(),
        });
        let request = self.client.post(url).headers(headers.clone()).json(body);
        let response = match timeout(limit, request.send()).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(error)) => return Err(self.send_failure(url, &error)),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("(no Location header)");
            return Err(Failure::Fatal(LlmError::Redirect {
                url: url.to_string(),
                location: self.scrub(location),
            }));
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(Failure::Fatal(LlmError::Unauthorized {
                status: status.as_u16(),
                url: url.to_string(),
                key_env: self.key_env.clone(),
            }));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Failure::Transient {
                error: LlmError::RateLimited {
                    url: url.to_string(),
                    retries: 0,
                },
                wait: retry_after(response.headers()),
                reason: "the endpoint is rate limiting (HTTP 429)".to_string(),
            });
        }
        if !status.is_success() {
            let wait = retry_after(response.headers());
            let text = match timeout(limit, response.bytes()).await {
                Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
                _ => String::new(),
            };
            let error = LlmError::Status {
                status: status.as_u16(),
                url: url.to_string(),
                body: self.scrub(&error_message(&text)),
            };
            if status == StatusCode::BAD_REQUEST
                && schema_fallback
                && (text.contains("response_format") || text.contains("json_schema"))
            {
                return Err(Failure::SchemaRejected(error));
            }
            if status.is_server_error() {
                return Err(Failure::Transient {
                    error,
                    wait,
                    reason: format!("the endpoint answered HTTP {}", status.as_u16()),
                });
            }
            return Err(Failure::Fatal(error));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut reader = Reader::new(wire);
        if content_type.starts_with("text/event-stream") {
            let mut response = response;
            let mut parser = SseParser::new();
            loop {
                let chunk = match timeout(limit, response.chunk()).await {
                    Err(_) => return Err(timed_out()),
                    Ok(Err(error)) => return Err(self.stream_failure(url, &error)),
                    Ok(Ok(None)) => break,
                    Ok(Ok(Some(chunk))) => chunk,
                };
                for event in parser.feed(&chunk) {
                    if self.take_event(&mut reader, &event, url, progress)? {
                        return reader.finish(self);
                    }
                }
            }
            if let Some(event) = parser.finish() {
                self.take_event(&mut reader, &event, url, progress)?;
            }
            return reader.finish(self);
        }
        let bytes = match timeout(limit, response.bytes()).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(error)) => return Err(self.stream_failure(url, &error)),
            Ok(Ok(bytes)) => bytes,
        };
        let text = String::from_utf8_lossy(&bytes);
        let trimmed = text.trim_start();
        if trimmed.starts_with("data:") || trimmed.starts_with("event:") {
            // A stream with the wrong content type.
            let mut parser = SseParser::new();
            let mut events = parser.feed(&bytes);
            events.extend(parser.finish());
            for event in events {
                if self.take_event(&mut reader, &event, url, progress)? {
                    break;
                }
            }
            return reader.finish(self);
        }
        let value: Value = serde_json::from_str(trimmed).map_err(|_| {
            let kind = if content_type.is_empty() {
                "no content type".to_string()
            } else {
                content_type.clone()
            };
            Failure::Fatal(LlmError::BadAnswer {
                detail: format!(
                    "the endpoint at {url} answered with something that is not JSON ({kind}): {}",
                    self.scrub(&text)
                ),
                raw: self.scrub(&text),
            })
        })?;
        let answer = self.whole_answer(&value, wire, url)?;
        progress(Event::Received {
            chars: answer.chars().count(),
        });
        reader.text = answer;
        reader.finish(self)
    }

    /// The failure of sending a request.
    fn send_failure(&self, url: &str, error: &reqwest::Error) -> Failure {
        let detail = self.scrub(&root_cause(error));
        let error_ = LlmError::Connect {
            url: url.to_string(),
            detail: detail.clone(),
        };
        if error.is_connect() {
            Failure::Fatal(error_)
        } else {
            Failure::Transient {
                error: error_,
                wait: None,
                reason: format!("the connection failed ({detail})"),
            }
        }
    }

    /// The failure of reading an answer: the connection broke.
    fn stream_failure(&self, url: &str, error: &reqwest::Error) -> Failure {
        let detail = self.scrub(&root_cause(error));
        Failure::Transient {
            error: LlmError::Connect {
                url: url.to_string(),
                detail: format!("the connection broke during the answer: {detail}"),
            },
            wait: None,
            reason: format!("the connection broke during the answer ({detail})"),
        }
    }

    /// An error the endpoint reported inside a 200 answer (a stream's `error` event or an
    /// error object).
    fn reported_error(&self, error: &Value, url: &str) -> Failure {
        let kind = error
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let message = match error {
            Value::String(text) => text.clone(),
            _ => error
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| error.to_string()),
        };
        let code = error
            .get("code")
            .and_then(|code| {
                code.as_u64()
                    .or_else(|| code.as_str().and_then(|s| s.parse().ok()))
            })
            .and_then(|code| u16::try_from(code).ok())
            .filter(|code| (400..600).contains(code));
        let status = match kind.as_str() {
            "overloaded_error" => 529,
            "api_error" | "server_error" => 500,
            "rate_limit_error" => 429,
            "authentication_error" => 401,
            "permission_error" => 403,
            "not_found_error" => 404,
            "invalid_request_error" => 400,
            _ => code.unwrap_or(500),
        };
        let body = if kind.is_empty() {
            self.scrub(&message)
        } else {
            self.scrub(&format!("{kind}: {message}"))
        };
        let url = url.to_string();
        match status {
            401 | 403 => Failure::Fatal(LlmError::Unauthorized {
                status,
                url,
                key_env: self.key_env.clone(),
            }),
            429 => Failure::Transient {
                error: LlmError::RateLimited { url, retries: 0 },
                wait: None,
                reason: "the endpoint is rate limiting".to_string(),
            },
            500..=599 => Failure::Transient {
                reason: format!("the endpoint reported {}", body),
                error: LlmError::Status { status, url, body },
                wait: None,
            },
            _ => Failure::Fatal(LlmError::Status { status, url, body }),
        }
    }

    /// One streamed event into `reader`; `true` at the end of the stream.
    fn take_event(
        &self,
        reader: &mut Reader,
        event: &SseEvent,
        url: &str,
        progress: &mut (dyn FnMut(Event) + Send),
    ) -> Result<bool, Failure> {
        let data = event.data.trim();
        if data == "[DONE]" {
            return Ok(true);
        }
        let Ok(value) = serde_json::from_str::<Value>(data) else {
            return Ok(false); // keep-alives and the like
        };
        let before = reader.chars;
        let mut done = false;
        match reader.wire {
            Wire::OpenAi => {
                if let Some(error) = value.get("error") {
                    return Err(self.reported_error(error, url));
                }
                if let Some(choice) = value.get("choices").and_then(|c| c.get(0)) {
                    let delta = choice.get("delta").or_else(|| choice.get("message"));
                    if let Some(delta) = delta {
                        if let Some(text) = delta.get("content").and_then(Value::as_str) {
                            reader.push_text(text);
                        }
                        if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
                            for call in calls {
                                if let Some(arguments) =
                                    call.pointer("/function/arguments").and_then(Value::as_str)
                                {
                                    reader.push_json(arguments);
                                }
                            }
                        }
                    }
                }
            }
            Wire::Anthropic => {
                let kind = value
                    .get("type")
                    .and_then(Value::as_str)
                    .or(event.event.as_deref())
                    .unwrap_or_default();
                match kind {
                    "content_block_start" => {
                        if let Some(text) =
                            value.pointer("/content_block/text").and_then(Value::as_str)
                        {
                            reader.push_text(text);
                        }
                    }
                    "content_block_delta" => {
                        let delta = &value["delta"];
                        match delta.get("type").and_then(Value::as_str) {
                            Some("text_delta") => {
                                reader.push_text(delta["text"].as_str().unwrap_or_default())
                            }
                            Some("input_json_delta") => {
                                reader.push_json(delta["partial_json"].as_str().unwrap_or_default())
                            }
                            _ => {}
                        }
                    }
                    "message_stop" => done = true,
                    "error" => {
                        let error = value.get("error").unwrap_or(&value);
                        return Err(self.reported_error(error, url));
                    }
                    _ => {}
                }
            }
        }
        if reader.chars != before {
            progress(Event::Received {
                chars: reader.chars,
            });
        }
        Ok(done)
    }

    /// The text of a plain (not streamed) JSON answer.
    fn whole_answer(&self, value: &Value, wire: Wire, url: &str) -> Result<String, Failure> {
        if let Some(error) = value.get("error").filter(|error| !error.is_null()) {
            return Err(self.reported_error(error, url));
        }
        let shape_error = |what: &str| {
            let raw = self.scrub(&value.to_string());
            Failure::Fatal(LlmError::BadAnswer {
                detail: format!("the endpoint at {url} answered JSON without {what}: {raw}"),
                raw,
            })
        };
        match wire {
            Wire::OpenAi => {
                let message = value
                    .pointer("/choices/0/message")
                    .ok_or_else(|| shape_error("choices[0].message"))?;
                match message.get("content") {
                    Some(Value::String(text)) if !text.is_empty() => return Ok(text.clone()),
                    Some(Value::Array(parts)) => {
                        let text: String = parts
                            .iter()
                            .filter_map(|part| part.get("text").and_then(Value::as_str))
                            .collect();
                        if !text.is_empty() {
                            return Ok(text);
                        }
                    }
                    _ => {}
                }
                if let Some(arguments) = message
                    .pointer("/tool_calls/0/function/arguments")
                    .and_then(Value::as_str)
                {
                    return Ok(arguments.to_string());
                }
                match message.get("content") {
                    Some(Value::String(text)) => Ok(text.clone()),
                    _ => Err(shape_error("choices[0].message.content")),
                }
            }
            Wire::Anthropic => {
                let blocks = value
                    .get("content")
                    .and_then(Value::as_array)
                    .ok_or_else(|| shape_error("content"))?;
                let tool_input = blocks.iter().find_map(|block| {
                    (block.get("type").and_then(Value::as_str) == Some("tool_use"))
                        .then(|| block.get("input"))
                        .flatten()
                });
                if let Some(input) = tool_input {
                    return Ok(match input {
                        Value::String(text) => text.clone(),
                        input => input.to_string(),
                    });
                }
                Ok(blocks
                    .iter()
                    .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
                    .filter_map(|block| block.get("text").and_then(Value::as_str))
                    .collect())
            }
        }
    }

    async fn command(
        &self,
        prompt: &Prompt,
        progress: &mut (dyn FnMut(Event) + Send),
    ) -> Result<String, LlmError> {
        let Some(line) = self.settings.command.as_ref() else {
            return Err(LlmError::Settings(
                "the command provider needs `command` in the [llm] table".to_string(),
            ));
        };
        let (mut command, shown) = match line {
            CommandLine::Argv(argv) => {
                let mut command = tokio::process::Command::new(&argv[0]);
                command.args(&argv[1..]);
                (command, argv.join(" "))
            }
            CommandLine::Shell(text) => {
                let mut command = tokio::process::Command::new("sh");
                command.arg("-c").arg(text);
                (command, text.clone())
            }
        };
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let failed = |detail: String| LlmError::Command {
            command: shown.clone(),
            detail,
        };
        let mut child = command
            .spawn()
            .map_err(|error| failed(format!("it cannot be started ({error})")))?;
        progress(Event::Sent {
            endpoint: shown.clone(),
        });
        let input = format!("{}\n\n{}", prompt.system, prompt.user);
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let run = async {
            let write = async move {
                if let Some(mut stdin) = stdin {
                    // A program that does not read its input may close it: not an error.
                    let _ = stdin.write_all(input.as_bytes()).await;
                    let _ = stdin.shutdown().await;
                }
            };
            let read_out = async {
                let mut out = Vec::new();
                if let Some(mut stdout) = stdout {
                    let mut buffer = [0u8; 8192];
                    loop {
                        match stdout.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                out.extend_from_slice(&buffer[..n]);
                                progress(Event::Received {
                                    chars: counted_chars(&out),
                                });
                            }
                        }
                    }
                }
                out
            };
            let read_err = async {
                let mut err = Vec::new();
                if let Some(mut stderr) = stderr {
                    let _ = stderr.read_to_end(&mut err).await;
                }
                err
            };
            let ((), out, err) = tokio::join!(write, read_out, read_err);
            let status = child.wait().await;
            (out, err, status)
        };
        let (out, err, status) = match timeout(self.timeout(), run).await {
            Ok(done) => done,
            Err(_) => {
                // Dropping `child` kills it (kill_on_drop).
                return Err(LlmError::Timeout {
                    url: shown,
                    secs: self.timeout().as_secs(),
                });
            }
        };
        let status = status.map_err(|error| failed(format!("waiting for it failed ({error})")))?;
        if !status.success() {
            let err = String::from_utf8_lossy(&err);
            let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
            let tail = lines[lines.len().saturating_sub(5)..].join("\n");
            let tail = self.scrub(&tail);
            return Err(failed(if tail.is_empty() {
                format!("it exited with {status}")
            } else {
                format!("it exited with {status}: {tail}")
            }));
        }
        let text = String::from_utf8_lossy(&out).into_owned();
        if text.trim().is_empty() {
            return Err(LlmError::BadAnswer {
                detail: format!("the command `{shown}` printed nothing"),
                raw: String::new(),
            });
        }
        Ok(text)
    }
}

/// The text gathered from an answer.
struct Reader {
    wire: Wire,
    text: String,
    /// Anthropic `input_json_delta`s (or OpenAI tool-call arguments): the JSON answer.
    json: String,
    chars: usize,
}

impl Reader {
    fn new(wire: Wire) -> Reader {
        Reader {
            wire,
            text: String::new(),
            json: String::new(),
            chars: 0,
        }
    }

    fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
        self.chars += text.chars().count();
    }

    fn push_json(&mut self, text: &str) {
        self.json.push_str(text);
        self.chars += text.chars().count();
    }

    fn finish(self, llm: &Llm) -> Result<String, Failure> {
        let answer = if self.json.trim().is_empty() {
            self.text
        } else {
            self.json
        };
        if answer.trim().is_empty() {
            return Err(Failure::Fatal(LlmError::BadAnswer {
                detail: "the answer is empty".to_string(),
                raw: llm.scrub(&answer),
            }));
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::llm::answer::tasks_schema;
    use crate::llm::testing::{FakeLlm, Reply};

    const KEY: &str = "sk-test-SECRET-0123456789";

    fn env(name: &str) -> Option<String> {
        (name == "TEST_KEY").then(|| KEY.to_string())
    }

    fn llm(settings: LlmSettings) -> Llm {
        Llm::new(Llm::http_client(), &settings, &env).expect("valid settings")
    }

    fn keyed(mut settings: LlmSettings) -> LlmSettings {
        settings.api_key_env = Some("TEST_KEY".to_string());
        settings
    }

    fn prompt() -> Prompt {
        Prompt {
            system: "You plan work.".to_string(),
            user: "Break down: build a bridge".to_string(),
            schema: None,
        }
    }

    fn with_schema() -> Prompt {
        Prompt {
            schema: Some(tasks_schema()),
            ..prompt()
        }
    }

    async fn run(llm: &Llm, prompt: &Prompt) -> (Result<String, LlmError>, Vec<Event>) {
        let mut events = Vec::new();
        let result = llm.complete(prompt, &mut |event| events.push(event)).await;
        (result, events)
    }

    const ANSWER: &str =
        r#"{"tasks": [{"title": "Pour the foundations – été ✓", "children": []}]}"#;

    fn received(events: &[Event]) -> Vec<usize> {
        events
            .iter()
            .filter_map(|event| match event {
                Event::Received { chars } => Some(*chars),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn openai_streamed_text_is_exact_with_progress() {
        let fake = FakeLlm::start(vec![Reply::openai(ANSWER)]).await;
        fake.set_chunk(7, Duration::ZERO);
        let (result, events) = run(&llm(fake.openai_settings()), &prompt()).await;
        assert_eq!(result.unwrap(), ANSWER);
        let url = format!("{}/chat/completions", fake.openai_base_url());
        assert_eq!(events[0], Event::Sent { endpoint: url });
        let counts = received(&events);
        assert!(counts.len() > 3, "{events:?}");
        assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
        assert_eq!(*counts.last().unwrap(), ANSWER.chars().count());
        let request = &fake.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v1/chat/completions");
        assert_eq!(
            request.body,
            json!({
                "model": "fake-model",
                "messages": [
                    {"role": "system", "content": "You plan work."},
                    {"role": "user", "content": "Break down: build a bridge"},
                ],
                "stream": true,
            })
        );
        assert_eq!(request.header("authorization"), None);
    }

    #[tokio::test]
    async fn openai_plain_json_answer_when_the_server_ignores_stream() {
        let fake = FakeLlm::start(vec![Reply::openai(ANSWER)]).await;
        fake.set_stream(false);
        let (result, events) = run(&llm(fake.openai_settings()), &prompt()).await;
        assert_eq!(result.unwrap(), ANSWER);
        assert_eq!(received(&events), vec![ANSWER.chars().count()]);
    }

    #[tokio::test]
    async fn openai_sends_schema_key_and_headers() {
        let fake = FakeLlm::start(vec![Reply::openai(ANSWER)]).await;
        let mut settings = keyed(fake.openai_settings());
        settings.headers = Some([("X-Team".to_string(), "blue".to_string())].into());
        let (result, _) = run(&llm(settings), &with_schema()).await;
        assert_eq!(result.unwrap(), ANSWER);
        let request = &fake.requests()[0];
        assert_eq!(
            request.header("authorization"),
            Some(&*format!("Bearer {KEY}"))
        );
        assert_eq!(request.header("x-team"), Some("blue"));
        assert_eq!(
            request.body["response_format"],
            json!({
                "type": "json_schema",
                "json_schema": {"name": "tasks", "schema": tasks_schema(), "strict": false},
            })
        );
    }

    #[tokio::test]
    async fn openai_asks_again_without_response_format_when_it_is_refused() {
        let refusal = r#"{"error": {"message": "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."}}"#;
        let fake = FakeLlm::start(vec![Reply::status(400, refusal), Reply::openai(ANSWER)]).await;
        let (result, _) = run(&llm(fake.openai_settings()), &with_schema()).await;
        assert_eq!(result.unwrap(), ANSWER);
        let requests = fake.requests();
        assert_eq!(requests.len(), 2);
        assert!(requests[0].body.get("response_format").is_some());
        assert!(requests[1].body.get("response_format").is_none());

        // Another 400 is an error, asked once.
        let fake = FakeLlm::start(vec![Reply::status(400, "model not found")]).await;
        let (result, _) = run(&llm(fake.openai_settings()), &with_schema()).await;
        let url = format!("{}/chat/completions", fake.openai_base_url());
        assert_eq!(
            result.unwrap_err(),
            LlmError::Status {
                status: 400,
                url,
                body: "model not found".to_string()
            }
        );
        assert_eq!(fake.requests().len(), 1);
    }

    #[tokio::test]
    async fn anthropic_streamed_text() {
        let fake = FakeLlm::start(vec![Reply::anthropic(ANSWER)]).await;
        fake.set_chunk(5, Duration::ZERO);
        let (result, events) = run(&llm(keyed(fake.anthropic_settings())), &prompt()).await;
        assert_eq!(result.unwrap(), ANSWER);
        assert_eq!(*received(&events).last().unwrap(), ANSWER.chars().count());
        let request = &fake.requests()[0];
        assert_eq!(request.path, "/v1/messages");
        assert_eq!(request.header("x-api-key"), Some(KEY));
        assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(request.header("authorization"), None);
        assert!(request
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        assert_eq!(
            request.body,
            json!({
                "model": "fake-model",
                "max_tokens": 8192,
                "system": "You plan work.",
                "messages": [{"role": "user", "content": "Break down: build a bridge"}],
                "stream": true,
            })
        );
    }

    #[tokio::test]
    async fn anthropic_tool_use_streamed_and_plain() {
        let fake = FakeLlm::start(vec![Reply::anthropic(ANSWER)]).await;
        fake.set_chunk(4, Duration::ZERO);
        let (result, _) = run(&llm(keyed(fake.anthropic_settings())), &with_schema()).await;
        assert_eq!(result.unwrap(), ANSWER);
        let body = &fake.requests()[0].body;
        assert_eq!(body["tools"][0]["name"], "record_tasks");
        assert_eq!(body["tools"][0]["input_schema"], tasks_schema());
        assert!(body["tools"][0]["description"].is_string());
        assert_eq!(
            body["tool_choice"],
            json!({"type": "tool", "name": "record_tasks"})
        );

        fake.set_stream(false);
        let (result, _) = run(&llm(keyed(fake.anthropic_settings())), &with_schema()).await;
        let value: Value = serde_json::from_str(&result.unwrap()).unwrap();
        assert_eq!(value, serde_json::from_str::<Value>(ANSWER).unwrap());
    }

    #[tokio::test]
    async fn anthropic_plain_text() {
        let fake = FakeLlm::start(vec![Reply::anthropic("- Pour the foundations")]).await;
        fake.set_stream(false);
        let (result, _) = run(&llm(keyed(fake.anthropic_settings())), &prompt()).await;
        assert_eq!(result.unwrap(), "- Pour the foundations");
    }

    #[tokio::test]
    async fn anthropic_stream_error_is_retried_then_reported() {
        let overloaded = Reply::StreamError {
            kind: "overloaded_error".to_string(),
            message: "Overloaded".to_string(),
        };
        let fake = FakeLlm::start(vec![overloaded.clone(), Reply::anthropic("ok")]).await;
        let mut settings = keyed(fake.anthropic_settings());
        let (result, events) = run(&llm(settings.clone()), &prompt()).await;
        assert_eq!(result.unwrap(), "ok");
        assert!(events.iter().any(|e| matches!(e, Event::Retrying { .. })));

        fake.set_replies(vec![overloaded]);
        settings.max_retries = Some(0);
        let (result, _) = run(&llm(settings), &prompt()).await;
        let error = result.unwrap_err();
        assert!(
            matches!(&error, LlmError::Status { status: 529, body, .. } if body.contains("Overloaded")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn unauthorized_names_the_variable_never_the_key() {
        let body = format!(r#"{{"error": "Incorrect API key provided: {KEY}"}}"#);
        let fake = FakeLlm::start(vec![Reply::status(401, body)]).await;
        let (result, _) = run(&llm(keyed(fake.openai_settings())), &prompt()).await;
        let error = result.unwrap_err();
        let url = format!("{}/chat/completions", fake.openai_base_url());
        assert_eq!(
            error,
            LlmError::Unauthorized {
                status: 401,
                url: url.clone(),
                key_env: Some("TEST_KEY".to_string())
            }
        );
        let message = error.to_string();
        assert_eq!(
            message,
            format!(
                "the LLM endpoint at {url} refused the API key (HTTP 401): check the key in the \
                 environment variable TEST_KEY"
            )
        );
        assert!(!message.contains(KEY) && !format!("{error:?}").contains(KEY));
        assert_eq!(fake.requests().len(), 1, "401 is not retried");

        // Without a key: say how to give one.
        let fake = FakeLlm::start(vec![Reply::status(403, "")]).await;
        let (result, _) = run(&llm(fake.openai_settings()), &prompt()).await;
        let message = result.unwrap_err().to_string();
        assert!(message.contains("HTTP 403"), "{message}");
        assert!(message.contains("set llm.api_key_env"), "{message}");
    }

    #[tokio::test]
    async fn error_bodies_are_scrubbed_and_cut() {
        let body = format!("upstream said {KEY} {}", "x".repeat(1000));
        let fake = FakeLlm::start(vec![Reply::status(502, body)]).await;
        let mut settings = keyed(fake.openai_settings());
        settings.max_retries = Some(0);
        let (result, _) = run(&llm(settings), &prompt()).await;
        let error = result.unwrap_err();
        let LlmError::Status { status, body, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*status, 502);
        assert!(body.starts_with("upstream said [redacted] xxx"), "{body}");
        assert!(body.chars().count() <= 301, "{}", body.len());
        assert!(!error.to_string().contains(KEY));
    }

    #[tokio::test]
    async fn rate_limit_honours_retry_after_then_succeeds() {
        let limited = Reply::Status {
            status: 429,
            body: "slow down".to_string(),
            retry_after: Some(0),
        };
        let fake = FakeLlm::start(vec![limited.clone(), Reply::openai("ok")]).await;
        let (result, events) = run(&llm(fake.openai_settings()), &prompt()).await;
        assert_eq!(result.unwrap(), "ok");
        let retries: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::Retrying { after, .. } => Some(*after),
                _ => None,
            })
            .collect();
        assert_eq!(retries, vec![Duration::ZERO]);
        let sent = events
            .iter()
            .filter(|e| matches!(e, Event::Sent { .. }))
            .count();
        assert_eq!(sent, 2);

        // Still limited after the retries.
        fake.set_replies(vec![limited]);
        let mut settings = fake.openai_settings();
        settings.max_retries = Some(1);
        let (result, _) = run(&llm(settings), &prompt()).await;
        let error = result.unwrap_err();
        let url = format!("{}/chat/completions", fake.openai_base_url());
        assert_eq!(
            error,
            LlmError::RateLimited {
                url: url.clone(),
                retries: 1
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "the LLM endpoint at {url} is rate limiting (HTTP 429) and still was after 1 \
                 retry; try again later"
            )
        );
        assert_eq!(fake.requests().len(), 4);
    }

    #[tokio::test]
    async fn server_errors_and_dropped_connections_are_retried() {
        let failing = Reply::Status {
            status: 500,
            body: "boom".to_string(),
            retry_after: Some(0),
        };
        let fake = FakeLlm::start(vec![Reply::Hangup, failing, Reply::openai("ok")]).await;
        let started = Instant::now();
        let (result, events) = run(&llm(fake.openai_settings()), &prompt()).await;
        assert_eq!(result.unwrap(), "ok");
        let waits: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::Retrying { after, .. } => Some(*after),
                _ => None,
            })
            .collect();
        // The hang-up waits the backoff's first step; the 500 its Retry-After.
        assert_eq!(waits, vec![Duration::from_secs(1), Duration::ZERO]);
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert_eq!(fake.requests().len(), 3);
    }

    #[tokio::test]
    async fn a_stalled_stream_times_out() {
        let fake = FakeLlm::start(vec![Reply::stall("{\"tasks\": [")]).await;
        let mut settings = fake.openai_settings();
        settings.timeout_secs = Some(1);
        let started = Instant::now();
        let (result, events) = run(&llm(settings), &prompt()).await;
        let url = format!("{}/chat/completions", fake.openai_base_url());
        let error = result.unwrap_err();
        assert_eq!(
            error,
            LlmError::Timeout {
                url: url.clone(),
                secs: 1
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "no answer from {url} within 1 s; raise llm.timeout_secs or use a faster model"
            )
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(received(&events), vec![11]);
    }

    #[tokio::test]
    async fn redirects_are_refused_and_the_key_stays_home() {
        let elsewhere = FakeLlm::start(vec![Reply::openai("stolen")]).await;
        let location = format!("{}/v1/chat/completions", elsewhere.url());
        let fake = FakeLlm::start(vec![Reply::Redirect {
            location: location.clone(),
        }])
        .await;
        let (result, _) = run(&llm(keyed(fake.openai_settings())), &prompt()).await;
        let error = result.unwrap_err();
        assert_eq!(
            error,
            LlmError::Redirect {
                url: format!("{}/chat/completions", fake.openai_base_url()),
                location
            }
        );
        assert!(error.to_string().contains("redirects are not followed"));
        assert!(elsewhere.requests().is_empty());
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let settings = LlmSettings {
            base_url: Some(format!("http://127.0.0.1:{port}/v1")),
            model: Some("m".to_string()),
            ..LlmSettings::default()
        };
        let (result, events) = run(&llm(settings), &prompt()).await;
        let error = result.unwrap_err();
        let url = format!("http://127.0.0.1:{port}/v1/chat/completions");
        let LlmError::Connect { url: got, detail } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(got, &url);
        assert!(detail.to_lowercase().contains("refused"), "{detail}");
        assert!(error
            .to_string()
            .starts_with(&format!("cannot reach the LLM endpoint at {url} (")));
        assert!(error.to_string().ends_with(
            "): start the server there (for Ollama: `ollama serve`) or set llm.base_url"
        ));
        assert!(!events.iter().any(|e| matches!(e, Event::Retrying { .. })));
    }

    #[tokio::test]
    async fn garbage_is_a_bad_answer() {
        let fake = FakeLlm::start(vec![Reply::Garbage {
            body: "<html>It works!</html>".to_string(),
        }])
        .await;
        let (result, _) = run(&llm(fake.openai_settings()), &prompt()).await;
        let error = result.unwrap_err();
        let LlmError::BadAnswer { detail, raw } = &error else {
            panic!("{error:?}");
        };
        assert!(detail.contains("not JSON (text/html"), "{detail}");
        assert_eq!(raw, "<html>It works!</html>");
        assert!(error
            .to_string()
            .starts_with("the model's answer is not a task list: "));
        // JSON of another shape, and an empty answer.
        fake.set_replies(vec![Reply::status(
            500,
            r#"{"error": {"message": "model crashed"}}"#,
        )]);
        let mut settings = fake.openai_settings();
        settings.max_retries = Some(0);
        let (result, _) = run(&llm(settings), &prompt()).await;
        assert!(result
            .unwrap_err()
            .to_string()
            .ends_with("answered HTTP 500: model crashed"));
        fake.set_replies(vec![Reply::status(200, r#"{"result": "hi"}"#)]);
        let (result, _) = run(&llm(fake.openai_settings()), &prompt()).await;
        assert!(
            matches!(result, Err(LlmError::BadAnswer { .. })),
            "{result:?}"
        );
        fake.set_replies(vec![Reply::openai("")]);
        let (result, _) = run(&llm(fake.openai_settings()), &prompt()).await;
        assert!(
            matches!(result, Err(LlmError::BadAnswer { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn dropping_the_future_closes_the_connection() {
        for anthropic in [false, true] {
            let fake = FakeLlm::start(vec![Reply::stall("partial")]).await;
            let settings = if anthropic {
                keyed(fake.anthropic_settings())
            } else {
                fake.openai_settings()
            };
            let llm = llm(settings);
            let prompt = prompt();
            let mut events = Vec::new();
            let mut progress = |event| events.push(event);
            let mut completion = Box::pin(llm.complete(&prompt, &mut progress));
            tokio::select! {
                result = &mut completion => panic!("finished: {result:?}"),
                _ = sleep(Duration::from_millis(300)) => {}
            }
            assert_eq!(fake.open_connections(), 1);
            drop(completion);
            assert_eq!(received(&events), vec![7]);
            let started = Instant::now();
            while fake.open_connections() > 0 {
                assert!(started.elapsed() < Duration::from_secs(3), "still open");
                sleep(Duration::from_millis(10)).await;
            }
        }
    }

    #[test]
    fn the_completion_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let llm = llm(LlmSettings {
            model: Some("m".to_string()),
            ..LlmSettings::default()
        });
        let prompt = prompt();
        let mut progress = |_: Event| {};
        let future = llm.complete(&prompt, &mut progress);
        assert_send(&future);
    }

    fn command(line: CommandLine, timeout_secs: Option<u64>) -> Llm {
        llm(LlmSettings {
            provider: Some(ProviderKind::Command),
            command: Some(line),
            timeout_secs,
            ..LlmSettings::default()
        })
    }

    #[tokio::test]
    async fn command_reads_stdin_and_answers_on_stdout() {
        let llm = command(CommandLine::Shell("cat >/dev/null; echo hi".into()), None);
        let (result, events) = run(&llm, &prompt()).await;
        assert_eq!(result.unwrap(), "hi\n");
        assert_eq!(
            events[0],
            Event::Sent {
                endpoint: "cat >/dev/null; echo hi".to_string()
            }
        );
        assert_eq!(received(&events).last(), Some(&3));

        let argv = vec!["sh".to_string(), "-c".to_string(), "cat".to_string()];
        let llm = command(CommandLine::Argv(argv), None);
        let (result, _) = run(&llm, &prompt()).await;
        assert_eq!(
            result.unwrap(),
            "You plan work.\n\nBreak down: build a bridge"
        );

        // A big prompt echoed back: stdin and stdout are served together.
        let big = Prompt {
            user: "é".repeat(300_000),
            ..prompt()
        };
        let llm = command(CommandLine::Shell("cat".into()), None);
        let (result, events) = run(&llm, &big).await;
        let expected = format!("You plan work.\n\n{}", big.user);
        assert_eq!(result.unwrap(), expected);
        assert_eq!(received(&events).last(), Some(&expected.chars().count()));
    }

    #[tokio::test]
    async fn command_failures() {
        let llm = command(
            CommandLine::Shell("cat >/dev/null; echo one >&2; echo two >&2; exit 3".into()),
            None,
        );
        let (result, _) = run(&llm, &prompt()).await;
        let error = result.unwrap_err();
        let LlmError::Command {
            command: shown,
            detail,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(shown, "cat >/dev/null; echo one >&2; echo two >&2; exit 3");
        assert!(detail.contains("exit status: 3"), "{detail}");
        assert!(detail.ends_with("one\ntwo"), "{detail}");

        let llm = command(CommandLine::Argv(vec!["/nonexistent/wbs-llm".into()]), None);
        let (result, _) = run(&llm, &prompt()).await;
        let message = result.unwrap_err().to_string();
        assert!(
            message
                .starts_with("the LLM command `/nonexistent/wbs-llm` failed: it cannot be started"),
            "{message}"
        );

        let llm = command(CommandLine::Shell("true".into()), None);
        let (result, _) = run(&llm, &prompt()).await;
        assert!(
            matches!(result, Err(LlmError::BadAnswer { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn dropping_the_future_kills_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let line = format!("echo $$ > '{}'; exec sleep 30", pid_file.display());
        let llm = command(CommandLine::Shell(line), None);
        let prompt = prompt();
        let mut progress = |_: Event| {};
        let mut completion = Box::pin(llm.complete(&prompt, &mut progress));
        let started = Instant::now();
        let pid = loop {
            tokio::select! {
                result = &mut completion => panic!("finished: {result:?}"),
                _ = sleep(Duration::from_millis(20)) => {}
            }
            if let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .filter(|text| text.ends_with('\n'))
            {
                break pid.trim().to_string();
            }
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the command did not start"
            );
        };
        drop(completion);
        // Killed: gone, or a zombie until tokio reaps it.
        let status = format!("/proc/{pid}/status");
        let started = Instant::now();
        loop {
            let state = std::fs::read_to_string(&status).unwrap_or_default();
            let state = state
                .lines()
                .find(|l| l.starts_with("State:"))
                .unwrap_or("");
            if state.is_empty() || state.contains('Z') {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "{pid} still runs: {state}"
            );
            sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn command_timeout_kills_it() {
        let llm = command(CommandLine::Shell("sleep 30".into()), Some(1));
        let started = Instant::now();
        let (result, _) = run(&llm, &prompt()).await;
        assert_eq!(
            result.unwrap_err(),
            LlmError::Timeout {
                url: "sleep 30".to_string(),
                secs: 1
            }
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn settings_are_checked() {
        let client = Llm::http_client();
        let none = |_: &str| None;
        let openai = LlmSettings::default();
        assert_eq!(
            Llm::new(client.clone(), &openai, &none).unwrap_err(),
            LlmError::NoModel
        );
        let anthropic = LlmSettings {
            provider: Some(ProviderKind::Anthropic),
            model: Some("  ".to_string()),
            ..LlmSettings::default()
        };
        assert_eq!(
            Llm::new(client.clone(), &anthropic, &none).unwrap_err(),
            LlmError::NoModel
        );
        assert!(LlmError::NoModel.to_string().starts_with(
            "no model configured: set `model` in the [llm] table of .wbs-lsp.toml (for example \
             `model = \"llama3.1\"` for Ollama)"
        ));

        let command = LlmSettings {
            provider: Some(ProviderKind::Command),
            ..LlmSettings::default()
        };
        let error = Llm::new(client.clone(), &command, &none).unwrap_err();
        assert!(
            matches!(&error, LlmError::Settings(m) if m.contains("`command`")),
            "{error:?}"
        );

        let missing = LlmSettings {
            model: Some("m".to_string()),
            api_key_env: Some("NOPE".to_string()),
            ..LlmSettings::default()
        };
        assert_eq!(
            Llm::new(client.clone(), &missing, &|_| Some(String::new())).unwrap_err(),
            LlmError::Settings(
                "the environment variable NOPE named by llm.api_key_env is not set".to_string()
            )
        );

        let bad_header = LlmSettings {
            model: Some("m".to_string()),
            headers: Some([("bad header".to_string(), "v".to_string())].into()),
            ..LlmSettings::default()
        };
        assert!(matches!(
            Llm::new(client.clone(), &bad_header, &none),
            Err(LlmError::Settings(_))
        ));

        // Anthropic reads ANTHROPIC_API_KEY by default; Debug never shows a key.
        let anthropic = LlmSettings {
            provider: Some(ProviderKind::Anthropic),
            model: Some("claude".to_string()),
            headers: Some([("x-secret".to_string(), "hush".to_string())].into()),
            ..LlmSettings::default()
        };
        let env = |name: &str| (name == ANTHROPIC_KEY_ENV).then(|| KEY.to_string());
        let llm = Llm::new(client, &anthropic, &env).unwrap();
        assert_eq!(llm.key.as_deref(), Some(KEY));
        assert_eq!(llm.key_env.as_deref(), Some(ANTHROPIC_KEY_ENV));
        let debug = format!("{llm:?}");
        assert!(!debug.contains(KEY) && !debug.contains("hush"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    #[test]
    fn messages_read_well() {
        let status = LlmError::Status {
            status: 500,
            url: "http://h/v1".to_string(),
            body: String::new(),
        };
        assert_eq!(
            status.to_string(),
            "the LLM endpoint at http://h/v1 answered HTTP 500"
        );
        let unauthorized = LlmError::Unauthorized {
            status: 401,
            url: "http://h".to_string(),
            key_env: None,
        };
        assert_eq!(
            unauthorized.to_string(),
            "the LLM endpoint at http://h refused the request (HTTP 401): set llm.api_key_env to \
             the name of the environment variable holding your API key"
        );
        let limited = LlmError::RateLimited {
            url: "http://h".to_string(),
            retries: 2,
        };
        assert!(limited
            .to_string()
            .contains("after 2 retries; try again later"));
        let bad = LlmError::BadAnswer {
            detail: "no tasks".to_string(),
            raw: String::new(),
        };
        assert_eq!(
            bad.to_string(),
            "the model's answer is not a task list: no tasks"
        );
        assert_eq!(LlmError::Cancelled.to_string(), "cancelled");
    }
}
