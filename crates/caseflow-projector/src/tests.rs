//! The projector's law, tested through its own path: random histories of children, foster-carer
//! households and social workers, published as JSON (re-sent, retracted, some invalid, in any
//! order), read (`Projector::read_into`) and settled (`Projector::settle`) in random batches
//! into a real sled store, leave exactly what the domain derives from the deduplicated events
//! (the first copy of each event id on its subject), whatever the arrival order and batches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use caseflow_domain::calendar::add_days;
use caseflow_domain::codes::{
    Accommodation, Activity, AdoptionReversalReason, CategoryOfNeed, HealthAssessmentKind, InTouch,
    LegalStatus, PlacementChangeReason, PlacementType, Provider, ReasonCeased, ReviewParticipation,
    Sex,
};
use caseflow_domain::indicators::caseloads::{self, WorkerState};
use caseflow_domain::indicators::{Cell, Cells, Context, derive_subject};
use caseflow_domain::settings::Settings;
use caseflow_domain::{
    EntityKind, Event, Id, La, Month, Payload, Placement, Subject, Timestamp, fold_child,
};
use caseflow_log::LogMessage;
use caseflow_store::{ProjectionStore, SledSettings, SledStore, StoredEvent};
use proptest::prelude::*;
use time::macros::date;
use time::{Date, Duration, OffsetDateTime};

use crate::{Backlog, Projector, ProjectorSettings, fixed_clock};

/// "Today" for the figures compared: the month of June 2019 is the last derived.
const TODAY: Date = date!(2019 - 06 - 15);
/// The day a projector restarted in the middle of the stream derived its first part as of.
const EARLIER: Date = date!(2019 - 03 - 10);
/// Events occur from here on, over `DAYS` days (to July 2019: some after today).
const FIRST_DAY: Date = date!(2016 - 01 - 01);
const DAYS: i64 = 1300;
/// Months whose month-end tables are compared: from before the first event to after today.
const FIRST_MONTH: (i32, u8) = (2015, 12);
const LAST_MONTH: (i32, u8) = (2019, 7);

/// The subjects histories are made of: three children, three households and three workers,
/// over two authorities, reusing ids across them (the same id in another authority is someone
/// else). Workers `W2` (both authorities) and `W1` in 825 never exist: children allocated to
/// them are cases of nobody.
const POOL: &[(&str, EntityKind, &str)] = &[
    ("372", EntityKind::Child, "C0"),
    ("372", EntityKind::Child, "C1"),
    ("825", EntityKind::Child, "C0"),
    ("372", EntityKind::Household, "H0"),
    ("372", EntityKind::Household, "H1"),
    ("825", EntityKind::Household, "H0"),
    ("372", EntityKind::Worker, "W0"),
    ("372", EntityKind::Worker, "W1"),
    ("825", EntityKind::Worker, "W0"),
];

const AUTHORITIES: [&str; 2] = ["372", "825"];

/// Team groups: T1 and T2 are "LAC A", T3 "LAC B"; T9 is in no group.
fn settings() -> Settings {
    Settings {
        team_groups: BTreeMap::from([
            ("LAC A".to_owned(), vec!["T1".to_owned(), "T2".to_owned()]),
            ("LAC B".to_owned(), vec!["T3".to_owned()]),
        ]),
        ..Settings::default()
    }
}

fn subject(pool: usize) -> Subject {
    let (la, kind, id) = POOL[pool];
    Subject::new(La::parse(la).unwrap(), kind, Id::parse(id).unwrap())
}

/// The NATS subject of a pool entry, written out as the contract gives it.
fn nats_subject(pool: usize) -> String {
    let (la, kind, id) = POOL[pool];
    let token = match kind {
        EntityKind::Child => "child",
        EntityKind::Household => "carer",
        EntityKind::Worker => "worker",
    };
    format!("caseflow.events.{la}.{token}.{id}")
}

// ---- histories ------------------------------------------------------------------------------

/// One generated event, before it becomes messages: who (0..14: a child 8 times in 14), what
/// (a payload selector), the day (an offset, or with `same_day == 0` a day the subject already
/// has), a retraction's target, a code selector, minutes after midnight of `recordedAt` (absent:
/// the publisher leaves it out, so the stream time of the copy stored stands in), how often it
/// is re-sent, whether an invalid message goes with it, and noise for the rest.
type Raw = (usize, u8, i64, u8, usize, u8, Option<u16>, u8, u32);

