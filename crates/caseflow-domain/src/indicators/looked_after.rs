//! 6.1 looked after at month end (with its breakdowns), 6.3 admissions, 6.4 ceased, and the
//! shares of those ceased: 6.5 permanence, 6.6 special guardianship, 6.8 adoption.

use time::Date;

use super::{
    Category, Context, Dimension, Evaluation, FactValue, Indicator, Sink, current_placement,
    looked_after_month_ends,
};
use crate::calendar::{AgeBand, Month, age_on};
use crate::timeline::{ChildTimeline, PeriodOfCare};

pub const DERIVES: &[Indicator] = &[
    Indicator::LookedAfter,
    Indicator::Admissions,
    Indicator::Ceased,
    Indicator::CeasedPermanence,
    Indicator::CeasedSgo,
    Indicator::Adopted,
];

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    for period in tl.counted_periods() {
        let first = Month::of(period.start);
        if first <= ctx.horizon {
            out.push(
                Evaluation::count(Indicator::Admissions, first).day("admitted", Some(period.start)),
            );
        }
        if let (Some(end), Some(reason)) = (period.end, period.end_reason) {
            let month = Month::of(end);
            if month <= ctx.horizon {
                let ceased = |indicator, met| {
                    Evaluation::ratio(indicator, month, met)
                        .day("ceased", Some(end))
                        .fact("reason", FactValue::Code(reason.code()))
                };
                out.push(
                    Evaluation::count(Indicator::Ceased, month)
                        .day("ceased", Some(end))
                        .fact("reason", FactValue::Code(reason.code())),
                );
                out.push(ceased(Indicator::CeasedPermanence, reason.is_permanence()));
                out.push(ceased(
                    Indicator::CeasedSgo,
                    reason.is_special_guardianship(),
                ));
                out.push(ceased(Indicator::Adopted, reason.is_adoption()));
            }
        }
        for (month, day) in looked_after_month_ends(period, ctx.horizon) {
            let mut e = Evaluation::count(Indicator::LookedAfter, month)
                .day("period_start", Some(period.start));
            e.categories = categories(tl, period, day).into();
            out.push(e);
        }
    }
}

/// The breakdown categories of a child looked after on `day` in `period`.
fn categories(tl: &ChildTimeline, period: &PeriodOfCare, day: Date) -> [Category; 5] {
    let age = tl.date_of_birth.map(|b| AgeBand::of_age(age_on(b, day)));
    let status = period.legal_status_on(day);
    let placement = current_placement(period, day);
    [
        age.map_or(Category::Unknown(Dimension::AgeBand), Category::AgeBand),
        status.map_or(
            Category::Unknown(Dimension::LegalStatus),
            Category::LegalStatus,
        ),
        placement.map_or(Category::Unknown(Dimension::PlacementType), |p| {
            Category::PlacementType(p.placement.kind)
        }),
        placement
            .and_then(|p| p.placement.provider)
            .map_or(Category::Unknown(Dimension::Provider), Category::Provider),
        tl.sex
            .map_or(Category::Unknown(Dimension::Sex), Category::Sex),
    ]
}

#[cfg(test)]
mod tests {
    use crate::calendar::AgeBand;
    use crate::codes::{LegalStatus, PlacementType, Provider, ReasonCeased, Sex};
    use crate::indicators::{Category, Dimension, FactValue, Indicator, month_figure};
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::{Event, Payload, Placement};

    const LAC: Indicator = Indicator::LookedAfter;
    const ADMITTED: Indicator = Indicator::Admissions;
    const CEASED: Indicator = Indicator::Ceased;
    const PERMANENCE: Indicator = Indicator::CeasedPermanence;
    const SGO: Indicator = Indicator::CeasedSgo;
    const ADOPTED: Indicator = Indicator::Adopted;

