//! The LSP layer: the only code that knows LSP types.

pub mod actions;
pub mod commands;
pub mod convert;
pub mod llm;
pub mod navigation;
pub mod server;
pub mod transport;

use std::path::Path;
use std::str::FromStr;

use tower_lsp_server::ls_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    ExecuteCommandOptions, OneOf, RenameOptions, ServerCapabilities, Uri, WorkDoneProgressOptions,
};

use crate::config::Capabilities;

/// Commands the server executes (`workspace/executeCommand`).
pub const COMMANDS: &[&str] = &[
    commands::WRITE_GRAPH,
    llm::EXPAND,
    llm::GENERATE,
    llm::SCAFFOLD,
    llm::RECORD_OUTCOME,
    llm::FIX_ALL,
];

/// The capabilities of the features the configuration leaves on, so the server can run
/// beside another Markdown server without a second outline or folding.
pub fn capabilities(toggles: &Capabilities) -> ServerCapabilities {
    fn on<T>(flag: bool) -> Option<OneOf<bool, T>> {
        flag.then_some(OneOf::Left(true))
    }
    ServerCapabilities {
        document_symbol_provider: on(toggles.document_symbol),
        folding_range_provider: toggles.folding_range.then_some(true.into()),
        hover_provider: toggles.hover.then_some(true.into()),
        definition_provider: on(toggles.definition),
        references_provider: on(toggles.references),
        document_highlight_provider: on(toggles.document_highlight),
        workspace_symbol_provider: on(toggles.workspace_symbol),
        completion_provider: toggles.completion.then(|| CompletionOptions {
            trigger_characters: Some([":", " ", ",", "[", "."].map(String::from).to_vec()),
            ..CompletionOptions::default()
        }),
        rename_provider: toggles.rename.then_some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        inlay_hint_provider: on(toggles.inlay_hint),
        code_action_provider: toggles.code_action.then(|| {
            CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![
                    CodeActionKind::QUICKFIX,
                    CodeActionKind::REFACTOR,
                    CodeActionKind::REFACTOR_REWRITE,
                    CodeActionKind::SOURCE,
                    CodeActionKind::new("source.fixAll.wbs-lsp"),
                ]),
                resolve_provider: Some(false),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            })
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: COMMANDS.iter().map(|c| c.to_string()).collect(),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        ..ServerCapabilities::default()
    }
}

/// A `file://` URI for an absolute path (percent-encoding what a URI may not hold).
pub fn file_uri(path: &Path) -> Uri {
    let mut text = String::from("file://");
    for (i, component) in path.to_string_lossy().split('/').enumerate() {
        if i > 0 {
            text.push('/');
        }
        for b in component.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
                text.push(b as char);
            } else {
                text.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Uri::from_str(&text).unwrap_or_else(|_| Uri::from_str("file:///").expect("a valid URI"))
}

/// Runs the language server on stdin/stdout; returns the process exit code.
pub async fn run_stdio() -> i32 {
    let (service, socket) = tower_lsp_server::LspService::build(server::Backend::new)
        .custom_method(
            "window/workDoneProgress/cancel",
            server::Backend::work_done_progress_cancel,
        )
        .finish();
    let stdin = tokio::io::BufReader::with_capacity(1 << 16, tokio::io::stdin());
    let exited = transport::serve(stdin, tokio::io::stdout(), service, socket).await;
    let shut_down = server::SHUTDOWN_RECEIVED.load(std::sync::atomic::Ordering::SeqCst);
    // LSP: exit code 0 after shutdown then exit, 1 otherwise.
    if exited && shut_down {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_of_absolute_paths() {
        assert_eq!(
            file_uri(Path::new("/tmp/a b/tasks_ü.md")).as_str(),
            "file:///tmp/a%20b/tasks_%C3%BC.md"
        );
        assert_eq!(file_uri(Path::new("/")).as_str(), "file:///");
    }
}
