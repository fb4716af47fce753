//! The report as one self-contained HTML page: a header and keys, the indicator table by
//! section (months, YTD, direction of travel, RAG, thresholds, trend, benchmarks), then one
//! inline-SVG chart per section ([`super::svg`]). No script and no external resource.

use caseflow_domain::{FinancialYear, Month};

use super::model::{ReportData, Row, Scorecard, Section};
use super::show::{
    basis_label, direction_name, judgement_name, month_label, month_long, polarity_label,
    rag_label, show, show_benchmark, thresholds, unit_label,
};
use super::svg;

/// Escapes text for HTML (and SVG) content and attribute values.
pub(crate) fn escape(s: &str) -> String {
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

pub(crate) const CSS: &str = r#"
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
.scorecard td.title .unavailable{display:block;color:#b00020;font-size:10px}
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
.revised{border-bottom:1px dotted var(--head);cursor:help}
.revised sup{color:var(--red);font-weight:700}
table.list{border-collapse:collapse;font-size:12px;margin:4px 0 10px}
.list th,.list td{border:1px solid var(--rule);padding:2px 6px;text-align:left}
.list th{background:var(--band)}
.list td.num{text-align:right;font-variant-numeric:tabular-nums}
"#;

/// The keys to the direction of travel and the RAG, as the report's.
const KEYS: &str = "<div class=\"key\"><span><b>DOT</b> (direction of travel, month on month, with \
     reference to the polarity of good performance): \
     <span class=\"dot-improved\">↑</span> improvement / increase in numbers, \
     <span class=\"dot-declined\">↓</span> decline / decrease in numbers, \
     → no movement, – not comparable</span>\
     <span><b>RAG</b> (in month): <span class=\"rag rag-green\">Green</span> \
     <span class=\"rag rag-amber\">Amber</span> <span class=\"rag rag-red\">Red</span> \
     against the targets and tolerances shown</span></div>\n";

const FOOTER: &str = "<footer>Percentages to one decimal place; counts whole; “-”: no value. \
     Thresholds are those configured for the month's financial year.</footer>\n</body>\n</html>\n";

/// The report as one self-contained HTML page.
pub(crate) fn render(data: &ReportData) -> String {
    let card = &data.scorecard;
    let months = data.months();
    let sections = card.sections();
    let mut h = head(card);
    h.push_str(KEYS);
    h.push_str(&table(data, &sections));
    h.push_str(&revised_section(data));
    h.push_str(&charts(data, &sections, &months));
    h.push_str(&timeliness_section(data));
    h.push_str(FOOTER);
    h
}

/// From the doctype to the end of the page's header.
fn head(card: &Scorecard) -> String {
    let title = format!(
        "Corporate Parenting Monthly Performance Report: {}, authority {}",
        month_long(card.month),
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
        month_long(card.month),
        card.la
    )));
    h.push_str("</h1>\n<p class=\"sub\">");
    h.push_str(&escape(&format!(
        "Local authority {} · financial year {} · figures derived by caseflow from the \
         authority's case events",
        card.la, card.financial_year
    )));
    h.push_str("</p>\n</header>\n");
    h
}