fn arb_raw() -> impl Strategy<Value = Raw> {
    (
        0..14usize,
        any::<u8>(),
        0..DAYS,
        0..4u8,
        0..16usize,
        any::<u8>(),
        prop::option::weighted(0.75, 0..4320u16),
        0..10u8,
        any::<u32>(),
    )
}

/// A distinct event (subject and id) as its publisher sent it.
#[derive(Clone, Debug)]
struct Published {
    /// Its `recorded_at` is meaningful only when `has_recorded_at`.
    event: Event,
    has_recorded_at: bool,
}

/// A message to publish: a copy of a distinct event (an exact re-send has the same bytes), or
/// an invalid message (`event: None`).
#[derive(Clone, Debug)]
struct Outgoing {
    event: Option<usize>,
    pool: usize,
    payload: Bytes,
    content_type: Option<String>,
    published: OffsetDateTime,
}

#[derive(Clone, Debug)]
struct History {
    events: Vec<Published>,
    messages: Vec<Outgoing>,
}

fn midnight(day: Date) -> OffsetDateTime {
    day.midnight().assume_utc()
}

fn history(raw: Vec<Raw>) -> History {
    let mut events: Vec<Published> = Vec::new();
    let mut messages: Vec<Outgoing> = Vec::new();
    let mut days: Vec<Vec<Date>> = vec![Vec::new(); POOL.len()];
    for (who, what, day, same_day, target, code, recorded, copies, noise) in raw {
        let pool = match who {
            0..8 => who % 3,
            8..11 => 3 + (who - 8),
            _ => 6 + (who - 11),
        };
        // Ids count per subject: `e0`, `e1`, ... on every subject, so ids repeat across
        // subjects (a duplicate is the same id on the same subject only).
        let k = days[pool].len();
        let on = match days[pool].as_slice() {
            [] => add_days(FIRST_DAY, day),
            known if same_day == 0 => known[target % known.len()],
            _ => add_days(FIRST_DAY, day),
        };
        days[pool].push(on);
        let retraction = || Payload::EventRetracted {
            retracted_event_id: Id::parse(&format!("e{}", target % (k + 2))).unwrap(),
            reason: code
                .is_multiple_of(2)
                .then(|| "recorded in error".to_owned()),
        };
        let payload = match POOL[pool].1 {
            EntityKind::Child => child_payload(what % 31, code, noise, pool, &retraction),
            EntityKind::Household => match what % 8 {
                0..3 => Payload::FosterCarerApproved {
                    places: 1 + code % 9,
                    connected: code.is_multiple_of(4),
                },
                3..5 => Payload::FosterCarerDeregistered {
                    reason: code.is_multiple_of(2).then(|| "retired".to_owned()),
                },
                _ => retraction(),
            },
            EntityKind::Worker => match what % 12 {
                0..5 => Payload::SocialWorkerJoined {
                    team: ["T1", "T2", "T3", "T9"][usize::from(code % 4)].to_owned(),
                    fte: [1.0, 0.8, 0.5][usize::from(code / 4 % 3)],
                    qualified: !code.is_multiple_of(5),
                    agency: code.is_multiple_of(3),
                    asye: code.is_multiple_of(7),
                },
                5..8 => Payload::SocialWorkerChanged {
                    team: noise
                        .is_multiple_of(2)
                        .then(|| ["T1", "T2", "T3", "T9"][usize::from(code % 4)].to_owned()),
                    fte: (noise / 2)
                        .is_multiple_of(2)
                        .then_some([1.0, 0.8, 0.5][usize::from(code % 3)]),
                    qualified: (noise / 4)
                        .is_multiple_of(2)
                        .then_some(code.is_multiple_of(2)),
                    agency: (noise / 8)
                        .is_multiple_of(2)
                        .then_some(code.is_multiple_of(3)),
                    asye: (noise / 16)
                        .is_multiple_of(2)
                        .then_some(code.is_multiple_of(5)),
                },
                8 => Payload::SocialWorkerLeft,
                _ => retraction(),
            },
        };
        let has_recorded_at = recorded.is_some();
        let event = Event {
            id: Id::parse(&format!("e{k}")).unwrap(),
            subject: subject(pool),
            occurred_on: on,
            recorded_at: Timestamp::from_offset(
                midnight(on) + Duration::minutes(i64::from(recorded.unwrap_or(0))),
            ),
            source: noise.is_multiple_of(3).then(|| "lcs".to_owned()),
            schema_version: 1,
            payload,
        };
        let index = events.len();
        events.push(Published {
            event: event.clone(),
            has_recorded_at,
        });

        // The JSON a case system publishes; without `recordedAt` when it has none.
        let mut wire = caseflow_proto::event_to_proto(&event);
        if !has_recorded_at {
            wire.recorded_at.clear();
        }
        let json = Bytes::from(caseflow_proto::event_to_json(&wire));
        let content_type = (!noise.is_multiple_of(5)).then(|| "application/json".to_owned());
        // Stream time of the first copy: within three days of the event; re-sends later.
        let first = midnight(on) + Duration::minutes(i64::from(noise % 4320));
        let resends = [0, 0, 0, 0, 0, 0, 1, 1, 2, 3][usize::from(copies)];
        for n in 0..=resends {
            let delay = Duration::minutes(i64::from((noise >> 12) % 4320 + 1) * n);
            messages.push(Outgoing {
                event: Some(index),
                pool,
                payload: json.clone(),
                content_type: content_type.clone(),
                published: first + delay,
            });
        }

        // Now and then an invalid message, sometimes with this event's id: it is rejected, and
        // never takes the id from the valid copies.
        if noise.is_multiple_of(11) {
            let bad = match (noise >> 4) % 3 {
                0 => Bytes::from_static(b"{\"eventId\": "),
                1 => {
                    // recordedAt the day before it occurred: occurred_after_recorded.
                    let mut wire = caseflow_proto::event_to_proto(&event);
                    wire.recorded_at =
                        Timestamp::from_offset(midnight(on) - Duration::hours(1)).to_rfc3339();
                    Bytes::from(caseflow_proto::event_to_json(&wire))
                }
                _ => {
                    // A payload for another kind of subject: payload_not_for_subject.
                    let wrong = match POOL[pool].1 {
                        EntityKind::Child => Payload::SocialWorkerLeft,
                        _ => Payload::PepRecorded,
                    };
                    let mut e = event.clone();
                    e.payload = wrong;
                    Bytes::from(caseflow_proto::event_to_json(
                        &caseflow_proto::event_to_proto(&e),
                    ))
                }
            };
            messages.push(Outgoing {
                event: None,
                pool,
                payload: bad,
                content_type: None,
                published: first,
            });
        }
    }
    History { events, messages }
}

