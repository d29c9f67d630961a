//! The delivery worker. Deliveries run concurrently so that one hospital's slow or dead receiver
//! cannot hold up another's events: each webhook has at most one delivery in flight (its own
//! queue), each institution at most [`DeliveryLimits::per_institution`], the server at most
//! [`DeliveryLimits::concurrent`], and every request ends within [`DeliveryLimits::timeout`].
//! Each connection goes only to an address checked against the destination policy
//! ([`shanhai_domain::webhooks`]): names are resolved by [`CheckedResolver`], which refuses the
//! whole answer if any address in it is forbidden, and redirects are never followed.

use super::signature;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use shanhai_domain::webhooks::{DeliveryError, WebhookAllow, checked_url, resolved_allowed};
use shanhai_store::Db;
use shanhai_store::webhooks::{self, Delivery};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;

/// How many deliveries run at once and how long each may take.
#[derive(Debug, Clone)]
pub struct DeliveryLimits {
    /// Deliveries in flight on this server, all institutions together.
    pub concurrent: usize,
    /// Deliveries in flight on this server for one institution's webhooks.
    pub per_institution: usize,
    /// Whole request, from resolving the name to the receiver's status line.
    pub timeout: Duration,
    /// Resolving the name and opening the connection.
    pub connect_timeout: Duration,
    /// How often the outbox is polled when no delivery has just finished.
    pub interval: Duration,
}

impl Default for DeliveryLimits {
    fn default() -> DeliveryLimits {
        DeliveryLimits {
            concurrent: 32,
            per_institution: 4,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            interval: Duration::from_millis(500),
        }
    }
}

type Lookup =
    fn(String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send + 'static>>;

fn system_lookup(
    host: String,
) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send + 'static>> {
    Box::pin(async move {
        Ok(tokio::net::lookup_host((host.as_str(), 0))
            .await?
            .map(|a| a.ip())
            .collect())
    })
}

