use super::*;

fn task(title: &str) -> ProposedTask {
    ProposedTask {
        title: title.to_string(),
        ..ProposedTask::default()
    }
}

fn id(text: &str) -> TaskId {
    TaskId::parse(text).unwrap()
}

const SEED: &str = "\
### Stage 1: CORE – Base
(Dependencies: None | Stage Gate: core proven with seed data)

1.1 Service Skeleton (Dependencies: None | Stage Gate: the app boots)
  1.1.1 Configure the toolchain
  1.1.2 Build the order intake module

1.1.A **Validate** core functionality of Task 1.1
1.1.B **Verify** Task 1.1
1.1.C Document Task 1.1 implementation

### Stage 2: INTEGRATION – Real
(Dependencies: Stage 1 complete | Stage Gate: live)

2.1 Persistence (Dependencies: 1.1 | Stage Gate: data survives restarts)
  2.1.1 Create the PostgreSQL schema

2.1.A **Validate** integration of Task 2.1
2.1.B **Verify** Task 2.1
2.1.C Document Task 2.1 integration results

### Stage 3: POLISH – Production
(Dependencies: Stage 2 complete | Stage Gate: deployed)

3.1 Delivery (Dependencies: 2.1 | Stage Gate: released)
  3.1.1 Configure the release pipeline

3.1.A **Validate** production readiness of Task 3.1
3.1.B **Verify** Task 3.1
3.1.C Document Task 3.1 production deployment
";

