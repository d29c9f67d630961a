//! The server under test and what every benchmark says to it: the `shanhai serve` process
//! (started on the demo data's database, stopped with SIGTERM), its memory, the demo registry
//! and its admin's token, clinic sessions, valid booking bodies, and latency samples.

use crate::pg::{free_port, workspace_root};
use anyhow::{Context, Result, anyhow, bail};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// target/release/shanhai (or under CARGO_TARGET_DIR), built when missing.
/// `explicit` (a `--server PATH`) when given.
pub fn server_binary(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("release").join("shanhai");
    if !bin.exists() {
        eprintln!(
            "{} is missing: cargo build --release -p shanhai",
            bin.display()
        );
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "shanhai"])
            .current_dir(&root)
            .status()
            .context("run cargo build")?;
        if !status.success() || !bin.exists() {
            bail!("cargo build --release -p shanhai failed");
        }
    }
    Ok(bin)
}

/// A directory removed at the end.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `shanhai serve` process; SIGTERM (then SIGKILL) when stopped or dropped.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    /// On a free port.
    pub async fn start(bin: &Path, data_dir: &Path, url: &str) -> Result<Server> {
        Server::start_on(bin, data_dir, url, free_port()?).await
    }

    pub async fn start_on(bin: &Path, data_dir: &Path, url: &str, port: u16) -> Result<Server> {
        let log = data_dir.join("serve.log");
        let log_file = std::fs::File::create(&log)?;
        let child = Command::new(bin)
            .args(["--lang", "en", "serve", "--data-dir"])
            .arg(data_dir)
            .args(["--database-url", url])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("SHANHAI_PUBLIC_RATE_LIMIT", "0")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        let mut server = Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
                && r.status() == StatusCode::OK
            {
                return Ok(server);
            }
            if let Some(child) = server.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "shanhai serve exited ({status}): {}",
                    std::fs::read_to_string(&server.log).unwrap_or_default()
                );
            }
            if Instant::now() > deadline {
                bail!("shanhai serve did not answer /healthz within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `Some(how it ended)` once the process has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.as_mut()?.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// Graceful stop: SIGTERM, up to 10 s, then SIGKILL.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A valid, distinct 18-character ID number for every `seq` below about 10 million
/// (birth dates from 1940 on, 1000 people a day).
pub fn id_number(seq: u32) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default()
        + chrono::Days::new(u64::from(seq / 1000));
    let body = format!("150203{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    let check = shanhai_domain::bookings::check_char(&body).unwrap_or('0');
    format!("{body}{check}")
}

pub fn phone(seq: u32) -> String {
    format!("139{:08}", seq % 100_000_000)
}

pub fn booking_body(seq: u32) -> Value {
    json!({"name": "王五", "phone": phone(seq), "id_number": id_number(seq)})
}

/// Latencies and counts of one kind of request.
#[derive(Default)]
pub struct Sample {
    pub ok: u64,
    pub errors: u64,
    pub first_errors: Vec<String>,
    pub latencies: Vec<Duration>,
}

impl Sample {
    pub fn merge(&mut self, other: Sample) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_errors.len() < 3 {
            self.first_errors.extend(other.first_errors);
            self.first_errors.truncate(3);
        }
        self.latencies.extend(other.latencies);
    }

    pub fn error(&mut self, what: String) {
        self.errors += 1;
        if self.first_errors.len() < 3 {
            self.first_errors.push(what);
        }
    }

    pub fn percentile(&mut self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i]
    }

    pub fn p50_p99(&mut self) -> String {
        format!(
            "p50 {:.1} ms, p99 {:.1} ms",
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99))
        )
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn shared_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(usize::MAX)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?)
}

pub async fn json_ok(r: reqwest::Response, expected: StatusCode, what: &str) -> Result<Value> {
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if status != expected {
        bail!("{what}: {status} {body}");
    }
    Ok(body)
}

/// The demo admin's token, the demo physicians (id, institution) and each institution's region.
pub async fn demo_registry(
    client: &reqwest::Client,
    base: &str,
) -> Result<(String, Vec<(String, String)>, Vec<(String, String)>)> {
    let token = json_ok(
        client
            .post(format!("{base}/api/v1/auth/token"))
            .json(&json!({"username": "admin", "password": "shanhai-demo"}))
            .send()
            .await?,
        StatusCode::CREATED,
        "sign in as the demo admin",
    )
    .await?["token"]
        .as_str()
        .ok_or_else(|| anyhow!("no token"))?
        .to_string();
    let people = json_ok(
        client
            .get(format!("{base}/api/v1/people?per_page=200"))
            .bearer_auth(&token)
            .send()
            .await?,
        StatusCode::OK,
        "list people",
    )
    .await?;
    let people: Vec<(String, String)> = people["items"]
        .as_array()
        .ok_or_else(|| anyhow!("no people"))?
        .iter()
        // Only physicians hold clinic sessions (nurses and technicians do not).
        .filter(|p| {
            p["title"]
                .as_str()
                .is_some_and(|t| t.ends_with("physician"))
        })
        .filter_map(|p| {
            Some((
                p["id"].as_str()?.to_string(),
                p["institution_id"].as_str()?.to_string(),
            ))
        })
        .collect();
    let institutions = json_ok(
        client
            .get(format!("{base}/api/v1/institutions?per_page=200"))
            .bearer_auth(&token)
            .send()
            .await?,
        StatusCode::OK,
        "list institutions",
    )
    .await?;
    let institutions = institutions["items"]
        .as_array()
        .ok_or_else(|| anyhow!("no institutions"))?
        .iter()
        .filter_map(|i| {
            Some((
                i["id"].as_str()?.to_string(),
                i["region_code"].as_str()?.to_string(),
            ))
        })
        .collect();
    if people.is_empty() {
        bail!("the demo data has no people");
    }
    Ok((token, people, institutions))
}

pub async fn create_session(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    (expert, institution): &(String, String),
    days_ahead: u64,
    capacity: u32,
) -> Result<String> {
    let date = (shanhai_store::today() + chrono::Days::new(days_ahead)).to_string();
    let body = json_ok(
        client
            .post(format!("{base}/api/v1/clinic-sessions"))
            .bearer_auth(token)
            .json(
                &json!({"expert_id": expert, "institution_id": institution, "date": date,
                          "start": "08:00", "end": "17:00", "capacity": capacity}),
            )
            .send()
            .await?,
        StatusCode::CREATED,
        "create a clinic session",
    )
    .await?;
    Ok(body["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no session id"))?
        .to_string())
}

/// A field of /proc/PID/status in kB (`VmRSS:`, `VmHWM:`), Linux only.
pub fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
