use super::wording::{check_task_wording, has_wording};
use super::{name, Code, Finding, Location, Sink};
use crate::model::line::{CheckKind, NodeLine};
use crate::model::TaskTree;

/// The structural half: a check task with an ordinary child of its group written after it.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        let Some(parent) = node.parent else {
            continue;
        };
        if !tree.is_check_task(i) {
            continue;
        }
        let ordinary_after = tree.nodes[parent]
            .children
            .iter()
            .skip_while(|&&c| c != i)
            .skip(1)
            .find(|&&c| !tree.is_check_task(c));
        if let Some(&after) = ordinary_after {
            let message = format!(
                "Check task {}: {} is written after it; check tasks close their group, so move them after the group's last task",
                node.id,
                name(tree, after)
            );
            let severity = Code::CheckTaskWording.default_severity();
            sink.on_node(i, Code::CheckTaskWording, severity, message);
        }
    }
}

/// The local half, from the check task's own line (its group is its ID's parent): no
/// check verb, a letter that disagrees with the verb, another task named or none, or a
/// title that does not fit the stage's wording (three-stage profile, stages 1-3).
pub fn local_finding(line: usize, node: &NodeLine, three_stage: bool) -> Option<Finding> {
    let group = node.id.parent()?;
    let stage = if three_stage { group.stage() } else { 0 };
    let mut problems = Vec::new();
    let letter_kind = node.id.letter().and_then(CheckKind::from_letter);
    match (node.check_verb, node.id.letter()) {
        (None, _) => problems.push(format!(
            "does not start with Validate, Verify or Document; write \"{}\"",
            check_task_wording(letter_kind.unwrap_or(CheckKind::Verify), stage, &group)
        )),
        (Some(verb), Some(letter)) if letter_kind != Some(verb) => problems.push(format!(
            "its letter {} does not match its verb {} (A Validate, B Verify, C Document); make it {}.{} or change the verb",
            letter as char,
            verb.verb(),
            group,
            verb.letter() as char
        )),
        _ => {}
    }
    match &node.named_task {
        Some(named) if *named != group => problems.push(format!(
            "names Task {named}, but it closes Task {group}; name Task {group}"
        )),
        None if node.check_verb.is_some() => problems.push(format!(
            "does not name the task it closes; add \"Task {group}\""
        )),
        _ => {}
    }
    if let Some(verb) = node.check_verb {
        let named_ok = node.named_task.as_ref() == Some(&group);
        if three_stage
            && (1..=3).contains(&stage)
            && named_ok
            && !has_wording(&node.title, verb, stage, &group)
        {
            let wording = check_task_wording(verb, stage, &group);
            problems.push(format!(
                "does not use the stage {stage} wording \"{wording}\""
            ));
        }
    }
    if problems.is_empty() {
        return None;
    }
    Some(Finding {
        code: Code::CheckTaskWording,
        severity: Code::CheckTaskWording.default_severity(),
        location: Location::new(line, node.id_span),
        message: format!("Check task {}: {}", node.id, problems.join("; ")),
        related: Vec::new(),
    })
}
