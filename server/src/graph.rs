//! Dependency graphs of task lists: a model built from the task tree (and the findings
//! that mark cycles), two renderers (Mermaid, Graphviz DOT), and `wbs-lsp graph`.
//!
//! An edge goes from the task depended on to the task that depends on it (`1.1 --> 1.2`
//! when 1.2 has `Dependencies: 1.1`), so a top-down layout reads in working order.
//! Stages (level-1 nodes; in the generic profile, the top-level nodes) are clusters.
//! With a level `N`, nodes deeper than `N` are folded into their ancestor at level `N` and
//! their edges lifted to it (deduplicated; an edge that folding turns into a loop is
//! dropped, a written self-reference stays a loop). Nodes come out in document order, edges
//! in the order of their first reference, so the output is deterministic.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::document::Document;
use crate::model::id::TaskId;
use crate::model::TaskTree;
use crate::rules::{self, Code, Finding, Location};

/// The level `wbs-lsp graph` and the `wbs-lsp.writeGraph` command draw down to by default:
/// Stage.Phase.Task; subtasks and atomic tasks fold into their task.
pub const DEFAULT_LEVEL: usize = 3;

/// The colour of cycles and unknown references.
const RED: &str = "#d32f2f";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

/// The graph of a task list, ready to render.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// One per stage, in document order.
    pub clusters: Vec<Cluster>,
    /// The nodes down to the level, in document order.
    pub nodes: Vec<GraphNode>,
    /// IDs referenced and not in the document, in order of first reference.
    pub unknown: Vec<TaskId>,
    /// In document order of the first reference each edge stands for.
    pub edges: Vec<Edge>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The stage's ID.
    pub id: TaskId,
    /// `Stage 1` (or the stage's own keyword: `Phase 1` in a generic plan).
    pub label: String,
    /// Indexes into [`Graph::nodes`], in document order.
    pub nodes: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphNode {
    pub id: TaskId,
    pub title: String,
    /// Index into [`Graph::clusters`].
    pub cluster: usize,
    /// The node, or a node folded into it, has a reference on a dependency cycle or is
    /// the target of one.
    pub on_cycle: bool,
    /// Written inside an HTML comment.
    pub inactive: bool,
    /// Not written: a placeholder for the parent of written nodes.
    pub implied: bool,
}

impl GraphNode {
    /// `ID Title`, or the ID alone when there is no title.
    pub fn label(&self) -> String {
        if self.title.is_empty() {
            self.id.to_string()
        } else {
            format!("{} {}", self.id, self.title)
        }
    }
}

/// Where an edge starts: the node depended on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Index into [`Graph::nodes`].
    Node(usize),
    /// Index into [`Graph::unknown`].
    Unknown(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: Source,
    /// The node that depends on `from` (index into [`Graph::nodes`]).
    pub to: usize,
    /// One of the references it stands for lies on a dependency cycle.
    pub on_cycle: bool,
}

