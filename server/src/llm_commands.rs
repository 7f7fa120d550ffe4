//! `wbs-lsp expand FILE ID [--write]` and `wbs-lsp generate WBS.md [-o PATH]`: the
//! editor's model-backed commands on the command line, with the same engine.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::check::command_config;
use crate::config::Config;
use crate::expand::{self, Source};
use crate::generate;
use crate::llm::{Llm, LlmError, ProviderKind};
use crate::model::id::TaskId;

pub const EXPAND_USAGE: &str = "usage: wbs-lsp expand FILE ID [--write] [--provider openai|anthropic|command] [--base-url URL] [--model NAME]\n\
    Expands the task ID of FILE into atomic tasks with the configured model ([llm] in .wbs-lsp.toml).\n\
    Prints the changed lines, or with --write changes the file.\n\
    Exit status: 0 done, 1 the model failed or answered badly, 2 usage, I/O or configuration errors.";

pub const GENERATE_USAGE: &str = "usage: wbs-lsp generate WBS.md [-o PATH] [--force] [--provider openai|anthropic|command] [--base-url URL] [--model NAME]\n\
    Writes a three-stage task list from a WBS with the configured model, stage by stage.\n\
    Prints it, or with -o writes it and a task_outcomes.md beside it (never overwriting\n\
    an existing task list without --force; the outcomes file only gains missing sections).\n\
    Exit status: 0 done, 1 the model failed or answered badly, 2 usage, I/O or configuration errors.";

/// The options both commands take.
#[derive(Default)]
struct Options {
    positional: Vec<String>,
    write: bool,
    force: bool,
    output: Option<PathBuf>,
    provider: Option<ProviderKind>,
    base_url: Option<String>,
    model: Option<String>,
}

fn parse(command: &str, args: &[String], usage: &str) -> Result<Options, String> {
    let mut options = Options::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("wbs-lsp {command}: {name} needs a value\n{usage}"))
        };
        match arg.as_str() {
            "--write" | "-w" if command == "expand" => options.write = true,
            "--force" if command == "generate" => options.force = true,
            "-o" | "--output" if command == "generate" => {
                options.output = Some(PathBuf::from(value(arg)?))
            }
            "--provider" => {
                options.provider = Some(match value(arg)?.as_str() {
                    "openai" => ProviderKind::Openai,
                    "anthropic" => ProviderKind::Anthropic,
                    "command" => ProviderKind::Command,
                    other => {
                        return Err(format!(
                            "wbs-lsp {command}: --provider takes openai, anthropic or command, not {other:?}"
                        ))
                    }
                })
            }
            "--base-url" => options.base_url = Some(value(arg)?),
            "--model" => options.model = Some(value(arg)?),
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(format!("wbs-lsp {command}: unknown option {flag}\n{usage}"))
            }
            other => options.positional.push(other.to_string()),
        }
    }
    Ok(options)
}

/// The configuration of the file, with the command line's overrides.
fn configured(
    command: &str,
    path: &Path,
    options: &Options,
    err: &mut dyn Write,
) -> Result<Config, i32> {
    let (mut config, good) = command_config(command, path, err);
    if !good {
        return Err(2);
    }
    if let Some(provider) = options.provider {
        config.llm.provider = Some(provider);
    }
    if let Some(url) = &options.base_url {
        config.llm.base_url = Some(url.clone());
    }
    if let Some(model) = &options.model {
        config.llm.model = Some(model.clone());
    }
    Ok(config)
}

