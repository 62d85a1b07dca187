//! Reading CSV files as people save them: Excel's BOM and semicolons, quoted line breaks, bad
//! encodings reported by row, blank lines skipped but counted.

use rapport_tabular::{Format, ReadError, Row, Sheet};
use std::path::PathBuf;
use tempfile::TempDir;

fn file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

fn row(number: u64, cells: &[&str]) -> Row {
    Row { number, cells: cells.iter().map(|&cell| cell.to_owned()).collect() }
}

fn rows(sheet: Sheet) -> Vec<Row> {
    sheet.map(|row| row.expect("row")).collect()
}

#[test]
fn excel_csv_with_bom_semicolons_and_quoted_newline() {
    let dir = TempDir::new().expect("tempdir");
    let text = "\u{feff}Họ tên;Số điện thoại;Ghi chú\r\n\
                Иван Петров;+7 912 345-67-89;\"первая строка\r\nвторая; строка\"\r\n\
                Nguyễn Văn A;0912345678;\"nói \"\"xin chào\"\"\"\r\n\
                \r\n\
                ;;\r\n\
                Trần Thị B;0987654321\r\n\
                Lê C;0900000000;x;extra\r\n";
    let sheet = Sheet::open(file(&dir, "upload.bin", text.as_bytes())).expect("open");
    assert_eq!(sheet.format(), Format::Csv);
    assert_eq!(sheet.headers(), ["Họ tên", "Số điện thoại", "Ghi chú"]);
    assert_eq!(
        rows(sheet),
        [
            row(2, &["Иван Петров", "+7 912 345-67-89", "первая строка\r\nвторая; строка"]),
            row(3, &["Nguyễn Văn A", "0912345678", "nói \"xin chào\""]),
            row(6, &["Trần Thị B", "0987654321", ""]),
            row(7, &["Lê C", "0900000000", "x", "extra"]),
        ]
    );
}

#[test]
fn comma_csv_without_bom_or_final_line_break() {
    let dir = TempDir::new().expect("tempdir");
    let text = "name, phone ,email\n\"Smith, John\",+44 7911 123456,john@example.com\n\"Multi\nline\nname\",1,\nLast,2,last@example.com";
    let sheet = Sheet::open(file(&dir, "contacts.csv", text.as_bytes())).expect("open");
    assert_eq!(sheet.headers(), ["name", "phone", "email"]);
    assert_eq!(
        rows(sheet),
        [
            row(2, &["Smith, John", "+44 7911 123456", "john@example.com"]),
            row(3, &["Multi\nline\nname", "1", ""]),
            row(4, &["Last", "2", "last@example.com"]),
        ]
    );
}

#[test]
fn tab_separated_and_excel_sep_line() {
    let dir = TempDir::new().expect("tempdir");
    let sheet = Sheet::open(file(&dir, "a.tsv", b"name\tphone\nAn\t1\n")).expect("open");
    assert_eq!(sheet.headers(), ["name", "phone"]);
    assert_eq!(rows(sheet), [row(2, &["An", "1"])]);

    let sheet = Sheet::open(file(&dir, "b.csv", b"sep=;\r\nname,x;phone\r\nAn;1\r\n")).expect("open");
    assert_eq!(sheet.headers(), ["name,x", "phone"]);
    assert_eq!(rows(sheet), [row(2, &["An", "1"])]);
}

#[test]
fn invalid_utf8_is_reported_with_its_row_and_reading_goes_on() {
    let dir = TempDir::new().expect("tempdir");
    // Row 3 is Windows-1251 ("Иван"), as Russian Excel saves "CSV (comma delimited)".
    let bytes = b"name;phone\nAn;1\n\xC8\xE2\xE0\xED;2\nBa;3\n";
    let sheet = Sheet::open(file(&dir, "cp1251.csv", bytes)).expect("open");
    let results: Vec<Result<Row, ReadError>> = sheet.collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().expect("row 2"), &row(2, &["An", "1"]));
    let error = results[1].as_ref().expect_err("row 3");
    assert!(matches!(error, ReadError::InvalidUtf8 { row: 3 }), "{error:?}");
    assert_eq!(error.row(), Some(3));
    assert!(error.to_string().starts_with("row 3: not valid UTF-8"), "{error}");
    assert_eq!(results[2].as_ref().expect("row 4"), &row(4, &["Ba", "3"]));
}

#[test]
fn invalid_utf8_in_the_header_fails_the_open() {
    let dir = TempDir::new().expect("tempdir");
    let error = Sheet::open(file(&dir, "bad.csv", b"\xC8\xEC\xFF;phone\n")).expect_err("bad header");
    assert_eq!(error.to_string(), "row 1: not valid UTF-8 (save the file as CSV UTF-8 and upload it again)");
}

#[test]
fn blank_lines_are_skipped_but_counted() {
    let dir = TempDir::new().expect("tempdir");
    let sheet = Sheet::open(file(&dir, "gaps.csv", b"\n,\nname,phone\n\n  , \nAn,1\n\n\nBa,2\n\n")).expect("open");
    assert_eq!(sheet.headers(), ["name", "phone"]);
    assert_eq!(rows(sheet), [row(6, &["An", "1"]), row(9, &["Ba", "2"])]);
}

#[test]
fn files_without_a_header_or_not_spreadsheets_are_refused() {
    let dir = TempDir::new().expect("tempdir");
    for (name, bytes) in [("empty.csv", &b""[..]), ("blank.csv", b"\r\n;;\r\n\r\n"), ("bom.csv", b"\xEF\xBB\xBF")] {
        let error = Sheet::open(file(&dir, name, bytes)).expect_err(name);
        assert_eq!(error.to_string(), "the file has no header row", "{name}");
    }
    let error = Sheet::open(file(&dir, "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")).expect_err("png");
    assert_eq!(error.to_string(), "not a CSV or XLSX file");
    let error = Sheet::open(file(&dir, "old.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])).expect_err("xls");
    assert!(matches!(error, ReadError::LegacyXls), "{error:?}");
    let error = Sheet::open(dir.path().join("missing.csv")).expect_err("missing");
    assert!(matches!(error, ReadError::Io(_)), "{error:?}");
}

#[test]
fn row_numbers_hold_across_buffer_boundaries() {
    let dir = TempDir::new().expect("tempdir");
    let mut text = String::from("id;note\r\n");
    let mut expected = Vec::new();
    let mut row_number = 2;
    for id in 0..5_000u64 {
        let line_end = if id % 3 == 0 { "\n" } else { "\r\n" };
        match id % 7 {
            0 => text.push_str(&format!("{id};\"two\r\nlines; {id}\"{line_end}")),
            1 => text.push_str(&format!("{id};\"\"\"quoted\"\"\n\n\nthree blank\"{line_end}")),
            _ => text.push_str(&format!("{id};plain{line_end}")),
        }
        expected.push((row_number, id.to_string()));
        row_number += 1;
        if id % 11 == 0 {
            text.push_str(line_end);
            text.push_str(";\r\n");
            row_number += 2;
        }
    }
    let sheet = Sheet::open(file(&dir, "long.csv", text.as_bytes())).expect("open");
    let got: Vec<(u64, String)> = rows(sheet).into_iter().map(|row| (row.number, row.cells[0].clone())).collect();
    assert_eq!(got, expected);
}
