//! The derived-indicator catalogue: every figure a program quotes, defined once, with its
//! written definition. Values are counted from the records; a counted indicator names the list
//! of records it counts, and that list's `total` is the value.
//!
//! Counting across programs: every record belongs to one program (its `program_id`, or the
//! program of the batch or pairing it hangs from), so rolling several programs up together
//! adds their values and no activity is counted twice. People dispatched are the exception:
//! they are counted as distinct people within a program.

use crate::access::{Principal, Refusal};
use crate::codes::Role;
use serde::Serialize;

/// How an indicator's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// A number of records; `records_url` lists exactly them.
    Count,
    /// A sum over the records (people attending); `records_url` lists the records summed.
    Sum,
    /// Money in fen (integer); `records_url` lists the items.
    Money,
}

/// One indicator of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Indicator {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub unit_zh: &'static str,
    pub unit_en: &'static str,
    pub measure: Measure,
    pub definition_zh: &'static str,
    pub definition_en: &'static str,
}

impl Indicator {
    pub fn name(&self, lang: crate::Lang) -> &'static str {
        match lang {
            crate::Lang::Zh => self.name_zh,
            crate::Lang::En => self.name_en,
        }
    }

    pub fn unit(&self, lang: crate::Lang) -> &'static str {
        match lang {
            crate::Lang::Zh => self.unit_zh,
            crate::Lang::En => self.unit_en,
        }
    }

    pub fn definition(&self, lang: crate::Lang) -> &'static str {
        match lang {
            crate::Lang::Zh => self.definition_zh,
            crate::Lang::En => self.definition_en,
        }
    }
}

macro_rules! indicators {
    ($($code:literal, $measure:ident, $zh:literal, $en:literal, $uzh:literal, $uen:literal,
       $dzh:literal, $den:literal;)+) => {
        /// Every derived indicator, in the order dashboards and briefings show them.
        pub const CATALOGUE: &[Indicator] = &[$(Indicator {
            code: $code,
            measure: Measure::$measure,
            name_zh: $zh,
            name_en: $en,
            unit_zh: $uzh,
            unit_en: $uen,
            definition_zh: $dzh,
            definition_en: $den,
        }),+];
    };
}

