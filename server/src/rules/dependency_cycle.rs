//! `dependency-cycle`: a reference on a cycle of written references, or to the node
//! itself, an ancestor or a descendant (those are cycles by themselves: a node contains its
//! descendants).
//!
//! The cycles are the strongly connected components of two or more nodes of the
//! reference graph (`references.rs` keeps its edges). They are kept between searches: after
//! some nodes' edges change, only the components that can have changed are searched again,
//! from those nodes and the members of the cycles they were on (see `Cycles::settle`).

use rustc_hash::FxHashMap;

use super::references::{Edge, RefNode};
use super::{Code, Finding, Location, Related};

/// The finding of a reference of `from` to itself, its ancestor or its descendant; `None`
/// when the reference is an edge of the graph.
pub fn relation(
    from: usize,
    from_node: &RefNode,
    to: usize,
    target: &RefNode,
    location: Location,
) -> Option<Finding> {
    let relation = if to == from || target.id == from_node.id {
        "itself".to_string()
    } else if target.id.is_ancestor_of(&from_node.id) {
        format!("its ancestor {}", target.name())
    } else if from_node.id.is_ancestor_of(&target.id) {
        format!("its descendant {}", target.name())
    } else {
        return None;
    };
    Some(Finding::new(
        Code::DependencyCycle,
        location,
        format!(
            "{} depends on {relation}, which is a cycle; depend on the tasks it needs instead",
            from_node.name()
        ),
    ))
}

/// How many of a cycle's tasks its messages name.
const CYCLE_MEMBERS_NAMED: usize = 8;

/// How many of a cycle's other references a finding lists as related information.
const RELATED_REFERENCES: usize = 16;

const NONE: u32 = u32::MAX;

/// The cycles of the reference graph with their findings, and the scratch space of the
/// search, kept so that a search costs what it visits rather than the graph's size.
pub struct Cycles {
    /// Per node: the cycle it is on, or `NONE`.
    on: Vec<u32>,
    cycles: FxHashMap<u32, Cycle>,
    next_id: u32,
    /// Per node: the search that last numbered it.
    seen: Vec<u32>,
    search: u32,
    number: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
}

struct Cycle {
    /// In tree (document) order.
    members: Vec<usize>,
    findings: Vec<Finding>,
}

impl Cycles {
    /// No cycles, for a graph of `nodes` nodes.
    pub fn new(nodes: usize) -> Cycles {
        Cycles {
            on: vec![NONE; nodes],
            cycles: FxHashMap::default(),
            next_id: 0,
            seen: vec![0; nodes],
            search: 0,
            number: vec![0; nodes],
            low: vec![0; nodes],
            on_stack: vec![false; nodes],
        }
    }

