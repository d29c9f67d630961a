//! What a program's work is made of along dimensions the roll-ups do not keep: assignments by
//! dispatch scheme, techniques by specialty. These count a program's small tables (one row per
//! assignment or technique: thousands per program, not millions), grouped in the database, under
//! the same scope a dashboard reads its roll-ups with (program, institution, region subtree,
//! dates; the pairing narrows assignments, which know theirs through their batch).

use crate::query::{self, Arg, int, text};
use crate::rollups::{self, Scope};
use crate::{Db, Result};

/// The conditions and arguments a scope puts on a table whose program, pairing, institution
/// and date are the given expressions: the roll-ups' own scope conditions, and the dates.
fn scope_sql(scope: &Scope, exprs: [&str; 3], date: &str) -> Result<(String, Vec<Arg>)> {
    let parsed = rollups::parse_scope(scope)?;
    let mut args: Vec<Arg> = vec![parsed.until.to_string().into()];
    let mut conds = vec![format!("{date} <= $1")];
    if let Some(from) = parsed.from {
        args.push(from.to_string().into());
        conds.push(format!("{date} >= ${}", args.len()));
    }
    conds.extend(rollups::scope_conditions(
        scope, &parsed, exprs, None, &mut args,
    ));
    Ok((conds.join(" AND "), args))
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
        ["b.program_id", "b.pairing_id", "t.institution_id"],
        "t.start_date",
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
        ["t.program_id", "t.pairing_id", "t.institution_id"],
        "t.introduced_on",
    )?;
    let sql = format!(
        "SELECT substr(t.specialty_code, 1, 2) AS k, COUNT(*) AS n FROM techniques t \
         WHERE {cond} GROUP BY substr(t.specialty_code, 1, 2) ORDER BY n DESC, k"
    );
    grouped(db, sql, args).await
}
