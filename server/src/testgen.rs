//! Deterministic task-list generator for benchmarks and tests.
//!
//! [`task_list`] writes a three-stage plan of roughly the requested number of lines, in the
//! seed's paragraph style or as nested checkbox lists. Almost everything is valid (every
//! leaf is one action starting with a verb, every group has its three check tasks worded
//! for its stage, every group has its notes); about one deliberate defect per 2,000 lines
//! (at least one) keeps the diagnostics non-empty. The output depends only on the
//! arguments: a tiny fixed-seed LCG stands in for randomness.

use std::fmt::Write as _;

/// How the plan is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `### Stage N: CORE – …` headings, `(Dependencies: … | Stage Gate: …)` notes,
    /// phases `1.1 Title (…)`, tasks indented two spaces, check tasks `1.1.A …` after a
    /// blank line.
    Seed,
    /// `- [ ] **1.1** Title` list items with notes as sub-bullets, children two spaces
    /// deeper.
    Nested,
    /// As `Nested`, with ordered list markers (`1. [ ] **1.1** Title`, children three
    /// spaces deeper).
    Ordered,
    /// As `Nested`, indented with tabs.
    Tabs,
    /// As `Nested`, with an HTML comment before each phase's check tasks.
    Commented,
    /// As `Nested`, with a fenced code block before each phase's check tasks.
    Fenced,
    /// As `Nested`, with a table before each phase's check tasks. The plain-chunk scan
    /// (`syntax::plain`) leaves tables to tree-sitter-md, so every chunk holding one is
    /// parsed by it: the slow path, for benchmarks.
    Tables,
}

impl Style {
    pub const ALL: [Style; 7] = [
        Style::Seed,
        Style::Nested,
        Style::Ordered,
        Style::Tabs,
        Style::Commented,
        Style::Fenced,
        Style::Tables,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Style::Seed => "seed",
            Style::Nested => "nested",
            Style::Ordered => "ordered",
            Style::Tabs => "tabs",
            Style::Commented => "commented",
            Style::Fenced => "fenced",
            Style::Tables => "tables",
        }
    }

    pub fn parse(name: &str) -> Option<Style> {
        Style::ALL.into_iter().find(|style| style.as_str() == name)
    }
}

/// Leaf titles: one action each, starting with a verb from the clause analyser's list.
const ACTIONS: [&str; 20] = [
    "Implement the order repository",
    "Implement the retry policy",
    "Implement request validation",
    "Implement the session store",
    "Add a health endpoint",
    "Add structured logging",
    "Add a rate limiter",
    "Add the cache layer",
    "Configure the metrics exporter",
    "Configure the settings loader",
    "Configure the connection pool",
    "Configure the audit log writer",
    "Write unit tests for the parser",
    "Write a migration script",
    "Write the fixture loader",
    "Write an admin report",
    "Create the event publisher",
    "Create the database schema",
    "Create the deployment manifest",
    "Create the seed data set",
];

const AREAS: [&str; 12] = [
    "Catalog",
    "Billing",
    "Inventory",
    "Shipping",
    "Accounts",
    "Search",
    "Reporting",
    "Notifications",
    "Payments",
    "Pricing",
    "Returns",
    "Scheduling",
];

const PARTS: [&str; 6] = [
    "Foundation",
    "Service",
    "Storage",
    "Interface",
    "Pipeline",
    "Harness",
];

const STAGE_TITLES: [&str; 3] = [
    "CORE – Foundations & Test Harness",
    "INTEGRATION – Live Data & Partner Systems",
    "POLISH – Production Readiness",
];

/// The defects, used in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Defect {
    NonAtomic,
    MissingVerify,
    UnknownDependency,
    NumberingGap,
    NotActionable,
    DuplicateId,
    MissingStageGate,
    LaterStageDependency,
}

const DEFECTS: [Defect; 8] = [
    Defect::NonAtomic,
    Defect::MissingVerify,
    Defect::LaterStageDependency,
    Defect::UnknownDependency,
    Defect::NumberingGap,
    Defect::NotActionable,
    Defect::DuplicateId,
    Defect::MissingStageGate,
];

