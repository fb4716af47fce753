//! 11.1 agency workers, 11.4 maximum caseload, 11.5 average cases per qualified worker, and
//! the team-group breakdown of 6.1: a join of children's allocations with workers' records.
//!
//! Unlike the other families these depend on two kinds of subject at once, so they cannot be
//! per-child cells. Each subject instead yields its month-end facts on its own: a child the
//! worker holding its case at each month end ([`month_end_cases`]), a worker its record at
//! each month end ([`worker_month_ends`]). The projector keeps those (counts of cases per
//! worker and month, records per worker and month), and a month's caseloads are their join
//! ([`join`]), a read of about one row per worker; [`MonthEnds`] gathers the same in memory
//! for "as known at". [`caseloads`] computes them straight from timelines, independently, for
//! tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use super::{Indicator, MonthFigure, value_in};
use crate::calendar::Month;
use crate::event::{Event, Id, Payload};
use crate::settings::Settings;
use crate::timeline::{ChildTimeline, EntryStatus, resolve};

pub const DERIVES: &[Indicator] = &[
    Indicator::AgencyWorkers,
    Indicator::MaxCaseload,
    Indicator::AverageCaseload,
];

/// A social worker's record on one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerState {
    pub team: String,
    pub fte: f64,
    pub qualified: bool,
    pub agency: bool,
    pub asye: bool,
}

/// The worker's record on `day`: joined on or before it and not left since (events in timeline
/// order, retractions applied; a later `socialWorkerJoined` starts a new record).
pub fn worker_on(events: &[Event], day: Date) -> Option<WorkerState> {
    let mut state: Option<WorkerState> = None;
    for entry in resolve(events).0 {
        if entry.status == EntryStatus::Applied && entry.event.occurred_on <= day {
            apply_worker_event(&mut state, &entry.event.payload);
        }
    }
    state
}

/// Moves a worker's record on by one event.
fn apply_worker_event(state: &mut Option<WorkerState>, payload: &Payload) {
    match payload {
        Payload::SocialWorkerJoined {
            team,
            fte,
            qualified,
            agency,
            asye,
        } => {
            *state = Some(WorkerState {
                team: team.clone(),
                fte: *fte,
                qualified: *qualified,
                agency: *agency,
                asye: *asye,
            })
        }
        Payload::SocialWorkerChanged {
            team,
            fte,
            qualified,
            agency,
            asye,
        } => {
            if let Some(s) = state.as_mut() {
                if let Some(t) = team {
                    s.team = t.clone();
                }
                s.fte = fte.unwrap_or(s.fte);
                s.qualified = qualified.unwrap_or(s.qualified);
                s.agency = agency.unwrap_or(s.agency);
                s.asye = asye.unwrap_or(s.asye);
            }
        }
        Payload::SocialWorkerLeft => *state = None,
        _ => {}
    }
}

/// The worker's record at each month end from the month of its first event to `horizon`
/// (months when it was not on the books are left out): [`worker_on`] at every month end, in
/// one pass.
pub fn worker_month_ends<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    horizon: Month,
) -> Vec<(Month, WorkerState)> {
    let entries: Vec<_> = resolve(events)
        .0
        .into_iter()
        .filter(|e| e.status == EntryStatus::Applied)
        .collect();
    // Timeline order is by occurrence, so a cursor walks the entries once.
    let Some(first) = entries.iter().map(|e| e.event.occurred_on).min() else {
        return Vec::new();
    };
    let mut state = None;
    let mut next = 0;
    let mut out = Vec::new();
    for month in Month::of(first).through(horizon) {
        let day = month.last_day();
        while let Some(entry) = entries.get(next).filter(|e| e.event.occurred_on <= day) {
            apply_worker_event(&mut state, &entry.event.payload);
            next += 1;
        }
        if let Some(s) = &state {
            out.push((month, s.clone()));
        }
    }
    out
}

/// The child's cases at each month end from its first period of care to `horizon`: one entry
/// per month end it was looked after (short breaks excluded), with the worker holding the
/// case then ([`case_worker_on`]), if any.
pub fn month_end_cases(tl: &ChildTimeline, horizon: Month) -> Vec<(Month, Option<Id>)> {
    let Some(first) = tl.periods.iter().map(|p| p.start).min() else {
        return Vec::new();
    };
    Month::of(first)
        .through(horizon)
        .filter_map(|month| {
            let day = month.last_day();
            tl.period_on(day).filter(|p| !p.short_break)?;
            Some((month, case_worker_on(tl, day).cloned()))
        })
        .collect()
}

