//! 6.12 PEP, 6.13 termly PEP, 6.14 up-to-date care plan.

use time::Date;

use super::{Context, Evaluation, FactValue, Indicator, Sink, looked_after_month_ends};
use crate::calendar::{Month, add_months, age_on};
use crate::timeline::ChildTimeline;

pub const DERIVES: &[Indicator] = &[Indicator::Pep, Indicator::PepTermly, Indicator::CarePlan];

/// 6.14: the cohort's minimum time in care, in working days.
const PLAN_WORKING_DAYS: u32 = 10;

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    // 6.13 counts a PEP dated within the term whichever period of care it was recorded in.
    // Choice: the spec asks only for "a pepRecorded dated within that term", so a child
    // readmitted during the term keeps a PEP held earlier in the same term (the school and
    // the plan for the term are the same). 6.12, by contrast, asks for one in the current
    // period. Short-break periods are ignored altogether.
    let all_peps: Vec<Date> = tl
        .counted_periods()
        .flat_map(|p| p.peps.iter().copied())
        .collect();
    let s = &ctx.settings;
    for period in tl.counted_periods() {
        let plan_cohort_from = ctx
            .calendar
            .add_working_days(period.start, PLAN_WORKING_DAYS);
        for (month, day) in looked_after_month_ends(period, ctx.horizon) {
            // 6.12 and 6.13: aged at least `pep_min_age` at month end. Choice: a child with no
            // date of birth (a flagged data-quality issue) cannot be shown to be eligible and
            // is left out of both cohorts.
            let age = tl.date_of_birth.map(|b| age_on(b, day));
            if let Some(age) = age.filter(|a| *a >= s.pep_min_age) {
                let last_pep = latest_on_or_before(&period.peps, day);
                out.push(
                    Evaluation::ratio(Indicator::Pep, month, last_pep.is_some())
                        .day("period_start", Some(period.start))
                        .fact("age", FactValue::Number(age.into()))
                        .day("last_pep", last_pep),
                );
                if let Some(term_start) = term_start(month) {
                    let last_pep = latest_on_or_before(&all_peps, day);
                    out.push(
                        Evaluation::ratio(
                            Indicator::PepTermly,
                            month,
                            last_pep.is_some_and(|d| d >= term_start),
                        )
                        .day("period_start", Some(period.start))
                        .fact("age", FactValue::Number(age.into()))
                        .day("term_start", Some(term_start))
                        .day("last_pep", last_pep),
                    );
                }
            }

            // 6.14: the period started at least 10 working days before month end (its 10th
            // working day is on or before month end); the latest plan of the current period
            // up to month end is no more than `plan_interval_months` before month end.
            if plan_cohort_from <= day {
                let last_plan = latest_on_or_before(&period.care_plans, day);
                let not_before = add_months(day, -s.plan_interval_months);
                out.push(
                    Evaluation::ratio(
                        Indicator::CarePlan,
                        month,
                        last_plan.is_some_and(|d| d >= not_before),
                    )
                    .day("period_start", Some(period.start))
                    .day("last_plan", last_plan)
                    .day("up_to_date_from", Some(not_before)),
                );
            }
        }
    }
}

/// The first day of the school term that `month` ends (6.13), none for other months: autumn
/// 1 September to 31 December, spring 1 January to 31 March, summer 1 April to 31 July.
/// Choice: August belongs to no term (the summer holiday), so a PEP dated in August counts
/// for no termly figure; the terms are these calendar spans, not a school's actual dates
/// (half terms and Easter holidays fall inside them).
fn term_start(month: Month) -> Option<Date> {
    let first = match month.number() {
        12 => 9,
        3 => 1,
        7 => 4,
        _ => return None,
    };
    Month::new(month.year(), first).map(Month::first_day)
}

/// The latest of `days` (in date order) on or before `day`.
fn latest_on_or_before(days: &[Date], day: Date) -> Option<Date> {
    days.iter().copied().take_while(|d| *d <= day).last()
}

