//! 6.9 health assessments and 6.10 dental checks up to date, 6.11 initial health assessments
//! within 20 working days.

use time::Date;

use super::{Context, Evaluation, FactValue, Indicator, Sink, looked_after_month_ends};
use crate::calendar::{Month, add_months, age_on};
use crate::codes::HealthAssessmentKind;
use crate::timeline::{ChildTimeline, PeriodOfCare};

pub const DERIVES: &[Indicator] = &[
    Indicator::HealthAssessments,
    Indicator::DentalChecks,
    Indicator::InitialHealthAssessments,
];

/// Working days: the 6.9/6.10 cohort's minimum time in care, and the 6.11 deadline.
const HEALTH_WORKING_DAYS: u32 = 20;

/// The age from which a health assessment stays up to date for `health_interval_months`.
const HEALTH_OLDER_AGE: i32 = 5;

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    // Assessments and checks from every counted period of care, in date order (periods are in
    // order and do not overlap). Choice: the spec counts the latest one "any date up to month
    // end", so one done in an earlier period of care still counts after a readmission (the
    // assessment is of the child, not of the period; the DfE OC2 cohort, looked after
    // continuously for 12 months, never needs to decide). Short-break periods are ignored
    // altogether, their assessments included.
    let assessments: Vec<Date> = tl
        .counted_periods()
        .flat_map(|p| p.health_assessments.iter().map(|a| a.on))
        .collect();
    let dental: Vec<Date> = tl
        .counted_periods()
        .flat_map(|p| p.dental_checks.iter().copied())
        .collect();
    let s = &ctx.settings;
    for period in tl.counted_periods() {
        initial_assessment(period, ctx, out);
        let in_cohort_from = ctx
            .calendar
            .add_working_days(period.start, HEALTH_WORKING_DAYS);
        for (month, day) in looked_after_month_ends(period, ctx.horizon) {
            // Cohort: the period started at least 20 working days before month end, i.e. the
            // 20th working day after its start is on or before month end.
            if in_cohort_from > day {
                continue;
            }
            let age = tl.date_of_birth.map(|b| age_on(b, day));
            // Choice: without a date of birth (flagged as a data-quality issue) the child is
            // treated as aged 5 or over, the general 12-month rule; under 5 is the exception.
            let interval = match age {
                Some(a) if a < HEALTH_OLDER_AGE => s.health_interval_under5_months,
                _ => s.health_interval_months,
            };
            let last = latest_on_or_before(&assessments, day);
            let not_before = add_months(day, -interval);
            out.push(
                Evaluation::ratio(
                    Indicator::HealthAssessments,
                    month,
                    last.is_some_and(|d| d >= not_before),
                )
                .day("period_start", Some(period.start))
                .fact(
                    "age",
                    age.map_or(FactValue::Missing, |a| FactValue::Number(a.into())),
                )
                .day("last_health_assessment", last)
                .day("up_to_date_from", Some(not_before)),
            );
            let last = latest_on_or_before(&dental, day);
            let not_before = add_months(day, -s.dental_interval_months);
            out.push(
                Evaluation::ratio(
                    Indicator::DentalChecks,
                    month,
                    last.is_some_and(|d| d >= not_before),
                )
                .day("period_start", Some(period.start))
                .day("last_dental_check", last)
                .day("up_to_date_from", Some(not_before)),
            );
        }
    }
}

/// 6.11: the first INITIAL assessment of the period, counted in the month of its date.
///
/// Choice: a period whose assessments are all recorded as REVIEW has no initial health
/// assessment and adds nothing (the spec counts "the first of kind INITIAL"; an overdue IHA is
/// counted when it is done, as in the report's "IHAs completed each month").
fn initial_assessment(period: &PeriodOfCare, ctx: &Context, out: &mut impl Sink) {
    let Some(iha) = period
        .health_assessments
        .iter()
        .find(|a| a.value == HealthAssessmentKind::Initial)
        .map(|a| a.on)
    else {
        return;
    };
    let month = Month::of(iha);
    if month > ctx.horizon {
        return;
    }
    let deadline = ctx
        .calendar
        .add_working_days(period.start, HEALTH_WORKING_DAYS);
    out.push(
        Evaluation::ratio(Indicator::InitialHealthAssessments, month, iha <= deadline)
            .day("period_start", Some(period.start))
            .day("iha", Some(iha))
            .day("deadline", Some(deadline)),
    );
}

/// The latest of `days` (in date order) on or before `day`.
fn latest_on_or_before(days: &[Date], day: Date) -> Option<Date> {
    days.iter().copied().take_while(|d| *d <= day).last()
}

