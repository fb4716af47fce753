//! Asks a running server for the report's scorecard and series, and reads the answers into the
//! typed model. Nothing is guessed: a value the model has no place for (a polarity, basis or
//! unit left UNSPECIFIED, an enum value this build does not know, a month that does not parse,
//! a row without its indicator) is an error naming it. UNSPECIFIED is "none" only where the API
//! says so: a row's direction of travel, judgement and RAG.

use std::collections::BTreeSet;

use anyhow::{Context, anyhow, bail};
use caseflow_domain::{FinancialYear, La, Month};
use caseflow_proto::{WireEnum, read_enum, v2};

use crate::client::Server;

use super::model::{
    Benchmarks, IndicatorInfo, Lateness, MonthValue, Publication, ReportData, Revised,
    RevisedFigure, Row, Scorecard, Series, Thresholds, Timeliness, Travel, YearValue,
};

/// Asks `server` for the scorecard of `la` and `month` (`YYYY-MM`; `None`: the last complete
/// month), each indicator's 13-month series, what changed since the publication titled
/// `against` (`None`: the latest, if any) and the data-timeliness view of the 12 months ending
/// at the scorecard's month.
pub async fn fetch(
    server: &Server,
    la: &str,
    month: Option<&str>,
    against: Option<&str>,
) -> anyhow::Result<ReportData> {
    let mut figures = server.figures();
    let answer = figures
        .get_scorecard(v2::GetScorecardRequest {
            la: la.to_owned(),
            month: month.unwrap_or_default().to_owned(),
            ..Default::default()
        })
        .await
        .with_context(|| format!("GetScorecard for authority {la}"))?
        .into_inner();
    let scorecard = scorecard(answer).context("the server's scorecard")?;
    let (from, to) = (scorecard.month.plus(-12), scorecard.month);
    let mut series = Vec::new();
    let mut seen = BTreeSet::new();
    for row in &scorecard.rows {
        let id = &row.indicator.id;
        if !seen.insert(id.clone()) {
            continue;
        }
        let answer = figures
            .get_series(v2::GetSeriesRequest {
                la: la.to_owned(),
                indicator: id.clone(),
                from_month: from.to_string(),
                to_month: to.to_string(),
                ..Default::default()
            })
            .await
            .with_context(|| format!("GetSeries of {id} for authority {la}"))?
            .into_inner();
        series.push(self::series(answer).with_context(|| format!("the server's series of {id}"))?);
    }
    let since = figures
        .get_revised_since(v2::GetRevisedSinceRequest {
            la: la.to_owned(),
            title: against.unwrap_or_default().to_owned(),
        })
        .await
        .with_context(|| format!("GetRevisedSince for authority {la}"))?
        .into_inner();
    let revised = match since.publication {
        Some(p) => Some(Revised {
            publication: publication(p)?,
            figures: since
                .revised
                .into_iter()
                .map(revised_figure)
                .collect::<anyhow::Result<_>>()?,
        }),
        None => None,
    };
    let answer = figures
        .get_timeliness(v2::GetTimelinessRequest {
            la: la.to_owned(),
            from_month: scorecard.month.plus(-11).to_string(),
            to_month: scorecard.month.to_string(),
        })
        .await
        .with_context(|| format!("GetTimeliness for authority {la}"))?
        .into_inner();
    let timeliness = Some(self::timeliness(answer).context("the server's timeliness")?);
    Ok(ReportData {
        scorecard,
        series,
        revised,
        timeliness,
    })
}

/// Records that the report of `la` and `month` was presented, titled `title`.
pub async fn publish(
    server: &Server,
    la: &str,
    month: Option<&str>,
    title: Option<&str>,
) -> anyhow::Result<(Publication, usize)> {
    let answer = server
        .figures()
        .publish_report(v2::PublishReportRequest {
            la: la.to_owned(),
            month: month.unwrap_or_default().to_owned(),
            title: title.unwrap_or_default().to_owned(),
        })
        .await
        .with_context(|| format!("PublishReport for authority {la}"))?
        .into_inner();
    let figures = answer.figures.len();
    Ok((publication(answer)?, figures))
}

