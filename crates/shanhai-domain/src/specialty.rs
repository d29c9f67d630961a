//! The national list of 诊疗科目 (diagnosis and treatment subjects), codes such as `03` (内科) and
//! `03.04` (心血管内科专业).

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct Specialty {
    pub code: String,
    pub zh: String,
    pub en: String,
    #[serde(default)]
    pub parent: Option<String>,
}

static LIST: LazyLock<Vec<Specialty>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../data/specialties.json")).unwrap_or_default()
});

static BY_CODE: LazyLock<HashMap<&'static str, &'static Specialty>> =
    LazyLock::new(|| LIST.iter().map(|s| (s.code.as_str(), s)).collect());

pub fn all() -> &'static [Specialty] {
    &LIST
}

pub fn find(code: &str) -> Option<&'static Specialty> {
    BY_CODE.get(code).copied()
}

/// The OpenAPI schema of a 诊疗科目 code: one of the list's.
pub fn code_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(LIST.iter().map(|s| s.code.as_str())))
        .description(Some("A 诊疗科目 code (`GET /api/v1/specialties`)."))
        .into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_loads_and_parents_exist() {
        assert!(super::all().len() > 50);
        for s in super::all() {
            if let Some(parent) = &s.parent {
                assert!(
                    super::find(parent).is_some(),
                    "{} has unknown parent {parent}",
                    s.code
                );
                assert!(s.code.starts_with(parent.as_str()));
            }
        }
        assert_eq!(super::find("03").map(|s| s.zh.as_str()), Some("内科"));
    }
}
