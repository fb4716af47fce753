//! 6.7 statutory reviews held within timescales (INDICATORS.md 3.1).
//!
//! Within each counted period of care the review instances follow reg. 33 of the Care Planning,
//! Placement and Case Review (England) Regulations 2010: the first is due 20 working days after
//! the period starts, the second 3 months after the first was held, each later one 6 months
//! after the previous was held. One evaluation per instance, in the month of its due day.

use time::Date;

use super::{Context, Evaluation, FactValue, Indicator, Sink};
use crate::calendar::{Month, add_months};
use crate::timeline::{ChildTimeline, PeriodOfCare};

pub const DERIVES: &[Indicator] = &[Indicator::ReviewsOnTime];

/// Working days from the start of a period of care to its first review.
const FIRST_REVIEW_WORKING_DAYS: u32 = 20;
/// Months from the first review held to the second.
const SECOND_REVIEW_MONTHS: i32 = 3;
/// Months from each later review held to the next.
const LATER_REVIEW_MONTHS: i32 = 6;

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    for period in tl.counted_periods() {
        evaluate_period(period, ctx, out);
    }
}

/// One review instance of a period's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Instance {
    /// 1 for the first review of the period.
    number: i64,
    due: Date,
    /// The review that satisfies it (on time or late), if one is known.
    held: Option<Date>,
}

fn evaluate_period(period: &PeriodOfCare, ctx: &Context, out: &mut impl Sink) {
    for instance in schedule(period, ctx) {
        let month = Month::of(instance.due);
        // Instances due after "today" are not counted yet (3.1); nor months past the horizon.
        if instance.due > ctx.today || month > ctx.horizon {
            break;
        }
        let on_time = instance.held.is_some_and(|held| held <= instance.due);
        out.push(
            Evaluation::ratio(Indicator::ReviewsOnTime, month, on_time)
                .day("period_start", Some(period.start))
                .fact("review", FactValue::Number(instance.number))
                .day("due", Some(instance.due))
                .day("held", instance.held),
        );
    }
}

