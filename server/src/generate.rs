//! Generating a task list from a WBS with a model, stage by stage, and the
//! `task_outcomes.md` that waits for each task group's Document task.
//!
//! The document starts as a skeleton of the three stage headings with their notes; each
//! stage's phases are then asked for and written in with the expansion engine
//! ([`crate::expand::insert_children`] on the stage node), so numbering, notes and check
//! tasks come from one mechanism, and the same refinement passes follow.

use crate::actions::notes::seed_gate;
use crate::config::Config;
use crate::document::Document;
use crate::expand::{self, stage_meaning, Progress};
use crate::llm::{parse_answer, tasks_schema, Event, Llm, LlmError, Prompt};
use crate::model::id::TaskId;
use crate::model::TaskTree;

/// Where a generated task list goes, under the workspace root.
pub const DEFAULT_OUTPUT: &str = "ai_docs/tasks/tasks_list.md";
/// The outcomes file, beside the task list.
pub const OUTCOMES_FILE: &str = "task_outcomes.md";

/// The heading of each stage, as the reference framework names them.
pub fn stage_heading(stage: u32) -> &'static str {
    match stage {
        1 => "CORE – Foundation & Test Harness",
        2 => "INTEGRATION – Real Data & Services",
        _ => "POLISH & PERFORMANCE – Production Readiness",
    }
}

/// The title of a WBS: its first level-one heading without "Work Breakdown Structure".
pub fn wbs_title(wbs: &str) -> String {
    let heading = wbs
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(str::trim)
        .unwrap_or("Project");
    let stripped = heading
        .trim_start_matches("Work Breakdown Structure")
        .trim_start_matches(" (WBS)")
        .trim_start_matches([' ', ':', '–', '-', '—'])
        .trim();
    if stripped.is_empty() {
        heading.to_string()
    } else {
        stripped.to_string()
    }
}

/// The three stage headings with their notes, under a title and a provenance line.
pub fn skeleton(title: &str, wbs_name: &str, wbs_link: &str) -> String {
    let mut out = format!(
        "# {title} – Task List\n\nExpanded from [{wbs_name}]({wbs_link}) by `wbs-lsp generate`.\n"
    );
    for stage in 1..=3u32 {
        let dependencies = match stage {
            1 => "None".to_string(),
            s => format!("Stage {} complete", s - 1),
        };
        out.push_str(&format!(
            "\n### Stage {stage}: {}\n(Dependencies: {dependencies} | Stage Gate: {})\n",
            stage_heading(stage),
            seed_gate(stage).unwrap_or("")
        ));
    }
    out
}

const SYSTEM: &str = "You expand a Work Breakdown Structure (WBS) into a treed task list for the Three-Stage Rapid Backend Development Framework: Stage 1 CORE (foundation and test harness, seed data, no real services), Stage 2 INTEGRATION (real data and services), Stage 3 POLISH (production readiness). \
Every branch continues until it reaches atomic tasks: one imperative action with one clear output each, never two actions joined by \"and\", \"then\" or \";\". \
Answer with JSON only: {\"stage_gate\": string, \"tasks\": [phase, ...]} where each phase, task and subtask is {\"title\": string, \"dependencies\": [string], \"stage_gate\": string, \"children\": [...]}, at most three levels deep (phase, task, subtask). \
Titles carry no numbers. Do not write Validate / Verify / Document check tasks: they are added for you.";

/// The prompt for one stage: the user's template (its `{{doc}}` receives the WBS) or
/// the built-in one, and what this stage must hold.
pub fn stage_prompt(wbs: &str, template: Option<&str>, stage: u32, so_far: &str) -> Prompt {
    let mut user = match template {
        Some(template) => {
            template.replace("{{doc}}", &format!("\n<wbs>\n{}\n</wbs>\n", wbs.trim_end()))
        }
        None => format!("The WBS:\n<wbs>\n{}\n</wbs>\n", wbs.trim_end()),
    };
    user.push_str(&format!(
        "\n\nNow write Stage {stage} only: {}\nIts phases in the order of the WBS, each with its tasks and their atomic subtasks. Use the WBS's own words where they fit.\n",
        stage_meaning(stage)
    ));
    if stage > 1 {
        user.push_str(&format!(
            "\nThe stages before it are already written:\n{}\nDo not repeat their work; dependencies may name their IDs.\n",
            so_far.trim()
        ));
    }
    Prompt {
        system: SYSTEM.to_string(),
        user,
        schema: Some(tasks_schema()),
    }
}

