//! Where webhooks may send events. A webhook is registered by a coordinator but POSTed by the
//! server, so without a policy any coordinator could make the server reach its own loopback,
//! the hospital's private network or a cloud metadata endpoint. The same rules apply when a URL
//! is registered (to its literal host) and when an event is delivered (to every address the
//! host resolves to); an allow-list set by the operator admits on-premises receivers.

use crate::Invalid;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Longest receiving URL accepted, in bytes.
const MAX_URL_LEN: usize = 500;

/// Checks a webhook URL as it is registered and again before each delivery: `http` or `https`,
/// a host, no credentials, at most [`MAX_URL_LEN`] bytes, and a host that is neither `localhost`
/// nor a literal address in a forbidden range (see [`forbidden`]) unless `allow` admits it.
/// The host is read the way the URL parser used for delivery reads it (WHATWG), so `2130706433`,
/// `0x7f000001`, `0177.0.0.1` and `127.1` are all 127.0.0.1. Answers the normalized URL.
pub fn checked_url(raw: &str, allow: &WebhookAllow) -> Result<Url, Invalid> {
    let raw = raw.trim();
    let shape = || Invalid::new("url", "error.webhook_url");
    if raw.len() > MAX_URL_LEN || raw.chars().any(char::is_whitespace) {
        return Err(shape());
    }
    let url = Url::parse(raw).map_err(|_| shape())?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(shape());
    }
    let refused = || Invalid::new("url", "error.webhook_destination");
    match url.host() {
        None => return Err(shape()),
        Some(Host::Domain(name)) => {
            if is_localhost(name) && !allow.allows_name(name) {
                return Err(refused());
            }
        }
        Some(Host::Ipv4(ip)) => {
            if forbidden(IpAddr::V4(ip)) && !allow.allows_addr(IpAddr::V4(ip)) {
                return Err(refused());
            }
        }
        Some(Host::Ipv6(ip)) => {
            if forbidden(IpAddr::V6(ip)) && !allow.allows_addr(IpAddr::V6(ip)) {
                return Err(refused());
            }
        }
    }
    Ok(url)
}

/// Whether a delivery to `host` may connect to these resolved addresses: every one must be
/// allowed, since the connection may go to any of them (and a name that answers one public and
/// one private address is how DNS rebinding reaches inside). A host named in the allow-list is
/// trusted whatever it resolves to; an empty answer is refused.
pub fn resolved_allowed(host: &str, addrs: &[IpAddr], allow: &WebhookAllow) -> bool {
    if allow.allows_name(host) {
        return true;
    }
    !addrs.is_empty()
        && addrs
            .iter()
            .all(|ip| !forbidden(*ip) || allow.allows_addr(*ip))
}

/// `localhost` and every name under it (RFC 6761), with or without the root's trailing dot.
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Addresses a webhook must not reach: loopback, private (RFC 1918), carrier-grade NAT, link-local
/// (including cloud metadata at 169.254.169.254), unique-local, unspecified, multicast, broadcast,
/// documentation, benchmarking and reserved ranges, and IPv6 forms that carry an IPv4 address
/// (mapped, compatible, NAT64, 6to4) when the carried address is one of those.
fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

const FORBIDDEN_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network", 0.0.0.0
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local, cloud metadata
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, 255.255.255.255 broadcast
];

const FORBIDDEN_V6: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x0100, 0, 0, 0, 0, 0, 0, 0), 64), // discard
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32), // Teredo (the IPv4 inside is obscured)
    (Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x0064, 0xff9b, 0x0001, 0, 0, 0, 0, 0), 48), // local-use NAT64
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),  // unique-local
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10), // link-local
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10), // site-local (deprecated)
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),  // multicast
];

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    FORBIDDEN_V4
        .iter()
        .any(|(net, len)| Net::V4(*net, *len).contains(IpAddr::V4(ip)))
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let o = ip.octets();
    let last_v4 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    // ::/96 covers ::, ::1 and the deprecated IPv4-compatible form; ::ffff:0:0/96 is IPv4-mapped,
    // which the system connects to over IPv4.
    if s[..6] == [0; 6] || s[..6] == [0, 0, 0, 0, 0, 0xffff] {
        return s[..6] == [0; 6] || forbidden_v4(last_v4);
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they carry.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return forbidden_v4(last_v4);
    }
    if s[0] == 0x2002 {
        return forbidden_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    FORBIDDEN_V6
        .iter()
        .any(|(net, len)| Net::V6(*net, *len).contains(IpAddr::V6(ip)))
}

