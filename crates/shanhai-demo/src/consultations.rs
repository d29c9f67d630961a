//! Demo remote consultations, MDT sessions and two-way referrals at the scale the seed articles
//! report, with every transition timed, signed opinions, and a few items still open so that the
//! demo accounts have something in their inbox.
//!
//! | program | what the article says | what is generated |
//! |---|---|---|
//! | 沪滇 | 会诊和疑难病例讨论 5500余人次 (by 2024-06-30); 300多名市外肿瘤患者返回昭通治疗 | 5,537 consultations by the article's date, 5,800 in all; 330 tumour patients referred back to 滇东北中心医院 |
//! | 豫哈 | 疑难病例讨论及多学科会诊 3000余次 (by 2026-03-04) | 3,066 疑难病例讨论 and MDT by the article's date, 3,250 consultations in all |
//! | 京蒙 | 远程会诊, 大病不出区; 疑难病例讨论170次 (by 2025-04-30) | 1,500 consultations, 1,200 by the article's date of which exactly 170 difficult-case discussions; most up-referrals stay in the region |
//! | 沪蒙, 宁德 | 远程会诊, 病例讨论 | 400 and 600 consultations |
//!
//! Written with multi-row INSERTs (a few hundred rows a statement) inside the demo's one
//! transaction; each consultation and referral gets one `create` audit entry, also in bulk.
//! The generator is seeded, so the content is the same on every load (times follow today).

mod cases;

use cases::{CASES, Case, Field, IMAGING, Sex, field_of};
use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shanhai_domain::bookings::{check_char, mask_id_number, mask_name};
use shanhai_store::crypto::PatientCipher;
use shanhai_store::query::{self, Arg, opt_text, text};
use shanhai_store::{Result, StoreError};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// What the consultation demo needs from the rest of the demo.
pub struct Registry<'a> {
    /// Institution ids by registry key.
    pub institutions: &'a HashMap<String, String>,
    /// Program ids by registry key.
    pub programs: &'a HashMap<String, String>,
    /// The demo password's hash, for the (inactive) accounts of the clinicians who filed the
    /// historical requests.
    pub password_hash: &'a str,
}

/// What was generated.
#[derive(Debug, Default)]
pub struct Summary {
    pub consultations: usize,
    pub referrals: usize,
    /// Consultations and referrals by program key.
    pub by_program: Vec<(String, usize, usize)>,
    /// About five imaging (`imaging`) consultations to attach synthetic DICOM studies to; the
    /// first ones are in the inbox of the demo `expert` and `clinician` accounts.
    pub imaging: Vec<String>,
}

struct ConsultPlan {
    program: &'static str,
    total: usize,
    open: usize,
    types: &'static [(&'static str, u32)],
    /// How many were filed by the article's date (`as_of` in `registry.json`); the rest (and
    /// the open ones) come after it.
    by_as_of: usize,
    /// The types of those filed by the article's date, when the article names them.
    history_types: Option<&'static [(&'static str, u32)]>,
    /// Exactly this many of one type by the article's date, when the article counts it.
    history_exact: Option<(&'static str, usize)>,
}

const CONSULT_PLANS: &[ConsultPlan] = &[
    ConsultPlan {
        program: "hu-dian",
        total: 5_800,
        open: 18,
        types: &[
            ("general", 40),
            ("difficult-case", 30),
            ("mdt", 10),
            ("imaging", 10),
            ("pathology", 6),
            ("surgical-guidance", 4),
        ],
        by_as_of: 5_537,
        history_types: None,
        history_exact: None,
    },
    ConsultPlan {
        program: "yu-ha",
        total: 3_250,
        open: 12,
        types: &[
            ("difficult-case", 45),
            ("mdt", 30),
            ("general", 10),
            ("imaging", 8),
            ("pathology", 4),
            ("surgical-guidance", 3),
        ],
        by_as_of: 3_066,
        history_types: Some(&[("difficult-case", 60), ("mdt", 40)]),
        history_exact: None,
    },
    ConsultPlan {
        program: "jing-meng",
        total: 1_500,
        open: 14,
        types: &[
            ("general", 35),
            ("difficult-case", 25),
            ("mdt", 15),
            ("imaging", 12),
            ("pathology", 8),
            ("surgical-guidance", 5),
        ],
        by_as_of: 1_200,
        history_types: None,
        history_exact: Some(("difficult-case", 170)),
    },
    ConsultPlan {
        program: "hu-meng",
        total: 400,
        open: 6,
        types: &[
            ("general", 40),
            ("difficult-case", 30),
            ("mdt", 15),
            ("imaging", 10),
            ("surgical-guidance", 5),
        ],
        by_as_of: 300,
        history_types: None,
        history_exact: None,
    },
    ConsultPlan {
        program: "min-regional",
        total: 600,
        open: 8,
        types: &[
            ("general", 35),
            ("difficult-case", 30),
            ("mdt", 15),
            ("imaging", 10),
            ("pathology", 5),
            ("surgical-guidance", 5),
        ],
        by_as_of: 420,
        history_types: None,
        history_exact: None,
    },
];

struct ReferralPlan {
    program: &'static str,
    total: usize,
    open: usize,
    /// (from, to, up?, weight)
    routes: &'static [(&'static str, &'static str, bool, u32)],
}

const REFERRAL_PLANS: &[ReferralPlan] = &[
    ReferralPlan {
        program: "hu-dian",
        total: 900,
        open: 12,
        routes: &[
            ("zt-yanjin", "zt-dianbei", true, 8),
            ("zt-yiliang", "zt-dianbei", true, 8),
            ("zt-daguan", "zt-dianbei", true, 8),
            ("zt-yiliang-2nd", "zt-yiliang", true, 5),
            ("zt-jingan-thc", "zt-daguan", true, 5),
            ("zt-suijiang-tcm", "zt-dianbei", true, 3),
            ("zt-yanjin", "sh-xinhua", true, 2),
            ("zt-yiliang", "sh-first", true, 2),
            ("zt-daguan", "sh-renji", true, 2),
            ("zt-dianbei", "sh-fudan-cancer", true, 3),
            ("zt-dianbei", "zt-yanjin", false, 4),
            ("zt-dianbei", "zt-yiliang", false, 4),
            ("zt-dianbei", "zt-daguan", false, 4),
            ("zt-daguan", "zt-jingan-thc", false, 3),
            ("zt-yiliang", "zt-yiliang-2nd", false, 2),
            ("sh-xinhua", "zt-yanjin", false, 1),
            ("sh-first", "zt-yiliang", false, 1),
            ("sh-renji", "zt-daguan", false, 1),
        ],
    },
    ReferralPlan {
        program: "yu-ha",
        total: 700,
        open: 6,
        routes: &[
            ("hm-hongxing", "hn-people", true, 6),
            ("hn-people", "hm-hongxing", false, 4),
        ],
    },
    ReferralPlan {
        program: "jing-meng",
        total: 700,
        open: 10,
        routes: &[
            ("szw-people", "nm-xuanwu", true, 3),
            ("szw-people", "nm-friendship", true, 3),
            ("szw-people", "nm-pku-cancer", true, 2),
            ("tkt-wushijia", "nm-pku-cancer", true, 2),
            ("szw-people", "bj-huairou", true, 1),
            ("nm-pku-cancer", "bj-pku-cancer", true, 2),
            ("nm-xuanwu", "bj-xuanwu", true, 1),
            ("nm-brain", "bj-tiantan", true, 1),
            ("nm-friendship", "bj-friendship", true, 1),
            ("nm-xuanwu", "szw-people", false, 2),
            ("nm-pku-cancer", "tkt-wushijia", false, 2),
            ("nm-friendship", "szw-people", false, 2),
            ("bj-pku-cancer", "nm-pku-cancer", false, 2),
            ("bj-tiantan", "nm-brain", false, 1),
        ],
    },
    ReferralPlan {
        program: "hu-meng",
        total: 200,
        open: 4,
        routes: &[
            ("bt-fourth", "sh-childrens", true, 2),
            ("bt-central", "sh-ruijin", true, 2),
            ("bt-med2", "sh-fudan-cancer", true, 2),
            ("bt-sixth", "sh-mental", true, 1),
            ("bt-yiji", "sh-ninth", true, 1),
            ("sh-childrens", "bt-fourth", false, 1),
            ("sh-ruijin", "bt-central", false, 1),
            ("sh-fudan-cancer", "bt-med2", false, 1),
        ],
    },
    ReferralPlan {
        program: "min-regional",
        total: 300,
        open: 5,
        routes: &[
            ("fd-hospital", "nd-hospital", true, 4),
            ("fd-hospital", "wz-second", true, 3),
            ("nd-hospital", "sh-first", true, 2),
            ("fd-hospital", "sh-renji", true, 1),
            ("fd-hospital", "sh-ruijin", true, 1),
            ("nd-hospital", "fd-hospital", false, 3),
            ("wz-second", "fd-hospital", false, 2),
            ("sh-first", "nd-hospital", false, 2),
        ],
    },
];

