//! Demo needs and availability for the programs' NEXT batch (2027), for the planner (issue 19):
//! every need is posted with an expert of its specialty and title free for it, so that a solve
//! covers most needs — except exactly one, which no donor expert of its program can fill.
//!
//! | program | needs | availability |
//! |---|---|---|
//! | 豫哈 | 31 at 红星医院 across its four schemes (中组部援疆 a year, 柔性援疆 three months, 名医行 visits, 公卫小组团), plus one 地方病科 need no 河南省人民医院 expert can fill | one expert per need, a few more |
//! | 沪滇 | 组团式 teams for three county hospitals (盐津, 彝良, 大关): a leader as 挂职院长 and 3–4 科主任 of named specialties, six months at least | the teams' experts from 新华, 市一, 仁济/闵行 |
//! | 闽 (宁德·福鼎) | 候鸟 needs on fixed weekdays at 宁德 (Tue, Thu) and 福鼎 (Sat) | experts accepting weekly stints |
//! | 沪蒙, 京蒙 | a few stationed and monthly needs per pairing | one expert per need |
//!
//! Experts are taken from the donor institutions' registry people (their real specialty and
//! title), among those with no assignment running into 2027 and not yet offered to another
//! program (a donor serving two programs gives each its own experts). Everything goes through the
//! domain's input parsing and the store's audited writes, on the demo's open transaction.

use chrono::{Duration, NaiveDate};
use shanhai_domain::codes::Title;
use shanhai_domain::planning::availability::{AvailabilityInput, BlackoutInput};
use shanhai_domain::planning::needs::NeedInput;
use shanhai_store::audit::Actor;
use shanhai_store::planning::{availability, needs};
use shanhai_store::query::{self, opt_text, text};
use shanhai_store::{Result, StoreError};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// What the planning demo needs from the registry part.
pub struct Registry<'a> {
    pub programs: &'a HashMap<String, String>,
    pub institutions: &'a HashMap<String, String>,
}

/// How many needs and windows were posted.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub needs: usize,
    pub availability: usize,
}

struct Expert {
    id: String,
    institution_id: String,
    title: Title,
    specialty: String,
    used: bool,
}

/// A window to post for an expert: the needs they were taken for.
struct Offer {
    person_id: String,
    modes: Vec<&'static str>,
    /// The need windows they serve (for placing blackouts outside them).
    windows: Vec<(String, String)>,
    longest: i64,
}

struct Spec<'a> {
    institution: &'a str,
    department: Option<String>,
    scheme: Option<String>,
    specialty: String,
    mode: &'static str,
    weekdays: Vec<i64>,
    window: (&'static str, &'static str),
    min_stay: i64,
    post: &'static str,
    min_title: Option<&'static str>,
    priority: i64,
    team: Option<(String, &'static str)>,
    note: Option<String>,
}

fn missing(what: &str, key: &str) -> StoreError {
    StoreError::Other(format!("demo planning: unknown {what} {key}"))
}

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("demo planning {what}: {e}"))
}

struct Program<'a> {
    id: String,
    /// (donor, recipient) institution ids of its pairings.
    pairs: Vec<(String, String)>,
    experts: Vec<Expert>,
    schemes: Vec<(String, String)>,
    offers: Vec<Offer>,
    actor: &'a Actor,
    posted: usize,
}

