//! What every FHIR resource module shares: the `application/fhir+json` answer, errors as
//! OperationOutcome, the caller (bearer token, as the JSON API), the search parameters
//! (`_id`, `_lastUpdated`, `_count`, `_offset`, `_sort`, `_include`, date prefixes) and the
//! searchset Bundle with its paging links.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::{Value, json};

/// The media type of every answer.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// Where the project's own CodeSystems live: `{CODE_SYSTEM_BASE}/{id}` is a CodeSystem's
/// canonical URL (a fixed identifier, the same on every deployment); each is also served at
/// `/fhir/R4/CodeSystem/{id}` and found by `CodeSystem?url=`.
pub const CODE_SYSTEM_BASE: &str = "https://shanhai.health/fhir/CodeSystem";

/// The canonical URL of one of the project's CodeSystems.
pub fn code_system(id: &str) -> String {
    format!("{CODE_SYSTEM_BASE}/{id}")
}

/// Page size when `_count` is not given, and the largest accepted.
pub const DEFAULT_COUNT: usize = 20;
pub const MAX_COUNT: usize = 200;

/// A FHIR answer: a status and a resource, sent as `application/fhir+json`.
pub struct Fhir(pub StatusCode, pub Value);

impl Fhir {
    pub fn ok(resource: Value) -> Fhir {
        Fhir(StatusCode::OK, resource)
    }
}

impl IntoResponse for Fhir {
    fn into_response(self) -> Response {
        let mut response = (self.0, axum::Json(self.1)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        response
    }
}

/// Every failure answers with an OperationOutcome in the request's language; the status, the
/// messages and `Retry-After` are the JSON API's own (an [`ApiError`] underneath), so a rule
/// broken through FHIR reads as it does everywhere else.
#[derive(Debug)]
pub struct FhirError(pub ApiError);

pub type FhirResult<T = Fhir> = Result<T, FhirError>;

impl<E: Into<ApiError>> From<E> for FhirError {
    fn from(e: E) -> FhirError {
        FhirError(e.into())
    }
}

impl FhirError {
    /// 400 with a message of the catalogue and a detail (the parameter or value at fault).
    pub fn bad_request(key: &'static str, detail: impl Into<String>) -> FhirError {
        FhirError(ApiError::bad_request(key).with_detail(detail))
    }
}

/// The OperationOutcome issue type for an HTTP status.
fn issue_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "invalid",
        401 => "login",
        403 => "forbidden",
        404 | 410 => "not-found",
        409 | 412 => "conflict",
        413 => "too-costly",
        415 => "not-supported",
        429 => "throttled",
        503 => "transient",
        s if s >= 500 => "exception",
        _ => "processing",
    }
}

/// An OperationOutcome of one or more issues (`severity`, `code`, `diagnostics`, `expression`).
pub fn operation_outcome(issues: Vec<Value>) -> Value {
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status.is_server_error() {
            tracing::error!(detail = ?e.detail, "internal error (FHIR)");
        }
        let code = issue_code(e.status);
        let issues: Vec<Value> = if e.problems.len() > 1 {
            e.problems
                .iter()
                .map(|p| {
                    json!({
                        "severity": "error",
                        "code": code,
                        "diagnostics": ApiError::problem_message(p),
                        "expression": [p.field],
                    })
                })
                .collect()
        } else {
            let mut issue = json!({
                "severity": "error",
                "code": code,
                "diagnostics": e.message(),
            });
            if let Some(field) = &e.field {
                issue["expression"] = json!([field]);
            }
            vec![issue]
        };
        let mut response = Fhir(e.status, operation_outcome(issues)).into_response();
        if let Some(seconds) = e.retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if e.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The caller of a FHIR interaction: the JSON API's [`Caller`] (a bearer token), refused with
/// a 401 OperationOutcome.
pub struct FhirCaller(pub Caller);

impl FromRequestParts<AppState> for FhirCaller {
    type Rejection = FhirError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Caller::from_request_parts(parts, state)
            .await
            .map(FhirCaller)
            .map_err(FhirError)
    }
}

/// The server's FHIR base as the client reached it (`http://host/fhir/R4`), for `fullUrl`s
/// and paging links. HTTPS when the platform says it is served over HTTPS
/// (`--secure-cookies`) or a proxy says so (`X-Forwarded-Proto`).
#[derive(Debug, Clone)]
pub struct FhirBase(pub String);

