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
              ]
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
