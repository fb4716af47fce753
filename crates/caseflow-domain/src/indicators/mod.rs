//! The indicator catalogue and the derivation of each child's contributions to it.
//!
//! Each family of indicators evaluates a timeline into [`Evaluation`]s: "in May 2018 this child
//! is in the denominator of 6.9, not in its numerator, because its last health assessment was on
//! 2 March 2017". Evaluations sum into [`Cell`]s (numerators, denominators, breakdown
//! categories), and a figure is the sum of every child's contributions; applying an event means
//! re-deriving one child and adding the difference. The members behind a figure are the same
//! evaluations, filtered, so drill-down and figures cannot disagree.

mod adoption;
mod care_leavers;
pub mod caseloads;
mod catalogue;
mod education;
mod health;
mod households;
mod looked_after;
mod placements;
mod reviews;
mod visits;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use time::Date;

use crate::calendar::{AgeBand, FinancialYear, Month};
use crate::codes::{LegalStatus, PlacementType, Provider, Sex};
use crate::event::{EntityKind, Event, Id};
use crate::settings::Settings;
use crate::timeline::{ChildTimeline, PeriodOfCare};
use crate::workdays::WorkingCalendar;

pub use catalogue::{Basis, Indicator, Polarity, Unit};
pub use households::evaluate_household;

/// What every derivation needs besides the timeline.
#[derive(Clone, Debug)]
pub struct Context {
    pub settings: Settings,
    pub calendar: WorkingCalendar,
    /// "Today": nothing due after it is counted yet (6.7).
    pub today: Date,
    /// The last month derived: the month of `today` (still running, so incomplete).
    pub horizon: Month,
}

impl Context {
    pub fn new(settings: Settings, today: Date) -> Context {
        Context {
            calendar: settings.calendar(),
            settings,
            today,
            horizon: Month::of(today),
        }
    }
}

/// A fact that decided an evaluation, for drill-down.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub name: &'static str,
    pub value: FactValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FactValue {
    Day(Date),
    Number(i64),
    Code(&'static str),
    Flag(bool),
    Missing,
}

impl std::fmt::Display for FactValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FactValue::Day(d) => f.write_str(&crate::calendar::format_day(*d)),
            FactValue::Number(n) => write!(f, "{n}"),
            FactValue::Code(c) => f.write_str(c),
            FactValue::Flag(b) => write!(f, "{b}"),
            FactValue::Missing => f.write_str("none"),
        }
    }
}

/// One subject's part in one indicator for one month, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub indicator: Indicator,
    pub month: Month,
    /// Added to the count, or to a percentage's numerator (days, for averages).
    pub numerator: i64,
    /// Added to the denominator (0 for counts).
    pub denominator: i64,
    /// Breakdown categories of the numerator (6.1 only).
    pub categories: SmallVec<[Category; 5]>,
    pub facts: Facts,
}

/// The facts of one evaluation: at most four in this build, kept inline (a child has thousands
/// of evaluations, and one allocation each was a fifth of the derivation's time).
pub type Facts = SmallVec<[Fact; 4]>;

impl Evaluation {
    /// A count of one.
    #[inline]
    pub fn count(indicator: Indicator, month: Month) -> Evaluation {
        Evaluation::counts(indicator, month, 1)
    }

    #[inline]
    pub fn counts(indicator: Indicator, month: Month, n: i64) -> Evaluation {
        Evaluation {
            indicator,
            month,
            numerator: n,
            denominator: 0,
            categories: SmallVec::new(),
            facts: SmallVec::new(),
        }
    }

    /// In the denominator, and in the numerator when `met`.
    #[inline]
    pub fn ratio(indicator: Indicator, month: Month, met: bool) -> Evaluation {
        Evaluation {
            numerator: i64::from(met),
            denominator: 1,
            ..Evaluation::counts(indicator, month, 0)
        }
    }

    #[inline]
    pub fn fact(mut self, name: &'static str, value: FactValue) -> Evaluation {
        self.facts.push(Fact { name, value });
        self
    }

    #[inline]
    pub fn day(self, name: &'static str, day: Option<Date>) -> Evaluation {
        self.fact(name, day.map_or(FactValue::Missing, FactValue::Day))
    }

