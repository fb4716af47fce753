//! Revisions of a past month's figures, and how late events are recorded.
//!
//! A month's figure is re-derived whenever an event about it is recorded late, corrected or
//! retracted. [`revisions`] replays an authority's events in the order they were recorded,
//! from the month's end on, and lists each moment a figure changed: the numerator,
//! denominator and value from then on, and the events that moved it. Every derived indicator
//! is followed: the caseloads (11.x) too, from children's cases and workers' records joined at
//! the month's end as "as known at" joins them, so a late allocation or a worker's late
//! leaving revises them like a late admission revises 6.1. [`timeliness`] measures
//! the lateness behind such changes: for each kind of payload and month, how long after the
//! day it happened an event was recorded.
//!
//! Pure: the events are passed in, "today" (the day current figures are derived as of) too.

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

use crate::calendar::{Month, days_between};
use crate::event::{EntityKind, Event, Id, Timestamp};
use crate::indicators::caseloads::{self, MonthEnds};
use crate::indicators::{
    Basis, CaseloadPart, Cells, Context, Contribution, Figures, Indicator, Measure, MonthFigure,
    derive_subject, month_figure,
};
use crate::settings::Settings;

/// One figure of a month from a moment on.
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    /// From when the figure stood: the month's end for the first revision, else the recording
    /// time of the last event that moved it (for a figure that moved only because the day
    /// moved on, the start of the day current figures are derived as of).
    pub at: Timestamp,
    pub numerator: i64,
    pub denominator: Option<i64>,
    pub value: Option<f64>,
    /// The events that moved it since the previous revision: every event recorded after the
    /// previous revision and up to `at` of the subjects whose part in the figure changed
    /// (empty for the first revision).
    pub moved_by: Vec<Event>,
}

impl Revision {
    /// Whether `other` shows the same figure.
    pub fn same_figure(&self, other: &Revision) -> bool {
        self.numerator == other.numerator
            && self.denominator == other.denominator
            && self.value == other.value
    }
}

/// The last moment of `month` (the last nanosecond of its last day, UTC): what "as known at
/// the month's end" means.
pub fn month_end(month: Month) -> Timestamp {
    end_of_day(month.last_day())
}

/// The last nanosecond of `day` (UTC).
pub fn end_of_day(day: Date) -> Timestamp {
    day.next_day().map_or(Timestamp(i64::MAX), |d| {
        Timestamp(Timestamp::from_offset(d.midnight().assume_utc()).0 - 1)
    })
}

/// Whether [`revisions`] follows `indicator`: every derived indicator, the caseloads (11.x)
/// included.
pub fn has_revisions(indicator: Indicator) -> bool {
    crate::indicators::is_derived(indicator)
}

/// The indicator whose cells make `indicator`'s figure (6.2 is made of 6.1's).
fn source_of(indicator: Indicator) -> Indicator {
    if indicator == Indicator::Rate {
        Indicator::LookedAfter
    } else {
        indicator
    }
}

/// Whether `indicator` is one of the caseloads, whose figure is a join of children's cases
/// with workers' records at the month's end rather than a sum of cells.
fn is_caseload(indicator: Indicator) -> bool {
    caseloads::DERIVES.contains(&indicator)
}

/// The part of a subject's place in the caseload join (its [`CaseloadPart`]) at the end of
/// `month`: a child's case then, a worker's record then.
fn join_part(part: &CaseloadPart, month: Month) -> CaseloadPart {
    CaseloadPart {
        cases: part
            .cases
            .iter()
            .filter(|(m, _)| *m == month)
            .cloned()
            .collect(),
        worker_months: part
            .worker_months
            .iter()
            .filter(|(m, _)| *m == month)
            .cloned()
            .collect(),
    }
}

/// What one subject gives a month's figures: its contributions to the cells they read, and
/// its place in the month-end caseload join.
#[derive(Clone, Debug, Default, PartialEq)]
struct Part {
    cells: Vec<Contribution>,
    join: CaseloadPart,
}

impl Part {
    /// Whether `indicator`'s figure of `month` reads something that differs between the two.
    fn differs_for(&self, other: &Part, indicator: Indicator, month: Month) -> bool {
        if is_caseload(indicator) {
            return self.join != other.join;
        }
        let read = |p: &Part| -> Vec<Contribution> {
            p.cells
                .iter()
                .filter(|c| read_by(indicator, month, c))
                .copied()
                .collect()
        };
        read(self) != read(other)
    }
}

