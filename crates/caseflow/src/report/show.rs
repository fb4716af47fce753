//! Values, months, names and labels as the report shows them, shared by the renderers.

use caseflow_domain::Month;
use caseflow_domain::indicators::{Basis, Polarity, Unit};
use caseflow_domain::scorecard::{Direction, Judgement, Rag};

use super::model::Row;

/// A value as the report shows it: percentages with one decimal and `%`, counts whole, other
/// units (rates, average days, average cases) with one decimal; no value as `-`.
pub(crate) fn show(unit: Unit, v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => match unit {
            Unit::Percent => format!("{v:.1}%"),
            Unit::Count => format!("{v:.0}"),
            _ => format!("{v:.1}"),
        },
        _ => "-".to_owned(),
    }
}

/// A benchmark as shown: as a value, or nothing when not configured.
pub(crate) fn show_benchmark(unit: Unit, v: Option<f64>) -> String {
    if v.is_some() {
        show(unit, v)
    } else {
        String::new()
    }
}

/// A value for CSV: as shown, without `%`; no value as empty.
pub(crate) fn plain(unit: Unit, v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => match unit {
            Unit::Count => format!("{v:.0}"),
            _ => format!("{v:.1}"),
        },
        _ => String::new(),
    }
}

/// A number with at most one decimal, none when whole.
fn short(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0")
        .map_or_else(|| s.clone(), str::to_owned)
}

/// A threshold: at most one decimal, none when whole; `%` for percentages.
fn threshold(unit: Unit, v: f64) -> String {
    let s = short(v);
    if unit == Unit::Percent { s + "%" } else { s }
}

/// The thresholds the RAG used, as the report's Red / Amber / Target Green columns.
pub(crate) fn thresholds(row: &Row) -> [String; 3] {
    let i = &row.indicator;
    let u = i.unit;
    let not_set = || [String::new(), String::new(), "not set".to_owned()];
    let Some(t) = &row.thresholds else {
        return match i.polarity {
            Polarity::Info => [String::new(), String::new(), "n/a".to_owned()],
            _ => not_set(),
        };
    };
    match i.polarity {
        Polarity::High => match (t.green, t.amber) {
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
            _ => not_set(),
        },
        Polarity::Low => match (t.green, t.amber) {
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
            _ => not_set(),
        },
        Polarity::WithinRange => match (t.range_low, t.range_high) {
            (Some(lo), Some(hi)) => {
                let tol = short(t.range_tolerance_percent.unwrap_or(1.0));
                [
                    format!(">{tol}% above"),
                    format!("≤{tol}% above"),
                    format!("{}–{}", threshold(u, lo), threshold(u, hi)),
                ]
            }
            _ => not_set(),
        },
        Polarity::Info => [String::new(), String::new(), "n/a".to_owned()],
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

/// 2018-05 as "May-18", as the report's columns.
pub(crate) fn month_label(m: Month) -> String {
    format!(
        "{}-{:02}",
        MONTH_NAMES[usize::from(m.number() - 1)],
        m.year().rem_euclid(100)
    )
}

/// 2018-05 as "May 2018".
pub(crate) fn month_long(m: Month) -> String {
    format!(
        "{} {}",
        LONG_MONTH_NAMES[usize::from(m.number() - 1)],
        m.year()
    )
}

/// `s` cut to `width` characters, with `…` where it was cut.
pub(crate) fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else if width == 0 {
        String::new()
    } else {
        s.chars().take(width - 1).collect::<String>() + "…"
    }
}

/// The "Good performance is" column.
pub(crate) fn polarity_label(p: Polarity) -> &'static str {
    match p {
        Polarity::Info => "Info",
        Polarity::High => "High",
        Polarity::Low => "Low",
        Polarity::WithinRange => "Range",
    }
}

pub(crate) fn unit_label(u: Unit) -> &'static str {
    match u {
        Unit::Count => "Count",
        Unit::Percent => "Percentage",
        Unit::RatePer10000 => "Rate per 10,000",
        Unit::AverageDays => "Average days",
        Unit::AverageCount => "Average count",
    }
}

pub(crate) fn basis_label(b: Basis) -> &'static str {
    match b {
        Basis::MonthEnd => "As at month end",
        Basis::InMonth => "In month; YTD",
        Basis::Rolling12Months => "Rolling 12 months",
        Basis::YtdAverage => "YTD average",
        Basis::TermEnd => "Termly",
    }
}

/// "Red", "Amber", "Green"; nothing without a RAG.
pub(crate) fn rag_label(rag: Option<Rag>) -> &'static str {
    match rag {
        Some(Rag::Red) => "Red",
        Some(Rag::Amber) => "Amber",
        Some(Rag::Green) => "Green",
        None => "",
    }
}

