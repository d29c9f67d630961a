//! `shanhai`: the one binary. Serves the platform, migrates, loads the demo, manages accounts and
//! backs up the database. Messages are in Chinese or English (`--lang`, or `LANG`).

mod cli;
mod import;
mod logging;
mod restore;
mod upkeep;
mod verify;

use anyhow::{Context, Result, bail};
use cli::{AuditCommand, Cli, Command, UserCommand, say};
use shanhai_domain::Lang;
use shanhai_domain::accounts::UserInput;
use shanhai_store::audit::Actor;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::{Backend, Db, users};
use std::io::Read;
use std::path::Path;

/// mimalloc instead of the system allocator: a million-row import allocates and frees a few
/// small strings per row on one thread and large batches on another, and glibc's malloc/free
/// took about 16 % of its CPU (bench/README.md, "Import (C11)").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let (cli, lang) = cli::parse();
    logging::init(cli.log_format);
    if let Err(e) = run(cli, lang).await {
        eprintln!("{}: {e:#}", say(lang, "错误", "error"));
        std::process::exit(1);
    }
}

async fn open(cli: &Cli, lang: Lang) -> Result<Db> {
    let url = cli.database_url();
    std::fs::create_dir_all(&cli.data_dir).with_context(|| {
        format!(
            "{} {}",
            say(lang, "无法创建数据目录", "cannot create data directory"),
            cli.data_dir.display()
        )
    })?;
    let db = Db::connect(&url).await.with_context(|| {
        format!(
            "{} {}",
            say(lang, "无法连接数据库", "cannot connect to database"),
            shanhai_store::db::redact_url(&url)
        )
    })?;
    let applied = db
        .migrate()
        .await
        .context(say(lang, "数据库迁移失败", "migration failed"))?;
    if !applied.is_empty() {
        eprintln!(
            "{} {applied:?}",
            say(lang, "已应用数据库迁移", "applied migrations")
        );
    }
    Ok(db)
}

/// Where uploaded files go: the S3 bucket when one is configured, else `DATA_DIR/files`.
fn file_store(
    data_dir: &Path,
    s3: Option<&shanhai_files::S3Config>,
) -> Result<shanhai_files::FileStore> {
    Ok(match s3 {
        Some(s3) => shanhai_files::FileStore::s3(s3, data_dir)?,
        None => shanhai_files::FileStore::local(data_dir)?,
    })
}

async fn load_demo(
    db: &Db,
    data_dir: &Path,
    s3: Option<&shanhai_files::S3Config>,
    lang: Lang,
) -> Result<()> {
    eprintln!("{}", say(lang, "正在载入演示数据…", "loading demo data…"));
    let cipher = PatientCipher::load(data_dir).context(say(
        lang,
        "无法读取患者数据密钥",
        "cannot load the patient-data key",
    ))?;
    shanhai_store::crypto::ensure_key_matches(db, &cipher).await?;
    match shanhai_demo::load(db, &cipher).await? {
        shanhai_demo::Outcome::AlreadyThere => {
            eprintln!(
                "{}",
                say(
                    lang,
                    "演示数据已存在，未作改动。",
                    "demo data already present; nothing changed."
                )
            )
        }
        shanhai_demo::Outcome::Loaded(l) => {
            let files = file_store(data_dir, s3)?;
            let studies =
                shanhai_demo::imaging::attach_studies(db, &files, &l.imaging_consultations).await?;
            eprintln!(
                "{} {studies}",
                say(
                    lang,
                    "演示影像（合成 DICOM）：",
                    "demo imaging (synthetic DICOM) files:"
                )
            );
            print_loaded(&l, lang);
        }
    }
    Ok(())
}