fn read(command: &str, path: &Path, err: &mut dyn Write) -> Result<String, i32> {
    crate::check::read_text(path).map_err(|why| {
        let _ = writeln!(err, "wbs-lsp {command}: {why}");
        2
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A status line on stderr when it is a terminal (rewritten in place), else nothing.
fn status_line() -> impl FnMut(String) + Send {
    let terminal = std::io::stderr().is_terminal();
    move |message: String| {
        if terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K{message}");
            let _ = err.flush();
        }
    }
}

fn clear_status() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[K");
    }
}

fn llm_failed(command: &str, error: &LlmError, err: &mut dyn Write) -> i32 {
    clear_status();
    let _ = writeln!(err, "wbs-lsp {command}: {error}");
    1
}

fn new_llm(config: &Config) -> Result<Llm, LlmError> {
    Llm::new(Llm::http_client(), &config.llm, &|name| {
        std::env::var(name).ok()
    })
}

/// The WBS a task list links (relative to its folder) or `llm.wbs` names (relative to
/// the current folder).
fn source(file: &Path, text: &str, config: &Config) -> Option<Source> {
    let folder = file.parent().unwrap_or(Path::new("."));
    let path = expand::source_link(text)
        .map(|link| folder.join(link))
        .filter(|p| p.is_file())
        .or_else(|| config.llm.wbs.as_ref().map(PathBuf::from))?;
    let text = std::fs::read_to_string(&path).ok()?;
    Some(Source {
        name: path.file_name()?.to_string_lossy().into_owned(),
        text,
    })
}

pub fn run_expand(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let options = match parse("expand", args, EXPAND_USAGE) {
        Ok(o) => o,
        Err(message) => {
            let _ = writeln!(err, "{message}");
            return 2;
        }
    };
    if args.iter().any(|a| a == "--help" || a == "-h") {
        let _ = writeln!(out, "{EXPAND_USAGE}");
        return 0;
    }
    let [file, id] = options.positional.as_slice() else {
        let _ = writeln!(
            err,
            "wbs-lsp expand: give a file and a task ID\n{EXPAND_USAGE}"
        );
        return 2;
    };
    let Some(id) = TaskId::parse(id.trim_start_matches("Task ").trim()) else {
        let _ = writeln!(err, "wbs-lsp expand: {id:?} is not a task ID (like 1.2.3)");
        return 2;
    };
    let path = PathBuf::from(file);
    let text = match read("expand", &path, err) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let config = match configured("expand", &path, &options, err) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Err(message) = expand::prompt(&text, &id, &config, None) {
        let _ = writeln!(err, "wbs-lsp expand: {}: {message}", path.display());
        return 2;
    }
    let llm = match new_llm(&config) {
        Ok(l) => l,
        Err(e) => return llm_failed("expand", &e, err),
    };
    let source = source(&path, &text, &config);
    let mut progress = status_line();
    let outcome = runtime().block_on(expand::expand(
        &llm,
        &text,
        &id,
        &config,
        source.as_ref(),
        &mut progress,
    ));
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return llm_failed("expand", &e, err),
    };
    clear_status();
    let Some(change) = expand::line_diff(&text, &outcome.text) else {
        let _ = writeln!(err, "wbs-lsp expand: nothing to change");
        return 0;
    };
    if options.write {
        if let Err(e) = std::fs::write(&path, &outcome.text) {
            let _ = writeln!(err, "wbs-lsp expand: cannot write {}: {e}", path.display());
            return 2;
        }
        let _ = writeln!(
            err,
            "wbs-lsp expand: {id} expanded in {}: {} lines became {} ({} model calls)",
            path.display(),
            change.old.len(),
            change.lines.len(),
            outcome.calls
        );
    } else {
        for line in &change.lines {
            let _ = writeln!(out, "{line}");
        }
    }
    if !outcome.still_non_atomic.is_empty() {
        let still: Vec<String> = outcome
            .still_non_atomic
            .iter()
            .map(|i| i.to_string())
            .collect();
        let _ = writeln!(
            err,
            "wbs-lsp expand: still non-atomic after {} passes: {}",
            config.llm.passes(),
            still.join(", ")
        );
    }
    0
}

/// A relative link from a file in `from_dir` to `target` (both absolute).
pub fn relative_link(from_dir: &Path, target: &Path) -> String {
    let from: Vec<_> = from_dir.components().collect();
    let to: Vec<_> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

pub fn run_generate(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        let _ = writeln!(out, "{GENERATE_USAGE}");
        return 0;
    }
    let options = match parse("generate", args, GENERATE_USAGE) {
        Ok(o) => o,
        Err(message) => {
            let _ = writeln!(err, "{message}");
            return 2;
        }
    };
    let [file] = options.positional.as_slice() else {
        let _ = writeln!(err, "wbs-lsp generate: give one WBS file\n{GENERATE_USAGE}");
        return 2;
    };
    let path = PathBuf::from(file);
    let wbs = match read("generate", &path, err) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if let Some(output) = &options.output {
        if output.exists() && !options.force {
            let _ = writeln!(
                err,
                "wbs-lsp generate: {} exists; not overwriting it (use --force)",
                output.display()
            );
            return 2;
        }
    }
    let config = match configured("generate", &path, &options, err) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let template = match &config.llm.prompt_template {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => Some(t),
            Err(e) => {
                let _ = writeln!(
                    err,
                    "wbs-lsp generate: cannot read llm.prompt_template {p}: {e}"
                );
                return 2;
            }
        },
        None => None,
    };
    let llm = match new_llm(&config) {
        Ok(l) => l,
        Err(e) => return llm_failed("generate", &e, err),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let link = match &options.output {
        Some(output) => {
            let output = std::path::absolute(output).unwrap_or_else(|_| output.clone());
            let wbs_path = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
            relative_link(output.parent().unwrap_or(Path::new("/")), &wbs_path)
        }
        None => file.clone(),
    };
    let mut progress = status_line();
    let result = runtime().block_on(generate::generate(
        &llm,
        &wbs,
        &name,
        &link,
        template.as_deref(),
        &config,
        &mut progress,
    ));
    let text = match result {
        Ok(t) => t,
        Err(e) => return llm_failed("generate", &e, err),
    };
    clear_status();
    let Some(output) = &options.output else {
        let _ = write!(out, "{text}");
        return 0;
    };
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(parent) {
            let _ = writeln!(
                err,
                "wbs-lsp generate: cannot create {}: {e}",
                parent.display()
            );
            return 2;
        }
    }
    if let Err(e) = std::fs::write(output, &text) {
        let _ = writeln!(
            err,
            "wbs-lsp generate: cannot write {}: {e}",
            output.display()
        );
        return 2;
    }
    let outcomes = output.with_file_name(generate::OUTCOMES_FILE);
    let existing = std::fs::read_to_string(&outcomes).ok();
    let new_outcomes = generate::updated_outcomes(existing.as_deref(), &text, &config);
    if let Some(contents) = new_outcomes {
        if let Err(e) = std::fs::write(&outcomes, contents) {
            let _ = writeln!(
                err,
                "wbs-lsp generate: cannot write {}: {e}",
                outcomes.display()
            );
            return 2;
        }
    }
    let _ = writeln!(
        err,
        "wbs-lsp generate: wrote {} and {}",
        output.display(),
        outcomes.display()
    );
    0
}
