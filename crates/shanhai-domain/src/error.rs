/// A value that failed validation: which input field, and the message key explaining why.
/// Message keys are looked up in the web layer's zh/en catalogues.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {key}")]
pub struct Invalid {
    pub field: String,
    pub key: &'static str,
}

impl Invalid {
    pub fn new(field: impl Into<String>, key: &'static str) -> Self {
        Invalid {
            field: field.into(),
            key,
        }
    }
}

/// Errors the domain rules can raise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("forbidden")]
    Forbidden,
    #[error("conflict: {0}")]
    Conflict(&'static str),
}
