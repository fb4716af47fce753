//! Criterion micro-benchmarks of caseflow's hot domain paths, on realistic inputs.
//!
//! Inputs come from the simulator, deterministically: authority 372 like the seed report
//! (`SimConfig::like_seed(2018, "372")`), its last five years (June 2013 to May 2018, as the
//! demo publishes), "today" 5 June 2018. Each simulated JSON line is decoded and validated as
//! the projector's `accept` does; a child's events are its accepted ones, duplicates (same
//! event id) absorbed. Two children are measured: the median one by number of events and the
//! busiest one. The indicator settings are the shipped `deploy/caseflow.toml` `[indicators]`.
//!
//! - `fold/child_<n>_events`: `fold_child` of a child's `n` events; per element = per event.
//! - `derive/child_<n>_months`: `child_contributions` of that child's timeline; `n` counts the
//!   months from the start month of its first period of care to the month of "today", so per
//!   element = per child-month.
//! - `decode/json`, `decode/protobuf`: `decode_event` then `validate`, for a batch of the first
//!   1000 accepted child events in arrival order (all kinds of payload), in each encoding; per
//!   element = per event.
//!
//! Run with `cargo bench -p caseflow-bench --bench hot_paths`; results land in
//! `<target dir>/criterion`, and `caseflow_bench::micro` renders them as markdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::hint::black_box;
use std::time::Duration;

use caseflow_domain::calendar::Month;
use caseflow_domain::indicators::{Context, child_contributions};
use caseflow_domain::settings::Settings;
use caseflow_domain::timeline::{ChildTimeline, fold_child};
use caseflow_domain::{Event, Subject, Timestamp};
use caseflow_log::ContentType;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message as _;
use time::macros::datetime;

const LA: &str = "372";
const SEED: u64 = 2018;
const YEARS: i32 = 5;
const DECODE_BATCH: usize = 1000;
const SHIPPED_CONFIG: &str = include_str!("../../../deploy/caseflow.toml");

/// The inputs, simulated once.
struct Inputs {
    today: time::Date,
    settings: Settings,
    /// Accepted events per child subject, in arrival order.
    children: BTreeMap<String, Vec<Event>>,
    /// The first accepted child events in arrival order: subject, JSON line, domain event.
    batch: Vec<(Subject, String, Event)>,
}

fn inputs() -> Inputs {
    let sim = caseflow::commands::last_years(caseflow_sim::SimConfig::like_seed(SEED, LA), YEARS);
    let authority = caseflow_sim::simulate_authority(&sim, LA);
    // The log's message time: after everything was recorded (the lines carry `recordedAt`).
    let published = Timestamp::from_offset(datetime!(2018-06-05 06:00 UTC));
    let today = published.day();
    let shipped: caseflow::config::Config =
        toml::from_str(SHIPPED_CONFIG).expect("deploy/caseflow.toml parses");

    let mut children: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut batch = Vec::new();
    for e in &authority.events {
        if !e.subject.contains(".child.") {
            continue;
        }
        let Some(subject) = Subject::parse(&e.subject) else {
            continue;
        };
        let Ok(draft) =
            caseflow_proto::decode_event(e.json.as_bytes(), Some(ContentType::Json.header()))
        else {
            continue;
        };
        let Ok(event) = draft.validate(&subject, published) else {
            continue;
        };
        if !seen.insert(format!("{} {}", e.subject, event.id.as_str())) {
            continue; // a re-send: the projector absorbs it
        }
        if batch.len() < DECODE_BATCH {
            batch.push((subject, e.json.clone(), event.clone()));
        }
        children.entry(e.subject.clone()).or_default().push(event);
    }
    assert!(
        batch.len() == DECODE_BATCH,
        "too few child events simulated"
    );
    Inputs {
        today,
        settings: shipped.indicators,
        children,
        batch,
    }
}

/// Months from the start month of the child's first period of care to the month of `today`,
/// both included.
fn child_months(tl: &ChildTimeline, today: time::Date) -> u64 {
    let Some(first) = tl.periods.first() else {
        return 0;
    };
    let months = Month::of(today).ordinal() - Month::of(first.start).ordinal() + 1;
    u64::try_from(months).unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    let ctx = Context::new(inputs.settings.clone(), inputs.today);

    // Children with a period of care, by number of events (ties: subject), fewest first.
    let mut by_size: Vec<(&String, &Vec<Event>)> = inputs
        .children
        .iter()
        .filter(|(_, events)| !fold_child(events.iter()).periods.is_empty())
        .collect();
    by_size.sort_by_key(|(subject, events)| (events.len(), *subject));
    let median = by_size[by_size.len() / 2].1;
    let busiest = by_size[by_size.len() - 1].1;
    let chosen = [median, busiest];

    let mut fold = c.benchmark_group("fold");
    for events in chosen {
        fold.throughput(Throughput::Elements(events.len() as u64));
        fold.bench_function(format!("child_{}_events", events.len()), |b| {
            b.iter(|| fold_child(black_box(events)))
        });
    }
    fold.finish();

    let mut derive = c.benchmark_group("derive");
    for events in chosen {
        let tl = fold_child(events);
        let months = child_months(&tl, inputs.today);
        derive.throughput(Throughput::Elements(months));
        derive.bench_function(format!("child_{months}_months"), |b| {
            b.iter(|| child_contributions(black_box(&tl), black_box(&ctx)))
        });
    }
    derive.finish();

    let published = Timestamp::from_offset(datetime!(2018-06-05 06:00 UTC));
    let json: Vec<(Subject, Vec<u8>)> = inputs
        .batch
        .iter()
        .map(|(s, line, _)| (s.clone(), line.clone().into_bytes()))
        .collect();
    let protobuf: Vec<(Subject, Vec<u8>)> = inputs
        .batch
        .iter()
        .map(|(s, _, e)| (s.clone(), caseflow_proto::event_to_proto(e).encode_to_vec()))
        .collect();
    // Both encodings must decode to the same accepted events, or the comparison is moot.
    for (i, (subject, bytes)) in protobuf.iter().enumerate() {
        let draft =
            caseflow_proto::decode_event(bytes, Some(ContentType::Protobuf.header())).unwrap();
        let event = draft.validate(subject, published).unwrap();
        assert_eq!(event, inputs.batch[i].2, "protobuf round trip of event {i}");
    }

    let mut decode = c.benchmark_group("decode");
    decode.throughput(Throughput::Elements(DECODE_BATCH as u64));
    for (name, payloads, content_type) in [
        ("json", &json, ContentType::Json),
        ("protobuf", &protobuf, ContentType::Protobuf),
    ] {
        decode.bench_function(name, |b| {
            b.iter(|| {
                let mut accepted = 0usize;
                for (subject, bytes) in payloads {
                    let draft =
                        caseflow_proto::decode_event(black_box(bytes), Some(content_type.header()));
                    if let Ok(event) = draft.and_then(|d| d.validate(subject, published)) {
                        black_box(&event);
                        accepted += 1;
                    }
                }
                accepted
            })
        });
    }
    decode.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = hot_paths;
    config = config();
    targets = bench
}
criterion_main!(hot_paths);
