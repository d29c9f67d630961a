//! Pairings between a donor and a recipient within a program (院包院, 科包科, 组团式…).

use crate::audit::Actor;
use crate::query::{self, Filter, Page, PageRequest, fetch_page, opt_text, text};
use crate::record::{self, Table};
use crate::{Db, Result, institutions, programs};
use shanhai_domain::access::PairingLink;
use shanhai_domain::codes::{DonorAccess, PairingLevel, PairingMode};
use shanhai_domain::registry::{NewPairing, Pairing};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const SELECT: &str = "x.*, p.name AS program_name, d.name AS donor_name, r.name AS recipient_name";
const FROM: &str = "pairings x JOIN programs p ON p.id = x.program_id \
                    JOIN institutions d ON d.id = x.donor_id JOIN institutions r ON r.id = x.recipient_id";

pub struct Pairings;

impl Table for Pairings {
    type Record = Pairing;
    const TABLE: &'static str = "pairings";
    const ENTITY: &'static str = "pairing";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "x.id";
    const CONFLICT: &'static str = "error.pairing_exists";

    fn decode(row: &AnyRow) -> Result<Pairing> {
        decode(row)
    }
}

fn decode(row: &AnyRow) -> Result<Pairing> {
    Ok(Pairing {
        id: text(row, "id")?,
        program_id: text(row, "program_id")?,
        program_name: opt_text(row, "program_name")?,
        donor_id: text(row, "donor_id")?,
        donor_name: opt_text(row, "donor_name")?,
        recipient_id: text(row, "recipient_id")?,
        recipient_name: opt_text(row, "recipient_name")?,
        level: query::code(row, "level", PairingLevel::parse)?,
        mode: query::code(row, "mode", PairingMode::parse)?,
        departments: query::json_list(row, "departments")?,
        start_date: text(row, "start_date")?,
        end_date: opt_text(row, "end_date")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

#[derive(Debug, Default, Clone)]
pub struct PairingFilter {
    pub program: Option<String>,
    /// Pairings with this institution on either side.
    pub institution: Option<String>,
    pub donor: Option<String>,
    pub recipient: Option<String>,
    pub mode: Option<String>,
    pub q: Option<String>,
}

pub async fn list(db: &Db, f: &PairingFilter, page: PageRequest) -> Result<Page<Pairing>> {
    let mut filter = Filter::default();
    filter
        .eq("x.program_id", f.program.as_deref())
        .eq_any(&["x.donor_id", "x.recipient_id"], f.institution.as_deref())
        .eq("x.donor_id", f.donor.as_deref())
        .eq("x.recipient_id", f.recipient.as_deref())
        .eq("x.mode", f.mode.as_deref())
        .search(&["d.name", "r.name"], f.q.as_deref());
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "p.name, d.name, r.name, x.id",
        page,
        decode,
    )
    .await
}

/// Every pairing as the access policy sees it, with its program's donor access and whether it
/// runs today.
pub async fn links(db: &Db) -> Result<Vec<PairingLink>> {
    let today = crate::today().to_string();
    let rows = sqlx::query(
        "SELECT x.program_id, x.donor_id, x.recipient_id, x.start_date, x.end_date, p.donor_access \
         FROM pairings x JOIN programs p ON p.id = x.program_id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let start = text(r, "start_date")?;
            let end = opt_text(r, "end_date")?;
            Ok(PairingLink {
                program_id: text(r, "program_id")?,
                donor_id: text(r, "donor_id")?,
                recipient_id: text(r, "recipient_id")?,
                donor_access: query::code(r, "donor_access", DonorAccess::parse)?,
                active: start <= today && end.is_none_or(|e| e >= today),
            })
        })
        .collect()
}

const COLUMNS: &[&str] = &[
    "program_id",
    "donor_id",
    "recipient_id",
    "level",
    "mode",
    "departments",
    "start_date",
    "end_date",
];

fn args(new: &NewPairing) -> Vec<query::Arg> {
    vec![
        new.program_id.clone().into(),
        new.donor_id.clone().into(),
        new.recipient_id.clone().into(),
        new.level.code().into(),
        new.mode.code().into(),
        serde_json::to_string(&new.departments)
            .unwrap_or_else(|_| "[]".into())
            .into(),
        new.start_date.to_string().into(),
        new.end_date.map(|d| d.to_string()).into(),
    ]
}

async fn check(conn: &mut AnyConnection, new: &NewPairing) -> Result<()> {
    programs::require(conn, "program_id", &new.program_id).await?;
    institutions::require(conn, "donor_id", &new.donor_id).await?;
    institutions::require(conn, "recipient_id", &new.recipient_id).await?;
    Ok(())
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Pairing> {
    record::get_on::<Pairings>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<Pairing> {
    record::get::<Pairings>(db, id).await
}

/// Fails with a field error when the referenced record does not exist.
pub async fn require(conn: &mut AnyConnection, field: &str, id: &str) -> Result<Pairing> {
    record::require::<Pairings>(conn, field, id, "error.unknown_pairing").await
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewPairing,
) -> Result<Pairing> {
    check(conn, new).await?;
    record::insert::<Pairings>(conn, actor, COLUMNS, args(new)).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewPairing) -> Result<Pairing> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewPairing) -> Result<Pairing> {
    let mut tx = db.begin_write().await?;
    get_on(&mut tx, id).await?;
    check(&mut tx, new).await?;
    let after = record::update::<Pairings>(&mut tx, actor, id, COLUMNS, args(new)).await?;
    tx.commit().await?;
    Ok(after)
}
