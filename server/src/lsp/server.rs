//! The language server: thin handlers over the document store and the analysis.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use ropey::Rope;
use tokio::sync::Notify;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::convert::{self, Encoding};
use crate::analysis::Analyzer;
use crate::config::{self, Config, RawConfig};
use crate::document::{Document, TextEdit};
use crate::model::line::LineItem;
use crate::model::TaskTree;

pub static SHUTDOWN_RECEIVED: AtomicBool = AtomicBool::new(false);

/// What analysis needs of a document, cheap to take while the store is locked.
pub struct Snapshot {
    pub version: i32,
    pub rope: Rope,
    chunks: Vec<(usize, Arc<[LineItem]>)>,
}

impl Snapshot {
    pub fn of(doc: &Document) -> Snapshot {
        Snapshot {
            version: doc.version(),
            rope: doc.rope().clone(),
            chunks: doc
                .chunks()
                .iter()
                .map(|c| (c.start_line, c.lines.clone()))
                .collect(),
        }
    }

    pub fn line_items(&self) -> impl Iterator<Item = (usize, &LineItem)> {
        crate::analysis::line_items(&self.chunks)
    }

    /// The findings of this snapshot, reusing what `analyzer` kept from the last version.
    pub fn findings(&self, analyzer: &mut Analyzer, config: &Config) -> Vec<crate::rules::Finding> {
        analyzer.analyze(&self.chunks, config)
    }

    /// Whether this document gets diagnostics, actions and navigation.
    pub fn is_task_list(&self, uri: &Uri, config: &Config) -> bool {
        crate::is_task_list(uri.to_file_path().as_deref(), self.line_items(), config)
    }

    /// The task tree of this snapshot.
    pub fn tree(&self, config: &Config) -> TaskTree<'_> {
        TaskTree::from_lines(self.line_items(), config.profile)
    }

    /// The text of a line without its line break.
    pub fn line(&self, line: usize) -> String {
        let text: String = self.rope.line(line).into();
        text.trim_end_matches(['\n', '\r']).to_string()
    }
}

struct CachedConfigFile {
    modified: Option<SystemTime>,
    raw: RawConfig,
}

#[derive(Default)]
struct Settings {
    encoding: Encoding,
    /// The client pulls diagnostics (`textDocument/diagnostic`), so nothing is pushed.
    pull: bool,
    folders: Vec<PathBuf>,
    client: RawConfig,
    files: HashMap<PathBuf, CachedConfigFile>,
    /// Configuration errors already shown, so one error is shown once.
    shown_errors: HashSet<String>,
    /// What a workspace's `[llm]` table asked and the user agreed to: a model command to
    /// run, a key to send to an endpoint.
    approved: HashSet<String>,
    /// The client creates progress tokens on request (`window/workDoneProgress/create`).
    work_done_progress: bool,
    /// The client opens documents on request (`window/showDocument`).
    show_document: bool,
}

