//! Reading a spreadsheet into rows of text: XLSX through calamine, CSV through the csv crate in
//! UTF-8 (with or without a byte-order mark) or GB18030, which is what Excel and WPS save on a
//! Chinese Windows.

use calamine::{Data, Reader};
use csv::StringRecord;
use std::borrow::Cow;
use std::io::Cursor;

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv(Encoding),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

/// Why a file cannot be read at all (as opposed to a bad row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Not a workbook calamine can open, or a workbook without sheets.
    Workbook,
    /// The file has no header row.
    Empty,
}

/// A file's header and data rows, each row with its number as a spreadsheet shows it (the
/// header is row 1).
pub struct Sheet<'a> {
    pub format: Format,
    pub header: Vec<String>,
    body: Body<'a>,
}

enum Body<'a> {
    Csv { text: Cow<'a, [u8]> },
    Xlsx { rows: Vec<(usize, StringRecord)> },
}

impl<'a> Sheet<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<Sheet<'a>, Unreadable> {
        if bytes.starts_with(b"PK\x03\x04") {
            return open_xlsx(bytes);
        }
        let (text, encoding) = decode(bytes);
        let mut reader = csv_reader(&text);
        let mut header = StringRecord::new();
        match reader.read_record(&mut header) {
            Ok(true) => {}
            _ => return Err(Unreadable::Empty),
        }
        Ok(Sheet {
            format: Format::Csv(encoding),
            header: header.iter().map(clean_header).collect(),
            body: Body::Csv { text },
        })
    }

    /// The data rows, each with its spreadsheet row number; a row whose text could not be
    /// decoded carries U+FFFD where the bad bytes were.
    pub fn rows(&self) -> Rows<'_> {
        match &self.body {
            Body::Csv { text } => {
                let mut reader = csv_reader(text);
                let mut skip = StringRecord::new();
                let _ = reader.read_record(&mut skip);
                Rows::Csv {
                    reader,
                    text,
                    len: text.len() as u64,
                }
            }
            Body::Xlsx { rows } => Rows::Xlsx {
                rows: rows.iter(),
                len: rows.len() as u64,
            },
        }
    }
}

pub enum Rows<'a> {
    Csv {
        reader: csv::Reader<&'a [u8]>,
        text: &'a [u8],
        len: u64,
    },
    Xlsx {
        rows: std::slice::Iter<'a, (usize, StringRecord)>,
        len: u64,
    },
}

impl Rows<'_> {
    /// How far through the file the reader is, and out of how much (bytes or rows).
    pub fn progress(&self) -> (u64, u64) {
        match self {
            Rows::Csv { reader, len, .. } => (reader.position().byte(), *len),
            Rows::Xlsx { rows, len } => (len - rows.len() as u64, *len),
        }
    }

    /// About how many rows are left: the line breaks after the reader's position in a CSV (a
    /// cell with a line break in it counts twice), the rows left of a workbook.
    pub fn remaining_rows(&self) -> usize {
        match self {
            Rows::Csv { reader, text, .. } => {
                let at = (reader.position().byte() as usize).min(text.len());
                text[at..].iter().filter(|b| **b == b'\n').count()
            }
            Rows::Xlsx { rows, .. } => rows.len(),
        }
    }
}

impl Rows<'_> {
    /// Reads the next data row into `record`, reusing its buffers, and returns the row's
    /// number; `None` at the end. Blank rows are skipped.
    pub fn read(&mut self, record: &mut StringRecord) -> Option<usize> {
        match self {
            Rows::Csv { reader, .. } => loop {
                match reader.read_record(record) {
                    Ok(true) => {
                        if record.iter().all(|c| c.trim().is_empty()) {
                            continue;
                        }
                        return Some(record.position().map_or(0, |p| p.line() as usize));
                    }
                    Ok(false) => return None,
                    // The text was decoded before parsing and records may be ragged, so the
                    // reader has nothing left to fail on but I/O on a slice, which cannot happen.
                    Err(_) => return None,
                }
            },
            Rows::Xlsx { rows, .. } => rows.next().map(|(number, r)| {
                record.clone_from(r);
                *number
            }),
        }
    }
}