/// Builds the graph of a tree down to `level` (`None`: every level). References on a cycle
/// are those that carry a `dependency-cycle` finding; unknown references are those the
/// tree does not resolve.
pub fn build(tree: &TaskTree, findings: &[Finding], level: Option<usize>) -> Graph {
    let max_level = level.unwrap_or(usize::MAX).max(1);
    let on_cycle: BTreeSet<Location> = findings
        .iter()
        .filter(|f| f.code == Code::DependencyCycle)
        .map(|f| f.location)
        .collect();
    // The node each tree node is drawn as: itself or its ancestor at the level.
    let shown_as = |i: usize| -> Option<usize> {
        if tree.nodes[i].duplicate_of.is_some() {
            return None;
        }
        let mut at = i;
        while tree.nodes[at].level() > max_level {
            match tree.nodes[at].parent {
                Some(parent) => at = parent,
                None => break,
            }
        }
        Some(at)
    };

    let mut graph = Graph::default();
    let mut cluster_of_root: FxHashMap<usize, usize> = FxHashMap::default();
    for &root in &tree.roots {
        let node = &tree.nodes[root];
        let word = match node.keyword() {
            Some(keyword) => keyword.as_str(),
            None => rules::level_name(1),
        };
        cluster_of_root.insert(root, graph.clusters.len());
        graph.clusters.push(Cluster {
            id: node.id.clone(),
            label: format!("{word} {}", node.id),
            nodes: Vec::new(),
        });
    }
    let mut graph_index: FxHashMap<usize, usize> = FxHashMap::default();
    for (i, node) in tree.nodes.iter().enumerate() {
        if shown_as(i) != Some(i) {
            continue;
        }
        let root = tree.ancestors(i).last().unwrap_or(i);
        let Some(&cluster) = cluster_of_root.get(&root) else {
            continue;
        };
        graph_index.insert(i, graph.nodes.len());
        graph.clusters[cluster].nodes.push(graph.nodes.len());
        graph.nodes.push(GraphNode {
            id: node.id.clone(),
            title: node.title().to_string(),
            cluster,
            on_cycle: false,
            inactive: node.inactive,
            implied: node.is_implied(),
        });
    }

    let mut edge_index: FxHashMap<(Source, usize), usize> = FxHashMap::default();
    let mut unknown_index: FxHashMap<TaskId, usize> = FxHashMap::default();
    for (from, node) in tree.nodes.iter().enumerate() {
        let Some(dependent) = shown_as(from).and_then(|s| graph_index.get(&s).copied()) else {
            continue;
        };
        for (line, reference) in node.references() {
            let cyclic = on_cycle.contains(&Location::new(line, reference.span));
            let source = match tree.resolve(&reference.id) {
                Some(target) => {
                    let Some(shown) = shown_as(target).and_then(|s| graph_index.get(&s).copied())
                    else {
                        continue;
                    };
                    if cyclic {
                        graph.nodes[dependent].on_cycle = true;
                        graph.nodes[shown].on_cycle = true;
                    }
                    if shown == dependent && target != from {
                        // Folding made this a loop; only a written self-reference is one.
                        continue;
                    }
                    Source::Node(shown)
                }
                None => {
                    let next = graph.unknown.len();
                    let u = *unknown_index.entry(reference.id.clone()).or_insert(next);
                    if u == next {
                        graph.unknown.push(reference.id.clone());
                    }
                    Source::Unknown(u)
                }
            };
            match edge_index.get(&(source, dependent)) {
                Some(&e) => graph.edges[e].on_cycle |= cyclic,
                None => {
                    edge_index.insert((source, dependent), graph.edges.len());
                    graph.edges.push(Edge {
                        from: source,
                        to: dependent,
                        on_cycle: cyclic,
                    });
                }
            }
        }
    }
    graph
}

/// The graph of a document with its configuration (profile, and the settings that decide
/// whether `dependency-cycle` is reported).
pub fn of_tree(tree: &TaskTree, config: &Config, level: Option<usize>) -> Graph {
    let findings = rules::check(tree, &config.rules);
    build(tree, &findings, level)
}

pub fn render(graph: &Graph, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid(graph),
        Format::Dot => dot(graph),
    }
}

fn node_key(id: &TaskId) -> String {
    format!("n{}", id.to_string().replace('.', "_"))
}

fn unknown_key(id: &TaskId) -> String {
    format!("u{}", id.to_string().replace('.', "_"))
}

fn unknown_label(id: &TaskId) -> String {
    format!("? {id} (unknown)")
}

fn source_key(graph: &Graph, source: Source) -> String {
    match source {
        Source::Node(n) => node_key(&graph.nodes[n].id),
        Source::Unknown(u) => unknown_key(&graph.unknown[u]),
    }
}

/// The class of a node's style, most telling first.
fn node_class(node: &GraphNode) -> Option<&'static str> {
    if node.on_cycle {
        Some("cycle")
    } else if node.inactive {
        Some("inactive")
    } else if node.implied {
        Some("implied")
    } else {
        None
    }
}