    /// A child born 1 January 2008, admitted (C2) on `from` and discharged on `to` with
    /// `reason`.
    fn stay(id: &str, from: &str, to: &str, reason: ReasonCeased) -> Vec<Event> {
        let mut events = child(id, "2008-01-01", from);
        events.push(ev(id, &format!("{id}-d"), to, ended(reason)));
        events
    }

    #[test]
    fn every_reason_ceased_counts_in_6_4_and_in_the_shares_its_group_names() {
        // One child per REC code, each admitted Monday 8 January 2018 and discharged in June
        // 2018. From INDICATORS.md: 6.5 (permanence) is E11, E12, E41, E43-E48; 6.6 (special
        // guardianship) E43-E48; 6.8 (adopted) E11, E12. Returned home (E4A, E4B), died (E2),
        // another LA (E3) and the rest are in none. (code, in 6.5, in 6.6, in 6.8):
        let groups: [(&str, bool, bool, bool); 23] = [
            ("E11", true, false, true),
            ("E12", true, false, true),
            ("E13", false, false, false),
            ("E14", false, false, false),
            ("E15", false, false, false),
            ("E16", false, false, false),
            ("E17", false, false, false),
            ("E2", false, false, false),
            ("E3", false, false, false),
            ("E41", true, false, false),
            ("E43", true, true, false),
            ("E44", true, true, false),
            ("E45", true, true, false),
            ("E46", true, true, false),
            ("E47", true, true, false),
            ("E48", true, true, false),
            ("E4A", false, false, false),
            ("E4B", false, false, false),
            ("E5", false, false, false),
            ("E6", false, false, false),
            ("E7", false, false, false),
            ("E8", false, false, false),
            ("E9", false, false, false),
        ];
        assert_eq!(
            groups.len(),
            ReasonCeased::ALL.len(),
            "every code is listed"
        );
        let mut everyone = Vec::new();
        for (i, (code, permanence, sgo, adopted)) in groups.iter().enumerate() {
            let reason = ReasonCeased::parse(code).unwrap();
            // Discharged on 1 to 23 June: the day does not matter within the month.
            let events = stay(code, "2018-01-08", &format!("2018-06-{:02}", i + 1), reason);
            for (indicator, member) in [(PERMANENCE, permanence), (SGO, sgo), (ADOPTED, adopted)] {
                let found = evaluations(&events, indicator, "2018-06", "2018-06-30");
                assert_eq!(found.len(), 1, "{code} {indicator:?}");
                assert_eq!(
                    (found[0].numerator, found[0].denominator),
                    (i64::from(*member), 1),
                    "{code} in {indicator:?}"
                );
                assert_eq!(found[0].facts[1].value, FactValue::Code(code));
            }
            everyone.extend(events);
        }
        let f = figures(&everyone, "2018-06");
        // 23 admissions in January, 23 discharges in June: looked after at the end of January
        // to May, none at the end of June.
        assert_eq!(count(&f, ADMITTED, "2018-01"), 23);
        assert_eq!(count(&f, LAC, "2018-05"), 23);
        assert_eq!(count(&f, CEASED, "2018-06"), 23);
        assert_eq!(count(&f, LAC, "2018-06"), 0);
        // E11, E12, E41, E43, E44, E45, E46, E47, E48: 9 of 23.
        assert_eq!(ratio(&f, PERMANENCE, "2018-06"), (9, Some(23)));
        // E43-E48: 6 of 23.
        assert_eq!(ratio(&f, SGO, "2018-06"), (6, Some(23)));
        // E11, E12: 2 of 23, shown 8.7%.
        assert_eq!(ratio(&f, ADOPTED, "2018-06"), (2, Some(23)));
        assert_eq!(
            value(&f, ADOPTED, "2018-06").map(|v| (v * 10.0).round() / 10.0),
            Some(8.7)
        );
        // No discharge in May: the shares have a zero denominator and no value.
        assert_eq!(ratio(&f, PERMANENCE, "2018-05"), (0, Some(0)));
        assert_eq!(value(&f, PERMANENCE, "2018-05"), None);
    }

