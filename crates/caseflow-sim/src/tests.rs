//! Tests of the simulator: determinism, the event contract (every payload, JSON lines that
//! validate to the same events), the mess, and calibration against the seed report.
//!
//! Calibration folds one simulated authority with the domain (timelines, contributions,
//! households, caseloads) and checks its figures at the last complete month against ranges
//! read from the May 2018 report.
//!
//! `golden` is the domain's golden test: the figures of a fixed simulated authority per
//! `caseflow_domain::DERIVATION_VERSION`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::Value;
use time::{Date, macros::date};

use caseflow_domain::calendar::{AgeBand, Month, add_days};
use caseflow_domain::draft::{EventDraft, PayloadDraft, PlacementDraft};
use caseflow_domain::indicators::caseloads::{Caseloads, caseloads};
use caseflow_domain::indicators::{
    Category, Context, Dimension, Figures, Indicator, child_contributions, contributions,
    evaluate_household, month_figure,
};
use caseflow_domain::settings::Settings;
use caseflow_domain::timeline::{ChildTimeline, fold_child};
use caseflow_domain::{EntityKind, Event, Id, Payload, Subject, Timestamp};

use crate::{
    Authority, Mess, SimConfig, SimConfigError, simulate, simulate_authority, write_jsonl,
};

mod golden;

/// The configuration the calibration runs: the default, one authority like the seed's over
/// April 2008 to May 2018.
fn calibration_config() -> SimConfig {
    SimConfig::default()
}

/// One authority folded with the domain.
struct Folded {
    figures: Figures,
    settings: Settings,
    timelines: Vec<ChildTimeline>,
    workers: BTreeMap<Id, Vec<Event>>,
}

/// The default settings with the seed report's LAC team groups (11.x): teams LAC1-3 and
/// LAC4-5, as the simulator's workforce names them.
fn seed_team_groups() -> Settings {
    let mut settings = Settings::default();
    settings.team_groups.insert(
        "LAC 1-3".into(),
        vec!["LAC1".into(), "LAC2".into(), "LAC3".into()],
    );
    settings
        .team_groups
        .insert("LAC 4-5".into(), vec!["LAC4".into(), "LAC5".into()]);
    settings
}

impl Folded {
    fn of(authority: &Authority, today: Date) -> Folded {
        let settings = seed_team_groups();
        let ctx = Context::new(settings.clone(), today);
        let mut by_subject: BTreeMap<Subject, Vec<Event>> = BTreeMap::new();
        for e in authority.valid_events() {
            by_subject
                .entry(e.subject.clone())
                .or_default()
                .push(e.clone());
        }
        let mut figures = Figures::default();
        let mut timelines = Vec::new();
        let mut workers = BTreeMap::new();
        for (subject, events) in by_subject {
            match subject.kind {
                EntityKind::Child => {
                    let tl = fold_child(&events);
                    figures.add(&child_contributions(&tl, &ctx), 1);
                    timelines.push(tl);
                }
                EntityKind::Household => {
                    figures.add(&contributions(&evaluate_household(&events, &ctx)), 1);
                }
                EntityKind::Worker => {
                    workers.insert(subject.id.clone(), events);
                }
            }
        }
        Folded {
            figures,
            settings,
            timelines,
            workers,
        }
    }

    fn count(&self, indicator: Indicator, month: Month) -> i64 {
        month_figure(&self.figures, indicator, month, &self.settings).numerator
    }

    fn percent(&self, indicator: Indicator, month: Month) -> f64 {
        month_figure(&self.figures, indicator, month, &self.settings)
            .value
            .unwrap_or(f64::NAN)
    }

    /// Numerator and denominator summed over the 12 months ending with `month`.
    fn percent_12(&self, indicator: Indicator, month: Month) -> f64 {
        let (n, d) = month.plus(-11).through(month).fold((0, 0), |(n, d), m| {
            let f = month_figure(&self.figures, indicator, m, &self.settings);
            (n + f.numerator, d + f.denominator.unwrap_or(0))
        });
        100.0 * n as f64 / d as f64
    }

    /// Mean of a count over the 12 months ending with `month`.
    fn mean_12(&self, indicator: Indicator, month: Month) -> f64 {
        let total: i64 = month
            .plus(-11)
            .through(month)
            .map(|m| self.count(indicator, m))
            .sum();
        total as f64 / 12.0
    }

    fn caseloads(&self, month: Month) -> Caseloads {
        caseloads(month, &self.timelines, &self.workers, &self.settings)
    }
}

