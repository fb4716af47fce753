//! 8.1-8.5 placement stability and type, 9.1-9.2 fostering placements.
//!
//! Also the notion of a **placement** of INDICATORS.md section 1 ([`stays`]), shared with the
//! visits family (3.2): a continuous stay with one carer, built from the recorded placement
//! spells of a period of care.

use time::Date;

use super::{
    Context, Evaluation, FactValue, Indicator, Sink, current_placement, looked_after_month_ends,
};
use crate::calendar::{Month, add_days, add_months, age_on};
use crate::codes::PlacementType;
use crate::timeline::{ChildTimeline, PeriodOfCare, PlacementSpell};

pub const DERIVES: &[Indicator] = &[
    Indicator::StableLongTerm,
    Indicator::ThreeOrMorePlacements,
    Indicator::FamilyBased,
    Indicator::PlacedWithParents,
    Indicator::Commissioned,
    Indicator::Fostering,
    Indicator::FosteringPercent,
];

/// One placement in the sense of INDICATORS.md section 1: a continuous stay with one carer.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Stay<'a> {
    /// The day the child moved in (the first of its spells).
    pub start: Date,
    /// Exclusive: the day the next placement started, or the period's end (none while open).
    pub end: Option<Date>,
    /// Its non-temporary spells in order: the first, then changes of type with the same carer
    /// and returns after temporary placements.
    pub spells: Vec<&'a PlacementSpell>,
}

impl Stay<'_> {
    /// Whether the stay holds at least one day of `from..=to`.
    fn overlaps(&self, from: Date, to: Date) -> bool {
        self.start <= to && self.end.is_none_or(|end| end > from)
    }
}

/// The placements of `period` (section 1), in order. Choices where the spec is silent:
///
/// - Temporary spells (T0-T4) are skipped: the child stays in the placement before them, which
///   lasts until the next placement starts, not until the temporary one starts.
/// - A non-temporary spell started on the same day as the next non-temporary spell is superseded
///   (a correction on the day, as in SSDA903 where two episodes cannot start on one day): it
///   never held a day and is not a placement. So a placement change on the admission day
///   replaces the admission's placement: one placement, not two. (A temporary spell in between
///   does not change this; it is ignored.)
/// - Between two consecutive non-temporary spells the `sameCarer` flag alone decides (the 903
///   "reason for new episode" T/U against P/B): `carerId` is not compared.
/// - The first non-temporary spell after temporary ones returns to the placement before them
///   when it says `sameCarer`, or when it is the same carer: equal `carerId`s when both spells
///   carry one, otherwise (either `carerId` absent) the same placement type and provider, the
///   SSDA903 practice of matching the recorded placement details.
/// - Placements never continue across periods of care: a readmission starts a new one, even
///   with the same carer. A stay in an empty period (admitted and discharged on one day) holds
///   no day and is left out.
pub(super) fn stays(period: &PeriodOfCare) -> Vec<Stay<'_>> {
    // Non-temporary spells, each with whether a temporary spell came between it and the previous
    // non-temporary one.
    let mut spells: Vec<(&PlacementSpell, bool)> = Vec::new();
    let mut after_temporary = false;
    for spell in &period.placements {
        if spell.placement.kind.is_temporary() {
            after_temporary = true;
            continue;
        }
        match spells.last_mut() {
            // Superseded on its own day: the later spell takes its place.
            Some(last) if last.0.start == spell.start => {
                *last = (spell, last.1 || after_temporary);
            }
            _ => spells.push((spell, after_temporary)),
        }
        after_temporary = false;
    }

    let mut out: Vec<Stay<'_>> = Vec::new();
    for (spell, after_temporary) in spells {
        let continues = out.last().is_some_and(|stay| {
            spell.same_carer
                || (after_temporary
                    && stay
                        .spells
                        .last()
                        .is_some_and(|before| same_carer(before, spell)))
        });
        match out.last_mut() {
            Some(stay) if continues => stay.spells.push(spell),
            last => {
                if let Some(stay) = last {
                    stay.end = Some(spell.start);
                }
                out.push(Stay {
                    start: spell.start,
                    end: None,
                    spells: vec![spell],
                });
            }
        }
    }
    if let Some(stay) = out.last_mut() {
        stay.end = period.end;
    }
    out.retain(|stay| stay.end.is_none_or(|end| end > stay.start));
    out
}