impl Iterator for Rows<'_> {
    type Item = (usize, StringRecord);

    fn next(&mut self) -> Option<(usize, StringRecord)> {
        let mut record = StringRecord::new();
        self.read(&mut record).map(|number| (number, record))
    }
}

fn csv_reader(text: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text)
}

fn clean_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .trim_end_matches('*')
        .trim()
        .to_string()
}

/// Decodes CSV bytes: valid UTF-8 (the BOM dropped) as it is; otherwise GB18030 unless most
/// lines that are not plain ASCII are valid UTF-8 (a UTF-8 file with a few damaged lines). Bytes
/// that fit neither become U+FFFD, which the row check reports as bad encoding.
pub fn decode(bytes: &[u8]) -> (Cow<'_, [u8]>, Encoding) {
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if std::str::from_utf8(body).is_ok() {
        return (Cow::Borrowed(body), Encoding::Utf8);
    }
    let (mut utf8_lines, mut other_lines) = (0usize, 0usize);
    for line in body.split(|b| *b == b'\n').filter(|l| !l.is_ascii()) {
        if std::str::from_utf8(line).is_ok() {
            utf8_lines += 1;
        } else {
            other_lines += 1;
        }
    }
    if utf8_lines > other_lines {
        let text = String::from_utf8_lossy(body).into_owned();
        return (Cow::Owned(text.into_bytes()), Encoding::Utf8);
    }
    let (text, _) = encoding_rs::GB18030.decode_without_bom_handling(body);
    (
        Cow::Owned(text.into_owned().into_bytes()),
        Encoding::Gb18030,
    )
}

fn open_xlsx(bytes: &[u8]) -> Result<Sheet<'_>, Unreadable> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|_| Unreadable::Workbook)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(Unreadable::Workbook)?
        .map_err(|_| Unreadable::Workbook)?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        let mut record = StringRecord::new();
        for _ in 0..first_col {
            record.push_field("");
        }
        for cell in cells {
            record.push_field(&cell_text(cell));
        }
        (first_row + i + 1, record)
    });
    let (_, header) = rows.next().ok_or(Unreadable::Empty)?;
    Ok(Sheet {
        format: Format::Xlsx,
        header: header.iter().map(clean_header).collect(),
        body: Body::Xlsx {
            rows: rows
                .filter(|(_, r)| !r.iter().all(|c| c.trim().is_empty()))
                .collect(),
        },
    })
}

/// A cell as the text a CSV would hold: dates `YYYY-MM-DD`, times `HH:MM`, whole numbers
/// without a decimal point.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => {
            let value = dt.as_f64();
            match dt.as_datetime() {
                Some(t) if value < 1.0 => t.format("%H:%M").to_string(),
                Some(t) if value.fract() == 0.0 => t.format("%Y-%m-%d").to_string(),
                Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
                None => value.to_string(),
            }
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_and_gb18030_are_told_apart() {
        let text = "机构,日期\n瑞金医院,2025-04-30\n";
        assert_eq!(decode(text.as_bytes()).1, Encoding::Utf8);
        let bom = [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat();
        let (decoded, enc) = decode(&bom);
        assert_eq!((decoded.as_ref(), enc), (text.as_bytes(), Encoding::Utf8));
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let (decoded, enc) = decode(&gb);
        assert_eq!(
            (decoded.as_ref(), enc),
            (text.as_bytes(), Encoding::Gb18030)
        );
    }

    #[test]
    fn a_damaged_line_in_a_utf8_file_stays_utf8_and_shows_where() {
        let mut bytes = "机构,日期\n瑞金医院,2025-04-30\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"\xff\xfe,2025-05-01\n");
        bytes.extend_from_slice("华山医院,2025-05-02\n".as_bytes());
        let sheet = Sheet::open(&bytes).map_err(|_| ()).ok();
        let rows: Vec<_> = sheet.iter().flat_map(|s| s.rows()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].1.get(0), Some("瑞金医院"));
        assert_eq!(rows[1].0, 3);
        assert!(rows[1].1.get(0).is_some_and(|c| c.contains('\u{fffd}')));
    }
}
