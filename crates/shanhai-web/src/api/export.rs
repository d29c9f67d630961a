//! Export: `?format=csv` or `?format=xlsx` on any list `GET` of the API returns the whole filtered
//! list as a file download instead of one page of JSON.
//!
//! Which routes export is read from the OpenAPI document: every `GET` whose 200 answer is a page
//! (`{items, total, page, per_page}`) or a JSON array, unless the operation already has a
//! `format` parameter of its own (templates, briefings). A new list gets export by being
//! documented. The layer does not read the database itself: it calls the route's own handler
//! again, page by page, with the caller's credentials and filters, so the caller's scope, the
//! masking of patient identifiers and the audit of reads are exactly the list's. Each export is
//! audited as one more read (`entity = "export"`) with the path, the query, the format and the
//! row count.
//!
//! Rows are flattened to columns (nested objects become dotted columns, arrays of values are
//! joined with "; ", arrays of records by their names) and spooled to a temporary file while the
//! pages arrive, so memory holds one page at a time; the file is then written as CSV (UTF-8 with
//! a BOM, RFC 4180 quoting, CRLF) or XLSX (rust_xlsxwriter in constant-memory mode: bold frozen
//! header, column widths from the data, numbers as numbers) and streamed back. At most
//! [`max_rows`] rows ([`MAX_ROWS`], or fewer when the operator sets `SHANHAI_EXPORT_MAX_ROWS`): a
//! longer list answers 422 before anything is written.
//!
//! The pages link to the same URLs: for a `GET` export the layer also accepts the session cookie
//! of the web UI (a download changes nothing, so no CSRF token is needed; `SameSite=Lax` keeps
//! other sites from reading it).

use crate::AppState;
use crate::auth::{self, SESSION_COOKIE};
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use serde_json::{Map, Value};
use shanhai_domain::Invalid;
use shanhai_domain::accounts::User;
use shanhai_store::audit::{self, Action, Actor};
use shanhai_store::users;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::future::Future;
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service, ServiceExt};

/// The most rows one export holds (XLSX allows 1,048,576 per sheet).
pub const MAX_ROWS: u64 = 1_000_000;

/// The most rows one export holds on this server: `SHANHAI_EXPORT_MAX_ROWS` (1 to [`MAX_ROWS`])
/// when set, else [`MAX_ROWS`]. An operator lowers it to keep whole-list downloads short; the
/// test script lowers it for the API fuzzer, which would otherwise download the demo's largest
/// lists hundreds of times.
pub fn max_rows() -> u64 {
    static LIMIT: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
        std::env::var("SHANHAI_EXPORT_MAX_ROWS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(MAX_ROWS, |n| n.clamp(1, MAX_ROWS))
    });
    *LIMIT
}
/// Rows asked of the list handler per call while exporting.
const EXPORT_PAGE: i64 = 1000;
/// Largest JSON page read back from a handler.
const PAGE_BYTES: usize = 256 * 1024 * 1024;
/// Widest column in the XLSX, in characters.
const MAX_WIDTH: usize = 60;

const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Marks the `format` parameter this module adds, so that it is not mistaken for a handler's own.
const PARAM_NOTE: &str = "Export instead of JSON";

tokio::task_local! {
    static EXPORT_PAGE_SIZE: i64;
}

/// The page size a list handler must use while it is being exported (larger than the API's 200).
pub fn page_size() -> Option<i64> {
    EXPORT_PAGE_SIZE.try_with(|n| *n).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => XLSX_MIME,
        }
    }
}

/// A session cookie's user, set by the export layer for the handlers it calls: the list's
/// [`crate::auth::Caller`] accepts it in place of a bearer token.
#[derive(Debug, Clone)]
pub struct SessionUser(pub User);

// ---- which routes export, and the OpenAPI document ----

fn is_list_schema(doc: &Value, schema: &Value) -> bool {
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| doc.pointer(&format!("/components/schemas/{}", escape_pointer(name))))
            .unwrap_or(&Value::Null),
        None => schema,
    };
    let props = resolved.get("properties");
    let is_page = props.is_some_and(|p| p.get("items").is_some() && p.get("total").is_some());
    let is_array = resolved.get("type").and_then(Value::as_str) == Some("array");
    is_page || is_array
}

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Whether a `GET` operation is an exportable list: its 200 answer is a page or an array and it
/// has no `format` parameter of its own.
fn exportable_operation(doc: &Value, op: &Value) -> bool {
    let own_format = op
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| {
            ps.iter().any(|p| {
                p.get("name").and_then(Value::as_str) == Some("format")
                    && !p
                        .get("description")
                        .and_then(Value::as_str)
                        .is_some_and(|d| d.starts_with(PARAM_NOTE))
            })
        });
    let schema = op.pointer("/responses/200/content/application~1json/schema");
    !own_format && schema.is_some_and(|s| is_list_schema(doc, s))
}

