//! The reference graph and the rules that read it: `unknown-dependency`,
//! `later-stage-dependency` and `dependency-cycle`.
//!
//! It owns what those rules need (the nodes' IDs, lines and names, the ID index, who
//! depends on whom and where each reference is written), so the analysis keeps it between
//! edits (analysis.rs): an edit that changes references but not the tree replaces the
//! references of the lines it changed (`set_line`), rechecks only those, and searches for
//! cycles again only from the nodes whose edges changed (`settle`). Building it for a tree
//! is the same update with every line changed.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::dependency_cycle::{self, Cycles};
use super::{later_stage_dependency, reference_location, unknown_dependency, Finding, Location};
use crate::model::id::TaskId;
use crate::model::line::{Keyword, Note, NoteKey};
use crate::model::TaskTree;

/// What the reference rules read of a node of the tree.
#[derive(Clone, Debug)]
pub struct RefNode {
    pub id: TaskId,
    pub line: usize,
    pub keyword: Option<Keyword>,
    /// Written, not an implied placeholder.
    pub written: bool,
    pub inactive: bool,
    /// A later occurrence of its ID.
    pub duplicate: bool,
}

impl RefNode {
    /// How messages name it (`rules::name`).
    pub fn name(&self) -> String {
        super::named(self.keyword, &self.id)
    }
}

/// An edge of the graph: a reference to a written node, other than to the node itself, an
/// ancestor or a descendant, written on a first occurrence.
#[derive(Clone, Debug)]
pub struct Edge {
    pub to: usize,
    pub location: Location,
    /// Its position among the references of its line.
    pub seq: u32,
}

pub struct References {
    nodes: Vec<RefNode>,
    index: Arc<FxHashMap<TaskId, usize>>,
    three_stage: bool,
    /// The findings on single references (an unknown ID, a later stage, a node depending
    /// on itself, an ancestor or a descendant), by line.
    findings: BTreeMap<usize, Vec<Finding>>,
    /// Per node: its edges.
    out: Vec<Vec<Edge>>,
    /// Nodes whose edges changed since the last `settle`.
    changed: Vec<usize>,
    cycles: Cycles,
}

impl References {
    /// The graph of a tree, with its findings.
    pub fn build(tree: &TaskTree) -> References {
        let nodes: Vec<RefNode> = tree
            .nodes
            .iter()
            .map(|n| RefNode {
                id: n.id.clone(),
                line: n.line,
                keyword: n.keyword(),
                written: !n.is_implied(),
                inactive: n.inactive,
                duplicate: n.duplicate_of.is_some(),
            })
            .collect();
        let count = nodes.len();
        let mut references = References {
            nodes,
            index: tree.shared_index(),
            three_stage: tree.three_stage(),
            findings: BTreeMap::new(),
            out: vec![Vec::new(); count],
            changed: Vec::new(),
            cycles: Cycles::new(count),
        };
        for (i, node) in tree.nodes.iter().enumerate() {
            // A node's notes come line by line.
            for run in node.notes.chunk_by(|a, b| a.0 == b.0) {
                references.add_line(run[0].0, i, run.iter().map(|(_, note)| *note));
            }
        }
        references.settle();
        references
    }

    /// The written node on `line`.
    pub fn node_at(&self, line: usize) -> Option<usize> {
        let first = self.nodes.partition_point(|n| n.line < line);
        (first..self.nodes.len())
            .take_while(|&i| self.nodes[i].line == line)
            .find(|&i| self.nodes[i].written)
    }

    /// Replaces the references written on `line` by those of `notes`, which belong to the
    /// node `owner` (the same node as before: the tree has not changed). Call `settle`
    /// once the changed lines are all set.
    pub fn set_line<'n>(
        &mut self,
        line: usize,
        owner: Option<usize>,
        notes: impl IntoIterator<Item = &'n Note>,
    ) {
        self.findings.remove(&line);
        let Some(owner) = owner else {
            return;
        };
        let before = self.out[owner].len();
        self.out[owner].retain(|e| e.location.line != line);
        if self.out[owner].len() != before {
            self.changed.push(owner);
        }
        self.add_line(line, owner, notes);
    }

    /// Checks the references of `notes` on `line`, which belong to `from`.
    fn add_line<'n>(
        &mut self,
        line: usize,
        from: usize,
        notes: impl IntoIterator<Item = &'n Note>,
    ) {
        let mut found = Vec::new();
        let mut edges = false;
        let from_node = &self.nodes[from];
        let refs = notes
            .into_iter()
            .filter(|n| n.key == NoteKey::Dependencies)
            .flat_map(|n| n.refs.iter());
        for (seq, reference) in (0u32..).zip(refs) {
            let location = reference_location(line, reference);
            match self.resolve(&reference.id) {
                None => found.push(unknown_dependency::finding(from_node, reference, location)),
                Some(to) => {
                    let target = &self.nodes[to];
                    if self.three_stage {
                        found.extend(later_stage_dependency::finding(from_node, target, location));
                    }
                    // Dependencies are taken from a node's first occurrence only.
                    if !from_node.duplicate {
                        match dependency_cycle::relation(from, from_node, to, target, location) {
                            Some(finding) => found.push(finding),
                            None => {
                                self.out[from].push(Edge { to, location, seq });
                                edges = true;
                            }
                        }
                    }
                }
            }
        }
        if edges {
            self.changed.push(from);
        }
        // Nothing is reported on an inactive node.
        if !found.is_empty() && !from_node.inactive {
            self.findings.insert(line, found);
        }
    }

    /// The node an ID refers to; implied nodes are not referable (`TaskTree::resolve`).
    fn resolve(&self, id: &TaskId) -> Option<usize> {
        self.index
            .get(id)
            .copied()
            .filter(|&i| self.nodes[i].written)
    }

    /// Brings the cycles up to date with the lines set since the last call.
    pub fn settle(&mut self) {
        if self.changed.is_empty() {
            return;
        }
        self.changed.sort_unstable();
        self.changed.dedup();
        self.cycles.settle(&self.changed, &self.out, &self.nodes);
        self.changed.clear();
    }

    /// Moves everything on line `from` or below by `delta` lines: lines were inserted or
    /// removed above it, and none of them held a node or notes.
    pub fn shift(&mut self, from: usize, delta: isize) {
        if delta == 0 {
            return;
        }
        let first = self.nodes.partition_point(|n| n.line < from);
        for node in &mut self.nodes[first..] {
            node.line = super::shifted(node.line, from, delta);
        }
        let moved = self.findings.split_off(&from);
        for (line, mut findings) in moved {
            for finding in &mut findings {
                finding.shift(from, delta);
            }
            self.findings
                .insert(super::shifted(line, from, delta), findings);
        }
        for edges in &mut self.out {
            for edge in edges {
                edge.location.shift(from, delta);
            }
        }
        self.cycles.shift(from, delta);
    }

    /// The findings, unsorted and before settings; `settle` first.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        debug_assert!(self.changed.is_empty(), "settle before reading findings");
        self.findings
            .values()
            .flatten()
            .chain(self.cycles.findings())
    }
}
