//! Demo reported KPIs: the before/after figures the seed articles quote, as reports of the
//! institutions they describe, mostly approved by the program office.
//!
//! | program | institution | what the article says | reports |
//! |---|---|---|---|
//! | 豫哈 | 红星医院 | 执业医师首考通过率 20%→92%; 2025 平均住院日 −0.31 天, 三四级手术 +6.11%; 全科住培结业 100% | yearly 2015, 2018, 2021, 2024, 2025 approved; quarters of 2025: Q1–Q2 approved, Q3 submitted, Q4 a draft |
//! | 沪滇 | 大关县人民医院 | 患者满意度 81%→92% | 2021 and 2023 approved |
//! | 沪滇 | 昭通市卫健委 | 居民健康素养 17.17% (2020) → 22.29% (2023); 高血压、糖尿病规范管理率 89.38%、85.25% | 2020 and 2023 approved |
//! | 区域医疗中心 | 宁德市医院 | 2024 门诊量突破168.5万人次 (1,685,063, +11.81%), 四级手术占比 26.63%, 微创手术 +25.26% (4,180 → 5,236), 药耗占比下降1.02 (read as percentage points, as the 沪滇 article's "提升了5.12%" is: 28.45% → 27.43%), 乳腺癌术前穿刺活检率提升90% (relative: 40% → 76%) | 2023 and 2024 approved |
//!
//! And how each program's briefing words its figures where the articles round them
//! (`WORDING`: "出诊5500多人次", "教学查房近200次", "8300余万元", "23.6万余人次"…).
//!
//! The submitted 豫哈 report (2025-Q3) waits for the `office` account; the draft belongs to
//! `coord-recipient`. Rows go in with a few multi-row INSERTs.

use shanhai_domain::kpis::{Period, ReportState, builtin_catalogue, parse_scaled};
use shanhai_store::query::{self, Arg};
use shanhai_store::{Result, StoreError};
use sqlx::AnyConnection;
use std::collections::HashMap;

pub struct Registry<'a> {
    pub programs: &'a HashMap<String, String>,
    pub institutions: &'a HashMap<String, String>,
}

/// One KPI in a demo report: code, value, baseline, target (decimals as written).
type Figure = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

struct Report {
    program: &'static str,
    institution: &'static str,
    period: &'static str,
    state: ReportState,
    figures: &'static [Figure],
}

const REPORTS: &[Report] = &[
    // 豫哈: 红星医院
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2015",
        state: ReportState::Approved,
        figures: &[("licensing-first-pass", "20", Some("20"), Some("60"))],
    },
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2018",
        state: ReportState::Approved,
        figures: &[("licensing-first-pass", "44", Some("20"), Some("60"))],
    },
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2021",
        state: ReportState::Approved,
        figures: &[("licensing-first-pass", "68", Some("20"), Some("80"))],
    },
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2024",
        state: ReportState::Approved,
        figures: &[
            ("licensing-first-pass", "92", Some("20"), Some("90")),
            ("residency-completion-pass", "100", Some("85"), Some("95")),
            ("average-length-of-stay", "8.92", Some("9.40"), Some("8.80")),
            ("grade34-surgeries", "5253", Some("3980"), Some("5200")),
        ],
    },
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2025",
        state: ReportState::Approved,
        figures: &[
            ("average-length-of-stay", "8.61", Some("8.92"), Some("8.80")),
            ("grade34-surgeries", "5574", Some("5253"), Some("5400")),
        ],
    },
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2025-Q1",
        state: ReportState::Approved,
        figures: &[
            (
                "patient-satisfaction",
                "92.40",
                Some("90.00"),
                Some("93.00"),
            ),
            ("average-length-of-stay", "8.74", Some("8.92"), Some("8.80")),
            ("outpatient-visits", "98650", Some("92310"), None),
        ],
    },
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2025-Q2",
        state: ReportState::Approved,
        figures: &[
            (
                "patient-satisfaction",
                "93.10",
                Some("90.00"),
                Some("93.00"),
            ),
            ("average-length-of-stay", "8.63", Some("8.92"), Some("8.80")),
            ("outpatient-visits", "104220", Some("97480"), None),
        ],
    },
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2025-Q3",
        state: ReportState::Submitted,
        figures: &[
            (
                "patient-satisfaction",
                "93.60",
                Some("90.00"),
                Some("93.00"),
            ),
            ("average-length-of-stay", "8.55", Some("8.92"), Some("8.80")),
            ("outpatient-visits", "107935", Some("101200"), None),
        ],
    },
    Report {
        program: "yu-ha",
        institution: "hm-hongxing",
        period: "2025-Q4",
        state: ReportState::Draft,
        figures: &[(
            "patient-satisfaction",
            "93.80",
            Some("90.00"),
            Some("93.00"),
        )],
    },
    // 沪滇: 大关县人民医院, 昭通市卫健委
    Report {
        program: "hu-dian",
        institution: "zt-daguan",
        period: "2021",
        state: ReportState::Approved,
        figures: &[("patient-satisfaction", "81", Some("81"), Some("90"))],
    },
    Report {
        program: "hu-dian",
        institution: "zt-daguan",
        period: "2023",
        state: ReportState::Approved,
        figures: &[("patient-satisfaction", "92", Some("81"), Some("90"))],
    },
    Report {
        program: "hu-dian",
        institution: "zt-hc",
        period: "2020",
        state: ReportState::Approved,
        figures: &[("health-literacy", "17.17", Some("17.17"), Some("20.00"))],
    },
    Report {
        program: "hu-dian",
        institution: "zt-hc",
        period: "2023",
        state: ReportState::Approved,
        figures: &[
            ("health-literacy", "22.29", Some("17.17"), Some("20.00")),
            ("hypertension-management", "89.38", None, Some("70.00")),
            ("diabetes-management", "85.25", None, Some("70.00")),
            ("chronic-disease-centres", "100", None, Some("100")),
        ],
    },
    // 省级区域医疗中心: 宁德市医院
    Report {
        program: "min-regional",
        institution: "nd-hospital",
        period: "2023",
        state: ReportState::Approved,
        figures: &[
            ("outpatient-visits", "1507020", None, None),
            ("minimally-invasive-surgeries", "4180", None, None),
            ("drug-consumable-share", "28.45", None, None),
            ("breast-cancer-preop-biopsy", "40", None, None),
        ],
    },
    Report {
        program: "min-regional",
        institution: "nd-hospital",
        period: "2024",
        state: ReportState::Approved,
        figures: &[
            (
                "outpatient-visits",
                "1685063",
                Some("1507020"),
                Some("1600000"),
            ),
            ("grade4-surgery-share", "26.63", None, Some("25.00")),
            ("minimally-invasive-surgeries", "5236", Some("4180"), None),
            (
                "drug-consumable-share",
                "27.43",
                Some("28.45"),
                Some("28.00"),
            ),
            ("breast-cancer-preop-biopsy", "76", Some("40"), Some("70")),
        ],
    },
];

