//! The demo command end to end, in reduced size: simulate, publish, project, report.

use std::collections::{HashMap, HashSet};

use caseflow::commands::{DemoOptions, demo};
use caseflow_domain::{EntityKind, Event, Payload, Subject};
use caseflow_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_end_to_end() {
    let nats = TestNats::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&nats.url(), &dir);
    config.today = None; // the demo picks a day just after the simulated history
    config.projector.batch_size = 1000;
    let options = DemoOptions {
        years: 1,
        seed: 7,
        exit: true,
        out_dir: dir.path().join("out"),
        authorities: 1,
    };
    demo(&config, &options).await.unwrap();

    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("LOOKED AFTER CHILDREN") && html.contains("<svg"));
    let csv = std::fs::read_to_string(dir.path().join("out/scorecard.csv")).unwrap();
    let looked_after: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("6.1,"))
        .unwrap()
        .split(',')
        .collect();
    // The header names the columns: find the month value of 6.1.
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let value = header.iter().position(|h| *h == "value").unwrap();
    let lac: f64 = looked_after[value].trim().parse().unwrap();
    // Counted plainly from the simulator's own events, without the domain's fold.
    let sim = caseflow::commands::last_years(caseflow_sim::SimConfig::like_seed(7, "372"), 1);
    let authority = caseflow_sim::simulate_authority(&sim, "372");
    let events = distinct_and_standing(authority.valid_events());
    assert_eq!(lac, looked_after_at(&events, sim.end) as f64, "6.1");
    // Every distinct valid event was stored, whatever the re-sends.
    let store =
        caseflow_store::SledStore::open(&config.store_dir(), &config.sled_settings()).unwrap();
    let stored = caseflow_store::ProjectionStore::counts(&store).unwrap();
    let distinct: HashSet<(&Subject, &str)> = authority
        .valid_events()
        .map(|e| (&e.subject, e.id.as_str()))
        .collect();
    assert_eq!(stored.events_stored, distinct.len() as u64);
}

/// `--authorities 2`: the simulator's authorities 201 and 202, each judged with its own
/// population from deploy/sim/authorities.toml, side by side in compare.csv.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_lays_several_authorities_side_by_side() {
    let nats = TestNats::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&nats.url(), &dir);
    config.today = None;
    config.projector.batch_size = 1000;
    let options = DemoOptions {
        years: 1,
        seed: 2018,
        exit: true,
        out_dir: dir.path().join("out"),
        authorities: 2,
    };
    demo(&config, &options).await.unwrap();

    let mut shipped = caseflow::config::Config::default();
    shipped
        .add_authorities(include_str!("../deploy/sim/authorities.toml"))
        .unwrap();
    let csv = std::fs::read_to_string(dir.path().join("out/compare.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let field = |la: &str, id: &str, name: &str| -> String {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{la},{id},")))
            .unwrap();
        // No title of 6.1 or 6.2 holds a comma inside quotes before these columns: split plainly
        // after the quoted title.
        let after_title = line.rsplitn(8, ',').collect::<Vec<_>>();
        let from_end = header.len() - 1 - column(name);
        after_title[from_end].to_owned()
    };
    for la in ["201", "202"] {
        let population = shipped.authorities[la]
            .population_under_18
            .as_ref()
            .unwrap()["2018/19"];
        let looked_after: f64 = field(la, "6.1", "value").parse().unwrap();
        let rate: f64 = field(la, "6.2", "value").parse().unwrap();
        // 6.2 is 6.1 per 10,000 of the authority's own population (shown to one decimal).
        let wanted = looked_after * 10_000.0 / f64::from(population);
        assert!((rate - wanted).abs() <= 0.05, "{la}: {rate} vs {wanted}");
        assert_eq!(field(la, "6.2", "denominator"), population.to_string());
    }
    let html = std::fs::read_to_string(dir.path().join("out/compare.html")).unwrap();
    assert!(html.contains("<th>201</th><th>202</th>"));
}

/// The events that stand: the first copy of each id on its subject, less those retracted by a
/// retraction that itself stands.
fn distinct_and_standing<'a>(events: impl Iterator<Item = &'a Event>) -> Vec<&'a Event> {
    let mut seen = HashSet::new();
    let events: Vec<&Event> = events
        .filter(|e| seen.insert((e.subject.clone(), e.id.clone())))
        .collect();
    let retracts: HashMap<(&Subject, &str), &str> = events
        .iter()
        .filter_map(|e| match &e.payload {
            Payload::EventRetracted {
                retracted_event_id, ..
            } => Some(((&e.subject, retracted_event_id.as_str()), e.id.as_str())),
            _ => None,
        })
        .collect();
    // An event stands unless a standing retraction names it (retractions of retractions
    // included; the simulator makes no cycles, and the depth is bounded all the same).
    fn stands(
        subject: &Subject,
        id: &str,
        retracts: &HashMap<(&Subject, &str), &str>,
        depth: usize,
    ) -> bool {
        match retracts.get(&(subject, id)) {
            Some(by) if depth < 16 => !stands(subject, by, retracts, depth + 1),
            _ => true,
        }
    }
    events
        .into_iter()
        .filter(|e| stands(&e.subject, e.id.as_str(), &retracts, 0))
        .collect()
}

/// Children looked after at the end of `day`: a period of care opened by an admission with a
/// legal status other than a short break (V3, V4) and not ended on or before the day.
fn looked_after_at(events: &[&Event], day: time::Date) -> usize {
    let mut by_child: HashMap<&Subject, Vec<&Event>> = HashMap::new();
    for e in events
        .iter()
        .filter(|e| e.subject.kind == EntityKind::Child)
    {
        by_child.entry(&e.subject).or_default().push(e);
    }
    by_child
        .into_values()
        .filter(|child| {
            let mut child = child.clone();
            child.sort_by_key(|e| e.order_key());
            let mut open: Option<bool> = None; // Some(short break?) while looked after
            for e in child.iter().filter(|e| e.occurred_on <= day) {
                match &e.payload {
                    Payload::PeriodOfCareStarted { legal_status, .. } if open.is_none() => {
                        open = Some(legal_status.is_short_break());
                    }
                    Payload::PeriodOfCareEnded { .. } => open = None,
                    _ => {}
                }
            }
            open == Some(false)
        })
        .count()
}
