//! 9.3 foster-carer households at month end, 9.4 recruited, 9.5 deregistered: derived from
//! each household's own events (`caseflow.events.<la>.carer.<householdId>`).

use time::Date;

use super::{Context, Evaluation, FactValue, Indicator};
use crate::calendar::Month;
use crate::event::{Event, Payload};
use crate::timeline::{EntryStatus, resolve};

pub const DERIVES: &[Indicator] = &[
    Indicator::FosterCarers,
    Indicator::FosterCarersRecruited,
    Indicator::FosterCarersDeregistered,
];

/// A household's approval history: `(day, approved)`, in timeline order, retractions applied.
pub fn approvals<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<(Date, bool)> {
    resolve(events)
        .0
        .into_iter()
        .filter(|e| e.status == EntryStatus::Applied)
        .filter_map(|e| match e.event.payload {
            Payload::FosterCarerApproved { .. } => Some((e.event.occurred_on, true)),
            Payload::FosterCarerDeregistered { .. } => Some((e.event.occurred_on, false)),
            _ => None,
        })
        .collect()
}

/// Every evaluation of a household up to the horizon. A household counts at a month end when
/// its latest approval or deregistration on or before that day is an approval (so a household
/// deregistered and approved again counts again).
pub fn evaluate_household<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    ctx: &Context,
) -> Vec<Evaluation> {
    let history = approvals(events);
    let mut out = Vec::new();
    for &(day, approved) in &history {
        let month = Month::of(day);
        if month > ctx.horizon {
            continue;
        }
        let (indicator, name) = if approved {
            (Indicator::FosterCarersRecruited, "approved")
        } else {
            (Indicator::FosterCarersDeregistered, "deregistered")
        };
        out.push(Evaluation::count(indicator, month).day(name, Some(day)));
    }
    let Some(&(first, _)) = history.iter().find(|(_, approved)| *approved) else {
        return out;
    };
    for month in Month::of(first).through(ctx.horizon) {
        let end = month.last_day();
        let latest = history.iter().take_while(|(d, _)| *d <= end).last();
        if let Some(&(since, true)) = latest {
            out.push(
                Evaluation::count(Indicator::FosterCarers, month)
                    .day("approved", Some(since))
                    .fact("status", FactValue::Code("approved")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::indicators::{Context, Evaluation, FactValue, Figures, Indicator, contributions};
    use crate::settings::Settings;
    use crate::testkit::*;
    use crate::{EntityKind, Event, Id, Payload, Subject, Timestamp};

    const HOUSEHOLDS: Indicator = Indicator::FosterCarers;
    const RECRUITED: Indicator = Indicator::FosterCarersRecruited;
    const DEREGISTERED: Indicator = Indicator::FosterCarersDeregistered;

    /// An event of household `H1`.
    fn carer(id: &str, on: &str, payload: Payload) -> Event {
        of_household("H1", id, on, payload)
    }

    /// An event of `household`, recorded at noon of its day.
    fn of_household(household: &str, id: &str, on: &str, payload: Payload) -> Event {
        let mut e = ev("X", id, on, payload);
        e.subject = Subject::new(la(), EntityKind::Household, Id::parse(household).unwrap());
        e
    }

    fn approved(places: u8) -> Payload {
        Payload::FosterCarerApproved {
            places,
            connected: false,
        }
    }

    fn deregistered() -> Payload {
        Payload::FosterCarerDeregistered { reason: None }
    }

    fn retraction(target: &str) -> Payload {
        Payload::EventRetracted {
            retracted_event_id: Id::parse(target).unwrap(),
            reason: None,
        }
    }

    fn context(today: &str) -> Context {
        Context::new(
            Settings::default(),
            crate::calendar::parse_day(today).unwrap(),
        )
    }

    /// Every household's evaluations as of `today`, summed (each household on its own).
    fn figures_of(events: &[Event], today: &str) -> Figures {
        let mut by_household: BTreeMap<&Subject, Vec<&Event>> = BTreeMap::new();
        for e in events {
            by_household.entry(&e.subject).or_default().push(e);
        }
        let mut f = Figures::default();
        for household in by_household.into_values() {
            let evaluations = super::evaluate_household(household, &context(today));
            f.add(&contributions(&evaluations), 1);
        }
        f
    }

    /// 9.3, 9.4 and 9.5 in month `m`.
    fn in_month(f: &Figures, m: &str) -> (i64, i64, i64) {
        (
            count(f, HOUSEHOLDS, m),
            count(f, RECRUITED, m),
            count(f, DEREGISTERED, m),
        )
    }

    #[test]
    fn approvals_and_deregistrations_by_month() {
        let approved = Payload::FosterCarerApproved {
            places: 2,
            connected: false,
        };
        let deregistered = Payload::FosterCarerDeregistered { reason: None };
        // Approved 31 March 2018 (counts at the end of March: on or before month end),
        // deregistered 30 April, approved again 2 June.
        let events = [
            carer("a", "2018-03-31", approved.clone()),
            carer("d", "2018-04-30", deregistered.clone()),
            carer("b", "2018-06-02", approved),
        ];
        let f = figures_of(&events, "2018-06-30");
        for (m, households) in [
            ("2018-02", 0),
            ("2018-03", 1),
            ("2018-04", 0),
            ("2018-05", 0),
            ("2018-06", 1),
        ] {
            assert_eq!(count(&f, Indicator::FosterCarers, m), households, "{m}");
        }
        assert_eq!(count(&f, Indicator::FosterCarersRecruited, "2018-03"), 1);
        assert_eq!(count(&f, Indicator::FosterCarersRecruited, "2018-06"), 1);
        assert_eq!(count(&f, Indicator::FosterCarersDeregistered, "2018-04"), 1);

        // Retracting the deregistration: the household is approved throughout.
        let mut retracted = events.to_vec();
        retracted.push(carer(
            "x",
            "2018-05-01",
            Payload::EventRetracted {
                retracted_event_id: Id::parse("d").unwrap(),
                reason: None,
            },
        ));
        let f = figures_of(&retracted, "2018-06-30");
        assert_eq!(count(&f, Indicator::FosterCarers, "2018-04"), 1);
        assert_eq!(count(&f, Indicator::FosterCarersDeregistered, "2018-04"), 0);
    }

    #[test]
    fn a_household_approved_twice_is_one_household_and_two_approvals() {
        // H1 approved 10 January 2018 and approved again (with more places) on 15 February,
        // without a deregistration between; H2 approved 20 February. 9.3 counts households,
        // 9.4 every approval dated in the month.
        let events = [
            carer("a1", "2018-01-10", approved(1)),
            carer("a2", "2018-02-15", approved(3)),
            of_household("H2", "a1", "2018-02-20", approved(2)),
        ];
        let f = figures_of(&events, "2018-03-31");
        assert_eq!(in_month(&f, "2017-12"), (0, 0, 0));
        assert_eq!(in_month(&f, "2018-01"), (1, 1, 0));
        assert_eq!(in_month(&f, "2018-02"), (2, 2, 0), "H1 once, H2");
        assert_eq!(in_month(&f, "2018-03"), (2, 0, 0));
    }

    #[test]
    fn a_deregistration_and_a_re_approval_in_one_month() {
        // H1: approved 5 March 2018, deregistered 12 March, approved again 26 March: at the
        // end of March its latest is the approval, so it counts; March has two approvals and
        // one deregistration. H2: approved 5 March, deregistered 28 March: not at March's end.
        let events = [
            carer("a1", "2018-03-05", approved(2)),
            carer("d1", "2018-03-12", deregistered()),
            carer("a2", "2018-03-26", approved(2)),
            of_household("H2", "a1", "2018-03-05", approved(1)),
            of_household("H2", "d1", "2018-03-28", deregistered()),
        ];
        let f = figures_of(&events, "2018-04-30");
        assert_eq!(in_month(&f, "2018-02"), (0, 0, 0));
        assert_eq!(in_month(&f, "2018-03"), (1, 3, 2));
        assert_eq!(in_month(&f, "2018-04"), (1, 0, 0));
        // The household at the end of March is H1, approved since 26 March.
        let h1 = &events[..3];
        let march: Vec<Evaluation> = super::evaluate_household(h1, &context("2018-04-30"))
            .into_iter()
            .filter(|e| e.indicator == HOUSEHOLDS && e.month == month("2018-03"))
            .collect();
        assert_eq!(march.len(), 1);
        let day = crate::calendar::parse_day("2018-03-26").unwrap();
        assert_eq!(march[0].facts[0].value, FactValue::Day(day));
        assert_eq!(march[0].facts[1].value, FactValue::Code("approved"));
    }

    #[test]
    fn on_one_day_the_later_recorded_of_a_deregistration_and_an_approval_stands() {
        // Both approved 1 January 2018. On 30 April each is deregistered and approved again:
        // H1 records the deregistration at 09:00 and the approval at 15:00 (approved at the end
        // of April), H2 the other way round (deregistered at the end of April).
        let at = |mut e: Event, hour: i64| {
            e.recorded_at = Timestamp(e.recorded_at.0 + (hour - 12) * 3_600_000_000_000);
            e
        };
        let events = [
            carer("a1", "2018-01-01", approved(2)),
            at(carer("d1", "2018-04-30", deregistered()), 9),
            at(carer("a2", "2018-04-30", approved(2)), 15),
            of_household("H2", "a1", "2018-01-01", approved(2)),
            at(of_household("H2", "d1", "2018-04-30", deregistered()), 15),
            at(of_household("H2", "a2", "2018-04-30", approved(2)), 9),
        ];
        let f = figures_of(&events, "2018-05-31");
        assert_eq!(in_month(&f, "2018-03"), (2, 0, 0));
        assert_eq!(in_month(&f, "2018-04"), (1, 2, 2));
        assert_eq!(in_month(&f, "2018-05"), (1, 0, 0));
        // Which one: H1.
        let h1 = figures_of(&events[..3], "2018-05-31");
        assert_eq!(in_month(&h1, "2018-04"), (1, 1, 1));
        let h2 = figures_of(&events[3..], "2018-05-31");
        assert_eq!(in_month(&h2, "2018-04"), (0, 1, 1));
        assert_eq!(in_month(&h2, "2018-05"), (0, 0, 0));
    }

    #[test]
    fn a_deregistration_with_no_approval_counts_only_as_a_deregistration() {
        // H1's approval predates the stream: only its deregistration on 10 May 2018 is known.
        let events = [carer("d1", "2018-05-10", deregistered())];
        let f = figures_of(&events, "2018-06-30");
        assert_eq!(in_month(&f, "2018-04"), (0, 0, 0));
        assert_eq!(in_month(&f, "2018-05"), (0, 0, 1));
        assert_eq!(in_month(&f, "2018-06"), (0, 0, 0));
    }

    #[test]
    fn retractions_remove_approvals_and_retracting_them_restores() {
        // H1 approved 10 January 2018; x1 (2 February) retracts the approval: no household,
        // no recruitment.
        let approval = carer("a1", "2018-01-10", approved(2));
        let x1 = carer("x1", "2018-02-02", retraction("a1"));
        let f = figures_of(&[approval.clone(), x1.clone()], "2018-03-31");
        for m in ["2018-01", "2018-02", "2018-03"] {
            assert_eq!(in_month(&f, m), (0, 0, 0), "{m}");
        }
        // x2 retracts x1: the approval is back, January to March.
        let x2 = carer("x2", "2018-02-03", retraction("x1"));
        let f = figures_of(&[approval.clone(), x1, x2], "2018-03-31");
        assert_eq!(in_month(&f, "2018-01"), (1, 1, 0));
        assert_eq!(in_month(&f, "2018-03"), (1, 0, 0));
        // A retraction naming an unknown event, and two retracting each other, change nothing.
        let events = [
            approval,
            carer("x3", "2018-02-04", retraction("nope")),
            carer("x4", "2018-02-05", retraction("x5")),
            carer("x5", "2018-02-05", retraction("x4")),
            carer("d1", "2018-03-15", deregistered()),
        ];
        let f = figures_of(&events, "2018-03-31");
        assert_eq!(in_month(&f, "2018-01"), (1, 1, 0));
        assert_eq!(in_month(&f, "2018-02"), (1, 0, 0));
        assert_eq!(in_month(&f, "2018-03"), (0, 0, 1));
    }

    #[test]
    fn nothing_counts_beyond_the_month_of_today() {
        // H1 approved 15 January 2018 and deregistered 15 June; H2 approved 2 June.
        let events = [
            carer("a1", "2018-01-15", approved(2)),
            carer("d1", "2018-06-15", deregistered()),
            of_household("H2", "a1", "2018-06-02", approved(1)),
        ];
        // As of 31 May, May is the last month derived: H1 at its end, June has nothing.
        let may = figures_of(&events, "2018-05-31");
        assert_eq!(in_month(&may, "2018-05"), (1, 0, 0));
        assert_eq!(in_month(&may, "2018-06"), (0, 0, 0));
        // As of 30 June: H2 at June's end (H1 deregistered), one approval, one deregistration;
        // July is beyond the horizon, although H2 is still approved.
        let june = figures_of(&events, "2018-06-30");
        assert_eq!(in_month(&june, "2018-05"), (1, 0, 0));
        assert_eq!(in_month(&june, "2018-06"), (1, 1, 1));
        assert_eq!(in_month(&june, "2018-07"), (0, 0, 0));
    }
}