/// An authority's figures of one month, summed from its subjects' parts: the same sums "as
/// known at" and the projections hold ([`Figures`] of the cells, [`MonthEnds`] of the join).
#[derive(Default)]
struct Sums {
    figures: Figures,
    join: MonthEnds,
}

impl Sums {
    fn add(&mut self, id: &Id, part: &Part) {
        self.figures.add(&part.cells, 1);
        self.join.add(id, part.join.clone());
    }

    fn remove(&mut self, id: &Id, part: &Part) {
        self.figures.add(&part.cells, -1);
        self.join.remove(id, &part.join);
    }

    /// `indicator`'s figure of `month`.
    fn figure(&self, indicator: Indicator, month: Month, settings: &Settings) -> MonthFigure {
        is_caseload(indicator)
            .then(|| self.join.caseloads(month, settings).figure_of(indicator))
            .flatten()
            .unwrap_or_else(|| month_figure(&self.figures, indicator, month, settings))
    }
}

/// Of the subjects whose place in `month`'s caseload join changed (each with its earlier and
/// its current place), those that moved `indicator`'s figure: with the subject's earlier place
/// put back and everyone else's as now (`join`), the figure differs. A join is not a sum, so a
/// subject can change its place without moving the figure (a child allocated to a worker in
/// no LAC team group moves no 11.x figure). When no subject moves the figure on its own (two
/// workers' caseloads rising past the largest together), all of them did.
fn join_movers<K: Copy>(
    join: &MonthEnds,
    changed: &[(K, &Id, &Part, &Part)],
    indicator: Indicator,
    month: Month,
    settings: &Settings,
) -> Vec<K> {
    let figure = |join: &MonthEnds| {
        join.caseloads(month, settings)
            .figure_of(indicator)
            .map(|f| (f.numerator, f.denominator, f.value))
    };
    let now = figure(join);
    let alone: Vec<K> = changed
        .iter()
        .filter(|(_, id, then, current)| {
            let mut other = join.clone();
            other.remove(id, &current.join);
            other.add(id, then.join.clone());
            figure(&other) != now
        })
        .map(|(k, ..)| *k)
        .collect();
    if alone.is_empty() {
        changed.iter().map(|(k, ..)| *k).collect()
    } else {
        alone
    }
}

