//! `shanhai import KIND FILE [--dry-run]`: checks every row of a spreadsheet, shows a progress
//! bar while it works and a report by row and column when it is done, and writes nothing unless
//! every row is good.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use shanhai_domain::Lang;
use shanhai_import::{Phase, Progress, Upload, Who};
use shanhai_store::Db;
use shanhai_store::audit::Actor;
use std::path::Path;

use crate::cli::say;

fn unknown_kind(kind: &str, lang: Lang) -> anyhow::Error {
    let kinds: Vec<&str> = shanhai_import::KINDS.iter().map(|(k, _)| *k).collect();
    anyhow::anyhow!(
        "{} {kind} ({})",
        shanhai_web::i18n::t(lang, "error.import_unknown_kind"),
        kinds.join(", ")
    )
}

pub fn write_template(kind: &str, file: &Path, lang: Lang) -> Result<()> {
    let columns = shanhai_import::columns(kind).ok_or_else(|| unknown_kind(kind, lang))?;
    let xlsx = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let bytes = if xlsx {
        shanhai_import::template::xlsx(columns)?
    } else {
        shanhai_import::template::csv(columns)
    };
    std::fs::write(file, bytes).with_context(|| file.display().to_string())?;
    println!(
        "{} {}",
        say(lang, "模板已写入", "template written to"),
        file.display()
    );
    Ok(())
}

struct Bar {
    bar: ProgressBar,
    lang: Lang,
}

impl Progress for Bar {
    fn update(&self, phase: Phase, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        self.bar.set_message(match phase {
            Phase::Checking => say(self.lang, "校验", "checking"),
            Phase::Writing => say(self.lang, "写入", "writing"),
        });
    }
}

/// Runs the import and prints its report; `Ok(false)` when any row is bad.
pub async fn run(db: &Db, kind: &str, file: &Path, dry_run: bool, lang: Lang) -> Result<bool> {
    if shanhai_import::columns(kind).is_none() {
        return Err(unknown_kind(kind, lang));
    }
    let size = std::fs::metadata(file)
        .with_context(|| file.display().to_string())?
        .len();
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{msg:4} [{bar:40}] {percent:>3}% {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let progress = Bar {
        bar: bar.clone(),
        lang,
    };
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let outcome = shanhai_import::import(
        db,
        kind,
        &Actor::system("cli import"),
        Who::System,
        Upload {
            file_name: &file_name,
            path: file,
            sha256: None,
        },
        dry_run,
        &progress,
    )
    .await?;
    bar.finish_and_clear();
    let Some(outcome) = outcome else {
        bail!(unknown_kind(kind, lang));
    };
    let report = outcome.report(lang, shanhai_web::i18n::t);
    for e in &report.errors {
        let place = match (e.row, e.column.as_str()) {
            (0, _) => say(lang, "文件", "file").to_string(),
            (row, "") => format!("{} {row}", say(lang, "第", "row")) + say(lang, " 行", ""),
            (row, column) => match lang {
                Lang::Zh => format!("第 {row} 行「{column}」"),
                Lang::En => format!("row {row}, {column}"),
            },
        };
        println!("{place}: {}", e.message);
    }
    if report.more_errors > 0 {
        println!(
            "{} {}",
            say(lang, "另有错误未列出：", "further errors not listed:"),
            report.more_errors
        );
    }
    let summary = match lang {
        Lang::Zh => format!(
            "共 {} 行：新建 {}，已存在未变 {}，错误 {}。",
            report.rows,
            report.created,
            report.unchanged,
            report.errors.len() + report.more_errors
        ),
        Lang::En => format!(
            "{} rows: {} new, {} unchanged, {} errors.",
            report.rows,
            report.created,
            report.unchanged,
            report.errors.len() + report.more_errors
        ),
    };
    println!("{summary}");
    println!(
        "{}",
        match (outcome.ok(), dry_run) {
            (false, _) => say(
                lang,
                "有错误，未写入任何数据。",
                "Nothing was written: fix the errors and import again."
            ),
            (true, true) => say(
                lang,
                "试导入：校验通过，未写入。去掉 --dry-run 即可导入。",
                "Dry run: every row is good; nothing was written. Run without --dry-run to import."
            ),
            (true, false) => say(lang, "导入完成。", "Imported."),
        }
    );
    Ok(outcome.ok())
}
