//! Reading a spreadsheet into rows of text: XLSX through calamine, CSV through the csv crate in
//! UTF-8 (with or without a byte-order mark) or GB18030, which is what Excel and WPS save on a
//! Chinese Windows.
//!
//! The file is read from disk as a stream, one row in memory at a time, however large it is or
//! claims to be: an XLSX is checked against the limits of [`crate::workbook`] before calamine
//! opens it and its cells are read one by one (never as a dense range, which a cell at
//! `XFD1048576` would make 17 billion cells), and a CSV is decoded as it is read.

use crate::workbook;
use calamine::{Data, DataRef, Reader, Xlsx, XlsxCellReader};
use csv::StringRecord;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Columns a sheet may use: 64, three times the widest import template.
pub const MAX_COLUMNS: u32 = 64;
/// Rows a sheet may use: 1,048,576, Excel's own limit.
pub const MAX_ROWS: u32 = 1_048_576;
/// Cells a sheet may declare (its `<dimension>`, rows × columns): 33,554,432, a million rows
/// of 32 columns. Cells are read one at a time, so this bounds the time, not the memory.
pub const MAX_CELLS: u64 = 1 << 25;
/// One row of a CSV, decoded: 1 MiB. The CSV reader holds a whole row in memory; a longer one
/// is a file that is not a table (or a quote never closed).
pub const MAX_ROW_BYTES: u64 = 1 << 20;

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
    /// The file is beyond a limit; the message key names it.
    Limit(&'static str),
}

impl Unreadable {
    /// The message key of the file-level problem.
    pub fn key(&self) -> &'static str {
        match self {
            Unreadable::Workbook => "error.import_unreadable",
            Unreadable::Empty => "error.import_empty",
            Unreadable::Limit(key) => key,
        }
    }
}

const SHEET_LIMIT: Unreadable = Unreadable::Limit("error.import_sheet_limits");
const ROW_LIMIT: Unreadable = Unreadable::Limit("error.import_row_too_long");

/// A file's header and data rows, each row with its number as a spreadsheet shows it (the
/// header is row 1).
pub struct Sheet {
    pub format: Format,
    pub header: Vec<String>,
    body: Body,
}

enum Body {
    Csv {
        path: PathBuf,
        encoding: Decoding,
        size: u64,
    },
    Xlsx {
        book: Box<Xlsx<BufReader<File>>>,
        sheet: String,
        /// The header's row index (0-based); data rows are below it.
        header_row: u32,
        /// The last row the sheet declares (0-based), for progress.
        last_row: u32,
    },
}

/// How a CSV's bytes become UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoding {
    /// Valid UTF-8 throughout: passed through.
    Utf8,
    /// Mostly UTF-8, with damaged lines: each line decoded on its own, bad bytes as U+FFFD.
    Utf8Lossy,
    Gb18030,
}

