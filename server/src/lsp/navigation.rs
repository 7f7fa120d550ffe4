//! Navigation requests: outline, folding, hover, definition, references, highlights,
//! completion, inlay hints, workspace symbols. Thin wrappers: snapshot -> tree ->
//! `crate::navigation` -> positions in the negotiated encoding.
//!
//! Like diagnostics, they answer only for task lists (a file the `include` globs name, or
//! one with at least three nodes), so the server adds nothing to other Markdown files.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use ropey::Rope;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::convert::{self, Encoding};
use super::server::{file_path, Backend, Snapshot};
use crate::config::MIN_NODES_TO_ANALYSE;
use crate::document::Document;
use crate::model::TaskTree;
use crate::navigation::{self as nav, Hit};

/// Workspace files read for `workspace/symbol`, at most.
const MAX_WORKSPACE_FILES: usize = 2000;
/// Larger files are left out of the workspace search.
const MAX_WORKSPACE_FILE_BYTES: u64 = 16 << 20;
/// `workspace/symbol` results, at most.
const MAX_WORKSPACE_SYMBOLS: usize = 500;

/// Runs `f` over the task tree of an open document; `None` when it is not a task list.
fn with_tree<R>(
    backend: &Backend,
    uri: &Uri,
    f: impl FnOnce(&Snapshot, &TaskTree, Encoding) -> Option<R>,
) -> Result<Option<R>> {
    let snapshot = backend.snapshot(uri)?;
    let config = backend.config(uri);
    if !snapshot.is_task_list(uri, &config) {
        return Ok(None);
    }
    let tree = snapshot.tree(&config);
    Ok(f(&snapshot, &tree, backend.encoding()))
}

/// The (line, byte column) of a request position.
fn line_col(rope: &Rope, position: Position, encoding: Encoding) -> (usize, usize) {
    let offset = convert::offset(rope, position, encoding);
    let line = rope.byte_to_line(offset);
    (line, offset - rope.line_to_byte(line))
}

fn hit_at(snapshot: &Snapshot, tree: &TaskTree, position: Position, enc: Encoding) -> Option<Hit> {
    let (line, col) = line_col(&snapshot.rope, position, enc);
    nav::hit_at(tree, line, col as u32)
}

/// Whole lines, from the start of the first to the end of the last.
fn lines_range(rope: &Rope, lines: &RangeInclusive<usize>, encoding: Encoding) -> Range {
    Range::new(
        convert::position(rope, *lines.start(), 0, encoding),
        convert::position(rope, *lines.end(), u32::MAX, encoding),
    )
}

fn symbol_kind(level: usize) -> SymbolKind {
    match level {
        1 => SymbolKind::NAMESPACE,
        2 => SymbolKind::MODULE,
        3 => SymbolKind::CLASS,
        4 => SymbolKind::METHOD,
        _ => SymbolKind::FUNCTION,
    }
}

fn document_symbol_of(rope: &Rope, symbol: nav::Symbol, encoding: Encoding) -> DocumentSymbol {
    #[allow(deprecated)]
    DocumentSymbol {
        name: symbol.name,
        detail: Some(symbol.detail),
        kind: symbol_kind(symbol.level),
        tags: None,
        deprecated: None,
        range: lines_range(rope, &symbol.lines, encoding),
        selection_range: convert::range(rope, symbol.selection, encoding),
        children: (!symbol.children.is_empty()).then(|| {
            symbol
                .children
                .into_iter()
                .map(|c| document_symbol_of(rope, c, encoding))
                .collect()
        }),
    }
}

pub fn document_symbol(
    backend: &Backend,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    with_tree(backend, &params.text_document.uri, |snapshot, tree, enc| {
        let symbols = nav::document_symbols(tree)
            .into_iter()
            .map(|s| document_symbol_of(&snapshot.rope, s, enc))
            .collect();
        Some(DocumentSymbolResponse::Nested(symbols))
    })
}

pub fn folding_range(
    backend: &Backend,
    params: FoldingRangeParams,
) -> Result<Option<Vec<FoldingRange>>> {
    with_tree(backend, &params.text_document.uri, |_, tree, _| {
        let folds = nav::folding_ranges(tree)
            .into_iter()
            .map(|lines| FoldingRange {
                start_line: *lines.start() as u32,
                end_line: *lines.end() as u32,
                kind: Some(FoldingRangeKind::Region),
                ..FoldingRange::default()
            })
            .collect();
        Some(folds)
    })
}

