//! The Corporate Parenting monthly performance report: the scorecard of one authority and month
//! with 13 months of series, rendered as a terminal table, a self-contained HTML page (indicator
//! table by section, then one inline-SVG trend chart per section), CSV or JSON.
//!
//! [`fetch`] asks a running server; everything else is pure rendering.

use std::collections::BTreeSet;

use anyhow::{Context, anyhow};
use caseflow_domain::Month;
use caseflow_proto::v1;
use serde::Serialize;

/// What the report shows: the scorecard and, per indicator of it, the 13 months ending at the
/// scorecard's month (11.5, reported per team group, has one series over all groups).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportData {
    pub scorecard: v1::Scorecard,
    pub series: Vec<v1::GetSeriesResponse>,
}

/// How [`render`] writes the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text, one table per section (no colours; see [`render_table`]).
    Table,
    /// One self-contained HTML page with inline CSS and SVG charts.
    Html,
    /// One row per scorecard row (RFC 4180).
    Csv,
    /// The scorecard by section, with each indicator's monthly values.
    Json,
}

/// Asks the server at `grpc` (e.g. `http://127.0.0.1:50051`) for the scorecard of `la` and
/// `month` (`YYYY-MM`; `None`: the last complete month) and each indicator's 13-month series.
pub async fn fetch(grpc: &str, la: &str, month: Option<&str>) -> anyhow::Result<ReportData> {
    let mut figures = v1::figures_client::FiguresClient::connect(grpc.to_owned())
        .await
        .with_context(|| format!("cannot reach caseflow at {grpc}"))?;
    let scorecard = figures
        .get_scorecard(v1::GetScorecardRequest {
            la: la.to_owned(),
            month: month.unwrap_or_default().to_owned(),
            ..Default::default()
        })
        .await
        .with_context(|| format!("GetScorecard for authority {la}"))?
        .into_inner();
    let to: Month = scorecard
        .month
        .parse()
        .map_err(|e| anyhow!("the server answered a scorecard month {e}"))?;
    let from = to.plus(-12);
    let mut series = Vec::new();
    let mut seen = BTreeSet::new();
    for row in &scorecard.rows {
        let id = info(row).id.clone();
        if !seen.insert(id.clone()) {
            continue;
        }
        let s = figures
            .get_series(v1::GetSeriesRequest {
                la: la.to_owned(),
                indicator: id.clone(),
                from_month: from.to_string(),
                to_month: to.to_string(),
                ..Default::default()
            })
            .await
            .with_context(|| format!("GetSeries of {id} for authority {la}"))?
            .into_inner();
        series.push(s);
    }
    Ok(ReportData { scorecard, series })
}

/// Renders the report. [`Format::Table`] is plain text; [`render_table`] can add colours.
pub fn render(data: &ReportData, format: Format) -> String {
    match format {
        Format::Table => render_table(data, false),
        Format::Html => render_html(data),
        Format::Csv => render_csv(data),
        Format::Json => render_json(data),
    }
}

// ---------------------------------------------------------------------------------------------
// The report's model: sections, months, cells.

/// A section of the report: the indicators whose id starts `key.`.
struct Section<'a> {
    key: String,
    name: String,
    rows: Vec<&'a v1::ScorecardRow>,
}

fn section_name(key: &str) -> String {
    match key {
        "6" => "LOOKED AFTER CHILDREN".to_owned(),
        "7" => "CARE LEAVERS".to_owned(),
        "8" => "PLACEMENTS".to_owned(),
        "9" => "FOSTERING".to_owned(),
        "10" => "ADOPTIONS".to_owned(),
        "11" => "SOCIAL WORKER CASELOADS".to_owned(),
        other => format!("INDICATORS {other}.x"),
    }
}

fn sections(card: &v1::Scorecard) -> Vec<Section<'_>> {
    let mut out: Vec<Section<'_>> = Vec::new();
    for row in &card.rows {
        let id = &info(row).id;
        let key = id.split('.').next().unwrap_or_default().to_owned();
        match out.iter_mut().find(|s| s.key == key) {
            Some(s) => s.rows.push(row),
            None => out.push(Section {
                name: section_name(&key),
                key,
                rows: vec![row],
            }),
        }
    }
    out
}

static NO_INFO: v1::IndicatorInfo = v1::IndicatorInfo {
    id: String::new(),
    title: String::new(),
    polarity: String::new(),
    basis: String::new(),
    unit: String::new(),
};

fn info(row: &v1::ScorecardRow) -> &v1::IndicatorInfo {
    row.indicator.as_ref().unwrap_or(&NO_INFO)
}

/// The 13 months ending at the scorecard's month, `YYYY-MM`.
fn report_months(data: &ReportData) -> Vec<String> {
    match data.scorecard.month.parse::<Month>() {
        Ok(m) => (-12..=0).map(|k| m.plus(k).to_string()).collect(),
        Err(_) => {
            let all: BTreeSet<&str> = data
                .series
                .iter()
                .flat_map(|s| s.months.iter().map(|m| m.month.as_str()))
                .collect();
            let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
            all[all.len().saturating_sub(13)..].to_vec()
        }
    }
}

const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const LONG_MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "2018-05" as "May-18", as the report's columns.
fn month_label(month: &str) -> String {
    match month.parse::<Month>() {
        Ok(m) => format!(
            "{}-{:02}",
            MONTH_NAMES[usize::from(m.number() - 1)],
            m.year().rem_euclid(100)
        ),
        Err(_) => month.to_owned(),
    }
}