/// The indicator table: two header rows, then a body per section.
fn table(data: &ReportData, sections: &[Section<'_>]) -> String {
    let card = &data.scorecard;
    let months = data.months();
    let shown = &months[months.len().saturating_sub(3)..];
    let years = card.trend_years();
    // The thresholds' year: the rows', or the month's when none is configured.
    let target_year = card
        .rows
        .iter()
        .find_map(|r| r.thresholds.as_ref().map(|t| t.year))
        .unwrap_or(card.financial_year);
    let ncols = 4 + shown.len() + 3 + 3 + years.len() + 4;
    let mut h = String::from("<div class=\"wide\">\n<table class=\"scorecard\">\n<thead>\n<tr>");
    for head in ["No.", "Indicator", "Good perf. is", "Data note"] {
        h.push_str(&format!("<th rowspan=\"2\">{}</th>", escape(head)));
    }
    h.push_str(&format!(
        "<th colspan=\"{}\">Month</th><th rowspan=\"2\">YTD {}</th>\
         <th rowspan=\"2\">DOT</th><th rowspan=\"2\">RAG</th>\
         <th colspan=\"3\">Target and tolerances {}</th>\
         <th colspan=\"{}\">Year-on-year trend</th><th colspan=\"4\">Latest benchmarking</th></tr>\n<tr>",
        shown.len(),
        escape(&card.financial_year.to_string()),
        escape(&target_year.to_string()),
        years.len()
    ));
    for m in shown {
        h.push_str(&format!(
            "<th class=\"m\">{}</th>",
            escape(&month_label(*m))
        ));
    }
    for head in ["Red", "Amber", "Target green"] {
        h.push_str(&format!("<th>{head}</th>"));
    }
    for y in &years {
        h.push_str(&format!("<th>{}</th>", escape(&y.to_string())));
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
    for section in sections {
        h.push_str(&format!(
            "<tbody id=\"section-{}\">\n<tr><th class=\"section\" colspan=\"{ncols}\">{}</th></tr>\n",
            escape(&section.key),
            escape(&section.name)
        ));
        for row in &section.rows {
            h.push_str(&table_row(data, row, shown, &years));
        }
        h.push_str("</tbody>\n");
    }
    h.push_str("</table>\n</div>\n");
    h
}

/// The direction of travel in words, for the DOT cell's tooltip.
fn travel_tip(row: &Row) -> String {
    match row.travel {
        None => "no comparison".to_owned(),
        Some(t) if t.judgement == caseflow_domain::scorecard::Judgement::NotJudged => {
            direction_name(t.direction).to_owned()
        }
        Some(t) => format!(
            "{}: {}",
            direction_name(t.direction),
            judgement_name(t.judgement).replace('_', " ")
        ),
    }
}

fn table_row(data: &ReportData, row: &Row, shown: &[Month], years: &[FinancialYear]) -> String {
    let i = &row.indicator;
    let u = i.unit;
    let mut r = String::from("<tr>");
    r.push_str(&format!("<td class=\"id\">{}</td>", escape(&i.id)));
    r.push_str(&format!("<td class=\"title\">{}", escape(&i.title)));
    if let Some(group) = &row.group {
        r.push_str(&format!(
            " <span class=\"group\">({})</span>",
            escape(group)
        ));
    }
    if let Some(why) = &i.unavailable {
        r.push_str(&format!(
            "<span class=\"unavailable\">No figure: {}</span>",
            escape(why)
        ));
    }
    r.push_str("</td>");
    r.push_str(&format!(
        "<td class=\"pol\">{}</td><td class=\"note\">{}<br>{}</td>",
        polarity_label(i.polarity),
        unit_label(u),
        basis_label(i.basis)
    ));
    for (k, m) in shown.iter().enumerate() {
        let v = data.row_value(row, *m);
        let is_current = k + 1 == shown.len();
        let tip = match row.current.denominator {
            Some(d) if is_current => format!(" title=\"{} of {d}\"", row.current.numerator),
            _ => String::new(),
        };
        let class = if is_current { "num current" } else { "num" };
        let shown = match (data.revision(row, *m), &data.revised) {
            (Some(f), Some(revised)) => format!(
                "<span class=\"revised\" title=\"{}\">{}<sup>*</sup></span>",
                escape(&format!(
                    "Revised: {} in \u{201c}{}\u{201d}, {} now",
                    show(u, f.published),
                    revised.publication.title,
                    show(u, f.now)
                )),
                escape(&show(u, v))
            ),
            _ => escape(&show(u, v)),
        };
        r.push_str(&format!("<td class=\"{class}\"{tip}>{shown}</td>"));
    }
    r.push_str(&format!(
        "<td class=\"num\">{}</td>",
        escape(&show(u, row.current.ytd_value))
    ));
    let (arrow, class) = row.dot();
    r.push_str(&format!(
        "<td class=\"dot dot-{class}\" title=\"{}\">{arrow}</td>",
        escape(&travel_tip(row))
    ));
    let rag_class = row.rag.map_or("none", |r| r.name());
    r.push_str(&format!(
        "<td class=\"rag rag-{}\">{}</td>",
        escape(rag_class),
        rag_label(row.rag)
    ));
    for t in thresholds(row) {
        r.push_str(&format!("<td class=\"thr\">{}</td>", escape(&t)));
    }
    for y in years {
        r.push_str(&format!(
            "<td class=\"num\">{}</td>",
            escape(&show(u, row.trend_value(*y)))
        ));
    }
    for b in row.benchmarks.columns() {
        r.push_str(&format!(
            "<td class=\"num\">{}</td>",
            escape(&show_benchmark(u, b))
        ));
    }
    r.push_str("</tr>\n");
    r
}

/// "Revised since the last report": each figure of the publication compared with that differs
/// now, with its old and new value and the records behind the change.
fn revised_section(data: &ReportData) -> String {
    let Some(revised) = &data.revised else {
        return String::new();
    };
    let p = &revised.publication;
    let mut h = String::from("<h2 id=\"revised\">Revised since the last report</h2>\n");
    h.push_str(&format!(
        "<p class=\"sub\">Compared with \u{201c}{}\u{201d} ({} report, published {} by {}). \
         Late entries, corrections and retractions recorded since move past months; each \
         revised figure is marked <sup>*</sup> in the table above where it is shown.</p>\n",
        escape(&p.title),
        escape(&month_long(p.month)),
        escape(&p.published_at),
        escape(&p.who)
    ));
    if revised.figures.is_empty() {
        h.push_str("<p>No figure of it has changed since.</p>\n");
        return h;
    }
    h.push_str(&revised_table(data, &revised.figures));
    h
}

/// A table of revised figures: indicator, month, published, now, records behind it.
fn revised_table(data: &ReportData, figures: &[super::model::RevisedFigure]) -> String {
    let mut h = String::from(
        "<table class=\"list revised-figures\">\n<tr><th>No.</th><th>Indicator</th><th>Month</th>\
         <th>Published</th><th>Now</th><th>Late or corrected records behind it</th></tr>\n",
    );
    for f in figures {
        let info = data
            .scorecard
            .rows
            .iter()
            .find(|r| r.indicator.id == f.indicator)
            .map(|r| &r.indicator);
        let unit = info.map_or(caseflow_domain::indicators::Unit::Count, |i| i.unit);
        let mut title = info.map_or(String::new(), |i| i.title.clone());
        if let Some(g) = &f.group {
            title.push_str(&format!(" ({g})"));
        }
        let records = f.records.map_or("–".to_owned(), |n| n.to_string());
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&f.indicator),
            escape(&title),
            escape(&month_label(f.month)),
            escape(&show(unit, f.published)),
            escape(&show(unit, f.now)),
            escape(&records)
        ));
    }
    h.push_str("</table>\n");
    h
}

