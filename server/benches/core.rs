//! Core pipeline benchmarks on generated task lists (see `wbs_lsp::testgen`).
//!
//! `cargo bench -p wbs-lsp --bench core [-- FILTER]`, e.g. `-- '/10000$'` for the 10k
//! cases (the filter is a regex).
//! Benchmark IDs are `OPERATION/STYLE/LINES`:
//!
//! * `parse`: `Document::new` (rope, chunking, tree-sitter, line scan)
//! * `model`: `TaskTree::build`
//! * `rules`: `rules::check` with default settings
//! * `analyze`: `wbs_lsp::analyze` (model + rules), what the server runs per version
//! * `edit`: `Document::apply` of a one-character insert or delete (alternating, so the
//!   document does not grow) at one of 50 line ends spread over the document
//! * `keystroke`: the server's whole per-keystroke CPU path: `edit`, a snapshot of the
//!   chunks, `analysis::Analyzer::analyze` (which keeps the tree findings when the
//!   edit kept every line's structure), converting the findings to LSP diagnostics and
//!   serializing them. `keystroke/STYLE/LINES` types at the same 50 points as `edit` (some
//!   change structure, e.g. a check task's wording, and take the full analysis);
//!   `keystroke-leaf/STYLE/LINES` types only at the ends of plain task titles (the common
//!   case, which should take the reuse path); `keystroke-refs/STYLE/LINES` types only right
//!   after the references of Dependencies notes (`Dependencies: 1.2x`: a reference goes and
//!   comes back, which updates the reference graph but keeps the tree);
//!   `keystroke-tree/STYLE/LINES` types a digit at the end of task IDs (`1.2.3` becomes
//!   `1.2.31` and back), which changes the tree and takes the full analysis

use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use tower_lsp_server::ls_types::Uri;
use wbs_lsp::analysis::{Analyzer, ChunkLines};
use wbs_lsp::config::Config;
use wbs_lsp::document::{Document, TextEdit};
use wbs_lsp::lsp::convert::{self, Encoding};
use wbs_lsp::model::TaskTree;
use wbs_lsp::rules::{self, RuleSettings};
use wbs_lsp::testgen::{self, Style};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
/// Seed and nested lists are plain Markdown (as are the ordered, tab-indented, commented and
/// fenced styles); tables make every phase's chunk go through tree-sitter-md.
const STYLES: [Style; 3] = [Style::Seed, Style::Nested, Style::Tables];
const EDIT_POINTS: usize = 50;

/// Short runs for small inputs, few flat samples for the 100k cases.
fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, lines: usize) {
    if lines >= 100_000 {
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
    } else {
        group
            .sampling_mode(SamplingMode::Auto)
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
    }
}

fn id(style: Style, lines: usize) -> String {
    format!("{}/{lines}", style.as_str())
}

/// Byte offsets of the ends of `lines`.
fn line_end_offsets(text: &str, lines: &[usize]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    lines
        .iter()
        .map(|&line| {
            let start = starts[line];
            start + text[start..].find('\n').unwrap_or(text.len() - start)
        })
        .collect()
}

/// Lines of plain task titles (a leaf-looking node: no letter, no check verb, no notes),
/// `EDIT_POINTS` of them spread over the document.
fn leaf_lines(doc: &Document) -> Vec<usize> {
    let leaves: Vec<usize> = doc
        .line_items()
        .filter(|(_, item)| {
            item.notes.is_empty()
                && item.node().is_some_and(|n| {
                    n.id.level() >= 3 && n.id.letter().is_none() && n.check_verb.is_none()
                })
        })
        .map(|(line, _)| line)
        .collect();
    (0..EDIT_POINTS)
        .map(|k| leaves[(k * leaves.len() + leaves.len() / 2) / EDIT_POINTS])
        .collect()
}

/// Offsets right after the references of Dependencies notes, `EDIT_POINTS` of them spread
/// over the document.
fn reference_ends(text: &str) -> Vec<usize> {
    let ends: Vec<usize> = text
        .match_indices("Dependencies: ")
        .filter_map(|(i, key)| {
            let start = i + key.len();
            let rest = &text[start..];
            if !rest.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            let value = &rest[..rest.find([')', '|', '\n']).unwrap_or(rest.len())];
            Some(start + value.trim_end().len())
        })
        .collect();
    (0..EDIT_POINTS)
        .map(|k| ends[(k * ends.len() + ends.len() / 2) / EDIT_POINTS])
        .collect()
}

/// Offsets right after the IDs of the plain task titles of `leaf_lines`.
fn id_ends(doc: &Document) -> Vec<usize> {
    leaf_lines(doc)
        .into_iter()
        .map(|line| {
            let item = doc.line_items().nth(line).expect("a line").1;
            let node = item.node().expect("a node");
            doc.rope().line_to_byte(line) + node.id_span.end as usize
        })
        .collect()
}

/// Alternately inserts a character at the next point and deletes it again.
struct Typist {
    offsets: Vec<usize>,
    step: usize,
    /// The character typed (one byte).
    typed: char,
}

impl Typist {
    /// Types at the ends of lines spread over the whole text.
    fn new(text: &str) -> Typist {
        Typist::at_lines(text, &testgen::edit_lines(text, EDIT_POINTS))
    }

