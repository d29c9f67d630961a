//! What a program's work is made of along dimensions the roll-ups do not keep: assignments by
//! dispatch scheme, techniques by specialty. These count a program's small tables (one row per
//! assignment or technique: thousands per program, not millions), grouped in the database, under
//! the same scope a dashboard reads its roll-ups with (program, institution, region subtree,
//! dates; the pairing narrows assignments, which know theirs through their batch).

use crate::query::{self, Arg, int, text};
use crate::rollups::Scope;
use crate::{Db, Result};
use shanhai_domain::registry::RegionCode;

/// The conditions and arguments a scope puts on a table aliased `t` whose program, institution
/// and date are the given expressions.
fn scope_sql(
    scope: &Scope,
    program: &str,
    institution: &str,
    date: &str,
    pairing: Option<&str>,
) -> Result<(String, Vec<Arg>)> {
    let mut args: Vec<Arg> = vec![scope.until.clone().into()];
    let mut sql = format!("{date} <= $1");
    // `cond` with `{}` where the value's placeholder goes.
    fn push(cond: String, value: String, args: &mut Vec<Arg>, sql: &mut String) {
        args.push(value.into());
        sql.push_str(&format!(
            " AND {}",
            cond.replace("{}", &format!("${}", args.len()))
        ));
    }
    if let Some(p) = &scope.program {
        push(format!("{program} = {{}}"), p.clone(), &mut args, &mut sql);
    }
    if let Some(i) = &scope.institution {
        push(
            format!("{institution} = {{}}"),
            i.clone(),
            &mut args,
            &mut sql,
        );
    }
    if let Some(f) = &scope.from {
        push(format!("{date} >= {{}}"), f.clone(), &mut args, &mut sql);
    }
    if let (Some(p), Some(col)) = (&scope.pairing, pairing) {
        push(format!("{col} = {{}}"), p.clone(), &mut args, &mut sql);
    }
    if let Some(r) = scope
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        let code = RegionCode::parse("region", r)?;
        push(
            format!(
                "{institution} IN (SELECT ri.id FROM institutions ri WHERE ri.region_code LIKE {{}})"
            ),
            format!("{}%", code.prefix()),
            &mut args,
            &mut sql,
        );
    }
    Ok((sql, args))
}

async fn grouped(db: &Db, sql: String, args: Vec<Arg>) -> Result<Vec<(String, i64)>> {
    let rows = query::sql_with(sql, args).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((text(r, "k")?, int(r, "n")?)))
        .collect()
}

/// Assignments (that had begun by the scope's end) by the name of their batch's dispatch scheme,
/// most first; `""` for batches without a scheme.
pub async fn assignments_by_scheme(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    let (cond, args) = scope_sql(
        scope,
        "b.program_id",
        "t.institution_id",
        "t.start_date",
        Some("b.pairing_id"),
    )?;
    let sql = format!(
        "SELECT COALESCE(s.name, '') AS k, COUNT(*) AS n FROM assignments t \
         JOIN batches b ON b.id = t.batch_id LEFT JOIN dispatch_schemes s ON s.id = b.scheme_id \
         WHERE {cond} GROUP BY COALESCE(s.name, '') ORDER BY n DESC, k"
    );
    grouped(db, sql, args).await
}

/// Techniques (introduced by the scope's end) by their top-level specialty code (`03` for
/// 内科 and all its sub-specialties), most first.
pub async fn techniques_by_specialty(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    let (cond, args) = scope_sql(
        scope,
        "t.program_id",
        "t.institution_id",
        "t.introduced_on",
        Some("t.pairing_id"),
    )?;
    let sql = format!(
        "SELECT substr(t.specialty_code, 1, 2) AS k, COUNT(*) AS n FROM techniques t \
         WHERE {cond} GROUP BY substr(t.specialty_code, 1, 2) ORDER BY n DESC, k"
    );
    grouped(db, sql, args).await
}
