//! Navigation over the task tree: what the cursor is on, the outline, folds, hover text,
//! definitions, references, completion of Dependencies, inlay hints and symbol search.
//!
//! Pure functions over the model; positions are `rules::Location`s (line and byte
//! columns) and line numbers. Only `lsp::navigation` turns them into LSP types.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use crate::model::id::TaskId;
use crate::model::line::{parse_references, NoteKey};
use crate::model::TaskTree;
use crate::rules::{self, Location};

/// Outlines deeper than this are flattened, so that no ID, however long, makes a nesting
/// deep enough to trouble whoever walks or serializes the outline.
const MAX_OUTLINE_DEPTH: usize = 32;
/// Inlay hints show at most this many characters of a title.
const HINT_CHARS: usize = 30;
/// Completion offers at most this many IDs (the list says it is incomplete beyond).
pub const MAX_COMPLETIONS: usize = 200;
/// Hover lists at most this many dependents.
const MAX_DEPENDENTS_SHOWN: usize = 20;

// ---------------------------------------------------------------------------------------
// What the cursor is on
// ---------------------------------------------------------------------------------------

/// What stands at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hit {
    /// A written node: the cursor is on its line outside any reference.
    Node(usize),
    /// A reference in a Dependencies note.
    Reference {
        /// Where the reference stands (keyword and ID).
        location: Location,
        id: TaskId,
        /// The node it resolves to; `None` for an unknown ID.
        target: Option<usize>,
        /// The node whose note holds it.
        owner: usize,
    },
}

impl Hit {
    /// The ID the hit is about.
    pub fn id<'t>(&'t self, tree: &'t TaskTree) -> &'t TaskId {
        match self {
            Hit::Node(node) => &tree.nodes[*node].id,
            Hit::Reference { id, .. } => id,
        }
    }

    /// The node the hit designates: the node itself (for a later duplicate, the node that
    /// carries the ID), or the node a reference resolves to.
    pub fn target(&self, tree: &TaskTree) -> Option<usize> {
        match self {
            Hit::Node(node) => Some(tree.nodes[*node].duplicate_of.unwrap_or(*node)),
            Hit::Reference { target, .. } => *target,
        }
    }

    /// The range the hit covers: the node's ID, or the reference.
    pub fn location(&self, tree: &TaskTree) -> Location {
        match self {
            Hit::Node(node) => rules::node_location(tree, *node),
            Hit::Reference { location, .. } => *location,
        }
    }
}

/// The written node on a line.
pub fn node_on_line(tree: &TaskTree, line: usize) -> Option<usize> {
    tree.nodes
        .iter()
        .position(|n| n.line == line && !n.is_implied())
}

/// What the cursor at (line, byte column) is on: a reference (the cursor inside it or
/// right after it), else the node written on that line (anywhere on the line: its ID, the
/// keyword, the title). A notes line away from its references is nothing.
pub fn hit_at(tree: &TaskTree, line: usize, col: u32) -> Option<Hit> {
    let mut touching = None;
    for (owner, node) in tree.nodes.iter().enumerate() {
        for (ref_line, reference) in node.references() {
            if ref_line != line || col < reference.span.start || col > reference.span.end {
                continue;
            }
            let hit = Hit::Reference {
                location: rules::reference_location(ref_line, reference),
                id: reference.id.clone(),
                target: tree.resolve(&reference.id),
                owner,
            };
            if col < reference.span.end {
                return Some(hit);
            }
            // Right after the reference: take it unless another one starts here.
            touching.get_or_insert(hit);
        }
    }
    touching.or_else(|| node_on_line(tree, line).map(Hit::Node))
}

// ---------------------------------------------------------------------------------------
// Outline and folding
// ---------------------------------------------------------------------------------------

/// The outline's children of every node and its roots: the tree's children plus each
/// later duplicate of an ID, placed under the node its ID's parent names (the outline
/// shows every written line), all in document order.
fn outline(tree: &TaskTree) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut children: Vec<Vec<usize>> = tree.nodes.iter().map(|n| n.children.clone()).collect();
    let mut roots = tree.roots.clone();
    for (i, node) in tree.nodes.iter().enumerate() {
        if node.duplicate_of.is_none() {
            continue;
        }
        match node.id.parent().and_then(|p| tree.node_for(&p)) {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    let key = |&i: &usize| (tree.nodes[i].line, i);
    for list in &mut children {
        list.sort_by_key(key);
    }
    roots.sort_by_key(key);
    (children, roots)
}

/// The last line of each node's outline subtree: its own line, its notes' lines and its
/// descendants'.
fn subtree_ends(tree: &TaskTree, children: &[Vec<usize>]) -> Vec<usize> {
    let mut ends: Vec<usize> = tree
        .nodes
        .iter()
        .map(|n| n.notes.iter().map(|(l, _)| *l).fold(n.line, usize::max))
        .collect();
    // Children are one level deeper than their parent: deepest first.
    let mut order: Vec<usize> = (0..tree.nodes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(tree.nodes[i].level()));
    for i in order {
        let end = children[i].iter().map(|&c| ends[c]).max();
        if let Some(end) = end {
            ends[i] = ends[i].max(end);
        }
    }
    ends
}

/// One entry of the document outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub node: usize,
    /// `ID Title`.
    pub name: String,
    /// The level's name, the dependencies, and whether the node is commented out.
    pub detail: String,
    pub level: usize,
    /// The lines the symbol spans: its line to the last line of its subtree.
    pub lines: RangeInclusive<usize>,
    /// The ID (for an implied node, the ID of the child written on its line).
    pub selection: Location,
    pub children: Vec<Symbol>,
}