/// A child's payload: every kind of child event, admissions and discharges more often.
fn child_payload(
    what: u8,
    code: u8,
    noise: u32,
    pool: usize,
    retraction: &dyn Fn() -> Payload,
) -> Payload {
    let c = usize::from(code);
    let status = LegalStatus::ALL[c % LegalStatus::ALL.len()];
    let placement = || {
        // Every type valid from 2016 to 2019 (Q1/Q2 ended in 2015, K3 starts in 2024).
        use PlacementType::*;
        let kinds = [
            U1, U2, U3, U4, U5, U6, U4, U6, K1, K2, P1, P3, R1, R2, R3, R5, S1, T0, T1, T2, T3, T4,
            A3, A4, A5, A6, H5, P2, Z1,
        ];
        let kind = kinds[(noise as usize / 7) % kinds.len()];
        Placement {
            kind,
            provider: (!kind.has_no_provider()).then_some(Provider::ALL[c % 6]),
            carer_id: (!noise.is_multiple_of(3))
                .then(|| Id::parse(&format!("K{}", noise / 3 % 3)).unwrap()),
            in_area: [None, Some(true), Some(false)][(noise / 11 % 3) as usize],
        }
    };
    match what {
        0 => Payload::ChildRegistered {
            date_of_birth: add_days(date!(1998 - 01 - 01), i64::from(noise % 7800)),
            sex: [Some(Sex::Male), Some(Sex::Female), Some(Sex::Unknown), None][c % 4],
        },
        1..5 => Payload::PeriodOfCareStarted {
            legal_status: status,
            placement: placement(),
            category_of_need: (!code.is_multiple_of(3)).then_some(CategoryOfNeed::ALL[c % 8]),
        },
        5..7 => Payload::PeriodOfCareEnded {
            reason: ReasonCeased::ALL[c % ReasonCeased::ALL.len()],
        },
        7 => Payload::LegalStatusChanged {
            legal_status: status,
        },
        8..10 => Payload::PlacementChanged {
            placement: placement(),
            reason: code
                .is_multiple_of(2)
                .then_some(PlacementChangeReason::ALL[c % PlacementChangeReason::ALL.len()]),
            same_carer: code.is_multiple_of(3),
        },
        10 => Payload::ReviewHeld {
            participation: code
                .is_multiple_of(2)
                .then_some(ReviewParticipation::ALL[c % ReviewParticipation::ALL.len()]),
        },
        11 => Payload::VisitMade {
            seen_alone: [None, Some(true), Some(false)][c % 3],
        },
        12 => Payload::CarePlanRecorded,
        13 => Payload::HealthAssessmentCompleted {
            kind: HealthAssessmentKind::ALL[c % 2],
        },
        14 => Payload::DentalCheckCompleted,
        15 => Payload::PepRecorded,
        16 => Payload::PermanenceMatchRecorded,
        17 => Payload::AdoptionDecisionRecorded,
        18 => Payload::AdopterMatchRecorded,
        19 => Payload::AdoptionDecisionReversed {
            reason: AdoptionReversalReason::ALL[c % AdoptionReversalReason::ALL.len()],
        },
        20 => Payload::PathwayPlanRecorded,
        21 => Payload::CareLeaverContactRecorded {
            in_touch: InTouch::ALL[c % InTouch::ALL.len()],
            activity: Activity::ALL[(noise as usize) % Activity::ALL.len()],
            accommodation: Accommodation::ALL[(noise as usize / 5) % Accommodation::ALL.len()],
        },
        22 => Payload::CareLeaverSupportExtended,
        23 => Payload::CareLeaverSupportEnded,
        24..28 => Payload::CaseAllocated {
            // W0 and W1 exist in 372, only W0 in 825; W2 nowhere.
            worker_id: Id::parse(&format!("W{}", (c + pool) % 3)).unwrap(),
        },
        _ => retraction(),
    }
}

