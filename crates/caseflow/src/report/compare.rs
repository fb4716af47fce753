//! The regional picture: several authorities side by side for one month, each judged against
//! its own settings (population, targets, benchmarks). Either the whole scorecard (one row per
//! indicator, one column per authority) or one indicator (one row per authority, its 13
//! months, the month's DOT, RAG and target, and a pooled row over the authorities), as a
//! terminal table, HTML, CSV or JSON.

use anyhow::{Context, bail};
use caseflow_domain::indicators::{Basis, Unit, value_in};
use caseflow_domain::scorecard::Rag;
use caseflow_domain::{FinancialYear, La, Month};
use caseflow_proto::v2;
use serde::Serialize;

use super::Format;
use super::fetch::{scorecard, series};
use super::html::{CSS, escape};
use super::model::{IndicatorInfo, Row, Scorecard, Series};
use super::show::{month_label, month_long, plain, polarity_label, rag_label, show, thresholds};
use crate::client::Server;

/// Several authorities' scorecards of one month and, when one indicator is compared, each
/// one's 13-month series of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub month: Month,
    pub financial_year: FinancialYear,
    /// One per authority, in the order asked for.
    pub scorecards: Vec<Scorecard>,
    /// The indicator compared, with each authority's series (same order); `None`: the whole
    /// scorecard.
    pub indicator: Option<(IndicatorInfo, Vec<Series>)>,
}

/// Asks `server` for the scorecard of each of `authorities` in `month` (`None`: the last
/// complete month of the first authority's answer, then asked of every other) and, with
/// `indicator`, each one's series of it over the 13 months to `month`.
pub async fn fetch_comparison(
    server: &Server,
    authorities: &[String],
    month: Option<&str>,
    indicator: Option<&str>,
) -> anyhow::Result<Comparison> {
    if authorities.is_empty() {
        bail!("--compare needs at least one authority code, e.g. --compare 372,373");
    }
    let mut figures = server.figures();
    let mut month = month.map(str::to_owned);
    let mut scorecards = Vec::new();
    for la in authorities {
        let answer = figures
            .get_scorecard(v2::GetScorecardRequest {
                la: la.clone(),
                month: month.clone().unwrap_or_default(),
                ..Default::default()
            })
            .await
            .with_context(|| format!("GetScorecard for authority {la}"))?
            .into_inner();
        let card = scorecard(answer)
            .with_context(|| format!("the server's scorecard of authority {la}"))?;
        month = Some(card.month.to_string());
        scorecards.push(card);
    }
    let first = &scorecards[0];
    let (month, financial_year) = (first.month, first.financial_year);
    let indicator = match indicator {
        None => None,
        Some(id) => {
            let mut all = Vec::new();
            for la in authorities {
                let answer = figures
                    .get_series(v2::GetSeriesRequest {
                        la: la.clone(),
                        indicator: id.to_owned(),
                        from_month: month.plus(-12).to_string(),
                        to_month: month.to_string(),
                        ..Default::default()
                    })
                    .await
                    .with_context(|| format!("GetSeries of {id} for authority {la}"))?
                    .into_inner();
                all.push(series(answer).with_context(|| format!("the series of {id} of {la}"))?);
            }
            let info = all[0].indicator.clone();
            Some((info, all))
        }
    };
    Ok(Comparison {
        month,
        financial_year,
        scorecards,
        indicator,
    })
}

/// Renders a comparison; `colour` adds ANSI colours to a table's RAG.
pub fn render_comparison(c: &Comparison, format: Format, colour: bool) -> String {
    match (format, &c.indicator) {
        (Format::Table, None) => scorecard_table(c, colour),
        (Format::Table, Some(_)) => indicator_table(c, colour),
        (Format::Html, _) => html(c),
        (Format::Csv, _) => csv(c),
        (Format::Json, _) => json(c),
    }
}

impl Comparison {
    /// The 13 months ending at the comparison's month, oldest first.
    fn months(&self) -> Vec<Month> {
        (-12..=0).map(|k| self.month.plus(k)).collect()
    }

