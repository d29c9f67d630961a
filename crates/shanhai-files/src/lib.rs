//! Shanhai files: where uploads are stored (a directory under the data dir, or S3-compatible
//! object storage), how an upload is received and recognised, DICOM summaries and previews, and
//! synthetic DICOM studies for demos and tests.

pub mod dicom;
pub mod store;
pub mod synthetic;
pub mod upload;

pub use store::{FileStore, S3Config, StoreError};
pub use upload::{
    IngestError, Inspected, Received, Receiver, Refused, Stored, UploadError, inspect,
    receive_bytes, store_received,
};
