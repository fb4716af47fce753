//! The indicator catalogue and the derivation of each child's contributions to it.
//!
//! A child's timeline maps to a set of [`Contribution`]s: "+1 to the numerator of 6.1 for
//! May 2018", "+1 to 6.1's age band 10-15 for May 2018". A figure is the sum of all children's
//! contributions, so applying an event means re-deriving one child and adding the difference.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::{AgeBand, FinancialYear, Month, age_on};
use crate::codes::{LegalStatus, PlacementType, Provider, Sex};
use crate::timeline::{ChildTimeline, PeriodOfCare};

/// Which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Polarity {
    /// For information: only up/down is shown.
    Info,
    High,
    Low,
    WithinRange,
}

/// Which period each monthly figure covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    /// A snapshot on the month's last day; the FY trend is the 31 March snapshot.
    MonthEnd,
    /// Events dated in the month, summed for YTD and FY.
    InMonth,
}

/// How a figure is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    Count,
    Percent,
}

/// The indicators caseflow derives. Ids are the report's ("6.1").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Indicator {
    /// 6.1 Number of looked-after children.
    LookedAfter,
    /// 6.3 Admissions of looked-after children.
    Admissions,
    /// 6.4 Children who ceased to be looked after.
    Ceased,
}

impl Indicator {
    pub const ALL: [Indicator; 3] = [
        Indicator::LookedAfter,
        Indicator::Admissions,
        Indicator::Ceased,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Indicator::LookedAfter => "6.1",
            Indicator::Admissions => "6.3",
            Indicator::Ceased => "6.4",
        }
    }

    pub fn from_id(id: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.id() == id)
    }

    pub fn title(self) -> &'static str {
        match self {
            Indicator::LookedAfter => "Number of looked-after children",
            Indicator::Admissions => "Admissions of looked-after children",
            Indicator::Ceased => "Children who ceased to be looked after",
        }
    }

    pub fn polarity(self) -> Polarity {
        match self {
            Indicator::LookedAfter | Indicator::Admissions => Polarity::Info,
            Indicator::Ceased => Polarity::High,
        }
    }

    pub fn basis(self) -> Basis {
        match self {
            Indicator::LookedAfter => Basis::MonthEnd,
            Indicator::Admissions | Indicator::Ceased => Basis::InMonth,
        }
    }

    pub fn unit(self) -> Unit {
        Unit::Count
    }

    /// A stable small number for storage keys. Never reuse one.
    pub fn key(self) -> u16 {
        match self {
            Indicator::LookedAfter => 601,
            Indicator::Admissions => 603,
            Indicator::Ceased => 604,
        }
    }

    pub fn from_key(key: u16) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.key() == key)
    }
}

/// What a breakdown splits a figure by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Dimension {
    AgeBand,
    LegalStatus,
    PlacementType,
    Provider,
    Sex,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::AgeBand,
        Dimension::LegalStatus,
        Dimension::PlacementType,
        Dimension::Provider,
        Dimension::Sex,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::AgeBand => "age_band",
            Dimension::LegalStatus => "legal_status",
            Dimension::PlacementType => "placement_type",
            Dimension::Provider => "placement_provider",
            Dimension::Sex => "sex",
        }
    }

    pub fn from_name(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// One category of a breakdown. `Unknown` collects children whose value is not recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    AgeBand(AgeBand),
    LegalStatus(LegalStatus),
    PlacementType(PlacementType),
    Provider(Provider),
    Sex(Sex),
    Unknown(Dimension),
}

impl Category {
    pub fn dimension(self) -> Dimension {
        match self {
            Category::AgeBand(_) => Dimension::AgeBand,
            Category::LegalStatus(_) => Dimension::LegalStatus,
            Category::PlacementType(_) => Dimension::PlacementType,
            Category::Provider(_) => Dimension::Provider,
            Category::Sex(_) => Dimension::Sex,
            Category::Unknown(d) => d,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::AgeBand(b) => b.label(),
            Category::LegalStatus(s) => s.code(),
            Category::PlacementType(t) => t.code(),
            Category::Provider(p) => p.code(),
            Category::Sex(s) => s.code(),
            Category::Unknown(_) => "Unknown",
        }
    }
}

