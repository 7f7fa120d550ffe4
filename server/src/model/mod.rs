//! The task tree: nodes, their parents and children, their notes and references.
//!
//! Built from the document's scanned lines (`line`), which hold everything that depends on
//! one line; what depends on the whole document (parents, duplicates, implied nodes, the
//! profile) is derived here.

pub mod clauses;
pub mod id;
pub mod line;

use std::collections::hash_map::Entry;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::document::Document;
use id::TaskId;
use line::{CheckKind, ItemKind, Keyword, LineItem, NodeLine, Note, NoteKey, Reference, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    ThreeStage,
    Generic,
}

#[derive(Debug)]
pub struct Node<'a> {
    pub id: TaskId,
    /// The line the node is written on (an implied node: its first child's line).
    pub line: usize,
    /// The written line; `None` for an implied placeholder.
    pub written: Option<&'a NodeLine>,
    pub inactive: bool,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// For a later occurrence of an ID: the node that carries the ID.
    pub duplicate_of: Option<usize>,
    /// Notes with the line they stand on.
    pub notes: Vec<(usize, &'a Note)>,
}

impl Node<'_> {
    pub fn level(&self) -> usize {
        self.id.level()
    }

    pub fn is_implied(&self) -> bool {
        self.written.is_none()
    }

    pub fn title(&self) -> &str {
        self.written.map_or("", |w| w.title.as_str())
    }

    pub fn id_span(&self) -> Span {
        self.written.map_or(Span::default(), |w| w.id_span)
    }

    pub fn keyword(&self) -> Option<Keyword> {
        self.written.and_then(|w| w.keyword)
    }

    /// The notes with a key, present or not.
    pub fn notes_with(&self, key: NoteKey) -> impl Iterator<Item = &(usize, &Note)> {
        self.notes.iter().filter(move |(_, n)| n.key == key)
    }

    /// Whether a note with this key and a non-empty value is written.
    pub fn has_note(&self, key: NoteKey) -> bool {
        self.notes_with(key).any(|(_, n)| n.is_present())
    }

    /// The node's references with the line each stands on.
    pub fn references(&self) -> impl Iterator<Item = (usize, &Reference)> {
        self.notes_with(NoteKey::Dependencies)
            .flat_map(|(line, note)| note.refs.iter().map(move |r| (*line, r)))
    }
}

pub struct TaskTree<'a> {
    pub profile: Profile,
    /// In document order; an implied node stands right before its first child.
    pub nodes: Vec<Node<'a>>,
    /// Top-level nodes in document order.
    pub roots: Vec<usize>,
    /// The node carrying each ID (written or implied); shared with the reference graph,
    /// which outlives the tree (see `rules::references`).
    index: Arc<FxHashMap<TaskId, usize>>,
    /// Per node: whether it is a check task (`is_check_task`), computed once.
    check_task: Vec<bool>,
}

