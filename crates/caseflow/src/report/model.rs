//! The report's model: the scorecard and series the API answered, typed (months, financial
//! years, the domain's polarity, basis, unit, RAG and direction of travel), and the views every
//! renderer shares: the report's months, its sections, a row's value in a month.

use caseflow_domain::indicators::{Basis, Polarity, Unit};
use caseflow_domain::scorecard::{Direction, Judgement, Rag};
use caseflow_domain::{FinancialYear, La, Month};

/// What the report shows: the scorecard and, per indicator of it, the 13 months ending at the
/// scorecard's month (11.5, reported per team group, has one series over all groups); what has
/// been revised since a published report; how late events are recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportData {
    pub scorecard: Scorecard,
    pub series: Vec<Series>,
    /// The figures of a published report (the latest, or the one named) that differ now; none
    /// when no report was published.
    pub revised: Option<Revised>,
    /// The data-timeliness view; none when not asked for.
    pub timeliness: Option<Timeliness>,
}

/// A published report, without its figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Publication {
    pub title: String,
    /// The scorecard's month.
    pub month: Month,
    /// RFC 3339.
    pub published_at: String,
    pub who: String,
}

impl Publication {
    /// Whether the publication showed `month` (13 months, or for a team-group row two).
    pub(crate) fn shows(&self, month: Month, group: bool) -> bool {
        let first = self.month.plus(if group { -1 } else { -12 });
        month >= first && month <= self.month
    }
}

/// What changed since a publication.
#[derive(Clone, Debug, PartialEq)]
pub struct Revised {
    pub publication: Publication,
    /// Its figures that differ now, in report order.
    pub figures: Vec<RevisedFigure>,
}

/// One published figure that differs now.
#[derive(Clone, Debug, PartialEq)]
pub struct RevisedFigure {
    pub indicator: String,
    pub month: Month,
    pub group: Option<String>,
    pub published: Option<f64>,
    pub published_numerator: i64,
    pub published_denominator: Option<i64>,
    pub now: Option<f64>,
    pub numerator: i64,
    pub denominator: Option<i64>,
    /// Events that arrived since the publication and moved it (late entries, corrections,
    /// retractions); none for caseloads (11.x).
    pub records: Option<u64>,
}

/// How late events are recorded, and which figures of the last published report moved most.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeliness {
    /// By payload, then month of occurrence.
    pub lateness: Vec<Lateness>,
    pub publication: Option<Publication>,
    /// Most moved first.
    pub moved_most: Vec<RevisedFigure>,
}

/// How late one kind of event was recorded in one month.
#[derive(Clone, Debug, PartialEq)]
pub struct Lateness {
    pub payload: String,
    pub month: Month,
    pub events: u64,
    pub median_days: i64,
    pub p90_days: i64,
    pub after_month_end: u64,
}

/// Every indicator of one authority in one month.
#[derive(Clone, Debug, PartialEq)]
pub struct Scorecard {
    pub la: La,
    pub month: Month,
    /// The month's financial year.
    pub financial_year: FinancialYear,
    pub rows: Vec<Row>,
}

/// One indicator of the scorecard (for 11.5, one team group).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub indicator: IndicatorInfo,
    /// The team group of an 11.5 row.
    pub group: Option<String>,
    /// The scorecard's month, with its YTD where the basis has one.
    pub current: MonthValue,
    /// The month before, which the direction of travel compares with.
    pub previous: MonthValue,
    /// The four financial years before the month's, oldest first (years without a figure left
    /// out).
    pub trend: Vec<YearValue>,
    /// None when either month has no value.
    pub travel: Option<Travel>,
    /// None without a target or a value.
    pub rag: Option<Rag>,
    /// The target and tolerances the RAG was judged against; none when not configured.
    pub thresholds: Option<Thresholds>,
    pub benchmarks: Benchmarks,
}

/// An indicator as the catalogue describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorInfo {
    /// The report's id, e.g. "6.1".
    pub id: String,
    pub title: String,
    pub polarity: Polarity,
    pub basis: Basis,
    pub unit: Unit,
    /// Why the authority has no figure for the indicator (6.2 without a population), if so.
    pub unavailable: Option<String>,
}

/// The direction of travel from the previous month, and what it means for the indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Travel {
    pub direction: Direction,
    pub judgement: Judgement,
}

/// One month's figure.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthValue {
    pub month: Month,
    /// The count, or a percentage's numerator.
    pub numerator: i64,
    /// Only for percentages and other ratios.
    pub denominator: Option<i64>,
    /// None for a zero denominator.
    pub value: Option<f64>,
    /// April of the financial year to this month, for in-month indicators.
    pub ytd_value: Option<f64>,
}