// ---- arrival --------------------------------------------------------------------------------

/// A small deterministic generator for orders and batch splits (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// The messages in a random arrival order. With `like`, the copies of each event keep the
/// relative order they have in `like` (so the same copy arrives first and is stored: a copy
/// without `recordedAt` takes its stream time), everything else moves.
fn arrival(history: &History, seed: u64, like: Option<&[usize]>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..history.messages.len()).collect();
    Rng(seed).shuffle(&mut order);
    let Some(like) = like else {
        return order;
    };
    let mut rank = vec![0; like.len()];
    for (position, &m) in like.iter().enumerate() {
        rank[m] = position;
    }
    let mut positions: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (position, &m) in order.iter().enumerate() {
        if let Some(e) = history.messages[m].event {
            positions.entry(e).or_default().push(position);
        }
    }
    for places in positions.values() {
        let mut copies: Vec<usize> = places.iter().map(|&p| order[p]).collect();
        copies.sort_by_key(|&m| rank[m]);
        for (&p, m) in places.iter().zip(copies) {
            order[p] = m;
        }
    }
    order
}

/// The stream: the messages in `order`, with sequences 1, 2, ...
fn stream(history: &History, order: &[usize]) -> Vec<LogMessage> {
    order
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            let o = &history.messages[m];
            LogMessage {
                sequence: i as u64 + 1,
                subject: nats_subject(o.pool),
                payload: o.payload.clone(),
                content_type: o.content_type.clone(),
                published: o.published,
                message_id: None,
                pending: (order.len() - i - 1) as u64,
            }
        })
        .collect()
}

// ---- what the store holds, and what it should -----------------------------------------------