pub fn hover(backend: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let at = params.text_document_position_params;
    with_tree(backend, &at.text_document.uri, |snapshot, tree, enc| {
        let (line, col) = line_col(&snapshot.rope, at.position, enc);
        let hit = nav::hit_at(tree, line, col as u32)?;
        // The ID or reference, when the cursor is on it (a range must hold the cursor).
        let on = hit.location(tree);
        let holds = on.line == line && (on.start as usize..=on.end as usize).contains(&col);
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: nav::hover(tree, &hit),
            }),
            range: holds.then(|| convert::range(&snapshot.rope, on, enc)),
        })
    })
}

pub fn goto_definition(
    backend: &Backend,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    let at = params.text_document_position_params;
    let uri = at.text_document.uri;
    with_tree(backend, &uri, |snapshot, tree, enc| {
        let hit = hit_at(snapshot, tree, at.position, enc)?;
        let target = nav::definition(tree, &hit)?;
        let range = convert::range(&snapshot.rope, target, enc);
        Some(GotoDefinitionResponse::Scalar(Location::new(
            uri.clone(),
            range,
        )))
    })
}

pub fn references(backend: &Backend, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
    let at = params.text_document_position;
    let uri = at.text_document.uri;
    let include_declaration = params.context.include_declaration;
    with_tree(backend, &uri, |snapshot, tree, enc| {
        let hit = hit_at(snapshot, tree, at.position, enc)?;
        let locations = nav::references(tree, &hit, include_declaration)
            .into_iter()
            .map(|l| Location::new(uri.clone(), convert::range(&snapshot.rope, l, enc)))
            .collect();
        Some(locations)
    })
}

pub fn document_highlight(
    backend: &Backend,
    params: DocumentHighlightParams,
) -> Result<Option<Vec<DocumentHighlight>>> {
    let at = params.text_document_position_params;
    with_tree(backend, &at.text_document.uri, |snapshot, tree, enc| {
        let hit = hit_at(snapshot, tree, at.position, enc)?;
        let highlights = nav::highlights(tree, &hit)
            .into_iter()
            .map(|(l, write)| DocumentHighlight {
                range: convert::range(&snapshot.rope, l, enc),
                kind: Some(if write {
                    DocumentHighlightKind::WRITE
                } else {
                    DocumentHighlightKind::READ
                }),
            })
            .collect();
        Some(highlights)
    })
}

pub fn completion(
    backend: &Backend,
    params: CompletionParams,
) -> Result<Option<CompletionResponse>> {
    let at = params.text_document_position;
    with_tree(backend, &at.text_document.uri, |snapshot, tree, enc| {
        let (line, col) = line_col(&snapshot.rope, at.position, enc);
        let text = snapshot.line(line);
        let found = nav::complete(tree, line, &text, col)?;
        let replace = convert::range(&snapshot.rope, found.replace, enc);
        let items = found
            .items
            .into_iter()
            .map(|c| CompletionItem {
                label: c.id.clone(),
                kind: Some(CompletionItemKind::REFERENCE),
                detail: (!c.detail.is_empty()).then_some(c.detail),
                sort_text: Some(format!("{:05}", c.rank)),
                filter_text: Some(c.id.clone()),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(replace, c.id))),
                ..CompletionItem::default()
            })
            .collect();
        Some(CompletionResponse::List(CompletionList {
            is_incomplete: found.incomplete,
            items,
        }))
    })
}

