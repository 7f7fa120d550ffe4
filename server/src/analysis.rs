//! Analysis of one document across its versions.
//!
//! Rebuilding the task tree and running every rule costs tens of milliseconds on a
//! 100,000-line list, while a keystroke usually edits one line. Findings split in three:
//!
//! * tree findings depend only on each line's *tree structure* (IDs and their spans,
//!   keywords, notes present, check-task verbs, the task a worded check task names, a
//!   stage's first word);
//! * reference findings (`unknown-dependency`, `later-stage-dependency`,
//!   `dependency-cycle`) depend on the tree and on the references, which
//!   `rules::references::References` keeps as a graph that can be updated line by line;
//! * local findings (`non-atomic`, `not-actionable`, and the line-level part of
//!   `check-task-wording`) depend on one node's own line.
//!
//! The chunks an edit replaced are compared line by line with the ones they replace
//! (`Diff`). When every line keeps its tree structure, and the lines inserted or removed
//! are ones the tree never sees (blank lines, prose, code), the tree findings still hold:
//! what stands below the edit moves by the lines inserted, the local rules run again on the
//! replaced lines' nodes, and the lines whose references changed are set again in the
//! reference graph, which rechecks only their references and searches for cycles only from
//! the nodes whose edges changed. Anything else (a changed tree structure, other settings)
//! builds the tree again and runs the tree rules; the reference graph is then built by the
//! same update with every line changed, and the local findings of the chunks the edit kept
//! are taken over.

use std::sync::Arc;

use crate::config::Config;
use crate::model::line::{ItemKind, LineItem, NodeLine};
use crate::model::{Profile, TaskTree};
use crate::rules::references::References;
use crate::rules::{self, Code, Finding, LocalKind, RuleSettings};

/// A chunk as the analysis sees it: its first line and its scanned lines.
pub type ChunkLines = (usize, Arc<[LineItem]>);

#[derive(Default)]
pub struct Analyzer {
    cache: Option<Cache>,
    /// Whether the last analysis reused the tree findings.
    reused: bool,
}

struct Cache {
    profile: Option<Profile>,
    rules: RuleSettings,
    chunks: Vec<ChunkLines>,
    /// With the settings applied, in the rules' order.
    tree_findings: Vec<Finding>,
    references: References,
    /// Lines of the nodes the local rules apply to, with what applies, sorted by line.
    local_targets: Vec<(usize, LocalKind)>,
    three_stage: bool,
    /// Local findings, sorted by line.
    local: Vec<Finding>,
}

impl Analyzer {
    /// The findings of the document made of `chunks`, sorted like `rules::check`.
    pub fn analyze(&mut self, chunks: &[ChunkLines], config: &Config) -> Vec<Finding> {
        if let Some(findings) = self.reuse(chunks, config) {
            self.reused = true;
            return findings;
        }
        self.reused = false;
        self.full(chunks, config)
    }

    /// Whether the last analysis reused the tree findings of the one before (it kept the
    /// tree; references may have changed).
    pub fn reused(&self) -> bool {
        self.reused
    }

    fn full(&mut self, chunks: &[ChunkLines], config: &Config) -> Vec<Finding> {
        let tree = TaskTree::from_lines(line_items(chunks), config.profile);
        let tree_findings = rules::check_tree(&tree, &config.rules);
        let references = References::build(&tree);
        let three_stage = tree.three_stage();
        // The local findings of the lines the edit kept, where the same rules apply, are
        // those of the last version.
        let old = self
            .cache
            .take()
            .filter(|c| c.rules == config.rules && c.three_stage == three_stage);
        let mut earlier = old.as_ref().map(|c| Earlier::new(c, chunks));
        let mut local_targets = Vec::new();
        let mut local = Vec::new();
        for (i, kind) in rules::local_targets(&tree) {
            let node = &tree.nodes[i];
            local_targets.push((node.line, kind));
            if let Some(found) = earlier.as_mut().and_then(|e| e.local(node.line, kind)) {
                local.extend(found);
                continue;
            }
            let written = node.written.expect("local targets are written");
            local.extend(rules::check_local(
                node.line,
                written,
                kind,
                three_stage,
                &config.rules,
            ));
        }
        drop(tree);
        self.cache = Some(Cache {
            profile: config.profile,
            rules: config.rules.clone(),
            chunks: chunks.to_vec(),
            tree_findings,
            references,
            local_targets,
            three_stage,
            local,
        });
        self.result()
    }