impl Sheet {
    pub fn open(path: &Path) -> Result<Sheet, Unreadable> {
        let mut file = File::open(path).map_err(|_| Unreadable::Workbook)?;
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut file, &mut magic).map_err(|_| Unreadable::Workbook)?;
        if magic[..n] == *b"PK\x03\x04" {
            return open_xlsx(file);
        }
        let size = file.metadata().map_err(|_| Unreadable::Workbook)?.len();
        let encoding = detect(BufReader::new(
            File::open(path).map_err(|_| Unreadable::Workbook)?,
        ))?;
        let mut sheet = Sheet {
            format: Format::Csv(match encoding {
                Decoding::Gb18030 => Encoding::Gb18030,
                Decoding::Utf8 | Decoding::Utf8Lossy => Encoding::Utf8,
            }),
            header: vec![],
            body: Body::Csv {
                path: path.to_path_buf(),
                encoding,
                size,
            },
        };
        let mut header = StringRecord::new();
        let mut rows = sheet.raw_rows();
        let read = rows.read_record(&mut header);
        let failure = rows.take_failure();
        drop(rows);
        match (read, failure) {
            (_, Some(e)) => return Err(e),
            (Some(_), None) => {}
            (None, None) => return Err(Unreadable::Empty),
        }
        sheet.header = header.iter().map(clean_header).collect();
        Ok(sheet)
    }

    /// The data rows, each with its spreadsheet row number; a row whose text could not be
    /// decoded carries U+FFFD where the bad bytes were. A file that fails part-way (a limit, a
    /// damaged workbook) ends the rows; [`Rows::take_failure`] says why.
    pub fn rows(&mut self) -> Rows<'_> {
        let mut rows = self.raw_rows();
        if let Inner::Csv { .. } = rows.inner {
            let mut skip = StringRecord::new();
            rows.read_record(&mut skip);
        }
        rows
    }

    /// Every row of the file, the header included.
    fn raw_rows(&mut self) -> Rows<'_> {
        let inner = match &mut self.body {
            Body::Csv {
                path,
                encoding,
                size,
            } => match csv_rows(path, *encoding, *size) {
                Ok(inner) => inner,
                Err(e) => return Rows::failed(e),
            },
            Body::Xlsx {
                book,
                sheet,
                header_row,
                last_row,
            } => match book.worksheet_cells_reader(sheet) {
                Ok(cells) => Inner::Xlsx {
                    cells: Box::new(cells),
                    pending: None,
                    ended: false,
                    skip_through: Some(*header_row),
                    row: 0,
                    last_row: *last_row,
                },
                Err(_) => return Rows::failed(Unreadable::Workbook),
            },
        };
        Rows {
            inner,
            failure: None,
            rows: 0,
        }
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

pub struct Rows<'a> {
    inner: Inner<'a>,
    failure: Option<Unreadable>,
    /// Rows read so far (the header included).
    rows: u64,
}

enum Inner<'a> {
    Csv {
        reader: Box<csv::Reader<Decoder<BufReader<Counted>>>>,
        /// Bytes of the file read so far, and its size.
        read: Arc<AtomicU64>,
        size: u64,
        /// Where the row being read starts in the decoded text (for [`MAX_ROW_BYTES`]).
        row_start: Arc<AtomicU64>,
    },
    Xlsx {
        cells: Box<XlsxCellReader<'a, BufReader<File>>>,
        /// The first cell of the next row, read while finishing the last one, or `None` with
        /// `ended` once the sheet's data ended (the reader must not be asked again).
        pending: Option<(u32, u32, String)>,
        ended: bool,
        /// Rows up to and including this index are skipped (the header and what is above it).
        skip_through: Option<u32>,
        row: u32,
        last_row: u32,
    },
    Failed,
}