/// The calibration authority and its figures, computed once for all tests.
fn calibrated() -> &'static (Authority, Folded) {
    static CELL: OnceLock<(Authority, Folded)> = OnceLock::new();
    CELL.get_or_init(|| {
        let config = calibration_config();
        let authority = simulate_authority(&config, "372");
        let folded = Folded::of(&authority, add_days(config.end, 5));
        (authority, folded)
    })
}

fn last_month() -> Month {
    Month::of(calibration_config().end)
}

/// A short configuration for tests that need an authority but no calibration.
fn short_config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        start: date!(2017 - 04 - 01),
        ..SimConfig::default()
    }
}

/// Every payload name of EVENTS.md section 3.
const PAYLOADS: [&str; 26] = [
    "childRegistered",
    "periodOfCareStarted",
    "placementChanged",
    "legalStatusChanged",
    "periodOfCareEnded",
    "reviewHeld",
    "visitMade",
    "carePlanRecorded",
    "healthAssessmentCompleted",
    "dentalCheckCompleted",
    "pepRecorded",
    "permanenceMatchRecorded",
    "adoptionDecisionRecorded",
    "adopterMatchRecorded",
    "adoptionDecisionReversed",
    "pathwayPlanRecorded",
    "careLeaverContactRecorded",
    "careLeaverSupportExtended",
    "careLeaverSupportEnded",
    "caseAllocated",
    "eventRetracted",
    "fosterCarerApproved",
    "fosterCarerDeregistered",
    "socialWorkerJoined",
    "socialWorkerChanged",
    "socialWorkerLeft",
];

/// Decodes a JSON line into the domain's draft, as a JSON decoder of the contract would; `None`
/// when it is not a JSON object with exactly one payload.
fn draft_of(line: &str) -> Option<EventDraft> {
    let value: Value = serde_json::from_str(line).ok()?;
    let obj = value.as_object()?;
    let text = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k).and_then(Value::as_str).unwrap_or("").to_owned()
    };
    let names: Vec<&str> = PAYLOADS
        .iter()
        .copied()
        .filter(|n| obj.contains_key(*n))
        .collect();
    let payload = match names.as_slice() {
        [] => None,
        [name] => {
            let b = obj.get(*name)?.as_object()?;
            let t = |k: &str| text(b, k);
            let flag = |k: &str| b.get(k).and_then(Value::as_bool);
            let placement = |k: &str| {
                b.get(k).and_then(Value::as_object).map(|p| PlacementDraft {
                    kind: text(p, "type"),
                    provider: text(p, "provider"),
                    carer_id: text(p, "carerId"),
                    in_area: p.get("inArea").and_then(Value::as_bool),
                })
            };
            Some(match *name {
                "childRegistered" => PayloadDraft::ChildRegistered {
                    date_of_birth: t("dateOfBirth"),
                    sex: t("sex"),
                },
                "periodOfCareStarted" => PayloadDraft::PeriodOfCareStarted {
                    legal_status: t("legalStatus"),
                    placement: placement("placement"),
                    category_of_need: t("categoryOfNeed"),
                },
                "placementChanged" => PayloadDraft::PlacementChanged {
                    placement: placement("placement"),
                    reason: t("reason"),
                    same_carer: flag("sameCarer").unwrap_or(false),
                },
                "legalStatusChanged" => PayloadDraft::LegalStatusChanged {
                    legal_status: t("legalStatus"),
                },
                "periodOfCareEnded" => PayloadDraft::PeriodOfCareEnded {
                    reason: t("reason"),
                },
                "reviewHeld" => PayloadDraft::ReviewHeld {
                    participation: t("participation"),
                },
                "visitMade" => PayloadDraft::VisitMade {
                    seen_alone: flag("seenAlone"),
                },
                "carePlanRecorded" => PayloadDraft::CarePlanRecorded,
                "healthAssessmentCompleted" => {
                    PayloadDraft::HealthAssessmentCompleted { kind: t("kind") }
                }
                "dentalCheckCompleted" => PayloadDraft::DentalCheckCompleted,
                "pepRecorded" => PayloadDraft::PepRecorded,
                "permanenceMatchRecorded" => PayloadDraft::PermanenceMatchRecorded,
                "adoptionDecisionRecorded" => PayloadDraft::AdoptionDecisionRecorded,
                "adopterMatchRecorded" => PayloadDraft::AdopterMatchRecorded,
                "adoptionDecisionReversed" => PayloadDraft::AdoptionDecisionReversed {
                    reason: t("reason"),
                },
                "pathwayPlanRecorded" => PayloadDraft::PathwayPlanRecorded,
                "careLeaverContactRecorded" => PayloadDraft::CareLeaverContactRecorded {
                    in_touch: t("inTouch"),
                    activity: t("activity"),
                    accommodation: t("accommodation"),
                },
                "careLeaverSupportExtended" => PayloadDraft::CareLeaverSupportExtended,
                "careLeaverSupportEnded" => PayloadDraft::CareLeaverSupportEnded,
                "caseAllocated" => PayloadDraft::CaseAllocated {
                    worker_id: t("workerId"),
                },
                "eventRetracted" => PayloadDraft::EventRetracted {
                    retracted_event_id: t("retractedEventId"),
                    reason: t("reason"),
                },
                "fosterCarerApproved" => PayloadDraft::FosterCarerApproved {
                    places: b.get("places").and_then(Value::as_i64).unwrap_or(0),
                    connected: flag("connected").unwrap_or(false),
                },
                "fosterCarerDeregistered" => PayloadDraft::FosterCarerDeregistered {
                    reason: t("reason"),
                },
                "socialWorkerJoined" => PayloadDraft::SocialWorkerJoined {
                    team: t("team"),
                    fte: b.get("fte").and_then(Value::as_f64).unwrap_or(0.0),
                    qualified: flag("qualified").unwrap_or(false),
                    agency: flag("agency").unwrap_or(false),
                    asye: flag("asye").unwrap_or(false),
                },
                "socialWorkerChanged" => PayloadDraft::SocialWorkerChanged {
                    team: b.get("team").and_then(Value::as_str).map(str::to_owned),
                    fte: b.get("fte").and_then(Value::as_f64),
                    qualified: flag("qualified"),
                    agency: flag("agency"),
                    asye: flag("asye"),
                },
                _ => PayloadDraft::SocialWorkerLeft,
            })
        }
        _ => return None,
    };
    Some(EventDraft {
        event_id: text(obj, "eventId"),
        la: text(obj, "la"),
        child_id: text(obj, "childId"),
        household_id: text(obj, "householdId"),
        worker_id: text(obj, "workerId"),
        occurred_on: text(obj, "occurredOn"),
        recorded_at: text(obj, "recordedAt"),
        source: text(obj, "source"),
        schema_version: obj
            .get("schemaVersion")
            .and_then(Value::as_u64)
            .map_or(0, |v| v as u32),
        payload,
    })
}