    /// Updates the cached findings when the tree structure is unchanged.
    fn reuse(&mut self, chunks: &[ChunkLines], config: &Config) -> Option<Vec<Finding>> {
        let cache = self.cache.as_mut()?;
        if cache.profile != config.profile || cache.rules != config.rules {
            return None;
        }
        let diff = Diff::between(&cache.chunks, chunks)?;
        if diff.delta != 0 {
            cache.shift(chunks, diff.shift_from, diff.delta);
        }
        // The local rules again on the nodes of the replaced lines.
        let (start, end) = (diff.start, diff.new_end);
        cache
            .local
            .retain(|f| f.location.line < start || f.location.line >= end);
        let first = cache.local_targets.partition_point(|&(l, _)| l < start);
        for &(line, kind) in cache.local_targets[first..]
            .iter()
            .take_while(|&&(l, _)| l < end)
        {
            if let Some(node) = item_at(chunks, line).and_then(LineItem::node) {
                let found = rules::check_local(line, node, kind, cache.three_stage, &config.rules);
                cache.local.extend(found);
            }
        }
        cache.local.sort_by_key(|f| f.location.line);
        for line in diff.reference_lines {
            let item = item_at(chunks, line).expect("a changed line");
            let owner = owner(chunks, line, &cache.references);
            cache.references.set_line(line, owner, item.notes.iter());
        }
        cache.references.settle();
        cache.chunks.truncate(diff.prefix);
        cache.chunks.extend_from_slice(&chunks[diff.prefix..]);
        Some(self.result())
    }

    fn result(&self) -> Vec<Finding> {
        let cache = self.cache.as_ref().expect("a cache");
        let references =
            rules::apply_settings(cache.references.findings().cloned().collect(), &cache.rules);
        let mut findings =
            Vec::with_capacity(cache.tree_findings.len() + references.len() + cache.local.len());
        // Tree findings before local ones, as in `rules::check`: the sort keeps the order
        // of findings with the same place and code.
        findings.extend(cache.tree_findings.iter().cloned());
        findings.extend(references);
        findings.extend(cache.local.iter().cloned());
        rules::sort(&mut findings);
        findings
    }
}

impl Cache {
    /// Moves what stands on line `from` or below by `delta` lines (`chunks`: the new
    /// version, whose lines from `from + delta` on are the old ones from `from` on).
    fn shift(&mut self, chunks: &[ChunkLines], from: usize, delta: isize) {
        for finding in &mut self.tree_findings {
            let first_line = |f: &Finding| f.related.first().map(|r| r.location.line);
            let before = first_line(finding);
            finding.shift(from, delta);
            // A duplicate's message names the line of the first occurrence.
            if finding.code == Code::DuplicateId && first_line(finding) != before {
                let id = item_at(chunks, finding.location.line).and_then(LineItem::node);
                if let (Some(node), Some(line)) = (id, first_line(finding)) {
                    finding.message = rules::duplicate_id::message(&node.id, line);
                }
            }
        }
        let first = self.local_targets.partition_point(|&(l, _)| l < from);
        for (line, _) in &mut self.local_targets[first..] {
            *line = rules::shifted(*line, from, delta);
        }
        for finding in &mut self.local {
            finding.shift(from, delta);
        }
        self.references.shift(from, delta);
    }
}

/// Where two versions of a document differ, as the findings see it: new lines
/// `start..new_end` replaced old lines `start..old_end`; the old lines from `shift_from` on
/// moved by `delta`. `None` when the tree's structure changed.
struct Diff {
    /// Chunks kept before the change.
    prefix: usize,
    start: usize,
    new_end: usize,
    shift_from: usize,
    delta: isize,
    /// New lines whose references changed.
    reference_lines: Vec<usize>,
}