#[cfg(test)]
mod tests {
    use crate::codes::{LegalStatus, ReasonCeased};
    use crate::indicators::{Indicator, is_term_end};
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::{Event, Payload};

    const PEP: Indicator = Indicator::Pep;
    const TERMLY: Indicator = Indicator::PepTermly;
    const PLAN: Indicator = Indicator::CarePlan;

    fn pep(child: &str, id: &str, on: &str) -> Event {
        ev(child, id, on, Payload::PepRecorded)
    }

    fn plan(child: &str, id: &str, on: &str) -> Event {
        ev(child, id, on, Payload::CarePlanRecorded)
    }

    #[test]
    fn pep_cohort_is_aged_five_at_month_end_with_29_february_birthdays() {
        // C1 born 29 Feb 2012, in care from 1 Jun 2016, PEP on 15 Sep 2016.
        // 28 Feb 2017: 2017 has no 29 Feb, the birthday counts as 1 March: aged 4, not in the
        // cohort. 31 Mar 2017: aged 5: in, with a PEP: 1 of 1.
        // C2 born 31 Mar 2013, no PEP: aged 5 on 31 Mar 2018 exactly: in March 2018, not in
        // February 2018.
        // C3 has no date of birth: never in the cohort.
        let mut events = child("C1", "2012-02-29", "2016-06-01");
        events.push(pep("C1", "p1", "2016-09-15"));
        events.extend(child("C2", "2013-03-31", "2017-06-01"));
        events.push(ev("C3", "a", "2016-06-01", admitted(LegalStatus::C2)));
        events.push(pep("C3", "p1", "2016-09-15"));
        let f = figures(&events, "2018-03");
        assert_eq!(ratio(&f, PEP, "2017-02"), (0, Some(0)));
        assert_eq!(value(&f, PEP, "2017-02"), None, "zero denominator");
        assert_eq!(ratio(&f, PEP, "2017-03"), (1, Some(1)));
        assert_eq!(ratio(&f, PEP, "2018-02"), (1, Some(1)), "C2 aged 4");
        assert_eq!(ratio(&f, PEP, "2018-03"), (1, Some(2)));
        assert_eq!(value(&f, PEP, "2018-03"), Some(50.0));
        // With pep_min_age = 4, C1 is in from its 4th birthday (29 Feb 2016, a leap year), so
        // in Jun 2016 without a PEP yet; C3 (no date of birth) is still out.
        let s = Settings {
            pep_min_age: 4,
            ..Settings::default()
        };
        let f = figures_with(&events, &s, "2016-09-30");
        assert_eq!(ratio(&f, PEP, "2016-06"), (0, Some(1)));
        assert_eq!(ratio(&f, PEP, "2016-09"), (1, Some(1)));
    }

