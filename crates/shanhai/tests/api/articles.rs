//! Every figure of the five seed articles (`shared/seeds/`), from the demo's records: for each
//! article, the quantitative statements it makes about the program's work, each as the
//! briefing states it at the article's date — in the program's briefing or in one narrowed to
//! an institution, a pairing, a dispatch scheme or a team — and every counted figure's
//! `records_url` listing exactly that many records.
//!
//! Ranges read the articles' words: "5500余/多" is 5,500..5,599, "近200" 190..199, "10.5万"
//! 105,000..105,999, "数万" 20,000..99,999. What an article says that is not the program's own
//! recorded work (a hospital's own case volume before the program, video views, meetings held,
//! plans) is listed at the end of each article's checks as not counted, with the reason.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Where a statement is counted.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Program,
    /// An institution, by its key in the demo registry.
    Institution(&'static str),
    /// A pairing, by its donor's and recipient's keys (and its mode, where they are paired
    /// in several).
    Pairing(&'static str, &'static str, Option<&'static str>),
    /// A dispatch scheme, by name.
    Scheme(&'static str),
    /// A team, by name.
    Team(&'static str),
}

/// One statement of an article.
#[derive(Debug, Clone, Copy)]
pub enum Stated {
    /// An indicator's value within `[low, high]`, stated in the text.
    Figure(Scope, &'static str, i64, i64),
    /// A KPI level or change the briefing states with this display (`measure` `kpi` or
    /// `kpi-change`), e.g. `"92%"`, `"0.31"`.
    Kpi(&'static str),
    /// A money item (`measure` `money-item`) of an amount in fen within `[low, high]`.
    MoneyItem(i64, i64),
    /// A named group (a training scheme's cohort, a lecture series) stated with a figure in
    /// `[low, high]` in the same paragraph.
    Named(&'static str, i64, i64),
    /// The share `part / whole` of two indicators, in percent, within `[low, high)`.
    Share(&'static str, &'static str, f64, f64),
}

use Scope::*;
use Stated::*;

const WAN: i64 = 1_000_000; // fen in 万元

/// 沪蒙 (包头, 2025-10-23).
fn hu_meng() -> Vec<(&'static str, Stated)> {
    let team = Team("张志愿院士团队");
    vec![
        (
            "院士团队已累计在包开展工作7次",
            Figure(team, "team-visits", 7, 7),
        ),
        ("完成手术29台", Figure(team, "operations", 29, 29)),
        ("其中四级手术1例", Figure(team, "operations-grade-4", 1, 1)),
        ("三级手术2例", Figure(team, "operations-grade-3", 2, 2)),
        (
            "门诊接诊患者110余人次",
            Figure(team, "workload-outpatients", 110, 119),
        ),
        (
            "已成功完成2台机器人手术",
            Figure(Institution("bt-central"), "operations", 2, 2),
        ),
        (
            "上海累计派出39名专家",
            Figure(Program, "experts-dispatched", 39, 39),
        ),
        (
            "惠及患者1200余人次",
            Figure(Program, "outreach-people-served", 1_200, 1_299),
        ),
        (
            "上海市儿童医院选派10余名专家",
            Figure(
                Pairing("sh-childrens", "bt-fourth", None),
                "experts-dispatched",
                10,
                19,
            ),
        ),
        (
            "累计为161名患儿提供诊疗服务",
            Figure(
                Pairing("sh-childrens", "bt-fourth", None),
                "patients-seen",
                161,
                161,
            ),
        ),
        (
            "已选派81名医务人员赴沪进修",
            Figure(Program, "placements", 81, 81),
        ),
        (
            "817名学员通过远程继续医学教育平台开展学习",
            Figure(Program, "cme-learners", 817, 817),
        ),
        ("4个名医工作站", Figure(Program, "workstations", 4, 4)),
        (
            "市中心医院加入长三角胰腺肿瘤联盟",
            Figure(Program, "alliances", 1, 1),
        ),
        // Not counted: "5家医院与上海市5家" (the pairings themselves, listed on the program
        // page); "3个儿童医疗中心" (co-built centres are pairings of mode co-built-center);
        // "覆盖8类重点专科" (specialties of the sessions: shown on the pairing's sessions, not
        // an indicator); "2024年…开展儿童支气管镜978台", "2名…医生", "3人技术团队" (the local
        // hospital's own work before and outside the program).
    ]
}

/// 京蒙 (内蒙古, 2025-04-30).
fn jing_meng() -> Vec<(&'static str, Stated)> {
    vec![
        (
            "累计526名北京市高年资专家",
            Figure(Program, "experts-dispatched", 526, 526),
        ),
        (
            "在内蒙古出诊5500多人次",
            Figure(Program, "clinic-sessions", 5_500, 5_599),
        ),
        (
            "接诊疑难复杂病患10.5万人次",
            Figure(Program, "workload-outpatients", 105_000, 105_999),
        ),
        ("“师带徒”615人", Figure(Program, "apprentices", 615, 615)),
        ("“团队带团队”88个", Figure(Program, "team-pairings", 88, 88)),
        (
            "培训医务人员51063人次",
            Figure(Program, "teaching-attendance", 51_063, 51_063),
        ),
        (
            "远程教学171次",
            Figure(Program, "teaching-activities-remote-teaching", 171, 171),
        ),
        (
            "教学查房近200次",
            Figure(Program, "teaching-activities-teaching-round", 190, 199),
        ),
        (
            "疑难病例讨论170次",
            Figure(Program, "consultations-difficult-case", 170, 170),
        ),
        (
            "学术讲座223次",
            Figure(Program, "teaching-activities-lecture", 223, 223),
        ),
        (
            "300余名医务人员赴京进修",
            Figure(Program, "placements", 300, 399),
        ),
        (
            "制定出台相关制度近1000项",
            Figure(Program, "regulations", 900, 999),
        ),
        (
            "新建各级临床专科92个",
            Figure(Program, "specialty-projects", 92, 92),
        ),
        (
            "开展新技术新项目1051个",
            Figure(Program, "techniques", 1_051, 1_051),
        ),
        (
            "肿瘤、消化、神经等专科联盟",
            Figure(Program, "alliances", 3, 3),
        ),
        // Not counted: "每周约530余名区外专家"/"每周近万名专家" (all programs in the region,
        // weekly); "北京市11家医院" (donor hospitals, on the program page); "7次现场会"
        // (meetings); "专科建设签约项目达11个" (signed in 2024: the 2024 briefing counts the
        // projects started that year).
    ]
}

/// 沪滇 (昭通, 2024-06-30).
fn hu_dian() -> Vec<(&'static str, Stated)> {
    vec![
        (
            "74名上海医疗专家先后入驻昭通",
            Figure(Scheme("东西部协作派驻"), "experts-dispatched", 74, 74),
        ),
        (
            "累计派出29名医疗专家到受援医院开展驻点帮扶",
            Figure(Scheme("组团式帮扶"), "experts-dispatched", 29, 29),
        ),
        (
            "103名专家人才",
            Figure(Program, "experts-dispatched", 103, 103),
        ),
        (
            "331名医务骨干和管理人员赴上海学习进修",
            Figure(Program, "placements", 331, 331),
        ),
        (
            "彝良县人民医院…40余项制度",
            Figure(Institution("zt-yiliang"), "regulations", 40, 49),
        ),
        (
            "大关县人民医院修订完善…10余项制度",
            Figure(Institution("zt-daguan"), "regulations", 10, 19),
        ),
        ("患者满意度由帮扶之前的81%", Kpi("81%")),
        ("提升至92%", Kpi("92%")),
        (
            "制定完善内部管理制度143项",
            Figure(Program, "regulations", 143, 143),
        ),
        (
            "优化调整科室22个",
            Figure(Program, "departments-restructured", 22, 22),
        ),
        (
            "7家受帮扶医院通过…提质达标验收",
            Figure(Program, "accreditations-achieved", 7, 7),
        ),
        (
            "完成“师带徒”培训学习116人次",
            Figure(Program, "apprentices", 116, 116),
        ),
        (
            "“雏鹰行动”…选派35名优秀年轻医护人员",
            Named("雏鹰行动", 35, 35),
        ),
        ("共选派52名骨干到上海跟岗学习和进修", Named("跟岗", 52, 52)),
        (
            "新建专家工作站49个",
            Figure(Program, "workstations", 49, 49),
        ),
        (
            "39个薄弱专科得以加强",
            Figure(Program, "specialty-projects", 39, 39),
        ),
        (
            "新技术新项目200余项",
            Figure(Program, "techniques", 200, 299),
        ),
        (
            "300多名…肿瘤患者返回治疗",
            Figure(Program, "patients-returned", 300, 399),
        ),
        (
            "义诊近2.9万人次",
            Figure(Program, "outreach-free-clinic-served", 28_000, 28_999),
        ),
        (
            "惠及3万余名群众",
            Figure(Program, "outreach-people-served", 30_000, 30_999),
        ),
        ("规范管理率分别达到89.38%", Kpi("89.38%")),
        ("85.25%", Kpi("85.25%")),
        ("慢性病管理中心建成率达100%", Kpi("100%")),
        ("全市居民健康素养水平达22.29%", Kpi("22.29%")),
        ("较2020年的17.17%", Kpi("17.17%")),
        ("提升了5.12%", Kpi("5.12")),
        (
            "接诊门诊患者23.6万余人次",
            Figure(Program, "workload-outpatients", 236_000, 236_999),
        ),
        (
            "接诊入院患者近6.3万余人次",
            Figure(Program, "workload-admissions", 62_000, 62_999),
        ),
        (
            "开展手术2.1万余人次",
            Figure(Program, "workload-operations", 21_000, 21_999),
        ),
        (
            "会诊和疑难病例讨论5500余人次",
            Figure(Program, "consultations", 5_500, 5_599),
        ),
        (
            "开展学术讲座2400余次",
            Figure(Program, "teaching-activities-lecture", 2_400, 2_499),
        ),
        (
            "业务培训3.8万余人次",
            Figure(Program, "teaching-attendance-training", 38_000, 38_999),
        ),
        (
            "教学查房4600余次",
            Figure(Program, "teaching-activities-teaching-round", 4_600, 4_699),
        ),
        (
            "手术示教7500余次",
            Figure(
                Program,
                "teaching-activities-surgical-demonstration",
                7_500,
                7_599,
            ),
        ),
        (
            "投入1200万元…“全球影像”医疗云服务平台",
            MoneyItem(1_200 * WAN, 1_200 * WAN),
        ),
        (
            "投入2200万元用于新建盐津县人民医院科研综合楼",
            MoneyItem(2_200 * WAN, 2_200 * WAN),
        ),
        (
            "捐赠了价值600余万元的医疗设备",
            MoneyItem(600 * WAN, 700 * WAN - 1),
        ),
        (
            "投入1000万元用于大关县靖安镇卫生院",
            MoneyItem(1_000 * WAN, 1_000 * WAN),
        ),
        ("闵行区投入840万元", MoneyItem(840 * WAN, 840 * WAN)),
        ("价值216万元的免费检测试剂", MoneyItem(216 * WAN, 216 * WAN)),
        (
            "价值673万元的彩色超声诊断仪3台",
            MoneyItem(673 * WAN, 673 * WAN),
        ),
        (
            "负压救护车各1台，共计140万元",
            MoneyItem(140 * WAN, 140 * WAN),
        ),
        (
            "价值82万元的全高清光通内镜设备",
            MoneyItem(82 * WAN, 82 * WAN),
        ),
        (
            "累计投入8300余万元资金",
            Figure(Program, "funding", 8_300 * WAN, 8_400 * WAN - 1),
        ),
        // Not counted: "上海6家医院…3家县级综合医院" (the pairings); "8大疾病防治中心", "4县
        // (区)建成省级慢性病综合防控示范区" (designations outside the program's records);
        // "以3个月为一期，1名帮扶专家承担3名…" (the mentorship rule, enforced, not a figure);
        // "2家医院…SCI" (counted under research outputs without a statement of its own).
    ]
}

/// 豫哈 (哈密, 2026-03-04).
fn yu_ha() -> Vec<(&'static str, Stated)> {
    vec![
        ("选派37批次", Figure(Program, "batches", 37, 37)),
        (
            "211名专家赴哈密",
            Figure(Program, "experts-dispatched", 211, 211),
        ),
        (
            "柔性援疆专家20批",
            Figure(Scheme("柔性援疆"), "batches", 20, 20),
        ),
        // The article's four schemes add up to 108 + 51 + 44 + 7 = 210 experts of its 211, and
        // every batch has a scheme: one of the schemes must count the 211th. The demo gives
        // 柔性援疆 the one more.
        (
            "108人",
            Figure(Scheme("柔性援疆"), "experts-dispatched", 108, 109),
        ),
        (
            "中组部援疆专家8批",
            Figure(Scheme("中组部援疆"), "batches", 8, 8),
        ),
        (
            "51人",
            Figure(Scheme("中组部援疆"), "experts-dispatched", 51, 51),
        ),
        ("名医行7批", Figure(Scheme("名医行"), "batches", 7, 7)),
        (
            "44人",
            Figure(Scheme("名医行"), "experts-dispatched", 44, 44),
        ),
        (
            "公卫小组团专家2批次",
            Figure(Scheme("公卫小组团"), "batches", 2, 2),
        ),
        (
            "7人",
            Figure(Scheme("公卫小组团"), "experts-dispatched", 7, 7),
        ),
        (
            "新技术新项目120余项",
            Figure(Program, "techniques", 120, 129),
        ),
        (
            "其中30项填补了哈密地区技术空白",
            Figure(Program, "gaps-filled-city", 30, 30),
        ),
        (
            "累计参与诊疗患者近6万人次",
            Figure(Program, "workload-outpatients", 55_000, 59_999),
        ),
        (
            "疑难病例讨论及多学科会诊3000余次",
            Figure(Program, "consultations", 3_000, 3_099),
        ),
        (
            "抢救危重患者近2000人",
            Figure(Program, "workload-rescues", 1_900, 1_999),
        ),
        (
            "手术量中，近六成为示范性教学手术",
            Share("operations-demonstration", "operations", 55.0, 60.0),
        ),
        (
            "在700多场教学查房中",
            Figure(Program, "teaching-activities-teaching-round", 700, 799),
        ),
        (
            "受益群众数万人",
            Figure(Program, "outreach-people-served", 20_000, 99_999),
        ),
        ("“豫哈中原课堂”开展40期", Named("豫哈中原课堂", 40, 40)),
        ("覆盖了1.5万人", Named("豫哈中原课堂", 15_000, 15_999)),
        (
            "“科研门诊”…已开展20多期",
            Figure(Program, "teaching-activities-research-clinic", 20, 29),
        ),
        (
            "立项1项、3项、2项、4项，SCI论文2篇",
            Figure(Program, "research-outputs", 12, 12),
        ),
        (
            "创伤救援、神经医学中心、呼吸与危重症、消化医学中心专科联盟",
            Figure(Program, "alliances", 4, 4),
        ),
        (
            "8个名医工作室…2个中原学者工作站",
            Figure(Program, "workstations", 10, 10),
        ),
        ("全科住培学员毕业考试通过率100%", Kpi("100%")),
        ("执业医师首考通过率从曾经的20%", Kpi("20%")),
        ("提升至92%", Kpi("92%")),
        ("平均住院日同比减少0.31天", Kpi("0.31")),
        ("三四级手术同比增加6.11%", Kpi("6.11")),
        // Not counted: "16年" (the program's dates); "近20名援疆专家为上百名当地同道"
        // ("豫医论道东天山": stated with its series, not checked by number); "十几场讲学";
        // video views and likes (not program records).
    ]
}

/// 闽 (宁德·福鼎, 2024-12-31).
fn min_regional() -> Vec<(&'static str, Stated)> {
    vec![
        (
            "上海“候鸟专家”共有10位",
            Figure(Program, "experts-dispatched", 10, 10),
        ),
        (
            "2024年累计让360多位肿瘤急危重症患者",
            Figure(Program, "workload-rescues", 360, 369),
        ),
        ("成立了5个名医工作室", Figure(Program, "workstations", 5, 5)),
        ("门诊量突破168.5万人次", Kpi("168.5")),
        ("同比增长11.81%", Kpi("11.81")),
        ("四级手术占比达26.63%", Kpi("26.63%")),
        ("微创手术增长25.26%", Kpi("25.26")),
        ("药耗占比下降1.02%", Kpi("1.02")),
        ("乳腺癌术前穿刺活检率提升90%", Kpi("90")),
        (
            "开展新技术新项目105项",
            Figure(Institution("nd-hospital"), "techniques", 105, 105),
        ),
        (
            "其中上海专家40项",
            Figure(
                Pairing("sh-first", "nd-hospital", None),
                "techniques",
                40,
                40,
            ),
        ),
        (
            "80%新技术填补闽东空白",
            Figure(Institution("nd-hospital"), "gaps-filled-city", 84, 84),
        ),
        (
            "平移11项新技术",
            Figure(
                Pairing("wz-second", "fd-hospital", Some("cross-province-alliance")),
                "techniques",
                11,
                11,
            ),
        ),
        (
            "新增7项宁德市自然科学基金课题",
            Figure(Program, "research-outputs", 7, 7),
        ),
        // Not counted: "同比增加79.25%" of the 105 techniques (105 ÷ 1.7925 is not a whole
        // number of techniques: the article's base year count cannot be reproduced by any
        // records); "每周固定3天" (the experts' weekday pattern, shown on their assignments);
        // "8个主要肿瘤病种…多学科团队"; "约700公里"; "2010年…百强" (rankings).
    ]
}

/// The article statements of a seed program, by its key.
pub fn statements(key: &str) -> Vec<(&'static str, Stated)> {
    match key {
        "hu-meng" => hu_meng(),
        "jing-meng" => jing_meng(),
        "hu-dian" => hu_dian(),
        "yu-ha" => yu_ha(),
        "min-regional" => min_regional(),
        other => panic!("no article for {other}"),
    }
}

/// What a check needs to find things by their demo keys.
pub struct Demo<'a> {
    pub app: &'a TestApp,
    pub token: &'a str,
    pub institutions: &'a HashMap<String, String>,
}

fn figures(b: &Value) -> Vec<Value> {
    b["figures"].as_array().cloned().unwrap_or_default()
}

fn text(b: &Value) -> String {
    b["paragraphs"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

async fn items(demo: &Demo<'_>, url: &str) -> Vec<Value> {
    let (s, list) = demo.app.get(url, demo.token).await;
    assert_eq!(s, StatusCode::OK, "{url}: {list}");
    list["items"].as_array().cloned().unwrap_or_default()
}

/// The briefing query that narrows to `scope` (`""` for the program).
async fn scope_query(demo: &Demo<'_>, program: &str, scope: Scope) -> Result<String, String> {
    let inst = |key: &str| {
        demo.institutions
            .get(key)
            .cloned()
            .ok_or_else(|| format!("no institution {key} in the demo"))
    };
    match scope {
        Program => Ok(String::new()),
        Institution(key) => Ok(format!("&institution={}", inst(key)?)),
        Pairing(donor, recipient, mode) => {
            let (d, r) = (inst(donor)?, inst(recipient)?);
            items(
                demo,
                &format!("/api/v1/pairings?program={program}&per_page=100"),
            )
            .await
            .iter()
            .find(|p| {
                p["donor_id"] == json!(d)
                    && p["recipient_id"] == json!(r)
                    && mode.is_none_or(|m| p["mode"] == json!(m))
            })
            .and_then(|p| p["id"].as_str())
            .map(|id| format!("&pairing={id}"))
            .ok_or_else(|| format!("no pairing {donor}→{recipient}"))
        }
        Scheme(name) => items(
            demo,
            &format!("/api/v1/dispatch-schemes?program={program}&per_page=100"),
        )
        .await
        .iter()
        .find(|s| s["name"] == json!(name))
        .and_then(|s| s["id"].as_str())
        .map(|id| format!("&scheme={id}"))
        .ok_or_else(|| format!("no scheme {name}")),
        Team(name) => items(
            demo,
            &format!("/api/v1/teams?program={program}&per_page=100"),
        )
        .await
        .iter()
        .find(|t| t["name"] == json!(name))
        .and_then(|t| t["id"].as_str())
        .map(|id| format!("&team={id}"))
        .ok_or_else(|| format!("no team {name}")),
    }
}

/// Every counted figure's records list has exactly that many records.
async fn counted_figures_list_their_records(demo: &Demo<'_>, b: &Value, what: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for f in figures(b) {
        if f["counted"] != json!(true) {
            continue;
        }
        let url = f["records_url"].as_str().unwrap_or_default();
        let (s, list) = demo.app.get(url, demo.token).await;
        if s != StatusCode::OK || list["total"] != f["value"] {
            problems.push(format!(
                "{what}: {} = {} but {url} answers {s} with total {}",
                f["code"], f["value"], list["total"]
            ));
        }
    }
    problems
}

/// A narrowed briefing's DOCX states every figure of its JSON twin.
async fn docx_states_the_figures(demo: &Demo<'_>, json_url: &str, b: &Value) -> Vec<String> {
    let url = json_url.replace("format=json", "format=docx");
    let r = demo
        .app
        .request(reqwest::Method::GET, &url, Some(demo.token), None)
        .await;
    if r.status() != StatusCode::OK {
        return vec![format!("{url} answers {}", r.status())];
    }
    let bytes = r.bytes().await.unwrap_or_default();
    let document = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..]))
        .ok()
        .and_then(|mut z| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut z.by_name("word/document.xml").ok()?, &mut text)
                .ok()?;
            Some(text)
        });
    let Some(document) = document else {
        return vec![format!("{url} is not a Word document")];
    };
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    figures(b)
        .iter()
        .filter_map(|f| {
            let shown = escape(f["display"].as_str().unwrap_or_default());
            (!document.contains(&format!(">{shown}</w:t>")))
                .then(|| format!("{url}: {} ({shown}) is not in the DOCX", f["code"]))
        })
        .collect()
}

/// Checks one article's statements against its program's briefings at `until`; every problem
/// found, not just the first.
pub async fn check(demo: &Demo<'_>, key: &str, program: &str, until: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut briefings: HashMap<String, Value> = HashMap::new();
    for (quote, stated) in statements(key) {
        let scope = match stated {
            Figure(scope, ..) => scope,
            _ => Program,
        };
        let q = match scope_query(demo, program, scope).await {
            Ok(q) => q,
            Err(e) => {
                problems.push(format!("{key} «{quote}»: {e}"));
                continue;
            }
        };
        if !briefings.contains_key(&q) {
            let url = format!("/api/v1/programs/{program}/briefing?until={until}&format=json{q}");
            let (s, b) = demo.app.get(&url, demo.token).await;
            if s != StatusCode::OK {
                problems.push(format!("{key}: {url} answers {s}: {b}"));
                continue;
            }
            problems
                .extend(counted_figures_list_their_records(demo, &b, &format!("{key}{q}")).await);
            if !q.is_empty() {
                problems.extend(docx_states_the_figures(demo, &url, &b).await);
            }
            briefings.insert(q.clone(), b);
        }
        let b = &briefings[&q];
        let figs = figures(b);
        let all_text = text(b);
        let found = match stated {
            Figure(_, code, low, high) => match figs.iter().find(|f| f["code"] == json!(code)) {
                None => Err(format!("no {code} in the briefing")),
                Some(f) => {
                    let v = f["value"].as_i64().unwrap_or(i64::MIN);
                    let shown = f["display"].as_str().unwrap_or_default();
                    if !(low..=high).contains(&v) {
                        Err(format!("{code} = {v}, the article says {low}..={high}"))
                    } else if !all_text.contains(shown) {
                        Err(format!("{code} ({shown}) is not in the text"))
                    } else {
                        Ok(())
                    }
                }
            },
            Kpi(shown) => {
                if figs.iter().any(|f| {
                    f["measure"].as_str().is_some_and(|m| m.starts_with("kpi"))
                        && f["display"].as_str().is_some_and(|d| d.contains(shown))
                }) {
                    Ok(())
                } else {
                    Err(format!("no KPI figure showing {shown}"))
                }
            }
            MoneyItem(low, high) => {
                if figs.iter().any(|f| {
                    f["measure"] == json!("money-item")
                        && f["value"]
                            .as_i64()
                            .is_some_and(|v| (low..=high).contains(&v))
                }) {
                    Ok(())
                } else {
                    Err(format!("no money item of {low}..={high} fen"))
                }
            }
            Named(name, low, high) => {
                let hit = b["paragraphs"].as_array().into_iter().flatten().any(|p| {
                    p["text"].as_str().is_some_and(|t| t.contains(name))
                        && p["figures"].as_array().into_iter().flatten().any(|f| {
                            f["value"]
                                .as_i64()
                                .is_some_and(|v| (low..=high).contains(&v))
                        })
                });
                if hit {
                    Ok(())
                } else {
                    Err(format!(
                        "no paragraph naming {name} with a figure of {low}..={high}"
                    ))
                }
            }
            Share(part, whole, low, high) => {
                let value = |code: &str| {
                    figs.iter()
                        .find(|f| f["code"] == json!(code))
                        .and_then(|f| f["value"].as_i64())
                };
                match (value(part), value(whole)) {
                    (Some(p), Some(w)) if w > 0 => {
                        let share = 100.0 * p as f64 / w as f64;
                        if (low..high).contains(&share) {
                            Ok(())
                        } else {
                            Err(format!(
                                "{part}/{whole} = {share:.2}%, the article says {low}..{high}"
                            ))
                        }
                    }
                    _ => Err(format!("no {part} or {whole} in the briefing")),
                }
            }
        };
        if let Err(e) = found {
            problems.push(format!("{key} «{quote}»{q}: {e}"));
        }
    }
    problems
}
