//! `wbs-lsp scaffold WBS.md [-o PATH] [--force]`: a three-stage task-list skeleton from a
//! WBS, without an LLM.
//!
//! The WBS's phases (see [`crate::wbs`]) are sorted into the three stages of the seed
//! prompt, numbered `Stage.Phase.Task…`, given Dependencies in document order, Stage Gates
//! and check tasks, and their tasks are copied as leaves to be expanded later (by an LLM or
//! by hand). The result has no error or warning of this project's rules except `non-atomic`
//! on leaves copied from the WBS (and `not-actionable` information on leaves that do not
//! start with a verb).
//!
//! **Stages.** Each phase is classified by keywords ([`classify`]): CORE (setup, scaffold,
//! models, repositories, seed data, test harness, local, mock/test auth, skeleton, …),
//! INTEGRATION (real database/PostgreSQL, external providers/partners, OIDC/OAuth,
//! messaging/queues/events, background jobs, migrations, persistence, integration tests,
//! …) or POLISH (CI/CD, deployment, monitoring/observability/alerting, production,
//! security hardening, performance, load tests, scalability, release, …). A text gets the
//! stage with the most keyword hits; a tie goes to the later stage (`Run the repositories
//! against PostgreSQL`: the later stage's word says what is new); no hit, no stage. A
//! phase's stage is that of its title, else that of all its tasks' text together, else
//! CORE. A task with a stage of its own that differs from its phase's moves, with its
//! sub-items, to a phase of the same title in its stage (the phase then stands in two
//! stages). Within a stage, phases keep the WBS order.
//!
//! **Empty stages.** A stage with no phase gets one phase `<Stage> work to plan` with the
//! single leaf `Plan the <stage> tasks for this WBS`, so that the document keeps the three
//! stages its profile requires.
//!
//! **Dependencies** follow document order: the first phase depends on None, each later
//! phase on the phase written before it (across stages too); a task group depends on the
//! sibling written before it, or, when it is the first, on what its parent depends on.
//! Stage lines say `None`, `Stage 1 complete`, `Stage 2 complete`.
//!
//! **Depth.** WBS tasks are level 3 (`1.1.1`), their sub-items level 4 and theirs level 5;
//! anything deeper is flattened into level-5 leaves in document order (five levels is the
//! most the rules allow).

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::model::id::TaskId;
use crate::model::line::CheckKind;
use crate::rules::wording::check_task_wording;
use crate::wbs::{self, Item, Phase, Wbs};

pub const USAGE: &str = "usage: wbs-lsp scaffold WBS.md [-o PATH] [--force]\n\
    Writes a three-stage task-list skeleton from a WBS (to stdout, or to PATH with -o;\n\
    an existing PATH is overwritten only with --force).\n\
    Exit status: 0 written, 2 usage or I/O errors, or no phases found in the WBS.";

