//! Who is calling. The API takes bearer tokens; the pages take a session cookie, and every form
//! they post carries the session's CSRF token. Failed sign-ins are throttled per address and
//! username.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use shanhai_domain::access::Principal;
use shanhai_domain::accounts::User;
use shanhai_service::Acting;
use shanhai_store::audit::Actor;
use shanhai_store::users;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "shanhai_session";

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The caller's network address, when the server knows it.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// An authenticated caller of the API.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub principal: Principal,
    pub token_id: String,
    pub ip: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id.clone()),
            name: self.user.username.clone(),
            ip: self.ip.clone(),
        }
    }

    /// The caller as the service layer sees them.
    pub fn acting(&self) -> Acting {
        Acting {
            principal: self.principal.clone(),
            actor: self.actor(),
            person_id: self.user.person_id.clone(),
            display_name: self.user.display_name.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A download from the pages: the export layer has checked the session cookie.
        if let Some(crate::api::export::SessionUser(user)) = parts.extensions.get().cloned() {
            return Ok(Caller {
                principal: users::principal(&user),
                user,
                token_id: String::new(),
                ip: client_ip(parts),
            });
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() < 200)
            .ok_or_else(ApiError::unauthorized)?;
        let (user, token_id) =
            users::user_for_token(&state.db, token, state.config.token_lifetime_hours)
                .await?
                .ok_or_else(ApiError::unauthorized)?;
        Ok(Caller {
            principal: users::principal(&user),
            user,
            token_id,
            ip: client_ip(parts),
        })
    }
}

pub use shanhai_service::AccessFacts;

/// A token bucket per client address for the public endpoints: `per_minute` requests a minute,
/// with bursts up to the same number.
pub struct RateLimit {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimit {
    pub fn per_minute(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when the address has used its allowance.
    pub fn check(&self, ip: Option<&str>) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let capacity = f64::from(self.per_minute);
        let rate = capacity / 60.0;
        if buckets.len() > 100_000 {
            buckets.retain(|_, (_, at)| at.elapsed() < Duration::from_secs(120));
        }
        let now = Instant::now();
        let (tokens, at) = buckets
            .entry(ip.unwrap_or("-").to_string())
            .or_insert((capacity, now));
        *tokens = (*tokens + at.elapsed().as_secs_f64() * rate).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// A caller of the public endpoints, within the rate limit.
pub struct PublicCaller {
    pub ip: Option<String>,
}

impl PublicCaller {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: None,
            name: "public".into(),
            ip: self.ip.clone(),
        }
    }
}

impl FromRequestParts<AppState> for PublicCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = client_ip(parts);
        state
            .rate_limit
            .check(ip.as_deref())
            .map_err(|wait| ApiError {
                retry_after: Some(wait),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    "error.rate_limited",
                )
            })?;
        Ok(PublicCaller { ip })
    }
}

/// Counts sign-in attempts that have not succeeded, per (address, username) and per address
/// across usernames. An attempt is counted when it starts, before the slow password check, so
/// that parallel guesses cannot all pass the check before the first failure is known; a success
/// takes its own attempt back and forgets the username's failures.
#[derive(Default)]
pub struct LoginThrottle {
    counts: Mutex<ThrottleCounts>,
}

#[derive(Default)]
struct ThrottleCounts {
    by_username: HashMap<String, (u32, Instant)>,
    by_address: HashMap<String, (u32, Instant)>,
}

/// One counter of a window: refuses once `limit` is reached, else counts one more.
fn take(map: &mut HashMap<String, (u32, Instant)>, key: String, limit: u32) -> Result<(), u64> {
    if map.len() > 100_000 {
        map.retain(|_, (_, since)| since.elapsed() < LoginThrottle::WINDOW);
    }
    let entry = map.entry(key).or_insert((0, Instant::now()));
    if entry.1.elapsed() >= LoginThrottle::WINDOW {
        *entry = (0, Instant::now());
    }
    if entry.0 >= limit {
        return Err(LoginThrottle::WINDOW
            .saturating_sub(entry.1.elapsed())
            .as_secs()
            .max(1));
    }
    entry.0 += 1;
    Ok(())
}