pub struct Backend {
    client: Client,
    docs: Arc<Mutex<HashMap<Uri, Document>>>,
    settings: Arc<Mutex<Settings>>,
    /// Documents waiting for analysis; the worker takes the latest version of each.
    dirty: Arc<Mutex<HashSet<Uri>>>,
    /// Per document, what the next analysis can reuse.
    analyzers: Arc<Mutex<HashMap<Uri, Analyzer>>>,
    wake: Arc<Notify>,
    /// Slow work in progress, by progress token: notified to cancel it.
    jobs: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        let backend = Backend {
            client,
            docs: Arc::default(),
            settings: Arc::default(),
            dirty: Arc::default(),
            analyzers: Arc::default(),
            wake: Arc::new(Notify::new()),
            jobs: Arc::default(),
        };
        tokio::spawn(backend.worker().run());
        backend
    }

    fn worker(&self) -> Worker {
        Worker {
            client: self.client.clone(),
            docs: self.docs.clone(),
            settings: self.settings.clone(),
            dirty: self.dirty.clone(),
            analyzers: self.analyzers.clone(),
            wake: self.wake.clone(),
        }
    }

    fn schedule(&self, uri: Uri) {
        self.dirty.lock().expect("dirty set").insert(uri);
        self.wake.notify_one();
    }

    fn schedule_all(&self) {
        let uris: Vec<Uri> = self
            .docs
            .lock()
            .expect("documents")
            .keys()
            .cloned()
            .collect();
        for uri in uris {
            self.schedule(uri);
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.settings.lock().expect("settings").encoding
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A snapshot of an open document, or a clear error for an unknown URI.
    pub fn snapshot(&self, uri: &Uri) -> Result<Snapshot> {
        self.docs
            .lock()
            .expect("documents")
            .get(uri)
            .map(Snapshot::of)
            .ok_or_else(|| unknown_document(uri))
    }

    /// Snapshots of every open document.
    pub fn open_documents(&self) -> Vec<(Uri, Snapshot)> {
        let docs = self.docs.lock().expect("documents");
        docs.iter()
            .map(|(uri, doc)| (uri.clone(), Snapshot::of(doc)))
            .collect()
    }

    /// The configuration in force for a document (errors were already shown on analysis).
    pub fn config(&self, uri: &Uri) -> Config {
        config_for(&self.settings, uri).0
    }

    /// Runs `work` off the async threads with the document's analyzer.
    pub async fn with_analyzer<R: Send + 'static>(
        &self,
        uri: &Uri,
        work: impl FnOnce(&mut Analyzer) -> R + Send + 'static,
    ) -> Option<R> {
        with_analyzer(&self.analyzers, uri, work).await
    }

    /// The `[llm]` keys that the client's own settings set.
    pub fn client_llm_settings(&self) -> crate::llm::LlmSettings {
        let settings = self.settings.lock().expect("settings");
        settings.client.llm.clone().unwrap_or_default()
    }

    /// Whether the user agreed, this session, to what a workspace's `[llm]` table asks.
    pub fn approved(&self, what: &str) -> bool {
        let settings = self.settings.lock().expect("settings");
        settings.approved.contains(what)
    }

    pub fn approve(&self, what: String) {
        let mut settings = self.settings.lock().expect("settings");
        settings.approved.insert(what);
    }

    /// The workspace folders the server may read files in.
    pub fn folders(&self) -> Vec<PathBuf> {
        self.settings.lock().expect("settings").folders.clone()
    }

    /// Whether the client takes `window/workDoneProgress/create` and `window/showDocument`.
    pub fn client_offers(&self) -> (bool, bool) {
        let settings = self.settings.lock().expect("settings");
        (settings.work_done_progress, settings.show_document)
    }

    /// Registers slow work under a progress token; notifying the result cancels it.
    pub fn start_job(&self, token: &str) -> Arc<Notify> {
        let cancel = Arc::new(Notify::new());
        self.jobs
            .lock()
            .expect("jobs")
            .insert(token.to_string(), cancel.clone());
        cancel
    }

    pub fn end_job(&self, token: &str) {
        self.jobs.lock().expect("jobs").remove(token);
    }

    /// `window/workDoneProgress/cancel`: the user pressed the cancel button.
    pub async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        let token = match params.token {
            NumberOrString::Number(n) => n.to_string(),
            NumberOrString::String(s) => s,
        };
        if let Some(cancel) = self.jobs.lock().expect("jobs").get(&token) {
            cancel.notify_one();
        }
    }

    async fn show_error(&self, message: String) {
        show_error_once(&self.client, &self.settings, message).await;
    }
}

async fn show_error_once(client: &Client, settings: &Mutex<Settings>, message: String) {
    let first_time = settings
        .lock()
        .expect("settings")
        .shown_errors
        .insert(message.clone());
    if first_time {
        eprintln!("wbs-lsp: {message}");
        client
            .show_message(MessageType::ERROR, format!("wbs-lsp: {message}"))
            .await;
    }
}

struct Worker {
    client: Client,
    docs: Arc<Mutex<HashMap<Uri, Document>>>,
    settings: Arc<Mutex<Settings>>,
    dirty: Arc<Mutex<HashSet<Uri>>>,
    /// Per document, what the next analysis can reuse.
    analyzers: Arc<Mutex<HashMap<Uri, Analyzer>>>,
    wake: Arc<Notify>,
}

impl Worker {
    async fn run(self) {
        loop {
            self.wake.notified().await;
            let uris: Vec<Uri> = std::mem::take(&mut *self.dirty.lock().expect("dirty set"))
                .into_iter()
                .collect();
            for uri in uris {
                if self.settings.lock().expect("settings").pull {
                    continue;
                }
                let Some(snapshot) = self
                    .docs
                    .lock()
                    .expect("documents")
                    .get(&uri)
                    .map(Snapshot::of)
                else {
                    continue;
                };
                let (config, error) = config_for(&self.settings, &uri);
                if let Some(error) = error {
                    show_error_once(&self.client, &self.settings, error).await;
                }
                let encoding = self.settings.lock().expect("settings").encoding;
                let version = snapshot.version;
                let diagnostics =
                    analyze_off_thread(&self.analyzers, snapshot, config, encoding, &uri)
                        .await
                        .unwrap_or_default();
                // Publish only if the document is still open (a close clears it).
                let open = self.docs.lock().expect("documents").contains_key(&uri);
                if open {
                    self.client
                        .publish_diagnostics(uri, diagnostics, Some(version))
                        .await;
                }
            }
        }
    }
}

