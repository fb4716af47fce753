//! 7.1-7.5 care leavers: number, pathway plans, accommodation, education, employment or training.
//!
//! A child is evaluated only in the months that can matter: from the month of its 16th birthday
//! to the month before it reaches the oldest age at which it can still be a care leaver (25, or
//! `care_leaver_max_age` if higher), and only from the month in which it first meets the
//! 91-days-since-14 test (the test, once met, stays met: days looked after only accumulate).
//!
//! Choices where INDICATORS.md is silent (the SSDA903 / Children (Leaving Care) meaning):
//! - The 91 days are calendar days inside counted periods of care (start inclusive, end
//!   exclusive), from the 14th birthday inclusive, up to and including the day tested; days
//!   after the 18th birthday count like any other (the regulations' "13 weeks which began after
//!   reaching 14 and ended after reaching 16" has no upper bound).
//! - "Looked after on d" uses counted periods only: a young person on a series of short breaks
//!   (V3/V4) is not looked after for these indicators (as for 6.1), so can be a care leaver.
//! - A period of care ending with E2 (died) ends care-leaver status from its end day, as a
//!   `DIED` contact does.
//! - "Aged at least 16 years and 3 months" means on or after the day 3 months after the 16th
//!   birthday (section 1's "k months after day X").
//! - Pathway plans dated before the 16th birthday are ignored by both 7.2 and 7.3 (a pathway
//!   plan exists only from 16), so 7.3's numerator is always part of 7.2's. The 6-month
//!   interval of 7.3 is fixed (there is no setting for it): up to date when the latest plan is
//!   on or after the day 6 months before month end.
//! - The latest contact (7.4, 7.5) is the latest in timeline order on or before month end,
//!   whenever it was recorded (also while still looked after); its `inTouch` is not looked at
//!   except for `DIED`.
//! - Extended support is in force on d when the latest `careLeaverSupportExtended` /
//!   `careLeaverSupportEnded` on or before d (timeline order) is an extension.

use time::Date;

use super::{Context, Evaluation, FactValue, Indicator, Sink};
use crate::calendar::{Month, add_days, add_months, age_on, birthday, days_between};
use crate::codes::{InTouch, ReasonCeased};
use crate::timeline::{CareLeaverContact, ChildTimeline, Dated};

pub const DERIVES: &[Indicator] = &[
    Indicator::CareLeavers,
    Indicator::PathwayPlan,
    Indicator::PathwayPlanUpToDate,
    Indicator::SuitableAccommodation,
    Indicator::CareLeaversEet,
];

/// 13 weeks.
const QUALIFYING_DAYS: i64 = 91;
/// 7.3: a pathway plan stays up to date for 6 months.
const PATHWAY_PLAN_MONTHS: i32 = 6;
/// Extended support lasts at most until the 25th birthday.
const EXTENDED_SUPPORT_MAX_AGE: i32 = 25;

/// The days a child was looked after since its 14th birthday, precomputed once: the counted
/// periods clipped to start on the 14th birthday, with the days in all spans before each.
struct CareDays {
    /// (first day, end exclusive or open, days in the spans before this one)
    spans: Vec<(Date, Option<Date>, i64)>,
}

impl CareDays {
    fn new(tl: &ChildTimeline, from: Date) -> CareDays {
        let mut spans = Vec::new();
        let mut before = 0;
        for p in tl.counted_periods() {
            let start = p.start.max(from);
            if p.end.is_some_and(|end| end <= start) {
                continue;
            }
            spans.push((start, p.end, before));
            before += p.end.map_or(0, |end| days_between(start, end));
        }
        CareDays { spans }
    }

    /// Days looked after from the 14th birthday up to and including `day`.
    fn up_to(&self, day: Date) -> i64 {
        let k = self.spans.partition_point(|(start, _, _)| *start <= day);
        let Some(&(start, end, before)) = k.checked_sub(1).and_then(|i| self.spans.get(i)) else {
            return 0;
        };
        let partial = match end {
            Some(end) if end <= day => days_between(start, end),
            _ => days_between(start, day) + 1,
        };
        before + partial
    }

    /// The day the `n`-th day looked after since the 14th birthday falls on.
    fn nth_day(&self, n: i64) -> Option<Date> {
        self.spans.iter().find_map(|&(start, end, before)| {
            let len = end.map(|end| days_between(start, end));
            let rest = n - before;
            (rest >= 1 && len.is_none_or(|len| rest <= len)).then(|| add_days(start, rest - 1))
        })
    }

