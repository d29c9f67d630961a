//! The records behind a figure, listed from the same rule the roll-up counts them by (its table,
//! joins, filter, date, kind and contribution), so that the list's `total` is the figure's
//! value by construction — de-identified: dates, kinds, institutions, states and turnaround,
//! never a patient's name, ID number or case.

use super::read::{Scope, in_scope, parse_scope, rule_scope_conditions, scope_conditions};
use super::rules::{Column, Rule, measure};
use crate::audit::{self, Action, Actor};
use crate::query::{self, Arg, int, opt_text, text};
use crate::{Db, Page, PageRequest, Result};
use shanhai_domain::Invalid;
use shanhai_domain::indicators::FigureRecord;
use sqlx::Row;

/// The two sides of a record that has two (a consultation, a referral), its state, urgency and
/// the instants its turnaround runs between, as SQL over the rule's `t`.
struct TwoSided {
    from: &'static str,
    to: &'static str,
    state: &'static str,
    urgency: &'static str,
    start: &'static str,
    end: &'static str,
}

fn two_sided(rule: &Rule) -> Option<TwoSided> {
    match rule.name {
        "consultations" => Some(TwoSided {
            from: "t.requesting_institution_id",
            to: "t.target_institution_id",
            state: "t.state",
            urgency: "t.urgency",
            start: "t.requested_at",
            end: "(SELECT MIN(o.signed_at) FROM consultation_opinions o \
                  WHERE o.consultation_id = t.id AND o.signed_at IS NOT NULL)",
        }),
        "referrals" => Some(TwoSided {
            from: "t.from_institution_id",
            to: "t.to_institution_id",
            state: "t.state",
            urgency: "t.urgency",
            start: "t.created_at",
            end: "(SELECT MIN(e.at) FROM referral_events e \
                  WHERE e.referral_id = t.id AND e.to_state = 'accepted')",
        }),
        _ => None,
    }
}

/// Which records to list: a scope (program, institution, region, dates) and, optionally, only
/// those an institution takes part in (either side of a consultation or referral; else the
/// institution the record is attributed to).
#[derive(Debug, Clone, Default)]
pub struct RecordsFilter {
    pub scope: Scope,
    pub taking_part: Option<String>,
}

/// Hours between two stored instants (RFC 3339), to two decimals.
fn hours_between(start: &str, end: &str) -> Option<f64> {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    let minutes = (parse(end)? - parse(start)?).num_minutes();
    Some((minutes as f64 / 60.0 * 100.0).round() / 100.0)
}

