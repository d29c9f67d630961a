use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use shanhai_domain::accounts::UserInput;
use shanhai_store::Db;
use shanhai_store::audit::Actor;
use std::path::PathBuf;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub addr: String,
    pub db: Db,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub client: Client,
    _tmp: TempDir,
}

/// A directory removed when the test ends.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TempDir {
    pub fn new() -> TempDir {
        temp_dir()
    }
}

fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("shanhai-test-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

/// A fresh, empty database URL: an SQLite file, or a new PostgreSQL database.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("SHANHAI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    {
        Some(base) => {
            let name = format!("shanhai_test_{}", uuid::Uuid::now_v7().simple());
            let admin = Db::connect(&base).await.expect("connect to PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(admin.pool())
                .await
                .expect("create test database");
            admin.close().await;
            let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
            format!("{prefix}/{name}")
        }
        None => format!("sqlite://{}?mode=rwc", dir.join("shanhai.db").display()),
    }
}

/// The tests' HTTP client: follows no redirects, and drops a kept-alive connection after 5 s
/// idle, before the server closes it (after 15 s without a request). Reusing a connection the
/// server has just closed fails a POST (a browser would retry it; reqwest does not).
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("client")
}

pub async fn spawn_app() -> TestApp {
    let tmp = temp_dir();
    let database_url = fresh_database(&tmp.0).await;
    spawn_app_on(tmp, database_url).await
}

pub async fn spawn_app_on(tmp: TempDir, database_url: String) -> TestApp {
    spawn(tmp, database_url, |_| {}).await
}

/// Like [`spawn_app_on`], with the public rate limit (requests per address per minute) on.
pub async fn spawn_app_with(tmp: TempDir, database_url: String, public_rate_limit: u32) -> TestApp {
    spawn(tmp, database_url, |c| {
        c.public_rate_limit = public_rate_limit
    })
    .await
}

/// Like [`spawn_app_on`], keeping attachments in S3-compatible storage when `s3` is given.
pub async fn spawn_app_configured(
    tmp: TempDir,
    database_url: String,
    s3: Option<shanhai_files::S3Config>,
) -> TestApp {
    spawn(tmp, database_url, |c| c.s3 = s3).await
}

/// Like [`spawn_app`], with the server's configuration changed by `configure` first.
pub async fn spawn_app_with_config(configure: impl FnOnce(&mut shanhai_web::Config)) -> TestApp {
    let tmp = temp_dir();
    let database_url = fresh_database(&tmp.0).await;
    spawn(tmp, database_url, configure).await
}

