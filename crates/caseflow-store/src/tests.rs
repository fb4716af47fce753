//! The store's format, pinned: every record and key the store writes, encoded from fixed
//! examples, must be exactly what `format/v<FORMAT_VERSION>.txt` recorded for this version.
//!
//! A change of encoding (a field added to an event's payload, a reordered enum, a new key
//! layout) fails here until [`FORMAT_VERSION`] is bumped: projections written by the old
//! version are then rebuilt instead of being misread. Record the new version's file with
//! `UPDATE_FORMAT=1 cargo nextest run -p caseflow-store format`; a version's file, once
//! recorded, is never rewritten.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::PathBuf;

use caseflow_domain::codes::Sex;
use caseflow_domain::indicators::caseloads::WorkerState;
use caseflow_domain::indicators::{Category, Cell, Indicator, Measure};
use caseflow_domain::{Id, La, Month, Subject};
use serde::Serialize;

use crate::records::{Staged, encode};
use crate::{
    CellRow, Conflict, Counters, Counts, FORMAT_VERSION, RejectionRecord, StoredEvent, SubjectLog,
    keys,
};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn line(out: &mut String, name: &str, value: &impl Serialize) {
    writeln!(out, "{name}: {}", hex(&encode(value).unwrap())).unwrap();
}

fn la() -> La {
    La::parse("372").unwrap()
}

fn may() -> Month {
    Month::new(2018, 5).unwrap()
}

fn worker() -> WorkerState {
    WorkerState {
        team: "LAC1".to_owned(),
        fte: 0.8,
        qualified: true,
        agency: false,
        asye: true,
    }
}

/// Every record and key of the format, from fixed examples, one per line.
fn rendered() -> String {
    let mut out = String::new();
    let events = caseflow_proto::examples::every_payload_event();
    // Each event as a subject's log stores it (every payload of the contract).
    for (n, event) in events.iter().enumerate() {
        let stored = StoredEvent {
            sequence: n as u64 + 1,
            event: event.clone(),
        };
        line(
            &mut out,
            &format!("event {}", event.payload.name()),
            &stored,
        );
    }
    let child = events[0].subject.clone();
    let log = SubjectLog {
        through: 9,
        events: vec![StoredEvent {
            sequence: 7,
            event: events[0].clone(),
        }],
        conflicts: vec![Conflict {
            event_id: events[0].id.clone(),
            occurred_on: events[0].occurred_on,
            kept: 7,
            dropped: 9,
        }],
    };
    writeln!(out, "log: {}", hex(&log.encode().unwrap().0)).unwrap();
    let row: CellRow = vec![
        ((may(), Measure::Numerator), 620),
        ((may(), Measure::Denominator), 640),
        ((may(), Measure::Breakdown(Category::Sex(Sex::Female))), 301),
    ];
    line(&mut out, "cell row", &row);
    let recorded: Counters<String> = vec![
        ("periodOfCareStarted".to_owned(), 412),
        ("visitMade".to_owned(), 9_870),
    ];
    line(&mut out, "recorded kinds", &recorded);
    let cases: Counters<Option<Id>> = vec![(None, 3), (Some(Id::parse("W007").unwrap()), 14)];
    line(&mut out, "month-end cases", &cases);
    line(&mut out, "worker's record", &worker());
    line(&mut out, "derived on", &may().last_day());
    line(&mut out, "as of", &may().last_day());
    line(&mut out, "applied sequence", &70_396_u64);
    line(
        &mut out,
        "stream mark",
        &crate::StreamMark {
            stream_created_nanos: 1_528_200_000_123_456_789,
            sequence: 70_396,
            message_id: Some("E-70396".to_owned()),
            payload_len: 412,
        },
    );
    line(
        &mut out,
        "counts",
        &Counts {
            events_stored: 70_396,
            rejections: 114,
            duplicates: 405,
        },
    );
    line(
        &mut out,
        "rejection",
        &RejectionRecord {
            sequence: 12,
            subject: "caseflow.events.372.child.C1".to_owned(),
            la: Some(la()),
            event_id: Some("E-12".to_owned()),
            reason: "invalid_code".to_owned(),
            message: "placement.type \"Z9\" is not a placement type".to_owned(),
            rejected_at: "2018-06-05T12:00:00Z".to_owned(),
        },
    );
    let cell = Cell {
        indicator: Indicator::ALL[0],
        month: may(),
        measure: Measure::Numerator,
    };
    let w = Id::parse("W007").unwrap();
    line(
        &mut out,
        "staged",
        &Staged {
            cell_deltas: vec![((la(), cell), -1)],
            case_deltas: vec![((la(), may(), Some(w.clone())), 1)],
            worker_months_removed: vec![(la(), may(), w.clone())],
            worker_months_put: vec![(la(), may(), w.clone(), worker())],
        },
    );
    let household = Subject::new(
        la(),
        caseflow_domain::EntityKind::Household,
        Id::parse("H0042").unwrap(),
    );
    for (name, key) in [
        ("key applied", keys::APPLIED.to_vec()),
        ("key fingerprint", keys::FINGERPRINT.to_vec()),
        ("key as of", keys::AS_OF.to_vec()),
        ("key counts", keys::COUNTS.to_vec()),
        ("key stream mark", keys::STREAM_MARK.to_vec()),
        ("key log", keys::subject_log(&child)),
        ("key household's log", keys::subject_log(&household)),
        ("key derived", keys::derived(&child)),
        ("key cells", keys::indicator_cells(la(), Indicator::ALL[0])),
        (
            "key cases",
            keys::worker_month(keys::CASES, la(), may(), None),
        ),
        (
            "key worker",
            keys::worker_month(keys::WORKERS, la(), may(), Some(&w)),
        ),
        ("key rejection", keys::rejection(12)),
        ("key staged", keys::staged(3)),
        ("key recorded", keys::recorded(la())),
    ] {
        writeln!(out, "{name}: {}", hex(&key)).unwrap();
    }
    out
}

