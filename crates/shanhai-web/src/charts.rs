//! Charts drawn on the server as SVG: trends, bars (drill-down), composition and KPI
//! before/after. They are pictures in the page (and in print), legible in Chinese, with each
//! mark's exact value in a `<title>` and, where there are records behind it, a link to them.

use std::fmt::Write;

/// Chinese-first sans-serif fonts, then whatever the reader has.
pub const FONT: &str = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif";

/// Colours that stay apart for colour-blind readers and in greyscale print (Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// Text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `12345` → `12,345`; large values shortened for axis ticks (`1.2万`, `3.4亿`).
fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a >= 1e8 {
        format!("{}亿", trim(v / 1e8))
    } else if a >= 1e4 {
        format!("{}万", trim(v / 1e4))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A "nice" axis top and step covering `max` with about `n` ticks.
fn nice_axis(max: f64, n: usize) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 1.0);
    }
    let raw = max / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let step = if step < 1.0 { 1.0 } else { step };
    ((max / step).ceil() * step, step)
}

fn open(w: f64, h: f64, label: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{}" class="chart" font-family="{FONT}" font-size="12">"#,
        esc(label)
    )
}

fn empty(label: &str, message: &str) -> String {
    let mut s = open(600.0, 80.0, label);
    let _ = write!(
        s,
        r##"<text x="300" y="44" text-anchor="middle" fill="#6b7280">{}</text></svg>"##,
        esc(message)
    );
    s
}

/// At most `n` characters, with an ellipsis when cut.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        s.chars().take(n - 1).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}

/// One point of a trend.
#[derive(Debug, Clone)]
pub struct Point {
    pub label: String,
    pub value: i64,
}

/// One line (or column series) of a trend.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<Point>,
}

/// Columns over time for one series; lines with dots for several (sharing the x labels of the
/// first). `empty_message` shows when there is nothing to draw.
pub fn trend(label: &str, series: &[Series], empty_message: &str) -> String {
    let n = series.first().map_or(0, |s| s.points.len());
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.value))
        .max()
        .unwrap_or(0);
    if n == 0 || max <= 0 {
        return empty(label, empty_message);
    }
    let (w, h) = (600.0, 270.0);
    let (left, right, top, bottom) = (56.0, 12.0, if series.len() > 1 { 34.0 } else { 14.0 }, 40.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let (ymax, step) = nice_axis(max as f64, 5);
    let y = |v: f64| top + ph - v / ymax * ph;
    let slot = pw / n as f64;
    let x = |i: usize| left + slot * (i as f64 + 0.5);
    let mut s = open(w, h, label);
    // Grid and y ticks.
    let mut t = 0.0;
    while t <= ymax + step / 2.0 {
        let yy = y(t);
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{yy:.1}" x2="{}" y2="{yy:.1}" stroke="#e5e7eb"/><text x="{}" y="{:.1}" text-anchor="end" fill="#6b7280">{}</text>"##,
            w - right,
            left - 6.0,
            yy + 4.0,
            tick_label(t)
        );
        t += step;
    }
    // X labels, thinned to about 12.
    let every = n.div_ceil(12).max(1);
    for (i, p) in series[0].points.iter().enumerate() {
        let last = i + 1 == n && (n - 1) % every >= every.div_ceil(2);
        if i % every == 0 || last {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#374151">{}</text>"##,
                x(i),
                h - bottom + 18.0,
                esc(&p.label)
            );
        }
    }
    if series.len() == 1 {
        let bw = (slot * 0.7).max(1.0);
        for (i, p) in series[0].points.iter().enumerate() {
            let top_y = y(p.value as f64);
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{top_y:.1}" width="{bw:.1}" height="{:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                x(i) - bw / 2.0,
                (top + ph - top_y).max(0.0),
                PALETTE[0],
                esc(&series[0].name),
                esc(&p.label),
                shanhai_domain::indicators::group_thousands(p.value)
            );
        }
    } else {
        for (k, line) in series.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let path: Vec<String> = line
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.value as f64)))
                .collect();
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                path.join(" ")
            );
            for (i, p) in line.points.iter().enumerate() {
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} {}: {}</title></circle>"#,
                    x(i),
                    y(p.value as f64),
                    esc(&line.name),
                    esc(&p.label),
                    shanhai_domain::indicators::group_thousands(p.value)
                );
            }
            // Legend along the top.
            let lx = left + k as f64 * 150.0;
            let _ = write!(
                s,
                r##"<rect x="{lx}" y="8" width="12" height="12" fill="{colour}"/><text x="{}" y="18" fill="#111827">{}</text>"##,
                lx + 16.0,
                esc(&line.name)
            );
        }
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="#9ca3af"/></svg>"##,
        top + ph,
        w - right,
        top + ph
    );
    s
}

