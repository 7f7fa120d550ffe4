//! `wbs-lsp scaffold WBS.md [-o PATH] [--force]` (the built binary): a three-stage
//! task-list skeleton from a WBS, without an LLM.

use std::path::{Path, PathBuf};
use std::process::Output;

use wbs_lsp_e2e::{fixture, repo_root, run_binary};

const FIXTURES: [&str; 3] = ["headings", "tasks_bullets", "nested"];

fn fixtures_dir() -> PathBuf {
    repo_root().join("tests").join("fixtures").join("wbs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn assert_exit(output: &Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}\nstdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// A temporary folder with a copy of a fixture WBS at `wbs/<name>.md`.
fn folder_with_wbs(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir(dir.path().join("wbs")).unwrap();
    let wbs = dir.path().join("wbs").join(format!("{name}.md"));
    std::fs::write(&wbs, fixture(&format!("wbs/{name}.md"))).unwrap();
    (dir, wbs)
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn prints_the_expected_skeleton_of_each_fixture() {
    for name in FIXTURES {
        let file = format!("{name}.md");
        let output = run_binary(&["scaffold", &file], &fixtures_dir());
        assert_exit(&output, 0, &file);
        assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
        assert_eq!(
            text(&output.stdout),
            fixture(&format!("wbs/{name}.scaffold.md")),
            "{file}"
        );
    }
}

#[test]
fn written_skeletons_check_with_at_most_non_atomic_warnings() {
    for name in FIXTURES {
        let (dir, wbs) = folder_with_wbs(name);
        std::fs::create_dir(dir.path().join("plans")).unwrap();
        let target = dir.path().join("plans").join("tasks_list.md");
        let output = run_binary(&["scaffold", arg(&wbs), "-o", arg(&target)], dir.path());
        assert_exit(&output, 0, name);
        assert!(output.stdout.is_empty(), "{}", text(&output.stdout));

        let written = std::fs::read_to_string(&target).expect("the written task list");
        // The provenance link is relative to the task list's folder.
        assert!(
            written.contains(&format!("Expanded from [{name}.md](../wbs/{name}.md)")),
            "{written}"
        );
        // Everything else is what stdout gives from the fixtures folder.
        let expected = fixture(&format!("wbs/{name}.scaffold.md"))
            .replace(&format!("({name}.md)"), &format!("(../wbs/{name}.md)"));
        assert_eq!(written, expected, "{name}");

        let check = run_binary(&["check", arg(&target)], dir.path());
        let report = text(&check.stdout);
        for line in report.lines() {
            assert!(
                line.contains("warning[non-atomic]") || line.contains("information["),
                "{name}: unexpected finding {line:?}"
            );
        }
        let warnings = report.lines().filter(|l| l.contains("warning[")).count();
        assert_exit(&check, if warnings == 0 { 0 } else { 1 }, &report);
    }
}

#[test]
fn refuses_to_overwrite_without_force() {
    let (dir, wbs) = folder_with_wbs("headings");
    let target = dir.path().join("tasks_list.md");
    std::fs::write(&target, "my own notes\n").unwrap();

    let output = run_binary(&["scaffold", arg(&wbs), "-o", arg(&target)], dir.path());
    assert_exit(&output, 2, "existing output");
    let err = text(&output.stderr);
    assert!(err.contains(arg(&target)), "names the file: {err}");
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "my own notes\n");

    let output = run_binary(
        &["scaffold", arg(&wbs), "-o", arg(&target), "--force"],
        dir.path(),
    );
    assert_exit(&output, 0, "--force");
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(
        written.starts_with("# Clinic Appointment Booking – Task List\n"),
        "{written}"
    );
    assert!(
        written.contains("Expanded from [headings.md](wbs/headings.md)"),
        "{written}"
    );
}

#[test]
fn a_missing_file_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_binary(&["scaffold", "no_such_wbs.md"], dir.path());
    assert_exit(&output, 2, "missing file");
    assert!(output.stdout.is_empty());
    let err = text(&output.stderr);
    assert!(
        err.contains("no_such_wbs.md") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn a_document_without_wbs_structure_says_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("minutes.md"),
        "# Weekly meeting\n\nWe looked at the budget and agreed to meet again.\n\n\
         ## Attendees\n\nAnn, Bo and Chen.\n",
    )
    .unwrap();
    let output = run_binary(&["scaffold", "minutes.md", "-o", "out.md"], dir.path());
    assert_exit(&output, 2, "no structure");
    let err = text(&output.stderr);
    assert!(err.contains("minutes.md"), "{err}");
    assert!(err.contains("no phases or tasks found"), "{err}");
    assert!(err.contains("expected") && err.contains("Tasks:"), "{err}");
    assert!(!dir.path().join("out.md").exists(), "nothing is written");
}

#[test]
fn usage_errors_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_binary(&["scaffold"], dir.path());
    assert_exit(&output, 2, "no file");
    assert!(text(&output.stderr).contains("usage: wbs-lsp scaffold"));

    let output = run_binary(&["scaffold", "a.md", "--frobnicate"], dir.path());
    assert_exit(&output, 2, "unknown option");
    assert!(text(&output.stderr).contains("--frobnicate"));

    std::fs::write(
        dir.path().join("latin1.md"),
        b"# Caf\xe9\n\n## 1. Setup\n- Do it\n",
    )
    .unwrap();
    let output = run_binary(&["scaffold", "latin1.md"], dir.path());
    assert_exit(&output, 2, "not UTF-8");
    assert!(text(&output.stderr).contains("latin1.md: not UTF-8"));

    let output = run_binary(&["--help"], dir.path());
    assert_exit(&output, 0, "--help");
    assert!(
        text(&output.stdout).contains("wbs-lsp scaffold WBS.md [-o PATH] [--force]"),
        "{}",
        text(&output.stdout)
    );
}
