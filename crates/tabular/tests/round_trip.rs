//! What the writers produce reads back unchanged through the reader: XLSX keeps long digit
//! strings and Unicode as text, CSV loses only its BOM.

use rapport_tabular::writer::neutralize_formula;
use rapport_tabular::{CsvSink, Format, Row, RowSink, Sheet, XlsxSink};
use rust_xlsxwriter::{ExcelDateTime, Workbook};
use std::fs::File;
use tempfile::TempDir;

const HEADER: [&str; 4] = ["Họ tên", "Số điện thoại", "Email", "Ghi chú"];
const ROWS: [[&str; 4]; 4] = [
    ["Nguyễn Văn A", "84912345678", "a@example.com", "khách \"VIP\", Hà Nội"],
    ["Иван Петров", "+7 912 345-67-89", "", "первая строка\nвторая"],
    ["张伟", "0012345", "=1+1", "-5"],
    ["Ion Popescu", "", "", "@mention"],
];

fn row(number: u64, cells: &[&str]) -> Row {
    Row { number, cells: cells.iter().map(|&cell| cell.to_owned()).collect() }
}

#[test]
fn xlsx_round_trip_keeps_text_exactly() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("export.xlsx");
    let mut sink = XlsxSink::create(&path, "Liên hệ").expect("create");
    sink.write_row(&HEADER).expect("header");
    for cells in &ROWS {
        sink.write_row(cells).expect("row");
    }
    sink.finish().expect("finish");
    // Only the output is left in the folder: the constant-memory temporary file is gone.
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);

    let sheet = Sheet::open(&path).expect("open");
    assert_eq!(sheet.format(), Format::Xlsx);
    assert_eq!(sheet.headers(), HEADER);
    let rows: Vec<Row> = sheet.map(|row| row.expect("row")).collect();
    let expected: Vec<Row> = (2..).zip(&ROWS).map(|(number, cells)| row(number, cells)).collect();
    assert_eq!(rows, expected);
}

#[test]
fn csv_round_trip_strips_the_bom_and_guards_formulas() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("export.csv");
    let mut sink = CsvSink::new(File::create(&path).expect("create")).expect("sink");
    sink.write_row(&HEADER).expect("header");
    for cells in &ROWS {
        sink.write_row(cells).expect("row");
    }
    sink.finish().expect("finish");
    assert!(std::fs::read(&path).expect("read").starts_with(b"\xEF\xBB\xBF"));

    let sheet = Sheet::open(&path).expect("open");
    assert_eq!(sheet.format(), Format::Csv);
    assert_eq!(sheet.headers(), HEADER);
    let rows: Vec<Row> = sheet.map(|row| row.expect("row")).collect();
    // A line break inside a quoted cell does not start a new row.
    let expected: Vec<Row> = (2..)
        .zip(&ROWS)
        .map(|(number, cells)| Row {
            number,
            cells: cells.iter().map(|cell| neutralize_formula(cell).into_owned()).collect(),
        })
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(rows[2].cells[2], "'=1+1");
    assert_eq!(rows[2].cells[3], "-5");
    assert_eq!(rows[3].cells[3], "'@mention");
}

#[test]
fn xlsx_number_bool_and_date_cells_read_as_shown() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("typed.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let datetime = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    // The table starts at C3, with a blank row inside it.
    for (column, header) in (2u16..).zip(["phone", "score", "vip", "born", "met", "name"]) {
        sheet.write_string(2, column, header).expect("header");
    }
    sheet.write_number(3, 2, 84912345678.0).expect("phone");
    sheet.write_number(3, 3, 4.25).expect("score");
    sheet.write_boolean(3, 4, true).expect("vip");
    let born = ExcelDateTime::from_ymd(1990, 5, 17).expect("date");
    sheet.write_datetime_with_format(3, 5, &born, &date).expect("born");
    let met = ExcelDateTime::from_ymd(2025, 1, 2).expect("date").and_hms(13, 5, 9).expect("time");
    sheet.write_datetime_with_format(3, 6, &met, &datetime).expect("met");
    sheet.write_string(3, 7, "Trần Thị B").expect("name");
    sheet.write_number(5, 2, 79123456789.0).expect("phone");
    sheet.write_number(5, 3, 0.1 + 0.2).expect("score");
    workbook.save(&path).expect("save");

    let sheet = Sheet::open(&path).expect("open");
    assert_eq!(sheet.headers(), ["phone", "score", "vip", "born", "met", "name"]);
    let rows: Vec<Row> = sheet.map(|row| row.expect("row")).collect();
    assert_eq!(
        rows,
        [
            row(4, &["84912345678", "4.25", "true", "1990-05-17", "2025-01-02 13:05:09", "Trần Thị B"]),
            row(6, &["79123456789", "0.3", "", "", "", ""]),
        ]
    );
}

#[test]
fn a_broken_zip_is_reported_as_an_unreadable_xlsx() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("broken.xlsx");
    std::fs::write(&path, b"PK\x03\x04 not really a zip").expect("write");
    let error = Sheet::open(&path).expect_err("broken");
    assert!(error.to_string().starts_with("the XLSX file could not be read"), "{error}");
}

#[test]
fn an_xlsx_sheet_can_be_dropped_half_read() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("many.xlsx");
    let mut sink = XlsxSink::create(&path, "Sheet1").expect("create");
    sink.write_row(&["n"]).expect("header");
    for number in 0..5_000 {
        sink.write_row(&[&number.to_string()]).expect("row");
    }
    sink.finish().expect("finish");
    let mut sheet = Sheet::open(&path).expect("open");
    assert_eq!(sheet.next().expect("a row").expect("row"), row(2, &["0"]));
    drop(sheet);
    let rows: Vec<Row> = Sheet::open(&path).expect("open again").map(|row| row.expect("row")).collect();
    assert_eq!(rows.last(), Some(&row(5_001, &["4999"])));
    let count = rows.len();
    assert_eq!(count, 5_000);
}

#[test]
fn an_empty_worksheet_has_no_header() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("empty.xlsx");
    let mut workbook = Workbook::new();
    workbook.add_worksheet();
    workbook.save(&path).expect("save");
    let error = Sheet::open(&path).expect_err("empty");
    assert_eq!(error.to_string(), "the file has no header row");
}

#[test]
fn readers_and_writers_can_move_to_a_blocking_thread() {
    fn send<T: Send>() {}
    send::<Sheet>();
    send::<XlsxSink>();
    send::<CsvSink<File>>();
}