/// What caseflow makes of a line: the event, or `None` when it rejects it. Published on
/// `subject` and sent through the CLI or gRPC (subject from the envelope) must agree.
fn accept(subject: &str, line: &str) -> Option<Event> {
    let on_subject = Subject::parse(subject)
        .zip(draft_of(line))
        .and_then(|(s, d)| d.validate(&s, Timestamp(0)).ok());
    let from_envelope = draft_of(line).and_then(|d| {
        let s = d.subject().ok()?;
        d.validate(&s, Timestamp(0)).ok()
    });
    assert_eq!(on_subject, from_envelope, "{line}");
    on_subject
}

#[test]
fn same_seed_same_lines_other_seed_other_lines() {
    let lines = |seed| -> Vec<String> {
        simulate_authority(&short_config(seed), "372")
            .events
            .into_iter()
            .map(|e| e.json)
            .collect()
    };
    let a = lines(11);
    assert!(a.len() > 10_000, "{}", a.len());
    assert_eq!(a, lines(11));
    assert_ne!(a, lines(12));
}

/// FNV-1a (64-bit) of every line an authority's events arrive as: subject, JSON and whether it
/// is meant to be valid. Stable across platforms and Rust versions, unlike `DefaultHasher`.
fn digest<'a>(authorities: impl IntoIterator<Item = &'a Authority>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for authority in authorities {
        for e in &authority.events {
            add(e.subject.as_bytes());
            add(b"\t");
            add(e.json.as_bytes());
            add(if e.valid {
                b"\tvalid\n"
            } else {
                b"\tinvalid\n"
            });
        }
    }
    hash
}