/// One deliberate defect per this many lines.
const DEFECT_EVERY: usize = 2_000;

/// A task list of roughly `lines` lines (never fewer, at most one phase more) in `style`.
pub fn task_list(lines: usize, style: Style) -> String {
    let mut g = Gen {
        out: String::with_capacity(lines * 64),
        lines: 0,
        rng: 0x2545_f491_4f6c_dd1d,
        style,
        next_defect: (lines / 2).min(DEFECT_EVERY / 2),
        defects_done: 0,
    };
    g.line("# Generated Plan – Task List");
    g.blank();
    let mut last_phase = [0u32; 3];
    for stage in 1..=3u32 {
        let stage_end = lines * stage as usize / 3;
        g.stage_heading(stage);
        let mut phase = 0;
        while phase == 0 || g.lines < stage_end {
            phase += 1;
            g.phase(stage, phase, &last_phase);
        }
        last_phase[stage as usize - 1] = phase;
    }
    g.out
}

/// Lines of `text` spread evenly over it, `count` of them, each moved down to the next
/// line that is not blank: where benchmarks type.
pub fn edit_lines(text: &str, count: usize) -> Vec<usize> {
    let lines: Vec<&str> = text.split('\n').collect();
    let total = lines.len();
    if total == 0 || count == 0 {
        return Vec::new();
    }
    (0..count)
        .map(|k| {
            let mut line = (k * total + total / 2) / count;
            while line + 1 < total && lines[line].trim().is_empty() {
                line += 1;
            }
            line.min(total - 1)
        })
        .collect()
}

struct Gen {
    out: String,
    lines: usize,
    rng: u64,
    style: Style,
    next_defect: usize,
    defects_done: usize,
}