indicators! {
    "experts-dispatched", Count, "派出专家", "Experts dispatched", "名", "people",
        "截至统计日，在本项目中有派驻安排（已开始）的不同人员数；同一人多次派驻只计一次。",
        "Distinct people with an assignment in the program that had begun by the date; a person sent several times counts once.";
    "batches", Count, "派出批次", "Batches dispatched", "批", "batches",
        "截至统计日已开始（出发日期不晚于统计日）的派出批次数。",
        "Dispatch batches of the program that had begun (started) by the date.";
    "assignments", Count, "派驻人次", "Assignments", "人次", "assignments",
        "截至统计日已开始的派驻安排数（常驻、候鸟、按月、按季、短期、远程）。",
        "Assignments in the program that had begun by the date (resident, fly-in, monthly, quarterly, one-off, remote).";
    "work-days", Sum, "服务天数", "Days served", "人日", "person-days",
        "截至统计日，本项目派驻安排下登记的服务天数（每人每天计一次）之和。",
        "Service days recorded under the program's assignments by the date (one per person per day).";
    "clinic-sessions", Count, "专家出诊", "Clinic sessions held", "场", "sessions",
        "截至统计日，本项目派驻专家在受援医院开设且未停诊的门诊场次（含义诊、巡回诊疗）。",
        "Clinic sessions of the program's dispatched experts, not cancelled, dated by the date (outreach included).";
    "bookings", Sum, "预约挂号", "Bookings", "人次", "bookings",
        "上述出诊场次的已预约人数之和。",
        "Places booked on those clinic sessions, summed.";
    "patients-seen", Sum, "接诊患者", "Patients seen", "人次", "patients",
        "上述出诊场次中已签到就诊的预约人次。",
        "Bookings checked in on those clinic sessions.";
    "workload-outpatients", Sum, "专家门诊接诊", "Outpatient visits by experts", "人次", "visits",
        "派驻专家按期（一般按月）填报的工作量中门诊接诊人次之和，按填报期末日计入。",
        "Outpatient visits in the dispatched experts' workload reports (usually monthly), counted at each period's end.";
    "workload-admissions", Sum, "专家收治住院", "Inpatient admissions by experts", "人次", "admissions",
        "派驻专家按期填报的工作量中收治（接诊）入院患者人次之和，按填报期末日计入。",
        "Inpatients admitted in the dispatched experts' workload reports, counted at each period's end.";
    "workload-operations", Sum, "专家开展手术", "Operations by experts", "人次", "operations",
        "派驻专家按期填报的工作量中主刀或指导开展的手术人次（台次）之和，按填报期末日计入。",
        "Operations performed or led in the dispatched experts' workload reports, counted at each period's end.";
    "outreach-sessions", Count, "义诊与巡回诊疗", "Outreach sessions", "场", "sessions",
        "截至统计日开展的义诊、巡回诊疗场次（未停诊）。",
        "Free outreach and circuit clinic sessions held by the date (not cancelled).";
    "outreach-patients", Sum, "义诊受益群众", "Outreach patients", "人次", "patients",
        "义诊、巡回诊疗场次中已签到就诊的人次。",
        "Patients checked in at outreach sessions.";
    "consultations", Count, "远程会诊", "Remote consultations", "例", "cases",
        "截至统计日提交的会诊申请数，含各类型与所有状态。",
        "Consultation requests filed by the date, of every type and state.";
    "consultations-general", Count, "普通会诊", "General consultations", "例", "cases",
        "截至统计日提交的、类型为普通会诊的会诊申请数（所有状态）。",
        "Consultation requests of type general filed by the date, in every state.";
    "consultations-mdt", Count, "多学科会诊（MDT）", "MDT consultations", "例", "cases",
        "类型为多学科MDT的会诊申请数。",
        "Consultation requests of type MDT.";
    "consultations-difficult-case", Count, "疑难病例讨论", "Difficult case discussions", "例", "cases",
        "类型为疑难病例讨论的会诊申请数。",
        "Consultation requests of type difficult case discussion.";
    "consultations-imaging", Count, "影像会诊", "Imaging consultations", "例", "cases",
        "截至统计日提交的、类型为影像会诊的会诊申请数（所有状态）。",
        "Consultation requests of type imaging filed by the date, in every state.";
    "consultations-pathology", Count, "病理会诊", "Pathology consultations", "例", "cases",
        "截至统计日提交的、类型为病理会诊的会诊申请数（所有状态）。",
        "Consultation requests of type pathology filed by the date, in every state.";
    "consultations-surgical-guidance", Count, "远程手术指导", "Remote surgical guidance", "例", "cases",
        "截至统计日提交的、类型为远程手术指导的会诊申请数（所有状态）。",
        "Consultation requests of type remote surgical guidance filed by the date, in every state.";
    "referrals-up", Count, "上转患者", "Patients referred up", "人次", "referrals",
        "截至统计日发出的上转（向上级医院）转诊数。",
        "Up-referrals (to a higher-level hospital) sent by the date.";
    "referrals-down", Count, "下转患者", "Patients referred down", "人次", "referrals",
        "截至统计日发出的下转（回基层或当地医院）转诊数。",
        "Down-referrals (back to a local or primary hospital) sent by the date.";
    "referrals-leaving-region", Count, "出省（区）转诊", "Referrals leaving the province", "人次", "referrals",
        "接收医院与发出医院不在同一省（区）的上转数（大病出区）。",
        "Up-referrals whose receiving hospital is in another province than the sender's.";
    "placements", Count, "进修人员", "Training placements", "人次", "placements",
        "截至统计日已开始的进修安排数。",
        "Training placements at donor hospitals that had begun by the date.";
    "mentorships", Count, "师带徒", "Mentorships", "对", "mentorships",
        "截至统计日已开始带教期的师带徒关系数。",
        "Mentorships whose term had begun by the date.";
    "apprentices", Sum, "带教徒弟", "Apprentices", "名", "apprentices",
        "截至统计日加入上述师带徒关系的徒弟人数（同一带教关系中每人计一次）。",
        "Apprentices who had joined those mentorships by the date (once per mentorship).";
    "team-pairings", Count, "团队带团队", "Team-to-team pairings", "对", "pairings",
        "截至统计日已开始的团队带团队结对数。",
        "Team-to-team pairings that had begun by the date.";
    "teaching-activities", Count, "教学活动", "Teaching activities", "场", "activities",
        "截至统计日举办的教学查房、学术讲座、手术示教、病例讨论、业务培训、远程教学等活动场次。",
        "Teaching rounds, lectures, surgical demonstrations, case discussions, training and remote teaching held by the date.";
    "teaching-attendance", Sum, "教学受益人次", "Teaching attendance", "人次", "attendances",
        "上述教学活动的参加人次之和。",
        "The sum of attendance over those teaching activities.";
    "teaching-activities-teaching-round", Count, "教学查房", "Teaching rounds", "场", "activities",
        "截至统计日举办的、类别为教学查房的教学活动场次。",
        "Teaching rounds held by the date (teaching activities of this kind).";
    "teaching-activities-lecture", Count, "学术讲座", "Lectures", "场", "activities",
        "截至统计日举办的、类别为学术讲座的教学活动场次。",
        "Lectures held by the date (teaching activities of this kind).";
    "teaching-activities-surgical-demonstration", Count, "手术示教", "Surgical demonstrations", "场", "activities",
        "截至统计日举办的、类别为手术示教的教学活动场次。",
        "Surgical demonstrations held by the date (teaching activities of this kind).";
    "teaching-activities-case-discussion", Count, "病例讨论", "Case discussions", "场", "activities",
        "截至统计日举办的、类别为病例讨论的教学活动场次。",
        "Case discussions held by the date (teaching activities of this kind).";
    "teaching-activities-training", Count, "业务培训", "Skills training sessions", "场", "activities",
        "截至统计日举办的、类别为业务培训的教学活动场次。",
        "Skills training sessions held by the date (teaching activities of this kind).";
    "teaching-activities-remote-teaching", Count, "远程教学", "Remote teaching sessions", "场", "activities",
        "截至统计日举办的、类别为远程教学的教学活动场次。",
        "Remote teaching sessions held by the date (teaching activities of this kind).";
    "teaching-activities-competition", Count, "教学竞赛", "Teaching competitions", "场", "activities",
        "截至统计日举办的、类别为教学竞赛的教学活动场次。",
        "Teaching competitions held by the date (teaching activities of this kind).";
    "teaching-activities-research-clinic", Count, "科研门诊", "Research clinics", "场", "activities",
        "截至统计日举办的、类别为科研门诊的教学活动场次。",
        "Research clinics held by the date (teaching activities of this kind).";
    "techniques", Count, "新技术新项目", "New techniques", "项", "techniques",
        "截至统计日引进的新技术、新项目数（不论开展阶段）。",
        "New techniques and projects introduced by the date, at any stage.";
    "gaps-filled-hospital", Count, "填补院内空白", "Gaps filled in the hospital", "项", "techniques",
        "截至统计日引进且申报填补本院空白的新技术数。",
        "New techniques introduced by the date that fill a gap in the hospital.";
    "gaps-filled-county", Count, "填补县域空白", "Gaps filled in the county", "项", "techniques",
        "申报填补县域空白的新技术数。",
        "New techniques that fill a gap in the county.";
    "gaps-filled-city", Count, "填补市域空白", "Gaps filled in the city", "项", "techniques",
        "申报填补市（州、盟）域空白的新技术数。",
        "New techniques that fill a gap in the city or prefecture.";
    "gaps-filled-province", Count, "填补省域空白", "Gaps filled in the province", "项", "techniques",
        "申报填补省（区）域空白的新技术数。",
        "New techniques that fill a gap in the province or region.";
    "techniques-grade-3-4", Count, "三、四级手术技术", "Grade 3–4 surgical techniques", "项", "techniques",
        "手术分级为三级或四级的新技术数。",
        "New techniques of surgical grade 3 or 4.";
    "workstations", Count, "名医工作室/专家工作站", "Expert workstations", "个", "workstations",
        "截至统计日设立的名医工作室、专家工作站数。",
        "Expert studios and workstations opened by the date.";
    "alliances", Count, "专科联盟", "Specialty alliances", "个", "alliances",
        "截至统计日成立的专科联盟数。",
        "Specialty alliances founded by the date.";
    "specialty-projects", Count, "重点专科建设项目", "Key specialty projects", "个", "projects",
        "截至统计日启动的重点专科建设项目数。",
        "Key specialty projects started by the date.";
    "regulations", Count, "建立制度", "Regulations adopted", "项", "regulations",
        "截至统计日施行的管理制度、规范与流程数。",
        "Regulations, standards and procedures adopted by the date.";
    "research-outputs", Count, "科研成果", "Research outputs", "项", "outputs",
        "截至统计日记录的课题、论文等科研成果数。",
        "Grants, papers and other research outputs recorded by the date.";
    "funding", Money, "协作资金", "Funding", "元", "CNY",
        "截至统计日拨付的协作资金合计（以分为单位精确计算）。",
        "Funding granted by the date, summed exactly in fen.";
    // ---- training and management (issue 18, helper "training") ----
    "training-cohort-members", Count, "培训项目选派学员", "Training scheme members", "名", "members",
        "截至统计日加入各培训项目（如“雏鹰行动”进修、跟岗学习）的学员数；学员为人员或进修安排，每个项目中每人计一次。",
        "Members who had joined a training scheme (further study such as 雏鹰行动, shadowing) by the date; a member is a person or a placement, once per scheme.";
    "lecture-series", Count, "系列课堂", "Lecture series", "个", "series",
        "截至统计日开办的系列课堂、讲坛与科研门诊数（如“豫哈中原课堂”）。",
        "Lecture series, forums and research clinics started by the date (such as 豫哈中原课堂).";
    "lecture-series-sessions", Count, "系列课堂期数", "Lecture series sessions", "期", "sessions",
        "截至统计日举办的、属于某一系列课堂的教学活动场次（每期一条记录）。",
        "Teaching activities held by the date as sessions of a lecture series (one record per session).";
    "lecture-series-attendance", Sum, "系列课堂参与人次", "Lecture series attendance", "人次", "attendances",
        "上述系列课堂各期的参加人次之和。",
        "The attendance of those lecture series sessions, summed.";
    "cme-learners", Count, "远程继续教育学员", "Remote CME learners", "名", "learners",
        "截至统计日通过远程继续医学教育平台登记学习的学员报名数。",
        "Enrolments of learners on the remote continuing medical education platform by the date.";
    "departments-restructured", Count, "优化调整科室", "Departments restructured", "个", "departments",
        "截至统计日新设、合并、拆分或更名的科室数（每次调整一条记录）。",
        "Departments created, merged, split or renamed by the date (one record per change).";
    "accreditations-achieved", Count, "通过评审验收", "Accreditations achieved", "家", "goals",
        "截至统计日已达成（达成日期不晚于统计日）的等级评审与提质达标目标数。",
        "Accreditation goals (grade reviews, quality upgrades) achieved on or before the date.";
    "patients-returned", Count, "返回本地治疗患者", "Patients back for local treatment", "名", "patients",
        "截至统计日由外地回到受援医院治疗的患者数（去标识化记录：日期、医院、专科、原就诊地区）。",
        "Patients who came back from elsewhere to be treated at the local hospital by the date (de-identified records: date, hospital, specialty, region treated before).";
    "teaching-attendance-training", Sum, "业务培训人次", "Skills training attendance", "人次", "attendances",
        "截至统计日举办的、类别为业务培训的教学活动的参加人次之和。",
        "The attendance of skills training sessions (teaching activities of this kind) held by the date, summed.";
    // ---- end training ----
    "equipment-value", Money, "捐赠设备价值", "Equipment donated", "元", "CNY",
        "截至统计日捐赠设备的价值合计（以分为单位精确计算）。",
        "The value of equipment donated by the date, summed exactly in fen.";
    // ---- outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查) ----
    "outreach-events", Count, "下沉义诊与健康活动", "Outreach events", "场", "events",
        "截至统计日举办的义诊、巡回诊疗、健康讲座（科普）与筛查活动场次，按活动类别细分。",
        "Free clinics, circuit clinics, health talks and screenings held by the date, by kind.";
    "outreach-people-served", Sum, "下沉活动惠及群众", "People served by outreach", "人次", "people",
        "上述各类下沉活动（义诊、巡回诊疗、健康讲座/科普、筛查）服务群众人次之和。",
        "People served (visits) summed over every outreach event: free clinics, circuit clinics, health talks and screenings.";
    "outreach-free-clinic-served", Sum, "义诊服务群众", "People served at free clinics", "人次", "people",
        "类别为义诊的下沉活动服务群众人次之和。",
        "People served summed over the outreach events of kind free clinic.";
    "outreach-screenings", Sum, "下沉活动筛查", "Screenings at outreach events", "人次", "screenings",
        "各类下沉活动中完成的筛查人次之和。",
        "Screenings done at outreach events, summed.";
    "outreach-referrals", Sum, "下沉活动转诊", "Referrals from outreach events", "人次", "referrals",
        "各类下沉活动中发现并转诊的患者人次之和。",
        "Patients referred on from outreach events, summed.";
    // ---- operations (手术), issue 18 ----
    "operations", Count, "手术", "Operations", "台", "operations",
        "截至统计日，派出专家在受援医院主刀、现场指导、示教或远程指导的手术台数（手术日志）。",
        "Operations the dispatched experts operated, guided on site, demonstrated for teaching or guided remotely at the local institutions by the date (the operations log).";
    "operations-grade-1", Count, "一级手术", "Grade 1 operations", "台", "operations",
        "上述手术中手术分级为一级的台数。",
        "Those operations of surgical grade 1.";
    "operations-grade-2", Count, "二级手术", "Grade 2 operations", "台", "operations",
        "上述手术中手术分级为二级的台数。",
        "Those operations of surgical grade 2.";
    "operations-grade-3", Count, "三级手术", "Grade 3 operations", "台", "operations",
        "上述手术中手术分级为三级的台数。",
        "Those operations of surgical grade 3.";
    "operations-grade-4", Count, "四级手术", "Grade 4 operations", "台", "operations",
        "上述手术中手术分级为四级的台数。",
        "Those operations of surgical grade 4.";
    "operations-operated", Count, "专家主刀手术", "Operations operated by the experts", "台", "operations",
        "上述手术中派出专家主刀的台数。",
        "Those operations the dispatched expert operated.";
    "operations-guided", Count, "现场指导手术", "Operations guided on site", "台", "operations",
        "上述手术中派出专家在现场指导本地术者完成的台数。",
        "Those operations a local surgeon performed with the dispatched expert guiding on site.";
    "operations-demonstration", Count, "示教手术", "Teaching demonstrations", "台", "operations",
        "上述手术中派出专家为教学示范（示教）的台数；占手术台数的比例即示教手术占比。",
        "Those operations the dispatched expert performed as a teaching demonstration; their share of all operations is the demonstration share.";
    "operations-remote-guidance", Count, "远程指导手术", "Operations guided remotely", "台", "operations",
        "上述手术中派出专家远程指导的台数。",
        "Those operations the dispatched expert guided remotely.";
    "operations-minimally-invasive", Count, "微创手术", "Minimally invasive operations", "台", "operations",
        "上述手术中微创（腔镜、介入、内镜等）手术的台数。",
        "Those operations that were minimally invasive (endoscopic, laparoscopic, interventional…).";
    // --- teams (issue 18)
    "workload-rescues", Sum, "抢救危重患者", "Critical patients rescued", "人次", "rescues",
        "派驻专家按期填报的工作量中抢救危重患者人次之和，按填报期末日计入。",
        "Critical-care rescues in the dispatched experts' workload reports, counted at each period's end.";
    "workload-mdt", Sum, "参与多学科诊疗", "MDT participations", "次", "participations",
        "派驻专家按期填报的工作量中参与多学科诊疗（MDT）的次数之和，按填报期末日计入。",
        "Multidisciplinary team (MDT) meetings joined in the dispatched experts' workload reports, counted at each period's end.";
    "team-visits", Count, "团队到访", "Team visits", "次", "visits",
        "专家团队（院士团队、组团式团队等）截至统计日到受援单位开展工作的次数，按每次到访开始日计入。",
        "Visits of expert teams (an academician's team, a team-based hospital team…) to the institution they serve, counted on each visit's first day.";
    // --- end teams
}

