use shanhai_domain::access::Refusal;
use shanhai_domain::{DomainError, Invalid, Problems};
use shanhai_store::StoreError;

/// Why a use case did not happen. The HTTP layer maps it once to a status (422, 403, 409, 404,
/// 500) for the API and to a re-rendered form or a message page for the pages.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is invalid: every problem found, each at its field.
    #[error("invalid input: {0:?}")]
    Invalid(Problems),
    /// The caller may not do this; the key explains why.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The caller may, but not in the record's current state.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    /// Not found, with the message key that says what (e.g. a booking code and phone that do
    /// not match).
    #[error("not found: {0}")]
    NotFoundAs(&'static str),
    #[error(transparent)]
    Store(StoreError),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn forbidden() -> ServiceError {
        ServiceError::Forbidden("error.forbidden")
    }
}

impl From<Invalid> for ServiceError {
    fn from(i: Invalid) -> ServiceError {
        ServiceError::Invalid(i.into())
    }
}

impl From<Problems> for ServiceError {
    fn from(p: Problems) -> ServiceError {
        ServiceError::Invalid(p)
    }
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> ServiceError {
        match r {
            Refusal::Forbidden(key) => ServiceError::Forbidden(key),
            Refusal::Conflict(key) => ServiceError::Conflict(key),
        }
    }
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> ServiceError {
        match e {
            DomainError::Invalid(i) => i.into(),
            DomainError::Forbidden => ServiceError::forbidden(),
            DomainError::Conflict(key) => ServiceError::Conflict(key),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Conflict(key) => ServiceError::Conflict(key),
            StoreError::Invalid(i) => i.into(),
            other => ServiceError::Store(other),
        }
    }
}
