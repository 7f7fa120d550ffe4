//! `wbs-lsp check [--format text|json] [PATH...]`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use wbs_lsp_e2e::{file_uri, fixture, range, repo_root, run_binary};

/// One line of text output: `path:line:col: severity[code] message`.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Line {
    path: String,
    line: usize,
    column: usize,
    severity: String,
    code: String,
    message: String,
}

fn bad_line(text: &str) -> ! {
    panic!("not `path:line:col: severity[code] message`: {text:?}")
}

fn parse_line(text: &str) -> Line {
    let (location, rest) = text.split_once(": ").unwrap_or_else(|| bad_line(text));
    let mut parts = location.rsplitn(3, ':');
    let column: usize = parts
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| bad_line(text));
    let line: usize = parts
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| bad_line(text));
    let path = parts.next().unwrap_or_else(|| bad_line(text)).to_string();
    let (severity, rest) = rest.split_once('[').unwrap_or_else(|| bad_line(text));
    let (code, message) = rest.split_once("] ").unwrap_or_else(|| bad_line(text));
    assert!(
        ["error", "warning", "information", "hint"].contains(&severity),
        "bad severity in {text:?}"
    );
    assert!(!message.trim().is_empty(), "empty message in {text:?}");
    assert!(line >= 1 && column >= 1, "positions are 1-based: {text:?}");
    Line {
        path,
        line,
        column,
        severity: severity.to_string(),
        code: code.to_string(),
        message: message.to_string(),
    }
}

fn lines(stdout: &[u8]) -> Vec<Line> {
    String::from_utf8(stdout.to_vec())
        .expect("UTF-8 output")
        .lines()
        .map(parse_line)
        .collect()
}

/// `(path, line, column, severity, code)` of each line.
fn fields(lines: &[Line]) -> Vec<(String, usize, usize, String, String)> {
    lines
        .iter()
        .map(|l| {
            (
                l.path.clone(),
                l.line,
                l.column,
                l.severity.clone(),
                l.code.clone(),
            )
        })
        .collect()
}

fn row(
    path: &str,
    line: usize,
    column: usize,
    severity: &str,
    code: &str,
) -> (String, usize, usize, String, String) {
    (
        path.to_string(),
        line,
        column,
        severity.to_string(),
        code.to_string(),
    )
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A temp dir holding the demo task list (an error and a warning) as `tasks_demo.md`.
fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        dir.path().join("tasks_demo.md"),
        fixture("e2e/tasks_demo.md"),
    )
    .expect("write");
    dir
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), text).expect("writing a file");
}

