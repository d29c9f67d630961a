//! Consultation attachments: uploads stream to the file store (never whole in memory) with a
//! size limit and a checksum; the content decides what a file is; DICOM is parsed and previewed.
//! Only those who see the consultation see its files, and every read of them is audited.

use super::IdPath;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::body::Body;
use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::Invalid;
use shanhai_domain::consultations::{Attachment, AttachmentKind, ConsultationState, DicomSummary};
use shanhai_files::{IngestError, Receiver, Refused, UploadError};
use shanhai_store::attachments::{self, NewAttachment, StoredKeys};
use shanhai_store::audit::Actor;
use shanhai_store::consultations;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(upload, list, get_attachment, content, preview),
    components(schemas(Attachment, AttachmentKind, DicomSummary))
)]
pub struct AttachmentsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/consultations/{id}/attachments",
            // The receiver enforces the attachment limit itself while streaming.
            post(upload).layer(DefaultBodyLimit::disable()).get(list),
        )
        .route("/api/v1/attachments/{id}", get(get_attachment))
        .route("/api/v1/attachments/{id}/content", get(content))
        .route("/api/v1/attachments/{id}/preview", get(preview))
}

/// The largest attachment accepted, in bytes: `SHANHAI_ATTACHMENT_LIMIT_MB` (default 200 MiB,
/// enough for a CT series exported as one file).
pub fn attachment_limit() -> u64 {
    std::env::var("SHANHAI_ATTACHMENT_LIMIT_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(200)
        * 1024
        * 1024
}

/// The uploader's file name without any path, at most 200 characters.
fn clean_name(raw: Option<&str>) -> String {
    raw.map(|n| {
        n.rsplit(['/', '\\'])
            .next()
            .unwrap_or(n)
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    })
    .filter(|n| !n.trim().is_empty())
    .unwrap_or_else(|| "attachment".to_string())
}

fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::TooLarge { .. } => crate::error::too_large(),
        UploadError::Empty => Invalid::new("file", "error.empty_file").into(),
        UploadError::Io(e) => e.into(),
    }
}

fn refused(r: Refused) -> ApiError {
    match r {
        Refused::NotDicom => Invalid::new("file", "error.not_dicom").into(),
        Refused::UnreadableDicom(reason) => {
            ApiError::from(Invalid::new("file", "error.dicom_unreadable")).with_detail(reason)
        }
        Refused::Unsupported => Invalid::new("file", "error.attachment_type").into(),
    }
}

fn storage_error(e: shanhai_files::StoreError) -> ApiError {
    tracing::error!("attachment storage: {e}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "error.internal",
    )
}

/// Receives one multipart field as an attachment of the consultation: streams it to scratch
/// space (refusing it past the limit), recognises it by content, parses DICOM and renders its
/// preview, stores file and preview under their checksum and records the attachment. The
/// caller checks access first. The pages use it for their upload forms.
pub async fn receive(
    state: &AppState,
    actor: &Actor,
    uploader_name: &str,
    consultation_id: &str,
    mut field: Field<'_>,
) -> ApiResult<Attachment> {
    let file_name = clean_name(field.file_name());
    let declared = field.content_type().map(str::to_string);
    let mut receiver = Receiver::new(state.files.scratch(), attachment_limit()).await?;
    while let Some(chunk) = field.chunk().await? {
        receiver.write(&chunk).await.map_err(upload_error)?;
    }
    let received = receiver.finish().await.map_err(upload_error)?;
    let stored = shanhai_files::store_received(&state.files, received, file_name, declared)
        .await
        .map_err(|e| match e {
            IngestError::Refused(r) => refused(r),
            IngestError::Store(e) => storage_error(e),
            IngestError::Task(e) => ApiError::from(std::io::Error::other(e)),
        })?;
    let new = NewAttachment::from(stored);
    Ok(attachments::create(&state.db, actor, uploader_name, consultation_id, &new).await?)
}

/// Whether the caller sees the consultation the attachment belongs to.
async fn check_access(state: &AppState, caller: &Caller, consultation_id: &str) -> ApiResult<()> {
    shanhai_service::consultations::parties(&state.db, &caller.acting(), consultation_id).await?;
    Ok(())
}