/// One page of the records an indicator counts over a scope, newest first; with `actor`, the
/// read is audited (`entity = "figure-records"`, the ids listed).
pub async fn records(
    db: &Db,
    indicator: &str,
    filter: &RecordsFilter,
    page: PageRequest,
    actor: Option<&Actor>,
) -> Result<Page<FigureRecord>> {
    let m =
        measure(indicator).ok_or_else(|| Invalid::new("indicator", "error.figure_records_none"))?;
    let rule = m.rule();
    let scope = &filter.scope;
    if !in_scope(rule, scope) {
        return Err(Invalid::new("indicator", "error.figure_records_none").into());
    }
    let parsed = parse_scope(scope)?;
    let contribution = match m.column {
        Column::Extra => rule.extra,
        _ => rule.value,
    };
    let mut args: Vec<Arg> = vec![format!("{}~", parsed.until).into()];
    let mut conds = vec![
        format!("({})", rule.filter),
        format!("{} < $1", rule.date),
        format!("({contribution}) <> 0"),
    ];
    if let Some(from) = parsed.from {
        args.push(from.to_string().into());
        conds.push(format!("{} >= ${}", rule.date, args.len()));
    }
    conds.extend(scope_conditions(
        scope,
        &parsed,
        [rule.program, rule.pairing, rule.institution],
        None,
        &mut args,
    ));
    conds.extend(rule_scope_conditions(scope, rule, &mut args));
    if !m.kinds.is_empty() {
        let mut marks = Vec::new();
        for kind in m.kinds {
            args.push((*kind).into());
            marks.push(format!("${}", args.len()));
        }
        conds.push(format!(
            "COALESCE({}, '') IN ({})",
            rule.split,
            marks.join(", ")
        ));
    }
    let sides = two_sided(rule);
    if let Some(inst) = filter.taking_part.as_deref() {
        args.push(inst.into());
        let n = args.len();
        conds.push(match &sides {
            Some(s) => format!("({} = ${n} OR {} = ${n})", s.from, s.to),
            None => format!("{} = ${n}", rule.institution),
        });
    }
    let from_where = format!(
        " FROM {} t {} WHERE {}",
        rule.table,
        rule.joins,
        conds.join(" AND ")
    );
    // Distinct people (experts dispatched): one row per person, at their first record.
    if let Some(member) = rule.member.filter(|_| m.distinct()) {
        return people(db, member, rule, &from_where, args, page).await;
    }
    let total = int(
        &query::sql_with(format!("SELECT COUNT(*) AS n{from_where}"), args.clone())
            .fetch_one(db.pool())
            .await?,
        "n",
    )?;
    let extra = match &sides {
        Some(s) => format!(
            ", {} AS from_id, {} AS to_id, {} AS state, {} AS urgency, {} AS started, {} AS ended",
            s.from, s.to, s.state, s.urgency, s.start, s.end
        ),
        None => ", NULL AS from_id, NULL AS to_id, NULL AS state, NULL AS urgency, \
                  NULL AS started, NULL AS ended"
            .to_string(),
    };
    let mut page_args = args.clone();
    page_args.push(page.per_page.into());
    page_args.push(page.offset().into());
    let n = page_args.len();
    let sql = format!(
        "SELECT t.id AS id, substr({date}, 1, 10) AS d, {split} AS kind, {inst} AS inst, \
         CAST({contribution} AS BIGINT) AS v{extra}{from_where} \
         ORDER BY {date} DESC, t.id LIMIT ${} OFFSET ${n}",
        n - 1,
        date = rule.date,
        split = rule.split,
        inst = rule.institution,
    );
    let rows = query::sql_with(sql, page_args).fetch_all(db.pool()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let started: Option<String> = r.try_get("started").ok().flatten();
        let ended: Option<String> = r.try_get("ended").ok().flatten();
        items.push(FigureRecord {
            id: text(r, "id")?,
            date: text(r, "d")?,
            kind: opt_text(r, "kind").ok().flatten(),
            institution_id: opt_text(r, "inst").ok().flatten(),
            institution_name: None,
            from_institution_id: opt_text(r, "from_id").ok().flatten(),
            from_institution_name: None,
            to_institution_id: opt_text(r, "to_id").ok().flatten(),
            to_institution_name: None,
            state: opt_text(r, "state").ok().flatten(),
            urgency: opt_text(r, "urgency").ok().flatten(),
            turnaround_hours: match (started, ended) {
                (Some(s), Some(e)) => hours_between(&s, &e),
                _ => None,
            },
            value: int(r, "v")?,
        });
    }
    name_institutions(db, &mut items).await?;
    if let Some(actor) = actor {
        let listed: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let mut conn = db.pool().acquire().await?;
        audit::record::<(), _>(
            &mut conn,
            actor,
            Action::Read,
            "figure-records",
            &format!("{}/{indicator}", scope.program.as_deref().unwrap_or("all")),
            None,
            Some(&serde_json::json!({
                "indicator": indicator,
                "from": scope.from,
                "until": scope.until,
                "institution": scope.institution,
                "region": scope.region,
                "pairing": scope.pairing,
                "team": scope.team,
                "scheme": scope.scheme,
                "taking_part": filter.taking_part,
                "page": page.page,
                "records": listed,
            })),
        )
        .await?;
    }
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Fills in the institutions' names.
async fn name_institutions(db: &Db, items: &mut [FigureRecord]) -> Result<()> {
    let ids: Vec<String> = items
        .iter()
        .flat_map(|i| {
            [
                i.institution_id.clone(),
                i.from_institution_id.clone(),
                i.to_institution_id.clone(),
            ]
        })
        .flatten()
        .collect();
    let names = crate::institutions::names(db, &ids).await?;
    let name = |id: &Option<String>| id.as_ref().and_then(|i| names.get(i).cloned());
    for i in items.iter_mut() {
        i.institution_name = name(&i.institution_id);
        i.from_institution_name = name(&i.from_institution_id);
        i.to_institution_name = name(&i.to_institution_id);
    }
    Ok(())
}

/// The distinct people a rule's records name over the conditions, one row each at their first
/// record (the date it counts on and the institution).
async fn people(
    db: &Db,
    member: &str,
    rule: &Rule,
    from_where: &str,
    args: Vec<Arg>,
    page: PageRequest,
) -> Result<Page<FigureRecord>> {
    let from_where = format!("{from_where} AND {member} IS NOT NULL");
    let total = int(
        &query::sql_with(
            format!("SELECT COUNT(DISTINCT {member}) AS n{from_where}"),
            args.clone(),
        )
        .fetch_one(db.pool())
        .await?,
        "n",
    )?;
    let mut page_args = args;
    page_args.push(page.per_page.into());
    page_args.push(page.offset().into());
    let n = page_args.len();
    let sql = format!(
        "SELECT {member} AS id, MIN(substr({date}, 1, 10)) AS d, MIN({inst}) AS inst{from_where} \
         GROUP BY {member} ORDER BY 2 DESC, 1 LIMIT ${} OFFSET ${n}",
        n - 1,
        date = rule.date,
        inst = rule.institution,
    );
    let rows = query::sql_with(sql, page_args).fetch_all(db.pool()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        items.push(FigureRecord {
            id: text(r, "id")?,
            date: text(r, "d")?,
            kind: None,
            institution_id: opt_text(r, "inst").ok().flatten(),
            institution_name: None,
            from_institution_id: None,
            from_institution_name: None,
            to_institution_id: None,
            to_institution_name: None,
            state: None,
            urgency: None,
            turnaround_hours: None,
            value: 1,
        });
    }
    name_institutions(db, &mut items).await?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}
