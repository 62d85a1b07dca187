//! Writes a large contact export to measure the writers' time and memory, e.g.
//! `/usr/bin/time -v cargo run --release -p rapport-tabular --example export_million -- xlsx /tmp/out.xlsx 1000000`.
//! Memory must stay flat whatever the row count. `read PATH ROWS` reads a file back with
//! [`Sheet`] and fails unless it holds exactly ROWS error-free data rows.

use rapport_tabular::{CsvSink, RowSink, Sheet, WriteError, XlsxSink};
use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

const HEADER: [&str; 8] = ["Name", "Phone", "Email", "Address", "Source", "Responsible", "Created", "Note"];
const NAMES: [&str; 4] = ["Nguyễn Văn An", "Иван Петров", "Ion Popescu", "张伟"];

fn write_rows(sink: &mut dyn RowSink, rows: u64) -> Result<(), WriteError> {
    sink.write_row(&HEADER)?;
    for index in 0..rows {
        let name = format!("{} {index}", NAMES[(index % 4) as usize]);
        let phone = format!("849{:08}", index % 100_000_000);
        let email = format!("contact{index}@example.com");
        let address = format!("{} Lê Lợi, Quận 1, TP. Hồ Chí Minh", index % 500);
        let created = format!("2025-{:02}-{:02} 10:{:02}:00", index % 12 + 1, index % 28 + 1, index % 60);
        let cells = [&*name, &*phone, &*email, &*address, "Facebook", "Trần Thị Bình", &*created, "—"];
        sink.write_row(&cells)?;
    }
    Ok(())
}

fn run(format: &str, path: &str, rows: u64) -> Result<(), WriteError> {
    match format {
        "xlsx" => {
            let mut sink = XlsxSink::create(path, "Contacts")?;
            write_rows(&mut sink, rows)?;
            sink.finish()
        }
        _ => {
            let mut sink = CsvSink::new(BufWriter::new(File::create(path)?))?;
            write_rows(&mut sink, rows)?;
            sink.finish().map(drop)
        }
    }
}

fn read_back(path: &str, rows: u64) -> Result<bool, Box<dyn std::error::Error>> {
    let mut count = 0;
    for row in Sheet::open(path)? {
        row?;
        count += 1;
    }
    Ok(count == rows)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let format = args.get(1).map_or("xlsx", String::as_str);
    let path = args.get(2).map_or("/tmp/export_million.xlsx", String::as_str);
    let rows = args.get(3).and_then(|rows| rows.parse().ok()).unwrap_or(1_000_000);
    if format == "read" {
        return match read_back(path, rows) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => {
                eprintln!("read back a different number of rows");
                ExitCode::FAILURE
            }
            Err(error) => {
                eprintln!("read failed: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match run(format, path, rows) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("export failed: {error}");
            ExitCode::FAILURE
        }
    }
}
