//! Exact output for a small fixture: escaping, a cycle, unknown references, folding,
//! an inactive phase and implied parents.

use super::*;

fn graph_of(text: &str, level: Option<usize>) -> Graph {
    let doc = Document::new(text, 0);
    let tree = TaskTree::build(&doc, None);
    of_tree(&tree, &Config::default(), level)
}

fn render_fixture(text: &str, level: Option<usize>, format: Format) -> String {
    render(&graph_of(text, level), format)
}

/// Stage 1 has a title to escape; 1.2 and 1.3 depend on each other (a cycle); 1.7 and
/// 9.9 are unknown; 1.1.2 -> 1.2.1 and 1.3.1 -> 1.1.1 cross phases (lifted at level 2);
/// 1.2.2 -> 1.2.1 stays inside 1.2 (dropped at level 2); 2.2 is inactive; 3.1.1's
/// parents are implied.
const FIXTURE: &str = "\
### Stage 1: CORE – \"Quoted\" <b>Setup</b> & #tags [x]
(Dependencies: None | Stage Gate: it builds)

1.1 Skeleton (Dependencies: None | Stage Gate: boots)
  1.1.1 Configure tooling
  1.1.2 Add a health check (Dependencies: 1.2.1)
1.2 Model (Dependencies: 1.1, 1.3 | Stage Gate: round-trips)
  1.2.1 Define models
  1.2.2 Write C:\\seeds \"fixtures\" (Dependencies: 1.2.1, 1.7)
1.3 API (Dependencies: 1.2 | Stage Gate: serves)
  1.3.1 Implement `POST /items` (Dependencies: 1.1.1, 1.2.1)

### Stage 2: INTEGRATION – Live
(Dependencies: Stage 1 complete | Stage Gate: live)

2.1 Persistence (Dependencies: 1.2, 9.9 | Stage Gate: real DB)
  2.1.1 Replace the backend (Dependencies: 1.2.2, 1.7)
<!-- 2.2 Done phase (Dependencies: 2.1) -->

3.1.1 Orphan task
";

#[test]
fn mermaid_every_level() {
    let expected = r##"flowchart TD
    subgraph s1["Stage 1"]
        n1["1 CORE – #34;Quoted#34; #60;b#62;Setup#60;/b#62; #38; #35;tags #91;x#93;"]
        n1_1["1.1 Skeleton"]
        n1_1_1["1.1.1 Configure tooling"]
        n1_1_2["1.1.2 Add a health check"]
        n1_2["1.2 Model"]
        n1_2_1["1.2.1 Define models"]
        n1_2_2["1.2.2 Write C:\seeds #34;fixtures#34;"]
        n1_3["1.3 API"]
        n1_3_1["1.3.1 Implement #96;POST /items#96;"]
    end
    subgraph s2["Stage 2"]
        n2["2 INTEGRATION – Live"]
        n2_1["2.1 Persistence"]
        n2_1_1["2.1.1 Replace the backend"]
        n2_2["2.2 Done phase"]
    end
    subgraph s3["Stage 3"]
        n3["3"]
        n3_1["3.1"]
        n3_1_1["3.1.1 Orphan task"]
    end
    u1_7["? 1.7 (unknown)"]
    u9_9["? 9.9 (unknown)"]
    n1_2_1 --> n1_1_2
    n1_1 --> n1_2
    n1_3 --> n1_2
    n1_2_1 --> n1_2_2
    u1_7 -.-> n1_2_2
    n1_2 --> n1_3
    n1_1_1 --> n1_3_1
    n1_2_1 --> n1_3_1
    n1 --> n2
    n1_2 --> n2_1
    u9_9 -.-> n2_1
    n1_2_2 --> n2_1_1
    u1_7 -.-> n2_1_1
    n2_1 --> n2_2
    classDef cycle fill:#fde7e7,stroke:#d32f2f,stroke-width:2px,color:#d32f2f
    class n1_2,n1_3 cycle
    classDef unknown fill:#ffffff,stroke:#d32f2f,stroke-dasharray:5 3,color:#d32f2f
    class u1_7,u9_9 unknown
    classDef inactive fill:#f2f2f2,stroke:#9e9e9e,color:#757575
    class n2_2 inactive
    classDef implied fill:#ffffff,stroke:#9e9e9e,stroke-dasharray:3 3
    class n3,n3_1 implied
    linkStyle 2,5 stroke:#d32f2f,stroke-width:2px
    linkStyle 4,10,12 stroke:#d32f2f
"##;
    assert_eq!(render_fixture(FIXTURE, None, Format::Mermaid), expected);
    // The fixture is three levels deep: level 3 draws the same.
    assert_eq!(render_fixture(FIXTURE, Some(3), Format::Mermaid), expected);
}

