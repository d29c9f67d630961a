//! Reported KPIs (C10): figures an institution reports per period — satisfaction, average length
//! of stay, grade-4 surgery share, pass rates… — each against a baseline and a target, submitted
//! by the institution and approved by the program office. An approved period is locked; a
//! correction reopens it with a reason.
//!
//! Values are exact: a definition fixes how many decimals it keeps (`scale`) and every value is
//! stored as an integer in those units (`92.00` % at scale 2 is `9200`), never as a float.

use crate::access::{Access, Principal};
use crate::codes::Role;
use crate::validate::{self, code, optional_reference, optional_text, reference};
use crate::{DomainError, Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const NOTE_MAX: usize = 2000;
const REASON_MAX: usize = 2000;
/// The most decimals a definition may keep.
pub const MAX_SCALE: i64 = 4;
/// The largest magnitude a scaled value may have (well inside `i64` and JavaScript's safe range).
pub const MAX_SCALED: i64 = 1_000_000_000_000;

code_enum! {
    PeriodType {
        Month => "month", "月度", "Month";
        Quarter => "quarter", "季度", "Quarter";
        Year => "year", "年度", "Year";
    }
}

code_enum! {
    /// Which way is better.
    KpiDirection {
        Higher => "higher", "越高越好", "Higher is better";
        Lower => "lower", "越低越好", "Lower is better";
    }
}

code_enum! {
    ValueKind {
        Percent => "percent", "百分比（0–100）", "Percentage (0–100)";
        Count => "count", "计数", "Count";
        Decimal => "decimal", "小数", "Decimal";
    }
}

code_enum! {
    ReportState {
        Draft => "draft", "草稿", "Draft";
        Submitted => "submitted", "已提交待审核", "Submitted";
        Approved => "approved", "已审核", "Approved";
        Reopened => "reopened", "已重新打开待更正", "Reopened for correction";
    }
}

code_enum! {
    ReportAction {
        Submit => "submit", "提交", "Submit";
        Approve => "approve", "审核通过", "Approve";
        Return => "return", "退回", "Return";
        Reopen => "reopen", "重新打开更正", "Reopen for correction";
    }
}

// ---- periods ----

/// A reporting period: a month (`2025-03`), a quarter (`2025-Q1`) or a year (`2025`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    year: i32,
    kind: PeriodType,
    /// The month (1–12) or quarter (1–4); 1 for a year.
    index: u32,
}

impl Period {
    /// Reads a period key; anything but the three canonical forms (years 1990–2100) is refused.
    pub fn parse(field: &str, key: &str) -> Result<Period, Invalid> {
        let bad = || Invalid::new(field, "error.kpi_period_format");
        let key = key.trim();
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        let (year, rest) = key.split_once('-').unwrap_or((key, ""));
        if year.len() != 4 || !digits(year) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !(1990..=2100).contains(&year) {
            return Err(bad());
        }
        let (kind, index) = if key.len() == 4 {
            (PeriodType::Year, 1)
        } else if let Some(q) = rest.strip_prefix('Q') {
            if q.len() != 1 || !digits(q) {
                return Err(bad());
            }
            (PeriodType::Quarter, q.parse().map_err(|_| bad())?)
        } else {
            if rest.len() != 2 || !digits(rest) {
                return Err(bad());
            }
            (PeriodType::Month, rest.parse().map_err(|_| bad())?)
        };
        let max = match kind {
            PeriodType::Year => 1,
            PeriodType::Quarter => 4,
            PeriodType::Month => 12,
        };
        if !(1..=max).contains(&index) {
            return Err(bad());
        }
        Ok(Period { year, kind, index })
    }

    pub fn kind(&self) -> PeriodType {
        self.kind
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    /// The canonical key, which [`Period::parse`] reads back.
    pub fn key(&self) -> String {
        match self.kind {
            PeriodType::Year => format!("{:04}", self.year),
            PeriodType::Quarter => format!("{:04}-Q{}", self.year, self.index),
            PeriodType::Month => format!("{:04}-{:02}", self.year, self.index),
        }
    }

    fn first_month(&self) -> u32 {
        match self.kind {
            PeriodType::Year => 1,
            PeriodType::Quarter => (self.index - 1) * 3 + 1,
            PeriodType::Month => self.index,
        }
    }

    fn months(&self) -> u32 {
        match self.kind {
            PeriodType::Year => 12,
            PeriodType::Quarter => 3,
            PeriodType::Month => 1,
        }
    }

    /// The period just before this one of the same type (2024 before 2025, 2024-Q4 before
    /// 2025-Q1, 2025-02 before 2025-03).
    pub fn previous(&self) -> Period {
        match (self.kind, self.index) {
            (PeriodType::Year, _) => Period {
                year: self.year - 1,
                ..*self
            },
            (PeriodType::Quarter, 1) => Period {
                year: self.year - 1,
                index: 4,
                ..*self
            },
            (PeriodType::Month, 1) => Period {
                year: self.year - 1,
                index: 12,
                ..*self
            },
            _ => Period {
                index: self.index - 1,
                ..*self
            },
        }
    }

    /// The period as a briefing names it: `2025年`, `2025年第1季度`, `2025年3月`; `2025`,
    /// `Q1 2025`, `March 2025`.
    pub fn label(&self, lang: crate::Lang) -> String {
        match (lang, self.kind) {
            (crate::Lang::Zh, PeriodType::Year) => format!("{}年", self.year),
            (crate::Lang::Zh, PeriodType::Quarter) => {
                format!("{}年第{}季度", self.year, self.index)
            }
            (crate::Lang::Zh, PeriodType::Month) => format!("{}年{}月", self.year, self.index),
            (crate::Lang::En, PeriodType::Year) => format!("{}", self.year),
            (crate::Lang::En, PeriodType::Quarter) => format!("Q{} {}", self.index, self.year),
            (crate::Lang::En, PeriodType::Month) => self.start().format("%B %Y").to_string(),
        }
    }

    /// The first day of the period.
    pub fn start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.first_month(), 1).unwrap_or_default()
    }

    /// The last day of the period.
    pub fn end(&self) -> NaiveDate {
        self.start()
            .checked_add_months(chrono::Months::new(self.months()))
            .and_then(|d| d.pred_opt())
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

// ---- exact values ----

/// A scaled integer written as a decimal with `scale` decimals: `(9200, 2)` → `"92.00"`.
pub fn format_scaled(value: i64, scale: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    if scale <= 0 {
        return format!("{sign}{abs}");
    }
    let unit = 10u64.pow(scale as u32);
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = scale as usize
    )
}