impl Rows<'_> {
    fn failed(e: Unreadable) -> Rows<'static> {
        Rows {
            inner: Inner::Failed,
            failure: Some(e),
            rows: 0,
        }
    }

    /// Why the rows ended before the end of the file, if they did. A caller that gets this
    /// must treat the whole file as unreadable: rows after the failure were never seen.
    pub fn take_failure(&mut self) -> Option<Unreadable> {
        self.failure.take()
    }

    /// How far through the file the reader is, and out of how much (bytes or rows).
    pub fn progress(&self) -> (u64, u64) {
        match &self.inner {
            Inner::Csv { read, size, .. } => (read.load(Ordering::Relaxed).min(*size), *size),
            Inner::Xlsx { row, last_row, .. } => {
                let total = u64::from(*last_row.max(row)) + 1;
                (u64::from(*row), total)
            }
            Inner::Failed => (0, 0),
        }
    }

    /// About how many rows are left: the rows so far scaled by the bytes left of a CSV, the
    /// rows left of the sheet's declared dimension.
    pub fn remaining_rows(&self) -> usize {
        match &self.inner {
            Inner::Csv { read, size, .. } => {
                let read = read.load(Ordering::Relaxed).max(1);
                let left = size.saturating_sub(read);
                (self.rows.saturating_mul(left) / read) as usize
            }
            Inner::Xlsx { row, last_row, .. } => last_row.saturating_sub(*row) as usize,
            Inner::Failed => 0,
        }
    }

    /// Reads the next data row into `record`, reusing its buffers, and returns the row's
    /// number; `None` at the end. Blank rows are skipped.
    pub fn read(&mut self, record: &mut StringRecord) -> Option<usize> {
        loop {
            let number = self.read_record(record)?;
            if !record.iter().all(|c| c.trim().is_empty()) {
                return Some(number);
            }
        }
    }

    fn read_record(&mut self, record: &mut StringRecord) -> Option<usize> {
        let result = match &mut self.inner {
            Inner::Csv {
                reader, row_start, ..
            } => match reader.read_record(record) {
                Ok(true) => {
                    row_start.store(reader.position().byte(), Ordering::Relaxed);
                    Ok(Some(record.position().map_or(0, |p| p.line() as usize)))
                }
                Ok(false) => Ok(None),
                Err(e) => Err(match e.kind() {
                    csv::ErrorKind::Io(io)
                        if io.get_ref().is_some_and(|e| e.is::<RowTooLong>()) =>
                    {
                        ROW_LIMIT
                    }
                    _ => Unreadable::Workbook,
                }),
            },
            Inner::Xlsx {
                cells,
                pending,
                ended,
                skip_through,
                row,
                ..
            } => xlsx_row(cells, (pending, ended), skip_through, row, record),
            Inner::Failed => Ok(None),
        };
        match result {
            Ok(Some(number)) => {
                self.rows += 1;
                Some(number)
            }
            Ok(None) => None,
            Err(e) => {
                self.failure = Some(e);
                self.inner = Inner::Failed;
                None
            }
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

fn clean_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .trim_end_matches('*')
        .trim()
        .to_string()
}

/// A file that counts the bytes read from it.
struct Counted {
    file: File,
    read: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn csv_rows(path: &Path, encoding: Decoding, size: u64) -> Result<Inner<'static>, Unreadable> {
    let read = Arc::new(AtomicU64::new(0));
    let row_start = Arc::new(AtomicU64::new(0));
    let file = File::open(path).map_err(|_| Unreadable::Workbook)?;
    let mut input = BufReader::with_capacity(
        64 * 1024,
        Counted {
            file,
            read: read.clone(),
        },
    );
    skip_bom(&mut input).map_err(|_| Unreadable::Workbook)?;
    let decoder = Decoder {
        input,
        decoding: encoding,
        gb18030: encoding_rs::GB18030.new_decoder_without_bom_handling(),
        out: Vec::new(),
        at: 0,
        done: false,
        produced: 0,
        row_start: row_start.clone(),
    };
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(decoder);
    Ok(Inner::Csv {
        reader: Box::new(reader),
        read,
        size,
        row_start,
    })
}

fn skip_bom(input: &mut impl BufRead) -> std::io::Result<()> {
    if input.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        input.consume(3);
    }
    Ok(())
}

/// The signal, through the csv reader's I/O error, that a row grew past [`MAX_ROW_BYTES`].
#[derive(Debug)]
struct RowTooLong;

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a row is longer than {MAX_ROW_BYTES} bytes")
    }
}

impl std::error::Error for RowTooLong {}

/// A CSV's bytes as UTF-8, decoded as they are read. It refuses to hand the csv reader more
/// than [`MAX_ROW_BYTES`] (and a buffer's worth) past the start of the row being read, which
/// bounds the memory of one row.
struct Decoder<R> {
    input: R,
    decoding: Decoding,
    gb18030: encoding_rs::Decoder,
    /// Decoded text not yet handed out, from `at`.
    out: Vec<u8>,
    at: usize,
    done: bool,
    /// Decoded bytes handed out so far.
    produced: u64,
    row_start: Arc<AtomicU64>,
}

/// What the csv reader may hold beyond a row of [`MAX_ROW_BYTES`]: its own buffer and ours.
const READ_AHEAD: u64 = 256 * 1024;

