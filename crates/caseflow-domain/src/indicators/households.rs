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
    use crate::indicators::{Figures, Indicator, contributions};
    use crate::testkit::*;
    use crate::{EntityKind, Event, Id, Payload, Subject};

    fn carer(id: &str, on: &str, payload: Payload) -> Event {
        let mut e = ev("X", id, on, payload);
        e.subject = Subject::new(la(), EntityKind::Household, Id::parse("H1").unwrap());
        e
    }

    fn figures_of(events: &[Event], today: &str) -> Figures {
        let ctx = crate::indicators::Context::new(
            crate::settings::Settings::default(),
            crate::calendar::parse_day(today).unwrap(),
        );
        let mut f = Figures::default();
        f.add(&contributions(&super::evaluate_household(events, &ctx)), 1);
        f
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
}
