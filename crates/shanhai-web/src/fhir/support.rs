//! What the registry's resource modules (Organization, OrganizationAffiliation, Practitioner,
//! PractitionerRole, CareTeam, Location) share: reading a service's paged list whole or one
//! window of it, token / string / reference / date / boolean matching, codings of the
//! project's CodeSystems, and a GB/T 2260 region as a FHIR Address.

use super::{DateParam, FhirError, FhirResult, Search, code_system};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::{Value, json};
use shanhai_domain::Lang;
use shanhai_domain::codes::RegionLevel;
use shanhai_domain::registry::Region;
use shanhai_store::{Db, Page, PageRequest, regions};
use std::collections::HashMap;

/// The extension on an `Address` that carries its GB/T 2260 region as a Coding of the
/// `region` CodeSystem (the names are in `state`/`city`/`district`/`line`).
pub const REGION_EXTENSION: &str = "https://shanhai.health/fhir/StructureDefinition/region";

/// The HL7 organization-type code system.
pub const ORGANIZATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/organization-type";

/// Every item of a paged list (read 200 at a time), for searches filtered in memory.
pub async fn all_pages<T, E, F, Fut>(mut fetch: F) -> Result<Vec<T>, E>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, E>>,
{
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = fetch(PageRequest::new(
            Some(page),
            Some(PageRequest::MAX_PER_PAGE),
        ))
        .await?;
        let n = p.items.len();
        out.extend(p.items);
        if n == 0 || out.len() as i64 >= p.total || page > 10_000 {
            break;
        }
        page += 1;
    }
    Ok(out)
}

/// The window `[_offset, _offset + _count)` of a paged list and its total, reading at most two
/// of its pages (for searches the store filters whole).
pub async fn window<T, E, F, Fut>(search: &Search, mut fetch: F) -> Result<(Vec<T>, usize), E>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, E>>,
{
    let per = PageRequest::MAX_PER_PAGE as usize;
    let first = search.offset / per;
    let skip = search.offset % per;
    let p = fetch(PageRequest::new(Some(first as i64 + 1), Some(per as i64))).await?;
    let total = p.total.max(0) as usize;
    let mut items: Vec<T> = p.items.into_iter().skip(skip).collect();
    if items.len() < search.count && (first + 1) * per < total {
        let q = fetch(PageRequest::new(Some(first as i64 + 2), Some(per as i64))).await?;
        items.extend(q.items);
    }
    items.truncate(search.count);
    Ok((items, total))
}

/// A token search value: `code`, `system|code` or `|code`.
#[derive(Debug, Clone)]
pub struct Token {
    pub system: Option<String>,
    pub code: String,
}

impl Token {
    /// Whether a coding `(system, code)` is this token.
    pub fn matches(&self, system: &str, code: &str) -> bool {
        self.code == code
            && self
                .system
                .as_deref()
                .is_none_or(|s| s.is_empty() || s == system)
    }
}

/// Every repetition of a token parameter, each an OR-list (repetitions AND).
pub fn token_lists(search: &Search, name: &str) -> Vec<Vec<Token>> {
    search
        .all(name)
        .into_iter()
        .map(|v| {
            v.split(',')
                .filter(|t| !t.trim().is_empty())
                .map(|t| match t.split_once('|') {
                    Some((s, c)) => Token {
                        system: Some(s.trim().to_string()),
                        code: c.trim().to_string(),
                    },
                    None => Token {
                        system: None,
                        code: t.trim().to_string(),
                    },
                })
                .collect()
        })
        .collect()
}

/// Whether the codings `(system, code)` pass a token parameter (absent: yes).
pub fn codings_match(search: &Search, name: &str, codings: &[(String, &str)]) -> bool {
    token_lists(search, name).iter().all(|list| {
        list.iter()
            .any(|t| codings.iter().any(|(s, c)| t.matches(s, c)))
    })
}