impl Diff {
    /// Chunks the edit kept (the same lines, moved or not) are not read. In the replaced
    /// ones, lines are paired from the start and from the end while they keep their tree
    /// structure; what remains in between, on both sides, must be lines that are neither
    /// nodes, nor notes, nor headings (blank lines, prose, code): the tree never sees them,
    /// so inserting or removing them only moves lines.
    fn between(old: &[ChunkLines], new: &[ChunkLines]) -> Option<Diff> {
        let Kept {
            prefix,
            suffix,
            delta,
            start,
            ..
        } = Kept::between(old, new);
        let (old_mid, new_mid) = (
            &old[prefix..old.len() - suffix],
            &new[prefix..new.len() - suffix],
        );
        let (old_lines, new_lines) = (flat_lines(old_mid), flat_lines(new_mid));
        let (m, n) = (old_lines.len(), new_lines.len());
        if n as isize - m as isize != delta {
            return None;
        }
        let mut reference_lines = Vec::new();
        let mut same = 0;
        while same < m.min(n) {
            match change(old_lines[same], new_lines[same]) {
                Change::Tree => break,
                Change::References => reference_lines.push(start + same),
                Change::None => {}
            }
            same += 1;
        }
        let mut same_end = 0;
        while same_end < m.min(n) - same {
            let (a, b) = (old_lines[m - 1 - same_end], new_lines[n - 1 - same_end]);
            match change(a, b) {
                Change::Tree => break,
                Change::References => reference_lines.push(start + n - 1 - same_end),
                Change::None => {}
            }
            same_end += 1;
        }
        let unseen = |l: &&LineItem| matches!(l.kind, ItemKind::Other);
        if !old_lines[same..m - same_end].iter().all(unseen)
            || !new_lines[same..n - same_end].iter().all(unseen)
        {
            return None;
        }
        Some(Diff {
            prefix,
            start,
            new_end: start + n,
            shift_from: start + m - same_end,
            delta,
            reference_lines,
        })
    }
}

/// The chunks an edit kept: the first `prefix` ones, on the same lines, and the last
/// `suffix` ones, moved by `delta` lines. Old lines `start..old_end` became new lines
/// `start..new_end`.
struct Kept {
    prefix: usize,
    suffix: usize,
    delta: isize,
    start: usize,
    old_end: usize,
    new_end: usize,
}

impl Kept {
    fn between(old: &[ChunkLines], new: &[ChunkLines]) -> Kept {
        let total = |chunks: &[ChunkLines]| chunks.last().map_or(0, |(s, l)| s + l.len());
        let delta = total(new) as isize - total(old) as isize;
        let kept = |(a_start, a): &ChunkLines, (b_start, b): &ChunkLines, d: isize| {
            Arc::ptr_eq(a, b) && *b_start as isize == *a_start as isize + d
        };
        let prefix = old
            .iter()
            .zip(new)
            .take_while(|(a, b)| kept(a, b, 0))
            .count();
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(old.len().min(new.len()) - prefix)
            .take_while(|(a, b)| kept(a, b, delta))
            .count();
        let start = prefix
            .checked_sub(1)
            .map_or(0, |p| old[p].0 + old[p].1.len());
        let end = |chunks: &[ChunkLines]| match suffix {
            0 => total(chunks),
            _ => chunks[chunks.len() - suffix].0,
        };
        Kept {
            prefix,
            suffix,
            delta,
            start,
            old_end: end(old).max(start),
            new_end: end(new).max(start),
        }
    }

    /// The old line of new line `line`, when its chunk was kept.
    fn old_line(&self, line: usize) -> Option<usize> {
        if line < self.start {
            Some(line)
        } else if line >= self.new_end {
            line.checked_add_signed(-self.delta)
                .filter(|&l| l >= self.old_end)
        } else {
            None
        }
    }
}

/// The local findings of the last version, read in line order.
struct Earlier<'c> {
    kept: Kept,
    targets: &'c [(usize, LocalKind)],
    local: &'c [Finding],
}

