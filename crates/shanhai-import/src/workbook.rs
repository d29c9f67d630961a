//! An XLSX is a ZIP of XML parts, and both layers can promise little and deliver a lot: a 1.6 KB
//! file can declare a sheet of 17 billion cells, a 400 KB part can inflate to 400 MB, a central
//! directory can list millions of parts, and one XML text can be hundreds of megabytes long.
//! Before calamine builds anything, [`check`] reads the ZIP's own records and streams every part
//! once through a small lexer, so that the work the import then does is bounded by the limits
//! below, whatever the file says about itself.
//!
//! calamine keeps some parts whole in memory (shared strings, styles, the workbook and its
//! relationships) and streams the worksheet; the limits differ accordingly. The `zip` crate
//! refuses to inflate a part past the size its directory declares, so the declared sizes checked
//! here are the sizes calamine will meet.

use super::read::Unreadable;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// Parts a workbook may have. Excel writes about a dozen (one per sheet, style, theme…); each
/// part costs the ZIP reader a directory record in memory.
pub const MAX_PARTS: usize = 1_000;
/// The ZIP's central directory (one record per part, with its name): 1 MiB. Excel's is a few KB.
pub const MAX_DIRECTORY_BYTES: u64 = 1 << 20;
/// A worksheet's XML, inflated: 512 MiB, about a million rows of ten cells. It is read as a
/// stream (one cell at a time), so its size costs time, not memory.
pub const MAX_SHEET_XML: u64 = 512 << 20;
/// The shared strings, inflated: 32 MiB, about a million distinct short texts. calamine keeps
/// them all in memory; a file with more distinct text imports as CSV.
pub const MAX_SHARED_STRINGS_XML: u64 = 32 << 20;
/// Elements in the shared strings: 2,000,000 (every string is one element or more, and each
/// costs calamine a `String` even when empty).
pub const MAX_SHARED_STRINGS_ELEMENTS: u64 = 2_000_000;
/// Any other XML part (workbook, styles, relationships, theme…), inflated: 4 MiB. calamine
/// reads the ones it needs whole; Excel's are tens of KB.
pub const MAX_OTHER_PART: u64 = 4 << 20;
/// A part that is not XML (an image, printer settings…), inflated: 16 MiB. calamine does not
/// read them, unless a hostile package names one as a sheet, which is then streamed.
pub const MAX_MEDIA_PART: u64 = 16 << 20;
/// Elements in any other part: 100,000 (Excel allows 64,000 cell styles; calamine keeps a
/// style record per `xf`).
pub const MAX_OTHER_ELEMENTS: u64 = 100_000;
/// All parts together, inflated: 1 GiB.
pub const MAX_WORKBOOK_INFLATED: u64 = 1 << 30;
/// The most a part of more than [`RATIO_FLOOR`] may inflate, as a multiple of its compressed
/// size: 100. Spreadsheet XML deflates about 5–20 times; a ZIP bomb, about 1,000 times.
pub const MAX_RATIO: u64 = 100;
/// Parts smaller than this (inflated) are not held to [`MAX_RATIO`]: 1 MiB.
pub const RATIO_FLOOR: u64 = 1 << 20;
/// One XML token (a tag with its attributes, or a run of text such as one cell's value): 1 MiB.
/// The XML parser holds a whole token in memory.
pub const MAX_XML_TOKEN: u64 = 1 << 20;

/// The message key every refusal here reports (it names the limits).
pub const LIMIT_KEY: &str = "error.import_xlsx_limits";

const EOCD: &[u8; 4] = b"PK\x05\x06";
const EOCD_LEN: usize = 22;
const ZIP64_LOCATOR: &[u8; 4] = b"PK\x06\x07";
const ZIP64_LOCATOR_LEN: usize = 20;

/// What calamine does with a part, and so which limits hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Sheet,
    SharedStrings,
    Other,
    Media,
}

impl Class {
    fn max_size(self) -> u64 {
        match self {
            Class::Sheet => MAX_SHEET_XML,
            Class::SharedStrings => MAX_SHARED_STRINGS_XML,
            Class::Other => MAX_OTHER_PART,
            Class::Media => MAX_MEDIA_PART,
        }
    }

    /// The elements the part may hold, for the XML parts (the others are not lexed).
    fn max_elements(self) -> Option<u64> {
        match self {
            // Read one cell at a time, a sheet may hold any number of elements; it is still
            // lexed (one extra inflation) for the token limit, since calamine would hold one
            // cell's inline text whole, however long.
            Class::Sheet => Some(u64::MAX),
            Class::SharedStrings => Some(MAX_SHARED_STRINGS_ELEMENTS),
            Class::Other => Some(MAX_OTHER_ELEMENTS),
            Class::Media => None,
        }
    }
}

fn limit() -> Unreadable {
    Unreadable::Limit(LIMIT_KEY)
}

