//! The commands that write documents: expand a node with the model, generate a task list
//! from a WBS, scaffold one without a model, record a task group's outcome, fix all.
//!
//! Slow work runs as the `workspace/executeCommand` request (the transport keeps reading
//! meanwhile), reports `$/progress` when the client gives or takes a token, and stops on
//! `window/workDoneProgress/cancel` or `$/cancelRequest` (dropping the work drops the HTTP
//! request). Edits go through `workspace/applyEdit`, versioned: to the version they were
//! computed for, or re-anchored on the node when only other lines changed, or refused.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::notification::Progress as ProgressNotification;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::Client;

use super::commands::{
    action_item, ensure_inside, inside_folders, request_failed, write_asking, Written,
};
use super::server::{file_path, Backend};
use crate::actions::fix_all;
use crate::config::Config;
use crate::expand::{self, Source};
use crate::generate;
use crate::llm::{CommandLine, Llm, LlmError, ProviderKind};
use crate::llm_commands::relative_link;
use crate::model::id::TaskId;

pub const EXPAND: &str = "wbs-lsp.expand";
pub const GENERATE: &str = "wbs-lsp.generate";
pub const SCAFFOLD: &str = "wbs-lsp.scaffold";
pub const RECORD_OUTCOME: &str = "wbs-lsp.recordOutcome";
pub const FIX_ALL: &str = "wbs-lsp.fixAll";
pub const COMMANDS: &[&str] = &[EXPAND, GENERATE, SCAFFOLD, RECORD_OUTCOME, FIX_ALL];

/// The largest file read as a WBS or a prompt template.
const MAX_READ_BYTES: u64 = 4 * 1024 * 1024;

/// The one HTTP client of the process.
fn http() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(Llm::http_client).clone()
}

pub async fn execute(backend: &Backend, params: ExecuteCommandParams) -> Result<Option<Value>> {
    let args = arguments(&params.command, &params.arguments)?;
    let token = params.work_done_progress_params.work_done_token;
    match params.command.as_str() {
        EXPAND => expand_command(backend, args, token).await,
        GENERATE => generate_command(backend, args, token).await,
        SCAFFOLD => scaffold_command(backend, args).await,
        RECORD_OUTCOME => record_outcome(backend, args).await,
        FIX_ALL => fix_all_command(backend, args).await,
        other => Err(Error::invalid_params(format!("unknown command {other:?}"))),
    }
}

/// What the commands take: `[uri]` or `[{"uri": …, "line": N, "id": "1.2"}]`.
struct Arguments {
    uri: Uri,
    line: Option<usize>,
    id: Option<TaskId>,
}

fn arguments(command: &str, arguments: &[Value]) -> Result<Arguments> {
    let usage = || {
        Error::invalid_params(format!(
            "{command} takes [uri] or [{{\"uri\": uri, \"line\": N}}] or [{{\"uri\": uri, \"id\": \"1.2\"}}]"
        ))
    };
    let (uri, line, id) = match arguments.first().ok_or_else(usage)? {
        Value::String(uri) => (uri.as_str(), None, None),
        Value::Object(object) => {
            let uri = object
                .get("uri")
                .and_then(Value::as_str)
                .ok_or_else(usage)?;
            let line = match object.get("line") {
                None | Some(Value::Null) => None,
                Some(n) => Some(n.as_u64().ok_or_else(usage)? as usize),
            };
            let id = match object.get("id") {
                None | Some(Value::Null) => None,
                Some(Value::String(id)) => Some(TaskId::parse(id.trim()).ok_or_else(|| {
                    Error::invalid_params(format!("{command}: {id:?} is not a task ID"))
                })?),
                Some(_) => return Err(usage()),
            };
            (uri, line, id)
        }
        _ => return Err(usage()),
    };
    let uri = uri
        .parse::<Uri>()
        .map_err(|_| Error::invalid_params(format!("{command}: {uri:?} is not a URI")))?;
    Ok(Arguments { uri, line, id })
}

/// `$/progress` for one piece of work, ended when dropped.
struct Reporter {
    client: Client,
    token: Option<ProgressToken>,
    last: Option<Instant>,
    ended: bool,
}

