//! What every record table shares: read one row by id, insert a row and audit its creation,
//! update a row and audit before and after, delete a row and audit what it was — each inside the caller's transaction, so a write
//! and its audit entry commit together.

use crate::audit::{self, Action, Actor};
use crate::query::{self, Arg};
use crate::row::Decode;
use crate::{Result, StoreError};
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// A table of records with a text id.
pub trait Table {
    type Record: Serialize + Decode;
    /// The table written to.
    const TABLE: &'static str;
    /// The entity name in the audit log.
    const ENTITY: &'static str;
    /// The columns read (may join other tables for display names).
    const SELECT: &'static str;
    /// The `FROM` clause reads come from.
    const FROM: &'static str;
    /// The id column as `SELECT`/`FROM` name it.
    const ID: &'static str;
    /// The message key for a broken uniqueness rule.
    const CONFLICT: &'static str;

    /// Reads a record from a row of `SELECT`/`FROM` (the record's [`Decode`]).
    fn decode(row: &AnyRow) -> Result<Self::Record> {
        Self::Record::decode(row)
    }
}

pub async fn get_on<T: Table>(conn: &mut AnyConnection, id: &str) -> Result<T::Record> {
    let sql = format!("SELECT {} FROM {} WHERE {} = $1", T::SELECT, T::FROM, T::ID);
    let row = query::sql_with(sql, vec![id.into()])
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    T::decode(&row)
}

/// Inserts a row with a new id (plus `created_at` and `updated_at`), audits it, and returns it.
pub async fn insert<T: Table>(
    conn: &mut AnyConnection,
    actor: &Actor,
    columns: &[&str],
    mut args: Vec<Arg>,
) -> Result<T::Record> {
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    let mut all: Vec<&str> = columns.to_vec();
    all.extend(["id", "created_at", "updated_at"]);
    args.extend([id.clone().into(), now.clone().into(), now.into()]);
    query::sql_with(query::insert_sql(T::TABLE, &all), args)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, T::CONFLICT))?;
    let created = get_on::<T>(conn, &id).await?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        T::ENTITY,
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

/// Updates a row's columns (and `updated_at`), audits before and after, and returns it.
pub async fn update<T: Table>(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    columns: &[&str],
    mut args: Vec<Arg>,
) -> Result<T::Record> {
    let before = get_on::<T>(conn, id).await?;
    let mut all: Vec<&str> = columns.to_vec();
    all.push("updated_at");
    args.push(crate::now().into());
    args.push(id.into());
    query::sql_with(query::update_sql(T::TABLE, &all, "id"), args)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, T::CONFLICT))?;
    let after = get_on::<T>(conn, id).await?;
    audit::record(
        conn,
        actor,
        Action::Update,
        T::ENTITY,
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Deletes a row and audits what it was.
pub async fn delete<T: Table>(conn: &mut AnyConnection, actor: &Actor, id: &str) -> Result<()> {
    let before = get_on::<T>(conn, id).await?;
    query::sql_with(
        format!("DELETE FROM {} WHERE id = $1", T::TABLE),
        vec![id.into()],
    )
    .execute(&mut *conn)
    .await?;
    audit::record::<_, ()>(
        conn,
        actor,
        Action::Delete,
        T::ENTITY,
        id,
        Some(&before),
        None,
    )
    .await
}

pub async fn get<T: Table>(db: &crate::Db, id: &str) -> Result<T::Record> {
    get_on::<T>(&mut *db.pool().acquire().await?, id).await
}

/// Like [`get_on`], but a missing record is the input's fault: a field error naming `field`.
pub async fn require<T: Table>(
    conn: &mut AnyConnection,
    field: &str,
    id: &str,
    key: &'static str,
) -> Result<T::Record> {
    match get_on::<T>(conn, id).await {
        Err(StoreError::NotFound) => Err(shanhai_domain::Invalid::new(field, key).into()),
        other => other,
    }
}

/// One step in a record's timeline (`consultation_events`, `referral_events`).
pub struct Step<'a> {
    pub action: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub note: Option<String>,
}

/// Appends a timed step to a timeline table whose rows name their owner in `owner_column` and
/// carry the step's note in `note_column`.
pub async fn append_step(
    conn: &mut AnyConnection,
    table: &str,
    owner_column: &str,
    note_column: &str,
    owner_id: &str,
    actor: &Actor,
    step: Step<'_>,
) -> Result<()> {
    query::sql_with(
        query::insert_sql(
            table,
            &[
                "id",
                owner_column,
                "action",
                "from_state",
                "to_state",
                "at",
                "actor_name",
                "actor_id",
                note_column,
            ],
        ),
        vec![
            shanhai_domain::ids::new_id().into(),
            owner_id.into(),
            step.action.into(),
            step.from.into(),
            step.to.into(),
            crate::now().into(),
            actor.name.clone().into(),
            actor.user_id.clone().into(),
            step.note.into(),
        ],
    )
    .execute(conn)
    .await?;
    Ok(())
}