/// Pins determinism: the digest of everything a small fixed configuration emits (one authority
/// like the seed's and two varied ones, five months of history, the default mess). The demo's
/// figures and the committed sample depend on the simulator's output for a seed, so refactors
/// must not change it silently: reordering random draws, or adding one, changes this digest.
/// Change it only with a deliberate change to the model, and say so in the commit.
#[test]
fn a_fixed_configuration_emits_exactly_what_it_always_has() {
    let start = date!(2018 - 01 - 01);
    let like_seed = SimConfig {
        start,
        ..SimConfig::like_seed(2018, "372")
    };
    let varied = SimConfig {
        start,
        ..SimConfig::many(7, 2)
    };
    let authorities: Vec<Authority> = [&like_seed, &varied]
        .into_iter()
        .flat_map(|config| simulate(config).map(|(_, a)| a))
        .collect();
    let lines: usize = authorities.iter().map(|a| a.events.len()).sum();
    assert_eq!(
        (lines, format!("{:016x}", digest(&authorities))),
        (37223, "e21132ba425a6b2f".to_owned()),
        "the simulator's output for a fixed seed changed"
    );
}

#[test]
fn authorities_do_not_depend_on_each_other() {
    let config = SimConfig {
        authorities: vec!["201".into(), "372".into()],
        start: date!(2018 - 01 - 01),
        ..SimConfig::default()
    };
    let alone = simulate_authority(&config, "372");
    let all: Vec<(String, Authority)> = simulate(&config).collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].0, "201");
    assert_eq!(all[1].1, alone);
    assert!(
        all[0]
            .1
            .events
            .iter()
            .all(|e| e.subject.starts_with("caseflow.events.201."))
    );
    // Event ids are unique across authorities (JetStream deduplicates by them stream-wide).
    let ids: Vec<&str> = all
        .iter()
        .flat_map(|(_, a)| a.valid_events())
        .map(|e| e.id.as_str())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    let resent: usize = all
        .iter()
        .map(|(_, a)| {
            a.valid_events().count() - {
                let mut own: Vec<&str> = a.valid_events().map(|e| e.id.as_str()).collect();
                own.sort_unstable();
                own.dedup();
                own.len()
            }
        })
        .sum();
    assert_eq!(ids.len() - resent, unique.len());
}

#[test]
fn a_later_start_hides_events_and_changes_none() {
    let clean = |start| SimConfig {
        start,
        mess: Mess::none(),
        ..SimConfig::default()
    };
    let key = |e: &Event| format!("{} {} {:?}", e.subject, e.occurred_on, e.payload);
    let earlier = simulate_authority(&clean(date!(2017 - 10 - 01)), "372");
    let later_start = date!(2018 - 03 - 01);
    let later = simulate_authority(&clean(later_start), "372");
    let earlier: BTreeSet<String> = earlier.valid_events().map(key).collect();
    let later_events: Vec<&Event> = later.valid_events().collect();
    let later_keys: BTreeSet<String> = later_events.iter().map(|e| key(e)).collect();
    assert!(later_keys.is_subset(&earlier));
    let subjects: BTreeSet<String> = later_events.iter().map(|e| e.subject.to_string()).collect();
    let missing = earlier
        .iter()
        .filter(|k| {
            let mut parts = k.splitn(3, ' ');
            let subject = parts.next().unwrap_or("");
            let day = parts.next().unwrap_or("");
            day >= "2018-03-01" && !later_keys.contains(*k) && subjects.contains(subject)
        })
        .count();
    assert_eq!(missing, 0);
    assert!(later_keys.len() < earlier.len());
}

#[test]
fn every_payload_of_the_contract_appears() {
    let (authority, _) = calibrated();
    let seen: BTreeSet<&str> = authority.valid_events().map(|e| e.payload.name()).collect();
    let missing: Vec<&str> = PAYLOADS
        .iter()
        .copied()
        .filter(|p| !seen.contains(p))
        .collect();
    assert!(missing.is_empty(), "missing payloads: {missing:?}");
    // And the code lists are used broadly.
    let mut statuses = BTreeSet::new();
    let mut types = BTreeSet::new();
    let mut reasons = BTreeSet::new();
    for e in authority.valid_events() {
        match &e.payload {
            Payload::PeriodOfCareStarted {
                legal_status,
                placement,
                ..
            } => {
                statuses.insert(legal_status.code());
                types.insert(placement.kind.code());
            }
            Payload::LegalStatusChanged { legal_status } => {
                statuses.insert(legal_status.code());
            }
            Payload::PlacementChanged { placement, .. } => {
                types.insert(placement.kind.code());
            }
            Payload::PeriodOfCareEnded { reason } => {
                reasons.insert(reason.code());
            }
            _ => {}
        }
    }
    for s in ["C1", "C2", "E1", "V2", "V3", "V4", "L1", "L2", "J1"] {
        assert!(
            statuses.contains(s),
            "legal status {s} never used: {statuses:?}"
        );
    }
    for t in [
        "U1", "U3", "U4", "U5", "U6", "Q1", "Q2", "A3", "A4", "A5", "A6", "K2", "H5", "P1", "T3",
        "T1",
    ] {
        assert!(
            types.contains(t),
            "placement type {t} never used: {types:?}"
        );
    }
    for r in [
        "E4A", "E13", "E11", "E12", "E45", "E47", "E41", "E17", "E5", "E8", "E3",
    ] {
        assert!(reasons.contains(r), "reason {r} never used: {reasons:?}");
    }
}