impl<'c> Earlier<'c> {
    fn new(cache: &'c Cache, chunks: &[ChunkLines]) -> Earlier<'c> {
        Earlier {
            kept: Kept::between(&cache.chunks, chunks),
            targets: &cache.local_targets,
            local: &cache.local,
        }
    }

    /// The local findings of new line `line`, with what applies there, when its chunk was
    /// kept and the same applied there; lines must come in increasing order.
    fn local(&mut self, line: usize, kind: LocalKind) -> Option<Vec<Finding>> {
        let old = self.kept.old_line(line)?;
        let skip = self.targets.partition_point(|&(l, _)| l < old);
        self.targets = &self.targets[skip..];
        if self.targets.first() != Some(&(old, kind)) {
            return None;
        }
        let skip = self.local.partition_point(|f| f.location.line < old);
        self.local = &self.local[skip..];
        let here = self.local.partition_point(|f| f.location.line == old);
        let delta = line as isize - old as isize;
        Some(
            self.local[..here]
                .iter()
                .map(|f| {
                    let mut f = f.clone();
                    f.shift(old, delta);
                    f
                })
                .collect(),
        )
    }
}

fn flat_lines(chunks: &[ChunkLines]) -> Vec<&LineItem> {
    chunks.iter().flat_map(|(_, l)| l.iter()).collect()
}

/// The scanned line `line` of `chunks`.
fn item_at(chunks: &[ChunkLines], line: usize) -> Option<&LineItem> {
    let j = chunks
        .partition_point(|(start, _)| *start <= line)
        .checked_sub(1)?;
    let (start, lines) = &chunks[j];
    lines.get(line - start)
}

/// The lines of `chunks` with their numbers; its size hint is exact (the tree sizes its
/// vectors by it).
pub fn line_items(chunks: &[ChunkLines]) -> impl Iterator<Item = (usize, &LineItem)> {
    let count = chunks.iter().map(|(_, lines)| lines.len()).sum();
    ExactCount {
        inner: chunks
            .iter()
            .flat_map(|(start, lines)| lines.iter().enumerate().map(move |(i, l)| (start + i, l))),
        remaining: count,
    }
}

struct ExactCount<I> {
    inner: I,
    remaining: usize,
}

impl<I: Iterator> Iterator for ExactCount<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        self.remaining = self.remaining.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// The node that the notes on `line` belong to (`TaskTree::from_lines`): the node of that
/// line, or for a notes line the node above it, unless a heading comes between.
fn owner(chunks: &[ChunkLines], line: usize, references: &References) -> Option<usize> {
    match item_at(chunks, line)?.kind {
        ItemKind::Node(_) => return references.node_at(line),
        ItemKind::Notes => {}
        ItemKind::Heading | ItemKind::Other => return None,
    }
    let j = chunks.partition_point(|(start, _)| *start <= line) - 1;
    let above = chunks[..=j].iter().rev().flat_map(|(start, lines)| {
        let end = (line - start).min(lines.len());
        lines[..end]
            .iter()
            .enumerate()
            .rev()
            .map(move |(i, l)| (start + i, l))
    });
    for (line, item) in above {
        match item.kind {
            ItemKind::Node(_) => return references.node_at(line),
            ItemKind::Heading => return None,
            ItemKind::Notes | ItemKind::Other => {}
        }
    }
    None
}

/// How a line changed, as the findings see it.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    /// Not at all, outside its local rules.
    None,
    /// In its references only.
    References,
    /// In the tree structure.
    Tree,
}

fn change(a: &LineItem, b: &LineItem) -> Change {
    if a.inactive != b.inactive || a.notes.len() != b.notes.len() {
        return Change::Tree;
    }
    let same_kind = match (&a.kind, &b.kind) {
        (ItemKind::Node(x), ItemKind::Node(y)) => same_node_structure(x, y),
        (ItemKind::Notes, ItemKind::Notes)
        | (ItemKind::Heading, ItemKind::Heading)
        | (ItemKind::Other, ItemKind::Other) => true,
        _ => false,
    };
    if !same_kind {
        return Change::Tree;
    }
    let mut same_refs = true;
    for (x, y) in a.notes.iter().zip(b.notes.iter()) {
        if x.key != y.key || x.is_present() != y.is_present() {
            return Change::Tree;
        }
        same_refs &= x.refs == y.refs;
    }
    if same_refs {
        Change::None
    } else {
        Change::References
    }
}

