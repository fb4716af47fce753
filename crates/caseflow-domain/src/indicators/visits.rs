//! 6.15 and 6.16 visits up to date, national minimum and local standards (INDICATORS.md 3.2).
//!
//! The placement visits are reckoned from is the placement of section 1 ([`stays`]): a change of
//! type with the same carer, a temporary placement (T0-T4) and the return from it do not start
//! a new placement, so they neither restart the 7-day first visit nor the year after which the
//! national standard relaxes to 12 weeks.
//!
//! Choices where the spec is silent (SSDA903 / Care Planning Regulations 2010 reg. 28 meaning):
//! - a visit on the day the placement starts is a visit in that placement;
//! - a visit dated after month end does not count for that month (nor one before the placement
//!   started, which belongs to an earlier placement);
//! - visits made while the child is in a temporary placement count for the placement around it;
//! - a child looked after at month end with only temporary placements so far is taken to be in
//!   a placement starting on the admission day, of no long-term type;
//! - "the day 12 months after the placement started" follows "k months after": a placement
//!   starting on 29 February reaches a year on 28 February of the next year.

use time::Date;

use super::placements::{stay_on, stays};
use super::{
    Context, Evaluation, FactValue, Indicator, Sink, current_placement, looked_after_month_ends,
};
use crate::calendar::{add_days, add_months};
use crate::codes::PlacementType;
use crate::timeline::{ChildTimeline, PeriodOfCare};

pub const DERIVES: &[Indicator] = &[Indicator::VisitsNational, Indicator::VisitsLocal];

/// Days from the placement's start to its first visit.
const FIRST_VISIT_DAYS: i64 = 7;
/// The national minimum standard: 6 weeks, or 12 weeks in an established long-term placement.
const NATIONAL_DAYS: i64 = 42;
const NATIONAL_LONG_TERM_DAYS: i64 = 84;

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    for period in tl.counted_periods() {
        let period_stays = stays(period);
        for (month, day) in looked_after_month_ends(period, ctx.horizon) {
            let placement_start = stay_on(&period_stays, day).map_or(period.start, |s| s.start);
            let rules = Rules {
                period,
                placement_start,
            };
            // Visits in the current placement, on or before month end (in timeline order, but
            // the latest is taken by date).
            let last_visit = period
                .visits
                .iter()
                .copied()
                .filter(|v| placement_start <= *v && *v <= day)
                .max();
            let national_due = rules.next_due(last_visit, |v| rules.national_interval(v));
            let local_due = rules.next_due(last_visit, |v| {
                if rules.matched_by(v) {
                    rules.national_interval(v)
                } else {
                    ctx.settings.local_visit_interval_days
                }
            });
            let placement_type = current_placement(period, day).map_or(FactValue::Missing, |s| {
                FactValue::Code(s.placement.kind.code())
            });
            let evaluation = |indicator, due: Date| {
                Evaluation::ratio(indicator, month, due >= day)
                    .day("placement_start", Some(placement_start))
                    .day("last_visit", last_visit)
                    .day("next_visit_due", Some(due))
                    .fact("placement_type", placement_type.clone())
            };
            out.push(evaluation(Indicator::VisitsNational, national_due).fact(
                "long_term",
                FactValue::Flag(last_visit.is_some_and(|v| rules.is_long_term(v))),
            ));
            out.push(evaluation(Indicator::VisitsLocal, local_due).fact(
                "permanence_match",
                FactValue::Flag(last_visit.is_some_and(|v| rules.matched_by(v))),
            ));
        }
    }
}

/// The visiting rules within one placement.
struct Rules<'a> {
    period: &'a PeriodOfCare,
    placement_start: Date,
}

