//! Asks a running server for the report's scorecard and series, and reads the answers into the
//! typed model. Nothing is guessed: a value the model has no place for (an unknown polarity, a
//! month that does not parse, a row without its indicator) is an error naming it.

use std::collections::BTreeSet;

use anyhow::{Context, anyhow, bail};
use caseflow_domain::indicators::{Basis, Polarity, Unit};
use caseflow_domain::scorecard::{Direction, Judgement, Rag};
use caseflow_domain::{FinancialYear, La, Month};
use caseflow_proto::v1;

use super::model::{
    Benchmarks, IndicatorInfo, MonthValue, ReportData, Row, Scorecard, Series, Thresholds, Travel,
    YearValue,
};
use super::show;

/// Asks the server at `grpc` (e.g. `http://127.0.0.1:50051`) for the scorecard of `la` and
/// `month` (`YYYY-MM`; `None`: the last complete month) and each indicator's 13-month series.
pub async fn fetch(grpc: &str, la: &str, month: Option<&str>) -> anyhow::Result<ReportData> {
    let mut figures = v1::figures_client::FiguresClient::connect(grpc.to_owned())
        .await
        .with_context(|| format!("cannot reach caseflow at {grpc}"))?;
    let answer = figures
        .get_scorecard(v1::GetScorecardRequest {
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
        series.push(self::series(answer).with_context(|| format!("the server's series of {id}"))?);
    }
    Ok(ReportData { scorecard, series })
}

fn scorecard(card: v1::Scorecard) -> anyhow::Result<Scorecard> {
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

fn row(row: v1::ScorecardRow) -> anyhow::Result<Row> {
    let indicator = indicator(row.indicator)?;
    let id = indicator.id.clone();
    let travel = match (
        optional(&row.direction, &DIRECTIONS, show::direction_name)?,
        optional(&row.judgement, &JUDGEMENTS, show::judgement_name)?,
    ) {
        (Some(direction), Some(judgement)) => Some(Travel {
            direction,
            judgement,
        }),
        (None, None) => None,
        (d, j) => bail!("{id}: a direction of travel {d:?} with a judgement {j:?}"),
    };
    let month_value = |m: Option<v1::MonthValue>, which: &str| {
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
        rag: optional(&row.rag, &RAGS, Rag::name)?,
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

fn series(s: v1::GetSeriesResponse) -> anyhow::Result<Series> {
    Ok(Series {
        indicator: indicator(s.indicator)?,
        months: s
            .months
            .into_iter()
            .map(month_value)
            .collect::<anyhow::Result<_>>()?,
    })
}

fn indicator(info: Option<v1::IndicatorInfo>) -> anyhow::Result<IndicatorInfo> {
    let info = info.context("no indicator")?;
    let id = info.id;
    Ok(IndicatorInfo {
        polarity: required(&info.polarity, &POLARITIES, show::polarity_name)
            .with_context(|| format!("{id}: polarity"))?,
        basis: required(&info.basis, &BASES, show::basis_name)
            .with_context(|| format!("{id}: basis"))?,
        unit: required(&info.unit, &UNITS, show::unit_name)
            .with_context(|| format!("{id}: unit"))?,
        title: info.title,
        id,
    })
}

fn month_value(m: v1::MonthValue) -> anyhow::Result<MonthValue> {
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

const POLARITIES: [Polarity; 4] = [
    Polarity::Info,
    Polarity::High,
    Polarity::Low,
    Polarity::WithinRange,
];
const BASES: [Basis; 5] = [
    Basis::MonthEnd,
    Basis::InMonth,
    Basis::Rolling12Months,
    Basis::YtdAverage,
    Basis::TermEnd,
];
const UNITS: [Unit; 5] = [
    Unit::Count,
    Unit::Percent,
    Unit::RatePer10000,
    Unit::AverageDays,
    Unit::AverageCount,
];
const DIRECTIONS: [Direction; 3] = [Direction::Up, Direction::Down, Direction::Same];
const JUDGEMENTS: [Judgement; 4] = [
    Judgement::Improved,
    Judgement::Declined,
    Judgement::NoMovement,
    Judgement::NotJudged,
];
const RAGS: [Rag; 3] = [Rag::Red, Rag::Amber, Rag::Green];

/// The value named `s`; empty is none.
fn optional<T: Copy>(s: &str, all: &[T], name: fn(T) -> &'static str) -> anyhow::Result<Option<T>> {
    if s.is_empty() {
        return Ok(None);
    }
    all.iter()
        .copied()
        .find(|v| name(*v) == s)
        .map(Some)
        .ok_or_else(|| anyhow!("{s:?} is not a known value"))
}

fn required<T: Copy>(s: &str, all: &[T], name: fn(T) -> &'static str) -> anyhow::Result<T> {
    optional(s, all, name)?.ok_or_else(|| anyhow!("missing"))
}