/// Whether `after` (following temporary spells) is with the carer of `before`: equal carer ids
/// when both are recorded, otherwise the same placement type and provider.
fn same_carer(before: &PlacementSpell, after: &PlacementSpell) -> bool {
    match (&before.placement.carer_id, &after.placement.carer_id) {
        (Some(a), Some(b)) => a == b,
        _ => {
            before.placement.kind == after.placement.kind
                && before.placement.provider == after.placement.provider
        }
    }
}

/// The placement the child is in on `day` (the one holding the current placement spell), if any:
/// none while only temporary placements have been recorded in the period.
pub(super) fn stay_on<'s, 'a>(stays: &'s [Stay<'a>], day: Date) -> Option<&'s Stay<'a>> {
    stays.iter().rev().find(|stay| stay.start <= day)
}

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    let counted: Vec<(&PeriodOfCare, Vec<Stay<'_>>)> =
        tl.counted_periods().map(|p| (p, stays(p))).collect();
    let settings = &ctx.settings;
    for (period, period_stays) in &counted {
        for (month, day) in looked_after_month_ends(period, ctx.horizon) {
            let spell = current_placement(period, day);
            let kind = spell.map(|s| s.placement.kind);
            let provider = spell.and_then(|s| s.placement.provider);
            let type_fact = kind.map_or(FactValue::Missing, |k| FactValue::Code(k.code()));
            let provider_fact = provider.map_or(FactValue::Missing, |p| FactValue::Code(p.code()));
            let in_types = |types: &[PlacementType]| kind.is_some_and(|k| types.contains(&k));

            // 8.3, 8.4, 9.2: the current placement's type; 8.5: its provider. A child with only
            // temporary placements so far has no current placement: in the cohort (6.1), never
            // in a numerator.
            for (indicator, met) in [
                (Indicator::FamilyBased, in_types(&settings.family_based)),
                (
                    Indicator::PlacedWithParents,
                    in_types(&settings.placed_with_parents),
                ),
                (
                    Indicator::FosteringPercent,
                    in_types(&settings.fostering_excluding_family_friends),
                ),
            ] {
                out.push(
                    Evaluation::ratio(indicator, month, met)
                        .fact("placement_type", type_fact.clone()),
                );
            }
            out.push(
                Evaluation::ratio(
                    Indicator::Commissioned,
                    month,
                    provider.is_some_and(|p| settings.commissioned.contains(&p)),
                )
                .fact("provider", provider_fact),
            );
            // 9.1 is a count: only the children in it are evaluated.
            if in_types(&settings.fostering_excluding_family_friends) {
                out.push(
                    Evaluation::count(Indicator::Fostering, month)
                        .fact("placement_type", type_fact.clone()),
                );
            }

            let stay = stay_on(period_stays, day);
            if let Some(e) = long_term_stability(tl, period, period_stays, stay, month, day) {
                out.push(e.fact("placement_type", type_fact));
            }
            out.push(placement_count(&counted, month, day));
        }
    }
}