/// The three stages of the seed prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Core = 1,
    Integration = 2,
    Polish = 3,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Core, Stage::Integration, Stage::Polish];

    pub fn number(self) -> u32 {
        self as u32
    }

    /// The stage heading's title.
    pub fn heading(self) -> &'static str {
        match self {
            Stage::Core => "CORE – Foundation & Test Harness",
            Stage::Integration => "INTEGRATION – Real Data & Services",
            Stage::Polish => "POLISH & PERFORMANCE – Production Readiness",
        }
    }

    /// The stage's own gate.
    fn gate(self) -> &'static str {
        match self {
            Stage::Core => "core functionality works against seed data with unit tests passing",
            Stage::Integration => {
                "the system runs against real data and services with integration tests passing"
            }
            Stage::Polish => {
                "the system is deployed, monitored and passes load and security checks"
            }
        }
    }

    /// The gate of a phase or task group of this stage, about `subject`.
    fn gate_of(self, subject: &str) -> String {
        match self {
            Stage::Core => format!("{subject} works against seed data with unit tests passing"),
            Stage::Integration => {
                format!("{subject} runs against real services with integration tests passing")
            }
            Stage::Polish => {
                format!("{subject} is deployed, monitored and passes load and security checks")
            }
        }
    }

    /// The stage's name in running text.
    fn name(self) -> &'static str {
        match self {
            Stage::Core => "core",
            Stage::Integration => "integration",
            Stage::Polish => "polish and performance",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Classification

/// Keywords of each stage. Words are matched whole and case-insensitively against the
/// words of a text (split at anything not a letter or digit); a word ending in `*` matches
/// any word it starts. Longer phrases are matched first and use up their words, so
/// `continuous integration` is POLISH and not also INTEGRATION.
const KEYWORDS: &[(&str, Stage)] = &[
    // CORE: foundations, test harnesses, seed data.
    ("set up", Stage::Core),
    ("setup", Stage::Core),
    ("scaffold*", Stage::Core),
    ("skeleton", Stage::Core),
    ("bootstrap*", Stage::Core),
    ("boilerplate", Stage::Core),
    ("model*", Stage::Core),
    ("domain", Stage::Core),
    ("entity", Stage::Core),
    ("entities", Stage::Core),
    ("schema", Stage::Core),
    ("schemas", Stage::Core),
    ("repository", Stage::Core),
    ("repositories", Stage::Core),
    ("seed*", Stage::Core),
    ("fixture*", Stage::Core),
    ("harness*", Stage::Core),
    ("local", Stage::Core),
    ("locally", Stage::Core),
    ("localhost", Stage::Core),
    ("mock*", Stage::Core),
    ("fake*", Stage::Core),
    ("stub*", Stage::Core),
    ("in memory", Stage::Core),
    ("sqlite", Stage::Core),
    ("test auth*", Stage::Core),
    ("test token*", Stage::Core),
    ("test user*", Stage::Core),
    ("test login*", Stage::Core),
    ("unit test*", Stage::Core),
    ("prototype*", Stage::Core),
    ("project structure", Stage::Core),
    ("layout", Stage::Core),
    ("tooling", Stage::Core),
    ("toolchain", Stage::Core),
    ("lint*", Stage::Core),
    ("formatter", Stage::Core),
    ("dev environment", Stage::Core),
    ("development environment", Stage::Core),
    ("devcontainer", Stage::Core),
    ("health*", Stage::Core),
    ("endpoint*", Stage::Core),
    ("crud", Stage::Core),
    ("foundation*", Stage::Core),
    // INTEGRATION: real data and services.
    ("real database*", Stage::Integration),
    ("real data", Stage::Integration),
    ("real service*", Stage::Integration),
    ("live data", Stage::Integration),
    ("postgres*", Stage::Integration),
    ("mysql", Stage::Integration),
    ("mariadb", Stage::Integration),
    ("mongo*", Stage::Integration),
    ("dynamodb", Stage::Integration),
    ("redis", Stage::Integration),
    ("elasticsearch", Stage::Integration),
    ("connection pool*", Stage::Integration),
    ("persist*", Stage::Integration),
    ("storage", Stage::Integration),
    ("s3", Stage::Integration),
    ("external", Stage::Integration),
    ("provider*", Stage::Integration),
    ("third party", Stage::Integration),
    ("partner*", Stage::Integration),
    ("vendor*", Stage::Integration),
    ("oidc", Stage::Integration),
    ("oauth*", Stage::Integration),
    ("openid", Stage::Integration),
    ("sso", Stage::Integration),
    ("saml", Stage::Integration),
    ("ldap", Stage::Integration),
    ("identity provider*", Stage::Integration),
    ("jwt", Stage::Integration),
    ("keycloak", Stage::Integration),
    ("auth0", Stage::Integration),
    ("real auth*", Stage::Integration),
    ("messaging", Stage::Integration),
    ("message broker*", Stage::Integration),
    ("message queue*", Stage::Integration),
    ("message bus*", Stage::Integration),
    ("queue*", Stage::Integration),
    ("kafka", Stage::Integration),
    ("rabbitmq", Stage::Integration),
    ("nats", Stage::Integration),
    ("sqs", Stage::Integration),
    ("pubsub", Stage::Integration),
    ("event", Stage::Integration),
    ("events", Stage::Integration),
    ("outbox", Stage::Integration),
    ("broker*", Stage::Integration),
    ("webhook*", Stage::Integration),
    ("background", Stage::Integration),
    ("job", Stage::Integration),
    ("jobs", Stage::Integration),
    ("worker*", Stage::Integration),
    ("cron*", Stage::Integration),
    ("schedul*", Stage::Integration),
    ("nightly", Stage::Integration),
    ("migration*", Stage::Integration),
    ("migrate", Stage::Integration),
    ("orm", Stage::Integration),
    ("transaction*", Stage::Integration),
    ("integration test*", Stage::Integration),
    ("integrat*", Stage::Integration),
    ("contract test*", Stage::Integration),
    ("email*", Stage::Integration),
    ("smtp", Stage::Integration),
    ("notification*", Stage::Integration),
    ("payment*", Stage::Integration),
    ("stripe", Stage::Integration),
    ("sync", Stage::Integration),
    ("synchron*", Stage::Integration),
    ("reconcil*", Stage::Integration),
    ("import*", Stage::Integration),
    ("etl", Stage::Integration),
    ("ingest*", Stage::Integration),
    ("workflow*", Stage::Integration),
    ("orchestrat*", Stage::Integration),
    ("retry", Stage::Integration),
    ("retries", Stage::Integration),
    ("idempoten*", Stage::Integration),
    ("api client*", Stage::Integration),
    ("http client*", Stage::Integration),
    ("grpc", Stage::Integration),
    // POLISH: production readiness.
    ("ci", Stage::Polish),
    ("cd", Stage::Polish),
    ("continuous integration", Stage::Polish),
    ("continuous delivery", Stage::Polish),
    ("continuous deployment", Stage::Polish),
    ("github actions", Stage::Polish),
    ("deploy*", Stage::Polish),
    // Not `release` alone: "release the stock hold" is no release of the software.
    ("releases", Stage::Polish),
    ("release pipeline*", Stage::Polish),
    ("release process*", Stage::Polish),
    ("release notes", Stage::Polish),
    ("release candidate*", Stage::Polish),
    ("release management", Stage::Polish),
    ("production", Stage::Polish),
    ("prod", Stage::Polish),
    ("staging", Stage::Polish),
    ("go live", Stage::Polish),
    ("launch*", Stage::Polish),
    ("rollout", Stage::Polish),
    ("roll out", Stage::Polish),
    ("canary", Stage::Polish),
    ("rollback*", Stage::Polish),
    ("container image*", Stage::Polish),
    ("docker image*", Stage::Polish),
    ("kubernetes", Stage::Polish),
    ("k8s", Stage::Polish),
    ("helm", Stage::Polish),
    ("terraform", Stage::Polish),
    ("infrastructure as code", Stage::Polish),
    ("monitor*", Stage::Polish),
    ("observab*", Stage::Polish),
    ("alert*", Stage::Polish),
    ("on call", Stage::Polish),
    ("tracing", Stage::Polish),
    ("opentelemetry", Stage::Polish),
    ("telemetry", Stage::Polish),
    ("metrics", Stage::Polish),
    ("dashboard*", Stage::Polish),
    ("grafana", Stage::Polish),
    ("prometheus", Stage::Polish),
    ("sentry", Stage::Polish),
    ("log aggregation", Stage::Polish),
    ("structured logging", Stage::Polish),
    ("runbook*", Stage::Polish),
    ("sla", Stage::Polish),
    ("slo", Stage::Polish),
    ("slos", Stage::Polish),
    ("security", Stage::Polish),
    ("harden*", Stage::Polish),
    ("vulnerab*", Stage::Polish),
    ("penetration", Stage::Polish),
    ("pentest*", Stage::Polish),
    ("scan*", Stage::Polish),
    ("owasp", Stage::Polish),
    ("compliance", Stage::Polish),
    ("gdpr", Stage::Polish),
    ("secret*", Stage::Polish),
    ("tls", Stage::Polish),
    ("encryption", Stage::Polish),
    ("performance", Stage::Polish),
    ("load test*", Stage::Polish),
    ("stress test*", Stage::Polish),
    ("soak test*", Stage::Polish),
    ("benchmark*", Stage::Polish),
    ("scalab*", Stage::Polish),
    ("scale", Stage::Polish),
    ("scaling", Stage::Polish),
    ("autoscal*", Stage::Polish),
    ("rate limit*", Stage::Polish),
    ("throttl*", Stage::Polish),
    ("tuning", Stage::Polish),
    ("optimi*", Stage::Polish),
    ("cach*", Stage::Polish),
    ("latency", Stage::Polish),
    ("throughput", Stage::Polish),
    ("capacity", Stage::Polish),
    ("e2e", Stage::Polish),
    ("end to end", Stage::Polish),
    ("backup*", Stage::Polish),
    ("disaster recovery", Stage::Polish),
    ("failover", Stage::Polish),
    ("high availability", Stage::Polish),
    ("versioning", Stage::Polish),
];

/// Keyword hits of `text` per stage (CORE, INTEGRATION, POLISH).
pub fn stage_scores(text: &str) -> [u32; 3] {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut used = vec![false; words.len()];
    let mut scores = [0u32; 3];
    let mut keywords: Vec<(Vec<&str>, Stage)> = KEYWORDS
        .iter()
        .map(|(k, s)| (k.split(' ').collect(), *s))
        .collect();
    keywords.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    for (phrase, stage) in &keywords {
        if phrase.len() > words.len() {
            continue;
        }
        for start in 0..=words.len() - phrase.len() {
            let hit = phrase.iter().enumerate().all(|(i, p)| {
                let word = words[start + i];
                !used[start + i]
                    && match p.strip_suffix('*') {
                        Some(prefix) => word.starts_with(prefix),
                        None => word == *p,
                    }
            });
            if hit {
                used[start..start + phrase.len()].fill(true);
                scores[*stage as usize - 1] += 1;
            }
        }
    }
    scores
}

/// The stage `text` reads like: most keyword hits, a tie to the later stage; `None` without
/// any hit.
pub fn classify(text: &str) -> Option<Stage> {
    pick(stage_scores(text))
}

fn pick(scores: [u32; 3]) -> Option<Stage> {
    let best = *scores.iter().max()?;
    if best == 0 {
        return None;
    }
    let index = scores.iter().rposition(|&s| s == best)?;
    Some(Stage::ALL[index])
}

/// An item's text with its sub-items'.
fn item_text(item: &Item, out: &mut String) {
    out.push_str(&item.title);
    out.push('\n');
    for child in &item.children {
        item_text(child, out);
    }
}

/// A phase as it will stand in one stage: its title and the tasks of that stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedPhase {
    pub title: String,
    pub tasks: Vec<Item>,
}