/// Tumour patients long treated outside the city who came back to 昭通 (the article: 300多名).
const TUMOUR_RETURNS: usize = 330;

const MAX_PARAMS: usize = 12_000;
const MAX_ROWS: usize = 500;

fn missing(what: &str, key: &str) -> StoreError {
    StoreError::Other(format!("demo consultations: unknown {what} {key}"))
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// China time as a `datetime-local` value, the way the schedule form sends it.
fn local_minute(t: DateTime<Utc>) -> String {
    (t + Duration::hours(8))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

fn minutes(rng: &mut StdRng, lo: i64, hi: i64) -> Duration {
    Duration::minutes(rng.gen_range(lo..=hi))
}

/// A UUIDv7-shaped id whose time part is `at`, with seeded random bits.
fn uuid7(rng: &mut StdRng, at: DateTime<Utc>) -> String {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let a: u16 = rng.r#gen::<u16>() & 0x0fff;
    let b: u64 = rng.r#gen::<u64>() & 0x3fff_ffff_ffff_ffff;
    format!(
        "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
        ms >> 16,
        ms & 0xffff,
        a,
        0x8000 | (b >> 48),
        b & 0xffff_ffff_ffff
    )
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if roll < *w {
            return *item;
        }
        roll -= w;
    }
    items[0].0
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// A time between `from` and `until`, more often recent (programs grew): density rises
/// linearly. Office hours in China unless urgent.
fn spread(
    rng: &mut StdRng,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    urgent: bool,
) -> DateTime<Utc> {
    if from >= until {
        return until;
    }
    let span = (until - from).num_days().max(1);
    let u: f64 = rng.r#gen();
    let d = ((span as f64) * u.sqrt()) as i64;
    let base = midnight((from + Duration::days(d)).date_naive());
    let minute = if urgent {
        rng.gen_range(0..24 * 60)
    } else {
        // 08:00–17:30 China time.
        rng.gen_range(0..570)
    };
    (base + Duration::minutes(minute)).clamp(from, until)
}

#[derive(Clone)]
struct Person {
    id: String,
    name: String,
    senior: bool,
    specialty: Option<String>,
}

impl Person {
    fn field(&self) -> Option<Field> {
        self.specialty.as_deref().map(field_of)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Requested,
    Accepted,
    Scheduled,
    Held,
    Signed,
    Closed,
    Declined,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RFate {
    Created,
    Accepted,
    Arrived,
    Treated,
    DownReferred,
    Closed,
    Declined,
    Cancelled,
}

struct Patient {
    name: String,
    id_number: Option<String>,
    sex: &'static str,
    age: i64,
}

struct ConsultSpec<'c> {
    program: String,
    requesting: String,
    target: String,
    kind: &'static str,
    urgent: bool,
    requested: DateTime<Utc>,
    fate: Fate,
    experts: Vec<Person>,
    case: &'c Case,
    requester: (String, String),
    /// For an open one: when the scheduled session is (may be ahead).
    scheduled_for: Option<DateTime<Utc>>,
}

struct ReferralSpec {
    program: String,
    up: bool,
    urgent: bool,
    from: String,
    to: String,
    to_department: Option<String>,
    coordinator: Option<String>,
    field: Field,
    reason: String,
    created: DateTime<Utc>,
    fate: RFate,
    consultation: Option<String>,
    clinic_session: Option<String>,
    sender: (String, String),
    close_note: Option<&'static str>,
}

/// A closed consultation whose decision sends the patient up: (id, program, from, to, field,
/// closed at, chair's name).
type ToRefer = (String, String, String, String, Field, DateTime<Utc>, String);

/// A step of a timeline: (action, from, to, at, actor, note).
type Step = (
    &'static str,
    &'static str,
    &'static str,
    DateTime<Utc>,
    String,
    Option<String>,
);

#[derive(Default)]
struct Rows {
    users: Vec<Vec<Arg>>,
    consultations: Vec<Vec<Arg>>,
    experts: Vec<Vec<Arg>>,
    opinions: Vec<Vec<Arg>>,
    events: Vec<Vec<Arg>>,
    referrals: Vec<Vec<Arg>>,
    referral_events: Vec<Vec<Arg>>,
    audit: Vec<Vec<Arg>>,
}

struct Gen<'a> {
    rng: StdRng,
    cipher: &'a PatientCipher,
    now: DateTime<Utc>,
    loaded_at: String,
    password_hash: &'a str,
    keys: HashMap<String, String>,
    regions: HashMap<String, String>,
    people: HashMap<String, Vec<Person>>,
    /// Chief and associate chief physicians by institution (everyone when it has none).
    seniors: HashMap<String, Vec<Person>>,
    departments: HashMap<String, Vec<(String, String)>>,
    requesters: HashMap<String, (String, String)>,
    /// A coordinator user by receiving institution (the demo accounts).
    coordinators: HashMap<String, String>,
    rows: Rows,
    per_program: HashMap<String, (usize, usize)>,
    /// Closed consultations whose decision sends the patient up: (id, program, from, to, field,
    /// closed at, chair name).
    to_refer: Vec<ToRefer>,
    imaging: Vec<(String, String, Fate)>,
}

impl Gen<'_> {
    fn key(&self, id: &str) -> &str {
        self.keys.get(id).map(String::as_str).unwrap_or("")
    }

    fn patient(
        &mut self,
        sex: Sex,
        ages: (i64, i64),
        institution: &str,
        at: DateTime<Utc>,
    ) -> Patient {
        let rng = &mut self.rng;
        let male = match sex {
            Sex::Male => true,
            Sex::Female => false,
            Sex::Any => rng.gen_bool(0.52),
        };
        let age = rng.gen_range(ages.0..=ages.1.max(ages.0));
        let region: String = self
            .regions
            .get(institution)
            .map(|r| r.chars().take(6).collect())
            .unwrap_or_else(|| "110101".into());
        let local = match region.get(..2) {
            Some("15") => Some(0..5),
            Some("65") => Some(5..10),
            Some("53") => Some(10..13),
            _ => None,
        };
        let name = match local {
            Some(range) if rng.gen_bool(0.12) => cases::LOCAL_NAMES[rng.gen_range(range)].into(),
            _ => format!("{}{}", pick(rng, cases::SURNAMES), pick(rng, cases::GIVEN)),
        };
        let id_number = rng.gen_bool(0.9).then(|| {
            let birth = NaiveDate::from_ymd_opt(
                at.year() - i32::try_from(age).unwrap_or(0) - i32::from(rng.gen_bool(0.5)),
                rng.gen_range(1..=12),
                rng.gen_range(1..=28),
            )
            .unwrap_or_default();
            let mut seq: u32 = rng.gen_range(0..1000);
            if (seq % 2 == 1) != male {
                seq = (seq + 1) % 1000;
            }
            let body = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
            let check = check_char(&body).unwrap_or('0');
            format!("{body}{check}")
        });
        Patient {
            name,
            id_number,
            sex: if male { "male" } else { "female" },
            age,
        }
    }

    /// The (inactive) account of a clinician of this institution who files its requests.
    fn requester(&mut self, institution: &str) -> (String, String) {
        if let Some(r) = self.requesters.get(institution) {
            return r.clone();
        }
        let person = self
            .people
            .get(institution)
            .and_then(|p| p.iter().find(|p| !p.senior).or(p.first()))
            .cloned();
        let name = person
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "演示医生".into());
        let at = self.now;
        let id = uuid7(&mut self.rng, at);
        let username = format!("demo-{}", self.key(institution));
        self.rows.users.push(vec![
            id.clone().into(),
            username.into(),
            name.clone().into(),
            self.password_hash.into(),
            "clinician".into(),
            Arg::OptText(None),
            institution.into(),
            0i64.into(),
            Arg::OptText(person.map(|p| p.id)),
            self.loaded_at.clone().into(),
            self.loaded_at.clone().into(),
        ]);
        let audit = self.audit_row(
            "user",
            &id,
            serde_json::json!({"id": id, "role": "clinician", "active": false}),
        );
        self.rows.audit.push(audit);
        self.requesters
            .insert(institution.into(), (id.clone(), name.clone()));
        (id, name)
    }

    fn audit_row(&mut self, entity: &str, id: &str, after: serde_json::Value) -> Vec<Arg> {
        let audit_id = uuid7(&mut self.rng, self.now);
        vec![
            audit_id.into(),
            self.loaded_at.clone().into(),
            Arg::OptText(None),
            "demo".into(),
            "create".into(),
            entity.into(),
            id.into(),
            Arg::OptText(None),
            Arg::OptText(Some(after.to_string())),
            Arg::OptText(None),
        ]
    }

    fn seniors(&self, institution: &str) -> Vec<Person> {
        self.seniors.get(institution).cloned().unwrap_or_default()
    }

    fn department(&mut self, institution: &str, field: Option<Field>) -> Option<(String, String)> {
        let deps = self.departments.get(institution)?;
        let matching: Vec<&(String, String)> = match field {
            Some(f) => deps.iter().filter(|(_, s)| field_of(s) == f).collect(),
            None => deps.iter().collect(),
        };
        if matching.is_empty() {
            return None;
        }
        Some((*pick(&mut self.rng, &matching)).clone())
    }

    /// Picks type, experts and case for a consultation between two hospitals.
    fn compose(
        &mut self,
        donor: &str,
        wanted: &'static str,
    ) -> Option<(&'static str, Vec<Person>, &'static Case)> {
        let seniors: &Vec<Person> = self.seniors.get(donor)?;
        if seniors.is_empty() {
            return None;
        }
        let clinical: Vec<&Person> = seniors
            .iter()
            .filter(|p| !matches!(p.field(), Some(Field::Imaging | Field::Pathology)))
            .collect();
        let clinical = if clinical.is_empty() {
            seniors.iter().collect()
        } else {
            clinical
        };
        let of_field = |f: Field| -> Vec<&Person> {
            seniors.iter().filter(|p| p.field() == Some(f)).collect()
        };
        let rng = &mut self.rng;
        let mut kind = wanted;
        if kind == "pathology" {
            let pathologists = of_field(Field::Pathology);
            if pathologists.is_empty() {
                kind = "difficult-case";
            } else {
                let chair = (*pick(rng, &pathologists)).clone();
                let options: Vec<&Case> = CASES
                    .iter()
                    .filter(|c| c.field == Field::Pathology)
                    .collect();
                return Some((kind, vec![chair], *pick(rng, &options)));
            }
        }
        if kind == "imaging" {
            let radiologists = of_field(Field::Imaging);
            if !radiologists.is_empty() {
                let chair = (*pick(rng, &radiologists)).clone();
                return Some((kind, vec![chair], pick(rng, IMAGING)));
            }
            let chair = (*pick(rng, &clinical)).clone();
            let fits: Vec<&Case> = IMAGING
                .iter()
                .filter(|c| Some(c.field) == chair.field())
                .collect();
            if let Some(case) = (!fits.is_empty()).then(|| *pick(rng, &fits)) {
                return Some((kind, vec![chair], case));
            }
            kind = "general";
        }
        let chair = (*pick(rng, &clinical)).clone();
        let field = chair.field().unwrap_or(Field::Resp);
        let options: Vec<&Case> = CASES.iter().filter(|c| c.field == field).collect();
        let case = if options.is_empty() {
            pick(rng, CASES)
        } else {
            *pick(rng, &options)
        };
        if kind == "surgical-guidance" && !field.surgical() {
            kind = "general";
        }
        let mut experts = vec![chair.clone()];
        let extra = match kind {
            "mdt" => rng.gen_range(1..=3),
            "difficult-case" if rng.gen_bool(0.25) => 1,
            _ => 0,
        };
        let mut specialties: HashSet<Option<String>> = HashSet::from([chair.specialty.clone()]);
        let mut others: Vec<&Person> = seniors.iter().collect();
        for _ in 0..extra {
            others.retain(|p| !specialties.contains(&p.specialty));
            if others.is_empty() {
                break;
            }
            let p = (*pick(rng, &others)).clone();
            specialties.insert(p.specialty.clone());
            experts.push(p);
        }
        if kind == "mdt" && experts.len() < 2 {
            kind = "difficult-case";
        }
        Some((kind, experts, case))
    }

    fn consultation(&mut self, s: ConsultSpec<'_>) -> String {
        let rng = &mut self.rng;
        let t0 = s.requested;
        let urgent = s.urgent;
        // Delays of each step from the previous one.
        let late = rng.gen_bool(0.04);
        let accept = match (urgent, late) {
            (true, false) => minutes(rng, 8, 100),
            (true, true) => minutes(rng, 150, 300),
            (false, false) => minutes(rng, 40, 20 * 60),
            (false, true) => minutes(rng, 25 * 60, 40 * 60),
        };
        let schedule = minutes(rng, 3, 60);
        let until_session = if urgent {
            minutes(rng, 20, 180)
        } else {
            minutes(rng, 3 * 60, 24 * 60)
        };
        let report = if urgent {
            minutes(rng, 45, 6 * 60)
        } else {
            minutes(rng, 90, 14 * 60)
        };
        let amended = rng.gen_bool(0.03) && matches!(s.fate, Fate::Signed | Fate::Closed);
        let amend = minutes(rng, 60, 48 * 60);
        let close = minutes(rng, 120, 4 * 24 * 60);
        let steps: &[(&str, Duration)] = &[
            ("accept", accept),
            ("schedule", schedule),
            ("hold", until_session),
            ("sign", report),
            ("amend", amend),
            ("close", close),
        ];
        let wanted: &[&str] = match s.fate {
            Fate::Requested | Fate::Declined => &[],
            Fate::Accepted => &["accept"],
            Fate::Scheduled => &["accept", "schedule"],
            Fate::Held => &["accept", "schedule", "hold"],
            Fate::Signed => &["accept", "schedule", "hold", "sign", "amend"],
            Fate::Closed => &["accept", "schedule", "hold", "sign", "amend", "close"],
            Fate::Cancelled => match rng.gen_range(0..3) {
                0 => &[],
                1 => &["accept"],
                _ => &["accept", "schedule"],
            },
        };
        let chosen: Vec<(&str, Duration)> = steps
            .iter()
            .filter(|(name, _)| wanted.contains(name) && (*name != "amend" || amended))
            .copied()
            .collect();
        let mut total: Duration = chosen.iter().map(|(_, d)| *d).sum();
        if matches!(s.fate, Fate::Declined | Fate::Cancelled) {
            total += accept;
        }
        // Fit the timeline before now (open ones were requested hours ago).
        let room = (self.now - Duration::minutes(5)) - t0;
        let scale = if total > room && total > Duration::zero() {
            room.num_seconds().max(60) as f64 / total.num_seconds().max(1) as f64
        } else {
            1.0
        };
        let scaled = |d: Duration| Duration::seconds((d.num_seconds() as f64 * scale) as i64);

        let requester = s.requester.1.clone();
        let chair = s.experts[0].clone();
        let id = uuid7(rng, t0);
        let mut events: Vec<Step> = vec![("request", "", "requested", t0, requester.clone(), None)];
        let mut at = t0;
        let mut state = "requested";
        let mut scheduled_at: Option<String> = None;
        let mut decline_reason: Option<String> = None;
        let mut decision: Option<String> = None;
        let mut opinions: Vec<(i64, DateTime<Utc>, String)> = Vec::new();
        let lead = match s.kind {
            "mdt" => {
                let names: Vec<String> = s
                    .experts
                    .iter()
                    .filter_map(|p| {
                        p.specialty
                            .as_deref()
                            .and_then(shanhai_domain::specialty::find)
                            .map(|x| x.zh.clone())
                    })
                    .collect();
                format!("多学科讨论意见（{}）：", names.join("、"))
            }
            "difficult-case" => "疑难病例讨论意见：".into(),
            "surgical-guidance" => "远程手术指导记录及意见：".into(),
            "imaging" => "影像会诊意见：".into(),
            "pathology" => "病理会诊意见：".into(),
            _ => String::new(),
        };
        let opinion = format!("{lead}{}", s.case.opinion);
        for (name, d) in &chosen {
            at += scaled(*d);
            match *name {
                "accept" => {
                    events.push((
                        "accept",
                        "requested",
                        "accepted",
                        at,
                        chair.name.clone(),
                        None,
                    ));
                    state = "accepted";
                }
                "schedule" => {
                    let session = s
                        .scheduled_for
                        .filter(|_| s.fate == Fate::Scheduled)
                        .unwrap_or(at + scaled(until_session));
                    let when = local_minute(session);
                    scheduled_at = Some(when.clone());
                    events.push((
                        "schedule",
                        "accepted",
                        "scheduled",
                        at,
                        chair.name.clone(),
                        Some(when),
                    ));
                    state = "scheduled";
                }
                "hold" => {
                    events.push(("hold", "scheduled", "held", at, chair.name.clone(), None));
                    state = "held";
                }
                "sign" => {
                    events.push(("sign", "held", "signed", at, chair.name.clone(), None));
                    opinions.push((1, at, opinion.clone()));
                    state = "signed";
                }
                "amend" => {
                    events.push((
                        "sign",
                        "signed",
                        "signed",
                        at,
                        chair.name.clone(),
                        Some("修订意见".into()),
                    ));
                    let note = pick(rng, AMENDMENTS);
                    opinions.push((2, at, format!("{opinion}\n【修订】{note}")));
                }
                _ => {
                    let d = s.case.decision.to_string();
                    events.push(("close", "signed", "closed", at, requester.clone(), None));
                    decision = Some(d);
                    state = "closed";
                }
            }
        }
        match s.fate {
            Fate::Declined => {
                at += scaled(accept);
                let reason = pick(rng, cases::DECLINE).to_string();
                events.push((
                    "decline",
                    "requested",
                    "declined",
                    at,
                    chair.name.clone(),
                    Some(reason.clone()),
                ));
                decline_reason = Some(reason);
                state = "declined";
            }
            Fate::Cancelled => {
                at += scaled(accept);
                let reason = pick(rng, cases::CANCEL).to_string();
                events.push((
                    "cancel",
                    state,
                    "cancelled",
                    at,
                    requester.clone(),
                    Some(reason),
                ));
                state = "cancelled";
            }
            _ => {}
        }

        let (accept_target, report_target) = if urgent { (2, 24) } else { (24, 48) };
        let patient = self.patient(s.case.sex, s.case.ages, &s.requesting, t0);
        let question = match s.kind {
            "surgical-guidance" => format!("申请远程手术指导：{}", s.case.question),
            "mdt" => format!("提请多学科会诊：{}", s.case.question),
            _ => s.case.question.to_string(),
        };
        let summary = s
            .case
            .summary
            .replace("{n}", &self.rng.gen_range(2..=12).to_string());
        let row: Vec<Arg> = vec![
            id.clone().into(),
            s.kind.into(),
            if urgent { "urgent" } else { "routine" }.into(),
            state.into(),
            s.requesting.clone().into(),
            s.requester.0.clone().into(),
            requester.clone().into(),
            s.target.clone().into(),
            Arg::OptText(chair.specialty.clone()),
            self.cipher.encrypt(&patient.name).into(),
            Arg::OptText(patient.id_number.as_deref().map(|n| self.cipher.encrypt(n))),
            mask_name(&patient.name).into(),
            Arg::OptText(patient.id_number.as_deref().map(mask_id_number)),
            patient.sex.into(),
            patient.age.into(),
            summary.into(),
            question.into(),
            Arg::OptText(decline_reason),
            Arg::OptText(scheduled_at),
            Arg::OptText(decision),
            ts(t0).into(),
            ts(t0).into(),
            ts(at).into(),
            s.program.clone().into(),
            ts(t0 + Duration::hours(accept_target)).into(),
            ts(t0 + Duration::hours(report_target)).into(),
        ];
        self.rows.consultations.push(row);
        for (i, p) in s.experts.iter().enumerate() {
            let eid = uuid7(&mut self.rng, t0);
            self.rows.experts.push(vec![
                eid.into(),
                id.clone().into(),
                p.id.clone().into(),
                i64::from(i == 0).into(),
                ts(t0).into(),
                ts(t0).into(),
            ]);
        }
        for (version, at, text) in opinions {
            let oid = uuid7(&mut self.rng, at);
            self.rows.opinions.push(vec![
                oid.into(),
                id.clone().into(),
                version.into(),
                chair.id.clone().into(),
                chair.name.clone().into(),
                text.into(),
                ts(at).into(),
                ts(at).into(),
                ts(at).into(),
            ]);
        }
        for (action, from, to, at, actor, detail) in events {
            let eid = uuid7(&mut self.rng, at);
            self.rows.events.push(vec![
                eid.into(),
                id.clone().into(),
                action.into(),
                from.into(),
                to.into(),
                ts(at).into(),
                actor.into(),
                Arg::OptText(detail),
            ]);
        }
        let audit = self.audit_row(
            "consultation",
            &id,
            serde_json::json!({"id": id, "type": s.kind, "state": state, "program_id": s.program, "requested_at": ts(t0)}),
        );
        self.rows.audit.push(audit);
        self.per_program.entry(s.program.clone()).or_default().0 += 1;
        // The synthetic studies are chest CTs: only a chest case may carry one.
        if s.kind == "imaging" && s.case.field.chest() {
            self.imaging.push((id.clone(), s.program.clone(), s.fate));
        }
        if state == "closed"
            && ["上转", "支援医院", "上级医院"]
                .iter()
                .any(|w| s.case.decision.contains(w))
            && self.rng.gen_bool(0.15)
        {
            self.to_refer.push((
                id.clone(),
                s.program.clone(),
                s.requesting.clone(),
                s.target.clone(),
                s.case.field,
                at,
                chair.name.clone(),
            ));
        }
        id
    }

    fn referral(&mut self, s: ReferralSpec) -> String {
        let rng = &mut self.rng;
        let t0 = s.created;
        let accept = if s.urgent {
            minutes(rng, 10, 120)
        } else {
            minutes(rng, 2 * 60, 30 * 60)
        };
        let arrive = if s.urgent {
            minutes(rng, 60, 8 * 60)
        } else {
            minutes(rng, 24 * 60, 6 * 24 * 60)
        };
        let treat = minutes(rng, 24 * 60, 14 * 24 * 60);
        let end = minutes(rng, 60, 3 * 24 * 60);
        let chain: Vec<(&str, &str, &str, Duration)> = match s.fate {
            RFate::Created => vec![],
            RFate::Accepted => vec![("accept", "created", "accepted", accept)],
            RFate::Arrived => vec![
                ("accept", "created", "accepted", accept),
                ("arrive", "accepted", "arrived", arrive),
            ],
            RFate::Treated => vec![
                ("accept", "created", "accepted", accept),
                ("arrive", "accepted", "arrived", arrive),
                ("treat", "arrived", "treated", treat),
            ],
            RFate::DownReferred | RFate::Closed => vec![
                ("accept", "created", "accepted", accept),
                ("arrive", "accepted", "arrived", arrive),
                ("treat", "arrived", "treated", treat),
                if s.fate == RFate::Closed {
                    ("close", "treated", "closed", end)
                } else {
                    ("down-refer", "treated", "down-referred", end)
                },
            ],
            RFate::Declined => vec![("decline", "created", "declined", accept)],
            RFate::Cancelled => {
                if rng.gen_bool(0.5) {
                    vec![("cancel", "created", "cancelled", accept)]
                } else {
                    vec![
                        ("accept", "created", "accepted", accept),
                        ("cancel", "accepted", "cancelled", end),
                    ]
                }
            }
        };
        let total: Duration = chain.iter().map(|c| c.3).sum();
        let room = (self.now - Duration::minutes(5)) - t0;
        let scale = if total > room && total > Duration::zero() {
            room.num_seconds().max(60) as f64 / total.num_seconds().max(1) as f64
        } else {
            1.0
        };
        let receiver_name = self
            .people
            .get(&s.to)
            .and_then(|p| p.last())
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "转诊办公室".into());
        let id = uuid7(rng, t0);
        let mut events = vec![("create", "", "created", t0, s.sender.1.clone(), None)];
        let mut at = t0;
        let mut state = "created";
        for (action, from, to, d) in chain {
            at += Duration::seconds((d.num_seconds() as f64 * scale) as i64);
            let (actor, note) = match action {
                "cancel" => (
                    s.sender.1.clone(),
                    Some(pick(rng, cases::CANCEL).to_string()),
                ),
                "decline" => (
                    receiver_name.clone(),
                    Some(pick(rng, cases::REFERRAL_DECLINE).to_string()),
                ),
                "treat" => (
                    receiver_name.clone(),
                    Some("已完成诊治，详见出院小结。".into()),
                ),
                "down-refer" => (
                    receiver_name.clone(),
                    Some(cases::down_reason(s.field).into()),
                ),
                "close" => (
                    receiver_name.clone(),
                    Some(
                        s.close_note
                            .unwrap_or_else(|| {
                                if s.up {
                                    *pick(rng, cases::UP_CLOSE)
                                } else {
                                    *pick(rng, cases::DOWN_CLOSE)
                                }
                            })
                            .into(),
                    ),
                ),
                _ => (receiver_name.clone(), None),
            };
            events.push((action, from, to, at, actor, note));
            state = to;
        }
        let leaves_region = s.up
            && self.regions.get(&s.from).and_then(|r| r.get(..2))
                != self.regions.get(&s.to).and_then(|r| r.get(..2));
        let like: Vec<&Case> = CASES.iter().filter(|c| c.field == s.field).collect();
        let (sex, ages) = if like.is_empty() {
            (Sex::Any, (18, 80))
        } else {
            let c = pick(&mut self.rng, &like);
            (c.sex, c.ages)
        };
        let patient_at = if s.up { &s.from } else { &s.to };
        let patient = self.patient(sex, ages, &patient_at.clone(), t0);
        self.rows.referrals.push(vec![
            id.clone().into(),
            if s.up { "up" } else { "down" }.into(),
            if s.urgent { "urgent" } else { "routine" }.into(),
            state.into(),
            s.from.clone().into(),
            s.sender.0.clone().into(),
            s.sender.1.clone().into(),
            s.to.clone().into(),
            Arg::OptText(s.to_department.clone()),
            Arg::OptText(s.coordinator.clone()),
            self.cipher.encrypt(&patient.name).into(),
            Arg::OptText(patient.id_number.as_deref().map(|n| self.cipher.encrypt(n))),
            mask_name(&patient.name).into(),
            Arg::OptText(patient.id_number.as_deref().map(mask_id_number)),
            patient.sex.into(),
            patient.age.into(),
            s.reason.clone().into(),
            Arg::OptText(s.consultation.clone()),
            i64::from(leaves_region).into(),
            ts(t0).into(),
            ts(at).into(),
            Arg::OptText(s.clinic_session.clone()),
            s.program.clone().into(),
        ]);
        for (action, from, to, at, actor, note) in events {
            let eid = uuid7(&mut self.rng, at);
            self.rows.referral_events.push(vec![
                eid.into(),
                id.clone().into(),
                action.into(),
                from.into(),
                to.into(),
                ts(at).into(),
                actor.into(),
                Arg::OptText(note),
            ]);
        }
        let audit = self.audit_row(
            "referral",
            &id,
            serde_json::json!({"id": id, "direction": if s.up { "up" } else { "down" }, "state": state, "program_id": s.program, "created_at": ts(t0)}),
        );
        self.rows.audit.push(audit);
        self.per_program.entry(s.program.clone()).or_default().1 += 1;
        id
    }

    /// A referral along a route between two institutions, its field from the departments.
    #[allow(clippy::too_many_arguments)]
    fn route_referral(
        &mut self,
        program: &str,
        from: &str,
        to: &str,
        up: bool,
        created: DateTime<Utc>,
        fate: RFate,
        urgent: bool,
    ) {
        let (to_department, field) = if up {
            match self.department(to, None) {
                Some((d, s)) => (Some(d), field_of(&s)),
                None => (None, Field::Resp),
            }
        } else {
            let field = self
                .department(from, None)
                .map(|(_, s)| field_of(&s))
                .unwrap_or(Field::Resp);
            (self.department(to, Some(field)).map(|(d, _)| d), field)
        };
        let reason = if up {
            pick(&mut self.rng, cases::up_reason(field)).to_string()
        } else {
            cases::down_reason(field).to_string()
        };
        let sender = self.requester(from);
        let coordinator = self.coordinators.get(to).cloned();
        self.referral(ReferralSpec {
            program: program.into(),
            up,
            urgent,
            from: from.into(),
            to: to.into(),
            to_department,
            coordinator,
            field,
            reason,
            created,
            fate,
            consultation: None,
            clinic_session: None,
            sender,
            close_note: None,
        });
    }
}