    /// The first day looked after on or after `day`.
    fn first_on_or_after(&self, day: Date) -> Option<Date> {
        self.spans
            .iter()
            .find(|(_, end, _)| end.is_none_or(|end| end > day))
            .map(|(start, _, _)| (*start).max(day))
    }

    fn contains(&self, day: Date) -> bool {
        self.spans
            .iter()
            .any(|&(start, end, _)| start <= day && end.is_none_or(|end| day < end))
    }
}

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    let Some(birth) = tl.date_of_birth else {
        return;
    };
    let b16 = birthday(birth, 16);
    let care = CareDays::new(tl, birthday(birth, 14));
    // The day the 91-days-since-14 test is first met: the 91st day, and a day on or after the
    // 16th birthday.
    let Some(qualified) = care
        .nth_day(QUALIFYING_DAYS)
        .zip(care.first_on_or_after(b16))
        .map(|(a, b)| a.max(b))
    else {
        return;
    };
    let max_age = ctx.settings.care_leaver_max_age;
    let oldest = max_age.max(EXTENDED_SUPPORT_MAX_AGE);
    let first = Month::of(qualified.max(b16));
    let last = Month::of(birthday(birth, oldest)).prev().min(ctx.horizon);
    let eligible_looked_after_from = add_months(b16, 3);
    // Death: the first DIED contact, or a period of care ended by E2.
    let died = tl
        .care_leaver_contacts
        .iter()
        .filter(|c| c.value.in_touch == InTouch::Died)
        .map(|c| c.on)
        .chain(
            tl.counted_periods()
                .filter(|p| p.end_reason == Some(ReasonCeased::E2))
                .filter_map(|p| p.end),
        )
        .min();

    for month in first.through(last) {
        let day = month.last_day();
        let age = age_on(birth, day);
        let looked_after = care.contains(day);
        let extended = extended_support_on(tl, day);
        let alive = died.is_none_or(|d| day < d);
        let care_leaver = !looked_after
            && age >= 16
            && (age < max_age || (age < EXTENDED_SUPPORT_MAX_AGE && extended))
            && alive;
        let eligible_looked_after = looked_after && day >= eligible_looked_after_from;
        if !care_leaver && !eligible_looked_after {
            continue;
        }
        let left_care = tl
            .counted_periods()
            .filter_map(|p| p.end)
            .take_while(|end| *end <= day)
            .last();
        let base = |e: Evaluation| {
            let e = e
                .fact(
                    "days_looked_after_since_14",
                    FactValue::Number(care.up_to(day)),
                )
                .fact("looked_after", FactValue::Flag(looked_after));
            let e = if looked_after {
                e
            } else {
                e.day("left_care", left_care)
            };
            if age >= max_age {
                e.fact("extended_support", FactValue::Flag(extended))
            } else {
                e
            }
        };

        // 7.2, 7.3: care leavers and looked-after children aged 16 years 3 months or more.
        let plan = tl
            .pathway_plans
            .iter()
            .copied()
            .rev()
            .find(|p| b16 <= *p && *p <= day);
        let plan_due_from = add_months(day, -PATHWAY_PLAN_MONTHS);
        out.push(
            base(Evaluation::ratio(
                Indicator::PathwayPlan,
                month,
                plan.is_some(),
            ))
            .day("last_pathway_plan", plan),
        );
        out.push(
            base(Evaluation::ratio(
                Indicator::PathwayPlanUpToDate,
                month,
                plan.is_some_and(|p| p >= plan_due_from),
            ))
            .day("last_pathway_plan", plan),
        );
        if !care_leaver {
            continue;
        }

        // 7.1, 7.4, 7.5: care leavers only.
        out.push(base(Evaluation::count(Indicator::CareLeavers, month)));
        let contact = latest_contact(&tl.care_leaver_contacts, day);
        let with_contact = |e: Evaluation| {
            base(e).day("last_contact", contact.map(|c| c.on)).fact(
                "in_touch",
                contact.map_or(FactValue::Missing, |c| {
                    FactValue::Code(c.value.in_touch.code())
                }),
            )
        };
        out.push(
            with_contact(Evaluation::ratio(
                Indicator::SuitableAccommodation,
                month,
                contact.is_some_and(|c| c.value.accommodation.is_suitable()),
            ))
            .fact(
                "accommodation",
                contact.map_or(FactValue::Missing, |c| {
                    FactValue::Code(c.value.accommodation.code())
                }),
            ),
        );
        out.push(
            with_contact(Evaluation::ratio(
                Indicator::CareLeaversEet,
                month,
                contact.is_some_and(|c| c.value.activity.is_eet()),
            ))
            .fact(
                "activity",
                contact.map_or(FactValue::Missing, |c| {
                    FactValue::Code(c.value.activity.code())
                }),
            ),
        );
    }
}

