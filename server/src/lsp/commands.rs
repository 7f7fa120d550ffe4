//! `workspace/executeCommand`. (Being written.)

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

use super::server::Backend;

/// Writes the Mermaid graph of a task list next to it and opens it.
pub const WRITE_GRAPH: &str = "wbs-lsp.writeGraph";

pub async fn execute_command(_: &Backend, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
    Err(Error::invalid_params(format!(
        "unknown command {}",
        params.command
    )))
}