    /// The findings of every cycle.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.cycles.values().flat_map(|c| c.findings.iter())
    }

    /// Moves the findings' locations on line `from` or below by `delta` lines.
    pub fn shift(&mut self, from: usize, delta: isize) {
        for cycle in self.cycles.values_mut() {
            for finding in &mut cycle.findings {
                finding.shift(from, delta);
            }
        }
    }

    /// Brings the cycles up to date after the edges leaving `changed` changed.
    ///
    /// A cycle that changed either lost an edge (which leaves a changed node on it) or
    /// gained one (which leaves a changed node, from which the whole new cycle is
    /// reachable). So Tarjan's search from the changed nodes and the members of their old
    /// cycles finds every new cycle, and every old cycle it meets lies wholly in what it
    /// visited (either unchanged and reachable, or holding a changed node): those are
    /// replaced, and the cycles it does not reach stand.
    pub fn settle(&mut self, changed: &[usize], out: &[Vec<Edge>], nodes: &[RefNode]) {
        let mut roots: Vec<usize> = Vec::with_capacity(changed.len());
        for &v in changed {
            roots.push(v);
            if let Some(cycle) = self.cycles.get(&self.on[v]) {
                roots.extend_from_slice(&cycle.members);
            }
        }
        let (visited, components) = self.search(&roots, out);
        for v in visited {
            if let Some(old) = self.cycles.remove(&self.on[v]) {
                for m in old.members {
                    self.on[m] = NONE;
                }
            }
        }
        for mut members in components {
            members.sort_unstable();
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1);
            for &m in &members {
                self.on[m] = id;
            }
            let findings = self.cycle_findings(id, &members, out, nodes);
            self.cycles.insert(id, Cycle { members, findings });
        }
    }

    /// Tarjan's algorithm without recursion (dependency chains can be long) from `roots`
    /// over what they reach: the nodes it visited and the components of two or more nodes.
    fn search(&mut self, roots: &[usize], out: &[Vec<Edge>]) -> (Vec<usize>, Vec<Vec<usize>>) {
        self.search = self.search.wrapping_add(1);
        if self.search == 0 {
            self.seen.fill(0);
            self.search = 1;
        }
        let search = self.search;
        let mut visited = Vec::new();
        let mut components = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut next_number = 0u32;
        // (node, next edge position)
        let mut call: Vec<(usize, usize)> = Vec::new();
        for &root in roots {
            if self.seen[root] == search {
                continue;
            }
            let mut enter = |this: &mut Cycles, v: usize, stack: &mut Vec<usize>| {
                this.seen[v] = search;
                this.number[v] = next_number;
                this.low[v] = next_number;
                next_number += 1;
                stack.push(v);
                this.on_stack[v] = true;
                visited.push(v);
            };
            enter(self, root, &mut stack);
            call.push((root, 0));
            while let Some(&mut (v, ref mut pos)) = call.last_mut() {
                if let Some(edge) = out[v].get(*pos) {
                    *pos += 1;
                    let w = edge.to;
                    if self.seen[w] != search {
                        enter(self, w, &mut stack);
                        call.push((w, 0));
                    } else if self.on_stack[w] {
                        self.low[v] = self.low[v].min(self.number[w]);
                    }
                } else {
                    call.pop();
                    if let Some(&(parent, _)) = call.last() {
                        self.low[parent] = self.low[parent].min(self.low[v]);
                    }
                    if self.low[v] == self.number[v] {
                        let mut component = Vec::new();
                        while let Some(w) = stack.pop() {
                            self.on_stack[w] = false;
                            component.push(w);
                            if w == v {
                                break;
                            }
                        }
                        if component.len() > 1 {
                            components.push(component);
                        }
                    }
                }
            }
        }
        (visited, components)
    }

    /// A finding on every reference of the cycle `id`, naming its first members and
    /// listing its other references.
    fn cycle_findings(
        &self,
        id: u32,
        members: &[usize],
        out: &[Vec<Edge>],
        nodes: &[RefNode],
    ) -> Vec<Finding> {
        let mut group: Vec<(usize, &Edge)> = members
            .iter()
            .flat_map(|&m| {
                out[m]
                    .iter()
                    .filter(|e| self.on[e.to] == id)
                    .map(move |e| (m, e))
            })
            .collect();
        // Document order, the order the references are written in.
        group.sort_by_key(|(_, e)| (e.location.line, e.seq));
        // A long cycle is named by its first members only: every reference on it gets a
        // message, and thousands of full lists would cost gigabytes.
        let mut cycle: Vec<String> = members
            .iter()
            .take(CYCLE_MEMBERS_NAMED)
            .map(|&m| nodes[m].id.to_string())
            .collect();
        if members.len() > CYCLE_MEMBERS_NAMED {
            cycle.push(format!("… {} tasks in all", members.len()));
        }
        let cycle = cycle.join(", ");
        let mut findings = Vec::new();
        for &(from, edge) in &group {
            if nodes[from].inactive {
                continue;
            }
            let mut finding = Finding::new(
                Code::DependencyCycle,
                edge.location,
                format!(
                    "{} depends on {}, which leads back to it (cycle through {cycle}); remove one of these dependencies",
                    nodes[from].name(),
                    nodes[edge.to].id,
                ),
            );
            finding.related = group
                .iter()
                .filter(|(_, other)| other.location != edge.location)
                .take(RELATED_REFERENCES)
                .map(|&(other_from, other)| Related {
                    location: other.location,
                    message: format!(
                        "{} depends on {}",
                        nodes[other_from].name(),
                        nodes[other.to].id
                    ),
                })
                .collect();
            findings.push(finding);
        }
        findings
    }
}