/// Whether texts pass a string parameter: starts with (case-insensitive) by default,
/// `:contains` anywhere, `:exact` equal; repetitions AND, commas OR.
pub fn strings_match(search: &Search, name: &str, texts: &[&str]) -> bool {
    search.params.iter().all(|(k, v)| {
        let (base, modifier) = match k.split_once(':') {
            Some((b, m)) => (b, Some(m)),
            None => (k.as_str(), None),
        };
        if base != name {
            return true;
        }
        v.split(',').any(|want| {
            let want_l = want.trim().to_lowercase();
            texts.iter().any(|t| {
                let t_l = t.to_lowercase();
                match modifier {
                    Some("exact") => *t == want.trim(),
                    Some("contains") => t_l.contains(&want_l),
                    _ => t_l.starts_with(&want_l),
                }
            })
        })
    })
}

/// The first value of a string parameter, any modifier (to narrow a store search by `q`).
pub fn string_value(search: &Search, name: &str) -> Option<String> {
    search
        .params
        .iter()
        .find(|(k, v)| k.split(':').next() == Some(name) && !v.contains(','))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether an id passes a reference parameter (absent: yes; repetitions AND, commas OR).
pub fn reference_match(search: &Search, name: &str, ids: &[&str]) -> bool {
    search.all(name).iter().all(|v| {
        v.split(',')
            .map(|r| r.rsplit('/').next().unwrap_or(r).trim())
            .any(|want| ids.contains(&want))
    })
}

/// The single id a reference parameter names, to narrow a store search (none when OR-listed).
pub fn reference_value(search: &Search, name: &str) -> Option<String> {
    let ids = search.reference_ids(name)?;
    (ids.len() == 1).then(|| ids[0].clone())
}

/// A boolean parameter (`true`/`false`); anything else is a 400.
pub fn boolean(search: &Search, name: &str) -> FhirResult<Option<bool>> {
    match search.get(name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(FhirError::bad_request(
            "fhir.bad_parameter",
            name.to_string(),
        )),
    }
}

/// The instants a period of days covers (`YYYY-MM-DD` in Asia/Shanghai, both days included; an
/// open end runs to the far future).
pub fn day_span(start: &str, end: Option<&str>) -> (NaiveDateTime, NaiveDateTime) {
    let shanghai = chrono::Duration::hours(8);
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let lower = day(start)
        .map(|d| d.and_time(NaiveTime::MIN) - shanghai)
        .unwrap_or(NaiveDateTime::MIN);
    let upper = end
        .and_then(day)
        .and_then(|d| d.succ_opt())
        .map(|d| d.and_time(NaiveTime::MIN) - shanghai)
        .unwrap_or(NaiveDateTime::MAX);
    (lower, upper)
}

/// Whether a period of days passes every value of a date parameter.
pub fn period_matches(dates: &[DateParam], start: &str, end: Option<&str>) -> bool {
    let (lo, hi) = day_span(start, end);
    dates.iter().all(|d| d.matches(lo, hi))
}

/// Whether a period of days includes today (Asia/Shanghai).
pub fn current(start: &str, end: Option<&str>) -> bool {
    let today = shanhai_store::today().to_string();
    start <= today.as_str() && end.is_none_or(|e| e >= today.as_str())
}

/// A Coding of one of the project's CodeSystems.
pub fn coding(system_id: &str, code: &str, display: &str) -> Value {
    json!({ "system": code_system(system_id), "code": code, "display": display })
}

/// A CodeableConcept of one Coding of the project's CodeSystems, its text the display.
pub fn concept(system_id: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [coding(system_id, code, display)], "text": display })
}

/// The lineages of GB/T 2260 regions, read once per request.
#[derive(Default)]
pub struct Regions {
    known: HashMap<String, Vec<Region>>,
}

