//! Demo training and management records: what the articles quote about training schemes,
//! lecture series, remote CME learners, restructured departments, accreditations passed and
//! patients who came back — each figure generated as records, none stored as a number.
//!
//! | program | what the article says | what is generated |
//! |---|---|---|
//! | 沪滇 | “雏鹰行动”选派35名进修; 昭通52名骨干到上海跟岗; 优化调整科室22个; 7家通过提质达标验收; 300多名肿瘤患者返回治疗; 业务培训3.8万余人次; 手术示教7500余次; 六大专科联盟 | a further-study scheme of 35 placements of 彝良县人民医院, a shadowing scheme of 52 people, 22 department changes, 7 quality-upgrade goals achieved in 2023, 326 returns to 滇东北中心医院's oncology, 384 training sessions attended 38,416 times, 7,512 surgical demonstrations, 6 alliances of 彝良 on 2023-06-09 |
//! | 豫哈 | “豫哈中原课堂”40期 1.5万人; “科研门诊”; “豫医论道东天山” 近20名专家 上百名同道 | three series: 40 online sessions attended 15,360 times, 24 research clinics, 18 lectures by 18 experts attended 144 times |
//! | 沪蒙 | 817名学员通过远程继续医学教育平台学习 (儿科, 骨科, 口腔, 精神卫生…) | 817 CME enrolments at the five 包头 hospitals |

use chrono::NaiveDate;
use shanhai_domain::capacity::*;
use shanhai_store::audit::Actor;
use shanhai_store::capacity::{self as store, *};
use shanhai_store::query::{self, Arg, text};
use shanhai_store::{Result, StoreError};
use sqlx::AnyConnection;
use std::collections::HashMap;

fn missing(what: &str, key: &str) -> StoreError {
    StoreError::Other(format!("demo training: unknown {what} {key}"))
}

fn invalid(what: &str, e: impl Into<shanhai_domain::Problems>) -> StoreError {
    StoreError::Other(format!("demo training {what}: {}", e.into()))
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// The `k`-th of `n` days spread evenly over `[from, to]`.
fn spread(from: NaiveDate, to: NaiveDate, k: usize, n: usize) -> String {
    let span = (to - from).num_days().max(0);
    let step = span * k as i64 / n.max(1) as i64;
    (from + chrono::Duration::days(step)).to_string()
}

/// `n` attendances around `total / n` each that add up to exactly `total`.
fn shares(total: i64, n: usize) -> Vec<i64> {
    let base = total / n as i64;
    let swing = (base / 5).max(1);
    let mut out: Vec<i64> = (0..n)
        .map(|k| (base + (k as i64 * 7) % (2 * swing + 1) - swing).max(1))
        .collect();
    let rest = total - out.iter().sum::<i64>();
    if let Some(last) = out.last_mut() {
        *last += rest;
    }
    out
}

/// Multi-row INSERTs of `rows` into `table`, a few hundred rows a statement.
async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<()> {
    let per = (10_000 / columns.len()).clamp(1, 500);
    // SQLite looks numbered parameters up by name; plain `?` keeps long statements cheap.
    let sqlite = conn.backend_name().to_ascii_lowercase().contains("sqlite");
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
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
    Ok(())
}

async fn ids(conn: &mut AnyConnection, sql: &str, args: Vec<query::Arg>) -> Result<Vec<String>> {
    let rows = query::sql_with(sql.into(), args)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| text(r, "id")).collect()
}

struct W<'a> {
    conn: &'a mut AnyConnection,
    actor: &'a Actor,
    records: usize,
}

