//! Synthetic people for the demo: plausible Chinese names, titles and honours, the same on every
//! load (the generator is seeded by the institution's key).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shanhai_domain::registry::{Department, Institution, PersonInput};
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
    let is_donor_class = institution.grade == shanhai_domain::codes::Grade::Grade3A;
    let mut slots: Vec<(Option<&Department>, Option<&str>)> = Vec::new();
    for (d, specialty) in departments {
        for _ in 0..rng.gen_range(3..=6) {
            slots.push((Some(d), Some(specialty.as_str())));
        }
    }
    if departments.is_empty() {
        for _ in 0..3 {
            slots.push((None, None));
        }
    }
    let mut count = 0;
    for (department, specialty) in slots {
        let given_len = if rng.gen_bool(0.6) { 2 } else { 1 };
        let name: String = std::iter::once(pick(&mut rng, SURNAMES))
            .chain((0..given_len).map(|_| pick(&mut rng, GIVEN)))
            .collect();
        let title = if department.is_some() {
            title(&mut rng)
        } else {
            "administrator"
        };
        let mut honours = Vec::new();
        if title == "chief-physician" && is_donor_class {
            if rng.gen_bool(0.03) {
                honours.push("中国工程院院士".to_string());
            } else if rng.gen_bool(0.2) {
                honours.push("国务院政府特殊津贴专家".to_string());
            }
        }
        let input = PersonInput {
            name,
            gender: if rng.gen_bool(0.55) { "male" } else { "female" }.to_string(),
            title: title.to_string(),
            honours,
            institution_id: institution.id.clone(),
            department_id: department.map(|d| d.id.clone()),
            specialty_code: specialty.map(str::to_string),
        };
        let new = input
            .parse()
            .map_err(|e| StoreError::Other(format!("demo person: {e}")))?;
        people::create_on(conn, actor, &new).await?;
        count += 1;
    }
    Ok(count)
}
