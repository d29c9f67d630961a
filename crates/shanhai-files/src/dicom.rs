//! DICOM: what a study says about itself (patient identifiers masked on the way out) and a PNG
//! preview of its first frame, windowed for CT.

use dicom_core::Tag;
use dicom_dictionary_std::{tags, uids};
use dicom_encoding::transfer_syntax::{Codec, DataRWAdapter, TransferSyntax, TransferSyntaxIndex};
use dicom_object::DefaultDicomObject;
use dicom_object::OpenFileOptions;
use dicom_object::file::ReadPreamble;
use dicom_pixeldata::image::imageops::FilterType;
use dicom_pixeldata::{ConvertOptions, PixelDecoder, VoiLutOption, WindowLevel};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use shanhai_domain::bookings::mask_name;
use shanhai_domain::consultations::DicomSummary;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The longest side of a preview, in pixels.
const PREVIEW_MAX: u32 = 512;
/// The soft-tissue window used for CT when the file names none: (centre, width) in HU.
const CT_SOFT_TISSUE: (f64, f64) = (40.0, 400.0);

/// What the data set may take before its pixel data (tags, an icon image, overlays), read or
/// inflated: 64 MiB. A CT header is tens of KB; a file past this is refused as unreadable.
pub const MAX_HEADER_BYTES: u64 = 64 << 20;
/// The largest frame a preview is rendered from, decoded (rows × columns × samples per pixel ×
/// bytes per sample): 64 MiB — a 4096 × 4096 16-bit radiograph is 32 MiB, a 5000 × 5000
/// mammogram 48 MiB. A larger frame is stored without a preview.
pub const MAX_FRAME_BYTES: u64 = 64 << 20;
/// The most pixel data (all frames, as declared) read to render a preview: 128 MiB. The data
/// set is read whole to decode its first frame, so a longer multi-frame series is stored
/// without a preview.
pub const MAX_PIXEL_DATA_BYTES: u64 = 128 << 20;
/// The most a data set (deflated or not) is read or inflated to render a preview: the header
/// and the pixel data limits together, 192 MiB. A deflated file that inflates further, whatever
/// it declares, is stored without a preview.
pub const MAX_DATASET_BYTES: u64 = MAX_HEADER_BYTES + MAX_PIXEL_DATA_BYTES;

/// A parsed DICOM file: its summary, and its preview or the reason there is none.
pub struct Study {
    pub summary: DicomSummary,
    pub preview: Result<Vec<u8>, String>,
}

/// Reads a DICOM file. `Err` means the data set itself is unreadable; a file whose pixels
/// cannot (or may not) be rendered is still `Ok`, with the reason in `preview`.
///
/// The header (everything before the pixel data) is read first, through a reader that stops
/// at [`MAX_HEADER_BYTES`], inflated or not; the frame and pixel data sizes it declares are
/// checked against the limits before any pixel is read, and only then is the data set read
/// whole (again bounded) to render the first frame.
pub fn read(path: &Path) -> Result<Study, String> {
    let header = open_bounded(path, Some(tags::PIXEL_DATA), MAX_HEADER_BYTES)?;
    let mut summary = summarise(&header);
    let preview = pixel_budget(&header).and_then(|()| {
        let obj = open_bounded(path, None, MAX_DATASET_BYTES)
            .map_err(|e| format!("cannot read pixel data: {e}"))?;
        render(&obj, &mut summary)
    });
    Ok(Study { summary, preview })
}