impl W<'_> {
    async fn create<T: Collection>(&mut self, new: &T::New) -> Result<T::Record> {
        self.records += 1;
        store::create_on::<T>(self.conn, self.actor, new).await
    }

    /// Writes many records of a collection in multi-row INSERTs, each with its `create` audit
    /// entry (the roll-up triggers fire as for any insert): thousands of parsed inputs whose
    /// references come from the database itself.
    async fn bulk<T: Collection>(&mut self, news: &[T::New]) -> Result<()> {
        let now = shanhai_store::now();
        let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(news.len());
        let mut audit: Vec<Vec<Arg>> = Vec::with_capacity(news.len());
        for new in news {
            let id = shanhai_domain::ids::new_id();
            let mut row: Vec<Arg> = vec![id.clone().into()];
            row.extend(T::args(new));
            row.push(now.clone().into());
            row.push(now.clone().into());
            rows.push(row);
            let after = serde_json::json!({ "id": id, "table": T::TABLE });
            audit.push(vec![
                shanhai_domain::ids::new_id().into(),
                now.clone().into(),
                Arg::OptText(None),
                "demo".into(),
                "create".into(),
                T::ENTITY.into(),
                id.into(),
                Arg::OptText(None),
                Arg::OptText(Some(after.to_string())),
                Arg::OptText(None),
            ]);
        }
        let mut columns = vec!["id"];
        columns.extend(T::COLUMNS);
        columns.extend(["created_at", "updated_at"]);
        insert_rows(self.conn, T::TABLE, &columns, rows).await?;
        insert_rows(
            self.conn,
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
            audit,
        )
        .await?;
        self.records += news.len();
        Ok(())
    }

    /// `attendance.len()` teaching activities of a kind at an institution over a period.
    #[allow(clippy::too_many_arguments)]
    async fn teaching(
        &mut self,
        program: &str,
        institution: &str,
        kind: TeachingKind,
        hosts: &[String],
        attendance: &[i64],
        (from, to): (NaiveDate, NaiveDate),
        topic: &str,
        series: Option<&str>,
    ) -> Result<()> {
        let n = attendance.len();
        let online = kind == TeachingKind::RemoteTeaching;
        let mut news = Vec::with_capacity(n);
        for (k, a) in attendance.iter().enumerate() {
            let new = TeachingActivityInput {
                program_id: Some(program.to_string()),
                institution_id: institution.to_string(),
                department_id: None,
                kind: kind.code().into(),
                held_on: spread(from, to, k, n),
                host_id: (!hosts.is_empty()).then(|| hosts[k % hosts.len()].clone()),
                place: (!online).then(|| "示教室".to_string()),
                online,
                topic: if series.is_some() {
                    format!("{topic}（第{}期）", k + 1)
                } else {
                    topic.to_string()
                },
                duration_minutes: [60, 90, 120][k % 3],
                attendance: Some(*a),
                attendee_ids: Vec::new(),
                series_id: series.map(str::to_string),
            }
            .parse()
            .map_err(|e| invalid("teaching", e))?;
            news.push(new);
        }
        self.bulk::<TeachingActivities>(&news).await
    }
}

