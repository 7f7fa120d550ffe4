//! `workspace/executeCommand`.
//!
//! `wbs-lsp.writeGraph` runs as a request: it may wait on the client
//! (`window/showMessageRequest`, `window/showDocument`) because the transport runs
//! requests concurrently and keeps reading the client's answers meanwhile. A notification
//! handler must never wait on the client like this.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use super::server::{file_path, Backend};
use crate::graph;

/// Writes the Mermaid graph of a task list next to it and opens it.
pub const WRITE_GRAPH: &str = "wbs-lsp.writeGraph";

const OVERWRITE: &str = "Overwrite";
const OPEN: &str = "Open the existing file";
const CANCEL: &str = "Cancel";

pub async fn execute_command(
    backend: &Backend,
    params: ExecuteCommandParams,
) -> Result<Option<LSPAny>> {
    match params.command.as_str() {
        WRITE_GRAPH => write_graph(backend, &params.arguments).await,
        name if super::llm::COMMANDS.contains(&name) => super::llm::execute(backend, params).await,
        other => Err(Error::invalid_params(format!(
            "unknown command {other:?}; wbs-lsp runs {}",
            super::COMMANDS.join(", ")
        ))),
    }
}

/// What `wbs-lsp.writeGraph` takes: `[uri]` or `[{"uri": …, "level": N | "all"}]`.
#[derive(Debug, PartialEq, Eq)]
struct GraphArguments {
    uri: Uri,
    level: Option<usize>,
}

fn graph_arguments(arguments: &[Value]) -> Result<GraphArguments> {
    let usage = || {
        Error::invalid_params(format!(
            "{WRITE_GRAPH} takes [uri] or [{{\"uri\": uri, \"level\": N or \"all\"}}]"
        ))
    };
    let first = arguments.first().ok_or_else(usage)?;
    let (uri, level) = match first {
        Value::String(uri) => (uri.as_str(), Some(graph::DEFAULT_LEVEL)),
        Value::Object(object) => {
            let uri = object
                .get("uri")
                .and_then(Value::as_str)
                .ok_or_else(usage)?;
            let level = match object.get("level") {
                None | Some(Value::Null) => Some(graph::DEFAULT_LEVEL),
                Some(Value::String(all)) if all == "all" => None,
                Some(n) => match n.as_u64() {
                    Some(n) if n >= 1 => Some(n as usize),
                    _ => return Err(usage()),
                },
            };
            (uri, level)
        }
        _ => return Err(usage()),
    };
    let uri = uri
        .parse::<Uri>()
        .map_err(|_| Error::invalid_params(format!("{WRITE_GRAPH}: {uri:?} is not a URI")))?;
    Ok(GraphArguments { uri, level })
}

/// An error for a request that was well formed but could not be carried out.
pub(super) fn request_failed(message: String) -> Error {
    Error {
        code: ErrorCode::ServerError(-32803),
        message: message.into(),
        data: None,
    }
}

/// Whether `target` (a file to write) lies inside one of the folders, symbolic links
/// resolved: its folder must exist, and an existing file must not lead elsewhere.
pub(super) fn inside_folders(target: &Path, folders: &[PathBuf]) -> std::io::Result<bool> {
    let parent = target.parent().unwrap_or(Path::new("/"));
    let mut resolved = parent.canonicalize()?;
    if let Some(name) = target.file_name() {
        resolved.push(name);
    }
    if target.exists() {
        resolved = target.canonicalize()?;
    }
    Ok(folders.iter().any(|folder| {
        let folder = folder.canonicalize().unwrap_or_else(|_| folder.clone());
        resolved.starts_with(&folder)
    }))
}

/// An error unless `target` (a file to write) lies inside one of the folders.
pub(super) fn ensure_inside(target: &Path, folders: &[PathBuf]) -> Result<()> {
    match inside_folders(target, folders) {
        Ok(true) => Ok(()),
        Ok(false) => Err(request_failed(format!(
            "{} is outside the workspace folders; wbs-lsp writes files only inside them",
            target.display()
        ))),
        Err(e) => Err(request_failed(format!(
            "cannot write {}: {e}",
            target.display()
        ))),
    }
}

