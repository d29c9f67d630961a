//! Demo outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查), generated so that each program's
//! briefing at its article's date states what its article says:
//!
//! - 沪滇 (by 2024-06-30): free clinics at the recipient hospitals serving 28,000–28,999 people
//!   ("义诊近2.9万人次") and, with the health talks, 30,000–30,999 ("惠及3万余名群众"), among them
//!   the 2023-05-06 "情系彝蒙·健康彝良" free clinic of 彝良 and 盐津 hospitals;
//! - 沪蒙 (by 2025-10-23): 1,200–1,299 people served ("惠及患者1200余人次"), with 上海市精神卫生中心's
//!   quarterly circuit clinics at the grass roots;
//! - 豫哈 (by 2026-03-04): free clinics and health talks at communities and schools around 哈密
//!   serving some tens of thousands ("受益群众数万人");
//! - 京蒙: the 2025-04-16 两次下沉 free clinic at 伍什家乡镇卫生院 (北京大学肿瘤医院 → 北京大学肿瘤医院
//!   内蒙古医院 → 托克托县) and the academician team's free clinic at 内蒙古自治区脑科医院 (2025-05).
//!
//! Each event's people served is generated (a deterministic spread around a mean, the last event
//! of a series taking what makes the series' total); no total is stored anywhere.

use crate::StoreError;
use shanhai_domain::capacity::OutreachEventInput;
use shanhai_store::Result;
use shanhai_store::audit::Actor;
use shanhai_store::capacity as store;
use shanhai_store::query;
use sqlx::AnyConnection;
use std::collections::HashMap;

fn d(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

pub struct Registry<'a> {
    pub programs: &'a HashMap<String, String>,
    pub institutions: &'a HashMap<String, String>,
}

/// One series of events of a program: `n` events of `kind` between two dates, at the recipients
/// in turn, whose people served add up to `total`.
struct Series {
    program: &'static str,
    kind: &'static str,
    /// (recipient, donor) in turn.
    at: &'static [(&'static str, &'static str)],
    n: usize,
    from: &'static str,
    to: &'static str,
    total: i64,
    places: &'static [(&'static str, &'static str, &'static str)],
    experts: usize,
}

const HU_DIAN_AT: &[(&str, &str)] = &[
    ("zt-yanjin", "sh-xinhua"),
    ("zt-yiliang", "sh-first"),
    ("zt-daguan", "sh-renji"),
    ("zt-daguan", "sh-minhang"),
];
const HU_DIAN_PLACES: &[(&str, &str, &str)] = &[
    ("township", "盐津县豆沙镇", "530623"),
    ("village", "彝良县洛泽河镇大坪村", "530628"),
    ("township", "大关县天星镇", "530624"),
    ("community", "大关县翠华镇城区社区", "530624"),
    ("school", "盐津县第一中学", "530623"),
    ("hospital", "彝良县人民医院门诊广场", "530628"),
];
const HU_MENG_AT: &[(&str, &str)] = &[
    ("bt-fourth", "sh-childrens"),
    ("bt-central", "sh-ruijin"),
    ("bt-yiji", "sh-ninth"),
    ("bt-med2", "sh-fudan-cancer"),
];
const HU_MENG_PLACES: &[(&str, &str, &str)] = &[
    ("community", "东河区西脑包社区", "150202"),
    ("community", "青山区富强路社区", "150204"),
    ("township", "东河区沙尔沁镇", "150202"),
];
const YU_HA_AT: &[(&str, &str)] = &[("hm-hongxing", "hn-people")];
const YU_HA_PLACES: &[(&str, &str, &str)] = &[
    ("community", "伊州区东河街道社区", "650502"),
    ("school", "哈密市第十三师红星中学", "650502"),
    ("community", "伊州区丽园街道社区", "650502"),
    ("school", "伊州区第二小学", "650502"),
    ("village", "伊州区花园乡村", "650502"),
];

