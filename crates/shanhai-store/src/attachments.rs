//! Files attached to a consultation. The bytes live in the file store (a directory under the
//! data dir, or S3-compatible object storage); this table keeps what was recognised in them.

use crate::audit::{self, Action, Actor};
use crate::query::{self, int, opt_text, text};
use crate::{Db, Result, StoreError};
use shanhai_domain::consultations::{Attachment, AttachmentKind, DicomSummary};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// What the upload pipeline learnt about a stored file.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: String,
    pub kind: AttachmentKind,
    pub size: i64,
    pub sha256: String,
    /// Where the file store keeps the bytes.
    pub storage_key: String,
    pub dicom: Option<DicomSummary>,
    /// Where the file store keeps the rendered PNG preview (DICOM only).
    pub preview_key: Option<String>,
    pub preview_error: Option<String>,
}

impl From<shanhai_files::Stored> for NewAttachment {
    fn from(s: shanhai_files::Stored) -> NewAttachment {
        NewAttachment {
            file_name: s.file_name,
            content_type: s.content_type.to_string(),
            kind: s.kind,
            size: i64::try_from(s.size).unwrap_or(i64::MAX),
            sha256: s.sha256,
            storage_key: s.storage_key,
            dicom: s.dicom,
            preview_key: s.preview_key,
            preview_error: s.preview_error,
        }
    }
}

/// Where an attachment's bytes and preview are kept.
#[derive(Debug, Clone)]
pub struct StoredKeys {
    pub consultation_id: String,
    pub content_type: String,
    pub file_name: String,
    pub kind: AttachmentKind,
    pub storage_key: String,
    pub preview_key: Option<String>,
}

fn decode(row: &AnyRow) -> Result<Attachment> {
    let id = text(row, "id")?;
    let kind = query::code(row, "kind", AttachmentKind::parse)?;
    let dicom = opt_text(row, "dicom")?
        .map(|j| serde_json::from_str::<DicomSummary>(&j))
        .transpose()
        .map_err(|e| StoreError::Other(format!("attachment {id}: bad DICOM summary: {e}")))?;
    let preview_key = opt_text(row, "preview_key")?;
    let preview_url = match kind {
        AttachmentKind::Dicom => preview_key
            .as_ref()
            .map(|_| format!("/api/v1/attachments/{id}/preview")),
        // PDFs and images are shown as they are.
        AttachmentKind::Pdf | AttachmentKind::Image => {
            Some(format!("/api/v1/attachments/{id}/content?inline=true"))
        }
    };
    Ok(Attachment {
        consultation_id: text(row, "consultation_id")?,
        file_name: text(row, "file_name")?,
        content_type: text(row, "content_type")?,
        kind,
        size: int(row, "size")?,
        sha256: text(row, "sha256")?,
        dicom,
        content_url: format!("/api/v1/attachments/{id}/content"),
        preview_url,
        preview_error: opt_text(row, "preview_error")?,
        uploaded_by_name: text(row, "uploaded_by_name")?,
        created_at: text(row, "created_at")?,
        id,
    })
}

/// The consultation's attachments, oldest first.
pub async fn list_on(conn: &mut AnyConnection, consultation_id: &str) -> Result<Vec<Attachment>> {
    let rows = query::sql_with(
        "SELECT * FROM attachments WHERE consultation_id = $1 ORDER BY created_at, id".into(),
        vec![consultation_id.into()],
    )
    .fetch_all(conn)
    .await?;
    rows.iter().map(decode).collect()
}

pub async fn list(db: &Db, consultation_id: &str) -> Result<Vec<Attachment>> {
    let mut conn = db.pool().acquire().await?;
    list_on(&mut conn, consultation_id).await
}

pub async fn get(db: &Db, id: &str) -> Result<Attachment> {
    let row = query::sql_with(
        "SELECT * FROM attachments WHERE id = $1".into(),
        vec![id.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
    decode(&row)
}

/// Where the attachment's bytes are, and which consultation it belongs to (for access checks).
pub async fn keys(db: &Db, id: &str) -> Result<StoredKeys> {
    let row = query::sql_with(
        "SELECT consultation_id, content_type, file_name, kind, storage_key, preview_key \
         FROM attachments WHERE id = $1"
            .into(),
        vec![id.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(StoredKeys {
        consultation_id: text(&row, "consultation_id")?,
        content_type: text(&row, "content_type")?,
        file_name: text(&row, "file_name")?,
        kind: query::code(&row, "kind", AttachmentKind::parse)?,
        storage_key: text(&row, "storage_key")?,
        preview_key: opt_text(&row, "preview_key")?,
    })
}

/// Records an attachment whose bytes are already in the file store, audited with the
/// consultation it belongs to.
pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    uploaded_by_name: &str,
    consultation_id: &str,
    new: &NewAttachment,
) -> Result<Attachment> {
    // The consultation must exist (a clear 404 rather than a foreign-key error).
    query::sql_with(
        "SELECT id FROM consultations WHERE id = $1".into(),
        vec![consultation_id.into()],
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    let dicom = new
        .dicom
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let columns = [
        "id",
        "consultation_id",
        "file_name",
        "content_type",
        "kind",
        "size",
        "sha256",
        "storage_key",
        "dicom",
        "preview_key",
        "preview_error",
        "uploaded_by_name",
        "created_at",
        "updated_at",
    ];
    let args: Vec<query::Arg> = vec![
        id.clone().into(),
        consultation_id.into(),
        new.file_name.clone().into(),
        new.content_type.clone().into(),
        new.kind.code().into(),
        new.size.into(),
        new.sha256.clone().into(),
        new.storage_key.clone().into(),
        dicom.into(),
        new.preview_key.clone().into(),
        new.preview_error.clone().into(),
        uploaded_by_name.into(),
        now.clone().into(),
        now.into(),
    ];
    query::sql_with(query::insert_sql("attachments", &columns), args)
        .execute(&mut *conn)
        .await?;
    let row = query::sql_with(
        "SELECT * FROM attachments WHERE id = $1".into(),
        vec![id.clone().into()],
    )
    .fetch_one(&mut *conn)
    .await?;
    let created = decode(&row)?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "attachment",
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    uploaded_by_name: &str,
    consultation_id: &str,
    new: &NewAttachment,
) -> Result<Attachment> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, uploaded_by_name, consultation_id, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Audits a read of an attachment's bytes (`what`: `content` or `preview`).
pub async fn record_read(db: &Db, actor: &Actor, id: &str, what: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Read,
        "attachment",
        id,
        None,
        Some(&serde_json::json!({ "read": what })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