/// The worker holding a child's case on `day`: the latest `caseAllocated` on or before it,
/// when the child is looked after that day (short breaks excluded).
pub fn case_worker_on(tl: &ChildTimeline, day: Date) -> Option<&Id> {
    tl.period_on(day).filter(|p| !p.short_break)?;
    tl.allocations
        .iter()
        .take_while(|a| a.on <= day)
        .last()
        .map(|a| &a.value)
}

/// One worker's caseload at a month end.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerCaseload {
    pub worker: Id,
    pub state: WorkerState,
    /// The team group of the worker's team, if any.
    pub group: Option<String>,
    pub cases: i64,
}

impl WorkerCaseload {
    /// Counted for 11.x: qualified and holding at least one case (joined and not left is
    /// implied by having a state).
    pub fn counted(&self) -> bool {
        self.state.qualified && self.cases > 0
    }
}

/// Caseloads of an authority at one month end.
#[derive(Clone, Debug, PartialEq)]
pub struct Caseloads {
    pub month: Month,
    pub workers: Vec<WorkerCaseload>,
    /// Children looked after at month end per team group of their worker; `None` collects
    /// children with no allocation, or allocated to a worker not on the books or in no group.
    pub children_by_group: BTreeMap<Option<String>, i64>,
}

/// The group `team` belongs to.
fn group_of(settings: &Settings, team: &str) -> Option<String> {
    settings
        .team_groups
        .iter()
        .find(|(_, teams)| teams.iter().any(|t| t == team))
        .map(|(name, _)| name.clone())
}

/// Computes the caseloads at the end of `month` from timelines and workers' events.
pub fn caseloads<'a>(
    month: Month,
    children: impl IntoIterator<Item = &'a ChildTimeline>,
    workers: &BTreeMap<Id, Vec<Event>>,
    settings: &Settings,
) -> Caseloads {
    let day = month.last_day();
    let states: BTreeMap<Id, WorkerState> = workers
        .iter()
        .filter_map(|(id, events)| worker_on(events, day).map(|s| (id.clone(), s)))
        .collect();
    let mut cases: BTreeMap<Option<Id>, i64> = BTreeMap::new();
    for tl in children {
        if tl.period_on(day).is_none_or(|p| p.short_break) {
            continue;
        }
        *cases.entry(case_worker_on(tl, day).cloned()).or_default() += 1;
    }
    join(month, &cases, states, settings)
}

/// The caseloads at the end of `month` from the children looked after then, counted by the
/// worker holding their case (`None`: not allocated), and the records of the workers on the
/// books then. Children allocated to someone not on the books count in no team group and in
/// no worker's caseload.
pub fn join(
    month: Month,
    cases: &BTreeMap<Option<Id>, i64>,
    states: BTreeMap<Id, WorkerState>,
    settings: &Settings,
) -> Caseloads {
    let mut children_by_group: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for (worker, n) in cases.iter().filter(|(_, n)| **n != 0) {
        let group = worker
            .as_ref()
            .and_then(|w| states.get(w))
            .and_then(|s| group_of(settings, &s.team));
        *children_by_group.entry(group).or_default() += n;
    }
    let workers = states
        .into_iter()
        .map(|(id, state)| WorkerCaseload {
            group: group_of(settings, &state.team),
            cases: cases.get(&Some(id.clone())).copied().unwrap_or(0),
            worker: id,
            state,
        })
        .collect();
    Caseloads {
        month,
        workers,
        children_by_group,
    }
}

impl Caseloads {
    /// The figure of a caseload indicator (11.5 over all LAC team groups).
    pub fn figure_of(&self, indicator: Indicator) -> Option<MonthFigure> {
        match indicator {
            Indicator::AgencyWorkers => Some(self.agency()),
            Indicator::MaxCaseload => Some(self.max_caseload()),
            Indicator::AverageCaseload => Some(self.average_caseload(None)),
            _ => None,
        }
    }

    /// Counted workers in a LAC team group.
    fn counted_in_groups(&self) -> impl Iterator<Item = &WorkerCaseload> {
        self.workers
            .iter()
            .filter(|w| w.counted() && w.group.is_some())
    }