#[test]
fn mermaid_folded_to_phases() {
    let expected = r##"flowchart TD
    subgraph s1["Stage 1"]
        n1["1 CORE – #34;Quoted#34; #60;b#62;Setup#60;/b#62; #38; #35;tags #91;x#93;"]
        n1_1["1.1 Skeleton"]
        n1_2["1.2 Model"]
        n1_3["1.3 API"]
    end
    subgraph s2["Stage 2"]
        n2["2 INTEGRATION – Live"]
        n2_1["2.1 Persistence"]
        n2_2["2.2 Done phase"]
    end
    subgraph s3["Stage 3"]
        n3["3"]
        n3_1["3.1"]
    end
    u1_7["? 1.7 (unknown)"]
    u9_9["? 9.9 (unknown)"]
    n1_2 --> n1_1
    n1_1 --> n1_2
    n1_3 --> n1_2
    u1_7 -.-> n1_2
    n1_2 --> n1_3
    n1_1 --> n1_3
    n1 --> n2
    n1_2 --> n2_1
    u9_9 -.-> n2_1
    u1_7 -.-> n2_1
    n2_1 --> n2_2
    classDef cycle fill:#fde7e7,stroke:#d32f2f,stroke-width:2px,color:#d32f2f
    class n1_2,n1_3 cycle
    classDef unknown fill:#ffffff,stroke:#d32f2f,stroke-dasharray:5 3,color:#d32f2f
    class u1_7,u9_9 unknown
    classDef inactive fill:#f2f2f2,stroke:#9e9e9e,color:#757575
    class n2_2 inactive
    classDef implied fill:#ffffff,stroke:#9e9e9e,stroke-dasharray:3 3
    class n3,n3_1 implied
    linkStyle 2,4 stroke:#d32f2f,stroke-width:2px
    linkStyle 3,8,9 stroke:#d32f2f
"##;
    assert_eq!(render_fixture(FIXTURE, Some(2), Format::Mermaid), expected);
}

#[test]
fn dot_every_level() {
    let expected = r##"digraph tasks {
    graph [fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.45];
    node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11];
    edge [color="#546e7a", arrowsize=0.7];
    subgraph cluster_1 {
        label="Stage 1"; style="rounded,filled"; fillcolor="#f5f7fa"; color="#b0bec5";
        n1 [label="1 CORE – \"Quoted\"\n<b>Setup</b> & #tags [x]"];
        n1_1 [label="1.1 Skeleton"];
        n1_1_1 [label="1.1.1 Configure tooling"];
        n1_1_2 [label="1.1.2 Add a health check"];
        n1_2 [label="1.2 Model", color="#d32f2f", fontcolor="#d32f2f", fillcolor="#fde7e7", penwidth=2];
        n1_2_1 [label="1.2.1 Define models"];
        n1_2_2 [label="1.2.2 Write C:\\seeds\n\"fixtures\""];
        n1_3 [label="1.3 API", color="#d32f2f", fontcolor="#d32f2f", fillcolor="#fde7e7", penwidth=2];
        n1_3_1 [label="1.3.1 Implement `POST\n/items`"];
    }
    subgraph cluster_2 {
        label="Stage 2"; style="rounded,filled"; fillcolor="#f5f7fa"; color="#b0bec5";
        n2 [label="2 INTEGRATION – Live"];
        n2_1 [label="2.1 Persistence"];
        n2_1_1 [label="2.1.1 Replace the backend"];
        n2_2 [label="2.2 Done phase", color="#9e9e9e", fontcolor="#757575", fillcolor="#f2f2f2"];
    }
    subgraph cluster_3 {
        label="Stage 3"; style="rounded,filled"; fillcolor="#f5f7fa"; color="#b0bec5";
        n3 [label="3", color="#9e9e9e", style="rounded,dashed"];
        n3_1 [label="3.1", color="#9e9e9e", style="rounded,dashed"];
        n3_1_1 [label="3.1.1 Orphan task"];
    }
    u1_7 [label="? 1.7 (unknown)", color="#d32f2f", fontcolor="#d32f2f", style="rounded,dashed"];
    u9_9 [label="? 9.9 (unknown)", color="#d32f2f", fontcolor="#d32f2f", style="rounded,dashed"];
    n1_2_1 -> n1_1_2;
    n1_1 -> n1_2;
    n1_3 -> n1_2 [color="#d32f2f", penwidth=2];
    n1_2_1 -> n1_2_2;
    u1_7 -> n1_2_2 [color="#d32f2f", style=dashed];
    n1_2 -> n1_3 [color="#d32f2f", penwidth=2];
    n1_1_1 -> n1_3_1;
    n1_2_1 -> n1_3_1;
    n1 -> n2;
    n1_2 -> n2_1;
    u9_9 -> n2_1 [color="#d32f2f", style=dashed];
    n1_2_2 -> n2_1_1;
    u1_7 -> n2_1_1 [color="#d32f2f", style=dashed];
    n2_1 -> n2_2;
}
"##;
    assert_eq!(render_fixture(FIXTURE, None, Format::Dot), expected);
}

