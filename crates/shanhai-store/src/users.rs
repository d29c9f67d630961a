//! Accounts, their passwords (argon2id), API tokens and UI sessions. Tokens and session ids are
//! random; only their SHA-256 is stored.

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, Page, PageRequest, fetch_page, text};
use crate::record::{self, Table};
use crate::row::{Decode, row};
use crate::{Db, Result, StoreError, institutions, programs};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use shanhai_domain::access::Principal;
use shanhai_domain::accounts::{NewUser, Scope, User, UserUpdate};
use shanhai_domain::codes::Role;
use shanhai_domain::{Invalid, accounts, validate};
use sqlx::AnyConnection;

/// How long a UI session lasts without signing in again.
pub const SESSION_HOURS: i64 = 12;

pub struct Users;

impl Table for Users {
    type Record = User;
    const TABLE: &'static str = "users";
    const ENTITY: &'static str = "user";
    const SELECT: &'static str = "*";
    const FROM: &'static str = "users";
    const ID: &'static str = "id";
    const CONFLICT: &'static str = "error.username_taken";
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<User> {
    record::get_on::<Users>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<User> {
    record::get::<Users>(db, id).await
}

row! {
    read User(row) {
        id: text,
        username: text,
        display_name: text,
        role: code(Role::parse),
        program_id: opt_text,
        institution_id: opt_text,
        person_id: opt_text,
        active: bool,
        created_at: text,
        updated_at: text,
    }
}

pub fn principal(user: &User) -> Principal {
    Principal {
        user_id: user.id.clone(),
        username: user.username.clone(),
        role: user.role,
        program_id: user.program_id.clone(),
        institution_id: user.institution_id.clone(),
    }
}

/// Hashes with argon2id on a blocking thread: hashing is deliberately slow.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Other(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| StoreError::Other(e.to_string()))?
}

async fn password_matches(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub(crate) fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub q: Option<String>,
    pub role: Option<String>,
    pub institution: Option<String>,
    pub program: Option<String>,
}

pub async fn list(db: &Db, f: &UserFilter, page: PageRequest) -> Result<Page<User>> {
    let mut filter = Filter::default();
    filter
        .search(&["username", "display_name"], f.q.as_deref())
        .eq("role", f.role.as_deref())
        .eq("institution_id", f.institution.as_deref())
        .eq("program_id", f.program.as_deref());
    fetch_page(
        db.pool(),
        "*",
        "users",
        &filter,
        "username",
        page,
        User::decode,
    )
    .await
}

async fn check_scope(conn: &mut AnyConnection, scope: &Scope) -> Result<()> {
    if let Some(p) = &scope.program_id {
        programs::require(conn, "program_id", p).await?;
    }
    if let Some(i) = &scope.institution_id {
        institutions::require(conn, "institution_id", i).await?;
    }
    Ok(())
}

pub async fn create(db: &Db, actor: &Actor, new: &NewUser) -> Result<User> {
    let hash = hash_password(new.password.clone()).await?;
    let mut tx = db.begin_write().await?;
    let user = create_on(&mut tx, actor, new, &hash).await?;
    tx.commit().await?;
    Ok(user)
}

/// Creates an account inside a transaction, with its password already hashed (hashing is slow
/// and must not hold the write lock).
pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewUser,
    password_hash: &str,
) -> Result<User> {
    check_scope(conn, &new.scope).await?;
    let columns = [
        "username",
        "display_name",
        "password_hash",
        "role",
        "program_id",
        "institution_id",
        "active",
        "person_id",
    ];
    // An account given no display name goes by its person's name, never by its login.
    let mut display_name = new.display_name.clone();
    if let Some(person) = &new.person_id {
        let person = crate::people::require(conn, "person_id", person).await?;
        if display_name == new.username {
            display_name = person.name;
        }
    }
    let args = vec![
        new.username.clone().into(),
        display_name.into(),
        password_hash.into(),
        new.scope.role.code().into(),
        new.scope.program_id.clone().into(),
        new.scope.institution_id.clone().into(),
        1i64.into(),
        new.person_id.clone().into(),
    ];
    record::insert::<Users>(conn, actor, &columns, args).await
}