impl<R: BufRead> Decoder<R> {
    fn refill(&mut self) -> std::io::Result<()> {
        self.out.clear();
        self.at = 0;
        match self.decoding {
            Decoding::Utf8 => {
                let chunk = self.input.fill_buf()?;
                self.out.extend_from_slice(chunk);
                let n = chunk.len();
                self.input.consume(n);
                self.done = n == 0;
            }
            Decoding::Utf8Lossy => {
                let mut line = Vec::new();
                self.done = !read_line(&mut self.input, &mut line)?;
                self.out
                    .extend_from_slice(String::from_utf8_lossy(&line).as_bytes());
            }
            Decoding::Gb18030 => {
                let chunk = self.input.fill_buf()?;
                let last = chunk.is_empty();
                self.out.resize(
                    self.gb18030
                        .max_utf8_buffer_length(chunk.len())
                        .unwrap_or(4 * chunk.len() + 16),
                    0,
                );
                let (_, read, written, _) = self.gb18030.decode_to_utf8(chunk, &mut self.out, last);
                self.out.truncate(written);
                self.input.consume(read);
                self.done = last;
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        if self.produced - self.row_start.load(Ordering::Relaxed).min(self.produced)
            > MAX_ROW_BYTES + READ_AHEAD
        {
            return Err(std::io::Error::other(RowTooLong));
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        self.produced += n as u64;
        Ok(n)
    }
}

/// Reads one line (with its `\n`) into `line`; `false` at the end of the input. A line longer
/// than [`MAX_ROW_BYTES`] is refused (a row cannot be shorter than its longest line).
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<bool> {
    line.clear();
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(!line.is_empty());
        }
        let (take, end) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        line.extend_from_slice(&chunk[..take]);
        input.consume(take);
        if line.len() as u64 > MAX_ROW_BYTES {
            return Err(std::io::Error::other(RowTooLong));
        }
        if end {
            return Ok(true);
        }
    }
}

/// Decides a CSV's encoding from the whole file, read once as a stream: valid UTF-8 (a BOM
/// allowed) as it is; otherwise GB18030 unless most lines that are not plain ASCII are valid
/// UTF-8 (a UTF-8 file with a few damaged lines). Bytes that fit neither become U+FFFD, which
/// the row check reports as bad encoding.
fn detect(mut input: impl BufRead) -> Result<Decoding, Unreadable> {
    let failed = |e: std::io::Error| {
        if e.get_ref().is_some_and(|e| e.is::<RowTooLong>()) {
            ROW_LIMIT
        } else {
            Unreadable::Workbook
        }
    };
    skip_bom(&mut input).map_err(failed)?;
    let (mut utf8_lines, mut other_lines) = (0usize, 0usize);
    let mut line = Vec::new();
    while read_line(&mut input, &mut line).map_err(failed)? {
        if line.is_ascii() {
            continue;
        }
        if std::str::from_utf8(&line).is_ok() {
            utf8_lines += 1;
        } else {
            other_lines += 1;
        }
    }
    Ok(if other_lines == 0 {
        Decoding::Utf8
    } else if utf8_lines > other_lines {
        Decoding::Utf8Lossy
    } else {
        Decoding::Gb18030
    })
}

fn open_xlsx(mut file: File) -> Result<Sheet, Unreadable> {
    workbook::check(&mut file)?;
    file.seek(SeekFrom::Start(0))
        .map_err(|_| Unreadable::Workbook)?;
    let mut book: Xlsx<_> = Xlsx::new(BufReader::new(file)).map_err(|_| Unreadable::Workbook)?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(Unreadable::Workbook)?;
    let (header, header_row, last_row) = {
        let mut cells = book
            .worksheet_cells_reader(&sheet)
            .map_err(|_| Unreadable::Workbook)?;
        let declared = cells.dimensions();
        let span = |from: u32, to: u32| u64::from(to.saturating_sub(from)) + 1;
        if declared.end.0 >= MAX_ROWS
            || declared.end.1 >= MAX_COLUMNS
            || span(declared.start.0, declared.end.0) * span(declared.start.1, declared.end.1)
                > MAX_CELLS
        {
            return Err(SHEET_LIMIT);
        }
        let mut header = StringRecord::new();
        let (mut pending, mut ended, mut skip, mut row) = (None, false, None, 0);
        let number = loop {
            let next = (&mut pending, &mut ended);
            match xlsx_row(&mut cells, next, &mut skip, &mut row, &mut header)? {
                None => return Err(Unreadable::Empty),
                Some(_) if header.iter().all(|c| c.trim().is_empty()) => continue,
                Some(number) => break number,
            }
        };
        (header, (number - 1) as u32, declared.end.0)
    };
    Ok(Sheet {
        format: Format::Xlsx,
        header: header.iter().map(clean_header).collect(),
        body: Body::Xlsx {
            book: Box::new(book),
            sheet,
            header_row,
            last_row,
        },
    })
}

/// The next row of a sheet (its cells gathered from the stream into `record`, by column),
/// with its spreadsheet number. Rows up to `skip_through` are passed over.
fn xlsx_row(
    cells: &mut XlsxCellReader<'_, BufReader<File>>,
    (pending, ended): (&mut Option<(u32, u32, String)>, &mut bool),
    skip_through: &mut Option<u32>,
    row: &mut u32,
    record: &mut StringRecord,
) -> Result<Option<usize>, Unreadable> {
    let mut fields: Vec<(u32, String)> = Vec::new();
    let mut next = |ended: &mut bool| -> Result<Option<(u32, u32, String)>, Unreadable> {
        if *ended {
            return Ok(None);
        }
        let cell = next_cell(cells)?;
        *ended = cell.is_none();
        Ok(cell)
    };
    loop {
        let first = match pending.take() {
            Some(cell) => cell,
            None => match next(ended)? {
                Some(cell) => cell,
                None => return Ok(None),
            },
        };
        let this = first.0;
        *row = this;
        fields.clear();
        fields.push((first.1, first.2));
        loop {
            match next(ended)? {
                Some(cell) if cell.0 == this => fields.push((cell.1, cell.2)),
                Some(cell) => {
                    *pending = Some(cell);
                    break;
                }
                None => break,
            }
        }
        if skip_through.is_some_and(|last| this <= last) {
            continue;
        }
        *skip_through = None;
        fields.sort_by_key(|(column, _)| *column);
        record.clear();
        let mut next_column = 0;
        for (column, text) in &fields {
            if *column < next_column {
                continue;
            }
            while next_column < *column {
                record.push_field("");
                next_column += 1;
            }
            record.push_field(text);
            next_column += 1;
        }
        return Ok(Some(this as usize + 1));
    }
}

/// The next cell with a value, as (row, column, text); empty cells (formatting only) are
/// passed over. A value beyond [`MAX_ROWS`] or [`MAX_COLUMNS`] stops the reading.
fn next_cell(
    cells: &mut XlsxCellReader<'_, BufReader<File>>,
) -> Result<Option<(u32, u32, String)>, Unreadable> {
    loop {
        let Some(cell) = cells.next_cell().map_err(|_| Unreadable::Workbook)? else {
            return Ok(None);
        };
        let (row, column) = cell.get_position();
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        if row >= MAX_ROWS || column >= MAX_COLUMNS {
            return Err(SHEET_LIMIT);
        }
        let text = cell_text(Data::from(value.clone()));
        if text.is_empty() {
            continue;
        }
        return Ok(Some((row, column, text)));
    }
}

/// A cell as the text a CSV would hold: dates `YYYY-MM-DD`, times `HH:MM`, whole numbers
/// without a decimal point.
fn cell_text(cell: Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s,
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if b { "是" } else { "否" }.to_string(),
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
#[allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
mod tests {
    use super::*;

    /// A file with `bytes` in a fresh directory, removed when the guard drops.
    struct Scratch(PathBuf);

    impl Scratch {
        fn with(bytes: &[u8]) -> Scratch {
            let dir = std::env::temp_dir().join(format!("shanhai-read-{}", uuid::Uuid::now_v7()));
            std::fs::create_dir_all(&dir).expect("scratch dir");
            let path = dir.join("file");
            std::fs::write(&path, bytes).expect("scratch file");
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    /// Rows as their numbers and cells.
    type Numbered = Vec<(usize, Vec<String>)>;

    fn rows_of(bytes: &[u8]) -> Result<(Format, Numbered), Unreadable> {
        let file = Scratch::with(bytes);
        let mut sheet = Sheet::open(&file.0)?;
        let format = sheet.format;
        let mut rows = sheet.rows();
        let all = rows
            .by_ref()
            .map(|(n, r)| (n, r.iter().map(str::to_string).collect()))
            .collect();
        match rows.take_failure() {
            Some(e) => Err(e),
            None => Ok((format, all)),
        }
    }

    #[test]
    fn utf8_with_and_without_bom_and_gb18030_are_told_apart() {
        let text = "机构,日期\n瑞金医院,2025-04-30\n";
        let expected = vec![(2, vec!["瑞金医院".to_string(), "2025-04-30".to_string()])];
        assert_eq!(
            rows_of(text.as_bytes()),
            Ok((Format::Csv(Encoding::Utf8), expected.clone()))
        );
        let bom = [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat();
        assert_eq!(
            rows_of(&bom),
            Ok((Format::Csv(Encoding::Utf8), expected.clone()))
        );
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        assert_eq!(rows_of(&gb), Ok((Format::Csv(Encoding::Gb18030), expected)));
    }

    #[test]
    fn a_damaged_line_in_a_utf8_file_stays_utf8_and_shows_where() {
        let mut bytes = "机构,日期\n瑞金医院,2025-04-30\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"\xff\xfe,2025-05-01\n");
        bytes.extend_from_slice("华山医院,2025-05-02\n".as_bytes());
        let Ok((format, rows)) = rows_of(&bytes) else {
            panic!("unreadable");
        };
        assert_eq!(format, Format::Csv(Encoding::Utf8));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].1[0], "瑞金医院");
        assert_eq!(rows[1].0, 3);
        assert!(rows[1].1[0].contains('\u{fffd}'));
        assert_eq!(rows[2].1[0], "华山医院");
    }

    #[test]
    fn a_large_gb18030_file_decodes_across_buffer_boundaries() {
        let mut text = String::from("机构,日期\n");
        for i in 0..20_000 {
            text.push_str(&format!("第{i}人民医院,2025-04-30\n"));
        }
        let (gb, _, _) = encoding_rs::GB18030.encode(&text);
        let Ok((format, rows)) = rows_of(&gb) else {
            panic!("unreadable");
        };
        assert_eq!(format, Format::Csv(Encoding::Gb18030));
        assert_eq!(rows.len(), 20_000);
        assert_eq!(
            rows[19_999],
            (20_001, vec!["第19999人民医院".into(), "2025-04-30".into()])
        );
    }

    #[test]
    fn a_row_longer_than_the_limit_is_refused_not_held() {
        let mut bytes = b"a,b\n\"".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', MAX_ROW_BYTES as usize + 1));
        bytes.extend_from_slice(b"\"\n");
        assert_eq!(rows_of(&bytes).map(|_| ()), Err(ROW_LIMIT));
        // A quoted cell may span lines; still one row, still bounded.
        let mut quoted = b"a,b\n\"".to_vec();
        for _ in 0..(2 * MAX_ROW_BYTES / 1000) {
            quoted.extend(std::iter::repeat_n(b'y', 999));
            quoted.push(b'\n');
        }
        quoted.extend_from_slice(b"\",1\n");
        assert_eq!(rows_of(&quoted).map(|_| ()), Err(ROW_LIMIT));
    }

    fn xlsx(build: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        build(book.add_worksheet());
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn a_sheet_is_read_cell_by_cell_with_its_row_numbers() {
        let bytes = xlsx(|s| {
            s.write(2, 1, "机构").expect("write");
            s.write(2, 2, "人数").expect("write");
            s.write(3, 1, "瑞金医院").expect("write");
            s.write(3, 2, 12).expect("write");
            s.write(5, 2, 3.5).expect("write");
            s.write(999_999, 1, "华山医院").expect("write");
        });
        let (format, rows) = match rows_of(&bytes) {
            Ok(read) => read,
            Err(e) => panic!("unreadable: {e:?}"),
        };
        assert_eq!(format, Format::Xlsx);
        assert_eq!(
            rows,
            vec![
                (4, vec!["".into(), "瑞金医院".into(), "12".into()]),
                (6, vec!["".into(), "".into(), "3.5".into()]),
                (1_000_000, vec!["".into(), "华山医院".into()]),
            ]
        );
    }

    #[test]
    fn a_sheet_beyond_the_column_limit_is_refused() {
        let bytes = xlsx(|s| {
            s.write(0, 0, "机构").expect("write");
            s.write(1, MAX_COLUMNS as u16, "x").expect("write");
        });
        assert_eq!(rows_of(&bytes).map(|_| ()), Err(SHEET_LIMIT));
    }
}