/// The history of `month`'s figure for each of `indicators` (those [`has_revisions`] accepts;
/// the others are left out) from `from` on, from the events of every subject of one authority
/// (each subject's kind and its events, any order): children, households and workers alike.
///
/// The first revision is the figure as known at `from` (the month's end, [`month_end`], for
/// the whole history; a moment before it counts as the month's end): derived from the events
/// recorded up to then, as of its day. Each later one is the figure after the events recorded
/// at one moment, derived as of `today`; the last is therefore the figure derived from every
/// event as of `today`, the current one. A subject's part is re-derived at each moment one of
/// its own events was recorded after `from`: its cells, and its place in the month-end
/// caseload join (a child's case and the worker holding it, a worker's record), which the
/// caseloads (11.x) are joined from as "as known at" joins them.
pub fn revisions<'a>(
    subjects: impl IntoIterator<Item = (EntityKind, &'a [Event])>,
    month: Month,
    indicators: &[Indicator],
    settings: &Settings,
    today: Date,
    from: Timestamp,
) -> BTreeMap<Indicator, Vec<Revision>> {
    let indicators: Vec<Indicator> = indicators
        .iter()
        .copied()
        .filter(|i| has_revisions(*i))
        .collect();
    let end = month_end(month).max(from);
    let first_month = month.financial_year().first_month();
    // The cells any of the figures reads: the month's, and the year's so far (YTD averages).
    let kept = |c: &Contribution| {
        c.cell.month >= first_month
            && c.cell.month <= month
            && matches!(c.cell.measure, Measure::Numerator | Measure::Denominator)
    };
    let at_end = Context::new(settings.clone(), end.day());
    let now = Context::new(settings.clone(), today);
    let derive = |kind: EntityKind, events: &[&Event], ctx: &Context| -> Part {
        let mut cells = Cells::default();
        let join = derive_subject(kind, events.iter().copied(), ctx, &mut cells);
        let mut sum = cells.sum();
        sum.retain(kept);
        Part {
            cells: sum,
            join: join_part(&join, month),
        }
    };
    // A moment after every recorded event, for changes due to the day alone.
    let start_of_today = Timestamp::from_offset(today.midnight().assume_utc());

    let mut sums = Sums::default();
    let mut steps: Vec<Step> = Vec::new();
    let mut ids: Vec<Id> = Vec::new();
    let mut logs: Vec<Vec<&Event>> = Vec::new();
    let mut current: Vec<Part> = Vec::new();
    for (kind, events) in subjects {
        let Some(id) = events.first().map(|e| e.subject.id.clone()) else {
            continue;
        };
        let subject = logs.len();
        let mut sorted: Vec<&Event> = events.iter().collect();
        sorted.sort_by_key(|e| e.recorded_at);
        let known = sorted.partition_point(|e| e.recorded_at <= end);
        let base = derive(kind, &sorted[..known], &at_end);
        sums.add(&id, &base);
        let mut last = base.clone();
        let mut i = known;
        while i < sorted.len() {
            let at = sorted[i].recorded_at;
            while i < sorted.len() && sorted[i].recorded_at == at {
                i += 1;
            }
            let new = derive(kind, &sorted[..i], &now);
            if new != last {
                steps.push(Step {
                    at,
                    subject,
                    new: new.clone(),
                });
                last = new;
            }
        }
        // The day alone may move a subject with nothing recorded since the month's end.
        if known == sorted.len() {
            let new = derive(kind, &sorted, &now);
            if new != last {
                steps.push(Step {
                    at: start_of_today.max(end),
                    subject,
                    new,
                });
            }
        }
        ids.push(id);
        logs.push(sorted);
        current.push(base);
    }
    steps.sort_by_key(|s| (s.at, s.subject));

    let figure_now = |sums: &Sums, indicator: Indicator, at: Timestamp| {
        let f = sums.figure(indicator, month, settings);
        Revision {
            at,
            numerator: f.numerator,
            denominator: f.denominator,
            value: f.value,
            moved_by: Vec::new(),
        }
    };
    let mut out: BTreeMap<Indicator, Vec<Revision>> = indicators
        .iter()
        .map(|&i| (i, vec![figure_now(&sums, i, end)]))
        .collect();
    // Per indicator: the part each subject that moved since the last revision had then.
    let mut before: BTreeMap<Indicator, BTreeMap<usize, Part>> = BTreeMap::new();
    let mut k = 0;
    while k < steps.len() {
        let at = steps[k].at;
        while k < steps.len() && steps[k].at == at {
            let step = &steps[k];
            let old = std::mem::replace(&mut current[step.subject], step.new.clone());
            sums.remove(&ids[step.subject], &old);
            sums.add(&ids[step.subject], &step.new);
            for &indicator in &indicators {
                if old.differs_for(&step.new, indicator, month) {
                    before
                        .entry(indicator)
                        .or_default()
                        .entry(step.subject)
                        .or_insert_with(|| old.clone());
                }
            }
            k += 1;
        }
        for &indicator in &indicators {
            let Some(history) = out.get_mut(&indicator) else {
                continue;
            };
            let Some(last) = history.last() else {
                continue;
            };
            let candidate = figure_now(&sums, indicator, at);
            if candidate.same_figure(last) {
                continue;
            }
            let since = last.at;
            let changed: Vec<(usize, &Id, &Part, &Part)> = before
                .get(&indicator)
                .into_iter()
                .flatten()
                .filter(|(s, then)| current[**s].differs_for(then, indicator, month))
                .map(|(s, then)| (*s, &ids[*s], then, &current[*s]))
                .collect();
            let moved: BTreeSet<usize> = if is_caseload(indicator) {
                join_movers(&sums.join, &changed, indicator, month, settings)
                    .into_iter()
                    .collect()
            } else {
                changed.iter().map(|(s, ..)| *s).collect()
            };
            before.remove(&indicator);
            let moved_by = moved
                .into_iter()
                .flat_map(|s| logs[s].iter())
                .filter(|e| e.recorded_at > since && e.recorded_at <= at)
                .map(|e| (*e).clone())
                .collect();
            history.push(Revision {
                moved_by,
                ..candidate
            });
        }
    }
    out
}

