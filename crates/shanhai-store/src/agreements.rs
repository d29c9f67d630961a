//! Agreements behind a pairing: signed date, term, scope and the signed document.

use crate::audit::Actor;
use crate::query::{self, Filter, Page, PageRequest, fetch_page, opt_text};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, StoreError, pairings};
use shanhai_domain::registry::{Agreement, AgreementDocument, NewAgreement, agreement_expiry};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const SELECT: &str = "a.*, x.program_id AS program_id";
const FROM: &str = "agreements a JOIN pairings x ON x.id = a.pairing_id";

/// A stored document: the file lives under the data directory, named by its checksum.
#[derive(Debug, Clone)]
pub struct DocumentMeta {
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub path: String,
}

pub struct Agreements;

impl Table for Agreements {
    type Record = Agreement;
    const TABLE: &'static str = "agreements";
    const ENTITY: &'static str = "agreement";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "a.id";
    const CONFLICT: &'static str = "error.agreement_exists";
}

row! {
    read Agreement(row) {
        id: text,
        pairing_id: text,
        program_id: opt_text,
        signed_on: text,
        term_years: int,
        expires_on: { expiry(&signed_on, term_years) },
        scope: text,
        document: { document(row, &id)? },
        created_at: text,
        updated_at: text,
    }
    write NewAgreement(new) {
        pairing_id: clone,
        signed_on: date,
        term_years: copy,
        scope: clone,
    }
}

/// When an agreement signed on `signed_on` (`YYYY-MM-DD`) for `term_years` ends; empty when the
/// date does not read.
fn expiry(signed_on: &str, term_years: i64) -> String {
    chrono::NaiveDate::parse_from_str(signed_on, "%Y-%m-%d")
        .map(|d| agreement_expiry(d, term_years).to_string())
        .unwrap_or_default()
}

/// The signed document, when one is stored.
fn document(row: &AnyRow, id: &str) -> Result<Option<AgreementDocument>> {
    Ok(
        match (
            opt_text(row, "document_name")?,
            opt_text(row, "document_sha256")?,
        ) {
            (Some(file_name), Some(sha256)) => Some(AgreementDocument {
                file_name,
                content_type: opt_text(row, "document_content_type")?.unwrap_or_default(),
                size: row_size(row)?,
                sha256,
                url: format!("/api/v1/agreements/{id}/document"),
            }),
            _ => None,
        },
    )
}

fn row_size(row: &AnyRow) -> Result<i64> {
    Ok(sqlx::Row::try_get::<Option<i64>, _>(row, "document_size")?.unwrap_or(0))
}

/// Where the agreement's document is stored, relative to the data directory.
pub async fn document_path(db: &Db, id: &str) -> Result<Option<String>> {
    let row = query::sql_with(
        "SELECT document_path FROM agreements WHERE id = $1".into(),
        vec![id.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
    opt_text(&row, "document_path")
}

#[derive(Debug, Default, Clone)]
pub struct AgreementFilter {
    pub pairing: Option<String>,
    pub program: Option<String>,
    /// Agreements of pairings with this institution on either side.
    pub institution: Option<String>,
}

pub async fn list(db: &Db, f: &AgreementFilter, page: PageRequest) -> Result<Page<Agreement>> {
    let mut filter = Filter::default();
    filter
        .eq("a.pairing_id", f.pairing.as_deref())
        .eq("x.program_id", f.program.as_deref())
        .eq_any(&["x.donor_id", "x.recipient_id"], f.institution.as_deref());
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "a.signed_on DESC, a.id",
        page,
        Agreement::decode,
    )
    .await
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Agreement> {
    record::get_on::<Agreements>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<Agreement> {
    record::get::<Agreements>(db, id).await
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewAgreement,
) -> Result<Agreement> {
    pairings::require(conn, "pairing_id", &new.pairing_id).await?;
    record::insert::<Agreements>(conn, actor, NewAgreement::COLUMNS, new.args()).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewAgreement) -> Result<Agreement> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewAgreement) -> Result<Agreement> {
    let mut tx = db.begin_write().await?;
    get_on(&mut tx, id).await?;
    pairings::require(&mut tx, "pairing_id", &new.pairing_id).await?;
    let after =
        record::update::<Agreements>(&mut tx, actor, id, NewAgreement::COLUMNS, new.args()).await?;
    tx.commit().await?;
    Ok(after)
}

/// Records the uploaded document; the file itself is already in place.
pub async fn attach_document(
    db: &Db,
    actor: &Actor,
    id: &str,
    doc: &DocumentMeta,
) -> Result<Agreement> {
    let columns = [
        "document_name",
        "document_content_type",
        "document_size",
        "document_sha256",
        "document_path",
    ];
    let args = vec![
        doc.file_name.clone().into(),
        doc.content_type.clone().into(),
        doc.size.into(),
        doc.sha256.clone().into(),
        doc.path.clone().into(),
    ];
    let mut tx = db.begin_write().await?;
    let after = record::update::<Agreements>(&mut tx, actor, id, &columns, args).await?;
    tx.commit().await?;
    Ok(after)
}
