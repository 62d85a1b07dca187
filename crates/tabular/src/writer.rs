//! Streaming exports. A contact export may hold a million rows, so rows go out as they are
//! written and nothing grows with the row count: CSV through a small buffer, XLSX through
//! rust_xlsxwriter's constant-memory worksheet (one row in memory, the rest in a temporary
//! file beside the output until the workbook is zipped).
//!
//! Both sinks take every cell as text: a phone number or an id must never become a number in
//! scientific notation, and a cell must never become a formula. In CSV, which Excel evaluates
//! on open, that needs [`neutralize_formula`].

mod csv_sink;
mod xlsx_sink;

pub use csv_sink::CsvSink;
pub use xlsx_sink::XlsxSink;

use std::borrow::Cow;
use std::io;

/// Something rows can be written to, one at a time. The first row written is the header.
pub trait RowSink {
    /// Writes one row of cells.
    fn write_row(&mut self, cells: &[&str]) -> Result<(), WriteError>;
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("could not write the file: {0}")]
    Io(#[from] io::Error),
    #[error("could not write the CSV file: {0}")]
    Csv(#[from] csv::Error),
    #[error("could not write the XLSX file: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("an XLSX sheet holds at most 1,048,576 rows: export fewer rows, or choose CSV")]
    TooManyRows,
    #[error("an XLSX sheet holds at most 16,384 columns")]
    TooManyColumns,
}

/// A cell made safe from CSV formula injection: a cell that starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return would be run as a formula by Excel or LibreOffice, so it gets a
/// leading `'` (shown as text, and visible, so nothing is hidden from the reader).
///
/// Left as they are, because they cannot call anything and are common in contact data:
/// - phone-like values, `^\+?[0-9 ]+$` with at least one digit (`+84 912 345 678`);
/// - plain numbers, `^[+-]?[0-9]+([.,][0-9]+)?$` (`-15`, `+3,5`).
pub fn neutralize_formula(cell: &str) -> Cow<'_, str> {
    let risky = matches!(cell.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    if risky && !is_phone_like(cell) && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `^\+?[0-9 ]+$`, with at least one digit.
fn is_phone_like(cell: &str) -> bool {
    let rest = cell.strip_prefix('+').unwrap_or(cell);
    rest.bytes().all(|byte| byte.is_ascii_digit() || byte == b' ') && rest.bytes().any(|byte| byte.is_ascii_digit())
}

/// `^[+-]?[0-9]+([.,][0-9]+)?$`.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (whole, fraction) = match unsigned.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized() {
        assert_eq!(neutralize_formula("=HYPERLINK(\"http://x\",\"y\")"), "'=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(neutralize_formula("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(neutralize_formula("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(neutralize_formula("@SUM(1,2)"), "'@SUM(1,2)");
        assert_eq!(neutralize_formula("\t=1"), "'\t=1");
        assert_eq!(neutralize_formula("="), "'=");
        assert_eq!(neutralize_formula("+"), "'+");
        assert_eq!(neutralize_formula("- item"), "'- item");
    }

    #[test]
    fn phones_numbers_and_plain_text_are_kept() {
        for kept in ["+84912345678", "+84 912 345 678", "+7 912 345 67 89", "-15", "-3.5", "+3,5", "84912345678"] {
            assert_eq!(neutralize_formula(kept), kept);
        }
        for kept in ["Nguyễn Văn A", "a=b", "email@example.com", "", " =1"] {
            assert!(matches!(neutralize_formula(kept), Cow::Borrowed(_)), "{kept}");
        }
    }
}
