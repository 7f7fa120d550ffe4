//! Analysis of one document across its versions.
//!
//! Rebuilding the task tree and running every rule costs tens of milliseconds on a
//! 100,000-line list, while a keystroke usually edits one line's words. Findings split in
//! two: structural ones depend only on each line's *structure* (IDs and their spans,
//! keywords, notes present, references and their spans, check-task verbs, the task a
//! worded check task names, a stage's first word); local ones (`non-atomic`,
//! `not-actionable`, and the line-level part of `check-task-wording`) depend on one node's
//! own line. When every chunk an edit replaced has the same structure line by line, the
//! structural findings still hold, and only the local rules run again on the replaced
//! chunks' nodes. Anything else (a changed structure, a new line, other settings) runs the
//! full analysis.

use std::sync::Arc;

use crate::config::Config;
use crate::model::line::{ItemKind, LineItem, NodeLine};
use crate::model::{Profile, TaskTree};
use crate::rules::{self, Finding, LocalKind, RuleSettings};

/// A chunk as the analysis sees it: its first line and its scanned lines.
pub type ChunkLines = (usize, Arc<[LineItem]>);

#[derive(Default)]
pub struct Analyzer {
    cache: Option<Cache>,
    /// Whether the last analysis reused the structural findings.
    reused: bool,
}

struct Cache {
    profile: Option<Profile>,
    rules: RuleSettings,
    chunks: Vec<ChunkLines>,
    structural: Vec<Finding>,
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

    /// Whether the last analysis reused the structural findings of the one before.
    pub fn reused(&self) -> bool {
        self.reused
    }

    fn full(&mut self, chunks: &[ChunkLines], config: &Config) -> Vec<Finding> {
        let tree = TaskTree::from_lines(line_items(chunks), config.profile);
        let structural = rules::check_structure(&tree, &config.rules);
        let three_stage = tree.three_stage();
        let mut local_targets = Vec::new();
        let mut local = Vec::new();
        for (i, kind) in rules::local_targets(&tree) {
            let node = &tree.nodes[i];
            let written = node.written.expect("local targets are written");
            local_targets.push((node.line, kind));
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
            structural,
            local_targets,
            three_stage,
            local,
        });
        self.result()
    }

    /// Reuses the cached structural findings when the structure is unchanged.
    fn reuse(&mut self, chunks: &[ChunkLines], config: &Config) -> Option<Vec<Finding>> {
        let cache = self.cache.as_mut()?;
        if cache.profile != config.profile
            || cache.rules != config.rules
            || cache.chunks.len() != chunks.len()
        {
            return None;
        }
        let mut replaced = Vec::new();
        for (j, ((old_start, old), (start, new))) in cache.chunks.iter().zip(chunks).enumerate() {
            if Arc::ptr_eq(old, new) && old_start == start {
                continue;
            }
            let same = old_start == start
                && old.len() == new.len()
                && old
                    .iter()
                    .zip(new.iter())
                    .all(|(a, b)| same_structure(a, b));
            if !same {
                return None;
            }
            replaced.push(j);
        }
        for &j in &replaced {
            let (start, lines) = &chunks[j];
            let end = start + lines.len();
            cache
                .local
                .retain(|f| f.location.line < *start || f.location.line >= end);
            let first = cache.local_targets.partition_point(|&(l, _)| l < *start);
            for &(line, kind) in cache.local_targets[first..]
                .iter()
                .take_while(|&&(l, _)| l < end)
            {
                if let Some(node) = lines[line - start].node() {
                    let found =
                        rules::check_local(line, node, kind, cache.three_stage, &config.rules);
                    cache.local.extend(found);
                }
            }
            cache.chunks[j] = chunks[j].clone();
        }
        cache.local.sort_by_key(|f| f.location.line);
        Some(self.result())
    }

    fn result(&self) -> Vec<Finding> {
        let cache = self.cache.as_ref().expect("a cache");
        let mut findings = Vec::with_capacity(cache.structural.len() + cache.local.len());
        findings.extend(cache.structural.iter().cloned());
        findings.extend(cache.local.iter().cloned());
        rules::sort(&mut findings);
        findings
    }
}

pub fn line_items(chunks: &[ChunkLines]) -> impl Iterator<Item = (usize, &LineItem)> {
    chunks
        .iter()
        .flat_map(|(start, lines)| lines.iter().enumerate().map(move |(i, l)| (start + i, l)))
}

/// Whether two versions of a line read the same to the tree and the structural rules.
fn same_structure(a: &LineItem, b: &LineItem) -> bool {
    if a.inactive != b.inactive || a.notes.len() != b.notes.len() {
        return false;
    }
    let notes_same = a
        .notes
        .iter()
        .zip(b.notes.iter())
        .all(|(x, y)| x.key == y.key && x.is_present() == y.is_present() && x.refs == y.refs);
    notes_same
        && match (&a.kind, &b.kind) {
            (ItemKind::Node(x), ItemKind::Node(y)) => same_node_structure(x, y),
            (ItemKind::Notes, ItemKind::Notes)
            | (ItemKind::Heading, ItemKind::Heading)
            | (ItemKind::Other, ItemKind::Other) => true,
            _ => false,
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