/// An indicator's value for a program and date, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndicatorValue {
    pub code: String,
    pub name: String,
    /// For money: fen (integer); `display` shows it in yuan.
    pub value: i64,
    pub unit: String,
    pub measure: Measure,
    /// The value as a reader sees it, e.g. `526`, `8,300.00万`.
    pub display: String,
    pub definition: String,
    /// The API list of the records counted (its `total` equals `value` for counts).
    pub records_url: String,
}

/// Whether an indicator counts records about patients (consultations, referrals, patients
/// checked in): the records behind it open only de-identified — date, kind, institutions,
/// state and turnaround; never a name, an ID number or the case.
pub fn about_patients(code: &str) -> bool {
    code.starts_with("consultations")
        || code.starts_with("referrals")
        || matches!(code, "patients-seen" | "outreach-patients")
}

/// Which of the records behind a program's figures a caller may open, de-identified (a
/// [`FigureRecord`] carries no patient details, so a figure never opens to "0 visible" for the
/// people who read it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FigureRecords {
    /// Every record the figure counts: the platform admin, and the program's own office (who
    /// reads the program's figures and reports on them).
    All,
    /// The records the caller's institution takes part in: requested or consulted, sent or
    /// received, hosted or attributed to it (the staff of a hospital).
    TakingPart(String),
}