/// "Data timeliness": how late each kind of event is recorded (a chart of the median and the
/// 90th percentile by month for the most frequent kinds, and a table), and which figures of
/// the last published report moved most since.
fn timeliness_section(data: &ReportData) -> String {
    let Some(t) = &data.timeliness else {
        return String::new();
    };
    let mut h = String::from("<h2 id=\"timeliness\">Data timeliness</h2>\n");
    h.push_str(
        "<p class=\"sub\">Days from the day an event happened to the day it was recorded, by the \
         month it happened in: median and 90th percentile. Events recorded after their month \
         ended revise figures already reported.</p>\n",
    );
    let months: Vec<Month> = t
        .lateness
        .iter()
        .map(|l| l.month)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // The most frequent kinds, drawn; every kind in the table.
    let mut kinds: Vec<(&str, u64)> = Vec::new();
    for l in &t.lateness {
        match kinds.iter_mut().find(|(k, _)| *k == l.payload) {
            Some((_, n)) => *n += l.events,
            None => kinds.push((&l.payload, l.events)),
        }
    }
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let drawn: Vec<&str> = kinds.iter().take(6).map(|(k, _)| *k).collect();
    if !months.is_empty() {
        let line = |pick: fn(&super::model::Lateness) -> i64, kind: &str| {
            svg::Line::new(
                kind,
                kind,
                caseflow_domain::indicators::Unit::AverageDays,
                months
                    .iter()
                    .map(|m| {
                        t.lateness
                            .iter()
                            .find(|l| l.payload == kind && l.month == *m)
                            .map(|l| pick(l) as f64)
                    })
                    .collect(),
            )
            .headed("Days")
        };
        for (name, pick) in [
            (
                "Median days to record",
                (|l: &super::model::Lateness| l.median_days) as fn(&super::model::Lateness) -> i64,
            ),
            ("90th percentile of days to record", |l| l.p90_days),
        ] {
            let lines: Vec<svg::Line> = drawn.iter().map(|k| line(pick, k)).collect();
            h.push_str(&format!(
                "<section class=\"chart\">\n<h3>{}</h3>\n{}</section>\n",
                escape(name),
                svg::chart(name, &lines, &months)
            ));
        }
    }
    h.push_str(
        "<table class=\"list lateness\">\n<tr><th>Event</th><th>Month</th><th>Events</th>\
         <th>Median days</th><th>90th percentile</th><th>Recorded after the month end</th></tr>\n",
    );
    for l in &t.lateness {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&l.payload),
            escape(&month_label(l.month)),
            l.events,
            l.median_days,
            l.p90_days,
            l.after_month_end
        ));
    }
    h.push_str("</table>\n");
    if let Some(p) = &t.publication {
        h.push_str(&format!(
            "<h3>Moved most since \u{201c}{}\u{201d}</h3>\n",
            escape(&p.title)
        ));
        if t.moved_most.is_empty() {
            h.push_str("<p>No figure of it has changed since.</p>\n");
        } else {
            h.push_str(&revised_table(data, &t.moved_most));
        }
    }
    h
}

