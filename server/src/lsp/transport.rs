//! The stdio transport, in front of tower-lsp-server's service.
//!
//! tower-lsp-server's own `Server` may run notifications concurrently (so `didChange` could
//! apply out of order) and was seen to stop answering after a frame that is not JSON. This
//! loop reads frames itself: a bad frame gets a JSON-RPC error and the loop goes on;
//! notifications are handled one after another, in the order they arrive, so edits apply
//! in order; requests run concurrently (so `$/cancelRequest` still reaches them).

use futures::{future, SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{ClientSocket, LanguageServer, LspService};
use tower_service::Service;

/// Frames larger than this are refused (and skipped) rather than buffered.
const MAX_FRAME_BYTES: usize = 512 * 1024 * 1024;
const MAX_HEADER_LINE: usize = 8 * 1024;

enum Frame {
    Body(Vec<u8>),
    /// A header block we could not use; the message says why.
    BadHeader(String),
    TooLarge(usize),
}

/// Serves until `exit` or the end of input; returns whether `exit` was received.
pub async fn serve<S, I, O>(
    input: I,
    output: O,
    mut service: LspService<S>,
    socket: ClientSocket,
) -> bool
where
    S: LanguageServer,
    I: AsyncBufRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (out_tx, out_rx) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(write_frames(output, out_rx));
    let (mut client_requests, mut client_responses) = socket.split();
    let forward_tx = out_tx.clone();
    let forward = tokio::spawn(async move {
        while let Some(request) = client_requests.next().await {
            if let Ok(text) = serde_json::to_string(&request) {
                if forward_tx.send(text).is_err() {
                    break;
                }
            }
        }
    });

    let mut input = input;
    let mut exited = false;
    loop {
        let frame = match read_frame(&mut input).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) => {
                eprintln!("wbs-lsp: reading stdin failed: {e}");
                break;
            }
        };
        let body = match frame {
            Frame::Body(body) => body,
            Frame::BadHeader(why) => {
                eprintln!("wbs-lsp: ignored a message with a bad header: {why}");
                let _ = out_tx.send(error_response(
                    Value::Null,
                    -32700,
                    &format!("Parse error: {why}"),
                ));
                continue;
            }
            Frame::TooLarge(len) => {
                eprintln!("wbs-lsp: refused a message of {len} bytes");
                let message = format!(
                    "Message of {len} bytes is larger than the {MAX_FRAME_BYTES}-byte limit"
                );
                let _ = out_tx.send(error_response(Value::Null, -32600, &message));
                continue;
            }
        };
        let value: Value = match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => {
                eprintln!("wbs-lsp: ignored a message that is not JSON: {e}");
                let _ = out_tx.send(error_response(
                    Value::Null,
                    -32700,
                    &format!("Parse error: {e}"),
                ));
                continue;
            }
        };
        let Some(object) = value.as_object() else {
            let what = if value.is_array() {
                "batch messages are not supported"
            } else {
                "a message must be a JSON object"
            };
            let _ = out_tx.send(error_response(
                Value::Null,
                -32600,
                &format!("Invalid request: {what}"),
            ));
            continue;
        };
        let id = object.get("id").cloned().unwrap_or(Value::Null);
        if object.contains_key("method") {
            let request: Request = match serde_json::from_value(value) {
                Ok(request) => request,
                Err(e) => {
                    if !id.is_null() {
                        let _ = out_tx.send(error_response(
                            id,
                            -32600,
                            &format!("Invalid request: {e}"),
                        ));
                    }
                    continue;
                }
            };
            if future::poll_fn(|cx| service.poll_ready(cx)).await.is_err() {
                break;
            }
            let is_exit = request.method() == "exit";
            let is_notification = request.id().is_none();
            let call = service.call(request);
            if is_notification {
                // In order, one at a time: this is what keeps edits ordered.
                let _ = call.await;
            } else {
                let out = out_tx.clone();
                tokio::spawn(async move {
                    if let Ok(Some(response)) = call.await {
                        if let Ok(text) = serde_json::to_string(&response) {
                            let _ = out.send(text);
                        }
                    }
                });
            }
            if is_exit {
                exited = true;
                break;
            }
        } else if object.contains_key("result") || object.contains_key("error") {
            match serde_json::from_value::<Response>(value) {
                Ok(response) => {
                    let _ = client_responses.send(response).await;
                }
                Err(e) => eprintln!("wbs-lsp: ignored a malformed response: {e}"),
            }
        } else {
            let _ = out_tx.send(error_response(
                id,
                -32600,
                "Invalid request: no method, result or error",
            ));
        }
    }
    drop(service);
    forward.abort();
    drop(out_tx);
    let _ = writer.await;
    exited
}

fn error_response(id: Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

async fn write_frames<O: AsyncWrite + Unpin>(
    mut output: O,
    mut rx: mpsc::UnboundedReceiver<String>,
) {
    while let Some(body) = rx.recv().await {
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        if output.write_all(header.as_bytes()).await.is_err()
            || output.write_all(body.as_bytes()).await.is_err()
            || output.flush().await.is_err()
        {
            break;
        }
    }
}

/// Reads one frame: headers up to an empty line, then `Content-Length` bytes.
async fn read_frame<I: AsyncBufRead + Unpin>(input: &mut I) -> std::io::Result<Option<Frame>> {
    let mut length: Option<usize> = None;
    let mut problem: Option<String> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        let n = (&mut *input)
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(None);
        }
        if line.last() != Some(&b'\n') && n >= MAX_HEADER_LINE {
            // Skip the rest of an overlong line.
            let mut rest = Vec::new();
            input.read_until(b'\n', &mut rest).await?;
            problem.get_or_insert_with(|| "header line too long".into());
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue;
            }
            break;
        }
        saw_header = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(len) => length = Some(len),
                    Err(_) => problem = Some(format!("bad Content-Length {:?}", value.trim())),
                }
            }
            Some(_) => {}
            None => problem = Some(format!("not a header: {text:?}")),
        }
    }
    let Some(length) = length else {
        return Ok(Some(Frame::BadHeader(
            problem.unwrap_or_else(|| "no Content-Length header".into()),
        )));
    };
    if length > MAX_FRAME_BYTES {
        tokio::io::copy(
            &mut (&mut *input).take(length as u64),
            &mut tokio::io::sink(),
        )
        .await?;
        return Ok(Some(Frame::TooLarge(length)));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).await?;
    Ok(Some(Frame::Body(body)))
}
