use super::wording::stage_word;
use super::{name, Code, Sink};
use crate::model::TaskTree;

/// Three-stage profile: each of the stages 1-3 present, in order, each title starting with
/// its word (CORE, INTEGRATION, POLISH).
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    if !tree.three_stage() {
        return;
    }
    let severity = Code::StageStructure.default_severity();
    let stages: Vec<usize> = tree
        .roots
        .iter()
        .copied()
        .filter(|&r| {
            let n = &tree.nodes[r];
            !n.is_implied() && n.level() == 1 && (1..=3).contains(&n.id.stage())
        })
        .collect();
    if stages.is_empty() {
        return;
    }

    let mut highest_so_far = 0;
    for &s in &stages {
        let number = tree.nodes[s].id.stage();
        if number < highest_so_far {
            let message = format!(
                "{} is written after Stage {highest_so_far}; put the stages in order: 1 CORE, 2 INTEGRATION, 3 POLISH",
                name(tree, s)
            );
            sink.on_node(s, Code::StageStructure, severity, message);
        }
        highest_so_far = highest_so_far.max(number);

        let expected = stage_word(number).expect("stages are 1-3 here");
        let first_word: String = tree.nodes[s]
            .title()
            .chars()
            .skip_while(|c| !c.is_alphanumeric())
            .take_while(|c| c.is_alphanumeric())
            .collect();
        if !first_word.eq_ignore_ascii_case(expected) {
            let found = if first_word.is_empty() {
                "nothing".to_string()
            } else {
                format!("\"{first_word}\"")
            };
            let message = format!(
                "{}'s title should start with {expected}, not {found}",
                name(tree, s)
            );
            sink.on_node(s, Code::StageStructure, severity, message);
        }
    }

    // Missing stages: reported on the stage after the gap, or on the last stage present.
    let present = |n: u32| stages.iter().any(|&s| tree.nodes[s].id.stage() == n);
    let first_with = |n: u32| {
        stages
            .iter()
            .copied()
            .find(|&s| tree.nodes[s].id.stage() == n)
    };
    let mut anchors: Vec<(usize, Vec<u32>)> = Vec::new();
    for missing in (1..=3).filter(|&n| !present(n)) {
        let anchor = ((missing + 1)..=3)
            .find_map(first_with)
            .or_else(|| (1..missing).rev().find_map(first_with))
            .expect("some stage is present");
        match anchors.iter_mut().find(|(a, _)| *a == anchor) {
            Some((_, list)) => list.push(missing),
            None => anchors.push((anchor, vec![missing])),
        }
    }
    for (anchor, missing) in anchors {
        let names: Vec<String> = missing
            .iter()
            .map(|&m| format!("Stage {m} ({})", stage_word(m).unwrap_or("?")))
            .collect();
        let verb = if names.len() > 1 { "are" } else { "is" };
        let message = format!(
            "{} {verb} missing; a task list has three stages: 1 CORE, 2 INTEGRATION, 3 POLISH",
            names.join(" and ")
        );
        sink.on_node(anchor, Code::StageStructure, severity, message);
    }
}