impl FigureRecords {
    /// The records of `program_id`'s figures `p` may open. Another program's office, and
    /// anyone without an institution, may open none.
    pub fn of(p: &Principal, program_id: &str) -> Result<FigureRecords, Refusal> {
        match p.role {
            Role::PlatformAdmin => Ok(FigureRecords::All),
            Role::ProgramOffice if p.program_id.as_deref() == Some(program_id) => {
                Ok(FigureRecords::All)
            }
            Role::ProgramOffice => Err(Refusal::Forbidden("error.forbidden")),
            Role::Coordinator | Role::Clinician | Role::Expert => p
                .institution_id
                .clone()
                .map(FigureRecords::TakingPart)
                .ok_or(Refusal::Forbidden("error.forbidden")),
        }
    }
}

/// One record behind a figure, de-identified: what it is, when it counts, which institutions
/// take part, its state and turnaround. No patient name, ID number, age or case text — these
/// rows are what the program office reads.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FigureRecord {
    /// The record (a consultation, a referral, a technique…); its own page is for those who
    /// take part in it.
    #[schema(format = Uuid)]
    pub id: String,
    /// The day it counts on (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub date: String,
    /// Its kind within the figure: the consultation type, referral direction, clinic visit
    /// type, gap filled or teaching kind (a code).
    #[schema(schema_with = record_kind_schema)]
    pub kind: Option<String>,
    /// The institution the figure attributes it to (the requesting hospital of a
    /// consultation, the sender of an up-referral, the receiver of a down-referral, the host of
    /// everything else).
    #[schema(format = Uuid)]
    pub institution_id: Option<String>,
    pub institution_name: Option<String>,
    /// For a consultation the requesting hospital, for a referral the sender.
    #[schema(format = Uuid)]
    pub from_institution_id: Option<String>,
    pub from_institution_name: Option<String>,
    /// For a consultation the consulted hospital, for a referral the receiver.
    #[schema(format = Uuid)]
    pub to_institution_id: Option<String>,
    pub to_institution_name: Option<String>,
    /// Its state (a code: `signed`, `accepted`…), where it has one.
    #[schema(schema_with = record_state_schema)]
    pub state: Option<String>,
    /// `urgent` or `routine`, where it has one.
    #[schema(value_type = Option<crate::consultations::Urgency>)]
    pub urgency: Option<String>,
    /// Hours from the request to the first signed report (a consultation) or from sending to
    /// acceptance (a referral); none until then.
    pub turnaround_hours: Option<f64>,
    /// What it adds to the figure: 1 for a count; the places booked, the people attending, an
    /// amount in fen for a sum.
    pub value: i64,
}

