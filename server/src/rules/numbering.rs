use rustc_hash::FxHashMap;

use super::{name, Code, Sink};
use crate::model::TaskTree;

/// Orphans, gaps, numbers out of order, nodes outside their parent's block, and stages
/// numbered outside 1-3. At most one numbering finding per node: the first that applies.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    let mut found: FxHashMap<usize, (u8, String)> = FxHashMap::default();
    let mut add = |node: usize, priority: u8, message: String| {
        let entry = found.entry(node).or_insert((u8::MAX, String::new()));
        if priority < entry.0 {
            *entry = (priority, message);
        }
    };
    let three_stage = tree.three_stage();

    for (i, node) in tree.nodes.iter().enumerate() {
        if node.is_implied() || node.duplicate_of.is_some() {
            continue;
        }
        // An orphan: report once, on the first written node under the missing parent.
        if let Some(p) = node.parent {
            let parent = &tree.nodes[p];
            if parent.is_implied() && parent.children.first() == Some(&i) {
                add(
                    i,
                    0,
                    format!(
                        "{}'s parent {} is not written; add it above, or fix this ID",
                        name(tree, i),
                        parent.id
                    ),
                );
            }
        }
        if three_stage && node.level() == 1 && !(1..=3).contains(&node.id.stage()) {
            add(
                i,
                1,
                format!(
                    "{} is numbered outside 1-3; the three stages are 1 CORE, 2 INTEGRATION and 3 POLISH",
                    name(tree, i)
                ),
            );
        }
        if let (Some(p), Some(previous)) = (node.parent, i.checked_sub(1)) {
            let parent_id = &tree.nodes[p].id;
            let previous_id = &tree.nodes[previous].id;
            if *previous_id != *parent_id && !parent_id.is_ancestor_of(previous_id) {
                add(
                    i,
                    2,
                    format!(
                        "{} stands outside the block of {}: the node above it is {}; move it under its parent",
                        name(tree, i),
                        parent_id,
                        previous_id
                    ),
                );
            }
        } else if node.parent.is_some() {
            add(
                i,
                2,
                format!(
                    "{} stands before its parent; move it under its parent",
                    name(tree, i)
                ),
            );
        }
    }

    let groups = std::iter::once((None, &tree.roots)).chain(
        tree.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (Some(i), &n.children)),
    );
    // Reused from group to group.
    let mut numbered: Vec<usize> = Vec::new();
    let mut numbers: Vec<(u32, usize)> = Vec::new();
    for (parent, children) in groups {
        // Stage numbers are the business of stage-structure.
        if (parent.is_none() && three_stage) || children.is_empty() {
            continue;
        }
        numbered.clear();
        numbered.extend(
            children
                .iter()
                .copied()
                .filter(|&c| tree.nodes[c].id.letter().is_none()),
        );
        for pair in numbered.windows(2) {
            let (before, after) = (&tree.nodes[pair[0]], &tree.nodes[pair[1]]);
            if after.id.last_num() <= before.id.last_num() {
                add(
                    pair[1],
                    3,
                    format!(
                        "{} comes after {}; number siblings in increasing order",
                        name(tree, pair[1]),
                        before.id
                    ),
                );
            }
        }
        numbers.clear();
        numbers.extend(numbered.iter().map(|&c| (tree.nodes[c].id.last_num(), c)));
        numbers.sort_unstable();
        let mut expected = 1u32;
        for &(number, node) in &numbers {
            if number > expected {
                let sibling = |n: u32| match parent {
                    Some(p) => tree.nodes[p].id.child(n).to_string(),
                    None => n.to_string(),
                };
                let missing = if number - expected == 1 {
                    format!("{} is missing", sibling(expected))
                } else {
                    format!(
                        "{} to {} are missing",
                        sibling(expected),
                        sibling(number - 1)
                    )
                };
                add(
                    node,
                    4,
                    format!(
                        "{} follows a gap: {missing}; renumber the group or add the missing task",
                        name(tree, node)
                    ),
                );
            }
            expected = expected.max(number.saturating_add(1));
        }
    }

    let mut found: Vec<(usize, String)> = found.into_iter().map(|(n, (_, m))| (n, m)).collect();
    found.sort_unstable_by_key(|(n, _)| *n);
    for (node, message) in found {
        sink.on_node(
            node,
            Code::Numbering,
            Code::Numbering.default_severity(),
            message,
        );
    }
}