fn same_node_structure(a: &NodeLine, b: &NodeLine) -> bool {
    a.id == b.id
        && a.id_span == b.id_span
        && a.keyword == b.keyword
        && a.check_verb == b.check_verb
        // A letter ID is a check task whatever it names; a worded leaf is one only when
        // it names its group, so what it names is structure.
        && (a.id.letter().is_some() || a.named_task == b.named_task)
        && (a.id.level() != 1 || first_word(&a.title) == first_word(&b.title))
}

fn first_word(title: &str) -> &str {
    let start = title.find(char::is_alphanumeric).unwrap_or(title.len());
    let rest = &title[start..];
    &rest[..rest
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(rest.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Document, TextEdit};

    fn chunks(doc: &Document) -> Vec<ChunkLines> {
        doc.chunks()
            .iter()
            .map(|c| (c.start_line, c.lines.clone()))
            .collect()
    }

    fn edit(doc: &mut Document, at: &str, text: &str) {
        let start = doc.text().find(at).expect("anchor") + at.len();
        doc.apply(&TextEdit {
            range: Some(start..start),
            text: text.into(),
        });
    }

    #[test]
    fn title_edits_reuse_and_structural_edits_do_not() {
        let text = crate::testgen::task_list(2_000, crate::testgen::Style::Seed);
        let mut doc = Document::new(&text, 1);
        let config = Config::default();
        let mut analyzer = Analyzer::default();
        analyzer.analyze(&chunks(&doc), &config);
        assert!(!analyzer.reused());

        // Typing a second action into a leaf's title: only local rules change.
        let leaf_line = doc
            .line_items()
            .find_map(|(line, l)| l.node().filter(|n| n.id.level() == 4).map(|_| line))
            .expect("a leaf");
        let leaf_text = doc.line(leaf_line).into_owned();
        edit(&mut doc, &leaf_text, " and deploy the service");
        let findings = analyzer.analyze(&chunks(&doc), &config);
        assert!(analyzer.reused());
        assert_eq!(findings, crate::analyze(doc.line_items(), &config));
        assert!(findings
            .iter()
            .any(|f| f.code == crate::rules::Code::NonAtomic));

        // Changing an ID changes the structure.
        edit(&mut doc, "1.1.1", "9");
        let findings = analyzer.analyze(&chunks(&doc), &config);
        assert!(!analyzer.reused());
        assert_eq!(findings, crate::analyze(doc.line_items(), &config));
    }

    #[test]
    fn reference_edits_keep_the_tree() {
        let text = crate::testgen::task_list(2_000, crate::testgen::Style::Nested);
        let mut doc = Document::new(&text, 1);
        let config = Config::default();
        let mut analyzer = Analyzer::default();
        analyzer.analyze(&chunks(&doc), &config);
        use crate::rules::Code;
        let count =
            |findings: &[Finding], code: Code| findings.iter().filter(|f| f.code == code).count();
        let before = crate::analyze(doc.line_items(), &config);

        // Phase 1.4 depends on 1.3; making 1.3 depend on 1.4 closes a cycle, found from the
        // changed edge.
        let insert_after = |doc: &mut Document, anchor: &str, text: &str| {
            let at = doc.text().find(anchor).expect("anchor") + anchor.len() - 1;
            doc.apply(&TextEdit {
                range: Some(at..at),
                text: text.into(),
            });
        };
        insert_after(&mut doc, "\n  - Dependencies: 1.2\n", ", 1.4");
        let findings = analyzer.analyze(&chunks(&doc), &config);
        assert!(analyzer.reused());
        assert_eq!(findings, crate::analyze(doc.line_items(), &config));
        assert_eq!(count(&findings, Code::DependencyCycle), 2);

        // An unknown ID.
        insert_after(&mut doc, "\n  - Dependencies: 1.3\n", ", 9.9.9");
        let findings = analyzer.analyze(&chunks(&doc), &config);
        assert!(analyzer.reused());
        assert_eq!(findings, crate::analyze(doc.line_items(), &config));
        assert_eq!(
            count(&findings, Code::UnknownDependency),
            count(&before, Code::UnknownDependency) + 1
        );

        // Breaking the cycle again.
        let at = doc.text().find(", 1.4").expect("the added reference");
        doc.apply(&TextEdit {
            range: Some(at..at + ", 1.4".len()),
            text: String::new(),
        });
        let findings = analyzer.analyze(&chunks(&doc), &config);
        assert!(analyzer.reused());
        assert_eq!(findings, crate::analyze(doc.line_items(), &config));
        assert_eq!(count(&findings, Code::DependencyCycle), 0);
    }

    #[test]
    fn blank_lines_move_what_follows() {
        // A list with a duplicate ID, whose message names the line of the first occurrence.
        let text = crate::testgen::task_list(2_000, crate::testgen::Style::Nested);
        let mut lines: Vec<&str> = text.lines().collect();
        let leaf = *lines
            .iter()
            .find(|l| l.contains("**1.2.1**"))
            .expect("a leaf");
        lines.insert(1_500, leaf);
        let text = lines.join("\n");
        let mut doc = Document::new(&text, 1);
        let config = Config::default();
        let mut analyzer = Analyzer::default();
        analyzer.analyze(&chunks(&doc), &config);
        // Above the duplicate and its first occurrence, then between them, then below both.
        let findings = crate::analyze(doc.line_items(), &config);
        let duplicate = findings
            .iter()
            .find(|f| f.code == crate::rules::Code::DuplicateId)
            .expect("the generated list has a duplicate ID");
        // Before top-level lines: a paragraph inside a nested list would turn the deeper
        // items after it into code.
        let top_level_from = |line: usize| {
            (line..doc.line_count())
                .find(|&l| doc.line(l).starts_with("- "))
                .expect("a top-level item")
        };
        let first = duplicate.related[0].location.line;
        let lines = [
            0,
            top_level_from(first + 1),
            top_level_from(duplicate.location.line + 1),
            top_level_from(1_900),
        ];
        assert!(lines[1] < duplicate.location.line);
        for line in lines {
            for text in ["\n", "\n\nSome prose.\n"] {
                let at = doc.rope().line_to_byte(line);
                doc.apply(&TextEdit {
                    range: Some(at..at),
                    text: text.into(),
                });
                let findings = analyzer.analyze(&chunks(&doc), &config);
                assert!(analyzer.reused(), "inserting at line {line}");
                assert_eq!(findings, crate::analyze(doc.line_items(), &config));
                doc.apply(&TextEdit {
                    range: Some(at..at + text.len()),
                    text: String::new(),
                });
                let findings = analyzer.analyze(&chunks(&doc), &config);
                assert!(analyzer.reused(), "removing at line {line}");
                assert_eq!(findings, crate::analyze(doc.line_items(), &config));
            }
        }
    }

    #[test]
    fn typing_at_the_end_of_any_line_of_a_generated_list() {
        let text = crate::testgen::task_list(600, crate::testgen::Style::Seed);
        let config = Config::default();
        let mut full_lines = Vec::new();
        for line in 0..text.lines().count() {
            let mut doc = Document::new(&text, 1);
            let mut analyzer = Analyzer::default();
            analyzer.analyze(&chunks(&doc), &config);
            let line_text = doc.line(line).into_owned();
            if line_text.trim().is_empty() {
                continue;
            }
            let end = doc.rope().line_to_byte(line) + line_text.len();
            doc.apply(&TextEdit {
                range: Some(end..end),
                text: "x".into(),
            });
            let findings = analyzer.analyze(&chunks(&doc), &config);
            assert_eq!(findings, crate::analyze(doc.line_items(), &config));
            if !analyzer.reused() {
                full_lines.push(line_text);
            }
        }
        // The generated list has letter check tasks only, whose structure no typed
        // suffix changes: every edit reuses.
        assert!(
            full_lines.is_empty(),
            "full analyses after typing at the end of: {full_lines:#?}"
        );
    }
}