/// The path templates (as axum matches them, e.g. `/api/v1/programs/{id}/indicators`) of the
/// exportable lists.
pub fn exportable_paths(doc: &utoipa::openapi::OpenApi) -> HashSet<String> {
    let Ok(v) = serde_json::to_value(doc) else {
        return HashSet::new();
    };
    v.get("paths")
        .and_then(Value::as_object)
        .map(|paths| {
            paths
                .iter()
                .filter(|(_, item)| {
                    item.get("get")
                        .is_some_and(|op| exportable_operation(&v, op))
                })
                .map(|(path, _)| path.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Documents `format` on every exportable list, with the two file types among its answers.
pub fn document(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let Ok(mut v) = serde_json::to_value(&doc) else {
        return doc;
    };
    let targets: Vec<String> = exportable_paths(&doc).into_iter().collect();
    let param = serde_json::json!({
        "name": "format",
        "in": "query",
        "required": false,
        "description": format!("{PARAM_NOTE}: `csv` (UTF-8 with BOM) or `xlsx`, the whole filtered list \
            (every page; `page` and `per_page` are ignored; at most {MAX_ROWS} rows, more answers 422) \
            as a file download. Anything else answers 422 with field `format`."),
        "schema": {"type": "string", "enum": ["csv", "xlsx"]}
    });
    let file = serde_json::json!({"schema": {"type": "string", "format": "binary"}});
    for path in targets {
        let Some(op) = v
            .pointer_mut(&format!("/paths/{}/get", escape_pointer(&path)))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let params = op
            .entry("parameters")
            .or_insert_with(|| Value::Array(vec![]));
        if let Some(params) = params.as_array_mut()
            && !params
                .iter()
                .any(|p| p.get("name").and_then(Value::as_str) == Some("format"))
        {
            params.push(param.clone());
        }
        if let Some(content) = op
            .get_mut("responses")
            .and_then(|r| r.get_mut("200"))
            .and_then(|r| r.get_mut("content"))
            .and_then(Value::as_object_mut)
        {
            content.insert("text/csv".into(), file.clone());
            content.insert(XLSX_MIME.into(), file.clone());
        }
    }
    serde_json::from_value(v).unwrap_or(doc)
}

// ---- the layer ----

/// Adds export to every exportable list route of `router` (the API's).
pub fn wrap(router: axum::Router<AppState>, state: AppState) -> axum::Router<AppState> {
    let paths = exportable_paths(&super::openapi());
    router.route_layer(ExportLayer {
        state,
        paths: Arc::new(paths),
    })
}

#[derive(Clone)]
pub struct ExportLayer {
    state: AppState,
    paths: Arc<HashSet<String>>,
}

impl Layer<Route> for ExportLayer {
    type Service = ExportService;

    fn layer(&self, inner: Route) -> ExportService {
        ExportService {
            inner,
            state: self.state.clone(),
            paths: self.paths.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ExportService {
    inner: Route,
    state: AppState,
    paths: Arc<HashSet<String>>,
}

/// The `format` asked for, when the request is a `GET` of an exportable list that asks for one.
fn asked_format(req: &Request, paths: &HashSet<String>) -> Option<String> {
    if req.method() != Method::GET {
        return None;
    }
    let query = req.uri().query()?;
    let format = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.into_owned())?;
    let matched = req.extensions().get::<MatchedPath>()?;
    paths.contains(matched.as_str()).then_some(format)
}

impl Service<Request> for ExportService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        <Route as Service<Request>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        match asked_format(&req, &self.paths) {
            None => Box::pin(inner.call(req)),
            Some(format) => {
                let state = self.state.clone();
                Box::pin(async move {
                    Ok(export(inner, state, req, &format)
                        .await
                        .unwrap_or_else(IntoResponse::into_response))
                })
            }
        }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::from(shanhai_store::StoreError::Other(format!("export: {e}")))
}

/// Who asks: a bearer token's user, else (a download from the pages) the session cookie's user,
/// which the handlers then accept through [`SessionUser`].
async fn resolve_user(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<(Option<User>, bool), ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() < 200);
    if let Some(token) = bearer {
        return Ok((
            users::user_for_token(&state.db, token, state.config.token_lifetime_hours)
                .await?
                .map(|(u, _)| u),
            false,
        ));
    }
    match auth::cookie(headers, SESSION_COOKIE) {
        Some(cookie) => Ok((
            users::session(&state.db, &cookie).await?.map(|(u, _)| u),
            true,
        )),
        None => Ok((None, false)),
    }
}

async fn export(
    inner: Route,
    state: AppState,
    req: Request,
    format: &str,
) -> Result<Response, ApiError> {
    let format = Format::parse(format)
        .ok_or_else(|| ApiError::invalid(Invalid::new("format", "error.export_format")))?;
    let (parts, _) = req.into_parts();
    let (user, by_session) = resolve_user(&state, &parts.headers).await?;
    let mut extensions = parts.extensions.clone();
    if by_session && let Some(u) = &user {
        extensions.insert(SessionUser(u.clone()));
    }
    let path = parts.uri.path().to_string();
    let matched = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    let filters: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .filter(|(k, _)| k != "format" && k != "page" && k != "per_page")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();

    let mut spool = Spool::new()?;
    let mut page = 1i64;
    loop {
        let uri = {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &filters {
                query.append_pair(k, v);
            }
            query.append_pair("page", &page.to_string());
            query.append_pair("per_page", &EXPORT_PAGE.to_string());
            format!("{path}?{}", query.finish())
        };
        let mut call = Request::new(Body::empty());
        *call.method_mut() = Method::GET;
        *call.uri_mut() = uri.parse().map_err(internal)?;
        *call.headers_mut() = parts.headers.clone();
        *call.extensions_mut() = extensions.clone();
        let response = EXPORT_PAGE_SIZE
            .scope(EXPORT_PAGE, inner.clone().oneshot(call))
            .await
            .unwrap_or_else(|never| match never {});
        if response.status() != StatusCode::OK {
            // The list's own refusal (401, 403, 422…) is the export's.
            return Ok(response);
        }
        let bytes = axum::body::to_bytes(response.into_body(), PAGE_BYTES)
            .await
            .map_err(internal)?;
        let value: Value = serde_json::from_slice(&bytes).map_err(internal)?;
        match value {
            Value::Array(items) => {
                too_many(items.len() as u64)?;
                spool.add_all(items)?;
                break;
            }
            Value::Object(mut page_body) => {
                let total = page_body.get("total").and_then(Value::as_u64).unwrap_or(0);
                too_many(total)?;
                let items = match page_body.remove("items") {
                    Some(Value::Array(items)) => items,
                    _ => return Err(internal("a list without items")),
                };
                let empty = items.is_empty();
                spool.add_all(items)?;
                if empty || spool.rows >= total || spool.rows >= max_rows() {
                    break;
                }
                page += 1;
            }
            _ => return Err(internal("neither a list nor an array")),
        }
    }

    if let Some(u) = &user {
        let actor = Actor {
            user_id: Some(u.id.clone()),
            name: u.username.clone(),
            ip: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        };
        let mut tx = state.db.begin_write().await?;
        audit::record::<(), _>(
            &mut tx,
            &actor,
            Action::Read,
            "export",
            &matched,
            None,
            Some(&serde_json::json!({
                "path": path,
                "query": filters,
                "format": format.ext(),
                "rows": spool.rows,
            })),
        )
        .await?;
        tx.commit().await.map_err(internal)?;
    }

    let name = file_name(&matched, format);
    let sheet: String = name
        .rsplit_once('-')
        .map_or("export", |(s, _)| s)
        .chars()
        .take(31)
        .collect();
    let file = tokio::task::spawn_blocking(move || spool.render(format, &sheet))
        .await
        .map_err(internal)??;
    let length = file.metadata().map_err(internal)?.len();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file),
    ));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.mime()),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
        ))
        .map_err(internal)?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn too_many(rows: u64) -> Result<(), ApiError> {
    if rows > max_rows() {
        Err(ApiError::invalid(Invalid::new(
            "format",
            "error.export_too_many_rows",
        )))
    } else {
        Ok(())
    }
}