/// What a contribution adds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Measure {
    /// The count, or a percentage's numerator.
    Numerator,
    /// A percentage's denominator.
    Denominator,
    /// One category of a breakdown of the numerator.
    Breakdown(Category),
}

/// Where a contribution goes: one measure of one indicator in one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cell {
    pub indicator: Indicator,
    pub month: Month,
    pub measure: Measure,
}

/// An amount added to a cell by one child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Contribution {
    pub cell: Cell,
    pub amount: i64,
}

/// Everything one child contributes, for every month up to and including `horizon`, sorted by
/// cell with one entry per cell.
pub fn child_contributions(tl: &ChildTimeline, horizon: Month) -> Vec<Contribution> {
    let mut out: BTreeMap<Cell, i64> = BTreeMap::new();
    let mut add = |indicator, month, measure| {
        *out.entry(Cell {
            indicator,
            month,
            measure,
        })
        .or_default() += 1;
    };
    for period in tl.counted_periods() {
        let first = Month::of(period.start);
        if first <= horizon {
            add(Indicator::Admissions, first, Measure::Numerator);
        }
        if let Some(end) = period.end {
            let month = Month::of(end);
            if month <= horizon {
                add(Indicator::Ceased, month, Measure::Numerator);
            }
        }
        // 6.1: every month whose last day the period contains.
        let last = period
            .end
            .map_or(horizon, |end| Month::of(end).min(horizon));
        for month in first.through(last) {
            let day = month.last_day();
            if !period.contains(day) {
                continue;
            }
            add(Indicator::LookedAfter, month, Measure::Numerator);
            for category in looked_after_categories(tl, period, day) {
                add(Indicator::LookedAfter, month, Measure::Breakdown(category));
            }
        }
    }
    out.into_iter()
        .filter(|(_, amount)| *amount != 0)
        .map(|(cell, amount)| Contribution { cell, amount })
        .collect()
}

/// The breakdown categories of a child looked after on `day` in `period`.
fn looked_after_categories(
    tl: &ChildTimeline,
    period: &PeriodOfCare,
    day: time::Date,
) -> [Category; 5] {
    let age = tl.date_of_birth.map(|b| AgeBand::of_age(age_on(b, day)));
    let status = period.legal_status_on(day);
    let placement = current_placement(period, day);
    [
        age.map_or(Category::Unknown(Dimension::AgeBand), Category::AgeBand),
        status.map_or(
            Category::Unknown(Dimension::LegalStatus),
            Category::LegalStatus,
        ),
        placement.map_or(Category::Unknown(Dimension::PlacementType), |p| {
            Category::PlacementType(p.placement.kind)
        }),
        placement
            .and_then(|p| p.placement.provider)
            .map_or(Category::Unknown(Dimension::Provider), Category::Provider),
        tl.sex
            .map_or(Category::Unknown(Dimension::Sex), Category::Sex),
    ]
}

/// The current placement on `day`: the latest non-temporary placement started on or before it.
pub fn current_placement(
    period: &PeriodOfCare,
    day: time::Date,
) -> Option<&crate::timeline::PlacementSpell> {
    period
        .placements
        .iter()
        .take_while(|p| p.start <= day)
        .filter(|p| !p.placement.kind.is_temporary())
        .last()
}

/// Reads summed cells: implemented by the in-memory [`Figures`] and by the store.
pub trait CellSource {
    fn cell(&self, cell: &Cell) -> i64;
}

/// A figure for one indicator and month, with its YTD and financial-year context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthFigure {
    pub indicator: Indicator,
    pub month: Month,
    pub numerator: i64,
    /// Only for percentages.
    pub denominator: Option<i64>,
    /// For in-month indicators: April of the FY to this month.
    pub ytd: Option<(i64, Option<i64>)>,
}