#[test]
fn every_line_says_what_its_event_says() {
    let (authority, _) = calibrated();
    for e in &authority.events {
        let decoded = accept(&e.subject, &e.json);
        if !e.valid {
            assert!(e.event.is_none());
            assert!(decoded.is_none(), "accepted an invalid line: {}", e.json);
            continue;
        }
        let event = e.event.as_ref().expect("valid events carry their event");
        assert_eq!(e.subject, event.subject.to_string());
        let value: Value = serde_json::from_str(&e.json).expect("valid lines are JSON");
        let payloads = PAYLOADS.iter().filter(|p| value.get(**p).is_some()).count();
        assert_eq!(payloads, 1, "{}", e.json);
        assert!(value.get("recordedAt").is_some(), "{}", e.json);
        assert_eq!(decoded.as_ref(), Some(event), "{}", e.json);
    }
}

#[test]
fn invalid_lines_are_flagged_at_about_the_configured_share() {
    let config = SimConfig {
        mess: Mess {
            invalid_percent: 5.0,
            ..Mess::default()
        },
        ..short_config(3)
    };
    let authority = simulate_authority(&config, "372");
    let invalid = authority.events.iter().filter(|e| !e.valid).count();
    let share = 100.0 * invalid as f64 / (authority.events.len() - invalid) as f64;
    assert!((4.0..6.0).contains(&share), "{share}");
    for e in authority.events.iter().filter(|e| !e.valid) {
        assert!(e.event.is_none());
        assert!(accept(&e.subject, &e.json).is_none(), "{}", e.json);
    }
    // The default share is small but present.
    let (calibrated, _) = calibrated();
    let invalid = calibrated.events.iter().filter(|e| !e.valid).count();
    let share = 100.0 * invalid as f64 / calibrated.events.len() as f64;
    assert!((0.1..0.35).contains(&share), "{share}");
}

#[test]
fn a_clean_feed_is_in_order_once_and_on_time() {
    let config = SimConfig {
        mess: Mess::none(),
        ..short_config(5)
    };
    let authority = simulate_authority(&config, "372");
    assert!(authority.events.iter().all(|e| e.valid));
    let events: Vec<&Event> = authority.valid_events().collect();
    assert!(
        events
            .windows(2)
            .all(|w| w[0].recorded_at <= w[1].recorded_at)
    );
    assert!(events.iter().all(|e| e.recorded_at.day() == e.occurred_on));
    let ids: BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), events.len());
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.payload, Payload::EventRetracted { .. }))
    );
}