impl Gen {
    fn next(&mut self) -> u32 {
        self.rng = self
            .rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.rng >> 33) as u32
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.next() % (hi - lo + 1)
    }

    fn one_in(&mut self, n: u32) -> bool {
        self.next().is_multiple_of(n)
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
        self.lines += 1;
    }

    fn blank(&mut self) {
        self.line("");
    }

    /// The defect to write in the phase starting now, if one is due.
    fn defect_due(&mut self, stage: u32) -> Option<Defect> {
        if self.lines < self.next_defect {
            return None;
        }
        self.next_defect += DEFECT_EVERY;
        let mut defect = DEFECTS[self.defects_done % DEFECTS.len()];
        self.defects_done += 1;
        if defect == Defect::LaterStageDependency && stage == 3 {
            defect = Defect::UnknownDependency;
        }
        Some(defect)
    }

    fn action(&mut self, salt: u32) -> String {
        let action = ACTIONS[self.next() as usize % ACTIONS.len()];
        format!("{action} for module {salt}")
    }

    fn gate(&mut self) -> &'static str {
        const GATES: [&str; 4] = [
            "every unit test passes against seed data",
            "the service answers its health check",
            "the integration suite is green",
            "the review checklist is complete",
        ];
        GATES[self.next() as usize % GATES.len()]
    }

    fn stage_heading(&mut self, stage: u32) {
        let deps = if stage == 1 {
            "None".to_string()
        } else {
            format!("Stage {} complete", stage - 1)
        };
        let gate = self.gate();
        let title = STAGE_TITLES[stage as usize - 1];
        match self.style {
            Style::Seed => {
                if stage > 1 {
                    self.line("---");
                    self.blank();
                }
                self.line(&format!("### Stage {stage}: {title}"));
                self.line(&format!("(Dependencies: {deps} | Stage Gate: {gate})"));
            }
            _ => {
                if stage > 1 {
                    self.blank();
                }
                self.line(&format!("## Stage {stage}: {title}"));
                self.line(&format!("- Dependencies: {deps}"));
                self.line(&format!("- **Stage Gate:** {gate}"));
            }
        }
        self.blank();
    }

    /// A node line with its notes (`notes` = `None` for a leaf).
    fn node(&mut self, depth: usize, id: &str, title: &str, notes: Option<(&str, Option<&str>)>) {
        // The marker, the node's indentation, and its notes' (the item's content column).
        let (marker, indent, notes_indent) = match self.style {
            Style::Ordered => ("1.", "   ".repeat(depth), "   ".repeat(depth + 1)),
            Style::Tabs => ("-", "\t".repeat(depth), "\t".repeat(depth + 1)),
            _ => ("-", "  ".repeat(depth), "  ".repeat(depth + 1)),
        };
        match self.style {
            Style::Seed => {
                let mut line = format!("{indent}{id} {title}");
                if let Some((deps, gate)) = notes {
                    match gate {
                        Some(gate) => {
                            let _ = write!(line, " (Dependencies: {deps} | Stage Gate: {gate})");
                        }
                        None => {
                            let _ = write!(line, " (Dependencies: {deps})");
                        }
                    }
                }
                self.line(&line);
            }
            _ => {
                let done = if self.one_in(5) { 'x' } else { ' ' };
                self.line(&format!("{indent}{marker} [{done}] **{id}** {title}"));
                if let Some((deps, gate)) = notes {
                    self.line(&format!("{notes_indent}- Dependencies: {deps}"));
                    if let Some(gate) = gate {
                        self.line(&format!("{notes_indent}- **Stage Gate:** {gate}"));
                    }
                }
            }
        }
    }

    /// The three check tasks closing group `id` (at `depth`), without the Verify one when
    /// `skip_verify`.
    fn check_tasks(&mut self, depth: usize, stage: u32, id: &str, skip_verify: bool) {
        let validate = match stage {
            1 => format!("Validate core functionality of Task {id}"),
            2 => format!("Validate integration of Task {id}"),
            _ => format!("Validate production readiness of Task {id}"),
        };
        let document = match stage {
            1 => format!("Document Task {id} implementation"),
            2 => format!("Document Task {id} integration results"),
            _ => format!("Document Task {id} production deployment"),
        };
        self.node(depth, &format!("{id}.A"), &validate, None);
        if !skip_verify {
            self.node(
                depth,
                &format!("{id}.B"),
                &format!("Verify Task {id}"),
                None,
            );
        }
        self.node(depth, &format!("{id}.C"), &document, None);
    }

    fn phase(&mut self, stage: u32, phase: u32, last_phase: &[u32; 3]) {
        let defect = self.defect_due(stage);
        let id = format!("{stage}.{phase}");
        let area = AREAS[self.next() as usize % AREAS.len()];
        let part = PARTS[self.next() as usize % PARTS.len()];
        let title = format!("{area} {part} {phase}");
        let mut deps = if phase > 1 {
            format!("{stage}.{}", phase - 1)
        } else if stage > 1 {
            format!("{}.{}", stage - 1, last_phase[stage as usize - 2])
        } else {
            "None".to_string()
        };
        if stage > 1 && phase > 1 && self.one_in(4) {
            let earlier = self.range(1, last_phase[stage as usize - 2]);
            let _ = write!(deps, ", {}.{earlier}", stage - 1);
        }
        match defect {
            Some(Defect::UnknownDependency) => deps.push_str(", 7.1"),
            // A stage 3 leaf: it depends on nothing, so this makes no cycle.
            Some(Defect::LaterStageDependency) => deps.push_str(", 3.1.1"),
            _ => {}
        }
        let gate = self.gate();
        let gate = (defect != Some(Defect::MissingStageGate)).then_some(gate);
        self.node(0, &id, &title, Some((&deps, gate)));

        let tasks = self.range(3, 6);
        let defect_task = self.range(2, tasks);
        let mut number = 0;
        for t in 1..=tasks {
            number += 1;
            if t == defect_task {
                match defect {
                    Some(Defect::NumberingGap) => number += 1,
                    Some(Defect::DuplicateId) if number > 1 => number -= 1,
                    _ => {}
                }
            }
            let task_id = format!("{id}.{number}");
            let salt = stage * 1000 + phase;
            if t > 1 && self.one_in(8) && defect.is_none() {
                self.subtask_group(1, stage, &task_id, &format!("{id}.{}", number - 1));
                continue;
            }
            let title = match defect {
                Some(Defect::NonAtomic) if t == defect_task => {
                    format!("Implement the export job for module {salt} and write its tests")
                }
                Some(Defect::NotActionable) if t == defect_task => {
                    format!("Database migration for module {salt}")
                }
                _ => self.action(salt),
            };
            self.node(1, &task_id, &title, None);
        }
        match self.style {
            Style::Seed => {
                self.blank();
                self.check_tasks(0, stage, &id, defect == Some(Defect::MissingVerify));
                self.blank();
            }
            _ => {
                let extra = match self.style {
                    Style::Commented => {
                        vec!["  <!-- reviewed: the checks below close this phase -->".into()]
                    }
                    Style::Fenced => vec![
                        "  ```sh".into(),
                        format!("  make check PHASE={id}"),
                        "  ```".into(),
                    ],
                    Style::Tables => vec![
                        "  | Check | Owner |".into(),
                        "  |---|---|".into(),
                        format!("  | make check PHASE={id} | CI |"),
                    ],
                    _ => Vec::new(),
                };
                for line in extra {
                    self.line(&line);
                }
                self.check_tasks(1, stage, &id, defect == Some(Defect::MissingVerify));
            }
        }
    }

    /// A task (or subtask) with children, at `depth`; it depends on its previous sibling.
    fn subtask_group(&mut self, depth: usize, stage: u32, id: &str, previous: &str) {
        let gate = self.gate();
        let salt = self.range(1, 999);
        let title = self.action(salt);
        self.node(depth, id, &title, Some((previous, Some(gate))));
        let children = self.range(2, 4);
        let level = id.split('.').count();
        for c in 1..=children {
            let child_id = format!("{id}.{c}");
            // Five levels at most: a subtask (level 4) may hold atomic tasks, no deeper.
            if level < 4 && c > 1 && self.one_in(3) {
                self.subtask_group(depth + 1, stage, &child_id, &format!("{id}.{}", c - 1));
            } else {
                let title = self.action(salt);
                self.node(depth + 1, &child_id, &title, None);
            }
        }
        self.check_tasks(depth + 1, stage, id, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::document::Document;
    use crate::rules::Code;

    fn findings(text: &str) -> Vec<Code> {
        let doc = Document::new(text, 1);
        crate::analyze(doc.line_items(), &Config::default())
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn sizes_are_close_and_output_is_deterministic() {
        for style in Style::ALL {
            for lines in [1_000, 10_000] {
                let text = task_list(lines, style);
                let n = text.lines().count();
                assert!((lines..lines + 150).contains(&n), "{style:?} {lines}: {n}");
                assert_eq!(text, task_list(lines, style));
            }
        }
    }

    #[test]
    fn only_the_deliberate_defects_are_reported() {
        for style in Style::ALL {
            let text = task_list(10_000, style);
            let codes = findings(&text);
            // Five defects; a gap or a duplicate may be reported twice (the node and its
            // next sibling).
            assert!((5..=8).contains(&codes.len()), "{style:?}: {codes:?}");
            // All eight kinds, each about once, and no cycle.
            let codes = findings(&task_list(20_000, style));
            assert!((10..=14).contains(&codes.len()), "{style:?}: {codes:?}");
            assert!(
                codes.contains(&Code::LaterStageDependency),
                "{style:?}: {codes:?}"
            );
            assert!(
                !codes.contains(&Code::DependencyCycle),
                "{style:?}: {codes:?}"
            );
            let one = findings(&task_list(1_000, style));
            assert_eq!(one, [Code::NonAtomic], "{style:?}");
        }
    }

    #[test]
    fn spread_lines_are_not_blank() {
        let text = task_list(1_000, Style::Seed);
        let lines: Vec<&str> = text.lines().collect();
        let spread = edit_lines(&text, 50);
        assert_eq!(spread.len(), 50);
        assert!(spread.windows(2).all(|w| w[0] <= w[1]));
        assert!(spread.iter().all(|&l| !lines[l].trim().is_empty()));
    }
}