/// "Monthly trends": one chart per section.
fn charts(data: &ReportData, sections: &[Section<'_>], months: &[Month]) -> String {
    let mut h = String::from("<h2>Monthly trends</h2>\n");
    if let (Some(first), Some(last)) = (months.first(), months.last()) {
        h.push_str(&format!(
            "<p class=\"sub\">{} to {}. Dashed lines: statistical-neighbour average; dotted \
             lines: national average (where configured).</p>\n",
            escape(&month_long(*first)),
            escape(&month_long(*last))
        ));
    }
    for section in sections {
        let lines = svg::section_lines(data, &section.rows, months);
        h.push_str(&format!(
            "<section class=\"chart\" id=\"chart-{}\">\n<h3>{}</h3>\n",
            escape(&section.key),
            escape(&section.name)
        ));
        h.push_str(&svg::chart(&section.name, &lines, months));
        h.push_str("</section>\n");
    }
    h
}

#[cfg(test)]
mod tests {
    use caseflow_domain::indicators::{Polarity, Unit};
    use expect_test::expect;

    use super::super::model::fixtures::{indicator, report, report_with_a_nasty_title, row};
    use super::*;

    #[test]
    fn revised_values_are_marked_and_listed_with_the_records_behind_them() {
        let html = render(&super::super::model::revised_fixture::revised_report());
        // In the table: 6.5 of March and 6.4 of April, old and new on hover.
        assert!(html.contains(
            "<span class=\"revised\" title=\"Revised: 30.0% in \u{201c}Panel 19 June 2018\u{201d}, \
             33.3% now\">33.3%<sup>*</sup></span>"
        ));
        assert!(html.contains(
            "<span class=\"revised\" title=\"Revised: 4 in \u{201c}Panel 19 June 2018\u{201d}, 5 \
             now\">5<sup>*</sup></span>"
        ));
        assert_eq!(html.matches("<sup>*</sup></span>").count(), 2);
        // The section, before the charts: each revised figure with its records.
        let section =
            &html[html.find("<h2 id=\"revised\">").unwrap()..html.find("Monthly trends").unwrap()];
        assert!(section.contains("Revised since the last report"));
        assert!(section.contains(
            "<tr><td>6.5</td><td>% ceased due to permanence (SGO, residence/child arrangements \
             order, adoption)</td><td>Mar-18</td><td class=\"num\">30.0%</td>\
             <td class=\"num\">33.3%</td><td class=\"num\">1</td></tr>"
        ));
        assert!(section.contains(
            "<tr><td>6.4</td><td>Children who ceased to be looked after</td><td>Apr-18</td>\
             <td class=\"num\">4</td><td class=\"num\">5</td><td class=\"num\">2</td></tr>"
        ));
        // Timeliness: two charts and the table, then what moved most.
        let timeliness = &html[html.find("<h2 id=\"timeliness\">").unwrap()..];
        assert_eq!(timeliness.matches("<svg ").count(), 2);
        assert!(timeliness.contains("Days: periodOfCareStarted"));
        assert!(timeliness.contains(
            "<tr><td>periodOfCareStarted</td><td>Apr-18</td><td class=\"num\">3</td>\
             <td class=\"num\">2</td><td class=\"num\">27</td><td class=\"num\">1</td></tr>"
        ));
        assert!(timeliness.contains("Moved most since \u{201c}Panel 19 June 2018\u{201d}"));
        // Without a publication, no marker and no section.
        let plain = render(&report());
        assert!(!plain.contains("class=\"revised\"") && !plain.contains("id=\"revised\""));
    }

    #[test]
    fn a_row_shows_months_ytd_dot_rag_thresholds_trend_and_benchmarks() {
        let data = report();
        let months = data.months();
        let years = data.scorecard.trend_years();
        let html = table_row(&data, &data.scorecard.rows[0], &months[10..], &years);
        expect![[r#"
            <tr><td class="id">6.5</td><td class="title">% ceased due to permanence (SGO, residence/child arrangements order, adoption)</td><td class="pol">High</td><td class="note">Percentage<br>In month; YTD</td><td class="num">33.3%</td><td class="num">25.0%</td><td class="num current" title="5 of 12">41.7%</td><td class="num">41.7%</td><td class="dot dot-improved" title="up: improved">↑</td><td class="rag rag-green">Green</td><td class="thr">&lt;33%</td><td class="thr">33%+</td><td class="thr">35%+</td><td class="num">-</td><td class="num">-</td><td class="num">30.0%</td><td class="num">-</td><td class="num">12.9%</td><td class="num"></td><td class="num">12.0%</td><td class="num"></td></tr>
        "#]]
        .assert_eq(&html);
    }

    #[test]
    fn an_indicator_without_a_figure_says_why_under_its_title() {
        let data = report();
        let mut rate = row(
            indicator("6.2", "Rate", Polarity::Low, Unit::RatePer10000),
            None,
        );
        rate.indicator.unavailable = Some("no under-18 population for <373>".into());
        let months = data.months();
        let html = table_row(&data, &rate, &months[10..], &data.scorecard.trend_years());
        assert!(html.contains(
            "<td class=\"title\">Rate<span class=\"unavailable\">No figure: no under-18 \
             population for &lt;373&gt;</span></td>"
        ));
    }

    #[test]
    fn the_dot_says_in_words_what_it_compares() {
        let rows = report().scorecard.rows;
        let tips: Vec<String> = rows.iter().map(travel_tip).collect();
        assert_eq!(tips, ["up: improved", "down: declined", "up"]);
        let alone = row(indicator("6.1", "LAC", Polarity::Info, Unit::Count), None);
        assert_eq!(travel_tip(&alone), "no comparison");
    }

    #[test]
    fn the_page_has_the_table_by_section_and_a_chart_per_section() {
        let html = render(&report());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(
            "<title>Corporate Parenting Monthly Performance Report: May 2018, authority 372</title>"
        ));
        assert!(html.contains("<th rowspan=\"2\">YTD 2018/19</th>"));
        assert!(html.contains("<th colspan=\"3\">Target and tolerances 2018/19</th>"));
        assert!(html.contains(
            "<th class=\"m\">Mar-18</th><th class=\"m\">Apr-18</th><th class=\"m\">May-18</th>"
        ));
        for (key, name) in [
            ("6", "LOOKED AFTER CHILDREN"),
            ("11", "SOCIAL WORKER CASELOADS"),
        ] {
            assert!(html.contains(&format!(
                "<tbody id=\"section-{key}\">\n<tr><th class=\"section\" colspan=\"21\">{name}</th></tr>"
            )));
            assert!(html.contains(&format!(
                "<section class=\"chart\" id=\"chart-{key}\">\n<h3>{name}</h3>\n<svg"
            )));
        }
        assert_eq!(html.matches("<svg").count(), 2);
        for class in ["rag-green", "rag-amber", "rag-red"] {
            assert!(
                html.contains(&format!("<td class=\"rag {class}\">")),
                "{class}"
            );
        }
        assert!(html.contains("<td class=\"dot dot-declined\" title=\"down: declined\">↓</td>"));
        assert!(html.contains("May 2017 to May 2018."));
        // Self-contained: no script, no external resource.
        for external in ["<script", "<link", "src=", "url(", "@import"] {
            assert!(!html.contains(external), "{external}");
        }
        assert!(html.ends_with("</footer>\n</body>\n</html>\n"));
    }

    #[test]
    fn text_is_escaped_and_missing_values_show_as_dashes() {
        let mut data = report_with_a_nasty_title();
        data.series.clear();
        let html = render(&data);
        assert!(!html.contains("<script"), "unescaped title");
        assert!(
            html.contains(
                "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, &amp; &#39;more&#39;"
            )
        );
        assert!(html.contains(">75.0%</td>") && html.contains(">420</td>"));
        assert!(
            html.contains("<td class=\"num\">-</td>"),
            "April has no value"
        );
        assert!(html.contains("<td class=\"rag rag-none\"></td>"));
        assert_eq!(html.matches("<svg").count(), 2);
    }
}
