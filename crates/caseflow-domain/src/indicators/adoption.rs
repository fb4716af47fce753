//! 10.1-10.5 adoptions: numbers, timeliness against SHOBPA, A1 and A2 averages.
//!
//! The adopted children of a month are the counted periods of care ending with E11 or E12 in
//! it; every figure is evaluated in the month of the adoption (the period's end). 10.4 and 10.5
//! push the child's days as the numerator and 1 as the denominator; the figure layer averages
//! them over the financial year to date.
//!
//! Choices where INDICATORS.md is silent (the SSDA903 / DfE adoption scorecard meaning):
//! - SHOBPA is followed through the period's decisions and reversals in timeline order: a
//!   decision recorded after a reversal (even on the same day) is a new SHOBPA, and 10.2 is
//!   measured from it, not from the first decision (903 AD1 keeps the latest DATE_INT). A
//!   reversal after the latest decision leaves no SHOBPA, so the child is in 10.3's
//!   denominator only.
//! - "No more than 12 months after SHOBPA": the adoption day is on or before the day 12 months
//!   after SHOBPA (section 1's "k months after day X").
//! - Placed for adoption: the start of the first A3-A6 spell in force on its own day (a spell
//!   superseded by another starting the same day never took effect).
//! - A10 adjustment (`a1_foster_carer_adjustment`): when that first adoptive spell is A3 or A5,
//!   the move-in day is the start of the earliest earlier non-temporary spell reached through
//!   an unbroken chain of same-carer links (`sameCarer: true`, or equal carer ids), temporary
//!   spells (T0-T4) in between being skipped; with no such link it is the A3/A5 start.
//!   A4/A6 are never adjusted.
//! - A1 days = placed for adoption - entered care (0 when placed on the day of entering care).
//! - Placement order: the first day on which the legal status in force is E1 or D1; match: the
//!   latest `adopterMatchRecorded` in the period, whether before or after the order (0 days
//!   when before).

use time::Date;

use super::{Context, Evaluation, FactValue, Indicator, Sink};
use crate::calendar::{Month, add_months, days_between};
use crate::codes::{LegalStatus, PlacementType};
use crate::event::Payload;
use crate::timeline::{ChildTimeline, EntryStatus, PeriodOfCare, PlacementSpell};

pub const DERIVES: &[Indicator] = &[
    Indicator::Adoptions,
    Indicator::AdoptionsWithin12Months,
    Indicator::AdoptionsWithin12MonthsPercent,
    Indicator::A1,
    Indicator::A2,
];

/// 10.2: adopted no more than 12 months after SHOBPA.
const SHOBPA_MONTHS: i32 = 12;

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    for period in tl.counted_periods() {
        let (Some(adopted), Some(reason)) = (period.end, period.end_reason) else {
            continue;
        };
        if !reason.is_adoption() {
            continue;
        }
        let month = Month::of(adopted);
        if month > ctx.horizon {
            continue;
        }
        let base = |e: Evaluation| {
            e.day("entered_care", Some(period.start))
                .day("adopted", Some(adopted))
                .fact("reason", FactValue::Code(reason.code()))
        };

        // 10.1
        out.push(base(Evaluation::count(Indicator::Adoptions, month)));

        // 10.2, 10.3
        let shobpa = shobpa(tl, period);
        let within = shobpa.is_some_and(|s| adopted <= add_months(s, SHOBPA_MONTHS));
        let with_shobpa = |e: Evaluation| base(e).day("shobpa", shobpa);
        if within {
            out.push(with_shobpa(Evaluation::count(
                Indicator::AdoptionsWithin12Months,
                month,
            )));
        }
        out.push(with_shobpa(Evaluation::ratio(
            Indicator::AdoptionsWithin12MonthsPercent,
            month,
            within,
        )));

        // 10.4 A1
        if let Some(placed) = first_adoptive_spell(period) {
            let moved_in = if ctx.settings.a1_foster_carer_adjustment {
                moved_in_with_foster_carers(period, placed)
            } else {
                period.placements[placed].start
            };
            let days = days_between(period.start, moved_in);
            let mut e = base(average(Indicator::A1, month, days))
                .day("placed_for_adoption", Some(period.placements[placed].start))
                .fact(
                    "placement_type",
                    FactValue::Code(period.placements[placed].placement.kind.code()),
                );
            if ctx.settings.a1_foster_carer_adjustment {
                e = e.day("moved_in", Some(moved_in));
            }
            out.push(e.fact("days", FactValue::Number(days)));
        }

        // 10.5 A2
        let order = placement_order(period);
        let matched = period.adopter_matches.last().copied();
        if let (Some(order), Some(matched)) = (order, matched) {
            let days = days_between(order, matched).max(0);
            out.push(
                base(average(Indicator::A2, month, days))
                    .day("placement_order", Some(order))
                    .day("matched", Some(matched))
                    .fact("days", FactValue::Number(days)),
            );
        }
    }
}