    #[test]
    fn an_empty_period_is_an_admission_and_a_discharge_but_never_looked_after() {
        // C1 admitted and discharged (E13) on 31 May 2018: the period [31 May, 31 May) holds no
        // day. C2 admitted on 31 May and still looked after: in 6.1 for May, its first month.
        let mut events = stay("C1", "2018-05-31", "2018-05-31", ReasonCeased::E13);
        events.extend(child("C2", "2010-01-01", "2018-05-31"));
        let f = figures(&events, "2018-06");
        assert_eq!(count(&f, ADMITTED, "2018-05"), 2);
        assert_eq!(count(&f, CEASED, "2018-05"), 1);
        assert_eq!(ratio(&f, PERMANENCE, "2018-05"), (0, Some(1)));
        assert_eq!(count(&f, LAC, "2018-04"), 0);
        assert_eq!(count(&f, LAC, "2018-05"), 1, "C2 only");
        assert_eq!(count(&f, LAC, "2018-06"), 1);
    }

    #[test]
    fn flows_count_in_the_month_of_their_day_and_not_beyond_the_horizon() {
        // Admitted 15 March 2018, adopted (E11) on 2 July 2018; C2 admitted 3 August 2018.
        let mut events = stay("C1", "2018-03-15", "2018-07-02", ReasonCeased::E11);
        events.extend(child("C2", "2010-01-01", "2018-08-03"));
        // As of 30 June the discharge is in the future: nothing ceases in July yet, and C1 is
        // looked after at the end of June (the period runs to 1 July).
        let june = figures(&events, "2018-06");
        assert_eq!(count(&june, ADMITTED, "2018-03"), 1);
        assert_eq!(count(&june, LAC, "2018-06"), 1);
        assert_eq!(count(&june, CEASED, "2018-07"), 0);
        assert_eq!(ratio(&june, ADOPTED, "2018-07"), (0, Some(0)));
        // As of 31 July: July has the discharge and its shares; C2's August admission is
        // beyond the horizon.
        let july = figures(&events, "2018-07");
        assert_eq!(count(&july, CEASED, "2018-07"), 1);
        assert_eq!(ratio(&july, PERMANENCE, "2018-07"), (1, Some(1)));
        assert_eq!(ratio(&july, SGO, "2018-07"), (0, Some(1)));
        assert_eq!(ratio(&july, ADOPTED, "2018-07"), (1, Some(1)));
        assert_eq!(count(&july, LAC, "2018-07"), 0);
        assert_eq!(count(&july, ADMITTED, "2018-08"), 0);
        // As of 31 August, C2 is admitted and looked after.
        let august = figures(&events, "2018-08");
        assert_eq!(count(&august, ADMITTED, "2018-08"), 1);
        assert_eq!(count(&august, LAC, "2018-08"), 1);
    }

    #[test]
    fn shares_of_those_ceased_sum_over_the_financial_year_to_date() {
        // FY 2017/18: C4 adopted (E12) in March 2018. FY 2018/19: C1 adopted (E11) and C2
        // returned home (E4A) in April, C3 to special guardians (E45) in May.
        let mut events = stay("C4", "2017-06-01", "2018-03-20", ReasonCeased::E12);
        events.extend(stay("C1", "2017-06-01", "2018-04-10", ReasonCeased::E11));
        events.extend(stay("C2", "2017-06-01", "2018-04-11", ReasonCeased::E4A));
        events.extend(stay("C3", "2017-06-01", "2018-05-12", ReasonCeased::E45));
        let f = figures(&events, "2018-05");
        let figure = |indicator, m| month_figure(&f, indicator, month(m), &Settings::default());
        // May alone: 1 of 1 ceased through permanence (E45), the YTD April-May 2 of 3 (E11,
        // E45); March's E12 is in the year before.
        let may = figure(PERMANENCE, "2018-05");
        assert_eq!((may.numerator, may.denominator), (1, Some(1)));
        assert_eq!(may.ytd, Some((2, Some(3))));
        assert_eq!(figure(SGO, "2018-05").ytd, Some((1, Some(3))));
        assert_eq!(figure(ADOPTED, "2018-05").ytd, Some((1, Some(3))));
        assert_eq!(figure(CEASED, "2018-05").ytd, Some((3, None)));
        // April: 1 of 2 (E11 of E11, E4A), 50%.
        let april = figure(PERMANENCE, "2018-04");
        assert_eq!((april.numerator, april.denominator), (1, Some(2)));
        assert_eq!(april.value, Some(50.0));
        // March, the last month of 2017/18: 1 of 1 adopted, for the month and the year.
        let march = figure(ADOPTED, "2018-03");
        assert_eq!(march.ytd, Some((1, Some(1))));
    }

