//! Synthetic DICOM studies for the demo and the tests: a CT slice of a simple chest phantom
//! (body, lungs, spine, a nodule), written as a real Part 10 file. No patient data.

use dicom_core::value::PixelFragmentSequence;
use dicom_core::{DataElement, PrimitiveValue, VR, dicom_value};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

/// What the synthetic slice says about its (fictional) patient and study.
#[derive(Debug, Clone)]
pub struct SyntheticStudy {
    /// DICOM person name, e.g. `Wang^Fang`; masked whenever it is shown.
    pub patient_name: String,
    pub patient_id: String,
    /// `YYYYMMDD`.
    pub study_date: String,
    pub study_description: String,
    pub body_part: String,
    /// Pixels per side.
    pub size: u16,
    /// Moves the nodule so slices of one study differ.
    pub seed: u32,
}

impl Default for SyntheticStudy {
    fn default() -> SyntheticStudy {
        SyntheticStudy {
            patient_name: "Zhang^San".into(),
            patient_id: "ZT20260001".into(),
            study_date: "20261101".into(),
            study_description: "胸部CT平扫".into(),
            body_part: "CHEST".into(),
            size: 256,
            seed: 7,
        }
    }
}

/// Hounsfield units of one phantom pixel at (x, y) in [-1, 1]².
fn phantom(x: f64, y: f64, seed: u32) -> i16 {
    let inside = |cx: f64, cy: f64, rx: f64, ry: f64| {
        ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0
    };
    let nodule_x = -0.35 + f64::from(seed % 7) * 0.03;
    if !inside(0.0, 0.05, 0.9, 0.7) {
        -1000 // air around the body
    } else if inside(0.0, 0.55, 0.09, 0.09) {
        700 // vertebra
    } else if inside(nodule_x, -0.05, 0.06, 0.06) {
        45 // a nodule in the right lung
    } else if inside(-0.38, 0.0, 0.28, 0.45) || inside(0.38, 0.0, 0.28, 0.45) {
        -850 // lungs
    } else if inside(0.05, 0.05, 0.2, 0.22) {
        40 // heart and mediastinum
    } else if !inside(0.0, 0.05, 0.82, 0.62) {
        -100 // subcutaneous fat
    } else {
        35 // muscle
    }
}

fn base_object(s: &SyntheticStudy, uid_tail: &str) -> InMemDicomObject {
    let instance = format!("2.25.{uid_tail}{}", s.seed);
    InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, instance.clone()),
        DataElement::new(tags::STUDY_DATE, VR::DA, s.study_date.clone()),
        DataElement::new(tags::MODALITY, VR::CS, "CT"),
        DataElement::new(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"),
        DataElement::new(tags::STUDY_DESCRIPTION, VR::LO, s.study_description.clone()),
        DataElement::new(tags::SERIES_DESCRIPTION, VR::LO, "Axial 5mm"),
        DataElement::new(tags::PATIENT_NAME, VR::PN, s.patient_name.clone()),
        DataElement::new(tags::PATIENT_ID, VR::LO, s.patient_id.clone()),
        DataElement::new(tags::BODY_PART_EXAMINED, VR::CS, s.body_part.clone()),
        DataElement::new(tags::STUDY_INSTANCE_UID, VR::UI, format!("{instance}.1")),
        DataElement::new(tags::SERIES_INSTANCE_UID, VR::UI, format!("{instance}.2")),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1_u16)),
        DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(s.size)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(s.size)),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16_u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(16_u16)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(15_u16)),
        DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(1_u16),
        ),
        DataElement::new(tags::RESCALE_INTERCEPT, VR::DS, dicom_value!(Strs, ["0"])),
        DataElement::new(tags::RESCALE_SLOPE, VR::DS, dicom_value!(Strs, ["1"])),
    ])
}

fn write(obj: InMemDicomObject, transfer_syntax: &str) -> Vec<u8> {
    let mut out = Vec::new();
    match obj.with_meta(FileMetaTableBuilder::new().transfer_syntax(transfer_syntax)) {
        Ok(file) => {
            if let Err(e) = file.write_all(&mut out) {
                tracing::error!("synthetic DICOM: {e}");
            }
        }
        Err(e) => tracing::error!("synthetic DICOM: {e}"),
    }
    out
}

/// A CT slice of the phantom in explicit VR little endian, signed 16-bit HU.
pub fn ct_slice(s: &SyntheticStudy) -> Vec<u8> {
    let n = usize::from(s.size.max(8));
    let mut pixels = Vec::with_capacity(n * n);
    for row in 0..n {
        for col in 0..n {
            let x = col as f64 / (n - 1) as f64 * 2.0 - 1.0;
            let y = row as f64 / (n - 1) as f64 * 2.0 - 1.0;
            pixels.push(phantom(x, y, s.seed));
        }
    }
    let mut obj = base_object(s, "1");
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::I16(pixels.into()),
    ));
    write(obj, uids::EXPLICIT_VR_LITTLE_ENDIAN)
}