const SERIES: &[Series] = &[
    Series {
        program: "hu-dian",
        kind: "free-clinic",
        at: HU_DIAN_AT,
        n: 47,
        from: "2021-03-01",
        to: "2024-06-20",
        total: 28_640 - 1_260,
        places: HU_DIAN_PLACES,
        experts: 4,
    },
    Series {
        program: "hu-dian",
        kind: "health-talk",
        at: HU_DIAN_AT,
        n: 18,
        from: "2021-04-01",
        to: "2024-06-25",
        total: 1_880,
        places: HU_DIAN_PLACES,
        experts: 1,
    },
    Series {
        program: "hu-meng",
        kind: "free-clinic",
        at: HU_MENG_AT,
        n: 8,
        from: "2024-09-01",
        to: "2025-09-30",
        total: 1_246 - 4 * 38,
        places: HU_MENG_PLACES,
        experts: 3,
    },
    Series {
        program: "yu-ha",
        kind: "free-clinic",
        at: YU_HA_AT,
        n: 30,
        from: "2021-03-01",
        to: "2026-02-28",
        total: 31_420,
        places: YU_HA_PLACES,
        experts: 4,
    },
    Series {
        program: "yu-ha",
        kind: "health-talk",
        at: YU_HA_AT,
        n: 24,
        from: "2021-03-01",
        to: "2026-02-28",
        total: 6_380,
        places: YU_HA_PLACES,
        experts: 1,
    },
];

/// Loads the demo's outreach events; answers how many.
pub async fn load(conn: &mut AnyConnection, actor: &Actor, r: &Registry<'_>) -> Result<usize> {
    let mut l = Loader {
        conn,
        actor,
        r,
        people: HashMap::new(),
        made: 0,
    };
    for s in SERIES {
        l.series(s).await?;
    }
    l.named().await?;
    Ok(l.made)
}

struct Loader<'a, 'b> {
    conn: &'a mut AnyConnection,
    actor: &'a Actor,
    r: &'a Registry<'b>,
    people: HashMap<String, Vec<String>>,
    made: usize,
}

