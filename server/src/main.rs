use std::process::ExitCode;

const USAGE: &str =
    "wbs-lsp: a language server for Markdown task lists (Stage.Phase.Task.Subtask.Atomic)

usage:
  wbs-lsp [serve]                            run the language server on stdin/stdout
  wbs-lsp check [--format text|json] [PATH...]  check files or folders; exit 1 on errors or warnings
  wbs-lsp graph FILE [--format mermaid|dot] [--level N|all]
                                             print the dependency graph (default: mermaid, level 3)
  wbs-lsp expand FILE ID [--write] [--provider P] [--base-url URL] [--model M]
                                             expand a task into atomic tasks with the configured LLM
  wbs-lsp generate WBS.md [-o PATH] [--force] [--provider P] [--base-url URL] [--model M]
                                             write a three-stage task list from a WBS with the LLM
  wbs-lsp scaffold WBS.md [-o PATH] [--force]  write a three-stage task-list skeleton from a WBS
  wbs-lsp --version | --help";

fn main() -> ExitCode {
    limit_malloc_arenas();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        None | Some("serve") => serve(),
        Some("check") => {
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            wbs_lsp::check::run(&args[1..], &mut stdout.lock(), &mut stderr.lock())
        }
        Some("expand") => {
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            wbs_lsp::llm_commands::run_expand(&args[1..], &mut stdout.lock(), &mut stderr.lock())
        }
        Some("generate") => {
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            wbs_lsp::llm_commands::run_generate(&args[1..], &mut stdout.lock(), &mut stderr.lock())
        }
        Some("scaffold") => {
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            wbs_lsp::scaffold::run(&args[1..], &mut stdout.lock(), &mut stderr.lock())
        }
        Some("graph") => {
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            wbs_lsp::graph::run(&args[1..], &mut stdout.lock(), &mut stderr.lock())
        }
        Some("--version" | "-V") => {
            println!("wbs-lsp {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            0
        }
        Some(other) => {
            eprintln!("wbs-lsp: unknown command {other:?}\n\n{USAGE}");
            2
        }
    };
    ExitCode::from(code as u8)
}

fn serve() -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let code = runtime.block_on(wbs_lsp::lsp::run_stdio());
    // Do not wait for a blocked stdin reader thread at shutdown.
    runtime.shutdown_background();
    code
}

/// glibc gives each thread that allocates its own arena and keeps freed memory there; the
/// parse threads and tokio's workers then hold twice the memory a document needs (a
/// 100,000-line list peaked at 230 MB instead of 108 MB). Two arenas are plenty here.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    const M_ARENA_MAX: std::ffi::c_int = -8;
    extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    // SAFETY: mallopt only sets an allocator parameter; called before any other thread.
    unsafe {
        mallopt(M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