/// Generates the task list of `wbs`: the skeleton, then each stage from the model, then
/// the refinement passes. Returns the text of the task list.
pub async fn generate(
    llm: &Llm,
    wbs: &str,
    wbs_name: &str,
    wbs_link: &str,
    template: Option<&str>,
    config: &Config,
    progress: Progress<'_>,
) -> Result<String, LlmError> {
    let mut text = skeleton(&wbs_title(wbs), wbs_name, wbs_link);
    for stage in 1..=3u32 {
        progress(format!("asking the model for Stage {stage}"));
        let prompt = stage_prompt(wbs, template, stage, &text);
        let what = format!("Stage {stage}");
        let mut on_event = |event: Event| progress(expand::describe(&what, event));
        let answer = llm.complete(&prompt, &mut on_event).await?;
        let bad = |detail: String| expand::bad_answer(format!("Stage {stage}: {detail}"), &answer);
        let phases = parse_answer(&answer).map_err(bad)?;
        let id = TaskId::new(vec![stage], None);
        text = expand::insert_children(&text, &id, &phases, None, config).map_err(bad)?;
    }
    text = layout(&text);
    let mut calls = 3;
    for stage in 1..=3u32 {
        let id = TaskId::new(vec![stage], None);
        expand::refine(llm, &mut text, &id, config, None, &mut calls, progress).await?;
    }
    Ok(layout(&text))
}

/// Lays a generated list out for reading as rendered Markdown, as the reference prompt's
/// example is: a blank line before each phase, and a hard break (two trailing spaces) at
/// the end of every line of a paragraph but its last, so each task keeps its own line.
pub fn layout(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let is_phase = |line: &str| {
        TaskId::parse_prefix(line).is_some_and(|(id, _)| id.level() == 2 && id.letter().is_none())
    };
    let mut spaced: Vec<String> = Vec::with_capacity(lines.len() + lines.len() / 8);
    for line in &lines {
        if is_phase(line) && spaced.last().is_some_and(|prev| !prev.trim().is_empty()) {
            spaced.push(String::new());
        }
        spaced.push(line.trim_end().to_string());
    }
    let content = |line: &str| !line.trim().is_empty() && !line.starts_with('#');
    let mut out = String::with_capacity(text.len() + spaced.len() * 2);
    for (i, line) in spaced.iter().enumerate() {
        out.push_str(line);
        if content(line) && spaced.get(i + 1).is_some_and(|next| content(next)) {
            out.push_str("  ");
        }
        out.push('\n');
    }
    out
}

/// The task groups of a task list, with their titles, in document order.
pub fn task_groups(text: &str, config: &Config) -> Vec<(TaskId, String)> {
    let document = Document::new(text, 0);
    let tree = TaskTree::from_lines(document.line_items(), config.profile);
    (0..tree.nodes.len())
        .filter(|&i| tree.nodes[i].written.is_some() && tree.is_task_group(i))
        .map(|i| (tree.nodes[i].id.clone(), tree.nodes[i].title().to_string()))
        .collect()
}

/// The heading of a task group's section in `task_outcomes.md`.
pub fn outcome_heading(id: &TaskId, title: &str) -> String {
    if title.is_empty() {
        format!("## Task {id}")
    } else {
        format!("## Task {id} – {title}")
    }
}

fn outcome_section(id: &TaskId, title: &str) -> String {
    format!(
        "{}\n\n_Waiting for Document Task {id}._\n",
        outcome_heading(id, title)
    )
}

/// A `task_outcomes.md` with a section per task group.
pub fn outcomes_file(title: &str, groups: &[(TaskId, String)]) -> String {
    let mut out = format!(
        "# Task Outcomes – {title}\n\nEach section is filled in by its task group's Document task.\n"
    );
    for (id, group_title) in groups {
        out.push('\n');
        out.push_str(&outcome_section(id, group_title));
    }
    out
}

/// The outcomes file for a task list: a new one when there is none (`existing` is
/// `None` or empty), else the existing text with the sections it lacks appended; `None`
/// when the existing file already has them all. An outcomes file is never replaced.
pub fn updated_outcomes(existing: Option<&str>, list: &str, config: &Config) -> Option<String> {
    let groups = task_groups(list, config);
    match existing.filter(|e| !e.trim().is_empty()) {
        None => {
            let title = list
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .unwrap_or("Task List")
                .trim_end_matches(" – Task List");
            Some(outcomes_file(title, &groups))
        }
        Some(existing) => {
            let mut current = existing.to_string();
            for (id, title) in &groups {
                if let Some((more, _)) = append_section(&current, id, title) {
                    current.push_str(&more);
                }
            }
            (current.len() != existing.len()).then_some(current)
        }
    }
}

/// Where the section of task group `id` stands in an outcomes text (its heading's line),
/// matching `## Task X.Y` followed by the end of the line or a non-ID character.
pub fn find_section(outcomes: &str, id: &TaskId) -> Option<usize> {
    let prefix = format!("## Task {id}");
    outcomes.lines().position(|line| {
        line.trim_end()
            .strip_prefix(&prefix)
            .is_some_and(|rest| !rest.starts_with(|c: char| c == '.' || c.is_ascii_alphanumeric()))
    })
}

