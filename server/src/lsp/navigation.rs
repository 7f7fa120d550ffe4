//! Navigation requests: outline, folding, hover, definition, references, highlights,
//! completion, inlay hints, workspace symbols. (Being written.)

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::server::Backend;

pub fn document_symbol(
    _: &Backend,
    _: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    Ok(None)
}

pub fn folding_range(_: &Backend, _: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
    Ok(None)
}

pub fn hover(_: &Backend, _: HoverParams) -> Result<Option<Hover>> {
    Ok(None)
}

pub fn goto_definition(
    _: &Backend,
    _: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    Ok(None)
}

pub fn references(_: &Backend, _: ReferenceParams) -> Result<Option<Vec<Location>>> {
    Ok(None)
}

pub fn document_highlight(
    _: &Backend,
    _: DocumentHighlightParams,
) -> Result<Option<Vec<DocumentHighlight>>> {
    Ok(None)
}

pub fn completion(_: &Backend, _: CompletionParams) -> Result<Option<CompletionResponse>> {
    Ok(None)
}

pub fn inlay_hint(_: &Backend, _: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
    Ok(None)
}

pub fn workspace_symbol(
    _: &Backend,
    _: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>> {
    Ok(None)
}
