//! `wbs-lsp expand` and `wbs-lsp generate` on the command line, against the scripted
//! endpoint on 127.0.0.1.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use wbs_lsp::llm::testing::{FakeLlm, Reply};
use wbs_lsp_e2e::server_binary;

const KEY_ENV: &str = "WBS_LSP_TEST_KEY";
const KEY: &str = "sk-cli-5ecret-0077";

const PLAN: &str = "\
### Stage 1: CORE – Base
(Dependencies: None | Stage Gate: core proven with seed data)

1.1 Service Skeleton (Dependencies: None | Stage Gate: the app boots)
  1.1.1 Configure the toolchain
  1.1.2 Build the order intake module

1.1.A Validate core functionality of Task 1.1
1.1.B Verify Task 1.1
1.1.C Document Task 1.1 implementation
";

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(server_binary())
        .args(args)
        .current_dir(cwd)
        .env(KEY_ENV, KEY)
        .stdin(Stdio::null())
        .output()
        .expect("running wbs-lsp")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn workspace(fake: &FakeLlm, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".wbs-lsp.toml"),
        format!(
            "# The plan here has one stage.\ndisabled = [\"stage-structure\"]\n[llm]\nbase_url = \"{}/v1\"\nmodel = \"file-model\"\napi_key_env = \"{KEY_ENV}\"\n{extra}",
            fake.url()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("tasks.md"), PLAN).unwrap();
    dir
}

fn answer() -> String {
    json!({"stage_gate": "intake works", "tasks": [
        {"title": "Create the Order model"},
        {"title": "Add the POST /orders endpoint"}
    ]})
    .to_string()
}

const NEW_LINES: &str =
    "  1.1.2 Build the order intake module (Dependencies: 1.1.1 | Stage Gate: intake works)
    1.1.2.1 Create the Order model
    1.1.2.2 Add the POST /orders endpoint
    1.1.2.A Validate core functionality of Task 1.1.2
    1.1.2.B Verify Task 1.1.2
    1.1.2.C Document Task 1.1.2 implementation
";

#[test]
fn expand_prints_the_changed_lines_and_writes_with_write() {
    let fake = FakeLlm::start_blocking(vec![Reply::OpenAi { text: answer() }]);
    let dir = workspace(&fake, "");
    let output = run(&["expand", "tasks.md", "1.1.2"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), NEW_LINES);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tasks.md")).unwrap(),
        PLAN
    );

    let output = run(&["expand", "tasks.md", "1.1.2", "--write"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let written = std::fs::read_to_string(dir.path().join("tasks.md")).unwrap();
    assert_eq!(
        written,
        PLAN.replace("  1.1.2 Build the order intake module\n", NEW_LINES)
    );
    // The result passes check.
    let check = run(&["check", "tasks.md"], dir.path());
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    assert!(!text(&output.stderr).contains(KEY));
}

#[test]
fn the_command_line_overrides_the_model() {
    let fake = FakeLlm::start_blocking(vec![Reply::OpenAi { text: answer() }]);
    let dir = workspace(&fake, "");
    let output = run(
        &["expand", "tasks.md", "1.1.2", "--model", "cli-model"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let body: Value = fake.requests()[0].body.clone();
    assert_eq!(body["model"], "cli-model");
}

#[test]
fn expand_errors_exit_1_with_the_message() {
    let fake = FakeLlm::start_blocking(vec![Reply::Status {
        status: 401,
        body: "{}".into(),
        retry_after: None,
    }]);
    let dir = workspace(&fake, "");
    let output = run(&["expand", "tasks.md", "1.1.2"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("401") && stderr.contains(KEY_ENV),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY), "{stderr}");

    let output = run(&["expand", "tasks.md", "9.9"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no task 9.9"),
        "{}",
        text(&output.stderr)
    );

    let output = run(&["expand", "missing.md", "1.1"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("missing.md"));

    let output = run(&["expand", "tasks.md"], dir.path());
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn generate_writes_the_list_and_its_outcomes() {
    let stage = |s: u32| Reply::OpenAi {
        text: json!({"tasks": [{"title": format!("Phase of stage {s}"), "children": [
            {"title": "Create the order intake module"},
            {"title": "Add the order status endpoint"}
        ]}]})
        .to_string(),
    };
    let fake = FakeLlm::start_blocking(vec![stage(1), stage(2), stage(3)]);
    let dir = workspace(&fake, "");
    std::fs::write(
        dir.path().join("wbs.md"),
        "# Work Breakdown Structure – Shop\n\n## 1. Orders\n\n- Take orders\n",
    )
    .unwrap();
    let output = run(
        &["generate", "wbs.md", "-o", "ai_docs/tasks/tasks_list.md"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let list = std::fs::read_to_string(dir.path().join("ai_docs/tasks/tasks_list.md")).unwrap();
    assert!(
        list.starts_with("# Shop – Task List\n\nExpanded from [wbs.md](../../wbs.md)"),
        "{list}"
    );
    let check = run(&["check", "ai_docs/tasks/tasks_list.md"], dir.path());
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    let outcomes =
        std::fs::read_to_string(dir.path().join("ai_docs/tasks/task_outcomes.md")).unwrap();
    assert!(
        outcomes.contains("## Task 3.1 – Phase of stage 3"),
        "{outcomes}"
    );

    // Never over an existing list without --force.
    let output = run(
        &["generate", "wbs.md", "-o", "ai_docs/tasks/tasks_list.md"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--force"));
}