#[cfg(test)]
mod tests {
    use crate::codes::{HealthAssessmentKind, LegalStatus, ReasonCeased};
    use crate::indicators::{Indicator, month_figure};
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::{Event, Payload};

    const HA: Indicator = Indicator::HealthAssessments;
    const DC: Indicator = Indicator::DentalChecks;
    const IHA: Indicator = Indicator::InitialHealthAssessments;

    fn assessed(child: &str, id: &str, on: &str, kind: HealthAssessmentKind) -> Event {
        ev(child, id, on, Payload::HealthAssessmentCompleted { kind })
    }

    fn review_ha(child: &str, id: &str, on: &str) -> Event {
        assessed(child, id, on, HealthAssessmentKind::Review)
    }

    fn initial(child: &str, id: &str, on: &str) -> Event {
        assessed(child, id, on, HealthAssessmentKind::Initial)
    }

    fn dental(child: &str, id: &str, on: &str) -> Event {
        ev(child, id, on, Payload::DentalCheckCompleted)
    }

    #[test]
    fn cohort_needs_twenty_working_days_in_care_by_month_end() {
        // Admitted Friday 23 March 2018: the 20th working day after is Tuesday 24 April
        // (Good Friday 30 Mar and Easter Monday 2 Apr skipped): not in the March cohort, in
        // April's.
        // Admitted Tuesday 1 May 2018: 20th working day is Thursday 31 May (7 and 28 May are
        // bank holidays): in May's cohort, exactly.
        // Admitted Wednesday 2 May 2018: 20th working day is Friday 1 June: not in May's.
        let mut events = child("C1", "2008-06-01", "2018-03-23");
        events.extend(child("C2", "2008-06-01", "2018-05-01"));
        events.extend(child("C3", "2008-06-01", "2018-05-02"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, HA, "2018-03"), (0, Some(0)));
        assert_eq!(value(&f, HA, "2018-03"), None, "zero denominator");
        assert_eq!(ratio(&f, HA, "2018-04"), (0, Some(1)));
        assert_eq!(ratio(&f, HA, "2018-05"), (0, Some(2)), "C1 and C2");
        assert_eq!(ratio(&f, HA, "2018-06"), (0, Some(3)));
        assert_eq!(ratio(&f, DC, "2018-05"), (0, Some(2)), "same cohort");
    }

    #[test]
    fn up_to_date_means_on_or_after_the_day_k_months_before_month_end() {
        // Aged 9 at 31 May 2018: 12 months. 12 months before 31 May 2018 is 31 May 2017.
        // C1's last assessment is 31 May 2017 (in), C2's 30 May 2017 (out). Both in care since
        // 2 Jan 2017.
        // Dental: 12 months, same boundary: C1's check 31 May 2017 (in), C2's 30 May (out).
        let mut events = child("C1", "2009-01-01", "2017-01-02");
        events.push(review_ha("C1", "h1", "2017-05-31"));
        events.push(dental("C1", "d1", "2017-05-31"));
        events.extend(child("C2", "2009-01-01", "2017-01-02"));
        events.push(review_ha("C2", "h1", "2017-05-30"));
        events.push(dental("C2", "d1", "2017-05-30"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, HA, "2018-05"), (1, Some(2)));
        assert_eq!(value(&f, HA, "2018-05"), Some(50.0));
        assert_eq!(ratio(&f, DC, "2018-05"), (1, Some(2)));
        // At 30 June 2018 both are out (the day 12 months before is 30 June 2017).
        assert_eq!(ratio(&f, HA, "2018-06"), (0, Some(2)));
        // At 30 April 2018 both are in (30 Apr 2017 <= 30 May 2017).
        assert_eq!(ratio(&f, HA, "2018-04"), (2, Some(2)));
        // An assessment after month end does not count for that month.
        let mut later = events.clone();
        later.push(review_ha("C2", "h2", "2018-06-01"));
        let f = figures(&later, "2018-06");
        assert_eq!(ratio(&f, HA, "2018-05"), (1, Some(2)));
        assert_eq!(ratio(&f, HA, "2018-06"), (1, Some(2)));
    }

