//! The import page (C11): choose a kind, download its template, upload a spreadsheet for a dry
//! run that lists every problem by row and column, then confirm to import it for real. The file
//! waits for the confirmation under the data directory, named for the user who uploaded it.

use super::dispatch::here;
use super::{Chrome, Viewer, csrf_refused, error_page, render};
use crate::AppState;
use crate::api::imports::{receive_file, template_response};
use crate::error::ApiError;
use crate::i18n;
use askama::Template;
use axum::Router;
use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart, OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use shanhai_domain::Invalid;
use shanhai_files::Received;
use shanhai_import::{Report, Upload};
use shanhai_service::imports::may_import;
use std::path::PathBuf;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/import",
            get(import_page)
                .post(submit)
                // The file streams to scratch space under the import limit, the other fields
                // are read with their own small bound.
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/import/template/{kind}", get(template))
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    kinds: Vec<(&'static str, String)>,
    kind: String,
    report: Option<Report>,
    /// The waiting upload a confirmation imports (after a clean dry run).
    pending: Option<String>,
    file_name: String,
}

impl ImportPage {
    fn selected(&self, name: &str) -> bool {
        self.kind == name
    }
}

fn page(viewer: &Viewer, uri: &OriginalUri, kind: String) -> ImportPage {
    let lang = i18n::current();
    ImportPage {
        c: Chrome::new(Some(viewer), "import", here(uri)),
        kinds: shanhai_import::KINDS
            .iter()
            .map(|(name, label)| (*name, i18n::t(lang, label)))
            .collect(),
        kind,
        report: None,
        pending: None,
        file_name: String::new(),
    }
}

#[derive(Deserialize)]
struct KindQuery {
    kind: Option<String>,
    format: Option<String>,
}

async fn import_page(viewer: Viewer, uri: OriginalUri, Query(q): Query<KindQuery>) -> Response {
    if !may_import(&viewer.principal) {
        return error_page(&viewer, "import", here(&uri), ApiError::forbidden());
    }
    render(&page(
        &viewer,
        &uri,
        q.kind.unwrap_or_else(|| "people".into()),
    ))
}

async fn template(
    viewer: Viewer,
    uri: OriginalUri,
    Path(kind): Path<String>,
    Query(q): Query<KindQuery>,
) -> Response {
    match template_response(&kind, q.format.as_deref()) {
        Ok(r) => r,
        Err(e) => error_page(&viewer, "import", here(&uri), e),
    }
}

/// Where an upload waits for its confirmation: a random name that starts with the user's id.
fn pending_path(state: &AppState, viewer: &Viewer, token: &str) -> Option<PathBuf> {
    let ok = token.len() <= 100
        && token.starts_with(&format!("{}-", viewer.user.id))
        && token.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    ok.then(|| state.config.data_dir.join("import-uploads").join(token))
}

/// The longest text field the form sends (a CSRF token, a kind, a pending upload's name).
const FIELD_LIMIT: usize = 4096;

/// A small text field of the form, read with a bound (the file is the only large field).
async fn text_field(mut field: Field<'_>) -> Result<String, ApiError> {
    let mut data = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if data.len() + chunk.len() > FIELD_LIMIT {
            return Err(crate::error::too_large());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&data).into_owned())
}

/// A dry run (`file` given) or the confirmed import (`pending` names the waiting upload).
async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    mut multipart: Multipart,
) -> Response {
    let (mut csrf, mut kind, mut pending, mut file_name) =
        (String::new(), String::new(), String::new(), String::new());
    let mut received: Option<Received> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return error_page(&viewer, "import", here(&uri), e.into()),
        };
        let name = field.name().unwrap_or("").to_string();
        let read = if name == "file" {
            file_name = field.file_name().unwrap_or("").to_string();
            receive_file(&state, field).await.map(|r| {
                received = r;
            })
        } else {
            text_field(field).await.map(|text| match name.as_str() {
                "csrf" => csrf = text,
                "kind" => kind = text,
                "pending" => pending = text,
                "file_name" => file_name = text,
                _ => {}
            })
        };
        if let Err(e) = read {
            crate::api::imports::drain(&mut multipart).await;
            return error_page(&viewer, "import", here(&uri), e);
        }
    }
    if !viewer.csrf_ok(&csrf) {
        return csrf_refused(&viewer, "import", here(&uri));
    }
    let result = async {
        let confirm = received.is_none() && !pending.is_empty();
        let waiting_path = if confirm {
            let path = pending_path(&state, &viewer, &pending).ok_or_else(ApiError::not_found)?;
            if !path.is_file() {
                return Err(ApiError::not_found());
            }
            Some(path)
        } else {
            None
        };
        let path = match (&waiting_path, &received) {
            (Some(path), _) => path.clone(),
            (None, Some(r)) => r.path.clone(),
            (None, None) => {
                return Err(ApiError::from(Invalid::new(
                    "file",
                    "error.import_file_required",
                )));
            }
        };
        let outcome = shanhai_service::imports::import(
            &state.db,
            &viewer.acting(),
            &kind,
            Upload {
                file_name: &file_name,
                path: &path,
                sha256: received.as_ref().map(|r| r.sha256.as_str()),
            },
            !confirm,
        )
        .await?;
        let mut waiting = None;
        if let Some(path) = waiting_path {
            let _ = std::fs::remove_file(path);
        } else if outcome.ok()
            && outcome.created > 0
            && let Some(r) = received
        {
            let dir = state.config.data_dir.join("import-uploads");
            std::fs::create_dir_all(&dir)?;
            let token = format!(
                "{}-{}",
                viewer.user.id,
                hex::encode(rand::random::<[u8; 16]>())
            );
            r.keep_as(&dir.join(&token))?;
            waiting = Some(token);
        }
        Ok::<_, ApiError>((outcome, waiting))
    }
    .await;
    match result {
        Ok((outcome, waiting)) => {
            let mut p = page(&viewer, &uri, kind);
            p.report = Some(outcome.report(i18n::current(), i18n::t));
            p.pending = waiting;
            p.file_name = file_name;
            let status = if outcome.ok() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, render(&p)).into_response()
        }
        Err(e) => error_page(&viewer, "import", here(&uri), e),
    }
}
