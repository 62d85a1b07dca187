//! CSV for people who open it in Excel: a UTF-8 BOM first (without it Excel reads Cyrillic and
//! Vietnamese as mojibake), commas, every cell quoted (RFC 4180), CRLF line ends, formulas
//! neutralized. Quoting every cell matters where Excel's list separator is `;` (Russian,
//! Vietnamese, Romanian): an unquoted `x;=HYPERLINK(…)` would split there into a second cell
//! that starts a formula.

use super::{RowSink, WriteError, neutralize_formula};
use std::io::Write;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV export streamed into `W` (a file, a socket, a buffer).
pub struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    /// Starts the CSV: writes the BOM to `out` at once.
    pub fn new(mut out: W) -> Result<CsvSink<W>, WriteError> {
        out.write_all(BOM)?;
        let writer = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(out);
        Ok(CsvSink { writer })
    }

    /// Flushes what is buffered and hands `out` back.
    pub fn finish(self) -> Result<W, WriteError> {
        self.writer.into_inner().map_err(|error| WriteError::Io(error.into_error()))
    }
}

impl<W: Write> RowSink for CsvSink<W> {
    fn write_row(&mut self, cells: &[&str]) -> Result<(), WriteError> {
        for cell in cells {
            self.writer.write_field(neutralize_formula(cell).as_bytes())?;
        }
        // An empty record ends the one built field by field.
        self.writer.write_record(None::<&[u8]>)?;
        Ok(())
    }
}

impl<W: Write> std::fmt::Debug for CsvSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvSink").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(rows: &[&[&str]]) -> String {
        let mut sink = CsvSink::new(Vec::new()).expect("vec");
        for row in rows {
            sink.write_row(row).expect("row");
        }
        String::from_utf8(sink.finish().expect("finish")).expect("utf-8")
    }

    #[test]
    fn bom_quoting_and_crlf() {
        let text = csv_of(&[
            &["name", "phone", "note"],
            &["Nguyễn Văn A", "+84 912 345 678", "says \"hi\", twice"],
            &["Иван", "89123456789", "line one\nline two"],
        ]);
        assert_eq!(
            text,
            "\u{feff}\"name\",\"phone\",\"note\"\r\n\
             \"Nguyễn Văn A\",\"+84 912 345 678\",\"says \"\"hi\"\", twice\"\r\n\
             \"Иван\",\"89123456789\",\"line one\nline two\"\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralized_in_csv() {
        let text = csv_of(&[&["=1+1", "-5", "@x"]]);
        assert_eq!(text, "\u{feff}\"'=1+1\",\"-5\",\"'@x\"\r\n");
    }

    /// In a `;` locale Excel splits unquoted text at `;`; a quoted cell stays one cell, so what
    /// follows a `;` can never start a formula of its own.
    #[test]
    fn a_separator_inside_a_cell_never_starts_a_cell_of_its_own() {
        let text = csv_of(&[&["x;=HYPERLINK(\"http://evil\",\"y\")", "a,b", ""]]);
        assert_eq!(text, "\u{feff}\"x;=HYPERLINK(\"\"http://evil\"\",\"\"y\"\")\",\"a,b\",\"\"\r\n");
    }
}