/// The name of a level: `Stage`, `Phase`, `Task`, `Subtask`, `Atomic`, `Level N`.
pub fn level_word(level: usize) -> String {
    match level {
        1 => "Stage".into(),
        2 => "Phase".into(),
        3 => "Task".into(),
        4 => "Subtask".into(),
        5 => "Atomic".into(),
        n => format!("Level {n}"),
    }
}

/// How a node calls itself: its written keyword, else its level's name.
fn kind_word(tree: &TaskTree, node: usize) -> String {
    let n = &tree.nodes[node];
    match n.keyword() {
        Some(k) => k.as_str().to_string(),
        None if tree.is_check_task(node) => "Check task".into(),
        None => level_word(n.level()),
    }
}

/// `ID Title`, or the ID alone for an empty title.
pub fn display_name(tree: &TaskTree, node: usize) -> String {
    let n = &tree.nodes[node];
    if n.title().is_empty() {
        n.id.to_string()
    } else {
        format!("{} {}", n.id, n.title())
    }
}

fn symbol_detail(tree: &TaskTree, node: usize) -> String {
    let n = &tree.nodes[node];
    let mut detail = kind_word(tree, node);
    let refs: Vec<String> = n.references().map(|(_, r)| r.id.to_string()).collect();
    if !refs.is_empty() {
        let _ = write!(detail, " · depends on {}", refs.join(", "));
    } else if n
        .notes_with(NoteKey::Dependencies)
        .any(|(_, note)| note.is_present())
    {
        detail.push_str(" · no dependencies");
    }
    if n.is_implied() {
        detail.push_str(" (not written)");
    } else if n.duplicate_of.is_some() {
        detail.push_str(" (duplicate ID)");
    }
    if n.inactive {
        detail.push_str(" (commented out)");
    }
    detail
}

/// The hierarchy Stage > Phase > Task > Subtask > leaf, in document order.
pub fn document_symbols(tree: &TaskTree) -> Vec<Symbol> {
    symbols_to_depth(tree, MAX_OUTLINE_DEPTH)
}

/// The outline, with the subtrees below `max_depth` flattened.
fn symbols_to_depth(tree: &TaskTree, max_depth: usize) -> Vec<Symbol> {
    let (children, roots) = outline(tree);
    let ends = subtree_ends(tree, &children);
    let make = |node: usize, kids: Vec<Symbol>| {
        let n = &tree.nodes[node];
        // An implied node stands on the line of the first descendant written there.
        let mut shown = node;
        while tree.nodes[shown].is_implied() {
            match tree.nodes[shown].children.first() {
                Some(&c) => shown = c,
                None => break,
            }
        }
        Symbol {
            node,
            name: display_name(tree, node),
            detail: symbol_detail(tree, node),
            level: n.level(),
            lines: n.line..=ends[node],
            selection: rules::node_location(tree, shown),
            children: kids,
        }
    };
    // Built bottom-up without recursion: each node's symbol once its children's are done.
    let mut built: Vec<Option<Symbol>> = vec![None; tree.nodes.len()];
    let mut stack: Vec<(usize, usize, bool)> = roots.iter().rev().map(|&r| (r, 1, false)).collect();
    while let Some((node, depth, expanded)) = stack.pop() {
        if !expanded {
            stack.push((node, depth, true));
            if depth < max_depth {
                stack.extend(children[node].iter().rev().map(|&c| (c, depth + 1, false)));
            }
            continue;
        }
        let kids = if depth < max_depth {
            children[node]
                .iter()
                .filter_map(|&c| built[c].take())
                .collect()
        } else {
            // Too deep: the rest of the subtree as a flat list.
            let mut flat = Vec::new();
            let mut pending: Vec<usize> = children[node].iter().rev().copied().collect();
            while let Some(d) = pending.pop() {
                flat.push(make(d, Vec::new()));
                pending.extend(children[d].iter().rev());
            }
            flat
        };
        built[node] = Some(make(node, kids));
    }
    roots.iter().filter_map(|&r| built[r].take()).collect()
}

/// The folds: each written node with children (in the outline) folds from its line to
/// the last line of its subtree.
pub fn folding_ranges(tree: &TaskTree) -> Vec<RangeInclusive<usize>> {
    let (children, _) = outline(tree);
    let ends = subtree_ends(tree, &children);
    let mut folds: Vec<RangeInclusive<usize>> = tree
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| !n.is_implied() && !children[*i].is_empty() && ends[*i] > n.line)
        .map(|(i, n)| n.line..=ends[i])
        .collect();
    folds.sort_by_key(|r| (*r.start(), std::cmp::Reverse(*r.end())));
    folds.dedup_by_key(|r| *r.start());
    folds
}

// ---------------------------------------------------------------------------------------
// Hover
// ---------------------------------------------------------------------------------------

/// The references that resolve to `target`, with the node whose note holds each.
pub fn dependents(tree: &TaskTree, target: usize) -> Vec<(usize, Location)> {
    let id = &tree.nodes[target].id;
    let mut out = Vec::new();
    for (owner, node) in tree.nodes.iter().enumerate() {
        for (line, reference) in node.references() {
            if reference.id == *id && tree.resolve(&reference.id) == Some(target) {
                out.push((owner, rules::reference_location(line, reference)));
            }
        }
    }
    out.sort_by_key(|(_, l)| *l);
    out
}