/// Everything the projections hold that figures and drill-down read.
#[derive(Debug, Default)]
struct Contents {
    /// Summed cells of each authority, zeros left out.
    cells: BTreeMap<(La, Cell), i64>,
    /// Children looked after at each month end, by the worker holding their case.
    cases: BTreeMap<(La, Month), BTreeMap<Option<Id>, i64>>,
    /// Workers' records at each month end.
    workers: BTreeMap<(La, Month), BTreeMap<Id, WorkerState>>,
    /// Each subject's stored log: its events in stream order with their sequences.
    logs: BTreeMap<Subject, Vec<StoredEvent>>,
    events_stored: u64,
    /// Events stored in each authority, by payload kind.
    recorded: BTreeMap<(La, String), u64>,
    duplicates: u64,
    /// Stream sequences of the rejected messages.
    rejected: BTreeSet<u64>,
    applied: u64,
    as_of: Option<Date>,
}

fn months() -> impl Iterator<Item = Month> {
    let first = Month::new(FIRST_MONTH.0, FIRST_MONTH.1).unwrap();
    first.through(Month::new(LAST_MONTH.0, LAST_MONTH.1).unwrap())
}

fn authorities() -> impl Iterator<Item = La> {
    AUTHORITIES.iter().map(|la| La::parse(la).unwrap())
}

/// What the store holds.
fn read_store(store: &SledStore) -> Contents {
    let mut c = Contents::default();
    for la in authorities() {
        for (cell, amount) in store.authority_cells(la).unwrap() {
            assert_ne!(amount, 0, "the store keeps no zero cell: {cell:?}");
            c.cells.insert((la, cell), amount);
        }
        for month in months() {
            let cases = store.month_end_cases(la, month).unwrap();
            if !cases.is_empty() {
                c.cases.insert((la, month), cases);
            }
            let workers = store.workers_at(la, month).unwrap();
            if !workers.is_empty() {
                c.workers.insert((la, month), workers);
            }
        }
    }
    for pool in 0..POOL.len() {
        let log = store.events(&subject(pool)).unwrap();
        if !log.is_empty() {
            c.logs.insert(subject(pool), log);
        }
    }
    for la in authorities() {
        for (kind, n) in store.recorded(la).unwrap() {
            c.recorded.insert((la, kind), n);
        }
    }
    let counts = store.counts().unwrap();
    c.events_stored = counts.events_stored;
    c.duplicates = counts.duplicates;
    c.rejected = store
        .rejections(None, 0, usize::MAX)
        .unwrap()
        .iter()
        .map(|r| r.sequence)
        .collect();
    assert_eq!(counts.rejections, c.rejected.len() as u64);
    c.applied = store.applied_sequence().unwrap();
    c.as_of = store.as_of().unwrap();
    c
}

/// What the store should hold after `stream`, worked out without the projector: each
/// subject's first copy of each event id (in stream order; its `recordedAt`, or else its
/// stream time), derived by the domain directly, subject by subject, and summed.
fn expected(history: &History, order: &[usize], stream: &[LogMessage]) -> Contents {
    let mut c = Contents::default();
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    for (&m, message) in order.iter().zip(stream) {
        let Some(e) = history.messages[m].event else {
            c.rejected.insert(message.sequence);
            continue;
        };
        if !seen.insert(e) {
            c.duplicates += 1;
            continue;
        }
        let published = &history.events[e];
        let mut event = published.event.clone();
        if !published.has_recorded_at {
            event.recorded_at = Timestamp::from_offset(message.published);
        }
        *c.recorded
            .entry((event.subject.la, event.payload.name().to_owned()))
            .or_default() += 1;
        c.logs
            .entry(event.subject.clone())
            .or_default()
            .push(StoredEvent {
                sequence: message.sequence,
                event,
            });
        c.events_stored += 1;
    }
    c.applied = stream.len() as u64;
    c.as_of = Some(TODAY);

    let ctx = Context::new(settings(), TODAY);
    for (subject, log) in &c.logs {
        let mut cells = Cells::default();
        let part = derive_subject(subject.kind, log.iter().map(|s| &s.event), &ctx, &mut cells);
        for contribution in cells.sum() {
            *c.cells.entry((subject.la, contribution.cell)).or_default() += contribution.amount;
        }
        for (month, worker) in part.cases {
            *c.cases
                .entry((subject.la, month))
                .or_default()
                .entry(worker)
                .or_default() += 1;
        }
        for (month, state) in part.worker_months {
            c.workers
                .entry((subject.la, month))
                .or_default()
                .insert(subject.id.clone(), state);
        }
    }
    c.cells.retain(|_, amount| *amount != 0);
    c
}