impl LoginThrottle {
    /// Attempts not ending in success allowed per address and username within [`Self::WINDOW`].
    pub const MAX_FAILURES: u32 = 5;
    /// Attempts not ending in success allowed per address, whatever the username.
    pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn username_key(ip: Option<&str>, username: &str) -> String {
        format!(
            "{}|{}",
            ip.unwrap_or("-"),
            username.trim().to_ascii_lowercase()
        )
    }

    /// Counts an attempt before the password is checked; `Err(seconds to wait)` when the
    /// address, or the address with this username, has used its allowance.
    pub fn attempt(&self, ip: Option<&str>, username: &str) -> Result<(), u64> {
        let Ok(mut counts) = self.counts.lock() else {
            return Err(Self::WINDOW.as_secs());
        };
        let address = ip.unwrap_or("-").to_string();
        let user_key = Self::username_key(ip, username);
        if let Some((n, since)) = counts.by_address.get(&address)
            && *n >= Self::MAX_FAILURES_PER_ADDRESS
            && since.elapsed() < Self::WINDOW
        {
            return Err(Self::WINDOW
                .saturating_sub(since.elapsed())
                .as_secs()
                .max(1));
        }
        take(&mut counts.by_username, user_key, Self::MAX_FAILURES)?;
        take(
            &mut counts.by_address,
            address,
            Self::MAX_FAILURES_PER_ADDRESS,
        )
    }

    /// The attempt succeeded: it does not count, and the username's earlier failures from this
    /// address are forgotten.
    pub fn succeeded(&self, ip: Option<&str>, username: &str) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.by_username.remove(&Self::username_key(ip, username));
            if let Some(entry) = counts.by_address.get_mut(ip.unwrap_or("-")) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }
}

/// Checks a username and password, with throttling. The error is the same whether the username
/// or the password was wrong.
pub async fn sign_in(
    state: &AppState,
    ip: Option<&str>,
    username: &str,
    password: &str,
) -> Result<User, ApiError> {
    if let Err(wait) = state.throttle.attempt(ip, username) {
        return Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "error.login_throttled",
            )
        });
    }
    match users::authenticate(&state.db, username, password).await? {
        Some(user) => {
            state.throttle.succeeded(ip, username);
            Ok(user)
        }
        None => Err(ApiError {
            key: "error.bad_credentials",
            ..ApiError::unauthorized()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_locks_after_repeated_failures_and_forgets_on_success() {
        let t = LoginThrottle::default();
        for _ in 0..LoginThrottle::MAX_FAILURES {
            assert!(t.attempt(Some("1.2.3.4"), "admin").is_ok());
        }
        assert!(t.attempt(Some("1.2.3.4"), "Admin").is_err());
        assert!(t.attempt(Some("5.6.7.8"), "admin").is_ok());
        t.succeeded(Some("1.2.3.4"), "admin");
        assert!(t.attempt(Some("1.2.3.4"), "admin").is_ok());
    }

    #[test]
    fn one_address_is_slowed_down_across_usernames() {
        let t = LoginThrottle::default();
        for i in 0..LoginThrottle::MAX_FAILURES_PER_ADDRESS {
            assert!(t.attempt(Some("1.2.3.4"), &format!("user{i}")).is_ok());
        }
        assert!(t.attempt(Some("1.2.3.4"), "someone-else").is_err());
        assert!(t.attempt(Some("5.6.7.8"), "someone-else").is_ok());
    }

    #[test]
    fn successes_do_not_use_up_the_address_allowance() {
        let t = LoginThrottle::default();
        for _ in 0..LoginThrottle::MAX_FAILURES_PER_ADDRESS * 3 {
            assert!(t.attempt(Some("1.2.3.4"), "office").is_ok());
            t.succeeded(Some("1.2.3.4"), "office");
        }
    }

    #[test]
    fn the_public_rate_limit_refuses_a_burst_and_can_be_switched_off() {
        let limit = RateLimit::per_minute(3);
        for _ in 0..3 {
            assert!(limit.check(Some("1.1.1.1")).is_ok());
        }
        assert!(limit.check(Some("1.1.1.1")).is_err());
        assert!(limit.check(Some("2.2.2.2")).is_ok());
        let off = RateLimit::per_minute(0);
        assert!((0..1000).all(|_| off.check(Some("1.1.1.1")).is_ok()));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; shanhai_session=abc; lang=en"
                .parse()
                .unwrap_or(header::HeaderValue::from_static("")),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "lang").as_deref(), Some("en"));
        assert_eq!(cookie(&h, "x"), None);
    }
}
