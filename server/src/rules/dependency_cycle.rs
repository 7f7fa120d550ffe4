use super::{name, reference_location, Code, Location, Related, Sink};
use crate::model::TaskTree;

/// A reference on a cycle of written references, or to the node itself, an ancestor or a
/// descendant (those are cycles by themselves: a node contains its descendants).
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    // Edges of the reference graph, with where each reference is written.
    let mut edges: Vec<Edge> = Vec::new();
    for (from, node) in tree.nodes.iter().enumerate() {
        if node.duplicate_of.is_some() {
            continue;
        }
        for (line, reference) in node.references() {
            let Some(to) = tree.resolve(&reference.id) else {
                continue;
            };
            let location = reference_location(line, reference);
            let target = &tree.nodes[to].id;
            let relation = if to == from || *target == node.id {
                Some("itself".to_string())
            } else if target.is_ancestor_of(&node.id) {
                Some(format!("its ancestor {}", name(tree, to)))
            } else if node.id.is_ancestor_of(target) {
                Some(format!("its descendant {}", name(tree, to)))
            } else {
                None
            };
            match relation {
                Some(relation) => {
                    let message = format!(
                        "{} depends on {relation}, which is a cycle; depend on the tasks it needs instead",
                        name(tree, from)
                    );
                    sink.report(
                        from,
                        Code::DependencyCycle,
                        Code::DependencyCycle.default_severity(),
                        location,
                        message,
                    );
                }
                None => edges.push(Edge { from, to, location }),
            }
        }
    }
    if edges.is_empty() {
        return;
    }
    let component = strongly_connected(tree.nodes.len(), &edges);
    let mut on_cycle: Vec<&Edge> = edges
        .iter()
        .filter(|e| component[e.from] == component[e.to])
        .collect();
    on_cycle.sort_by_key(|e| component[e.from]);
    for group in on_cycle.chunk_by(|a, b| component[a.from] == component[b.from]) {
        let mut members: Vec<usize> = group.iter().flat_map(|e| [e.from, e.to]).collect();
        members.sort_unstable();
        members.dedup();
        // A long cycle is named by its first members only: every reference on it gets a
        // message, and thousands of full lists would cost gigabytes.
        let mut cycle: Vec<String> = members
            .iter()
            .take(CYCLE_MEMBERS_NAMED)
            .map(|&m| tree.nodes[m].id.to_string())
            .collect();
        if members.len() > CYCLE_MEMBERS_NAMED {
            cycle.push(format!("… {} tasks in all", members.len()));
        }
        for edge in group {
            let message = format!(
                "{} depends on {}, which leads back to it (cycle through {}); remove one of these dependencies",
                name(tree, edge.from),
                tree.nodes[edge.to].id,
                cycle.join(", ")
            );
            let severity = Code::DependencyCycle.default_severity();
            if let Some(finding) = sink.report(
                edge.from,
                Code::DependencyCycle,
                severity,
                edge.location,
                message,
            ) {
                finding.related = group
                    .iter()
                    .filter(|other| other.location != edge.location)
                    .take(16)
                    .map(|other| Related {
                        location: other.location,
                        message: format!(
                            "{} depends on {}",
                            name(tree, other.from),
                            tree.nodes[other.to].id
                        ),
                    })
                    .collect();
            }
        }
    }
}

/// How many of a cycle's tasks its messages name.
const CYCLE_MEMBERS_NAMED: usize = 8;

struct Edge {
    from: usize,
    to: usize,
    location: Location,
}

/// Tarjan's algorithm without recursion (dependency chains can be long); returns each
/// node's component number.
fn strongly_connected(n: usize, edges: &[Edge]) -> Vec<usize> {
    let mut adjacency_start = vec![0usize; n + 1];
    for e in edges {
        adjacency_start[e.from + 1] += 1;
    }
    for i in 0..n {
        adjacency_start[i + 1] += adjacency_start[i];
    }
    let mut fill = adjacency_start.clone();
    let mut targets = vec![0usize; edges.len()];
    for e in edges {
        targets[fill[e.from]] = e.to;
        fill[e.from] += 1;
    }
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![UNSEEN; n];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut next_component = 0;
    for root in 0..n {
        if index[root] != UNSEEN || adjacency_start[root] == adjacency_start[root + 1] {
            if index[root] == UNSEEN {
                component[root] = next_component;
                next_component += 1;
            }
            continue;
        }
        // (node, next edge position)
        let mut call: Vec<(usize, usize)> = vec![(root, adjacency_start[root])];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = call.last_mut() {
            if *pos < adjacency_start[v + 1] {
                let w = targets[*pos];
                *pos += 1;
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, adjacency_start[w]));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        component[w] = next_component;
                        if w == v {
                            break;
                        }
                    }
                    next_component += 1;
                }
            }
        }
    }
    component
}