pub async fn update(db: &Db, actor: &Actor, id: &str, change: &UserUpdate) -> Result<User> {
    let hash = match change.password.as_deref() {
        Some(p) => Some(hash_password(accounts::password(p)?).await?),
        None => None,
    };
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    let display_name = match change.display_name.as_deref() {
        Some(d) => validate::text("display_name", d, 50)?,
        None => before.display_name.clone(),
    };
    let role = change
        .role
        .clone()
        .unwrap_or_else(|| before.role.code().to_string());
    let program = change.program_id.clone().or(before.program_id.clone());
    let institution = change
        .institution_id
        .clone()
        .or(before.institution_id.clone());
    let scope = Scope::parse(&role, program.as_deref(), institution.as_deref())?;
    check_scope(&mut tx, &scope).await?;
    let active = change.active.unwrap_or(before.active);
    if actor.user_id.as_deref() == Some(id) && (!active || scope.role != before.role) {
        return Err(Invalid::new("role", "error.cannot_demote_self").into());
    }
    let mut columns = vec![
        "display_name",
        "role",
        "program_id",
        "institution_id",
        "active",
    ];
    let mut args: Vec<query::Arg> = vec![
        display_name.into(),
        scope.role.code().into(),
        scope.program_id.clone().into(),
        scope.institution_id.clone().into(),
        i64::from(active).into(),
    ];
    if let Some(hash) = hash {
        columns.push("password_hash");
        args.push(hash.into());
    }
    let after = record::update::<Users>(&mut tx, actor, id, &columns, args).await?;
    // A new password ends every token and session issued under the old one: whoever changed
    // it may be shutting out someone who learnt the old password.
    if !active || change.password.is_some() {
        revoke_all_on(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(after)
}

async fn revoke_all_on(conn: &mut AnyConnection, user_id: &str) -> Result<()> {
    query::sql_with(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL".into(),
        vec![crate::now().into(), user_id.into()],
    )
    .execute(&mut *conn)
    .await?;
    query::sql_with(
        "DELETE FROM sessions WHERE user_id = $1".into(),
        vec![user_id.into()],
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The active user with this username and password, or `None`. Takes about as long whether or
/// not the username exists.
pub async fn authenticate(db: &Db, username: &str, password: &str) -> Result<Option<User>> {
    let username = username.trim().to_ascii_lowercase();
    let row = query::sql_with(
        "SELECT * FROM users WHERE username = $1".into(),
        vec![username.into()],
    )
    .fetch_optional(db.pool())
    .await?;
    let (user, hash) = match &row {
        Some(r) => (Some(User::decode(r)?), text(r, "password_hash")?),
        None => (None, DUMMY_HASH.to_string()),
    };
    let ok = password_matches(hash, password.to_string()).await;
    Ok(user.filter(|u| ok && u.active))
}

/// An argon2id hash of a random string, checked against when the username is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2hhbmhhaWR1bW15c2FsdA$5N3jS3mW0GRdwZJmWcQbmVvZBzGL0Cwh1w7aM5cJ0nE";

pub async fn issue_token(db: &Db, actor: &Actor, user: &User) -> Result<String> {
    let token = random_token("shk_");
    let mut tx = db.begin_write().await?;
    let id = shanhai_domain::ids::new_id();
    query::sql_with(
        query::insert_sql("api_tokens", &["id", "user_id", "token_hash", "created_at"]),
        vec![
            id.clone().into(),
            user.id.clone().into(),
            sha256_hex(&token).into(),
            crate::now().into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Login,
        "api_token",
        &id,
        None,
        Some(&serde_json::json!({"user": user.username})),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// When a token issued now stops working, given the tokens' lifetime.
pub fn token_expiry(issued_at: chrono::DateTime<chrono::Utc>, lifetime_hours: u32) -> String {
    (issued_at + chrono::Duration::hours(i64::from(lifetime_hours)))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The user behind a live API token: not revoked, and issued less than `lifetime_hours` ago
/// (so that a change of the configured lifetime applies to tokens already issued).
pub async fn user_for_token(
    db: &Db,
    token: &str,
    lifetime_hours: u32,
) -> Result<Option<(User, String)>> {
    let issued_after = (chrono::Utc::now() - chrono::Duration::hours(i64::from(lifetime_hours)))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let row = query::sql_with(
        "SELECT u.*, t.id AS token_id FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1 AND t.created_at > $2"
            .into(),
        vec![sha256_hex(token).into(), issued_after.into()],
    )
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((User::decode(&r)?, text(&r, "token_id")?)))
        .transpose()
}

pub async fn revoke_token(db: &Db, actor: &Actor, token_id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    query::sql_with(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL".into(),
        vec![crate::now().into(), token_id.into()],
    )
    .execute(&mut *tx)
    .await?;
    audit::record::<(), ()>(
        &mut tx,
        actor,
        Action::Logout,
        "api_token",
        token_id,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A UI session: the cookie value and the CSRF token its forms carry.
pub struct NewSession {
    pub cookie: String,
    pub csrf: String,
}

pub async fn create_session(db: &Db, actor: &Actor, user: &User) -> Result<NewSession> {
    let cookie = random_token("");
    let csrf = random_token("");
    let now = chrono::Utc::now();
    let expires = now + chrono::Duration::hours(SESSION_HOURS);
    let mut tx = db.begin_write().await?;
    query::sql_with(
        "DELETE FROM sessions WHERE expires_at < $1".into(),
        vec![crate::now().into()],
    )
    .execute(&mut *tx)
    .await?;
    query::sql_with(
        query::insert_sql(
            "sessions",
            &[
                "token_hash",
                "user_id",
                "csrf_token",
                "created_at",
                "expires_at",
            ],
        ),
        vec![
            sha256_hex(&cookie).into(),
            user.id.clone().into(),
            csrf.clone().into(),
            crate::now().into(),
            expires
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Login,
        "session",
        &user.id,
        None,
        Some(&serde_json::json!({"user": user.username})),
    )
    .await?;
    tx.commit().await?;
    Ok(NewSession { cookie, csrf })
}

/// The user and CSRF token of a live session.
pub async fn session(db: &Db, cookie: &str) -> Result<Option<(User, String)>> {
    let row = query::sql_with(
        "SELECT u.*, s.csrf_token AS csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1"
            .into(),
        vec![sha256_hex(cookie).into(), crate::now().into()],
    )
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((User::decode(&r)?, text(&r, "csrf_token")?)))
        .transpose()
}

pub async fn end_session(db: &Db, actor: &Actor, cookie: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    query::sql_with(
        "DELETE FROM sessions WHERE token_hash = $1".into(),
        vec![sha256_hex(cookie).into()],
    )
    .execute(&mut *tx)
    .await?;
    audit::record::<(), ()>(
        &mut tx,
        actor,
        Action::Logout,
        "session",
        actor.user_id.as_deref().unwrap_or(""),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn count(db: &Db) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(db.pool())
        .await?;
    query::int(&row, "n")
}

pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<User>> {
    let row = query::sql_with(
        "SELECT * FROM users WHERE username = $1".into(),
        vec![username.to_ascii_lowercase().into()],
    )
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| User::decode(&r)).transpose()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stand_in_hash_for_unknown_users_is_a_real_argon2id_hash() {
        assert!(argon2::password_hash::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}