/// Whether extended support is in force on `day`: the latest extension or end on or before it
/// is an extension.
fn extended_support_on(tl: &ChildTimeline, day: Date) -> bool {
    tl.extended_support
        .iter()
        .take_while(|x| x.on <= day)
        .last()
        .is_some_and(|x| x.value)
}

/// The latest contact on or before `day`, in timeline order.
fn latest_contact(
    contacts: &[Dated<CareLeaverContact>],
    day: Date,
) -> Option<&Dated<CareLeaverContact>> {
    contacts.iter().take_while(|c| c.on <= day).last()
}

#[cfg(test)]
mod tests {
    use crate::codes::{Accommodation, Activity, InTouch, LegalStatus, ReasonCeased};
    use crate::indicators::{FactValue, Indicator};
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::{Event, Id, Payload};

    const CL: Indicator = Indicator::CareLeavers;
    const PP: Indicator = Indicator::PathwayPlan;
    const PPU: Indicator = Indicator::PathwayPlanUpToDate;
    const ACC: Indicator = Indicator::SuitableAccommodation;
    const EET: Indicator = Indicator::CareLeaversEet;

    /// A child born on `born_on`, looked after (C2) from `from` to `to` (exclusive, E13).
    fn child(id: &str, born_on: &str, from: &str, to: &str) -> Vec<Event> {
        vec![
            ev(id, &format!("{id}-b"), born_on, born(born_on)),
            ev(id, &format!("{id}-a"), from, admitted(LegalStatus::C2)),
            ev(id, &format!("{id}-e"), to, ended(ReasonCeased::E13)),
        ]
    }

    fn contact(
        child: &str,
        id: &str,
        on: &str,
        in_touch: InTouch,
        activity: Activity,
        accommodation: Accommodation,
    ) -> Event {
        ev(
            child,
            id,
            on,
            Payload::CareLeaverContactRecorded {
                in_touch,
                activity,
                accommodation,
            },
        )
    }

    fn plan(child: &str, id: &str, on: &str) -> Event {
        ev(child, id, on, Payload::PathwayPlanRecorded)
    }

    fn with_max_age(age: i32) -> Settings {
        Settings {
            care_leaver_max_age: age,
            ..Settings::default()
        }
    }

    #[test]
    fn ninety_one_days_make_a_care_leaver_ninety_do_not() {
        // Both born 15 June 2002: 14th birthday 15 Jun 2016, 16th 15 Jun 2018.
        // C1 looked after 1 May 2018 to 31 Jul 2018 (exclusive): May 31 + June 30 + July 1..30
        // = 30 -> 91 days since 14, many after 16. Not looked after on 31 July: a care leaver
        // at the end of July 2018.
        // C2 looked after 1 May to 30 Jul: 31 + 30 + 29 = 90 days: never a care leaver.
        let mut events = child("C1", "2002-06-15", "2018-05-01", "2018-07-31");
        events.extend(child("C2", "2002-06-15", "2018-05-01", "2018-07-30"));
        let f = figures(&events, "2018-09");
        assert_eq!(count(&f, CL, "2018-06"), 0, "C1 still looked after");
        assert_eq!(count(&f, CL, "2018-07"), 1);
        assert_eq!(count(&f, CL, "2018-08"), 1);
        // 7.2 in June: C1 is looked after but aged 16 years 0 months (16y3m on 15 Sep 2018):
        // not in the cohort. C2 never qualifies.
        assert_eq!(ratio(&f, PP, "2018-06"), (0, Some(0)));
        assert_eq!(value(&f, PP, "2018-06"), None, "zero denominator");
        assert_eq!(ratio(&f, PP, "2018-07"), (0, Some(1)));
        let e = evaluations(&events[..3], CL, "2018-07", "2018-09-30");
        assert_eq!(e.len(), 1);
        assert!(e[0].facts.iter().any(|x| x.name == "days_looked_after_since_14"
            && x.value == FactValue::Number(91)));
    }