/// Reads a decimal (`"92"`, `"26.63"`, `"-0.31"`) into an integer with `scale` decimals, exactly:
/// more decimals than the scale keeps, exponents and anything beyond [`MAX_SCALED`] are refused.
pub fn parse_scaled(field: &str, text: &str, scale: i64) -> Result<i64, Invalid> {
    let bad = || Invalid::new(field, "error.kpi_value_format");
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 13 || !digits(whole) || !digits(frac) {
        return Err(bad());
    }
    if frac.len() as i64 > scale.max(0) {
        return Err(Invalid::new(field, "error.kpi_too_many_decimals"));
    }
    let unit = 10i64.pow(scale.clamp(0, MAX_SCALE) as u32);
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = scale as usize)
            .parse()
            .map_err(|_| bad())?
    };
    let value = whole
        .checked_mul(unit)
        .and_then(|w| w.checked_add(frac))
        .filter(|v| *v <= MAX_SCALED)
        .ok_or_else(|| Invalid::new(field, "error.out_of_range"))?;
    Ok(if negative { -value } else { value })
}

// ---- definitions ----

/// What a KPI measures and how its values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KpiDefinition {
    /// Stable code (`patient-satisfaction`), used in the API, the database and imports.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// `%`, `天`, `人次`, `例`, `元`, or empty for a pure number (CMI).
    pub unit: String,
    pub direction: KpiDirection,
    pub value_kind: ValueKind,
    /// Decimals kept; values are integers in units of 10^-scale.
    pub scale: i64,
    /// The period types this KPI is reported for.
    pub period_types: Vec<PeriodType>,
    pub description: Option<String>,
    /// Part of the built-in catalogue (seeded by the migration).
    pub builtin: bool,
}

