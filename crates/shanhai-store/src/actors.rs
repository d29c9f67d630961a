//! Who acted, as pages show them: the one place that turns an account (or a registry person)
//! into name, professional title and institution. Records keep the acting account's id; every
//! timeline, opinion, approval and audit entry is labelled through here, so a login never
//! reaches a page.

use crate::Result;
use crate::query::{self, opt_code, opt_text, text};
use shanhai_domain::accounts::ActorLabel;
use shanhai_domain::codes::Title;
use sqlx::AnyConnection;
use std::collections::{BTreeSet, HashMap};

/// An account is its linked person (name, title, the person's institution); an account without
/// one is its display name and its own institution.
const USERS: &str = "SELECT u.id AS key, COALESCE(p.name, u.display_name) AS name, p.title AS title, \
    i.name AS institution FROM users u LEFT JOIN people p ON p.id = u.person_id \
    LEFT JOIN institutions i ON i.id = COALESCE(p.institution_id, u.institution_id) WHERE u.id IN";

/// The same, by login: for steps recorded with a login and no account id (before accounts were
/// linked to people, or by a loader acting in an account's name).
const LOGINS: &str = "SELECT u.username AS key, COALESCE(p.name, u.display_name) AS name, \
    p.title AS title, i.name AS institution FROM users u LEFT JOIN people p ON p.id = u.person_id \
    LEFT JOIN institutions i ON i.id = COALESCE(p.institution_id, u.institution_id) \
    WHERE u.username IN";

const PEOPLE: &str = "SELECT p.id AS key, p.name AS name, p.title AS title, i.name AS institution \
    FROM people p LEFT JOIN institutions i ON i.id = p.institution_id WHERE p.id IN";

async fn labels<'a>(
    conn: &mut AnyConnection,
    select: &str,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, ActorLabel>> {
    let ids: BTreeSet<&str> = ids.into_iter().filter(|i| !i.is_empty()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let rows = query::sql_with(
        format!("{select} ({})", marks.join(", ")),
        ids.iter().map(|i| (*i).into()).collect(),
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                text(r, "key")?,
                ActorLabel {
                    name: text(r, "name")?,
                    title: opt_code(r, "title", Title::parse)?,
                    institution: opt_text(r, "institution")?,
                },
            ))
        })
        .collect()
}

/// The labels of these accounts, by account id (unknown ids are left out).
pub async fn users_on<'a>(
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, ActorLabel>> {
    labels(conn, USERS, ids).await
}

/// The labels of these registry people, by person id.
pub async fn people_on<'a>(
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, ActorLabel>> {
    labels(conn, PEOPLE, ids).await
}

/// The labels of these accounts, from the pool.
pub async fn users(db: &crate::Db, ids: &[String]) -> Result<HashMap<String, ActorLabel>> {
    let mut conn = db.pool().acquire().await?;
    users_on(&mut conn, ids.iter().map(String::as_str)).await
}

/// The label of whoever took each of these timeline steps (rows with an `actor_id` and an
/// `actor_name`), in order; a step without an account id is matched by the login it recorded.
pub async fn of_steps_on(
    conn: &mut AnyConnection,
    steps: &[sqlx::any::AnyRow],
) -> Result<Vec<Option<ActorLabel>>> {
    let keys = steps
        .iter()
        .map(|r| Ok((opt_text(r, "actor_id")?, text(r, "actor_name")?)))
        .collect::<Result<Vec<_>>>()?;
    let by_id = users_on(conn, keys.iter().filter_map(|(id, _)| id.as_deref())).await?;
    let by_login = labels(
        conn,
        LOGINS,
        keys.iter()
            .filter(|(id, _)| id.is_none())
            .map(|(_, login)| login.as_str()),
    )
    .await?;
    Ok(keys
        .iter()
        .map(|(id, login)| match id {
            Some(id) => by_id.get(id).cloned(),
            None => by_login.get(login).cloned(),
        })
        .collect())
}