#[test]
fn a_leaf_gets_numbered_children_notes_and_check_tasks() {
    let config = Config::default();
    let out = insert_children(
        SEED,
        &id("1.1.2"),
        &[
            task("Create the Order model in app/domain/order.py"),
            task("Add the POST /orders endpoint backed by seed data"),
        ],
        Some("orders are accepted against seed data"),
        &config,
    )
    .unwrap();
    let expected = SEED.replace(
        "  1.1.2 Build the order intake module\n",
        "  1.1.2 Build the order intake module (Dependencies: 1.1.1 | Stage Gate: orders are accepted against seed data)\n    1.1.2.1 Create the Order model in app/domain/order.py\n    1.1.2.2 Add the POST /orders endpoint backed by seed data\n    1.1.2.A Validate core functionality of Task 1.1.2\n    1.1.2.B Verify Task 1.1.2\n    1.1.2.C Document Task 1.1.2 implementation\n",
    );
    assert_eq!(out, expected, "\n{out}");
    // The result meets the rules.
    let (_, findings) = analysed(&out, &config);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn a_node_with_children_gets_more_before_its_check_tasks() {
    let config = Config::default();
    let out = insert_children(
        SEED,
        &id("2.1"),
        &[task("Add a repository for orders on PostgreSQL")],
        None,
        &config,
    )
    .unwrap();
    assert!(
        out.contains("  2.1.1 Create the PostgreSQL schema\n  2.1.2 Add a repository for orders on PostgreSQL\n\n2.1.A"),
        "{out}"
    );
    let (_, findings) = analysed(&out, &config);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn nested_proposals_become_branches_with_notes() {
    let config = Config::default();
    let mut branch = task("Build the order intake API");
    branch.stage_gate = Some("intake answers with seed data".into());
    branch.children = vec![
        task("Create the Order model"),
        task("Add the POST /orders route"),
    ];
    let mut second = task("Seed the intake data");
    second.dependencies = vec!["Build the order intake API".into()];
    second.children = vec![task("Write the order seed fixture")];
    let out = insert_children(SEED, &id("1.1.2"), &[branch, second], None, &config).unwrap();
    assert!(out.contains("    1.1.2.1 Build the order intake API (Dependencies: None | Stage Gate: intake answers with seed data)\n      1.1.2.1.1 Create the Order model\n"), "{out}");
    assert!(out.contains("    1.1.2.2 Seed the intake data (Dependencies: 1.1.2.1 | Stage Gate: all tasks of 1.1.2.2 are done and verified)\n"), "{out}");
    assert!(
        out.contains("1.1.2.1.A Validate core functionality of Task 1.1.2.1"),
        "{out}"
    );
    let (_, findings) = analysed(&out, &config);
    let codes: Vec<_> = findings.iter().map(|f| f.code).collect();
    // The expanded node itself is no task group (its children are branches).
    assert!(!codes.contains(&Code::MissingCheckTasks), "{findings:#?}");
    assert!(!codes.contains(&Code::MissingDependencies), "{findings:#?}");
}

#[test]
fn list_items_get_list_items() {
    let text = "\
- Stage 1: CORE – Base (Dependencies: None | Stage Gate: x)
  - 1.1 Skeleton (Dependencies: None | Stage Gate: y)
    - [ ] 1.1.1 Configure the toolchain
    - [ ] 1.1.2 Build the intake module
    - [ ] 1.1.A Validate core functionality of Task 1.1
    - [ ] 1.1.B Verify Task 1.1
    - [ ] 1.1.C Document Task 1.1 implementation
";
    let config = Config::default();
    let out = insert_children(
        text,
        &id("1.1.2"),
        &[
            task("Create the intake model"),
            task("Add the intake route"),
        ],
        Some("intake works"),
        &config,
    )
    .unwrap();
    assert!(
        out.contains("    - [ ] 1.1.2 Build the intake module (Dependencies: 1.1.1 | Stage Gate: intake works)\n      - [ ] 1.1.2.1 Create the intake model\n      - [ ] 1.1.2.2 Add the intake route\n      - [ ] 1.1.2.A Validate core functionality of Task 1.1.2\n"),
        "{out}"
    );
}

#[test]
fn check_tasks_and_empty_titles_from_the_model_are_dropped() {
    let config = Config::default();
    let out = insert_children(
        SEED,
        &id("3.1.1"),
        &[
            task("Add the deploy workflow\n in .github/workflows/deploy.yml"),
            task("  "),
            task("Verify Task 3.1.1"),
        ],
        None,
        &config,
    )
    .unwrap();
    assert!(out.contains("    3.1.1.1 Add the deploy workflow in .github/workflows/deploy.yml\n    3.1.1.A Validate production readiness of Task 3.1.1\n"), "{out}");
    assert!(!out.contains("3.1.1.2"), "{out}");
    assert!(insert_children(
        SEED,
        &id("3.1.1"),
        &[task("Verify Task 3.1.1")],
        None,
        &config
    )
    .is_err());
    assert!(
        insert_children(SEED, &id("9.9"), &[task("Do it")], None, &config)
            .unwrap_err()
            .contains("no task 9.9")
    );
}

#[test]
fn non_atomic_leaves_under_a_node() {
    let config = Config::default();
    let text = SEED.replace(
        "1.1.2 Build the order intake module",
        "1.1.2 Implement the intake endpoint and write tests for it",
    );
    assert_eq!(
        non_atomic_leaves(&text, &id("1.1"), &config),
        vec![id("1.1.2")]
    );
    assert!(non_atomic_leaves(&text, &id("2.1"), &config).is_empty());
}

#[test]
fn line_diffs_and_reanchoring() {
    let old = "a\nb\nc\n";
    let new = "a\nb\nx\ny\nc\n";
    let change = line_diff(old, new).unwrap();
    assert_eq!((change.start, change.end), (2, 2));
    assert_eq!(change.lines, ["x", "y"]);
    let rope = ropey::Rope::from_str(old);
    assert_eq!(actions::apply(old, &[change.edit(&rope, 0)]), new);
    assert!(line_diff(old, old).is_none());
    // At the end of a text without a final line break.
    let change = line_diff("a\nb", "a\nb\nc").unwrap();
    let rope = ropey::Rope::from_str("a\nb");
    assert_eq!(actions::apply("a\nb", &[change.edit(&rope, 0)]), "a\nb\nc");
    // CRLF text keeps its line breaks.
    let old = "a\r\nb\r\n";
    let change = line_diff(old, "a\r\nx\r\nb\r\n").unwrap();
    let rope = ropey::Rope::from_str(old);
    assert_eq!(
        actions::apply(old, &[change.edit(&rope, 0)]),
        "a\r\nx\r\nb\r\n"
    );

    let config = Config::default();
    let expanded = insert_children(
        SEED,
        &id("2.1.1"),
        &[task("Write the schema migration")],
        None,
        &config,
    )
    .unwrap();
    let change = line_diff(SEED, &expanded).unwrap();
    // The user added two lines above the node meanwhile: the change moves with it.
    let edited = format!("# Plan\n\n{SEED}");
    let shift = change
        .reanchor(SEED, &edited, &id("2.1.1"), &config)
        .unwrap();
    assert_eq!(shift, 2);
    let rope = ropey::Rope::from_str(&edited);
    assert_eq!(
        actions::apply(&edited, &[change.edit(&rope, shift)]),
        format!("# Plan\n\n{expanded}")
    );
    // The user changed the node's line: refused.
    let edited = SEED.replace(
        "2.1.1 Create the PostgreSQL schema",
        "2.1.1 Create the schema",
    );
    assert!(change
        .reanchor(SEED, &edited, &id("2.1.1"), &config)
        .is_none());
}

#[test]
fn the_prompt_carries_the_context() {
    let config = Config::default();
    let source = Source {
        name: "wbs.md".into(),
        text: "## 1. Orders\n- Take orders".into(),
    };
    let prompt = prompt(SEED, &id("1.1.2"), &config, Some(&source)).unwrap();
    let user = &prompt.user;
    assert!(user.contains("Stage 1. CORE"), "{user}");
    assert!(user.contains("- ### Stage 1: CORE – Base"), "{user}");
    assert!(
        user.contains("(Dependencies: None | Stage Gate: core proven with seed data)"),
        "{user}"
    );
    assert!(
        user.contains("- 1.1 Service Skeleton (Dependencies: None | Stage Gate: the app boots)"),
        "{user}"
    );
    assert!(user.contains("- 1.1.1 Configure the toolchain"), "{user}");
    assert!(
        user.contains("1.1.2 Build the order intake module"),
        "{user}"
    );
    assert!(
        user.contains("<wbs>\n## 1. Orders\n- Take orders\n</wbs>"),
        "{user}"
    );
    assert!(prompt.schema.unwrap()["properties"]["stage_gate"].is_object());
}

#[test]
fn answers_give_the_nodes_gate() {
    assert_eq!(
        answer_gate("```json\n{\"stage_gate\": \"done | tested\", \"tasks\": []}\n```").as_deref(),
        Some("done / tested")
    );
    assert_eq!(answer_gate("- 1 Do it"), None);
}

#[test]
fn source_links() {
    assert_eq!(
        source_link("# T\n\nExpanded from [the WBS](../wbs.md) by hand").as_deref(),
        Some("../wbs.md")
    );
    assert_eq!(
        source_link("**Provenance:** `docs/wbs.md`").as_deref(),
        Some("docs/wbs.md")
    );
    assert_eq!(
        source_link("Provenance: plan-wbs.md, 2026").as_deref(),
        Some("plan-wbs.md")
    );
    assert_eq!(
        source_link("Expanded from [x](https://example.com/wbs.md)"),
        None
    );
    assert_eq!(source_link("# Nothing here"), None);
}