/// "2018-05" as "May 2018".
fn month_long(month: &str) -> String {
    match month.parse::<Month>() {
        Ok(m) => format!(
            "{} {}",
            LONG_MONTH_NAMES[usize::from(m.number() - 1)],
            m.year()
        ),
        Err(_) => month.to_owned(),
    }
}

/// The four financial years of the annual trend, oldest first.
fn trend_years(card: &v1::Scorecard) -> Vec<String> {
    let start = card
        .financial_year
        .split('/')
        .next()
        .and_then(|y| y.parse::<i32>().ok());
    match start {
        Some(y) => (1..=4)
            .rev()
            .map(|k| format!("{}/{:02}", y - k, (y - k + 1).rem_euclid(100)))
            .collect(),
        None => {
            let years: BTreeSet<&str> = card
                .rows
                .iter()
                .flat_map(|r| r.trend.iter().map(|t| t.year.as_str()))
                .collect();
            years.into_iter().map(str::to_owned).collect()
        }
    }
}

fn series_of<'a>(data: &'a ReportData, id: &str) -> Option<&'a v1::GetSeriesResponse> {
    data.series
        .iter()
        .find(|s| s.indicator.as_ref().is_some_and(|i| i.id == id))
}

/// A row's value in `month`: the scorecard's own for its month and the month before, else the
/// series (not for rows of one team group: the series is over all groups).
fn row_value(data: &ReportData, row: &v1::ScorecardRow, month: &str) -> Option<f64> {
    for m in [&row.current, &row.previous].into_iter().flatten() {
        if m.month == month {
            return m.value;
        }
    }
    if !row.group.is_empty() {
        return None;
    }
    series_of(data, &info(row).id)?
        .months
        .iter()
        .find(|m| m.month == month)
        .and_then(|m| m.value)
}

/// A value as the report shows it: percentages with one decimal and `%`, counts whole, other
/// units (rates, average days, average cases) with one decimal; no value as `-`.
fn show(unit: &str, v: Option<f64>) -> String {
    match v {
        None => "-".to_owned(),
        Some(v) if !v.is_finite() => "-".to_owned(),
        Some(v) => match unit {
            "percent" => format!("{v:.1}%"),
            "count" => format!("{v:.0}"),
            _ => format!("{v:.1}"),
        },
    }
}

/// A value for CSV: as shown, without `%`; no value as empty.
fn plain(unit: &str, v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => match unit {
            "count" => format!("{v:.0}"),
            _ => format!("{v:.1}"),
        },
        _ => String::new(),
    }
}

/// A threshold: at most one decimal, none when whole; `%` for percentages.
fn threshold(unit: &str, v: f64) -> String {
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s).to_owned();
    if unit == "percent" { s + "%" } else { s }
}

fn polarity_label(p: &str) -> &'static str {
    match p {
        "info" => "Info",
        "high" => "High",
        "low" => "Low",
        "within_range" => "Range",
        _ => "",
    }
}

fn unit_label(u: &str) -> &'static str {
    match u {
        "count" => "Count",
        "percent" => "Percentage",
        "rate_per_10000" => "Rate per 10,000",
        "average_days" => "Average days",
        "average_count" => "Average count",
        _ => "",
    }
}

fn basis_label(b: &str) -> &'static str {
    match b {
        "month_end" => "As at month end",
        "in_month" => "In month; YTD",
        "rolling_12_months" => "Rolling 12 months",
        "ytd_average" => "YTD average",
        "term_end" => "Termly",
        _ => "",
    }
}

/// The direction of travel as the report draws it: ↑ an improvement (or, for information
/// indicators, an increase), ↓ a decline (or a decrease), → no movement, – not comparable.
/// Returns the arrow and its class: improved, declined, same, info or none.
fn dot(row: &v1::ScorecardRow) -> (&'static str, &'static str) {
    match row.judgement.as_str() {
        "improved" => ("↑", "improved"),
        "declined" => ("↓", "declined"),
        "no_movement" => ("→", "same"),
        _ => match row.direction.as_str() {
            "up" => ("↑", "info"),
            "down" => ("↓", "info"),
            "same" => ("→", "same"),
            _ => ("–", "none"),
        },
    }
}

/// The thresholds the RAG used, as the report's Red / Amber / Target Green columns.
fn thresholds(row: &v1::ScorecardRow) -> [String; 3] {
    let i = info(row);
    let u = i.unit.as_str();
    let Some(t) = &row.thresholds else {
        let green = if i.polarity == "info" {
            "n/a"
        } else {
            "not set"
        };
        return [String::new(), String::new(), green.to_owned()];
    };
    match i.polarity.as_str() {
        "high" => match (t.green, t.amber) {
            (Some(g), Some(a)) => [
                format!("<{}", threshold(u, a)),
                format!("{}+", threshold(u, a)),
                format!("{}+", threshold(u, g)),
            ],
            (Some(g), None) => [
                format!("<{}", threshold(u, g)),
                String::new(),
                format!("{}+", threshold(u, g)),
            ],
            _ => [String::new(), String::new(), "not set".to_owned()],
        },
        "low" => match (t.green, t.amber) {
            (Some(g), Some(a)) => [
                format!(">{}", threshold(u, a)),
                format!("≤{}", threshold(u, a)),
                format!("≤{}", threshold(u, g)),
            ],
            (Some(g), None) => [
                format!(">{}", threshold(u, g)),
                String::new(),
                format!("≤{}", threshold(u, g)),
            ],
            _ => [String::new(), String::new(), "not set".to_owned()],
        },
        "within_range" => match (t.range_low, t.range_high) {
            (Some(lo), Some(hi)) => {
                let tol = threshold("", t.range_tolerance_percent.unwrap_or(1.0));
                [
                    format!(">{tol}% above"),
                    format!("≤{tol}% above"),
                    format!("{}–{}", threshold(u, lo), threshold(u, hi)),
                ]
            }
            _ => [String::new(), String::new(), "not set".to_owned()],
        },
        _ => [String::new(), String::new(), "n/a".to_owned()],
    }
}

