//! What every page form shares: the extractor that reads a posted form and checks its CSRF
//! token, the one type for a form's errors, the not-found answer, and the one way to answer a
//! failed submission (an error page, or the form again with every problem beside its field).

use super::{Chrome, FormData, MessagePage, Viewer, render};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shanhai_domain::Lang;

/// A form posted by a signed-in viewer with this session's CSRF token. Anyone not signed in is
/// sent to the sign-in page; a missing or wrong token gets a 403 page and the handler never runs.
pub struct Form {
    pub viewer: Viewer,
    pub data: FormData,
}

impl FromRequest<AppState> for Form {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let here = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.to_string())
            .unwrap_or_else(|| parts.uri.to_string());
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let error = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                crate::error::too_large()
            } else {
                ApiError::bad_request("error.bad_body")
            };
            error_page(&viewer, "", here.clone(), error)
        })?;
        let data = FormData::parse(&bytes);
        if !viewer.csrf_ok(&data.get("csrf")) {
            return Err(csrf_refused(&viewer, "", here));
        }
        Ok(Form { viewer, data })
    }
}

/// The problems of a submitted form: every one in the alert above the form, each beside its field.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    /// For the alert, each with its field's label.
    pub messages: Vec<String>,
    /// `(field, message)` for beside the field, without the label.
    fields: Vec<(String, String)>,
}

impl FormErrors {
    /// The errors an action's failure shows, in the request's language.
    pub fn from_api(e: &ApiError) -> FormErrors {
        let lang = i18n::current();
        if e.problems.len() > 1 {
            return FormErrors {
                messages: e.problems.iter().map(ApiError::problem_message).collect(),
                fields: e
                    .problems
                    .iter()
                    .map(|p| {
                        (
                            p.field.clone(),
                            capitalised(&crate::error::rule_text(lang, p)),
                        )
                    })
                    .collect(),
            };
        }
        // The store's message speaks of dates; on a form the window is a time of day.
        if e.key == "error.end_before_start" && e.field.as_deref() == Some("end") {
            let text = i18n::t(lang, "ui.end_time_before_start");
            return FormErrors {
                messages: vec![text.clone()],
                fields: vec![("end".into(), text)],
            };
        }
        FormErrors {
            messages: vec![e.message()],
            fields: e
                .field
                .iter()
                .map(|f| match e.problems.first().filter(|p| p.key == e.key) {
                    Some(p) => (f.clone(), capitalised(&crate::error::rule_text(lang, p))),
                    None => (f.clone(), bare(lang, e.key, e.detail.as_deref())),
                })
                .collect(),
        }
    }

    /// One problem at `field`: `message` for the alert, `bare` beside the field.
    pub fn one(field: &str, message: String, bare: String) -> FormErrors {
        FormErrors {
            messages: vec![message],
            fields: vec![(field.to_string(), bare)],
        }
    }

    /// Every message, in one line.
    pub fn summary(&self) -> String {
        let sep = match i18n::current() {
            Lang::Zh => "；",
            Lang::En => "; ",
        };
        self.messages.join(sep)
    }

    /// The message beside `field`, if it has one.
    pub fn at(&self, field: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }

    /// What to show beside the one control of a small form: the first field's message, else
    /// the first message.
    pub fn beside(&self) -> String {
        self.fields
            .first()
            .map(|(_, m)| m.clone())
            .or_else(|| self.messages.first().cloned())
            .unwrap_or_default()
    }
}

/// Field errors of an optional error, for templates: `self.error.at("date")`.
pub trait ErrorsAt {
    fn at(&self, field: &str) -> Option<String>;
    /// `"invalid"` for a field with a problem (its CSS class), else empty.
    fn invalid(&self, field: &str) -> &'static str {
        if self.at(field).is_some() {
            "invalid"
        } else {
            ""
        }
    }
}

impl ErrorsAt for Option<FormErrors> {
    fn at(&self, field: &str) -> Option<String> {
        self.as_ref().and_then(|e| e.at(field))
    }
}

/// A problem's message shown on its own beside a field.
fn bare(lang: Lang, key: &str, detail: Option<&str>) -> String {
    let text = match detail {
        Some(d) => format!("{} ({d})", i18n::t(lang, key)),
        None => i18n::t(lang, key),
    };
    capitalised(&text)
}

/// A message shown on its own beside a field starts with a capital letter (English).
pub fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Pages use the same error mapping as the API, shown as a page.
pub fn error_page(viewer: &Viewer, nav: &'static str, here: String, e: ApiError) -> Response {
    let c = Chrome::new(Some(viewer), nav, here);
    let status = e.status;
    let retry_after = e.retry_after;
    let page = MessagePage {
        title: c.t("ui.error_title"),
        message: e.message(),
        c,
    };
    let mut response = (status, render(&page)).into_response();
    // The database away for a moment: the page says so, and when to try again.
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, seconds.into());
    }
    response
}

/// The page for a record that does not exist (or an address that names none).
pub fn not_found(viewer: &Viewer, nav: &'static str, here: String) -> Response {
    error_page(viewer, nav, here, ApiError::not_found())
}

/// A record id from a page address; anything that is not a UUID names no record.
pub fn id_or_404(raw: &str) -> Result<String, ApiError> {
    shanhai_domain::ids::parse_id(raw).ok_or_else(ApiError::not_found)
}

/// A form posted without this session's CSRF token is refused, on an error page.
pub fn csrf_refused(viewer: &Viewer, nav: &'static str, here: String) -> Response {
    error_page(viewer, nav, here, ApiError::forbidden().with_detail("CSRF"))
}

/// What a form whose action failed shows: an error with one of the `refused` statuses on an
/// error page; any other the form again (`again` builds it with every problem beside its
/// field), sent with the error's status.
pub async fn form_failed<P, Fut>(
    viewer: &Viewer,
    nav: &'static str,
    back: String,
    e: ApiError,
    refused: &[StatusCode],
    again: impl FnOnce(FormErrors) -> Fut,
) -> Response
where
    P: Template,
    Fut: Future<Output = Result<P, ApiError>>,
{
    if refused.contains(&e.status) {
        return error_page(viewer, nav, back, e);
    }
    let status = e.status;
    let errors = FormErrors::from_api(&e);
    match again(errors).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(e) => error_page(viewer, nav, back, e),
    }
}
