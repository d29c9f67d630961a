//! The import page (C11): choose a kind, download its template, upload a spreadsheet for a dry
//! run that lists every problem by row and column, then confirm to import it for real. The file
//! waits for the confirmation under the data directory, named for the user who uploaded it.

use super::dispatch::here;
use super::{Chrome, Viewer, csrf_refused, error_page, render};
use crate::AppState;
use crate::api::imports::{IMPORT_LIMIT, may_import, run, template_response};
use crate::error::ApiError;
use crate::i18n;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use shanhai_domain::Invalid;
use shanhai_import::{Report, Upload};
use std::path::PathBuf;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/import",
            get(import_page)
                .post(submit)
                .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
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

/// A dry run (`file` given) or the confirmed import (`pending` names the waiting upload).
async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    mut multipart: Multipart,
) -> Response {
    let (mut csrf, mut kind, mut pending, mut file_name) =
        (String::new(), String::new(), String::new(), String::new());
    let mut bytes: Option<Vec<u8>> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return error_page(&viewer, "import", here(&uri), e.into()),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            file_name = field.file_name().unwrap_or("").to_string();
        }
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(e) => return error_page(&viewer, "import", here(&uri), e.into()),
        };
        let text = || String::from_utf8_lossy(&data).into_owned();
        match name.as_str() {
            "csrf" => csrf = text(),
            "kind" => kind = text(),
            "pending" => pending = text(),
            "file_name" => file_name = text(),
            "file" if !data.is_empty() => bytes = Some(data.to_vec()),
            _ => {}
        }
    }
    if !viewer.csrf_ok(&csrf) {
        return csrf_refused(&viewer, "import", here(&uri));
    }
    let result = async {
        let confirm = bytes.is_none() && !pending.is_empty();
        let (bytes, path) = if confirm {
            let path = pending_path(&state, &viewer, &pending).ok_or_else(ApiError::not_found)?;
            (
                std::fs::read(&path).map_err(|_| ApiError::not_found())?,
                Some(path),
            )
        } else {
            (
                bytes.ok_or_else(|| {
                    ApiError::from(Invalid::new("file", "error.import_file_required"))
                })?,
                None,
            )
        };
        let outcome = run(
            &state,
            &viewer.principal,
            &viewer.actor(),
            &kind,
            Upload {
                file_name: &file_name,
                bytes: &bytes,
            },
            !confirm,
        )
        .await?;
        let mut waiting = None;
        if let Some(path) = path {
            let _ = std::fs::remove_file(path);
        } else if outcome.ok() && outcome.created > 0 {
            let dir = state.config.data_dir.join("import-uploads");
            std::fs::create_dir_all(&dir)?;
            let token = format!(
                "{}-{}",
                viewer.user.id,
                hex::encode(rand::random::<[u8; 16]>())
            );
            std::fs::write(dir.join(&token), &bytes)?;
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