impl Reporter {
    /// Uses the client's token, else asks for one when the client can make them.
    async fn begin(backend: &Backend, given: Option<ProgressToken>, title: &str) -> Reporter {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let client = backend.client().clone();
        let token = match given {
            Some(token) => Some(token),
            None if backend.client_offers().0 => {
                let token = NumberOrString::String(format!(
                    "wbs-lsp/{}",
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ));
                client
                    .create_work_done_progress(token.clone())
                    .await
                    .ok()
                    .map(|_| token)
            }
            None => None,
        };
        let reporter = Reporter {
            client,
            token,
            last: None,
            ended: false,
        };
        reporter
            .send(WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: title.to_string(),
                cancellable: Some(true),
                message: None,
                percentage: None,
            }))
            .await;
        reporter
    }

    fn key(&self) -> String {
        match &self.token {
            Some(NumberOrString::Number(n)) => n.to_string(),
            Some(NumberOrString::String(s)) => s.clone(),
            None => String::new(),
        }
    }

    async fn send(&self, value: WorkDoneProgress) {
        if let Some(token) = &self.token {
            self.client
                .send_notification::<ProgressNotification>(ProgressParams {
                    token: token.clone(),
                    value: ProgressParamsValue::WorkDone(value),
                })
                .await;
        }
    }

    /// Reports a message; streaming counts at most every 100 ms.
    async fn report(&mut self, message: String) {
        let counting = message.ends_with("characters received");
        if counting
            && self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        self.send(WorkDoneProgress::Report(WorkDoneProgressReport {
            cancellable: Some(true),
            message: Some(message),
            percentage: None,
        }))
        .await;
    }

    async fn end(mut self, message: String) {
        self.ended = true;
        self.send(WorkDoneProgress::End(WorkDoneProgressEnd {
            message: Some(message),
        }))
        .await;
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        // Dropped unfinished: the request was cancelled ($/cancelRequest drops it).
        if !self.ended {
            if let Some(token) = self.token.clone() {
                let client = self.client.clone();
                tokio::spawn(async move {
                    client
                        .send_notification::<ProgressNotification>(ProgressParams {
                            token,
                            value: ProgressParamsValue::WorkDone(WorkDoneProgress::End(
                                WorkDoneProgressEnd {
                                    message: Some("cancelled".to_string()),
                                },
                            )),
                        })
                        .await;
                });
            }
        }
    }
}

/// Runs `work` to its end, reporting the messages it sends on `messages`, unless the
/// user cancels it (the work is dropped, which aborts its HTTP request).
async fn with_progress<T>(
    backend: &Backend,
    reporter: &mut Reporter,
    mut messages: mpsc::UnboundedReceiver<String>,
    work: impl std::future::Future<Output = std::result::Result<T, LlmError>>,
) -> std::result::Result<T, LlmError> {
    let key = reporter.key();
    let cancel: Arc<Notify> = backend.start_job(&key);
    tokio::pin!(work);
    let result = loop {
        tokio::select! {
            result = &mut work => break result,
            Some(message) = messages.recv() => reporter.report(message).await,
            _ = cancel.notified() => break Err(LlmError::Cancelled),
        }
    };
    backend.end_job(&key);
    result
}

/// A progress callback that sends its messages to `with_progress`.
fn progress_channel() -> (impl FnMut(String) + Send, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    (
        move |m: String| {
            let _ = tx.send(m);
        },
        rx,
    )
}