/// Checked and total leaves with a checkbox in a node's subtree (the node itself if it is
/// a leaf).
pub fn progress(tree: &TaskTree, node: usize) -> (usize, usize) {
    let (mut checked, mut total) = (0, 0);
    let mut pending = vec![node];
    while let Some(i) = pending.pop() {
        pending.extend(&tree.nodes[i].children);
        if !tree.is_leaf(i) {
            continue;
        }
        if let Some(done) = tree.nodes[i].written.and_then(|w| w.checkbox) {
            total += 1;
            checked += usize::from(done);
        }
    }
    (checked, total)
}

/// The stage a node belongs to, as `Stage 1 CORE – Foundation` (its level-1 node's name
/// and title); `None` for a level-1 node.
fn stage_of(tree: &TaskTree, node: usize) -> Option<String> {
    let n = &tree.nodes[node];
    if n.level() == 1 {
        return None;
    }
    let stage_id = TaskId::new(vec![n.id.stage()], None);
    let written = tree
        .node_for(&stage_id)
        .filter(|&s| !tree.nodes[s].is_implied());
    Some(match written {
        Some(s) if !tree.nodes[s].title().is_empty() => {
            format!("{} {}", rules::name(tree, s), tree.nodes[s].title())
        }
        Some(s) => rules::name(tree, s),
        None if tree.three_stage() => format!("Stage {stage_id}"),
        None => format!("{} {stage_id}", rules::level_name(1)),
    })
}

/// A referenced node as `` `1.2` Title ``, or the ID marked unknown.
fn reference_line(tree: &TaskTree, id: &TaskId) -> String {
    match tree.resolve(id) {
        Some(t) if tree.nodes[t].title().is_empty() => format!("`{id}`"),
        Some(t) => format!("`{id}` {}", tree.nodes[t].title()),
        None => format!("`{id}` *(unknown: not in this document)*"),
    }
}

/// The hover of a node, as Markdown: ID and title, level and stage, Dependencies with the
/// titles they name, who depends on it, its Stage Gate, and checkbox progress.
pub fn hover_node(tree: &TaskTree, node: usize) -> String {
    let n = &tree.nodes[node];
    let mut out = format!("**{}**", n.id);
    if !n.title().is_empty() {
        let _ = write!(out, " {}", n.title());
    }
    let _ = write!(out, "\n\n{} · level {}", kind_word(tree, node), n.level());
    if let Some(stage) = stage_of(tree, node) {
        let _ = write!(out, " · in {stage}");
    }
    if n.inactive {
        out.push_str(" · commented out");
    }
    if let Some(first) = n.duplicate_of {
        let _ = write!(
            out,
            " · duplicate ID: references go to line {}",
            tree.nodes[first].line + 1
        );
    }

    let deps: Vec<_> = n
        .notes_with(NoteKey::Dependencies)
        .filter(|(_, note)| note.is_present())
        .collect();
    if !deps.is_empty() {
        out.push_str("\n\n**Dependencies:**");
        for (_, note) in deps {
            if note.refs.is_empty() {
                let _ = write!(out, " {}", note.value);
            } else {
                for r in &note.refs {
                    let _ = write!(out, "\n- {}", reference_line(tree, &r.id));
                }
            }
        }
    }
    let target = n.duplicate_of.unwrap_or(node);
    let mut owners: Vec<usize> = dependents(tree, target).iter().map(|(o, _)| *o).collect();
    owners.sort_unstable();
    owners.dedup();
    if !owners.is_empty() {
        out.push_str("\n\n**Depended on by:**");
        for &o in owners.iter().take(MAX_DEPENDENTS_SHOWN) {
            let _ = write!(out, "\n- {}", reference_line(tree, &tree.nodes[o].id));
        }
        if owners.len() > MAX_DEPENDENTS_SHOWN {
            let _ = write!(
                out,
                "\n- … and {} more",
                owners.len() - MAX_DEPENDENTS_SHOWN
            );
        }
    }
    for (_, gate) in n.notes_with(NoteKey::StageGate) {
        if gate.is_present() {
            let _ = write!(out, "\n\n**Stage Gate:** {}", gate.value);
        }
    }
    let (checked, total) = progress(tree, target);
    if total > 0 {
        let _ = write!(out, "\n\n**Progress:** {checked}/{total} checked");
    }
    out
}