/// Where each program's briefing states a figure in the press's words, as its article does
/// (program key, indicator or KPI code).
const WORDING: &[(&str, &str)] = &[
    // 京蒙: 出诊5500多人次, 教学查房近200次, 300余名医务人员赴京进修, 制度近1000项.
    ("jing-meng", "clinic-sessions"),
    ("jing-meng", "teaching-activities-teaching-round"),
    ("jing-meng", "placements"),
    ("jing-meng", "regulations"),
    // 沪滇: 200余项新技术, 会诊和疑难病例讨论5500余人次, 学术讲座2400余次, 教学查房4600余次,
    // 8300余万元, 门诊23.6万余人次, 入院近6.3万人次, 手术2.1万余人次.
    ("hu-dian", "techniques"),
    ("hu-dian", "consultations"),
    ("hu-dian", "teaching-activities-lecture"),
    ("hu-dian", "teaching-activities-teaching-round"),
    ("hu-dian", "funding"),
    ("hu-dian", "workload-outpatients"),
    ("hu-dian", "workload-admissions"),
    ("hu-dian", "workload-operations"),
    // 豫哈: 新技术新项目120余项, 疑难病例讨论及多学科会诊3000余次, 700多场教学查房.
    ("yu-ha", "techniques"),
    ("yu-ha", "consultations"),
    ("yu-ha", "teaching-activities-teaching-round"),
    // 闽: 门诊量突破168.5万人次.
    ("min-regional", "outpatient-visits"),
];