/// An address block, `address/prefix length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    V4(Ipv4Addr, u8),
    V6(Ipv6Addr, u8),
}

impl Net {
    fn contains(self, ip: IpAddr) -> bool {
        match (self, ip.to_canonical()) {
            (Net::V4(net, len), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (Net::V6(net, len), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    fn parse(entry: &str) -> Option<Net> {
        let (addr, len) = match entry.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
            None => (entry, None),
        };
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => {
                let len = len.unwrap_or(32);
                (len <= 32).then_some(Net::V4(a, len))
            }
            IpAddr::V6(a) => {
                let len = len.unwrap_or(128);
                (len <= 128).then_some(Net::V6(a, len))
            }
        }
    }
}

/// The operator's allow-list for on-premises receivers (`SHANHAI_WEBHOOK_ALLOW`): host names,
/// addresses and CIDR blocks that webhooks may reach although the rules above forbid them.
/// Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookAllow {
    names: Vec<String>,
    nets: Vec<Net>,
}

impl WebhookAllow {
    /// Parses a comma-separated list such as `his.hospital.local, 10.20.0.0/16, 192.168.1.5`;
    /// names the first entry that is neither a host name nor an address or block.
    pub fn parse(list: &str) -> Result<WebhookAllow, String> {
        let mut allow = WebhookAllow::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if let Some(net) = Net::parse(entry) {
                allow.nets.push(net);
            } else if let Some(name) = host_name(entry) {
                allow.names.push(name);
            } else {
                return Err(entry.to_string());
            }
        }
        Ok(allow)
    }

    fn allows_name(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.contains(&host)
    }

    fn allows_addr(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }
}

/// A host name as the URL parser would leave it (lower case, ASCII), or `None`.
fn host_name(entry: &str) -> Option<String> {
    let name = entry.trim_end_matches('.').to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        // A name of digits only would be read as an address by the URL parser.
        && !name.chars().all(|c| c.is_ascii_digit() || c == '.');
    ok.then_some(name)
}

/// Why a delivery failed, as stored and shown: never the transport's own words, which would tell
/// an open port from a closed one or a timeout from a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryError {
    /// No acceptable answer: the destination was not allowed, did not resolve, refused the
    /// connection, or did not answer in time.
    Failed,
    /// The receiver answered a redirect, which is not followed.
    Http3xx,
    Http4xx,
    Http5xx,
}

impl DeliveryError {
    /// The outcome of an answer with this HTTP status; `None` for success (2xx).
    pub fn from_status(status: u16) -> Option<DeliveryError> {
        match status {
            200..=299 => None,
            300..=399 => Some(DeliveryError::Http3xx),
            400..=499 => Some(DeliveryError::Http4xx),
            500..=599 => Some(DeliveryError::Http5xx),
            _ => Some(DeliveryError::Failed),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            DeliveryError::Failed => "failed",
            DeliveryError::Http3xx => "http_3xx",
            DeliveryError::Http4xx => "http_4xx",
            DeliveryError::Http5xx => "http_5xx",
        }
    }

    /// Reads a stored code; anything else (such as the transport messages stored before codes
    /// were) reads as [`DeliveryError::Failed`].
    pub fn from_stored(stored: &str) -> DeliveryError {
        [
            DeliveryError::Http3xx,
            DeliveryError::Http4xx,
            DeliveryError::Http5xx,
        ]
        .into_iter()
        .find(|e| e.code() == stored)
        .unwrap_or(DeliveryError::Failed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
    use super::*;

    fn refused(url: &str) -> bool {
        checked_url(url, &WebhookAllow::default())
            .is_err_and(|e| e.field == "url" && e.key == "error.webhook_destination")
    }

    #[test]
    fn loopback_private_and_metadata_hosts_are_refused_in_every_spelling() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://127.9.9.9/",
            "http://2130706433:18999/",
            "http://0x7f000001/",
            "http://0x7F.0.0.1/",
            "http://%31%32%37.0.0.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://127.0.1/",
            "http://0/",
            "http://0.0.0.0/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://ｌｏｃａｌｈｏｓｔ/",
            "http://１２７.０.０.１/",
            "http://[::1]/",
            "http://[::]/",
            "http://[0:0:0:0:0:0:0:1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:c0a8:0101::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/",
            "http://10.0.0.5/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://100.127.255.255/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[fe80::1]/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[ff02::1]/",
            "https://192.168.0.10:8443/events",
        ] {
            assert!(refused(url), "{url} was accepted");
        }
    }