    fn authorities(&self) -> impl Iterator<Item = La> + '_ {
        self.scorecards.iter().map(|c| c.la)
    }

    /// The scorecard's rows, by indicator and team group, in the first authority's order
    /// (then any another has that the first has not).
    fn row_keys(&self) -> Vec<(IndicatorInfo, Option<String>)> {
        let mut keys: Vec<(IndicatorInfo, Option<String>)> = Vec::new();
        for card in &self.scorecards {
            for row in &card.rows {
                if !keys
                    .iter()
                    .any(|(i, g)| i.id == row.indicator.id && *g == row.group)
                {
                    let mut info = row.indicator.clone();
                    info.unavailable = None;
                    keys.push((info, row.group.clone()));
                }
            }
        }
        keys
    }

    /// The row of `card` for an indicator and team group.
    fn row<'a>(card: &'a Scorecard, id: &str, group: &Option<String>) -> Option<&'a Row> {
        card.rows
            .iter()
            .find(|r| r.indicator.id == id && r.group == *group)
    }

    /// The pooled figure of the compared indicator in `month` over the authorities with a
    /// value: the sum of their numerators over the sum of their denominators (for counts, the
    /// sum). None for YTD averages and term-end figures, which do not pool month by month.
    fn pooled(&self, month: Month) -> Option<f64> {
        let (info, all) = self.indicator.as_ref()?;
        if matches!(info.basis, Basis::YtdAverage | Basis::TermEnd) {
            return None;
        }
        let values: Vec<_> = all
            .iter()
            .filter_map(|s| s.months.iter().find(|m| m.month == month))
            .filter(|m| m.value.is_some())
            .collect();
        if values.is_empty() {
            return None;
        }
        let n = values.iter().map(|m| m.numerator).sum();
        let d = match info.unit {
            Unit::Count => None,
            _ => Some(values.iter().filter_map(|m| m.denominator).sum()),
        };
        value_in(info.unit, n, d)
    }
}

fn pad_left(s: &str, width: usize) -> String {
    " ".repeat(width.saturating_sub(s.chars().count())) + s
}

fn pad_right(s: &str, width: usize) -> String {
    s.to_owned() + &" ".repeat(width.saturating_sub(s.chars().count()))
}

/// A RAG as one letter (R, A, G), coloured on request.
fn rag_letter(rag: Option<Rag>, colour: bool) -> String {
    let (letter, code) = match rag {
        Some(Rag::Red) => ("R", "1;31"),
        Some(Rag::Amber) => ("A", "1;33"),
        Some(Rag::Green) => ("G", "1;32"),
        None => (" ", ""),
    };
    if colour && !code.is_empty() {
        format!("\x1b[{code}m{letter}\x1b[0m")
    } else {
        letter.to_owned()
    }
}

const TITLE_WIDTH: usize = 46;
const CELL: usize = 11;

/// A row's title cut to the title column, with its team group kept.
fn title(info: &IndicatorInfo, group: &Option<String>) -> String {
    match group {
        Some(g) => {
            let suffix = format!(" ({g})");
            let room = TITLE_WIDTH.saturating_sub(suffix.chars().count());
            super::show::truncate(&info.title, room) + &suffix
        }
        None => super::show::truncate(&info.title, TITLE_WIDTH),
    }
}

/// Why some authorities have no figure, one line each.
fn notes(c: &Comparison) -> String {
    let mut out = String::new();
    for card in &c.scorecards {
        for row in &card.rows {
            if let Some(why) = &row.indicator.unavailable {
                out.push_str(&format!(
                    "{} {}: no figure: {why}\n",
                    card.la, row.indicator.id
                ));
            }
        }
    }
    out
}