/// Inserts rows into a table with one multi-row statement (the demo's reports are few).
async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut n = 0;
    let groups: Vec<String> = rows
        .iter()
        .map(|row| {
            let ps: Vec<String> = row
                .iter()
                .map(|_| {
                    n += 1;
                    format!("${n}")
                })
                .collect();
            format!("({})", ps.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        groups.join(", ")
    );
    query::sql_with(sql, rows.into_iter().flatten().collect())
        .execute(conn)
        .await?;
    Ok(())
}

/// An instant `days` after `date`, as stored.
fn at(date: chrono::NaiveDate, days: u64, hour: u32) -> String {
    let day = date
        .checked_add_days(chrono::Days::new(days))
        .unwrap_or(date);
    format!("{day}T{hour:02}:00:00.000Z")
}

/// The KPIs the demo's programs define for themselves.
fn own_definitions() -> Vec<shanhai_domain::kpis::KpiDefinition> {
    use shanhai_domain::kpis::{KpiDefinition, KpiDirection, PeriodType, ValueKind};
    vec![KpiDefinition {
        code: "chronic-disease-centres".into(),
        name_zh: "县乡两级慢性病管理中心建成率".into(),
        name_en: "County and township chronic disease centres built".into(),
        unit: "%".into(),
        direction: KpiDirection::Higher,
        value_kind: ValueKind::Percent,
        scale: 2,
        period_types: vec![PeriodType::Year],
        description: Some("已建成慢性病管理中心的县、乡两级医疗机构占应建机构的比例。".into()),
        builtin: false,
    }]
}

/// Loads the demo reports; returns how many.
pub async fn load(conn: &mut AnyConnection, reg: &Registry<'_>) -> Result<usize> {
    // 沪滇 reports a KPI of its own beside the built-in ones (县、乡两级慢性病管理中心建成率),
    // defined as a program office defines one (not built in).
    let own = own_definitions();
    let actor = shanhai_store::audit::Actor::system("demo");
    for d in &own {
        shanhai_store::kpis::create_definition_on(conn, &actor, d).await?;
    }
    let catalogue: Vec<_> = builtin_catalogue().into_iter().chain(own).collect();
    let bad = |what: String| StoreError::Other(format!("demo kpis: {what}"));
    let (mut reports, mut values, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for r in REPORTS {
        let period = Period::parse("period", r.period).map_err(|e| bad(format!("{e}")))?;
        let program = reg
            .programs
            .get(r.program)
            .ok_or_else(|| bad(format!("unknown program {}", r.program)))?;
        let institution = reg
            .institutions
            .get(r.institution)
            .ok_or_else(|| bad(format!("unknown institution {}", r.institution)))?;
        let id = shanhai_domain::ids::new_id();
        let end = period.end();
        let created = at(end, 3, 1);
        let submitted = (r.state != ReportState::Draft).then(|| at(end, 10, 2));
        let approved = (r.state == ReportState::Approved).then(|| at(end, 20, 3));
        let (reporter, reviewer) = match r.program {
            "yu-ha" => ("coord-recipient", "office"),
            _ => ("demo", "demo"),
        };
        let updated = approved
            .clone()
            .or_else(|| submitted.clone())
            .unwrap_or_else(|| created.clone());
        reports.push(vec![
            id.clone().into(),
            institution.clone().into(),
            Some(program.clone()).into(),
            period.kind().code().into(),
            period.key().into(),
            period.start().to_string().into(),
            end.to_string().into(),
            r.state.code().into(),
            submitted.as_ref().map(|_| reporter.to_string()).into(),
            submitted.clone().into(),
            approved.as_ref().map(|_| reviewer.to_string()).into(),
            approved.clone().into(),
            created.clone().into(),
            updated.into(),
        ]);
        let mut steps = vec![("create", "", "draft", created, reporter)];
        if let Some(t) = submitted {
            steps.push(("submit", "draft", "submitted", t, reporter));
        }
        if let Some(t) = approved {
            steps.push(("approve", "submitted", "approved", t, reviewer));
        }
        for (action, from, to, t, who) in steps {
            events.push(vec![
                shanhai_domain::ids::new_id().into(),
                id.clone().into(),
                action.into(),
                from.into(),
                to.into(),
                t.into(),
                who.into(),
                Option::<String>::None.into(),
            ]);
        }
        for &(code, value, baseline, target) in r.figures {
            let def = catalogue
                .iter()
                .find(|d| d.code == code)
                .ok_or_else(|| bad(format!("unknown KPI {code}")))?;
            let scaled =
                |t: &str| parse_scaled(code, t, def.scale).map_err(|e| bad(format!("{e}")));
            values.push(vec![
                shanhai_domain::ids::new_id().into(),
                id.clone().into(),
                code.into(),
                Some(scaled(value)?).into(),
                baseline.map(scaled).transpose()?.into(),
                target.map(scaled).transpose()?.into(),
                Option::<String>::None.into(),
            ]);
        }
    }
    let count = reports.len();
    insert_rows(
        conn,
        "kpi_reports",
        &[
            "id",
            "institution_id",
            "program_id",
            "period_type",
            "period_key",
            "period_start",
            "period_end",
            "state",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "approved_at",
            "created_at",
            "updated_at",
        ],
        reports,
    )
    .await?;
    insert_rows(
        conn,
        "kpi_values",
        &[
            "id",
            "report_id",
            "definition_code",
            "value_scaled",
            "baseline_scaled",
            "target_scaled",
            "note",
        ],
        values,
    )
    .await?;
    insert_rows(
        conn,
        "kpi_report_events",
        &[
            "id",
            "report_id",
            "action",
            "from_state",
            "to_state",
            "at",
            "actor_name",
            "reason",
        ],
        events,
    )
    .await?;
    let mut wording = Vec::new();
    for (key, code) in WORDING {
        let program = reg
            .programs
            .get(*key)
            .ok_or_else(|| bad(format!("unknown program {key}")))?;
        let now = at(
            chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            0,
            0,
        );
        wording.push(vec![
            program.clone().into(),
            (*code).into(),
            shanhai_domain::briefing::Wording::Rounded.code().into(),
            now.clone().into(),
            now.into(),
        ]);
    }
    insert_rows(
        conn,
        "briefing_preferences",
        &["program_id", "code", "wording", "created_at", "updated_at"],
        wording,
    )
    .await?;
    Ok(count)
}