impl MonthFigure {
    /// The displayed value: the count, or the percentage (none for a zero denominator).
    pub fn value(&self) -> Option<f64> {
        value_of(self.numerator, self.denominator)
    }
}

/// A count, or a percentage of a non-zero denominator.
pub fn value_of(numerator: i64, denominator: Option<i64>) -> Option<f64> {
    match denominator {
        None => Some(numerator as f64),
        Some(0) => None,
        Some(d) => Some(numerator as f64 * 100.0 / d as f64),
    }
}

/// The figure for `indicator` in `month`, read from `source`.
pub fn month_figure(source: &impl CellSource, indicator: Indicator, month: Month) -> MonthFigure {
    let read = |month, measure| {
        source.cell(&Cell {
            indicator,
            month,
            measure,
        })
    };
    let percent = indicator.unit() == Unit::Percent;
    let pair = |month| {
        (
            read(month, Measure::Numerator),
            percent.then(|| read(month, Measure::Denominator)),
        )
    };
    let (numerator, denominator) = pair(month);
    let ytd = (indicator.basis() == Basis::InMonth).then(|| {
        month
            .financial_year()
            .first_month()
            .through(month)
            .map(pair)
            .fold((0, percent.then_some(0)), |(n, d), (mn, md)| {
                (n + mn, d.zip(md).map(|(a, b)| a + b))
            })
    });
    MonthFigure {
        indicator,
        month,
        numerator,
        denominator,
        ytd,
    }
}

/// The figure for a whole financial year: the sum over its months for in-month indicators,
/// the 31 March snapshot otherwise. `last` bounds the months that exist yet.
pub fn financial_year_figure(
    source: &impl CellSource,
    indicator: Indicator,
    year: FinancialYear,
    last: Month,
) -> Option<(i64, Option<i64>)> {
    let end = year.last_month().min(last);
    if end < year.first_month() {
        return None;
    }
    let f = month_figure(source, indicator, end);
    Some(match indicator.basis() {
        Basis::InMonth => f.ytd.unwrap_or((f.numerator, f.denominator)),
        Basis::MonthEnd => (f.numerator, f.denominator),
    })
}

/// Figures held in memory: the sum of contributions. Used without any store, and as the
/// reference a store must agree with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    cells: BTreeMap<Cell, i64>,
}

impl Figures {
    pub fn add(&mut self, contributions: &[Contribution], sign: i64) {
        for c in contributions {
            let v = self.cells.entry(c.cell).or_default();
            *v += sign * c.amount;
            if *v == 0 {
                self.cells.remove(&c.cell);
            }
        }
    }

    pub fn cells(&self) -> impl Iterator<Item = (&Cell, &i64)> {
        self.cells.iter()
    }

    /// The breakdown of `indicator` in `month`: every category with a non-zero count.
    pub fn breakdown(
        &self,
        indicator: Indicator,
        month: Month,
        dimension: Dimension,
    ) -> Vec<(Category, i64)> {
        self.cells
            .iter()
            .filter_map(|(cell, v)| match cell.measure {
                Measure::Breakdown(c)
                    if cell.indicator == indicator
                        && cell.month == month
                        && c.dimension() == dimension =>
                {
                    Some((c, *v))
                }
                _ => None,
            })
            .collect()
    }
}

impl CellSource for Figures {
    fn cell(&self, cell: &Cell) -> i64 {
        self.cells.get(cell).copied().unwrap_or(0)
    }
}

/// The difference `new - old` of two sorted contribution lists, as sorted contributions.
pub fn diff(old: &[Contribution], new: &[Contribution]) -> Vec<Contribution> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) if o.cell == n.cell => {
                if n.amount != o.amount {
                    out.push(Contribution {
                        cell: n.cell,
                        amount: n.amount - o.amount,
                    });
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.cell < n.cell => {
                out.push(Contribution {
                    cell: o.cell,
                    amount: -o.amount,
                });
                i += 1;
            }
            (Some(o), None) => {
                out.push(Contribution {
                    cell: o.cell,
                    amount: -o.amount,
                });
                i += 1;
            }
            (_, Some(n)) => {
                out.push(*n);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}
