//! Synthetic people for the demo: plausible Chinese names, titles and honours, the same on every
//! load (the generator is seeded by the institution's key).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shanhai_domain::registry::{Department, Institution, Person, PersonInput};
use shanhai_store::audit::Actor;
use shanhai_store::{Result, StoreError, people};
use sqlx::AnyConnection;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "华", "建", "国", "红", "文", "辉", "玲", "斌", "宇", "浩",
    "凯", "鹏", "晨", "婷", "雪", "琳", "颖", "欣", "志", "海", "峰", "波", "宁", "蕾", "倩", "岩",
    "松", "梅", "兰", "春", "晓", "立", "新", "东", "亮", "慧", "佳", "琦",
];
const TITLES: &[(&str, u32)] = &[
    ("chief-physician", 15),
    ("associate-chief-physician", 25),
    ("attending-physician", 30),
    ("resident-physician", 15),
    ("supervisor-nurse", 8),
    ("chief-technician", 3),
    ("technician", 4),
];

fn seed(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

fn title(rng: &mut StdRng) -> &'static str {
    let total: u32 = TITLES.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    for (t, w) in TITLES {
        if roll < *w {
            return t;
        }
        roll -= w;
    }
    TITLES[0].0
}

/// One synthetic person at an institution (and department).
fn person(
    rng: &mut StdRng,
    institution: &Institution,
    department: Option<&Department>,
    specialty: Option<&str>,
    title: &str,
) -> PersonInput {
    let given_len = if rng.gen_bool(0.6) { 2 } else { 1 };
    let name: String = std::iter::once(pick(rng, SURNAMES))
        .chain((0..given_len).map(|_| pick(rng, GIVEN)))
        .collect();
    let mut honours = Vec::new();
    if title == "chief-physician" && institution.grade == shanhai_domain::codes::Grade::Grade3A {
        if rng.gen_bool(0.03) {
            honours.push("中国工程院院士".to_string());
        } else if rng.gen_bool(0.2) {
            honours.push("国务院政府特殊津贴专家".to_string());
        }
    }
    PersonInput {
        name,
        gender: if rng.gen_bool(0.55) { "male" } else { "female" }.to_string(),
        title: title.to_string(),
        honours,
        institution_id: institution.id.clone(),
        department_id: department.map(|d| d.id.clone()),
        specialty_code: specialty.map(str::to_string),
    }
}

async fn create(conn: &mut AnyConnection, actor: &Actor, input: PersonInput) -> Result<Person> {
    let new = input
        .parse()
        .map_err(|e| StoreError::Other(format!("demo person: {e}")))?;
    people::create_on(conn, actor, &new).await
}

/// Adds 3–6 people to each department of a hospital; health commissions get a few staff without
/// a department. Returns how many were created.
pub async fn generate(
    conn: &mut AnyConnection,
    actor: &Actor,
    key: &str,
    institution: &Institution,
    departments: &[(Department, String)],
) -> Result<usize> {
    let mut rng = StdRng::seed_from_u64(seed(key));
    let mut count = 0;
    for (d, specialty) in departments {
        for _ in 0..rng.gen_range(3..=6) {
            let t = title(&mut rng);
            create(
                conn,
                actor,
                person(&mut rng, institution, Some(d), Some(specialty), t),
            )
            .await?;
            count += 1;
        }
    }
    if departments.is_empty() {
        for _ in 0..3 {
            create(
                conn,
                actor,
                person(&mut rng, institution, None, None, "administrator"),
            )
            .await?;
            count += 1;
        }
    }
    Ok(count)
}

/// Adds `n` senior experts (chief and associate chief physicians) spread over a hospital's
/// departments, for dispatch at the scale the articles report.
pub async fn generate_experts(
    conn: &mut AnyConnection,
    actor: &Actor,
    key: &str,
    institution: &Institution,
    departments: &[(Department, String)],
    n: usize,
) -> Result<Vec<Person>> {
    let mut rng = StdRng::seed_from_u64(seed(key) ^ 0x5eed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (d, specialty) = match departments.get(i % departments.len().max(1)) {
            Some((d, s)) => (Some(d), Some(s.as_str())),
            None => (None, None),
        };
        let t = if rng.gen_bool(0.45) {
            "chief-physician"
        } else {
            "associate-chief-physician"
        };
        out.push(create(conn, actor, person(&mut rng, institution, d, specialty, t)).await?);
    }
    Ok(out)
}