fn print_loaded(l: &shanhai_demo::Loaded, lang: Lang) {
    match lang {
        Lang::Zh => eprintln!(
            "演示数据已载入：{} 个项目，{} 家机构，{} 名人员，{} 个批次，{} 条派驻安排，{} 场出诊，{} 个预约。",
            l.programs.len(),
            l.institutions.len(),
            l.people,
            l.batches,
            l.assignments,
            l.clinic_sessions,
            l.bookings
        ),
        Lang::En => eprintln!(
            "demo data loaded: {} programs, {} institutions, {} people, {} batches, {} assignments, {} clinic sessions, {} bookings.",
            l.programs.len(),
            l.institutions.len(),
            l.people,
            l.batches,
            l.assignments,
            l.clinic_sessions,
            l.bookings
        ),
    }
    // Each seed article's figures, counted up to the article's date.
    eprintln!(
        "{}",
        say(
            lang,
            "各项目成果简报（按原文日期统计，与原文数字一致）：",
            "each program's briefing as of its article's date (the article's figures):"
        )
    );
    for a in shanhai_demo::article_dates() {
        if let Some(id) = l.programs.get(&a.key) {
            eprintln!("  {}: /programs/{id}/briefing?until={}", a.name, a.as_of);
        }
    }
}

/// Listens with a deep accept queue: when thousands connect at once (抢号), the default of
/// 128 pending connections drops the rest into one-second SYN retries.
async fn bind(listen: &str) -> std::io::Result<tokio::net::TcpListener> {
    let addr = tokio::net::lookup_host(listen)
        .await?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))?;
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

fn print_demo_accounts(lang: Lang, listen: &str) {
    println!();
    println!(
        "  {} http://{listen}/",
        say(lang, "山海已启动：", "Shanhai is running at")
    );
    println!(
        "  {} {}",
        say(lang, "演示账号（密码均为", "demo accounts (password"),
        format_args!("{}{}", shanhai_demo::DEMO_PASSWORD, say(lang, "）：", "):"))
    );
    for a in shanhai_demo::ACCOUNTS {
        println!("    {:<16} {}", a.username, a.role);
    }
    println!();
}