impl KpiDefinition {
    /// The name in a language (taken by value or by reference, as templates pass it).
    pub fn name(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> &str {
        match *lang.borrow() {
            crate::Lang::Zh => &self.name_zh,
            crate::Lang::En => &self.name_en,
        }
    }

    pub fn allows(&self, kind: PeriodType) -> bool {
        self.period_types.contains(&kind)
    }

    /// Reads one value for this KPI (a percentage stays within 0–100, a count is whole and not
    /// negative).
    pub fn value(&self, field: &str, text: &str) -> Result<i64, Invalid> {
        let v = parse_scaled(field, text, self.scale)?;
        let unit = 10i64.pow(self.scale.clamp(0, MAX_SCALE) as u32);
        let ok = match self.value_kind {
            ValueKind::Percent => (0..=100 * unit).contains(&v),
            ValueKind::Count => v >= 0,
            ValueKind::Decimal => true,
        };
        if ok {
            Ok(v)
        } else {
            Err(Invalid::new(field, "error.out_of_range"))
        }
    }

    pub fn format(&self, scaled: i64) -> String {
        format_scaled(scaled, self.scale)
    }
}

/// A new definition as a program office or the admin sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct KpiDefinitionInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub unit: String,
    #[schema(value_type = KpiDirection)]
    pub direction: String,
    #[schema(value_type = ValueKind)]
    pub value_kind: String,
    /// Decimals kept (0–4); a count keeps none. Default: 2 for percentages and decimals.
    #[serde(default)]
    pub scale: Option<i64>,
    /// Default: month, quarter and year.
    #[serde(default)]
    #[schema(value_type = Vec<PeriodType>)]
    pub period_types: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

impl KpiDefinitionInput {
    /// The definition checked: every problem at once, each at its field.
    pub fn parse(&self) -> Result<KpiDefinition, crate::Problems> {
        let code_text = self.code.trim();
        let code_ok = !(code_text.is_empty()
            || code_text.len() > 60
            || !code_text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || code_text.starts_with('-'));
        let unit = self.unit.trim();
        let unit_ok = unit.chars().count() <= 10 && !unit.chars().any(char::is_control);
        let periods = || -> Result<Vec<PeriodType>, Invalid> {
            let mut period_types = Vec::new();
            for p in &self.period_types {
                let p = code("period_types", p, PeriodType::parse)?;
                if !period_types.contains(&p) {
                    period_types.push(p);
                }
            }
            if period_types.is_empty() {
                period_types = PeriodType::ALL.to_vec();
            }
            period_types.sort_by_key(|p| PeriodType::ALL.iter().position(|q| q == p));
            Ok(period_types)
        };
        crate::every! {
            code_text = if code_ok {
                Ok(code_text.to_string())
            } else {
                Err(Invalid::new("code", "error.kpi_code_format"))
            },
            value_kind = code("value_kind", &self.value_kind, ValueKind::parse),
            period_types = periods(),
            unit = if unit_ok {
                Ok(unit.to_string())
            } else {
                Err(Invalid::new("unit", "error.text_at_most").with(&[10]))
            },
            name_zh = validate::text("name_zh", &self.name_zh, 100),
            name_en = validate::text("name_en", &self.name_en, 200),
            direction = code("direction", &self.direction, KpiDirection::parse),
            description = optional_text("description", self.description.as_deref(), NOTE_MAX),
        }
        // The scale depends on the kind of value: checked once the kind is known.
        let scale = match (value_kind, self.scale) {
            (ValueKind::Count, None | Some(0)) => 0,
            (ValueKind::Count, Some(_)) => {
                return Err(Invalid::new("scale", "error.out_of_range").into());
            }
            (_, None) => 2,
            (_, Some(s)) if (0..=MAX_SCALE).contains(&s) => s,
            (_, Some(_)) => return Err(Invalid::new("scale", "error.out_of_range").into()),
        };
        Ok(KpiDefinition {
            code: code_text,
            name_zh,
            name_en,
            unit,
            direction,
            value_kind,
            scale,
            period_types,
            description,
            builtin: false,
        })
    }
}

/// One entry of the built-in catalogue: code, Chinese name, English name, unit, direction, kind,
/// scale, period types.
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    KpiDirection,
    ValueKind,
    i64,
    &'static [PeriodType],
);

const ANY_PERIOD: &[PeriodType] = &[PeriodType::Month, PeriodType::Quarter, PeriodType::Year];
const QUARTER_OR_YEAR: &[PeriodType] = &[PeriodType::Quarter, PeriodType::Year];
const YEARLY: &[PeriodType] = &[PeriodType::Year];

/// The KPIs the seed programs report, built in; migrations 10 and 28 seed the same rows (a test keeps
/// the two equal).
#[rustfmt::skip]
const BUILTINS: &[Builtin] = {
    use KpiDirection::{Higher, Lower};
    use ValueKind::{Count, Decimal, Percent};
    &[
        ("patient-satisfaction", "患者满意度", "Patient satisfaction", "%", Higher, Percent, 2, QUARTER_OR_YEAR),
        ("average-length-of-stay", "平均住院日", "Average length of stay", "天", Lower, Decimal, 2, ANY_PERIOD),
        ("grade4-surgery-share", "四级手术占比", "Grade-4 surgery share", "%", Higher, Percent, 2, ANY_PERIOD),
        ("grade34-surgeries", "三四级手术例数", "Grade-3 and grade-4 surgeries", "例", Higher, Count, 0, ANY_PERIOD),
        ("inpatient-surgery-share", "出院患者手术占比", "Share of discharged patients operated on", "%", Higher, Percent, 2, ANY_PERIOD),
        ("outpatient-visits", "门急诊人次", "Outpatient and emergency visits", "人次", Higher, Count, 0, ANY_PERIOD),
        ("licensing-first-pass", "执业医师资格考试首次通过率", "Medical licensing exam first-attempt pass rate", "%", Higher, Percent, 2, YEARLY),
        ("residency-completion-pass", "住院医师规范化培训结业考核通过率", "Residency training completion exam pass rate", "%", Higher, Percent, 2, YEARLY),
        ("chronic-disease-management", "慢病规范管理率", "Chronic disease standardised management rate", "%", Higher, Percent, 2, QUARTER_OR_YEAR),
        ("hypertension-management", "高血压患者规范管理率", "Hypertension standardised management rate", "%", Higher, Percent, 2, QUARTER_OR_YEAR),
        ("diabetes-management", "糖尿病患者规范管理率", "Diabetes standardised management rate", "%", Higher, Percent, 2, QUARTER_OR_YEAR),
        ("health-literacy", "居民健康素养水平", "Residents' health literacy", "%", Higher, Percent, 2, YEARLY),
        ("cmi", "病例组合指数（CMI）", "Case mix index (CMI)", "", Higher, Decimal, 4, ANY_PERIOD),
        ("drug-consumable-share", "药耗占比", "Share of drugs and consumables in revenue", "%", Lower, Percent, 2, ANY_PERIOD),
        ("outpatient-cost-per-visit", "门诊次均费用", "Average outpatient cost per visit", "元", Lower, Decimal, 2, ANY_PERIOD),
        // Migration 28 (the regional medical centres' articles).
        ("minimally-invasive-surgeries", "微创手术例数", "Minimally invasive operations", "例", Higher, Count, 0, ANY_PERIOD),
        ("breast-cancer-preop-biopsy", "乳腺癌术前穿刺活检率", "Breast cancer preoperative core biopsy rate", "%", Higher, Percent, 2, ANY_PERIOD),
    ]
};