    fn at_lines(text: &str, lines: &[usize]) -> Typist {
        Typist::at_offsets(line_end_offsets(text, lines))
    }

    fn at_offsets(offsets: Vec<usize>) -> Typist {
        Typist {
            offsets,
            step: 0,
            typed: 'x',
        }
    }

    fn typing(self, typed: char) -> Typist {
        Typist { typed, ..self }
    }

    fn next_edit(&mut self) -> TextEdit {
        let at = self.offsets[(self.step / 2) % self.offsets.len()];
        let edit = if self.step.is_multiple_of(2) {
            TextEdit {
                range: Some(at..at),
                text: self.typed.into(),
            }
        } else {
            TextEdit {
                range: Some(at..at + 1),
                text: String::new(),
            }
        };
        self.step += 1;
        edit
    }
}

fn texts() -> Vec<(Style, usize, String)> {
    let mut out = Vec::new();
    for lines in SIZES {
        for style in STYLES {
            out.push((style, lines, testgen::task_list(lines, style)));
        }
    }
    out
}

/// Documents are built inside the benchmark closures (which run only for benchmarks the
/// filter selects) and cached there, so a filter such as `-- '/10000$'` never parses the
/// 100k documents.
fn bench_core(c: &mut Criterion) {
    let texts = texts();
    let config = Config::default();
    let settings = RuleSettings::default();

    let mut group = c.benchmark_group("parse");
    for (style, lines, text) in &texts {
        configure(&mut group, *lines);
        group.bench_function(id(*style, *lines), |b| {
            b.iter(|| Document::new(black_box(text), 1))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("model");
    for (style, lines, text) in &texts {
        configure(&mut group, *lines);
        let mut doc = None;
        group.bench_function(id(*style, *lines), |b| {
            let doc = doc.get_or_insert_with(|| Document::new(text, 1));
            b.iter(|| TaskTree::build(black_box(doc), None).nodes.len())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("rules");
    for (style, lines, text) in &texts {
        configure(&mut group, *lines);
        let mut doc = None;
        group.bench_function(id(*style, *lines), |b| {
            let doc = doc.get_or_insert_with(|| Document::new(text, 1));
            let tree = TaskTree::build(doc, None);
            b.iter(|| rules::check(black_box(&tree), &settings))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("analyze");
    for (style, lines, text) in &texts {
        configure(&mut group, *lines);
        let mut doc = None;
        group.bench_function(id(*style, *lines), |b| {
            let doc = doc.get_or_insert_with(|| Document::new(text, 1));
            b.iter(|| wbs_lsp::analyze(black_box(&*doc).line_items(), &config))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("edit");
    for (style, lines, text) in &texts {
        configure(&mut group, *lines);
        let mut state = None;
        group.bench_function(id(*style, *lines), |b| {
            let (doc, typist) =
                state.get_or_insert_with(|| (Document::new(text, 1), Typist::new(text)));
            b.iter(|| {
                let edit = typist.next_edit();
                doc.apply(black_box(&edit));
            })
        });
    }
    group.finish();

    let uri = Uri::from_str("file:///bench/tasks_bench.md").expect("a valid URI");
    for (name, points) in [
        ("keystroke", Points::Spread),
        ("keystroke-leaf", Points::Leaves),
        ("keystroke-refs", Points::References),
        ("keystroke-tree", Points::Ids),
    ] {
        let mut group = c.benchmark_group(name);
        for (style, lines, text) in &texts {
            configure(&mut group, *lines);
            let mut state = None;
            group.bench_function(id(*style, *lines), |b| {
                let (doc, typist, analyzer) = state.get_or_insert_with(|| {
                    let doc = Document::new(text, 1);
                    let typist = match points {
                        Points::Spread => Typist::new(text),
                        Points::Leaves => Typist::at_lines(text, &leaf_lines(&doc)),
                        Points::References => Typist::at_offsets(reference_ends(text)),
                        Points::Ids => Typist::at_offsets(id_ends(&doc)).typing('1'),
                    };
                    let mut analyzer = Analyzer::default();
                    analyzer.analyze(&snapshot(&doc), &config);
                    (doc, typist, analyzer)
                });
                b.iter(|| {
                    let edit = typist.next_edit();
                    doc.apply(black_box(&edit));
                    let diagnostics: Vec<_> = analyzer
                        .analyze(&snapshot(doc), &config)
                        .iter()
                        .map(|f| convert::diagnostic(doc.rope(), f, Encoding::Utf16, &uri))
                        .collect();
                    serde_json::to_string(&diagnostics).expect("serializable")
                })
            });
        }
        group.finish();
    }
}

/// Where a keystroke benchmark types.
#[derive(Clone, Copy)]
enum Points {
    /// At line ends spread over the document.
    Spread,
    /// At the ends of plain task titles.
    Leaves,
    /// Right after the references of Dependencies notes.
    References,
    /// Right after task IDs.
    Ids,
}

/// What the server hands the analysis: each chunk's first line and its scanned lines.
fn snapshot(doc: &Document) -> Vec<ChunkLines> {
    doc.chunks()
        .iter()
        .map(|c| (c.start_line, c.lines.clone()))
        .collect()
}

criterion_group!(benches, bench_core);
criterion_main!(benches);
