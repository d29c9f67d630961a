/// A value that failed validation: which input field, and the message key explaining why.
/// Message keys are looked up in the web layer's zh/en catalogues.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {key}")]
pub struct Invalid {
    pub field: String,
    pub key: &'static str,
    /// The numbers the rule names (a limit, a range, a configured length), filled into the
    /// message's `{0}`, `{1}` so that it states the rule: "应为 0 到 100 之间的整数".
    pub numbers: Vec<i64>,
}

impl Invalid {
    pub fn new(field: impl Into<String>, key: &'static str) -> Self {
        Invalid {
            field: field.into(),
            key,
            numbers: Vec::new(),
        }
    }

    /// The same problem, naming the numbers of its rule.
    pub fn with(mut self, numbers: &[i64]) -> Self {
        self.numbers = numbers.to_vec();
        self
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

/// Every problem found in one input, each at its field, so that a form shows them all at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Problems(Vec<Invalid>);

impl Problems {
    pub fn new() -> Problems {
        Problems(Vec::new())
    }

    /// The value of a check that passed; a failed check's problem is noted and `None` returned.
    pub fn take<T>(&mut self, checked: Result<T, Invalid>) -> Option<T> {
        match checked {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    /// Notes a problem, once per field (the first problem found at a field is the one shown).
    pub fn push(&mut self, problem: Invalid) {
        if !self.0.iter().any(|p| p.field == problem.field) {
            self.0.push(problem);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Invalid> {
        self.0.iter()
    }

    /// `Ok` when nothing was found.
    pub fn finish(self) -> Result<(), Problems> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The first problem, for a caller that reports one problem per record (an import row).
    pub fn into_first(self) -> Invalid {
        self.0
            .into_iter()
            .next()
            .unwrap_or_else(|| Invalid::new("", "error.required"))
    }
}

impl From<Invalid> for Problems {
    fn from(i: Invalid) -> Problems {
        Problems(vec![i])
    }
}

impl IntoIterator for Problems {
    type Item = Invalid;
    type IntoIter = std::vec::IntoIter<Invalid>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let all: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&all.join("; "))
    }
}

impl std::error::Error for Problems {}

/// Runs every check of an input and binds each value, or returns every problem found:
///
/// ```ignore
/// every! {
///     name = text("name", &self.name, 100),
///     start = validate::date("start_date", &self.start_date),
/// }
/// Ok(New { name, start })
/// ```
///
/// Checks run in the order written (the first problem is the one an API error names in
/// `field`); inside a function returning `Result<_, Problems>`.
#[macro_export]
macro_rules! every {
    ($($name:ident = $check:expr),+ $(,)?) => {
        let mut problems = $crate::Problems::new();
        $(let $name = problems.take($check);)+
        let ($(Some($name),)+) = ($($name,)+) else {
            return Err(problems);
        };
    };
}