/// `consultations-20261122.csv` from `/api/v1/consultations`: the last fixed segment of the
/// route and today's date (ASCII only, so it needs no escaping).
pub fn file_name(matched: &str, format: Format) -> String {
    let base = matched
        .rsplit('/')
        .find(|s| !s.is_empty() && !s.starts_with('{'))
        .unwrap_or("export");
    let base: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    format!(
        "{}-{}.{}",
        if base.is_empty() { "export" } else { &base },
        chrono::Utc::now().format("%Y%m%d"),
        format.ext()
    )
}

// ---- flattening ----

/// A record's fields as columns: nested objects as `a.b`, arrays of values joined with "; ",
/// arrays of records by their `name` (or left out when they have none).
pub fn flatten(value: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match value {
        Value::Object(map) => flatten_into(map, "", &mut out),
        other => out.push(("value".to_string(), other.clone())),
    }
    out
}

fn flatten_into(map: &Map<String, Value>, prefix: &str, out: &mut Vec<(String, Value)>) {
    for (k, v) in map {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) => flatten_into(inner, &key, out),
            Value::Array(items) => {
                if let Some(joined) = join(items) {
                    out.push((key, Value::String(joined)));
                }
            }
            scalar => out.push((key, scalar.clone())),
        }
    }
}

fn join(items: &[Value]) -> Option<String> {
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Object(o) => {
                let name = ["name", "name_zh", "label", "code", "id"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_str))?;
                parts.push(name.to_string());
            }
            Value::Array(_) => return None,
            Value::String(s) => parts.push(s.clone()),
            Value::Null => {}
            other => parts.push(other.to_string()),
        }
    }
    Some(parts.join("; "))
}