/// Where a definition sorts: the built-in catalogue in its own order, then the rest by code.
pub fn catalogue_rank(code: &str) -> (usize, String) {
    let position = BUILTINS.iter().position(|b| b.0 == code);
    (position.unwrap_or(BUILTINS.len()), code.to_string())
}

/// The built-in catalogue.
pub fn builtin_catalogue() -> Vec<KpiDefinition> {
    BUILTINS
        .iter()
        .map(
            |&(code, zh, en, unit, direction, value_kind, scale, periods)| KpiDefinition {
                code: code.into(),
                name_zh: zh.into(),
                name_en: en.into(),
                unit: unit.into(),
                direction,
                value_kind,
                scale,
                period_types: periods.to_vec(),
                description: None,
                builtin: true,
            },
        )
        .collect()
}

// ---- reports ----

/// A report's header as entered: whose figures, under which program, for which period.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct KpiReportInput {
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// `2025-03`, `2025-Q1` or `2025`.
    pub period: String,
    /// Values to enter right away (optional).
    #[serde(default)]
    pub values: Vec<KpiValueInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewKpiReport {
    pub institution_id: String,
    pub program_id: Option<String>,
    pub period: Period,
}

impl KpiReportInput {
    /// The report described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewKpiReport, Problems> {
        crate::every! {
            institution_id = reference("institution_id", &self.institution_id),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            period = Period::parse("period", &self.period),
        }
        Ok(NewKpiReport {
            institution_id,
            program_id,
            period,
        })
    }
}

/// One KPI's figures in a report, as decimals (`"92"`, `"26.63"`); empty means "not reported".
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct KpiValueInput {
    /// The definition's code.
    pub definition: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub baseline: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The values of a report as `PUT /kpi-reports/{id}` sends them: the whole set, replacing what
/// was there.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct KpiValuesInput {
    pub values: Vec<KpiValueInput>,
}

/// One KPI's figures, checked against its definition and scaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKpiValue {
    pub definition: String,
    pub value: Option<i64>,
    pub baseline: Option<i64>,
    pub target: Option<i64>,
    pub note: Option<String>,
}

/// Checks a report's values against the definitions (found by code) and the report's period
/// type. Fields are named `values[i].value` etc. so the error points at the row.
pub fn parse_values(
    values: &[KpiValueInput],
    period: PeriodType,
    find: impl Fn(&str) -> Option<KpiDefinition>,
) -> Result<Vec<NewKpiValue>, Invalid> {
    let mut out: Vec<NewKpiValue> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let field = |name: &str| format!("values[{i}].{name}");
        let def = find(v.definition.trim())
            .ok_or_else(|| Invalid::new(field("definition"), "error.kpi_unknown_definition"))?;
        if !def.allows(period) {
            return Err(Invalid::new(
                field("definition"),
                "error.kpi_period_not_allowed",
            ));
        }
        if out.iter().any(|o| o.definition == def.code) {
            return Err(Invalid::new(
                field("definition"),
                "error.kpi_duplicate_definition",
            ));
        }
        let number = |name: &str, text: &Option<String>| -> Result<Option<i64>, Invalid> {
            match text.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(t) => def.value(&field(name), t).map(Some),
            }
        };
        let new = NewKpiValue {
            definition: def.code.clone(),
            value: number("value", &v.value)?,
            baseline: number("baseline", &v.baseline)?,
            target: number("target", &v.target)?,
            note: optional_text(&field("note"), v.note.as_deref(), NOTE_MAX)?,
        };
        if new.value.is_some()
            || new.baseline.is_some()
            || new.target.is_some()
            || new.note.is_some()
        {
            out.push(new);
        }
    }
    Ok(out)
}

/// Whether a report's values may change in this state: only a draft or a reopened report.
pub fn editable(state: ReportState) -> bool {
    matches!(state, ReportState::Draft | ReportState::Reopened)
}

/// Refuses a change to the values of a report that is submitted or approved.
pub fn ensure_editable(state: ReportState) -> Result<(), DomainError> {
    if editable(state) {
        Ok(())
    } else {
        Err(DomainError::Conflict("error.kpi_report_locked"))
    }
}

/// draft | reopened → submitted; submitted → approved (locked) or returned to draft (with a
/// reason); approved → reopened (with a reason).
pub fn transition(state: ReportState, action: ReportAction) -> Option<ReportState> {
    use ReportAction as A;
    use ReportState as S;
    match (state, action) {
        (S::Draft | S::Reopened, A::Submit) => Some(S::Submitted),
        (S::Submitted, A::Approve) => Some(S::Approved),
        (S::Submitted, A::Return) => Some(S::Draft),
        (S::Approved, A::Reopen) => Some(S::Reopened),
        _ => None,
    }
}