/// One financial year's figure, for the annual trend.
#[derive(Clone, Debug, PartialEq)]
pub struct YearValue {
    pub year: FinancialYear,
    pub numerator: i64,
    pub denominator: Option<i64>,
    pub value: Option<f64>,
}

/// The target and tolerances of one financial year.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    pub year: FinancialYear,
    pub green: Option<f64>,
    pub amber: Option<f64>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub range_tolerance_percent: Option<f64>,
}

/// Benchmarks as configured; none where not.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Benchmarks {
    pub stat_neighbour_average: Option<f64>,
    pub best_stat_neighbour: Option<f64>,
    pub national_average: Option<f64>,
    pub national_top_quartile: Option<f64>,
}

/// One indicator's monthly series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub indicator: IndicatorInfo,
    pub months: Vec<MonthValue>,
}

impl Scorecard {
    /// Whether any figure of the scorecard is other than zero: an authority with no events in
    /// the install (or none projected yet) has none.
    pub fn has_figures(&self) -> bool {
        self.rows.iter().any(|r| {
            [&r.current, &r.previous]
                .iter()
                .any(|m| m.numerator != 0 || m.denominator.is_some_and(|d| d != 0))
                || r.trend.iter().any(|y| y.numerator != 0)
        })
    }
}

impl ReportData {
    /// The 13 months ending at the scorecard's month, oldest first.
    pub(crate) fn months(&self) -> Vec<Month> {
        (-12..=0).map(|k| self.scorecard.month.plus(k)).collect()
    }

    /// The revision of a row's figure in `month` since the publication compared with.
    pub(crate) fn revision(&self, row: &Row, month: Month) -> Option<&RevisedFigure> {
        self.revised
            .as_ref()?
            .figures
            .iter()
            .find(|f| f.indicator == row.indicator.id && f.month == month && f.group == row.group)
    }

    /// The value the compared publication showed for a row in `month`: its own where revised,
    /// else today's (unchanged); none when it did not show the month.
    pub(crate) fn published_value(&self, row: &Row, month: Month) -> Option<Option<f64>> {
        if let Some(f) = self.revision(row, month) {
            return Some(f.published);
        }
        let revised = self.revised.as_ref()?;
        revised
            .publication
            .shows(month, row.group.is_some())
            .then(|| self.row_value(row, month))
    }

    /// The revised figures in the report's months, in report order.
    pub(crate) fn revisions_shown(&self) -> Vec<(&Row, &RevisedFigure)> {
        let months = self.months();
        let mut out = Vec::new();
        for row in &self.scorecard.rows {
            for m in &months {
                if let Some(f) = self.revision(row, *m) {
                    out.push((row, f));
                }
            }
        }
        out
    }

    pub(crate) fn series_of(&self, id: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.indicator.id == id)
    }

    /// A row's value in `month`: the scorecard's own for its month and the month before, else
    /// the series (not for rows of one team group: the series is over all groups).
    pub(crate) fn row_value(&self, row: &Row, month: Month) -> Option<f64> {
        for m in [&row.current, &row.previous] {
            if m.month == month {
                return m.value;
            }
        }
        if row.group.is_some() {
            return None;
        }
        self.series_of(&row.indicator.id)?.value_in(month)
    }
}

impl Series {
    pub(crate) fn value_in(&self, month: Month) -> Option<f64> {
        self.months
            .iter()
            .find(|m| m.month == month)
            .and_then(|m| m.value)
    }
}

/// A section of the report: the indicators whose id starts `key.`, in scorecard order.
#[derive(Debug)]
pub(crate) struct Section<'a> {
    pub key: String,
    pub name: String,
    pub rows: Vec<&'a Row>,
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

impl Scorecard {
    /// The rows by section, sections in the order of their first row.
    pub(crate) fn sections(&self) -> Vec<Section<'_>> {
        let mut out: Vec<Section<'_>> = Vec::new();
        for row in &self.rows {
            let id = &row.indicator.id;
            let key = id.split_once('.').map_or(id.as_str(), |(k, _)| k);
            match out.iter_mut().find(|s| s.key == key) {
                Some(s) => s.rows.push(row),
                None => out.push(Section {
                    name: section_name(key),
                    key: key.to_owned(),
                    rows: vec![row],
                }),
            }
        }
        out
    }

    /// The four financial years of the annual trend, oldest first.
    pub(crate) fn trend_years(&self) -> Vec<FinancialYear> {
        (1..=4)
            .rev()
            .map(|k| FinancialYear(self.financial_year.0 - k))
            .collect()
    }
}