async fn run(cli: Cli, lang: Lang) -> Result<()> {
    match &cli.command {
        Command::Serve {
            demo,
            listen,
            secure_cookies,
            s3_bucket,
            s3_endpoint,
            s3_region,
            webhook_allow,
            metrics_listen,
            backup_every,
            backup_keep,
            audit_keep_days,
        } => {
            // Held until the process ends: `shanhai restore` refuses while it is.
            let _server_lock = restore::ServerLock::take(&cli.database_url(), lang)?;
            let webhook_allow = shanhai_domain::webhooks::WebhookAllow::parse(webhook_allow)
                .map_err(|entry| {
                    anyhow::anyhow!(
                        "{} {entry:?}",
                        say(
                            lang,
                            "SHANHAI_WEBHOOK_ALLOW 中有无法识别的项（应为主机名、IP 地址或 CIDR 网段）：",
                            "SHANHAI_WEBHOOK_ALLOW has an entry that is not a host name, an address or a CIDR block:"
                        )
                    )
                })?;
            let db = open(&cli, lang).await?;
            let upkeep = upkeep::Upkeep {
                backup_every: backup_every.clone(),
                backup_keep: *backup_keep,
                audit_keep_days: *audit_keep_days,
            };
            upkeep::start(&db, &cli.data_dir, &upkeep, lang)?;
            let s3 = s3_bucket.as_ref().map(|bucket| shanhai_files::S3Config {
                bucket: bucket.clone(),
                endpoint: s3_endpoint.clone(),
                region: Some(s3_region.clone()),
                access_key_id: None,
                secret_access_key: None,
            });
            if *demo {
                load_demo(&db, &cli.data_dir, s3.as_ref(), lang).await?;
            }
            let listener = bind(listen).await.with_context(|| {
                format!("{} {listen}", say(lang, "无法监听", "cannot listen on"))
            })?;
            let addr = listener.local_addr()?;
            if *demo {
                print_demo_accounts(lang, &addr.to_string());
            } else {
                println!(
                    "{} http://{addr}/",
                    say(lang, "山海已启动：", "Shanhai is running at")
                );
            }
            let config = shanhai_web::Config {
                secure_cookies: *secure_cookies,
                s3,
                webhook_allow,
                ..shanhai_web::Config::from_env(cli.data_dir.clone())
            };
            let state = shanhai_web::AppState::start(db.clone(), config).await?;
            if let Some(addr) = metrics_listen {
                let metrics = bind(addr).await.with_context(|| {
                    format!("{} {addr}", say(lang, "无法监听", "cannot listen on"))
                })?;
                tokio::spawn(shanhai_web::metrics::serve_open(metrics, state.clone()));
            }
            shanhai_web::serve(listener, state.clone()).await?;
            shanhai_web::stop::finish(&state).await;
        }
        Command::Migrate => {
            let db = open(&cli, lang).await?;
            println!(
                "{}",
                say(
                    lang,
                    "数据库已是最新结构。",
                    "database schema is up to date."
                )
            );
            db.close().await;
        }
        Command::Demo => {
            let db = open(&cli, lang).await?;
            load_demo(&db, &cli.data_dir, None, lang).await?;
            db.close().await;
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    program,
                    institution,
                    person,
                    display_name,
                    password_stdin,
                },
        } => {
            if !password_stdin {
                bail!(say(
                    lang,
                    "请用 --password-stdin 从标准输入提供密码",
                    "give the password on standard input with --password-stdin"
                ));
            }
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let input = UserInput {
                username: username.clone(),
                display_name: display_name.clone(),
                password,
                role: role.clone(),
                program_id: program.clone(),
                institution_id: institution.clone(),
                person_id: person.clone(),
            };
            let new = input.parse().map_err(|problems| {
                let lines: Vec<String> = problems
                    .iter()
                    .map(|e| format!("{}: {}", e.field, shanhai_web::i18n::t(lang, e.key)))
                    .collect();
                anyhow::anyhow!("{}", lines.join("\n"))
            })?;
            let db = open(&cli, lang).await?;
            let user = users::create(&db, &Actor::system("cli"), &new)
                .await
                .map_err(|e| match e {
                    shanhai_store::StoreError::Invalid(i) => {
                        anyhow::anyhow!("{}: {}", i.field, shanhai_web::i18n::t(lang, i.key))
                    }
                    shanhai_store::StoreError::Conflict(key) => {
                        anyhow::anyhow!(shanhai_web::i18n::t(lang, key))
                    }
                    other => anyhow::anyhow!(other),
                })?;
            println!(
                "{} {} ({}, id {})",
                say(lang, "已创建用户", "created user"),
                user.username,
                user.role,
                user.id
            );
            db.close().await;
        }
        Command::Import {
            kind,
            file,
            dry_run,
            template,
        } => {
            if *template {
                import::write_template(kind, file, lang)?;
            } else {
                let db = open(&cli, lang).await?;
                let ok = import::run(&db, kind, file, *dry_run, lang).await;
                db.close().await;
                if !ok? {
                    std::process::exit(2);
                }
            }
        }
        Command::Verify { repair, yes } => {
            let db = open(&cli, lang).await?;
            let ok = verify::run(&db, *repair, *yes, lang).await;
            db.close().await;
            if !ok? {
                std::process::exit(1);
            }
        }
        Command::Restore { from } => {
            let ok = restore::run(&cli.database_url(), &cli.data_dir, from, lang).await?;
            if !ok {
                std::process::exit(1);
            }
        }
        Command::Audit {
            command: AuditCommand::Archive { before, to },
        } => {
            let db = open(&cli, lang).await?;
            let done =
                upkeep::archive_command(&db, &cli.data_dir, *before, to.as_deref(), lang).await;
            db.close().await;
            done?;
        }
        Command::Backup { to } => {
            let db = open(&cli, lang).await?;
            match db.backend() {
                Backend::Sqlite => {
                    if Path::new(to).exists() {
                        bail!(
                            "{} {to}",
                            say(
                                lang,
                                "目标文件已存在，不会覆盖：",
                                "refusing to overwrite existing file"
                            )
                        );
                    }
                    db.backup_to(to).await?;
                    println!("{} {to}", say(lang, "备份已写入", "backup written to"));
                }
                Backend::Postgres => {
                    println!(
                        "{}\n  pg_dump --format=custom --file {to} \"$DATABASE_URL\"",
                        say(
                            lang,
                            "PostgreSQL 请使用 pg_dump 备份，例如：",
                            "For PostgreSQL, back up with pg_dump, e.g.:"
                        )
                    );
                }
            }
            db.close().await;
        }
    }
    Ok(())
}