    #[test]
    fn pep_must_be_in_the_current_period_and_up_to_month_end() {
        // C1: period 1 from 2 Jan 2017 with a PEP on 1 Feb 2017, discharged 1 Sep 2017;
        // readmitted 2 Oct 2017 without a PEP: met in Aug 2017, not in Oct 2017; a PEP on
        // 1 Nov 2017 makes Nov met and Oct still not.
        // C2: discharged on 31 May 2018: not looked after at the end of May, not in May.
        // C3: a V4 short-break period with a PEP: in no cohort.
        let mut events = child("C1", "2008-01-01", "2017-01-02");
        events.push(pep("C1", "p1", "2017-02-01"));
        events.push(ev("C1", "e1", "2017-09-01", ended(ReasonCeased::E13)));
        events.push(ev("C1", "a2", "2017-10-02", admitted(LegalStatus::C2)));
        events.push(pep("C1", "p2", "2017-11-01"));
        events.extend(child("C2", "2008-01-01", "2018-01-02"));
        events.push(pep("C2", "p1", "2018-01-10"));
        events.push(ev("C2", "e1", "2018-05-31", ended(ReasonCeased::E13)));
        events.push(ev("C3", "b", "2008-01-01", born("2008-01-01")));
        events.push(ev("C3", "a", "2017-01-02", admitted(LegalStatus::V4)));
        events.push(pep("C3", "p1", "2017-02-01"));
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, PEP, "2017-08"), (1, Some(1)));
        assert_eq!(ratio(&f, PEP, "2017-09"), (0, Some(0)));
        assert_eq!(ratio(&f, PEP, "2017-10"), (0, Some(1)));
        assert_eq!(ratio(&f, PEP, "2017-11"), (1, Some(1)));
        assert_eq!(ratio(&f, PEP, "2018-04"), (2, Some(2)));
        assert_eq!(
            ratio(&f, PEP, "2018-05"),
            (1, Some(1)),
            "C2 discharged 31 May"
        );
        let e = evaluations(&events[..5], PEP, "2017-10", "2017-10-31");
        let shown: Vec<String> = e[0]
            .facts
            .iter()
            .map(|f| format!("{}={}", f.name, f.value))
            .collect();
        assert_eq!(shown, ["period_start=2017-10-02", "age=9", "last_pep=none"]);
    }

    #[test]
    fn termly_pep_needs_a_pep_within_the_term_and_is_only_reported_at_term_ends() {
        // All aged 9-10, in care from 1 Jun 2017 unless said.
        // C1: PEPs 31 Aug 2017 (summer holiday: no term), 31 Dec 2017, 1 Apr 2018.
        //     Dec 2017 (autumn, 1 Sep-31 Dec): 31 Dec in -> met.
        //     Mar 2018 (spring, 1 Jan-31 Mar): none in -> not met.
        //     Jul 2018 (summer, 1 Apr-31 Jul): 1 Apr in -> met.
        // C2: PEP 1 Sep 2017: Dec met; Mar, Jul not.
        // C3: admitted 20 Jul 2018, no PEP: in July's cohort (looked after at term end), not
        //     met.
        // C4: period 1 from 1 Jun 2017 to 1 Oct 2017 with a PEP on 20 Sep 2017, readmitted
        //     1 Nov 2017: Dec met for 6.13 (a PEP within the autumn term) though 6.12 is not
        //     (none in the current period).
        // Dec 2017: C1, C2, C4 met: 3 of 3. Mar 2018: 0 of 3 (0%, not "no value").
        // Jul 2018: C1 only: 1 of 4.
        let mut events = child("C1", "2008-01-01", "2017-06-01");
        events.push(pep("C1", "p1", "2017-08-31"));
        events.push(pep("C1", "p2", "2017-12-31"));
        events.push(pep("C1", "p3", "2018-04-01"));
        events.extend(child("C2", "2008-01-01", "2017-06-01"));
        events.push(pep("C2", "p1", "2017-09-01"));
        events.extend(child("C3", "2008-01-01", "2018-07-20"));
        events.extend(child("C4", "2008-01-01", "2017-06-01"));
        events.push(pep("C4", "p1", "2017-09-20"));
        events.push(ev("C4", "e1", "2017-10-01", ended(ReasonCeased::E13)));
        events.push(ev("C4", "a2", "2017-11-01", admitted(LegalStatus::C2)));
        let f = figures(&events, "2018-08");
        assert_eq!(
            ratio(&f, TERMLY, "2017-07"),
            (0, Some(3)),
            "summer 2017: none"
        );
        assert_eq!(ratio(&f, TERMLY, "2017-12"), (3, Some(3)));
        assert_eq!(ratio(&f, PEP, "2017-12"), (2, Some(3)));
        assert_eq!(ratio(&f, TERMLY, "2018-03"), (0, Some(3)));
        assert_eq!(value(&f, TERMLY, "2018-03"), Some(0.0));
        assert_eq!(ratio(&f, TERMLY, "2018-07"), (1, Some(4)));
        assert_eq!(value(&f, TERMLY, "2018-07"), Some(25.0));
        for m in [
            "2017-08", "2017-09", "2017-11", "2018-01", "2018-04", "2018-06", "2018-08",
        ] {
            assert!(!is_term_end(month(m)));
            assert_eq!(ratio(&f, TERMLY, m), (0, Some(0)), "{m}");
            assert_eq!(value(&f, TERMLY, m), None, "{m}");
        }
    }

    #[test]
    fn care_plan_cohort_needs_ten_working_days_and_a_plan_within_six_months() {
        // C1 admitted Wednesday 16 May 2018: working days 17, 18 (1, 2), 21-25 (3-7), Monday
        //    28 May (bank holiday) skipped, 29, 30, 31 May (8-10): in May's cohort, exactly.
        //    Plan 20 May: met in May and June (from 30 Dec 2017).
        // C2 admitted Thursday 17 May 2018: 18 (1), 21-25 (2-6), 29-31 (7-9), 1 Jun (10): not
        //    in May's cohort; no plan: June not met.
        // C3 in care since 2 Jan 2017, plan 30 Nov 2017: May's boundary is 6 months before
        //    31 May = 30 Nov 2017: met; June's is 30 Dec 2017: not met.
        // C4 in care since 2 Jan 2017, plans 29 Nov 2017 and 1 Jun 2018: May not met (the June
        //    plan is after month end), June met.
        // May: C1, C3 of C1, C3, C4 = 2 of 3. June: C1, C4 of 4 = 2 of 4.
        let mut events = child("C1", "2008-01-01", "2018-05-16");
        events.push(plan("C1", "q1", "2018-05-20"));
        events.extend(child("C2", "2008-01-01", "2018-05-17"));
        events.extend(child("C3", "2008-01-01", "2017-01-02"));
        events.push(plan("C3", "q1", "2017-11-30"));
        events.extend(child("C4", "2008-01-01", "2017-01-02"));
        events.push(plan("C4", "q1", "2017-11-29"));
        events.push(plan("C4", "q2", "2018-06-01"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, PLAN, "2018-05"), (2, Some(3)));
        assert_eq!(ratio(&f, PLAN, "2018-06"), (2, Some(4)));
        // Retracting C1's plan: May 1 of 3.
        events.push(retract("C1", "x1", "2018-06-02", "q1"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, PLAN, "2018-05"), (1, Some(3)));
    }

    #[test]
    fn care_plan_from_an_earlier_period_does_not_count() {
        // Period 1: 2 Jan 2017 to 1 Jun 2017, plan 1 May 2017. Readmitted Monday 3 Jul 2017:
        // 10th working day 17 Jul: in July's cohort. At 31 Jul and 31 Aug 2017 the May plan is
        // within 6 months by date but belongs to the earlier period: not met. A plan on
        // 1 Sep 2017 makes September met (and it stays met to 28 Feb 2018, from 28 Aug 2017;
        // at 31 Mar 2018, from 30 Sep 2017, not).
        // A short-break (V3) child with a plan is in no cohort.
        let mut events = child("C1", "2008-01-01", "2017-01-02");
        events.push(plan("C1", "q1", "2017-05-01"));
        events.push(ev("C1", "e1", "2017-06-01", ended(ReasonCeased::E13)));
        events.push(ev("C1", "a2", "2017-07-03", admitted(LegalStatus::C2)));
        events.push(plan("C1", "q2", "2017-09-01"));
        events.push(ev("C2", "b", "2008-01-01", born("2008-01-01")));
        events.push(ev("C2", "a", "2017-01-02", admitted(LegalStatus::V3)));
        events.push(plan("C2", "q1", "2017-05-01"));
        let f = figures(&events, "2018-03");
        assert_eq!(ratio(&f, PLAN, "2017-05"), (1, Some(1)));
        assert_eq!(ratio(&f, PLAN, "2017-06"), (0, Some(0)));
        assert_eq!(value(&f, PLAN, "2017-06"), None);
        assert_eq!(ratio(&f, PLAN, "2017-07"), (0, Some(1)));
        assert_eq!(ratio(&f, PLAN, "2017-08"), (0, Some(1)));
        assert_eq!(ratio(&f, PLAN, "2017-09"), (1, Some(1)));
        assert_eq!(ratio(&f, PLAN, "2018-02"), (1, Some(1)));
        assert_eq!(ratio(&f, PLAN, "2018-03"), (0, Some(1)));
    }
}