    #[test]
    fn short_break_periods_count_in_no_flow_and_an_ordinary_readmission_does() {
        // 1-10 April 2018 a short break (V3), E8; then admitted (C1) 15 April and to a
        // residence order (E41) on 20 May.
        let events = [
            ev("C1", "b", "2008-01-01", born("2008-01-01")),
            ev("C1", "a1", "2018-04-01", admitted(LegalStatus::V3)),
            ev("C1", "d1", "2018-04-10", ended(ReasonCeased::E8)),
            ev("C1", "a2", "2018-04-15", admitted(LegalStatus::C1)),
            ev("C1", "d2", "2018-05-20", ended(ReasonCeased::E41)),
        ];
        let f = figures(&events, "2018-05");
        assert_eq!(
            count(&f, ADMITTED, "2018-04"),
            1,
            "the ordinary period only"
        );
        assert_eq!(
            count(&f, CEASED, "2018-04"),
            0,
            "the short break's end is not counted"
        );
        assert_eq!(count(&f, LAC, "2018-04"), 1);
        assert_eq!(count(&f, CEASED, "2018-05"), 1);
        assert_eq!(ratio(&f, PERMANENCE, "2018-05"), (1, Some(1)));
        assert_eq!(ratio(&f, SGO, "2018-05"), (0, Some(1)));
        assert_eq!(ratio(&f, ADOPTED, "2018-05"), (0, Some(1)));
        assert_eq!(count(&f, LAC, "2018-05"), 0);
    }