impl Row {
    pub(crate) fn trend_value(&self, year: FinancialYear) -> Option<f64> {
        self.trend
            .iter()
            .find(|t| t.year == year)
            .and_then(|t| t.value)
    }

    /// The direction of travel as the report draws it: ↑ an improvement (or, for information
    /// indicators, an increase), ↓ a decline (or a decrease), → no movement, – not comparable.
    /// Returns the arrow and its class: improved, declined, same, info or none.
    pub(crate) fn dot(&self) -> (&'static str, &'static str) {
        let Some(travel) = self.travel else {
            return ("–", "none");
        };
        match (travel.judgement, travel.direction) {
            (Judgement::Improved, _) => ("↑", "improved"),
            (Judgement::Declined, _) => ("↓", "declined"),
            (Judgement::NoMovement, _) | (Judgement::NotJudged, Direction::Same) => ("→", "same"),
            (Judgement::NotJudged, Direction::Up) => ("↑", "info"),
            (Judgement::NotJudged, Direction::Down) => ("↓", "info"),
        }
    }
}

impl Benchmarks {
    /// Statistical-neighbour average, best statistical neighbour, national average, national
    /// top quartile: the report's column order.
    pub(crate) fn columns(&self) -> [Option<f64>; 4] {
        [
            self.stat_neighbour_average,
            self.best_stat_neighbour,
            self.national_average,
            self.national_top_quartile,
        ]
    }
}

