//! Synthetic DICOM studies for the demo's imaging consultations: CT slices of a chest phantom
//! (no real patient), stored and parsed exactly as an upload would be, and one study whose
//! pixel data the renderer cannot decode, to show how that looks.

use shanhai_domain::consultations::AttachmentKind;
use shanhai_files::FileStore;
use shanhai_files::synthetic::{SyntheticStudy, ct_slice, undecodable_slice};
use shanhai_store::attachments::{self, NewAttachment};
use shanhai_store::audit::Actor;
use shanhai_store::{Db, Result, StoreError};

/// (patient name in the file, patient ID, study date, description, body part)
const STUDIES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Li^Guilan",
        "ZT2024031",
        "20250312",
        "胸部CT平扫（右肺结节复查）",
        "CHEST",
    ),
    (
        "Wang^Jianguo",
        "HH2024117",
        "20250406",
        "胸部CT增强",
        "CHEST",
    ),
    (
        "Ayiguli",
        "KS2025009",
        "20250521",
        "胸部CT平扫（术前评估）",
        "CHEST",
    ),
    (
        "Zhao^Min",
        "BT2025044",
        "20250618",
        "低剂量胸部CT（肺癌筛查）",
        "CHEST",
    ),
    ("Chen^Hua", "ND2025102", "20250702", "胸部CT平扫", "CHEST"),
];

fn to_store(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("demo DICOM: {e}"))
}

/// Attaches a study to each consultation given (at most five): two slices each, and for the
/// last one a slice in a transfer syntax the renderer cannot decode. Returns the number of
/// attachments made.
pub async fn attach_studies(db: &Db, files: &FileStore, consultations: &[String]) -> Result<usize> {
    let actor = Actor::system("demo");
    let mut made = 0;
    let count = consultations.len().min(STUDIES.len());
    for (i, (consultation, study)) in consultations.iter().zip(STUDIES).enumerate() {
        let (name, id, date, description, body_part) = *study;
        let mut slices = Vec::new();
        for seed in [3_u32, 5] {
            let s = SyntheticStudy {
                patient_name: name.into(),
                patient_id: id.into(),
                study_date: date.into(),
                study_description: description.into(),
                body_part: body_part.into(),
                size: 256,
                seed: seed + u32::try_from(i).unwrap_or(0),
            };
            slices.push((format!("{id}-{seed}.dcm"), ct_slice(&s)));
            if i + 1 == count && seed == 5 {
                slices.push((format!("{id}-j2k.dcm"), undecodable_slice(&s)));
            }
        }
        for (file_name, bytes) in slices {
            let received = shanhai_files::receive_bytes(files.scratch(), &bytes, u64::MAX)
                .await
                .map_err(to_store)?;
            let stored = shanhai_files::store_received(files, received, file_name, None)
                .await
                .map_err(to_store)?;
            debug_assert_eq!(stored.kind, AttachmentKind::Dicom);
            attachments::create(
                db,
                &actor,
                "影像科",
                consultation,
                &NewAttachment::from(stored),
            )
            .await?;
            made += 1;
        }
    }
    Ok(made)
}