/// Starts the server with the defaults of [`shanhai_web::Config::new`], the public rate limit
/// off, webhooks allowed to reach 127.0.0.1 (the tests' receivers listen there), and whatever
/// `configure` changes.
async fn spawn(
    tmp: TempDir,
    database_url: String,
    configure: impl FnOnce(&mut shanhai_web::Config),
) -> TestApp {
    let db = Db::connect(&database_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let mut config = shanhai_web::Config {
        public_rate_limit: 0,
        webhook_allow: shanhai_domain::webhooks::WebhookAllow::parse("127.0.0.1")
            .expect("allow-list"),
        ..shanhai_web::Config::new(tmp.0.clone())
    };
    configure(&mut config);
    let state = shanhai_web::AppState::start(db.clone(), config)
        .await
        .expect("start");
    tokio::spawn(shanhai_web::serve(listener, state));
    TestApp {
        addr,
        db,
        database_url,
        data_dir: tmp.0.clone(),
        client: client(),
        _tmp: tmp,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let r = self.request(Method::GET, path, Some(token), None).await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .request(Method::POST, path, Some(token), Some(&body))
            .await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .request(Method::PUT, path, Some(token), Some(&body))
            .await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Creates an account directly in the store, as `shanhai user add` does.
    pub async fn add_user(
        &self,
        username: &str,
        role: &str,
        program: Option<&str>,
        institution: Option<&str>,
    ) {
        let new = UserInput {
            username: username.into(),
            display_name: None,
            password: PASSWORD.into(),
            role: role.into(),
            program_id: program.map(str::to_string),
            institution_id: institution.map(str::to_string),
            person_id: None,
        }
        .parse()
        .expect("valid user");
        shanhai_store::users::create(&self.db, &Actor::system("test"), &new)
            .await
            .expect("create user");
    }

    pub async fn token(&self, username: &str) -> String {
        let (status, body) = self
            .post_anon(
                "/api/v1/auth/token",
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().expect("token").to_string()
    }

    pub async fn post_anon(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self.request(Method::POST, path, None, Some(&body)).await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// An admin account and its token.
    pub async fn admin(&self) -> String {
        self.add_user("admin", "platform-admin", None, None).await;
        self.token("admin").await
    }

    /// A signed-in session for the pages, as the `Cookie` header value.
    pub async fn session_cookie(&self, username: &str) -> String {
        let user = shanhai_store::users::find_by_username(&self.db, username)
            .await
            .expect("find user")
            .expect("user exists");
        let session = shanhai_store::users::create_session(&self.db, &Actor::system("test"), &user)
            .await
            .expect("session");
        format!("shanhai_session={}", session.cookie)
    }

    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(self.db.pool())
        .await
        .expect("count")
        .try_get::<i64, _>("n")
        .expect("n")
    }
}

/// A small world: two programs; in program A a donor D paired with recipient R (donor access
/// read), an office institution O; an unrelated institution U; people at D, R and U; one account
/// per role.
pub struct World {
    pub admin: String,
    pub program_a: String,
    pub program_b: String,
    pub donor: String,
    pub recipient: String,
    pub unrelated: String,
    pub office_inst: String,
    pub pairing: String,
    pub agreement: String,
    pub person_d: String,
    pub person_r: String,
    pub person_u: String,
    pub department_r: String,
}

pub async fn region(app: &TestApp, token: &str, code: &str, name: &str, parent: Option<&str>) {
    let (s, b) = app
        .post(
            "/api/v1/regions",
            token,
            json!({"code": code, "name": name, "parent_code": parent}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

pub async fn institution(
    app: &TestApp,
    token: &str,
    name: &str,
    kind: &str,
    region: &str,
) -> String {
    let (s, b) = app
        .post(
            "/api/v1/institutions",
            token,
            json!({"name": name, "kind": kind, "grade": "3A", "region_code": region}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

pub async fn department(
    app: &TestApp,
    token: &str,
    institution: &str,
    specialty: &str,
    name: &str,
) -> String {
    let (s, b) = app
        .post(
            "/api/v1/departments",
            token,
            json!({"institution_id": institution, "specialty_code": specialty, "name": name}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

pub async fn person(app: &TestApp, token: &str, institution: &str, name: &str) -> String {
    let (s, b) = app
        .post(
            "/api/v1/people",
            token,
            json!({"name": name, "gender": "female", "title": "chief-physician", "institution_id": institution}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

pub async fn program(app: &TestApp, token: &str, name: &str, office: Option<&str>) -> String {
    let (s, b) = app
        .post(
            "/api/v1/programs",
            token,
            json!({"name": name, "kind": "east-west", "start_date": "2021-01-01", "office_institution_id": office}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

/// A batch of program A under the world's pairing, numbered `number`, running through 2025;
/// its id.
pub async fn batch_2025(app: &TestApp, w: &World, number: i64) -> String {
    let (s, b) = app
        .post(
            "/api/v1/batches",
            &w.admin,
            json!({"program_id": w.program_a, "pairing_id": w.pairing, "number": number,
                   "start_date": "2025-01-01", "end_date": "2025-12-31"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("batch id").to_string()
}

pub async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    region(app, &admin, "310000", "上海市", None).await;
    region(app, &admin, "310100", "市辖区", Some("310000")).await;
    region(app, &admin, "310101", "黄浦区", Some("310100")).await;
    region(app, &admin, "150000", "内蒙古自治区", None).await;
    region(app, &admin, "150200", "包头市", Some("150000")).await;
    region(app, &admin, "150203", "昆都仑区", Some("150200")).await;
    let donor = institution(
        app,
        &admin,
        "上海交通大学医学院附属瑞金医院",
        "hospital",
        "310101",
    )
    .await;
    let recipient = institution(app, &admin, "包头市中心医院", "hospital", "150203").await;
    let unrelated = institution(app, &admin, "包头市第六医院", "hospital", "150203").await;
    let office_inst = institution(
        app,
        &admin,
        "包头市卫生健康委员会",
        "health-commission",
        "150200",
    )
    .await;
    let program_a = program(app, &admin, "沪蒙医疗协作", Some(&office_inst)).await;
    let program_b = program(app, &admin, "其他项目", None).await;
    let (s, b) = app
        .post(
            "/api/v1/pairings",
            &admin,
            json!({"program_id": program_a, "donor_id": donor, "recipient_id": recipient, "level": "hospital",
                   "mode": "counterpart", "start_date": "2020-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let pairing = b["id"].as_str().expect("id").to_string();
    let (s, b) = app
        .post(
            "/api/v1/agreements",
            &admin,
            json!({"pairing_id": pairing, "signed_on": "2020-01-01", "term_years": 5, "scope": "心血管内科共建"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let agreement = b["id"].as_str().expect("id").to_string();
    let department_r = department(app, &admin, &recipient, "03.04", "心血管内科").await;
    let person_d = person(app, &admin, &donor, "沈专家").await;
    let person_r = person(app, &admin, &recipient, "包医生").await;
    let person_u = person(app, &admin, &unrelated, "六医生").await;
    app.add_user("office", "program-office", Some(&program_a), None)
        .await;
    app.add_user("coord-d", "coordinator", None, Some(&donor))
        .await;
    app.add_user("coord-r", "coordinator", None, Some(&recipient))
        .await;
    app.add_user("coord-u", "coordinator", None, Some(&unrelated))
        .await;
    app.add_user("expert-d", "expert", None, Some(&donor)).await;
    app.add_user("clinician-r", "clinician", None, Some(&recipient))
        .await;
    World {
        admin,
        program_a,
        program_b,
        donor,
        recipient,
        unrelated,
        office_inst,
        pairing,
        agreement,
        person_d,
        person_r,
        person_u,
        department_r,
    }
}

/// A signed-in browser for the pages: the session cookie and the session's CSRF token.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> Browser<'a> {
    pub async fn sign_in(app: &'a TestApp, username: &str) -> Browser<'a> {
        let set_cookies = |r: &reqwest::Response, jar: &mut Vec<String>| {
            for v in r.headers().get_all(reqwest::header::SET_COOKIE) {
                let pair = v.to_str().expect("ascii").split(';').next().expect("pair");
                let name = pair.split('=').next().unwrap_or("").to_string();
                jar.retain(|c| !c.starts_with(&format!("{name}=")));
                jar.push(pair.to_string());
            }
        };
        let csrf_of = |html: &str| {
            html.split("name=\"csrf\" value=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .expect("csrf")
                .to_string()
        };
        let mut jar = Vec::new();
        let r = app
            .client
            .get(app.url("/login"))
            .send()
            .await
            .expect("login");
        set_cookies(&r, &mut jar);
        let csrf = csrf_of(&r.text().await.expect("html"));
        let r = app
            .client
            .post(app.url("/login"))
            .header(reqwest::header::COOKIE, jar.join("; "))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!(
                "csrf={csrf}&username={username}&password={PASSWORD}"
            ))
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{username} signs in");
        set_cookies(&r, &mut jar);
        let mut browser = Browser {
            app,
            cookie: jar.join("; "),
            csrf: String::new(),
        };
        let (_, page) = browser.get("/programs").await;
        browser.csrf = csrf_of(&page);
        browser
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .app
            .client
            .get(self.app.url(path))
            .header(reqwest::header::COOKIE, &self.cookie)
            .send()
            .await
            .expect("page");
        (r.status(), r.text().await.unwrap_or_default())
    }

    /// The whole answer to a GET, for its headers and bytes.
    pub fn response(
        &self,
        path: String,
    ) -> impl Future<Output = reqwest::Result<Response>> + use<'a> {
        self.app
            .client
            .get(self.app.url(&path))
            .header(reqwest::header::COOKIE, &self.cookie)
            .send()
    }

    /// Posts a form (`a=1&b=2`, without the CSRF token, which is added).
    pub async fn post(&self, path: &str, form: &str) -> (StatusCode, String) {
        let r = self
            .app
            .client
            .post(self.app.url(path))
            .header(reqwest::header::COOKIE, &self.cookie)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!("csrf={}&{form}", self.csrf))
            .send()
            .await
            .expect("post");
        (r.status(), r.text().await.unwrap_or_default())
    }
}

impl<'a> Browser<'a> {
    /// A browser that has not signed in: no session cookie, no CSRF token.
    pub fn anonymous(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookie: String::new(),
            csrf: String::new(),
        }
    }

    /// Posts a form (`a=1&b=2`; the CSRF token is added first); the whole answer, for its
    /// `Location`.
    pub async fn post_response(&self, path: &str, form: &str) -> Response {
        self.app
            .client
            .post(self.app.url(path))
            .header(reqwest::header::COOKIE, &self.cookie)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!("csrf={}&{form}", self.csrf))
            .send()
            .await
            .expect("post")
    }

    /// Posts a multipart form: the CSRF token first, then what `parts` adds.
    pub async fn post_multipart(
        &self,
        path: &str,
        parts: impl FnOnce(reqwest::multipart::Form) -> reqwest::multipart::Form,
    ) -> Response {
        let form = parts(reqwest::multipart::Form::new().text("csrf", self.csrf.clone()));
        self.app
            .client
            .post(self.app.url(path))
            .header(reqwest::header::COOKIE, &self.cookie)
            .multipart(form)
            .send()
            .await
            .expect("post multipart")
    }

    /// Posts a form of the public pages, as a visitor of `page` would: that page's CSRF cookie
    /// and token (the public pages' own, not the session's) with the form, besides the session.
    pub async fn post_public(&self, page: &str, path: &str, form: &str) -> Response {
        let r = self.response(page.to_string()).await.expect("public page");
        let cookie = r
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .collect::<Vec<_>>()
            .join("; ");
        let html = r.text().await.expect("html");
        let token = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("public csrf")
            .to_string();
        let cookies = [self.cookie.as_str(), cookie.as_str()]
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        self.app
            .client
            .post(self.app.url(path))
            .header(reqwest::header::COOKIE, cookies)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!("csrf={token}&{form}"))
            .send()
            .await
            .expect("public post")
    }
}

/// Runs a Python script (`python3 -c`) that reads `input` on stdin and prints JSON, and answers
/// that JSON. A script prints `MISSING` and exits when the Python package it needs is not there;
/// the test then stops with `install` (what `./test.sh` runs to install it).
pub fn python_json(script: &str, input: &str, install: &str) -> Value {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is needed ({install}): {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.starts_with("MISSING"),
        "a Python package is missing: ./test.sh installs it ({install})"
    );
    assert!(
        out.status.success(),
        "the parser refused the input: {}\n{input}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).expect("the script's JSON")
}