/// Checks a workbook against the limits above; `Ok` means calamine may open it.
pub fn check(file: &mut File) -> Result<(), Unreadable> {
    check_directory(file)?;
    file.seek(SeekFrom::Start(0))
        .map_err(|_| Unreadable::Workbook)?;
    let mut zip =
        zip::ZipArchive::new(BufReader::new(&mut *file)).map_err(|_| Unreadable::Workbook)?;
    let workbook = workbook_part(&mut zip)?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|_| Unreadable::Workbook)?;
        if part.is_dir() {
            continue;
        }
        let name = part
            .name()
            .map_err(|_| Unreadable::Workbook)?
            .replace('\\', "/")
            .to_ascii_lowercase();
        let class = classify(&name, &workbook);
        let size = part.size();
        total = total.saturating_add(size);
        if size > class.max_size()
            || total > MAX_WORKBOOK_INFLATED
            || (size > RATIO_FLOOR && size > part.compressed_size().saturating_mul(MAX_RATIO))
        {
            return Err(limit());
        }
        if let Some(max) = class.max_elements()
            && lex(&mut part)? > max
        {
            return Err(limit());
        }
    }
    Ok(())
}

/// Worksheets are streamed; the parts calamine reads whole have fixed names (`sharedStrings.xml`,
/// `styles.xml`) or are the workbook the package names, which is never taken for a sheet.
fn classify(name: &str, workbook: &str) -> Class {
    let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
    if name == workbook {
        Class::Other
    } else if file == "sharedstrings.xml" {
        Class::SharedStrings
    } else if !(file.ends_with(".xml") || file.ends_with(".rels")) {
        Class::Media
    } else if file != "styles.xml"
        && file.ends_with(".xml")
        && dir.rsplit('/').next() == Some("worksheets")
    {
        Class::Sheet
    } else {
        Class::Other
    }
}

/// The package's workbook part as calamine finds it (the `officeDocument` relationship of
/// `_rels/.rels`), normalised like the part names; `_rels/.rels` itself is an ordinary small part.
fn workbook_part<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<String, Unreadable> {
    let index = (0..zip.len())
        .find(|i| {
            zip.name_for_index(*i)
                .and_then(Result::ok)
                .is_some_and(|n| n.replace('\\', "/").eq_ignore_ascii_case("_rels/.rels"))
        })
        .ok_or(Unreadable::Workbook)?;
    let part = zip.by_index(index).map_err(|_| Unreadable::Workbook)?;
    if part.size() > MAX_OTHER_PART {
        return Err(limit());
    }
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part.take(MAX_OTHER_PART)));
    let mut buf = Vec::new();
    let mut target = None;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e))
                if e.local_name().as_ref() == "Relationship" =>
            {
                let attr = |key: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == key)
                        .map(|a| a.value.to_string())
                };
                if attr("Type").is_some_and(|t| t.ends_with("/relationships/officeDocument")) {
                    target = attr("Target");
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(_) => return Err(Unreadable::Workbook),
        }
    }
    let target = target.ok_or(Unreadable::Workbook)?;
    // As calamine resolves it: one leading slash dropped.
    let target = target.strip_prefix('/').unwrap_or(&target);
    Ok(target.replace('\\', "/").to_ascii_lowercase())
}

/// The ZIP's end record and central directory, read before the `zip` crate reads them (it keeps
/// every directory record in memory): one end record, no ZIP64, at most [`MAX_PARTS`] parts in
/// a directory of at most [`MAX_DIRECTORY_BYTES`] that ends where the end record begins (so the
/// reader finds the same directory this check measured).
fn check_directory(file: &mut File) -> Result<(), Unreadable> {
    let len = file.metadata().map_err(|_| Unreadable::Workbook)?.len();
    let tail_len = len.min((EOCD_LEN + ZIP64_LOCATOR_LEN + (1 << 16)) as u64);
    let tail_start = len - tail_len;
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(tail_start))
        .and_then(|_| file.read_exact(&mut tail))
        .map_err(|_| Unreadable::Workbook)?;
    let mut ends = tail
        .windows(EOCD.len())
        .enumerate()
        .filter(|(_, w)| *w == EOCD)
        .map(|(i, _)| i);
    let (Some(at), None) = (ends.next(), ends.next()) else {
        return Err(Unreadable::Workbook);
    };
    let record = tail.get(at..at + EOCD_LEN).ok_or(Unreadable::Workbook)?;
    let u16_at = |i: usize| u64::from(u16::from_le_bytes([record[i], record[i + 1]]));
    let u32_at = |i: usize| {
        u64::from(u32::from_le_bytes([
            record[i],
            record[i + 1],
            record[i + 2],
            record[i + 3],
        ]))
    };
    let zip64 = at >= ZIP64_LOCATOR_LEN
        && &tail[at - ZIP64_LOCATOR_LEN..at - ZIP64_LOCATOR_LEN + 4] == ZIP64_LOCATOR;
    let (parts_here, parts, dir_size, dir_offset) = (u16_at(8), u16_at(10), u32_at(12), u32_at(16));
    let end_at = tail_start + at as u64;
    if zip64
        || parts_here != parts
        || parts > MAX_PARTS as u64
        || dir_size > MAX_DIRECTORY_BYTES
        || dir_offset + dir_size != end_at
    {
        return Err(limit());
    }
    Ok(())
}