    #[test]
    fn under_fives_need_six_months_and_a_29_february_birthday_turns_five_on_1_march() {
        // Born 29 Feb 2012, admitted 1 Jun 2016, last assessment 1 Jul 2016.
        // 31 Dec 2016: aged 4, 6 months: the day 6 months before is 30 Jun 2016 <= 1 Jul: in.
        // 31 Jan 2017: aged 4, from 31 Jul 2016: out.
        // 28 Feb 2017: 2017 has no 29 Feb, the birthday counts as 1 Mar: still aged 4, from
        // 28 Aug 2016: out.
        // 31 Mar 2017: aged 5, 12 months: from 31 Mar 2016: in.
        let mut events = child("C1", "2012-02-29", "2016-06-01");
        events.push(initial("C1", "h1", "2016-07-01"));
        let f = figures(&events, "2017-03");
        assert_eq!(ratio(&f, HA, "2016-12"), (1, Some(1)));
        assert_eq!(ratio(&f, HA, "2017-01"), (0, Some(1)));
        assert_eq!(ratio(&f, HA, "2017-02"), (0, Some(1)));
        assert_eq!(ratio(&f, HA, "2017-03"), (1, Some(1)));
        let e = evaluations(&events, HA, "2017-02", "2017-03-31");
        let shown: Vec<String> = e[0]
            .facts
            .iter()
            .map(|f| format!("{}={}", f.name, f.value))
            .collect();
        assert_eq!(
            shown,
            [
                "period_start=2016-06-01",
                "age=4",
                "last_health_assessment=2016-07-01",
                "up_to_date_from=2016-08-28",
            ]
        );
    }

    #[test]
    fn settings_change_the_intervals() {
        // Aged 9, last assessment 1 Dec 2017. With the default 12 months it is up to date at
        // 31 May 2018; with 3 months (from 28 Feb 2018) it is not.
        let mut events = child("C1", "2009-01-01", "2017-01-02");
        events.push(review_ha("C1", "h1", "2017-12-01"));
        events.push(dental("C1", "d1", "2017-12-01"));
        let s = Settings {
            health_interval_months: 3,
            dental_interval_months: 3,
            ..Settings::default()
        };
        let f = figures_with(&events, &s, "2018-05-31");
        assert_eq!(ratio(&f, HA, "2018-05"), (0, Some(1)));
        assert_eq!(ratio(&f, DC, "2018-05"), (0, Some(1)));
        // At 28 Feb 2018 (from 28 Nov 2017) it is.
        assert_eq!(ratio(&f, HA, "2018-02"), (1, Some(1)));
    }

    #[test]
    fn assessments_from_an_earlier_period_count_after_readmission() {
        // Period 1: 2 Jan 2017 to 1 Sep 2017, assessment and dental check 1 Aug 2017.
        // Period 2 from Monday 2 Oct 2017: in the cohort from its 20th working day (30 Oct).
        // 31 Oct 2017: the child has been out of care in September, but its last assessment
        // (1 Aug 2017) is within 12 months: in. Up to 31 Jul 2018 (from 31 Jul 2017): in.
        // 31 Aug 2018 (from 31 Aug 2017): out.
        let mut events = child("C1", "2008-01-01", "2017-01-02");
        events.push(review_ha("C1", "h1", "2017-08-01"));
        events.push(dental("C1", "d1", "2017-08-01"));
        events.push(ev("C1", "e1", "2017-09-01", ended(ReasonCeased::E13)));
        events.push(ev("C1", "a2", "2017-10-02", admitted(LegalStatus::C2)));
        let f = figures(&events, "2018-08");
        assert_eq!(ratio(&f, HA, "2017-08"), (1, Some(1)));
        assert_eq!(ratio(&f, HA, "2017-09"), (0, Some(0)), "not looked after");
        assert_eq!(ratio(&f, HA, "2017-10"), (1, Some(1)));
        assert_eq!(ratio(&f, HA, "2018-07"), (1, Some(1)));
        assert_eq!(ratio(&f, HA, "2018-08"), (0, Some(1)));
        assert_eq!(ratio(&f, DC, "2018-07"), (1, Some(1)));
        assert_eq!(ratio(&f, DC, "2018-08"), (0, Some(1)));
    }