/// The hover at a hit: the node's, or for a reference its target's; an unknown
/// reference says so.
pub fn hover(tree: &TaskTree, hit: &Hit) -> String {
    match (hit, hit.target(tree)) {
        (Hit::Node(node), _) => hover_node(tree, *node),
        (Hit::Reference { .. }, Some(target)) => hover_node(tree, target),
        (Hit::Reference { id, .. }, None) => {
            if tree.node_for(id).is_some() {
                format!(
                    "**{id}** is not written: it is only implied by its children, so a \
                     reference to it is unknown. Write the node or depend on a child."
                )
            } else {
                format!("**{id}** is not in this document: fix the ID or remove it.")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Definition, references, highlights
// ---------------------------------------------------------------------------------------

/// Where the hit's node is written (its ID).
pub fn definition(tree: &TaskTree, hit: &Hit) -> Option<Location> {
    hit.target(tree).map(|t| rules::node_location(tree, t))
}

/// Every reference to the hit's ID (also when it is unknown), in document order; with
/// the declaration (the written node carrying the ID) first when asked.
pub fn references(tree: &TaskTree, hit: &Hit, include_declaration: bool) -> Vec<Location> {
    let id = hit.id(tree);
    let mut out: Vec<Location> = Vec::new();
    if include_declaration {
        out.extend(tree.resolve(id).map(|t| rules::node_location(tree, t)));
    }
    let mut refs: Vec<Location> = tree
        .nodes
        .iter()
        .flat_map(|n| n.references())
        .filter(|(_, r)| r.id == *id)
        .map(|(line, r)| rules::reference_location(line, r))
        .collect();
    refs.sort();
    out.extend(refs);
    out
}

/// The node's ID (written: `true`) and the references to it (read: `false`).
pub fn highlights(tree: &TaskTree, hit: &Hit) -> Vec<(Location, bool)> {
    let declaration = tree
        .resolve(hit.id(tree))
        .map(|t| rules::node_location(tree, t));
    references(tree, hit, true)
        .into_iter()
        .map(|l| (l, Some(l) == declaration))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Completion
// ---------------------------------------------------------------------------------------

/// One ID offered for a Dependencies note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub node: usize,
    pub id: String,
    /// The title (and `(commented out)` for an inactive node).
    pub detail: String,
    /// Rank: 0 is the nearest node written before the note's node.
    pub rank: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The partial ID before the cursor, which a chosen item replaces.
    pub replace: Location,
    pub items: Vec<Candidate>,
    /// More candidates match than are listed.
    pub incomplete: bool,
}

const NOTE_KEYS: [(&str, bool); 4] = [
    ("dependencies", true),
    ("depends on", true),
    ("stage gate", false),
    ("gate", false),
];

/// Where the value of the Dependencies note the text ends in starts: the text holds a
/// Dependencies key and `:`, and no later key, separator (`|`, `;`) or closing parenthesis.
pub fn dependencies_value_start(prefix: &str) -> Option<usize> {
    let b = prefix.as_bytes();
    let mut last: Option<(bool, usize)> = None;
    for pos in 0..b.len() {
        if pos > 0 && b[pos - 1].is_ascii_alphanumeric() {
            continue;
        }
        for (word, dependencies) in NOTE_KEYS {
            let end = pos + word.len();
            if end > b.len() || !b[pos..end].eq_ignore_ascii_case(word.as_bytes()) {
                continue;
            }
            let mut p = end;
            while p < b.len() && matches!(b[p], b'*' | b'_' | b' ' | b'\t') {
                p += 1;
            }
            if b.get(p) == Some(&b':') {
                last = Some((dependencies, p + 1));
                break;
            }
        }
    }
    let (true, start) = last? else {
        return None;
    };
    let mut depth = 0i32;
    for &c in &b[start..] {
        match c {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'|' | b';' => return None,
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    Some(start)
}

/// The start of the partial ID that ends at `col` (digits, dots, a capital after a dot).
fn partial_id_start(text: &str, col: usize) -> usize {
    let b = text.as_bytes();
    let mut i = col;
    while i > 0 {
        let c = b[i - 1];
        if c.is_ascii_digit() || c == b'.' || (c.is_ascii_uppercase() && i >= 2 && b[i - 2] == b'.')
        {
            i -= 1;
        } else {
            break;
        }
    }
    i
}

/// The node a note on `line` belongs to: the node written on it, the node whose notes
/// stand on it, else the nearest node written above.
fn note_owner(tree: &TaskTree, line: usize) -> Option<usize> {
    node_on_line(tree, line)
        .or_else(|| {
            tree.nodes
                .iter()
                .position(|n| n.notes.iter().any(|(l, _)| *l == line))
        })
        .or_else(|| {
            tree.nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| !n.is_implied() && n.line < line)
                .max_by_key(|(i, n)| (n.line, *i))
                .map(|(i, _)| i)
        })
}

/// Completion at byte column `col` of `line`, whose text is `text`: inside the value of
/// a Dependencies note, the written IDs the note's node may depend on (not itself, its
/// ancestors or descendants, nor in the three-stage profile a later stage, nor an ID
/// already listed), nearest and earlier first; `None` elsewhere.
pub fn complete(tree: &TaskTree, line: usize, text: &str, col: usize) -> Option<Completion> {
    let mut col = col.min(text.len());
    while !text.is_char_boundary(col) {
        col -= 1;
    }
    let value_start = dependencies_value_start(&text[..col])?;
    let token_start = partial_id_start(text, col).max(value_start);
    let typed = &text[token_start..col];
    let listed: HashSet<TaskId> = parse_references(&text[value_start..token_start], value_start)
        .into_iter()
        .map(|r| r.id)
        .collect();
    let owner = note_owner(tree, line);
    let anchor = owner.map_or(line, |o| tree.nodes[o].line);

    let mut candidates: Vec<(bool, usize, usize)> = Vec::new();
    for (i, n) in tree.nodes.iter().enumerate() {
        if n.is_implied() || n.duplicate_of.is_some() || listed.contains(&n.id) {
            continue;
        }
        if let Some(o) = owner {
            let own = &tree.nodes[o].id;
            if i == o || n.id == *own || n.id.is_ancestor_of(own) || own.is_ancestor_of(&n.id) {
                continue;
            }
            if tree.three_stage() && n.id.stage() > own.stage() {
                continue;
            }
        }
        if !n.id.to_string().starts_with(typed) {
            continue;
        }
        let later = n.line > anchor || (n.line == anchor && owner.is_some_and(|o| i > o));
        let distance = n.line.abs_diff(anchor);
        candidates.push((later, distance, i));
    }
    candidates.sort_unstable();
    let incomplete = candidates.len() > MAX_COMPLETIONS;
    let items = candidates
        .into_iter()
        .take(MAX_COMPLETIONS)
        .enumerate()
        .map(|(rank, (_, _, i))| {
            let n = &tree.nodes[i];
            let mut detail = n.title().to_string();
            if n.inactive {
                detail.push_str(if detail.is_empty() {
                    "(commented out)"
                } else {
                    " (commented out)"
                });
            }
            Candidate {
                node: i,
                id: n.id.to_string(),
                detail,
                rank,
            }
        })
        .collect();
    Some(Completion {
        replace: Location {
            line,
            start: token_start as u32,
            end: col as u32,
        },
        items,
        incomplete,
    })
}

// ---------------------------------------------------------------------------------------
// Inlay hints
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub line: usize,
    /// Byte column right after the reference.
    pub col: u32,
    /// The referenced node's title, shortened.
    pub label: String,
    /// `ID Title` in full.
    pub tooltip: String,
}

/// A title cut to [`HINT_CHARS`] characters, with an ellipsis when cut.
pub fn shorten(title: &str) -> String {
    if title.chars().count() <= HINT_CHARS {
        return title.to_string();
    }
    let cut: String = title.chars().take(HINT_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// After each reference on the lines in `lines` that resolves to a node with a title:
/// that title, shortened.
pub fn inlay_hints(tree: &TaskTree, lines: RangeInclusive<usize>) -> Vec<Hint> {
    let mut hints: Vec<Hint> = tree
        .nodes
        .iter()
        .flat_map(|n| n.references())
        .filter(|(line, _)| lines.contains(line))
        .filter_map(|(line, r)| {
            let target = tree.resolve(&r.id)?;
            let title = tree.nodes[target].title();
            (!title.is_empty()).then(|| Hint {
                line,
                col: r.span.end,
                label: shorten(title),
                tooltip: display_name(tree, target),
            })
        })
        .collect();
    hints.sort_by_key(|h| (h.line, h.col));
    hints
}

// ---------------------------------------------------------------------------------------
// Workspace symbols
// ---------------------------------------------------------------------------------------

/// A written node as a workspace symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolEntry {
    /// `ID Title`.
    pub name: String,
    pub level: usize,
    /// The ID.
    pub location: Location,
    /// The written parent's `ID Title`.
    pub container: Option<String>,
}

/// Every written node of a tree, in document order.
pub fn symbol_entries(tree: &TaskTree) -> Vec<SymbolEntry> {
    tree.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.is_implied())
        .map(|(i, n)| SymbolEntry {
            name: display_name(tree, i),
            level: n.level(),
            location: rules::node_location(tree, i),
            container: n
                .id
                .parent()
                .and_then(|p| tree.resolve(&p))
                .map(|p| display_name(tree, p)),
        })
        .collect()
}

/// How well a symbol name matches a query, lower is better; `None` when the query (case
/// insensitive) is not a substring of the name. An empty query matches everything.
pub fn match_rank(name: &str, query: &str) -> Option<u8> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Some(2);
    }
    let name = name.to_lowercase();
    let at = name.find(&query)?;
    let id_len = name.find(' ').unwrap_or(name.len());
    Some(if at == 0 && query.len() >= id_len {
        0 // the ID itself (and maybe more)
    } else if at == 0 {
        1 // a prefix of the ID
    } else {
        2
    })
}

/// The Markdown files under the folders, in path order, at most `max`: hidden folders,
/// `node_modules` and `target` are skipped, and symbolic links are not followed, so no
/// file outside the folders is read.
pub fn markdown_files(folders: &[PathBuf], max: usize) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for folder in folders {
        walk(folder, max, &mut seen, &mut out);
    }
    out
}

fn walk(dir: &Path, max: usize, seen: &mut HashSet<PathBuf>, out: &mut Vec<PathBuf>) {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries
            .flatten()
            .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (path, kind) in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if kind.is_dir() {
                if !name.starts_with('.') && name != "node_modules" && name != "target" {
                    subdirs.push(path);
                }
            } else if kind.is_file()
                && (name.ends_with(".md") || name.ends_with(".markdown"))
                && seen.insert(path.clone())
            {
                if out.len() >= max {
                    return;
                }
                out.push(path);
            }
        }
        pending.extend(subdirs.into_iter().rev());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;

    const PLAN: &str = "\
# Plan

### Stage 1: CORE – Base
(Dependencies: None | Stage Gate: API proven)

1.1 Storage Layer (Dependencies: None | Stage Gate: tables exist)
  - [x] 1.1.1 Create the items table
  - [ ] 1.1.2 Implement the item repository
  - [x] 1.1.A Validate core functionality of Task 1.1
1.2 HTTP API (Dependencies: 1.1 | Stage Gate: endpoints respond)
  - Dependencies: 1.1.1, 9.9
  1.2.1 Add the items endpoint with a remarkably long descriptive title

### Stage 2: INTEGRATION – Wiring
2.1 Wire it (Dependencies: Task 1.2.1)
  2.1.1 Connect the API
<!-- 2.2 Old phase -->
";

    fn with_tree<R>(text: &str, f: impl FnOnce(&TaskTree) -> R) -> R {
        let doc = Document::new(text, 0);
        let tree = TaskTree::build(&doc, None);
        f(&tree)
    }

    fn index(tree: &TaskTree, id: &str) -> usize {
        tree.node_for(&TaskId::parse(id).unwrap()).unwrap()
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap()
    }

    fn col_of(text: &str, line: usize, needle: &str) -> u32 {
        text.lines().nth(line).unwrap().find(needle).unwrap() as u32
    }

    fn loc(line: usize, start: u32, end: u32) -> Location {
        Location { line, start, end }
    }

    #[test]
    fn hits() {
        with_tree(PLAN, |tree| {
            let l = line_of(PLAN, "1.2 HTTP API");
            // On the ID, its end, the title: the node.
            for col in [0, 3, 10] {
                assert_eq!(hit_at(tree, l, col), Some(Hit::Node(index(tree, "1.2"))));
            }
            // On the reference in the same-line notes, and right after it.
            let c = col_of(PLAN, l, "1.1 |");
            for col in [c, c + 2, c + 3] {
                let hit = hit_at(tree, l, col).unwrap();
                assert_eq!(hit.target(tree), Some(index(tree, "1.1")));
                assert_eq!(hit.location(tree), loc(l, c, c + 3));
            }
            // A sub-bullet notes line: the references, nothing elsewhere.
            let n = line_of(PLAN, "- Dependencies: 1.1.1");
            let c = col_of(PLAN, n, "9.9");
            let hit = hit_at(tree, n, c + 1).unwrap();
            assert!(
                matches!(hit, Hit::Reference { target: None, owner, .. } if owner == index(tree, "1.2"))
            );
            assert_eq!(hit_at(tree, n, 2), None);
            // A keyword reference covers the keyword.
            let w = line_of(PLAN, "2.1 Wire");
            let c = col_of(PLAN, w, "Task 1.2.1");
            let hit = hit_at(tree, w, c).unwrap();
            assert_eq!(hit.location(tree), loc(w, c, c + 10));
            assert_eq!(hit.target(tree), Some(index(tree, "1.2.1")));
            // Blank lines and prose: nothing.
            assert_eq!(hit_at(tree, 1, 0), None);
            assert_eq!(hit_at(tree, 0, 2), None);
        });
    }

    #[test]
    fn symbols_nest_with_ranges() {
        with_tree(PLAN, |tree| {
            let symbols = document_symbols(tree);
            let names: Vec<&str> = symbols.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, ["1 CORE – Base", "2 INTEGRATION – Wiring"]);
            let stage1 = &symbols[0];
            assert_eq!(stage1.detail, "Stage · no dependencies");
            assert_eq!(stage1.lines, 2..=11);
            assert_eq!(stage1.selection, loc(2, 10, 11));
            let p12 = &stage1.children[1];
            assert_eq!(p12.name, "1.2 HTTP API");
            assert_eq!(p12.detail, "Phase · depends on 1.1, 1.1.1, 9.9");
            assert_eq!(p12.lines, 9..=11);
            assert_eq!(p12.selection, loc(9, 0, 3));
            let p11 = &stage1.children[0];
            let kids: Vec<(&str, &str)> = p11
                .children
                .iter()
                .map(|s| (s.name.as_str(), s.detail.as_str()))
                .collect();
            assert_eq!(
                kids,
                [
                    ("1.1.1 Create the items table", "Task"),
                    ("1.1.2 Implement the item repository", "Task"),
                    (
                        "1.1.A Validate core functionality of Task 1.1",
                        "Check task"
                    ),
                ]
            );
            assert_eq!(p11.children[0].selection, loc(6, 8, 13));
            let stage2 = &symbols[1];
            assert_eq!(stage2.lines, 13..=16);
            let old = stage2.children.last().unwrap();
            assert_eq!(old.name, "2.2 Old phase");
            assert_eq!(old.detail, "Phase (commented out)");
        });
    }

    #[test]
    fn implied_and_duplicate_nodes_in_the_outline() {
        let text =
            "1.1 Setup\n  1.1.1 Do a\n2.1.1 Orphan task\n  2.1.1.1 Its step\n1.1.1 Do again\n";
        with_tree(text, |tree| {
            let symbols = document_symbols(tree);
            let names: Vec<&str> = symbols.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, ["1", "2"]);
            assert_eq!(symbols[0].detail, "Stage (not written)");
            assert_eq!(symbols[0].lines, 0..=4);
            let p11 = &symbols[0].children[0];
            assert_eq!(p11.name, "1.1 Setup");
            let kids: Vec<&str> = p11.children.iter().map(|s| s.detail.as_str()).collect();
            assert_eq!(kids, ["Task", "Task (duplicate ID)"]);
            assert_eq!(p11.lines, 0..=4);
            // Implied 2 and 2.1 stand on 2.1.1's line, selecting its ID.
            let s2 = &symbols[1];
            assert_eq!(s2.detail, "Stage (not written)");
            assert_eq!((s2.lines.clone(), s2.selection), (2..=3, loc(2, 0, 5)));
            assert_eq!(s2.children[0].name, "2.1");
            assert_eq!(s2.children[0].children[0].name, "2.1.1 Orphan task");
        });
    }

    #[test]
    fn deep_outlines_are_flattened() {
        let text = "1.1 A\n1.1.1 B\n1.1.1.1 C\n1.1.1.1.1 D\n1.1.1.1.1.1 E\n";
        with_tree(text, |tree| {
            let symbols = symbols_to_depth(tree, 3);
            // 1 > 1.1 > 1.1.1, which holds the rest as a flat list.
            let third = &symbols[0].children[0].children[0];
            assert_eq!(third.name, "1.1.1 B");
            let flat: Vec<(&str, usize)> = third
                .children
                .iter()
                .map(|s| (s.name.as_str(), s.children.len()))
                .collect();
            assert_eq!(
                flat,
                [("1.1.1.1 C", 0), ("1.1.1.1.1 D", 0), ("1.1.1.1.1.1 E", 0)]
            );
            assert_eq!(document_symbols(tree).len(), 1);
        });
    }

    #[test]
    fn folds() {
        with_tree(PLAN, |tree| {
            assert_eq!(
                folding_ranges(tree),
                [2..=11, 5..=8, 9..=11, 13..=16, 14..=15]
            );
        });
        // Notes lines under the last child belong to the fold.
        let text = "1.1 A\n  1.1.1 B\n  - Dependencies: None\n\nprose\n";
        with_tree(text, |tree| assert_eq!(folding_ranges(tree), [0..=2]));
    }

    #[test]
    fn hover_text() {
        with_tree(PLAN, |tree| {
            let text = hover_node(tree, index(tree, "1.1"));
            assert_eq!(
                text,
                "**1.1** Storage Layer\n\n\
                 Phase · level 2 · in Stage 1 CORE – Base\n\n\
                 **Dependencies:** None\n\n\
                 **Depended on by:**\n- `1.2` HTTP API\n\n\
                 **Stage Gate:** tables exist\n\n\
                 **Progress:** 2/3 checked"
            );
            let text = hover_node(tree, index(tree, "1.2"));
            assert_eq!(
                text,
                "**1.2** HTTP API\n\n\
                 Phase · level 2 · in Stage 1 CORE – Base\n\n\
                 **Dependencies:**\n- `1.1` Storage Layer\n- `1.1.1` Create the items table\n\
                 - `9.9` *(unknown: not in this document)*\n\n\
                 **Stage Gate:** endpoints respond"
            );
            let text = hover_node(tree, index(tree, "2.2"));
            assert_eq!(
                text,
                "**2.2** Old phase\n\nPhase · level 2 · in Stage 2 INTEGRATION – Wiring · commented out"
            );
            // On an unknown reference.
            let l = line_of(PLAN, "- Dependencies: 1.1.1");
            let hit = hit_at(tree, l, col_of(PLAN, l, "9.9")).unwrap();
            assert!(hover(tree, &hit).starts_with("**9.9** is not in this document"));
            // On a known one: the target's hover.
            let hit = hit_at(tree, l, col_of(PLAN, l, "1.1.1")).unwrap();
            assert!(
                hover(tree, &hit).starts_with("**1.1.1** Create the items table\n\nTask · level 3")
            );
        });
    }

    #[test]
    fn hover_generic_profile_and_implied_reference() {
        let text =
            "Phase 1: Setup\n1.1 Install (Dependencies: 2)\n1.2.1 Orphan (Dependencies: 1.2)\n";
        with_tree(text, |tree| {
            let h = hover_node(tree, index(tree, "1.1"));
            assert!(
                h.starts_with("**1.1** Install\n\nPhase · level 2 · in Phase 1 Setup"),
                "{h}"
            );
            let hit = hit_at(tree, 2, col_of(text, 2, "1.2)")).unwrap();
            assert!(hover(tree, &hit).contains("only implied"));
        });
    }

    #[test]
    fn definitions_references_highlights() {
        with_tree(PLAN, |tree| {
            let l12 = line_of(PLAN, "1.2 HTTP API");
            let c = col_of(PLAN, l12, "1.1 |");
            let hit = hit_at(tree, l12, c).unwrap();
            assert_eq!(definition(tree, &hit), Some(loc(5, 0, 3)));
            let on_node = hit_at(tree, 5, 1).unwrap();
            assert_eq!(definition(tree, &on_node), Some(loc(5, 0, 3)));
            assert_eq!(references(tree, &on_node, false), [loc(l12, c, c + 3)]);
            assert_eq!(
                references(tree, &hit, true),
                [loc(5, 0, 3), loc(l12, c, c + 3)]
            );
            assert_eq!(
                highlights(tree, &hit),
                [(loc(5, 0, 3), true), (loc(l12, c, c + 3), false)]
            );
            // An unknown ID: no definition, its references still listed.
            let n = line_of(PLAN, "- Dependencies: 1.1.1");
            let c = col_of(PLAN, n, "9.9");
            let unknown = hit_at(tree, n, c).unwrap();
            assert_eq!(definition(tree, &unknown), None);
            assert_eq!(references(tree, &unknown, true), [loc(n, c, c + 3)]);
            assert_eq!(highlights(tree, &unknown), [(loc(n, c, c + 3), false)]);
        });
        // A later duplicate leads to the node that carries the ID.
        let text = "1.1 A\n1.2 B (Dependencies: 1.1)\n1.1 C\n";
        with_tree(text, |tree| {
            let hit = hit_at(tree, 2, 0).unwrap();
            assert_eq!(definition(tree, &hit), Some(loc(0, 0, 3)));
            assert_eq!(references(tree, &hit, true), [loc(0, 0, 3), loc(1, 21, 24)]);
        });
    }

    #[test]
    fn dependencies_value_detection() {
        assert_eq!(dependencies_value_start("(Dependencies: "), Some(14));
        assert_eq!(
            dependencies_value_start("1.2 X (**Depends on**: 1.1, "),
            Some(22)
        );
        assert_eq!(dependencies_value_start("- dependencies:1"), Some(15));
        assert_eq!(
            dependencies_value_start("(Dependencies: 1.1 | Stage Gate: "),
            None
        );
        assert_eq!(dependencies_value_start("(Dependencies: 1.1 | "), None);
        assert_eq!(dependencies_value_start("(Dependencies: 1.1) and "), None);
        assert_eq!(
            dependencies_value_start("(Dependencies: 1.1 (partly), "),
            Some(14)
        );
        assert_eq!(dependencies_value_start("Dependencies 1.1"), None);
        assert_eq!(dependencies_value_start("Interdependencies: "), None);
        assert_eq!(dependencies_value_start("1.2 Plain title"), None);
    }

    fn offered(tree: &TaskTree, text: &str, line: usize, col: usize) -> Option<Vec<String>> {
        let line_text = text.lines().nth(line).unwrap();
        complete(tree, line, line_text, col).map(|c| c.items.iter().map(|i| i.id.clone()).collect())
    }

    #[test]
    fn completion_offers_nearest_earlier_first_without_family_or_later_stages() {
        let text = "\
### Stage 1: CORE
1.1 A
  1.1.1 A one
1.2 B
  1.2.1 B one
1.3 C (Dependencies: )
  1.3.1 C one
### Stage 2: INTEGRATION
2.1 D
";
        with_tree(text, |tree| {
            let line = 5;
            let col = text.lines().nth(line).unwrap().find(": )").unwrap() + 2;
            assert_eq!(
                offered(tree, text, line, col).unwrap(),
                ["1.2.1", "1.2", "1.1.1", "1.1"]
            );
            let c = complete(tree, line, text.lines().nth(line).unwrap(), col).unwrap();
            assert_eq!(c.replace, loc(line, col as u32, col as u32));
            assert_eq!(c.items[0].detail, "B one");
            assert_eq!(c.items[0].rank, 0);
            // Outside the value: nothing.
            assert_eq!(offered(tree, text, line, 3), None);
            assert_eq!(offered(tree, text, 1, 5), None);
        });
        // A partial ID filters and is replaced; listed IDs are left out; a notes line
        // below a node belongs to it; later nodes of the same stage come after.
        let text = "\
1.1 A
  1.1.1 A one
1.2 B
  - Dependencies: 1.1.1, 1.
1.3 C
";
        with_tree(text, |tree| {
            let line_text = text.lines().nth(3).unwrap();
            let c = complete(tree, 3, line_text, line_text.len()).unwrap();
            let ids: Vec<&str> = c.items.iter().map(|i| i.id.as_str()).collect();
            assert_eq!(ids, ["1.1", "1.3"]);
            let start = line_text.rfind("1.").unwrap() as u32;
            assert_eq!(c.replace, loc(3, start, line_text.len() as u32));
            assert!(!c.incomplete);
        });
    }

    #[test]
    fn completion_keeps_inactive_nodes_marked() {
        let text = "<!-- 1.1 Done phase -->\n1.2 Next (Dependencies: \n1.3 Later\n";
        with_tree(text, |tree| {
            let line_text = text.lines().nth(1).unwrap();
            let c = complete(tree, 1, line_text, line_text.len()).unwrap();
            let items: Vec<(&str, &str)> = c
                .items
                .iter()
                .map(|i| (i.id.as_str(), i.detail.as_str()))
                .collect();
            assert_eq!(
                items,
                [("1.1", "Done phase (commented out)"), ("1.3", "Later")]
            );
        });
    }

    #[test]
    fn hints() {
        with_tree(PLAN, |tree| {
            let hints = inlay_hints(tree, 0..=100);
            let shown: Vec<(usize, u32, &str)> = hints
                .iter()
                .map(|h| (h.line, h.col, h.label.as_str()))
                .collect();
            let l12 = line_of(PLAN, "1.2 HTTP API");
            let n = line_of(PLAN, "- Dependencies: 1.1.1");
            let w = line_of(PLAN, "2.1 Wire");
            assert_eq!(
                shown,
                [
                    (l12, col_of(PLAN, l12, "1.1 |") + 3, "Storage Layer"),
                    (n, col_of(PLAN, n, "1.1.1") + 5, "Create the items table"),
                    (
                        w,
                        col_of(PLAN, w, "Task 1.2.1") + 10,
                        "Add the items endpoint with a…"
                    ),
                ]
            );
            assert_eq!(
                hints[2].tooltip,
                "1.2.1 Add the items endpoint with a remarkably long descriptive title"
            );
            // Only the lines asked for.
            assert_eq!(inlay_hints(tree, n..=n).len(), 1);
            assert!(inlay_hints(tree, 0..=4).is_empty());
        });
        assert_eq!(
            shorten("exactly thirty characters long"),
            "exactly thirty characters long"
        );
        assert_eq!(
            shorten("ééééééééééééééééééééééééééééééé"),
            format!("{}…", "é".repeat(29))
        );
    }

    #[test]
    fn workspace_symbol_matching() {
        with_tree(PLAN, |tree| {
            let entries = symbol_entries(tree);
            assert_eq!(entries.len(), 11);
            let e = entries
                .iter()
                .find(|e| e.name.starts_with("1.2.1"))
                .unwrap();
            assert_eq!(e.container.as_deref(), Some("1.2 HTTP API"));
            assert_eq!(e.level, 3);
            let hits: Vec<&str> = entries
                .iter()
                .filter(|e| match_rank(&e.name, "ITEMS").is_some())
                .map(|e| e.name.as_str())
                .collect();
            assert_eq!(
                hits,
                [
                    "1.1.1 Create the items table",
                    "1.2.1 Add the items endpoint with a remarkably long descriptive title"
                ]
            );
        });
        assert_eq!(match_rank("1.2 HTTP API", ""), Some(2));
        assert_eq!(match_rank("1.2 HTTP API", "1.2"), Some(0));
        assert_eq!(match_rank("1.2.1 Add", "1.2"), Some(1));
        assert_eq!(match_rank("2.1.2 Add", "1.2"), Some(2));
        assert_eq!(match_rank("1.2 HTTP API", "http api"), Some(2));
        assert_eq!(match_rank("1.2 HTTP API", "ftp"), None);
    }

    #[test]
    fn markdown_files_skip_hidden_and_build_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for path in [
            "a/tasks.md",
            "b.markdown",
            "notes.txt",
            ".git/x.md",
            "node_modules/p/README.md",
            "target/doc.md",
            "z/deep/plan.md",
        ] {
            let full = root.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, "x").unwrap();
        }
        let files = markdown_files(&[root.to_path_buf(), root.join("a")], 10);
        let names: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["b.markdown", "a/tasks.md", "z/deep/plan.md"]);
        assert_eq!(markdown_files(&[root.to_path_buf()], 2).len(), 2);
    }
}