impl ReportAction {
    /// Reopening an approved period and returning a submitted report need a written reason.
    pub fn needs_reason(self) -> bool {
        matches!(self, ReportAction::Reopen | ReportAction::Return)
    }

    /// Submitting is the reporting institution's; the rest is the program office's.
    pub fn by_reviewer(self) -> bool {
        self != ReportAction::Submit
    }
}

/// The body of `POST /kpi-reports/{id}/{action}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct KpiTransitionInput {
    #[serde(default)]
    pub reason: Option<String>,
}

impl KpiTransitionInput {
    /// The reason, required for a reopen or a return.
    pub fn parse(&self, action: ReportAction) -> Result<Option<String>, Invalid> {
        let reason = optional_text("reason", self.reason.as_deref(), REASON_MAX)?;
        if action.needs_reason() && reason.is_none() {
            return Err(Invalid::new("reason", "error.kpi_reason_required"));
        }
        Ok(reason)
    }
}

/// Entering values and submitting: the institution's coordinators, the donor side's where the
/// program grants write access, and the platform admin.
pub fn may_enter(p: &Principal, access: Access) -> bool {
    p.is_admin() || (p.role == Role::Coordinator && access.can_write())
}

/// Approving, returning and reopening: the platform admin and the office of the report's
/// program; a report under no program, any office whose program reaches the institution.
pub fn may_review(p: &Principal, program_id: Option<&str>, access: Access) -> bool {
    p.is_admin()
        || match program_id {
            Some(program) => p.can_manage_program(program),
            None => p.role == Role::ProgramOffice && access.can_write(),
        }
}

/// A report's figures for one KPI, as read back.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiValue {
    pub definition: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub direction: KpiDirection,
    pub scale: i64,
    /// The value as an integer in units of 10^-scale.
    pub value_scaled: Option<i64>,
    pub baseline_scaled: Option<i64>,
    pub target_scaled: Option<i64>,
    /// The same values as exact decimals, for display.
    pub value: Option<String>,
    pub baseline: Option<String>,
    pub target: Option<String>,
    pub note: Option<String>,
}

/// A step in a report's life; a reopen or return carries its reason.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiReportEvent {
    #[schema(schema_with = event_action)]
    pub action: String,
    #[schema(schema_with = event_from_state)]
    pub from_state: String,
    #[schema(value_type = ReportState)]
    pub to_state: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor_name: String,
    /// Who took the step: name, title and institution.
    pub actor: Option<crate::accounts::ActorLabel>,
    pub reason: Option<String>,
}

/// A step's action: one of the actions, or the creation of the draft.
fn event_action() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    ReportAction::schema_and(&[("create", "Create")])
}

/// The state a step left: empty for the creation.
fn event_from_state() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    ReportState::schema_and(&[("", "None (the creation)")])
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiReport {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    pub program_name: Option<String>,
    pub period_type: PeriodType,
    pub period: String,
    #[schema(format = Date)]
    pub period_start: String,
    #[schema(format = Date)]
    pub period_end: String,
    pub state: ReportState,
    pub submitted_by: Option<String>,
    #[schema(format = DateTime)]
    pub submitted_at: Option<String>,
    pub approved_by: Option<String>,
    #[schema(format = DateTime)]
    pub approved_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Filled on a single report, empty in lists.
    pub values: Vec<KpiValue>,
    pub events: Vec<KpiReportEvent>,
}

impl KpiStanding {
    /// The KPI's name in a language.
    pub fn name(&self, lang: crate::Lang) -> &str {
        match lang {
            crate::Lang::Zh => &self.name_zh,
            crate::Lang::En => &self.name_en,
        }
    }
}

impl KpiReport {
    pub fn locked(&self) -> bool {
        !editable(self.state)
    }
}

/// One point of a KPI's series for dashboards: "before/after against baseline and target".
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiSeriesPoint {
    pub period: String,
    pub period_type: PeriodType,
    #[schema(format = Date)]
    pub period_start: String,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub report_id: String,
    pub state: ReportState,
    pub definition: String,
    pub unit: String,
    pub direction: KpiDirection,
    pub scale: i64,
    pub value_scaled: Option<i64>,
    pub baseline_scaled: Option<i64>,
    pub target_scaled: Option<i64>,
    pub value: Option<String>,
    pub baseline: Option<String>,
    pub target: Option<String>,
    /// Whether the value reaches the target in the KPI's direction (none without both).
    pub target_met: Option<bool>,
}