/// Small reports built by hand, for the renderers' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub(crate) fn month(s: &str) -> Month {
        s.parse().unwrap()
    }

    /// The thresholds of 2018/19, none set.
    pub(crate) fn no_thresholds() -> Thresholds {
        Thresholds {
            year: FinancialYear(2018),
            green: None,
            amber: None,
            range_low: None,
            range_high: None,
            range_tolerance_percent: None,
        }
    }

    pub(crate) fn indicator(
        id: &str,
        title: &str,
        polarity: Polarity,
        unit: Unit,
    ) -> IndicatorInfo {
        IndicatorInfo {
            id: id.to_owned(),
            title: title.to_owned(),
            polarity,
            basis: Basis::InMonth,
            unit,
            unavailable: None,
        }
    }

    fn value(m: &str, numerator: i64, denominator: Option<i64>, value: Option<f64>) -> MonthValue {
        MonthValue {
            month: month(m),
            numerator,
            denominator,
            value,
            ytd_value: None,
        }
    }

    /// A row of May 2018 with `value` (and April without one), nothing judged.
    pub(crate) fn row(indicator: IndicatorInfo, value: Option<f64>) -> Row {
        Row {
            indicator,
            group: None,
            current: self::value("2018-05", 3, Some(4), value),
            previous: self::value("2018-04", 0, None, None),
            trend: Vec::new(),
            travel: None,
            rag: None,
            thresholds: None,
            benchmarks: Benchmarks::default(),
        }
    }

    /// A title with markup, quotes, a comma and an ampersand, as a careless catalogue could
    /// hold.
    pub(crate) const NASTY: &str = "<script>alert(\"x\")</script>, & 'more'";

    /// [`report`] with two rows: 6.5 titled [`NASTY`] at 75%, and 9.1 (fostering) at 420.
    pub(crate) fn report_with_a_nasty_title() -> ReportData {
        let mut data = report();
        data.scorecard.rows = vec![
            row(
                indicator("6.5", NASTY, Polarity::High, Unit::Percent),
                Some(75.0),
            ),
            row(
                indicator("9.1", "Number in fostering", Polarity::High, Unit::Count),
                Some(420.0),
            ),
        ];
        data
    }

    /// Authority 372 in May 2018: 6.5 (a percentage, green, improved, with a trend and
    /// benchmarks), 6.4 (a count, amber, declined), 11.5 for one team group (a range, red, up
    /// but not judged), and the 13-month series of 6.5 and 6.4.
    pub(crate) fn report() -> ReportData {
        let permanence = indicator(
            "6.5",
            "% ceased due to permanence (SGO, residence/child arrangements order, adoption)",
            Polarity::High,
            Unit::Percent,
        );
        let ceased = indicator(
            "6.4",
            "Children who ceased to be looked after",
            Polarity::High,
            Unit::Count,
        );
        let caseload = IndicatorInfo {
            basis: Basis::MonthEnd,
            ..indicator(
                "11.5",
                "Average cases per qualified social worker, per team group",
                Polarity::WithinRange,
                Unit::AverageCount,
            )
        };
        let rows = vec![
            Row {
                current: MonthValue {
                    ytd_value: Some(41.7),
                    ..value("2018-05", 5, Some(12), Some(41.666))
                },
                previous: value("2018-04", 1, Some(4), Some(25.0)),
                trend: vec![
                    YearValue {
                        year: FinancialYear(2016),
                        numerator: 3,
                        denominator: Some(10),
                        value: Some(30.0),
                    },
                    YearValue {
                        year: FinancialYear(2017),
                        numerator: 0,
                        denominator: Some(0),
                        value: None,
                    },
                ],
                travel: Some(Travel {
                    direction: Direction::Up,
                    judgement: Judgement::Improved,
                }),
                rag: Some(Rag::Green),
                thresholds: Some(Thresholds {
                    green: Some(35.0),
                    amber: Some(33.0),
                    ..no_thresholds()
                }),
                benchmarks: Benchmarks {
                    stat_neighbour_average: Some(12.9),
                    national_average: Some(12.0),
                    ..Default::default()
                },
                ..row(permanence.clone(), None)
            },
            Row {
                current: MonthValue {
                    ytd_value: Some(7.0),
                    ..value("2018-05", 2, None, Some(2.0))
                },
                previous: value("2018-04", 5, None, Some(5.0)),
                travel: Some(Travel {
                    direction: Direction::Down,
                    judgement: Judgement::Declined,
                }),
                rag: Some(Rag::Amber),
                thresholds: Some(Thresholds {
                    green: Some(3.0),
                    amber: Some(2.0),
                    ..no_thresholds()
                }),
                ..row(ceased.clone(), None)
            },
            Row {
                group: Some("LAC 1-3".to_owned()),
                current: value("2018-05", 2150, Some(100), Some(21.5)),
                previous: value("2018-04", 1800, Some(100), Some(18.0)),
                travel: Some(Travel {
                    direction: Direction::Up,
                    judgement: Judgement::NotJudged,
                }),
                rag: Some(Rag::Red),
                thresholds: Some(Thresholds {
                    range_low: Some(14.0),
                    range_high: Some(20.0),
                    ..no_thresholds()
                }),
                ..row(caseload, None)
            },
        ];
        let months = |values: [Option<f64>; 13]| -> Vec<MonthValue> {
            values
                .into_iter()
                .enumerate()
                .map(|(k, v)| MonthValue {
                    month: month("2017-05").plus(k as i32),
                    numerator: v.map_or(0, |v| v.round() as i64),
                    denominator: None,
                    value: v,
                    ytd_value: None,
                })
                .collect()
        };
        ReportData {
            revised: None,
            timeliness: None,
            scorecard: Scorecard {
                la: La::parse("372").unwrap(),
                month: month("2018-05"),
                financial_year: FinancialYear(2018),
                rows,
            },
            series: vec![
                Series {
                    indicator: permanence,
                    months: months([
                        Some(20.0),
                        Some(30.0),
                        None,
                        Some(50.0),
                        Some(40.0),
                        Some(35.0),
                        Some(30.0),
                        Some(20.0),
                        Some(10.0),
                        Some(0.0),
                        Some(33.3),
                        Some(25.0),
                        Some(41.666),
                    ]),
                },
                Series {
                    indicator: ceased,
                    months: months([
                        Some(2.0),
                        Some(3.0),
                        Some(1.0),
                        Some(0.0),
                        Some(4.0),
                        Some(6.0),
                        Some(2.0),
                        Some(3.0),
                        Some(1.0),
                        Some(2.0),
                        Some(3.0),
                        Some(5.0),
                        Some(2.0),
                    ]),
                },
            ],
        }
    }
}

#[cfg(test)]
pub(crate) mod revised_fixture {
    use super::fixtures::{month, report};
    use super::*;

