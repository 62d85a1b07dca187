//! Spreadsheets in and out of Rapport: contacts arrive as CSV or XLSX files that people saved
//! from Excel, Google Sheets or another CRM, and leave the same way. Kept apart from the server
//! so the file formats — encodings, delimiters, Excel's number cells, formula injection — are
//! handled and tested in one place, with no HTTP or database in sight.
//!
//! - [`reader`]: open an uploaded file (CSV or XLSX, sniffed from its bytes) and walk its rows
//!   with the spreadsheet row numbers a person sees.
//! - [`writer`]: streaming CSV and XLSX writers whose memory stays flat for a million rows.
//! - [`mapping`]: guess which column is the name, the phone, … from the header row, in the
//!   languages our customers write.

pub mod mapping;
pub mod reader;
pub mod writer;

pub use mapping::{Target, auto_map, builtin_synonyms};
pub use reader::{Format, ReadError, Row, Sheet};
pub use writer::{CsvSink, RowSink, WriteError, XlsxSink};