impl Rules<'_> {
    /// The next visit due day: 7 days after the placement starts until the first visit, then
    /// the interval after the latest visit.
    fn next_due(&self, last_visit: Option<Date>, interval: impl Fn(Date) -> i64) -> Date {
        match last_visit {
            Some(v) => add_days(v, interval(v)),
            None => add_days(self.placement_start, FIRST_VISIT_DAYS),
        }
    }

    /// 6.15: 84 days after a visit made once the placement has lasted a year and is long term,
    /// otherwise 42.
    fn national_interval(&self, visit: Date) -> i64 {
        if self.is_long_term(visit) {
            NATIONAL_LONG_TERM_DAYS
        } else {
            NATIONAL_DAYS
        }
    }

    /// On the visit day the placement has lasted 1 year or more (the visit is not before the day
    /// 12 months after it started) and is long term: its type that day is U1, U4 or A3-A6, or it
    /// has been matched as the child's permanent home.
    fn is_long_term(&self, visit: Date) -> bool {
        let a_year = visit >= add_months(self.placement_start, 12);
        // The type that day: the current (non-temporary) spell, inside this placement since the
        // visit is not before it started.
        let long_term_type = current_placement(self.period, visit).is_some_and(|s| {
            matches!(s.placement.kind, PlacementType::U1 | PlacementType::U4)
                || s.placement.kind.is_placed_for_adoption()
        });
        a_year && (long_term_type || self.matched_by(visit))
    }

    /// A `permanenceMatchRecorded` in this placement is dated on or before `visit`.
    fn matched_by(&self, visit: Date) -> bool {
        self.period
            .permanence_matches
            .iter()
            .any(|m| self.placement_start <= *m && *m <= visit)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use crate::codes::{LegalStatus, PlacementType, PlacementType::*, ReasonCeased};
    use crate::indicators::FactValue;
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::{Event, Id, Indicator, Payload, Placement};

    const NATIONAL: Indicator = Indicator::VisitsNational;
    const LOCAL: Indicator = Indicator::VisitsLocal;

    /// Born 1 January 2008, admitted on `on` (C2) into a placement of `kind` with provider PR1.
    fn child(c: &str, on: &str, kind: PlacementType) -> Vec<Event> {
        vec![
            ev(c, &format!("{c}-born"), "2008-01-01", born("2008-01-01")),
            ev(
                c,
                &format!("{c}-admitted"),
                on,
                Payload::PeriodOfCareStarted {
                    legal_status: LegalStatus::C2,
                    placement: placed(kind),
                    category_of_need: None,
                },
            ),
        ]
    }

    fn with_carer(kind: PlacementType, carer: &str) -> Placement {
        Placement {
            carer_id: Id::parse(carer),
            ..placed(kind)
        }
    }

    /// Like [`child`], with a carer id on the admission's placement.
    fn child_with_carer(c: &str, on: &str, kind: PlacementType, carer: &str) -> Vec<Event> {
        let mut events = child(c, on, kind);
        events[1].payload = Payload::PeriodOfCareStarted {
            legal_status: LegalStatus::C2,
            placement: with_carer(kind, carer),
            category_of_need: None,
        };
        events
    }

    fn change(placement: Placement, same_carer: bool) -> Payload {
        Payload::PlacementChanged {
            placement,
            reason: None,
            same_carer,
        }
    }

    fn visit(c: &str, id: &str, on: &str) -> Event {
        ev(c, id, on, Payload::VisitMade { seen_alone: None })
    }

    fn matched(c: &str, id: &str, on: &str) -> Event {
        ev(c, id, on, Payload::PermanenceMatchRecorded)
    }

    #[test]
    fn first_visit_is_due_seven_days_after_the_placement_starts() {
        // No visits yet: the next visit is due 7 days after the placement started.
        // V1 placed 20 May: due 27 May, before the 31 May month end: overdue.
        // V2 placed 24 May: due 31 May, on month end: up to date.
        // V3 placed 25 May: due 1 June: up to date.
        let events = [
            child("V1", "2018-05-20", U4),
            child("V2", "2018-05-24", U4),
            child("V3", "2018-05-25", U4),
        ]
        .concat();
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (2, Some(3)));
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (2, Some(3)));
        let v2 = child("V2", "2018-05-24", U4);
        assert_eq!(
            fact(&v2, NATIONAL, "2018-05", "next_visit_due"),
            FactValue::Day(date!(2018 - 05 - 31))
        );
        assert_eq!(
            fact(&v2, NATIONAL, "2018-05", "placement_start"),
            FactValue::Day(date!(2018 - 05 - 24))
        );
        assert_eq!(
            fact(&v2, NATIONAL, "2018-05", "last_visit"),
            FactValue::Missing
        );
    }

    #[test]
    fn a_visit_on_the_placement_start_day_counts() {
        // Placed and visited on 20 April. National: 20 Apr + 42 = 1 June; local: 20 Apr + 28 =
        // 18 May. April end: both up to date. May end: national (1 June) up to date, local
        // (18 May) overdue. June end: both overdue.
        let mut events = child("V1", "2018-04-20", U4);
        events.push(visit("V1", "v1", "2018-04-20"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, NATIONAL, "2018-04"), (1, Some(1)));
        assert_eq!(ratio(&f, LOCAL, "2018-04"), (1, Some(1)));
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (1, Some(1)));
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (0, Some(1)));
        assert_eq!(ratio(&f, NATIONAL, "2018-06"), (0, Some(1)));
        assert_eq!(
            fact(&events, LOCAL, "2018-05", "next_visit_due"),
            FactValue::Day(date!(2018 - 05 - 18))
        );
    }

    #[test]
    fn a_visit_after_month_end_counts_only_from_its_own_month() {
        // Placed 1 March, visited 5 March and 1 June. 5 Mar + 42 = 16 April.
        // March end: due 16 Apr, up to date. April and May ends: the 1 June visit is after
        // month end, so the last visit is 5 March and the child is overdue. June end: last
        // visit 1 June, due 1 Jun + 42 = 13 July: up to date.
        let mut events = child("V1", "2018-03-01", U4);
        events.push(visit("V1", "v1", "2018-03-05"));
        events.push(visit("V1", "v2", "2018-06-01"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, NATIONAL, "2018-03"), (1, Some(1)));
        assert_eq!(ratio(&f, NATIONAL, "2018-04"), (0, Some(1)));
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (0, Some(1)));
        assert_eq!(ratio(&f, NATIONAL, "2018-06"), (1, Some(1)));
        assert_eq!(
            fact(&events, NATIONAL, "2018-05", "last_visit"),
            FactValue::Day(date!(2018 - 03 - 05))
        );
        assert_eq!(
            fact(&events, NATIONAL, "2018-06", "next_visit_due"),
            FactValue::Day(date!(2018 - 07 - 13))
        );
    }

    #[test]
    fn due_on_month_end_is_up_to_date_and_the_day_before_is_overdue() {
        // All placed 10 January 2018 (less than a year: 42 days national, 28 local).
        // A: last visit 19 Apr: national due 19 Apr + 42 = 31 May (met); local 17 May (overdue).
        // B: last visit 3 May: national 14 June (met); local 3 May + 28 = 31 May (met).
        // C: last visit 18 Apr: national 30 May (overdue); local 16 May (overdue).
        // D: last visit 2 May: national 13 June (met); local 30 May (overdue).
        let mut events = [
            child("A", "2018-01-10", U4),
            child("B", "2018-01-10", U4),
            child("C", "2018-01-10", U4),
            child("D", "2018-01-10", U4),
        ]
        .concat();
        events.extend([
            visit("A", "a1", "2018-01-15"),
            visit("A", "a2", "2018-04-19"),
            visit("B", "b1", "2018-04-18"),
            visit("B", "b2", "2018-05-03"),
            visit("C", "c1", "2018-04-18"),
            visit("D", "d1", "2018-05-02"),
        ]);
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (3, Some(4)));
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (1, Some(4)));
    }

    #[test]
    fn only_children_looked_after_at_month_end_count_and_an_empty_cohort_has_no_value() {
        // D1 is discharged on 31 May: not looked after at the end of May (the discharge day is
        // excluded), so May has no cohort: no value. In April: visited 5 Apr, due 17 May: met.
        let d1 = [
            child("D1", "2018-04-01", U4),
            vec![
                visit("D1", "v1", "2018-04-05"),
                ev("D1", "end", "2018-05-31", ended(ReasonCeased::E13)),
            ],
        ]
        .concat();
        let f = figures(&d1, "2018-06");
        assert_eq!(ratio(&f, NATIONAL, "2018-04"), (1, Some(1)));
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (0, Some(0)));
        assert_eq!(value(&f, NATIONAL, "2018-05"), None);
        assert_eq!(value(&f, LOCAL, "2018-05"), None);
        // D2 is discharged on 1 June: looked after on 31 May, last visit 5 Apr, due 17 May
        // (national) and 3 May (local): overdue on both.
        let d2 = [
            child("D2", "2018-04-01", U4),
            vec![
                visit("D2", "v1", "2018-04-05"),
                ev("D2", "end", "2018-06-01", ended(ReasonCeased::E13)),
            ],
        ]
        .concat();
        let f = figures(&d2, "2018-06");
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (0, Some(1)));
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (0, Some(1)));
        assert_eq!(ratio(&f, NATIONAL, "2018-06"), (0, Some(0)));
    }

    #[test]
    fn short_breaks_are_not_counted() {
        // A V3 period (short breaks) is ignored by every indicator: no cohort in May.
        let events = [
            ev("S1", "b", "2008-01-01", born("2008-01-01")),
            ev("S1", "a", "2018-05-01", admitted(LegalStatus::V3)),
            visit("S1", "v1", "2018-05-02"),
            ev("S2", "b", "2008-01-01", born("2008-01-01")),
            ev("S2", "a", "2018-05-01", admitted(LegalStatus::V4)),
        ];
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (0, Some(0)));
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (0, Some(0)));
        assert_eq!(value(&f, NATIONAL, "2018-05"), None);
    }

    #[test]
    fn national_standard_relaxes_to_84_days_after_a_year_in_a_long_term_placement() {
        // All placed 10 January 2017: the placement has lasted a year from 10 January 2018.
        // N1 U4, visited 9 Jan 2018 (before the anniversary): 42 days, due 20 Feb.
        // N2 U4, visited 10 Jan 2018 (a year, long-term type): 84 days, due 4 April.
        // N3 U6, visited 10 Jan 2018: a year but U6 is not long term: 42 days, due 21 Feb.
        // N4 U6, matched 5 Jan 2018, visited 10 Jan: matched on the visit day: due 4 April.
        // N5 U6, matched 11 Jan 2018, after the 10 Jan visit: 42 days, due 21 Feb.
        // N6 U1, visited 10 Jan 2018: due 4 April.
        // N7 U4 changed to A5 with the same carer on 1 Nov 2017 (same placement, still from
        //    10 Jan 2017), visited 10 Jan 2018: A5 is long term: due 4 April.
        // February end (28th): N2, N4, N6, N7 up to date. March end: the same (4 April is after
        // 31 March; 20 and 21 Feb are not). April end: all overdue.
        let mut events = [
            child("N1", "2017-01-10", U4),
            child("N2", "2017-01-10", U4),
            child("N3", "2017-01-10", U6),
            child("N4", "2017-01-10", U6),
            child("N5", "2017-01-10", U6),
            child("N6", "2017-01-10", U1),
            child("N7", "2017-01-10", U4),
        ]
        .concat();
        events.extend([
            visit("N1", "v", "2018-01-09"),
            visit("N2", "v", "2018-01-10"),
            visit("N3", "v", "2018-01-10"),
            matched("N4", "m", "2018-01-05"),
            visit("N4", "v", "2018-01-10"),
            matched("N5", "m", "2018-01-11"),
            visit("N5", "v", "2018-01-10"),
            visit("N6", "v", "2018-01-10"),
            ev("N7", "p", "2017-11-01", change(placed(A5), true)),
            visit("N7", "v", "2018-01-10"),
        ]);
        let f = figures(&events, "2018-04");
        assert_eq!(ratio(&f, NATIONAL, "2018-02"), (4, Some(7)));
        assert_eq!(ratio(&f, NATIONAL, "2018-03"), (4, Some(7)));
        assert_eq!(ratio(&f, NATIONAL, "2018-04"), (0, Some(7)));
        let n2: Vec<Event> = events
            .iter()
            .filter(|e| e.subject.id.as_str() == "N2")
            .cloned()
            .collect();
        assert_eq!(
            fact(&n2, NATIONAL, "2018-02", "next_visit_due"),
            FactValue::Day(date!(2018 - 04 - 04))
        );
        assert_eq!(
            fact(&n2, NATIONAL, "2018-02", "long_term"),
            FactValue::Flag(true)
        );
    }

    #[test]
    fn a_year_after_29_february_is_28_february() {
        // Placed 29 February 2016: 12 months after is 28 February 2017 ("k months after" clamps
        // to the month end). L1 visited 28 Feb 2017: a year, U4: 84 days, due 23 May 2017.
        // L2 visited 27 Feb 2017: not yet a year: 42 days, due 10 April 2017.
        // April 2017 end: L1 up to date, L2 overdue.
        let mut events = [child("L1", "2016-02-29", U4), child("L2", "2016-02-29", U4)].concat();
        events.extend([
            visit("L1", "v", "2017-02-28"),
            visit("L2", "v", "2017-02-27"),
        ]);
        let f = figures(&events, "2017-04");
        assert_eq!(ratio(&f, NATIONAL, "2017-04"), (1, Some(2)));
        let l1 = &events[..2]
            .iter()
            .chain(&events[4..5])
            .cloned()
            .collect::<Vec<_>>();
        assert_eq!(
            fact(l1, NATIONAL, "2017-04", "next_visit_due"),
            FactValue::Day(date!(2017 - 05 - 23))
        );
    }

    #[test]
    fn local_standard_is_28_days_unless_the_placement_is_matched() {
        // All placed 10 January 2018 unless said, visited 20 April 2018; May end is 31 May.
        // National: less than a year: 20 Apr + 42 = 1 June for A-D (up to date).
        // A: no match: local 20 Apr + 28 = 18 May: overdue.
        // B: matched 1 Apr (before the visit): the national standard applies: 1 June, met.
        // C: matched 25 Apr (after the visit): 28 days: overdue.
        // D: matched 1 Feb, then a new carer on 1 Mar: the match was in the earlier placement:
        //    28 days: overdue.
        // E: placed 1 June 2016 (U6), matched 1 Jan 2017: a year and matched: 84 days under
        //    both standards, due 13 July: met.
        // Local (2 of 5): B, E. National: all five.
        let mut events = [
            child("A", "2018-01-10", U4),
            child("B", "2018-01-10", U4),
            child("C", "2018-01-10", U4),
            child("D", "2018-01-10", U4),
            child("E", "2016-06-01", U6),
        ]
        .concat();
        events.extend([
            matched("B", "m", "2018-04-01"),
            matched("C", "m", "2018-04-25"),
            matched("D", "m", "2018-02-01"),
            ev("D", "p", "2018-03-01", change(placed(U4), false)),
            matched("E", "m", "2017-01-01"),
        ]);
        for c in ["A", "B", "C", "D", "E"] {
            events.push(visit(c, "v", "2018-04-20"));
        }
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (2, Some(5)));
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (5, Some(5)));

        // The local interval is a setting: at 42 days A, C and D are due on 1 June too.
        let settings = Settings {
            local_visit_interval_days: 42,
            ..Settings::default()
        };
        let f = figures_with(&events, &settings, "2018-05-31");
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (5, Some(5)));
    }

    #[test]
    fn a_change_of_type_with_the_same_carer_is_not_a_new_placement() {
        // S1: placed 1 Mar 2018 (U6), visited 10 May, type changed to U4 with the same carer on
        //     20 May: the 10 May visit is in the current placement: national due 21 June, local
        //     7 June: up to date at May end.
        // S2: the same but a new carer on 20 May: no visit in the new placement, first visit due
        //     27 May: overdue under both.
        // S3: placed 10 Jan 2017 (U6), same-carer change to U4 on 1 Dec 2017, visited 10 Jan
        //     2018: the placement started 10 Jan 2017, a year on the visit day, U4: due 4 Apr.
        // S4: as S3 with a new carer on 1 Dec 2017: placement from 1 Dec 2017, less than a year:
        //     due 21 Feb.
        // February end (28th), national: S3 up to date, S4 overdue (S1, S2 not yet looked
        // after). Local: both 10 Jan + 28 = 7 Feb: overdue.
        let mut events = [
            child("S1", "2018-03-01", U6),
            child("S2", "2018-03-01", U6),
            child("S3", "2017-01-10", U6),
            child("S4", "2017-01-10", U6),
        ]
        .concat();
        events.extend([
            visit("S1", "v", "2018-05-10"),
            ev("S1", "p", "2018-05-20", change(placed(U4), true)),
            visit("S2", "v", "2018-05-10"),
            ev("S2", "p", "2018-05-20", change(placed(U4), false)),
            ev("S3", "p", "2017-12-01", change(placed(U4), true)),
            visit("S3", "v", "2018-01-10"),
            ev("S4", "p", "2017-12-01", change(placed(U4), false)),
            visit("S4", "v", "2018-01-10"),
        ]);
        let f = figures(&events, "2018-05");
        // May end: S3 and S4 are still looked after, last visited 10 Jan 2018 (due 4 Apr and
        // 21 Feb): overdue. Of the four, only S1 is up to date, under both standards.
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (1, Some(4)));
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (1, Some(4)));
        assert_eq!(ratio(&f, NATIONAL, "2018-02"), (1, Some(2)));
        assert_eq!(ratio(&f, LOCAL, "2018-02"), (0, Some(2)));
    }

    #[test]
    fn temporary_placements_and_returns_do_not_start_a_new_placement() {
        // T1: placed 10 Jan 2017 with carer H1, in hospital (T1) from 20 Dec 2017, back with H1
        //     on 5 Jan 2018, visited 10 Jan 2018: the placement is still the one from 10 Jan
        //     2017 (a year, U4): due 4 April: met at February end.
        // T2: the same but back to another carer H2 on 5 Jan: a new placement, less than a
        //     year: due 21 Feb: overdue.
        // T3: placed 1 Oct 2017, visited 25 Jan 2018, in hospital from 1 Feb to month end: the
        //     hospital stay is ignored, so the 25 Jan visit still counts: due 8 Mar: met.
        // T4: placed 1 Oct 2017, in hospital from 1 Feb, visited there on 10 Feb: counts for
        //     the placement: due 24 Mar: met.
        // National, February end: 3 of 4. Local: T1 7 Feb, T2 7 Feb, T3 22 Feb overdue; T4
        // 10 Mar: 1 of 4.
        let mut events = [
            child_with_carer("T1", "2017-01-10", U4, "H1"),
            child_with_carer("T2", "2017-01-10", U4, "H1"),
            child("T3", "2017-10-01", U4),
            child("T4", "2017-10-01", U4),
        ]
        .concat();
        events.extend([
            ev("T1", "t", "2017-12-20", moved(T1)),
            ev("T1", "r", "2018-01-05", change(with_carer(U4, "H1"), false)),
            visit("T1", "v", "2018-01-10"),
            ev("T2", "t", "2017-12-20", moved(T1)),
            ev("T2", "r", "2018-01-05", change(with_carer(U4, "H2"), false)),
            visit("T2", "v", "2018-01-10"),
            visit("T3", "v", "2018-01-25"),
            ev("T3", "t", "2018-02-01", moved(T1)),
            ev("T4", "t", "2018-02-01", moved(T1)),
            visit("T4", "v", "2018-02-10"),
        ]);
        let f = figures(&events, "2018-02");
        assert_eq!(ratio(&f, NATIONAL, "2018-02"), (3, Some(4)));
        assert_eq!(ratio(&f, LOCAL, "2018-02"), (1, Some(4)));
    }

    #[test]
    fn visits_in_an_earlier_period_of_care_do_not_count() {
        // Visited 20 Mar in a period ending 1 Apr; readmitted 20 Apr with no visit since: the
        // first visit of the new placement is due 27 Apr: overdue at April end. (Counting the
        // March visit would give 1 May: up to date.)
        let events = [
            child("R1", "2018-01-01", U4),
            vec![
                visit("R1", "v", "2018-03-20"),
                ev("R1", "end", "2018-04-01", ended(ReasonCeased::E4A)),
                ev("R1", "again", "2018-04-20", admitted(LegalStatus::C2)),
            ],
        ]
        .concat();
        let f = figures(&events, "2018-04");
        assert_eq!(ratio(&f, NATIONAL, "2018-03"), (1, Some(1)));
        assert_eq!(ratio(&f, NATIONAL, "2018-04"), (0, Some(1)));
    }

    #[test]
    fn retractions_change_the_figures() {
        // R1: placed 1 Mar, visited 10 May: due 21 June: met at May end. Retracting the visit
        //     leaves no visit: first visit due 8 Mar: overdue.
        // R2: placed 1 Mar, visited 10 May, new carer on 20 May: due 27 May: overdue.
        //     Retracting the move puts the 10 May visit back in the current placement: met.
        let base = [
            child("R1", "2018-03-01", U4),
            child("R2", "2018-03-01", U4),
            vec![
                visit("R1", "v1", "2018-05-10"),
                visit("R2", "v1", "2018-05-10"),
                ev("R2", "p1", "2018-05-20", change(placed(U6), false)),
            ],
        ]
        .concat();
        let f = figures(&base, "2018-06");
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (1, Some(2)));

        let mut retracted = base.clone();
        retracted.push(retract("R1", "x1", "2018-06-02", "v1"));
        let f = figures(&retracted, "2018-06");
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (0, Some(2)));

        let mut retracted = base;
        retracted.push(retract("R2", "x1", "2018-06-02", "p1"));
        let f = figures(&retracted, "2018-06");
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (2, Some(2)));
        assert_eq!(ratio(&f, LOCAL, "2018-05"), (2, Some(2)));
    }

    #[test]
    fn the_denominator_is_the_looked_after_cohort() {
        // A child admitted straight into a temporary placement (T0) has no current placement;
        // it is still looked after, so it is in the cohort, with the placement taken to start
        // on the admission day: first visit due 7 days after it.
        let events = child("Z1", "2018-05-20", T0);
        let f = figures(&events, "2018-05");
        assert_eq!(count(&f, Indicator::LookedAfter, "2018-05"), 1);
        // 20 May + 7 = 27 May: overdue.
        assert_eq!(ratio(&f, NATIONAL, "2018-05"), (0, Some(1)));
        assert_eq!(
            fact(&events, NATIONAL, "2018-05", "placement_type"),
            FactValue::Missing
        );
    }
}