#[test]
fn the_format_is_what_its_version_recorded() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("format")
        .join(format!("v{FORMAT_VERSION}.txt"));
    let now = rendered();
    let recorded = std::fs::read_to_string(&path).ok();
    let update = std::env::var_os("UPDATE_FORMAT").is_some();
    match recorded {
        Some(recorded) => assert!(
            recorded == now,
            "the store's encoding differs from what format version {FORMAT_VERSION} recorded in \
             {}: bump FORMAT_VERSION (crates/caseflow-store/src/lib.rs), then record the new \
             version with UPDATE_FORMAT=1. A recorded version is never rewritten.\n\
             recorded:\n{recorded}\nnow:\n{now}",
            path.display()
        ),
        None if update => std::fs::write(&path, now).unwrap(),
        None => panic!(
            "format version {FORMAT_VERSION} has no recorded encoding: run with UPDATE_FORMAT=1 \
             to record {}",
            path.display()
        ),
    }
}

/// The examples are one of every payload (the proto crate's tests hold them to the contract's
/// list), and each is read back as written.
#[test]
fn every_example_event_reads_back_as_stored() {
    for (n, event) in caseflow_proto::examples::every_payload_event()
        .into_iter()
        .enumerate()
    {
        let stored = StoredEvent {
            sequence: n as u64,
            event,
        };
        let bytes = encode(&stored).unwrap();
        let back: StoredEvent = crate::records::decode(b"test", &bytes).unwrap();
        assert_eq!(back, stored);
    }
}

