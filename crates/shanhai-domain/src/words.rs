//! How data written in Chinese reads on an English page: the units of measure that KPI
//! definitions and figures carry ("天", "例", "人次" …) with their plurals, and the honours
//! people hold. What is not known here is shown as written (a name stays a name).

use crate::Lang;

/// (Chinese unit, English singular, English plural); an empty English word means none is
/// written (a bare number).
const UNITS: &[(&str, &str, &str)] = &[
    ("天", "day", "days"),
    ("日", "day", "days"),
    ("人日", "person-day", "person-days"),
    ("例", "case", "cases"),
    ("人次", "visit", "visits"),
    ("人", "person", "people"),
    ("名", "person", "people"),
    ("次", "time", "times"),
    ("项", "item", "items"),
    ("个", "", ""),
    ("家", "institution", "institutions"),
    ("台", "unit", "units"),
    ("篇", "paper", "papers"),
    ("批", "batch", "batches"),
    ("批次", "batch", "batches"),
    ("元", "yuan", "yuan"),
    ("万元", "×10,000 yuan", "×10,000 yuan"),
    ("小时", "hour", "hours"),
    ("分钟", "minute", "minutes"),
];

/// A unit written after a number: in Chinese as it is, right after the number ("8.92天"); in
/// English after a space, singular for exactly one ("1 case", "8.92 days"), and symbols such
/// as "%" stay attached ("92%").
pub fn unit_after(unit: &str, value: f64, lang: Lang) -> String {
    let unit = unit.trim();
    if unit.is_empty() {
        return String::new();
    }
    match lang {
        Lang::Zh => unit.to_string(),
        Lang::En => match UNITS.iter().find(|(zh, _, _)| *zh == unit) {
            Some((_, one, many)) => {
                let word = if value == 1.0 { one } else { many };
                if word.is_empty() {
                    String::new()
                } else {
                    format!(" {word}")
                }
            }
            None if unit.chars().all(|c| !c.is_alphanumeric()) => unit.to_string(),
            None => format!(" {unit}"),
        },
    }
}

/// A unit named on its own (a column heading, a caption): English plural.
pub fn unit_name(unit: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => unit.trim().to_string(),
        Lang::En => unit_after(unit, 2.0, lang).trim().to_string(),
    }
}

const HONOURS: &[(&str, &str)] = &[
    ("中国科学院院士", "Academician, Chinese Academy of Sciences"),
    (
        "中国工程院院士",
        "Academician, Chinese Academy of Engineering",
    ),
    ("院士", "Academician"),
    (
        "国务院政府特殊津贴专家",
        "State Council special allowance expert",
    ),
    ("中原学者", "Central Plains Scholar"),
    ("天山英才", "Tianshan Talent"),
    ("国家级名老中医", "National master of Chinese medicine"),
    ("全国名中医", "National master of Chinese medicine"),
    ("国医大师", "Master of Chinese medicine"),
    ("长江学者", "Changjiang Scholar"),
    (
        "国家杰出青年科学基金获得者",
        "National Science Fund for Distinguished Young Scholars",
    ),
    (
        "享受国务院政府特殊津贴",
        "State Council special allowance expert",
    ),
];

/// The honours the platform knows by name: `(Chinese, English)`, in the order listed.
pub fn honours() -> &'static [(&'static str, &'static str)] {
    HONOURS
}

/// An honour as the page's language reads it.
pub fn honour(h: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => h.to_string(),
        Lang::En => HONOURS
            .iter()
            .find(|(zh, _)| *zh == h.trim())
            .map(|(_, en)| en.to_string())
            .unwrap_or_else(|| h.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_naturally_in_both_languages() {
        assert_eq!(unit_after("天", 8.92, Lang::Zh), "天");
        assert_eq!(unit_after("天", 8.92, Lang::En), " days");
        assert_eq!(unit_after("例", 1.0, Lang::En), " case");
        assert_eq!(unit_after("人次", 3.0, Lang::En), " visits");
        assert_eq!(unit_after("%", 92.0, Lang::En), "%");
        assert_eq!(unit_after("", 3.0, Lang::En), "");
        assert_eq!(unit_after("个", 3.0, Lang::En), "");
        assert_eq!(unit_after("beds", 3.0, Lang::En), " beds");
        assert_eq!(unit_name("人次", Lang::En), "visits");
        assert_eq!(
            honour("国务院政府特殊津贴专家", Lang::En),
            "State Council special allowance expert"
        );
        assert_eq!(honour("某某荣誉", Lang::En), "某某荣誉");
    }
}