/// One child's days towards a YTD average: `days` over 1.
fn average(indicator: Indicator, month: Month, days: i64) -> Evaluation {
    Evaluation {
        numerator: days,
        ..Evaluation::ratio(indicator, month, false)
    }
}

/// SHOBPA: the latest `adoptionDecisionRecorded` of the period not followed (in timeline order)
/// by an `adoptionDecisionReversed`.
fn shobpa(tl: &ChildTimeline, period: &PeriodOfCare) -> Option<Date> {
    let mut current = None;
    for entry in &tl.entries {
        let on = entry.event.occurred_on;
        if entry.status != EntryStatus::Applied || !period.contains(on) {
            continue;
        }
        match entry.event.payload {
            Payload::AdoptionDecisionRecorded => current = Some(on),
            Payload::AdoptionDecisionReversed { .. } => current = None,
            _ => {}
        }
    }
    current
}

/// The index of the first A3-A6 spell that took effect (was not superseded on its own day).
fn first_adoptive_spell(period: &PeriodOfCare) -> Option<usize> {
    let spells = &period.placements;
    (0..spells.len()).find(|&i| {
        spells[i].placement.kind.is_placed_for_adoption()
            && spells
                .get(i + 1)
                .is_none_or(|next| next.start != spells[i].start)
    })
}

/// The A10 move-in day for the adoptive spell at `placed`: for A3/A5 (adopted by the child's
/// own foster carers), the start of the placement with those carers.
fn moved_in_with_foster_carers(period: &PeriodOfCare, placed: usize) -> Date {
    let spells = &period.placements;
    let Some(adoptive) = spells.get(placed) else {
        return period.start;
    };
    if !matches!(
        adoptive.placement.kind,
        PlacementType::A3 | PlacementType::A5
    ) {
        return adoptive.start;
    }
    let mut current: &PlacementSpell = adoptive;
    let earlier = spells[..placed]
        .iter()
        .rev()
        .filter(|s| !s.placement.kind.is_temporary());
    for before in earlier {
        if !same_carer(before, current) {
            break;
        }
        current = before;
    }
    current.start
}

/// Whether `after` is with the carers of `before`: recorded as the same carer, or both carry
/// the same carer id.
fn same_carer(before: &PlacementSpell, after: &PlacementSpell) -> bool {
    after.same_carer
        || matches!(
            (&before.placement.carer_id, &after.placement.carer_id),
            (Some(a), Some(b)) if a == b
        )
}

/// The first day on which the legal status in force is a placement order (E1) or freeing
/// order (D1).
fn placement_order(period: &PeriodOfCare) -> Option<Date> {
    period.legal_statuses.iter().map(|s| s.on).find(|&day| {
        period
            .legal_status_on(day)
            .is_some_and(LegalStatus::is_placement_order)
    })
}

#[cfg(test)]
mod tests {
    use crate::codes::{AdoptionReversalReason, LegalStatus, PlacementType, ReasonCeased};
    use crate::indicators::{FactValue, Figures, Indicator, month_figure};
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::{Event, Id, Payload, Placement};

    const N: Indicator = Indicator::Adoptions;
    const W: Indicator = Indicator::AdoptionsWithin12Months;
    const WP: Indicator = Indicator::AdoptionsWithin12MonthsPercent;
    const A1: Indicator = Indicator::A1;
    const A2: Indicator = Indicator::A2;

    /// Born 1 Jan 2015, admitted (C2) on `from`.
    fn child(id: &str, from: &str) -> Vec<Event> {
        vec![
            ev(id, &format!("{id}-b"), "2015-01-01", born("2015-01-01")),
            ev(id, &format!("{id}-a"), from, admitted(LegalStatus::C2)),
        ]
    }

    fn adopted(id: &str, on: &str) -> Event {
        ev(id, &format!("{id}-e"), on, ended(ReasonCeased::E11))
    }

    fn status(id: &str, eid: &str, on: &str, s: LegalStatus) -> Event {
        ev(id, eid, on, Payload::LegalStatusChanged { legal_status: s })
    }

