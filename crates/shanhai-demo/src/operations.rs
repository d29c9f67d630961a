//! Demo operations (手术): what the dispatched experts did in the local operating rooms, by the
//! people of the demo's existing assignments (no assignment is added here), inside each
//! assignment's period. Rows go in with multi-row INSERTs on the demo's open transaction; the
//! roll-up triggers count them.
//!
//! | program | what the article says | what is generated |
//! |---|---|---|
//! | 沪蒙 | 院士团队…完成手术29台，其中四级手术1例，三级手术2例 | 29 operations at 国药一机医院 by 上海九院's dispatched experts (1 grade 4, 2 grade 3, the rest grade 1–2; operated, guided and demonstration mixed), plus 2 robot-assisted distal pancreatectomies at 包头市中心医院 guided by 瑞金 experts, the first the 首例 of a technique filling a gap in the region |
//! | 豫哈 | 手术量中，近六成为示范性教学手术；全疆首例神经外科UBE手术 | 840 operations at 红星医院 2021-01..2026-02 by the dispatched 河南省人民医院 experts, 57.5% demonstrations; one remote-guided UBE spine operation in January 2026 |
//! | 京蒙, 闽 | — | a handful each (赵继宗院士's 窦旁脑膜瘤 operation at 内蒙古自治区脑科医院 on 2025-05-22, where the demo has him) |

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use shanhai_domain::capacity::TechniqueInput;
use shanhai_store::audit::Actor;
use shanhai_store::query::{self, Arg, int, opt_text, text};
use shanhai_store::{Result, StoreError};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// What the operations demo needs from the registry part.
pub struct Registry<'a> {
    pub programs: &'a HashMap<String, String>,
    pub institutions: &'a HashMap<String, String>,
}

/// An assignment of the demo, as the generator reads it.
#[derive(Clone)]
struct Posting {
    id: String,
    person_id: String,
    department_id: Option<String>,
    start: NaiveDate,
    end: NaiveDate,
}

/// One operation to write.
struct Op {
    program_id: String,
    institution_id: String,
    posting: Posting,
    performed_on: NaiveDate,
    procedure: (&'static str, Option<&'static str>),
    grade: i64,
    role: &'static str,
    minimally_invasive: bool,
    technique_id: Option<String>,
    outcome: &'static str,
    note: Option<&'static str>,
    operators: Vec<String>,
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn missing(what: &str, key: &str) -> StoreError {
    StoreError::Other(format!("demo operations: unknown {what} {key}"))
}

/// The assignments under a program at a recipient of people from a donor, earliest first.
async fn postings(
    conn: &mut AnyConnection,
    program_id: &str,
    recipient_id: &str,
    donor_id: &str,
) -> Result<Vec<Posting>> {
    let rows = query::sql_with(
        "SELECT a.id, a.person_id, a.department_id, a.start_date, a.end_date FROM assignments a \
         JOIN batches b ON b.id = a.batch_id JOIN people p ON p.id = a.person_id \
         WHERE b.program_id = $1 AND a.institution_id = $2 AND p.institution_id = $3 \
         ORDER BY a.start_date, a.id"
            .into(),
        vec![program_id.into(), recipient_id.into(), donor_id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Posting {
                id: text(r, "id")?,
                person_id: text(r, "person_id")?,
                department_id: opt_text(r, "department_id")?,
                start: d(&text(r, "start_date")?),
                end: d(&text(r, "end_date")?),
            })
        })
        .collect()
}

