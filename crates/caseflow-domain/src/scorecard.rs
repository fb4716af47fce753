//! Around each figure (INDICATORS.md section 4): direction of travel, RAG against the targets
//! and tolerances configured per indicator and financial year, and benchmarks.

use serde::{Deserialize, Serialize};

use crate::FinancialYear;
use crate::indicators::{Indicator, Polarity};

/// Targets, tolerances and benchmarks, from configuration (`deploy/scorecard-2018-19.toml`
/// reproduces the May 2018 report's).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScorecardSettings {
    pub targets: Vec<TargetSetting>,
    pub benchmarks: Vec<BenchmarkSetting>,
}

/// One indicator's target for one financial year.
///
/// For `high` polarity: green at or above `green`, amber at or above `amber`, red below. For
/// `low`: green at or below `green`, amber at or below `amber`, red above. For `within range`:
/// green inside `range`, amber up to `range_tolerance_percent` (default 1%) above its top, red
/// beyond (below the range is green: the report penalises only exceeding it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSetting {
    pub indicator: String,
    /// `2018/19`
    pub year: String,
    #[serde(default)]
    pub green: Option<f64>,
    #[serde(default)]
    pub amber: Option<f64>,
    #[serde(default)]
    pub range: Option<(f64, f64)>,
    #[serde(default)]
    pub range_tolerance_percent: Option<f64>,
}

/// Benchmarks shown beside a figure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkSetting {
    pub indicator: String,
    #[serde(default)]
    pub stat_neighbour_average: Option<f64>,
    #[serde(default)]
    pub best_stat_neighbour: Option<f64>,
    #[serde(default)]
    pub national_average: Option<f64>,
    #[serde(default)]
    pub national_top_quartile: Option<f64>,
}

impl ScorecardSettings {
    pub fn target(&self, indicator: Indicator, year: FinancialYear) -> Option<&TargetSetting> {
        let year = year.to_string();
        self.targets
            .iter()
            .find(|t| t.indicator == indicator.id() && t.year == year)
    }

    pub fn benchmark(&self, indicator: Indicator) -> Option<&BenchmarkSetting> {
        self.benchmarks
            .iter()
            .find(|b| b.indicator == indicator.id())
    }

    /// Names every target or benchmark whose indicator id or year is not valid.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.targets {
            if Indicator::from_id(&t.indicator).is_none() {
                out.push(format!("target for unknown indicator {:?}", t.indicator));
            }
            if !is_financial_year(&t.year) {
                out.push(format!(
                    "target year {:?} is not of the form 2018/19",
                    t.year
                ));
            }
            if t.green.is_none() && t.range.is_none() {
                out.push(format!(
                    "target for {} {} has neither green nor range",
                    t.indicator, t.year
                ));
            }
        }
        for b in &self.benchmarks {
            if Indicator::from_id(&b.indicator).is_none() {
                out.push(format!("benchmark for unknown indicator {:?}", b.indicator));
            }
        }
        out
    }
}

/// `2018/19`: a year and the last two digits of the next.
pub(crate) fn is_financial_year(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, b)| {
        a.len() == 4
            && b.len() == 2
            && a.parse::<i32>()
                .ok()
                .zip(b.parse::<i32>().ok())
                .is_some_and(|(a, b)| (a + 1).rem_euclid(100) == b)
    })
}

/// Red, amber or green.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rag {
    Red,
    Amber,
    Green,
}

impl Rag {
    pub fn name(self) -> &'static str {
        match self {
            Rag::Red => "red",
            Rag::Amber => "amber",
            Rag::Green => "green",
        }
    }
}

/// The RAG rating of `value` against `target` for an indicator of `polarity`; none when the
/// target does not say (e.g. only a range for a high-polarity figure) or there is no value.
pub fn rag(polarity: Polarity, value: Option<f64>, target: &TargetSetting) -> Option<Rag> {
    let v = value?;
    // Compare on the displayed precision (one decimal), so 94.96% shown as 95.0% is green.
    let v = (v * 10.0).round() / 10.0;
    match polarity {
        Polarity::High => {
            let green = target.green?;
            Some(if v >= green {
                Rag::Green
            } else if target.amber.is_some_and(|a| v >= a) {
                Rag::Amber
            } else {
                Rag::Red
            })
        }
        Polarity::Low => {
            let green = target.green?;
            Some(if v <= green {
                Rag::Green
            } else if target.amber.is_some_and(|a| v <= a) {
                Rag::Amber
            } else {
                Rag::Red
            })
        }
        Polarity::WithinRange => {
            let (_, high) = target.range?;
            let tolerance = target.range_tolerance_percent.unwrap_or(1.0);
            Some(if v <= high {
                Rag::Green
            } else if v <= high * (1.0 + tolerance / 100.0) {
                Rag::Amber
            } else {
                Rag::Red
            })
        }
        Polarity::Info => None,
    }
}