/// One KPI of one institution, before and after: the first and the latest approved figure of
/// the same period type, against the baseline and the target the latest report gives. For
/// dashboards and briefings ("首考通过率从20%提升至92%").
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiStanding {
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub definition: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub direction: KpiDirection,
    pub scale: i64,
    pub period_type: PeriodType,
    pub first_period: String,
    pub first_value_scaled: i64,
    pub first_value: String,
    pub latest_period: String,
    pub latest_value_scaled: i64,
    pub latest_value: String,
    pub baseline_scaled: Option<i64>,
    pub baseline: Option<String>,
    pub target_scaled: Option<i64>,
    pub target: Option<String>,
    /// Latest minus the baseline (or, without one, the first value).
    pub change_scaled: i64,
    pub change: String,
    /// Whether the change goes the KPI's better way (none when there is no change).
    pub improved: Option<bool>,
    pub target_met: Option<bool>,
    /// How many approved periods lie between first and latest, both included.
    pub periods: i64,
    /// The approved period just before the latest one of the same type, if any: the change
    /// between consecutive periods (year on year for years, 环比 for quarters and months).
    pub previous: Option<KpiChange>,
    /// The change from the baseline (or, without one, the first value) to the latest, with
    /// its relative part.
    pub since_first: Option<KpiChange>,
}

/// A KPI's change from one figure to another: the difference in the KPI's own units (a rate's
/// in percentage points), and relative to the earlier figure in hundredths of a percent,
/// rounded half up (away from zero); whether it goes the KPI's better way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KpiChange {
    pub from_period: String,
    pub to_period: String,
    pub from_scaled: i64,
    pub to_scaled: i64,
    /// `to − from` in units of 10^-scale.
    pub delta_scaled: i64,
    /// The same as an exact decimal (`-0.31`; percentage points for a rate).
    pub delta: String,
    /// `(to − from) / from` in hundredths of a percent (`611` is 6.11 %); none from zero.
    pub relative_bp: Option<i64>,
    /// The same as a decimal percentage (`6.11`).
    pub relative: Option<String>,
    /// Whether the change goes the KPI's better way (none when there is no change).
    pub improved: Option<bool>,
}

/// `num / den` rounded half up (away from zero), exactly.
pub fn div_round_half_up(num: i128, den: i128) -> Option<i128> {
    if den == 0 {
        return None;
    }
    let negative = (num < 0) != (den < 0);
    let (n, d) = (num.abs(), den.abs());
    let q = (2 * n + d) / (2 * d);
    Some(if negative { -q } else { q })
}

/// The relative change from `from` to `to` in hundredths of a percent, rounded half up:
/// 5,253 → 5,574 is `611` (6.11 %); none from zero.
pub fn relative_change_bp(from: i64, to: i64) -> Option<i64> {
    div_round_half_up((to as i128 - from as i128) * 10_000, from as i128)
        .and_then(|v| i64::try_from(v).ok())
}

/// Whether a change goes `direction`'s better way; none when there is none.
pub fn improves(direction: KpiDirection, delta: i64) -> Option<bool> {
    (delta != 0).then_some(match direction {
        KpiDirection::Higher => delta > 0,
        KpiDirection::Lower => delta < 0,
    })
}

impl KpiChange {
    /// The change from `(from_period, from)` to `(to_period, to)` of a KPI kept at `scale`.
    pub fn between(
        direction: KpiDirection,
        scale: i64,
        (from_period, from): (&str, i64),
        (to_period, to): (&str, i64),
    ) -> KpiChange {
        let delta = to - from;
        let relative_bp = relative_change_bp(from, to);
        KpiChange {
            from_period: from_period.to_string(),
            to_period: to_period.to_string(),
            from_scaled: from,
            to_scaled: to,
            delta_scaled: delta,
            delta: format_scaled(delta, scale),
            relative_bp,
            relative: relative_bp.map(|r| format_scaled(r, 2)),
            improved: improves(direction, delta),
        }
    }
}

/// Whether `value` reaches `target` in `direction`.
pub fn meets_target(direction: KpiDirection, value: i64, target: i64) -> bool {
    match direction {
        KpiDirection::Higher => value >= target,
        KpiDirection::Lower => value <= target,
    }
}

