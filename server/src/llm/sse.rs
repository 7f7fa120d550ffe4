//! Server-sent events, as OpenAI and Anthropic stream them.
//!
//! [`SseParser`] is incremental: feed it the bytes of a response body as they arrive, in
//! chunks split anywhere (inside a line, inside a UTF-8 sequence, between the `\r` and the
//! `\n` of a line end), and it hands back each event once its closing blank line has
//! arrived. Lines end with `\r\n`, `\n` or `\r`; `data:` lines of one event are joined with
//! `\n`; comment lines (`:` first) are ignored; `id:` and `retry:` are ignored too.

/// One event: its `event:` name, if any, and its data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// The incremental parser. See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct SseParser {
    /// The bytes of the line not yet ended.
    line: Vec<u8>,
    /// The last line ended with `\r`: a `\n` right after it belongs to that line end.
    after_cr: bool,
    /// Whether the first bytes (a byte-order mark) were looked at.
    started: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// The events completed by `chunk`.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in chunk {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut events);
                }
                b'\n' => self.end_line(&mut events),
                _ => self.line.push(byte),
            }
        }
        events
    }

    /// At the end of the stream: the event still pending (a stream that ends without the
    /// final blank line), if it has data.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let mut events = Vec::new();
        if !self.line.is_empty() {
            self.end_line(&mut events);
        }
        self.after_cr = false;
        self.dispatch(&mut events);
        events.pop()
    }

    fn end_line(&mut self, events: &mut Vec<SseEvent>) {
        let mut bytes = std::mem::take(&mut self.line);
        if !self.started {
            self.started = true;
            if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes.drain(..3);
            }
        }
        if bytes.is_empty() {
            self.dispatch(events);
            return;
        }
        let line = String::from_utf8_lossy(&bytes);
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.find(':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (&line[..], ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        let event = self.event.take();
        if self.has_data {
            self.has_data = false;
            events.push(SseEvent {
                event,
                data: std::mem::take(&mut self.data),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(parser.feed(chunk));
        }
        events.extend(parser.finish());
        events
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_string),
            data: data.to_string(),
        }
    }

    const STREAM: &str =
        "\u{feff}: comment\r\nevent: message_start\r\ndata: {\"a\":\"é€\"}\r\n\r\n\
        data: line one\ndata:line two\n\nevent: ping\r\rid: 7\nretry: 10\ndata\n\n\
        data: 🎉 last\r\n\r\n";

    fn expected() -> Vec<SseEvent> {
        vec![
            ev(Some("message_start"), "{\"a\":\"é€\"}"),
            ev(None, "line one\nline two"),
            ev(None, ""),
            ev(None, "🎉 last"),
        ]
    }

    #[test]
    fn parses_a_whole_stream() {
        assert_eq!(parse_all(&[STREAM.as_bytes()]), expected());
    }

    #[test]
    fn every_split_in_two_gives_the_same_events() {
        let bytes = STREAM.as_bytes();
        for i in 0..=bytes.len() {
            assert_eq!(
                parse_all(&[&bytes[..i], &bytes[i..]]),
                expected(),
                "split at {i}"
            );
        }
    }

    #[test]
    fn every_split_in_three_gives_the_same_events() {
        let bytes = STREAM.as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                assert_eq!(
                    parse_all(&[&bytes[..i], &bytes[i..j], &bytes[j..]]),
                    expected(),
                    "split at {i} and {j}"
                );
            }
        }
    }

    #[test]
    fn byte_by_byte() {
        let bytes = STREAM.as_bytes();
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse_all(&chunks), expected());
    }

    #[test]
    fn an_event_without_the_final_blank_line_is_given_by_finish() {
        let mut parser = SseParser::new();
        assert_eq!(parser.feed(b"data: [DONE]"), vec![]);
        assert_eq!(parser.finish(), Some(ev(None, "[DONE]")));
        assert_eq!(parser.finish(), None);
    }

    #[test]
    fn an_event_name_without_data_is_not_an_event() {
        assert_eq!(parse_all(&[b"event: ping\n\n: keep-alive\n\n"]), vec![]);
    }

    #[test]
    fn cr_lf_split_between_chunks_is_one_line_end() {
        assert_eq!(
            parse_all(&[b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"]),
            vec![ev(None, "a"), ev(None, "b")]
        );
    }
}