/// A slice whose pixel data claim JPEG 2000 but hold bytes no decoder accepts: the header
/// parses, the preview cannot be rendered.
pub fn undecodable_slice(s: &SyntheticStudy) -> Vec<u8> {
    let mut obj = base_object(s, "2");
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PixelFragmentSequence::new(vec![0_u32], vec![vec![0xFF, 0x4F, 0xFF, 0x51, 0, 0, 0, 0]]),
    ));
    write(obj, uids::JPEG2000_LOSSLESS)
}

/// A hostile file for the tests of the DICOM limits: deflated explicit VR little endian,
/// declaring a `rows` × `columns` 8-bit image whose pixel data (zeros, all of them present)
/// inflate to rows × columns bytes — 1.2 GB for 35,000 × 35,000, in about a megabyte on disk.
/// Streamed to `out`, never whole in memory.
pub fn deflated_zeros(
    rows: u16,
    columns: u16,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
    use std::io::Write as _;
    let s = SyntheticStudy::default();
    let mut obj = base_object(&s, "3");
    for (tag, value) in [
        (tags::ROWS, rows),
        (tags::COLUMNS, columns),
        (tags::BITS_ALLOCATED, 8),
        (tags::BITS_STORED, 8),
        (tags::HIGH_BIT, 7),
        (tags::PIXEL_REPRESENTATION, 0),
    ] {
        obj.put(DataElement::new(tag, VR::US, PrimitiveValue::from(value)));
    }
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)
        .media_storage_sop_class_uid(uids::CT_IMAGE_STORAGE)
        .media_storage_sop_instance_uid(format!("2.25.3{}", s.seed))
        .build()
        .map_err(std::io::Error::other)?;
    out.write_all(&[0u8; 128])?;
    out.write_all(b"DICM")?;
    meta.write(&mut *out).map_err(std::io::Error::other)?;
    let explicit = dicom_transfer_syntax_registry::TransferSyntaxRegistry
        .get(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .ok_or_else(|| std::io::Error::other("no explicit VR little endian"))?;
    let mut deflated = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
    obj.write_dataset_with_ts(&mut deflated, explicit)
        .map_err(std::io::Error::other)?;
    let length = u32::from(rows) * u32::from(columns);
    deflated.write_all(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0])?;
    deflated.write_all(&length.to_le_bytes())?;
    let zeros = vec![0u8; 1 << 20];
    let mut left = length as usize;
    while left > 0 {
        let n = left.min(zeros.len());
        deflated.write_all(&zeros[..n])?;
        left -= n;
    }
    deflated.finish()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
mod tests {
    use super::*;
    use crate::dicom;

    fn to_file(bytes: &[u8]) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("shanhai-{}.dcm", shanhai_domain::ids::new_id()));
        std::fs::write(&path, bytes).expect("write temp file");
        path
    }

    #[test]
    fn the_phantom_parses_and_renders_with_a_ct_window() {
        let path = to_file(&ct_slice(&SyntheticStudy::default()));
        let study = dicom::read(&path).expect("readable");
        let _ = std::fs::remove_file(&path);
        assert_eq!(study.summary.modality.as_deref(), Some("CT"));
        assert_eq!(study.summary.study_date.as_deref(), Some("2026-11-01"));
        assert_eq!(study.summary.body_part.as_deref(), Some("CHEST"));
        assert_eq!(study.summary.window, Some((40.0, 400.0)));
        let name = study.summary.patient_name_masked.expect("name");
        assert!(!name.contains("San"), "{name}");
        let png = study.preview.expect("preview");
        assert!(png.starts_with(&[0x89, b'P', b'N', b'G']));
    }

    #[test]
    fn a_deflated_file_declaring_a_huge_image_is_summarised_without_decoding_it() {
        let mut bytes = Vec::new();
        deflated_zeros(35_000, 35_000, &mut bytes).expect("write");
        assert!(bytes.len() < 4 << 20, "{} bytes", bytes.len());
        let path = to_file(&bytes);
        let study = dicom::read(&path).expect("readable header");
        let _ = std::fs::remove_file(&path);
        assert_eq!(study.summary.rows, Some(35_000));
        let reason = study.preview.expect_err("no preview");
        assert!(reason.contains("too large"), "{reason}");
    }

    #[test]
    fn a_deflated_file_within_the_limits_still_renders() {
        let mut bytes = Vec::new();
        deflated_zeros(64, 64, &mut bytes).expect("write");
        let path = to_file(&bytes);
        let study = dicom::read(&path).expect("readable");
        let _ = std::fs::remove_file(&path);
        assert!(study.preview.is_ok(), "{:?}", study.preview.err());
    }

    #[test]
    fn an_undecodable_slice_still_parses_and_says_why() {
        let path = to_file(&undecodable_slice(&SyntheticStudy::default()));
        let study = dicom::read(&path).expect("readable header");
        let _ = std::fs::remove_file(&path);
        assert_eq!(study.summary.modality.as_deref(), Some("CT"));
        assert!(study.preview.is_err());
    }
}
