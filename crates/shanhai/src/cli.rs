//! Command-line arguments, with help in Chinese or English.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use shanhai_domain::Lang;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "shanhai",
    version,
    about = "Shanhai: runs cross-regional medical assistance programs"
)]
pub struct Cli {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB (default: SQLite in the data directory)
    #[arg(long, global = true, env = "SHANHAI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the SQLite database, uploaded documents and keys
    #[arg(long, global = true, env = "SHANHAI_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Language of messages: zh or en (default from LANG, else zh)
    #[arg(long, global = true)]
    pub lang: Option<String>,
    /// Log format: json (one object per line) or text (default: json unless standard error is a terminal)
    #[arg(long, global = true, env = "SHANHAI_LOG_FORMAT", value_enum)]
    pub log_format: Option<crate::logging::LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web UI and the API
    Serve {
        /// Load the demo data first (idempotent) and print how to sign in
        #[arg(long)]
        demo: bool,
        /// Address to listen on
        #[arg(long, env = "SHANHAI_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Mark cookies Secure (set this when serving over HTTPS)
        #[arg(long, env = "SHANHAI_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Keep uploaded files in this S3-compatible bucket instead of the data directory
        /// (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
        #[arg(long, env = "SHANHAI_S3_BUCKET")]
        s3_bucket: Option<String>,
        /// S3 endpoint, e.g. http://127.0.0.1:9000 (default: AWS)
        #[arg(long, env = "SHANHAI_S3_ENDPOINT")]
        s3_endpoint: Option<String>,
        /// S3 region
        #[arg(long, env = "SHANHAI_S3_REGION", default_value = "us-east-1")]
        s3_region: String,
        /// Internal hosts, addresses or CIDR blocks webhooks may reach, comma-separated
        /// (on-premises receivers, e.g. his.hospital.local,10.20.0.0/16); default: none
        #[arg(long, env = "SHANHAI_WEBHOOK_ALLOW", default_value = "")]
        webhook_allow: String,
        /// Also serve /metrics, without a token, on this address (e.g. 127.0.0.1:9464; only the
        /// monitoring network should reach it)
        #[arg(long, env = "SHANHAI_METRICS_LISTEN")]
        metrics_listen: Option<String>,
        /// SQLite: back the database up while serving, every DURATION (e.g. 24h, 30m), into
        /// DATA_DIR/backups (PostgreSQL: use pg_dump from cron instead; see README)
        #[arg(long, env = "SHANHAI_BACKUP_EVERY", value_name = "DURATION")]
        backup_every: Option<String>,
        /// How many scheduled backups to keep (the oldest are removed)
        #[arg(long, env = "SHANHAI_BACKUP_KEEP", default_value_t = 7)]
        backup_keep: usize,
        /// Keep audit entries this many days (at least 180), then archive older ones to
        /// DATA_DIR/audit-archive once a day; default: keep them all
        #[arg(long, env = "SHANHAI_AUDIT_KEEP_DAYS", value_name = "DAYS")]
        audit_keep_days: Option<i64>,
    },
    /// Apply database migrations and exit
    Migrate,
    /// Load the demo data into the database without serving
    Demo,
    /// Manage accounts
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Back up the database (SQLite: a consistent copy while running; PostgreSQL: prints what to run)
    Backup {
        /// File to write
        #[arg(long)]
        to: String,
    },
    /// Restore an SQLite database from a backup file (made by `shanhai backup` or
    /// `serve --backup-every`).
    ///
    /// Refused while a server uses the database (every `shanhai serve` holds a lock on
    /// DATABASE.lock). The backup must belong to this data directory's patient-data key
    /// (DATA_DIR/keys/patient.key or SHANHAI_PATIENT_KEY): its identifiers cannot be read with
    /// another. The backup is checked (SQLite integrity check, migrations applied), then swapped
    /// in at once (a single rename); the database it replaces is kept beside it as
    /// DATABASE.before-restore-TIME. Last, the same checks as `shanhai verify` run on the
    /// restored database (exit 0 only when every roll-up equals the recount). Uploaded files
    /// (DATA_DIR/files or S3) are not in the backup. PostgreSQL: use pg_restore (README,
    /// "Backups and restore").
    Restore {
        /// The backup file to restore
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Audit log retention
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Import people and assignments, clinic sessions, teaching activities or techniques from an
    /// XLSX or CSV file: every row is checked, and nothing is written if any row is bad
    Import {
        /// people, clinic-sessions, teaching-activities or techniques
        kind: String,
        /// The XLSX or CSV (UTF-8 or GB18030) file
        file: PathBuf,
        /// Check every row and report, writing nothing
        #[arg(long)]
        dry_run: bool,
        /// Write the kind's template to FILE instead (XLSX when FILE ends in .xlsx, else CSV)
        #[arg(long)]
        template: bool,
    },
    /// Check that every roll-up equals a recount of the records (exit 0 only when all do)
    Verify {
        /// Rebuild the roll-ups from the records when they differ
        #[arg(long)]
        repair: bool,
        /// Repair without asking
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Move audit entries older than DATE to a JSON-lines file with a SHA-256 checksum, then
    /// remove them from the database (entries are kept at least 180 days: DATE may be at most
    /// today minus 180 days)
    Archive {
        /// Archive the entries before this date (YYYY-MM-DD, UTC)
        #[arg(long, value_name = "DATE")]
        before: chrono::NaiveDate,
        /// Directory for the archive file (default DATA_DIR/audit-archive)
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account
    Add {
        #[arg(long)]
        username: String,
        /// platform-admin, program-office, coordinator, expert or clinician
        #[arg(long)]
        role: String,
        /// Program id (program-office accounts)
        #[arg(long)]
        program: Option<String>,
        /// Institution id (coordinator, expert and clinician accounts)
        #[arg(long)]
        institution: Option<String>,
        /// The registry person this account belongs to (experts see their own schedule)
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input
        #[arg(long)]
        password_stdin: bool,
    },
}

impl Cli {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("shanhai.db").display()
            ),
        }
    }
}