impl<'a> TaskTree<'a> {
    /// Builds the tree of a document; `forced` overrides the detected profile.
    pub fn build(doc: &'a Document, forced: Option<Profile>) -> TaskTree<'a> {
        TaskTree::from_lines(doc.line_items(), forced)
    }

    pub fn from_lines(
        lines: impl Iterator<Item = (usize, &'a LineItem)>,
        forced: Option<Profile>,
    ) -> TaskTree<'a> {
        // Pass 1: written nodes with their notes, and the first occurrence of each ID. A
        // line count from the caller (`size_hint`) sizes the vectors: growing them copies
        // every node again.
        let capacity = lines.size_hint().0;
        let mut nodes: Vec<Node<'a>> = Vec::with_capacity(capacity);
        let mut index: FxHashMap<TaskId, usize> =
            FxHashMap::with_capacity_and_hasher(capacity, Default::default());
        let mut owner: Option<usize> = None;
        let mut any_stage_keyword = false;
        for (line_no, item) in lines {
            match &item.kind {
                ItemKind::Node(node) => {
                    any_stage_keyword |= node.keyword == Some(Keyword::Stage);
                    let position = nodes.len();
                    let duplicate_of = match index.entry(node.id.clone()) {
                        Entry::Occupied(first) => Some(*first.get()),
                        Entry::Vacant(slot) => {
                            slot.insert(position);
                            None
                        }
                    };
                    nodes.push(Node {
                        id: node.id.clone(),
                        line: line_no,
                        written: Some(node),
                        inactive: item.inactive,
                        parent: None,
                        children: Vec::new(),
                        duplicate_of,
                        notes: item.notes.iter().map(|n| (line_no, n)).collect(),
                    });
                    owner = Some(position);
                }
                ItemKind::Notes => {
                    if let Some(o) = owner {
                        nodes[o]
                            .notes
                            .extend(item.notes.iter().map(|n| (line_no, n)));
                    }
                }
                ItemKind::Heading => owner = None,
                ItemKind::Other => {}
            }
        }

        // Pass 2, only when some parent is not written: place implied parents right
        // before their first child, and renumber.
        let missing_parent = |index: &FxHashMap<TaskId, usize>, node: &Node| {
            node.duplicate_of.is_none() && node.id.parent().is_some_and(|p| !index.contains_key(&p))
        };
        // Each node's parent, looked up once; `None` for duplicates and top-level nodes.
        let parent_of = |index: &FxHashMap<TaskId, usize>, nodes: &[Node]| -> Vec<Option<usize>> {
            nodes
                .iter()
                .map(|n| {
                    n.duplicate_of
                        .is_none()
                        .then(|| n.id.parent())
                        .flatten()
                        .and_then(|p| index.get(&p).copied())
                })
                .collect()
        };
        let mut parents = parent_of(&index, &nodes);
        let orphans = nodes
            .iter()
            .zip(&parents)
            .any(|(n, p)| p.is_none() && n.duplicate_of.is_none() && n.id.parent().is_some());
        if orphans {
            let written = std::mem::take(&mut nodes);
            nodes.reserve(written.len() + written.len() / 8);
            let mut remap = vec![0usize; written.len()];
            for (w, node) in written.into_iter().enumerate() {
                if missing_parent(&index, &node) {
                    let mut missing = Vec::new();
                    let mut ancestor = node.id.parent();
                    while let Some(a) = ancestor {
                        if index.contains_key(&a) {
                            break;
                        }
                        ancestor = a.parent();
                        missing.push(a);
                    }
                    for a in missing.into_iter().rev() {
                        // Marked with usize::MAX until the fix-up below gives real positions.
                        index.insert(a.clone(), usize::MAX);
                        nodes.push(Node {
                            id: a,
                            line: node.line,
                            written: None,
                            inactive: node.inactive,
                            parent: None,
                            children: Vec::new(),
                            duplicate_of: None,
                            notes: Vec::new(),
                        });
                    }
                }
                remap[w] = nodes.len();
                nodes.push(node);
            }
            for (i, node) in nodes.iter_mut().enumerate() {
                if let Some(d) = node.duplicate_of {
                    node.duplicate_of = Some(remap[d]);
                } else {
                    index.insert(node.id.clone(), i);
                }
            }
            parents = parent_of(&index, &nodes);
        }

        // Pass 3: parents and children (duplicates stay out of the tree).
        let mut roots = Vec::new();
        for (i, parent) in parents.into_iter().enumerate() {
            if nodes[i].duplicate_of.is_some() {
                continue;
            }
            match parent {
                Some(p) => {
                    nodes[i].parent = Some(p);
                    nodes[p].children.push(i);
                }
                None => roots.push(i),
            }
        }
        let profile = forced.unwrap_or(if any_stage_keyword {
            Profile::ThreeStage
        } else {
            Profile::Generic
        });
        let mut tree = TaskTree {
            profile,
            nodes,
            roots,
            index: Arc::new(index),
            check_task: Vec::new(),
        };
        tree.check_task = (0..tree.nodes.len())
            .map(|i| tree.compute_is_check_task(i))
            .collect();
        tree
    }

    /// The ID index, shared (see the field).
    pub(crate) fn shared_index(&self) -> Arc<FxHashMap<TaskId, usize>> {
        Arc::clone(&self.index)
    }

    /// The node an ID refers to; implied nodes are not referable.
    pub fn resolve(&self, id: &TaskId) -> Option<usize> {
        self.index
            .get(id)
            .copied()
            .filter(|&i| !self.nodes[i].is_implied())
    }

    /// The node carrying an ID, written or implied.
    pub fn node_for(&self, id: &TaskId) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn is_leaf(&self, i: usize) -> bool {
        let node = &self.nodes[i];
        node.children.is_empty() && !node.is_implied() && node.duplicate_of.is_none()
    }

    /// A leaf that closes its parent's group: a letter ID, or a Validate / Verify /
    /// Document title that names its parent as `Task X.Y`.
    pub fn is_check_task(&self, i: usize) -> bool {
        self.check_task[i]
    }

    fn compute_is_check_task(&self, i: usize) -> bool {
        if !self.is_leaf(i) {
            return false;
        }
        let node = &self.nodes[i];
        if node.id.letter().is_some() {
            return true;
        }
        let (Some(written), Some(parent)) = (node.written, node.parent) else {
            return false;
        };
        written.check_verb.is_some() && written.named_task.as_ref() == Some(&self.nodes[parent].id)
    }

    /// The kind of a check task: its verb decides, else its letter.
    pub fn check_kind(&self, i: usize) -> Option<CheckKind> {
        let node = &self.nodes[i];
        node.written
            .and_then(|w| w.check_verb)
            .or_else(|| node.id.letter().and_then(CheckKind::from_letter))
    }

    /// A node with at least one child that is a leaf and not a check task.
    pub fn is_task_group(&self, i: usize) -> bool {
        self.nodes[i]
            .children
            .iter()
            .any(|&c| self.is_leaf(c) && !self.is_check_task(c))
    }

    /// Whether the three-stage rules apply.
    pub fn three_stage(&self) -> bool {
        self.profile == Profile::ThreeStage
    }

    /// Strict ancestors of a node, nearest first.
    pub fn ancestors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.nodes[i].parent, move |&p| self.nodes[p].parent)
    }
}