#[test]
fn the_mess_is_what_was_asked_for() {
    let config = SimConfig {
        mess: Mess {
            late_percent: 20.0,
            duplicate_percent: 2.0,
            retraction_percent: 2.0,
            invalid_percent: 0.0,
            shuffle_window: 8,
            ..Mess::default()
        },
        ..short_config(9)
    };
    let authority = simulate_authority(&config, "372");
    let events: Vec<&Event> = authority.valid_events().collect();
    let n = events.len() as f64;
    let mut position: BTreeMap<&str, usize> = BTreeMap::new();
    let mut duplicates = 0;
    for (i, e) in events.iter().enumerate() {
        if position.contains_key(e.id.as_str()) {
            duplicates += 1;
        } else {
            position.insert(e.id.as_str(), i);
        }
    }
    let dup = 100.0 * f64::from(duplicates) / n;
    assert!((1.4..2.6).contains(&dup), "duplicates {dup}%");
    let late = events
        .iter()
        .filter(|e| e.recorded_at.day() > e.occurred_on)
        .count() as f64;
    assert!(
        (17.0..25.0).contains(&(100.0 * late / n)),
        "late {}",
        late / n
    );
    let mut retractions = 0;
    for (i, e) in events.iter().enumerate() {
        if let Payload::EventRetracted {
            retracted_event_id, ..
        } = &e.payload
        {
            retractions += 1;
            let target = position.get(retracted_event_id.as_str());
            assert!(
                target.is_some_and(|t| *t < i),
                "retraction before its target"
            );
            assert!(e.recorded_at.day() >= e.occurred_on);
        }
    }
    let ret = 100.0 * f64::from(retractions) / n;
    assert!((1.2..2.4).contains(&ret), "retractions {ret}%");
    // Nothing arrives more than the window from its recordedAt order (re-sends aside).
    let mut firsts: Vec<&Event> = Vec::new();
    let mut seen = BTreeSet::new();
    for e in &events {
        if seen.insert(e.id.as_str()) {
            firsts.push(e);
        }
    }
    let mut sorted: Vec<Timestamp> = firsts.iter().map(|e| e.recorded_at).collect();
    sorted.sort();
    for (i, e) in firsts.iter().enumerate() {
        let lo = sorted.partition_point(|t| *t < e.recorded_at);
        let hi = sorted.partition_point(|t| *t <= e.recorded_at);
        // Retractions are moved after their targets, which may be further.
        if !matches!(e.payload, Payload::EventRetracted { .. }) {
            assert!(
                i + 8 + 1 >= lo && i <= hi + 8 + 1,
                "event {i} arrived far from its place {lo}..{hi}"
            );
        }
    }
}

#[test]
fn timelines_fit_after_corrections() {
    // With the default mess, every wrong entry is retracted: nothing is left flagged.
    let (_, f) = calibrated();
    let flagged: Vec<_> = f
        .timelines
        .iter()
        .flat_map(|tl| tl.issues.iter())
        .take(5)
        .collect();
    assert!(flagged.is_empty(), "{flagged:#?}");
}

#[test]
fn jsonl_has_one_line_per_event() {
    let config = SimConfig {
        start: date!(2018 - 04 - 01),
        ..SimConfig::default()
    };
    let authority = simulate_authority(&config, "372");
    let mut out = Vec::new();
    write_jsonl(&authority, &mut out).expect("writing to memory");
    let text = String::from_utf8(out).expect("utf-8");
    assert_eq!(text.lines().count(), authority.events.len());
    assert!(text.ends_with('\n'));
}

#[test]
fn configurations_are_checked() {
    assert_eq!(SimConfig::default().validate(), Ok(()));
    assert_eq!(SimConfig::many(1, 150).validate(), Ok(()));
    assert_eq!(SimConfig::many(1, 150).authorities.len(), 150);
    let bad = SimConfig::like_seed(1, "37");
    assert_eq!(
        bad.validate(),
        Err(SimConfigError::BadAuthority("37".to_owned()))
    );
    assert_eq!(simulate_authority(&bad, "37"), Authority::default());
    let backwards = SimConfig {
        start: date!(2019 - 01 - 01),
        ..SimConfig::default()
    };
    assert_eq!(backwards.validate(), Err(SimConfigError::EmptySpan));
    let too_early = SimConfig {
        start: date!(1969 - 12 - 31),
        ..SimConfig::default()
    };
    assert_eq!(too_early.validate(), Err(SimConfigError::TooEarly));
    let mut noisy = SimConfig::default();
    noisy.mess.invalid_percent = 101.0;
    assert_eq!(
        noisy.validate(),
        Err(SimConfigError::BadPercent("invalid_percent"))
    );
    let varied = SimConfig {
        variation: 1.5,
        ..SimConfig::default()
    };
    assert_eq!(varied.validate(), Err(SimConfigError::BadVariation));
}