/// Reads a `from`/`until` bound of a series: a period key or a date. `from` takes the first day
/// of a period, `until` its last.
pub fn bound(field: &str, text: &str, upper: bool) -> Result<NaiveDate, Invalid> {
    if let Ok(d) = validate::date(field, text) {
        return Ok(d);
    }
    let p = Period::parse(field, text)?;
    Ok(if upper { p.end() } else { p.start() })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)] // a case that cannot set up should stop with the reason
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn period_keys_parse_and_print_back() {
        for key in ["2025-03", "2025-Q1", "2025", "1990-12", "2100-Q4"] {
            let p = Period::parse("period", key).expect("valid");
            assert_eq!(p.key(), key);
        }
        let q = Period::parse("p", "2025-Q1").expect("valid");
        assert_eq!(q.kind(), PeriodType::Quarter);
        assert_eq!(q.start().to_string(), "2025-01-01");
        assert_eq!(q.end().to_string(), "2025-03-31");
        let feb = Period::parse("p", "2024-02").expect("valid");
        assert_eq!(feb.end().to_string(), "2024-02-29");
        let year = Period::parse("p", "2023").expect("valid");
        assert_eq!(year.end().to_string(), "2023-12-31");
        for bad in [
            "2025-13",
            "2025-00",
            "2025-Q5",
            "2025-Q0",
            "25",
            "2025-3",
            "2025-q1",
            "2025-Q1x",
            "",
            "1989",
            "2025-",
            "二〇二五",
            "2025/03",
            "+2025",
        ] {
            assert_eq!(
                Period::parse("period", bad).map_err(|e| e.key),
                Err("error.kpi_period_format"),
                "{bad}"
            );
        }
    }

    #[test]
    fn changes_are_exact_and_rounded_half_up() {
        use KpiDirection::{Higher, Lower};
        // 红星医院 2025: 平均住院日 8.92 → 8.61 天, 三四级手术 5,253 → 5,574 例.
        let stay = KpiChange::between(Lower, 2, ("2024", 892), ("2025", 861));
        assert_eq!((stay.delta_scaled, stay.delta.as_str()), (-31, "-0.31"));
        assert_eq!(stay.relative.as_deref(), Some("-3.48"));
        assert_eq!(stay.improved, Some(true));
        let ops = KpiChange::between(Higher, 0, ("2024", 5_253), ("2025", 5_574));
        assert_eq!((ops.delta.as_str(), ops.relative_bp), ("321", Some(611)));
        assert_eq!(ops.improved, Some(true));
        // 居民健康素养 17.17% → 22.29%: 5.12 percentage points, 29.82 % relative.
        let literacy = KpiChange::between(Higher, 2, ("2020", 1717), ("2023", 2229));
        assert_eq!(literacy.delta, "5.12");
        assert_eq!(literacy.relative.as_deref(), Some("29.82"));
        // A share that falls is better when lower is better; none from zero.
        let drugs = KpiChange::between(Lower, 2, ("2023", 2845), ("2024", 2743));
        assert_eq!(
            (drugs.delta.as_str(), drugs.improved),
            ("-1.02", Some(true))
        );
        assert_eq!(
            KpiChange::between(Higher, 0, ("a", 0), ("b", 5)).relative_bp,
            None
        );
        assert_eq!(
            KpiChange::between(Higher, 0, ("a", 5), ("b", 5)).improved,
            None
        );
        // Half up, away from zero, at the second decimal.
        assert_eq!(relative_change_bp(8, 9), Some(1250));
        assert_eq!(relative_change_bp(20_000, 20_001), Some(1)); // 0.005 % → 0.01 %
        assert_eq!(relative_change_bp(20_001, 20_000), Some(0)); // -0.00499… % → 0.00 %
        assert_eq!(relative_change_bp(20_000, 19_999), Some(-1)); // -0.005 % → -0.01 %
        assert_eq!(relative_change_bp(3, 2), Some(-3333));
        assert_eq!(div_round_half_up(5, 2), Some(3));
        assert_eq!(div_round_half_up(-5, 2), Some(-3));
        assert_eq!(div_round_half_up(1, 0), None);
    }

    #[test]
    fn periods_know_the_one_before() {
        let prev = |k: &str| Period::parse("p", k).expect("valid").previous().key();
        assert_eq!(prev("2025"), "2024");
        assert_eq!(prev("2025-Q1"), "2024-Q4");
        assert_eq!(prev("2025-Q3"), "2025-Q2");
        assert_eq!(prev("2025-01"), "2024-12");
        assert_eq!(prev("2025-10"), "2025-09");
        let q = Period::parse("p", "2025-Q1").expect("valid");
        assert_eq!(q.label(crate::Lang::Zh), "2025年第1季度");
        assert_eq!(q.label(crate::Lang::En), "Q1 2025");
    }

    #[test]
    fn values_are_exact_scaled_integers() {
        assert_eq!(parse_scaled("v", "92", 2), Ok(9200));
        assert_eq!(parse_scaled("v", "26.63", 2), Ok(2663));
        assert_eq!(parse_scaled("v", "-0.31", 2), Ok(-31));
        assert_eq!(parse_scaled("v", "0.9123", 4), Ok(9123));
        assert_eq!(parse_scaled("v", "1685000", 0), Ok(1_685_000));
        assert_eq!(
            parse_scaled("v", "26.631", 2).map_err(|e| e.key),
            Err("error.kpi_too_many_decimals")
        );
        for bad in ["", "1e3", "abc", "1.2.3", ".5", "--1", "0x10", " - 1"] {
            assert!(parse_scaled("v", bad, 2).is_err(), "{bad}");
        }
        assert_eq!(format_scaled(9200, 2), "92.00");
        assert_eq!(format_scaled(-31, 2), "-0.31");
        assert_eq!(format_scaled(9123, 4), "0.9123");
        assert_eq!(format_scaled(1_685_000, 0), "1685000");
    }

    #[test]
    fn a_definition_keeps_percentages_within_bounds_and_counts_whole() {
        let catalogue = builtin_catalogue();
        let find = |c: &str| catalogue.iter().find(|d| d.code == c).cloned();
        let pass = find("licensing-first-pass").expect("builtin");
        assert_eq!(pass.value("v", "92"), Ok(9200));
        assert!(pass.value("v", "100.01").is_err());
        assert!(pass.value("v", "-1").is_err());
        let visits = find("outpatient-visits").expect("builtin");
        assert!(visits.value("v", "1.5").is_err());
        assert_eq!(visits.value("v", "1685000"), Ok(1_685_000));
        let values = [KpiValueInput {
            definition: "licensing-first-pass".into(),
            value: Some("92".into()),
            ..Default::default()
        }];
        assert_eq!(
            parse_values(&values, PeriodType::Month, find).map_err(|e| (e.field, e.key)),
            Err((
                "values[0].definition".to_string(),
                "error.kpi_period_not_allowed"
            ))
        );
        let parsed = parse_values(&values, PeriodType::Year, find).expect("valid");
        assert_eq!(parsed[0].value, Some(9200));
    }

    #[test]
    fn the_catalogue_codes_are_unique_and_valid_inputs() {
        let catalogue = builtin_catalogue();
        let mut codes: Vec<&str> = catalogue.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), catalogue.len());
        for d in &catalogue {
            let input = KpiDefinitionInput {
                code: d.code.clone(),
                name_zh: d.name_zh.clone(),
                name_en: d.name_en.clone(),
                unit: d.unit.clone(),
                direction: d.direction.code().into(),
                value_kind: d.value_kind.code().into(),
                scale: Some(d.scale),
                period_types: d.period_types.iter().map(|p| p.code().into()).collect(),
                description: None,
            };
            let parsed = input.parse().expect("builtin is a valid input");
            assert_eq!(
                parsed,
                KpiDefinition {
                    builtin: false,
                    ..d.clone()
                }
            );
        }
    }

    #[test]
    fn reopening_and_returning_need_a_reason() {
        let none = KpiTransitionInput::default();
        assert!(none.parse(ReportAction::Reopen).is_err());
        assert!(none.parse(ReportAction::Return).is_err());
        let blank = KpiTransitionInput {
            reason: Some("   ".into()),
        };
        assert_eq!(
            blank.parse(ReportAction::Reopen).map_err(|e| e.key),
            Err("error.kpi_reason_required")
        );
        assert_eq!(none.parse(ReportAction::Approve), Ok(None));
    }

    /// A report as the rules see it, driven by random steps.
    #[derive(Debug, Clone)]
    struct Sheet {
        state: ReportState,
        values: BTreeMap<u8, i64>,
    }

    #[derive(Debug, Clone)]
    enum Step {
        Edit(u8, i64),
        Act(ReportAction, Option<String>),
    }

    impl Sheet {
        fn apply(&mut self, step: &Step) -> bool {
            match step {
                Step::Edit(k, v) => {
                    if ensure_editable(self.state).is_err() {
                        return false;
                    }
                    self.values.insert(*k, *v);
                    true
                }
                Step::Act(action, reason) => {
                    let input = KpiTransitionInput {
                        reason: reason.clone(),
                    };
                    let (Ok(_), Some(next)) =
                        (input.parse(*action), transition(self.state, *action))
                    else {
                        return false;
                    };
                    self.state = next;
                    true
                }
            }
        }
    }

    fn arb_step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u8..4, -1000i64..1000).prop_map(|(k, v)| Step::Edit(k, v)),
            (
                prop::sample::select(ReportAction::ALL.to_vec()),
                prop::option::of(prop::sample::select(vec!["", "  ", "数据录入有误"]))
            )
                .prop_map(|(a, r)| Step::Act(a, r.map(str::to_string))),
        ]
    }

    proptest! {
        #[test]
        fn nothing_changes_a_value_in_an_approved_period(steps in prop::collection::vec(arb_step(), 0..40)) {
            let mut sheet = Sheet { state: ReportState::Draft, values: BTreeMap::new() };
            for step in &steps {
                let before = sheet.clone();
                let applied = sheet.apply(step);
                if matches!(before.state, ReportState::Approved | ReportState::Submitted)
                    && matches!(step, Step::Edit(..))
                {
                    prop_assert!(!applied);
                    prop_assert_eq!(&before.values, &sheet.values);
                }
                if before.state == ReportState::Approved {
                    // Only a reopen with a real reason leaves the approved state.
                    if sheet.state != ReportState::Approved {
                        let reopened_with_reason = matches!(step, Step::Act(ReportAction::Reopen, Some(r)) if !r.trim().is_empty());
                        prop_assert!(reopened_with_reason);
                        prop_assert_eq!(sheet.state, ReportState::Reopened);
                    }
                    prop_assert_eq!(&before.values, &sheet.values);
                }
            }
        }

        #[test]
        fn reopen_never_succeeds_without_a_reason(reason in prop::option::of("[ \t]{0,5}")) {
            let input = KpiTransitionInput { reason };
            prop_assert!(input.parse(ReportAction::Reopen).is_err());
        }

        #[test]
        fn scaled_values_round_trip(v in -MAX_SCALED..=MAX_SCALED, scale in 0i64..=MAX_SCALE) {
            prop_assert_eq!(parse_scaled("v", &format_scaled(v, scale), scale), Ok(v));
        }

        #[test]
        fn period_keys_round_trip(year in 1990i32..=2100, m in 1u32..=12, q in 1u32..=4) {
            for key in [format!("{year}"), format!("{year}-{m:02}"), format!("{year}-Q{q}")] {
                let p = Period::parse("p", &key);
                prop_assert_eq!(p.map(|p| p.key()), Ok(key));
            }
        }
    }
}