#[test]
fn dot_folded_to_phases() {
    let expected = r##"digraph tasks {
    graph [fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.45];
    node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11];
    edge [color="#546e7a", arrowsize=0.7];
    subgraph cluster_1 {
        label="Stage 1"; style="rounded,filled"; fillcolor="#f5f7fa"; color="#b0bec5";
        n1 [label="1 CORE – \"Quoted\"\n<b>Setup</b> & #tags [x]"];
        n1_1 [label="1.1 Skeleton"];
        n1_2 [label="1.2 Model", color="#d32f2f", fontcolor="#d32f2f", fillcolor="#fde7e7", penwidth=2];
        n1_3 [label="1.3 API", color="#d32f2f", fontcolor="#d32f2f", fillcolor="#fde7e7", penwidth=2];
    }
    subgraph cluster_2 {
        label="Stage 2"; style="rounded,filled"; fillcolor="#f5f7fa"; color="#b0bec5";
        n2 [label="2 INTEGRATION – Live"];
        n2_1 [label="2.1 Persistence"];
        n2_2 [label="2.2 Done phase", color="#9e9e9e", fontcolor="#757575", fillcolor="#f2f2f2"];
    }
    subgraph cluster_3 {
        label="Stage 3"; style="rounded,filled"; fillcolor="#f5f7fa"; color="#b0bec5";
        n3 [label="3", color="#9e9e9e", style="rounded,dashed"];
        n3_1 [label="3.1", color="#9e9e9e", style="rounded,dashed"];
    }
    u1_7 [label="? 1.7 (unknown)", color="#d32f2f", fontcolor="#d32f2f", style="rounded,dashed"];
    u9_9 [label="? 9.9 (unknown)", color="#d32f2f", fontcolor="#d32f2f", style="rounded,dashed"];
    n1_2 -> n1_1;
    n1_1 -> n1_2;
    n1_3 -> n1_2 [color="#d32f2f", penwidth=2];
    u1_7 -> n1_2 [color="#d32f2f", style=dashed];
    n1_2 -> n1_3 [color="#d32f2f", penwidth=2];
    n1_1 -> n1_3;
    n1 -> n2;
    n1_2 -> n2_1;
    u9_9 -> n2_1 [color="#d32f2f", style=dashed];
    u1_7 -> n2_1 [color="#d32f2f", style=dashed];
    n2_1 -> n2_2;
}
"##;
    assert_eq!(render_fixture(FIXTURE, Some(2), Format::Dot), expected);
}