/// Text for a quoted Mermaid label: characters that Mermaid or the HTML it renders would
/// read as syntax become entity codes (`#35;`), control characters spaces.
pub fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '#' | '<' | '>' | '[' | ']' | '{' | '}' | '&' | '`' | '|' => {
                let _ = write!(out, "#{};", c as u32);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Mermaid `flowchart TD`: a subgraph per stage, cycle edges red, unknown references as
/// dashed edges from red `? ID (unknown)` nodes.
pub fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart TD\n");
    for cluster in &graph.clusters {
        let _ = writeln!(
            out,
            "    subgraph s{}[\"{}\"]",
            cluster.id.to_string().replace('.', "_"),
            mermaid_text(&cluster.label)
        );
        for &n in &cluster.nodes {
            let node = &graph.nodes[n];
            let _ = writeln!(
                out,
                "        {}[\"{}\"]",
                node_key(&node.id),
                mermaid_text(&node.label())
            );
        }
        out.push_str("    end\n");
    }
    for id in &graph.unknown {
        let _ = writeln!(
            out,
            "    {}[\"{}\"]",
            unknown_key(id),
            mermaid_text(&unknown_label(id))
        );
    }
    let mut cycle_edges = Vec::new();
    let mut unknown_edges = Vec::new();
    for (i, edge) in graph.edges.iter().enumerate() {
        let arrow = match edge.from {
            Source::Node(_) => "-->",
            Source::Unknown(_) => "-.->",
        };
        let _ = writeln!(
            out,
            "    {} {arrow} {}",
            source_key(graph, edge.from),
            node_key(&graph.nodes[edge.to].id)
        );
        if edge.on_cycle {
            cycle_edges.push(i.to_string());
        } else if matches!(edge.from, Source::Unknown(_)) {
            unknown_edges.push(i.to_string());
        }
    }

    let mut classes: Vec<(&str, Vec<String>)> = ["cycle", "unknown", "inactive", "implied"]
        .iter()
        .map(|&c| (c, Vec::new()))
        .collect();
    for node in &graph.nodes {
        if let Some(class) = node_class(node) {
            if let Some((_, members)) = classes.iter_mut().find(|(c, _)| *c == class) {
                members.push(node_key(&node.id));
            }
        }
    }
    classes[1].1 = graph.unknown.iter().map(unknown_key).collect();
    for (class, members) in &classes {
        if members.is_empty() {
            continue;
        }
        let style = match *class {
            "cycle" => format!("fill:#fde7e7,stroke:{RED},stroke-width:2px,color:{RED}"),
            "unknown" => {
                format!("fill:#ffffff,stroke:{RED},stroke-dasharray:5 3,color:{RED}")
            }
            "inactive" => "fill:#f2f2f2,stroke:#9e9e9e,color:#757575".to_string(),
            _ => "fill:#ffffff,stroke:#9e9e9e,stroke-dasharray:3 3".to_string(),
        };
        let _ = writeln!(out, "    classDef {class} {style}");
        let _ = writeln!(out, "    class {} {class}", members.join(","));
    }
    if !cycle_edges.is_empty() {
        let _ = writeln!(
            out,
            "    linkStyle {} stroke:{RED},stroke-width:2px",
            cycle_edges.join(",")
        );
    }
    if !unknown_edges.is_empty() {
        let _ = writeln!(
            out,
            "    linkStyle {} stroke:{RED}",
            unknown_edges.join(",")
        );
    }
    out
}

/// Text for a quoted DOT string: `\` and `"` escaped, control characters spaces.
pub fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Line width of DOT labels (Graphviz does not wrap by itself).
const DOT_WRAP: usize = 28;

/// A DOT label: escaped, with long text broken into centred lines at word boundaries.
fn dot_label(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let fits = line.chars().count() + 1 + word.chars().count() <= DOT_WRAP;
        if !line.is_empty() && !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
        .iter()
        .map(|l| dot_text(l))
        .collect::<Vec<_>>()
        .join("\\n")
}

/// Graphviz `digraph`: a `cluster_N` subgraph per stage, cycle edges and nodes red,
/// unknown references as dashed red edges from dashed red `? ID (unknown)` nodes.
pub fn dot(graph: &Graph) -> String {
    let mut out = String::from("digraph tasks {\n");
    out.push_str("    graph [fontname=\"Helvetica\", fontsize=12, nodesep=0.3, ranksep=0.45];\n");
    out.push_str(
        "    node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=11];\n",
    );
    out.push_str("    edge [color=\"#546e7a\", arrowsize=0.7];\n");
    for cluster in &graph.clusters {
        let _ = writeln!(
            out,
            "    subgraph cluster_{} {{",
            cluster.id.to_string().replace('.', "_")
        );
        let _ = writeln!(
            out,
            "        label=\"{}\"; style=\"rounded,filled\"; fillcolor=\"#f5f7fa\"; color=\"#b0bec5\";",
            dot_text(&cluster.label)
        );
        for &n in &cluster.nodes {
            let node = &graph.nodes[n];
            let style = match node_class(node) {
                Some("cycle") => {
                    format!(
                        ", color=\"{RED}\", fontcolor=\"{RED}\", fillcolor=\"#fde7e7\", penwidth=2"
                    )
                }
                Some("inactive") => {
                    ", color=\"#9e9e9e\", fontcolor=\"#757575\", fillcolor=\"#f2f2f2\"".to_string()
                }
                Some(_) => ", color=\"#9e9e9e\", style=\"rounded,dashed\"".to_string(),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "        {} [label=\"{}\"{style}];",
                node_key(&node.id),
                dot_label(&node.label())
            );
        }
        out.push_str("    }\n");
    }
    for id in &graph.unknown {
        let _ = writeln!(
            out,
            "    {} [label=\"{}\", color=\"{RED}\", fontcolor=\"{RED}\", style=\"rounded,dashed\"];",
            unknown_key(id),
            dot_label(&unknown_label(id))
        );
    }
    for edge in &graph.edges {
        let style = if edge.on_cycle {
            format!(" [color=\"{RED}\", penwidth=2]")
        } else if matches!(edge.from, Source::Unknown(_)) {
            format!(" [color=\"{RED}\", style=dashed]")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "    {} -> {}{style};",
            source_key(graph, edge.from),
            node_key(&graph.nodes[edge.to].id)
        );
    }
    out.push_str("}\n");
    out
}