/// One bar: a label, its value, and where its records (or the next level down) are.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub href: Option<String>,
}

/// Horizontal bars, largest first as given; each bar links to `href` when there is one.
pub fn bars(label: &str, items: &[Bar], unit: &str, empty_message: &str) -> String {
    let max = items.iter().map(|b| b.value).max().unwrap_or(0);
    if items.is_empty() || max <= 0 {
        return empty(label, empty_message);
    }
    let row = 26.0;
    let (w, label_w, value_w) = (600.0, 170.0, 100.0);
    let h = row * items.len() as f64 + 8.0;
    let pw = w - label_w - value_w;
    let mut s = open(w, h, label);
    for (i, b) in items.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let bw = (b.value.max(0) as f64 / max as f64 * pw).max(if b.value > 0 { 1.0 } else { 0.0 });
        let text = shanhai_domain::indicators::group_thousands(b.value);
        let shown = shorten(&b.label, 13);
        let mut mark = format!(
            r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#111827">{}</text><rect x="{label_w}" y="{:.1}" width="{bw:.1}" height="{:.1}" rx="2" fill="{}"/><text x="{:.1}" y="{:.1}" fill="#374151">{text} {}</text><title>{}: {text} {}</title>"##,
            label_w - 8.0,
            y + row / 2.0 + 4.0,
            esc(&shown),
            y + 4.0,
            row - 8.0,
            PALETTE[0],
            label_w + bw + 6.0,
            y + row / 2.0 + 4.0,
            esc(unit),
            esc(&b.label),
            esc(unit),
        );
        if let Some(href) = &b.href {
            mark = format!(
                r#"<a href="{}" class="chart-link" data-testid="chart-link" data-value="{}">{mark}</a>"#,
                esc(href),
                b.value
            );
        }
        s.push_str(&mark);
    }
    s.push_str("</svg>");
    s
}

