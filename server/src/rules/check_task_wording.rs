use super::missing_check_tasks::wording_for;
use super::{name, Code, Sink};
use crate::model::line::CheckKind;
use crate::model::TaskTree;

/// A check task whose wording does not fit its stage, whose letter disagrees with its verb,
/// that names another task, or that has an ordinary child written after it.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        let (Some(written), Some(parent)) = (node.written, node.parent) else {
            continue;
        };
        if !tree.is_check_task(i) {
            continue;
        }
        let group = &tree.nodes[parent];
        let mut problems = Vec::new();
        let letter_kind = node.id.letter().and_then(CheckKind::from_letter);
        match (written.check_verb, node.id.letter()) {
            (None, _) => problems.push(format!(
                "does not start with Validate, Verify or Document; write \"{}\"",
                wording_for(tree, parent, letter_kind.unwrap_or(CheckKind::Verify))
            )),
            (Some(verb), Some(letter)) if letter_kind != Some(verb) => problems.push(format!(
                "its letter {} does not match its verb {} (A Validate, B Verify, C Document)",
                letter as char,
                verb.verb()
            )),
            _ => {}
        }
        match &written.named_task {
            Some(named) if *named != group.id => problems.push(format!(
                "names Task {named}, but it closes Task {}",
                group.id
            )),
            None if written.check_verb.is_some() => problems.push(format!(
                "does not name the task it closes (Task {})",
                group.id
            )),
            _ => {}
        }
        if let Some(verb) = written.check_verb {
            let stage = group.id.stage();
            let wording = wording_for(tree, parent, verb);
            let stage_checked = !tree.three_stage() || (1..=3).contains(&stage);
            let named_ok = written.named_task.as_ref() == Some(&group.id);
            if stage_checked
                && named_ok
                && tree.three_stage()
                && !super::wording::starts_with_wording(&written.title, &wording)
            {
                problems.push(format!(
                    "does not use the stage {stage} wording \"{wording}\""
                ));
            }
        }
        let ordinary_after = group
            .children
            .iter()
            .skip_while(|&&c| c != i)
            .skip(1)
            .find(|&&c| !tree.is_check_task(c));
        if let Some(&after) = ordinary_after {
            problems.push(format!(
                "{} is written after it; check tasks close their group, so move them after the group's last task",
                name(tree, after)
            ));
        }
        if !problems.is_empty() {
            let message = format!("Check task {} {}", node.id, problems.join("; "));
            sink.on_node(
                i,
                Code::CheckTaskWording,
                Code::CheckTaskWording.default_severity(),
                message,
            );
        }
    }
}