/// One message in the chosen language.
pub fn say(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// `--lang` wins; otherwise English only when `LANG` asks for it.
fn detect_lang() -> Lang {
    let args: Vec<String> = std::env::args().collect();
    let from_args = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--lang=")
            .map(str::to_string)
            .or_else(|| (a == "--lang").then(|| args.get(i + 1).cloned()).flatten())
    });
    let tag = from_args
        .or_else(|| std::env::var("LANG").ok())
        .unwrap_or_default();
    Lang::from_tag(&tag)
}

/// Chinese help texts, keyed by subcommand path and argument id.
const ZH_HELP: &[(&str, &str, &str)] = &[
    ("", "", "山海：跨区域医疗协作平台"),
    (
        "",
        "database_url",
        "数据库地址：sqlite://文件 或 postgres://用户@主机/库（默认：数据目录中的 SQLite）",
    ),
    ("", "data_dir", "数据目录：SQLite 数据库、上传文件与密钥"),
    ("", "lang", "提示语言：zh 或 en（默认取 LANG，否则中文）"),
    (
        "",
        "log_format",
        "日志格式：json（每行一个对象）或 text（默认：标准错误输出不是终端时为 json）",
    ),
    ("serve", "", "启动网页界面与接口服务"),
    (
        "serve",
        "demo",
        "先载入演示数据（可重复执行）并显示登录方式",
    ),
    ("serve", "listen", "监听地址"),
    (
        "serve",
        "secure_cookies",
        "为 Cookie 加 Secure 标记（通过 HTTPS 提供服务时使用）",
    ),
    (
        "serve",
        "s3_bucket",
        "将上传文件存入此 S3 兼容存储桶而非数据目录（凭据取自 AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY）",
    ),
    (
        "serve",
        "s3_endpoint",
        "S3 服务地址，如 http://127.0.0.1:9000（默认：AWS）",
    ),
    ("serve", "s3_region", "S3 区域"),
    (
        "serve",
        "webhook_allow",
        "允许事件推送到达的内网主机名、地址或 CIDR 网段，逗号分隔（院内接收端，如 his.hospital.local,10.20.0.0/16）；默认不允许任何内网地址",
    ),
    (
        "serve",
        "metrics_listen",
        "另在此地址提供 /metrics，无需令牌（如 127.0.0.1:9464；应只让监控网络访问）",
    ),
    (
        "serve",
        "backup_every",
        "SQLite：运行中每隔 DURATION（如 24h、30m）备份一次数据库，存入 DATA_DIR/backups（PostgreSQL 请用 cron 执行 pg_dump，见 README）",
    ),
    (
        "serve",
        "backup_keep",
        "保留的定时备份份数（更早的自动删除）",
    ),
    (
        "serve",
        "audit_keep_days",
        "审计日志在数据库中保留的天数（至少 180 天），更早的条目每天归档到 DATA_DIR/audit-archive；默认全部保留",
    ),
    (
        "restore",
        "",
        "从备份文件恢复 SQLite 数据库（备份由 shanhai backup 或 serve --backup-every 生成）。\n\n\
         有服务正在使用该数据库时拒绝执行（每个 shanhai serve 都持有“数据库文件.lock”上的锁）。\
         备份必须与本数据目录的患者数据密钥（DATA_DIR/keys/patient.key 或 SHANHAI_PATIENT_KEY）相符，\
         否则其中的身份信息无法读取。先检查备份（SQLite 完整性检查、执行迁移），再一次性替换（单次重命名）；\
         被替换的数据库保留为“数据库文件.before-restore-时间”。最后对恢复后的数据库执行与 shanhai verify \
         相同的核对（全部汇总数据与重新统计一致时退出码为 0）。上传的文件（DATA_DIR/files 或 S3）不在备份中。\
         PostgreSQL 请用 pg_restore（见 README 的 “Backups and restore” 一节）。",
    ),
    ("restore", "from", "要恢复的备份文件"),
    ("audit", "", "审计日志保留与归档"),
    (
        "audit archive",
        "",
        "把早于 DATE 的审计条目写入 JSON Lines 文件（附 SHA-256 校验和）后从数据库中移除（条目至少保留 180 天：DATE 最晚为今天减 180 天）",
    ),
    (
        "audit archive",
        "before",
        "归档此日期（YYYY-MM-DD，UTC）之前的条目",
    ),
    (
        "audit archive",
        "to",
        "归档文件目录（默认 DATA_DIR/audit-archive）",
    ),
    ("migrate", "", "执行数据库迁移后退出"),
    ("demo", "", "向数据库载入演示数据（不启动服务）"),
    ("user", "", "账号管理"),
    (
        "backup",
        "",
        "备份数据库（SQLite：运行中生成一致副本；PostgreSQL：显示应执行的命令）",
    ),
    ("backup", "to", "备份文件路径"),
    (
        "import",
        "",
        "从 XLSX 或 CSV 文件导入人员及派驻、出诊排班、教学活动或新技术：逐行校验，任一行有误则不写入任何数据",
    ),
    (
        "import",
        "kind",
        "导入类型：people、clinic-sessions、teaching-activities 或 techniques",
    ),
    ("import", "file", "XLSX 或 CSV（UTF-8 或 GB18030）文件"),
    ("import", "dry_run", "只校验并报告，不写入"),
    (
        "import",
        "template",
        "改为把该类型的模板写入 FILE（以 .xlsx 结尾为 XLSX，否则为 CSV）",
    ),
    (
        "verify",
        "",
        "核对每一项汇总数据是否等于按原始记录重新统计的结果（全部一致时退出码为 0）",
    ),
    ("verify", "repair", "不一致时按原始记录重建汇总数据"),
    ("verify", "yes", "重建前不再询问"),
    ("user add", "", "创建账号"),
    ("user add", "username", "用户名"),
    (
        "user add",
        "role",
        "角色：platform-admin、program-office、coordinator、expert 或 clinician",
    ),
    ("user add", "program", "项目编号（项目办账号）"),
    (
        "user add",
        "institution",
        "机构编号（医院协调员、专家、临床医生账号）",
    ),
    ("user add", "display_name", "显示名称"),
    (
        "user add",
        "person",
        "账号对应的人员编号（专家可查看本人排班）",
    ),
    ("user add", "password_stdin", "从标准输入读取密码"),
];

fn localize(mut cmd: clap::Command, path: &str) -> clap::Command {
    for (_, arg, text) in ZH_HELP.iter().filter(|(p, _, _)| *p == path) {
        if arg.is_empty() {
            // A text with paragraphs: the first is the summary, the whole is `--help`'s.
            cmd = match text.split_once("\n\n") {
                Some((summary, _)) => cmd.about(summary).long_about(*text),
                None => cmd.about(*text),
            };
        } else {
            cmd = cmd.mut_arg(*arg, |a| a.help(*text));
        }
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(name, |s| localize(s, &sub_path));
    }
    cmd
}

pub fn parse() -> (Cli, Lang) {
    let lang = detect_lang();
    let mut cmd = Cli::command();
    if lang == Lang::Zh {
        cmd = localize(cmd, "");
    }
    let matches = cmd.get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => {
            let lang = cli.lang.as_deref().map(Lang::from_tag).unwrap_or(lang);
            (cli, lang)
        }
        Err(e) => e.exit(),
    }
}
