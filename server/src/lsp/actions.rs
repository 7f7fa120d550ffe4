//! Code actions, rename. (Being written.)

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::server::Backend;

pub async fn code_action(_: &Backend, _: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    Ok(None)
}

pub fn prepare_rename(
    _: &Backend,
    _: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    Ok(None)
}

pub fn rename(_: &Backend, _: RenameParams) -> Result<Option<WorkspaceEdit>> {
    Ok(None)
}