impl FromRequestParts<AppState> for FhirBase {
    type Rejection = FhirError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .unwrap_or("localhost");
        let forwarded = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok());
        let scheme = match forwarded {
            Some("https") => "https",
            Some("http") => "http",
            _ if state.config.secure_cookies => "https",
            _ => "http",
        };
        Ok(FhirBase(format!("{scheme}://{host}/fhir/R4")))
    }
}

impl FhirBase {
    /// `{base}/{type}/{id}`: an entry's `fullUrl`.
    pub fn full_url(&self, resource_type: &str, id: &str) -> String {
        format!("{}/{resource_type}/{id}", self.0)
    }
}

/// A reference to a resource of this server (`Type/id`), with a display text when given.
pub fn reference(resource_type: &str, id: &str, display: Option<&str>) -> Value {
    let mut r = json!({ "reference": format!("{resource_type}/{id}") });
    if let Some(d) = display.filter(|d| !d.is_empty()) {
        r["display"] = json!(d);
    }
    r
}

/// `meta` of a resource from the record's `updated_at` (stored RFC 3339 UTC, a FHIR instant).
pub fn meta(updated_at: &str) -> Value {
    json!({ "lastUpdated": updated_at })
}

/// A search prefix of a date or number parameter (`ge2027-01-05`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
}

/// A date search value: its prefix and the instants it covers, `[lower, upper)` in UTC
/// (a date without a time zone is a day in Asia/Shanghai, the platform's time zone).
#[derive(Debug, Clone, PartialEq)]
pub struct DateParam {
    pub prefix: Prefix,
    pub lower: NaiveDateTime,
    pub upper: NaiveDateTime,
}

impl DateParam {
    /// Parses `[prefix]YYYY[-MM[-DD[Thh:mm[:ss][Z|±hh:mm]]]]`.
    pub fn parse(raw: &str) -> Option<DateParam> {
        let prefixes = [
            ("eq", Prefix::Eq),
            ("ne", Prefix::Ne),
            ("gt", Prefix::Gt),
            ("lt", Prefix::Lt),
            ("ge", Prefix::Ge),
            ("le", Prefix::Le),
            ("sa", Prefix::Sa),
            ("eb", Prefix::Eb),
        ];
        let (prefix, value) = prefixes
            .iter()
            .find_map(|(p, v)| raw.strip_prefix(p).map(|rest| (*v, rest)))
            .unwrap_or((Prefix::Eq, raw));
        let shanghai = Duration::hours(8);
        let (lower, upper) = if let Some((date, time)) = value.split_once('T') {
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            let (time, offset) = split_offset(time)?;
            let t = NaiveTime::parse_from_str(time, "%H:%M:%S%.f")
                .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
                .ok()?;
            let instant = date.and_time(t) - offset.unwrap_or(shanghai);
            let step = if time.len() <= 5 {
                Duration::minutes(1)
            } else {
                Duration::seconds(1)
            };
            (instant, instant + step)
        } else {
            let (start, end) = match value.len() {
                4 => {
                    let y: i32 = value.parse().ok()?;
                    (
                        NaiveDate::from_ymd_opt(y, 1, 1)?,
                        NaiveDate::from_ymd_opt(y + 1, 1, 1)?,
                    )
                }
                7 => {
                    let start =
                        NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d").ok()?;
                    (start, start.checked_add_months(chrono::Months::new(1))?)
                }
                10 => {
                    let d = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
                    (d, d.succ_opt()?)
                }
                _ => return None,
            };
            (
                start.and_time(NaiveTime::MIN) - shanghai,
                end.and_time(NaiveTime::MIN) - shanghai,
            )
        };
        Some(DateParam {
            prefix,
            lower,
            upper,
        })
    }

    /// Whether a period `[start, end)` (UTC) matches, by the FHIR rules for ranges; an
    /// instant is the period `[t, t]`.
    pub fn matches(&self, start: NaiveDateTime, end: NaiveDateTime) -> bool {
        let (lo, hi) = (self.lower, self.upper);
        match self.prefix {
            Prefix::Eq => start >= lo && end <= hi,
            Prefix::Ne => !(start >= lo && end <= hi),
            Prefix::Gt => start >= hi || end > hi,
            Prefix::Sa => start >= hi,
            Prefix::Lt => start < lo,
            Prefix::Eb => end < lo,
            Prefix::Ge => end >= lo,
            Prefix::Le => start < hi,
        }
    }

    /// [`DateParam::matches`] for an RFC 3339 instant as stored.
    pub fn matches_instant(&self, rfc3339: &str) -> bool {
        parse_instant(rfc3339).is_some_and(|t| self.matches(t, t))
    }
}