    fn decided(id: &str, eid: &str, on: &str) -> Event {
        ev(id, eid, on, Payload::AdoptionDecisionRecorded)
    }

    fn reversed(id: &str, eid: &str, on: &str) -> Event {
        ev(
            id,
            eid,
            on,
            Payload::AdoptionDecisionReversed {
                reason: AdoptionReversalReason::Rd1,
            },
        )
    }

    fn matched(id: &str, eid: &str, on: &str) -> Event {
        ev(id, eid, on, Payload::AdopterMatchRecorded)
    }

    fn ytd(f: &Figures, ind: Indicator, m: &str) -> Option<(i64, Option<i64>)> {
        month_figure(f, ind, month(m), &Settings::default()).ytd
    }

    #[test]
    fn adoptions_are_periods_ending_e11_or_e12_in_the_month() {
        // C1 adopted (E11) 31 May 2018, C2 adopted (E12) 1 Jun 2018, C3 left on an SGO (E45)
        // in May: May has one adoption, June one. No SHOBPA for any: 10.2 counts none; 10.3 is
        // 0 of 1 in each month. July has no adoption: 10.3 has no value.
        let mut events = child("C1", "2017-01-10");
        events.push(adopted("C1", "2018-05-31"));
        events.extend(child("C2", "2017-01-10"));
        events.push(ev("C2", "C2-e", "2018-06-01", ended(ReasonCeased::E12)));
        events.extend(child("C3", "2017-01-10"));
        events.push(ev("C3", "C3-e", "2018-05-20", ended(ReasonCeased::E45)));
        let f = figures(&events, "2018-07");
        assert_eq!(count(&f, N, "2018-05"), 1);
        assert_eq!(count(&f, N, "2018-06"), 1);
        assert_eq!(count(&f, W, "2018-05"), 0);
        assert_eq!(ratio(&f, WP, "2018-05"), (0, Some(1)));
        assert_eq!(value(&f, WP, "2018-05"), Some(0.0));
        assert_eq!(ratio(&f, WP, "2018-07"), (0, Some(0)));
        assert_eq!(value(&f, WP, "2018-07"), None, "zero denominator");
        // YTD of 10.1 in June 2018 (FY 2018/19 from April): 2.
        assert_eq!(ytd(&f, N, "2018-06"), Some((2, None)));
        // Not placed, no order, no match: left out of A1 and A2, which have no value.
        assert_eq!(value(&f, A1, "2018-06"), None);
        assert_eq!(value(&f, A2, "2018-06"), None);
    }

    #[test]
    fn within_twelve_months_of_shobpa_boundary() {
        // C1: SHOBPA 15 Mar 2017, adopted 15 Mar 2018 = exactly 12 months after: within.
        // C2: SHOBPA 15 Mar 2017, adopted 16 Mar 2018: one day late.
        // C3: SHOBPA 31 May 2017; 12 months after is 31 May 2018; adopted 31 May 2018: within.
        // March 2018: 10.2 = 1 (C1), 10.3 = 1 of 2; May 2018: 1 of 1.
        let mut events = child("C1", "2017-01-02");
        events.push(decided("C1", "d1", "2017-03-15"));
        events.push(adopted("C1", "2018-03-15"));
        events.extend(child("C2", "2017-01-02"));
        events.push(decided("C2", "d1", "2017-03-15"));
        events.push(adopted("C2", "2018-03-16"));
        events.extend(child("C3", "2017-01-02"));
        events.push(decided("C3", "d1", "2017-05-31"));
        events.push(adopted("C3", "2018-05-31"));
        let f = figures(&events, "2018-06");
        assert_eq!(count(&f, W, "2018-03"), 1);
        assert_eq!(ratio(&f, WP, "2018-03"), (1, Some(2)));
        assert_eq!(value(&f, WP, "2018-03"), Some(50.0));
        assert_eq!(count(&f, W, "2018-05"), 1);
        assert_eq!(ratio(&f, WP, "2018-05"), (1, Some(1)));
    }

