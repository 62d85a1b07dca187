//! XLSX through rust_xlsxwriter's constant-memory worksheet: each row is flushed to a temporary
//! file when the next one starts, and the sheet is zipped into the output on `finish`. Every cell
//! is a string cell, so Excel shows exactly what was exported (no `8.49E+10` phones, no
//! formulas); the header row is bold and frozen.

use super::{RowSink, WriteError};
use rust_xlsxwriter::{Format, Workbook};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Rows in one Excel sheet.
const MAX_ROWS: u32 = 1_048_576;
/// Columns in one Excel sheet.
const MAX_COLUMNS: usize = 16_384;
/// Characters (UTF-16 units) in one Excel cell; longer text is cut there.
const MAX_CELL_UNITS: usize = 32_767;

/// An XLSX export of one sheet, written to a file.
pub struct XlsxSink {
    workbook: Workbook,
    out: BufWriter<File>,
    next_row: u32,
    header: Format,
}

impl XlsxSink {
    /// Creates the file at `path` at once (so a path that cannot be written fails before any
    /// work) with one sheet named `sheet_name` (at most 31 characters, none of `[]:*?/\`). The
    /// rows wait in a temporary file in the same folder until [`XlsxSink::finish`].
    pub fn create(path: impl AsRef<Path>, sheet_name: &str) -> Result<XlsxSink, WriteError> {
        let path = path.as_ref();
        let folder = path.parent().filter(|folder| !folder.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut workbook = Workbook::new();
        workbook.set_tempdir(folder)?;
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name)?;
        sheet.set_freeze_panes(1, 0)?;
        let out = BufWriter::new(File::create(path)?);
        Ok(XlsxSink { workbook, out, next_row: 0, header: Format::new().set_bold() })
    }

    /// Zips the workbook into the file and flushes it.
    pub fn finish(mut self) -> Result<(), WriteError> {
        self.workbook.save_to_writer(&mut self.out)?;
        self.out.flush()?;
        Ok(())
    }
}

impl RowSink for XlsxSink {
    fn write_row(&mut self, cells: &[&str]) -> Result<(), WriteError> {
        if self.next_row >= MAX_ROWS {
            return Err(WriteError::TooManyRows);
        }
        if cells.len() > MAX_COLUMNS {
            return Err(WriteError::TooManyColumns);
        }
        let row = self.next_row;
        let sheet = self.workbook.worksheet_from_index(0)?;
        for (column, cell) in (0u16..).zip(cells) {
            let text = fit_cell(cell);
            if row == 0 {
                sheet.write_string_with_format(row, column, text, &self.header)?;
                let width = text.chars().count().clamp(8, 36) + 4;
                sheet.set_column_width(column, width as f64)?;
            } else {
                sheet.write_string(row, column, text)?;
            }
        }
        self.next_row += 1;
        Ok(())
    }
}

impl std::fmt::Debug for XlsxSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxSink").field("next_row", &self.next_row).finish_non_exhaustive()
    }
}

/// `cell`, cut at Excel's limit of 32,767 UTF-16 units per cell.
fn fit_cell(cell: &str) -> &str {
    let mut units = 0;
    for (index, char) in cell.char_indices() {
        units += char.len_utf16();
        if units > MAX_CELL_UNITS {
            return &cell[..index];
        }
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_at_excel_limit() {
        let long = "я".repeat(40_000);
        assert_eq!(fit_cell(&long).chars().count(), MAX_CELL_UNITS);
        let emoji = "😀".repeat(20_000);
        assert_eq!(fit_cell(&emoji).encode_utf16().count(), MAX_CELL_UNITS - 1);
        assert_eq!(fit_cell("short"), "short");
    }
}
