//! The LSP layer: the only code that knows LSP types.

pub mod convert;
pub mod server;
pub mod transport;

use std::path::Path;
use std::str::FromStr;

use tower_lsp_server::ls_types::Uri;

/// A `file://` URI for an absolute path (percent-encoding what a URI may not hold).
pub fn file_uri(path: &Path) -> Uri {
    let mut text = String::from("file://");
    for component in path.to_string_lossy().split('/') {
        if !text.ends_with('/') {
            text.push('/');
        }
        for b in component.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
                text.push(b as char);
            } else {
                text.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Uri::from_str(&text).unwrap_or_else(|_| Uri::from_str("file:///").expect("a valid URI"))
}

/// Runs the language server on stdin/stdout; returns the process exit code.
pub async fn run_stdio() -> i32 {
    let (service, socket) = tower_lsp_server::LspService::new(server::Backend::new);
    let stdin = tokio::io::BufReader::with_capacity(1 << 16, tokio::io::stdin());
    let exited = transport::serve(stdin, tokio::io::stdout(), service, socket).await;
    let shut_down = server::SHUTDOWN_RECEIVED.load(std::sync::atomic::Ordering::SeqCst);
    // LSP: exit code 0 after shutdown then exit, 1 otherwise.
    if exited && shut_down {
        0
    } else {
        1
    }
}