    #[test]
    fn days_are_summed_over_periods_and_short_breaks_do_not_count() {
        // Born 10 Jan 2002: 14th birthday 10 Jan 2016, 16th 10 Jan 2018.
        // Period 1: 1 Jan 2016 to 1 Mar 2016: from 10 Jan (14th birthday) to 29 Feb 2016 =
        // 22 + 29 = 51 days (the 9 days before the birthday do not count).
        // Short break (V3) 1 Jun to 1 Sep 2017: ignored.
        // Period 2: 1 Feb 2018 to 13 Mar 2018: 28 + 12 = 40 days, after 16: total 91.
        // A care leaver from 13 March 2018: at the end of March 2018.
        // Without the 9 pre-14 days and with the short break ignored the total is exactly 91;
        // if period 2 ended a day earlier (12 Mar), 90: never a care leaver.
        let mut events = child("C1", "2002-01-10", "2016-01-01", "2016-03-01");
        events.push(ev("C1", "s1", "2017-06-01", admitted(LegalStatus::V3)));
        events.push(ev("C1", "s2", "2017-09-01", ended(ReasonCeased::E13)));
        events.push(ev("C1", "p2", "2018-02-01", admitted(LegalStatus::C2)));
        events.push(ev("C1", "p2e", "2018-03-13", ended(ReasonCeased::E13)));
        let f = figures(&events, "2018-04");
        assert_eq!(count(&f, CL, "2018-02"), 0);
        assert_eq!(count(&f, CL, "2018-03"), 1);
        let mut shorter = events.clone();
        shorter.pop();
        shorter.push(ev("C1", "p2e", "2018-03-12", ended(ReasonCeased::E13)));
        let f = figures(&shorter, "2018-04");
        assert_eq!(count(&f, CL, "2018-03"), 0);
        assert_eq!(count(&f, CL, "2018-04"), 0);
    }

    #[test]
    fn ninety_one_days_all_before_sixteen_do_not_count() {
        // Born 1 Jan 2002: 14th birthday 1 Jan 2016, 16th 1 Jan 2018. Looked after 1 Mar 2016
        // to 1 Mar 2017: 365 days since 14, none on or after 16: never a care leaver, though
        // aged 16+ from January 2018.
        let events = child("C1", "2002-01-01", "2016-03-01", "2017-03-01");
        let f = figures(&events, "2018-06");
        for m in ["2018-01", "2018-03", "2018-06"] {
            assert_eq!(count(&f, CL, m), 0, "{m}");
            assert_eq!(ratio(&f, PP, m), (0, Some(0)), "{m}");
        }
    }

    #[test]
    fn twenty_ninth_of_february_birthdays() {
        // Born 29 Feb 2004. 14th birthday: 2018 has no 29 Feb, so 1 Mar 2018. 16th: 29 Feb
        // 2020 (leap year). 21st: 1 Mar 2025.
        // C1 looked after 1 Dec 2019 to 1 Mar 2020: 31 + 31 + 29 = 91 days, the last (29 Feb
        // 2020) on the 16th birthday: a care leaver from 1 March 2020.
        // C2 the same child but discharged on 29 Feb 2020: 90 days, none after 16: never.
        let mut events = child("C1", "2004-02-29", "2019-12-01", "2020-03-01");
        events.extend(child("C2", "2004-02-29", "2019-12-01", "2020-02-29"));
        let f = figures(&events, "2025-04");
        assert_eq!(count(&f, CL, "2020-02"), 0, "still looked after on 29 Feb");
        assert_eq!(count(&f, CL, "2020-03"), 1, "C1 only");
        // 28 Feb 2025: aged 20 (the birthday counts as 1 Mar): still a care leaver.
        assert_eq!(count(&f, CL, "2025-02"), 1);
        // 31 Mar 2025: aged 21 = care_leaver_max_age, no extended support.
        assert_eq!(count(&f, CL, "2025-03"), 0);
    }