// ---- the projector's path -------------------------------------------------------------------

/// Opens the store in `dir`. sled releases its file lock from a background thread after the
/// last handle is dropped (spacejam/sled#1234), so a reopen in the same process waits for it.
fn open(dir: &Path) -> Arc<SledStore> {
    let settings = SledSettings {
        cache_capacity_bytes: 16 << 20,
    };
    for _ in 0..500 {
        match SledStore::open(dir, &settings) {
            Ok(store) => return Arc::new(store),
            Err(e) if e.to_string().contains("could not acquire lock") => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("cannot open the store: {e}"),
        }
    }
    panic!("the store's lock was not released within 5 seconds");
}

fn projector(store: &Arc<SledStore>, today: Date, roll_chunk: usize) -> Projector {
    let store: Arc<dyn ProjectionStore> = store.clone();
    let settings = ProjectorSettings {
        roll_chunk,
        threads: 1,
        indicators: settings(),
        ..ProjectorSettings::default()
    };
    let now = today.with_hms(12, 0, 0).unwrap().assume_utc();
    let p = Projector::new(store, fixed_clock(now), settings);
    p.ensure_fingerprint().unwrap();
    p
}

/// Runs `stream` through a projector on a fresh store in `dir`: read in chunks of 1 to 6
/// messages, settled after 1 to 3 chunks, a settled chunk sometimes delivered again (as after
/// a reconnect), subjects committed `roll_chunk` (1 to 4) at a time. With `restart`, the first
/// half is derived as of `EARLIER`, then the projector stops with whatever it had read but not
/// settled, and a new one on the reopened store reads again from a few messages back, as of
/// `TODAY` (so it rolls the day first). Returns what the store then holds.
fn project(stream: &[LogMessage], seed: u64, restart: bool, dir: &Path) -> Contents {
    let mut rng = Rng(seed);
    let roll_chunk = 1 + rng.below(4);
    let mut store = open(dir);
    let first_day = if restart { EARLIER } else { TODAY };
    let mut p = projector(&store, first_day, roll_chunk);
    let mut restart_at = restart.then_some(stream.len() / 2);
    let mut backlog = Backlog::default();
    let mut chunks_read = 0;
    let mut settle_after = 1 + rng.below(3);
    let mut at = 0;
    while at < stream.len() {
        if restart_at.is_some_and(|r| at >= r) {
            restart_at = None;
            drop(std::mem::take(&mut backlog));
            drop(p);
            drop(store);
            store = open(dir);
            p = projector(&store, TODAY, roll_chunk);
            // It reads from the message after the applied sequence; a few before it come again.
            let applied = store.applied_sequence().unwrap() as usize;
            at = applied.saturating_sub(rng.below(4));
            chunks_read = 0;
        }
        let mut end = (at + 1 + rng.below(6)).min(stream.len());
        if let Some(r) = restart_at.filter(|r| *r > at) {
            end = end.min(r);
        }
        let chunk = &stream[at..end];
        at += chunk.len();
        p.read_into(&mut backlog, chunk).unwrap();
        chunks_read += 1;
        if chunks_read >= settle_after || at == stream.len() {
            let last = backlog.last_sequence();
            p.settle(std::mem::take(&mut backlog)).unwrap();
            if last > 0 {
                assert_eq!(store.applied_sequence().unwrap(), last);
            }
            chunks_read = 0;
            settle_after = 1 + rng.below(3);
            if rng.below(3) == 0 {
                // Delivered again: at or below the applied sequence, so skipped.
                p.read_into(&mut backlog, chunk).unwrap();
                assert!(
                    backlog.is_empty(),
                    "a message already applied is read again"
                );
            }
        }
    }
    read_store(&store)
}