fn diagnostics(
    snapshot: &Snapshot,
    analyzer: &mut Analyzer,
    config: &Config,
    encoding: Encoding,
    uri: &Uri,
) -> Vec<Diagnostic> {
    if !snapshot.is_task_list(uri, config) {
        return Vec::new();
    }
    snapshot
        .findings(analyzer, config)
        .iter()
        .map(|f| convert::diagnostic(&snapshot.rope, f, encoding, uri))
        .collect()
}

/// Runs `work` off the async threads with the document's analyzer, which keeps what the
/// next analysis of the document can reuse.
async fn with_analyzer<R: Send + 'static>(
    analyzers: &Mutex<HashMap<Uri, Analyzer>>,
    uri: &Uri,
    work: impl FnOnce(&mut Analyzer) -> R + Send + 'static,
) -> Option<R> {
    let mut analyzer = analyzers
        .lock()
        .expect("analyzers")
        .remove(uri)
        .unwrap_or_default();
    let (result, analyzer) = tokio::task::spawn_blocking(move || (work(&mut analyzer), analyzer))
        .await
        .ok()?;
    analyzers
        .lock()
        .expect("analyzers")
        .insert(uri.clone(), analyzer);
    Some(result)
}

async fn analyze_off_thread(
    analyzers: &Mutex<HashMap<Uri, Analyzer>>,
    snapshot: Snapshot,
    config: Config,
    encoding: Encoding,
    uri: &Uri,
) -> Option<Vec<Diagnostic>> {
    let task_uri = uri.clone();
    with_analyzer(analyzers, uri, move |analyzer| {
        diagnostics(&snapshot, analyzer, &config, encoding, &task_uri)
    })
    .await
}

/// The configuration for a document: the nearest `.wbs-lsp.toml` inside the workspace
/// folders, overlaid with the client's settings. On an error, the last good configuration
/// stays in force and the error is returned for the user.
fn config_for(settings: &Mutex<Settings>, uri: &Uri) -> (Config, Option<String>) {
    let mut settings = settings.lock().expect("settings");
    let mut error = None;
    let file_raw = uri
        .to_file_path()
        .and_then(|path| {
            let folder = settings
                .folders
                .iter()
                .find(|f| path.starts_with(f))?
                .clone();
            config::find_file(&path, Some(&folder))
        })
        .map(|file| {
            let modified = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
            let cached = settings.files.get(&file);
            if cached.is_some_and(|c| c.modified == modified && modified.is_some()) {
                return cached.expect("checked").raw.clone();
            }
            match config::read_file(&file).and_then(|raw| raw.resolve().map(|_| raw)) {
                Ok(raw) => {
                    settings.files.insert(
                        file,
                        CachedConfigFile {
                            modified,
                            raw: raw.clone(),
                        },
                    );
                    raw
                }
                Err(e) => {
                    error = Some(format!(
                        "configuration error: {e}; keeping the last good configuration"
                    ));
                    cached.map(|c| c.raw.clone()).unwrap_or_default()
                }
            }
        })
        .unwrap_or_default();
    let merged = file_raw.overlaid(&settings.client);
    match merged.resolve() {
        Ok(config) => (config, error),
        Err(e) => (
            file_raw.resolve().unwrap_or_default(),
            Some(format!("configuration error in the client settings: {e}")),
        ),
    }
}

pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn unknown_document(uri: &Uri) -> Error {
    Error::invalid_params(format!("wbs-lsp has no open document {}", uri.as_str()))
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref());
        let encoding = if offered.is_some_and(|list| list.contains(&PositionEncodingKind::UTF8)) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        let pull = params
            .capabilities
            .text_document
            .as_ref()
            .is_some_and(|t| t.diagnostic.is_some());
        let window = params.capabilities.window.as_ref();
        let work_done_progress = window.and_then(|w| w.work_done_progress) == Some(true);
        let show_document = window
            .and_then(|w| w.show_document.as_ref())
            .is_some_and(|s| s.support);
        let mut folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| file_path(&f.uri))
            .collect();
        #[allow(deprecated)]
        if folders.is_empty() {
            folders.extend(params.root_uri.as_ref().and_then(file_path));
        }
        let toggles = params
            .initialization_options
            .as_ref()
            .map(config::Capabilities::from_json)
            .unwrap_or_default();
        let client_settings = match params
            .initialization_options
            .as_ref()
            .map(RawConfig::from_json)
        {
            Some(Ok(raw)) => raw,
            Some(Err(e)) => {
                let message = format!("configuration error in initializationOptions: {e}");
                eprintln!("wbs-lsp: {message}");
                // The client is not listening to messages before initialize returns.
                self.settings
                    .lock()
                    .expect("settings")
                    .shown_errors
                    .insert(message);
                RawConfig::default()
            }
            None => RawConfig::default(),
        };
        {
            let mut settings = self.settings.lock().expect("settings");
            settings.encoding = encoding;
            settings.pull = pull;
            settings.folders = folders;
            settings.client = client_settings;
            settings.work_done_progress = work_done_progress;
            settings.show_document = show_document;
        }
        let position_encoding = match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        };
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(position_encoding),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                diagnostic_provider: Some(DiagnosticServerCapabilities::Options(
                    DiagnosticOptions {
                        identifier: Some(convert::SOURCE.to_string()),
                        inter_file_dependencies: false,
                        workspace_diagnostics: false,
                        ..DiagnosticOptions::default()
                    },
                )),
                ..super::capabilities(&toggles)
            },
            server_info: Some(ServerInfo {
                name: convert::SOURCE.to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let pending: Vec<String> = self
            .settings
            .lock()
            .expect("settings")
            .shown_errors
            .iter()
            .cloned()
            .collect();
        for message in pending {
            self.client
                .show_message(MessageType::ERROR, format!("wbs-lsp: {message}"))
                .await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        SHUTDOWN_RECEIVED.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let document = Document::new(&doc.text, doc.version);
        self.docs
            .lock()
            .expect("documents")
            .insert(doc.uri.clone(), document);
        self.schedule(doc.uri);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let encoding = self.encoding();
        {
            let mut docs = self.docs.lock().expect("documents");
            let Some(doc) = docs.get_mut(&uri) else {
                eprintln!(
                    "wbs-lsp: didChange for a document that is not open: {}",
                    uri.as_str()
                );
                return;
            };
            for change in params.content_changes {
                let range = change.range.map(|r| {
                    convert::offset(doc.rope(), r.start, encoding)
                        ..convert::offset(doc.rope(), r.end, encoding)
                });
                doc.apply(&TextEdit {
                    range,
                    text: change.text,
                });
            }
            doc.set_version(params.text_document.version);
        }
        self.schedule(uri);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let was_open = self.docs.lock().expect("documents").remove(&uri).is_some();
        self.analyzers.lock().expect("analyzers").remove(&uri);
        let pull = self.settings.lock().expect("settings").pull;
        if was_open && !pull {
            self.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        let is_config = file_path(&params.text_document.uri)
            .is_some_and(|p| p.file_name().is_some_and(|n| n == config::FILE_NAME));
        if is_config {
            self.config_changed().await;
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let touches_config = params
            .changes
            .iter()
            .any(|c| c.uri.as_str().ends_with(config::FILE_NAME));
        if touches_config {
            self.config_changed().await;
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // Some clients send empty settings when they have none of their own (Eglot sends
        // `{}` after connecting): that keeps what initializationOptions set.
        if !config::has_settings(&params.settings) {
            self.config_changed().await;
            return;
        }
        match RawConfig::from_json(&params.settings).and_then(|raw| raw.resolve().map(|_| raw)) {
            Ok(raw) => {
                self.settings.lock().expect("settings").client = raw;
                self.config_changed().await;
            }
            Err(e) => {
                self.show_error(format!("configuration error in the client settings: {e}; keeping the last good settings"))
                    .await;
            }
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        super::actions::code_action(self, params).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        super::commands::execute_command(self, params).await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        super::navigation::document_symbol(self, params)
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        super::navigation::folding_range(self, params)
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        super::navigation::hover(self, params)
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        super::navigation::goto_definition(self, params)
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        super::navigation::references(self, params)
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        super::navigation::document_highlight(self, params)
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        super::navigation::completion(self, params)
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        super::navigation::inlay_hint(self, params)
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        super::navigation::workspace_symbol(self, params)
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        super::actions::prepare_rename(self, params)
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        super::actions::rename(self, params)
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        let uri = params.text_document.uri;
        let snapshot = self
            .docs
            .lock()
            .expect("documents")
            .get(&uri)
            .map(Snapshot::of)
            .ok_or_else(|| unknown_document(&uri))?;
        let (config, error) = config_for(&self.settings, &uri);
        if let Some(error) = error {
            self.show_error(error).await;
        }
        let encoding = self.encoding();
        let items = analyze_off_thread(&self.analyzers, snapshot, config, encoding, &uri)
            .await
            .ok_or_else(Error::internal_error)?;
        Ok(DocumentDiagnosticReportResult::Report(
            DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: None,
                    items,
                },
            }),
        ))
    }
}

impl Backend {
    pub(super) async fn config_changed(&self) {
        self.settings.lock().expect("settings").files.clear();
        self.settings.lock().expect("settings").shown_errors.clear();
        self.schedule_all();
        let pull = self.settings.lock().expect("settings").pull;
        if pull {
            // Ask the client to pull again; it answers later, so do not wait here (this
            // runs inside a notification, and the answer arrives through the same reader).
            let client = self.client.clone();
            tokio::spawn(async move {
                let _ = client.workspace_diagnostic_refresh().await;
            });
        }
    }
}