/// Streams a part through a lexer that knows just enough XML to tell where the parser's tokens
/// end: tags (quoted attribute values may hold `>`), text, and the XML declaration. Comments,
/// CDATA, DTDs and further processing instructions, which no spreadsheet writer emits, are
/// refused. Returns the number of elements; refuses a token longer than [`MAX_XML_TOKEN`].
fn lex(part: &mut impl Read) -> Result<u64, Unreadable> {
    #[derive(Clone, Copy)]
    enum State {
        Text,
        /// Just after `<`.
        Open,
        Tag,
        Quoted(u8),
        Declaration,
        DeclarationEnd,
    }
    let mut state = State::Text;
    let (mut token, mut elements, mut at, mut declarations) = (0u64, 0u64, 0u64, 0u32);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match part.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Unreadable::Workbook),
        };
        let mut i = 0;
        while i < n {
            // Runs of plain bytes are skipped with memchr; only the markup bytes change state.
            let skipped = match state {
                State::Text => memchr::memchr(b'<', &buf[i..n]),
                State::Tag => memchr::memchr3(b'>', b'"', b'\'', &buf[i..n]),
                State::Quoted(q) => memchr::memchr(q, &buf[i..n]),
                State::Declaration => memchr::memchr(b'?', &buf[i..n]),
                State::Open | State::DeclarationEnd => Some(0),
            }
            .unwrap_or(n - i);
            token += skipped as u64;
            i += skipped;
            if token > MAX_XML_TOKEN {
                return Err(limit());
            }
            if i == n {
                break;
            }
            let b = buf[i];
            i += 1;
            token += 1;
            state = match (state, b) {
                (State::Text, _) => {
                    token = 1;
                    State::Open
                }
                (State::Open, b'!') => return Err(Unreadable::Workbook),
                (State::Open, b'?') => {
                    // Only the declaration, at the start (after a byte-order mark at most).
                    declarations += 1;
                    if declarations > 1 || elements > 0 || at + i as u64 > 5 {
                        return Err(Unreadable::Workbook);
                    }
                    State::Declaration
                }
                (State::Open, b'/') => State::Tag,
                (State::Open, b'>') => State::Text,
                (State::Open, _) => {
                    elements += 1;
                    State::Tag
                }
                (State::Tag, b'>') => {
                    token = 0;
                    State::Text
                }
                (State::Tag, q) => State::Quoted(q),
                (State::Quoted(_), _) => State::Tag,
                (State::Declaration, _) => State::DeclarationEnd,
                (State::DeclarationEnd, b'>') => {
                    token = 0;
                    State::Text
                }
                (State::DeclarationEnd, b'?') => State::DeclarationEnd,
                (State::DeclarationEnd, _) => State::Declaration,
            };
            if token > MAX_XML_TOKEN {
                return Err(limit());
            }
        }
        at += n as u64;
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexed(xml: &str) -> Result<u64, Unreadable> {
        lex(&mut xml.as_bytes())
    }

    #[test]
    fn the_lexer_counts_elements_and_bounds_tokens() {
        let xml =
            r#"<?xml version="1.0" encoding="UTF-8"?><sst><si><t a="x>y">张</t></si><si/></sst>"#;
        assert_eq!(lexed(xml), Ok(4));
        let long_text = format!("<a>{}</a>", "x".repeat(MAX_XML_TOKEN as usize + 1));
        assert_eq!(lexed(&long_text), Err(limit()));
        let long_attribute = format!("<a b=\"{}\"/>", ">".repeat(MAX_XML_TOKEN as usize + 1));
        assert_eq!(lexed(&long_attribute), Err(limit()));
        assert_eq!(lexed("<a><!-- x --></a>"), Err(Unreadable::Workbook));
        assert_eq!(lexed("<a><?pi x?></a>"), Err(Unreadable::Workbook));
    }

    #[test]
    fn only_worksheets_are_streamed() {
        let book = "xl/workbook.xml";
        assert_eq!(classify("xl/worksheets/sheet1.xml", book), Class::Sheet);
        assert_eq!(classify("xl/sharedstrings.xml", book), Class::SharedStrings);
        assert_eq!(classify("xl/styles.xml", book), Class::Other);
        assert_eq!(
            classify("xl/worksheets/_rels/sheet1.xml.rels", book),
            Class::Other
        );
        assert_eq!(classify("xl/media/image1.png", book), Class::Media);
        // A package naming a "sheet" as its workbook does not get the sheet's limits for it.
        assert_eq!(
            classify("xl/worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
            Class::Other
        );
    }
}