/// The 11.x caseloads and the 6.1 team-group breakdown as queries make them from the store
/// (month-end cases joined with workers' records), against the domain's own computation from
/// timelines and workers' events; and the children by team group add up to 6.1.
fn check_caseloads(contents: &Contents) -> Result<(), TestCaseError> {
    let settings = settings();
    for la in authorities() {
        let logs_of = |kind: EntityKind| {
            contents
                .logs
                .iter()
                .filter(move |(s, _)| s.la == la && s.kind == kind)
                .map(|(s, log)| (s.id.clone(), log.iter().map(|e| e.event.clone()).collect()))
        };
        let timelines: Vec<_> = logs_of(EntityKind::Child)
            .map(|(_, events): (Id, Vec<Event>)| fold_child(&events))
            .collect();
        let workers: BTreeMap<Id, Vec<Event>> = logs_of(EntityKind::Worker).collect();
        // Months after today's have no caseloads (queries do not ask for them).
        for month in months().take_while(|m| *m <= Month::of(TODAY)) {
            let cases = contents
                .cases
                .get(&(la, month))
                .cloned()
                .unwrap_or_default();
            let states = contents
                .workers
                .get(&(la, month))
                .cloned()
                .unwrap_or_default();
            let joined = caseloads::join(month, &cases, states, &settings);
            let direct = caseloads::caseloads(month, &timelines, &workers, &settings);
            prop_assert_eq!(&joined, &direct, "{} {}", la, month);
            let looked_after = contents
                .cells
                .get(&(
                    la,
                    Cell {
                        indicator: caseflow_domain::Indicator::LookedAfter,
                        month,
                        measure: caseflow_domain::Measure::Numerator,
                    },
                ))
                .copied()
                .unwrap_or(0);
            let by_group: i64 = joined.children_by_group.values().sum();
            prop_assert_eq!(
                by_group,
                looked_after,
                "6.1 by team group, {} {}",
                la,
                month
            );
        }
    }
    Ok(())
}

/// The entries where two maps differ: (key, found, wanted).
fn differences<K: Ord + Debug, V: PartialEq + Debug>(
    found: &BTreeMap<K, V>,
    wanted: &BTreeMap<K, V>,
) -> Vec<String> {
    let keys: BTreeSet<&K> = found.keys().chain(wanted.keys()).collect();
    keys.into_iter()
        .filter(|k| found.get(k) != wanted.get(k))
        .map(|k| format!("{k:?}: {:?}, wanted {:?}", found.get(k), wanted.get(k)))
        .collect()
}

