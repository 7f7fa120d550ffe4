//! The diagnostics of the contract, one file per code; each a pure function of the model.

mod check_task_wording;
mod dependency_cycle;
pub mod duplicate_id;
mod later_stage_dependency;
pub mod missing_check_tasks;
mod missing_dependencies;
mod missing_stage_gate;
mod non_atomic;
mod not_actionable;
mod numbering;
pub mod references;
mod stage_structure;
mod too_deep;
mod unknown_dependency;
pub mod wording;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::model::line::{Reference, Span};
use crate::model::TaskTree;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    #[serde(alias = "info")]
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $severity:ident;)*) => {
        /// A diagnostic code of the contract.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            /// The severity the contract gives it (`missing-stage-gate` is a warning only
            /// on a stage; its rule says so itself).
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity),* }
            }

            pub fn parse(name: &str) -> Option<Code> {
                match name { $($name => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    NonAtomic = "non-atomic", Warning;
    NotActionable = "not-actionable", Information;
    MissingDependencies = "missing-dependencies", Warning;
    MissingStageGate = "missing-stage-gate", Warning;
    MissingCheckTasks = "missing-check-tasks", Warning;
    CheckTaskWording = "check-task-wording", Information;
    UnknownDependency = "unknown-dependency", Error;
    DependencyCycle = "dependency-cycle", Error;
    LaterStageDependency = "later-stage-dependency", Error;
    DuplicateId = "duplicate-id", Error;
    Numbering = "numbering", Warning;
    TooDeep = "too-deep", Warning;
    StageStructure = "stage-structure", Warning;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in the document: a line and a byte range within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub start: u32,
    pub end: u32,
}

impl Location {
    pub fn new(line: usize, span: Span) -> Location {
        Location {
            line,
            start: span.start,
            end: span.end,
        }
    }

    /// Moves it by `delta` lines when it stands on line `from` or below.
    pub fn shift(&mut self, from: usize, delta: isize) {
        self.line = shifted(self.line, from, delta);
    }
}

/// `line` moved by `delta` when it is `from` or below: where a line stands after lines
/// were inserted (`delta > 0`) or removed above it.
pub fn shifted(line: usize, from: usize, delta: isize) -> usize {
    if line >= from {
        line.checked_add_signed(delta)
            .expect("a line moved above the start")
    } else {
        line
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    pub related: Vec<Related>,
}

impl Finding {
    /// Moves its locations and those of its related information by `delta` lines when
    /// they stand on line `from` or below.
    pub fn shift(&mut self, from: usize, delta: isize) {
        self.location.shift(from, delta);
        for related in &mut self.related {
            related.location.shift(from, delta);
        }
    }

    /// A finding with the code's default severity and nothing related.
    pub fn new(code: Code, location: Location, message: String) -> Finding {
        Finding {
            code,
            severity: code.default_severity(),
            location,
            message,
            related: Vec::new(),
        }
    }
}

/// What the configuration changes about findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleSettings {
    pub severity: Vec<(Code, Severity)>,
    pub disabled: Vec<Code>,
}

/// Collects findings; one place decides that nothing is reported on inactive or
/// implied nodes.
pub struct Sink<'t, 'a> {
    tree: &'t TaskTree<'a>,
    findings: Vec<Finding>,
}

impl<'t, 'a> Sink<'t, 'a> {
    fn new(tree: &'t TaskTree<'a>) -> Self {
        Sink {
            tree,
            findings: Vec::new(),
        }
    }

    /// Reports about node `node` at `location`, unless that node is inactive or implied.
    pub fn report(
        &mut self,
        node: usize,
        code: Code,
        severity: Severity,
        location: Location,
        message: String,
    ) -> Option<&mut Finding> {
        let n = &self.tree.nodes[node];
        if n.inactive || n.is_implied() {
            return None;
        }
        self.findings.push(Finding {
            code,
            severity,
            location,
            message,
            related: Vec::new(),
        });
        self.findings.last_mut()
    }

    /// Reports on a node's ID.
    pub fn on_node(
        &mut self,
        node: usize,
        code: Code,
        severity: Severity,
        message: String,
    ) -> Option<&mut Finding> {
        let location = node_location(self.tree, node);
        self.report(node, code, severity, location, message)
    }
}

pub fn node_location(tree: &TaskTree, node: usize) -> Location {
    Location::new(tree.nodes[node].line, tree.nodes[node].id_span())
}

pub fn reference_location(line: usize, reference: &Reference) -> Location {
    Location::new(line, reference.span)
}

/// How messages name a node: its written keyword, else the name of its level (an implied
/// node has no keyword).
pub fn named(
    keyword: Option<crate::model::line::Keyword>,
    id: &crate::model::id::TaskId,
) -> String {
    let word = match keyword {
        Some(k) => k.as_str(),
        None => level_name(id.level()),
    };
    format!("{word} {id}")
}

/// How messages name a written node, from its own line.
pub fn line_name(node: &crate::model::line::NodeLine) -> String {
    named(node.keyword, &node.id)
}

pub fn name(tree: &TaskTree, node: usize) -> String {
    let n = &tree.nodes[node];
    named(n.keyword(), &n.id)
}

pub fn level_name(level: usize) -> &'static str {
    match level {
        1 => "Stage",
        2 => "Phase",
        4 => "Subtask",
        _ => "Task",
    }
}

/// Runs every rule and applies the settings; findings come sorted by position.
pub fn check(tree: &TaskTree, settings: &RuleSettings) -> Vec<Finding> {
    let mut findings = check_tree(tree, settings);
    findings.extend(apply_settings(
        references::References::build(tree)
            .findings()
            .cloned()
            .collect(),
        settings,
    ));
    for (i, kind) in local_targets(tree) {
        let node = &tree.nodes[i];
        let written = node.written.expect("local targets are written");
        findings.extend(check_local(
            node.line,
            written,
            kind,
            tree.three_stage(),
            settings,
        ));
    }
    sort(&mut findings);
    findings
}

/// The rules that depend on the tree's structure (IDs, spans, keywords, notes present,
/// check-task flags) but not on references, with the settings applied; unsorted. The
/// rules on references are `references::References`'.
pub fn check_tree(tree: &TaskTree, settings: &RuleSettings) -> Vec<Finding> {
    let mut sink = Sink::new(tree);
    let rules: [fn(&TaskTree, &mut Sink); 8] = [
        missing_dependencies::check,
        missing_stage_gate::check,
        missing_check_tasks::check,
        check_task_wording::check,
        duplicate_id::check,
        numbering::check,
        too_deep::check,
        stage_structure::check,
    ];
    for rule in rules {
        rule(tree, &mut sink);
    }
    apply_settings(sink.findings, settings)
}

/// What the local rules check on a node's own line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalKind {
    /// An active leaf that is not a check task: `non-atomic`, `not-actionable`.
    Leaf,
    /// An active check task: the line-level part of `check-task-wording`.
    CheckTask,
}