/// The calibration: one authority like the seed at its last complete month, against ranges
/// read from the May 2018 report (rounded outwards for a single simulated authority).
#[test]
fn one_authority_looks_like_the_seed_report() {
    let (_, f) = calibrated();
    let m = last_month();
    let lac = f.count(Indicator::LookedAfter, m);
    assert!((600..=660).contains(&lac), "6.1 {lac}");
    let admissions = f.mean_12(Indicator::Admissions, m);
    assert!((20.0..=40.0).contains(&admissions), "6.3 {admissions}");
    let ceased = f.mean_12(Indicator::Ceased, m);
    assert!((12.0..=30.0).contains(&ceased), "6.4 {ceased}");

    let ages = f
        .figures
        .breakdown(Indicator::LookedAfter, m, Dimension::AgeBand);
    let largest = ages.iter().max_by_key(|(_, n)| *n).map(|(c, _)| *c);
    assert_eq!(
        largest,
        Some(Category::AgeBand(AgeBand::From10To15)),
        "{ages:?}"
    );
    let statuses = f
        .figures
        .breakdown(Indicator::LookedAfter, m, Dimension::LegalStatus);
    let largest = statuses.iter().max_by_key(|(_, n)| *n).map(|(c, _)| *c);
    assert_eq!(
        largest,
        Some(Category::LegalStatus(
            caseflow_domain::codes::LegalStatus::C2
        )),
        "{statuses:?}"
    );

    let leavers = f.count(Indicator::CareLeavers, m);
    assert!((200..=300).contains(&leavers), "7.1 {leavers}");
    let households = f.count(Indicator::FosterCarers, m);
    assert!((130..=170).contains(&households), "9.3 {households}");

    let c = f.caseloads(m);
    for group in ["LAC 1-3", "LAC 4-5"] {
        let avg = c.average_caseload(Some(group)).value.unwrap_or(0.0);
        assert!((12.0..=15.0).contains(&avg), "11.5 {group} {avg}");
    }

    let reviews = f.percent_12(Indicator::ReviewsOnTime, m);
    assert!((75.0..=97.0).contains(&reviews), "6.7 {reviews}");
    let visits = f.percent(Indicator::VisitsNational, m);
    assert!((88.0..=99.0).contains(&visits), "6.15 {visits}");
    let family = f.percent(Indicator::FamilyBased, m);
    assert!((70.0..=90.0).contains(&family), "8.3 {family}");
}

#[test]
fn varied_authorities_are_consistent_too() {
    // Small, large, growing and shrinking authorities: every line still says what its event
    // says and no timeline is left with a data-quality issue.
    let config = SimConfig {
        start: date!(2017 - 10 - 01),
        ..SimConfig::many(7, 3)
    };
    for (la, authority) in simulate(&config) {
        assert!(!authority.events.is_empty(), "{la}");
        for e in &authority.events {
            assert_eq!(
                accept(&e.subject, &e.json).as_ref(),
                e.event.as_ref(),
                "{}",
                e.json
            );
        }
        let folded = Folded::of(&authority, add_days(config.end, 5));
        let issues = folded
            .timelines
            .iter()
            .map(|tl| tl.issues.len())
            .sum::<usize>();
        assert_eq!(issues, 0, "{la}");
    }
}

/// Sizes and times of a few varied authorities, as a national-scale run would see them.
#[test]
#[ignore = "prints sizes and times; run with --release -- --ignored --nocapture"]
fn print_many() {
    let config = SimConfig::many(1, 10);
    let t = std::time::Instant::now();
    let mut total = 0;
    for (la, authority) in simulate(&config) {
        let valid = authority.valid_events();
        let children: BTreeSet<&str> = valid
            .filter(|e| e.subject.kind == EntityKind::Child)
            .map(|e| e.subject.id.as_str())
            .collect();
        println!(
            "{la}: {} events, {} children",
            authority.events.len(),
            children.len()
        );
        total += authority.events.len();
    }
    println!("{total} events in {:?}", t.elapsed());
}

#[test]
#[ignore = "prints the calibration figures; run with --nocapture"]
fn print_calibration() {
    let t = std::time::Instant::now();
    let fresh = simulate_authority(&calibration_config(), "372");
    println!(
        "{} events generated in {:?}",
        fresh.events.len(),
        t.elapsed()
    );
    let t = std::time::Instant::now();
    let (authority, f) = calibrated();
    println!("generated and folded in {:?}", t.elapsed());
    println!("events: {}", authority.events.len());
    let m = last_month();
    for month in m.plus(-2).through(m) {
        println!("== {month}");
        for &ind in Indicator::ALL {
            let fig = month_figure(&f.figures, ind, month, &f.settings);
            println!(
                "{:5} {:70} {:>8} / {:>8?}  -> {:?}",
                ind.id(),
                ind.title(),
                fig.numerator,
                fig.denominator,
                fig.value.map(|v| (v * 10.0).round() / 10.0)
            );
        }
    }
    println!(
        "6.3 mean {:.1}  6.4 mean {:.1}  6.7 12m {:.1}",
        f.mean_12(Indicator::Admissions, m),
        f.mean_12(Indicator::Ceased, m),
        f.percent_12(Indicator::ReviewsOnTime, m)
    );
    for dim in [
        Dimension::AgeBand,
        Dimension::LegalStatus,
        Dimension::PlacementType,
    ] {
        println!(
            "{dim:?}: {:?}",
            f.figures.breakdown(Indicator::LookedAfter, m, dim)
        );
    }
    let c = f.caseloads(m);
    for g in ["LAC 1-3", "LAC 4-5"] {
        println!("11.5 {g}: {:?}", c.average_caseload(Some(g)).value);
    }
    println!("11.4: {:?}", c.max_caseload().value);
    println!("11.1: {:?}", c.agency().value);
    println!("by group: {:?}", c.children_by_group);
    for year in 2009..=2018 {
        let mo = Month::new(year, 3).unwrap_or(m);
        println!(
            "{mo}: 6.1 {} 7.1 {} 9.3 {}",
            f.count(Indicator::LookedAfter, mo),
            f.count(Indicator::CareLeavers, mo),
            f.count(Indicator::FosterCarers, mo)
        );
    }
}

