//! `shanhai verify`: every roll-up row against a from-scratch recount of the records.

use crate::cli::say;
use anyhow::Result;
use shanhai_domain::Lang;
use shanhai_store::{Db, rollups};
use std::io::{BufRead, Write};
use std::time::Instant;

/// Prints each indicator's rows checked and mismatches; with `repair`, rebuilds (after asking,
/// unless `yes`) and checks again. Returns whether every roll-up equals the recount.
pub async fn run(db: &Db, repair: bool, yes: bool, lang: Lang) -> Result<bool> {
    let ok = check_and_print(db, lang).await?;
    if ok || !repair {
        return Ok(ok);
    }
    if !yes {
        eprint!(
            "{}",
            say(
                lang,
                "按原始记录重建全部汇总数据？[y/N] ",
                "Rebuild every roll-up from the records? [y/N] "
            )
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "是") {
            println!("{}", say(lang, "未重建。", "not rebuilt."));
            return Ok(false);
        }
    }
    let started = Instant::now();
    let rows = rollups::rebuild(db).await?;
    println!(
        "{} {rows} ({:.1} s)",
        say(
            lang,
            "已重建汇总数据，行数：",
            "rebuilt the roll-ups, rows:"
        ),
        started.elapsed().as_secs_f64()
    );
    check_and_print(db, lang).await
}

async fn check_and_print(db: &Db, lang: Lang) -> Result<bool> {
    let started = Instant::now();
    let checks = rollups::check(db).await?;
    println!(
        "{:<30} {:>12} {:>12} {:>8}",
        say(lang, "指标", "indicator"),
        say(lang, "汇总行数", "stored rows"),
        say(lang, "重新统计行数", "recounted"),
        say(lang, "不一致", "mismatches")
    );
    let mut bad = 0usize;
    for c in &checks {
        println!(
            "{:<30} {:>12} {:>12} {:>8}",
            c.indicator,
            c.stored_rows,
            c.recounted_rows,
            c.mismatches.len()
        );
        bad += c.mismatches.len();
    }
    for m in checks.iter().flat_map(|c| &c.mismatches) {
        println!(
            "  {} {} {}={} {}={} {}={} {}={} {}={} {}={} {}={}",
            m.indicator,
            m.month,
            say(lang, "项目", "program"),
            m.program_id,
            say(lang, "机构", "institution"),
            m.institution_id,
            say(lang, "结对", "pairing"),
            m.pairing_id,
            say(lang, "省份", "province"),
            m.province,
            say(lang, "人员", "person"),
            m.member_id,
            say(lang, "汇总", "stored"),
            m.stored,
            say(lang, "重新统计", "recounted"),
            m.recounted
        );
    }
    let secs = started.elapsed().as_secs_f64();
    if bad == 0 {
        println!(
            "{} ({secs:.1} s)",
            say(
                lang,
                "全部汇总数据与重新统计一致。",
                "every roll-up equals the recount."
            )
        );
    } else {
        println!(
            "{} {bad} ({secs:.1} s)",
            say(
                lang,
                "汇总数据与重新统计不一致，处数：",
                "roll-ups differing from the recount:"
            )
        );
    }
    Ok(bad == 0)
}