    #[test]
    fn sixteen_years_three_months_on_a_twenty_ninth_of_february() {
        // Born 29 Feb 2004, looked after since 1 Jan 2018 (aged 13) and still: 91 days since
        // the 14th birthday (1 Mar 2018) by 30 May 2018. 16th birthday 29 Feb 2020; 16 years
        // 3 months is 29 May 2020. At 30 Apr 2020 not in the 7.2 cohort; at 31 May 2020 in it.
        // Pathway plan on 28 Feb 2020 (the day before the 16th birthday): ignored, so not in
        // the numerator; a plan on 1 Jun 2020 puts the child in it for June.
        let events = vec![
            ev("C1", "b", "2004-02-29", born("2004-02-29")),
            ev("C1", "a", "2018-01-01", admitted(LegalStatus::C2)),
            plan("C1", "pp1", "2020-02-28"),
            plan("C1", "pp2", "2020-06-01"),
        ];
        let f = figures(&events, "2020-06");
        assert_eq!(ratio(&f, PP, "2020-04"), (0, Some(0)));
        assert_eq!(ratio(&f, PP, "2020-05"), (0, Some(1)));
        assert_eq!(ratio(&f, PPU, "2020-05"), (0, Some(1)));
        assert_eq!(ratio(&f, PP, "2020-06"), (1, Some(1)));
        assert_eq!(ratio(&f, PPU, "2020-06"), (1, Some(1)));
        // Looked after: never counted as a care leaver, nor in 7.4/7.5.
        assert_eq!(count(&f, CL, "2020-06"), 0);
        assert_eq!(ratio(&f, ACC, "2020-06"), (0, Some(0)));
    }

    #[test]
    fn max_age_boundary_and_extended_support_to_twenty_five() {
        // Born 31 May 1997: 16th birthday 31 May 2013, 21st 31 May 2018, 25th 31 May 2022.
        // Looked after 1 Jan 2013 to 1 Jan 2015 (well over 91 days, many after 16).
        // C1 no extended support: a care leaver at 30 Apr 2018 (aged 20), not at 31 May 2018
        // (aged 21 that very day).
        // C2 the same with careLeaverSupportExtended on 15 May 2018: counted up to April 2022
        // (aged 24 at 30 Apr 2022), not May 2022 (25 on 31 May).
        // C3 extended on 15 May 2018, ended on 10 Sep 2019, extended again 1 Mar 2020: counted
        // to August 2019, not September 2019 to February 2020, again from March 2020.
        let mut events = child("C1", "1997-05-31", "2013-01-01", "2015-01-01");
        events.extend(child("C2", "1997-05-31", "2013-01-01", "2015-01-01"));
        events.push(ev(
            "C2",
            "x1",
            "2018-05-15",
            Payload::CareLeaverSupportExtended,
        ));
        events.extend(child("C3", "1997-05-31", "2013-01-01", "2015-01-01"));
        events.push(ev(
            "C3",
            "x1",
            "2018-05-15",
            Payload::CareLeaverSupportExtended,
        ));
        events.push(ev(
            "C3",
            "x2",
            "2019-09-10",
            Payload::CareLeaverSupportEnded,
        ));
        events.push(ev(
            "C3",
            "x3",
            "2020-03-01",
            Payload::CareLeaverSupportExtended,
        ));
        let f = figures(&events, "2022-06");
        assert_eq!(count(&f, CL, "2018-04"), 3);
        assert_eq!(count(&f, CL, "2018-05"), 2, "C2 and C3 extended");
        assert_eq!(count(&f, CL, "2019-08"), 2);
        assert_eq!(count(&f, CL, "2019-09"), 1, "C3 ended");
        assert_eq!(count(&f, CL, "2020-02"), 1);
        assert_eq!(count(&f, CL, "2020-03"), 2, "C3 extended again");
        assert_eq!(count(&f, CL, "2022-04"), 2);
        assert_eq!(count(&f, CL, "2022-05"), 0, "25 on 31 May 2022");
        assert_eq!(ratio(&f, ACC, "2022-05"), (0, Some(0)));
        assert_eq!(value(&f, ACC, "2022-05"), None);

        // With care_leaver_max_age = 25, C1 is counted to April 2022 too.
        let f = figures_with(&events[..3], &with_max_age(25), "2022-06-30");
        assert_eq!(count(&f, CL, "2018-05"), 1);
        assert_eq!(count(&f, CL, "2022-04"), 1);
        assert_eq!(count(&f, CL, "2022-05"), 0);
    }