/// 8.1 for a child looked after on `day` (a month end): `None` outside the cohort.
///
/// Choices: a child with no recorded date of birth is left out (its age cannot be known to be
/// under 16). "Started at least k months before month end" means on or before the day k months
/// before it. "The placement just before" the adoptive placement is the previous placement in
/// the same period of care (it ends when the adoptive one starts); with none, the adoptive
/// placement's own start decides. The adoptive placement is the current placement, so fostering
/// with the same carers before a change of type to A3-A6 already counts towards it.
fn long_term_stability(
    tl: &ChildTimeline,
    period: &PeriodOfCare,
    period_stays: &[Stay<'_>],
    stay: Option<&Stay<'_>>,
    month: Month,
    day: Date,
) -> Option<Evaluation> {
    let age = age_on(tl.date_of_birth?, day);
    if age >= 16 || period.start > add_months(day, -30) {
        return None;
    }
    let two_years_before = add_months(day, -24);
    let placement_start = stay.map(|s| s.start);
    let adoptive = current_placement(period, day)
        .is_some_and(|spell| spell.placement.kind.is_placed_for_adoption());
    // With the placement just before the adoptive one: the start of that earlier placement.
    let combined_start = stay.filter(|_| adoptive).map(|s| {
        period_stays
            .iter()
            .take_while(|earlier| earlier.start < s.start)
            .last()
            .map_or(s.start, |before| before.start)
    });
    let met = placement_start.is_some_and(|s| s <= two_years_before)
        || combined_start.is_some_and(|s| s <= two_years_before);
    let mut e = Evaluation::ratio(Indicator::StableLongTerm, month, met)
        .day("period_start", Some(period.start))
        .day("placement_start", placement_start)
        .fact("age", FactValue::Number(i64::from(age)));
    if adoptive {
        e = e.day("adoptive_with_previous_start", combined_start);
    }
    Some(e)
}

/// 8.2 for a child looked after on `day` (a month end): placements in any counted period of
/// care holding at least one day of the 12 months ending on `day`.
fn placement_count(
    counted: &[(&PeriodOfCare, Vec<Stay<'_>>)],
    month: Month,
    day: Date,
) -> Evaluation {
    let window_start = add_days(add_months(day, -12), 1);
    let n = counted
        .iter()
        .flat_map(|(_, stays)| stays)
        .filter(|stay| stay.overlaps(window_start, day))
        .count();
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    Evaluation::ratio(Indicator::ThreeOrMorePlacements, month, n >= 3)
        .day("window_start", Some(window_start))
        .fact("placements_in_12_months", FactValue::Number(n))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::stays;
    use crate::codes::{LegalStatus, PlacementType, PlacementType::*, Provider, ReasonCeased};
    use crate::indicators::{FactValue, month_figure};
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::timeline::fold_child;
    use crate::{Event, Id, Indicator, Payload, Placement};

    const STABLE: Indicator = Indicator::StableLongTerm;
    const THREE: Indicator = Indicator::ThreeOrMorePlacements;

    fn placement(
        kind: PlacementType,
        provider: Option<Provider>,
        carer: Option<&str>,
    ) -> Placement {
        Placement {
            kind,
            provider,
            carer_id: carer.and_then(Id::parse),
            in_area: None,
        }
    }

    /// Born on `birth` (none: no `childRegistered`), admitted on `on` (C2) into `p`.
    fn child_born(c: &str, birth: Option<&str>, on: &str, p: Placement) -> Vec<Event> {
        let mut events: Vec<Event> = birth
            .map(|b| ev(c, &format!("{c}-born"), b, born(b)))
            .into_iter()
            .collect();
        events.push(ev(
            c,
            &format!("{c}-admitted"),
            on,
            Payload::PeriodOfCareStarted {
                legal_status: LegalStatus::C2,
                placement: p,
                category_of_need: None,
            },
        ));
        events
    }

    /// Born 1 January 2008, admitted on `on` into `p`.
    fn child(c: &str, on: &str, p: Placement) -> Vec<Event> {
        child_born(c, Some("2008-01-01"), on, p)
    }

    fn change(p: Placement, same_carer: bool) -> Payload {
        Payload::PlacementChanged {
            placement: p,
            reason: None,
            same_carer,
        }
    }

    fn of(events: &[Event], c: &str) -> Vec<Event> {
        events
            .iter()
            .filter(|e| e.subject.id.as_str() == c)
            .cloned()
            .collect()
    }

    #[test]
    fn current_placement_type_and_provider_at_month_end() {
        // Looked after at the end of May 2018:
        // C1 U4 PR1: family based, fostering.
        // C2 P1 PR1: family based, placed with parents.
        // C3 K2 PR4: commissioned.
        // C4 U3 PR5: family based (family and friends foster, so not in 9.1), commissioned.
        // C5 U6 PR1, in hospital (T1) from 25 May: the temporary placement is ignored, the
        //    current placement is still U6: family based, fostering.
        // C6 admitted to T0: no current placement: in the cohort only.
        // C7 discharged 31 May: not looked after at month end, in no cohort.
        // C8 K2 PR1, moving to U4 on 1 June: K2 in May (nothing), U4 in June.
        // C9 K2 PR1, moving to U4 on 31 May: the move is on month end, so U4 in May.
        // May: 6.1 = 8 (C1-C6, C8, C9); 8.3 C1 C2 C4 C5 C9 = 5; 8.4 C2 = 1; 8.5 C3 C4 = 2;
        // 9.1 C1 C5 C9 = 3.
        let pr = |kind, p| placement(kind, Some(p), None);
        let events = [
            child("C1", "2018-03-01", pr(U4, Provider::PR1)),
            child("C2", "2018-03-01", pr(P1, Provider::PR1)),
            child("C3", "2018-03-01", pr(K2, Provider::PR4)),
            child("C4", "2018-03-01", pr(U3, Provider::PR5)),
            child("C5", "2018-03-01", pr(U6, Provider::PR1)),
            vec![ev("C5", "t", "2018-05-25", moved(T1))],
            child("C6", "2018-03-01", placed(T0)),
            child("C7", "2018-03-01", pr(U4, Provider::PR1)),
            vec![ev("C7", "end", "2018-05-31", ended(ReasonCeased::E13))],
            child("C8", "2018-01-01", pr(K2, Provider::PR1)),
            vec![ev("C8", "p", "2018-06-01", moved(U4))],
            child("C9", "2018-03-01", pr(K2, Provider::PR1)),
            vec![ev("C9", "p", "2018-05-31", moved(U4))],
        ]
        .concat();
        let f = figures(&events, "2018-06");
        assert_eq!(count(&f, Indicator::LookedAfter, "2018-05"), 8);
        assert_eq!(ratio(&f, Indicator::FamilyBased, "2018-05"), (5, Some(8)));
        assert_eq!(
            ratio(&f, Indicator::PlacedWithParents, "2018-05"),
            (1, Some(8))
        );
        assert_eq!(ratio(&f, Indicator::Commissioned, "2018-05"), (2, Some(8)));
        assert_eq!(count(&f, Indicator::Fostering, "2018-05"), 3);
        assert_eq!(
            ratio(&f, Indicator::FosteringPercent, "2018-05"),
            (3, Some(8))
        );
        // June: C7 gone (already out), C8 now U4: 8.3 6 of 8, 9.1 4.
        assert_eq!(ratio(&f, Indicator::FamilyBased, "2018-06"), (6, Some(8)));
        assert_eq!(count(&f, Indicator::Fostering, "2018-06"), 4);
        assert_eq!(
            ratio(&f, Indicator::FosteringPercent, "2018-06"),
            (4, Some(8))
        );
        // December 2017: nobody looked after: no value, 9.1 is 0.
        for ind in [
            Indicator::FamilyBased,
            Indicator::PlacedWithParents,
            Indicator::Commissioned,
            Indicator::FosteringPercent,
            STABLE,
            THREE,
        ] {
            let fig = month_figure(&f, ind, month("2017-12"), &Settings::default());
            assert_eq!((fig.denominator, fig.value), (Some(0), None), "{ind:?}");
        }
        assert_eq!(count(&f, Indicator::Fostering, "2017-12"), 0);
        // Drill-down facts.
        assert_eq!(
            fact(
                &of(&events, "C6"),
                Indicator::FamilyBased,
                "2018-05",
                "placement_type"
            ),
            FactValue::Missing
        );
        assert_eq!(
            fact(
                &of(&events, "C3"),
                Indicator::Commissioned,
                "2018-05",
                "provider"
            ),
            FactValue::Code("PR4")
        );
        assert_eq!(
            fact(
                &of(&events, "C5"),
                Indicator::Fostering,
                "2018-05",
                "placement_type"
            ),
            FactValue::Code("U6")
        );
    }

    #[test]
    fn placement_groups_are_settings() {
        // With U3 counted as fostering and PR1 as commissioned, a U3 PR1 child is in both.
        let settings = Settings {
            fostering_excluding_family_friends: vec![U3, U4, U5, U6],
            commissioned: vec![Provider::PR1],
            ..Settings::default()
        };
        let events = child("C1", "2018-03-01", placed(U3));
        let f = figures_with(&events, &settings, "2018-05-31");
        assert_eq!(count(&f, Indicator::Fostering, "2018-05"), 1);
        assert_eq!(ratio(&f, Indicator::Commissioned, "2018-05"), (1, Some(1)));
        // With the defaults, neither.
        let f = figures(&events, "2018-05");
        assert_eq!(count(&f, Indicator::Fostering, "2018-05"), 0);
        assert_eq!(ratio(&f, Indicator::Commissioned, "2018-05"), (0, Some(1)));
    }

    #[test]
    fn three_placements_counted_over_the_rolling_window() {
        // Placements: U4 from 1 Jun 2017 (last day 1 Aug 2017), U6 from 2 Aug 2017, K2 from
        // 1 Mar 2018. The window of a month end starts the day after the day 12 months before.
        // Feb 2018: K2 not started yet: 2, not met. Mar 2018: 3, met.
        // Jul 2018: window from 1 Aug 2017, the U4's last day: 3, met.
        // Aug 2018: window from 1 Sep 2017: U4 out: 2, not met.
        let events = [
            child("P1", "2017-06-01", placed(U4)),
            vec![
                ev("P1", "p1", "2017-08-02", moved(U6)),
                ev("P1", "p2", "2018-03-01", moved(K2)),
            ],
        ]
        .concat();
        let f = figures(&events, "2018-08");
        assert_eq!(ratio(&f, THREE, "2018-02"), (0, Some(1)));
        assert_eq!(ratio(&f, THREE, "2018-03"), (1, Some(1)));
        assert_eq!(ratio(&f, THREE, "2018-07"), (1, Some(1)));
        assert_eq!(ratio(&f, THREE, "2018-08"), (0, Some(1)));
        assert_eq!(
            fact(&events, THREE, "2018-08", "placements_in_12_months"),
            FactValue::Number(2)
        );
        assert_eq!(
            fact(&events, THREE, "2018-08", "window_start"),
            FactValue::Day(date!(2017 - 09 - 01))
        );
    }

    #[test]
    fn temporary_placements_returns_and_same_carer_changes_are_not_moves() {
        // H (carer ids): U6 with H1 from 1 Oct 2017; hospital (T1) 1 Dec; back with H1 10 Dec
        //    (a return); U4 with H1 (same carer) 1 Feb 2018; respite (T3) 1 Mar; U4 with H2
        //    15 Mar (a new carer). Placements: H1, H2 = 2.
        // D (no carer ids): U6 PR1 1 Oct; T1 1 Nov; U6 PR1 10 Nov (same type and provider: a
        //    return); T2 1 Jan; K2 PR1 10 Jan (different type: new); U6 PR1 1 Apr, straight
        //    from K2 without the same-carer flag: new. Placements: 3.
        // C: U4 PR1 H1 1 Oct; T1 1 Nov; U4 PR1 H2 10 Nov (carer ids differ: new); T4 1 Jan;
        //    U4 PR1 without a carer id 10 Jan (compared on type and provider with the H2
        //    placement: a return). Placements: 2.
        // May 2018 (window from 1 Jun 2017 holds everything): only D has 3 or more.
        let h = |kind, carer| placement(kind, Some(Provider::PR1), Some(carer));
        let events = [
            child("H", "2017-10-01", h(U6, "H1")),
            vec![
                ev("H", "t1", "2017-12-01", moved(T1)),
                ev("H", "r1", "2017-12-10", change(h(U6, "H1"), false)),
                ev("H", "s1", "2018-02-01", change(h(U4, "H1"), true)),
                ev("H", "t2", "2018-03-01", moved(T3)),
                ev("H", "n1", "2018-03-15", change(h(U4, "H2"), false)),
            ],
            child("D", "2017-10-01", placed(U6)),
            vec![
                ev("D", "t1", "2017-11-01", moved(T1)),
                ev("D", "r1", "2017-11-10", moved(U6)),
                ev("D", "t2", "2018-01-01", moved(T2)),
                ev("D", "n1", "2018-01-10", moved(K2)),
                ev("D", "n2", "2018-04-01", moved(U6)),
            ],
            child("C", "2017-10-01", h(U4, "H1")),
            vec![
                ev("C", "t1", "2017-11-01", moved(T1)),
                ev("C", "n1", "2017-11-10", change(h(U4, "H2"), false)),
                ev("C", "t2", "2018-01-01", moved(T4)),
                ev("C", "r1", "2018-01-10", moved(U4)),
            ],
        ]
        .concat();
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, THREE, "2018-05"), (1, Some(3)));
        for (c, n) in [("H", 2), ("D", 3), ("C", 2)] {
            assert_eq!(
                fact(&of(&events, c), THREE, "2018-05", "placements_in_12_months"),
                FactValue::Number(n),
                "{c}"
            );
        }
        // H's placements: the first lasts until H2's starts (the respite is ignored), with its
        // three spells (admission, return, change of type).
        let tl = fold_child(&of(&events, "H"));
        let s = stays(&tl.periods[0]);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].start, s[0].end, s[0].spells.len()),
            (date!(2017 - 10 - 01), Some(date!(2018 - 03 - 15)), 3)
        );
        assert_eq!((s[1].start, s[1].end), (date!(2018 - 03 - 15), None));
    }

    #[test]
    fn a_placement_change_on_the_admission_day_replaces_the_admission_placement() {
        // Admitted to K2 on 10 Jan 2018 and moved to U4 the same day (ordered after the
        // admission by event id), then to U6 on 1 Mar. The K2 placement never held a day, so
        // it is not a placement: 2 in May, not 3.
        let events = [
            child("A", "2018-01-10", placed(K2)),
            vec![
                ev("A", "A-moved", "2018-01-10", moved(U4)),
                ev("A", "p2", "2018-03-01", moved(U6)),
            ],
        ]
        .concat();
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, THREE, "2018-05"), (0, Some(1)));
        assert_eq!(
            fact(&events, THREE, "2018-05", "placements_in_12_months"),
            FactValue::Number(2)
        );
        // In January the current placement is U4 (family based), as in the 6.1 breakdown.
        assert_eq!(ratio(&f, Indicator::FamilyBased, "2018-01"), (1, Some(1)));
    }

    #[test]
    fn placements_count_across_periods_of_care_but_not_short_breaks() {
        // U4 from 1 Jul 2017, U6 from 1 Sep, discharged 1 Dec; a short break (V3) 15-20 Dec;
        // readmitted to U4 (same details) 1 Feb 2018: a new period, a new placement.
        // Nov 2017 (window from 1 Dec 2016): U4, U6 = 2, not met.
        // Dec 2017, Jan 2018: not looked after at month end: no cohort.
        // Feb 2018 (window from 1 Mar 2017): U4, U6, U4 = 3, met; the short break adds none.
        // Aug 2018 (window from 1 Sep 2017): the first U4 ended on 1 Sep (its last day 31 Aug):
        // U6 and the new U4 = 2, not met.
        let events = [
            child("R", "2017-07-01", placed(U4)),
            vec![
                ev("R", "p1", "2017-09-01", moved(U6)),
                ev("R", "end1", "2017-12-01", ended(ReasonCeased::E4A)),
                ev("R", "sb", "2017-12-15", admitted(LegalStatus::V3)),
                ev("R", "sbp", "2017-12-17", moved(K2)),
                ev("R", "sbend", "2017-12-20", ended(ReasonCeased::E8)),
                ev("R", "again", "2018-02-01", admitted(LegalStatus::C2)),
            ],
        ]
        .concat();
        let f = figures(&events, "2018-08");
        assert_eq!(ratio(&f, THREE, "2017-11"), (0, Some(1)));
        assert_eq!(ratio(&f, THREE, "2017-12"), (0, Some(0)));
        assert_eq!(ratio(&f, THREE, "2018-01"), (0, Some(0)));
        assert_eq!(ratio(&f, THREE, "2018-02"), (1, Some(1)));
        assert_eq!(
            fact(&events, THREE, "2018-02", "placements_in_12_months"),
            FactValue::Number(3)
        );
        assert_eq!(ratio(&f, THREE, "2018-08"), (0, Some(1)));
    }

    #[test]
    fn retracting_a_move_removes_a_placement() {
        // U4 from 1 Oct 2017, U6 from 1 Jan 2018 (p1), K2 from 1 Mar (p2): 3 in May, met.
        // Retracting p2: 2, not met; the current placement is U6 again (fostering).
        let base = [
            child("X", "2017-10-01", placed(U4)),
            vec![
                ev("X", "p1", "2018-01-01", moved(U6)),
                ev("X", "p2", "2018-03-01", moved(K2)),
            ],
        ]
        .concat();
        let f = figures(&base, "2018-06");
        assert_eq!(ratio(&f, THREE, "2018-05"), (1, Some(1)));
        assert_eq!(count(&f, Indicator::Fostering, "2018-05"), 0);
        let mut events = base;
        events.push(retract("X", "x1", "2018-06-02", "p2"));
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, THREE, "2018-05"), (0, Some(1)));
        assert_eq!(count(&f, Indicator::Fostering, "2018-05"), 1);
    }

    #[test]
    fn long_term_stability_cohort_and_two_years() {
        // May 2018 end: the period must have started on or before 30 Nov 2015 (30 months
        // before), the placement on or before 31 May 2016 (24 months before); under 16.
        // C1: admitted 30 Nov 2015, never moved: in, met.
        // C2: admitted 1 Dec 2015: not in May's cohort. June (30 Jun): period on or before
        //     30 Dec 2015 and placement on or before 30 Jun 2016: in, met.
        // C3: born 31 May 2002: 16 on 31 May 2018: out.
        // C4: born 1 Jun 2002: 15 at May end: in, met (placed since 2015); 16 by June end: out.
        // C5: moved on 31 May 2016: exactly 24 months: met in May and June.
        // C6: moved on 1 Jun 2016: not met in May; met in June (on or before 30 Jun 2016).
        // C7: no date of birth: out.
        // C8: looked after 2014-2016, readmitted 1 Feb 2016: the current period is too recent.
        // May: C1 C4 C5 met, C6 not: 3 of 4. June: C1 C2 C5 C6: 4 of 4.
        let events = [
            child("C1", "2015-11-30", placed(U4)),
            child("C2", "2015-12-01", placed(U4)),
            child_born("C3", Some("2002-05-31"), "2015-01-01", placed(U4)),
            child_born("C4", Some("2002-06-01"), "2015-01-01", placed(U4)),
            child("C5", "2015-01-01", placed(U4)),
            vec![ev("C5", "p", "2016-05-31", moved(U6))],
            child("C6", "2015-01-01", placed(U4)),
            vec![ev("C6", "p", "2016-06-01", moved(U6))],
            child_born("C7", None, "2015-01-01", placed(U4)),
            child("C8", "2014-01-01", placed(U4)),
            vec![
                ev("C8", "end", "2016-01-01", ended(ReasonCeased::E4A)),
                ev("C8", "again", "2016-02-01", admitted(LegalStatus::C2)),
            ],
        ]
        .concat();
        let f = figures(&events, "2018-06");
        assert_eq!(ratio(&f, STABLE, "2018-05"), (3, Some(4)));
        assert_eq!(ratio(&f, STABLE, "2018-06"), (4, Some(4)));
        assert_eq!(
            fact(&of(&events, "C6"), STABLE, "2018-05", "placement_start"),
            FactValue::Day(date!(2016 - 06 - 01))
        );
    }

    #[test]
    fn long_term_stability_with_adoption_temporary_and_same_carer_placements() {
        // All born 2008, admitted 1 Jan 2015; May 2018: placement on or before 31 May 2016.
        // A1: U4 with H1, then A4 with H2 (adopters) from 1 Jan 2017: the adoptive placement
        //     with the one before it started 1 Jan 2015: met.
        // A2: U4, U6 from 1 Sep 2016, A4 from 1 Jan 2017: the placement before the adoptive
        //     one started 1 Sep 2016: not met.
        // A3: U6, changed to U4 with the same carer on 1 Jan 2017: one placement since 2015: met.
        // A4: U4 with H1, hospital 1 Jan 2018, back with H1 20 Jan: one placement: met.
        // A5: U4, in hospital from 20 May 2018 to month end: current placement U4 since 2015:
        //     met.
        // A6: U4 with H1, hospital 1 Jan 2018, then U4 with H2 on 20 Jan: new placement: not met.
        // 4 of 6.
        let h = |kind, carer| placement(kind, Some(Provider::PR1), Some(carer));
        let events = [
            child("A1", "2015-01-01", h(U4, "H1")),
            vec![ev("A1", "p", "2017-01-01", change(h(A4, "H2"), false))],
            child("A2", "2015-01-01", placed(U4)),
            vec![
                ev("A2", "p1", "2016-09-01", moved(U6)),
                ev("A2", "p2", "2017-01-01", moved(A4)),
            ],
            child("A3", "2015-01-01", placed(U6)),
            vec![ev("A3", "p", "2017-01-01", change(placed(U4), true))],
            child("A4", "2015-01-01", h(U4, "H1")),
            vec![
                ev("A4", "t", "2018-01-01", moved(T1)),
                ev("A4", "r", "2018-01-20", change(h(U4, "H1"), false)),
            ],
            child("A5", "2015-01-01", placed(U4)),
            vec![ev("A5", "t", "2018-05-20", moved(T1))],
            child("A6", "2015-01-01", h(U4, "H1")),
            vec![
                ev("A6", "t", "2018-01-01", moved(T1)),
                ev("A6", "n", "2018-01-20", change(h(U4, "H2"), false)),
            ],
        ]
        .concat();
        let f = figures(&events, "2018-05");
        assert_eq!(ratio(&f, STABLE, "2018-05"), (4, Some(6)));
        assert_eq!(
            fact(
                &of(&events, "A1"),
                STABLE,
                "2018-05",
                "adoptive_with_previous_start"
            ),
            FactValue::Day(date!(2015 - 01 - 01))
        );
        assert_eq!(
            fact(&of(&events, "A1"), STABLE, "2018-05", "placement_start"),
            FactValue::Day(date!(2017 - 01 - 01))
        );
        assert_eq!(
            fact(&of(&events, "A3"), STABLE, "2018-05", "placement_start"),
            FactValue::Day(date!(2015 - 01 - 01))
        );
    }
}