// The names CSV and JSON write (snake case, as INDICATORS.md spells them).

pub(crate) fn polarity_name(p: Polarity) -> &'static str {
    match p {
        Polarity::Info => "info",
        Polarity::High => "high",
        Polarity::Low => "low",
        Polarity::WithinRange => "within_range",
    }
}

pub(crate) fn basis_name(b: Basis) -> &'static str {
    match b {
        Basis::MonthEnd => "month_end",
        Basis::InMonth => "in_month",
        Basis::Rolling12Months => "rolling_12_months",
        Basis::YtdAverage => "ytd_average",
        Basis::TermEnd => "term_end",
    }
}

pub(crate) fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Count => "count",
        Unit::Percent => "percent",
        Unit::RatePer10000 => "rate_per_10000",
        Unit::AverageDays => "average_days",
        Unit::AverageCount => "average_count",
    }
}

pub(crate) fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Up => "up",
        Direction::Down => "down",
        Direction::Same => "same",
    }
}

pub(crate) fn judgement_name(j: Judgement) -> &'static str {
    match j {
        Judgement::Improved => "improved",
        Judgement::Declined => "declined",
        Judgement::NoMovement => "no_movement",
        Judgement::NotJudged => "not_judged",
    }
}

/// The direction of travel, its judgement and the RAG as CSV and JSON write them: empty when
/// there is none.
pub(crate) fn travel_and_rag_names(row: &Row) -> [&'static str; 3] {
    [
        row.travel.map_or("", |t| direction_name(t.direction)),
        row.travel.map_or("", |t| judgement_name(t.judgement)),
        row.rag.map_or("", Rag::name),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::model::Thresholds;
    use super::super::model::fixtures::{indicator, month, no_thresholds, report, row};
    use super::*;

    #[test]
    fn values_show_by_unit() {
        let cases = [
            (Unit::Percent, Some(41.666), "41.7%", "41.7"),
            (Unit::Count, Some(420.0), "420", "420"),
            (Unit::RatePer10000, Some(110.06), "110.1", "110.1"),
            (Unit::AverageDays, Some(0.0), "0.0", "0.0"),
            (Unit::Percent, None, "-", ""),
            (Unit::Count, Some(f64::NAN), "-", ""),
        ];
        for (unit, v, shown, csv) in cases {
            assert_eq!(
                (show(unit, v).as_str(), plain(unit, v).as_str()),
                (shown, csv)
            );
        }
        assert_eq!(show_benchmark(Unit::Percent, None), "");
        assert_eq!(show_benchmark(Unit::Percent, Some(12.0)), "12.0%");
    }

    #[test]
    fn months_are_labelled_as_the_report_does() {
        assert_eq!(month_label(month("2018-05")), "May-18");
        assert_eq!(month_label(month("2009-12")), "Dec-09");
        assert_eq!(month_long(month("2018-01")), "January 2018");
        assert_eq!(truncate("Number of looked-after children", 9), "Number o…");
        assert_eq!(truncate("short", 9), "short");
    }

    #[test]
    fn thresholds_read_by_polarity() {
        let rows = report().scorecard.rows;
        let shown: Vec<[String; 3]> = rows.iter().map(thresholds).collect();
        assert_eq!(
            shown,
            [
                ["<33%", "33%+", "35%+"].map(String::from),
                ["<2", "2+", "3+"].map(String::from),
                [">1% above", "≤1% above", "14–20"].map(String::from),
            ]
        );

        let mut low = row(
            indicator("6.2", "Rate", Polarity::Low, Unit::RatePer10000),
            None,
        );
        low.thresholds = Some(Thresholds {
            green: Some(99.1),
            ..no_thresholds()
        });
        assert_eq!(thresholds(&low), [">99.1", "", "≤99.1"].map(String::from));
        low.thresholds = None;
        assert_eq!(thresholds(&low), ["", "", "not set"].map(String::from));
        let info = row(indicator("6.1", "LAC", Polarity::Info, Unit::Count), None);
        assert_eq!(thresholds(&info), ["", "", "n/a"].map(String::from));
    }

    #[test]
    fn travel_and_rag_are_named_or_empty() {
        let rows = report().scorecard.rows;
        assert_eq!(travel_and_rag_names(&rows[0]), ["up", "improved", "green"]);
        assert_eq!(travel_and_rag_names(&rows[2]), ["up", "not_judged", "red"]);
        let plain = row(indicator("6.1", "LAC", Polarity::Info, Unit::Count), None);
        assert_eq!(travel_and_rag_names(&plain), ["", "", ""]);
    }
}