/// Whether the image the header declares may be decoded for a preview.
fn pixel_budget(header: &DefaultDicomObject) -> Result<(), String> {
    let rows = u64::from(number(header, tags::ROWS).unwrap_or(0));
    let columns = u64::from(number(header, tags::COLUMNS).unwrap_or(0));
    let frames = u64::from(number(header, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(1));
    let samples = u64::from(number(header, tags::SAMPLES_PER_PIXEL).unwrap_or(1).max(1));
    let bytes = u64::from(number(header, tags::BITS_ALLOCATED).unwrap_or(8).max(1)).div_ceil(8);
    let frame = rows
        .saturating_mul(columns)
        .saturating_mul(samples)
        .saturating_mul(bytes);
    if frame > MAX_FRAME_BYTES {
        return Err(format!(
            "image too large to preview: {rows} × {columns} pixels, {frame} bytes a frame \
             (at most {MAX_FRAME_BYTES})"
        ));
    }
    let total = frame.saturating_mul(frames);
    if total > MAX_PIXEL_DATA_BYTES {
        return Err(format!(
            "series too large to preview: {frames} frames, {total} bytes of pixel data \
             (at most {MAX_PIXEL_DATA_BYTES})"
        ));
    }
    Ok(())
}

/// Opens the file reading at most `limit` bytes of its data set, counted after inflation for
/// a deflated transfer syntax (and before it, on the file itself, for the others).
fn open_bounded(path: &Path, until: Option<Tag>, limit: u64) -> Result<DefaultDicomObject, String> {
    let tripped = Arc::new(AtomicBool::new(false));
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    // The preamble and the meta group come before the data set; 64 KiB is far more than they take.
    let raw = Bounded::new(file, limit + 64 * 1024, tripped.clone());
    let index = BoundedIndex {
        deflated: TransferSyntax::new_ele(
            uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
            "Deflated Explicit VR Little Endian",
            Codec::Dataset(Some(Box::new(BoundedInflate {
                limit,
                tripped: tripped.clone(),
            }) as _)),
        ),
    };
    let options = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .transfer_syntax_index(index);
    let options = match until {
        Some(tag) => options.read_until(tag),
        None => options,
    };
    options.from_reader(raw).map_err(|e| {
        if tripped.load(Ordering::Relaxed) {
            format!("the data set is larger than {limit} bytes")
        } else {
            e.to_string()
        }
    })
}

/// The standard transfer syntaxes, with the deflated one inflating through [`Bounded`].
struct BoundedIndex {
    deflated: TransferSyntax,
}

impl TransferSyntaxIndex for BoundedIndex {
    fn get(&self, uid: &str) -> Option<&TransferSyntax> {
        if uid.trim_end_matches('\0') == uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN {
            Some(&self.deflated)
        } else {
            TransferSyntaxRegistry.get(uid)
        }
    }
}

struct BoundedInflate {
    limit: u64,
    tripped: Arc<AtomicBool>,
}

impl DataRWAdapter for BoundedInflate {
    fn adapt_reader<'r>(&self, reader: Box<dyn Read + 'r>) -> Box<dyn Read + 'r> {
        Box::new(Bounded::new(
            flate2::read::DeflateDecoder::new(reader),
            self.limit,
            self.tripped.clone(),
        ))
    }

    fn adapt_writer<'w>(
        &self,
        writer: Box<dyn std::io::Write + 'w>,
    ) -> Box<dyn std::io::Write + 'w> {
        Box::new(flate2::write::DeflateEncoder::new(
            writer,
            flate2::Compression::fast(),
        ))
    }
}

/// A reader that fails (rather than ending) past `limit` bytes, and says so in `tripped`.
struct Bounded<R> {
    inner: R,
    left: u64,
    tripped: Arc<AtomicBool>,
}