impl Regions {
    /// The region and its ancestors, from the province down (empty when unknown).
    pub async fn lineage(&mut self, db: &Db, code: &str) -> FhirResult<Vec<Region>> {
        if let Some(l) = self.known.get(code) {
            return Ok(l.clone());
        }
        let lineage = match regions::lineage(db, code).await {
            Ok(l) => l,
            Err(shanhai_store::StoreError::NotFound) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        self.known.insert(code.to_string(), lineage.clone());
        Ok(lineage)
    }

    /// A region (by GB/T 2260 code) with a street address as a FHIR Address: province in
    /// `state`, city in `city`, county in `district`, township and street in `line`, all in
    /// `text`, the code itself in the region extension.
    pub async fn address(
        &mut self,
        db: &Db,
        code: &str,
        street: Option<&str>,
        lang: Lang,
    ) -> FhirResult<Value> {
        let lineage = self.lineage(db, code).await?;
        let mut address = json!({ "use": "work", "type": "physical", "country": "CN" });
        let mut lines = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        for r in &lineage {
            // A municipality's city level (市辖区, 县) names no city: the municipality is one.
            if r.level == RegionLevel::City && matches!(r.name.as_str(), "市辖区" | "县") {
                if let Some(p) = lineage.first() {
                    address["city"] = json!(p.name);
                }
                continue;
            }
            let field = match r.level {
                RegionLevel::Province => "state",
                RegionLevel::City => "city",
                RegionLevel::County => "district",
                RegionLevel::Township => "",
            };
            if field.is_empty() {
                lines.push(r.name.clone());
            } else {
                address[field] = json!(r.name);
            }
            if parts.last() != Some(&r.name) {
                parts.push(r.name.clone());
            }
        }
        if let Some(s) = street.map(str::trim).filter(|s| !s.is_empty()) {
            lines.push(s.to_string());
            parts.push(s.to_string());
        }
        if !lines.is_empty() {
            address["line"] = json!(lines);
        }
        if !parts.is_empty() {
            let sep = if lang == Lang::En { ", " } else { "" };
            address["text"] = json!(parts.join(sep));
        }
        let display = lineage.last().map(|r| r.name.as_str()).unwrap_or(code);
        address["extension"] = json!([{
            "url": REGION_EXTENSION,
            "valueCoding": coding("region", code, display),
        }]);
        Ok(address)
    }

    /// Whether a region passes the `address` parameter: a GB/T 2260 code matches the region
    /// itself and every region below it; any other text is matched (string rules) against the
    /// names of the region and its ancestors and the street address.
    pub async fn address_matches(
        &mut self,
        db: &Db,
        search: &Search,
        code: &str,
        street: Option<&str>,
    ) -> FhirResult<bool> {
        if search.get("address").is_none()
            && !search.params.iter().any(|(k, _)| k.starts_with("address:"))
        {
            return Ok(true);
        }
        let lineage = self.lineage(db, code).await?;
        let mut texts: Vec<&str> = lineage.iter().map(|r| r.name.as_str()).collect();
        texts.extend(lineage.iter().map(|r| r.code.as_str()));
        if let Some(s) = street {
            texts.push(s);
        }
        Ok(strings_match(search, "address", &texts))
    }
}

/// Whether a resource's record passes `_id` and `_lastUpdated` (the common parameters).
pub fn common(search: &Search, id: &str, updated_at: &str) -> bool {
    search.common_match(id, updated_at)
}

/// Whether the search names parameters besides paging (so the store's own paging cannot
/// serve it and the list is filtered in memory).
pub fn filtered_beyond(search: &Search, pushed_down: &[&str]) -> bool {
    search.params.iter().any(|(k, _)| {
        let base = k.split(':').next().unwrap_or(k);
        let paging = matches!(
            base,
            "_count" | "_offset" | "_sort" | "_format" | "_pretty" | "_total" | "_include"
        );
        let pushed = pushed_down.contains(&base) && !k.contains(':');
        !paging && !pushed
    })
}

/// Refuses `_include` on a type that declares none (a client then knows nothing was added)
/// and `_sort` (these searches answer in their own fixed order).
pub fn plain(search: &Search) -> FhirResult<()> {
    for name in ["_include", "_sort"] {
        if search.get(name).is_some() {
            return Err(FhirError::bad_request(
                "fhir.unknown_parameter",
                name.to_string(),
            ));
        }
    }
    Ok(())
}
