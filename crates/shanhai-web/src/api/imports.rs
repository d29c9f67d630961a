//! Spreadsheet import (C11): `POST /api/v1/imports/{kind}` with the file in the multipart field
//! `file` checks every row and, unless `dry_run=true` or any row is bad, writes them all in one
//! transaction; `GET /api/v1/imports/{kind}/template` gives the template. Each row may write only
//! what the caller could create through the kind's own endpoint.

use super::ApiQuery;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::i18n;
use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::Invalid;
use shanhai_files::{Received, Receiver, UploadError};
use shanhai_import::{Report, Upload};
use shanhai_store::StoreError;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(import, template),
    components(schemas(Report, shanhai_import::ReportError))
)]
pub struct ImportsApi;

/// The largest spreadsheet accepted: 256 MiB (a million-row CSV is about 150 MiB). It is
/// received into a scratch file as it arrives, never held in memory.
pub const IMPORT_LIMIT: u64 = 256 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/imports/{kind}",
            // The receiver enforces the import limit itself while streaming the file.
            post(import).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/imports/{kind}/template", get(template))
}

/// Streams a multipart field into a scratch file under `DATA_DIR/tmp`, refusing it (413) past
/// [`IMPORT_LIMIT`]; `None` for an empty field. The scratch file goes when the result is dropped.
pub async fn receive_file(state: &AppState, mut field: Field<'_>) -> ApiResult<Option<Received>> {
    let mut receiver = Receiver::new(state.files.scratch(), IMPORT_LIMIT).await?;
    while let Some(chunk) = field.chunk().await? {
        receiver.write(&chunk).await.map_err(upload_error)?;
    }
    match receiver.finish().await {
        Ok(received) => Ok(Some(received)),
        Err(UploadError::Empty) => Ok(None),
        Err(e) => Err(upload_error(e)),
    }
}

/// How long a refused upload is read on (and thrown away) before the answer goes out. A client
/// still sending when the server closes the connection gets a reset instead of the answer, and a
/// browser then shows a network error rather than "too large"; a file just past the limit is
/// read to its end, a far larger one is cut off after this.
const DRAIN_AFTER_REFUSAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads and discards the rest of a refused multipart request, for at most
/// [`DRAIN_AFTER_REFUSAL`].
pub async fn drain(multipart: &mut Multipart) {
    let _ = tokio::time::timeout(DRAIN_AFTER_REFUSAL, async {
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
    })
    .await;
}

fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::TooLarge { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "error.import_too_large",
        ),
        UploadError::Empty => Invalid::new("file", "error.import_empty").into(),
        UploadError::Io(e) => e.into(),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: check and report only.
    #[serde(default)]
    dry_run: Option<bool>,
}

/// Imports a spreadsheet (multipart field `file`: XLSX, or CSV in UTF-8 or GB18030) of a kind:
/// `people` (with their assignments), `clinic-sessions`, `teaching-activities`, `techniques`.
/// The report counts the rows, those created and those already stored (unchanged); with any
/// error it is returned with 422 and nothing is written. A file over 256 MiB answers 413; a
/// workbook beyond the reading limits (sheet size, columns, cells, inflated parts) or a CSV row
/// over 1 MiB answers 422 with the limit named in the report.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "imports", security(("bearer" = [])),
    params(("kind" = inline(ImportKind), Path), ImportQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 200, body = Report), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = Report)))]
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    mut multipart: Multipart,
) -> ApiResult<Response> {
    let acting = caller.acting();
    shanhai_service::imports::may_start(&acting)?;
    if shanhai_import::columns(&kind).is_none() {
        return Err(ApiError::not_found());
    }
    while let Some(field) = multipart.next_field().await? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or("").to_string();
        let received = match receive_file(&state, field).await {
            Ok(received) => received,
            Err(e) => {
                drain(&mut multipart).await;
                return Err(e);
            }
        }
        .ok_or_else(|| ApiError::from(Invalid::new("file", "error.import_empty")))?;
        let outcome = shanhai_service::imports::import(
            &state.db,
            &acting,
            &kind,
            Upload {
                file_name: &file_name,
                path: &received.path,
                sha256: Some(&received.sha256),
            },
            q.dry_run.unwrap_or(false),
        )
        .await?;
        let status = if outcome.ok() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let report = outcome.report(i18n::current(), i18n::t);
        return Ok((status, Json(report)).into_response());
    }
    Err(Invalid::new("file", "error.import_file_required").into())
}

/// `?format=` of a template.
fn template_formats() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    shanhai_domain::codes::code_schema(&[("xlsx", "Excel workbook (default)"), ("csv", "CSV")])
}

/// The kinds of import, by name (`{kind}` in the paths).
struct ImportKind;

impl utoipa::PartialSchema for ImportKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        shanhai_import::kind_schema()
    }
}

impl utoipa::ToSchema for ImportKind {}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `xlsx` (default) or `csv`.
    #[param(schema_with = template_formats)]
    format: Option<String>,
}

/// The template of a kind: Chinese headers (required ones marked `*`) and an example row.
#[utoipa::path(get, path = "/api/v1/imports/{kind}/template", tag = "imports", security(("bearer" = [])),
    params(("kind" = inline(ImportKind), Path), TemplateQuery),
    responses((status = 200, description = "XLSX or CSV"), (status = 404, body = ErrorBody)))]
async fn template(
    _caller: Caller,
    Path(kind): Path<String>,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> ApiResult<Response> {
    template_response(&kind, q.format.as_deref())
}

/// The template file as a download (the page's link uses it too).
pub fn template_response(kind: &str, format: Option<&str>) -> ApiResult<Response> {
    let columns = shanhai_import::columns(kind).ok_or_else(ApiError::not_found)?;
    let (bytes, content_type, ext) = match format.unwrap_or("xlsx") {
        "csv" => (
            shanhai_import::template::csv(columns),
            "text/csv; charset=utf-8",
            "csv",
        ),
        "xlsx" => (
            shanhai_import::template::xlsx(columns)
                .map_err(|e| StoreError::Other(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => return Err(Invalid::new("format", "error.unknown_code").into()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{kind}-template.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
