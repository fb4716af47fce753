//! Revisions of a past month's figures, and how late events are recorded.
//!
//! A month's figure is re-derived whenever an event about it is recorded late, corrected or
//! retracted. [`revisions`] replays an authority's events in the order they were recorded,
//! from the month's end on, and lists each moment a figure changed: the numerator,
//! denominator and value from then on, and the events that moved it. [`timeliness`] measures
//! the lateness behind such changes: for each kind of payload and month, how long after the
//! day it happened an event was recorded.
//!
//! Pure: the events are passed in, "today" (the day current figures are derived as of) too.

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

use crate::calendar::{Month, days_between};
use crate::event::{EntityKind, Event, Timestamp};
use crate::indicators::{
    Basis, Cells, Context, Contribution, Figures, Indicator, Measure, caseloads, derive_subject,
    month_figure,
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

/// Whether [`revisions`] follows `indicator`: every derived indicator but the caseloads
/// (11.x), which join children with workers' records rather than summing their parts.
pub fn has_revisions(indicator: Indicator) -> bool {
    crate::indicators::is_derived(indicator) && !caseloads::DERIVES.contains(&indicator)
}

/// The indicator whose cells make `indicator`'s figure (6.2 is made of 6.1's).
fn source_of(indicator: Indicator) -> Indicator {
    if indicator == Indicator::Rate {
        Indicator::LookedAfter
    } else {
        indicator
    }
}

/// The history of `month`'s figure for each of `indicators` (those [`has_revisions`] accepts;
/// the others are left out) from `from` on, from the events of every subject of one authority
/// (each subject's kind and its events, any order).
///
/// The first revision is the figure as known at `from` (the month's end, [`month_end`], for
/// the whole history; a moment before it counts as the month's end): derived from the events
/// recorded up to then, as of its day. Each later one is the figure after the events recorded
/// at one moment, derived as of `today`; the last is therefore the figure derived from every
/// event as of `today`, the current one. A subject's part is re-derived at each moment one of
/// its own events was recorded after `from`.
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
    let derive = |kind: EntityKind, events: &[&Event], ctx: &Context| -> Vec<Contribution> {
        let mut cells = Cells::default();
        derive_subject(kind, events.iter().copied(), ctx, &mut cells);
        let mut sum = cells.sum();
        sum.retain(kept);
        sum
    };
    // A moment after every recorded event, for changes due to the day alone.
    let start_of_today = Timestamp::from_offset(today.midnight().assume_utc());

    let mut figures = Figures::default();
    let mut steps: Vec<Step> = Vec::new();
    let mut logs: Vec<Vec<&Event>> = Vec::new();
    let mut current: Vec<Vec<Contribution>> = Vec::new();
    for (kind, events) in subjects {
        if kind == EntityKind::Worker {
            continue;
        }
        let subject = logs.len();
        let mut sorted: Vec<&Event> = events.iter().collect();
        sorted.sort_by_key(|e| e.recorded_at);
        let known = sorted.partition_point(|e| e.recorded_at <= end);
        let base = derive(kind, &sorted[..known], &at_end);
        figures.add(&base, 1);
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
        logs.push(sorted);
        current.push(base);
    }
    steps.sort_by_key(|s| (s.at, s.subject));

    // Which cells move each indicator's figure.
    let reads = |indicator: Indicator, c: &Contribution| {
        c.cell.indicator == source_of(indicator)
            && (c.cell.month == month || indicator.basis() == Basis::YtdAverage)
    };
    let part = |indicator: Indicator, contributions: &[Contribution]| -> Vec<Contribution> {
        contributions
            .iter()
            .filter(|c| reads(indicator, c))
            .copied()
            .collect()
    };
    let figure_now = |figures: &Figures, indicator: Indicator, at: Timestamp| {
        let f = month_figure(figures, indicator, month, settings);
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
        .map(|&i| (i, vec![figure_now(&figures, i, end)]))
        .collect();
    // Per indicator: the part each subject that moved since the last revision had then.
    let mut before: BTreeMap<Indicator, BTreeMap<usize, Vec<Contribution>>> = BTreeMap::new();
    let mut k = 0;
    while k < steps.len() {
        let at = steps[k].at;
        while k < steps.len() && steps[k].at == at {
            let step = &steps[k];
            let old = std::mem::replace(&mut current[step.subject], step.new.clone());
            figures.add(&old, -1);
            figures.add(&step.new, 1);
            for &indicator in &indicators {
                if part(indicator, &old) != part(indicator, &step.new) {
                    before
                        .entry(indicator)
                        .or_default()
                        .entry(step.subject)
                        .or_insert_with(|| part(indicator, &old));
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
            let candidate = figure_now(&figures, indicator, at);
            if candidate.same_figure(last) {
                continue;
            }
            let since = last.at;
            let moved: BTreeSet<usize> = before
                .remove(&indicator)
                .unwrap_or_default()
                .into_iter()
                .filter(|(s, then)| part(indicator, &current[*s]) != *then)
                .map(|(s, _)| s)
                .collect();
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
/// subject whose part in that figure differs between its earlier events and all of them.
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
    let ctx = Context::new(settings.clone(), today);
    let derive = |kind: EntityKind, events: &[&Event]| {
        let mut cells = Cells::default();
        derive_subject(kind, events.iter().copied(), &ctx, &mut cells);
        cells.sum()
    };
    let mut out: BTreeMap<(Indicator, Month), Vec<&'a Event>> = BTreeMap::new();
    for (kind, then, since) in subjects {
        if since.is_empty() || kind == EntityKind::Worker {
            continue;
        }
        let before = derive(kind, &then);
        let mut all = then;
        all.extend(since.iter().copied());
        let after = derive(kind, &all);
        if before == after {
            continue;
        }
        for &(indicator, month) in &figures {
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
    out
}

/// A subject's part after the events recorded at `at`.
struct Step {
    at: Timestamp,
    subject: usize,
    new: Vec<Contribution>,
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
        let mut by: BTreeMap<crate::Subject, Vec<Event>> = BTreeMap::new();
        for e in events {
            by.entry(e.subject.clone()).or_default().push(e.clone());
        }
        let out = revisions(
            by.iter().map(|(s, evs)| (s.kind, evs.as_slice())),
            month(m),
            &[indicator],
            &Settings::default(),
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
