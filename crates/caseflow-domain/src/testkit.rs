//! Builders for domain tests: events on one authority's children, figures summed in memory.
#![allow(dead_code)]

use std::collections::BTreeMap;

use crate::calendar::{Month, parse_day};
use crate::codes::{LegalStatus, PlacementType, Provider, ReasonCeased, Sex};
use crate::indicators::{
    Context, Evaluation, Figures, Indicator, child_contributions, evaluate_child, month_figure,
};
use crate::settings::Settings;
use crate::timeline::fold_child;
use crate::{Event, Id, La, Payload, Placement, Subject, Timestamp};

pub fn la() -> La {
    La::parse("372").unwrap()
}

pub fn subject(child: &str) -> Subject {
    Subject::child(la(), Id::parse(child).unwrap())
}

/// An event on child `child`, with `recordedAt` the noon of its day plus `seq` seconds.
pub fn ev(child: &str, id: &str, on: &str, payload: Payload) -> Event {
    let day = parse_day(on).unwrap();
    Event {
        id: Id::parse(id).unwrap(),
        subject: subject(child),
        occurred_on: day,
        recorded_at: Timestamp::from_offset(
            day.midnight().assume_utc() + time::Duration::hours(12),
        ),
        source: None,
        schema_version: 1,
        payload,
    }
}

pub fn foster() -> Placement {
    Placement {
        kind: PlacementType::U4,
        provider: Some(Provider::PR1),
        carer_id: None,
        in_area: None,
    }
}

pub fn admitted(status: LegalStatus) -> Payload {
    Payload::PeriodOfCareStarted {
        legal_status: status,
        placement: foster(),
        category_of_need: None,
    }
}

pub fn ended(reason: ReasonCeased) -> Payload {
    Payload::PeriodOfCareEnded { reason }
}

pub fn born(on: &str) -> Payload {
    Payload::ChildRegistered {
        date_of_birth: parse_day(on).unwrap(),
        sex: Some(Sex::Female),
    }
}

pub fn month(s: &str) -> Month {
    s.parse().unwrap()
}

/// Sums every child's contributions up to `horizon`.
pub fn ctx(horizon: &str) -> Context {
    // "today" is the last day of the horizon month
    Context::new(Settings::default(), month(horizon).last_day())
}

pub fn figures(events: &[Event], horizon: &str) -> Figures {
    let mut by_child: std::collections::BTreeMap<&Id, Vec<Event>> = Default::default();
    for e in events {
        by_child.entry(&e.subject.id).or_default().push(e.clone());
    }
    let mut f = Figures::default();
    for evs in by_child.values() {
        f.add(&child_contributions(&fold_child(evs), &ctx(horizon)), 1);
    }
    f
}

pub fn count(f: &Figures, ind: Indicator, m: &str) -> i64 {
    month_figure(f, ind, month(m), &Settings::default()).numerator
}

/// A placement of `kind` with provider PR1 (none for types that carry no provider).
pub fn placed(kind: PlacementType) -> Placement {
    Placement {
        kind,
        provider: (!kind.has_no_provider()).then_some(Provider::PR1),
        carer_id: None,
        in_area: None,
    }
}

/// A `placementChanged` to `kind`.
pub fn moved(kind: PlacementType) -> Payload {
    Payload::PlacementChanged {
        placement: placed(kind),
        reason: None,
        same_carer: false,
    }
}

/// Figures with non-default settings, as of `today`.
pub fn figures_with(events: &[Event], settings: &Settings, today: &str) -> Figures {
    let ctx = Context::new(settings.clone(), parse_day(today).unwrap());
    let mut by_child: BTreeMap<&Id, Vec<Event>> = BTreeMap::new();
    for e in events {
        by_child.entry(&e.subject.id).or_default().push(e.clone());
    }
    let mut f = Figures::default();
    for evs in by_child.values() {
        f.add(&child_contributions(&fold_child(evs), &ctx), 1);
    }
    f
}

/// (numerator, denominator) of `ind` in month `m`.
pub fn ratio(f: &Figures, ind: Indicator, m: &str) -> (i64, Option<i64>) {
    let fig = month_figure(f, ind, month(m), &Settings::default());
    (fig.numerator, fig.denominator)
}

/// The evaluations of one child for `ind` in month `m`, as of `today` (for drill-down facts).
pub fn evaluations(events: &[Event], ind: Indicator, m: &str, today: &str) -> Vec<Evaluation> {
    let ctx = Context::new(Settings::default(), parse_day(today).unwrap());
    evaluate_child(&fold_child(events), &ctx)
        .into_iter()
        .filter(|e| e.indicator == ind && e.month == month(m))
        .collect()
}

/// A child born on `born_on` and admitted (C2, U4) on `admitted_on`.
pub fn child(id: &str, born_on: &str, admitted_on: &str) -> Vec<Event> {
    vec![
        ev(id, &format!("{id}-b"), born_on, born(born_on)),
        ev(
            id,
            &format!("{id}-a"),
            admitted_on,
            admitted(LegalStatus::C2),
        ),
    ]
}

/// The displayed value of `ind` in month `m`.
pub fn value(f: &Figures, ind: Indicator, m: &str) -> Option<f64> {
    month_figure(f, ind, month(m), &Settings::default()).value
}

/// The fact `name` of the one evaluation of `ind` in month `m` (as of that month's end).
pub fn fact(events: &[Event], ind: Indicator, m: &str, name: &str) -> crate::indicators::FactValue {
    let found = evaluations(events, ind, m, &month(m).last_day().to_string());
    assert_eq!(found.len(), 1, "one evaluation of {ind:?} in {m}");
    found[0]
        .facts
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.clone())
        .unwrap_or_else(|| panic!("no fact {name}"))
}

/// An `eventRetracted` on `child` naming `target`.
pub fn retract(child: &str, id: &str, on: &str, target: &str) -> Event {
    ev(
        child,
        id,
        on,
        Payload::EventRetracted {
            retracted_event_id: Id::parse(target).unwrap(),
            reason: None,
        },
    )
}