    #[test]
    fn discharge_day_short_breaks_and_retractions() {
        // C1: discharged 31 May 2018: not looked after at the end of May, so not in May.
        // C2: a V3 short-break period: not in any cohort, its assessments ignored.
        // C3: in care since 2017, its only assessment retracted: in the cohort, not up to date.
        let mut events = child("C1", "2008-01-01", "2017-01-02");
        events.push(review_ha("C1", "h1", "2018-01-10"));
        events.push(ev("C1", "e1", "2018-05-31", ended(ReasonCeased::E13)));
        events.extend(vec![
            ev("C2", "b", "2008-01-01", born("2008-01-01")),
            ev("C2", "a", "2017-01-02", admitted(LegalStatus::V3)),
            review_ha("C2", "h1", "2018-01-10"),
            initial("C2", "h2", "2017-01-10"),
        ]);
        events.extend(child("C3", "2008-01-01", "2017-01-02"));
        events.push(review_ha("C3", "h1", "2018-01-10"));
        events.push(retract("C3", "x1", "2018-05-02", "h1"));
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, HA, "2018-04"), (1, Some(2)), "C1 in, C3 out");
        assert_eq!(ratio(&f, HA, "2018-05"), (0, Some(1)), "only C3");
        assert_eq!(ratio(&f, IHA, "2017-01"), (0, Some(0)), "short break");
    }

    #[test]
    fn initial_health_assessments_within_twenty_working_days_of_admission() {
        // All admitted Friday 23 March 2018: deadline Tuesday 24 April 2018 (20 working days,
        // skipping Good Friday and Easter Monday).
        // C1: INITIAL on 24 Apr: within, counted in April.
        // C2: INITIAL on 25 Apr: late, counted in April.
        // C3: only a REVIEW assessment: no IHA, not counted.
        // C4: REVIEW on 1 Apr then INITIAL 10 Apr then INITIAL 30 Apr: the first INITIAL
        //     (10 Apr) is the IHA: within.
        // C5: INITIAL on 29 Mar: within, counted in March (FY 2017/18).
        let mut events = Vec::new();
        for c in ["C1", "C2", "C3", "C4", "C5"] {
            events.extend(child(c, "2010-01-01", "2018-03-23"));
        }
        events.push(initial("C1", "h", "2018-04-24"));
        events.push(initial("C2", "h", "2018-04-25"));
        events.push(review_ha("C3", "h", "2018-04-10"));
        events.push(review_ha("C4", "h1", "2018-04-01"));
        events.push(initial("C4", "h2", "2018-04-10"));
        events.push(initial("C4", "h3", "2018-04-30"));
        events.push(initial("C5", "h", "2018-03-29"));
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, IHA, "2018-03"), (1, Some(1)));
        assert_eq!(ratio(&f, IHA, "2018-04"), (2, Some(3)));
        assert_eq!(ratio(&f, IHA, "2018-05"), (0, Some(0)));
        assert_eq!(value(&f, IHA, "2018-05"), None);
        let apr = month_figure(&f, IHA, month("2018-04"), &Settings::default());
        assert_eq!(apr.ytd, Some((2, Some(3))), "March is in 2017/18");
        let c2: Vec<Event> = events
            .iter()
            .filter(|e| e.subject.id.as_str() == "C2")
            .cloned()
            .collect();
        let e = evaluations(&c2, IHA, "2018-04", "2018-05-31");
        let shown: Vec<String> = e[0]
            .facts
            .iter()
            .map(|f| format!("{}={}", f.name, f.value))
            .collect();
        assert_eq!(
            shown,
            [
                "period_start=2018-03-23",
                "iha=2018-04-25",
                "deadline=2018-04-24"
            ]
        );
    }

    #[test]
    fn an_iha_in_the_month_after_admission_counts_in_its_own_month() {
        // Admitted Tuesday 1 May 2018: deadline Thursday 31 May (7 and 28 May are bank
        // holidays). C1's IHA on 31 May is within (May); C2's on 1 June is late (June).
        // C3 is readmitted: its first period's IHA (2 Jan 2018, admitted 2 Jan: within) counts
        // in January; the second period (from 1 May) needs its own: 4 June, late.
        let mut events = child("C1", "2010-01-01", "2018-05-01");
        events.push(initial("C1", "h", "2018-05-31"));
        events.extend(child("C2", "2010-01-01", "2018-05-01"));
        events.push(initial("C2", "h", "2018-06-01"));
        events.extend(child("C3", "2010-01-01", "2018-01-02"));
        events.push(initial("C3", "h1", "2018-01-02"));
        events.push(ev("C3", "e1", "2018-03-01", ended(ReasonCeased::E13)));
        events.push(ev("C3", "a2", "2018-05-01", admitted(LegalStatus::C2)));
        events.push(initial("C3", "h2", "2018-06-04"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, IHA, "2018-01"), (1, Some(1)));
        assert_eq!(ratio(&f, IHA, "2018-05"), (1, Some(1)));
        assert_eq!(ratio(&f, IHA, "2018-06"), (0, Some(2)));
        // Months past the horizon are not derived.
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, IHA, "2018-06"), (0, Some(0)));
        // Retracting C1's IHA removes it from May.
        events.push(retract("C1", "x", "2018-06-10", "h"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, IHA, "2018-05"), (0, Some(0)));
    }
}