/// The reports published for `la`, oldest first.
pub async fn list_published(server: &Server, la: &str) -> anyhow::Result<Vec<Publication>> {
    server
        .figures()
        .list_publications(v2::ListPublicationsRequest {
            la: la.to_owned(),
            with_figures: false,
        })
        .await
        .with_context(|| format!("ListPublications for authority {la}"))?
        .into_inner()
        .publications
        .into_iter()
        .map(publication)
        .collect()
}

fn publication(p: v2::Publication) -> anyhow::Result<Publication> {
    Ok(Publication {
        month: month(&p.month).with_context(|| format!("publication {:?}", p.title))?,
        title: p.title,
        published_at: p.published_at,
        who: p.who,
    })
}

fn revised_figure(f: v2::RevisedFigure) -> anyhow::Result<RevisedFigure> {
    Ok(RevisedFigure {
        month: month(&f.month)?,
        group: Some(f.group).filter(|g| !g.is_empty()),
        indicator: f.indicator,
        published: f.published_value,
        published_numerator: f.published_numerator,
        published_denominator: f.published_denominator,
        now: f.value,
        numerator: f.numerator,
        denominator: f.denominator,
        records: f.records,
    })
}

fn timeliness(t: v2::Timeliness) -> anyhow::Result<Timeliness> {
    Ok(Timeliness {
        lateness: t
            .lateness
            .into_iter()
            .map(|l| {
                Ok(Lateness {
                    month: month(&l.month)?,
                    payload: l.payload,
                    events: l.events,
                    median_days: l.median_days,
                    p90_days: l.p90_days,
                    after_month_end: l.after_month_end,
                })
            })
            .collect::<anyhow::Result<_>>()?,
        publication: t.publication.map(publication).transpose()?,
        moved_most: t
            .moved_most
            .into_iter()
            .map(revised_figure)
            .collect::<anyhow::Result<_>>()?,
    })
}

pub(super) fn scorecard(card: v2::Scorecard) -> anyhow::Result<Scorecard> {
    Ok(Scorecard {
        la: La::parse(&card.la).ok_or_else(|| anyhow!("authority {:?} is not a code", card.la))?,
        month: month(&card.month)?,
        financial_year: financial_year(&card.financial_year)?,
        rows: card
            .rows
            .into_iter()
            .enumerate()
            .map(|(k, r)| row(r).with_context(|| format!("row {}", k + 1)))
            .collect::<anyhow::Result<_>>()?,
    })
}

fn row(row: v2::ScorecardRow) -> anyhow::Result<Row> {
    let indicator = indicator(row.indicator)?;
    let id = indicator.id.clone();
    let travel = match (
        read_enum::<v2::Direction>(row.direction)?,
        read_enum::<v2::Judgement>(row.judgement)?,
    ) {
        (Some(direction), Some(judgement)) => Some(Travel {
            direction,
            judgement,
        }),
        (None, None) => None,
        _ => bail!("{id}: a direction of travel and its judgement come together, not alone"),
    };
    let month_value = |m: Option<v2::MonthValue>, which: &str| {
        m.ok_or_else(|| anyhow!("{id} has no {which} month"))
            .and_then(month_value)
    };
    Ok(Row {
        group: Some(row.group).filter(|g| !g.is_empty()),
        current: month_value(row.current, "current")?,
        previous: month_value(row.previous, "previous")?,
        trend: row
            .trend
            .into_iter()
            .map(|y| {
                Ok(YearValue {
                    year: financial_year(&y.year)?,
                    numerator: y.numerator,
                    denominator: y.denominator,
                    value: y.value,
                })
            })
            .collect::<anyhow::Result<_>>()?,
        travel,
        rag: read_enum::<v2::Rag>(row.rag)?,
        thresholds: row
            .thresholds
            .map(|t| {
                anyhow::Ok(Thresholds {
                    year: financial_year(&t.year)?,
                    green: t.green,
                    amber: t.amber,
                    range_low: t.range_low,
                    range_high: t.range_high,
                    range_tolerance_percent: t.range_tolerance_percent,
                })
            })
            .transpose()?,
        benchmarks: row
            .benchmarks
            .map_or_else(Benchmarks::default, |b| Benchmarks {
                stat_neighbour_average: b.stat_neighbour_average,
                best_stat_neighbour: b.best_stat_neighbour,
                national_average: b.national_average,
                national_top_quartile: b.national_top_quartile,
            }),
        indicator,
    })
}