/// Whether `contribution` is read by `indicator`'s figure of `month`: its own cells (6.1's for
/// 6.2) in the month, or in the financial year up to it for a YTD average.
fn read_by(indicator: Indicator, month: Month, contribution: &Contribution) -> bool {
    let cell = &contribution.cell;
    cell.indicator == source_of(indicator)
        && matches!(cell.measure, Measure::Numerator | Measure::Denominator)
        && (cell.month == month
            || (indicator.basis() == Basis::YtdAverage
                && cell.month <= month
                && cell.month >= month.financial_year().first_month()))
}

/// The records behind figures revised since a moment (a report's publication): for each of
/// `figures` (indicator and month; those [`has_revisions`] accepts), the later events of every
/// subject whose part in that figure differs between its earlier events and all of them. For
/// a caseload (11.x) the part is the subject's place in the month-end join, and of the
/// subjects whose place changed only those that moved the figure count (see [`revisions`]).
///
/// `subjects` gives each subject's kind, the events known then and the events known since;
/// both sets are derived as of `today`, so only the events make a difference.
pub fn moved_since<'a>(
    subjects: impl IntoIterator<Item = (EntityKind, Vec<&'a Event>, Vec<&'a Event>)>,
    figures: &[(Indicator, Month)],
    settings: &Settings,
    today: Date,
) -> BTreeMap<(Indicator, Month), Vec<&'a Event>> {
    let figures: Vec<(Indicator, Month)> = figures
        .iter()
        .copied()
        .filter(|(i, _)| has_revisions(*i))
        .collect();
    let join_months: BTreeSet<Month> = figures
        .iter()
        .filter(|(i, _)| is_caseload(*i))
        .map(|(_, m)| *m)
        .collect();
    let ctx = Context::new(settings.clone(), today);
    let derive = |kind: EntityKind, events: &[&Event]| {
        let mut cells = Cells::default();
        let join = derive_subject(kind, events.iter().copied(), &ctx, &mut cells);
        (cells.sum(), join)
    };
    let mut out: BTreeMap<(Indicator, Month), Vec<&'a Event>> = BTreeMap::new();
    // The caseload join of each month asked about, as it stands now (every subject's part),
    // and the subjects whose place in it changed: (their id, earlier and current place, and
    // the events since).
    let mut joins: BTreeMap<Month, MonthEnds> = BTreeMap::new();
    type Moved<'e> = (Id, Part, Part, Vec<&'e Event>);
    let mut changed: BTreeMap<Month, Vec<Moved<'a>>> = BTreeMap::new();
    for (kind, then, since) in subjects {
        let Some(id) = then
            .iter()
            .chain(&since)
            .next()
            .map(|e| e.subject.id.clone())
        else {
            continue;
        };
        if since.is_empty() {
            if !join_months.is_empty() {
                let (_, join) = derive(kind, &then);
                for &m in &join_months {
                    joins.entry(m).or_default().add(&id, join_part(&join, m));
                }
            }
            continue;
        }
        let (before, join_before) = derive(kind, &then);
        let mut all = then;
        all.extend(since.iter().copied());
        let (after, join_after) = derive(kind, &all);
        for &m in &join_months {
            let (old, new) = (
                Part {
                    cells: Vec::new(),
                    join: join_part(&join_before, m),
                },
                Part {
                    cells: Vec::new(),
                    join: join_part(&join_after, m),
                },
            );
            joins.entry(m).or_default().add(&id, new.join.clone());
            if old != new {
                changed
                    .entry(m)
                    .or_default()
                    .push((id.clone(), old, new, since.clone()));
            }
        }
        if before == after {
            continue;
        }
        for &(indicator, month) in figures.iter().filter(|(i, _)| !is_caseload(*i)) {
            let part = |c: &[Contribution]| -> Vec<Contribution> {
                c.iter()
                    .filter(|c| read_by(indicator, month, c))
                    .copied()
                    .collect()
            };
            if part(&before) != part(&after) {
                out.entry((indicator, month))
                    .or_default()
                    .extend(since.iter().copied());
            }
        }
    }
    for &(indicator, month) in figures.iter().filter(|(i, _)| is_caseload(*i)) {
        let (Some(join), Some(moved)) = (joins.get(&month), changed.get(&month)) else {
            continue;
        };
        let candidates: Vec<(usize, &Id, &Part, &Part)> = moved
            .iter()
            .enumerate()
            .map(|(k, (id, old, new, _))| (k, id, old, new))
            .collect();
        for k in join_movers(join, &candidates, indicator, month, settings) {
            out.entry((indicator, month))
                .or_default()
                .extend(moved[k].3.iter().copied());
        }
    }
    out
}