/// Reopening (as after a failed write) closes sled under a clone that keeps being used, and
/// opens it again at its last commit: what was committed, the progress, and writes after.
#[test]
fn a_reopened_store_holds_its_commits_and_takes_more() {
    use crate::{ProjectionBatch, ProjectionStore, SledSettings, SledStore};
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &SledSettings::default()).unwrap();
    let user = store.clone();
    let commit = |store: &SledStore, applied: u64, rejections: u64| {
        store
            .commit(ProjectionBatch {
                new_events: 2,
                duplicates: rejections,
                applied_sequence: Some(applied),
                ..Default::default()
            })
            .unwrap();
    };
    commit(&store, 7, 1);
    store.reopen().unwrap();
    assert_eq!(user.applied_sequence().unwrap(), 7);
    commit(&user, 9, 2);
    let counts = store.counts().unwrap();
    assert_eq!((counts.events_stored, counts.duplicates), (4, 3));
    assert!(!dir.path().join("write-probe").exists());
    drop((store, user));
    // sled's flusher thread lets go of the files' lock a moment after the last handle goes.
    let started = std::time::Instant::now();
    let again = loop {
        match SledStore::open(dir.path(), &SledSettings::default()) {
            Ok(again) => break again,
            Err(e) if started.elapsed() < std::time::Duration::from_secs(10) => {
                assert!(e.to_string().contains("could not acquire lock"), "{e}");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(again.applied_sequence().unwrap(), 9);
    assert!(
        again
            .dump()
            .unwrap()
            .iter()
            .all(|(k, _)| !k.starts_with(b"Mwrite_probe"))
    );
}

/// What publishing commits changed is kept, in order, so that figures read at one version can
/// be brought forward to the store's cells: staged changes arrive with the commit that
/// publishes them; a day roll, a commit too large to keep, a clear or a reopen leave nothing
/// to bring older figures forward with.
#[test]
fn recent_changes_bring_figures_read_earlier_to_the_stored_cells() {
    use std::collections::BTreeMap;

    use crate::{ProjectionBatch, ProjectionStore, SledSettings, SledStore, changes};
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &SledSettings::default()).unwrap();
    let other = La::parse("201").unwrap();
    let cell = |month: u8, measure| Cell {
        indicator: Indicator::from_id("6.4").unwrap(),
        month: Month::new(2018, month).unwrap(),
        measure,
    };
    let batch = |deltas: &[(La, Cell, i64)], stage: bool, applied: Option<u64>| {
        let mut b = ProjectionBatch {
            stage,
            applied_sequence: applied,
            ..Default::default()
        };
        b.add_cell_deltas(deltas.iter().map(|(l, c, d)| ((*l, *c), *d)).collect());
        b
    };
    // Figures as a reader holds them: read at one version, brought forward after.
    let read = |store: &SledStore| {
        let version = store.figures_version().unwrap();
        let cells: BTreeMap<Cell, i64> = store.authority_cells(la()).unwrap().into_iter().collect();
        (version, cells)
    };
    let forward = |store: &SledStore, (version, mut cells): (u64, BTreeMap<Cell, i64>)| {
        let changes = store.figure_changes_since(version).unwrap()?;
        for change in &changes {
            assert!(change.version > version);
            for (cell, d) in change.cells_of(la()) {
                let v = cells.entry(cell).or_default();
                *v += d;
                if *v == 0 {
                    cells.remove(&cell);
                }
            }
        }
        let at = changes.last().map_or(version, |c| c.version);
        Some((at, cells))
    };
    let (n, d) = (Measure::Numerator, Measure::Denominator);
    store
        .commit(batch(
            &[(la(), cell(4, n), 2), (la(), cell(4, d), 5)],
            false,
            Some(1),
        ))
        .unwrap();
    let early = read(&store);
    // Another authority's commit: nothing of 372's changes.
    store
        .commit(batch(&[(other, cell(4, n), 1)], false, Some(2)))
        .unwrap();
    let changes = store.figure_changes_since(early.0).unwrap().unwrap();
    assert!(!changes.iter().any(|c| c.touches(la())));
    assert!(changes.iter().all(|c| c.touches(other)));
    // Staged, then published: one change, with both commits' differences.
    store
        .commit(batch(
            &[(la(), cell(4, n), -2), (la(), cell(5, n), 1)],
            true,
            None,
        ))
        .unwrap();
    assert_eq!(
        store.figure_changes_since(early.0).unwrap().unwrap().len(),
        1
    );
    store
        .commit(batch(&[(la(), cell(5, d), 3)], false, Some(3)))
        .unwrap();
    let brought = forward(&store, early.clone()).unwrap();
    assert_eq!(brought, read(&store));
    assert!(
        !brought.1.contains_key(&cell(4, n)),
        "a cell summed to zero is gone"
    );
    // Brought forward from its own version: nothing to add.
    assert_eq!(forward(&store, brought.clone()), Some(brought.clone()));

    // A day roll publishes changes that are not kept.
    let mut roll = batch(&[(la(), cell(5, n), 1)], false, None);
    roll.as_of = Some(time::macros::date!(2018 - 06 - 06));
    store.commit(roll).unwrap();
    assert_eq!(forward(&store, brought.clone()), None);
    let after_roll = read(&store);
    // Nor is a commit too large to keep.
    let large: Vec<(La, Cell, i64)> = (100..1000)
        .flat_map(|code| {
            let la = La::parse(&code.to_string()).unwrap();
            (1990..2020).flat_map(move |year| {
                (1..=12).map(move |m| {
                    let month = Month::new(year, m).unwrap();
                    (
                        la,
                        Cell {
                            month,
                            ..cell(4, n)
                        },
                        1,
                    )
                })
            })
        })
        .collect();
    assert!(large.len() > changes::HELD_CELLS);
    store.commit(batch(&large, false, Some(4))).unwrap();
    assert_eq!(forward(&store, after_roll), None);
    // Clearing moves the version on: figures read before never pass for those after.
    let before_clear = read(&store);
    store.clear().unwrap();
    assert!(store.figures_version().unwrap() > before_clear.0);
    assert_eq!(forward(&store, before_clear), None);
    store
        .commit(batch(&[(la(), cell(6, n), 1)], false, Some(1)))
        .unwrap();
    let cleared = read(&store);
    assert_eq!(cleared.1.len(), 1);
    store.reopen().unwrap();
    assert_eq!(forward(&store, cleared), None);
}

/// The newest of sled's recovery snapshots in `dir`: the log position it covers, as named.
fn newest_snapshot(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let lsn = name.strip_prefix("snap.")?;
            u64::from_str_radix(lsn, 16).ok()
        })
        .max()
        .unwrap_or(0)
}