/// The rules that read one node's own line; `kind` says which apply (the tree decides it).
pub fn check_local(
    line: usize,
    node: &crate::model::line::NodeLine,
    kind: LocalKind,
    three_stage: bool,
    settings: &RuleSettings,
) -> Vec<Finding> {
    let findings: Vec<Finding> = match kind {
        LocalKind::Leaf => [
            non_atomic::finding(line, node),
            not_actionable::finding(line, node),
        ]
        .into_iter()
        .flatten()
        .collect(),
        LocalKind::CheckTask => check_task_wording::local_finding(line, node, three_stage)
            .into_iter()
            .collect(),
    };
    apply_settings(findings, settings)
}

/// The nodes the local rules apply to, with what applies: active written leaves.
pub fn local_targets<'t>(tree: &'t TaskTree) -> impl Iterator<Item = (usize, LocalKind)> + 't {
    (0..tree.nodes.len()).filter_map(|i| {
        if tree.nodes[i].inactive || !tree.is_leaf(i) {
            None
        } else if tree.is_check_task(i) {
            Some((i, LocalKind::CheckTask))
        } else {
            Some((i, LocalKind::Leaf))
        }
    })
}

/// Drops the disabled codes and sets the configured severities.
pub fn apply_settings(mut findings: Vec<Finding>, settings: &RuleSettings) -> Vec<Finding> {
    findings.retain(|f| !settings.disabled.contains(&f.code));
    for finding in &mut findings {
        if let Some((_, severity)) = settings.severity.iter().find(|(c, _)| *c == finding.code) {
            finding.severity = *severity;
        }
    }
    findings
}

/// The order findings are reported in: by position, then code.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (f.location, f.code));
}

/// `"a", "b" and "c"`
pub fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}
