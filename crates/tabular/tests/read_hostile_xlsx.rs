//! Workbooks no spreadsheet program writes, built by hand as an attacker would: each is refused
//! with a clear reason, quickly and without the memory its cells or parts claim.

use rapport_tabular::{ReadError, Sheet};
use std::io::Write;
use std::path::PathBuf;
use tempfile::TempDir;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// A one-sheet workbook whose rows are `rows` (`<row>` elements), plus any extra parts.
fn workbook(dir: &TempDir, rows: &str, extra: &[(&str, &str)]) -> PathBuf {
    let path = dir.path().join("hostile.xlsx");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    );
    let parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet.as_str()),
    ];
    for (name, text) in parts.iter().chain(extra) {
        zip.start_file(*name, SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored))
            .expect("part");
        zip.write_all(text.as_bytes()).expect("write part");
    }
    zip.finish().expect("finish");
    path
}

fn cell(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// Reads the whole sheet as an upload does, answering the first error.
fn read(path: &PathBuf) -> Result<usize, ReadError> {
    let sheet = Sheet::open(path)?;
    let mut rows = 0;
    for row in sheet {
        row?;
        rows += 1;
    }
    Ok(rows)
}

#[test]
fn an_ordinary_hand_built_workbook_reads() {
    let dir = TempDir::new().expect("dir");
    let rows = format!(r#"<row r="1">{}</row><row r="2">{}</row>"#, cell("A1", "name"), cell("A2", "Ana"));
    assert_eq!(read(&workbook(&dir, &rows, &[])).expect("readable"), 1);
}

#[test]
fn a_cell_beyond_excels_last_column_is_refused_without_allocating_for_it() {
    let dir = TempDir::new().expect("dir");
    // Column ZZZZZZ is about 321 million: placing the cell by its column would take gigabytes.
    let rows = format!(r#"<row r="1">{}</row><row r="2">{}</row>"#, cell("A1", "name"), cell("ZZZZZZ2", "x"));
    let error = read(&workbook(&dir, &rows, &[])).expect_err("refused");
    assert!(matches!(error, ReadError::BeyondLastColumn { row: 2, .. }), "{error:?}");
    assert!(error.to_string().contains("beyond Excel's last column (16384)"), "{error}");
    // The last column Excel has (XFD) is still fine.
    let rows = format!(r#"<row r="1">{}{}</row>"#, cell("A1", "name"), cell("XFD1", "last"));
    assert!(read(&workbook(&dir, &rows, &[])).is_ok());
}

#[test]
fn a_row_beyond_excels_last_row_is_refused() {
    let dir = TempDir::new().expect("dir");
    let rows = format!(r#"<row r="1">{}</row><row r="1048577">{}</row>"#, cell("A1", "name"), cell("A1048577", "x"));
    let error = read(&workbook(&dir, &rows, &[])).expect_err("refused");
    assert!(matches!(error, ReadError::BeyondLastRow { row: 1_048_577 }), "{error:?}");
}

#[test]
fn a_part_claiming_to_unpack_to_gigabytes_is_refused_before_anything_is_unpacked() {
    let dir = TempDir::new().expect("dir");
    let rows = format!(r#"<row r="1">{}</row>"#, cell("A1", "name"));
    let path = workbook(&dir, &rows, &[("xl/sharedStrings.xml", "<sst/>")]);
    // Make the central directory claim 4 GB for the shared strings, as a zip bomb would.
    let mut bytes = std::fs::read(&path).expect("read back");
    let name = b"xl/sharedStrings.xml";
    let header = (0..bytes.len() - 46)
        .find(|&i| bytes[i..i + 4] == *b"PK\x01\x02" && bytes[i + 46..].starts_with(name))
        .expect("central directory entry");
    bytes[header + 24..header + 28].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    std::fs::write(&path, bytes).expect("rewrite");
    let error = read(&path).expect_err("refused");
    assert!(matches!(&error, ReadError::PartTooLarge { part, .. } if part == "xl/sharedStrings.xml"), "{error:?}");
}
