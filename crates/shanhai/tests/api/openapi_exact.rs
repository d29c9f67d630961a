//! The JSON API's own description is exact: a generated client or a fuzzer can form valid requests
//! from `/api/openapi.json` alone. The whole document is walked and every offender is listed with
//! its path in the document:
//! - an empty schema (`{}`: any JSON at all), except where any JSON is truly meant (listed below);
//! - a string named like a record id, a date, a time or an instant (`id`, `*_id`, `date`, `*_on`,
//!   `*_at`, `from`, `until`, `start`, …), or a query parameter naming a record (`?institution=`),
//!   without a `format` (uuid, date, date-time, …) or a `pattern`;
//! - a string named like a closed vocabulary (`kind`, `status`, `state`, `level`, `urgency`, …)
//!   without its `enum` values;
//! - a vocabulary whose values are not the codes the API speaks (checked against the JSON a few
//!   code enums serialize to).

use crate::helpers::{spawn_app, world};
use reqwest::StatusCode;
use serde_json::Value;

/// Schemas that truly hold any JSON (document path → why).
const ANY_JSON: &[(&str, &str)] = &[];

/// Strings whose names look like a vocabulary, a date or an id but are free text
/// (document path suffix → why).
const FREE_TEXT: &[(&str, &str)] = &[
    ("/content_type", "a file's media type as uploaded"),
    (
        "/Placement/properties/outcome",
        "what the placement achieved, in words",
    ),
    (
        "/Page_Placement/properties/items/items/properties/outcome",
        "what the placement achieved, in words",
    ),
    (
        "/PlacementInput/properties/outcome",
        "what the placement achieved, in words",
    ),
    (
        "/AuditEntry/properties/entity_id",
        "a record's id, a region's code or a pair such as `{team}/{person}`",
    ),
    (
        "/Page_AuditEntry/properties/items/items/properties/entity_id",
        "a record's id, a region's code or a pair such as `{team}/{person}`",
    ),
    (
        "/api/v1/audit/get/parameters/4 (entity_id)/schema",
        "a record's id, a region's code or a pair such as `{team}/{person}`",
    ),
];

/// Keys that describe a schema without constraining it: a schema with only these is `{}`.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "default",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "nullable",
];

/// Query parameters whose value is the id of a record.
const RECORD_PARAMS: &[&str] = &[
    "institution",
    "program",
    "person",
    "pairing",
    "department",
    "expert",
    "team",
    "scheme",
    "batch",
    "assignment",
    "series",
    "parent",
    "donor",
    "recipient",
    "home",
    "member",
    "technique",
    "from_institution",
    "to_institution",
    "requested_by",
    "dispatched_in",
];

fn is_id(name: &str) -> bool {
    name == "id" || name.ends_with("_id") || name.ends_with("_ids")
}

fn is_time(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "date", "day", "days", "at", "on", "from", "until", "start", "end", "time", "week", "month",
    ];
    const SUFFIX: &[&str] = &[
        "_at", "_on", "_date", "_start", "_end", "_time", "_day", "_week", "_month", "_until",
    ];
    EXACT.contains(&name) || SUFFIX.iter().any(|s| name.ends_with(s))
}

fn is_vocabulary(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "kind",
        "type",
        "status",
        "state",
        "level",
        "mode",
        "role",
        "action",
        "direction",
        "urgency",
        "outcome",
        "gender",
        "sex",
        "grade",
        "evaluation",
        "wording",
        "measure",
        "format",
        "stage",
        "post",
    ];
    const SUFFIX: &[&str] = &[
        "_kind", "_state", "_status", "_level", "_role", "_result", "_type", "_types", "_mode",
        "_grade", "_sex",
    ];
    EXACT.contains(&name) || SUFFIX.iter().any(|s| name.ends_with(s))
}

fn types(s: &Value) -> Vec<&str> {
    match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The schema a `$ref` points to (the schema itself when it is no reference).
fn resolve<'v>(doc: &'v Value, s: &'v Value) -> &'v Value {
    match s["$ref"].as_str() {
        Some(r) => r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| doc["components"]["schemas"].get(name))
            .unwrap_or(s),
        None => s,
    }
}

struct Walk<'a> {
    doc: &'a Value,
    offenders: Vec<String>,
}