/// What became of a file to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Written {
    /// Created or overwritten.
    New,
    /// It already held these contents.
    Unchanged,
    /// The user chose to open the file as it is.
    OpenedExisting,
    /// The user chose not to overwrite it.
    Cancelled,
}

/// A choice offered with `window/showMessageRequest`.
pub(super) fn action_item(title: &str) -> MessageActionItem {
    MessageActionItem {
        title: title.to_string(),
        properties: HashMap::new(),
    }
}

/// Writes `contents` to `target` inside the workspace folders, creating its folder, and
/// asks `question` before overwriting a file that differs: overwrite or cancel, and with
/// `offer_open` also open the existing file.
pub(super) async fn write_asking(
    backend: &Backend,
    target: &Path,
    contents: &str,
    question: String,
    offer_open: bool,
) -> Result<Written> {
    let folders = backend.folders();
    if folders.is_empty() {
        return Err(request_failed(format!(
            "wbs-lsp writes files only inside a workspace folder, and none is open; not writing {}",
            target.display()
        )));
    }
    if let Some(parent) = target.parent() {
        if !folders.iter().any(|f| parent.starts_with(f)) {
            return Err(request_failed(format!(
                "{} is outside the workspace folders; wbs-lsp writes files only inside them",
                target.display()
            )));
        }
        std::fs::create_dir_all(parent)
            .map_err(|e| request_failed(format!("cannot create {}: {e}", parent.display())))?;
    }
    ensure_inside(target, &folders)?;
    if target.is_dir() {
        return Err(request_failed(format!(
            "{} is a folder; not writing over it",
            target.display()
        )));
    }
    if std::fs::read(target).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(Written::Unchanged);
    }
    if target.exists() {
        let mut choices = vec![action_item(OVERWRITE)];
        if offer_open {
            choices.push(action_item(OPEN));
        }
        choices.push(action_item(CANCEL));
        let answer = backend
            .client()
            .show_message_request(MessageType::WARNING, question, Some(choices))
            .await;
        match answer {
            Ok(Some(choice)) if choice.title == OVERWRITE => {}
            Ok(Some(choice)) if offer_open && choice.title == OPEN => {
                return Ok(Written::OpenedExisting)
            }
            _ => return Ok(Written::Cancelled),
        }
    }
    let (path, contents) = (target.to_path_buf(), contents.to_string());
    tokio::task::spawn_blocking(move || std::fs::write(&path, contents))
        .await
        .map_err(|_| Error::internal_error())?
        .map_err(|e| request_failed(format!("cannot write {}: {e}", target.display())))?;
    Ok(Written::New)
}

/// The URI of `file` in the folder of the document `uri`: the document's URI with its
/// last segment replaced, so the client gets back its own form of the folder.
fn sibling_uri(uri: &Uri, file: &Path) -> Option<Uri> {
    let text = uri.as_str();
    let text = text.split(['?', '#']).next().unwrap_or(text);
    let folder = &text[..=text.rfind('/')?];
    let mut out = folder.to_string();
    for b in file.file_name()?.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.parse().ok()
}