/// The codes of several vocabularies as one (each code once), nullable.
fn union_schema(
    codes: Vec<(&'static str, &'static str)>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut seen = std::collections::HashSet::new();
    let codes: Vec<_> = codes.into_iter().filter(|(c, _)| seen.insert(*c)).collect();
    let one = crate::codes::code_schema(&codes);
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(utoipa::openapi::schema::Object::with_type(
            utoipa::openapi::schema::Type::Null,
        ))
        .item(one)
        .into()
}

/// A record's kind within its figure: the split of the figure's rule (consultation type,
/// referral direction, clinic visit type, gap filled, teaching or outreach kind, the expert's
/// role in an operation, its grade).
fn record_kind_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use crate::Lang::En;
    let mut codes: Vec<(&'static str, &'static str)> = Vec::new();
    codes.extend(
        crate::consultations::ConsultationType::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    codes.extend(
        crate::referrals::Direction::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    codes.extend(
        crate::clinic_sessions::VisitType::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    codes.extend(
        crate::capacity::GapLevel::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    codes.extend(
        crate::capacity::TeachingKind::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    codes.extend(
        crate::capacity::OutreachKind::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    codes.extend(
        crate::operations::ExpertRole::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    codes.extend([
        ("grade-1", "Grade 1 operation"),
        ("grade-2", "Grade 2 operation"),
        ("grade-3", "Grade 3 operation"),
        ("grade-4", "Grade 4 operation"),
    ]);
    union_schema(codes)
}

/// A record's state: a consultation's or a referral's.
fn record_state_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use crate::Lang::En;
    let mut codes: Vec<(&'static str, &'static str)> = Vec::new();
    codes.extend(
        crate::consultations::ConsultationState::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    codes.extend(
        crate::referrals::ReferralState::ALL
            .iter()
            .map(|c| (c.code(), c.label(En))),
    );
    union_schema(codes)
}

/// The total an indicator is a part of, by type or kind: `consultations-imaging` is part of
/// `consultations`, `teaching-activities-lecture` of `teaching-activities`.
pub fn total_of(code: &str) -> Option<&'static str> {
    ["consultations", "teaching-activities"]
        .into_iter()
        .find(|total| {
            code.strip_prefix(total)
                .is_some_and(|rest| rest.starts_with('-'))
        })
}

/// Whether an indicator sums reports a program may never file (the dispatched experts'
/// workload): a dashboard leaves it out while it is zero, as it does a total's empty parts.
pub fn only_when_reported(code: &str) -> bool {
    code.starts_with("workload-")
}

/// `12345678` as `12,345,678`.
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Fen as yuan with two decimals and thousands separators: `830000000000` → `8,300,000,000.00`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!(
        "{sign}{}.{:02}",
        group_thousands(i64::try_from(abs / 100).unwrap_or(i64::MAX)),
        abs % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_definitions_written_in_both_languages() {
        let mut codes: Vec<_> = CATALOGUE.iter().map(|i| i.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CATALOGUE.len());
        for i in CATALOGUE {
            assert!(!i.definition_zh.is_empty() && !i.definition_en.is_empty());
        }
    }

    #[test]
    fn the_office_opens_its_own_programs_records_and_hospital_staff_their_own() {
        let who = |role, program: Option<&str>, institution: Option<&str>| Principal {
            user_id: "u".into(),
            username: "u".into(),
            role,
            program_id: program.map(str::to_string),
            institution_id: institution.map(str::to_string),
        };
        assert_eq!(
            FigureRecords::of(&who(Role::ProgramOffice, Some("p"), None), "p"),
            Ok(FigureRecords::All)
        );
        assert!(FigureRecords::of(&who(Role::ProgramOffice, Some("q"), None), "p").is_err());
        assert_eq!(
            FigureRecords::of(&who(Role::PlatformAdmin, None, None), "p"),
            Ok(FigureRecords::All)
        );
        assert_eq!(
            FigureRecords::of(&who(Role::Coordinator, None, Some("h")), "p"),
            Ok(FigureRecords::TakingPart("h".into()))
        );
        assert!(FigureRecords::of(&who(Role::Expert, None, None), "p").is_err());
        assert!(about_patients("consultations-mdt") && about_patients("referrals-up"));
        assert!(!about_patients("techniques"));
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(group_thousands(5500), "5,500");
        assert_eq!(group_thousands(526), "526");
        assert_eq!(group_thousands(-1234567), "-1,234,567");
        assert_eq!(yuan(8_300_000_000), "83,000,000.00");
        assert_eq!(yuan(5), "0.05");
    }
}
