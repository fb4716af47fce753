//! The report as JSON: the scorecard by section, each row with its monthly values (camelCase
//! keys; polarity, unit, basis, direction, judgement and RAG by their snake-case names, empty
//! when there is none).

use serde::Serialize;

use super::model::{ReportData, Row};
use super::show::{basis_name, polarity_name, travel_and_rag_names, unit_name};

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportJson {
    la: String,
    month: String,
    financial_year: String,
    /// The 13 months of `monthly`, oldest first.
    months: Vec<String>,
    sections: Vec<SectionJson>,
    /// The publication the figures are compared with; null when none was published.
    compared_with: Option<PublicationJson>,
    /// Its figures that differ now.
    revised: Vec<RevisedJson>,
    /// How late events are recorded; null when not fetched.
    timeliness: Option<TimelinessJson>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicationJson {
    title: String,
    month: String,
    published_at: String,
    who: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RevisedJson {
    id: String,
    group: String,
    month: String,
    published_value: Option<f64>,
    published_numerator: i64,
    published_denominator: Option<i64>,
    value: Option<f64>,
    numerator: i64,
    denominator: Option<i64>,
    /// Events recorded since the publication that moved it (null for a team group's figure).
    records: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TimelinessJson {
    lateness: Vec<LatenessJson>,
    publication: Option<PublicationJson>,
    moved_most: Vec<RevisedJson>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LatenessJson {
    payload: String,
    month: String,
    events: u64,
    median_days: i64,
    p90_days: i64,
    after_month_end: u64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SectionJson {
    /// The ids' first part: "6" for 6.x.
    key: String,
    name: String,
    rows: Vec<RowJson>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RowJson {
    id: String,
    /// The team group of an 11.5 row; empty otherwise.
    group: String,
    title: String,
    polarity: &'static str,
    unit: &'static str,
    basis: &'static str,
    value: Option<f64>,
    numerator: i64,
    denominator: Option<i64>,
    previous: Option<f64>,
    ytd: Option<f64>,
    direction: &'static str,
    judgement: &'static str,
    /// The arrow the report draws: ↑ ↓ → or –.
    dot: &'static str,
    rag: &'static str,
    thresholds: Option<ThresholdsJson>,
    trend: Vec<YearJson>,
    benchmarks: BenchmarksJson,
    /// The value in each of `months` (the series; for a team group only its two months).
    monthly: Vec<Option<f64>>,
    /// Why there is no figure (6.2 without a population); left out when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    unavailable: Option<String>,
    /// The value the compared publication showed for the month, and the month before (null
    /// when it did not show them).
    published_value: Option<f64>,
    published_previous: Option<f64>,
    /// Now minus published, where revised (null when unchanged).
    revision: Option<f64>,
    previous_revision: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ThresholdsJson {
    year: String,
    green: Option<f64>,
    amber: Option<f64>,
    range_low: Option<f64>,
    range_high: Option<f64>,
    range_tolerance_percent: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct YearJson {
    year: String,
    value: Option<f64>,
    numerator: i64,
    denominator: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BenchmarksJson {
    stat_neighbour_average: Option<f64>,
    best_stat_neighbour: Option<f64>,
    national_average: Option<f64>,
    national_top_quartile: Option<f64>,
}

fn row_json(data: &ReportData, row: &Row) -> RowJson {
    let i = &row.indicator;
    let [direction, judgement, rag] = travel_and_rag_names(row);
    let b = row.benchmarks;
    RowJson {
        id: i.id.clone(),
        group: row.group.clone().unwrap_or_default(),
        title: i.title.clone(),
        polarity: polarity_name(i.polarity),
        unit: unit_name(i.unit),
        basis: basis_name(i.basis),
        unavailable: i.unavailable.clone(),
        value: row.current.value,
        numerator: row.current.numerator,
        denominator: row.current.denominator,
        previous: row.previous.value,
        ytd: row.current.ytd_value,
        direction,
        judgement,
        dot: row.dot().0,
        rag,
        thresholds: row.thresholds.as_ref().map(|t| ThresholdsJson {
            year: t.year.to_string(),
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
                year: t.year.to_string(),
                value: t.value,
                numerator: t.numerator,
                denominator: t.denominator,
            })
            .collect(),
        benchmarks: BenchmarksJson {
            stat_neighbour_average: b.stat_neighbour_average,
            best_stat_neighbour: b.best_stat_neighbour,
            national_average: b.national_average,
            national_top_quartile: b.national_top_quartile,
        },
        monthly: data
            .months()
            .into_iter()
            .map(|m| data.row_value(row, m))
            .collect(),
        published_value: data.published_value(row, row.current.month).flatten(),
        published_previous: data.published_value(row, row.previous.month).flatten(),
        revision: super::csv::revision(data, row, row.current.month),
        previous_revision: super::csv::revision(data, row, row.previous.month),
    }
}

fn publication_json(p: &super::model::Publication) -> PublicationJson {
    PublicationJson {
        title: p.title.clone(),
        month: p.month.to_string(),
        published_at: p.published_at.clone(),
        who: p.who.clone(),
    }
}

fn revised_json(f: &super::model::RevisedFigure) -> RevisedJson {
    RevisedJson {
        id: f.indicator.clone(),
        group: f.group.clone().unwrap_or_default(),
        month: f.month.to_string(),
        published_value: f.published,
        published_numerator: f.published_numerator,
        published_denominator: f.published_denominator,
        value: f.now,
        numerator: f.numerator,
        denominator: f.denominator,
        records: f.records,
    }
}

fn report_json(data: &ReportData) -> ReportJson {
    let card = &data.scorecard;
    ReportJson {
        la: card.la.to_string(),
        month: card.month.to_string(),
        financial_year: card.financial_year.to_string(),
        months: data.months().iter().map(ToString::to_string).collect(),
        sections: card
            .sections()
            .into_iter()
            .map(|s| SectionJson {
                rows: s.rows.iter().map(|row| row_json(data, row)).collect(),
                key: s.key,
                name: s.name,
            })
            .collect(),
        compared_with: data
            .revised
            .as_ref()
            .map(|r| publication_json(&r.publication)),
        revised: data
            .revised
            .iter()
            .flat_map(|r| r.figures.iter().map(revised_json))
            .collect(),
        timeliness: data.timeliness.as_ref().map(|t| TimelinessJson {
            lateness: t
                .lateness
                .iter()
                .map(|l| LatenessJson {
                    payload: l.payload.clone(),
                    month: l.month.to_string(),
                    events: l.events,
                    median_days: l.median_days,
                    p90_days: l.p90_days,
                    after_month_end: l.after_month_end,
                })
                .collect(),
            publication: t.publication.as_ref().map(publication_json),
            moved_most: t.moved_most.iter().map(revised_json).collect(),
        }),
    }
}

pub(crate) fn render(data: &ReportData) -> String {
    // Plain strings, options and numbers: serialising cannot fail (non-finite floats become null).
    let mut s = serde_json::to_string_pretty(&report_json(data)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use serde_json::Value;

    use super::super::model::fixtures::report;
    use super::*;

    #[test]
    fn revised_figures_carry_the_published_value_and_the_revision() {
        let data = super::super::model::revised_fixture::revised_report();
        let json: Value = serde_json::from_str(&render(&data)).unwrap();
        assert_eq!(json["comparedWith"]["title"], "Panel 19 June 2018");
        let ceased = &json["sections"][0]["rows"][1];
        assert_eq!(ceased["id"], "6.4");
        // April (the month before May) was published as 4 and is 5 now; May was not published.
        assert_eq!(
            (&ceased["publishedPrevious"], &ceased["previousRevision"]),
            (&Value::from(4.0), &Value::from(1.0))
        );
        assert_eq!(
            (&ceased["publishedValue"], &ceased["revision"]),
            (&Value::Null, &Value::Null)
        );
        let revised: Vec<(&str, &str, u64)> = json["revised"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap(),
                    r["month"].as_str().unwrap(),
                    r["records"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(revised, [("6.5", "2018-03", 1), ("6.4", "2018-04", 2)]);
        assert_eq!(json["timeliness"]["lateness"][0]["p90Days"], 27);
        assert_eq!(json["timeliness"]["movedMost"][0]["id"], "6.4");
    }

    #[test]
    fn the_report_by_section_with_thirteen_months() {
        let json: Value = serde_json::from_str(&render(&report())).unwrap();
        assert_eq!(
            (&json["la"], &json["month"], &json["financialYear"]),
            (
                &Value::from("372"),
                &Value::from("2018-05"),
                &Value::from("2018/19")
            )
        );
        let months = json["months"].as_array().unwrap();
        assert_eq!((months.len(), &months[0]), (13, &Value::from("2017-05")));
        let sections: Vec<(&str, usize)> = json["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap(),
                    s["rows"].as_array().unwrap().len(),
                )
            })
            .collect();
        assert_eq!(
            sections,
            [("LOOKED AFTER CHILDREN", 2), ("SOCIAL WORKER CASELOADS", 1)]
        );
    }

    #[test]
    fn a_row_carries_names_thresholds_trend_benchmarks_and_its_months() {
        let data = report();
        let row = serde_json::to_string_pretty(&row_json(&data, &data.scorecard.rows[0])).unwrap();
        expect![[r#"
            {
              "id": "6.5",
              "group": "",
              "title": "% ceased due to permanence (SGO, residence/child arrangements order, adoption)",
              "polarity": "high",
              "unit": "percent",
              "basis": "in_month",
              "value": 41.666,
              "numerator": 5,
              "denominator": 12,
              "previous": 25.0,
              "ytd": 41.7,
              "direction": "up",
              "judgement": "improved",
              "dot": "↑",
              "rag": "green",
              "thresholds": {
                "year": "2018/19",
                "green": 35.0,
                "amber": 33.0,
                "rangeLow": null,
                "rangeHigh": null,
                "rangeTolerancePercent": null
              },
              "trend": [
                {
                  "year": "2016/17",
                  "value": 30.0,
                  "numerator": 3,
                  "denominator": 10
                },
                {
                  "year": "2017/18",
                  "value": null,
                  "numerator": 0,
                  "denominator": 0
                }
              ],
              "benchmarks": {
                "statNeighbourAverage": 12.9,
                "bestStatNeighbour": null,
                "nationalAverage": 12.0,
                "nationalTopQuartile": null
              },
              "monthly": [
                20.0,
                30.0,
                null,
                50.0,
                40.0,
                35.0,
                30.0,
                20.0,
                10.0,
                0.0,
                33.3,
                25.0,
                41.666
              ],
              "publishedValue": null,
              "publishedPrevious": null,
              "revision": null,
              "previousRevision": null
            }"#]]
        .assert_eq(&row);
    }

    #[test]
    fn a_row_without_travel_or_rag_has_empty_names_and_a_group_only_its_months() {
        let data = report();
        let caseload = row_json(&data, &data.scorecard.rows[2]);
        assert_eq!(caseload.group, "LAC 1-3");
        assert_eq!((caseload.dot, caseload.judgement), ("↑", "not_judged"));
        let known: Vec<Option<f64>> = caseload
            .monthly
            .iter()
            .copied()
            .filter(Option::is_some)
            .collect();
        assert_eq!(known, [Some(18.0), Some(21.5)]);

        let mut plain = data.scorecard.rows[1].clone();
        plain.travel = None;
        plain.rag = None;
        let json = row_json(&data, &plain);
        assert_eq!(
            (json.direction, json.judgement, json.dot, json.rag),
            ("", "", "–", "")
        );
    }

    #[test]
    fn text_is_kept_as_is_and_sections_follow_the_ids() {
        use super::super::model::fixtures::{NASTY, report_with_a_nasty_title};

        let data = report_with_a_nasty_title();
        let json: Value = serde_json::from_str(&render(&data)).unwrap();
        assert_eq!(json["sections"][0]["rows"][0]["title"], NASTY);
        assert_eq!(json["sections"][1]["name"], "FOSTERING");
        assert_eq!(json["sections"][1]["rows"][0]["value"], 420.0);
    }
}
