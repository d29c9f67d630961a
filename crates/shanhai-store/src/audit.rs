//! The append-only audit log: every write, and every read of patient data, with who, when, what,
//! and the record before and after. Entries are written inside the transaction they describe, so
//! a write and its audit entry commit or vanish together.

use crate::Result;
use crate::query::{self, Filter, Page, PageRequest, fetch_page};
use crate::row::{Decode, row};
use serde::Serialize;
use sqlx::AnyConnection;

/// Who is acting, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<String>,
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    /// Work done by the command line or the demo loader rather than a signed-in user.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            name: name.to_string(),
            ip: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    Read,
    Login,
    Logout,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::Login => "login",
            Action::Logout => "logout",
        }
    }
}

/// Appends one entry.
pub async fn record<B: Serialize, A: Serialize>(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: Action,
    entity: &str,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<()> {
    let before = before.and_then(|b| serde_json::to_string(b).ok());
    let after = after.and_then(|a| serde_json::to_string(a).ok());
    query::sql_with(
        query::insert_sql(
            "audit_log",
            &[
                "id",
                "at",
                "actor_id",
                "actor_name",
                "action",
                "entity",
                "entity_id",
                "before_json",
                "after_json",
                "ip",
            ],
        ),
        vec![
            shanhai_domain::ids::new_id().into(),
            crate::now().into(),
            actor.user_id.clone().into(),
            actor.name.clone().into(),
            action.code().into(),
            entity.into(),
            entity_id.into(),
            before.into(),
            after.into(),
            actor.ip.clone().into(),
        ],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The schema of an entry's action: one of [`Action`]'s codes.
pub fn action_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    shanhai_domain::codes::code_schema(&[
        ("create", "Create"),
        ("update", "Update"),
        ("delete", "Delete"),
        ("read", "Read"),
        ("login", "Log in"),
        ("logout", "Log out"),
    ])
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = DateTime)]
    pub at: String,
    #[schema(format = Uuid)]
    pub actor_id: Option<String>,
    pub actor_name: String,
    #[schema(schema_with = action_schema)]
    pub action: String,
    pub entity: String,
    /// The record's id; a region's code, `{team}/{person}` for a team member,
    /// `{program}/{indicator}` for a figure's records.
    pub entity_id: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
}

row! {
    read AuditEntry(row) {
        id: text,
        at: text,
        actor_id: opt_text,
        actor_name: text,
        action: text,
        entity: text,
        entity_id: text,
        before: opt_json("before_json"),
        after: opt_json("after_json"),
        ip: opt_text,
    }
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive lower bound, a date or an instant.
    pub from: Option<String>,
    /// Exclusive upper bound on the day: entries up to the end of that date.
    pub until: Option<String>,
}

pub async fn list(
    pool: &sqlx::AnyPool,
    f: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEntry>> {
    let mut filter = Filter::default();
    filter
        .eq("actor_name", f.actor.as_deref())
        .eq("entity", f.entity.as_deref())
        .eq("entity_id", f.entity_id.as_deref())
        .eq("action", f.action.as_deref());
    if let Some(from) = f.from.as_deref().filter(|s| !s.trim().is_empty()) {
        filter.raw("at >= {}", from.trim().into());
    }
    if let Some(until) = f.until.as_deref().filter(|s| !s.trim().is_empty()) {
        filter.raw("at < {}", format!("{}~", until.trim()).into());
    }
    fetch_page(
        pool,
        "*",
        "audit_log",
        &filter,
        "at DESC, id DESC",
        page,
        AuditEntry::decode,
    )
    .await
}