    #[test]
    fn shobpa_reversed_then_decided_again() {
        // C1: decided 1 Feb 2017, reversed 1 Jun 2017, decided again 1 Sep 2017, adopted
        //     1 Aug 2018. SHOBPA = 1 Sep 2017 (the new decision): adopted within 12 months
        //     (on or before 1 Sep 2018). Measured from 1 Feb 2017 it would not be.
        // C2: decided 1 Feb 2017, reversed 1 Jun 2017, adopted 1 Aug 2018: no SHOBPA (the
        //     decision is followed by a reversal): in 10.3's denominator only.
        // C3: decision and reversal on the same day, 1 Mar 2018. Same-day events are in
        //     timeline order by recordedAt (both noon here), then event id: "d2" < "r1", so the
        //     reversal comes last: no SHOBPA.
        // C4: the same, but the reversal "e1" comes before the decision "f1" (e1 < f1): SHOBPA
        //     1 Mar 2018, adopted 1 Aug 2018: within 12 months.
        // August 2018: 10.1 = 4, 10.2 = 2 (C1, C4), 10.3 = 2 of 4.
        let mut events = child("C1", "2017-01-02");
        events.push(decided("C1", "d1", "2017-02-01"));
        events.push(reversed("C1", "r1", "2017-06-01"));
        events.push(decided("C1", "d2", "2017-09-01"));
        events.push(adopted("C1", "2018-08-01"));
        events.extend(child("C2", "2017-01-02"));
        events.push(decided("C2", "d1", "2017-02-01"));
        events.push(reversed("C2", "r1", "2017-06-01"));
        events.push(adopted("C2", "2018-08-01"));
        events.extend(child("C3", "2017-01-02"));
        events.push(decided("C3", "d2", "2018-03-01"));
        events.push(reversed("C3", "r1", "2018-03-01"));
        events.push(adopted("C3", "2018-08-01"));
        events.extend(child("C4", "2017-01-02"));
        events.push(decided("C4", "d1", "2017-02-01"));
        events.push(reversed("C4", "e1", "2018-03-01"));
        events.push(decided("C4", "f1", "2018-03-01"));
        events.push(adopted("C4", "2018-08-01"));
        let f = figures(&events, "2018-08");
        assert_eq!(count(&f, N, "2018-08"), 4);
        assert_eq!(count(&f, W, "2018-08"), 2);
        assert_eq!(ratio(&f, WP, "2018-08"), (2, Some(4)));
        let c1 = &events[..6];
        let e = evaluations(c1, WP, "2018-08", "2018-08-31");
        assert_eq!(e.len(), 1);
        assert!(
            e[0].facts
                .iter()
                .any(|x| x.name == "shobpa" && x.value.to_string() == "2017-09-01")
        );
        let e = evaluations(&events[6..11], WP, "2018-08", "2018-08-31");
        assert!(
            e[0].facts
                .iter()
                .any(|x| x.name == "shobpa" && x.value == FactValue::Missing)
        );
    }

    #[test]
    fn retracting_a_reversal_restores_the_decision_and_retracting_the_end_the_adoption() {
        // C1: decided 1 Feb 2017, reversed 1 Jun 2017, adopted 1 Feb 2018. No SHOBPA: 0 of 1.
        // Retract the reversal: SHOBPA 1 Feb 2017, adopted exactly 12 months later: 1 of 1.
        // Retract the adoption instead: the child is still looked after, no adoption at all.
        let mut events = child("C1", "2017-01-02");
        events.push(decided("C1", "d1", "2017-02-01"));
        events.push(reversed("C1", "r1", "2017-06-01"));
        events.push(adopted("C1", "2018-02-01"));
        let f = figures(&events, "2018-03");
        assert_eq!(ratio(&f, WP, "2018-02"), (0, Some(1)));
        let mut undone = events.clone();
        undone.push(retract("C1", "x1", "2018-03-01", "r1"));
        let f = figures(&undone, "2018-03");
        assert_eq!(count(&f, W, "2018-02"), 1);
        assert_eq!(ratio(&f, WP, "2018-02"), (1, Some(1)));
        let mut not_adopted = events.clone();
        not_adopted.push(retract("C1", "x1", "2018-03-01", "C1-e"));
        let f = figures(&not_adopted, "2018-03");
        assert_eq!(count(&f, N, "2018-02"), 0);
        assert_eq!(ratio(&f, WP, "2018-02"), (0, Some(0)));
    }