/// The LLM of a document's configuration, or the error for the user.
///
/// A workspace's `.wbs-lsp.toml` comes with the repository, so two of its `[llm]` settings
/// need the user's word before their first use in a session (VS Code's Restricted Mode
/// refuses LLM commands in untrusted folders before they get here): a `command` model,
/// which runs a program, and a `base_url` off this machine that would receive the user's
/// API key. The same settings in the client's own configuration are used without asking.
async fn llm_for(backend: &Backend, config: &Config) -> std::result::Result<Llm, LlmError> {
    let llm = Llm::new(http(), &config.llm, &|name| std::env::var(name).ok())?;
    let own = backend.client_llm_settings();
    if config.llm.provider() == ProviderKind::Command {
        let Some(command) = config
            .llm
            .command
            .as_ref()
            .filter(|&c| own.command.as_ref() != Some(c))
        else {
            return Ok(llm);
        };
        let shown = match command {
            CommandLine::Shell(line) => line.clone(),
            CommandLine::Argv(argv) => argv.join(" "),
        };
        let question = format!(
            "This workspace's .wbs-lsp.toml asks wbs-lsp to run `{shown}` as the model. \
             Run it? (Asked once per session; a command in your own settings is not asked about.)"
        );
        let refusal =
            format!("the model command `{shown}` from the workspace's .wbs-lsp.toml was not run");
        ask_once(
            backend,
            format!("run {shown}"),
            question,
            [RUN_COMMAND, DO_NOT_RUN],
            refusal,
        )
        .await?;
        return Ok(llm);
    }
    let url = config.llm.base_url();
    let from_workspace = config.llm.base_url.is_some() && own.base_url != config.llm.base_url;
    if let Some(key_env) = llm
        .sends_key_from()
        .filter(|_| from_workspace && !is_loopback(&url))
    {
        let question = format!(
            "This workspace's .wbs-lsp.toml sends your API key from {key_env} to {url}. \
             Send it? (Asked once per session; an endpoint in your own settings is not asked about.)"
        );
        let refusal = format!(
            "your key from {key_env} was not sent to {url}, the endpoint the workspace's .wbs-lsp.toml names"
        );
        ask_once(
            backend,
            format!("send {key_env} to {url}"),
            question,
            [SEND_KEY, DO_NOT_SEND],
            refusal,
        )
        .await?;
    }
    Ok(llm)
}

/// Asks `question` unless `what` was agreed to this session; the first choice agrees.
async fn ask_once(
    backend: &Backend,
    what: String,
    question: String,
    choices: [&str; 2],
    refusal: String,
) -> std::result::Result<(), LlmError> {
    if backend.approved(&what) {
        return Ok(());
    }
    let answer = backend
        .client()
        .show_message_request(
            MessageType::WARNING,
            question,
            Some(choices.into_iter().map(action_item).collect()),
        )
        .await;
    match answer {
        Ok(Some(choice)) if choice.title == choices[0] => {
            backend.approve(what);
            Ok(())
        }
        _ => Err(LlmError::Settings(refusal)),
    }
}

/// Whether `url` points at this machine, where a key stays.
fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or("").trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

const RUN_COMMAND: &str = "Run it";
const DO_NOT_RUN: &str = "Do not run";
const SEND_KEY: &str = "Send the key";
const DO_NOT_SEND: &str = "Do not send";

/// The workspace folder a path lies in, else the first folder.
fn workspace_root(backend: &Backend, path: Option<&Path>) -> Option<PathBuf> {
    let folders = backend.folders();
    path.and_then(|p| folders.iter().find(|f| p.starts_with(f)).cloned())
        .or_else(|| folders.first().cloned())
}