async fn write_graph(backend: &Backend, arguments: &[Value]) -> Result<Option<LSPAny>> {
    let GraphArguments { uri, level } = graph_arguments(arguments)?;
    let snapshot = backend.snapshot(&uri)?;
    let config = backend.config(&uri);
    let source = file_path(&uri).ok_or_else(|| {
        request_failed(format!(
            "{} is not a file on disk; save it before writing its graph",
            uri.as_str()
        ))
    })?;
    let target = graph::page_path(&source).ok_or_else(|| {
        request_failed(format!("cannot name a graph file for {}", source.display()))
    })?;
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let page = tokio::task::spawn_blocking(move || {
        let tree = snapshot.tree(&config);
        let graph = graph::of_tree(&tree, &config, level);
        graph::markdown_page(&name, &graph::mermaid(&graph))
    })
    .await
    .map_err(|_| Error::internal_error())?;
    let target_uri = sibling_uri(&uri, &target)
        .ok_or_else(|| request_failed(format!("cannot make a URI for {}", target.display())))?;
    let question = format!(
        "{} exists. Overwrite it with the dependency graph of {}?",
        target.display(),
        source.display()
    );
    let written = write_asking(backend, &target, &page, question, false).await?;
    if written == Written::Cancelled {
        return Ok(Some(json!({
            "uri": target_uri.as_str(),
            "written": false,
            "shown": false,
        })));
    }

    let shown = backend
        .client()
        .show_document(ShowDocumentParams {
            uri: target_uri.clone(),
            external: Some(false),
            take_focus: Some(true),
            selection: None,
        })
        .await;
    if let Err(e) = &shown {
        eprintln!(
            "wbs-lsp: the client did not show {}: {}",
            target_uri.as_str(),
            e.message
        );
    }
    Ok(Some(json!({
        "uri": target_uri.as_str(),
        "written": written == Written::New,
        "shown": shown.unwrap_or(false),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let uri = "file:///w/tasks.md";
        let parsed = graph_arguments(&[json!(uri)]).unwrap();
        assert_eq!(parsed.uri.as_str(), uri);
        assert_eq!(parsed.level, Some(graph::DEFAULT_LEVEL));
        let parsed = graph_arguments(&[json!({"uri": uri, "level": 2})]).unwrap();
        assert_eq!(parsed.level, Some(2));
        let parsed = graph_arguments(&[json!({"uri": uri, "level": "all"})]).unwrap();
        assert_eq!(parsed.level, None);
        for bad in [
            vec![],
            vec![json!(1)],
            vec![json!({"path": uri})],
            vec![json!({"uri": uri, "level": 0})],
            vec![json!({"uri": uri, "level": "deep"})],
        ] {
            let error = graph_arguments(&bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidParams, "{bad:?}");
            assert!(error.message.contains(WRITE_GRAPH), "{}", error.message);
        }
    }

    #[test]
    fn uri_of_the_page() {
        let sibling = |uri: &str, file: &str| {
            sibling_uri(&uri.parse().unwrap(), Path::new(file))
                .unwrap()
                .as_str()
                .to_string()
        };
        assert_eq!(
            sibling("file:///w/tasks.md", "/w/tasks.graph.md"),
            "file:///w/tasks.graph.md"
        );
        assert_eq!(
            sibling(
                "file:///c%3A/my%20w/my%20plan.md",
                "c:/my w/my plan.graph.md"
            ),
            "file:///c%3A/my%20w/my%20plan.graph.md"
        );
    }

    #[test]
    fn only_inside_the_folders() {
        let workspace = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let folders = [workspace.path().to_path_buf()];
        let inside = workspace.path().join("tasks.graph.md");
        assert!(inside_folders(&inside, &folders).unwrap());
        let outside = elsewhere.path().join("tasks.graph.md");
        assert!(!inside_folders(&outside, &folders).unwrap());
        let sneaky = workspace.path().join("..").join("tasks.graph.md");
        assert!(!inside_folders(&sneaky, &folders).unwrap());
        // A link inside the workspace that leads out of it.
        #[cfg(unix)]
        {
            let link = workspace.path().join("link.graph.md");
            std::os::unix::fs::symlink(&outside, &link).unwrap();
            std::fs::write(&outside, "x").unwrap();
            assert!(!inside_folders(&link, &folders).unwrap());
        }
        let missing = workspace.path().join("no-such-folder").join("t.graph.md");
        assert!(inside_folders(&missing, &folders).is_err());
    }
}