/// Doctors of the local institution (the local operators), in a stable order.
async fn local_doctors(conn: &mut AnyConnection, institution_id: &str) -> Result<Vec<String>> {
    let rows = query::sql_with(
        "SELECT id FROM people WHERE institution_id = $1 AND title LIKE '%physician' \
         ORDER BY name, id LIMIT 40"
            .into(),
        vec![institution_id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| text(r, "id")).collect()
}

/// A day within `[from, to]`.
fn day_in(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + chrono::Duration::days(rng.gen_range(0..=span))
}

fn operators(rng: &mut StdRng, doctors: &[String]) -> Vec<String> {
    let n = rng.gen_range(1..=2).min(doctors.len());
    let mut picked: Vec<String> = doctors.choose_multiple(rng, n).cloned().collect();
    picked.sort();
    picked
}

/// 上海九院's procedures at 国药一机医院 (口腔颌面、整复、骨科), by grade.
const NINTH_GRADE_4: (&str, Option<&str>) =
    ("下颌骨肿瘤切除＋腓骨肌皮瓣游离移植修复术", Some("76.31"));
const NINTH_GRADE_3: &[(&str, Option<&str>)] = &[
    ("腭裂修复术", Some("27.62")),
    ("人工全膝关节置换术", Some("81.54")),
];
const NINTH_GRADE_1_2: &[(&str, Option<&str>, i64)] = &[
    ("唇裂修复术", Some("27.54"), 2),
    ("腮腺浅叶切除术", Some("26.31"), 2),
    ("颌下腺切除术", Some("26.30"), 2),
    ("体表肿物切除术", Some("86.3"), 1),
    ("瘢痕切除整形术", Some("86.84"), 2),
    ("拇外翻矫形术", Some("77.59"), 2),
    ("关节镜下半月板部分切除术", Some("80.6"), 2),
    ("埋伏牙拔除术", Some("23.19"), 1),
    ("牙槽骨修整术", Some("24.5"), 1),
    ("骨折切开复位内固定术", Some("79.3"), 2),
];

/// 河南省人民医院's procedures at 红星医院, with grade and whether minimally invasive.
const HENAN: &[(&str, Option<&str>, i64, bool)] = &[
    ("腹腔镜下胆囊切除术", Some("51.23"), 2, true),
    ("腹腔镜下阑尾切除术", Some("47.01"), 2, true),
    ("甲状腺腺叶切除术", Some("06.2"), 3, false),
    ("腹股沟疝无张力修补术", Some("53.0"), 2, false),
    ("腹腔镜下胃癌根治术", Some("43.7"), 4, true),
    ("结直肠癌根治术", Some("45.7"), 3, false),
    ("经皮冠状动脉介入治疗（PCI）", Some("00.66"), 3, true),
    ("永久起搏器植入术", Some("37.8"), 3, false),
    ("全脑血管造影术", Some("88.41"), 2, true),
    ("颅内动脉瘤夹闭术", Some("39.51"), 4, false),
    ("腰椎间盘突出髓核摘除术", Some("80.51"), 3, false),
    ("股骨颈骨折人工髋关节置换术", Some("81.52"), 3, false),
    ("子宫肌瘤剔除术", Some("68.29"), 2, false),
    ("剖宫产术", Some("74.1"), 2, false),
    ("经尿道前列腺电切术", Some("60.29"), 3, true),
    ("白内障超声乳化摘除＋人工晶体植入术", Some("13.41"), 2, true),
    ("体表肿物切除术", Some("86.3"), 1, false),
    ("清创缝合术", Some("86.59"), 1, false),
];

/// Operations of the demo, by program; returns how many were written.
pub async fn load(conn: &mut AnyConnection, actor: &Actor, reg: &Registry<'_>) -> Result<usize> {
    let program = |k: &str| {
        reg.programs
            .get(k)
            .cloned()
            .ok_or_else(|| missing("program", k))
    };
    let inst = |k: &str| {
        reg.institutions
            .get(k)
            .cloned()
            .ok_or_else(|| missing("institution", k))
    };
    let mut rng = StdRng::seed_from_u64(18_2025_1023);
    let mut ops: Vec<Op> = Vec::new();

    // ---- 沪蒙: 29 operations at 国药一机医院 by 上海九院's dispatched experts ----
    let hu_meng = program("hu-meng")?;
    let as_of = crate::as_of("hu-meng");
    let yiji = inst("bt-yiji")?;
    let ninth: Vec<Posting> = postings(conn, &hu_meng, &yiji, &inst("sh-ninth")?)
        .await?
        .into_iter()
        .filter(|p| p.start <= as_of)
        .collect();
    if !ninth.is_empty() {
        let doctors = local_doctors(conn, &yiji).await?;
        const N: usize = 29;
        let roles = ["operated", "guided", "demonstration"];
        for k in 0..N {
            let posting = ninth[k % ninth.len()].clone();
            let (procedure, grade) = match k {
                7 => (NINTH_GRADE_4, 4),
                3 | 16 => (NINTH_GRADE_3[usize::from(k == 16)], 3),
                _ => {
                    let (name, code, grade) = NINTH_GRADE_1_2[k % NINTH_GRADE_1_2.len()];
                    ((name, code), grade)
                }
            };
            let performed_on = day_in(&mut rng, posting.start, posting.end.min(as_of));
            ops.push(Op {
                program_id: hu_meng.clone(),
                institution_id: yiji.clone(),
                performed_on,
                procedure,
                grade,
                role: roles[(k * 7 + 1) % roles.len()],
                minimally_invasive: procedure.0.contains("关节镜"),
                technique_id: None,
                outcome: "success",
                note: None,
                operators: operators(&mut rng, &doctors),
                posting,
            });
        }
    }

    // ---- 沪蒙: 2 robot-assisted operations at 包头市中心医院, guided by 瑞金 experts ----
    let central = inst("bt-central")?;
    let ruijin: Vec<Posting> = postings(conn, &hu_meng, &central, &inst("sh-ruijin")?)
        .await?
        .into_iter()
        .filter(|p| p.start <= as_of)
        .collect();
    if !ruijin.is_empty() {
        const ROBOT: &str = "国产5G腔镜机器人辅助胰体尾切除术";
        let doctors = local_doctors(conn, &central).await?;
        let first = ruijin[0].clone();
        let second = ruijin[ruijin.len().min(3) - 1].clone();
        let days = [
            day_in(&mut rng, first.start, first.end.min(as_of)),
            day_in(&mut rng, second.start, second.end.min(as_of)),
        ];
        let (d1, d2) = (days[0].min(days[1]), days[0].max(days[1]));
        let existing = query::sql_with(
            "SELECT id FROM techniques WHERE institution_id = $1 AND name = $2".into(),
            vec![central.clone().into(), ROBOT.into()],
        )
        .fetch_optional(&mut *conn)
        .await?;
        let technique_id = match existing {
            Some(r) => text(&r, "id")?,
            None => {
                let new = TechniqueInput {
                    program_id: Some(hu_meng.clone()),
                    institution_id: central.clone(),
                    department_id: None,
                    name: ROBOT.into(),
                    specialty_code: "04.01".into(),
                    surgical_grade: Some(4),
                    gap_level: Some("province".into()),
                    pairing_id: None,
                    expert_id: Some(first.person_id.clone()),
                    introduced_on: d1.to_string(),
                    description: Some("自治区首例国产5G腔镜手术机器人辅助胰体尾切除术".into()),
                }
                .parse()
                .map_err(|e| StoreError::Other(format!("demo operations technique: {e}")))?;
                shanhai_store::capacity::create_technique_on(conn, actor, &new)
                    .await?
                    .0
                    .id
            }
        };
        for (posting, day, note) in [(first, d1, Some("自治区首例")), (second, d2, None)] {
            ops.push(Op {
                program_id: hu_meng.clone(),
                institution_id: central.clone(),
                performed_on: day,
                procedure: (ROBOT, Some("52.52")),
                grade: 4,
                role: "guided",
                minimally_invasive: true,
                technique_id: Some(technique_id.clone()),
                outcome: "success",
                note,
                operators: operators(&mut rng, &doctors),
                posting,
            });
        }
    }

    // ---- 豫哈: 840 operations at 红星医院, 2021-01..2026-02, 57.5% demonstrations ----
    let yu_ha = program("yu-ha")?;
    let hongxing = inst("hm-hongxing")?;
    let (from, to) = (d("2021-01-01"), d("2026-02-27"));
    let henan: Vec<(Posting, NaiveDate, NaiveDate)> =
        postings(conn, &yu_ha, &hongxing, &inst("hn-people")?)
            .await?
            .into_iter()
            .filter_map(|p| {
                let (a, b) = (p.start.max(from), p.end.min(to));
                (a <= b).then_some((p, a, b))
            })
            .collect();
    if !henan.is_empty() {
        const N: usize = 840;
        // Exactly 483 of 840 (57.5%) are demonstrations; one is the remote-guided UBE.
        let mut roles: Vec<&str> = Vec::with_capacity(N);
        roles.extend(std::iter::repeat_n("demonstration", 483));
        roles.extend(std::iter::repeat_n("operated", 196));
        roles.extend(std::iter::repeat_n("guided", N - 1 - 483 - 196));
        roles.shuffle(&mut rng);
        let doctors = local_doctors(conn, &hongxing).await?;
        let techniques = query::sql_with(
            "SELECT id, name, surgical_grade, introduced_on FROM techniques \
             WHERE institution_id = $1 AND surgical_grade IS NOT NULL ORDER BY introduced_on, id"
                .into(),
            vec![hongxing.clone().into()],
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut techniques_at: Vec<(String, &'static str, i64, NaiveDate)> = Vec::new();
        for r in &techniques {
            // Names live as long as the demo's statics only when they are the catalogue's.
            let name = text(r, "name")?;
            if let Some(known) = crate::technique_catalogue::TECHNIQUES
                .iter()
                .find(|t| t.0 == name)
            {
                techniques_at.push((
                    text(r, "id")?,
                    known.0,
                    int(r, "surgical_grade")?,
                    d(&text(r, "introduced_on")?),
                ));
            }
        }
        // Operations spread over the postings by the days each spent in the window.
        let weights: Vec<i64> = henan
            .iter()
            .map(|(_, a, b)| (*b - *a).num_days() + 1)
            .collect();
        let total_days: i64 = weights.iter().sum();
        let mut counts: Vec<usize> = weights
            .iter()
            .map(|w| (w * (N as i64 - 1) / total_days.max(1)) as usize)
            .collect();
        let mut k = 0;
        while counts.iter().sum::<usize>() < N - 1 {
            let len = counts.len();
            counts[k % len] += 1;
            k += 1;
        }
        let mut role = roles.into_iter();
        for ((posting, a, b), n) in henan.iter().zip(counts) {
            for _ in 0..n {
                let performed_on = day_in(&mut rng, *a, *b);
                let r = role.next().unwrap_or("guided");
                let linked = (rng.gen_range(0..8) == 0)
                    .then(|| {
                        techniques_at
                            .iter()
                            .filter(|t| t.3 <= performed_on)
                            .collect::<Vec<_>>()
                            .choose(&mut rng)
                            .map(|t| (*t).clone())
                    })
                    .flatten();
                let (procedure, grade, mi, technique_id) = match linked {
                    Some((id, name, grade, _)) => (
                        (name, None),
                        grade.clamp(1, 4),
                        name.contains("镜") || name.contains("介入"),
                        Some(id),
                    ),
                    None => {
                        let (name, code, grade, mi) = HENAN[rng.gen_range(0..HENAN.len())];
                        ((name, code), grade, mi, None)
                    }
                };
                ops.push(Op {
                    program_id: yu_ha.clone(),
                    institution_id: hongxing.clone(),
                    posting: posting.clone(),
                    performed_on,
                    procedure,
                    grade,
                    role: r,
                    minimally_invasive: mi,
                    technique_id,
                    outcome: if rng.gen_range(0..60) == 0 {
                        "complication"
                    } else {
                        "success"
                    },
                    note: None,
                    operators: operators(&mut rng, &doctors),
                });
            }
        }
        // 全疆首例神经外科UBE手术: guided remotely by the last expert dispatched before it.
        let ube_day = d("2026-01-16");
        let ube_expert = henan
            .iter()
            .filter(|(p, _, _)| p.start <= ube_day)
            .map(|(p, _, _)| p.clone())
            .next_back()
            .unwrap_or_else(|| henan[0].0.clone());
        ops.push(Op {
            program_id: yu_ha.clone(),
            institution_id: hongxing.clone(),
            posting: ube_expert,
            performed_on: ube_day,
            procedure: ("单侧双通道脊柱内镜（UBE）下腰椎间盘切除术", Some("80.51")),
            grade: 4,
            role: "remote-guidance",
            minimally_invasive: true,
            technique_id: None,
            outcome: "success",
            note: Some("全疆首例神经外科UBE手术"),
            operators: operators(&mut rng, &doctors),
        });
    }

    // ---- 京蒙: a handful at 内蒙古自治区脑科医院 by 天坛 experts ----
    let jing_meng = program("jing-meng")?;
    let brain = inst("nm-brain")?;
    let tiantan = postings(conn, &jing_meng, &brain, &inst("bj-tiantan")?).await?;
    if !tiantan.is_empty() {
        let doctors = local_doctors(conn, &brain).await?;
        let zhao_day = d("2025-05-22");
        // 赵继宗院士 where the demo has him; else the senior 天坛 expert there that day.
        let zhao = query::sql_with(
            "SELECT id FROM people WHERE name = '赵继宗' ORDER BY id LIMIT 1".into(),
            vec![],
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| text(&r, "id"))
        .transpose()?;
        let on_duty: Vec<&Posting> = tiantan
            .iter()
            .filter(|p| p.start <= zhao_day && zhao_day <= p.end)
            .collect();
        let lead = match &zhao {
            Some(id) => tiantan
                .iter()
                .find(|p| &p.person_id == id)
                .cloned()
                .unwrap_or(Posting {
                    id: String::new(),
                    person_id: id.clone(),
                    department_id: None,
                    start: zhao_day,
                    end: zhao_day,
                }),
            None => on_duty
                .first()
                .map(|p| (*p).clone())
                .unwrap_or_else(|| tiantan[0].clone()),
        };
        ops.push(Op {
            program_id: jing_meng.clone(),
            institution_id: brain.clone(),
            posting: lead,
            performed_on: zhao_day,
            procedure: ("窦旁脑膜瘤切除术", Some("01.51")),
            grade: 4,
            role: "operated",
            minimally_invasive: false,
            technique_id: None,
            outcome: "success",
            note: None,
            operators: operators(&mut rng, &doctors),
        });
        let brain_ops: &[(&str, Option<&str>, i64, bool)] = &[
            ("神经内镜下经鼻蝶垂体瘤切除术", Some("07.62"), 4, true),
            ("颅内动脉瘤介入栓塞术", Some("39.72"), 4, true),
            ("慢性硬膜下血肿钻孔引流术", Some("01.31"), 2, false),
            ("显微血管减压术", Some("04.41"), 3, false),
            ("脑室腹腔分流术", Some("02.34"), 3, false),
        ];
        for (k, (name, code, grade, mi)) in brain_ops.iter().enumerate() {
            let posting = tiantan[(k * 13 + 5) % tiantan.len()].clone();
            ops.push(Op {
                program_id: jing_meng.clone(),
                institution_id: brain.clone(),
                performed_on: day_in(&mut rng, posting.start, posting.end.min(zhao_day)),
                procedure: (name, *code),
                grade: *grade,
                role: ["guided", "demonstration", "operated"][k % 3],
                minimally_invasive: *mi,
                technique_id: None,
                outcome: "success",
                note: None,
                operators: operators(&mut rng, &doctors),
                posting,
            });
        }
    }

    // ---- 闽: a handful at 宁德市医院 by 上海市第一人民医院's 候鸟 experts ----
    let min = program("min-regional")?;
    {
        let ningde = inst("nd-hospital")?;
        let first = postings(conn, &min, &ningde, &inst("sh-first")?).await?;
        let doctors = local_doctors(conn, &ningde).await?;
        let until = crate::as_of("min-regional");
        for (k, posting) in first
            .iter()
            .filter(|p| p.start <= until)
            .take(6)
            .enumerate()
        {
            let (name, code, grade, mi) = HENAN[(k * 5 + 2) % HENAN.len()];
            ops.push(Op {
                program_id: min.clone(),
                institution_id: ningde.clone(),
                posting: posting.clone(),
                performed_on: day_in(&mut rng, posting.start, posting.end.min(until)),
                procedure: (name, code),
                grade,
                role: ["operated", "guided", "demonstration"][k % 3],
                minimally_invasive: mi,
                technique_id: None,
                outcome: "success",
                note: None,
                operators: operators(&mut rng, &doctors),
            });
        }
    }

    write(conn, &ops).await?;
    Ok(ops.len())
}

/// Writes the operations and their local operators with multi-row INSERTs.
async fn write(conn: &mut AnyConnection, ops: &[Op]) -> Result<()> {
    const COLUMNS: &[&str] = &[
        "id",
        "program_id",
        "institution_id",
        "department_id",
        "assignment_id",
        "expert_id",
        "performed_on",
        "procedure_name",
        "procedure_code",
        "grade",
        "expert_role",
        "minimally_invasive",
        "technique_id",
        "outcome",
        "note",
        "created_at",
        "updated_at",
    ];
    let now = shanhai_store::now();
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    let mut links: Vec<Vec<Arg>> = Vec::new();
    for op in ops {
        let id = shanhai_domain::ids::new_id();
        let assignment = (!op.posting.id.is_empty()).then(|| op.posting.id.clone());
        // The assignment's department when it is the operation's institution's.
        let department = op
            .posting
            .department_id
            .clone()
            .filter(|_| assignment.is_some());
        rows.push(vec![
            id.clone().into(),
            op.program_id.clone().into(),
            op.institution_id.clone().into(),
            department.into(),
            assignment.into(),
            op.posting.person_id.clone().into(),
            op.performed_on.to_string().into(),
            op.procedure.0.to_string().into(),
            op.procedure.1.map(str::to_string).into(),
            op.grade.into(),
            op.role.to_string().into(),
            i64::from(op.minimally_invasive).into(),
            op.technique_id.clone().into(),
            op.outcome.to_string().into(),
            op.note.map(str::to_string).into(),
            now.clone().into(),
            now.clone().into(),
        ]);
        for p in &op.operators {
            if *p != op.posting.person_id {
                links.push(vec![id.clone().into(), p.clone().into()]);
            }
        }
    }
    for chunk in rows.chunks(200) {
        insert_rows(conn, "operations", COLUMNS, chunk).await?;
    }
    for chunk in links.chunks(500) {
        insert_rows(
            conn,
            "operation_local_operators",
            &["operation_id", "person_id"],
            chunk,
        )
        .await?;
    }
    Ok(())
}

async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
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
    query::sql_with(sql, rows.iter().flatten().cloned().collect())
        .execute(conn)
        .await?;
    Ok(())
}
