//! One error type for the HTTP layer, mapped once to a status and the error shape
//! `{"error": {"code", "message", "field"?}}` in the request's language.

use crate::i18n;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shanhai_domain::{DomainError, Invalid, Problems};
use shanhai_service::ServiceError;
use shanhai_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// A catalogue key, or (when `detail` is set) a key whose message is followed by the detail.
    pub key: &'static str,
    pub field: Option<String>,
    pub detail: Option<String>,
    pub retry_after: Option<u64>,
    /// Every problem of an invalid input (the first is also `key` and `field`).
    pub problems: Box<[Invalid]>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `validation`, `payload_too_large`, `unsupported_media_type`, `too_many_requests`,
    /// `unavailable` (the database is away for a moment: try again after `Retry-After` seconds).
    pub code: String,
    /// Human-readable message in the request's language.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem of an invalid input, each at its field (the first is `field` and `message`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// What `Retry-After` says while the database is away.
pub const UNAVAILABLE_RETRY_SECONDS: u64 = 5;

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, key: &'static str) -> ApiError {
        ApiError {
            status,
            code,
            key,
            field: None,
            detail: None,
            retry_after: None,
            problems: Box::new([]),
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "error.unauthorized",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "error.forbidden")
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "error.not_found")
    }

    /// The database is out of reach for a moment (restarting, network gone): try again in a
    /// few seconds. The detail goes to the log only.
    pub fn unavailable() -> ApiError {
        ApiError {
            retry_after: Some(UNAVAILABLE_RETRY_SECONDS),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "error.unavailable",
            )
        }
    }

    pub fn bad_request(key: &'static str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", key)
    }

    pub fn invalid(invalid: Invalid) -> ApiError {
        ApiError {
            field: Some(invalid.field.clone()),
            problems: Box::new([invalid.clone()]),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", invalid.key)
        }
    }

    /// Every problem of an input; the first names `field` and `message`.
    pub fn problems(problems: Problems) -> ApiError {
        let all: Box<[Invalid]> = problems.into_iter().collect();
        let Some(first) = all.first().cloned() else {
            return ApiError::bad_request("error.bad_body");
        };
        ApiError {
            problems: all,
            ..ApiError::invalid(first)
        }
    }

    /// One problem's message, with its field's label, in the request's language.
    pub fn problem_message(problem: &Invalid) -> String {
        let lang = i18n::current();
        labelled(lang, &problem.field, rule_text(lang, problem))
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> ApiError {
        self.detail = Some(detail.into());
        self
    }

    pub fn message(&self) -> String {
        let lang = i18n::current();
        let mut message = match self.problems.first() {
            Some(p) if p.key == self.key => rule_text(lang, p),
            _ => i18n::t(lang, self.key),
        };
        if let Some(field) = &self.field {
            message = labelled(lang, field, message);
        }
        if let Some(detail) = &self.detail {
            message = format!("{message} ({detail})");
        }
        message
    }
}

/// A problem's message with the numbers of its rule filled in (`{0}`, `{1}`).
pub fn rule_text(lang: shanhai_domain::Lang, problem: &Invalid) -> String {
    let mut text = i18n::t(lang, problem.key);
    for (i, n) in problem.numbers.iter().enumerate() {
        text = text.replace(&format!("{{{i}}}"), &n.to_string());
    }
    text
}

/// A message with its field's label in front (`标题：必填`), when the field has a label.
fn labelled(lang: shanhai_domain::Lang, field: &str, message: String) -> String {
    let label = i18n::t(lang, &format!("field.{field}"));
    if label.starts_with("field.") {
        message
    } else {
        match lang {
            shanhai_domain::Lang::Zh => format!("{label}：{message}"),
            shanhai_domain::Lang::En => format!("{label}: {message}"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() && self.status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(detail = ?self.detail, "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message(),
                field: self.field.clone(),
                errors: if self.problems.len() > 1 {
                    self.problems
                        .iter()
                        .map(|p| FieldProblem {
                            field: p.field.clone(),
                            message: ApiError::problem_message(p),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> ApiError {
        ApiError::invalid(e)
    }
}

impl From<Problems> for ApiError {
    fn from(p: Problems) -> ApiError {
        ApiError::problems(p)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Invalid(p) => ApiError::problems(p),
            ServiceError::Forbidden(key) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", key),
            ServiceError::Conflict(key) => ApiError::new(StatusCode::CONFLICT, "conflict", key),
            ServiceError::NotFound => ApiError::not_found(),
            ServiceError::NotFoundAs(key) => ApiError {
                key,
                ..ApiError::not_found()
            },
            ServiceError::Store(e) => e.into(),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> ApiError {
        match e {
            DomainError::Invalid(i) => ApiError::invalid(i),
            DomainError::Forbidden => ApiError::forbidden(),
            DomainError::Conflict(key) => ApiError::new(StatusCode::CONFLICT, "conflict", key),
        }
    }
}

impl From<shanhai_domain::access::Refusal> for ApiError {
    fn from(r: shanhai_domain::access::Refusal) -> ApiError {
        use shanhai_domain::access::Refusal;
        match r {
            Refusal::Forbidden(key) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", key),
            Refusal::Conflict(key) => ApiError::new(StatusCode::CONFLICT, "conflict", key),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(key) => ApiError::new(StatusCode::CONFLICT, "conflict", key),
            StoreError::Invalid(i) => ApiError::invalid(i),
            e if e.is_unavailable() => {
                tracing::warn!("database unavailable: {e}");
                ApiError::unavailable()
            }
            StoreError::Database(err) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "error.internal",
            )
            .with_detail(err.to_string()),
            StoreError::Other(detail) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "error.internal",
            )
            .with_detail(detail),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        match r {
            JsonRejection::JsonDataError(e) => {
                let text = e.body_text();
                let field = text
                    .split_once(": ")
                    .map(|(path, _)| {
                        path.trim_start_matches(
                            "Failed to deserialize the JSON body into the target type",
                        )
                        .trim()
                        .to_string()
                    })
                    .filter(|p| !p.is_empty() && !p.contains(' '));
                ApiError {
                    field,
                    ..ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "validation",
                        "error.json_types",
                    )
                    .with_detail(serde_detail(&text))
                }
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::bad_request("error.json_syntax").with_detail(serde_detail(&e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "error.json_content_type",
            ),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                too_large()
            }
            other => ApiError::bad_request("error.bad_body").with_detail(other.body_text()),
        }
    }
}

/// The part of a serde message a user can act on, without the Rust type names.
fn serde_detail(text: &str) -> String {
    let detail = text.rsplit_once(": ").map(|(_, d)| d).unwrap_or(text);
    detail
        .split(" at line")
        .next()
        .unwrap_or(detail)
        .chars()
        .take(200)
        .collect()
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "error.too_large",
    )
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::bad_request("error.bad_query").with_detail(serde_detail(&r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> ApiError {
        ApiError::not_found()
    }
}

impl From<axum::extract::multipart::MultipartError> for ApiError {
    fn from(e: axum::extract::multipart::MultipartError) -> ApiError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request("error.bad_upload").with_detail(e.body_text())
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "error.internal",
        )
        .with_detail(e.to_string())
    }
}