/// Resolves a receiver's name and hands reqwest the addresses only if every one is allowed, so
/// the connection goes to an address that was checked, not to one a second lookup returns
/// (DNS rebinding).
struct CheckedResolver {
    allow: Arc<WebhookAllow>,
    lookup: Lookup,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let allow = self.allow.clone();
        let lookup = (self.lookup)(host.clone());
        Box::pin(async move {
            let addrs = lookup.await?;
            if !resolved_allowed(&host, &addrs, &allow) {
                tracing::warn!(
                    host,
                    ?addrs,
                    "webhook refused: the host resolves to an address that is not allowed \
                     (SHANHAI_WEBHOOK_ALLOW admits on-premises receivers)"
                );
                return Err(std::io::Error::other("destination not allowed").into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

fn client(
    allow: Arc<WebhookAllow>,
    lookup: Lookup,
    limits: &DeliveryLimits,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(limits.timeout)
        .connect_timeout(limits.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the name itself, past the check.
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver { allow, lookup }))
        .build()
}

/// One attempt. The transport's own error goes to the server log only: the stored outcome is a
/// code that does not tell a refused connection from a timeout or a forbidden destination.
async fn deliver(
    client: &reqwest::Client,
    allow: &WebhookAllow,
    d: &Delivery,
) -> Option<DeliveryError> {
    // Checked again because literal addresses never reach the resolver, and the URL may predate
    // the policy or a narrower allow-list.
    let url = match checked_url(&d.url, allow) {
        Ok(url) => url,
        Err(_) => {
            tracing::warn!(webhook = %d.webhook_id, "webhook refused: its URL is not allowed");
            return Some(DeliveryError::Failed);
        }
    };
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-shanhai-event", &d.event)
        .header("x-shanhai-delivery", &d.id)
        .header("x-shanhai-signature", signature(&d.secret, &d.payload))
        .body(d.payload.clone())
        .send()
        .await;
    match sent {
        Ok(r) => DeliveryError::from_status(r.status().as_u16()),
        Err(e) => {
            tracing::info!(webhook = %d.webhook_id, error = ?e, "webhook delivery failed");
            Some(DeliveryError::Failed)
        }
    }
}

/// Deliveries in flight on this server.
#[derive(Debug, Default)]
struct InFlight {
    total: usize,
    per_institution: HashMap<String, usize>,
}

impl InFlight {
    fn at_quota(&self, limits: &DeliveryLimits) -> BTreeSet<String> {
        self.per_institution
            .iter()
            .filter(|(_, n)| **n >= limits.per_institution)
            .map(|(i, _)| i.clone())
            .collect()
    }

    /// The due deliveries (oldest first) that fit: one per webhook, within the institution's
    /// quota and the server's cap.
    fn pick(&self, due: Vec<Delivery>, limits: &DeliveryLimits) -> Vec<Delivery> {
        let mut total = self.total;
        let mut per = self.per_institution.clone();
        let mut hooks = HashSet::new();
        due.into_iter()
            .filter(|d| {
                let n = per.entry(d.institution_id.clone()).or_default();
                if total >= limits.concurrent
                    || *n >= limits.per_institution
                    || !hooks.insert(d.webhook_id.clone())
                {
                    return false;
                }
                *n += 1;
                total += 1;
                true
            })
            .collect()
    }
}

/// A delivery's place in [`InFlight`], given back when it is dropped.
struct Slot {
    in_flight: Arc<Mutex<InFlight>>,
    institution: String,
}

impl Slot {
    fn take(in_flight: &Arc<Mutex<InFlight>>, institution: &str) -> Slot {
        let mut f = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        f.total += 1;
        *f.per_institution
            .entry(institution.to_string())
            .or_default() += 1;
        Slot {
            in_flight: in_flight.clone(),
            institution: institution.to_string(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut f = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f.total = f.total.saturating_sub(1);
        if let Some(n) = f.per_institution.get_mut(&self.institution) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                f.per_institution.remove(&self.institution);
            }
        }
    }
}

/// Delivers due outbox events, forever: polls every `limits.interval`, and at once whenever a
/// delivery finishes and frees a place.
pub async fn worker(db: Db, allow: WebhookAllow, limits: DeliveryLimits) {
    let allow = Arc::new(allow);
    let client = match client(allow.clone(), system_lookup, &limits) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhook deliveries are off: {e}");
            return;
        }
    };
    let in_flight = Arc::new(Mutex::new(InFlight::default()));
    let wake = Arc::new(Notify::new());
    loop {
        // The server is stopping (crate::stop::finish closed the pool).
        if db.pool().is_closed() {
            return;
        }
        let (free, busy) = {
            let f = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
            (
                limits.concurrent.saturating_sub(f.total),
                f.at_quota(&limits),
            )
        };
        if free > 0 {
            let started = async {
                let due = webhooks::due(&db, (free * 4) as i64, &busy).await?;
                let picked = in_flight
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pick(due, &limits);
                webhooks::claim(&db, picked).await
            }
            .await;
            match started {
                Ok(claimed) => {
                    for d in claimed {
                        let slot = Slot::take(&in_flight, &d.institution_id);
                        let (client, allow, db, wake) =
                            (client.clone(), allow.clone(), db.clone(), wake.clone());
                        tokio::spawn(async move {
                            let error = deliver(&client, &allow, &d).await;
                            if let Err(e) = webhooks::finish(&db, &d, error).await {
                                tracing::warn!("webhook outbox: {e}");
                            }
                            drop(slot);
                            wake.notify_one();
                        });
                    }
                }
                Err(e) => tracing::warn!("webhook outbox: {e}"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(limits.interval) => {}
            _ = wake.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn delivery(id: &str, webhook: &str, institution: &str, url: &str) -> Delivery {
        Delivery {
            id: id.into(),
            webhook_id: webhook.into(),
            institution_id: institution.into(),
            url: url.into(),
            secret: "s3cret-s3cret-s3cret".into(),
            event: "consultation.requested".into(),
            payload: "{}".into(),
            attempts: 0,
        }
    }

    #[test]
    fn picks_one_per_webhook_within_the_quota_and_the_cap() {
        let limits = DeliveryLimits {
            concurrent: 5,
            per_institution: 2,
            ..DeliveryLimits::default()
        };
        let due = vec![
            delivery("1", "a1", "A", ""),
            delivery("2", "a1", "A", ""),
            delivery("3", "a2", "A", ""),
            delivery("4", "a3", "A", ""),
            delivery("5", "b1", "B", ""),
            delivery("6", "c1", "C", ""),
            delivery("7", "d1", "D", ""),
            delivery("8", "e1", "E", ""),
        ];
        let mut in_flight = InFlight::default();
        let ids = |v: Vec<Delivery>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(
            ids(in_flight.pick(due.clone(), &limits)),
            ["1", "3", "5", "6", "7"]
        );
        in_flight.total = 1;
        in_flight.per_institution.insert("A".into(), 1);
        assert_eq!(
            ids(in_flight.pick(due.clone(), &limits)),
            ["1", "5", "6", "7"]
        );
        assert_eq!(
            in_flight.at_quota(&DeliveryLimits {
                per_institution: 1,
                ..limits
            }),
            BTreeSet::from(["A".to_string()])
        );
    }

    #[test]
    fn a_slot_is_given_back_when_dropped() {
        let in_flight = Arc::new(Mutex::new(InFlight::default()));
        let a = Slot::take(&in_flight, "A");
        let b = Slot::take(&in_flight, "A");
        assert_eq!(in_flight.lock().map(|f| f.total).ok(), Some(2));
        drop(a);
        drop(b);
        let f = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(f.total, 0);
        assert!(f.per_institution.is_empty());
    }

    fn rebinding_lookup(
        _host: String,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send + 'static>> {
        // A name that answers one public address and the loopback, as a rebinding attacker's would.
        Box::pin(async {
            Ok(vec![
                IpAddr::from([93, 184, 216, 34]),
                IpAddr::from([127, 0, 0, 1]),
            ])
        })
    }

    fn loopback_lookup(
        _host: String,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send + 'static>> {
        Box::pin(async { Ok(vec![IpAddr::from([127, 0, 0, 1])]) })
    }

    /// A local receiver counting the connections it accepts; answers 204.
    async fn receiver() -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buf = vec![0u8; 8192];
                    let _ = stream.read(&mut buf).await;
                    let _ = stream
                        .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        (port, seen)
    }

    #[tokio::test]
    async fn a_name_resolving_to_a_forbidden_address_is_never_connected_to() {
        let (port, seen) = receiver().await;
        let d = delivery(
            "1",
            "w",
            "A",
            &format!("http://rebind.example.cn:{port}/hook"),
        );

        let none = Arc::new(WebhookAllow::default());
        let refusing =
            client(none.clone(), rebinding_lookup, &DeliveryLimits::default()).expect("client");
        assert_eq!(
            deliver(&refusing, &none, &d).await,
            Some(DeliveryError::Failed)
        );
        assert_eq!(seen.load(Ordering::SeqCst), 0, "a connection was made");

        // Allowed, the same client connects: the resolver, not something else, kept it out.
        let allow = Arc::new(WebhookAllow::parse("127.0.0.1").expect("list"));
        let admitting =
            client(allow.clone(), loopback_lookup, &DeliveryLimits::default()).expect("client");
        assert_eq!(deliver(&admitting, &allow, &d).await, None);
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_literal_forbidden_address_stored_before_the_policy_is_not_dialled() {
        let (port, seen) = receiver().await;
        let none = Arc::new(WebhookAllow::default());
        let c = client(none.clone(), system_lookup, &DeliveryLimits::default()).expect("client");
        for url in [
            format!("http://127.0.0.1:{port}/hook"),
            format!("http://2130706433:{port}/hook"),
            format!("http://localhost:{port}/hook"),
        ] {
            let d = delivery("1", "w", "A", &url);
            assert_eq!(deliver(&c, &none, &d).await, Some(DeliveryError::Failed));
        }
        assert_eq!(seen.load(Ordering::SeqCst), 0, "a connection was made");
    }
}