pub(super) fn series(s: v2::GetSeriesResponse) -> anyhow::Result<Series> {
    Ok(Series {
        indicator: indicator(s.indicator)?,
        months: s
            .months
            .into_iter()
            .map(month_value)
            .collect::<anyhow::Result<_>>()?,
    })
}

fn indicator(info: Option<v2::IndicatorInfo>) -> anyhow::Result<IndicatorInfo> {
    let info = info.context("no indicator")?;
    let id = info.id;
    Ok(IndicatorInfo {
        polarity: required::<v2::Polarity>(info.polarity).with_context(|| id.clone())?,
        basis: required::<v2::Basis>(info.basis).with_context(|| id.clone())?,
        unit: required::<v2::Unit>(info.unit).with_context(|| id.clone())?,
        title: info.title,
        unavailable: Some(info.unavailable).filter(|u| !u.is_empty()),
        id,
    })
}

fn month_value(m: v2::MonthValue) -> anyhow::Result<MonthValue> {
    Ok(MonthValue {
        month: month(&m.month)?,
        numerator: m.numerator,
        denominator: m.denominator,
        value: m.value,
        ytd_value: m.ytd_value,
    })
}

fn month(s: &str) -> anyhow::Result<Month> {
    s.parse().map_err(|e| anyhow!("{e}"))
}

/// "2018/19" as `FinancialYear(2018)`.
fn financial_year(s: &str) -> anyhow::Result<FinancialYear> {
    s.split_once('/')
        .and_then(|(first, _)| first.parse().ok())
        .map(FinancialYear)
        .filter(|y| y.to_string() == s)
        .ok_or_else(|| anyhow!("{s:?} is not a financial year of the form YYYY/YY"))
}

/// An enum field every answer sets: UNSPECIFIED is an error.
fn required<W: WireEnum>(raw: i32) -> anyhow::Result<W::Domain> {
    read_enum::<W>(raw)?.ok_or_else(|| anyhow!("{} is unspecified", W::NAME))
}

#[cfg(test)]
mod tests {
    use caseflow_domain::indicators::{Basis, Polarity, Unit};
    use caseflow_domain::scorecard::{Direction, Judgement, Rag};

    use super::*;

    fn info() -> v2::IndicatorInfo {
        v2::IndicatorInfo {
            id: "6.5".into(),
            title: "% ceased due to permanence".into(),
            polarity: v2::Polarity::High.into(),
            basis: v2::Basis::InMonth.into(),
            unit: v2::Unit::Percent.into(),
            unavailable: String::new(),
        }
    }

    fn month_value(month: &str, value: Option<f64>) -> Option<v2::MonthValue> {
        Some(v2::MonthValue {
            month: month.into(),
            numerator: 1,
            denominator: Some(2),
            value,
            ytd_numerator: Some(3),
            ytd_denominator: Some(4),
            ytd_value: Some(75.0),
            complete: true,
        })
    }