/// The text to append to an outcomes file (empty or not) so it has a section for task
/// group `id`, and the line its heading will stand on; `None` when it has one.
pub fn append_section(outcomes: &str, id: &TaskId, title: &str) -> Option<(String, usize)> {
    if find_section(outcomes, id).is_some() {
        return None;
    }
    let mut addition = String::new();
    if outcomes.trim().is_empty() {
        addition.push_str("# Task Outcomes\n\n");
    } else {
        if !outcomes.ends_with('\n') {
            addition.push('\n');
        }
        addition.push('\n');
    }
    let lines_before = outcomes.lines().count() + addition.matches('\n').count()
        - usize::from(!outcomes.is_empty() && !outcomes.ends_with('\n'));
    addition.push_str(&outcome_section(id, title));
    Some((addition, lines_before))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ProposedTask;

    fn id(text: &str) -> TaskId {
        TaskId::parse(text).unwrap()
    }

    #[test]
    fn titles_of_a_wbs() {
        assert_eq!(
            wbs_title("# Work Breakdown Structure – Inventory Service\n"),
            "Inventory Service"
        );
        assert_eq!(wbs_title("# Billing WBS\n"), "Billing WBS");
        assert_eq!(wbs_title("no heading"), "Project");
    }

    #[test]
    fn stages_written_into_the_skeleton_meet_the_rules() {
        let config = Config::default();
        let mut text = skeleton("Shop", "wbs.md", "../../wbs.md");
        for stage in 1..=3u32 {
            let phase = ProposedTask {
                title: format!("Phase of stage {stage}"),
                children: vec![
                    ProposedTask {
                        title: "Create the settings module".into(),
                        ..Default::default()
                    },
                    ProposedTask {
                        title: "Add the health endpoint".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            };
            text = expand::insert_children(
                &text,
                &TaskId::new(vec![stage], None),
                &[phase],
                None,
                &config,
            )
            .unwrap();
        }
        let document = Document::new(&text, 0);
        let findings = crate::analyze(document.line_items(), &config);
        assert!(findings.is_empty(), "{text}\n{findings:#?}");
        assert!(
            text.contains("Expanded from [wbs.md](../../wbs.md)"),
            "{text}"
        );
        assert!(text.contains("\n1.1 Phase of stage 1 (Dependencies: None | Stage Gate: all tasks of 1.1 are done and verified)\n  1.1.1 Create the settings module\n"), "{text}");
        assert!(
            text.contains("  2.1.A Validate integration of Task 2.1\n"),
            "{text}"
        );
        let groups = task_groups(&text, &config);
        assert_eq!(
            groups
                .iter()
                .map(|(i, _)| i.to_string())
                .collect::<Vec<_>>(),
            ["1.1", "2.1", "3.1"]
        );
        // Laid out for reading: the same findings (none), and stable.
        let laid_out = layout(&text);
        assert!(
            laid_out.contains("implementation\n\n### Stage 2"),
            "{laid_out}"
        );
        assert!(laid_out.contains("(Dependencies: None | Stage Gate: Core functionality proven with seed data and passing unit tests)\n\n1.1 Phase of stage 1 (Dependencies: None | Stage Gate: all tasks of 1.1 are done and verified)  \n  1.1.1 Create the settings module  \n"), "{laid_out}");
        assert_eq!(layout(&laid_out), laid_out);
        let document = Document::new(&laid_out, 0);
        assert!(crate::analyze(document.line_items(), &config).is_empty());
        let outcomes = outcomes_file("Shop", &groups);
        assert!(
            outcomes
                .contains("## Task 2.1 – Phase of stage 2\n\n_Waiting for Document Task 2.1._\n"),
            "{outcomes}"
        );
    }

    #[test]
    fn sections_of_the_outcomes_file() {
        let text = "# Task Outcomes\n\n## Task 1.1 – A\n\ndone\n\n## Task 1.10\n";
        assert_eq!(find_section(text, &id("1.1")), Some(2));
        assert_eq!(find_section(text, &id("1.10")), Some(6));
        assert_eq!(find_section(text, &id("1.2")), None);
        assert!(append_section(text, &id("1.1"), "A").is_none());
        let (addition, line) = append_section(text, &id("1.2"), "B").unwrap();
        let whole = format!("{text}{addition}");
        assert_eq!(whole.lines().nth(line), Some("## Task 1.2 – B"), "{whole}");
        let (addition, line) = append_section("", &id("2.1"), "C").unwrap();
        assert_eq!(addition.lines().nth(line), Some("## Task 2.1 – C"));
        let (addition, line) = append_section("# T", &id("2.1"), "C").unwrap();
        let whole = format!("# T{addition}");
        assert_eq!(
            whole.lines().nth(line),
            Some("## Task 2.1 – C"),
            "{whole:?}"
        );
    }

    #[test]
    fn a_users_template_receives_the_wbs() {
        let prompt = stage_prompt(
            "## 1. Orders",
            Some("Expand {{doc}} now."),
            2,
            "### Stage 1: CORE\n1.1 A",
        );
        assert!(
            prompt
                .user
                .starts_with("Expand \n<wbs>\n## 1. Orders\n</wbs>\n now."),
            "{}",
            prompt.user
        );
        assert!(prompt.user.contains("Now write Stage 2 only"));
        assert!(prompt.user.contains("1.1 A"));
    }
}