/// A cell as CSV text; text that a spreadsheet would take for a formula gets a leading `'`.
fn csv_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => {
            if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
                format!("'{s}")
            } else {
                s.clone()
            }
        }
        other => other.to_string(),
    }
}

/// The rows as they arrive: one JSON array per line in a temporary file, each as wide as the
/// columns known when it came (later rows may add columns).
struct Spool {
    file: BufWriter<std::fs::File>,
    columns: Vec<String>,
    index: HashMap<String, usize>,
    widths: Vec<usize>,
    rows: u64,
}

impl Spool {
    fn new() -> Result<Spool, ApiError> {
        Ok(Spool {
            file: BufWriter::new(tempfile::tempfile().map_err(internal)?),
            columns: Vec::new(),
            index: HashMap::new(),
            widths: Vec::new(),
            rows: 0,
        })
    }

    fn add_all(&mut self, items: Vec<Value>) -> Result<(), ApiError> {
        for item in items {
            if self.rows >= max_rows() {
                break;
            }
            self.add(&item)?;
        }
        Ok(())
    }

    fn add(&mut self, item: &Value) -> Result<(), ApiError> {
        let mut row = vec![Value::Null; self.columns.len()];
        for (key, value) in flatten(item) {
            let i = match self.index.get(&key) {
                Some(i) => *i,
                None => {
                    self.index.insert(key.clone(), self.columns.len());
                    self.widths.push(display_width(&key));
                    self.columns.push(key);
                    row.push(Value::Null);
                    self.columns.len() - 1
                }
            };
            let w = display_width(&csv_text(&value));
            if w > self.widths[i] {
                self.widths[i] = w.min(MAX_WIDTH);
            }
            row[i] = value;
        }
        serde_json::to_writer(&mut self.file, &row).map_err(internal)?;
        self.file.write_all(b"\n").map_err(internal)?;
        self.rows += 1;
        Ok(())
    }

