//! CSV as people really save it: with or without Excel's UTF-8 BOM, separated by commas or (in
//! locales whose decimal mark is a comma, such as Russian and Vietnamese Excel) semicolons, or
//! tabs, sometimes with Excel's `sep=;` first line. The delimiter is guessed from the header line,
//! counting only outside quotes. Streamed record by record; cells are decoded per row so one bad
//! row is reported by number without stopping the rest.

use super::{ReadError, Row, SNIFF_LEN, headers_from, is_blank};
use csv::ByteRecord;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Delimiters we recognise, in order of preference when counts tie.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

pub(super) struct Delimited {
    reader: csv::Reader<LineCounter<File>>,
    record: ByteRecord,
    /// `\n` bytes up to the end of the record just read.
    newlines: u64,
    /// `\n` bytes inside quoted cells of the records read so far: lines, but not rows.
    embedded_newlines: u64,
    done: bool,
}

impl Delimited {
    /// Opens `file` and reads up to its header row (the first row that is not blank).
    pub(super) fn open(mut file: File) -> Result<(Vec<String>, Delimited), ReadError> {
        let mut head = Vec::with_capacity(SNIFF_LEN);
        (&mut file).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
        let bom = if head.starts_with(BOM) { BOM.len() } else { 0 };
        let (delimiter, directive) = match sep_directive(&head[bom..]) {
            Some((delimiter, line_len)) => (delimiter, line_len),
            None => (sniff_delimiter(&head[bom..]), 0),
        };
        file.seek(SeekFrom::Start((bom + directive) as u64))?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(LineCounter { inner: file, offset: 0, newlines: VecDeque::new() });
        let mut source =
            Delimited { reader, record: ByteRecord::new(), newlines: 0, embedded_newlines: 0, done: false };
        let first = source.next_row().ok_or(ReadError::NoHeader)??;
        let headers = headers_from(first.cells).ok_or(ReadError::NoHeader)?;
        Ok((headers, source))
    }

    /// The next row that is not blank; after an I/O error, nothing more.
    pub(super) fn next_row(&mut self) -> Option<Result<Row, ReadError>> {
        loop {
            if self.done {
                return None;
            }
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(csv_error(error)));
                }
            }
            let number = self.row_number();
            match decode(&self.record, number) {
                Ok(cells) if is_blank(&cells) => continue,
                Ok(cells) => return Some(Ok(Row { number, cells })),
                Err(error) => return Some(Err(error)),
            }
        }
    }

    /// The spreadsheet row number of the record just read: one more than the line breaks before
    /// it (blank lines count, as they do in Excel), less those inside quoted cells. csv's own
    /// record positions point at the end of the previous record, before any blank lines, so the
    /// line breaks are counted here up to the end of this record.
    fn row_number(&mut self) -> u64 {
        let end = self.reader.position().byte();
        let (newlines, ends_with_newline) = self.reader.get_mut().take_before(end);
        self.newlines += newlines;
        self.embedded_newlines += self.record.as_slice().iter().filter(|&&byte| byte == b'\n').count() as u64;
        (1 + self.newlines).saturating_sub(u64::from(ends_with_newline) + self.embedded_newlines)
    }
}

/// The input with the offsets of its `\n` bytes noted as they pass, until asked for.
struct LineCounter<R> {
    inner: R,
    offset: u64,
    /// Offsets of `\n` bytes read but not yet taken: at most one buffer's worth.
    newlines: VecDeque<u64>,
}

impl<R> LineCounter<R> {
    /// How many `\n` bytes lie before offset `end`, and whether the last byte before it is one;
    /// they are forgotten.
    fn take_before(&mut self, end: u64) -> (u64, bool) {
        let mut count = 0;
        let mut last = None;
        while let Some(&offset) = self.newlines.front().filter(|&&offset| offset < end) {
            self.newlines.pop_front();
            count += 1;
            last = Some(offset);
        }
        (count, last.is_some_and(|offset| offset + 1 == end))
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let start = self.offset;
        self.newlines.extend(
            buf[..read].iter().enumerate().filter(|&(_, &byte)| byte == b'\n').map(|(index, _)| start + index as u64),
        );
        self.offset += read as u64;
        Ok(read)
    }
}

fn decode(record: &ByteRecord, row: u64) -> Result<Vec<String>, ReadError> {
    record
        .iter()
        .map(|field| std::str::from_utf8(field).map(str::to_owned).map_err(|_| ReadError::InvalidUtf8 { row }))
        .collect()
}

fn csv_error(error: csv::Error) -> ReadError {
    let message = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(error) => ReadError::Io(error),
        _ => ReadError::Csv(message),
    }
}

/// Excel's `sep=;` first line: the delimiter and the length of the line with its line break.
fn sep_directive(head: &[u8]) -> Option<(u8, usize)> {
    let rest = head.strip_prefix(b"sep=")?;
    let (&delimiter, after) = rest.split_first()?;
    if matches!(delimiter, b'\r' | b'\n' | b'"') {
        return None;
    }
    let line_break = match after {
        [b'\r', b'\n', ..] => 2,
        [b'\n', ..] | [b'\r', ..] => 1,
        [] => 0,
        _ => return None,
    };
    Some((delimiter, 4 + 1 + line_break))
}

/// The delimiter used most often, outside quotes, on the first line that has any content.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut in_quotes = false;
    let mut has_content = false;
    for &byte in head {
        if byte == b'"' {
            in_quotes = !in_quotes;
            has_content = true;
        } else if in_quotes {
            continue;
        } else if byte == b'\n' || byte == b'\r' {
            if has_content {
                break;
            }
        } else if let Some(index) = DELIMITERS.iter().position(|&delimiter| delimiter == byte) {
            counts[index] += 1;
            has_content = true;
        } else if !byte.is_ascii_whitespace() {
            has_content = true;
        }
    }
    let mut best = 0;
    for (index, &count) in counts.iter().enumerate() {
        if count > counts[best] {
            best = index;
        }
    }
    DELIMITERS[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_counted_outside_quotes_on_the_header_line() {
        assert_eq!(sniff_delimiter(b"name,phone,email\n"), b',');
        assert_eq!(sniff_delimiter("Имя;Телефон;\"Адрес, город, улица\"\r\n".as_bytes()), b';');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d\n1;2;3;4;5"), b',');
        assert_eq!(sniff_delimiter(b"\n\r\nname\tphone\n"), b'\t');
        assert_eq!(sniff_delimiter(b"name\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn excel_sep_line_is_recognised() {
        assert_eq!(sep_directive(b"sep=;\r\nname;phone"), Some((b';', 7)));
        assert_eq!(sep_directive(b"sep=,\nname"), Some((b',', 6)));
        assert_eq!(sep_directive(b"sep=;x\n"), None);
        assert_eq!(sep_directive(b"name,phone"), None);
    }
}
