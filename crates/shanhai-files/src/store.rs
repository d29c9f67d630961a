//! One small storage interface for uploaded files: a directory under the data dir by default,
//! S3-compatible object storage when configured (so several servers on one PostgreSQL see the
//! same files). Both sit behind `object_store`; files go in and out as streams.

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// Parts sent to S3 in a streamed upload (S3's minimum part size is 5 MiB).
const PART_SIZE: usize = 5 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("file storage: {0}")]
    Backend(#[from] object_store::Error),
    #[error("file storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("file storage: not found")]
    NotFound,
}

/// Where S3-compatible storage is and how to reach it. Credentials come from the usual
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` environment variables unless given here.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    pub bucket: String,
    /// e.g. `http://127.0.0.1:9000` for a local server; empty for AWS itself.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// Where uploaded files live.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<dyn ObjectStore>,
    /// Local scratch space for uploads being received and inspected.
    scratch: PathBuf,
    describe: String,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl FileStore {
    /// Files under `DATA_DIR/files`, scratch space under `DATA_DIR/tmp`.
    pub fn local(data_dir: &Path) -> Result<FileStore, StoreError> {
        let root = data_dir.join("files");
        std::fs::create_dir_all(&root)?;
        let scratch = data_dir.join("tmp");
        std::fs::create_dir_all(&scratch)?;
        Ok(FileStore {
            inner: Arc::new(LocalFileSystem::new_with_prefix(&root)?),
            scratch,
            describe: format!("directory {}", root.display()),
        })
    }

    /// An S3-compatible bucket; scratch space stays under `DATA_DIR/tmp`.
    pub fn s3(config: &S3Config, data_dir: &Path) -> Result<FileStore, StoreError> {
        let scratch = data_dir.join("tmp");
        std::fs::create_dir_all(&scratch)?;
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&config.bucket);
        if let Some(endpoint) = config.endpoint.as_deref().filter(|e| !e.is_empty()) {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        builder = builder.with_region(config.region.as_deref().unwrap_or("us-east-1"));
        if let Some(key) = &config.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        Ok(FileStore {
            inner: Arc::new(builder.build()?),
            scratch,
            describe: format!(
                "S3 bucket {} at {}",
                config.bucket,
                config.endpoint.as_deref().unwrap_or("AWS")
            ),
        })
    }

    /// What this store is, for the startup log.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// Where uploads are received before they are stored.
    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    /// Removes the uploads a crashed server left in scratch space: files with the receiver's
    /// prefix that were last written before `started` (an upload another process is receiving
    /// right now is newer). Other files are left alone. Returns how many were removed.
    pub fn clean_scratch(&self, started: std::time::SystemTime) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.scratch) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let ours = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(crate::upload::SCRATCH_PREFIX));
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < started);
            if ours && stale && entry.file_type().is_ok_and(|t| t.is_file()) {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) => tracing::warn!("scratch {}: {e}", entry.path().display()),
                }
            }
        }
        removed
    }

    /// Whether a file is stored under `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        match self.inner.head(&Key::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores a local file under `key`, streaming it in parts (never whole in memory).
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<(), StoreError> {
        let mut file = tokio::fs::File::open(path).await?;
        let upload = self.inner.put_multipart(&Key::from(key)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut buf = vec![0u8; 256 * 1024];
        let copied: Result<(), StoreError> = async {
            loop {
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                writer.wait_for_capacity(2).await?;
                writer.write(&buf[..n]);
            }
            Ok(())
        }
        .await;
        match copied {
            Ok(()) => {
                writer.finish().await?;
                Ok(())
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// Stores a small file (a preview) under `key`.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.inner
            .put(&Key::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// The stored file as a stream of chunks, with its size.
    pub async fn get(
        &self,
        key: &str,
    ) -> Result<(u64, BoxStream<'static, std::io::Result<Bytes>>), StoreError> {
        let got = match self.inner.get(&Key::from(key)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Err(StoreError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let size = got.meta.size;
        let stream = got
            .into_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other))
            .boxed();
        Ok((size, stream))
    }

    /// The whole stored file (for small files and tests).
    pub async fn read_all(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let (_, mut stream) = self.get(key).await?;
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}