/// A subject's part after the events recorded at `at`.
struct Step {
    at: Timestamp,
    subject: usize,
    new: Part,
}

/// How late one kind of event was recorded in one month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lateness {
    /// The payload's contract name, e.g. `periodOfCareStarted`.
    pub payload: &'static str,
    /// The month the events happened in (their `occurredOn`).
    pub month: Month,
    pub events: usize,
    /// Days from `occurredOn` to the day of `recordedAt` (UTC): the median and the 90th
    /// percentile, both nearest-rank (the smallest value at least half, or nine tenths, of the
    /// events do not exceed).
    pub median_days: i64,
    pub p90_days: i64,
    /// Events recorded after the end of the month they happened in: those that revise a
    /// month's figures after it is reported.
    pub after_month_end: usize,
}

/// The nearest-rank `percent` percentile of sorted `values` (none when empty).
pub fn percentile(values: &[i64], percent: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let rank = (n * percent as usize).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

/// How late events are recorded: for each payload kind and month of `occurredOn` from `from`
/// to `to`, ordered by payload name then month.
pub fn timeliness<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    from: Month,
    to: Month,
) -> Vec<Lateness> {
    let mut days: BTreeMap<(&'static str, Month), (Vec<i64>, usize)> = BTreeMap::new();
    for e in events {
        let month = Month::of(e.occurred_on);
        if month < from || month > to {
            continue;
        }
        let (list, after) = days.entry((e.payload.name(), month)).or_default();
        list.push(days_between(e.occurred_on, e.recorded_at.day()));
        if e.recorded_at > month_end(month) {
            *after += 1;
        }
    }
    days.into_iter()
        .map(|((payload, month), (mut list, after_month_end))| {
            list.sort_unstable();
            Lateness {
                payload,
                month,
                events: list.len(),
                median_days: percentile(&list, 50).unwrap_or(0),
                p90_days: percentile(&list, 90).unwrap_or(0),
                after_month_end,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::parse_day;
    use crate::codes::{LegalStatus, ReasonCeased};
    use crate::testkit::{admitted, born, ended, ev, month, retract};

    /// `e` recorded at noon (UTC) of `day`.
    fn recorded(mut e: Event, day: &str) -> Event {
        let day = parse_day(day).unwrap();
        e.recorded_at =
            Timestamp::from_offset(day.midnight().assume_utc() + time::Duration::hours(12));
        e
    }

    fn history(events: &[Event], m: &str, indicator: Indicator) -> Vec<String> {
        history_with(events, m, indicator, &Settings::default())
    }

    fn history_with(
        events: &[Event],
        m: &str,
        indicator: Indicator,
        settings: &Settings,
    ) -> Vec<String> {
        let mut by: BTreeMap<crate::Subject, Vec<Event>> = BTreeMap::new();
        for e in events {
            by.entry(e.subject.clone()).or_default().push(e.clone());
        }
        let out = revisions(
            by.iter().map(|(s, evs)| (s.kind, evs.as_slice())),
            month(m),
            &[indicator],
            settings,
            parse_day("2018-07-15").unwrap(),
            month_end(month(m)),
        );
        out[&indicator]
            .iter()
            .map(|r| {
                let ids: Vec<&str> = r.moved_by.iter().map(|e| e.id.as_str()).collect();
                format!(
                    "{} {}/{:?} {:?} [{}]",
                    r.at.to_rfc3339(),
                    r.numerator,
                    r.denominator,
                    r.value,
                    ids.join(" ")
                )
            })
            .collect()
    }

    #[test]
    fn a_late_admission_revises_the_month_it_happened_in() {
        // C1 admitted 14 May, recorded 10 June: May's 6.1 and 6.3 were 0 at the month's end
        // and are 1 from 10 June. C2, admitted 2 May and recorded that day, counts throughout.
        let events = [
            recorded(
                ev("C1", "c1-b", "2010-01-01", born("2010-01-01")),
                "2018-05-01",
            ),
            recorded(
                ev("C1", "c1-a", "2018-05-14", admitted(LegalStatus::C1)),
                "2018-06-10",
            ),
            ev("C2", "c2-b", "2011-01-01", born("2011-01-01")),
            ev("C2", "c2-a", "2018-05-02", admitted(LegalStatus::C1)),
        ];
        assert_eq!(
            history(&events, "2018-05", Indicator::Admissions),
            [
                "2018-05-31T23:59:59.999999999Z 1/None Some(1.0) []",
                "2018-06-10T12:00:00Z 2/None Some(2.0) [c1-a]",
            ]
        );
        assert_eq!(
            history(&events, "2018-05", Indicator::LookedAfter),
            [
                "2018-05-31T23:59:59.999999999Z 1/None Some(1.0) []",
                "2018-06-10T12:00:00Z 2/None Some(2.0) [c1-a]",
            ]
        );
        // April is not moved.
        assert_eq!(
            history(&events, "2018-04", Indicator::Admissions),
            ["2018-04-30T23:59:59.999999999Z 0/None Some(0.0) []"]
        );
    }

    #[test]
    fn a_late_discharge_and_a_retraction_each_revise_the_month() {
        // C1 looked after since 2017, discharged 20 May (recorded 5 June): May's 6.1 drops
        // from 1 to 0 on 5 June. The discharge is then retracted (recorded 1 July): back to 1,
        // moved by the retraction.
        let events = [
            ev("C1", "b", "2010-01-01", born("2010-01-01")),
            ev("C1", "a", "2017-03-01", admitted(LegalStatus::C2)),
            recorded(
                ev("C1", "d", "2018-05-20", ended(ReasonCeased::E13)),
                "2018-06-05",
            ),
            recorded(retract("C1", "r", "2018-07-01", "d"), "2018-07-01"),
        ];
        assert_eq!(
            history(&events, "2018-05", Indicator::LookedAfter),
            [
                "2018-05-31T23:59:59.999999999Z 1/None Some(1.0) []",
                "2018-06-05T12:00:00Z 0/None Some(0.0) [d]",
                "2018-07-01T12:00:00Z 1/None Some(1.0) [r]",
            ]
        );
        // From 10 June on (a report published then): 0, then 1 by the retraction.
        let mut by: BTreeMap<crate::Subject, Vec<Event>> = BTreeMap::new();
        for e in &events {
            by.entry(e.subject.clone()).or_default().push(e.clone());
        }
        let since = revisions(
            by.iter().map(|(s, evs)| (s.kind, evs.as_slice())),
            month("2018-05"),
            &[Indicator::LookedAfter],
            &Settings::default(),
            parse_day("2018-07-15").unwrap(),
            end_of_day(parse_day("2018-06-10").unwrap()),
        );
        let shown: Vec<(i64, usize)> = since[&Indicator::LookedAfter]
            .iter()
            .map(|r| (r.numerator, r.moved_by.len()))
            .collect();
        assert_eq!(shown, [(0, 0), (1, 1)]);
        // 6.4 (ceased) goes 0 -> 1 -> 0 the same way.
        assert_eq!(
            history(&events, "2018-05", Indicator::Ceased),
            [
                "2018-05-31T23:59:59.999999999Z 0/None Some(0.0) []",
                "2018-06-05T12:00:00Z 1/None Some(1.0) [d]",
                "2018-07-01T12:00:00Z 0/None Some(0.0) [r]",
            ]
        );
    }

    /// `payload` about social worker `id`, occurring on `on` and recorded at noon that day.
    fn worker(id: &str, eid: &str, on: &str, payload: crate::Payload) -> Event {
        let mut e = ev("X", eid, on, payload);
        e.subject = crate::Subject::new(
            crate::testkit::la(),
            EntityKind::Worker,
            Id::parse(id).unwrap(),
        );
        e
    }

    fn joined(team: &str, fte: f64, agency: bool) -> crate::Payload {
        crate::Payload::SocialWorkerJoined {
            team: team.into(),
            fte,
            qualified: true,
            agency,
            asye: false,
        }
    }

    fn allocated(to: &str) -> crate::Payload {
        crate::Payload::CaseAllocated {
            worker_id: Id::parse(to).unwrap(),
        }
    }

    /// Team LAC1 in the group "LAC": the caseloads count its workers only.
    fn lac() -> Settings {
        let mut s = Settings::default();
        s.team_groups.insert("LAC".into(), vec!["LAC1".into()]);
        s
    }

    /// Known at the end of May 2018: W1 (LAC1, 1.0 FTE) holds C1, W2 (LAC1, 0.5 FTE, agency)
    /// holds C2, C3 (looked after since April) is not allocated. Recorded late: C3 allocated to
    /// W1 on 10 May (recorded 5 June); W2 left on 20 May, and W3 (FOST, in no group) joined on
    /// 2 May (both recorded 12 June).
    fn caseload_events() -> Vec<Event> {
        let child = |c: &str, since: &str| {
            vec![
                ev(c, &format!("{c}-b"), "2010-01-01", born("2010-01-01")),
                ev(c, &format!("{c}-a"), since, admitted(LegalStatus::C2)),
            ]
        };
        let mut events = vec![
            worker("W1", "w1-j", "2017-01-02", joined("LAC1", 1.0, false)),
            worker("W2", "w2-j", "2017-01-02", joined("LAC1", 0.5, true)),
            ev("C1", "C1-w", "2017-03-01", allocated("W1")),
            ev("C2", "C2-w", "2017-03-01", allocated("W2")),
            recorded(
                ev("C3", "C3-w", "2018-05-10", allocated("W1")),
                "2018-06-05",
            ),
            recorded(
                worker("W2", "w2-l", "2018-05-20", crate::Payload::SocialWorkerLeft),
                "2018-06-12",
            ),
            recorded(
                worker("W3", "w3-j", "2018-05-02", joined("FOST", 1.0, false)),
                "2018-06-12",
            ),
        ];
        events.extend(child("C1", "2017-03-01"));
        events.extend(child("C2", "2017-03-01"));
        events.extend(child("C3", "2018-04-02"));
        events
    }

    #[test]
    fn a_late_allocation_and_a_worker_leaving_late_revise_the_caseloads() {
        let events = caseload_events();
        let end = "2018-05-31T23:59:59.999999999Z";
        // 11.1: W1 and W2 counted, W2 agency: 1 of 2 = 50%. C3's allocation to W1 does not
        // move it; W2 leaving (12 June) leaves W1 alone: 0 of 1. W3 joined at the same moment
        // but in no group: not among the movers.
        assert_eq!(
            history_with(&events, "2018-05", Indicator::AgencyWorkers, &lac()),
            [
                format!("{end} 1/Some(2) Some(50.0) []"),
                "2018-06-12T12:00:00Z 0/Some(1) Some(0.0) [w2-l]".to_owned(),
            ]
        );
        // 11.4: 1 (each holds one); 2 from 5 June (W1 holds C1 and C3); W2 leaving does not
        // move it.
        assert_eq!(
            history_with(&events, "2018-05", Indicator::MaxCaseload, &lac()),
            [
                format!("{end} 1/None Some(1.0) []"),
                "2018-06-05T12:00:00Z 2/None Some(2.0) [C3-w]".to_owned(),
            ]
        );
        // 11.5 (cases and FTE in hundredths): 2 cases over 1.5 FTE; 3 over 1.5 from 5 June; from
        // 12 June W2 and C2 drop out: 2 over 1.0.
        assert_eq!(
            history_with(&events, "2018-05", Indicator::AverageCaseload, &lac()),
            [
                format!("{end} 200/Some(150) Some({:?}) []", 200.0 / 150.0),
                "2018-06-05T12:00:00Z 300/Some(150) Some(2.0) [C3-w]".to_owned(),
                "2018-06-12T12:00:00Z 200/Some(100) Some(2.0) [w2-l]".to_owned(),
            ]
        );
        // April is not moved: C3's allocation and W2's leaving came after it.
        assert_eq!(
            history_with(&events, "2018-04", Indicator::MaxCaseload, &lac()),
            ["2018-04-30T23:59:59.999999999Z 1/None Some(1.0) []"]
        );
    }

    #[test]
    fn the_records_behind_a_caseload_moved_since_a_moment_are_its_movers_events() {
        // Known on 1 June: everything recorded by then. Since: C3's allocation, W2 leaving, W3
        // joining (in no group).
        let events = caseload_events();
        let cut = end_of_day(parse_day("2018-06-01").unwrap());
        let mut by: BTreeMap<crate::Subject, (Vec<&Event>, Vec<&Event>)> = BTreeMap::new();
        for e in &events {
            let (then, since) = by.entry(e.subject.clone()).or_default();
            if e.recorded_at <= cut {
                then.push(e)
            } else {
                since.push(e)
            }
        }
        let may = month("2018-05");
        let moved = moved_since(
            by.into_iter()
                .map(|(s, (then, since))| (s.kind, then, since)),
            &[
                (Indicator::AgencyWorkers, may),
                (Indicator::MaxCaseload, may),
                (Indicator::AverageCaseload, may),
            ],
            &lac(),
            parse_day("2018-07-15").unwrap(),
        );
        let ids: Vec<(&str, Vec<&str>)> = moved
            .iter()
            .map(|((i, _), evs)| (i.id(), evs.iter().map(|e| e.id.as_str()).collect()))
            .collect();
        // 11.1: W2 leaving alone; 11.4: C3's allocation alone; 11.5: both.
        assert_eq!(
            ids,
            [
                ("11.1", vec!["w2-l"]),
                ("11.4", vec!["C3-w"]),
                ("11.5", vec!["C3-w", "w2-l"]),
            ]
        );
    }

    #[test]
    fn the_records_behind_a_figure_moved_since_a_moment_are_the_later_events_of_its_movers() {
        // Known then: C1 admitted in May, C2 admitted in April. Since: C1's admission is
        // retracted (May's 6.3 moves: r1), C2 gets a review (6.3 of May does not move), C3 is
        // admitted late in May (a3, a3b: its registration and admission).
        let c1 = [
            ev("C1", "b1", "2010-01-01", born("2010-01-01")),
            ev("C1", "a1", "2018-05-03", admitted(LegalStatus::C1)),
        ];
        let c2 = [
            ev("C2", "b2", "2011-01-01", born("2011-01-01")),
            ev("C2", "a2", "2018-04-03", admitted(LegalStatus::C1)),
        ];
        let r1 = retract("C1", "r1", "2018-06-20", "a1");
        let v2 = ev(
            "C2",
            "v2",
            "2018-06-21",
            crate::Payload::ReviewHeld {
                participation: None,
            },
        );
        let c3 = [
            ev("C3", "a3b", "2012-01-01", born("2012-01-01")),
            ev("C3", "a3", "2018-05-30", admitted(LegalStatus::C2)),
        ];
        let subjects = vec![
            (EntityKind::Child, c1.iter().collect(), vec![&r1]),
            (EntityKind::Child, c2.iter().collect(), vec![&v2]),
            (EntityKind::Child, Vec::new(), c3.iter().collect()),
        ];
        let may = month("2018-05");
        let moved = moved_since(
            subjects,
            &[
                (Indicator::Admissions, may),
                (Indicator::Admissions, month("2018-04")),
            ],
            &Settings::default(),
            parse_day("2018-07-15").unwrap(),
        );
        let ids: Vec<(String, Vec<&str>)> = moved
            .iter()
            .map(|((i, m), evs)| {
                (
                    format!("{} {m}", i.id()),
                    evs.iter().map(|e| e.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(ids, [("6.3 2018-05".to_owned(), vec!["r1", "a3b", "a3"])]);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = [0, 1, 2, 3, 4, 5, 6, 7, 8, 30];
        assert_eq!(percentile(&v, 50), Some(4));
        assert_eq!(percentile(&v, 90), Some(8));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[1, 3], 50), Some(1));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn timeliness_measures_days_from_occurrence_to_recording_by_kind_and_month() {
        // Three May admissions recorded 0, 2 and 27 days late (the last after the month
        // end: 14 May + 27 = 10 June); one June admission recorded the same day.
        let events = [
            recorded(
                ev("C1", "a1", "2018-05-02", admitted(LegalStatus::C1)),
                "2018-05-02",
            ),
            recorded(
                ev("C2", "a2", "2018-05-20", admitted(LegalStatus::C1)),
                "2018-05-22",
            ),
            recorded(
                ev("C3", "a3", "2018-05-14", admitted(LegalStatus::C1)),
                "2018-06-10",
            ),
            recorded(
                ev("C4", "a4", "2018-06-01", admitted(LegalStatus::C1)),
                "2018-06-01",
            ),
            recorded(
                ev("C4", "b4", "2010-01-01", born("2010-01-01")),
                "2018-06-01",
            ),
        ];
        let found = timeliness(&events, month("2018-05"), month("2018-06"));
        let shown: Vec<String> = found
            .iter()
            .map(|l| {
                format!(
                    "{} {} n={} median={} p90={} late={}",
                    l.payload, l.month, l.events, l.median_days, l.p90_days, l.after_month_end
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "periodOfCareStarted 2018-05 n=3 median=2 p90=27 late=1",
                "periodOfCareStarted 2018-06 n=1 median=0 p90=0 late=0",
            ]
        );
    }
}