fn benchmarks(row: &v1::ScorecardRow) -> [Option<f64>; 4] {
    match &row.benchmarks {
        Some(b) => [
            b.stat_neighbour_average,
            b.best_stat_neighbour,
            b.national_average,
            b.national_top_quartile,
        ],
        None => [None; 4],
    }
}

fn trend_value(row: &v1::ScorecardRow, year: &str) -> Option<f64> {
    row.trend
        .iter()
        .find(|t| t.year == year)
        .and_then(|t| t.value)
}

fn rag_label(rag: &str) -> &'static str {
    match rag {
        "red" => "Red",
        "amber" => "Amber",
        "green" => "Green",
        _ => "",
    }
}

/// A title cut to `width` characters, with the team group (if any) kept.
fn row_title(row: &v1::ScorecardRow, width: usize) -> String {
    let title = &info(row).title;
    if row.group.is_empty() {
        truncate(title, width)
    } else {
        let suffix = format!(" ({})", row.group);
        let room = width.saturating_sub(suffix.chars().count());
        truncate(title, room) + &suffix
    }
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else if width == 0 {
        String::new()
    } else {
        s.chars().take(width - 1).collect::<String>() + "…"
    }
}

// ---------------------------------------------------------------------------------------------
// Table.

fn pad_left(s: &str, width: usize) -> String {
    let n = s.chars().count();
    " ".repeat(width.saturating_sub(n)) + s
}

fn pad_right(s: &str, width: usize) -> String {
    let n = s.chars().count();
    s.to_owned() + &" ".repeat(width.saturating_sub(n))
}

const TITLE_WIDTH: usize = 46;