    /// [`report`] compared with "Panel 19 June 2018" (the April 2018 report): 6.4 of April was
    /// published as 4 and is 5 now (two records since); 6.5 of March was 30% (3 of 10) and is
    /// 33.3%; and a timeliness view of admissions.
    pub(crate) fn revised_report() -> ReportData {
        let mut data = report();
        let publication = Publication {
            title: "Panel 19 June 2018".to_owned(),
            month: month("2018-04"),
            published_at: "2018-05-20T12:00:00Z".to_owned(),
            who: "a.analyst".to_owned(),
        };
        let ceased = RevisedFigure {
            indicator: "6.4".to_owned(),
            month: month("2018-04"),
            group: None,
            published: Some(4.0),
            published_numerator: 4,
            published_denominator: None,
            now: Some(5.0),
            numerator: 5,
            denominator: None,
            records: Some(2),
        };
        let permanence = RevisedFigure {
            indicator: "6.5".to_owned(),
            month: month("2018-03"),
            group: None,
            published: Some(30.0),
            published_numerator: 3,
            published_denominator: Some(10),
            now: Some(33.3),
            numerator: 4,
            denominator: Some(12),
            records: Some(1),
        };
        data.revised = Some(Revised {
            publication: publication.clone(),
            figures: vec![permanence.clone(), ceased.clone()],
        });
        data.timeliness = Some(Timeliness {
            lateness: vec![
                Lateness {
                    payload: "periodOfCareStarted".to_owned(),
                    month: month("2018-04"),
                    events: 3,
                    median_days: 2,
                    p90_days: 27,
                    after_month_end: 1,
                },
                Lateness {
                    payload: "periodOfCareStarted".to_owned(),
                    month: month("2018-05"),
                    events: 1,
                    median_days: 0,
                    p90_days: 0,
                    after_month_end: 0,
                },
            ],
            publication: Some(publication),
            moved_most: vec![ceased, permanence],
        });
        data
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{month, report};
    use super::*;

    #[test]
    fn a_scorecard_of_zeros_has_no_figures() {
        let mut card = report().scorecard;
        assert!(card.has_figures());
        for r in &mut card.rows {
            for m in [&mut r.current, &mut r.previous] {
                m.numerator = 0;
                m.denominator = None;
            }
            r.trend.clear();
        }
        assert!(!card.has_figures());
    }

    #[test]
    fn the_report_covers_thirteen_months_and_four_trend_years() {
        let data = report();
        let months: Vec<String> = data.months().iter().map(Month::to_string).collect();
        assert_eq!(months.len(), 13);
        assert_eq!((&*months[0], &*months[12]), ("2017-05", "2018-05"));
        let years: Vec<String> = data
            .scorecard
            .trend_years()
            .iter()
            .map(FinancialYear::to_string)
            .collect();
        assert_eq!(years, ["2014/15", "2015/16", "2016/17", "2017/18"]);
    }

    #[test]
    fn rows_fall_into_sections_by_the_first_part_of_their_id() {
        let data = report();
        let sections: Vec<(String, String, Vec<&str>)> = data
            .scorecard
            .sections()
            .into_iter()
            .map(|s| {
                let ids = s.rows.iter().map(|r| r.indicator.id.as_str()).collect();
                (s.key, s.name, ids)
            })
            .collect();
        assert_eq!(
            sections,
            [
                (
                    "6".into(),
                    "LOOKED AFTER CHILDREN".into(),
                    vec!["6.5", "6.4"]
                ),
                ("11".into(), "SOCIAL WORKER CASELOADS".into(), vec!["11.5"]),
            ]
        );
    }

    #[test]
    fn a_row_takes_its_own_months_then_its_series_but_a_group_only_its_own() {
        let data = report();
        let [permanence, _, caseload] = &data.scorecard.rows[..] else {
            panic!("three rows");
        };
        // The scorecard's month and the one before come from the row, others from the series.
        assert_eq!(data.row_value(permanence, month("2018-05")), Some(41.666));
        assert_eq!(data.row_value(permanence, month("2018-04")), Some(25.0));
        assert_eq!(data.row_value(permanence, month("2018-03")), Some(33.3));
        assert_eq!(data.row_value(permanence, month("2017-07")), None);
        assert_eq!(data.row_value(caseload, month("2018-04")), Some(18.0));
        assert_eq!(data.row_value(caseload, month("2018-03")), None);
        assert_eq!(permanence.trend_value(FinancialYear(2016)), Some(30.0));
        assert_eq!(permanence.trend_value(FinancialYear(2015)), None);
    }

    #[test]
    fn the_dot_follows_the_judgement_then_the_direction() {
        let mut row = report().scorecard.rows[0].clone();
        let mut dot = |direction, judgement| {
            row.travel = Some(Travel {
                direction,
                judgement,
            });
            row.dot()
        };
        assert_eq!(dot(Direction::Up, Judgement::Improved), ("↑", "improved"));
        assert_eq!(dot(Direction::Up, Judgement::Declined), ("↓", "declined"));
        assert_eq!(dot(Direction::Same, Judgement::NoMovement), ("→", "same"));
        assert_eq!(dot(Direction::Down, Judgement::NotJudged), ("↓", "info"));
        assert_eq!(dot(Direction::Same, Judgement::NotJudged), ("→", "same"));
        row.travel = None;
        assert_eq!(row.dot(), ("–", "none"));
    }
}