/// Attaches a file to the consultation (multipart, field `file`): DICOM, PDF, PNG or JPEG,
/// recognised by content; at most 200 MiB. A DICOM file comes back with what it says about
/// itself (`dicom`: modality, study date, body part…; the patient's name and ID masked) and a
/// `preview_url` serving a PNG of its first frame (CT windowed), or `preview_error` saying why
/// there is none. A file named or declared DICOM that is not one gets 422.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/attachments", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = Attachment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    mut multipart: Multipart,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    check_access(&state, &caller, &id).await?;
    let current = consultations::get(&state.db, &id).await?;
    if matches!(
        current.state,
        ConsultationState::Closed | ConsultationState::Cancelled | ConsultationState::Declined
    ) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "error.consultation_finished",
        ));
    }
    while let Some(field) = multipart.next_field().await? {
        if field.name() != Some("file") {
            continue;
        }
        let created = receive(
            &state,
            &caller.actor(),
            &caller.user.display_name,
            &id,
            field,
        )
        .await?;
        return Ok((StatusCode::CREATED, Json(created)));
    }
    Err(Invalid::new("file", "error.file_missing").into())
}

/// The consultation's attachments.
#[utoipa::path(get, path = "/api/v1/consultations/{id}/attachments", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<Attachment>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<Attachment>>> {
    check_access(&state, &caller, &id).await?;
    Ok(Json(attachments::list(&state.db, &id).await?))
}

/// One attachment's description.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Attachment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_attachment(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Attachment>> {
    let found = attachments::get(&state.db, &id).await?;
    check_access(&state, &caller, &found.consultation_id).await?;
    Ok(Json(found))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// `true`: show in the browser rather than download.
    inline: Option<bool>,
}

/// Streams an attachment's bytes (`preview`: its PNG preview instead). Access is the caller's
/// business; the read is audited here.
pub async fn stream(
    state: &AppState,
    actor: &Actor,
    id: &str,
    keys: &StoredKeys,
    preview: bool,
    inline: bool,
) -> ApiResult<Response> {
    let (key, content_type) = if preview {
        match (&keys.preview_key, keys.kind) {
            (Some(k), _) => (k.clone(), "image/png".to_string()),
            // PDFs and images are their own preview.
            (None, AttachmentKind::Pdf | AttachmentKind::Image) => {
                (keys.storage_key.clone(), keys.content_type.clone())
            }
            (None, AttachmentKind::Dicom) => return Err(ApiError::not_found()),
        }
    } else {
        (keys.storage_key.clone(), keys.content_type.clone())
    };
    let (size, body) = state.files.get(&key).await.map_err(|e| match e {
        shanhai_files::StoreError::NotFound => ApiError::not_found(),
        other => storage_error(other),
    })?;
    attachments::record_read(
        &state.db,
        actor,
        id,
        if preview { "preview" } else { "content" },
    )
    .await?;
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline || preview {
            "inline"
        } else {
            "attachment"
        },
        super::registry::percent_encode(&keys.file_name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// Downloads the attachment (`?inline=true` to show PDFs and images in the browser).
#[utoipa::path(get, path = "/api/v1/attachments/{id}/content", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ContentQuery),
    responses((status = 200, description = "the file"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn content(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    Query(q): Query<ContentQuery>,
) -> ApiResult<Response> {
    let keys = attachments::keys(&state.db, &id).await?;
    check_access(&state, &caller, &keys.consultation_id).await?;
    stream(
        &state,
        &caller.actor(),
        &id,
        &keys,
        false,
        q.inline.unwrap_or(false),
    )
    .await
}

/// The attachment's preview: a PNG of a DICOM image's first frame (404 when none could be
/// rendered; the attachment's `preview_error` says why), or a PDF or image itself.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/preview", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "PNG", content_type = "image/png"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let keys = attachments::keys(&state.db, &id).await?;
    check_access(&state, &caller, &keys.consultation_id).await?;
    stream(&state, &caller.actor(), &id, &keys, true, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(clean_name(Some("C:\\scans\\胸部 CT.dcm")), "胸部 CT.dcm");
        assert_eq!(clean_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_name(Some("  ")), "attachment");
        assert_eq!(clean_name(None), "attachment");
    }
}
