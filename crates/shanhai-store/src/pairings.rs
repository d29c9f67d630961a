//! Pairings between a donor and a recipient within a program (院包院, 科包科, 组团式…).

use crate::audit::Actor;
use crate::query::{self, Filter, Page, PageRequest, fetch_page, opt_text, text};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, institutions, programs};
use shanhai_domain::access::PairingLink;
use shanhai_domain::codes::{DonorAccess, PairingLevel, PairingMode};
use shanhai_domain::registry::{NewPairing, Pairing};
use sqlx::AnyConnection;

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
}

row! {
    read Pairing(row) {
        id: text,
        program_id: text,
        program_name: opt_text,
        donor_id: text,
        donor_name: opt_text,
        recipient_id: text,
        recipient_name: opt_text,
        level: code(PairingLevel::parse),
        mode: code(PairingMode::parse),
        departments: json_list,
        start_date: text,
        end_date: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewPairing(new) {
        program_id: clone,
        donor_id: clone,
        recipient_id: clone,
        level: code,
        mode: code,
        departments: json,
        start_date: date,
        end_date: opt_date,
    }
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
        Pairing::decode,
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
    record::insert::<Pairings>(conn, actor, NewPairing::COLUMNS, new.args()).await
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
    let after =
        record::update::<Pairings>(&mut tx, actor, id, NewPairing::COLUMNS, new.args()).await?;
    tx.commit().await?;
    Ok(after)
}