    #[test]
    fn breakdown_categories_are_read_on_the_month_end() {
        // C1: born 15 July 2012, male; admitted 10 March 2018 (C1, U4 with PR1); moved to a
        // children's home (K2, PR4) on 20 May; in hospital (T1) from 25 May; placement order
        // (E1) on 31 May. At 31 May: aged 5 (5-9), E1 (dated on the month end), K2 and PR4
        // (the temporary placement does not count), M.
        // C2: never registered; admitted 2 May (C2) to a temporary placement (T0): age band,
        // placement type, provider and sex unknown.
        // C3: born 1 May 2018 (female, as `born` records); admitted 3 May (V2) to Z1, which has
        // no provider: under 1, V2, Z1, provider unknown, F.
        let z1 = Placement {
            kind: PlacementType::Z1,
            provider: None,
            carer_id: None,
            in_area: None,
        };
        let events = [
            ev(
                "C1",
                "b",
                "2012-07-15",
                Payload::ChildRegistered {
                    date_of_birth: time::macros::date!(2012 - 07 - 15),
                    sex: Some(Sex::Male),
                },
            ),
            ev("C1", "a", "2018-03-10", admitted(LegalStatus::C1)),
            ev("C1", "p1", "2018-05-20", moved(PlacementType::K2)),
            ev("C1", "p2", "2018-05-25", moved(PlacementType::T1)),
            ev(
                "C1",
                "s",
                "2018-05-31",
                Payload::LegalStatusChanged {
                    legal_status: LegalStatus::E1,
                },
            ),
            ev(
                "C2",
                "a",
                "2018-05-02",
                Payload::PeriodOfCareStarted {
                    legal_status: LegalStatus::C2,
                    placement: placed(PlacementType::T0),
                    category_of_need: None,
                },
            ),
            ev("C3", "b", "2018-05-01", born("2018-05-01")),
            ev(
                "C3",
                "a",
                "2018-05-03",
                Payload::PeriodOfCareStarted {
                    legal_status: LegalStatus::V2,
                    placement: z1,
                    category_of_need: None,
                },
            ),
        ];
        // `moved` places with PR1; C1's children's home is PR4.
        let mut events = events.to_vec();
        if let Payload::PlacementChanged { placement, .. } = &mut events[2].payload {
            placement.provider = Some(Provider::PR4);
        }
        let f = figures(&events, "2018-05");
        let may = |d| f.breakdown(LAC, month("2018-05"), d);
        assert_eq!(count(&f, LAC, "2018-05"), 3);
        assert_eq!(
            may(Dimension::AgeBand),
            [
                (Category::AgeBand(AgeBand::Under1), 1),
                (Category::AgeBand(AgeBand::From5To9), 1),
                (Category::Unknown(Dimension::AgeBand), 1),
            ]
        );
        assert_eq!(
            may(Dimension::LegalStatus),
            [
                (Category::LegalStatus(LegalStatus::C2), 1),
                (Category::LegalStatus(LegalStatus::E1), 1),
                (Category::LegalStatus(LegalStatus::V2), 1),
            ]
        );
        assert_eq!(
            may(Dimension::PlacementType),
            [
                (Category::PlacementType(PlacementType::K2), 1),
                (Category::PlacementType(PlacementType::Z1), 1),
                (Category::Unknown(Dimension::PlacementType), 1),
            ]
        );
        assert_eq!(
            may(Dimension::Provider),
            [
                (Category::Provider(Provider::PR4), 1),
                (Category::Unknown(Dimension::Provider), 2),
            ]
        );
        assert_eq!(
            may(Dimension::Sex),
            [
                (Category::Sex(Sex::Male), 1),
                (Category::Sex(Sex::Female), 1),
                (Category::Unknown(Dimension::Sex), 1),
            ]
        );
        // At the end of April only C1, then C1 (legal status), U4 with PR1.
        let april = |d| f.breakdown(LAC, month("2018-04"), d);
        assert_eq!(count(&f, LAC, "2018-04"), 1);
        assert_eq!(
            april(Dimension::LegalStatus),
            [(Category::LegalStatus(LegalStatus::C1), 1)]
        );
        assert_eq!(
            april(Dimension::PlacementType),
            [(Category::PlacementType(PlacementType::U4), 1)]
        );
        assert_eq!(
            april(Dimension::Provider),
            [(Category::Provider(Provider::PR1), 1)]
        );
    }

    #[test]
    fn drill_down_facts_name_the_days_and_the_reason() {
        // Admitted 14 May 2018, to special guardians (E45) on 20 June.
        let events = stay("C1", "2018-05-14", "2018-06-20", ReasonCeased::E45);
        let day = |s: &str| FactValue::Day(crate::calendar::parse_day(s).unwrap());
        assert_eq!(
            fact(&events, ADMITTED, "2018-05", "admitted"),
            day("2018-05-14")
        );
        assert_eq!(
            fact(&events, LAC, "2018-05", "period_start"),
            day("2018-05-14")
        );
        for indicator in [CEASED, PERMANENCE, SGO, ADOPTED] {
            assert_eq!(
                fact(&events, indicator, "2018-06", "ceased"),
                day("2018-06-20")
            );
            assert_eq!(
                fact(&events, indicator, "2018-06", "reason"),
                FactValue::Code("E45")
            );
        }
    }
}