/// The phases of each stage (CORE, INTEGRATION, POLISH), split and ordered as the module
/// documentation says; a stage without phases gets the placeholder phase.
pub fn plan(wbs: &Wbs) -> [Vec<PlannedPhase>; 3] {
    let mut stages: [Vec<PlannedPhase>; 3] = Default::default();
    for phase in &wbs.phases {
        let phase_stage = phase_stage(phase);
        let mut parts: [Vec<Item>; 3] = Default::default();
        for task in &phase.tasks {
            let mut text = String::new();
            item_text(task, &mut text);
            let stage = classify(&text).unwrap_or(phase_stage);
            parts[stage as usize - 1].push(task.clone());
        }
        if phase.tasks.is_empty() {
            parts[phase_stage as usize - 1]
                .push(Item::leaf(format!("Plan the tasks of {}", phase.title)));
        }
        for (stage, tasks) in parts.into_iter().enumerate() {
            if !tasks.is_empty() {
                stages[stage].push(PlannedPhase {
                    title: phase.title.clone(),
                    tasks,
                });
            }
        }
    }
    for (phases, stage) in stages.iter_mut().zip(Stage::ALL) {
        if phases.is_empty() {
            let name = stage.name();
            let mut title = format!("{name} work to plan");
            title[..1].make_ascii_uppercase();
            phases.push(PlannedPhase {
                title,
                tasks: vec![Item::leaf(format!("Plan the {name} tasks for this WBS"))],
            });
        }
    }
    stages
}

/// A phase's stage: its title's, else its tasks' together, else CORE.
fn phase_stage(phase: &Phase) -> Stage {
    if let Some(stage) = classify(&phase.title) {
        return stage;
    }
    let mut text = String::new();
    for task in &phase.tasks {
        item_text(task, &mut text);
    }
    classify(&text).unwrap_or(Stage::Core)
}

// ---------------------------------------------------------------------------------------
// Rendering