fn edges(graph: &Graph) -> Vec<String> {
    graph
        .edges
        .iter()
        .map(|e| {
            let from = match e.from {
                Source::Node(n) => graph.nodes[n].id.to_string(),
                Source::Unknown(u) => format!("?{}", graph.unknown[u]),
            };
            let cycle = if e.on_cycle { " (cycle)" } else { "" };
            format!("{from} -> {}{cycle}", graph.nodes[e.to].id)
        })
        .collect()
}

fn on_cycle(graph: &Graph) -> Vec<String> {
    graph
        .nodes
        .iter()
        .filter(|n| n.on_cycle)
        .map(|n| n.id.to_string())
        .collect()
}

#[test]
fn written_self_loops_stay_and_folded_loops_go() {
    let text = "\
Stage 1: CORE
1.1 Setup (Dependencies: 1.1)
  1.1.1 Configure tooling (Dependencies: 1.1)
  1.1.2 Add a check (Dependencies: 1.1.1)
1.2 Build (Dependencies: 1.1.2)
";
    let graph = graph_of(text, None);
    assert_eq!(
        edges(&graph),
        [
            "1.1 -> 1.1 (cycle)",
            "1.1 -> 1.1.1 (cycle)",
            "1.1.1 -> 1.1.2",
            "1.1.2 -> 1.2"
        ]
    );
    assert_eq!(on_cycle(&graph), ["1.1", "1.1.1"]);
    let graph = graph_of(text, Some(2));
    assert_eq!(edges(&graph), ["1.1 -> 1.1 (cycle)", "1.1 -> 1.2"]);
    assert_eq!(on_cycle(&graph), ["1.1"]);
    // Level 1: one stage; the written self-reference still shows, folded into it.
    let graph = graph_of(text, Some(1));
    assert_eq!(edges(&graph), ["1 -> 1 (cycle)"]);
    assert_eq!(on_cycle(&graph), ["1"]);
    assert_eq!(graph.nodes.len(), 1);
}

#[test]
fn lifted_edges_are_deduplicated_in_document_order() {
    let text = "\
Stage 1: CORE
1.1 Setup (Dependencies: None)
  1.1.1 Configure tooling
  1.1.2 Add settings
1.2 Build (Dependencies: 1.1)
  1.2.1 Build the image (Dependencies: 1.1.1, 1.1.2)
  1.2.2 Push the image (Dependencies: 1.1.2)
Stage 2: INTEGRATION (Dependencies: 1.2.2, Stage 1)
";
    assert_eq!(
        edges(&graph_of(text, Some(2))),
        ["1.1 -> 1.2", "1.2 -> 2", "1 -> 2"]
    );
    assert_eq!(edges(&graph_of(text, Some(1))), ["1 -> 2"]);
}

#[test]
fn generic_plans_and_duplicates() {
    let text = "\
## Phase 1: Setup
1.1 Configure tooling
1.1 Configure tooling again (Dependencies: 9.9)
## Phase 2: Build (Dependencies: 1.1)
2.1 Build it
";
    let graph = graph_of(text, None);
    let labels: Vec<&str> = graph.clusters.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["Phase 1", "Phase 2"]);
    // The second 1.1 is a duplicate: not drawn, its references not followed.
    let ids: Vec<String> = graph.nodes.iter().map(|n| n.id.to_string()).collect();
    assert_eq!(ids, ["1", "1.1", "2", "2.1"]);
    assert!(graph.unknown.is_empty());
    assert_eq!(edges(&graph), ["1.1 -> 2"]);
}

#[test]
fn cycles_are_marked_where_the_rule_reports_them() {
    let text = "\
Stage 1: CORE
1.1 Setup (Dependencies: 1.2)
1.2 Build (Dependencies: 1.1)
";
    let doc = Document::new(text, 0);
    let tree = TaskTree::build(&doc, None);
    let graph = of_tree(&tree, &Config::default(), None);
    assert_eq!(edges(&graph), ["1.2 -> 1.1 (cycle)", "1.1 -> 1.2 (cycle)"]);
    // Without findings (or with `dependency-cycle` turned off) nothing is marked.
    let graph = build(&tree, &[], None);
    assert_eq!(edges(&graph), ["1.2 -> 1.1", "1.1 -> 1.2"]);
    assert!(on_cycle(&graph).is_empty());
}