struct Event<'s> {
    program: &'s str,
    institution: &'s str,
    kind: &'s str,
    held_on: String,
    title: Option<&'s str>,
    place: (&'s str, &'s str, &'s str),
    donor: Option<&'s str>,
    via: Option<&'s str>,
    served: i64,
    local_staff: i64,
    /// (institution, how many, offset) of the experts.
    experts: (&'s str, usize, usize),
    note: Option<&'s str>,
}

impl Loader<'_, '_> {
    fn id(&self, map: &HashMap<String, String>, key: &str) -> Result<String> {
        map.get(key)
            .cloned()
            .ok_or_else(|| StoreError::Other(format!("demo outreach: no {key}")))
    }

    /// Up to `n` people of an institution from `offset` on (by name, so the same each load).
    async fn experts(&mut self, key: &str, n: usize, offset: usize) -> Result<Vec<String>> {
        if !self.people.contains_key(key) {
            let id = self.id(self.r.institutions, key)?;
            let rows = query::sql_with(
                "SELECT id FROM people WHERE institution_id = $1 ORDER BY name, id".into(),
                vec![id.into()],
            )
            .fetch_all(&mut *self.conn)
            .await?;
            let ids = rows
                .iter()
                .map(|r| query::text(r, "id"))
                .collect::<Result<Vec<_>>>()?;
            self.people.insert(key.to_string(), ids);
        }
        let all = &self.people[key];
        if all.is_empty() {
            return Ok(Vec::new());
        }
        Ok((0..n.min(all.len()))
            .map(|k| all[(offset + k) % all.len()].clone())
            .collect())
    }

    async fn event(&mut self, e: Event<'_>) -> Result<()> {
        let expert_ids = self.experts(e.experts.0, e.experts.1, e.experts.2).await?;
        let opt = |this: &Self, k: Option<&str>| -> Result<Option<String>> {
            k.map(|k| this.id(this.r.institutions, k)).transpose()
        };
        let input = OutreachEventInput {
            program_id: Some(self.id(self.r.programs, e.program)?),
            institution_id: self.id(self.r.institutions, e.institution)?,
            kind: e.kind.into(),
            held_on: e.held_on,
            title: e.title.map(str::to_string),
            place_kind: e.place.0.into(),
            place_name: e.place.1.into(),
            region_code: e.place.2.into(),
            donor_institution_id: opt(self, e.donor)?,
            via_institution_id: opt(self, e.via)?,
            people_served: e.served,
            screenings: if e.kind == "health-talk" {
                0
            } else {
                e.served / 5
            },
            referrals: if e.kind == "health-talk" {
                0
            } else {
                e.served / 90
            },
            local_staff: e.local_staff,
            expert_ids,
            note: e.note.map(str::to_string),
        };
        let new = input
            .parse()
            .map_err(|p| StoreError::Other(format!("demo outreach: {p}")))?;
        store::create_outreach_event_on(self.conn, self.actor, &new).await?;
        self.made += 1;
        Ok(())
    }

    async fn series(&mut self, s: &Series) -> Result<()> {
        let from = d(s.from);
        let to = d(s.to);
        let days = (to - from).num_days().max(1);
        let mean = s.total / s.n as i64;
        let mut left = s.total;
        for k in 0..s.n {
            // A spread of ±30 % around the mean; the last takes the rest.
            let served = if k + 1 == s.n {
                left
            } else {
                mean * (70 + ((k * 37) % 61) as i64) / 100
            };
            left -= served;
            if served <= 0 {
                return Err(StoreError::Other(format!(
                    "demo outreach: {} series",
                    s.program
                )));
            }
            let day = from + chrono::Duration::days(days * k as i64 / s.n as i64 + (k as i64 % 5));
            let (recipient, donor) = s.at[k % s.at.len()];
            let place = s.places[k % s.places.len()];
            self.event(Event {
                program: s.program,
                institution: recipient,
                kind: s.kind,
                held_on: day.min(to).to_string(),
                title: None,
                place,
                donor: Some(donor),
                via: None,
                served,
                local_staff: 3 + (k % 6) as i64,
                experts: (donor, s.experts, k * s.experts),
                note: None,
            })
            .await?;
        }
        Ok(())
    }

    /// The events the articles name.
    async fn named(&mut self) -> Result<()> {
        // 沪滇: 情系彝蒙·健康彝良, by 彝良 and 盐津 hospitals with their Shanghai experts.
        self.event(Event {
            program: "hu-dian",
            institution: "zt-yiliang",
            kind: "free-clinic",
            held_on: "2023-05-06".into(),
            title: Some("情系彝蒙·健康彝良"),
            place: ("township", "彝良县角奎镇", "530628"),
            donor: Some("sh-first"),
            via: None,
            served: 1_260,
            local_staff: 24,
            experts: ("sh-first", 6, 11),
            note: Some("彝良县人民医院与盐津县人民医院联合举办，上海援滇专家参加"),
        })
        .await?;
        // 沪蒙: 上海市精神卫生中心's experts' quarterly circuit clinics at the grass roots.
        for (k, day) in ["2024-12-12", "2025-03-13", "2025-06-12", "2025-09-11"]
            .into_iter()
            .enumerate()
        {
            self.event(Event {
                program: "hu-meng",
                institution: "bt-sixth",
                kind: "circuit",
                held_on: day.into(),
                title: Some("精神卫生基层巡回诊疗"),
                place: (
                    ["township", "community"][k % 2],
                    ["东河区沙尔沁镇卫生院", "青山区富强路社区卫生服务中心"][k % 2],
                    ["150202", "150204"][k % 2],
                ),
                donor: Some("sh-mental"),
                via: None,
                served: 38,
                local_staff: 4,
                experts: ("sh-mental", 2, k * 2),
                note: None,
            })
            .await?;
        }
        // 京蒙: 两次下沉 — 北京大学肿瘤医院 → 北京大学肿瘤医院内蒙古医院 → 伍什家乡镇卫生院.
        self.event(Event {
            program: "jing-meng",
            institution: "tkt-wushijia",
            kind: "free-clinic",
            held_on: "2025-04-16".into(),
            title: Some("“两次下沉”义诊"),
            place: ("township", "伍什家乡镇卫生院", "150122"),
            donor: Some("bj-pku-cancer"),
            via: Some("nm-pku-cancer"),
            served: 326,
            local_staff: 8,
            experts: ("bj-pku-cancer", 5, 0),
            note: None,
        })
        .await?;
        // 京蒙: the academician team's free clinic at 内蒙古自治区脑科医院 (20余 experts).
        self.event(Event {
            program: "jing-meng",
            institution: "nm-brain",
            kind: "free-clinic",
            held_on: "2025-05-10".into(),
            title: Some("赵继宗院士团队义诊"),
            place: ("hospital", "内蒙古自治区脑科医院", "150100"),
            donor: Some("bj-tiantan"),
            via: None,
            served: 480,
            local_staff: 15,
            experts: ("bj-tiantan", 22, 0),
            note: Some("首都医科大学附属北京天坛医院赵继宗院士带领专家团队"),
        })
        .await
    }
}