    #[test]
    fn public_addresses_and_names_pass() {
        for url in [
            "https://his.example.cn/shanhai/events",
            "http://8.8.8.8/",
            "http://172.32.0.1/",
            "http://172.15.255.255/",
            "http://100.128.0.1/",
            "http://169.253.1.1/",
            "http://[2400:3200::1]/",
            "http://[::ffff:8.8.8.8]/",
            "http://localhost.example.cn/",
            "http://医院.cn/events",
        ] {
            assert!(
                checked_url(url, &WebhookAllow::default()).is_ok(),
                "{url} was refused"
            );
        }
    }

    #[test]
    fn only_http_urls_with_a_host_and_no_credentials() {
        for url in [
            "ftp://x",
            "file:///etc/passwd",
            "gopher://example.cn/",
            "http://",
            "https://user:pw@example.cn/",
            "http://example.cn/a b",
            "example.cn",
            "",
        ] {
            let e = checked_url(url, &WebhookAllow::default());
            assert_eq!(
                e.map_err(|e| e.key),
                Err("error.webhook_url"),
                "{url} was accepted"
            );
        }
        let long = format!("https://example.cn/{}", "a".repeat(MAX_URL_LEN));
        assert!(checked_url(&long, &WebhookAllow::default()).is_err());
    }

    #[test]
    fn the_checked_url_is_normalized_as_delivered() {
        let url = checked_url("HTTP://His.Example.CN:80/a", &WebhookAllow::default());
        assert_eq!(
            url.map(|u| u.to_string()).ok().as_deref(),
            Some("http://his.example.cn/a")
        );
    }

    #[test]
    fn the_allow_list_admits_named_hosts_addresses_and_blocks() {
        let allow = WebhookAllow::parse(" his.local., 127.0.0.1 ,10.20.0.0/16,[::1], fd00::/8")
            .expect("valid list");
        for url in [
            "http://his.local/x",
            "http://127.0.0.1:9000/",
            "http://2130706433/",
            "http://[::ffff:127.0.0.1]/",
            "http://10.20.3.4/",
            "http://[::1]/",
            "http://[fd00::5]/",
        ] {
            assert!(checked_url(url, &allow).is_ok(), "{url} was refused");
        }
        for url in [
            "http://127.0.0.2/",
            "http://10.21.0.1/",
            "http://localhost/",
        ] {
            assert!(checked_url(url, &allow).is_err(), "{url} was accepted");
        }
        for bad in ["10.0.0.0/33", "a b", "1.2.3", "http://x", "::1/129"] {
            assert_eq!(WebhookAllow::parse(bad), Err(bad.to_string()));
        }
        assert!(WebhookAllow::parse("").is_ok_and(|a| a.names.is_empty() && a.nets.is_empty()));
    }

    #[test]
    fn every_resolved_address_must_be_allowed() {
        let none = WebhookAllow::default();
        let public: IpAddr = "8.8.8.8".parse().expect("ip");
        let inside: IpAddr = "10.0.0.1".parse().expect("ip");
        assert!(resolved_allowed("his.example.cn", &[public], &none));
        assert!(!resolved_allowed(
            "his.example.cn",
            &[public, inside],
            &none
        ));
        assert!(!resolved_allowed("his.example.cn", &[], &none));
        let by_block = WebhookAllow::parse("10.0.0.0/8").expect("list");
        assert!(resolved_allowed(
            "his.example.cn",
            &[public, inside],
            &by_block
        ));
        let by_name = WebhookAllow::parse("his.example.cn").expect("list");
        assert!(resolved_allowed("HIS.example.cn.", &[inside], &by_name));
        assert!(!resolved_allowed("other.example.cn", &[inside], &by_name));
    }

    #[test]
    fn delivery_errors_are_codes_without_transport_detail() {
        assert_eq!(DeliveryError::from_status(204), None);
        assert_eq!(
            DeliveryError::from_status(302),
            Some(DeliveryError::Http3xx)
        );
        assert_eq!(
            DeliveryError::from_stored("error sending request: connection refused"),
            DeliveryError::Failed
        );
        assert_eq!(
            DeliveryError::from_stored("http_5xx"),
            DeliveryError::Http5xx
        );
    }
}