/// The skeleton of a WBS, without a link to the WBS file.
pub fn scaffold(wbs: &Wbs) -> String {
    render(wbs, None)
}

/// The skeleton of a WBS whose provenance line links to `wbs_link` (a path relative to
/// the output's folder, or as the user gave it).
pub fn scaffold_linked(wbs: &Wbs, wbs_link: &str) -> String {
    render(wbs, Some(wbs_link))
}

/// For the language server: the skeleton of the WBS `wbs_text`, linking to `wbs_link`, or
/// a message for the user when no phases are found.
pub fn scaffold_text(wbs_text: &str, wbs_link: &str) -> Result<String, String> {
    let wbs = wbs::parse(wbs_text);
    if wbs.phases.is_empty() {
        return Err(format!(
            "no phases or tasks found in {}: {}",
            link_label(wbs_link),
            wbs::EXPECTED_FORMATS
        ));
    }
    Ok(scaffold_linked(&wbs, wbs_link))
}

fn render(wbs: &Wbs, wbs_link: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", document_title(wbs.title.as_deref()));
    match wbs_link {
        Some(link) => {
            let _ = writeln!(
                out,
                "Expanded from [{}]({}) by `wbs-lsp scaffold`; expand leaves with an LLM or by hand.\n",
                escape_link_text(&link_label(link)),
                link_target(link)
            );
        }
        None => out.push_str(
            "Expanded from a WBS by `wbs-lsp scaffold`; expand leaves with an LLM or by hand.\n\n",
        ),
    }
    let stages = plan(wbs);
    let mut previous_phase: Option<TaskId> = None;
    for (stage, phases) in Stage::ALL.into_iter().zip(&stages) {
        let n = stage.number();
        let dependencies = match n {
            1 => "None".to_string(),
            _ => format!("Stage {} complete", n - 1),
        };
        let _ = writeln!(out, "---\n");
        let _ = writeln!(out, "### Stage {n}: {}", stage.heading());
        let _ = writeln!(
            out,
            "(Dependencies: {dependencies} | Stage Gate: {})\n",
            capitalized(stage.gate())
        );
        for (p, phase) in phases.iter().enumerate() {
            let id = TaskId::new(vec![n, p as u32 + 1], None);
            let dependencies = previous_phase
                .as_ref()
                .map_or_else(|| "None".to_string(), |d| d.to_string());
            let _ = writeln!(
                out,
                "{id} {} (Dependencies: {dependencies} | Stage Gate: {})",
                note_title(&phase.title),
                stage.gate_of(&gate_subject(&phase.title))
            );
            let mut previous: Option<TaskId> = None;
            for (t, task) in phase.tasks.iter().enumerate() {
                let task_id = id.child(t as u32 + 1);
                let depends = previous
                    .clone()
                    .map_or(dependencies.clone(), |d| d.to_string());
                write_item(&mut out, stage, task, &task_id, 1, &depends);
                previous = Some(task_id);
            }
            out.push('\n');
            write_checks(&mut out, stage, &id, 0);
            out.push('\n');
            previous_phase = Some(id);
        }
    }
    out
}

/// Writes `item` as node `id` (level 3 or deeper) indented `depth` steps, with its
/// children and, when it has any, its notes and check tasks.
fn write_item(
    out: &mut String,
    stage: Stage,
    item: &Item,
    id: &TaskId,
    depth: usize,
    depends: &str,
) {
    let indent = "  ".repeat(depth);
    if item.children.is_empty() || id.level() >= 5 {
        let _ = writeln!(out, "{indent}{id} {}", defuse(&item.title));
        return;
    }
    let title = note_title(&item.title);
    let _ = writeln!(
        out,
        "{indent}{id} {title} (Dependencies: {depends} | Stage Gate: {})",
        stage.gate_of(&format!("Task {id}"))
    );
    let children: Vec<Item> = if id.level() + 1 >= 5 {
        // Atomic level: everything below becomes a leaf.
        let mut flat = Vec::new();
        for child in &item.children {
            flatten(child, &mut flat);
        }
        flat
    } else {
        item.children.clone()
    };
    let mut previous: Option<TaskId> = None;
    for (c, child) in children.iter().enumerate() {
        let child_id = id.child(c as u32 + 1);
        let child_depends = previous
            .clone()
            .map_or(depends.to_string(), |d| d.to_string());
        write_item(out, stage, child, &child_id, depth + 1, &child_depends);
        previous = Some(child_id);
    }
    write_checks(out, stage, id, depth + 1);
}

fn flatten(item: &Item, out: &mut Vec<Item>) {
    out.push(Item::leaf(item.title.clone()));
    for child in &item.children {
        flatten(child, out);
    }
}

/// The three check tasks of group `group`, indented `depth` steps.
fn write_checks(out: &mut String, stage: Stage, group: &TaskId, depth: usize) {
    let indent = "  ".repeat(depth);
    for kind in CheckKind::ALL {
        let wording = check_task_wording(kind, stage.number(), group);
        let text = match kind {
            CheckKind::Validate | CheckKind::Verify => {
                let (verb, rest) = wording.split_once(' ').unwrap_or((&wording, ""));
                format!("**{verb}** {rest}")
            }
            CheckKind::Document => wording,
        };
        let letter = kind.letter() as char;
        let _ = writeln!(out, "{indent}{group}.{letter} {text}");
    }
}