    #[test]
    fn contacts_decide_accommodation_and_activity() {
        // Four care leavers born 1 Jan 2000, looked after 1 Jan 2016 to 1 Jan 2018 (16th
        // birthday 1 Jan 2016): care leavers from January 2018.
        // C1: contact 10 Mar 2018 (YES, F1, C1): suitable and EET from March.
        //     Then 31 May 2018 (YES, G5, S2): neither at 31 May (on month end counts).
        // C2: no contact: in both cohorts, neither numerator.
        // C3: contact 5 Mar 2018 with `0` codes: in the cohorts, neither numerator.
        // C4: contact 1 Apr 2018 (YES, P5, U1): suitable and EET from April only.
        let mut events = Vec::new();
        for c in ["C1", "C2", "C3", "C4"] {
            events.extend(child(c, "2000-01-01", "2016-01-01", "2018-01-01"));
        }
        use Accommodation as A;
        use Activity as T;
        events.push(contact(
            "C1",
            "k1",
            "2018-03-10",
            InTouch::Yes,
            T::F1,
            A::C1,
        ));
        events.push(contact(
            "C1",
            "k2",
            "2018-05-31",
            InTouch::Yes,
            T::G5,
            A::S2,
        ));
        events.push(contact(
            "C3",
            "k1",
            "2018-03-05",
            InTouch::No,
            T::NoInformation,
            A::NoInformation,
        ));
        events.push(contact(
            "C4",
            "k1",
            "2018-04-01",
            InTouch::Yes,
            T::P5,
            A::U1,
        ));
        let f = figures(&events, "2018-06");
        assert_eq!(count(&f, CL, "2018-02"), 4);
        assert_eq!(ratio(&f, ACC, "2018-02"), (0, Some(4)));
        assert_eq!(value(&f, ACC, "2018-02"), Some(0.0), "a denominator, so 0%");
        assert_eq!(ratio(&f, ACC, "2018-03"), (1, Some(4)), "C1");
        assert_eq!(ratio(&f, EET, "2018-03"), (1, Some(4)), "C1");
        assert_eq!(ratio(&f, ACC, "2018-04"), (2, Some(4)), "C1, C4");
        assert_eq!(ratio(&f, EET, "2018-04"), (2, Some(4)), "C1, C4");
        assert_eq!(value(&f, EET, "2018-04"), Some(50.0));
        assert_eq!(ratio(&f, ACC, "2018-05"), (1, Some(4)), "C4 only");
        assert_eq!(ratio(&f, EET, "2018-05"), (1, Some(4)), "C4 only");

        // Drill-down: C1 in May, out of 7.4, because of the contact on 31 May with S2.
        let c1: Vec<Event> = events
            .iter()
            .filter(|e| e.subject.id == Id::parse("C1").unwrap())
            .cloned()
            .collect();
        let e = evaluations(&c1, ACC, "2018-05", "2018-06-30");
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].numerator, e[0].denominator), (0, 1));
        let fact = |n: &str| {
            e[0].facts
                .iter()
                .find(|f| f.name == n)
                .map(|f| f.value.clone())
        };
        assert_eq!(fact("accommodation"), Some(FactValue::Code("S2")));
        assert_eq!(
            fact("last_contact").map(|v| v.to_string()),
            Some("2018-05-31".to_owned())
        );
    }

    #[test]
    fn died_contact_and_e2_end_care_leaver_status() {
        // Born 1 Jan 2000, looked after 1 Jan 2016 to 1 Jan 2018: care leavers from Jan 2018.
        // C1: contact DIED on 15 Mar 2018: counted in February, not from March.
        // C2: contact DIED on 31 Mar 2018 (month end): "on or before d", so not in March.
        // C3: died in care: period ended E2 on 1 Jan 2018: never a care leaver.
        let mut events = child("C1", "2000-01-01", "2016-01-01", "2018-01-01");
        events.push(contact(
            "C1",
            "k1",
            "2018-03-15",
            InTouch::Died,
            Activity::NoInformation,
            Accommodation::NoInformation,
        ));
        events.extend(child("C2", "2000-01-01", "2016-01-01", "2018-01-01"));
        events.push(contact(
            "C2",
            "k1",
            "2018-03-31",
            InTouch::Died,
            Activity::NoInformation,
            Accommodation::NoInformation,
        ));
        events.push(ev("C3", "b", "2000-01-01", born("2000-01-01")));
        events.push(ev("C3", "a", "2016-01-01", admitted(LegalStatus::C2)));
        events.push(ev("C3", "e", "2018-01-01", ended(ReasonCeased::E2)));
        let f = figures(&events, "2018-04");
        assert_eq!(count(&f, CL, "2018-01"), 2);
        assert_eq!(count(&f, CL, "2018-02"), 2);
        assert_eq!(count(&f, CL, "2018-03"), 0);
        assert_eq!(ratio(&f, PP, "2018-03"), (0, Some(0)));
        assert_eq!(value(&f, EET, "2018-03"), None, "no care leavers: no value");
    }

    #[test]
    fn pathway_plans_and_the_six_month_boundary() {
        // Born 1 Jan 2001 (16th birthday 1 Jan 2017), looked after 1 Jun 2016 to 1 Jun 2018:
        // a care leaver from June 2018.
        // C1: plan 30 Apr 2018. 6 months before 31 Oct 2018 is 30 Apr 2018: up to date at
        //     October's end; at 30 Nov 2018 (6 months before: 30 May) not.
        // C2: plan 29 Apr 2018: not up to date at 31 Oct 2018; has a plan (7.2) throughout.
        // C3: no plan: in both cohorts, neither numerator.
        let mut events = Vec::new();
        for c in ["C1", "C2", "C3"] {
            events.extend(child(c, "2001-01-01", "2016-06-01", "2018-06-01"));
        }
        events.push(plan("C1", "p", "2018-04-30"));
        events.push(plan("C2", "p", "2018-04-29"));
        let f = figures(&events, "2018-12");
        // April 2018: all three looked after, aged 17: in the cohort as eligible LAC.
        assert_eq!(ratio(&f, PP, "2018-04"), (2, Some(3)));
        assert_eq!(ratio(&f, PPU, "2018-04"), (2, Some(3)));
        assert_eq!(ratio(&f, PP, "2018-10"), (2, Some(3)));
        assert_eq!(ratio(&f, PPU, "2018-10"), (1, Some(3)), "C1 only");
        assert_eq!(ratio(&f, PPU, "2018-11"), (0, Some(3)));
        assert_eq!(ratio(&f, PP, "2018-11"), (2, Some(3)));
    }

    #[test]
    fn retractions_remove_what_they_retract() {
        // Born 15 June 2002, looked after 1 May to 31 Jul 2018 (91 days): a care leaver from
        // July 2018 with a suitable contact on 5 Aug 2018.
        // Retracting the discharge leaves the child looked after (aged 16y1m at the end of
        // August: under 16y3m), so no evaluation at all in August; retracting the contact
        // instead leaves the care leaver in 7.4's cohort but not its numerator.
        let mut events = child("C1", "2002-06-15", "2018-05-01", "2018-07-31");
        events.push(contact(
            "C1",
            "k1",
            "2018-08-05",
            InTouch::Yes,
            Activity::F2,
            Accommodation::D1,
        ));
        let f = figures(&events, "2018-08");
        assert_eq!(ratio(&f, ACC, "2018-08"), (1, Some(1)));
        let retract = |id: &str, target: &str| retract("C1", id, "2018-08-20", target);
        let mut no_discharge = events.clone();
        no_discharge.push(retract("r1", "C1-e"));
        let f = figures(&no_discharge, "2018-08");
        assert_eq!(count(&f, CL, "2018-08"), 0);
        assert_eq!(ratio(&f, PP, "2018-08"), (0, Some(0)));
        assert_eq!(ratio(&f, ACC, "2018-08"), (0, Some(0)));
        let mut no_contact = events.clone();
        no_contact.push(retract("r1", "k1"));
        let f = figures(&no_contact, "2018-08");
        assert_eq!(count(&f, CL, "2018-08"), 1);
        assert_eq!(ratio(&f, ACC, "2018-08"), (0, Some(1)));
        assert_eq!(ratio(&f, EET, "2018-08"), (0, Some(1)));
    }

    #[test]
    fn nothing_after_the_horizon_and_nothing_without_a_birth_date() {
        // A care leaver from July 2018, derived to June 2018 only: nothing in July.
        let events = child("C1", "2002-06-15", "2018-05-01", "2018-07-31");
        let f = figures(&events, "2018-06");
        assert_eq!(count(&f, CL, "2018-07"), 0);
        // Without childRegistered there is no age: never evaluated.
        let f = figures(&events[1..], "2018-09");
        assert_eq!(count(&f, CL, "2018-08"), 0);
        assert_eq!(ratio(&f, PP, "2018-08"), (0, Some(0)));
    }
}