#[test]
#[ignore = "prints the key figures for several seeds; run in release with --nocapture"]
fn print_seeds() {
    for seed in 1..=16 {
        let config = SimConfig {
            seed,
            ..calibration_config()
        };
        let t = std::time::Instant::now();
        let authority = simulate_authority(&config, "372");
        let generated = t.elapsed();
        let f = Folded::of(&authority, add_days(config.end, 5));
        let m = last_month();
        let c = f.caseloads(m);
        println!(
            "seed {seed}: {} events in {generated:?}; 6.1 {} adm {:.1} dis {:.1} 7.1 {} 9.3 {} 11.5 {:.1}/{:.1} 6.7 {:.1} 6.15 {:.1} 6.16 {:.1} 8.3 {:.1} 6.9 {:.1} 6.10 {:.1}",
            authority.events.len(),
            f.count(Indicator::LookedAfter, m),
            f.mean_12(Indicator::Admissions, m),
            f.mean_12(Indicator::Ceased, m),
            f.count(Indicator::CareLeavers, m),
            f.count(Indicator::FosterCarers, m),
            c.average_caseload(Some("LAC 1-3")).value.unwrap_or(0.0),
            c.average_caseload(Some("LAC 4-5")).value.unwrap_or(0.0),
            f.percent_12(Indicator::ReviewsOnTime, m),
            f.percent(Indicator::VisitsNational, m),
            f.percent(Indicator::VisitsLocal, m),
            f.percent(Indicator::FamilyBased, m),
            f.percent(Indicator::HealthAssessments, m),
            f.percent(Indicator::DentalChecks, m),
        );
    }
}

/// `deploy/sim/authorities.toml` is what the simulator says of its 150 authorities
/// (`UPDATE_SIM_SETTINGS=1` rewrites it).
#[test]
fn shipped_settings_are_the_simulated_authorities() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/sim/authorities.toml"
    );
    let wanted = crate::settings::authorities_toml(&SimConfig::many(2018, 150));
    if std::env::var_os("UPDATE_SIM_SETTINGS").is_some_and(|v| v == "1") {
        std::fs::write(path, &wanted).unwrap();
    }
    let shipped = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        shipped == wanted,
        "{path} is not what the simulator generates: regenerate it with \
         UPDATE_SIM_SETTINGS=1 cargo nextest run -p caseflow-sim shipped_settings"
    );
}

/// A simulated authority's population follows its size and rate factor: the seed's without
/// variation, half a percent less a year back.
#[test]
fn populations_follow_the_authoritys_size() {
    let seed = crate::settings::population_under_18(&SimConfig::default(), "372");
    assert_eq!(
        seed.first(),
        Some(&(caseflow_domain::FinancialYear(2008), 53_770))
    );
    assert_eq!(
        seed.last(),
        Some(&(caseflow_domain::FinancialYear(2018), 56_600))
    );
    let many = SimConfig::many(2018, 150);
    let sizes: BTreeSet<u32> = many
        .authorities
        .iter()
        .map(|la| {
            crate::settings::population_under_18(&many, la)
                .last()
                .unwrap()
                .1
        })
        .collect();
    assert!(sizes.len() > 100, "authorities differ in size");
    // Sizes 0.25 to 3 times the seed's, rate factors 0.6 to 1.5.
    assert!(sizes.iter().all(|p| (9_430..=283_000).contains(p)));
}