/// Direction of travel: the month's value against the previous month's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Up,
    Down,
    Same,
}

/// Whether the direction is better, worse, or (for `info` indicators) neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Judgement {
    Improved,
    Declined,
    NoMovement,
    NotJudged,
}

/// The direction of travel from `previous` to `current`, compared at displayed precision.
pub fn direction_of_travel(
    polarity: Polarity,
    current: Option<f64>,
    previous: Option<f64>,
) -> Option<(Direction, Judgement)> {
    let round = |v: f64| (v * 10.0).round() as i64;
    let (c, p) = (round(current?), round(previous?));
    let direction = match c.cmp(&p) {
        std::cmp::Ordering::Greater => Direction::Up,
        std::cmp::Ordering::Less => Direction::Down,
        std::cmp::Ordering::Equal => Direction::Same,
    };
    let judgement = match (polarity, direction) {
        (_, Direction::Same) => Judgement::NoMovement,
        (Polarity::Info | Polarity::WithinRange, _) => Judgement::NotJudged,
        (Polarity::High, Direction::Up) | (Polarity::Low, Direction::Down) => Judgement::Improved,
        (Polarity::High, Direction::Down) | (Polarity::Low, Direction::Up) => Judgement::Declined,
    };
    Some((direction, judgement))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(green: Option<f64>, amber: Option<f64>) -> TargetSetting {
        TargetSetting {
            indicator: "6.7".into(),
            year: "2018/19".into(),
            green,
            amber,
            range: None,
            range_tolerance_percent: None,
        }
    }

    #[test]
    fn rag_follows_the_reports_tolerances() {
        // 6.7 in the report: red below 90%, amber from 90%, green from 95%. May 2018: 78.8%.
        let t = target(Some(95.0), Some(90.0));
        assert_eq!(rag(Polarity::High, Some(78.8), &t), Some(Rag::Red));
        assert_eq!(rag(Polarity::High, Some(90.0), &t), Some(Rag::Amber));
        assert_eq!(
            rag(Polarity::High, Some(94.96), &t),
            Some(Rag::Green),
            "shown as 95.0%"
        );
        assert_eq!(rag(Polarity::High, None, &t), None);
        // 10.4 (A1, low): red 511+, amber below 511, green 487 or below.
        let a1 = target(Some(487.0), Some(511.0));
        assert_eq!(rag(Polarity::Low, Some(469.0), &a1), Some(Rag::Green));
        assert_eq!(rag(Polarity::Low, Some(500.0), &a1), Some(Rag::Amber));
        assert_eq!(rag(Polarity::Low, Some(520.0), &a1), Some(Rag::Red));
        // 11.5: 14-20 cases; amber up to 1% above 20 (20.2), red beyond.
        let range = TargetSetting {
            range: Some((14.0, 20.0)),
            ..target(None, None)
        };
        assert_eq!(
            rag(Polarity::WithinRange, Some(12.5), &range),
            Some(Rag::Green)
        );
        assert_eq!(
            rag(Polarity::WithinRange, Some(20.2), &range),
            Some(Rag::Amber)
        );
        assert_eq!(
            rag(Polarity::WithinRange, Some(20.3), &range),
            Some(Rag::Red)
        );
        assert_eq!(rag(Polarity::Info, Some(628.0), &t), None);
    }

    #[test]
    fn direction_of_travel_by_polarity() {
        // 6.7 fell from 85.6% to 78.8%: down, a decline.
        assert_eq!(
            direction_of_travel(Polarity::High, Some(78.8), Some(85.6)),
            Some((Direction::Down, Judgement::Declined))
        );
        // 6.2 (low) rose from 110.8 to 113.4: a decline.
        assert_eq!(
            direction_of_travel(Polarity::Low, Some(113.4), Some(110.8)),
            Some((Direction::Up, Judgement::Declined))
        );
        // 6.1 (info) rose: only the direction.
        assert_eq!(
            direction_of_travel(Polarity::Info, Some(642.0), Some(627.0)),
            Some((Direction::Up, Judgement::NotJudged))
        );
        assert_eq!(
            direction_of_travel(Polarity::High, Some(50.04), Some(49.96)),
            Some((Direction::Same, Judgement::NoMovement)),
            "equal at one decimal"
        );
        assert_eq!(direction_of_travel(Polarity::High, None, Some(1.0)), None);
    }

    #[test]
    fn settings_are_checked() {
        let s = ScorecardSettings {
            targets: vec![TargetSetting {
                year: "2018/20".into(),
                ..target(Some(1.0), None)
            }],
            benchmarks: vec![BenchmarkSetting {
                indicator: "9.9".into(),
                ..Default::default()
            }],
        };
        assert_eq!(s.problems().len(), 2);
        assert!(
            ScorecardSettings {
                targets: vec![target(Some(95.0), Some(90.0))],
                benchmarks: vec![]
            }
            .problems()
            .is_empty()
        );
    }
}
