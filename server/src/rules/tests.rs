//! The rules against the contract fixtures (`tests/fixtures/contract`): each `NAME.md`
//! with the exact findings in `NAME.expected` (`LINE:COL SEVERITY CODE`, 1-based, columns
//! in characters), written from rules.md independently of this code.

use std::path::Path;

use crate::config::Config;
use crate::document::Document;

fn render(text: &str) -> Vec<String> {
    let doc = Document::new(text, 0);
    crate::analyze(doc.line_items(), &Config::default())
        .iter()
        .map(|f| {
            let line = doc.line(f.location.line);
            let column = line[..f.location.start as usize].chars().count() + 1;
            format!(
                "{}:{} {} {}",
                f.location.line + 1,
                column,
                f.severity.as_str(),
                f.code
            )
        })
        .collect()
}

fn fixtures() -> Vec<(String, String, Vec<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/contract");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixture folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let expected_path = path.with_extension("expected");
            let Ok(expected) = std::fs::read_to_string(&expected_path) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).expect("fixture text");
            let expected: Vec<String> = expected
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from)
                .collect();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.push((name, text, expected));
        }
    }
    out.sort();
    out
}

#[test]
fn contract_fixtures() {
    let mut failures = Vec::new();
    let all = fixtures();
    assert!(all.len() >= 30, "fixtures found: {}", all.len());
    for (name, text, expected) in all {
        let actual = render(&text);
        if actual != expected {
            failures.push(format!(
                "{name}:\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// 1-based lines where `code` fires, with the message of each.
fn fired(text: &str, code: &str) -> Vec<(usize, String)> {
    let doc = Document::new(text, 0);
    crate::analyze(doc.line_items(), &Config::default())
        .into_iter()
        .filter(|f| f.code.as_str() == code)
        .map(|f| (f.location.line + 1, f.message))
        .collect()
}

fn lines(text: &str, code: &str) -> Vec<usize> {
    fired(text, code).into_iter().map(|(l, _)| l).collect()
}

const GROUP_OK: &str = "Phase 1: Build (Dependencies: None | Stage Gate: done)\n\
    1.1 Core (Dependencies: None | Stage Gate: ok)\n\
    1.1.1 Implement the login endpoint\n\
    1.1.A Validate core functionality of Task 1.1\n\
    1.1.B Verify Task 1.1\n\
    1.1.C Document Task 1.1 implementation\n";

#[test]
fn a_clean_group_has_no_findings() {
    let doc = Document::new(GROUP_OK, 0);
    assert_eq!(crate::analyze(doc.line_items(), &Config::default()), []);
}

#[test]
fn non_atomic() {
    let text = GROUP_OK.replace(
        "Implement the login endpoint",
        "Implement the login endpoint and add tests for it",
    );
    let found = fired(&text, "non-atomic");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 3);
    assert!(
        found[0]
            .1
            .contains("\"implement the login endpoint\" and \"add tests for it\""),
        "{}",
        found[0].1
    );
    let seed = GROUP_OK.replace(
        "Implement the login endpoint",
        "Run pytest and output summary of failing tests",
    );
    assert!(lines(&seed, "non-atomic").is_empty());
}

#[test]
fn not_actionable() {
    assert_eq!(
        lines(
            &GROUP_OK.replace("Implement the login endpoint", "Login endpoint"),
            "not-actionable"
        ),
        [3]
    );
    assert_eq!(
        lines(
            &GROUP_OK.replace(" Implement the login endpoint", ""),
            "not-actionable"
        ),
        [3]
    );
    assert!(lines(GROUP_OK, "not-actionable").is_empty());
}

#[test]
fn missing_notes() {
    let text = GROUP_OK.replace(" (Dependencies: None | Stage Gate: ok)", "");
    assert_eq!(lines(&text, "missing-dependencies"), [2]);
    assert_eq!(lines(&text, "missing-stage-gate"), [2]);
    let gate_only = GROUP_OK.replace(
        "Phase 1: Build (Dependencies: None | Stage Gate: done)",
        "Phase 1: Build\n- Dependencies: None",
    );
    assert_eq!(lines(&gate_only, "missing-stage-gate"), [1]);
    assert!(lines(&gate_only, "missing-dependencies").is_empty());
    let empty = GROUP_OK.replace(
        "(Dependencies: None | Stage Gate: ok)",
        "(Dependencies: | Stage Gate: ok)",
    );
    assert_eq!(lines(&empty, "missing-dependencies"), [2]);
}

#[test]
fn missing_stage_gate_severity_depends_on_level() {
    let doc = Document::new(
        &GROUP_OK
            .replace(" | Stage Gate: done", "")
            .replace(" | Stage Gate: ok", ""),
        0,
    );
    let severities: Vec<_> = crate::analyze(doc.line_items(), &Config::default())
        .into_iter()
        .filter(|f| f.code.as_str() == "missing-stage-gate")
        .map(|f| f.severity)
        .collect();
    assert_eq!(
        severities,
        [super::Severity::Warning, super::Severity::Information]
    );
}

#[test]
fn missing_check_tasks() {
    let text = GROUP_OK.replace("1.1.B Verify Task 1.1\n", "");
    let found = fired(&text, "missing-check-tasks");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].1.contains("\"1.1.B Verify Task 1.1\""),
        "{}",
        found[0].1
    );
    let ordinary = GROUP_OK.replace(
        "1.1.B Verify Task 1.1",
        "1.1.2 Validate request payloads with pydantic",
    );
    assert_eq!(lines(&ordinary, "missing-check-tasks"), [2]);
    assert!(lines(GROUP_OK, "missing-check-tasks").is_empty());
}

#[test]
fn check_task_wording() {
    let swapped = GROUP_OK
        .replace("1.1.B Verify", "1.1.C Verify")
        .replace("1.1.C Document", "1.1.B Document");
    assert_eq!(lines(&swapped, "check-task-wording"), [5, 6]);
    let other = GROUP_OK.replace("1.1.B Verify Task 1.1", "1.1.B Verify Task 1.2");
    assert_eq!(lines(&other, "check-task-wording"), [5]);
    let after = GROUP_OK.replace(
        "1.1.C Document Task 1.1 implementation\n",
        "1.1.C Document Task 1.1 implementation\n1.1.2 Add metrics\n",
    );
    assert_eq!(lines(&after, "check-task-wording"), [4, 5, 6]);
    assert!(lines(&after, "numbering").is_empty());
    let three_stage = "### Stage 1: CORE\n(Dependencies: None | Stage Gate: ok)\n\n1.1 Core (Dependencies: None | Stage Gate: ok)\n  1.1.1 Add thing\n  1.1.A Validate integration of Task 1.1\n  1.1.B Verify Task 1.1\n  1.1.C Document Task 1.1 implementation\n";
    assert_eq!(lines(three_stage, "check-task-wording"), [6]);
    assert!(lines(GROUP_OK, "check-task-wording").is_empty());
}

#[test]
fn references() {
    let unknown = GROUP_OK.replace(
        "1.1 Core (Dependencies: None",
        "1.1 Core (Dependencies: 1.9, v1.2, 2 weeks",
    );
    assert_eq!(lines(&unknown, "unknown-dependency"), [2]);
    let cycle = format!(
        "{}1.2 Next (Dependencies: 1.3 | Stage Gate: ok)\n1.2.1 Add x\n1.3 Last (Dependencies: 1.2 | Stage Gate: ok)\n1.3.1 Add y\n",
        GROUP_OK.replace("(Dependencies: None | Stage Gate: ok)", "(Dependencies: 1.1.1 | Stage Gate: ok)")
    );
    assert_eq!(lines(&cycle, "dependency-cycle"), [2, 7, 9]);
    let doc = Document::new(&cycle, 0);
    let findings = crate::analyze(doc.line_items(), &Config::default());
    let on_cycle = findings
        .iter()
        .find(|f| f.code.as_str() == "dependency-cycle" && f.location.line == 6)
        .unwrap();
    assert_eq!(on_cycle.related.len(), 1);
    assert_eq!(on_cycle.related[0].location.line, 8);
    assert!(lines(GROUP_OK, "dependency-cycle").is_empty());
}

#[test]
fn later_stage_dependency() {
    let text = "### Stage 1: CORE\n(Dependencies: Stage 2 | Stage Gate: ok)\n### Stage 2: INTEGRATION\n(Dependencies: Stage 1 complete | Stage Gate: ok)\n";
    assert_eq!(lines(text, "later-stage-dependency"), [2]);
    // The generic profile has no stages to order.
    assert!(lines(
        &text
            .replace("Stage 1:", "Phase 1:")
            .replace("Stage 2:", "Phase 2:"),
        "later-stage-dependency"
    )
    .is_empty());
}

#[test]
fn duplicate_id() {
    let text = format!("{GROUP_OK}1.1.1 Add the same number\n");
    let doc = Document::new(&text, 0);
    let findings = crate::analyze(doc.line_items(), &Config::default());
    let duplicate: Vec<_> = findings
        .iter()
        .filter(|f| f.code.as_str() == "duplicate-id")
        .collect();
    assert_eq!(duplicate.len(), 1);
    assert_eq!(duplicate[0].location.line, 6);
    assert_eq!(duplicate[0].related[0].location.line, 2);
    assert!(findings.iter().all(|f| f.code.as_str() != "numbering"));
}

#[test]
fn numbering() {
    let gap = GROUP_OK.replace(
        "1.1.1 Implement",
        "1.1.1 Implement a\n1.1.2 Add b\n1.1.4 Add c\n1.1.5 Implement",
    );
    let found = fired(&gap, "numbering");
    assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [5]);
    assert!(found[0].1.contains("1.1.3 is missing"), "{}", found[0].1);
    let order = GROUP_OK.replace("1.1.1 Implement", "1.1.2 Add b\n1.1.1 Implement");
    assert_eq!(lines(&order, "numbering"), [4]);
    let orphan = format!("{GROUP_OK}1.4.1 Add orphan\n1.4.2 Add second orphan\n");
    assert_eq!(lines(&orphan, "numbering"), [7]);
    let outside = format!(
        "{GROUP_OK}1.2 Other (Dependencies: None | Stage Gate: ok)\n1.2.1 Add x\n1.1.2 Add late\n"
    );
    assert_eq!(lines(&outside, "numbering"), [9]);
    let stage_four = "### Stage 4: EXTRA\n(Dependencies: None | Stage Gate: ok)\n";
    assert_eq!(lines(stage_four, "numbering"), [1]);
    assert!(lines(GROUP_OK, "numbering").is_empty());
}

#[test]
fn too_deep() {
    let text = format!("{GROUP_OK}1.1.1.1.1.1 Add deep\n");
    assert_eq!(lines(&text, "too-deep"), [7]);
    assert!(lines(GROUP_OK, "too-deep").is_empty());
}

#[test]
fn stage_structure() {
    let stage = |n: u32, word: &str| {
        format!("## Stage {n}: {word}\n(Dependencies: None | Stage Gate: ok)\n")
    };
    let all = format!(
        "{}{}{}",
        stage(1, "CORE"),
        stage(2, "INTEGRATION"),
        stage(3, "POLISH")
    );
    assert!(lines(&all, "stage-structure").is_empty());
    assert_eq!(
        lines(
            &format!("{}{}", stage(1, "CORE"), stage(3, "POLISH")),
            "stage-structure"
        ),
        [3]
    );
    assert_eq!(
        lines(
            &format!("{}{}", stage(1, "CORE"), stage(2, "INTEGRATION")),
            "stage-structure"
        ),
        [3]
    );
    let out_of_order = format!(
        "{}{}{}",
        stage(2, "INTEGRATION"),
        stage(1, "CORE"),
        stage(3, "POLISH")
    );
    assert_eq!(lines(&out_of_order, "stage-structure"), [3]);
    let wrong = format!(
        "{}{}{}",
        stage(1, "Backend"),
        stage(2, "INTEGRATION"),
        stage(3, "POLISH")
    );
    assert_eq!(lines(&wrong, "stage-structure"), [1]);
}

#[test]
fn inactive_nodes_take_part_but_report_nothing() {
    let text = format!(
        "<!--\n{}-->\n1.2 Next (Dependencies: 1.1 | Stage Gate: ok)\n1.2.1 Add x\n1.2.A Validate core functionality of Task 1.2\n1.2.B Verify Task 1.2\n1.2.C Document Task 1.2 implementation\n",
        GROUP_OK.replace("1.1.B Verify Task 1.1\n", "")
    );
    let doc = Document::new(&text, 0);
    assert_eq!(crate::analyze(doc.line_items(), &Config::default()), []);
}

#[test]
fn settings_change_severity_and_disable_codes() {
    let text = GROUP_OK.replace("Implement the login endpoint", "Login endpoint");
    let doc = Document::new(&text, 0);
    let mut config = Config::default();
    config
        .rules
        .severity
        .push((super::Code::NotActionable, super::Severity::Error));
    let findings = crate::analyze(doc.line_items(), &config);
    assert_eq!(findings[0].severity, super::Severity::Error);
    config.rules.disabled.push(super::Code::NotActionable);
    assert_eq!(crate::analyze(doc.line_items(), &config), []);
}

#[test]
fn seed_style_noun_pairs_are_one_action() {
    // Titles in the style of the seed's example lists: "and" joins nouns, not actions.
    for title in [
        "Configure CI with coverage and lint checks",
        "Implement vulnerability scanning and compliance checks",
        "Add full error handling and transaction rollback",
        "Integrate background jobs and queues",
        "Implement persistent migrations and ORM layer",
        "Add health-check and version endpoints",
    ] {
        assert_eq!(crate::model::clauses::actions(title).len(), 1, "{title}");
    }
}

#[test]
fn a_long_cycle_names_only_its_first_tasks() {
    let mut text = String::from("Phase 1: Chain (Dependencies: None | Stage Gate: ok)\n");
    for i in 1..=20 {
        let previous = if i == 1 { 20 } else { i - 1 };
        text.push_str(&format!(
            "1.{i} Add step {i} (Dependencies: 1.{previous})\n"
        ));
    }
    let found = fired(&text, "dependency-cycle");
    assert_eq!(found.len(), 20);
    assert!(
        found.iter().all(|(_, m)| m.contains("… 20 tasks in all")),
        "{}",
        found[0].1
    );
}