/// Compares two contents part by part, naming what differs (not two pages of debug).
fn same(found: &Contents, wanted: &Contents, what: &str) -> Result<(), TestCaseError> {
    let parts = [
        ("stored logs", differences(&found.logs, &wanted.logs)),
        ("cells", differences(&found.cells, &wanted.cells)),
        ("month-end cases", differences(&found.cases, &wanted.cases)),
        (
            "workers' records",
            differences(&found.workers, &wanted.workers),
        ),
    ];
    for (part, differ) in parts {
        prop_assert!(
            differ.is_empty(),
            "{}: {} differ:\n{}",
            what,
            part,
            differ.join("\n")
        );
    }
    prop_assert_eq!(
        (found.events_stored, found.duplicates),
        (wanted.events_stored, wanted.duplicates),
        "{}: events stored, duplicates",
        what
    );
    prop_assert_eq!(
        &found.recorded,
        &wanted.recorded,
        "{}: events recorded by kind",
        what
    );
    prop_assert_eq!(&found.rejected, &wanted.rejected, "{}: rejections", what);
    prop_assert_eq!(
        (found.applied, found.as_of),
        (wanted.applied, wanted.as_of),
        "{}: progress",
        what
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The store after the projector's own path equals the domain's derivation of the
    /// deduplicated events, for two arrival orders and batch splits (the second with a
    /// restart across a change of day), which therefore agree with each other.
    #[test]
    fn projections_are_the_derivation_of_the_first_copy_of_each_event(
        raw in prop::collection::vec(arb_raw(), 1..70),
        seeds in any::<[u64; 4]>(),
    ) {
        let history = history(raw);
        let order_a = arrival(&history, seeds[0], None);
        let order_b = arrival(&history, seeds[1], Some(&order_a));

        let stream_a = stream(&history, &order_a);
        let dir = tempfile::tempdir().unwrap();
        let a = project(&stream_a, seeds[2], false, dir.path());
        let wanted_a = expected(&history, &order_a, &stream_a);
        same(&a, &wanted_a, "order A")?;
        check_caseloads(&a)?;

        let stream_b = stream(&history, &order_b);
        let dir = tempfile::tempdir().unwrap();
        let b = project(&stream_b, seeds[3], true, dir.path());
        let wanted_b = expected(&history, &order_b, &stream_b);
        same(&b, &wanted_b, "order B")?;
        // Sequences differ between the orders; everything derived must not.
        prop_assert_eq!(&a.cells, &b.cells);
        prop_assert_eq!(&a.cases, &b.cases);
        prop_assert_eq!(&a.workers, &b.workers);
        let ids = |c: &Contents| -> BTreeMap<Subject, BTreeSet<(String, Timestamp)>> {
            c.logs
                .iter()
                .map(|(s, log)| {
                    let ids = log.iter().map(|e| (e.event.id.to_string(), e.event.recorded_at));
                    (s.clone(), ids.collect())
                })
                .collect()
        };
        prop_assert_eq!(ids(&a), ids(&b), "the same copies are stored");
    }
}

/// A projector started with other derivation settings than the stored projections' names the
/// settings that changed, with their old and new values; population and team groups, which
/// only queries read, are not derivation settings.
#[test]
fn changed_derivation_settings_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let with = |change: fn(&mut Settings)| {
        let mut indicators = settings();
        change(&mut indicators);
        let store: Arc<dyn ProjectionStore> = store.clone();
        let now = TODAY.with_hms(12, 0, 0).unwrap().assume_utc();
        Projector::new(
            store,
            fixed_clock(now),
            ProjectorSettings {
                indicators,
                ..ProjectorSettings::default()
            },
        )
    };
    let first = with(|_| {});
    assert_eq!(
        first.derivation_changes().unwrap(),
        None,
        "nothing stored yet"
    );
    assert!(!first.ensure_fingerprint().unwrap());
    let presented = with(|s| {
        s.population_under_18.insert("2018/19".into(), 1);
        s.team_groups.clear();
    });
    assert_eq!(presented.derivation_changes().unwrap(), None);
    let derived = with(|s| s.local_visit_interval_days = 42);
    assert_eq!(
        derived.derivation_changes().unwrap().as_deref(),
        Some(
            "the indicator settings derivations read have changed since the projections were \
             derived (local_visit_interval_days: 28 → 42)"
        )
    );
    assert!(derived.ensure_fingerprint().unwrap(), "cleared to rebuild");
    assert_eq!(derived.derivation_changes().unwrap(), None);
}

/// Freed memory is given back between a settle's commits (one commit per `roll_chunk`
/// subjects), and no more often than the settings' interval.
#[test]
fn memory_is_released_between_commits_no_more_often_than_set() {
    use proptest::strategy::ValueTree;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RELEASES: AtomicUsize = AtomicUsize::new(0);
    fn count() {
        RELEASES.fetch_add(1, Ordering::Relaxed);
    }
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let raw = prop::collection::vec(arb_raw(), 40)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let history = history(raw);
    let order: Vec<usize> = (0..history.messages.len()).collect();
    let messages = stream(&history, &order);
    let settle = |every: std::time::Duration| {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn ProjectionStore> = open(dir.path());
        let now = TODAY.with_hms(12, 0, 0).unwrap().assume_utc();
        let settings = ProjectorSettings {
            roll_chunk: 1,
            threads: 1,
            indicators: settings(),
            release_memory: Some(crate::ReleaseMemory {
                every,
                release: count,
            }),
            ..ProjectorSettings::default()
        };
        let p = Projector::new(store, fixed_clock(now), settings);
        p.ensure_fingerprint().unwrap();
        let mut backlog = Backlog::default();
        p.read_into(&mut backlog, &messages).unwrap();
        let subjects = backlog.events.len();
        RELEASES.store(0, Ordering::Relaxed);
        p.settle(backlog).unwrap();
        (subjects, RELEASES.load(Ordering::Relaxed))
    };
    let (subjects, released) = settle(std::time::Duration::ZERO);
    assert!(subjects > 1, "the history has several subjects");
    assert_eq!(released, subjects, "once after each subject's commit");
    let (_, released) = settle(std::time::Duration::from_secs(3600));
    assert_eq!(
        released, 0,
        "not within the interval of the projector's start"
    );
}
