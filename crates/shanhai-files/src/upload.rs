//! Receiving an upload: chunks stream to a scratch file while their SHA-256, size and first
//! bytes are taken; the content (never the name) then decides what the file is.

use sha2::{Digest, Sha256};
use shanhai_domain::consultations::{AttachmentKind, DicomSummary};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// How many leading bytes are kept for sniffing (a DICOM file's magic sits at 128..132).
const HEAD: usize = 132;

/// The name prefix of every scratch file an upload is received into; what a restart cleans.
pub const SCRATCH_PREFIX: &str = ".upload-";

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// An upload being received into a scratch file.
pub struct Receiver {
    file: tokio::fs::File,
    path: Option<PathBuf>,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    limit: u64,
}

impl Receiver {
    pub async fn new(scratch: &Path, limit: u64) -> std::io::Result<Receiver> {
        tokio::fs::create_dir_all(scratch).await?;
        let path = scratch.join(format!("{SCRATCH_PREFIX}{}", shanhai_domain::ids::new_id()));
        let file = tokio::fs::File::create(&path).await?;
        Ok(Receiver {
            file,
            path: Some(path),
            hasher: Sha256::new(),
            size: 0,
            head: Vec::with_capacity(HEAD),
            limit,
        })
    }

    /// Takes the next chunk; past the size limit the upload is refused.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(UploadError::TooLarge { limit: self.limit });
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await?;
        Ok(())
    }

    /// The received file, flushed to disk.
    pub async fn finish(mut self) -> Result<Received, UploadError> {
        if self.size == 0 {
            return Err(UploadError::Empty);
        }
        self.file.flush().await?;
        self.file.sync_all().await?;
        let path = self.path.take().unwrap_or_default();
        Ok(Received {
            path,
            sha256: hex::encode(self.hasher.clone().finalize()),
            size: self.size,
            head: std::mem::take(&mut self.head),
        })
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A received upload in scratch space; the scratch file goes when this is dropped.
#[derive(Debug)]
pub struct Received {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub head: Vec<u8>,
}

impl Received {
    /// Keeps the file at `to` (on the same file system) instead of removing it.
    pub fn keep_as(mut self, to: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, to)?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for Received {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What a file is, from its first bytes.
pub fn sniff(head: &[u8]) -> Option<(AttachmentKind, &'static str)> {
    if head.len() >= 132 && &head[128..132] == b"DICM" {
        Some((AttachmentKind::Dicom, "application/dicom"))
    } else if head.starts_with(b"%PDF-") {
        Some((AttachmentKind::Pdf, "application/pdf"))
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some((AttachmentKind::Image, "image/png"))
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some((AttachmentKind::Image, "image/jpeg"))
    } else {
        None
    }
}

/// Whether the uploader says this is a DICOM file (by name or declared type).
pub fn claims_dicom(file_name: &str, declared_type: Option<&str>) -> bool {
    let name = file_name.to_ascii_lowercase();
    name.ends_with(".dcm")
        || name.ends_with(".dicom")
        || declared_type.is_some_and(|t| t.eq_ignore_ascii_case("application/dicom"))
}

/// Why an upload was refused after it was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Named or declared as DICOM but not a DICOM file.
    NotDicom,
    /// Has the DICOM marker but its data set cannot be read.
    UnreadableDicom(String),
    /// Not DICOM, PDF, PNG or JPEG.
    Unsupported,
}

/// What was recognised in an accepted upload.
#[derive(Debug)]
pub struct Inspected {
    pub kind: AttachmentKind,
    pub content_type: &'static str,
    pub dicom: Option<DicomSummary>,
    /// The PNG preview of a DICOM image, when one could be rendered.
    pub preview_png: Option<Vec<u8>>,
    /// Why a DICOM file has no preview.
    pub preview_error: Option<String>,
}

/// Decides what a received file is, parses DICOM and renders its preview. CPU-bound: call it
/// from a blocking task.
pub fn inspect(
    received: &Received,
    file_name: &str,
    declared_type: Option<&str>,
) -> Result<Inspected, Refused> {
    let sniffed = sniff(&received.head);
    let claims = claims_dicom(file_name, declared_type);
    match sniffed {
        Some((AttachmentKind::Dicom, content_type)) => {
            let study = crate::dicom::read(&received.path).map_err(Refused::UnreadableDicom)?;
            Ok(Inspected {
                kind: AttachmentKind::Dicom,
                content_type,
                dicom: Some(study.summary),
                preview_png: study.preview.as_ref().ok().cloned(),
                preview_error: study.preview.err(),
            })
        }
        _ if claims => Err(Refused::NotDicom),
        Some((kind, content_type)) => Ok(Inspected {
            kind,
            content_type,
            dicom: None,
            preview_png: None,
            preview_error: None,
        }),
        None => Err(Refused::Unsupported),
    }
}

/// An accepted upload, stored under its checksum (and its preview next to it).
#[derive(Debug)]
pub struct Stored {
    pub file_name: String,
    pub content_type: &'static str,
    pub kind: AttachmentKind,
    pub size: u64,
    pub sha256: String,
    pub storage_key: String,
    pub dicom: Option<DicomSummary>,
    pub preview_key: Option<String>,
    pub preview_error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("refused: {0:?}")]
    Refused(Refused),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    #[error("inspection failed: {0}")]
    Task(String),
}

/// Recognises a received upload (in a blocking task: DICOM parsing and rendering are CPU work)
/// and stores it and its preview, content-addressed: the same file uploaded twice is kept once.
pub async fn store_received(
    files: &crate::FileStore,
    received: Received,
    file_name: String,
    declared_type: Option<String>,
) -> Result<Stored, IngestError> {
    let name = file_name.clone();
    let (received, inspected) = tokio::task::spawn_blocking(move || {
        let inspected = inspect(&received, &name, declared_type.as_deref());
        (received, inspected)
    })
    .await
    .map_err(|e| IngestError::Task(e.to_string()))?;
    let inspected = inspected.map_err(IngestError::Refused)?;
    let storage_key = format!("attachments/{}", received.sha256);
    if !files.exists(&storage_key).await? {
        files.put_file(&storage_key, &received.path).await?;
    }
    let preview_key = match inspected.preview_png {
        Some(png) => {
            let key = format!("previews/{}.png", received.sha256);
            files.put_bytes(&key, png).await?;
            Some(key)
        }
        None => None,
    };
    Ok(Stored {
        file_name,
        content_type: inspected.content_type,
        kind: inspected.kind,
        size: received.size,
        sha256: received.sha256.clone(),
        storage_key,
        dicom: inspected.dicom,
        preview_key,
        preview_error: inspected.preview_error,
    })
}

/// Receives bytes already in memory (demo data, tools) as an upload.
pub async fn receive_bytes(
    scratch: &Path,
    bytes: &[u8],
    limit: u64,
) -> Result<Received, UploadError> {
    let mut receiver = Receiver::new(scratch, limit).await?;
    receiver.write(bytes).await?;
    receiver.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        let mut dicom = vec![0u8; 128];
        dicom.extend_from_slice(b"DICM");
        assert_eq!(sniff(&dicom).map(|s| s.0), Some(AttachmentKind::Dicom));
        assert_eq!(sniff(b"%PDF-1.7").map(|s| s.0), Some(AttachmentKind::Pdf));
        assert_eq!(sniff(b"hello world"), None);
        assert!(claims_dicom("CT 胸部.DCM", None));
        assert!(claims_dicom("x", Some("application/dicom")));
        assert!(!claims_dicom("report.pdf", Some("application/pdf")));
    }

    #[tokio::test]
    async fn an_upload_past_the_limit_is_refused_and_leaves_no_scratch_file() {
        let scratch =
            std::env::temp_dir().join(format!("shanhai-{}", shanhai_domain::ids::new_id()));
        let mut receiver = Receiver::new(&scratch, 10).await.map_err(|e| e.to_string());
        let Ok(r) = receiver.as_mut() else {
            panic!("scratch space: {receiver:?}", receiver = receiver.err());
        };
        assert!(r.write(b"12345").await.is_ok());
        assert!(matches!(
            r.write(b"678901").await,
            Err(UploadError::TooLarge { limit: 10 })
        ));
        drop(receiver);
        let left = std::fs::read_dir(&scratch).map(|d| d.count()).unwrap_or(0);
        let _ = std::fs::remove_dir_all(&scratch);
        assert_eq!(left, 0);
    }
}