/// Reads a file the server may read: inside a workspace folder, not too large.
fn read_inside(backend: &Backend, path: &Path) -> std::result::Result<String, String> {
    let folders = backend.folders();
    match inside_folders(path, &folders) {
        Ok(true) => {}
        Ok(false) => {
            return Err(format!(
                "{} is outside the workspace folders; wbs-lsp reads files only inside them",
                path.display()
            ))
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > MAX_READ_BYTES {
        return Err(format!("{} is too large ({size} bytes)", path.display()));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The WBS a task list came from: its "Expanded from" link, else `llm.wbs`.
fn source_for(
    backend: &Backend,
    doc_path: Option<&Path>,
    text: &str,
    config: &Config,
) -> Option<Source> {
    let linked = expand::source_link(text).and_then(|link| Some(doc_path?.parent()?.join(link)));
    let configured = config.llm.wbs.as_ref().and_then(|p| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            Some(p)
        } else {
            Some(workspace_root(backend, doc_path)?.join(p))
        }
    });
    let path = linked.filter(|p| p.is_file()).or(configured)?;
    match read_inside(backend, &path) {
        Ok(text) => Some(Source {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            text,
        }),
        Err(e) => {
            eprintln!("wbs-lsp: not using the WBS: {e}");
            None
        }
    }
}

async fn show(backend: &Backend, kind: MessageType, message: String) {
    eprintln!("wbs-lsp: {message}");
    backend
        .client()
        .show_message(kind, format!("wbs-lsp: {message}"))
        .await;
}

/// An answer saying the work was not done, after telling the user why.
async fn failed(backend: &Backend, error: LlmError, what: &str) -> Result<Option<Value>> {
    let (kind, message) = match &error {
        LlmError::Cancelled => (
            MessageType::INFO,
            format!("{what} cancelled; nothing was changed"),
        ),
        e => (MessageType::ERROR, format!("{what} failed: {e}")),
    };
    show(backend, kind, message.clone()).await;
    Ok(Some(json!({ "applied": false, "error": message })))
}

async fn expand_command(
    backend: &Backend,
    args: Arguments,
    token: Option<ProgressToken>,
) -> Result<Option<Value>> {
    let uri = args.uri;
    let snapshot = backend.snapshot(&uri)?;
    let config = backend.config(&uri);
    let original = snapshot.rope.to_string();
    let id = match (args.id, args.line) {
        (Some(id), _) => id,
        (None, Some(line)) => {
            let tree = snapshot.tree(&config);
            tree.nodes
                .iter()
                .find(|n| n.line == line && n.written.is_some())
                .map(|n| n.id.clone())
                .ok_or_else(|| {
                    request_failed(format!("there is no task on line {}", line + 1))
                })?
        }
        (None, None) => {
            return Err(Error::invalid_params(format!(
                "{EXPAND} needs the node: {{\"uri\": uri, \"line\": N}} or {{\"uri\": uri, \"id\": \"1.2\"}}"
            )))
        }
    };
    let what = format!("Expanding {id}");
    let llm = match llm_for(backend, &config).await {
        Ok(llm) => llm,
        Err(e) => return failed(backend, e, &what).await,
    };
    let path = file_path(&uri);
    let source = source_for(backend, path.as_deref(), &original, &config);
    let mut reporter =
        Reporter::begin(backend, token, &format!("Expanding {id} into atomic tasks")).await;
    let outcome = {
        let (mut progress, messages) = progress_channel();
        let work = expand::expand(
            &llm,
            &original,
            &id,
            &config,
            source.as_ref(),
            &mut progress,
        );
        with_progress(backend, &mut reporter, messages, work).await
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            reporter.end(e.to_string()).await;
            return failed(backend, e, &what).await;
        }
    };
    reporter.end(format!("{id} expanded")).await;
    let Some(change) = expand::line_diff(&original, &outcome.text) else {
        return Ok(Some(
            json!({ "applied": false, "error": "nothing to change" }),
        ));
    };
    let applied = apply_change(
        backend,
        &uri,
        &snapshot.version,
        &original,
        &change,
        &id,
        &config,
    )
    .await?;
    let still: Vec<String> = outcome
        .still_non_atomic
        .iter()
        .map(|i| i.to_string())
        .collect();
    if applied && !still.is_empty() {
        show(
            backend,
            MessageType::INFO,
            format!(
                "{id} expanded in {} model calls; still non-atomic after {} passes: {} (expand them again or split them by hand)",
                outcome.calls,
                config.llm.passes(),
                still.join(", ")
            ),
        )
        .await;
    }
    Ok(Some(json!({
        "applied": applied,
        "calls": outcome.calls,
        "stillNonAtomic": still,
    })))
}

/// Applies a change computed for `version`: as is while the document is at that version,
/// re-anchored on node `id` when only other lines changed, else refused with a message.
async fn apply_change(
    backend: &Backend,
    uri: &Uri,
    version: &i32,
    original: &str,
    change: &expand::LineChange,
    id: &TaskId,
    config: &Config,
) -> Result<bool> {
    let encoding = backend.encoding();
    for _attempt in 0..2 {
        let current = backend.snapshot(uri).map_err(|_| {
            request_failed(format!("{} was closed; nothing was changed", uri.as_str()))
        })?;
        let shift = if current.version == *version {
            Some(0)
        } else {
            let text = current.rope.to_string();
            change.reanchor(original, &text, id, config)
        };
        let Some(shift) = shift else {
            show(
                backend,
                MessageType::WARNING,
                format!("{id} changed while the model was answering; nothing was changed (run the expansion again)"),
            )
            .await;
            return Ok(false);
        };
        let edit = change.edit(&current.rope, shift);
        let workspace_edit =
            super::actions::workspace_edit(&[edit], &current.rope, encoding, uri, current.version);
        let response = backend
            .client()
            .apply_edit(workspace_edit)
            .await
            .map_err(|e| {
                request_failed(format!("the editor did not apply the edit: {}", e.message))
            })?;
        if response.applied {
            return Ok(true);
        }
        // Refused, most likely for a newer version typed meanwhile: try once more.
        eprintln!(
            "wbs-lsp: the editor refused the edit of {id}: {}",
            response.failure_reason.unwrap_or_default()
        );
    }
    show(
        backend,
        MessageType::WARNING,
        format!("the editor refused the expansion of {id}; nothing was changed"),
    )
    .await;
    Ok(false)
}

/// Where a generated or scaffolded task list goes: `ai_docs/tasks/tasks_list.md` under
/// the workspace folder of the WBS.
fn output_path(backend: &Backend, wbs: &Path) -> std::result::Result<PathBuf, String> {
    let root = workspace_root(backend, Some(wbs)).ok_or_else(|| {
        "wbs-lsp writes files only inside a workspace folder, and none is open".to_string()
    })?;
    Ok(root.join(generate::DEFAULT_OUTPUT))
}

/// Opens a file in the editor (when it can), at `line`.
async fn open_in_editor(backend: &Backend, path: &Path, line: Option<u32>) -> bool {
    if !backend.client_offers().1 {
        return false;
    }
    let selection = line.map(|l| Range::new(Position::new(l, 0), Position::new(l, 0)));
    backend
        .client()
        .show_document(ShowDocumentParams {
            uri: super::file_uri(path),
            external: Some(false),
            take_focus: Some(true),
            selection,
        })
        .await
        .unwrap_or(false)
}

/// The text and path of the WBS document a command runs on.
fn wbs_of(backend: &Backend, uri: &Uri) -> Result<(String, PathBuf)> {
    let snapshot = backend.snapshot(uri)?;
    let path = file_path(uri).ok_or_else(|| {
        request_failed(format!(
            "{} is not a file on disk; save the WBS first",
            uri.as_str()
        ))
    })?;
    Ok((snapshot.rope.to_string(), path))
}

/// Writes a task list and its outcomes file, and opens the task list.
async fn write_task_list(
    backend: &Backend,
    target: &Path,
    text: &str,
    config: &Config,
) -> Result<Value> {
    let question = format!("{} exists. Overwrite it?", target.display());
    let written = write_asking(backend, target, text, question, true).await?;
    let mut outcomes_written = false;
    match written {
        Written::Cancelled => {
            return Ok(json!({ "written": false, "path": target.display().to_string() }))
        }
        Written::OpenedExisting => {}
        Written::New | Written::Unchanged => {
            // The outcomes file: created, or given the sections it lacks; never replaced.
            let outcomes = target.with_file_name(generate::OUTCOMES_FILE);
            let existing = std::fs::read_to_string(&outcomes).ok();
            if let Some(contents) = generate::updated_outcomes(existing.as_deref(), text, config) {
                std::fs::write(&outcomes, contents).map_err(|e| {
                    request_failed(format!("cannot write {}: {e}", outcomes.display()))
                })?;
                outcomes_written = true;
            }
        }
    }
    let shown = open_in_editor(backend, target, None).await;
    Ok(json!({
        "written": matches!(written, Written::New | Written::Unchanged),
        "outcomesWritten": outcomes_written,
        "path": target.display().to_string(),
        "shown": shown,
    }))
}

async fn generate_command(
    backend: &Backend,
    args: Arguments,
    token: Option<ProgressToken>,
) -> Result<Option<Value>> {
    let (wbs, wbs_path) = wbs_of(backend, &args.uri)?;
    let config = backend.config(&args.uri);
    let what = "Generating the task list".to_string();
    let target = output_path(backend, &wbs_path).map_err(request_failed)?;
    let llm = match llm_for(backend, &config).await {
        Ok(llm) => llm,
        Err(e) => return failed(backend, e, &what).await,
    };
    let template = match &config.llm.prompt_template {
        None => None,
        Some(p) => {
            let p = PathBuf::from(p);
            let p = if p.is_absolute() {
                p
            } else {
                workspace_root(backend, Some(&wbs_path))
                    .unwrap_or_default()
                    .join(p)
            };
            match read_inside(backend, &p) {
                Ok(text) => Some(text),
                Err(e) => {
                    return failed(
                        backend,
                        LlmError::Settings(format!("llm.prompt_template: {e}")),
                        &what,
                    )
                    .await
                }
            }
        }
    };
    let name = wbs_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let link = relative_link(target.parent().unwrap_or(Path::new("/")), &wbs_path);
    let mut reporter = Reporter::begin(
        backend,
        token,
        &format!("Generating a task list from {name}"),
    )
    .await;
    let result = {
        let (mut progress, messages) = progress_channel();
        let work = generate::generate(
            &llm,
            &wbs,
            &name,
            &link,
            template.as_deref(),
            &config,
            &mut progress,
        );
        with_progress(backend, &mut reporter, messages, work).await
    };
    let text = match result {
        Ok(text) => text,
        Err(e) => {
            reporter.end(e.to_string()).await;
            return failed(backend, e, &what).await;
        }
    };
    reporter.end("task list generated".to_string()).await;
    write_task_list(backend, &target, &text, &config)
        .await
        .map(Some)
}

async fn scaffold_command(backend: &Backend, args: Arguments) -> Result<Option<Value>> {
    let (wbs, wbs_path) = wbs_of(backend, &args.uri)?;
    let config = backend.config(&args.uri);
    let target = output_path(backend, &wbs_path).map_err(request_failed)?;
    let link = relative_link(target.parent().unwrap_or(Path::new("/")), &wbs_path);
    let text = crate::scaffold::scaffold_text(&wbs, &link).map_err(request_failed)?;
    write_task_list(backend, &target, &text, &config)
        .await
        .map(Some)
}

/// Opens the section of a task group in `task_outcomes.md` beside the task list,
/// creating the file or the section when missing.
async fn record_outcome(backend: &Backend, args: Arguments) -> Result<Option<Value>> {
    let uri = args.uri;
    let snapshot = backend.snapshot(&uri)?;
    let config = backend.config(&uri);
    let tree = snapshot.tree(&config);
    // The group: the given ID, or the parent of the Document task on the given line.
    let group = match (args.id, args.line) {
        (Some(id), _) => id,
        (None, Some(line)) => tree
            .nodes
            .iter()
            .find(|n| n.line == line && n.written.is_some())
            .and_then(|n| n.id.parent())
            .ok_or_else(|| request_failed(format!("there is no task on line {}", line + 1)))?,
        (None, None) => {
            return Err(Error::invalid_params(format!(
                "{RECORD_OUTCOME} needs an id"
            )))
        }
    };
    let title = tree
        .node_for(&group)
        .map(|i| tree.nodes[i].title().to_string())
        .unwrap_or_default();
    let path = file_path(&uri).ok_or_else(|| {
        request_failed(format!(
            "{} is not a file on disk; save it first",
            uri.as_str()
        ))
    })?;
    let outcomes = path.with_file_name(generate::OUTCOMES_FILE);
    ensure_inside(&outcomes, &backend.folders())?;
    let outcomes_uri = super::file_uri(&outcomes);
    let open = backend.snapshot(&outcomes_uri).ok();
    let current = match &open {
        Some(s) => s.rope.to_string(),
        None => std::fs::read_to_string(&outcomes).unwrap_or_default(),
    };
    let line = match generate::append_section(&current, &group, &title) {
        None => generate::find_section(&current, &group).unwrap_or(0),
        Some((addition, line)) => {
            match &open {
                // Open in the editor: edit the buffer, not the file under it.
                Some(s) => {
                    let rope = &s.rope;
                    let end = rope.len_lines() - 1;
                    let at = crate::actions::line_end(rope, end);
                    let edit = crate::actions::Edit::insert(at, addition);
                    let workspace_edit = super::actions::workspace_edit(
                        &[edit],
                        rope,
                        backend.encoding(),
                        &outcomes_uri,
                        s.version,
                    );
                    let applied = backend
                        .client()
                        .apply_edit(workspace_edit)
                        .await
                        .is_ok_and(|r| r.applied);
                    if !applied {
                        show(
                            backend,
                            MessageType::WARNING,
                            format!(
                                "the editor did not add the section of Task {group} to {}",
                                outcomes.display()
                            ),
                        )
                        .await;
                    }
                }
                None => {
                    std::fs::write(&outcomes, format!("{current}{addition}")).map_err(|e| {
                        request_failed(format!("cannot write {}: {e}", outcomes.display()))
                    })?;
                }
            }
            line
        }
    };
    // The cursor goes under the heading, where the outcome is written.
    let shown = open_in_editor(backend, &outcomes, Some(line as u32 + 2)).await;
    Ok(Some(json!({
        "path": outcomes.display().to_string(),
        "line": line,
        "shown": shown,
    })))
}

async fn fix_all_command(backend: &Backend, args: Arguments) -> Result<Option<Value>> {
    let uri = args.uri;
    let snapshot = backend.snapshot(&uri)?;
    let config = backend.config(&uri);
    let version = snapshot.version;
    let encoding = backend.encoding();
    let task_uri = uri.clone();
    let edit = backend
        .with_analyzer(&uri, move |analyzer| {
            if !snapshot.is_task_list(&task_uri, &config) {
                return None;
            }
            let tree = snapshot.tree(&config);
            let findings = snapshot.findings(analyzer, &config);
            let action = fix_all::fix_all(&tree, &findings, &snapshot.rope, &config.rules)?;
            Some(super::actions::workspace_edit(
                &action.edits,
                &snapshot.rope,
                encoding,
                &task_uri,
                version,
            ))
        })
        .await
        .ok_or_else(Error::internal_error)?;
    let Some(edit) = edit else {
        return Ok(Some(json!({ "applied": false, "error": "nothing to fix" })));
    };
    let response = backend.client().apply_edit(edit).await.map_err(|e| {
        request_failed(format!("the editor did not apply the fixes: {}", e.message))
    })?;
    Ok(Some(json!({ "applied": response.applied })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints() {
        for url in [
            "http://127.0.0.1:11434/v1",
            "http://localhost:8080",
            "http://[::1]:1/v1",
            "http://127.3.4.5/",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://api.openai.com/v1",
            "http://10.0.0.1/",
            "http://localhost.evil.example/",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn relative_links() {
        assert_eq!(
            relative_link(Path::new("/w/ai_docs/tasks"), Path::new("/w/docs/wbs.md")),
            "../../docs/wbs.md"
        );
        assert_eq!(
            relative_link(Path::new("/w"), Path::new("/w/wbs.md")),
            "wbs.md"
        );
    }

    #[test]
    fn command_arguments() {
        let parsed = arguments(EXPAND, &[json!({"uri": "file:///w/t.md", "line": 3})]).unwrap();
        assert_eq!(parsed.line, Some(3));
        let parsed = arguments(EXPAND, &[json!({"uri": "file:///w/t.md", "id": "1.2"})]).unwrap();
        assert_eq!(parsed.id.unwrap().to_string(), "1.2");
        assert!(arguments(EXPAND, &[json!({"uri": "file:///w/t.md", "id": "x"})]).is_err());
        assert!(arguments(EXPAND, &[]).is_err());
        assert!(arguments(FIX_ALL, &[json!("file:///w/t.md")]).is_ok());
    }
}