    /// 11.1: agency workers of the counted workers in LAC team groups.
    pub fn agency(&self) -> MonthFigure {
        let counted: Vec<_> = self.counted_in_groups().collect();
        let agency = counted.iter().filter(|w| w.state.agency).count() as i64;
        self.figure(Indicator::AgencyWorkers, agency, Some(counted.len() as i64))
    }

    /// 11.4: the largest caseload of a counted worker in any LAC team group (none without one).
    pub fn max_caseload(&self) -> MonthFigure {
        let max = self.counted_in_groups().map(|w| w.cases).max();
        let mut f = self.figure(Indicator::MaxCaseload, max.unwrap_or(0), None);
        f.value = max.map(|m| m as f64);
        f
    }

    /// 11.5 for one team group (or, with `None`, all LAC team groups together): counted
    /// workers' cases over their FTE. The numerator and denominator are cases and FTE in
    /// hundredths (so they stay whole numbers).
    pub fn average_caseload(&self, group: Option<&str>) -> MonthFigure {
        let (cases, fte) = self
            .counted_in_groups()
            .filter(|w| group.is_none() || w.group.as_deref() == group)
            .fold((0i64, 0f64), |(c, f), w| (c + w.cases, f + w.state.fte));
        let fte_hundredths = (fte * 100.0).round() as i64;
        let mut f = self.figure(
            Indicator::AverageCaseload,
            cases * 100,
            Some(fte_hundredths),
        );
        f.value = value_in(super::Unit::AverageCount, cases * 100, Some(fte_hundredths));
        f
    }