impl<R> Bounded<R> {
    fn new(inner: R, limit: u64, tripped: Arc<AtomicBool>) -> Bounded<R> {
        Bounded {
            inner,
            left: limit,
            tripped,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 && !buf.is_empty() {
            // End of the input exactly at the limit is fine; more is not.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.tripped.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other("size limit reached"));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

fn text(obj: &DefaultDicomObject, tag: Tag) -> Option<String> {
    obj.element_opt(tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_str().ok())
        .map(|s| {
            s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

fn number(obj: &DefaultDicomObject, tag: Tag) -> Option<u32> {
    obj.element_opt(tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_int::<u32>().ok())
}

fn first_float(obj: &DefaultDicomObject, tag: Tag) -> Option<f64> {
    obj.element_opt(tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_multi_float64().ok())
        .and_then(|v| v.first().copied())
}

/// A hospital patient ID with all but its first and last two characters hidden.
fn mask_patient_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..2].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 4));
    out.extend(&chars[chars.len() - 2..]);
    out
}

/// `YYYYMMDD` as `YYYY-MM-DD`; anything else as it is.
fn iso_date(raw: &str) -> String {
    if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &raw[..4], &raw[4..6], &raw[6..])
    } else {
        raw.to_string()
    }
}

fn summarise(obj: &DefaultDicomObject) -> DicomSummary {
    let patient_name = text(obj, tags::PATIENT_NAME).map(|n| {
        // Person names are `Family^Given^…`; mask the name as a whole.
        let joined = n
            .split('=')
            .next()
            .unwrap_or("")
            .split('^')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        mask_name(&joined)
    });
    DicomSummary {
        modality: text(obj, tags::MODALITY),
        study_date: text(obj, tags::STUDY_DATE).map(|d| iso_date(&d)),
        study_description: text(obj, tags::STUDY_DESCRIPTION),
        series_description: text(obj, tags::SERIES_DESCRIPTION),
        body_part: text(obj, tags::BODY_PART_EXAMINED),
        patient_name_masked: patient_name,
        patient_id_masked: text(obj, tags::PATIENT_ID).map(|id| mask_patient_id(&id)),
        rows: number(obj, tags::ROWS),
        columns: number(obj, tags::COLUMNS),
        frames: number(obj, tags::NUMBER_OF_FRAMES).or(Some(1)),
        transfer_syntax: Some(
            obj.meta()
                .transfer_syntax()
                .trim_end_matches('\0')
                .to_string(),
        ),
        window: None,
    }
}

/// The first frame as a PNG at most `PREVIEW_MAX` pixels on its longest side. CT is windowed
/// with the file's own window, or soft tissue (40/400 HU) when it names none.
fn render(obj: &DefaultDicomObject, summary: &mut DicomSummary) -> Result<Vec<u8>, String> {
    if obj.element_opt(tags::PIXEL_DATA).ok().flatten().is_none() {
        return Err("no pixel data".into());
    }
    let mut options = ConvertOptions::new();
    if summary.modality.as_deref() == Some("CT") {
        let window = match (
            first_float(obj, tags::WINDOW_CENTER),
            first_float(obj, tags::WINDOW_WIDTH),
        ) {
            (Some(c), Some(w)) if w > 0.0 => (c, w),
            _ => CT_SOFT_TISSUE,
        };
        summary.window = Some(window);
        options = options.with_voi_lut(VoiLutOption::Custom(WindowLevel {
            center: window.0,
            width: window.1,
        }));
    }
    options = options.force_8bit();
    // A decoder fed a hostile file must not take the server down with it.
    let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let pixels = obj
            .decode_pixel_data_frame(0)
            .map_err(|e| format!("cannot decode pixel data: {e}"))?;
        pixels
            .to_dynamic_image_with_options(0, &options)
            .map_err(|e| format!("cannot render frame: {e}"))
    }))
    .map_err(|_| "the renderer failed on this file".to_string())??;
    let image = if rendered.width().max(rendered.height()) > PREVIEW_MAX {
        rendered.resize(PREVIEW_MAX, PREVIEW_MAX, FilterType::Triangle)
    } else {
        rendered
    };
    let mut png = Vec::new();
    image
        .write_to(
            &mut Cursor::new(&mut png),
            dicom_pixeldata::image::ImageFormat::Png,
        )
        .map_err(|e| format!("cannot encode preview: {e}"))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_calendar_dates() {
        assert_eq!(iso_date("20261115"), "2026-11-15");
        assert_eq!(iso_date("2026"), "2026");
        assert_eq!(mask_patient_id("ZT20260001"), "ZT******01");
        assert_eq!(mask_patient_id("123"), "***");
    }
}