#[test]
fn escaping() {
    assert_eq!(
        mermaid_text("a \"b\" [c] <d> #e & `f` {g} |h|\tend"),
        "a #34;b#34; #91;c#93; #60;d#62; #35;e #38; #96;f#96; #123;g#125; #124;h#124; end"
    );
    assert_eq!(mermaid_text("1.2 Café – ok (x)"), "1.2 Café – ok (x)");
    assert_eq!(dot_text("a \"b\" \\n <c>\r"), "a \\\"b\\\" \\\\n <c> ");
    assert_eq!(
        dot_label("1.2 A title long enough to wrap onto \"two\" lines"),
        "1.2 A title long enough to\\nwrap onto \\\"two\\\" lines"
    );
    assert_eq!(dot_label(""), "");
}

#[test]
fn the_page_beside_the_task_list() {
    let page = |p: &str| page_path(Path::new(p)).map(|p| p.display().to_string());
    assert_eq!(
        page("/w/tasks_list.md").as_deref(),
        Some("/w/tasks_list.graph.md")
    );
    assert_eq!(
        page("/w/Plan.MARKDOWN").as_deref(),
        Some("/w/Plan.graph.md")
    );
    assert_eq!(page("/w/notes").as_deref(), Some("/w/notes.graph.md"));
    assert_eq!(page("/"), None);
    assert_eq!(
        markdown_page("my_*plan*.md", "flowchart TD\n"),
        "# Dependency graph of my\\_\\*plan\\*.md\n\n\
         Written by wbs-lsp from my\\_\\*plan\\*.md: each arrow goes from a task to a task that \
         depends on it; red marks dependency cycles and references to IDs that are not in the \
         list. Run the `wbs-lsp.writeGraph` command again to refresh it.\n\n\
         ```mermaid\nflowchart TD\n```\n"
    );
}

fn run_args(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = run(&args, &mut out, &mut err);
    (
        status,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tasks.md");
    std::fs::write(&file, FIXTURE).unwrap();
    let file = file.to_str().unwrap();
    let (status, out, err) = run_args(&[file]);
    assert_eq!((status, err.as_str()), (0, ""));
    assert_eq!(out, render_fixture(FIXTURE, Some(3), Format::Mermaid));
    let (status, out, _) = run_args(&["--level", "2", "--format", "dot", file]);
    assert_eq!(status, 0);
    assert_eq!(out, render_fixture(FIXTURE, Some(2), Format::Dot));
    let (status, out, _) = run_args(&["-l", "all", "-f", "mermaid", file]);
    assert_eq!(status, 0);
    assert_eq!(out, render_fixture(FIXTURE, None, Format::Mermaid));
    let (status, out, _) = run_args(&["--help"]);
    assert_eq!((status, out.starts_with("usage: wbs-lsp graph")), (0, true));

    let binary = dir.path().join("binary.md");
    std::fs::write(&binary, b"1.1 ok\n\xff\xfe").unwrap();
    let missing = dir.path().join("missing.md");
    let folder = dir.path().to_str().unwrap();
    for (args, says) in [
        (vec![], "which file?"),
        (vec![file, file], "one file at a time"),
        (
            vec!["--format", "svg", file],
            "--format takes mermaid or dot, not \"svg\"",
        ),
        (
            vec![file, "--format"],
            "--format takes mermaid or dot, not nothing",
        ),
        (
            vec!["--level", "0", file],
            "--level takes a number from 1 or `all`, not \"0\"",
        ),
        (vec!["--level", "deep", file], "not \"deep\""),
        (vec!["--colour", file], "unknown option --colour"),
        (vec![missing.to_str().unwrap()], "missing.md: no such file"),
        (
            vec![binary.to_str().unwrap()],
            "binary.md: not UTF-8 text (invalid byte at offset 7)",
        ),
        (vec![folder], "is a folder, not a file"),
    ] {
        let (status, out, err) = run_args(&args);
        assert_eq!(status, 2, "{args:?}");
        assert_eq!(out, "", "{args:?}");
        assert!(err.starts_with("wbs-lsp graph: "), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