#[test]
fn findings_are_printed_one_per_line_and_exit_1() {
    let dir = demo_dir();
    let output = run_binary(&["check", "tasks_demo.md"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(stderr(&output), "");
    let found = lines(&output.stdout);
    // Columns count characters: `9.9` follows `(Dependencies: – 😀 `, 19 characters.
    assert_eq!(
        fields(&found),
        [
            row("tasks_demo.md", 4, 20, "error", "unknown-dependency"),
            row("tasks_demo.md", 8, 3, "warning", "non-atomic"),
        ]
    );
    assert!(found[0].message.contains("9.9"), "{found:?}");
    assert!(found[1].message.contains("1.1.2"), "{found:?}");
}

#[test]
fn a_warning_alone_is_exit_1_and_information_alone_is_exit_0() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let demo = fixture("e2e/tasks_demo.md");
    write(dir.path(), "tasks_warning.md", demo.replace(" 9.9 |", " |"));
    let output = run_binary(&["check", "tasks_warning.md"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        fields(&lines(&output.stdout)),
        [row("tasks_warning.md", 8, 3, "warning", "non-atomic")]
    );

    // Information only (an untitled task 2.1.2) is printed but does not fail.
    let info = demo
        .replace(" 9.9 |", " |")
        .replace(" and add tests for it", "")
        .replace(
            "  2.1.1 Add the items endpoint\n",
            "  2.1.1 Add the items endpoint\n  2.1.2\n",
        );
    write(dir.path(), "tasks_info.md", info);
    let output = run_binary(&["check", "tasks_info.md"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        fields(&lines(&output.stdout)),
        [row("tasks_info.md", 18, 3, "information", "not-actionable")]
    );
}

#[test]
fn a_clean_file_is_exit_0_and_silent() {
    let dir = tempfile::tempdir().expect("a temp dir");
    write(
        dir.path(),
        "tasks_clean.md",
        fixture("contract/valid_three_stage.md"),
    );
    let output = run_binary(&["check", "tasks_clean.md"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
}

#[test]
fn folders_are_searched_for_task_lists() {
    let dir = demo_dir();
    // Not a task list by name and with fewer than three nodes: skipped in a folder.
    write(
        dir.path(),
        "notes.md",
        "# Notes\n\n1.1 Setup (Dependencies: 9.9)\n",
    );
    // Hidden folders are not searched.
    std::fs::create_dir(dir.path().join(".hidden")).expect("mkdir");
    write(
        &dir.path().join(".hidden"),
        "tasks_hidden.md",
        fixture("e2e/tasks_demo.md"),
    );
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    write(
        &dir.path().join("sub"),
        "plan-wbs.md",
        fixture("e2e/tasks_demo.md"),
    );
    let output = run_binary(&["check", "."], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        fields(&lines(&output.stdout)),
        [
            row("./sub/plan-wbs.md", 4, 20, "error", "unknown-dependency"),
            row("./sub/plan-wbs.md", 8, 3, "warning", "non-atomic"),
            row("./tasks_demo.md", 4, 20, "error", "unknown-dependency"),
            row("./tasks_demo.md", 8, 3, "warning", "non-atomic"),
        ]
    );
    // Named explicitly, the same notes file is checked.
    let output = run_binary(&["check", "notes.md"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        fields(&lines(&output.stdout)).contains(&row(
            "notes.md",
            3,
            26,
            "error",
            "unknown-dependency"
        )),
        "{output:?}"
    );
}

#[test]
fn json_format_is_an_array_of_paths_with_lsp_diagnostics() {
    let dir = demo_dir();
    write(
        dir.path(),
        "tasks_clean.md",
        fixture("contract/valid_three_stage.md"),
    );
    let output = run_binary(
        &[
            "check",
            "--format",
            "json",
            "tasks_demo.md",
            "tasks_clean.md",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let entries = report.as_array().expect("a JSON array");
    assert_eq!(entries.len(), 2, "{report}");
    assert_eq!(entries[0]["path"], "tasks_demo.md");
    assert_eq!(entries[1]["path"], "tasks_clean.md");
    assert_eq!(entries[1]["diagnostics"], serde_json::json!([]));
    let diagnostics = entries[0]["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 2, "{report}");
    // LSP Diagnostic objects, ranges in UTF-16.
    let unknown = &diagnostics[0];
    assert_eq!(unknown["range"], range(3, 20, 3, 23), "{unknown}");
    assert_eq!(unknown["severity"], 1);
    assert_eq!(unknown["code"], "unknown-dependency");
    assert_eq!(unknown["source"], "wbs-lsp");
    assert!(unknown["message"]
        .as_str()
        .is_some_and(|m| m.contains("9.9")));
    let non_atomic = &diagnostics[1];
    assert_eq!(non_atomic["range"], range(7, 2, 7, 7), "{non_atomic}");
    assert_eq!(non_atomic["severity"], 2);
    assert_eq!(non_atomic["code"], "non-atomic");
    assert_eq!(non_atomic["source"], "wbs-lsp");
}

#[test]
fn json_related_information_has_a_file_uri() {
    let dir = tempfile::tempdir().expect("a temp dir");
    write(
        dir.path(),
        "tasks_dup.md",
        fixture("contract/duplicate_id.md"),
    );
    let output = run_binary(&["check", "--format", "json", "tasks_dup.md"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let duplicate = &report[0]["diagnostics"][0];
    assert_eq!(duplicate["code"], "duplicate-id", "{report}");
    let related = &duplicate["relatedInformation"][0]["location"];
    assert_eq!(related["range"], range(6, 2, 6, 7), "{report}");
    // The temp dir's canonical path: check makes relative paths absolute from its cwd.
    let path = dir
        .path()
        .canonicalize()
        .expect("canonical")
        .join("tasks_dup.md");
    assert_eq!(related["uri"], file_uri(&path), "{report}");
}

#[test]
fn a_missing_path_is_exit_2_and_the_others_are_checked() {
    let dir = demo_dir();
    let output = run_binary(&["check", "no_such_tasks.md", "tasks_demo.md"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(stderr(&output).contains("no_such_tasks.md"), "{output:?}");
    assert_eq!(lines(&output.stdout).len(), 2, "{output:?}");
}

#[test]
fn a_file_that_is_not_utf8_is_exit_2_and_the_others_are_checked() {
    let dir = demo_dir();
    let mut bytes = b"# Tasks\n\n1.1 Setup\n  1.1.1 Create the \xff\xfe table\n".to_vec();
    bytes.extend_from_slice(b"  1.1.2 Add \xc3 more\n");
    write(dir.path(), "tasks_latin1.md", bytes);
    let output = run_binary(&["check", "."], dir.path());
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(stderr(&output).contains("tasks_latin1.md"), "{output:?}");
    assert_eq!(
        fields(&lines(&output.stdout)),
        [
            row("./tasks_demo.md", 4, 20, "error", "unknown-dependency"),
            row("./tasks_demo.md", 8, 3, "warning", "non-atomic"),
        ]
    );
}

#[test]
fn a_config_file_is_honoured() {
    let dir = demo_dir();
    write(
        dir.path(),
        ".wbs-lsp.toml",
        "disabled = [\"non-atomic\"]\n[severity]\nunknown-dependency = \"hint\"\n",
    );
    let output = run_binary(&["check", "tasks_demo.md"], dir.path());
    // A hint alone does not fail.
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        fields(&lines(&output.stdout)),
        [row("tasks_demo.md", 4, 20, "hint", "unknown-dependency")]
    );
}

#[test]
fn a_broken_config_file_is_named_and_exit_2() {
    let dir = demo_dir();
    write(dir.path(), ".wbs-lsp.toml", "disabled = [\n");
    let output = run_binary(&["check", "tasks_demo.md"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let config = dir.path().join(".wbs-lsp.toml");
    let config = config.to_str().expect("a UTF-8 path");
    assert!(
        stderr(&output).contains(config),
        "stderr should name {config}: {output:?}"
    );
    // The file is still checked, with the defaults.
    assert_eq!(lines(&output.stdout).len(), 2, "{output:?}");
}

#[test]
fn usage_errors_are_exit_2() {
    let dir = demo_dir();
    for args in [
        &["check", "--format", "xml", "tasks_demo.md"][..],
        &["check", "--no-such-flag"][..],
        &["no-such-command"][..],
    ] {
        let output = run_binary(args, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}: {output:?}");
        assert!(!output.stderr.is_empty(), "{args:?}: {output:?}");
    }
    let output = run_binary(&["check", "--help"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// `LINE:COL SEVERITY CODE` lines of an `.expected` file.
fn expected_rows(text: &str, path: &str) -> Vec<(String, usize, usize, String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace();
            let (line, column) = parts
                .next()
                .and_then(|p| p.split_once(':'))
                .unwrap_or_else(|| panic!("bad expected line {l:?}"));
            let severity = parts.next().expect("a severity");
            let code = parts.next().expect("a code");
            row(
                path,
                line.parse().expect("a line"),
                column.parse().expect("a column"),
                severity,
                code,
            )
        })
        .collect()
}

#[test]
fn check_examples_prints_the_expected_diagnostics() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let output = run_binary(&["check", examples.to_str().expect("UTF-8")], &repo_root());
    let found = lines(&output.stdout);
    let mut by_file: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for row in fields(&found) {
        let name = Path::new(&row.0)
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name")
            .to_string();
        by_file
            .entry(name.clone())
            .or_default()
            .push((name, row.1, row.2, row.3, row.4));
    }
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    for name in ["nested_list.md", "tasks_list.md"] {
        let expected_text =
            std::fs::read_to_string(examples.join(name.replace(".md", ".expected")))
                .expect("an .expected file");
        let mut want = expected_rows(&expected_text, name);
        want.sort();
        let mut got = by_file.remove(name).unwrap_or_default();
        got.sort();
        missing.extend(want.iter().filter(|r| !got.contains(r)).cloned());
        extra.extend(got.iter().filter(|r| !want.contains(r)).cloned());
    }
    // No other file in examples/ (wbs.md has no nodes) has findings.
    for rows in by_file.into_values() {
        extra.extend(rows);
    }
    let only_not_actionable =
        missing.is_empty() && !extra.is_empty() && extra.iter().all(|r| r.4 == "not-actionable");
    assert!(
        missing.is_empty() && extra.is_empty(),
        "check examples/ differs from the .expected files{}\nmissing: {missing:#?}\nextra: {extra:#?}",
        if only_not_actionable {
            " ONLY BY not-actionable LINES (the verb lexicon lacks verbs the examples use)"
        } else {
            ""
        }
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(stderr(&output), "");
}