async fn program<'a>(conn: &mut AnyConnection, actor: &'a Actor, id: &str) -> Result<Program<'a>> {
    let rows = query::sql_with(
        "SELECT donor_id, recipient_id FROM pairings WHERE program_id = $1 ORDER BY start_date, id"
            .into(),
        vec![id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut pairs = Vec::new();
    for r in &rows {
        pairs.push((text(r, "donor_id")?, text(r, "recipient_id")?));
    }
    let mut experts = Vec::new();
    let mut donors: Vec<String> = pairs.iter().map(|(d, _)| d.clone()).collect();
    donors.dedup();
    for donor in donors {
        if experts.iter().any(|e: &Expert| e.institution_id == donor) {
            continue;
        }
        let rows = query::sql_with(
            "SELECT p.id, p.title, p.specialty_code FROM people p WHERE p.institution_id = $1 \
             AND p.specialty_code IS NOT NULL \
             AND p.title IN ('chief-physician', 'associate-chief-physician', 'attending-physician') \
             AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.person_id = p.id \
                             AND a.end_date >= '2026-12-01') \
             AND NOT EXISTS (SELECT 1 FROM availability av WHERE av.person_id = p.id) \
             ORDER BY p.specialty_code, p.name, p.id"
                .into(),
            vec![donor.clone().into()],
        )
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            let Some(title) = Title::parse(&text(r, "title")?) else {
                continue;
            };
            experts.push(Expert {
                id: text(r, "id")?,
                institution_id: donor.clone(),
                title,
                specialty: opt_text(r, "specialty_code")?.unwrap_or_default(),
                used: false,
            });
        }
    }
    let rows = query::sql_with(
        "SELECT id, name FROM dispatch_schemes WHERE program_id = $1 ORDER BY name".into(),
        vec![id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut schemes = Vec::new();
    for r in &rows {
        schemes.push((text(r, "name")?, text(r, "id")?));
    }
    Ok(Program {
        id: id.to_string(),
        pairs,
        experts,
        schemes,
        offers: Vec::new(),
        actor,
        posted: 0,
    })
}

/// A recipient's departments as (specialty, id), by name.
async fn departments(conn: &mut AnyConnection, institution: &str) -> Result<Vec<(String, String)>> {
    let rows = query::sql_with(
        "SELECT id, specialty_code FROM departments WHERE institution_id = $1 ORDER BY name, id"
            .into(),
        vec![institution.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((text(r, "specialty_code")?, text(r, "id")?)))
        .collect()
}

impl Program<'_> {
    fn scheme(&self, name: &str) -> Option<String> {
        self.schemes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
    }

    fn donors_of(&self, recipient: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(_, r)| r == recipient)
            .map(|(d, _)| d.clone())
            .collect()
    }

    /// The specialties the donors of `recipient` have free experts of (at least `title`), most
    /// experts first, then by code.
    fn specialties_for(&self, recipient: &str, least: Title) -> Vec<String> {
        let donors = self.donors_of(recipient);
        let mut counts: Vec<(String, usize)> = Vec::new();
        for e in self
            .experts
            .iter()
            .filter(|e| !e.used && donors.contains(&e.institution_id) && e.title.meets(least))
        {
            match counts.iter_mut().find(|(s, _)| *s == e.specialty) {
                Some((_, n)) => *n += 1,
                None => counts.push((e.specialty.clone(), 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts.into_iter().map(|(s, _)| s).collect()
    }

    /// Takes a free expert of the specialty and title for `recipient`.
    fn take(&mut self, recipient: &str, specialty: &str, least: Option<Title>) -> Option<usize> {
        let donors = self.donors_of(recipient);
        let i = self.experts.iter().position(|e| {
            !e.used
                && e.specialty == specialty
                && donors.contains(&e.institution_id)
                && least.is_none_or(|l| e.title.meets(l))
        })?;
        self.experts[i].used = true;
        Some(i)
    }

    /// Posts a need, with an expert free for it when `covered`; a need no expert can be found
    /// for is left out (unless it is the one meant to stay uncovered).
    async fn need(
        &mut self,
        conn: &mut AnyConnection,
        spec: Spec<'_>,
        covered: bool,
    ) -> Result<bool> {
        let least = spec.min_title.and_then(Title::parse);
        let expert = if covered {
            match self.take(spec.institution, &spec.specialty, least) {
                Some(i) => Some(i),
                None => return Ok(false),
            }
        } else {
            None
        };
        let new = NeedInput {
            program_id: self.id.clone(),
            scheme_id: spec.scheme.clone(),
            institution_id: spec.institution.to_string(),
            department_id: spec.department.clone(),
            specialty_code: spec.specialty.clone(),
            mode: spec.mode.into(),
            weekdays: spec.weekdays.clone(),
            start_date: spec.window.0.into(),
            end_date: spec.window.1.into(),
            min_stay_days: spec.min_stay,
            post: spec.post.into(),
            min_title: spec.min_title.map(str::to_string),
            priority: spec.priority,
            team_name: spec.team.as_ref().map(|t| t.0.clone()),
            team_role: spec.team.as_ref().map(|t| t.1.to_string()),
            status: None,
            note: spec.note.clone(),
        }
        .parse()
        .map_err(|e| bad("need", e))?;
        needs::create_on(conn, self.actor, &new).await?;
        self.posted += 1;
        if let Some(i) = expert {
            let window = (spec.window.0.to_string(), spec.window.1.to_string());
            let id = self.experts[i].id.clone();
            match self.offers.iter_mut().find(|o| o.person_id == id) {
                Some(o) => {
                    if !o.modes.contains(&spec.mode) {
                        o.modes.push(spec.mode);
                    }
                    o.windows.push(window);
                    o.longest = o.longest.max(spec.min_stay);
                }
                None => self.offers.push(Offer {
                    person_id: id,
                    modes: vec![spec.mode],
                    windows: vec![window],
                    longest: spec.min_stay,
                }),
            }
        }
        Ok(true)
    }

    /// A few more free experts of `recipient`'s donors, so that a solve has choices.
    fn spare(&mut self, recipient: &str, n: usize) {
        let donors = self.donors_of(recipient);
        for e in self
            .experts
            .iter_mut()
            .filter(|e| !e.used && donors.contains(&e.institution_id))
            .take(n)
        {
            e.used = true;
            self.offers.push(Offer {
                person_id: e.id.clone(),
                modes: vec!["stationed"],
                windows: Vec::new(),
                longest: 0,
            });
        }
    }

    /// Posts every expert's window: from a little before their needs' windows to a little
    /// after (the spares' by turns), the modes of their needs (and stationed), a longest stint
    /// for some, and for some a week's blackout after their needs end (a conference, duty at
    /// home), which leaves the needs coverable.
    async fn post_offers(&mut self, conn: &mut AnyConnection) -> Result<usize> {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let (first, last) = (day("2027-01-04"), day("2028-03-31"));
        let mut n = 0;
        for (k, o) in self.offers.iter().enumerate() {
            let mut modes: Vec<String> = o.modes.iter().map(|m| m.to_string()).collect();
            if !modes.iter().any(|m| m == "stationed") {
                modes.push("stationed".into());
            }
            let (start, end) = if o.windows.is_empty() {
                match k % 3 {
                    0 => (day("2027-03-01"), day("2027-09-30")),
                    1 => (day("2027-06-01"), day("2028-02-29")),
                    _ => (first, day("2027-12-31")),
                }
            } else {
                let s = o.windows.iter().map(|(s, _)| day(s)).min().unwrap_or(first);
                let e = o.windows.iter().map(|(_, e)| day(e)).max().unwrap_or(last);
                let before = Duration::days(14 * (k as i64 % 3));
                let after = Duration::days(if k % 2 == 1 { 30 } else { 0 });
                ((s - before).max(first), (e + after).min(last))
            };
            let needs_end = o.windows.iter().map(|(_, e)| day(e)).max();
            let blackouts = match needs_end {
                Some(e) if k % 2 == 1 && k % 3 != 2 && e + Duration::days(16) <= end => {
                    vec![BlackoutInput {
                        start_date: (e + Duration::days(10)).to_string(),
                        end_date: (e + Duration::days(16)).to_string(),
                        reason: Some(
                            if k % 4 == 1 {
                                "学术会议"
                            } else {
                                "院内值班"
                            }
                            .into(),
                        ),
                    }]
                }
                _ => Vec::new(),
            };
            let longest = (k % 4 == 1 && o.longest > 0 && o.longest <= 200).then_some(240);
            let new = AvailabilityInput {
                person_id: o.person_id.clone(),
                start_date: start.to_string(),
                end_date: end.to_string(),
                modes,
                longest_stint_days: longest,
                blackouts,
                note: None,
            }
            .parse()
            .map_err(|e| bad("availability", e))?;
            availability::create_on(conn, self.actor, &new).await?;
            n += 1;
        }
        Ok(n)
    }
}

fn department_of(deps: &[(String, String)], specialty: &str) -> Option<String> {
    deps.iter()
        .find(|(s, _)| s == specialty)
        .map(|(_, id)| id.clone())
}

pub async fn load(
    conn: &mut AnyConnection,
    actor: &Actor,
    registry: &Registry<'_>,
) -> Result<Summary> {
    let started = std::time::Instant::now();
    let program_id = |k: &str| {
        registry
            .programs
            .get(k)
            .cloned()
            .ok_or_else(|| missing("program", k))
    };
    let inst = |k: &str| {
        registry
            .institutions
            .get(k)
            .cloned()
            .ok_or_else(|| missing("institution", k))
    };
    let mut summary = Summary::default();

    // ---- 豫哈: the next batch at 红星医院 across the four schemes ----
    let mut p = program(conn, actor, &program_id("yu-ha")?).await?;
    let hongxing = inst("hm-hongxing")?;
    let deps = departments(conn, &hongxing).await?;
    #[allow(clippy::type_complexity)]
    let batch: [(&str, usize, &str, (&str, &str), i64, &str, &str, i64); 5] = [
        // scheme, needs, mode, window, minimum stay, post, least title, priority
        (
            "中组部援疆",
            6,
            "stationed",
            ("2027-02-01", "2028-03-31"),
            365,
            "department-head",
            "associate-chief-physician",
            5,
        ),
        (
            "柔性援疆",
            7,
            "stationed",
            ("2027-03-01", "2027-08-31"),
            90,
            "team-member",
            "attending-physician",
            4,
        ),
        (
            "柔性援疆",
            7,
            "stationed",
            ("2027-09-01", "2028-02-29"),
            90,
            "team-member",
            "attending-physician",
            3,
        ),
        (
            "名医行",
            6,
            "one-off",
            ("2027-04-01", "2027-11-30"),
            5,
            "team-member",
            "chief-physician",
            2,
        ),
        (
            "公卫小组团",
            5,
            "stationed",
            ("2027-05-01", "2027-10-31"),
            60,
            "team-member",
            "attending-physician",
            3,
        ),
    ];
    for (scheme, count, mode, window, min_stay, post, least, priority) in batch {
        let least_title = Title::parse(least).unwrap_or(Title::AttendingPhysician);
        let mut posted = 0;
        let mut round = 0;
        while posted < count && round < 3 {
            let specialties = p.specialties_for(&hongxing, least_title);
            if specialties.is_empty() {
                break;
            }
            for s in specialties {
                if posted == count {
                    break;
                }
                let spec = Spec {
                    institution: &hongxing,
                    department: department_of(&deps, &s),
                    scheme: p.scheme(scheme),
                    specialty: s,
                    mode,
                    weekdays: Vec::new(),
                    window,
                    min_stay,
                    post,
                    min_title: Some(least),
                    priority,
                    team: None,
                    note: None,
                };
                if p.need(conn, spec, true).await? {
                    posted += 1;
                }
            }
            round += 1;
        }
    }
    // The one need no expert of the program can fill: 地方病科 (endemic diseases) — or, should
    // the donor ever have one, 结核病科.
    let donor_specialties: Vec<String> = p.experts.iter().map(|e| e.specialty.clone()).collect();
    let lacking = ["18", "17", "25"]
        .into_iter()
        .find(|code| {
            !donor_specialties
                .iter()
                .any(|s| s == code || s.starts_with(&format!("{code}.")))
        })
        .unwrap_or("18");
    p.need(
        conn,
        Spec {
            institution: &hongxing,
            department: None,
            scheme: p.scheme("中组部援疆"),
            specialty: lacking.to_string(),
            mode: "stationed",
            weekdays: Vec::new(),
            window: ("2027-03-01", "2027-12-31"),
            min_stay: 180,
            post: "department-head",
            min_title: Some("associate-chief-physician"),
            priority: 4,
            team: None,
            note: Some("兵团地方病防治需要；派出医院尚无该专科专家".into()),
        },
        false,
    )
    .await?;
    p.spare(&hongxing, 6);
    summary.availability += p.post_offers(conn).await?;
    summary.needs += p.posted;

    // ---- 沪滇: 组团式 teams for three county hospitals ----
    let mut p = program(conn, actor, &program_id("hu-dian")?).await?;
    for (key, team, members) in [
        ("zt-yanjin", "盐津县人民医院组团式帮扶队（2027）", 4),
        ("zt-yiliang", "彝良县人民医院组团式帮扶队（2027）", 3),
        ("zt-daguan", "大关县人民医院组团式帮扶队（2027）", 4),
    ] {
        let hospital = inst(key)?;
        let deps = departments(conn, &hospital).await?;
        let window = ("2027-03-01", "2027-12-31");
        // The leader: a senior expert of the most common specialty, as 挂职院长.
        let Some(leader_specialty) = p
            .specialties_for(&hospital, Title::AssociateChiefPhysician)
            .into_iter()
            .next()
        else {
            continue;
        };
        let mut seen: Vec<String> = vec![leader_specialty.clone()];
        p.need(
            conn,
            Spec {
                institution: &hospital,
                department: None,
                scheme: p.scheme("组团式帮扶"),
                specialty: leader_specialty,
                mode: "stationed",
                weekdays: Vec::new(),
                window,
                min_stay: 183,
                post: "acting-president",
                min_title: Some("associate-chief-physician"),
                priority: 5,
                team: Some((team.to_string(), "leader")),
                note: Some("挂职院长，统筹组团式帮扶".into()),
            },
            true,
        )
        .await?;
        let mut posted = 0;
        for s in p.specialties_for(&hospital, Title::AssociateChiefPhysician) {
            if posted == members {
                break;
            }
            if seen.contains(&s) {
                continue;
            }
            seen.push(s.clone());
            let spec = Spec {
                institution: &hospital,
                department: department_of(&deps, &s),
                scheme: p.scheme("组团式帮扶"),
                specialty: s,
                mode: "stationed",
                weekdays: Vec::new(),
                window,
                min_stay: 183,
                post: "department-head",
                min_title: Some("associate-chief-physician"),
                priority: 4,
                team: Some((team.to_string(), "member")),
                note: None,
            };
            if p.need(conn, spec, true).await? {
                posted += 1;
            }
        }
        p.spare(&hospital, 2);
    }
    summary.availability += p.post_offers(conn).await?;
    summary.needs += p.posted;

    // ---- 闽: 候鸟 experts on fixed weekdays at 宁德 and 福鼎 ----
    let mut p = program(conn, actor, &program_id("min-regional")?).await?;
    for (key, weekdays, count) in [("nd-hospital", vec![2, 4], 5), ("fd-hospital", vec![6], 5)] {
        let hospital = inst(key)?;
        let deps = departments(conn, &hospital).await?;
        let mut posted = 0;
        for s in p.specialties_for(&hospital, Title::AttendingPhysician) {
            if posted == count {
                break;
            }
            let spec = Spec {
                institution: &hospital,
                department: department_of(&deps, &s),
                scheme: p.scheme("候鸟专家"),
                specialty: s,
                mode: "weekly",
                weekdays: weekdays.clone(),
                window: ("2027-03-01", "2027-08-31"),
                min_stay: 56,
                post: "team-member",
                min_title: Some("associate-chief-physician"),
                priority: 3,
                team: None,
                note: Some("候鸟式坐诊、查房、带教".into()),
            };
            if p.need(conn, spec, true).await? {
                posted += 1;
            }
        }
        p.spare(&hospital, 2);
    }
    summary.availability += p.post_offers(conn).await?;
    summary.needs += p.posted;

    // ---- 沪蒙 and 京蒙: a few needs per pairing ----
    for (program_key, mode, window, min_stay, per_pairing) in [
        ("hu-meng", "monthly", ("2027-03-01", "2027-12-31"), 30, 2),
        (
            "jing-meng",
            "stationed",
            ("2027-04-01", "2027-09-30"),
            90,
            1,
        ),
    ] {
        let mut p = program(conn, actor, &program_id(program_key)?).await?;
        let mut recipients: Vec<String> = p.pairs.iter().map(|(_, r)| r.clone()).collect();
        recipients.dedup();
        for hospital in recipients {
            let deps = departments(conn, &hospital).await?;
            let mut posted = 0;
            for s in p.specialties_for(&hospital, Title::AssociateChiefPhysician) {
                if posted == per_pairing {
                    break;
                }
                let spec = Spec {
                    institution: &hospital,
                    department: department_of(&deps, &s),
                    scheme: None,
                    specialty: s,
                    mode,
                    weekdays: Vec::new(),
                    window,
                    min_stay,
                    post: if posted == 0 {
                        "department-head"
                    } else {
                        "team-member"
                    },
                    min_title: Some("associate-chief-physician"),
                    priority: 3 - i64::from(posted),
                    team: None,
                    note: None,
                };
                if p.need(conn, spec, true).await? {
                    posted += 1;
                }
            }
            p.spare(&hospital, 1);
        }
        summary.availability += p.post_offers(conn).await?;
        summary.needs += p.posted;
    }
    tracing::info!(
        needs = summary.needs,
        availability = summary.availability,
        total_ms = started.elapsed().as_millis() as u64,
        "demo planning needs and availability loaded"
    );
    Ok(summary)
}