    /// Writes the file; returns it opened at its start.
    fn render(self, format: Format, sheet: &str) -> Result<std::fs::File, ApiError> {
        let mut spooled = self.file.into_inner().map_err(internal)?;
        spooled.rewind().map_err(internal)?;
        let lines = BufReader::new(spooled).lines();
        let width = self.columns.len();
        let row_of = |line: std::io::Result<String>| -> Result<Vec<Value>, ApiError> {
            let mut row: Vec<Value> =
                serde_json::from_str(&line.map_err(internal)?).map_err(internal)?;
            row.resize(width, Value::Null);
            Ok(row)
        };
        match format {
            Format::Csv => {
                let mut out = tempfile::tempfile().map_err(internal)?;
                {
                    let mut buffered = BufWriter::new(&mut out);
                    buffered
                        .write_all("\u{feff}".as_bytes())
                        .map_err(internal)?;
                    let mut w = csv::WriterBuilder::new()
                        .terminator(csv::Terminator::CRLF)
                        .from_writer(buffered);
                    w.write_record(&self.columns).map_err(internal)?;
                    for line in lines {
                        let row = row_of(line)?;
                        w.write_record(row.iter().map(csv_text)).map_err(internal)?;
                    }
                    w.flush().map_err(internal)?;
                }
                out.rewind().map_err(internal)?;
                Ok(out)
            }
            Format::Xlsx => {
                use rust_xlsxwriter::{Format as Style, Workbook};
                let dir = tempfile::tempdir().map_err(internal)?;
                let mut book = Workbook::new();
                book.set_tempdir(dir.path()).map_err(internal)?;
                let bold = Style::new().set_bold();
                let ws = book
                    .add_worksheet_with_constant_memory()
                    .map_err(internal)?;
                ws.set_name(sheet).map_err(internal)?;
                for (c, w) in self.widths.iter().enumerate() {
                    ws.set_column_width(c as u16, (*w).clamp(6, MAX_WIDTH) as f64 + 2.0)
                        .map_err(internal)?;
                }
                for (c, name) in self.columns.iter().enumerate() {
                    ws.write_string_with_format(0, c as u16, name, &bold)
                        .map_err(internal)?;
                }
                ws.set_freeze_panes(1, 0).map_err(internal)?;
                for (r, line) in lines.enumerate() {
                    let row = row_of(line)?;
                    let r = (r + 1) as u32;
                    for (c, v) in row.iter().enumerate() {
                        let c = c as u16;
                        match v {
                            Value::Null => {}
                            Value::Bool(b) => {
                                ws.write_boolean(r, c, *b).map_err(internal)?;
                            }
                            Value::Number(n) => {
                                ws.write_number(r, c, n.as_f64().unwrap_or(0.0))
                                    .map_err(internal)?;
                            }
                            Value::String(s) => {
                                let s: String = s.chars().take(32_000).collect();
                                ws.write_string(r, c, s).map_err(internal)?;
                            }
                            other => {
                                ws.write_string(r, c, other.to_string()).map_err(internal)?;
                            }
                        }
                    }
                }
                let out = tempfile::NamedTempFile::new().map_err(internal)?;
                book.save(out.path()).map_err(internal)?;
                // Opened before the name is removed, so the file lives as long as the stream.
                let file = out.reopen().map_err(internal)?;
                drop(out);
                Ok(file)
            }
        }
    }
}

/// Characters a cell takes on screen: CJK characters count twice.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum::<usize>()
        .min(MAX_WIDTH)
}

/// The export URL of a list for the pages' "导出" links, with the page's non-empty filters
/// (`pairs` alternates names and values), ending so that `format=xlsx` or `format=csv` can be
/// appended.
pub fn href(api_path: &str, pairs: &[&str]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for pair in pairs.chunks(2) {
        if let [name, value] = pair
            && !value.trim().is_empty()
        {
            query.append_pair(name, value.trim());
        }
    }
    let query = query.finish();
    if query.is_empty() {
        format!("{api_path}?")
    } else {
        format!("{api_path}?{query}&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_flatten_to_dotted_columns_and_joined_arrays() {
        let row = flatten(&json!({
            "id": "a", "n": 3, "patient": {"name": "张*", "age": 40},
            "tags": ["x", "y"], "experts": [{"id": "1", "name": "王医生"}, {"id": "2", "name": "李医生"}],
            "none": null
        }));
        let get = |k: &str| row.iter().find(|(c, _)| c == k).map(|(_, v)| v.clone());
        assert_eq!(get("patient.name"), Some(json!("张*")));
        assert_eq!(get("patient.age"), Some(json!(40)));
        assert_eq!(get("tags"), Some(json!("x; y")));
        assert_eq!(get("experts"), Some(json!("王医生; 李医生")));
        assert_eq!(get("none"), Some(Value::Null));
    }

    #[test]
    fn formula_like_text_is_defused_in_csv_but_numbers_are_not() {
        assert_eq!(csv_text(&json!("=HYPERLINK(1)")), "'=HYPERLINK(1)");
        assert_eq!(csv_text(&json!("-0.31")), "-0.31");
        assert_eq!(csv_text(&json!(-2)), "-2");
        assert_eq!(csv_text(&json!(null)), "");
    }

    #[test]
    fn file_names_come_from_the_route() {
        assert!(
            file_name("/api/v1/programs/{id}/indicators", Format::Xlsx).starts_with("indicators-")
        );
        assert!(file_name("/api/v1/kpi-reports", Format::Csv).ends_with(".csv"));
    }
}