/// The report as aligned text, one table per section; `colour` adds ANSI colours to the RAG and
/// the direction of travel (for a terminal).
pub fn render_table(data: &ReportData, colour: bool) -> String {
    let card = &data.scorecard;
    let months = report_months(data);
    let shown: Vec<&String> = months.iter().rev().take(3).rev().collect();
    let paint = |code: &str, s: String| {
        if colour && !code.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    };
    let mut out = format!(
        "Corporate Parenting monthly performance report: authority {}, {} (financial year {})\n",
        card.la,
        month_long(&card.month),
        card.financial_year
    );
    let mut header = format!(
        "{} {} {}",
        pad_right("No.", 5),
        pad_right("Indicator", TITLE_WIDTH),
        pad_right("Good", 5)
    );
    for m in &shown {
        header.push_str(&pad_left(&month_label(m), 9));
    }
    header.push_str(&pad_left("YTD", 9));
    header.push_str(&format!(
        "  {} {} {}",
        pad_right("DOT", 3),
        pad_right("RAG", 6),
        pad_left("Target", 10)
    ));
    for b in ["SN ave", "Best SN", "Nat ave", "Nat TQ"] {
        header.push_str(&pad_left(b, 9));
    }
    for section in sections(card) {
        out.push('\n');
        out.push_str(&paint("1", section.name.clone()));
        out.push('\n');
        out.push_str(&paint("2", header.clone()));
        out.push('\n');
        for row in &section.rows {
            let i = info(row);
            let mut line = format!(
                "{} {} {}",
                pad_right(&i.id, 5),
                pad_right(&row_title(row, TITLE_WIDTH), TITLE_WIDTH),
                pad_right(polarity_label(&i.polarity), 5)
            );
            for m in &shown {
                line.push_str(&pad_left(&show(&i.unit, row_value(data, row, m)), 9));
            }
            let ytd = row.current.as_ref().and_then(|c| c.ytd_value);
            line.push_str(&pad_left(&show(&i.unit, ytd), 9));
            let (arrow, class) = dot(row);
            let dot_colour = match class {
                "improved" => "32",
                "declined" => "31",
                _ => "",
            };
            let rag_colour = match row.rag.as_str() {
                "red" => "1;31",
                "amber" => "1;33",
                "green" => "1;32",
                _ => "",
            };
            line.push_str("  ");
            line.push_str(&paint(dot_colour, pad_right(arrow, 3)));
            line.push(' ');
            line.push_str(&paint(
                rag_colour,
                pad_right(&rag_label(&row.rag).to_uppercase(), 6),
            ));
            let [_, _, target] = thresholds(row);
            line.push(' ');
            line.push_str(&pad_left(&target, 10));
            for b in benchmarks(row) {
                let b = if b.is_some() {
                    show(&i.unit, b)
                } else {
                    String::new()
                };
                line.push_str(&pad_left(&b, 9));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// CSV.

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The column names of [`Format::Csv`]: fixed, then one per trend year (`trend_2017/18`), then
/// the four benchmarks.
pub fn csv_header(card: &v1::Scorecard) -> Vec<String> {
    let mut h: Vec<String> = [
        "id",
        "group",
        "title",
        "polarity",
        "unit",
        "basis",
        "month",
        "value",
        "numerator",
        "denominator",
        "previous",
        "ytd",
        "direction",
        "judgement",
        "rag",
        "green",
        "amber",
        "range_low",
        "range_high",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    h.extend(trend_years(card).into_iter().map(|y| format!("trend_{y}")));
    h.extend(
        [
            "stat_neighbour_average",
            "best_stat_neighbour",
            "national_average",
            "national_top_quartile",
        ]
        .map(str::to_owned),
    );
    h
}

fn render_csv(data: &ReportData) -> String {
    let card = &data.scorecard;
    let mut out = csv_line(&csv_header(card));
    let years = trend_years(card);
    let number = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for row in &card.rows {
        let i = info(row);
        let u = i.unit.as_str();
        let current = row.current.clone().unwrap_or_default();
        let t = row.thresholds.clone().unwrap_or_default();
        let mut f = vec![
            i.id.clone(),
            row.group.clone(),
            i.title.clone(),
            i.polarity.clone(),
            i.unit.clone(),
            i.basis.clone(),
            card.month.clone(),
            plain(u, current.value),
            current.numerator.to_string(),
            current.denominator.map_or(String::new(), |d| d.to_string()),
            plain(u, row.previous.as_ref().and_then(|p| p.value)),
            plain(u, current.ytd_value),
            row.direction.clone(),
            row.judgement.clone(),
            row.rag.clone(),
            number(t.green),
            number(t.amber),
            number(t.range_low),
            number(t.range_high),
        ];
        f.extend(years.iter().map(|y| plain(u, trend_value(row, y))));
        f.extend(benchmarks(row).map(|b| plain(u, b)));
        out.push_str(&csv_line(&f));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// JSON.

/// The report as [`Format::Json`] writes it (camelCase keys).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportJson {
    pub la: String,
    pub month: String,
    pub financial_year: String,
    /// The 13 months of `monthly`, oldest first.
    pub months: Vec<String>,
    pub sections: Vec<SectionJson>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SectionJson {
    /// The ids' first part: "6" for 6.x.
    pub key: String,
    pub name: String,
    pub rows: Vec<RowJson>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowJson {
    pub id: String,
    /// The team group of an 11.5 row; empty otherwise.
    pub group: String,
    pub title: String,
    pub polarity: String,
    pub unit: String,
    pub basis: String,
    pub value: Option<f64>,
    pub numerator: i64,
    pub denominator: Option<i64>,
    pub previous: Option<f64>,
    pub ytd: Option<f64>,
    pub direction: String,
    pub judgement: String,
    /// The arrow the report draws: ↑ ↓ → or –.
    pub dot: String,
    pub rag: String,
    pub thresholds: Option<ThresholdsJson>,
    pub trend: Vec<YearJson>,
    pub benchmarks: BenchmarksJson,
    /// The value in each of `months` (the series; for a team group only its two months).
    pub monthly: Vec<Option<f64>>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdsJson {
    pub year: String,
    pub green: Option<f64>,
    pub amber: Option<f64>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub range_tolerance_percent: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct YearJson {
    pub year: String,
    pub value: Option<f64>,
    pub numerator: i64,
    pub denominator: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchmarksJson {
    pub stat_neighbour_average: Option<f64>,
    pub best_stat_neighbour: Option<f64>,
    pub national_average: Option<f64>,
    pub national_top_quartile: Option<f64>,
}

/// The report's JSON form.
pub fn report_json(data: &ReportData) -> ReportJson {
    let card = &data.scorecard;
    let months = report_months(data);
    let sections = sections(card)
        .into_iter()
        .map(|s| SectionJson {
            key: s.key,
            name: s.name,
            rows: s
                .rows
                .iter()
                .map(|row| {
                    let i = info(row);
                    let current = row.current.clone().unwrap_or_default();
                    let [sn, best, nat, top] = benchmarks(row);
                    RowJson {
                        id: i.id.clone(),
                        group: row.group.clone(),
                        title: i.title.clone(),
                        polarity: i.polarity.clone(),
                        unit: i.unit.clone(),
                        basis: i.basis.clone(),
                        value: current.value,
                        numerator: current.numerator,
                        denominator: current.denominator,
                        previous: row.previous.as_ref().and_then(|p| p.value),
                        ytd: current.ytd_value,
                        direction: row.direction.clone(),
                        judgement: row.judgement.clone(),
                        dot: dot(row).0.to_owned(),
                        rag: row.rag.clone(),
                        thresholds: row.thresholds.as_ref().map(|t| ThresholdsJson {
                            year: t.year.clone(),
                            green: t.green,
                            amber: t.amber,
                            range_low: t.range_low,
                            range_high: t.range_high,
                            range_tolerance_percent: t.range_tolerance_percent,
                        }),
                        trend: row
                            .trend
                            .iter()
                            .map(|t| YearJson {
                                year: t.year.clone(),
                                value: t.value,
                                numerator: t.numerator,
                                denominator: t.denominator,
                            })
                            .collect(),
                        benchmarks: BenchmarksJson {
                            stat_neighbour_average: sn,
                            best_stat_neighbour: best,
                            national_average: nat,
                            national_top_quartile: top,
                        },
                        monthly: months.iter().map(|m| row_value(data, row, m)).collect(),
                    }
                })
                .collect(),
        })
        .collect();
    ReportJson {
        la: card.la.clone(),
        month: card.month.clone(),
        financial_year: card.financial_year.clone(),
        months,
        sections,
    }
}

fn render_json(data: &ReportData) -> String {
    // Plain strings, options and numbers: serialising cannot fail (non-finite floats become null).
    let mut s = serde_json::to_string_pretty(&report_json(data)).unwrap_or_default();
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------------------------
// HTML.

/// Escapes text for HTML (and SVG) content and attribute values.
pub fn escape(s: &str) -> String {
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

const CSS: &str = r#"
:root{--ink:#1b1f24;--muted:#5b6470;--rule:#c9ced6;--head:#1d3557;--band:#e8eef6;
--red:#c62828;--amber:#f0a500;--green:#2e7d32}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:#fff;margin:16px;font-size:13px}
h1{font-size:21px;margin:0 0 2px}
h2{font-size:16px;margin:26px 0 8px;border-bottom:2px solid var(--head);padding-bottom:3px}
h3{font-size:14px;margin:18px 0 6px;letter-spacing:.03em}
p.sub{color:var(--muted);margin:0 0 12px}
.key{display:flex;flex-wrap:wrap;gap:6px 22px;color:var(--muted);font-size:12px;margin:0 0 10px}
.key b{color:var(--ink)}
.key .rag{display:inline-block;min-width:44px;text-align:center;padding:0 4px;border-radius:2px}
.wide{overflow-x:auto}
table.scorecard{border-collapse:collapse;width:100%;font-size:11px}
.scorecard th,.scorecard td{border:1px solid var(--rule);padding:2px 3px;vertical-align:middle}
.scorecard thead th{background:var(--head);color:#fff;font-weight:600;text-align:center;
font-size:11px;padding:3px 3px}
.scorecard thead th.m{white-space:nowrap}
.scorecard tbody th.section{background:var(--band);color:var(--head);text-align:left;
font-size:12.5px;letter-spacing:.04em;padding:5px 6px}
.scorecard td.id{font-weight:600;white-space:nowrap}
.scorecard td.title{min-width:200px}
.scorecard td.pol{text-align:center}
.scorecard td.title .group{color:var(--muted);white-space:nowrap}
.scorecard td.note{color:var(--muted);font-size:10px;white-space:nowrap;line-height:1.25}
.scorecard td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.scorecard td.current{font-weight:700;background:#f6f8fb}
.scorecard td.thr{color:var(--muted);text-align:center;font-size:10px}
.scorecard td.dot{text-align:center;font-size:15px;font-weight:700}
.dot-improved{color:var(--green)}.dot-declined{color:var(--red)}
.dot-same,.dot-info,.dot-none{color:var(--muted)}
.rag{text-align:center;font-weight:700}
.rag-red{background:var(--red);color:#fff}
.rag-amber{background:var(--amber);color:#1b1f24}
.rag-green{background:var(--green);color:#fff}
.rag-none{background:transparent}
section.chart{break-inside:avoid;margin-bottom:10px}
section.chart svg{max-width:100%;height:auto;display:block}
svg text{font-family:inherit;fill:#333}
footer{color:var(--muted);font-size:11px;margin-top:24px}
"#;

/// The report as one self-contained HTML page.
pub fn render_html(data: &ReportData) -> String {
    let card = &data.scorecard;
    let months = report_months(data);
    let shown: Vec<&String> = months.iter().rev().take(3).rev().collect();
    let years = trend_years(card);
    let target_year = card
        .rows
        .iter()
        .find_map(|r| r.thresholds.as_ref().map(|t| t.year.clone()))
        .unwrap_or_else(|| card.financial_year.clone());
    let title = format!(
        "Corporate Parenting Monthly Performance Report: {}, authority {}",
        month_long(&card.month),
        card.la
    );
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    h.push_str(&escape(&title));
    h.push_str("</title>\n<style>");
    h.push_str(CSS);
    h.push_str("</style>\n</head>\n<body>\n<header>\n<h1>");
    h.push_str(&escape(&format!(
        "Corporate Parenting Monthly Performance Report — {}, authority {}",
        month_long(&card.month),
        card.la
    )));
    h.push_str("</h1>\n<p class=\"sub\">");
    h.push_str(&escape(&format!(
        "Local authority {} · financial year {} · figures derived by caseflow from the \
         authority's case events",
        card.la, card.financial_year
    )));
    h.push_str("</p>\n</header>\n");

    // Keys, as the report's.
    h.push_str(
        "<div class=\"key\"><span><b>DOT</b> (direction of travel, month on month, with \
         reference to the polarity of good performance): \
         <span class=\"dot-improved\">↑</span> improvement / increase in numbers, \
         <span class=\"dot-declined\">↓</span> decline / decrease in numbers, \
         → no movement, – not comparable</span>\
         <span><b>RAG</b> (in month): <span class=\"rag rag-green\">Green</span> \
         <span class=\"rag rag-amber\">Amber</span> <span class=\"rag rag-red\">Red</span> \
         against the targets and tolerances shown</span></div>\n",
    );

    // The indicator table.
    let ncols = 4 + shown.len() + 3 + 3 + years.len() + 4;
    h.push_str("<div class=\"wide\">\n<table class=\"scorecard\">\n<thead>\n<tr>");
    for head in ["No.", "Indicator", "Good perf. is", "Data note"] {
        h.push_str(&format!("<th rowspan=\"2\">{}</th>", escape(head)));
    }
    h.push_str(&format!(
        "<th colspan=\"{}\">Month</th><th rowspan=\"2\">YTD {}</th>\
         <th rowspan=\"2\">DOT</th><th rowspan=\"2\">RAG</th>\
         <th colspan=\"3\">Target and tolerances {}</th>\
         <th colspan=\"{}\">Year-on-year trend</th><th colspan=\"4\">Latest benchmarking</th></tr>\n<tr>",
        shown.len(),
        escape(&card.financial_year),
        escape(&target_year),
        years.len()
    ));
    for m in &shown {
        h.push_str(&format!("<th class=\"m\">{}</th>", escape(&month_label(m))));
    }
    for head in ["Red", "Amber", "Target green"] {
        h.push_str(&format!("<th>{head}</th>"));
    }
    for y in &years {
        h.push_str(&format!("<th>{}</th>", escape(y)));
    }
    for head in [
        "Stat neigh ave",
        "Best stat neigh",
        "Nat ave",
        "Nat top qtile",
    ] {
        h.push_str(&format!("<th>{head}</th>"));
    }
    h.push_str("</tr>\n</thead>\n");
    let all_sections = sections(card);
    for section in &all_sections {
        h.push_str(&format!(
            "<tbody id=\"section-{}\">\n<tr><th class=\"section\" colspan=\"{ncols}\">{}</th></tr>\n",
            escape(&section.key),
            escape(&section.name)
        ));
        for row in &section.rows {
            h.push_str(&html_row(data, row, &shown, &years));
        }
        h.push_str("</tbody>\n");
    }
    h.push_str("</table>\n</div>\n");

    // The charts.
    h.push_str("<h2>Monthly trends</h2>\n");
    if let (Some(first), Some(last)) = (months.first(), months.last()) {
        h.push_str(&format!(
            "<p class=\"sub\">{} to {}. Dashed lines: statistical-neighbour average; dotted \
             lines: national average (where configured).</p>\n",
            escape(&month_long(first)),
            escape(&month_long(last))
        ));
    }
    for section in &all_sections {
        let lines = section_lines(data, &section.rows, &months);
        h.push_str(&format!(
            "<section class=\"chart\" id=\"chart-{}\">\n<h3>{}</h3>\n",
            escape(&section.key),
            escape(&section.name)
        ));
        h.push_str(&svg_chart(&section.name, &lines, &months));
        h.push_str("</section>\n");
    }
    h.push_str(
        "<footer>Percentages to one decimal place; counts whole; “-”: no value. Thresholds are \
         those configured for the month's financial year.</footer>\n</body>\n</html>\n",
    );
    h
}

fn html_row(
    data: &ReportData,
    row: &v1::ScorecardRow,
    shown: &[&String],
    years: &[String],
) -> String {
    let i = info(row);
    let u = i.unit.as_str();
    let mut r = String::from("<tr>");
    r.push_str(&format!("<td class=\"id\">{}</td>", escape(&i.id)));
    r.push_str(&format!("<td class=\"title\">{}", escape(&i.title)));
    if !row.group.is_empty() {
        r.push_str(&format!(
            " <span class=\"group\">({})</span>",
            escape(&row.group)
        ));
    }
    r.push_str("</td>");
    r.push_str(&format!(
        "<td class=\"pol\">{}</td><td class=\"note\">{}<br>{}</td>",
        polarity_label(&i.polarity),
        unit_label(u),
        basis_label(&i.basis)
    ));
    for (k, m) in shown.iter().enumerate() {
        let v = row_value(data, row, m);
        let is_current = k + 1 == shown.len();
        let tip = row
            .current
            .as_ref()
            .filter(|c| is_current && c.denominator.is_some())
            .map(|c| {
                format!(
                    " title=\"{} of {}\"",
                    c.numerator,
                    c.denominator.unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let class = if is_current { "num current" } else { "num" };
        r.push_str(&format!(
            "<td class=\"{class}\"{tip}>{}</td>",
            escape(&show(u, v))
        ));
    }
    r.push_str(&format!(
        "<td class=\"num\">{}</td>",
        escape(&show(u, row.current.as_ref().and_then(|c| c.ytd_value)))
    ));
    let (arrow, class) = dot(row);
    let tip = match (row.direction.as_str(), row.judgement.as_str()) {
        ("", _) => "no comparison".to_owned(),
        (d, "" | "not_judged") => d.to_owned(),
        (d, j) => format!("{d}: {}", j.replace('_', " ")),
    };
    r.push_str(&format!(
        "<td class=\"dot dot-{class}\" title=\"{}\">{arrow}</td>",
        escape(&tip)
    ));
    let rag_class = if row.rag.is_empty() {
        "none"
    } else {
        row.rag.as_str()
    };
    r.push_str(&format!(
        "<td class=\"rag rag-{}\">{}</td>",
        escape(rag_class),
        rag_label(&row.rag)
    ));
    for t in thresholds(row) {
        r.push_str(&format!("<td class=\"thr\">{}</td>", escape(&t)));
    }
    for y in years {
        r.push_str(&format!(
            "<td class=\"num\">{}</td>",
            escape(&show(u, trend_value(row, y)))
        ));
    }
    for b in benchmarks(row) {
        let b = if b.is_some() {
            show(u, b)
        } else {
            String::new()
        };
        r.push_str(&format!("<td class=\"num\">{}</td>", escape(&b)));
    }
    r.push_str("</tr>\n");
    r
}

// ---------------------------------------------------------------------------------------------
// SVG charts.

/// One indicator's line: its values in the report's months and its benchmark lines.
struct Line {
    id: String,
    label: String,
    unit: String,
    values: Vec<Option<f64>>,
    stat_neighbour: Option<f64>,
    national: Option<f64>,
}

impl Line {
    fn max(&self) -> f64 {
        self.values
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    }
}

fn section_lines(data: &ReportData, rows: &[&v1::ScorecardRow], months: &[String]) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for row in rows {
        let i = info(row);
        if lines.iter().any(|l| l.id == i.id) {
            continue;
        }
        let grouped = !row.group.is_empty();
        let values = match series_of(data, &i.id) {
            Some(s) => months
                .iter()
                .map(|m| {
                    s.months
                        .iter()
                        .find(|v| &v.month == m)
                        .and_then(|v| v.value)
                })
                .collect(),
            None => months.iter().map(|m| row_value(data, row, m)).collect(),
        };
        let [sn, _, nat, _] = benchmarks(row);
        lines.push(Line {
            id: i.id.clone(),
            label: format!(
                "{} {}{}",
                i.id,
                i.title,
                if grouped { " (all team groups)" } else { "" }
            ),
            unit: i.unit.clone(),
            values,
            stat_neighbour: sn,
            national: nat,
        });
    }
    lines
}

/// A chart panel: lines of one unit (and, for counts, of one order of magnitude).
struct Panel<'a> {
    title: String,
    unit: String,
    lines: Vec<&'a Line>,
}

const MAX_LINES_PER_PANEL: usize = 5;

fn unit_heading(unit: &str) -> &'static str {
    match unit {
        "percent" => "Percentages",
        "count" => "Counts",
        "rate_per_10000" => "Rate per 10,000",
        "average_days" => "Average days",
        "average_count" => "Average cases",
        _ => "Values",
    }
}

/// Groups lines into readable panels: by unit; counts further by order of magnitude (a line
/// whose peak is under a fifth of its panel's largest starts another, lines all zero join any);
/// at most five per panel.
fn panels(lines: &[Line]) -> Vec<Panel<'_>> {
    let mut units: Vec<&str> = Vec::new();
    for l in lines {
        if !units.contains(&l.unit.as_str()) {
            units.push(&l.unit);
        }
    }
    let mut out = Vec::new();
    for unit in units {
        let of_unit: Vec<&Line> = lines.iter().filter(|l| l.unit == unit).collect();
        let clusters = if unit == "count" {
            magnitude_clusters(&of_unit)
        } else {
            vec![of_unit]
        };
        for cluster in clusters {
            let n = cluster.len().div_ceil(MAX_LINES_PER_PANEL).max(1);
            let size = cluster.len().div_ceil(n).max(1);
            for chunk in cluster.chunks(size) {
                let ids: Vec<&str> = chunk.iter().map(|l| l.id.as_str()).collect();
                out.push(Panel {
                    title: format!("{}: {}", unit_heading(unit), ids.join(", ")),
                    unit: unit.to_owned(),
                    lines: chunk.to_vec(),
                });
            }
        }
    }
    out
}

fn magnitude_clusters<'a>(lines: &[&'a Line]) -> Vec<Vec<&'a Line>> {
    let mut order: Vec<(usize, &Line)> = lines.iter().copied().enumerate().collect();
    order.sort_by(|a, b| b.1.max().total_cmp(&a.1.max()).then(a.0.cmp(&b.0)));
    let mut clusters: Vec<(f64, Vec<(usize, &Line)>)> = Vec::new();
    for (k, l) in order {
        match clusters.last_mut() {
            Some((top, members)) if l.max() * 5.0 >= *top || l.max() <= 0.0 || *top <= 0.0 => {
                members.push((k, l))
            }
            _ => clusters.push((l.max(), vec![(k, l)])),
        }
    }
    for (_, members) in &mut clusters {
        members.sort_by_key(|(k, _)| *k);
    }
    clusters.sort_by_key(|(_, members)| members.first().map_or(0, |(k, _)| *k));
    clusters
        .into_iter()
        .map(|(_, members)| members.into_iter().map(|(_, l)| l).collect())
        .collect()
}

/// A "nice" axis: top and step, from 0 up to at least `max`, about four steps.
fn nice_scale(max: f64, unit: &str) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else if unit == "percent" {
        100.0
    } else {
        4.0
    };
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    let mut step = nice * magnitude;
    if unit == "count" {
        step = step.ceil().max(1.0);
    }
    let top = (max / step).ceil() * step;
    (top.max(step), step)
}

fn tick_label(unit: &str, v: f64, step: f64) -> String {
    let s = if step.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    };
    if unit == "percent" { s + "%" } else { s }
}

const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];
const PANEL_W: f64 = 580.0;
const PANEL_GAP: f64 = 20.0;
const PLOT_TOP: f64 = 30.0;
const PLOT_H: f64 = 180.0;
const PLOT_LEFT: f64 = 50.0;
const PLOT_RIGHT: f64 = 72.0;
const LEGEND_ROW: f64 = 16.0;

fn panel_height(p: &Panel<'_>) -> f64 {
    let bench = p
        .lines
        .iter()
        .any(|l| l.stat_neighbour.is_some() || l.national.is_some());
    let rows = p.lines.len() + usize::from(bench);
    PLOT_TOP + PLOT_H + 30.0 + rows as f64 * LEGEND_ROW + 8.0
}

/// One section's chart: its panels two to a row, in one inline SVG.
fn svg_chart(name: &str, lines: &[Line], months: &[String]) -> String {
    let panels = panels(lines);
    let columns = if panels.len() > 1 { 2 } else { 1 };
    let width = columns as f64 * PANEL_W + (columns - 1) as f64 * PANEL_GAP;
    let mut body = String::new();
    let mut y = 0.0;
    for row in panels.chunks(columns) {
        let height = row.iter().map(panel_height).fold(0.0, f64::max);
        for (k, p) in row.iter().enumerate() {
            let x = k as f64 * (PANEL_W + PANEL_GAP);
            body.push_str(&svg_panel(p, months, x, y));
        }
        y += height + 12.0;
    }
    if panels.is_empty() {
        body.push_str("<text x=\"8\" y=\"20\" font-size=\"12\">No indicators.</text>\n");
        y = 32.0;
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {y:.0}\" \
         width=\"{width:.0}\" height=\"{y:.0}\" role=\"img\" aria-label=\"{}\">\n{body}</svg>\n",
        escape(&format!("{name}: monthly trend"))
    )
}

fn svg_panel(p: &Panel<'_>, months: &[String], ox: f64, oy: f64) -> String {
    let left = ox + PLOT_LEFT;
    let right = ox + PANEL_W - PLOT_RIGHT;
    let top = oy + PLOT_TOP;
    let bottom = top + PLOT_H;
    let mut max = p.lines.iter().map(|l| l.max()).fold(0.0, f64::max);
    for l in &p.lines {
        for b in [l.stat_neighbour, l.national].into_iter().flatten() {
            if b.is_finite() {
                max = max.max(b);
            }
        }
    }
    let (y_top, step) = nice_scale(max, &p.unit);
    let ypos = |v: f64| bottom - (v / y_top) * PLOT_H;
    let n = months.len().max(1);
    let xpos = |i: usize| {
        if n == 1 {
            (left + right) / 2.0
        } else {
            left + i as f64 * (right - left) / (n - 1) as f64
        }
    };
    let mut s = format!(
        "<g class=\"panel\">\n<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"600\">{}</text>\n",
        ox + 4.0,
        oy + 16.0,
        escape(&p.title)
    );
    // Grid and y axis.
    let mut v = 0.0;
    while v <= y_top + step * 1e-9 {
        let y = ypos(v);
        s.push_str(&format!(
            "<line x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"1\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>\n",
            if v == 0.0 { "#888" } else { "#e3e6ea" },
            left - 6.0,
            y + 3.5,
            escape(&tick_label(&p.unit, v, step))
        ));
        v += step;
    }
    s.push_str(&format!(
        "<line x1=\"{left:.1}\" y1=\"{top:.1}\" x2=\"{left:.1}\" y2=\"{bottom:.1}\" stroke=\"#888\"/>\n"
    ));
    // Months.
    for (i, m) in months.iter().enumerate() {
        let x = xpos(i);
        s.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{bottom:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>\n\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"9.5\" text-anchor=\"middle\">{}</text>\n",
            bottom + 4.0,
            bottom + 16.0,
            escape(&month_label(m))
        ));
    }
    // Benchmarks, under the lines, labelled at the right (kept apart).
    let mut labels: Vec<(f64, String, &str)> = Vec::new();
    for (k, l) in p.lines.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        for (b, dash, name) in [(l.stat_neighbour, "7 4", "SN"), (l.national, "2 3", "Nat")] {
            let Some(b) = b.filter(|b| b.is_finite()) else {
                continue;
            };
            let y = ypos(b);
            s.push_str(&format!(
                "<line class=\"benchmark\" x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" \
                 stroke=\"{colour}\" stroke-width=\"1.3\" stroke-dasharray=\"{dash}\" opacity=\"0.85\">\
                 <title>{}</title></line>\n",
                escape(&format!(
                    "{} {}: {}",
                    l.id,
                    if name == "SN" {
                        "statistical-neighbour average"
                    } else {
                        "national average"
                    },
                    show(&l.unit, Some(b))
                ))
            ));
            labels.push((y, format!("{} {}", name, show(&l.unit, Some(b))), colour));
        }
    }
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut last = f64::NEG_INFINITY;
    for (y, text, colour) in &mut labels {
        *y = y.max(last + 11.0);
        last = *y;
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9.5\" style=\"fill:{colour}\">{}</text>\n",
            right + 4.0,
            *y + 3.0,
            escape(text)
        ));
    }
    // The lines: one polyline per run of months with a value, a dot per value.
    for (k, l) in p.lines.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        s.push_str(&format!(
            "<g class=\"series\" data-indicator=\"{}\">\n",
            escape(&l.id)
        ));
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, s: &mut String| {
            if run.len() > 1 {
                s.push_str(&format!(
                    "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" \
                     stroke-linejoin=\"round\" points=\"{}\"/>\n",
                    run.join(" ")
                ));
            }
            run.clear();
        };
        for (i, v) in l.values.iter().enumerate() {
            match v.filter(|v| v.is_finite()) {
                Some(v) => run.push(format!("{:.1},{:.1}", xpos(i), ypos(v))),
                None => flush(&mut run, &mut s),
            }
        }
        flush(&mut run, &mut s);
        for (i, v) in l.values.iter().enumerate() {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                s.push_str(&format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.6\" fill=\"{colour}\"><title>{}</title></circle>\n",
                    xpos(i),
                    ypos(v),
                    escape(&format!(
                        "{} {}: {}",
                        l.id,
                        month_label(&months[i]),
                        show(&l.unit, Some(v))
                    ))
                ));
            }
        }
        s.push_str("</g>\n");
    }
    // Legend.
    let mut ly = bottom + 34.0;
    for (k, l) in p.lines.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        s.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2.5\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>\n",
            ox + 6.0,
            ly - 4.0,
            ox + 28.0,
            ly - 4.0,
            ox + 34.0,
            ly,
            escape(&truncate(&l.label, 88))
        ));
        ly += LEGEND_ROW;
    }
    if p.lines
        .iter()
        .any(|l| l.stat_neighbour.is_some() || l.national.is_some())
    {
        s.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-width=\"1.3\" stroke-dasharray=\"7 4\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">SN: statistical-neighbour average</text>\n\
             <line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-width=\"1.3\" stroke-dasharray=\"2 3\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">Nat: national average</text>\n",
            ox + 6.0,
            ox + 28.0,
            ox + 34.0,
            ly,
            ox + 250.0,
            ox + 272.0,
            ox + 278.0,
            ly,
            y = ly - 4.0,
        ));
    }
    s.push_str("</g>\n");
    s
}