/// Parts of a whole as a ring with a legend (each part's share and count).
pub fn donut(label: &str, parts: &[Bar], empty_message: &str) -> String {
    let total: i64 = parts.iter().map(|p| p.value.max(0)).sum();
    if total <= 0 {
        return empty(label, empty_message);
    }
    let (w, h) = (440.0, 200.0);
    let (cx, cy, r, inner) = (100.0, 100.0, 84.0, 50.0);
    let mut s = open(w, h, label);
    let mut angle = -std::f64::consts::FRAC_PI_2;
    for (i, p) in parts.iter().enumerate().filter(|(_, p)| p.value > 0) {
        let colour = PALETTE[i % PALETTE.len()];
        let share = p.value as f64 / total as f64;
        let title = format!(
            "{}: {} ({:.1}%)",
            p.label,
            shanhai_domain::indicators::group_thousands(p.value),
            share * 100.0
        );
        if share >= 0.9999 {
            let _ = write!(
                s,
                r#"<circle cx="{cx}" cy="{cy}" r="{:.1}" fill="none" stroke="{colour}" stroke-width="{:.1}"><title>{}</title></circle>"#,
                (r + inner) / 2.0,
                r - inner,
                esc(&title)
            );
        } else {
            let a2 = angle + share * std::f64::consts::TAU;
            let large = if share > 0.5 { 1 } else { 0 };
            let (x1, y1) = (cx + r * angle.cos(), cy + r * angle.sin());
            let (x2, y2) = (cx + r * a2.cos(), cy + r * a2.sin());
            let (x3, y3) = (cx + inner * a2.cos(), cy + inner * a2.sin());
            let (x4, y4) = (cx + inner * angle.cos(), cy + inner * angle.sin());
            let _ = write!(
                s,
                r#"<path d="M{x1:.2},{y1:.2} A{r},{r} 0 {large} 1 {x2:.2},{y2:.2} L{x3:.2},{y3:.2} A{inner},{inner} 0 {large} 0 {x4:.2},{y4:.2} Z" fill="{colour}"><title>{}</title></path>"#,
                esc(&title)
            );
            angle = a2;
        }
        let ly = 24.0 + 22.0 * i as f64;
        let _ = write!(
            s,
            r##"<rect x="210" y="{:.1}" width="12" height="12" fill="{colour}"/><text x="228" y="{ly:.1}" fill="#111827">{} · {} ({:.0}%)</text>"##,
            ly - 10.0,
            esc(&shorten(&p.label, 16)),
            shanhai_domain::indicators::group_thousands(p.value),
            share * 100.0
        );
    }
    let _ = write!(
        s,
        r##"<text x="{cx}" y="{}" text-anchor="middle" font-size="16" font-weight="600" fill="#111827">{}</text></svg>"##,
        cy + 6.0,
        shanhai_domain::indicators::group_thousands(total)
    );
    s
}

/// A reported KPI: where it started, where it is, and where it should get to.
#[derive(Debug, Clone)]
pub struct KpiRow {
    pub name: String,
    pub unit: String,
    pub baseline: Option<f64>,
    pub latest: Option<f64>,
    pub target: Option<f64>,
    pub higher_is_better: bool,
    /// Whether latest improved on baseline in the KPI's direction.
    pub improved: Option<bool>,
    pub baseline_label: String,
    pub latest_label: String,
    pub target_label: String,
}

