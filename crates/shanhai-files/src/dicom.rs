//! DICOM: what a study says about itself (patient identifiers masked on the way out) and a PNG
//! preview of its first frame, windowed for CT.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use dicom_pixeldata::image::imageops::FilterType;
use dicom_pixeldata::{ConvertOptions, PixelDecoder, VoiLutOption, WindowLevel};
use shanhai_domain::booking::mask_name;
use shanhai_domain::consultations::DicomSummary;
use std::io::Cursor;
use std::path::Path;

/// The longest side of a preview, in pixels.
const PREVIEW_MAX: u32 = 512;
/// The soft-tissue window used for CT when the file names none: (centre, width) in HU.
const CT_SOFT_TISSUE: (f64, f64) = (40.0, 400.0);

/// A parsed DICOM file: its summary, and its preview or the reason there is none.
pub struct Study {
    pub summary: DicomSummary,
    pub preview: Result<Vec<u8>, String>,
}

/// Reads a DICOM file. `Err` means the data set itself is unreadable; a file whose pixels
/// cannot be rendered is still `Ok`, with the reason in `preview`.
pub fn read(path: &Path) -> Result<Study, String> {
    let obj = dicom_object::open_file(path).map_err(|e| e.to_string())?;
    let mut summary = summarise(&obj);
    let preview = render(&obj, &mut summary);
    Ok(Study { summary, preview })
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
