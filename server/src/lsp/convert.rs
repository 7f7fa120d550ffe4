//! Positions between the document's (line, byte column) and LSP positions, in the
//! encoding negotiated at initialize; and findings to LSP diagnostics.

use ropey::Rope;
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location as LspLocation,
    NumberOrString, Position, Range, Uri,
};

use crate::rules::{Finding, Location, Severity};

pub const SOURCE: &str = "wbs-lsp";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
}

/// The byte range of a line's text, without its line break.
fn line_bytes(rope: &Rope, line: usize) -> (usize, usize) {
    let start = rope.line_to_byte(line);
    let slice = rope.line(line);
    let mut len = slice.len_bytes();
    let tail: String = slice
        .chars_at(slice.len_chars())
        .reversed()
        .take(2)
        .collect();
    for c in tail.chars() {
        if c == '\n' || c == '\r' {
            len -= 1;
        } else {
            break;
        }
    }
    (start, start + len)
}

/// The LSP position of a byte column on a line.
pub fn position(rope: &Rope, line: usize, byte_col: u32, encoding: Encoding) -> Position {
    if line >= rope.len_lines() {
        let last = rope.len_lines() - 1;
        let (start, end) = line_bytes(rope, last);
        return position(rope, last, (end - start) as u32, encoding);
    }
    let (start, end) = line_bytes(rope, line);
    let byte = (start + byte_col as usize).min(end);
    let character = match encoding {
        Encoding::Utf8 => byte - start,
        Encoding::Utf16 => {
            let start_char = rope.byte_to_char(start);
            let char_idx = rope.byte_to_char(byte);
            rope.char_to_utf16_cu(char_idx) - rope.char_to_utf16_cu(start_char)
        }
    };
    Position::new(line as u32, character as u32)
}

/// The byte offset of an LSP position; past the end of a line means the line's end, past
/// the last line means the end of the document.
pub fn offset(rope: &Rope, position: Position, encoding: Encoding) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let (start, end) = line_bytes(rope, line);
    let character = position.character as usize;
    let byte = match encoding {
        Encoding::Utf8 => (start + character).min(end),
        Encoding::Utf16 => {
            let start_char = rope.byte_to_char(start);
            let end_char = rope.byte_to_char(end);
            let start_cu = rope.char_to_utf16_cu(start_char);
            let target = (start_cu + character).min(rope.char_to_utf16_cu(end_char));
            rope.char_to_byte(rope.utf16_cu_to_char(target))
        }
    };
    // A UTF-8 offset inside a character snaps back to its start.
    rope.char_to_byte(rope.byte_to_char(byte))
}

pub fn range(rope: &Rope, location: Location, encoding: Encoding) -> Range {
    Range::new(
        position(rope, location.line, location.start, encoding),
        position(rope, location.line, location.end, encoding),
    )
}

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(rope: &Rope, finding: &Finding, encoding: Encoding, uri: &Uri) -> Diagnostic {
    let related = (!finding.related.is_empty()).then(|| {
        finding
            .related
            .iter()
            .map(|r| DiagnosticRelatedInformation {
                location: LspLocation::new(uri.clone(), range(rope, r.location, encoding)),
                message: r.message.clone(),
            })
            .collect()
    });
    Diagnostic {
        range: range(rope, finding.location, encoding),
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(finding.code.as_str().to_string())),
        source: Some(SOURCE.to_string()),
        message: finding.message.clone(),
        related_information: related,
        ..Diagnostic::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_utf8_columns() {
        let rope = Rope::from_str("a – 1.2 😀 x\r\nnext\n");
        let byte = "a – ".len() as u32;
        assert_eq!(
            position(&rope, 0, byte, Encoding::Utf8),
            Position::new(0, 6)
        );
        assert_eq!(
            position(&rope, 0, byte, Encoding::Utf16),
            Position::new(0, 4)
        );
        let emoji_end = "a – 1.2 😀".len() as u32;
        assert_eq!(
            position(&rope, 0, emoji_end, Encoding::Utf16),
            Position::new(0, 10)
        );
        assert_eq!(
            offset(&rope, Position::new(0, 10), Encoding::Utf16),
            emoji_end as usize
        );
        assert_eq!(
            offset(&rope, Position::new(0, 99), Encoding::Utf16),
            "a – 1.2 😀 x".len()
        );
        assert_eq!(
            offset(&rope, Position::new(1, 2), Encoding::Utf8),
            "a – 1.2 😀 x\r\nne".len()
        );
        assert_eq!(
            offset(&rope, Position::new(9, 0), Encoding::Utf8),
            rope.len_bytes()
        );
        // Inside the en dash (UTF-8) snaps to its start.
        assert_eq!(offset(&rope, Position::new(0, 3), Encoding::Utf8), 2);
    }
}