    /// What it adds to each cell (zeros left out): the numerator, the denominator, and the
    /// numerator to each of its breakdown categories.
    #[inline]
    pub fn for_each_contribution(&self, mut add: impl FnMut(Cell, i64)) {
        let mut to = |measure, amount| {
            if amount != 0 {
                let cell = Cell {
                    indicator: self.indicator,
                    month: self.month,
                    measure,
                };
                add(cell, amount);
            }
        };
        to(Measure::Numerator, self.numerator);
        to(Measure::Denominator, self.denominator);
        for c in &self.categories {
            to(Measure::Breakdown(*c), self.numerator);
        }
    }
}

/// Where the indicator families put evaluations: kept whole (drill-down, tests), or summed
/// straight into cells ([`Cells`]) when only the figures are wanted.
pub trait Sink {
    fn push(&mut self, e: Evaluation);
}

impl Sink for Vec<Evaluation> {
    fn push(&mut self, e: Evaluation) {
        Vec::push(self, e);
    }
}

/// Evaluations reduced to their contributions as they come: no list of evaluations is kept.
#[derive(Debug, Default)]
pub struct Cells(Vec<(u64, Contribution)>);

impl Sink for Cells {
    #[inline]
    fn push(&mut self, e: Evaluation) {
        self.add(&e);
    }
}

impl Cells {
    #[inline]
    fn add(&mut self, e: &Evaluation) {
        e.for_each_contribution(|cell, amount| {
            self.0.push((cell.key(), Contribution { cell, amount }));
        });
    }

    /// The contributions: sorted, one per cell, no zeros. Collected, sorted by [`Cell::key`]
    /// (one integer per comparison) and summed.
    pub fn sum(mut self) -> Vec<Contribution> {
        self.0.sort_unstable_by_key(|(key, _)| *key);
        let mut out: Vec<Contribution> = Vec::with_capacity(self.0.len());
        let mut last_key = None;
        for (key, c) in self.0 {
            match out.last_mut() {
                Some(last) if last_key == Some(key) => last.amount += c.amount,
                _ => out.push(c),
            }
            last_key = Some(key);
        }
        out.retain(|c| c.amount != 0);
        out
    }
}

/// Every evaluation of a child's timeline up to the context's horizon.
pub fn evaluate_child(tl: &ChildTimeline, ctx: &Context) -> Vec<Evaluation> {
    let mut out = Vec::new();
    evaluate_child_into(tl, ctx, &mut out);
    out
}

/// Every evaluation of a child's timeline up to the context's horizon, into `out`.
pub fn evaluate_child_into(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    looked_after::evaluate(tl, ctx, out);
    reviews::evaluate(tl, ctx, out);
    health::evaluate(tl, ctx, out);
    education::evaluate(tl, ctx, out);
    visits::evaluate(tl, ctx, out);
    placements::evaluate(tl, ctx, out);
    care_leavers::evaluate(tl, ctx, out);
    adoption::evaluate(tl, ctx, out);
}

/// A subject's part in the caseload join (11.x), besides its evaluations: a child's cases at
/// month ends with the worker holding each ([`caseloads::month_end_cases`]), a worker's records
/// at month ends ([`caseloads::worker_month_ends`]); empty for a household.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseloadPart {
    pub cases: Vec<(Month, Option<Id>)>,
    pub worker_months: Vec<(Month, caseloads::WorkerState)>,
}

/// What one subject contributes, derived from its events (a set, in any order) as of `ctx`:
/// its evaluations pushed into `out`, and its part in the caseload join returned. The one
/// place where a subject's kind decides how it is derived: the projector, "as known at" and the
/// members behind a figure all come through here.
pub fn derive_subject<'a>(
    kind: EntityKind,
    events: impl IntoIterator<Item = &'a Event>,
    ctx: &Context,
    out: &mut impl Sink,
) -> CaseloadPart {
    match kind {
        EntityKind::Child => {
            let tl = crate::timeline::fold_child(events);
            evaluate_child_into(&tl, ctx, out);
            CaseloadPart {
                cases: caseloads::month_end_cases(&tl, ctx.horizon),
                worker_months: Vec::new(),
            }
        }
        EntityKind::Household => {
            for e in evaluate_household(events, ctx) {
                out.push(e);
            }
            CaseloadPart::default()
        }
        // Workers contribute no cells: only their month-end records, to the caseload join.
        EntityKind::Worker => CaseloadPart {
            cases: Vec::new(),
            worker_months: caseloads::worker_month_ends(events, ctx.horizon),
        },
    }
}