/// One row per KPI on its own scale: baseline (hollow), latest (filled, green when better,
/// red when worse), target (a tick), an arrow from baseline to latest.
pub fn kpi_before_after(
    label: &str,
    rows: &[KpiRow],
    legend: [&str; 3],
    empty_message: &str,
) -> String {
    if rows.is_empty() {
        return empty(label, empty_message);
    }
    let row = 40.0;
    let (w, label_w, right) = (760.0, 280.0, 150.0);
    let h = row * rows.len() as f64 + 34.0;
    let pw = w - label_w - right;
    let mut s = open(w, h, label);
    // Legend.
    let _ = write!(
        s,
        r##"<circle cx="{}" cy="12" r="5" fill="#fff" stroke="#6b7280" stroke-width="2"/><text x="{}" y="16" fill="#374151">{}</text><circle cx="{}" cy="12" r="5" fill="#009E73"/><text x="{}" y="16" fill="#374151">{}</text><line x1="{}" y1="5" x2="{}" y2="19" stroke="#111827" stroke-width="2"/><text x="{}" y="16" fill="#374151">{}</text>"##,
        label_w,
        label_w + 10.0,
        esc(legend[0]),
        label_w + 110.0,
        label_w + 120.0,
        esc(legend[1]),
        label_w + 220.0,
        label_w + 220.0,
        label_w + 228.0,
        esc(legend[2]),
    );
    for (i, k) in rows.iter().enumerate() {
        let y = 34.0 + row * i as f64 + row / 2.0;
        let values: Vec<f64> = [k.baseline, k.latest, k.target]
            .into_iter()
            .flatten()
            .collect();
        let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if values.is_empty() {
            (0.0, 1.0)
        } else if (hi - lo).abs() < f64::EPSILON {
            (lo - 1.0, hi + 1.0)
        } else {
            let pad = (hi - lo) * 0.12;
            (lo - pad, hi + pad)
        };
        let x = |v: f64| label_w + (v - lo) / (hi - lo) * pw;
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#111827">{}</text><line x1="{label_w}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e5e7eb" stroke-width="6" stroke-linecap="round"/>"##,
            label_w - 10.0,
            y + 4.0,
            esc(&shorten(&k.name, 22)),
            label_w + pw,
        );
        if let Some(t) = k.target {
            let _ = write!(
                s,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#111827" stroke-width="2"><title>{}</title></line>"##,
                x(t),
                y - 11.0,
                x(t),
                y + 11.0,
                esc(&format!("{} {}", legend[2], k.target_label))
            );
        }
        let colour = match k.improved {
            Some(true) => "#009E73",
            Some(false) => "#D55E00",
            None => "#0072B2",
        };
        if let (Some(b), Some(l)) = (k.baseline, k.latest) {
            let _ = write!(
                s,
                r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="4 3"/>"#,
                x(b),
                x(l)
            );
        }
        if let Some(b) = k.baseline {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{y:.1}" r="6" fill="#fff" stroke="#6b7280" stroke-width="2"><title>{}</title></circle>"##,
                x(b),
                esc(&format!("{} {}", legend[0], k.baseline_label))
            );
        }
        if let Some(l) = k.latest {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{y:.1}" r="7" fill="{colour}"><title>{}</title></circle>"#,
                x(l),
                esc(&format!("{} {}", legend[1], k.latest_label))
            );
        }
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" fill="#374151">{} → {}{}</text>"##,
            label_w + pw + 14.0,
            y + 4.0,
            esc(&k.baseline_label),
            esc(&k.latest_label),
            esc(&k.unit)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        let opens = svg.matches("<svg").count();
        assert_eq!(opens, 1);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn charts_escape_labels_and_never_draw_nan() {
        let b = [
            Bar {
                label: "<昭通>&".into(),
                value: 3,
                href: Some("/x?a=1&b=2".into()),
            },
            Bar {
                label: "大关县人民医院".into(),
                value: 0,
                href: None,
            },
        ];
        let svg = bars("t", &b, "例", "无");
        well_formed(&svg);
        assert!(svg.contains("&lt;昭通&gt;&amp;") && svg.contains("/x?a=1&amp;b=2"));
        well_formed(&donut("d", &b, "无"));
        well_formed(&donut("d", &b[..1], "无"));
        let s = Series {
            name: "会诊".into(),
            points: (1..=30)
                .map(|i| Point {
                    label: format!("2024-{i:02}"),
                    value: i * 7,
                })
                .collect(),
        };
        well_formed(&trend("t", std::slice::from_ref(&s), "无"));
        well_formed(&trend("t", &[s.clone(), s], "无"));
        let k = KpiRow {
            name: "首考通过率".into(),
            unit: "%".into(),
            baseline: Some(20.0),
            latest: Some(92.0),
            target: Some(90.0),
            higher_is_better: true,
            improved: Some(true),
            baseline_label: "20".into(),
            latest_label: "92".into(),
            target_label: "90".into(),
        };
        let same = KpiRow {
            baseline: Some(5.0),
            latest: Some(5.0),
            target: None,
            ..k.clone()
        };
        well_formed(&kpi_before_after(
            "k",
            &[k, same],
            ["基线", "最新", "目标"],
            "无",
        ));
    }

    #[test]
    fn empty_charts_say_so() {
        assert!(bars("t", &[], "例", "暂无数据").contains("暂无数据"));
        assert!(trend("t", &[], "暂无数据").contains("暂无数据"));
    }

    #[test]
    fn axes_are_round() {
        assert_eq!(nice_axis(93.0, 5), (100.0, 20.0));
        assert_eq!(nice_axis(5600.0, 5), (6000.0, 2000.0));
        assert_eq!(tick_label(25000.0), "2.5万");
    }
}