/// An RFC 3339 instant as a UTC date-time.
pub fn parse_instant(rfc3339: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.naive_utc())
}

fn split_offset(time: &str) -> Option<(&str, Option<Duration>)> {
    if let Some(t) = time.strip_suffix('Z') {
        return Some((t, Some(Duration::zero())));
    }
    if let Some(i) = time.rfind(['+', '-']) {
        let (t, off) = time.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':')?;
        let minutes = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
        return Some((t, Some(Duration::minutes(sign * minutes))));
    }
    Some((time, None))
}

/// A search's parameters, checked against what the resource type supports: an unknown
/// parameter is a 400 OperationOutcome naming it (a client then knows its filter was not
/// applied, rather than receiving more than it asked for).
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Every parameter in the order given, modifiers kept in the name (`status:not`).
    pub params: Vec<(String, String)>,
    pub count: usize,
    pub offset: usize,
}

/// Parameters every search accepts (besides the resource type's own).
pub const COMMON_PARAMS: &[&str] = &[
    "_id",
    "_lastUpdated",
    "_count",
    "_offset",
    "_sort",
    "_include",
    "_format",
    "_pretty",
    "_total",
];

impl Search {
    /// Parses a raw query string; `supported` names the resource type's own parameters
    /// (without modifiers).
    pub fn parse(raw: Option<&str>, supported: &[&str]) -> FhirResult<Search> {
        let params: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for (name, _) in &params {
            let base = name.split(':').next().unwrap_or(name);
            if !COMMON_PARAMS.contains(&base) && !supported.contains(&base) {
                return Err(FhirError::bad_request(
                    "fhir.unknown_parameter",
                    name.clone(),
                ));
            }
        }
        let number = |name: &str| -> FhirResult<Option<usize>> {
            match params.iter().find(|(k, _)| k == name) {
                None => Ok(None),
                Some((_, v)) => v
                    .parse::<usize>()
                    .map(Some)
                    .map_err(|_| FhirError::bad_request("fhir.bad_parameter", name.to_string())),
            }
        };
        let count = number("_count")?.unwrap_or(DEFAULT_COUNT).min(MAX_COUNT);
        let offset = number("_offset")?.unwrap_or(0);
        let search = Search {
            params,
            count,
            offset,
        };
        for raw in search.all("_lastUpdated") {
            DateParam::parse(raw)
                .ok_or_else(|| FhirError::bad_request("fhir.bad_parameter", "_lastUpdated"))?;
        }
        Ok(search)
    }