/// A checkpoint writes sled's recovery snapshot up to the last commit (so the next open does
/// not replay what was written since this one), under a clone that keeps being used, and loses
/// nothing.
#[test]
fn a_checkpoint_moves_the_recovery_snapshot_to_the_last_commit() {
    use crate::{ProjectionBatch, ProjectionStore, SledSettings, SledStore};
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &SledSettings::default()).unwrap();
    let user = store.clone();
    let opened_at = newest_snapshot(dir.path());
    for applied in 1..=50 {
        store
            .commit(ProjectionBatch {
                new_events: 1,
                applied_sequence: Some(applied),
                ..Default::default()
            })
            .unwrap();
    }
    assert_eq!(newest_snapshot(dir.path()), opened_at);
    store.checkpoint().unwrap();
    assert!(newest_snapshot(dir.path()) > opened_at);
    assert_eq!(user.applied_sequence().unwrap(), 50);
    user.commit(ProjectionBatch {
        new_events: 1,
        applied_sequence: Some(51),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(store.counts().unwrap().events_stored, 51);
}

/// Cells read between two answers of the same settled figures version are exactly that
/// version's, while commits are applied on another thread: each commit adds one to every
/// cell of several indicators (rows sled stores apart, so a scan can cross a commit), and
/// the mirror never runs ahead of what sled holds.
#[test]
fn cells_read_at_one_settled_version_are_that_versions_while_commits_land() {
    use crate::{ProjectionBatch, ProjectionStore, SledSettings, SledStore};
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &SledSettings::default()).unwrap();
    let cells: Vec<Cell> = Indicator::ALL
        .iter()
        .take(12)
        .flat_map(|&indicator| {
            (1..=12).map(move |m| Cell {
                indicator,
                month: Month::new(2018, m).unwrap(),
                measure: Measure::Numerator,
            })
        })
        .collect();
    let base = store.figures_version().unwrap();
    const COMMITS: u64 = 300;
    let committer = {
        let store = store.clone();
        let cells = cells.clone();
        std::thread::spawn(move || {
            for applied in 1..=COMMITS {
                let mut batch = ProjectionBatch {
                    applied_sequence: Some(applied),
                    ..Default::default()
                };
                batch.add_cell_deltas(cells.iter().map(|c| ((la(), *c), 1)).collect());
                store.commit(batch).unwrap();
            }
        })
    };
    let mut exact_reads = 0;
    while !committer.is_finished() {
        let applied = store.applied_sequence().unwrap();
        let before = store.settled_figures_version().unwrap();
        let read = store.authority_cells(la()).unwrap();
        let after = store.settled_figures_version().unwrap();
        // The mirror is never ahead of sled: every commit it counts is in the cells.
        let least = i64::try_from(applied).unwrap();
        assert!(read.len() == cells.len() || least == 0);
        assert!(
            read.iter().all(|(_, n)| *n >= least),
            "mirror ahead of sled"
        );
        if let Some(settled) = before.filter(|_| before == after) {
            let v = i64::try_from(settled - base).unwrap();
            assert!(
                read.iter().all(|(_, n)| *n == v),
                "cells read at settled version {v} hold another version's"
            );
            exact_reads += 1;
        }
    }
    committer.join().unwrap();
    assert!(exact_reads > 0, "some reads fell between commits");
    let last = store.authority_cells(la()).unwrap();
    assert!(last.iter().all(|(_, n)| *n == COMMITS as i64));
}