    /// 6.5 in May 2018 of authority 372: 50% after 25%, improved, green against 35%+.
    fn answer() -> v2::Scorecard {
        v2::Scorecard {
            la: "372".into(),
            month: "2018-05".into(),
            financial_year: "2018/19".into(),
            rows: vec![v2::ScorecardRow {
                indicator: Some(info()),
                current: month_value("2018-05", Some(50.0)),
                previous: month_value("2018-04", Some(25.0)),
                trend: vec![v2::YearValue {
                    year: "2017/18".into(),
                    numerator: 2,
                    denominator: Some(8),
                    value: Some(25.0),
                }],
                direction: v2::Direction::Up.into(),
                judgement: v2::Judgement::Improved.into(),
                rag: v2::Rag::Green.into(),
                thresholds: Some(v2::Thresholds {
                    year: "2018/19".into(),
                    green: Some(35.0),
                    ..Default::default()
                }),
                benchmarks: None,
                group: String::new(),
            }],
        }
    }

    /// The error of reading `card`, with its causes.
    fn error(card: v2::Scorecard) -> String {
        format!("{:#}", scorecard(card).unwrap_err())
    }

    #[test]
    fn an_answer_reads_as_the_typed_model() {
        let card = scorecard(answer()).unwrap();
        assert_eq!(card.la.to_string(), "372");
        assert_eq!(card.month, "2018-05".parse().unwrap());
        assert_eq!(card.financial_year, FinancialYear(2018));
        let row = &card.rows[0];
        assert_eq!(
            (
                row.indicator.polarity,
                row.indicator.basis,
                row.indicator.unit
            ),
            (Polarity::High, Basis::InMonth, Unit::Percent)
        );
        assert_eq!(
            row.travel,
            Some(Travel {
                direction: Direction::Up,
                judgement: Judgement::Improved
            })
        );
        assert_eq!(row.rag, Some(Rag::Green));
        assert_eq!(
            (row.current.value, row.current.ytd_value),
            (Some(50.0), Some(75.0))
        );
        assert_eq!(row.trend[0].year, FinancialYear(2017));
        assert_eq!(row.thresholds.as_ref().unwrap().year, FinancialYear(2018));
        assert_eq!(row.group, None);
        assert_eq!(row.benchmarks, Benchmarks::default());
    }

    #[test]
    fn unspecified_travel_and_rag_are_none() {
        let mut answer = answer();
        let row = &mut answer.rows[0];
        row.direction = v2::Direction::Unspecified.into();
        row.judgement = v2::Judgement::Unspecified.into();
        row.rag = v2::Rag::Unspecified.into();
        row.group = "LAC 1-3".into();
        let card = scorecard(answer).unwrap();
        assert_eq!((card.rows[0].travel, card.rows[0].rag), (None, None));
        assert_eq!(card.rows[0].group.as_deref(), Some("LAC 1-3"));
    }

    #[test]
    fn what_the_model_has_no_place_for_is_an_error() {
        let mut unspecified = answer();
        if let Some(i) = unspecified.rows[0].indicator.as_mut() {
            i.unit = v2::Unit::Unspecified.into();
        }
        assert_eq!(
            error(unspecified),
            "row 1: 6.5: caseflow.v2.Unit is unspecified"
        );

        let mut newer = answer();
        newer.rows[0].rag = 9;
        assert_eq!(error(newer), "row 1: 9 is not a value of caseflow.v2.Rag");

        let mut half = answer();
        half.rows[0].judgement = v2::Judgement::Unspecified.into();
        assert_eq!(
            error(half),
            "row 1: 6.5: a direction of travel and its judgement come together, not alone"
        );

        let mut month = answer();
        month.month = "May 2018".into();
        assert_eq!(
            error(month),
            "\"May 2018\" is not a month of the form YYYY-MM"
        );

        let mut year = answer();
        year.financial_year = "2018/20".into();
        assert_eq!(
            error(year),
            "\"2018/20\" is not a financial year of the form YYYY/YY"
        );

        let mut bare = answer();
        bare.rows[0].indicator = None;
        assert_eq!(error(bare), "row 1: no indicator");

        let mut no_month = answer();
        no_month.rows[0].previous = None;
        assert_eq!(error(no_month), "row 1: 6.5 has no previous month");
    }
}