    fn figure(
        &self,
        indicator: Indicator,
        numerator: i64,
        denominator: Option<i64>,
    ) -> MonthFigure {
        MonthFigure {
            indicator,
            month: self.month,
            numerator,
            denominator,
            ytd: None,
            value: value_in(indicator.unit(), numerator, denominator),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;
    use crate::timeline::fold_child;
    use crate::{EntityKind, Subject};

    fn worker(id: &str, eid: &str, on: &str, payload: Payload) -> Event {
        let mut e = ev("X", eid, on, payload);
        e.subject = Subject::new(la(), EntityKind::Worker, Id::parse(id).unwrap());
        e
    }

    fn joined(team: &str, fte: f64, qualified: bool, agency: bool) -> Payload {
        Payload::SocialWorkerJoined {
            team: team.into(),
            fte,
            qualified,
            agency,
            asye: false,
        }
    }

    fn allocated(to: &str) -> Payload {
        Payload::CaseAllocated {
            worker_id: Id::parse(to).unwrap(),
        }
    }

    fn settings() -> Settings {
        let mut s = Settings::default();
        s.team_groups
            .insert("LAC 1-3".into(), vec!["LAC1".into(), "LAC2".into()]);
        s.team_groups.insert("LAC 4-5".into(), vec!["LAC4".into()]);
        s
    }

    #[test]
    fn caseloads_join_allocations_and_workers() {
        // Workers at the end of May 2018:
        // - W1 LAC1, full time, qualified, agency: 3 cases (C1, C2, C3);
        // - W2 LAC2, 0.5 FTE, qualified: 1 case (C4);
        // - W3 LAC4, qualified, joined 1 June: not yet a worker at the end of May (C5 is
        //   allocated to W3 but counts in no group);
        // - W4 LAC1, unqualified: 1 case (C6), not counted;
        // - C7 allocated to W1 but discharged 31 May: not a case at month end.
        let workers: BTreeMap<Id, Vec<Event>> = [
            ("W1", "2017-01-01", joined("LAC1", 1.0, true, true)),
            ("W2", "2017-01-01", joined("LAC2", 0.5, true, false)),
            ("W3", "2018-06-01", joined("LAC4", 1.0, true, false)),
            ("W4", "2017-01-01", joined("LAC1", 1.0, false, false)),
        ]
        .into_iter()
        .map(|(id, on, payload)| {
            let eid = id.to_lowercase();
            (Id::parse(id).unwrap(), vec![worker(id, &eid, on, payload)])
        })
        .collect();
        let child = |c: &str, to: &str, out: Option<&str>| {
            let mut evs = vec![
                ev(c, &format!("{c}b"), "2010-01-01", born("2010-01-01")),
                ev(
                    c,
                    &format!("{c}a"),
                    "2018-01-10",
                    admitted(crate::codes::LegalStatus::C2),
                ),
                ev(c, &format!("{c}w"), "2018-01-10", allocated(to)),
            ];
            if let Some(day) = out {
                evs.push(ev(
                    c,
                    &format!("{c}e"),
                    day,
                    ended(crate::codes::ReasonCeased::E13),
                ));
            }
            fold_child(&evs)
        };
        let children = [
            child("C1", "W1", None),
            child("C2", "W1", None),
            child("C3", "W1", None),
            child("C4", "W2", None),
            child("C5", "W3", None),
            child("C6", "W4", None),
            child("C7", "W1", Some("2018-05-31")),
        ];
        let c = caseloads(month("2018-05"), &children, &workers, &settings());
        // 11.1: counted workers in LAC groups are W1 and W2; W1 is agency: 1 of 2 = 50.0%.
        let agency = c.agency();
        assert_eq!(
            (agency.numerator, agency.denominator, agency.value),
            (1, Some(2), Some(50.0))
        );
        // 11.4: W1 holds 3.
        assert_eq!(c.max_caseload().value, Some(3.0));
        // 11.5 LAC 1-3: (3 + 1) cases / (1.0 + 0.5) FTE = 2.67; LAC 4-5 has no counted worker.
        let avg = c.average_caseload(Some("LAC 1-3")).value.unwrap();
        assert_eq!(format!("{avg:.1}"), "2.7");
        assert_eq!(c.average_caseload(Some("LAC 4-5")).value, None);
        assert_eq!(
            c.average_caseload(None).value,
            Some(avg),
            "only LAC 1-3 has counted workers"
        );
        // 6.1 by team group: C1-C3 and C6 (W4 is in LAC1) in LAC 1-3, C4 too; C5 nowhere.
        assert_eq!(
            c.children_by_group.get(&Some("LAC 1-3".to_owned())),
            Some(&5)
        );
        assert_eq!(c.children_by_group.get(&None), Some(&1));

        // A month later W3 has joined: C5 is a case in LAC 4-5.
        let c = caseloads(month("2018-06"), &children, &workers, &settings());
        assert_eq!(c.average_caseload(Some("LAC 4-5")).value, Some(1.0));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(100))]

        /// The join of per-subject month-end facts (what the projector stores) equals the
        /// caseloads computed from the whole authority, at every month end.
        #[test]
        fn joining_month_end_facts_equals_computing_from_timelines(
            raw in proptest::collection::vec((0..6usize, 0..9u8, 0..900i64, 0..4usize), 1..60),
        ) {
            let mut children: BTreeMap<String, Vec<Event>> = BTreeMap::new();
            let mut workers: BTreeMap<Id, Vec<Event>> = BTreeMap::new();
            for (n, (who, kind, day, w)) in raw.into_iter().enumerate() {
                let on = crate::calendar::format_day(crate::calendar::add_days(
                    time::macros::date!(2016 - 01 - 01),
                    day,
                ));
                let eid = format!("e{n}");
                let wid = format!("W{w}");
                let teams = ["LAC1", "LAC2", "LAC4", "FOST"];
                let worker_event = |payload| worker(&wid, &eid, &on, payload);
                match kind {
                    0 => workers.entry(Id::parse(&wid).unwrap()).or_default().push(
                        worker_event(joined(teams[who % 4], 0.5 + (who % 2) as f64 / 2.0, who != 3, who == 1)),
                    ),
                    1 => workers.entry(Id::parse(&wid).unwrap()).or_default().push(
                        worker_event(Payload::SocialWorkerChanged {
                            team: Some(teams[(who + 1) % 4].into()),
                            fte: None,
                            qualified: Some(who % 2 == 0),
                            agency: None,
                            asye: None,
                        }),
                    ),
                    2 => workers.entry(Id::parse(&wid).unwrap()).or_default().push(
                        worker_event(Payload::SocialWorkerLeft),
                    ),
                    k => {
                        let c = format!("C{who}");
                        let payload = match k {
                            3 | 4 => admitted(crate::codes::LegalStatus::C2),
                            5 => ended(crate::codes::ReasonCeased::E13),
                            _ => allocated(&wid),
                        };
                        children.entry(c.clone()).or_default().push(ev(&c, &eid, &on, payload));
                    }
                }
            }
            let horizon = month("2018-06");
            let timelines: Vec<ChildTimeline> = children.values().map(fold_child).collect();
            let mut cases: BTreeMap<Month, BTreeMap<Option<Id>, i64>> = BTreeMap::new();
            for tl in &timelines {
                for (m, w) in month_end_cases(tl, horizon) {
                    *cases.entry(m).or_default().entry(w).or_default() += 1;
                }
            }
            let mut states: BTreeMap<Month, BTreeMap<Id, WorkerState>> = BTreeMap::new();
            for (id, events) in &workers {
                for (m, s) in worker_month_ends(events, horizon) {
                    states.entry(m).or_default().insert(id.clone(), s);
                }
            }
            for m in month("2015-12").through(horizon) {
                let expected = caseloads(m, &timelines, &workers, &settings());
                let joined = join(
                    m,
                    &cases.get(&m).cloned().unwrap_or_default(),
                    states.get(&m).cloned().unwrap_or_default(),
                    &settings(),
                );
                proptest::prop_assert_eq!(joined, expected, "month {}", m);
            }
        }
    }