const AMENDMENTS: &[&str] = &[
    "结合补充回报的免疫组化结果，诊断及治疗建议不变，补充随访要求：每3个月复查一次。",
    "更正：上文药物剂量应按体重计算，请以本修订版为准。",
    "复核补充上传的影像后，补充建议：治疗前加做增强MRI。",
];

async fn bulk(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<()> {
    let started = std::time::Instant::now();
    let count = rows.len();
    let per = (MAX_PARAMS / columns.len()).clamp(1, MAX_ROWS);
    // SQLite looks numbered parameters up by name, which grows with the square of their
    // number in one statement; plain `?` avoids that.
    let sqlite = conn.backend_name().to_ascii_lowercase().contains("sqlite");
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if row.len() != columns.len() {
                return Err(StoreError::Other(format!(
                    "demo {table}: {} values for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..row.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                if sqlite {
                    sql.push('?');
                } else {
                    sql.push_str(&format!("${n}"));
                }
            }
            sql.push(')');
        }
        query::sql_with(sql, chunk.into_iter().flatten().collect())
            .execute(&mut *conn)
            .await?;
    }
    tracing::debug!(
        table,
        rows = count,
        ms = started.elapsed().as_millis() as u64,
        "demo bulk insert"
    );
    Ok(())
}

pub async fn load(
    conn: &mut AnyConnection,
    cipher: &PatientCipher,
    reg: &Registry<'_>,
) -> Result<Summary> {
    let started = std::time::Instant::now();
    let registry = crate::registry()?;
    let now = Utc::now();
    let today = shanhai_store::today();
    let inst = |key: &str| {
        reg.institutions
            .get(key)
            .cloned()
            .ok_or_else(|| missing("institution", key))
    };
    let program_id = |key: &str| {
        reg.programs
            .get(key)
            .cloned()
            .ok_or_else(|| missing("program", key))
    };

    let mut people: HashMap<String, Vec<Person>> = HashMap::new();
    for r in query::sql_with(
        "SELECT id, name, title, institution_id, specialty_code FROM people ORDER BY created_at, id"
            .into(),
        vec![],
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let title = text(&r, "title")?;
        people
            .entry(text(&r, "institution_id")?)
            .or_default()
            .push(Person {
                id: text(&r, "id")?,
                name: text(&r, "name")?,
                senior: title == "chief-physician" || title == "associate-chief-physician",
                specialty: opt_text(&r, "specialty_code")?,
            });
    }
    let mut departments: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for r in query::sql_with(
        "SELECT id, institution_id, specialty_code FROM departments ORDER BY created_at, id".into(),
        vec![],
    )
    .fetch_all(&mut *conn)
    .await?
    {
        departments
            .entry(text(&r, "institution_id")?)
            .or_default()
            .push((text(&r, "id")?, text(&r, "specialty_code")?));
    }
    let mut regions = HashMap::new();
    for r in query::sql_with("SELECT id, region_code FROM institutions".into(), vec![])
        .fetch_all(&mut *conn)
        .await?
    {
        regions.insert(text(&r, "id")?, text(&r, "region_code")?);
    }
    let mut accounts: HashMap<String, (String, String, Option<String>)> = HashMap::new();
    for r in query::sql_with(
        "SELECT id, username, display_name, person_id FROM users WHERE username IN \
         ('clinician', 'expert', 'coord-donor', 'coord-recipient')"
            .into(),
        vec![],
    )
    .fetch_all(&mut *conn)
    .await?
    {
        accounts.insert(
            text(&r, "username")?,
            (
                text(&r, "id")?,
                text(&r, "display_name")?,
                opt_text(&r, "person_id")?,
            ),
        );
    }
    let account = |name: &str| {
        accounts
            .get(name)
            .cloned()
            .ok_or_else(|| missing("account", name))
    };

    let mut g = Gen {
        rng: StdRng::seed_from_u64(20_250_504),
        cipher,
        now,
        loaded_at: ts(now),
        password_hash: reg.password_hash,
        keys: reg
            .institutions
            .iter()
            .map(|(k, v)| (v.clone(), k.clone()))
            .collect(),
        regions,
        seniors: people
            .iter()
            .map(|(k, all)| {
                let seniors: Vec<Person> = all.iter().filter(|p| p.senior).cloned().collect();
                let list = if seniors.is_empty() {
                    all.clone()
                } else {
                    seniors
                };
                (k.clone(), list)
            })
            .collect(),
        people,
        departments,
        requesters: HashMap::new(),
        coordinators: HashMap::new(),
        rows: Rows::default(),
        per_program: HashMap::new(),
        to_refer: Vec::new(),
        imaging: Vec::new(),
    };
    let hongxing = inst("hm-hongxing")?;
    let henan = inst("hn-people")?;
    let (clinician_id, clinician_name, _) = account("clinician")?;
    g.requesters.insert(
        hongxing.clone(),
        (clinician_id.clone(), clinician_name.clone()),
    );
    g.coordinators
        .insert(henan.clone(), account("coord-donor")?.0);
    g.coordinators
        .insert(hongxing.clone(), account("coord-recipient")?.0);

    // Pairings by program: (donor, recipient, since), one per pair of hospitals.
    let mut pairings: HashMap<&str, Vec<(String, String, NaiveDate)>> = HashMap::new();
    let mut program_of: HashMap<(String, String), String> = HashMap::new();
    let mut since_of: HashMap<(String, String), NaiveDate> = HashMap::new();
    for p in &registry.pairings {
        let donor = inst(&p.donor)?;
        let recipient = inst(&p.recipient)?;
        let start = day(&p.start_date);
        let list = pairings.entry(p.program.as_str()).or_default();
        match list
            .iter_mut()
            .find(|(d, r, _)| *d == donor && *r == recipient)
        {
            Some(existing) => existing.2 = existing.2.min(start),
            None => list.push((donor.clone(), recipient.clone(), start)),
        }
        program_of
            .entry((donor.clone(), recipient.clone()))
            .or_insert_with(|| program_id(&p.program).unwrap_or_default());
        let since = since_of.entry((donor, recipient)).or_insert(start);
        *since = (*since).min(start);
    }
    let program_start: HashMap<&str, NaiveDate> = registry
        .programs
        .iter()
        .map(|p| (p.key.as_str(), day(&p.start_date)))
        .collect();

    // Consultations.
    let past_until = now - Duration::days(7);
    for plan in CONSULT_PLANS {
        let pid = program_id(plan.program)?;
        g.per_program.entry(pid.clone()).or_default();
        let list = pairings.get(plan.program).cloned().unwrap_or_default();
        let weights: Vec<(usize, u32)> = list
            .iter()
            .enumerate()
            .map(|(i, (_, _, since))| {
                (
                    i,
                    u32::try_from((today - *since).num_days().max(30)).unwrap_or(30),
                )
            })
            .collect();
        if weights.is_empty() {
            continue;
        }
        let as_of = crate::as_of(plan.program);
        let history_until = midnight(as_of - Duration::days(1));
        let later_from = midnight(as_of + Duration::days(2));
        // Exactly `by_as_of` closed requests by the article's date, counted as they are made.
        let mut made_before = 0usize;
        let mut made_exact = 0usize;
        let mut made = 0usize;
        while made < plan.total {
            let n = made;
            let (donor, recipient, since) = list[weighted(&mut g.rng, &weights)].clone();
            let urgent = g.rng.gen_bool(0.12);
            let open = n < plan.open;
            let (fate, requested) = if open {
                let fate = weighted(
                    &mut g.rng,
                    &[
                        (Fate::Requested, 30),
                        (Fate::Accepted, 20),
                        (Fate::Scheduled, 25),
                        (Fate::Held, 10),
                        (Fate::Signed, 15),
                    ],
                );
                let hours = match (fate, urgent) {
                    (Fate::Requested, true) => g.rng.gen_range(1..=4),
                    (Fate::Requested, false) => g.rng.gen_range(2..=34),
                    (Fate::Signed, _) => g.rng.gen_range(20..=90),
                    (_, true) => g.rng.gen_range(3..=20),
                    (_, false) => g.rng.gen_range(6..=44),
                };
                (
                    fate,
                    now - Duration::hours(hours) - minutes(&mut g.rng, 0, 59),
                )
            } else {
                let fate = weighted(
                    &mut g.rng,
                    &[
                        (Fate::Closed, 92),
                        (Fate::Declined, 4),
                        (Fate::Cancelled, 4),
                    ],
                );
                let from =
                    midnight(since.max(program_start.get(plan.program).copied().unwrap_or(since)));
                if made_before < plan.by_as_of {
                    (fate, spread(&mut g.rng, from, history_until, urgent))
                } else {
                    (
                        fate,
                        spread(&mut g.rng, later_from.max(from), past_until, urgent),
                    )
                }
            };
            let history = !open && made_before < plan.by_as_of;
            let types = match (history, plan.history_types) {
                (true, Some(types)) => types,
                _ => plan.types,
            };
            // The article's exact count of one type: those first, then none of it.
            let exact = plan.history_exact.filter(|_| history);
            let wanted = match exact {
                Some((kind, n)) if made_exact < n => kind,
                Some((kind, _)) => {
                    let others: Vec<(&'static str, u32)> =
                        types.iter().copied().filter(|(t, _)| *t != kind).collect();
                    weighted(&mut g.rng, &others)
                }
                None => weighted(&mut g.rng, types),
            };
            let Some((kind, experts, case)) = g.compose(&donor, wanted) else {
                continue;
            };
            if let Some((exact_kind, n)) = exact {
                if kind == exact_kind && made_exact >= n {
                    continue;
                }
                if kind == exact_kind {
                    made_exact += 1;
                }
            }
            made += 1;
            if history {
                made_before += 1;
            }
            let requester = g.requester(&recipient);
            let scheduled_for = Some(now + minutes(&mut g.rng, 60, 48 * 60));
            g.consultation(ConsultSpec {
                program: pid.clone(),
                requesting: recipient,
                target: donor,
                kind,
                urgent,
                requested,
                fate,
                experts,
                case,
                requester,
                scheduled_for,
            });
        }
    }

    // The inbox of the demo accounts: requests from 红星医院 (the `clinician`) to the `expert`
    // of 河南省人民医院, in each open state.
    let yu_ha = program_id("yu-ha")?;
    let expert_person = account("expert")?
        .2
        .and_then(|pid| {
            g.people
                .get(&henan)
                .and_then(|p| p.iter().find(|p| p.id == pid))
                .cloned()
        })
        .ok_or_else(|| missing("person of account", "expert"))?;
    let expert_field = expert_person.field().unwrap_or(Field::Resp);
    let own_case = CASES
        .iter()
        .find(|c| c.field == expert_field)
        .unwrap_or(&CASES[0]);
    // An imaging case only where one fits the expert's field (a gynaecologist is not sent a
    // chest CT); otherwise the inbox holds a difficult case of their own field instead.
    let own_imaging = IMAGING.iter().find(|c| c.field == expert_field);
    let (imaging_kind, own_imaging) = match own_imaging {
        Some(case) => ("imaging", case),
        None => ("difficult-case", own_case),
    };
    let colleagues: Vec<Person> = {
        let mut seen = HashSet::from([expert_person.specialty.clone()]);
        g.seniors(&henan)
            .into_iter()
            .filter(|p| seen.insert(p.specialty.clone()))
            .take(2)
            .collect()
    };
    let mut inbox_imaging = Vec::new();
    let inbox: [(&str, bool, Fate, i64, &Case); 7] = [
        ("general", true, Fate::Requested, 40, own_case),
        ("difficult-case", false, Fate::Requested, 30 * 60, own_case),
        (imaging_kind, false, Fate::Accepted, 10 * 60, own_imaging),
        ("mdt", false, Fate::Scheduled, 20 * 60, own_case),
        ("difficult-case", false, Fate::Held, 16 * 60, own_case),
        (imaging_kind, false, Fate::Signed, 30 * 60, own_imaging),
        ("general", false, Fate::Signed, 44 * 60, own_case),
    ];
    for (kind, urgent, fate, ago, case) in inbox {
        let mut experts = vec![expert_person.clone()];
        if kind == "mdt" {
            experts.extend(colleagues.iter().cloned());
        }
        let id = g.consultation(ConsultSpec {
            program: yu_ha.clone(),
            requesting: hongxing.clone(),
            target: henan.clone(),
            kind,
            urgent,
            requested: now - Duration::minutes(ago),
            fate,
            experts,
            case,
            requester: (clinician_id.clone(), clinician_name.clone()),
            scheduled_for: Some(midnight(today + Duration::days(1)) + Duration::hours(2)),
        });
        if kind == "imaging" && case.field.chest() {
            inbox_imaging.push(id);
        }
    }

    // Referrals along the routes of each program.
    for plan in REFERRAL_PLANS {
        let pid = program_id(plan.program)?;
        let start = program_start.get(plan.program).copied().unwrap_or(today);
        let routes: Vec<((String, String, bool, NaiveDate), u32)> = plan
            .routes
            .iter()
            .map(|(from, to, up, w)| {
                let (a, b) = (inst(from)?, inst(to)?);
                let since = since_of
                    .get(&(a.clone(), b.clone()))
                    .or_else(|| since_of.get(&(b.clone(), a.clone())))
                    .copied()
                    .unwrap_or(start)
                    .max(start);
                Ok(((a, b, *up, since), *w))
            })
            .collect::<Result<_>>()?;
        let indexed: Vec<(usize, u32)> = routes.iter().enumerate().map(|(i, r)| (i, r.1)).collect();
        for n in 0..plan.total {
            let (from, to, up, since) = routes[weighted(&mut g.rng, &indexed)].0.clone();
            let urgent = g.rng.gen_bool(if up { 0.15 } else { 0.02 });
            let (fate, created) = if n < plan.open {
                let fate = weighted(
                    &mut g.rng,
                    &[
                        (RFate::Created, 35),
                        (RFate::Accepted, 25),
                        (RFate::Arrived, 25),
                        (RFate::Treated, 15),
                    ],
                );
                let hours = match fate {
                    RFate::Created => g.rng.gen_range(1..=30),
                    RFate::Accepted => g.rng.gen_range(6..=72),
                    _ => g.rng.gen_range(48..=240),
                };
                (fate, now - Duration::hours(hours))
            } else {
                let fate = if up {
                    weighted(
                        &mut g.rng,
                        &[
                            (RFate::DownReferred, 43),
                            (RFate::Closed, 51),
                            (RFate::Declined, 3),
                            (RFate::Cancelled, 3),
                        ],
                    )
                } else {
                    weighted(&mut g.rng, &[(RFate::Closed, 97), (RFate::Cancelled, 3)])
                };
                (
                    fate,
                    spread(
                        &mut g.rng,
                        midnight(since),
                        now - Duration::days(21),
                        urgent,
                    ),
                )
            };
            g.route_referral(&pid, &from, &to, up, created, fate, urgent);
        }
    }

    // The tumour patients who came back to 昭通: from 复旦肿瘤 to the co-built 肿瘤中心 of
    // 滇东北中心医院.
    let hu_dian = program_id("hu-dian")?;
    let fudan = inst("sh-fudan-cancer")?;
    let dianbei = inst("zt-dianbei")?;
    let centre_since = since_of
        .get(&(fudan.clone(), dianbei.clone()))
        .copied()
        .unwrap_or(today);
    let oncology = g
        .departments
        .get(&dianbei)
        .and_then(|deps| deps.iter().find(|(_, s)| s == "19"))
        .map(|(d, _)| d.clone());
    for _ in 0..TUMOUR_RETURNS {
        let created = spread(
            &mut g.rng,
            midnight(centre_since),
            now - Duration::days(21),
            false,
        );
        let reason = pick(&mut g.rng, cases::TUMOUR_RETURN).to_string();
        let sender = g.requester(&fudan);
        g.referral(ReferralSpec {
            program: hu_dian.clone(),
            up: false,
            urgent: false,
            from: fudan.clone(),
            to: dianbei.clone(),
            to_department: oncology.clone(),
            coordinator: None,
            field: Field::Tumour,
            reason,
            created,
            fate: RFate::Closed,
            consultation: None,
            clinic_session: None,
            sender,
            close_note: Some("患者已返回昭通本地继续治疗，随访由滇东北中心医院肿瘤中心负责。"),
        });
    }

    // Referrals a consultation led to.
    let to_refer = std::mem::take(&mut g.to_refer);
    for (consultation, program, from, to, field, closed, chair) in to_refer {
        let created = closed + minutes(&mut g.rng, 30, 2 * 24 * 60);
        if created > now - Duration::days(1) {
            continue;
        }
        let up_reason = pick(&mut g.rng, cases::up_reason(field)).to_string();
        let fate = weighted(
            &mut g.rng,
            &[
                (RFate::DownReferred, 50),
                (RFate::Closed, 48),
                (RFate::Cancelled, 2),
            ],
        );
        let to_department = g.department(&to, Some(field)).map(|(d, _)| d);
        let sender = g.requester(&from);
        let coordinator = g.coordinators.get(&to).cloned();
        g.referral(ReferralSpec {
            program,
            up: true,
            urgent: false,
            from,
            to,
            to_department,
            coordinator,
            field,
            reason: format!("经远程会诊（{chair}）建议上转。{up_reason}"),
            created,
            fate,
            consultation: Some(consultation),
            clinic_session: None,
            sender,
            close_note: None,
        });
    }

    // Referrals from the outreach clinics already held: the visiting expert sends a patient
    // up to their own hospital.
    let sessions = query::sql_with(
        "SELECT s.id, s.institution_id, s.date, p.institution_id AS donor_id, p.name AS expert \
         FROM clinic_sessions s JOIN people p ON p.id = s.expert_id \
         WHERE s.date < $1 ORDER BY s.date, s.id"
            .into(),
        vec![today.to_string().into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    // At most this many a program: 京蒙 alone holds thousands of sessions, and its patients
    // mostly stay in the region (大病不出区).
    const SESSION_REFERRALS_PER_PROGRAM: usize = 80;
    let mut per_program: HashMap<String, usize> = HashMap::new();
    for r in &sessions {
        if !g.rng.gen_bool(0.3) {
            continue;
        }
        let (recipient, donor) = (text(r, "institution_id")?, text(r, "donor_id")?);
        let Some(program) = program_of.get(&(donor.clone(), recipient.clone())).cloned() else {
            continue;
        };
        let made = per_program.entry(program.clone()).or_default();
        if *made >= SESSION_REFERRALS_PER_PROGRAM {
            continue;
        }
        *made += 1;
        let date = day(&text(r, "date")?);
        let created = midnight(date) + Duration::hours(7) + minutes(&mut g.rng, 0, 90);
        let days = (now - created).num_days();
        let fate = match days {
            0..=1 => RFate::Created,
            2..=3 => RFate::Accepted,
            4..=6 => RFate::Arrived,
            7..=10 => RFate::Treated,
            _ => weighted(&mut g.rng, &[(RFate::Closed, 1), (RFate::DownReferred, 1)]),
        };
        let (to_department, field) = match g.department(&donor, None) {
            Some((d, s)) => (Some(d), field_of(&s)),
            None => (None, Field::Resp),
        };
        let expert = text(r, "expert")?;
        let up_reason = pick(&mut g.rng, cases::up_reason(field)).to_string();
        let sender = g.requester(&recipient);
        let coordinator = g.coordinators.get(&donor).cloned();
        g.referral(ReferralSpec {
            program,
            up: true,
            urgent: false,
            from: recipient,
            to: donor,
            to_department,
            coordinator,
            field,
            reason: format!("援派专家{expert}坐诊时接诊，建议上转。{up_reason}"),
            created,
            fate,
            consultation: None,
            clinic_session: Some(text(r, "id")?),
            sender,
            close_note: None,
        });
    }

    // The coordinators' inbox: patients on their way between 红星医院 and 河南省人民医院.
    let inbox_referrals: [(bool, bool, RFate, i64); 5] = [
        (true, true, RFate::Created, 3),
        (true, false, RFate::Created, 26),
        (true, false, RFate::Arrived, 72),
        (false, false, RFate::Created, 5),
        (false, false, RFate::Accepted, 48),
    ];
    for (up, urgent, fate, hours) in inbox_referrals {
        let (from, to) = if up {
            (hongxing.clone(), henan.clone())
        } else {
            (henan.clone(), hongxing.clone())
        };
        g.route_referral(
            &yu_ha,
            &from,
            &to,
            up,
            now - Duration::hours(hours),
            fate,
            urgent,
        );
    }

    // The hook for synthetic DICOM studies: the demo inbox's imaging consultations (when the
    // expert's field has chest imaging), then the latest chest imaging consultations of other
    // programs.
    let mut imaging = inbox_imaging;
    let mut others: Vec<&(String, String, Fate)> = g
        .imaging
        .iter()
        .filter(|(id, p, _)| *p != yu_ha && !imaging.contains(id))
        .collect();
    others.sort_by(|a, b| b.0.cmp(&a.0));
    // One per program first, then the latest of any program, up to five.
    let mut seen_programs = HashSet::new();
    for (id, p, _) in &others {
        if imaging.len() < 5 && seen_programs.insert(p.clone()) {
            imaging.push(id.clone());
        }
    }
    for (id, _, _) in &others {
        if imaging.len() < 5 && !imaging.contains(id) {
            imaging.push(id.clone());
        }
    }

    let generated = started.elapsed();
    let rows = std::mem::take(&mut g.rows);
    let summary = Summary {
        consultations: rows.consultations.len(),
        referrals: rows.referrals.len(),
        by_program: registry
            .programs
            .iter()
            .map(|p| {
                let id = reg.programs.get(&p.key).cloned().unwrap_or_default();
                let (c, r) = g.per_program.get(&id).copied().unwrap_or_default();
                (p.key.clone(), c, r)
            })
            .collect(),
        imaging,
    };
    bulk(
        conn,
        "users",
        &[
            "id",
            "username",
            "display_name",
            "password_hash",
            "role",
            "program_id",
            "institution_id",
            "active",
            "person_id",
            "created_at",
            "updated_at",
        ],
        rows.users,
    )
    .await?;
    bulk(
        conn,
        "consultations",
        &[
            "id",
            "type",
            "urgency",
            "state",
            "requesting_institution_id",
            "requester_user_id",
            "requester_name",
            "target_institution_id",
            "target_specialty_code",
            "patient_name_enc",
            "patient_id_number_enc",
            "patient_name_masked",
            "patient_id_number_masked",
            "patient_sex",
            "patient_age",
            "case_summary",
            "question",
            "decline_reason",
            "scheduled_at",
            "decision",
            "requested_at",
            "created_at",
            "updated_at",
            "program_id",
            "accept_due_at",
            "report_due_at",
        ],
        rows.consultations,
    )
    .await?;
    bulk(
        conn,
        "consultation_experts",
        &[
            "id",
            "consultation_id",
            "person_id",
            "chair",
            "created_at",
            "updated_at",
        ],
        rows.experts,
    )
    .await?;
    bulk(
        conn,
        "consultation_opinions",
        &[
            "id",
            "consultation_id",
            "version",
            "author_person_id",
            "author_name",
            "text",
            "signed_at",
            "created_at",
            "updated_at",
        ],
        rows.opinions,
    )
    .await?;
    let step_columns = |owner: &'static str, note: &'static str| {
        [
            "id",
            owner,
            "action",
            "from_state",
            "to_state",
            "at",
            "actor_name",
            note,
        ]
    };
    bulk(
        conn,
        "consultation_events",
        &step_columns("consultation_id", "detail"),
        rows.events,
    )
    .await?;
    bulk(
        conn,
        "referrals",
        &[
            "id",
            "direction",
            "urgency",
            "state",
            "from_institution_id",
            "sender_user_id",
            "sender_name",
            "to_institution_id",
            "to_department_id",
            "receiving_coordinator_id",
            "patient_name_enc",
            "patient_id_number_enc",
            "patient_name_masked",
            "patient_id_number_masked",
            "patient_sex",
            "patient_age",
            "reason",
            "consultation_id",
            "leaves_region",
            "created_at",
            "updated_at",
            "clinic_session_id",
            "program_id",
        ],
        rows.referrals,
    )
    .await?;
    bulk(
        conn,
        "referral_events",
        &step_columns("referral_id", "note"),
        rows.referral_events,
    )
    .await?;
    bulk(
        conn,
        "audit_log",
        &[
            "id",
            "at",
            "actor_id",
            "actor_name",
            "action",
            "entity",
            "entity_id",
            "before_json",
            "after_json",
            "ip",
        ],
        rows.audit,
    )
    .await?;
    for (program, consultations, referrals) in &summary.by_program {
        tracing::info!(
            program,
            consultations,
            referrals,
            "demo consultations and referrals"
        );
    }
    tracing::info!(
        returned_to_zhaotong = TUMOUR_RETURNS,
        consultations = summary.consultations,
        referrals = summary.referrals,
        generate_ms = generated.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "demo consultations and referrals loaded"
    );
    Ok(summary)
}