impl Walk<'_> {
    /// A schema: is it empty, and what do its properties say.
    fn schema(&mut self, s: &Value, path: &str) {
        let Some(object) = s.as_object() else {
            return;
        };
        if object.keys().all(|k| ANNOTATIONS.contains(&k.as_str()))
            && !ANY_JSON.iter().any(|(p, _)| *p == path)
        {
            self.offenders.push(format!("empty schema: {path}"));
        }
        for key in ["oneOf", "anyOf", "allOf", "prefixItems"] {
            if let Some(parts) = s[key].as_array() {
                for (i, part) in parts.iter().enumerate() {
                    self.schema(part, &format!("{path}/{key}/{i}"));
                }
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if s[key].is_object() {
                self.schema(&s[key], &format!("{path}/{key}"));
            }
        }
        if let Some(properties) = s["properties"].as_object() {
            for (name, p) in properties {
                let at = format!("{path}/properties/{name}");
                self.named(name, p, &at, false);
                self.schema(p, &at);
            }
        }
    }

    /// A string by its name: a field of an object or a parameter.
    fn named(&mut self, name: &str, s: &Value, path: &str, query: bool) {
        let s = resolve(self.doc, s);
        for key in ["oneOf", "anyOf"] {
            if let Some(parts) = s[key].as_array() {
                for (i, part) in parts.iter().enumerate() {
                    self.named(name, part, &format!("{path}/{key}/{i}"), query);
                }
                return;
            }
        }
        if types(s).contains(&"array") {
            let item = name.strip_suffix('s').unwrap_or(name);
            self.named(item, &s["items"], &format!("{path}/items"), query);
            return;
        }
        if !types(s).contains(&"string") || s.get("enum").is_some() {
            return;
        }
        let constrained = s.get("format").is_some() || s.get("pattern").is_some();
        let free = FREE_TEXT.iter().any(|(p, _)| path.ends_with(p));
        if !constrained
            && !free
            && (is_id(name) || is_time(name) || (query && RECORD_PARAMS.contains(&name)))
        {
            self.offenders.push(format!(
                "string `{name}` without a format or pattern: {path}"
            ));
        }
        if is_vocabulary(name) && !constrained && !free {
            self.offenders.push(format!(
                "vocabulary `{name}` without its enum values: {path}"
            ));
        }
    }

    fn document(&mut self) {
        let doc = self.doc;
        if let Some(schemas) = doc["components"]["schemas"].as_object() {
            for (name, s) in schemas {
                self.schema(s, &format!("#/components/schemas/{name}"));
            }
        }
        let Some(paths) = doc["paths"].as_object() else {
            return;
        };
        for (route, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let at = format!("#/paths/{route}/{method}");
                if let Some(params) = op["parameters"].as_array() {
                    for (i, p) in params.iter().enumerate() {
                        let name = p["name"].as_str().unwrap_or("?");
                        let path = format!("{at}/parameters/{i} ({name})/schema");
                        self.named(name, &p["schema"], &path, p["in"] == "query");
                        self.schema(&p["schema"], &path);
                    }
                }
                if let Some(content) = op["requestBody"]["content"].as_object() {
                    for (media, c) in content {
                        self.schema(&c["schema"], &format!("{at}/requestBody/{media}/schema"));
                    }
                }
                if let Some(responses) = op["responses"].as_object() {
                    for (status, r) in responses {
                        if let Some(content) = r["content"].as_object() {
                            for (media, c) in content {
                                self.schema(
                                    &c["schema"],
                                    &format!("{at}/responses/{status}/{media}/schema"),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every offender in a document, each with its path.
fn offenders(doc: &Value) -> Vec<String> {
    let mut walk = Walk {
        doc,
        offenders: Vec::new(),
    };
    walk.document();
    walk.offenders
}

#[tokio::test]
async fn the_openapi_document_is_exact() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.expect("json");
    let offenders = offenders(&doc);
    assert!(
        offenders.is_empty(),
        "{} offenders in /api/openapi.json:\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}

#[tokio::test]
async fn vocabularies_list_the_codes_the_api_speaks() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let schemas = &doc["components"]["schemas"];
    for (name, codes) in [
        (
            "ConsultationType",
            serde_json::to_value(shanhai_domain::consultations::ConsultationType::ALL),
        ),
        (
            "Urgency",
            serde_json::to_value(shanhai_domain::consultations::Urgency::ALL),
        ),
        (
            "VisitType",
            serde_json::to_value(shanhai_domain::clinic_sessions::VisitType::ALL),
        ),
        (
            "Grade",
            serde_json::to_value(shanhai_domain::codes::Grade::ALL),
        ),
    ] {
        assert_eq!(
            schemas[name]["enum"],
            codes.expect("serialize"),
            "{name} in /api/openapi.json"
        );
    }
}

/// Found by schemathesis on PostgreSQL: training KPIs count by year (an integer column), and
/// comparing it with the text of `?from=` failed there with a 500. Bounds compare by their year.
#[tokio::test]
async fn training_kpis_filter_by_year_on_every_backend() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = app.token("coord-r").await;
    let (s, b) = app
        .post(
            "/api/v1/training-kpis",
            &t,
            serde_json::json!({"program_id": w.program_a, "institution_id": w.recipient,
                "indicator": "licensing-first-pass", "year": 2024, "candidates": 25, "passed": 23}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for (query, total) in [
        ("from=2024", 1),
        ("from=2025", 0),
        ("until=2023", 0),
        ("from=2024&until=2024", 1),
        ("from=2024-06-01", 1),
        ("until=2023-12-31", 0),
        ("from=next-year", 0),
    ] {
        let (s, list) = app.get(&format!("/api/v1/training-kpis?{query}"), &t).await;
        assert_eq!(s, StatusCode::OK, "?{query}: {list}");
        assert_eq!(list["total"], total, "?{query}");
    }
}

/// Found by schemathesis on PostgreSQL: a NUL character in any text filter (`?q=a%00b`)
/// answered 500 there (PostgreSQL refuses NUL in text). Now it answers on both backends, and a
/// search or an equality with it matches nothing (no stored text holds a NUL).
#[tokio::test]
async fn a_nul_in_a_filter_answers_on_every_backend() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for (path, nothing) in [
        ("/api/v1/programs?q=%E8%B1%AB%00", true),
        ("/api/v1/regions?q=a%00b", false),
        ("/api/v1/institutions?program=a%00b", true),
        ("/api/v1/placements?kind=completed%00", true),
        ("/api/v1/people?title=a%00", true),
        ("/api/v1/audit?actor=admin%00", true),
        ("/api/v1/clinic-sessions?from=2024%00", false),
        ("/api/v1/consultations/figures?region=15%00", false),
    ] {
        let (s, b) = app.get(path, &w.admin).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        if nothing {
            assert_eq!(b["total"], 0, "{path}: {b}");
        }
    }
}

#[test]
fn the_walk_finds_what_it_is_for() {
    let doc = serde_json::json!({
        "components": {"schemas": {
            "Consultation": {"type": "object", "properties": {
                "patient": {"description": "who"},
                "type": {"type": "string"},
                "requested_at": {"type": "string"},
                "program_id": {"type": ["string", "null"]},
                "expert_ids": {"type": "array", "items": {"type": "string"}},
                "opened_on": {"type": "string", "format": "date"},
                "urgency": {"$ref": "#/components/schemas/Urgency"},
            }},
            "Urgency": {"type": "string", "enum": ["urgent", "routine"]},
        }},
        "paths": {"/x/{id}": {"get": {"parameters": [
            {"name": "id", "in": "path", "schema": {"type": "string"}},
            {"name": "institution", "in": "query", "schema": {"type": "string", "format": "uuid"}},
            {"name": "program", "in": "query", "schema": {"type": "string"}},
        ]}}},
    });
    let found = offenders(&doc);
    for expected in [
        "empty schema: #/components/schemas/Consultation/properties/patient",
        "vocabulary `type` without its enum values: #/components/schemas/Consultation/properties/type",
        "string `requested_at` without a format or pattern: #/components/schemas/Consultation/properties/requested_at",
        "string `program_id` without a format or pattern: #/components/schemas/Consultation/properties/program_id",
        "string `expert_id` without a format or pattern: #/components/schemas/Consultation/properties/expert_ids/items",
        "string `id` without a format or pattern: #/paths//x/{id}/get/parameters/0 (id)/schema",
        "string `program` without a format or pattern: #/paths//x/{id}/get/parameters/2 (program)/schema",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "missing {expected} in {found:#?}"
        );
    }
    assert_eq!(found.len(), 7, "{found:#?}");
}