/// `<WBS title> – Task List`, without a leading `Work Breakdown Structure` / `WBS`, and
/// never starting like a task node (`1.2 …`, `Phase 2 …`).
fn document_title(title: Option<&str>) -> String {
    let Some(title) = title else {
        return "Task List".to_string();
    };
    let mut t = title.trim();
    for prefix in ["work breakdown structure", "wbs"] {
        if t.len() >= prefix.len() && t[..prefix.len()].eq_ignore_ascii_case(prefix) {
            let rest = t[prefix.len()..].trim_start();
            let stripped = rest
                .trim_start_matches([':', '-', '–', '—', '|'])
                .trim_start();
            if stripped.len() < rest.len() || rest.is_empty() {
                t = stripped;
            }
        }
    }
    // `Shop WBS`, `Shop – Work Breakdown Structure`, `Shop – Project Plan` (a plain
    // `Migration plan` keeps its last word: it needs a dash or colon before it).
    for (suffix, needs_separator) in [
        ("work breakdown structure", false),
        ("wbs", false),
        ("task list", true),
        ("project plan", true),
        ("plan", true),
    ] {
        let lower = t.to_ascii_lowercase();
        if lower.len() > suffix.len() && lower.ends_with(suffix) {
            let rest = t[..t.len() - suffix.len()].trim_end();
            let stripped = rest.trim_end_matches([':', '-', '–', '—', '|']).trim_end();
            let separated = stripped.len() < rest.len();
            let spaced = t[..t.len() - suffix.len()].ends_with([' ', '\t']);
            if !stripped.is_empty() && (separated || (spaced && !needs_separator)) {
                t = stripped;
            }
        }
    }
    let t = defuse(t);
    if t.is_empty() {
        return "Task List".to_string();
    }
    let first = t
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let looks_like_node = t.starts_with(|c: char| c.is_ascii_digit())
        || (["stage", "phase", "task", "subtask"].contains(&first.as_str())
            && t.split_whitespace()
                .nth(1)
                .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit())));
    if looks_like_node {
        format!("Task List – {t}")
    } else {
        format!("{t} – Task List")
    }
}

const NOTE_KEYS: [&str; 4] = ["dependencies", "depends on", "stage gate", "gate"];

/// Text that cannot be read as a note: parenthesised notes the WBS wrote itself (`(Depends
/// on: 1.1)`: its numbers are not the skeleton's) are dropped, and `Gate: x` elsewhere
/// becomes `Gate - x`, and so on for every note key followed by a colon.
fn defuse(text: &str) -> String {
    defuse_keys(&drop_note_groups(text))
}