    #[test]
    fn worker_changes_and_leaving() {
        let events = [
            worker("W1", "a", "2017-01-01", joined("LAC1", 1.0, false, false)),
            worker(
                "W1",
                "b",
                "2017-06-01",
                Payload::SocialWorkerChanged {
                    team: Some("LAC2".into()),
                    fte: Some(0.8),
                    qualified: Some(true),
                    agency: None,
                    asye: None,
                },
            ),
            worker("W1", "c", "2018-03-31", Payload::SocialWorkerLeft),
        ];
        let d = |s: &str| crate::calendar::parse_day(s).unwrap();
        assert_eq!(worker_on(&events, d("2016-12-31")), None);
        assert_eq!(worker_on(&events, d("2017-05-31")).unwrap().team, "LAC1");
        let june = worker_on(&events, d("2017-06-01")).unwrap();
        assert_eq!(
            (june.team.as_str(), june.fte, june.qualified),
            ("LAC2", 0.8, true)
        );
        assert_eq!(
            worker_on(&events, d("2018-03-31")),
            None,
            "left on 31 March"
        );
    }
}

/// Subjects' parts in the caseload join gathered in memory, by month end: what the store
/// keeps for the projections, for a derivation that is not stored ("as known at").
#[derive(Clone, Debug, Default)]
pub struct MonthEnds {
    cases: BTreeMap<Month, BTreeMap<Option<Id>, i64>>,
    workers: BTreeMap<Month, BTreeMap<Id, WorkerState>>,
}

impl MonthEnds {
    /// Adds the part of subject `id` (a child's cases, or a worker's records).
    pub fn add(&mut self, id: &Id, part: super::CaseloadPart) {
        for (month, worker) in part.cases {
            *self
                .cases
                .entry(month)
                .or_default()
                .entry(worker)
                .or_default() += 1;
        }
        for (month, state) in part.worker_months {
            self.workers
                .entry(month)
                .or_default()
                .insert(id.clone(), state);
        }
    }

    /// Takes away the part of subject `id` added before (a subject's part is replaced by
    /// removing the old and adding the new).
    pub fn remove(&mut self, id: &Id, part: &super::CaseloadPart) {
        for (month, worker) in &part.cases {
            if let Some(cases) = self.cases.get_mut(month) {
                if let Some(n) = cases.get_mut(worker) {
                    *n -= 1;
                    if *n == 0 {
                        cases.remove(worker);
                    }
                }
                if cases.is_empty() {
                    self.cases.remove(month);
                }
            }
        }
        for (month, _) in &part.worker_months {
            if let Some(workers) = self.workers.get_mut(month) {
                workers.remove(id);
                if workers.is_empty() {
                    self.workers.remove(month);
                }
            }
        }
    }

    /// The caseloads at the end of `month` ([`join`]).
    pub fn caseloads(&self, month: Month, settings: &Settings) -> Caseloads {
        let empty = BTreeMap::new();
        join(
            month,
            self.cases.get(&month).unwrap_or(&empty),
            self.workers.get(&month).cloned().unwrap_or_default(),
            settings,
        )
    }
}
