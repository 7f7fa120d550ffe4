//! `wbs-lsp check [--format text|json] [PATH...]`: the server's model and rules over files.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{self, Config, RawConfig};
use crate::document::Document;
use crate::lsp::convert::{self, Encoding};
use crate::rules::{Finding, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

pub const USAGE: &str = "usage: wbs-lsp check [--format text|json] [PATH...]\n\
    Checks Markdown task lists (files, or folders searched for task lists).\n\
    Exit status: 0 clean, 1 errors or warnings found, 2 usage, I/O or configuration errors.";

/// Runs the command; returns the exit status.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut format = Format::Text;
    let mut paths = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--format" | "-f" => match iter.next().map(String::as_str) {
                Some("text") => format = Format::Text,
                Some("json") => format = Format::Json,
                other => {
                    let _ = writeln!(
                        err,
                        "wbs-lsp check: --format takes text or json, not {other:?}\n{USAGE}"
                    );
                    return 2;
                }
            },
            "--help" | "-h" => {
                let _ = writeln!(out, "{USAGE}");
                return 0;
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                let _ = writeln!(err, "wbs-lsp check: unknown option {flag}\n{USAGE}");
                return 2;
            }
            path => paths.push(PathBuf::from(path)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }

    let mut status = 0;
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    for path in &paths {
        if path.is_dir() {
            collect_markdown(path, &mut files);
        } else if path.exists() {
            files.push((path.clone(), true));
        } else {
            let _ = writeln!(
                err,
                "wbs-lsp check: {}: no such file or folder",
                path.display()
            );
            status = 2;
        }
    }

    let mut json = Vec::new();
    let mut found_problem = false;
    for (path, explicit) in files {
        let text = match read_text(&path) {
            Ok(text) => text,
            Err(why) => {
                let _ = writeln!(err, "wbs-lsp check: {why}; skipped");
                status = 2;
                continue;
            }
        };
        let (config, config_ok) = command_config("check", &path, err);
        if !config_ok {
            status = 2;
        }
        let doc = Document::new(&text, 0);
        if !explicit && !crate::is_task_list(Some(&path), doc.line_items(), &config) {
            continue;
        }
        let findings = crate::analyze(doc.line_items(), &config);
        found_problem |= findings
            .iter()
            .any(|f| matches!(f.severity, Severity::Error | Severity::Warning));
        match format {
            Format::Text => print_text(out, &path, &doc, &findings),
            Format::Json => json.push(json_entry(&path, &doc, &findings)),
        }
    }
    if format == Format::Json {
        let _ = writeln!(out, "{}", serde_json::Value::Array(json));
    }
    if status == 0 && found_problem {
        status = 1;
    }
    status
}

/// The text of a file named on the command line, or why it cannot be read, naming it.
pub fn read_text(path: &Path) -> Result<String, String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            format!(
                "{}: not UTF-8 text (invalid byte at offset {at})",
                path.display()
            )
        }),
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ if path.is_dir() => "is a folder, not a file".to_string(),
                _ => e.to_string(),
            };
            Err(format!("{}: {why}", path.display()))
        }
    }
}

/// The configuration for a file named on the command line (the nearest `.wbs-lsp.toml`
/// in its folder or a parent). On an error the message goes to `err`, naming the command,
/// and the defaults are used; the flag says whether the configuration was good.
pub fn command_config(command: &str, path: &Path, err: &mut dyn Write) -> (Config, bool) {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let raw = match config::find_file(&absolute, None) {
        Some(file) => config::read_file(&file),
        None => Ok(RawConfig::default()),
    };
    match raw.and_then(|raw| raw.resolve()) {
        Ok(config) => (config, true),
        Err(message) => {
            let _ = writeln!(
                err,
                "wbs-lsp {command}: configuration error: {message}; using the defaults"
            );
            (Config::default(), false)
        }
    }
}

fn collect_markdown(dir: &Path, files: &mut Vec<(PathBuf, bool)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !name.starts_with('.') && name != "node_modules" && name != "target" {
                collect_markdown(&path, files);
            }
        } else if name.ends_with(".md") || name.ends_with(".markdown") {
            files.push((path, false));
        }
    }
}

fn print_text(out: &mut dyn Write, path: &Path, doc: &Document, findings: &[Finding]) {
    for f in findings {
        let line_text = doc.line(f.location.line);
        let start = (f.location.start as usize).min(line_text.len());
        let column = line_text[..start].chars().count() + 1;
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            path.display(),
            f.location.line + 1,
            column,
            f.severity.as_str(),
            f.code,
            f.message
        );
    }
}

fn json_entry(path: &Path, doc: &Document, findings: &[Finding]) -> serde_json::Value {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let uri = crate::lsp::file_uri(&absolute);
    let diagnostics: Vec<_> = findings
        .iter()
        .map(|f| convert::diagnostic(doc.rope(), f, Encoding::Utf16, &uri))
        .collect();
    serde_json::json!({ "path": path.display().to_string(), "diagnostics": diagnostics })
}