/// Whether this build derives `indicator` (the rest of the catalogue is still to come).
pub fn is_derived(indicator: Indicator) -> bool {
    [
        looked_after::DERIVES,
        reviews::DERIVES,
        health::DERIVES,
        education::DERIVES,
        visits::DERIVES,
        placements::DERIVES,
        care_leavers::DERIVES,
        adoption::DERIVES,
        households::DERIVES,
        caseloads::DERIVES,
    ]
    .iter()
    .any(|d| d.contains(&indicator))
        || indicator == Indicator::Rate
}

/// Whether `indicator` is derived from foster-carer households rather than children.
pub fn is_household_indicator(indicator: Indicator) -> bool {
    households::DERIVES.contains(&indicator)
}

/// The indicators this build derives, in report order.
pub fn derived_indicators() -> impl Iterator<Item = Indicator> {
    Indicator::ALL.iter().copied().filter(|i| is_derived(*i))
}

/// Sums evaluations into cells: sorted, one entry per cell, no zeros.
pub fn contributions(evaluations: &[Evaluation]) -> Vec<Contribution> {
    let mut cells = Cells(Vec::with_capacity(evaluations.len() * 3));
    for e in evaluations {
        cells.add(e);
    }
    cells.sum()
}

/// Everything one child contributes, for every month up to the horizon.
pub fn child_contributions(tl: &ChildTimeline, ctx: &Context) -> Vec<Contribution> {
    let mut cells = Cells::default();
    evaluate_child_into(tl, ctx, &mut cells);
    cells.sum()
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

impl Cell {
    /// The cell as one number, ordered as cells are (`a.key() < b.key()` exactly when
    /// `a < b`): indicator, then month, then measure. One integer to sort or hash by, in place
    /// of the cell's fields.
    #[inline]
    pub fn key(self) -> u64 {
        // Months are ordinals near 24,000 (year * 12); biased so any i32 keeps its order.
        let month = (i64::from(self.month.ordinal()) + (1 << 31)) as u64;
        (self.indicator as u64) << 48 | month << 16 | self.measure.rank()
    }
}

impl Measure {
    /// Below 2^16, ordered as measures are.
    #[inline]
    fn rank(self) -> u64 {
        match self {
            Measure::Numerator => 0,
            Measure::Denominator => 1,
            Measure::Breakdown(c) => 2 + c.rank(),
        }
    }
}

impl Category {
    /// Ordered as categories are: the dimension's place, then the code's (each code list
    /// has fewer than 64 codes).
    #[inline]
    fn rank(self) -> u64 {
        let (dimension, code) = match self {
            Category::AgeBand(b) => (0, b as u64),
            Category::LegalStatus(s) => (1, s as u64),
            Category::PlacementType(p) => (2, p as u64),
            Category::Provider(p) => (3, p as u64),
            Category::Sex(s) => (4, s as u64),
            Category::Unknown(d) => (5, d as u64),
        };
        dimension * 64 + code
    }
}

/// An amount added to a cell by one child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Contribution {
    pub cell: Cell,
    pub amount: i64,
}

/// Reads summed cells: implemented by the in-memory [`Figures`] and by the store.
pub trait CellSource {
    fn cell(&self, cell: &Cell) -> i64;
}

/// A figure for one indicator and month, with its YTD context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthFigure {
    pub indicator: Indicator,
    pub month: Month,
    /// The count, or a percentage's numerator (the month's own, also for YTD averages).
    pub numerator: i64,
    /// For percentages, rates and averages.
    pub denominator: Option<i64>,
    /// Where the basis sums over months: April of the FY to this month.
    pub ytd: Option<(i64, Option<i64>)>,
    /// What is displayed for the month (a YTD average shows the average to date); none for a
    /// zero denominator or a month the basis does not report (6.13 outside term ends).
    pub value: Option<f64>,
}

/// The displayed value of a numerator and denominator in `unit`.
pub fn value_in(unit: Unit, numerator: i64, denominator: Option<i64>) -> Option<f64> {
    let ratio = |scale: f64| match denominator {
        Some(d) if d != 0 => Some(numerator as f64 * scale / d as f64),
        _ => None,
    };
    match unit {
        Unit::Count => Some(numerator as f64),
        Unit::Percent => ratio(100.0),
        Unit::RatePer10000 => ratio(10_000.0),
        Unit::AverageDays | Unit::AverageCount => ratio(1.0),
    }
}

/// A count, or a percentage of a non-zero denominator.
pub fn value_of(numerator: i64, denominator: Option<i64>) -> Option<f64> {
    value_in(
        if denominator.is_some() {
            Unit::Percent
        } else {
            Unit::Count
        },
        numerator,
        denominator,
    )
}