/// The review instances of `period` in order, as known on `ctx.today`.
///
/// Choices where 3.1 is silent:
/// - Only reviews dated on or before `today` are known: a review "held" in the future cannot
///   satisfy anything yet (with real data there are none; it keeps a past "as of" consistent).
/// - Several reviews held before a due day: the earliest satisfies the instance and each later
///   one satisfies the next instance early (reg. 33 times each review from the previous one
///   actually held, whatever prompted it), so the schedule restarts from every review held.
/// - Two `reviewHeld` on the same day are one review: the next instance needs a review on a
///   later day than the one that satisfied the previous instance.
fn schedule(period: &PeriodOfCare, ctx: &Context) -> Vec<Instance> {
    let mut reviews = period.reviews.iter().copied().filter(|r| *r <= ctx.today);
    let mut out = Vec::new();
    let mut due = ctx
        .calendar
        .add_working_days(period.start, FIRST_REVIEW_WORKING_DAYS);
    let mut number = 1;
    loop {
        // An instance due on or after the day the period ends does not exist.
        if period.end.is_some_and(|end| due >= end) {
            break;
        }
        // Reviews are in timeline order, hence in date order: the first one not yet used
        // (strictly after the previous satisfying review) satisfies this instance.
        let previous = out.last().and_then(|i: &Instance| i.held);
        let held = reviews.find(|r| previous.is_none_or(|p| *r > p));
        out.push(Instance { number, due, held });
        // While an instance stays unsatisfied no later instance exists.
        let Some(held) = held else { break };
        let months = if number == 1 {
            SECOND_REVIEW_MONTHS
        } else {
            LATER_REVIEW_MONTHS
        };
        due = add_months(held, months);
        number += 1;
        // This and every later instance is due after today: none can be counted yet.
        if due > ctx.today {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::codes::{LegalStatus, ReasonCeased};
    use crate::indicators::{Indicator, financial_year_figure, month_figure};
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::{Event, FinancialYear, Payload};

    const R: Indicator = Indicator::ReviewsOnTime;

    fn review(child: &str, id: &str, on: &str) -> Event {
        ev(
            child,
            id,
            on,
            Payload::ReviewHeld {
                participation: None,
            },
        )
    }

    fn child(id: &str, admitted_on: &str) -> Vec<Event> {
        vec![
            ev(id, &format!("{id}-b"), "2008-01-01", born("2008-01-01")),
            ev(
                id,
                &format!("{id}-a"),
                admitted_on,
                admitted(LegalStatus::C2),
            ),
        ]
    }

    fn value(f: &crate::indicators::Figures, m: &str) -> Option<f64> {
        month_figure(f, R, month(m), &Settings::default()).value
    }

    #[test]
    fn the_reports_may_2018_figure_146_due_115_on_time_is_78_8_percent() {
        // 146 children admitted Thursday 1 February 2018. Working days after it: 2 Feb (1),
        // 5-9 Feb (2-6), 12-16 (7-11), 19-23 (12-16), 26, 27, 28 Feb (17-19), 1 Mar (20): the
        // first review is due 1 March. Each holds it on 15 February, on time, so March has 146
        // on time, and the second review is due 3 months after 15 February: 15 May.
        // 115 hold it on 10 May (on time); 16 hold it late on 21 May; 15 never hold it.
        let mut events = Vec::new();
        for n in 0..146 {
            let c = format!("C{n:03}");
            events.extend(child(&c, "2018-02-01"));
            events.push(review(&c, &format!("{c}-r1"), "2018-02-15"));
            if n < 115 {
                events.push(review(&c, &format!("{c}-r2"), "2018-05-10"));
            } else if n < 131 {
                events.push(review(&c, &format!("{c}-r2"), "2018-05-21"));
            }
        }
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, R, "2018-03"), (146, Some(146)));
        assert_eq!(ratio(&f, R, "2018-04"), (0, Some(0)));
        assert_eq!(value(&f, "2018-04"), None, "nothing due in April");
        assert_eq!(ratio(&f, R, "2018-05"), (115, Some(146)));
        // 115 / 146 = 0.78767... -> 78.8%
        assert_eq!(format!("{:.1}", value(&f, "2018-05").unwrap()), "78.8");
        // YTD 2018/19 = April + May = 115 / 146 as well; March belongs to 2017/18.
        let may = month_figure(&f, R, month("2018-05"), &Settings::default());
        assert_eq!(may.ytd, Some((115, Some(146))));
        // The late reviewers' third review is due 6 months after 21 May (21 Nov): beyond today.
        assert_eq!(ratio(&f, R, "2018-06"), (0, Some(0)));
    }

    #[test]
    fn schedule_first_twenty_working_days_then_three_then_six_months_from_each_review() {
        // Admitted Friday 23 March 2018. Working days: 26-29 Mar (1-4), Good Friday 30 Mar and
        // Easter Monday 2 Apr skipped, 3-6 Apr (5-8), 9-13 (9-13), 16-20 (14-18), 23 (19),
        // 24 Apr (20): first review due Tuesday 24 April; held that day: on time (the due day
        // itself is within).
        // Second due 3 months after 24 Apr = 24 Jul; held 1 Aug: late, counted in July.
        // Third due 6 months after the day it was actually held (1 Aug) = 1 Feb 2019; held
        // 31 Jan 2019: on time, counted in February 2019.
        // Fourth due 31 Jul 2019: after today (30 Jun 2019), not counted.
        let mut events = child("C1", "2018-03-23");
        events.push(review("C1", "r1", "2018-04-24"));
        events.push(review("C1", "r2", "2018-08-01"));
        events.push(review("C1", "r3", "2019-01-31"));
        let f = figures(&events, "2019-06");
        assert_eq!(ratio(&f, R, "2018-03"), (0, Some(0)));
        assert_eq!(ratio(&f, R, "2018-04"), (1, Some(1)));
        assert_eq!(ratio(&f, R, "2018-07"), (0, Some(1)));
        assert_eq!(
            ratio(&f, R, "2018-08"),
            (0, Some(0)),
            "held in Aug, due in Jul"
        );
        assert_eq!(ratio(&f, R, "2018-10"), (0, Some(0)));
        assert_eq!(ratio(&f, R, "2019-02"), (1, Some(1)));
        // FY 2018/19 (April to March): 2 of 3 on time.
        let fy = financial_year_figure(
            &f,
            R,
            FinancialYear(2018),
            month("2019-06"),
            &Settings::default(),
        )
        .unwrap();
        assert_eq!((fy.numerator, fy.denominator), (2, Some(3)));
        let f = figures(&events, "2019-07");
        assert_eq!(
            ratio(&f, R, "2019-07"),
            (0, Some(1)),
            "due 31 Jul, not held"
        );

        // The facts behind July 2018.
        let e = evaluations(&events, R, "2018-07", "2019-06-30");
        assert_eq!(e.len(), 1);
        let shown: Vec<String> = e[0]
            .facts
            .iter()
            .map(|f| format!("{}={}", f.name, f.value))
            .collect();
        assert_eq!(
            shown,
            [
                "period_start=2018-03-23",
                "review=2",
                "due=2018-07-24",
                "held=2018-08-01"
            ]
        );
    }

    #[test]
    fn the_second_review_is_three_months_after_and_clamps_to_month_end() {
        // Admitted 1 Feb 2018, first due 1 Mar (see above); held 28 Feb: on time. Second due
        // 3 months after 28 Feb = 28 May; held 29 May: late. Third due 29 Nov: beyond July.
        // A child admitted 1 Mar 2018 has its first due Thursday 29 Mar (2 Mar (1), 5-9 (2-6),
        // 12-16 (7-11), 19-23 (12-16), 26-29 (17-20)); held 31 Mar, late. Second due 3 months
        // after 31 Mar: 30 June (June has 30 days); held 30 June, on time.
        let mut events = child("C1", "2018-02-01");
        events.push(review("C1", "r1", "2018-02-28"));
        events.push(review("C1", "r2", "2018-05-29"));
        events.extend(child("C2", "2018-03-01"));
        events.push(review("C2", "s1", "2018-03-31"));
        events.push(review("C2", "s2", "2018-06-30"));
        let f = figures(&events, "2018-07");
        assert_eq!(ratio(&f, R, "2018-03"), (1, Some(2)), "C1 on time, C2 late");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(1)));
        assert_eq!(ratio(&f, R, "2018-06"), (1, Some(1)));
    }

    #[test]
    fn financial_year_boundary_late_march_review_held_in_april() {
        // Admitted Thursday 1 March 2018: first due Thursday 29 March (FY 2017/18), the day
        // before Good Friday. Held Tuesday 3 April: late, counted in March 2018, 0 of 1.
        // Second due 3 months after 3 Apr = 3 Jul, held 2 Jul: on time (FY 2018/19).
        let mut events = child("C1", "2018-03-01");
        events.push(review("C1", "r1", "2018-04-03"));
        events.push(review("C1", "r2", "2018-07-02"));
        let f = figures(&events, "2018-07");
        assert_eq!(ratio(&f, R, "2018-03"), (0, Some(1)));
        assert_eq!(value(&f, "2018-03"), Some(0.0), "0%, not no value");
        assert_eq!(ratio(&f, R, "2018-04"), (0, Some(0)));
        assert_eq!(ratio(&f, R, "2018-07"), (1, Some(1)));
        let s = Settings::default();
        let fy17 = financial_year_figure(&f, R, FinancialYear(2017), month("2018-07"), &s).unwrap();
        assert_eq!((fy17.numerator, fy17.denominator), (0, Some(1)));
        let jul = month_figure(&f, R, month("2018-07"), &s);
        assert_eq!(jul.ytd, Some((1, Some(1))), "YTD starts in April");
    }

    #[test]
    fn an_instance_due_on_or_after_the_period_end_does_not_exist() {
        // Admitted Tuesday 1 May 2018: working days 2-4 May (1-3), Monday 7 May (early May
        // bank holiday) skipped, 8-11 (4-7), 14-18 (8-12), 21-25 (13-17), Monday 28 May (spring
        // bank holiday) skipped, 29, 30, 31 May (18-20): first due Thursday 31 May.
        let base = child("C1", "2018-05-01");

        // Discharged 31 May: due day == end day, so no instance.
        let mut a = base.clone();
        a.push(ev("C1", "d", "2018-05-31", ended(ReasonCeased::E13)));
        let f = figures(&a, "2018-07");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(0)));
        assert_eq!(value(&f, "2018-05"), None, "zero denominator: no value");

        // Discharged 1 June: the child is looked after on 31 May, the instance exists and,
        // with no review, is not on time.
        let mut b = base.clone();
        b.push(ev("C1", "d", "2018-06-01", ended(ReasonCeased::E13)));
        let f = figures(&b, "2018-07");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(1)));

        // Held on 31 May: on time. The second would be due 31 Aug, after the discharge on
        // 1 June: it does not exist.
        b.push(review("C1", "r1", "2018-05-31"));
        let f = figures(&b, "2018-09");
        assert_eq!(ratio(&f, R, "2018-05"), (1, Some(1)));
        assert_eq!(ratio(&f, R, "2018-08"), (0, Some(0)));
    }

    #[test]
    fn instances_due_after_today_are_not_counted_yet() {
        // First due Thursday 31 May 2018 (see above). On 30 May it is not yet counted, even
        // though May is the horizon; on 31 May it is, unheld.
        let events = child("C1", "2018-05-01");
        let s = Settings::default();
        let f = figures_with(&events, &s, "2018-05-30");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(0)));
        let f = figures_with(&events, &s, "2018-05-31");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(1)));
        // Held early on 30 May, seen on 30 May: still due tomorrow, not counted.
        let mut held = events.clone();
        held.push(review("C1", "r1", "2018-05-30"));
        let f = figures_with(&held, &s, "2018-05-30");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(0)));
        let f = figures_with(&held, &s, "2018-06-15");
        assert_eq!(ratio(&f, R, "2018-05"), (1, Some(1)));
        // Held late on 10 June and seen on 5 June: May counts, unheld as far as is known.
        let mut late = events.clone();
        late.push(review("C1", "r1", "2018-06-10"));
        let e = evaluations(&late, R, "2018-05", "2018-06-05");
        assert_eq!((e.len(), e[0].numerator), (1, 0));
        assert_eq!(e[0].facts[3].name, "held");
        assert_eq!(e[0].facts[3].value, crate::indicators::FactValue::Missing);
        let e = evaluations(&late, R, "2018-05", "2018-06-10");
        assert_eq!(e[0].facts[3].value.to_string(), "2018-06-10");
    }

    #[test]
    fn an_unheld_review_stops_the_schedule_and_a_late_one_restarts_it() {
        // First due 31 May 2018 (admitted 1 May). No review until 15 October: May is late and,
        // while it is unheld, nothing else falls due (no instance in August or later).
        // Held 15 October: the second is due 3 months later, 15 January 2019.
        let mut events = child("C1", "2018-05-01");
        let f = figures(&events, "2018-12");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(1)));
        for m in ["2018-06", "2018-08", "2018-11", "2018-12"] {
            assert_eq!(ratio(&f, R, m), (0, Some(0)), "{m}");
        }
        events.push(review("C1", "r1", "2018-10-15"));
        let f = figures(&events, "2019-01");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(1)), "held late");
        assert_eq!(ratio(&f, R, "2018-10"), (0, Some(0)));
        assert_eq!(ratio(&f, R, "2019-01"), (0, Some(1)), "due 15 Jan, unheld");
    }

    #[test]
    fn several_reviews_before_a_due_day_each_satisfy_the_next_instance() {
        // Admitted 1 May 2018, first due 31 May. Reviews on 10 May and 20 May:
        // - 10 May satisfies the first (on time); the second is due 3 months after: 10 Aug;
        // - 20 May is after 10 May and before 10 Aug: it satisfies the second, early, on time;
        // - the third is due 6 months after 20 May: 20 Nov, unheld.
        let mut events = child("C1", "2018-05-01");
        events.push(review("C1", "r1", "2018-05-10"));
        events.push(review("C1", "r2", "2018-05-20"));
        let f = figures(&events, "2018-12");
        assert_eq!(ratio(&f, R, "2018-05"), (1, Some(1)));
        assert_eq!(ratio(&f, R, "2018-08"), (1, Some(1)));
        assert_eq!(ratio(&f, R, "2018-11"), (0, Some(1)));
        assert_eq!(ratio(&f, R, "2018-12"), (0, Some(0)));

        // Two records of one review on the same day count once: the second instance (10 Aug)
        // stays unheld.
        let mut dup = child("C1", "2018-05-01");
        dup.push(review("C1", "r1", "2018-05-10"));
        dup.push(review("C1", "r1b", "2018-05-10"));
        let f = figures(&dup, "2018-12");
        assert_eq!(ratio(&f, R, "2018-05"), (1, Some(1)));
        assert_eq!(ratio(&f, R, "2018-08"), (0, Some(1)));
        assert_eq!(ratio(&f, R, "2018-11"), (0, Some(0)));
    }

    #[test]
    fn readmission_restarts_the_schedule_and_short_breaks_have_none() {
        // First period: admitted 1 Mar 2018 (due 29 Mar), held 20 Mar, discharged 1 Apr 2018;
        // the second would be due 20 Jun, after the end: none.
        // Readmitted Tuesday 1 May 2018: due 31 May again; the March review belongs to the
        // first period and does not satisfy it: 0 of 1 in May.
        let mut events = child("C1", "2018-03-01");
        events.push(review("C1", "r1", "2018-03-20"));
        events.push(ev("C1", "d1", "2018-04-01", ended(ReasonCeased::E13)));
        events.push(ev("C1", "a2", "2018-05-01", admitted(LegalStatus::C2)));
        // A short-break child (V3 on the first day) with no reviews at all: not counted.
        events.extend(vec![
            ev("C2", "b", "2008-01-01", born("2008-01-01")),
            ev("C2", "a", "2018-05-01", admitted(LegalStatus::V3)),
        ]);
        // V4 likewise, even with a review held.
        events.extend(vec![
            ev("C3", "b", "2008-01-01", born("2008-01-01")),
            ev("C3", "a", "2018-05-01", admitted(LegalStatus::V4)),
            review("C3", "r", "2018-05-10"),
        ]);
        let f = figures(&events, "2018-07");
        assert_eq!(ratio(&f, R, "2018-03"), (1, Some(1)));
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(1)));
        assert_eq!(ratio(&f, R, "2018-06"), (0, Some(0)));
    }

    #[test]
    fn a_retracted_review_no_longer_satisfies_and_a_late_recorded_one_does() {
        // First due 31 May 2018; the only review (10 May) is retracted: 0 of 1.
        let mut events = child("C1", "2018-05-01");
        events.push(review("C1", "r1", "2018-05-10"));
        let before = figures(&events, "2018-06");
        assert_eq!(ratio(&before, R, "2018-05"), (1, Some(1)));
        events.push(retract("C1", "x1", "2018-06-05", "r1"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, R, "2018-05"), (0, Some(1)));
        // The correct review (29 May) is recorded late, in June: May is restated to 1 of 1.
        let mut late = review("C1", "r2", "2018-05-29");
        late.recorded_at =
            crate::Timestamp::from_offset(time::macros::datetime!(2018-06-20 9:00 UTC));
        events.push(late);
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, R, "2018-05"), (1, Some(1)));
    }
}