/// The whole scorecard across authorities: each one's value in the month and its RAG.
fn scorecard_table(c: &Comparison, colour: bool) -> String {
    let las: Vec<String> = c.authorities().map(|la| la.to_string()).collect();
    let mut out = format!(
        "Corporate Parenting scorecard, {} (financial year {}): authorities {}\n\
         (each authority's value in the month, then its RAG against its own targets)\n\n",
        month_long(c.month),
        c.financial_year,
        las.join(", ")
    );
    let mut header = format!(
        "{} {} {}",
        pad_right("No.", 5),
        pad_right("Indicator", TITLE_WIDTH),
        pad_right("Good", 5)
    );
    for la in &las {
        header.push_str(&pad_left(la, CELL));
    }
    out.push_str(&header);
    out.push('\n');
    for (info, group) in c.row_keys() {
        let mut line = format!(
            "{} {} {}",
            pad_right(&info.id, 5),
            pad_right(&title(&info, &group), TITLE_WIDTH),
            pad_right(polarity_label(info.polarity), 5)
        );
        for card in &c.scorecards {
            let cell = match Comparison::row(card, &info.id, &group) {
                Some(r) => {
                    let value = if r.indicator.unavailable.is_some() {
                        "n/a".to_owned()
                    } else {
                        show(info.unit, r.current.value)
                    };
                    format!(
                        "{} {}",
                        pad_left(&value, CELL - 2),
                        rag_letter(r.rag, colour)
                    )
                }
                None => pad_left("", CELL),
            };
            line.push_str(&cell);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let notes = notes(c);
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

/// One indicator across authorities: a row per authority (its last six months, DOT, RAG and
/// target), then the pooled figure.
fn indicator_table(c: &Comparison, colour: bool) -> String {
    let Some((info, all)) = &c.indicator else {
        return scorecard_table(c, colour);
    };
    let months = c.months();
    let shown = &months[months.len() - 6..];
    let mut out = format!(
        "{} {} ({}), {}: authorities side by side\n\n",
        info.id,
        info.title,
        polarity_label(info.polarity),
        month_long(c.month)
    );
    let mut header = pad_right("Authority", 16);
    for m in shown {
        header.push_str(&pad_left(&month_label(*m), 9));
    }
    header.push_str(&format!(
        "  {} {} {}",
        "DOT",
        pad_right("RAG", 6),
        pad_left("Target", 10)
    ));
    out.push_str(&header);
    out.push('\n');
    for (card, s) in c.scorecards.iter().zip(all) {
        for row in card.rows.iter().filter(|r| r.indicator.id == info.id) {
            let name = match &row.group {
                Some(g) => format!("{} {g}", card.la),
                None => card.la.to_string(),
            };
            let mut line = pad_right(&name, 16);
            for m in shown {
                let v = if row.group.is_some() {
                    [&row.current, &row.previous]
                        .into_iter()
                        .find(|v| v.month == *m)
                        .and_then(|v| v.value)
                } else {
                    s.value_in(*m)
                };
                line.push_str(&pad_left(&show(info.unit, v), 9));
            }
            let rag = pad_right(&rag_label(row.rag).to_uppercase(), 6);
            let rag = match (colour, row.rag) {
                (true, Some(Rag::Red)) => format!("\x1b[1;31m{rag}\x1b[0m"),
                (true, Some(Rag::Amber)) => format!("\x1b[1;33m{rag}\x1b[0m"),
                (true, Some(Rag::Green)) => format!("\x1b[1;32m{rag}\x1b[0m"),
                _ => rag,
            };
            line.push_str(&format!(
                "  {} {} {}",
                pad_right(row.dot().0, 3),
                rag,
                pad_left(&thresholds(row)[2], 10)
            ));
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    if !matches!(info.basis, Basis::YtdAverage | Basis::TermEnd) {
        let mut line = pad_right("All shown", 16);
        for m in shown {
            line.push_str(&pad_left(&show(info.unit, c.pooled(*m)), 9));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let notes = notes(c);
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

fn rag_class(rag: Option<Rag>) -> &'static str {
    match rag {
        Some(Rag::Red) => "rag rag-red",
        Some(Rag::Amber) => "rag rag-amber",
        Some(Rag::Green) => "rag rag-green",
        None => "rag rag-none",
    }
}

/// One self-contained HTML page: the comparison's table, each cell coloured by its RAG.
fn html(c: &Comparison) -> String {
    let las: Vec<String> = c.authorities().map(|la| la.to_string()).collect();
    let what = match &c.indicator {
        Some((info, _)) => format!("{} {}", info.id, info.title),
        None => "Corporate Parenting scorecard".to_owned(),
    };
    let title = format!(
        "{what}: authorities {}, {}",
        las.join(", "),
        month_long(c.month)
    );
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
    );
    h.push_str(&escape(&title));
    h.push_str("</title>\n<style>");
    h.push_str(CSS);
    h.push_str("</style>\n</head>\n<body>\n<header>\n<h1>");
    h.push_str(&escape(&title));
    h.push_str("</h1>\n<p class=\"sub\">");
    h.push_str(&escape(&format!(
        "Financial year {} · each authority judged against its own targets and tolerances",
        c.financial_year
    )));
    h.push_str("</p>\n</header>\n<table class=\"scorecard\">\n<thead><tr>");
    match &c.indicator {
        None => {
            for head in ["No.", "Indicator", "Good perf. is"] {
                h.push_str(&format!("<th>{head}</th>"));
            }
            for la in &las {
                h.push_str(&format!("<th>{la}</th>"));
            }
            h.push_str("</tr></thead>\n<tbody>\n");
            for (info, group) in c.row_keys() {
                let mut name = escape(&info.title);
                if let Some(g) = &group {
                    name.push_str(&format!(" <span class=\"group\">({})</span>", escape(g)));
                }
                h.push_str(&format!(
                    "<tr><td class=\"id\">{}</td><td class=\"title\">{name}</td><td class=\"pol\">{}</td>",
                    escape(&info.id),
                    polarity_label(info.polarity)
                ));
                for card in &c.scorecards {
                    h.push_str(&html_cell(Comparison::row(card, &info.id, &group)));
                }
                h.push_str("</tr>\n");
            }
        }
        Some((info, all)) => {
            let months = c.months();
            h.push_str("<th>Authority</th>");
            for m in &months {
                h.push_str(&format!("<th class=\"m\">{}</th>", month_label(*m)));
            }
            h.push_str("<th>RAG</th><th>Target</th></tr></thead>\n<tbody>\n");
            for (card, s) in c.scorecards.iter().zip(all) {
                let row = card
                    .rows
                    .iter()
                    .find(|r| r.indicator.id == info.id && r.group.is_none());
                h.push_str(&format!("<tr><td class=\"id\">{}</td>", card.la));
                for m in &months {
                    h.push_str(&format!(
                        "<td class=\"num\">{}</td>",
                        escape(&show(info.unit, s.value_in(*m)))
                    ));
                }
                match row {
                    Some(r) => h.push_str(&format!(
                        "<td class=\"{}\">{}</td><td class=\"thr\">{}</td>",
                        rag_class(r.rag),
                        rag_label(r.rag),
                        escape(&thresholds(r)[2])
                    )),
                    None => h.push_str("<td></td><td></td>"),
                }
                h.push_str("</tr>\n");
            }
            if !matches!(info.basis, Basis::YtdAverage | Basis::TermEnd) {
                h.push_str("<tr><td class=\"id\">All shown</td>");
                for m in &months {
                    h.push_str(&format!(
                        "<td class=\"num\">{}</td>",
                        escape(&show(info.unit, c.pooled(*m)))
                    ));
                }
                h.push_str("<td></td><td></td></tr>\n");
            }
        }
    }
    h.push_str("</tbody>\n</table>\n");
    let notes = notes(c);
    if !notes.is_empty() {
        h.push_str("<ul class=\"notes\">\n");
        for line in notes.lines() {
            h.push_str(&format!("<li>{}</li>\n", escape(line)));
        }
        h.push_str("</ul>\n");
    }
    h.push_str(
        "<footer>“-”: no value; n/a: no figure (see the notes). Pooled figures sum the \
                authorities' numerators and denominators.</footer>\n</body>\n</html>\n",
    );
    h
}

fn html_cell(row: Option<&Row>) -> String {
    match row {
        None => "<td></td>".to_owned(),
        Some(r) if r.indicator.unavailable.is_some() => format!(
            "<td class=\"num\" title=\"{}\">n/a</td>",
            escape(r.indicator.unavailable.as_deref().unwrap_or_default())
        ),
        Some(r) => format!(
            "<td class=\"num {}\">{}</td>",
            rag_class(r.rag),
            escape(&show(r.indicator.unit, r.current.value))
        ),
    }
}

/// One record per authority and scorecard row (or per authority, for one indicator): the
/// month's value, RAG and target, and why there is no figure when there is none.
fn csv(c: &Comparison) -> String {
    use super::csv::line;
    let mut out = line(
        &[
            "la",
            "id",
            "group",
            "title",
            "month",
            "value",
            "numerator",
            "denominator",
            "rag",
            "target",
            "unavailable",
        ]
        .map(str::to_owned),
    );
    let wanted = c.indicator.as_ref().map(|(i, _)| i.id.clone());
    for card in &c.scorecards {
        for r in card
            .rows
            .iter()
            .filter(|r| wanted.as_ref().is_none_or(|id| *id == r.indicator.id))
        {
            out.push_str(&line(&[
                card.la.to_string(),
                r.indicator.id.clone(),
                r.group.clone().unwrap_or_default(),
                r.indicator.title.clone(),
                c.month.to_string(),
                plain(r.indicator.unit, r.current.value),
                r.current.numerator.to_string(),
                r.current
                    .denominator
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                rag_label(r.rag).to_owned(),
                thresholds(r)[2].clone(),
                r.indicator.unavailable.clone().unwrap_or_default(),
            ]));
        }
    }
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ComparisonJson {
    month: String,
    financial_year: String,
    authorities: Vec<String>,
    /// Present when one indicator is compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    indicator: Option<String>,
    /// The 13 months of `monthly`, oldest first (one indicator only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    months: Vec<String>,
    /// The pooled figure in each month (one indicator only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pooled: Vec<Option<f64>>,
    rows: Vec<CellJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CellJson {
    la: String,
    id: String,
    group: String,
    value: Option<f64>,
    numerator: i64,
    denominator: Option<i64>,
    rag: &'static str,
    target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    unavailable: Option<String>,
    /// The value in each month (one indicator only, and not per team group).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    monthly: Vec<Option<f64>>,
}

fn json(c: &Comparison) -> String {
    let months = c.months();
    let wanted = c.indicator.as_ref().map(|(i, _)| i.id.clone());
    let mut rows = Vec::new();
    for (k, card) in c.scorecards.iter().enumerate() {
        for r in card
            .rows
            .iter()
            .filter(|r| wanted.as_ref().is_none_or(|id| *id == r.indicator.id))
        {
            let monthly = match (&c.indicator, &r.group) {
                (Some((_, all)), None) => months.iter().map(|m| all[k].value_in(*m)).collect(),
                _ => Vec::new(),
            };
            rows.push(CellJson {
                la: card.la.to_string(),
                id: r.indicator.id.clone(),
                group: r.group.clone().unwrap_or_default(),
                value: r.current.value,
                numerator: r.current.numerator,
                denominator: r.current.denominator,
                rag: rag_label(r.rag),
                target: thresholds(r)[2].clone(),
                unavailable: r.indicator.unavailable.clone(),
                monthly,
            });
        }
    }
    let one = c.indicator.is_some();
    let out = ComparisonJson {
        month: c.month.to_string(),
        financial_year: c.financial_year.to_string(),
        authorities: c.authorities().map(|la| la.to_string()).collect(),
        indicator: wanted,
        months: if one {
            months.iter().map(ToString::to_string).collect()
        } else {
            Vec::new()
        },
        pooled: if one {
            months.iter().map(|m| c.pooled(*m)).collect()
        } else {
            Vec::new()
        },
        rows,
    };
    // Plain data: serializing cannot fail.
    serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use caseflow_domain::indicators::{Polarity, Unit};

    use super::super::model::MonthValue;
    use super::super::model::fixtures::{indicator, month, row};
    use super::*;

    /// 6.2 in May 2018 of two authorities: 372 at 109.5 (red against 99.1), 373 with no
    /// population (no figure).
    fn two() -> Comparison {
        let rate = indicator("6.2", "Rate per 10,000", Polarity::Low, Unit::RatePer10000);
        let mut a = row(rate.clone(), Some(109.5));
        a.rag = Some(Rag::Red);
        a.current.numerator = 620;
        a.current.denominator = Some(56_600);
        let mut b = row(rate.clone(), None);
        b.indicator.unavailable = Some("no under-18 population is configured".into());
        b.current.numerator = 300;
        b.current.denominator = Some(0);
        let card = |la: &str, r: Row| Scorecard {
            la: La::parse(la).unwrap(),
            month: month("2018-05"),
            financial_year: FinancialYear(2018),
            rows: vec![r],
        };
        Comparison {
            month: month("2018-05"),
            financial_year: FinancialYear(2018),
            scorecards: vec![card("372", a), card("373", b)],
            indicator: None,
        }
    }

    fn with_series(mut c: Comparison) -> Comparison {
        let info = c.scorecards[0].rows[0].indicator.clone();
        let m = |la_n: i64, d: i64, value: Option<f64>| MonthValue {
            month: month("2018-05"),
            numerator: la_n,
            denominator: Some(d),
            value,
            ytd_value: None,
        };
        let all = vec![
            Series {
                indicator: info.clone(),
                months: vec![m(620, 56_600, Some(109.5))],
            },
            Series {
                indicator: info.clone(),
                months: vec![m(300, 0, None)],
            },
        ];
        c.indicator = Some((info, all));
        c
    }

    #[test]
    fn the_scorecard_lays_each_authoritys_value_and_rag_side_by_side() {
        let table = render_comparison(&two(), Format::Table, false);
        let line = table.lines().find(|l| l.starts_with("6.2")).unwrap();
        assert_eq!(
            line,
            // Each authority's cell: the value right-aligned in 9, a space, the RAG letter.
            "6.2   Rate per 10,000                                Low      109.5 R      n/a"
        );
        assert!(table.contains("\n373 6.2: no figure: no under-18 population is configured\n"));
    }

    #[test]
    fn one_indicator_pools_the_authorities_with_a_figure() {
        let c = with_series(two());
        // 373 has no figure: the pool is 372's alone, 620 / 56,600 x 10,000.
        assert_eq!(
            c.pooled(month("2018-05")),
            Some(620.0 * 10_000.0 / 56_600.0)
        );
        let table = render_comparison(&c, Format::Table, false);
        let pooled = table.lines().find(|l| l.starts_with("All shown")).unwrap();
        assert!(pooled.ends_with("109.5"), "{pooled}");
        let row = table.lines().find(|l| l.starts_with("372")).unwrap();
        assert!(row.contains("109.5  –   RED"), "{row}");
    }

    #[test]
    fn csv_json_and_html_carry_the_same_cells() {
        let c = with_series(two());
        let csv = render_comparison(&c, Format::Csv, false);
        assert_eq!(
            csv.lines().nth(2),
            Some(
                "373,6.2,,\"Rate per 10,000\",2018-05,,300,0,,not set,\
                 no under-18 population is configured"
            )
        );
        let json: serde_json::Value =
            serde_json::from_str(&render_comparison(&c, Format::Json, false)).unwrap();
        assert_eq!(json["authorities"], serde_json::json!(["372", "373"]));
        assert_eq!(json["rows"][0]["rag"], "Red");
        assert_eq!(json["rows"][1]["value"], serde_json::Value::Null);
        let html = render_comparison(&two(), Format::Html, false);
        assert!(html.contains("<td class=\"num rag rag-red\">109.5</td>"));
        assert!(html.contains("title=\"no under-18 population is configured\">n/a</td>"));
    }
}