/// Whether `month` ends a school term (6.13): December, March or July.
pub fn is_term_end(month: Month) -> bool {
    matches!(month.number(), 12 | 3 | 7)
}

/// The figure for `indicator` in `month`, read from `source`.
pub fn month_figure(
    source: &impl CellSource,
    indicator: Indicator,
    month: Month,
    settings: &Settings,
) -> MonthFigure {
    let cells_of = |ind: Indicator, month| {
        let read = |measure| {
            source.cell(&Cell {
                indicator: ind,
                month,
                measure,
            })
        };
        (
            read(Measure::Numerator),
            ind.has_denominator().then(|| read(Measure::Denominator)),
        )
    };
    let pair = |month: Month| match indicator {
        // 6.2 is 6.1 over the configured population of the month's financial year.
        Indicator::Rate => (
            cells_of(Indicator::LookedAfter, month).0,
            Some(
                settings
                    .population(month.financial_year())
                    .map_or(0, i64::from),
            ),
        ),
        _ => cells_of(indicator, month),
    };
    let (numerator, denominator) = pair(month);
    let basis = indicator.basis();
    let ytd = basis.sums_over_months().then(|| {
        month
            .financial_year()
            .first_month()
            .through(month)
            .map(pair)
            .fold((0, denominator.map(|_| 0)), |(n, d), (mn, md)| {
                (n + mn, d.zip(md).map(|(a, b)| a + b))
            })
    });
    let value = match basis {
        Basis::YtdAverage => ytd.and_then(|(n, d)| value_in(indicator.unit(), n, d)),
        Basis::TermEnd if !is_term_end(month) => None,
        _ => value_in(indicator.unit(), numerator, denominator),
    };
    MonthFigure {
        indicator,
        month,
        numerator,
        denominator,
        ytd,
        value,
    }
}

/// The figure for a whole financial year (the annual trend): the sum over its months for
/// in-month indicators, the last month's figure otherwise. `last` bounds the months that exist.
pub fn financial_year_figure(
    source: &impl CellSource,
    indicator: Indicator,
    year: FinancialYear,
    last: Month,
    settings: &Settings,
) -> Option<MonthFigure> {
    let end = year.last_month().min(last);
    if end < year.first_month() {
        return None;
    }
    let mut f = month_figure(source, indicator, end, settings);
    if indicator.basis() == Basis::InMonth
        && let Some((n, d)) = f.ytd
    {
        f.numerator = n;
        f.denominator = d;
        f.value = value_in(indicator.unit(), n, d);
    }
    Some(f)
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

    /// Every non-zero cell of `indicator` in `month`.
    pub fn cells_in(&self, indicator: Indicator, month: Month) -> Vec<(Cell, i64)> {
        let first = Cell {
            indicator,
            month,
            measure: Measure::Numerator,
        };
        self.cells
            .range(first..)
            .take_while(|(c, _)| c.indicator == indicator && c.month == month)
            .map(|(c, v)| (*c, *v))
            .collect()
    }

    /// The breakdown of `indicator` in `month`: every category with a non-zero count.
    pub fn breakdown(
        &self,
        indicator: Indicator,
        month: Month,
        dimension: Dimension,
    ) -> Vec<(Category, i64)> {
        self.cells_in(indicator, month)
            .into_iter()
            .filter_map(|(cell, v)| match cell.measure {
                Measure::Breakdown(c)
                    if cell.indicator == indicator
                        && cell.month == month
                        && c.dimension() == dimension =>
                {
                    Some((c, v))
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

/// The current placement on `day`: the latest non-temporary placement started on or before it.
pub fn current_placement(
    period: &PeriodOfCare,
    day: Date,
) -> Option<&crate::timeline::PlacementSpell> {
    period
        .placements
        .iter()
        .take_while(|p| p.start <= day)
        .filter(|p| !p.placement.kind.is_temporary())
        .last()
}

/// Month ends from the period's first month to the horizon on which the child is looked after
/// in `period`.
pub fn looked_after_month_ends(
    period: &PeriodOfCare,
    horizon: Month,
) -> impl Iterator<Item = (Month, Date)> + '_ {
    let last = period
        .end
        .map_or(horizon, |end| Month::of(end).min(horizon));
    Month::of(period.start)
        .through(last)
        .map(|m| (m, m.last_day()))
        .filter(|(_, day)| period.contains(*day))
}