    #[test]
    fn a1_is_a_ytd_average_that_resets_in_april() {
        // FY 2017/18:
        //   C1 entered 1 Jan 2017, placed A4 on 1 Jul 2017 (181 days: Jan 31 + Feb 28 + Mar 31
        //      + Apr 30 + May 31 + Jun 30), adopted 15 Feb 2018.
        //   C2 entered 1 Mar 2017, placed A6 on 31 Mar 2017 (30 days), adopted 31 Mar 2018.
        //   C3 entered 1 Jan 2017, adopted 20 Mar 2018, never placed for adoption: left out.
        //   February 2018: YTD 181 / 1 = 181.0; March 2018: (181 + 30) / 2 = 105.5.
        // FY 2018/19:
        //   C4 entered 1 Jan 2018, placed A4 on 11 Jan 2018 (10 days), adopted 2 Apr 2018.
        //   April 2018: 10 / 1 = 10.0 (March's children are not in the new year).
        let mut events = child("C1", "2017-01-01");
        events.push(ev("C1", "p", "2017-07-01", moved(PlacementType::A4)));
        events.push(adopted("C1", "2018-02-15"));
        events.extend(child("C2", "2017-03-01"));
        events.push(ev("C2", "p", "2017-03-31", moved(PlacementType::A6)));
        events.push(adopted("C2", "2018-03-31"));
        events.extend(child("C3", "2017-01-01"));
        events.push(adopted("C3", "2018-03-20"));
        events.extend(child("C4", "2018-01-01"));
        events.push(ev("C4", "p", "2018-01-11", moved(PlacementType::A4)));
        events.push(adopted("C4", "2018-04-02"));
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, A1, "2018-02"), (181, Some(1)));
        assert_eq!(value(&f, A1, "2018-02"), Some(181.0));
        assert_eq!(ratio(&f, A1, "2018-03"), (30, Some(1)), "C3 left out");
        assert_eq!(ytd(&f, A1, "2018-03"), Some((211, Some(2))));
        assert_eq!(value(&f, A1, "2018-03"), Some(105.5));
        assert_eq!(value(&f, A1, "2018-04"), Some(10.0));
        // May 2018: no adoption in May, the YTD average stands.
        assert_eq!(ratio(&f, A1, "2018-05"), (0, Some(0)));
        assert_eq!(value(&f, A1, "2018-05"), Some(10.0));
        // January 2018: nobody adopted yet in FY 2017/18: no value.
        assert_eq!(value(&f, A1, "2018-01"), None);
    }

    #[test]
    fn a1_foster_carer_adjustment_for_a3_and_a5() {
        // Both entered care 1 Jan 2017 with foster carers (U4, the admission placement).
        // C1: moved to other foster carers (U6) 1 Mar 2017 (59 days in), then the same carers
        //     become adopters: A3 with sameCarer on 1 Oct 2017 (273 days in), adopted 1 Apr
        //     2018. Unadjusted A1 = 273; adjusted, move-in is 1 Mar 2017: 59.
        // C2: A4 (not with own foster carers) on 1 Oct 2017 with sameCarer set: never
        //     adjusted: 273 either way.
        // C3: U4 carer "K9" from 1 Feb 2017, a T3 spell (carer on holiday) 1 Jul 2017, then A5
        //     with carer "K9" (no sameCarer flag) 1 Oct 2017: the temporary spell is skipped and
        //     the carer ids link: adjusted move-in 1 Feb 2017 = 31 days; unadjusted 273.
        // April 2018 YTD: unadjusted (273 + 273 + 273) / 3 = 273.0;
        //                 adjusted (59 + 273 + 31) / 3 = 121.0.
        let same = |kind| Payload::PlacementChanged {
            placement: placed(kind),
            reason: None,
            same_carer: true,
        };
        let with_carer = |kind| Payload::PlacementChanged {
            placement: Placement {
                carer_id: Id::parse("K9"),
                ..placed(kind)
            },
            reason: None,
            same_carer: false,
        };
        let mut events = child("C1", "2017-01-01");
        events.push(ev("C1", "p1", "2017-03-01", moved(PlacementType::U6)));
        events.push(ev("C1", "p2", "2017-10-01", same(PlacementType::A3)));
        events.push(adopted("C1", "2018-04-01"));
        events.extend(child("C2", "2017-01-01"));
        events.push(ev("C2", "p1", "2017-10-01", same(PlacementType::A4)));
        events.push(adopted("C2", "2018-04-01"));
        events.extend(child("C3", "2017-01-01"));
        events.push(ev("C3", "p1", "2017-02-01", with_carer(PlacementType::U4)));
        events.push(ev("C3", "p2", "2017-07-01", moved(PlacementType::T3)));
        events.push(ev("C3", "p3", "2017-10-01", with_carer(PlacementType::A5)));
        events.push(adopted("C3", "2018-04-01"));
        let f = figures(&events, "2018-04");
        assert_eq!(ratio(&f, A1, "2018-04"), (819, Some(3)));
        assert_eq!(value(&f, A1, "2018-04"), Some(273.0));
        let adjusted = Settings {
            a1_foster_carer_adjustment: true,
            ..Settings::default()
        };
        let f = figures_with(&events, &adjusted, "2018-04-30");
        assert_eq!(ratio(&f, A1, "2018-04"), (363, Some(3)));
        assert_eq!(value(&f, A1, "2018-04"), Some(121.0));
    }

    #[test]
    fn a2_placement_order_to_match() {
        // C1: placement order (E1) 1 Mar 2017, matched 31 May 2017: 91 days (Mar 31 + Apr 30
        //     + May 30). Adopted 1 Dec 2017.
        // C2: matched 1 Feb 2017 before the order (D1 freeing order) 1 Mar 2017: 0 days.
        //     Adopted 1 Dec 2017.
        // C3: matched 1 Jun 2017, no placement order: left out. Adopted 1 Dec 2017.
        // C4: placement order 1 Mar 2017, no match: left out. Adopted 1 Dec 2017.
        // December 2017: (91 + 0) / 2 = 45.5 (YTD from April 2017 the same).
        let mut events = child("C1", "2017-01-02");
        events.push(status("C1", "s1", "2017-03-01", LegalStatus::E1));
        events.push(matched("C1", "m1", "2017-05-31"));
        events.push(adopted("C1", "2017-12-01"));
        events.extend(child("C2", "2017-01-02"));
        events.push(matched("C2", "m1", "2017-02-01"));
        events.push(status("C2", "s1", "2017-03-01", LegalStatus::D1));
        events.push(adopted("C2", "2017-12-01"));
        events.extend(child("C3", "2017-01-02"));
        events.push(matched("C3", "m1", "2017-06-01"));
        events.push(adopted("C3", "2017-12-01"));
        events.extend(child("C4", "2017-01-02"));
        events.push(status("C4", "s1", "2017-03-01", LegalStatus::E1));
        events.push(adopted("C4", "2017-12-01"));
        let f = figures(&events, "2017-12");
        assert_eq!(ratio(&f, A2, "2017-12"), (91, Some(2)));
        assert_eq!(value(&f, A2, "2017-12"), Some(45.5));
        let e = evaluations(&events[5..10], A2, "2017-12", "2017-12-31");
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].numerator, e[0].denominator), (0, 1));
        assert!(
            e[0].facts
                .iter()
                .any(|x| x.name == "matched" && x.value.to_string() == "2017-02-01")
        );
        assert!(
            e[0].facts
                .iter()
                .any(|x| x.name == "placement_order" && x.value.to_string() == "2017-03-01")
        );
    }

    #[test]
    fn a2_uses_the_latest_match_and_the_first_order() {
        // Entered 2 Jan 2017, placement order (E1) 1 Mar 2017, back to C2 on 1 Apr 2017 and a
        // second E1 on 1 May 2017: the first day with E1 stays 1 Mar. Matched 10 Mar 2017 and
        // again 10 Apr 2017: the latest, 10 Apr, gives 40 days (Mar 1 -> Apr 10: 31 + 9).
        // Adopted 1 Nov 2017. Retracting the 10 Apr match leaves 10 Mar: 9 days.
        let mut events = child("C1", "2017-01-02");
        events.push(status("C1", "s1", "2017-03-01", LegalStatus::E1));
        events.push(matched("C1", "m1", "2017-03-10"));
        events.push(status("C1", "s2", "2017-04-01", LegalStatus::C2));
        events.push(matched("C1", "m2", "2017-04-10"));
        events.push(status("C1", "s3", "2017-05-01", LegalStatus::E1));
        events.push(adopted("C1", "2017-11-01"));
        let f = figures(&events, "2017-11");
        assert_eq!(ratio(&f, A2, "2017-11"), (40, Some(1)));
        events.push(retract("C1", "x1", "2017-06-01", "m2"));
        let f = figures(&events, "2017-11");
        assert_eq!(ratio(&f, A2, "2017-11"), (9, Some(1)));
    }

    #[test]
    fn adoption_after_the_horizon_is_not_counted_yet() {
        // Adopted 1 Jul 2018, derived to June 2018: nothing.
        let mut events = child("C1", "2017-01-02");
        events.push(adopted("C1", "2018-07-01"));
        let f = figures(&events, "2018-06");
        assert_eq!(count(&f, N, "2018-07"), 0);
        assert_eq!(ytd(&f, N, "2018-06"), Some((0, None)));
    }
}