/// Loads the records; answers how many were written.
pub async fn load(
    conn: &mut AnyConnection,
    actor: &Actor,
    programs: &HashMap<String, String>,
    institutions: &HashMap<String, String>,
) -> Result<usize> {
    let started = std::time::Instant::now();
    let program = |key: &str| {
        programs
            .get(key)
            .cloned()
            .ok_or_else(|| missing("program", key))
    };
    let inst = |key: &str| {
        institutions
            .get(key)
            .cloned()
            .ok_or_else(|| missing("institution", key))
    };
    let mut w = W {
        conn,
        actor,
        records: 0,
    };

    // ---- 沪滇 ----
    let hd = program("hu-dian")?;
    let hd_end = crate::as_of("hu-dian");
    let yiliang = inst("zt-yiliang")?;
    // 彝良县“雏鹰行动”: 35 young staff sent to 上海 for further study — 35 of its placements.
    let scheme = w
        .create::<TrainingSchemes>(
            &TrainingSchemeInput {
                program_id: Some(hd.clone()),
                institution_id: yiliang.clone(),
                name: "雏鹰行动".into(),
                kind: SchemeKind::FurtherStudy.code().into(),
                host_institution_id: Some(inst("sh-first")?),
                started_on: "2021-03-01".into(),
                note: Some("彝良县帮扶团队制定的人才培养计划，由专家重点带教".into()),
            }
            .parse()
            .map_err(|e| invalid("scheme", e))?,
        )
        .await?;
    let placements = query::sql_with(
        "SELECT id, start_date FROM placements WHERE program_id = $1 AND institution_id = $2 \
         ORDER BY start_date, id"
            .into(),
        vec![hd.clone().into(), yiliang.clone().into()],
    )
    .fetch_all(&mut *w.conn)
    .await?;
    if placements.len() < 35 {
        return Err(missing("placements at", "zt-yiliang"));
    }
    for r in placements.iter().take(35) {
        let new = SchemeMemberInput {
            program_id: Some(hd.clone()),
            institution_id: yiliang.clone(),
            scheme_id: scheme.id.clone(),
            person_id: None,
            placement_id: Some(text(r, "id")?),
            joined_on: text(r, "start_date")?,
        }
        .parse()
        .map_err(|e| invalid("member", e))?;
        w.create::<SchemeMembers>(&new).await?;
    }
    // 昭通共选派52名骨干到上海跟岗学习: staff of 盐津, 大关 and 滇东北中心医院.
    let shadowing = w
        .create::<TrainingSchemes>(
            &TrainingSchemeInput {
                program_id: Some(hd.clone()),
                institution_id: inst("zt-hc")?,
                name: "昭通骨干赴沪跟岗学习".into(),
                kind: SchemeKind::Shadowing.code().into(),
                host_institution_id: None,
                started_on: "2021-06-01".into(),
                note: None,
            }
            .parse()
            .map_err(|e| invalid("scheme", e))?,
        )
        .await?;
    let mut staff: Vec<(String, String)> = Vec::new();
    for key in ["zt-yanjin", "zt-daguan", "zt-dianbei"] {
        let i = inst(key)?;
        let people = ids(
            w.conn,
            "SELECT id FROM people WHERE institution_id = $1 ORDER BY id",
            vec![i.clone().into()],
        )
        .await?;
        staff.extend(people.into_iter().take(18).map(|p| (i.clone(), p)));
    }
    if staff.len() < 52 {
        return Err(missing("staff for", "跟岗"));
    }
    for (k, (institution, person)) in staff.iter().take(52).enumerate() {
        let new = SchemeMemberInput {
            program_id: Some(hd.clone()),
            institution_id: institution.clone(),
            scheme_id: shadowing.id.clone(),
            person_id: Some(person.clone()),
            placement_id: None,
            joined_on: spread(d("2021-06-01"), hd_end, k, 52),
        }
        .parse()
        .map_err(|e| invalid("member", e))?;
        w.create::<SchemeMembers>(&new).await?;
    }
    // 优化调整科室22个.
    const CHANGES: &[(&str, &str, Option<&str>)] = &[
        ("created", "疼痛科", None),
        ("created", "康复医学科", None),
        ("merged", "心血管内科", Some("心内一科、心内二科")),
        ("split", "呼吸与危重症医学科", Some("内科")),
        ("renamed", "急诊医学科", Some("急诊科")),
        ("created", "卒中中心", None),
        ("split", "神经外科", Some("外科")),
        ("merged", "消化内科", Some("消化内科、内镜室")),
        ("created", "日间手术中心", None),
        ("renamed", "重症医学科", Some("ICU")),
        ("split", "小儿外科", Some("外科")),
    ];
    let hospitals = ["zt-yanjin", "zt-yiliang", "zt-daguan", "zt-dianbei"];
    for k in 0..22 {
        let (kind, name, before) = CHANGES[k % CHANGES.len()];
        let new = DepartmentChangeInput {
            program_id: Some(hd.clone()),
            institution_id: inst(hospitals[k % hospitals.len()])?,
            department_id: None,
            kind: kind.into(),
            name: name.into(),
            previous_name: before.map(str::to_string),
            changed_on: spread(d("2021-09-01"), d("2024-03-31"), k, 22),
            note: None,
        }
        .parse()
        .map_err(|e| invalid("department change", e))?;
        w.create::<DepartmentChanges>(&new).await?;
    }
    // 盐津、彝良等7家受帮扶医院通过县级公立综合医院第二阶段提质达标验收 (2023).
    for (k, key) in [
        "zt-yanjin",
        "zt-yiliang",
        "zt-daguan",
        "zt-dianbei",
        "zt-yiliang-2nd",
        "zt-suijiang-tcm",
        "zt-jingan-thc",
    ]
    .iter()
    .enumerate()
    {
        let new = AccreditationGoalInput {
            program_id: Some(hd.clone()),
            institution_id: inst(key)?,
            goal: AccreditationGoalKind::QualityUpgrade.code().into(),
            status: GoalStatus::Achieved.code().into(),
            target_on: Some("2023-12-31".into()),
            achieved_on: Some(format!("2023-{:02}-15", 5 + k)),
            note: Some("县级公立综合医院第二阶段提质达标验收".into()),
        }
        .parse()
        .map_err(|e| invalid("accreditation", e))?;
        w.create::<AccreditationGoals>(&new).await?;
    }
    // 滇东北地区中心医院肿瘤中心: 300多名长期在市外就诊的肿瘤患者返回治疗.
    let dianbei = inst("zt-dianbei")?;
    const ELSEWHERE: &[&str] = &["530100", "510100", "500000", "310000", "520100"];
    let mut returns = Vec::new();
    for k in 0..326 {
        let new = PatientReturnInput {
            program_id: Some(hd.clone()),
            institution_id: dianbei.clone(),
            department_id: None,
            specialty_code: Some("19".into()),
            returned_on: spread(d("2023-03-01"), hd_end, k, 326),
            treated_region_code: ELSEWHERE[k % ELSEWHERE.len()].into(),
            note: None,
        }
        .parse()
        .map_err(|e| invalid("patient return", e))?;
        returns.push(new);
    }
    w.bulk::<PatientReturns>(&returns).await?;
    // 业务培训3.8万余人次; 手术示教7500余次.
    let shanghai = ids(
        w.conn,
        "SELECT id FROM people WHERE institution_id = $1 ORDER BY id LIMIT 20",
        vec![inst("sh-first")?.into()],
    )
    .await?;
    let period = (d("2021-03-01"), hd_end);
    for (k, key) in hospitals.iter().enumerate() {
        let share = shares(38_416, 4)[k];
        w.teaching(
            &hd,
            &inst(key)?,
            TeachingKind::Training,
            &shanghai,
            &shares(share, 96),
            period,
            "医务人员业务培训",
            None,
        )
        .await?;
        let demos = if k == 0 { 1_878 + 3 } else { 1_877 };
        w.teaching(
            &hd,
            &inst(key)?,
            TeachingKind::SurgicalDemonstration,
            &shanghai,
            &vec![6; demos],
            period,
            "手术示教",
            None,
        )
        .await?;
    }
    // 2023年6月9日成立六大专科联盟 (彝良).
    let first = inst("sh-first")?;
    for field in ["心血管", "神经", "消化", "呼吸", "骨科", "妇产"] {
        let new = AllianceInput {
            program_id: Some(hd.clone()),
            institution_id: yiliang.clone(),
            name: format!("彝良县人民医院{field}专科联盟"),
            specialty_code: None,
            founded_on: "2023-06-09".into(),
        }
        .parse()
        .map_err(|e| invalid("alliance", e))?;
        let a = w.create::<Alliances>(&new).await?;
        add_member_on(w.conn, w.actor, &a.id, &first, new.founded_on).await?;
        w.records += 1;
    }

    // ---- 豫哈 ----
    let yh = program("yu-ha")?;
    let yh_end = crate::as_of("yu-ha");
    let hongxing = inst("hm-hongxing")?;
    let henan = ids(
        w.conn,
        "SELECT id FROM people WHERE institution_id = $1 ORDER BY id LIMIT 40",
        vec![inst("hn-people")?.into()],
    )
    .await?;
    let series = |name: &str, kind: SeriesKind, on: &str| LectureSeriesInput {
        program_id: Some(yh.clone()),
        institution_id: hongxing.clone(),
        name: name.into(),
        kind: kind.code().into(),
        started_on: on.into(),
        note: None,
    };
    // “豫哈中原课堂”开展40期，覆盖1.5万人.
    let classroom = w
        .create::<LectureSeriesSet>(
            &series("豫哈中原课堂", SeriesKind::Classroom, "2022-03-01")
                .parse()
                .map_err(|e| invalid("series", e))?,
        )
        .await?;
    w.teaching(
        &yh,
        &hongxing,
        TeachingKind::RemoteTeaching,
        &henan,
        &shares(15_360, 40),
        (d("2022-03-01"), yh_end),
        "豫哈中原课堂",
        Some(&classroom.id),
    )
    .await?;
    // “科研门诊”: 河南援疆专家定期坐诊.
    let clinic = w
        .create::<LectureSeriesSet>(
            &series("科研门诊", SeriesKind::ResearchClinic, "2021-05-01")
                .parse()
                .map_err(|e| invalid("series", e))?,
        )
        .await?;
    w.teaching(
        &yh,
        &hongxing,
        TeachingKind::ResearchClinic,
        &henan,
        &[8; 24],
        (d("2021-05-01"), yh_end),
        "科研门诊：课题设计与论文写作",
        Some(&clinic.id),
    )
    .await?;
    // “豫医论道东天山”(2023年9月): 近20名援疆专家为上百名当地同道“充电”.
    let forum = w
        .create::<LectureSeriesSet>(
            &series("豫医论道东天山", SeriesKind::LectureTour, "2023-09-01")
                .parse()
                .map_err(|e| invalid("series", e))?,
        )
        .await?;
    let lecturers: Vec<String> = henan.iter().skip(20).take(18).cloned().collect();
    w.teaching(
        &yh,
        &hongxing,
        TeachingKind::Lecture,
        &lecturers,
        &[8; 18],
        (d("2023-09-01"), d("2024-06-30")),
        "豫医论道东天山",
        Some(&forum.id),
    )
    .await?;

    // ---- 沪蒙: 817名学员通过远程继续医学教育平台开展学习 ----
    let hm = program("hu-meng")?;
    let hm_end = crate::as_of("hu-meng");
    const COURSES: &[(&str, &str)] = &[
        ("儿童常见病诊治进展", "07"),
        ("骨与关节损伤规范化处置", "04.03"),
        ("口腔常见病诊疗规范", "12"),
        ("精神卫生与心理危机干预", "15"),
        ("急危重症识别与处置", "20"),
    ];
    const SURNAMES: &[char] = &['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
    const GIVEN: &[&str] = &[
        "敏", "静", "伟", "磊", "娜", "强", "丽", "军", "婷", "涛", "洋",
    ];
    let baotou: Vec<String> = ["bt-central", "bt-fourth", "bt-yiji", "bt-med2", "bt-sixth"]
        .iter()
        .map(|k| inst(k))
        .collect::<Result<_>>()?;
    let mut enrolments = Vec::new();
    for k in 0..817 {
        let (course, specialty) = COURSES[k % COURSES.len()];
        let new = CmeEnrolmentInput {
            program_id: Some(hm.clone()),
            institution_id: baotou[k % baotou.len()].clone(),
            learner_id: None,
            learner_name: Some(format!(
                "{}{}{}",
                SURNAMES[k % SURNAMES.len()],
                GIVEN[(k / 10) % GIVEN.len()],
                GIVEN[(k / 7) % GIVEN.len()]
            )),
            course: course.into(),
            specialty_code: Some(specialty.into()),
            enrolled_on: spread(d("2024-09-01"), hm_end, k, 817),
        }
        .parse()
        .map_err(|e| invalid("enrolment", e))?;
        enrolments.push(new);
    }
    w.bulk::<CmeEnrolments>(&enrolments).await?;

    tracing::info!(
        records = w.records,
        total_ms = started.elapsed().as_millis() as u64,
        "demo training records loaded"
    );
    Ok(w.records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_exactly() {
        for (total, n) in [(38_416, 4), (9_604, 96), (15_360, 40), (7, 3)] {
            let s = shares(total, n);
            assert_eq!((s.iter().sum::<i64>(), s.len()), (total, n));
            assert!(s.iter().all(|a| *a > 0));
        }
    }
}