pub fn inlay_hint(backend: &Backend, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
    with_tree(backend, &params.text_document.uri, |snapshot, tree, enc| {
        let rope = &snapshot.rope;
        let first = convert::offset(rope, params.range.start, enc);
        let last = convert::offset(rope, params.range.end, enc);
        let lines = rope.byte_to_line(first)..=rope.byte_to_line(last.max(first));
        let hints = nav::inlay_hints(tree, lines)
            .into_iter()
            .map(|h| InlayHint {
                position: convert::position(rope, h.line, h.col, enc),
                label: InlayHintLabel::String(h.label),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String(h.tooltip)),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
            .collect();
        Some(hints)
    })
}

/// The symbols of one file, with their LSP ranges (cached per file for the workspace).
#[derive(Clone)]
struct FileSymbols {
    /// Written nodes, to decide whether a file outside `include` is a task list.
    nodes: usize,
    symbols: Vec<(nav::SymbolEntry, Range)>,
}

impl FileSymbols {
    fn of(rope: &Rope, tree: &TaskTree, encoding: Encoding) -> FileSymbols {
        let symbols: Vec<_> = nav::symbol_entries(tree)
            .into_iter()
            .map(|e| {
                let range = convert::range(rope, e.location, encoding);
                (e, range)
            })
            .collect();
        FileSymbols {
            nodes: symbols.len(),
            symbols,
        }
    }
}

struct CachedFile {
    modified: SystemTime,
    len: u64,
    encoding: Encoding,
    symbols: FileSymbols,
}

/// Parsed workspace files, by path, so that each keystroke in a symbol picker does not
/// read the workspace again (a file is parsed again when its size or time changes).
fn workspace_cache() -> &'static Mutex<HashMap<PathBuf, CachedFile>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, CachedFile>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The symbols of a workspace file read from disk; `None` if it cannot be read.
fn disk_symbols(path: &Path, encoding: Encoding) -> Option<FileSymbols> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_WORKSPACE_FILE_BYTES {
        return None;
    }
    let modified = meta.modified().ok()?;
    {
        let cache = workspace_cache().lock().expect("workspace cache");
        if let Some(c) = cache.get(path) {
            if c.modified == modified && c.len == meta.len() && c.encoding == encoding {
                return Some(c.symbols.clone());
            }
        }
    }
    let text = String::from_utf8(std::fs::read(path).ok()?).ok()?;
    let doc = Document::new(&text, 0);
    // The profile changes nothing a symbol shows.
    let tree = TaskTree::build(&doc, None);
    let symbols = FileSymbols::of(doc.rope(), &tree, encoding);
    workspace_cache().lock().expect("workspace cache").insert(
        path.to_path_buf(),
        CachedFile {
            modified,
            len: meta.len(),
            encoding,
            symbols: symbols.clone(),
        },
    );
    Some(symbols)
}

pub fn workspace_symbol(
    backend: &Backend,
    params: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>> {
    let encoding = backend.encoding();
    let query = params.query;
    // (rank, file order, symbol order) so the best matches survive the cap.
    let mut found: Vec<((u8, usize, usize), WorkspaceSymbol)> = Vec::new();
    let mut collect = |uri: &Uri, file: usize, symbols: FileSymbols| {
        for (i, (entry, range)) in symbols.symbols.into_iter().enumerate() {
            let Some(rank) = nav::match_rank(&entry.name, &query) else {
                continue;
            };
            found.push((
                (rank, file, i),
                WorkspaceSymbol {
                    name: entry.name,
                    kind: symbol_kind(entry.level),
                    tags: None,
                    container_name: entry.container,
                    location: OneOf::Left(Location::new(uri.clone(), range)),
                    data: None,
                },
            ));
        }
    };

    let mut open_paths = HashSet::new();
    let mut open = backend.open_documents();
    open.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let mut file = 0;
    for (uri, snapshot) in &open {
        open_paths.extend(file_path(uri));
        let config = backend.config(uri);
        if snapshot.is_task_list(uri, &config) {
            let tree = snapshot.tree(&config);
            collect(uri, file, FileSymbols::of(&snapshot.rope, &tree, encoding));
            file += 1;
        }
    }
    let files = nav::markdown_files(&backend.folders(), MAX_WORKSPACE_FILES);
    {
        // Forget files that are gone.
        let present: HashSet<&PathBuf> = files.iter().collect();
        let mut cache = workspace_cache().lock().expect("workspace cache");
        cache.retain(|path, _| present.contains(path));
    }
    for path in files {
        if open_paths.contains(&path) {
            continue;
        }
        let Some(symbols) = disk_symbols(&path, encoding) else {
            continue;
        };
        let uri = super::file_uri(&path);
        let config = backend.config(&uri);
        if config.includes(&path) || symbols.nodes >= MIN_NODES_TO_ANALYSE {
            collect(&uri, file, symbols);
            file += 1;
        }
    }
    found.sort_by_key(|(key, _)| *key);
    found.truncate(MAX_WORKSPACE_SYMBOLS);
    let symbols = found.into_iter().map(|(_, s)| s).collect();
    Ok(Some(WorkspaceSymbolResponse::Nested(symbols)))
}