/// The file `wbs-lsp.writeGraph` writes for a task list: `<name>.graph.md` beside it.
pub fn page_path(task_list: &Path) -> Option<PathBuf> {
    let name = task_list.file_name()?.to_str()?;
    let stem = [".md", ".markdown", ".mdown", ".mkd"]
        .iter()
        .find_map(|ext| {
            name.len()
                .checked_sub(ext.len())
                .filter(|&cut| cut > 0 && name[cut..].eq_ignore_ascii_case(ext))
                .map(|cut| &name[..cut])
        })
        .unwrap_or(name);
    Some(task_list.with_file_name(format!("{stem}.graph.md")))
}

/// Markdown text with every ASCII punctuation character that could be syntax escaped.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '|' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// The Markdown page holding a task list's Mermaid graph (`name` is the task list's file
/// name), which an editor's Markdown preview draws.
pub fn markdown_page(name: &str, mermaid: &str) -> String {
    let name = markdown_text(name);
    format!(
        "# Dependency graph of {name}\n\n\
         Written by wbs-lsp from {name}: each arrow goes from a task to a task that depends \
         on it; red marks dependency cycles and references to IDs that are not in the list. \
         Run the `wbs-lsp.writeGraph` command again to refresh it.\n\n\
         ```mermaid\n{mermaid}```\n"
    )
}

pub const USAGE: &str = "usage: wbs-lsp graph FILE [--format mermaid|dot] [--level N|all]\n\
    Prints the dependency graph of a task list: stages as clusters, an arrow from each task\n\
    to the tasks that depend on it, cycles and unknown references in red.\n\
    --format  mermaid (default: a `flowchart TD`) or dot (Graphviz)\n\
    --level   draw nodes down to this level (1 Stage, 2 Phase, 3 Task, 4 Subtask, 5 Atomic;\n\
              default 3); deeper nodes fold into their ancestor, with their dependencies.\n\
              `all` draws every level.\n\
    Exit status: 0 printed, 2 usage, I/O or configuration errors.";

/// `wbs-lsp graph FILE [--format mermaid|dot] [--level N|all]`; returns the exit status.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut format = Format::Mermaid;
    let mut level = Some(DEFAULT_LEVEL);
    let mut files: Vec<&str> = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--format" | "-f" => match iter.next().map(String::as_str) {
                Some("mermaid") => format = Format::Mermaid,
                Some("dot") => format = Format::Dot,
                other => {
                    let _ = writeln!(
                        err,
                        "wbs-lsp graph: --format takes mermaid or dot, not {}\n{USAGE}",
                        shown(other)
                    );
                    return 2;
                }
            },
            "--level" | "-l" => match iter.next().map(String::as_str) {
                Some("all") => level = None,
                Some(n) if n.parse::<usize>().is_ok_and(|n| n >= 1) => {
                    level = n.parse().ok();
                }
                other => {
                    let _ = writeln!(
                        err,
                        "wbs-lsp graph: --level takes a number from 1 or `all`, not {}\n{USAGE}",
                        shown(other)
                    );
                    return 2;
                }
            },
            "--help" | "-h" => {
                let _ = writeln!(out, "{USAGE}");
                return 0;
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                let _ = writeln!(err, "wbs-lsp graph: unknown option {flag}\n{USAGE}");
                return 2;
            }
            file => files.push(file),
        }
    }
    let path = match files.as_slice() {
        [file] => Path::new(file),
        [] => {
            let _ = writeln!(
                err,
                "wbs-lsp graph: which file? Name one task list\n{USAGE}"
            );
            return 2;
        }
        more => {
            let _ = writeln!(
                err,
                "wbs-lsp graph: one file at a time, not {}\n{USAGE}",
                more.len()
            );
            return 2;
        }
    };
    let text = match crate::check::read_text(path) {
        Ok(text) => text,
        Err(why) => {
            let _ = writeln!(err, "wbs-lsp graph: {why}");
            return 2;
        }
    };
    let mut status = 0;
    let (config, config_ok) = crate::check::command_config("graph", path, err);
    if !config_ok {
        status = 2;
    }
    let doc = Document::new(&text, 0);
    let tree = TaskTree::build(&doc, config.profile);
    let graph = of_tree(&tree, &config, level);
    if let Err(e) = out.write_all(render(&graph, format).as_bytes()) {
        let _ = writeln!(err, "wbs-lsp graph: writing the graph failed: {e}");
        return 2;
    }
    status
}

fn shown(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "nothing".to_string(),
    }
}

#[cfg(test)]
mod tests;