/// `Title (Dependencies: 1.1 | Stage Gate: …)` without the parentheses.
fn drop_note_groups(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let inner = rest[open + 1..].trim_start_matches([' ', '*', '_']);
        let lower = inner.to_ascii_lowercase();
        let is_note = NOTE_KEYS.iter().any(|k| {
            lower.starts_with(k)
                && lower[k.len()..]
                    .trim_start_matches([' ', '*', '_'])
                    .starts_with(':')
        });
        let close = rest[open..].find(')').map(|c| open + c);
        match close {
            Some(close) if is_note => {
                out.push_str(rest[..open].trim_end());
                rest = &rest[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn defuse_keys(text: &str) -> String {
    const KEYS: [&str; 4] = NOTE_KEYS;
    let mut out = String::with_capacity(text.len());
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let key = KEYS
            .iter()
            .find(|k| boundary && lower.as_bytes()[i..].starts_with(k.as_bytes()));
        if let Some(key) = key {
            let mut p = i + key.len();
            while p < bytes.len() && matches!(bytes[p], b'*' | b'_' | b' ' | b'\t') {
                p += 1;
            }
            if bytes.get(p) == Some(&b':') {
                out.push_str(&text[copied..p]);
                out.push_str(" -");
                copied = p + 1;
                i = p + 1;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The title of a node that carries notes on its line: defused, and without backticks
/// when they are unbalanced (an open code span would hide the notes).
fn note_title(text: &str) -> String {
    let text = defuse(text);
    if text.matches('`').count() % 2 == 1 {
        text.replace('`', "")
    } else {
        text
    }
}

/// A title as it can stand in a Stage Gate value: no `|`, `;` or parentheses (they would
/// end the note), no note keys.
fn gate_subject(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| match c {
            '|' | ';' => ',',
            '(' | ')' => ' ',
            c => c,
        })
        .collect();
    let text = defuse(&cleaned).replace(" ,", ",");
    let text = text.trim_matches([',', ' ']);
    if text.is_empty() {
        "The phase".to_string()
    } else {
        text.to_string()
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The link's text: the file name of the path.
fn link_label(link: &str) -> String {
    Path::new(link)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(link)
        .to_string()
}

fn escape_link_text(text: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // `_` inside a word is no emphasis (`tasks_list.md`).
        let inside_word = c == '_'
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if matches!(c, '[' | ']' | '\\' | '*' | '_' | '`' | '<') && !inside_word {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A link destination: forward slashes, in `<…>` when it holds spaces or parentheses.
fn link_target(link: &str) -> String {
    let link = link.replace('\\', "/");
    if link.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", link.replace('<', "%3C").replace('>', "%3E"))
    } else {
        link
    }
}

/// The path of `target` relative to the folder `from`, both absolute and normalized.
fn relative_path(target: &Path, from: &Path) -> PathBuf {
    let target: Vec<Component> = target.components().collect();
    let from: Vec<Component> = from.components().collect();
    let common = target.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &target[common..] {
        out.push(part.as_os_str());
    }
    out
}

/// An absolute path with `.` and `..` resolved: the real path when it exists.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The link to the WBS from a file written to `output` (or the path as given).
fn wbs_link(wbs_path: &Path, output: Option<&Path>) -> String {
    let Some(output) = output else {
        return wbs_path.to_string_lossy().into_owned();
    };
    let folder = resolved(output)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let folder = resolved(&folder);
    let relative = relative_path(&resolved(wbs_path), &folder);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

// ---------------------------------------------------------------------------------------
// The command

/// Runs `wbs-lsp scaffold`; returns the exit status.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut output: Option<PathBuf> = None;
    let mut force = false;
    let mut files: Vec<&str> = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-o" | "--output" => match iter.next() {
                Some(path) if !path.is_empty() => output = Some(PathBuf::from(path)),
                _ => {
                    let _ = writeln!(err, "wbs-lsp scaffold: {arg} takes a file path\n{USAGE}");
                    return 2;
                }
            },
            "--force" | "-f" => force = true,
            "--help" | "-h" => {
                let _ = writeln!(out, "{USAGE}");
                return 0;
            }
            flag if flag.starts_with("--output=") => {
                output = Some(PathBuf::from(&flag["--output=".len()..]));
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                let _ = writeln!(err, "wbs-lsp scaffold: unknown option {flag}\n{USAGE}");
                return 2;
            }
            file => files.push(file),
        }
    }
    let path = match files.as_slice() {
        [file] => Path::new(file),
        [] => {
            let _ = writeln!(err, "wbs-lsp scaffold: which WBS? Name one file\n{USAGE}");
            return 2;
        }
        more => {
            let _ = writeln!(
                err,
                "wbs-lsp scaffold: one WBS at a time, not {}\n{USAGE}",
                more.len()
            );
            return 2;
        }
    };
    let text = match crate::check::read_text(path) {
        Ok(text) => text,
        Err(why) => {
            let _ = writeln!(err, "wbs-lsp scaffold: {why}");
            return 2;
        }
    };
    let wbs = wbs::parse(&text);
    if wbs.phases.is_empty() {
        let _ = writeln!(
            err,
            "wbs-lsp scaffold: {}: no phases or tasks found; {}",
            path.display(),
            wbs::EXPECTED_FORMATS
        );
        return 2;
    }
    let Some(output) = output else {
        let text = scaffold_linked(&wbs, &wbs_link(path, None));
        if let Err(e) = out.write_all(text.as_bytes()) {
            let _ = writeln!(err, "wbs-lsp scaffold: writing the task list failed: {e}");
            return 2;
        }
        return 0;
    };
    if output.is_dir() {
        let _ = writeln!(
            err,
            "wbs-lsp scaffold: {}: is a folder; name the file to write",
            output.display()
        );
        return 2;
    }
    if output.exists() {
        if resolved(&output) == resolved(path) {
            let _ = writeln!(
                err,
                "wbs-lsp scaffold: {}: is the WBS itself; write the task list to another file",
                output.display()
            );
            return 2;
        }
        if !force {
            let _ = writeln!(
                err,
                "wbs-lsp scaffold: {} already exists; pass --force to overwrite it",
                output.display()
            );
            return 2;
        }
    }
    let text = scaffold_linked(&wbs, &wbs_link(path, Some(&output)));
    if let Err(e) = std::fs::write(&output, text) {
        let _ = writeln!(err, "wbs-lsp scaffold: {}: {e}", output.display());
        return 2;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::document::Document;
    use crate::rules::{Code, Finding, Severity};

    /// The fixtures of `tests/fixtures/wbs`: name, WBS, expected skeleton.
    const FIXTURES: [(&str, &str, &str); 3] = [
        (
            "headings.md",
            include_str!("../../tests/fixtures/wbs/headings.md"),
            include_str!("../../tests/fixtures/wbs/headings.scaffold.md"),
        ),
        (
            "tasks_bullets.md",
            include_str!("../../tests/fixtures/wbs/tasks_bullets.md"),
            include_str!("../../tests/fixtures/wbs/tasks_bullets.scaffold.md"),
        ),
        (
            "nested.md",
            include_str!("../../tests/fixtures/wbs/nested.md"),
            include_str!("../../tests/fixtures/wbs/nested.scaffold.md"),
        ),
    ];

    fn findings(text: &str) -> Vec<Finding> {
        let doc = Document::new(text, 0);
        crate::analyze(doc.line_items(), &Config::default())
    }

    /// Errors and warnings other than `non-atomic` (which copied WBS leaves may carry).
    fn problems(text: &str) -> Vec<String> {
        findings(text)
            .into_iter()
            .filter(|f| matches!(f.severity, Severity::Error | Severity::Warning))
            .filter(|f| f.code != Code::NonAtomic)
            .map(|f| {
                format!(
                    "line {}: {} {}",
                    f.location.line + 1,
                    f.code.as_str(),
                    f.message
                )
            })
            .collect()
    }

    fn assert_clean(text: &str) {
        let problems = problems(text);
        assert!(problems.is_empty(), "{problems:#?}\nin\n{text}");
    }

    #[test]
    fn fixtures_give_their_expected_skeletons() {
        for (name, wbs, expected) in FIXTURES {
            let actual = scaffold_text(wbs, name).unwrap();
            assert_eq!(actual, expected, "{name}");
        }
    }

    #[test]
    fn skeletons_of_the_fixtures_have_only_non_atomic_warnings() {
        for (name, wbs, expected) in FIXTURES {
            assert_clean(expected);
            assert_clean(&scaffold_text(wbs, name).unwrap());
        }
    }

    #[test]
    fn skeletons_are_three_stage_task_lists() {
        for (name, _, expected) in FIXTURES {
            let doc = Document::new(expected, 0);
            let tree = crate::model::TaskTree::build(&doc, None);
            assert!(tree.three_stage(), "{name}");
            let stages: Vec<&str> = expected
                .lines()
                .filter(|l| l.starts_with("### Stage "))
                .collect();
            assert_eq!(
                stages,
                [
                    "### Stage 1: CORE – Foundation & Test Harness",
                    "### Stage 2: INTEGRATION – Real Data & Services",
                    "### Stage 3: POLISH & PERFORMANCE – Production Readiness",
                ],
                "{name}"
            );
        }
    }

    #[test]
    fn tricky_titles_stay_free_of_diagnostics() {
        let wbs = "# Phase 2 rollout WBS\n\n\
            ## 1. Setup (part 1) | misc; Gate: later\n\
            - Create the repo (Dependencies: 1.7) and more\n\
            - Stage Gate: none yet\n\
            - Depends on: the ops team\n\
            - 2.5 engineers\n\
            - Validate Task 1.2 output\n\
            - `unbalanced code\n\
            - Group with `odd backtick\n\
            \x20 - Gate: child\n\
            \x20   - Deep one\n\
            \x20     - Deeper two\n\
            \x20       - Deepest three\n\
            \x20         - Beyond five\n\
            ## 2. (Parenthesised) title\n\
            - Tune the cache\n";
        let text = scaffold_text(wbs, "odd name (v2).md").unwrap();
        assert_clean(&text);
        assert!(
            text.starts_with("# Task List – Phase 2 rollout\n"),
            "{text}"
        );
        assert!(
            text.contains("[odd name (v2).md](<odd name (v2).md>)"),
            "{text}"
        );
        assert!(!text.contains("Gate: later"), "{text}");
        assert!(text.contains("Gate - child"), "{text}");
    }

    #[test]
    fn every_stage_exists_even_without_its_phases() {
        let wbs = wbs::parse("# Tiny\n\n## 1. Setup\n- Create the repository\n");
        let text = scaffold(&wbs);
        assert_clean(&text);
        assert!(
            text.contains(
                "2.1 Integration work to plan (Dependencies: 1.1 | Stage Gate: Integration work \
             to plan runs against real services with integration tests passing)\n  \
             2.1.1 Plan the integration tasks for this WBS\n"
            ),
            "{text}"
        );
        assert!(text.contains("3.1.1 Plan the polish and performance tasks for this WBS\n"));
        assert!(text.contains("Expanded from a WBS by `wbs-lsp scaffold`"));
    }

    #[test]
    fn a_phase_without_tasks_gets_a_planning_leaf() {
        let wbs = wbs::parse("# P\n\n## Phase 1: Discovery\n\n## Phase 2: Build\n- Build it\n");
        let text = scaffold(&wbs);
        assert_clean(&text);
        assert!(
            text.contains("  1.1.1 Plan the tasks of Discovery\n"),
            "{text}"
        );
    }

    #[test]
    fn classification_by_keywords() {
        assert_eq!(
            classify("Set up the local Docker environment"),
            Some(Stage::Core)
        );
        assert_eq!(classify("Write seed data for the tests"), Some(Stage::Core));
        assert_eq!(
            classify("Run the repositories against PostgreSQL"),
            Some(Stage::Integration)
        );
        assert_eq!(
            classify("Move to the company OIDC provider"),
            Some(Stage::Integration)
        );
        assert_eq!(
            classify("Publish order events to RabbitMQ"),
            Some(Stage::Integration)
        );
        assert_eq!(
            classify("Continuous integration and staging deployment"),
            Some(Stage::Polish)
        );
        assert_eq!(
            classify("Load testing and query tuning"),
            Some(Stage::Polish)
        );
        assert_eq!(
            classify("Expose endpoints to release stock holds"),
            Some(Stage::Core)
        );
        assert_eq!(classify("Validate incoming requests"), None);
        // A tie goes to the later stage.
        assert_eq!(classify("Set up monitoring"), Some(Stage::Polish));
    }

    #[test]
    fn mixed_phases_split_by_task_and_keep_wbs_order() {
        let wbs = wbs::parse(
            "# P\n## 1. Access\n- Issue mock tokens for local runs\n- Switch to the OAuth provider\n\
             ## 2. Storage\n- Persist orders in PostgreSQL\n## 3. Basics\n- Create the skeleton\n",
        );
        let stages = plan(&wbs);
        let titles =
            |s: usize| -> Vec<&str> { stages[s].iter().map(|p| p.title.as_str()).collect() };
        assert_eq!(titles(0), ["Access", "Basics"]);
        assert_eq!(titles(1), ["Access", "Storage"]);
        assert_eq!(titles(2), ["Polish and performance work to plan"]);
        assert_eq!(
            stages[1][0].tasks,
            vec![Item::leaf("Switch to the OAuth provider")]
        );
    }

    #[test]
    fn titles_drop_wbs_words() {
        assert_eq!(
            document_title(Some(
                "Work Breakdown Structure – Inventory & Orders Service"
            )),
            "Inventory & Orders Service – Task List"
        );
        assert_eq!(document_title(Some("Shop WBS")), "Shop – Task List");
        assert_eq!(
            document_title(Some("Shop – Project Plan")),
            "Shop – Task List"
        );
        assert_eq!(
            document_title(Some("Migration plan")),
            "Migration plan – Task List"
        );
        assert_eq!(document_title(Some("Shop – Task List")), "Shop – Task List");
        assert_eq!(
            document_title(Some("2.0 Relaunch")),
            "Task List – 2.0 Relaunch"
        );
        assert_eq!(document_title(None), "Task List");
    }

    #[test]
    fn relative_links() {
        assert_eq!(
            relative_path(Path::new("/a/b/wbs.md"), Path::new("/a/c/d")),
            PathBuf::from("../../b/wbs.md")
        );
        assert_eq!(
            relative_path(Path::new("/a/wbs.md"), Path::new("/a")),
            PathBuf::from("wbs.md")
        );
        assert_eq!(link_target("my plan.md"), "<my plan.md>");
        assert_eq!(escape_link_text("tasks_list.md"), "tasks_list.md");
        assert_eq!(escape_link_text("_x_.md"), "\\_x\\_.md");
    }

    #[test]
    fn defuse_keeps_notes_out_of_titles() {
        assert_eq!(defuse("Gate: approval"), "Gate - approval");
        assert_eq!(defuse("**Dependencies:** none"), "**Dependencies -** none");
        assert_eq!(defuse("Negate: x – café"), "Negate: x – café");
        assert_eq!(
            defuse("Data layer (Dependencies: 1.1 | Stage Gate: ready) (v2)"),
            "Data layer (v2)"
        );
        assert_eq!(defuse("API (**Depends on:** 1.1)"), "API");
    }

    /// Lines WBS documents are made of, good and odd, for the property below.
    const FRAGMENTS: [&str; 32] = [
        "# Plan WBS",
        "## 1. Setup",
        "## Phase 2: Data (Dependencies: 1)",
        "## Risks",
        "## Work breakdown",
        "Phase 3 – Launch",
        "**Phase 4 – Scale**",
        "1. Billing",
        "Goal: ship it",
        "Tasks:",
        "Deliverables:",
        "- Create the repository",
        "- Deploy to production; monitor it",
        "  - Add the linter",
        "    - Add the formatter (`ruff`",
        "      - Gate: approval",
        "        - Depends on: ops",
        "- [ ] Persist orders in PostgreSQL and publish events",
        "1.1 Backend foundation",
        "  1.1.1 Create the API skeleton",
        "    1.1.1.1 Add routes | health",
        "      1.1.1.1.1 Too deep to keep",
        "- 2.1 Integrate the OAuth provider",
        "2 Frontend",
        "<!-- hidden",
        "-->",
        "```",
        "| a | b |",
        "",
        "---",
        "Some prose about the project.",
        "Validate Task 1.2 results",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// Whatever the WBS, the skeleton (when there is one) has no error or warning but
        /// `non-atomic`.
        #[test]
        fn any_skeleton_is_free_of_diagnostics(
            picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..40)
        ) {
            let wbs: String = picks.iter().map(|&i| format!("{}\n", FRAGMENTS[i])).collect();
            if let Ok(text) = scaffold_text(&wbs, "wbs.md") {
                let problems = problems(&text);
                proptest::prop_assert!(problems.is_empty(), "{problems:#?}\nfrom\n{wbs}\nto\n{text}");
            }
        }
    }

    fn run_args(args: &[&str]) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn run_prints_writes_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let wbs_path = dir.path().join("plan.md");
        std::fs::write(&wbs_path, FIXTURES[0].1).unwrap();
        let wbs_arg = wbs_path.to_str().unwrap();

        let (code, out, err) = run_args(&[]);
        assert_eq!((code, out.as_str()), (2, ""), "{err}");

        let (code, out, err) = run_args(&[wbs_arg]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(&format!("Expanded from [plan.md]({wbs_arg})")),
            "{out}"
        );

        std::fs::create_dir(dir.path().join("docs")).unwrap();
        let target = dir.path().join("docs").join("tasks.md");
        let target_arg = target.to_str().unwrap();
        let (code, out, err) = run_args(&[wbs_arg, "-o", target_arg]);
        assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
        let written = std::fs::read_to_string(&target).unwrap();
        assert!(
            written.contains("Expanded from [plan.md](../plan.md)"),
            "{written}"
        );
        assert_clean(&written);

        std::fs::write(&target, "mine").unwrap();
        let (code, _, err) = run_args(&[wbs_arg, "-o", target_arg]);
        assert_eq!(code, 2);
        assert!(err.contains(target_arg) && err.contains("--force"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine");

        let (code, _, err) = run_args(&["--force", wbs_arg, "-o", target_arg]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), written);

        let (code, _, err) = run_args(&[wbs_arg, "-o", wbs_arg, "--force"]);
        assert_eq!(code, 2);
        assert!(err.contains("is the WBS itself"), "{err}");
    }

    #[test]
    fn run_reports_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.md");
        let (code, _, err) = run_args(&[missing.to_str().unwrap()]);
        assert_eq!(code, 2);
        assert!(err.contains("missing.md: no such file"), "{err}");

        let binary = dir.path().join("binary.md");
        std::fs::write(&binary, b"# T\n\xff\xfe\n").unwrap();
        let (code, _, err) = run_args(&[binary.to_str().unwrap()]);
        assert_eq!(code, 2);
        assert!(err.contains("not UTF-8"), "{err}");

        let prose = dir.path().join("notes.md");
        std::fs::write(&prose, "# Notes\n\nWe met on Monday.\n").unwrap();
        let (code, out, err) = run_args(&[prose.to_str().unwrap()]);
        assert_eq!((code, out.as_str()), (2, ""));
        assert!(
            err.contains("notes.md: no phases or tasks found; expected"),
            "{err}"
        );

        let (code, _, err) = run_args(&[prose.to_str().unwrap(), "--bogus"]);
        assert_eq!(code, 2);
        assert!(err.contains("unknown option --bogus"), "{err}");

        let (code, _, err) = run_args(&[prose.to_str().unwrap(), "-o"]);
        assert_eq!(code, 2);
        assert!(err.contains("-o takes a file path"), "{err}");

        assert!(scaffold_text("just prose", "x.md")
            .unwrap_err()
            .contains("x.md"));
    }
}