    /// The first value of a parameter (exact name, modifiers included).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter: repeated parameters AND, commas within one OR; here the
    /// values of every repetition, each still comma-joined.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The OR-list of a token parameter (`status=free,busy`), with `system|` prefixes dropped.
    pub fn tokens(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|v| {
            v.split(',')
                .map(|t| t.rsplit('|').next().unwrap_or(t).trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
    }

    /// A reference parameter's ids (`actor=Practitioner/abc` or `actor=abc`, comma OR-list).
    pub fn reference_ids(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|v| {
            v.split(',')
                .map(|r| r.rsplit('/').next().unwrap_or(r).trim().to_string())
                .filter(|r| !r.is_empty())
                .collect()
        })
    }

    /// `_id` as a list.
    pub fn ids(&self) -> Option<Vec<String>> {
        self.tokens("_id")
    }

    /// Every value of a date parameter (all must hold); a value that does not parse is a 400.
    pub fn dates(&self, name: &str) -> FhirResult<Vec<DateParam>> {
        self.all(name)
            .into_iter()
            .map(|raw| {
                DateParam::parse(raw)
                    .ok_or_else(|| FhirError::bad_request("fhir.bad_parameter", name.to_string()))
            })
            .collect()
    }

    /// Whether a record passes `_id` and `_lastUpdated`.
    pub fn common_match(&self, id: &str, updated_at: &str) -> bool {
        let id_ok = self.ids().is_none_or(|ids| ids.iter().any(|i| i == id));
        id_ok
            && self
                .all("_lastUpdated")
                .iter()
                .filter_map(|raw| DateParam::parse(raw))
                .all(|d| d.matches_instant(updated_at))
    }

    /// `_sort` as `(parameter, descending)` pairs.
    pub fn sort(&self) -> Vec<(String, bool)> {
        self.get("_sort")
            .map(|v| {
                v.split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| match s.strip_prefix('-') {
                        Some(name) => (name.to_string(), true),
                        None => (s.to_string(), false),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `_include` values (`Slot:schedule`).
    pub fn includes(&self) -> Vec<&str> {
        self.all("_include")
    }

    /// One page of records already filtered and ordered: `(page, total)`.
    pub fn page<T>(&self, items: Vec<T>) -> (Vec<T>, usize) {
        let total = items.len();
        let page = items
            .into_iter()
            .skip(self.offset)
            .take(self.count)
            .collect();
        (page, total)
    }
}

/// A searchset Bundle: `matches` are `(type, id, resource)` of this page, `included` the
/// resources `_include` brought in; `self`/`next`/`previous` links keep every parameter and
/// move `_offset`.
pub fn searchset(
    base: &FhirBase,
    resource_type: &str,
    search: &Search,
    total: usize,
    matches: Vec<(String, Value)>,
    included: Vec<(String, String, Value)>,
) -> Value {
    let link = |offset: usize| -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &search.params {
            if k != "_offset" && k != "_count" {
                q.append_pair(k, v);
            }
        }
        q.append_pair("_count", &search.count.to_string());
        q.append_pair("_offset", &offset.to_string());
        format!("{}/{resource_type}?{}", base.0, q.finish())
    };
    let mut links = vec![json!({ "relation": "self", "url": link(search.offset) })];
    if search.count > 0 && search.offset + search.count < total {
        links.push(json!({ "relation": "next", "url": link(search.offset + search.count) }));
    }
    if search.offset > 0 {
        links.push(json!({
            "relation": "previous",
            "url": link(search.offset.saturating_sub(search.count.max(1)))
        }));
    }
    let mut entries: Vec<Value> = matches
        .into_iter()
        .map(|(id, resource)| {
            json!({
                "fullUrl": base.full_url(resource_type, &id),
                "resource": resource,
                "search": { "mode": "match" },
            })
        })
        .collect();
    entries.extend(included.into_iter().map(|(ty, id, resource)| {
        json!({
            "fullUrl": base.full_url(&ty, &id),
            "resource": resource,
            "search": { "mode": "include" },
        })
    }));
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    });
    if !entries.is_empty() {
        bundle["entry"] = json!(entries);
    }
    bundle
}

/// The request's language as a FHIR `language` code.
pub fn language() -> &'static str {
    match i18n::current() {
        shanhai_domain::Lang::Zh => "zh-CN",
        shanhai_domain::Lang::En => "en",
    }
}

/// What one resource type offers, for the CapabilityStatement.
#[derive(Debug, Clone)]
pub struct ResourceCapability {
    pub resource_type: &'static str,
    /// `read`, `search-type`, `create`, `update`, `patch`…
    pub interactions: &'static [&'static str],
    /// `(name, type, documentation)`, besides the common ones.
    pub search_params: &'static [(&'static str, &'static str, &'static str)],
    /// `_include` values (`Slot:schedule`).
    pub includes: &'static [&'static str],
    /// What a reader should know (which record kind the resource shows, what is left out).
    pub documentation: &'static str,
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_at_every_precision_in_shanghai_time() {
        let d = DateParam::parse("ge2027-01-05").expect("parses");
        assert_eq!(d.prefix, Prefix::Ge);
        assert_eq!(d.lower.to_string(), "2027-01-04 16:00:00");
        assert_eq!(d.upper.to_string(), "2027-01-05 16:00:00");
        let m = DateParam::parse("2027-02").expect("parses");
        assert_eq!(m.upper.to_string(), "2027-02-28 16:00:00");
        let t = DateParam::parse("lt2027-01-05T08:30:00Z").expect("parses");
        assert_eq!(t.lower.to_string(), "2027-01-05 08:30:00");
        assert!(DateParam::parse("2027-13-01").is_none());
        assert!(d.matches_instant("2027-01-05T01:00:00.000Z"));
        assert!(!d.matches_instant("2027-01-04T15:59:59.000Z"));
    }

    #[test]
    fn unknown_parameters_are_refused_and_paging_is_bounded() {
        assert!(Search::parse(Some("colour=red"), &["status"]).is_err());
        let s =
            Search::parse(Some("status=free&_count=500&_offset=3"), &["status"]).expect("parses");
        assert_eq!((s.count, s.offset), (MAX_COUNT, 3));
        assert_eq!(s.tokens("status").expect("parses"), vec!["free"]);
        let (page, total) = s.page((0..10).collect::<Vec<_>>());
        assert_eq!((page.len(), total), (7, 10));
    }
}
