//! Crash and outage recovery: whatever stops the projector, resuming gives exactly the
//! projections of a clean rebuild.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use std::collections::BTreeMap;

use caseflow_domain::indicators::Cell;
use caseflow_domain::indicators::caseloads::WorkerState;
use caseflow_domain::{Id, La, Month, Subject};
use caseflow_log::EventLog;
use caseflow_projector::wait_until;
use caseflow_store::{
    Counts, ProjectionBatch, ProjectionStore, RejectionRecord, SledSettings, SledStore, StoreError,
    SubjectLog,
};
use caseflow_tests::*;
use tokio::sync::watch;

pub(crate) fn sample() -> Vec<String> {
    caseflow::sample::COMMITTED_SAMPLE
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Publishes the sample raw (invalid lines too, so rejections are part of the projection).
async fn publish_sample(nats_url: &str) -> u64 {
    publish_lines(nats_url, &sample()).await
}

/// A NATS server holding the published sample: the server (kept alive by the caller), the
/// stream's last sequence, and a connection to the log.
async fn sample_stream() -> (TestNats, u64, EventLog) {
    let nats = TestNats::start();
    let target = publish_sample(&nats.url()).await;
    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    (nats, target, log)
}

/// What projecting the whole published sample (`messages` of them) stores: the sample re-sends
/// one event (its second line, at the end: a duplicate) and ends with three invalid events
/// (an unknown placement type, `occurredOn` after `recordedAt`, 30 February), so every other
/// message is an event stored (see `caseflow::sample`).
pub(crate) fn sample_counts(messages: u64) -> Counts {
    assert_eq!(messages, sample().len() as u64);
    Counts {
        events_stored: messages - 1 - 3,
        rejections: 3,
        duplicates: 1,
    }
}

/// Publishes sample lines raw; returns the stream's last sequence.
pub(crate) async fn publish_lines(nats_url: &str, lines: &[String]) -> u64 {
    let log = EventLog::connect(nats_url, &Default::default(), Default::default())
        .await
        .unwrap();
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let subject = format!(
            "caseflow.events.{}.child.{}",
            v["la"].as_str().unwrap(),
            v["childId"].as_str().unwrap()
        );
        publish_raw(nats_url, &subject, line.as_bytes(), None).await;
    }
    log.last_sequence().await.unwrap()
}

/// Runs a projector on `store` until it has applied `target`.
pub(crate) async fn project(
    log: &EventLog,
    store: Arc<dyn ProjectionStore>,
    batch_size: usize,
    target: u64,
) {
    project_with(log, store, batch_size, target, Default::default()).await
}

async fn project_with(
    log: &EventLog,
    store: Arc<dyn ProjectionStore>,
    batch_size: usize,
    target: u64,
    indicators: caseflow_domain::settings::Settings,
) {
    project_on(log, store, batch_size, target, indicators, TODAY).await
}

/// Runs a projector on `store`, on `today` (YYYY-MM-DD), until it has applied `target` as of
/// that day.
pub(crate) async fn project_on(
    log: &EventLog,
    store: Arc<dyn ProjectionStore>,
    batch_size: usize,
    target: u64,
    indicators: caseflow_domain::settings::Settings,
    today: &str,
) {
    let mut config = caseflow::config::Config {
        today: Some(today.to_owned()),
        indicators,
        ..Default::default()
    };
    config.projector.batch_size = batch_size;
    config.projector.roll_chunk = 7;
    let projector = caseflow::app::projector(&config, store.clone());
    let fingerprint = Some(projector.fingerprint());
    let today = config.today();
    let (stop, rx) = watch::channel(false);
    let task_log = log.clone();
    let task = tokio::spawn(async move { projector.run(&task_log, rx).await });
    wait_until(Duration::from_secs(120), || {
        Ok(store.fingerprint()? == fingerprint
            && store.applied_sequence()? >= target
            && store.as_of()? == today)
    })
    .await
    .expect("projector stuck");
    stop.send(true).unwrap();
    task.await.unwrap();
}

/// Runs a projector on `store` on 3 July 2018, a month after [`clock`]'s day (the horizon
/// moves and reviews, visits and checks fall due), until it has applied `target`.
async fn project_a_month_later(log: &EventLog, store: Arc<dyn ProjectionStore>, target: u64) {
    project_on(log, store, 500, target, Default::default(), "2018-07-03").await
}

pub(crate) fn open(dir: &tempfile::TempDir) -> Arc<SledStore> {
    Arc::new(
        SledStore::open(
            dir.path(),
            &SledSettings {
                cache_capacity_bytes: 8 << 20,
            },
        )
        .unwrap(),
    )
}

/// Which commit a [`CrashingStore`] fails.
#[derive(Clone, Copy, Debug)]
enum CrashPoint {
    /// The n-th commit of any kind (0: recording the fingerprint).
    Commit(usize),
    /// The n-th commit that stores derived subjects.
    Deriving(usize),
    /// The first commit that derives subjects and moves the applied sequence (the last chunk
    /// of a catch-up).
    Applying,
    /// No commit: the store only records what queries would see after each one.
    Never,
}

/// What a query reads after a commit: the applied sequence, the day, and authority 372's
/// cells and month-end cases (May 2018).
type Seen = (
    u64,
    Option<time::Date>,
    Vec<(Cell, i64)>,
    BTreeMap<Option<Id>, i64>,
);

/// A store that fails one commit, either before it reaches sled or after sled applied it (the
/// process "dies" before hearing back): both must resume to the same projections.
struct CrashingStore {
    inner: Arc<SledStore>,
    commits: AtomicUsize,
    deriving: AtomicUsize,
    crashed: AtomicBool,
    at: CrashPoint,
    after_commit: bool,
    seen: std::sync::Mutex<Vec<Seen>>,
}

impl CrashingStore {
    fn new(inner: Arc<SledStore>, at: CrashPoint, after_commit: bool) -> CrashingStore {
        CrashingStore {
            inner,
            commits: AtomicUsize::new(0),
            deriving: AtomicUsize::new(0),
            crashed: AtomicBool::new(false),
            at,
            after_commit,
            seen: Default::default(),
        }
    }
}

fn crash() -> StoreError {
    StoreError::Encode(postcard::Error::SerializeBufferFull)
}

impl ProjectionStore for CrashingStore {
    fn applied_sequence(&self) -> Result<u64, StoreError> {
        self.inner.applied_sequence()
    }
    fn fingerprint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.fingerprint()
    }
    fn stream_mark(&self) -> Result<Option<caseflow_store::StreamMark>, StoreError> {
        self.inner.stream_mark()
    }
    fn month_end_cases(
        &self,
        la: La,
        month: Month,
    ) -> Result<BTreeMap<Option<Id>, i64>, StoreError> {
        self.inner.month_end_cases(la, month)
    }
    fn workers_at(&self, la: La, month: Month) -> Result<BTreeMap<Id, WorkerState>, StoreError> {
        self.inner.workers_at(la, month)
    }
    fn as_of(&self) -> Result<Option<time::Date>, StoreError> {
        self.inner.as_of()
    }
    fn counts(&self) -> Result<Counts, StoreError> {
        self.inner.counts()
    }
    fn subject_log(&self, subject: &Subject) -> Result<SubjectLog, StoreError> {
        self.inner.subject_log(subject)
    }
    fn derived_on(&self, subject: &Subject) -> Result<Option<time::Date>, StoreError> {
        self.inner.derived_on(subject)
    }
    fn subjects(&self, la: Option<La>) -> Result<Vec<Subject>, StoreError> {
        self.inner.subjects(la)
    }
    fn recorded(&self, la: La) -> Result<BTreeMap<String, u64>, StoreError> {
        self.inner.recorded(la)
    }
    fn rejections(
        &self,
        la: Option<La>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<RejectionRecord>, StoreError> {
        self.inner.rejections(la, after, limit)
    }
    fn commit(&self, batch: ProjectionBatch) -> Result<(), StoreError> {
        let n = self.commits.fetch_add(1, Ordering::SeqCst);
        let derives = !batch.derived.is_empty();
        let d = if derives {
            self.deriving.fetch_add(1, Ordering::SeqCst)
        } else {
            usize::MAX
        };
        let hit = match self.at {
            CrashPoint::Commit(k) => n == k,
            CrashPoint::Deriving(k) => d == k,
            CrashPoint::Applying => derives && batch.applied_sequence.is_some(),
            CrashPoint::Never => false,
        };
        if hit && !self.crashed.swap(true, Ordering::SeqCst) {
            if self.after_commit {
                self.inner.commit(batch)?;
            }
            return Err(crash());
        }
        self.inner.commit(batch)?;
        if matches!(self.at, CrashPoint::Never) {
            let la = La::parse("372").unwrap();
            let may = "2018-05".parse().unwrap();
            self.seen.lock().unwrap().push((
                self.inner.applied_sequence()?,
                self.inner.as_of()?,
                self.inner.authority_cells(la)?,
                self.inner.month_end_cases(la, may)?,
            ));
        }
        Ok(())
    }
    fn clear(&self) -> Result<(), StoreError> {
        self.inner.clear()
    }
    fn authority_cells(&self, la: La) -> Result<Vec<(Cell, i64)>, StoreError> {
        self.inner.authority_cells(la)
    }
}

fn rejection_keys(store: &SledStore) -> Vec<(u64, String)> {
    store
        .rejections(None, 0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|r| (r.sequence, r.reason))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_at_any_commit_resumes_to_a_clean_rebuild() {
    let (_nats, target, log) = sample_stream().await;

    let clean_dir = tempfile::tempdir().unwrap();
    let clean = open(&clean_dir);
    project(&log, clean.clone(), 500, target).await;
    let expected = clean.dump().unwrap();
    assert_eq!(clean.counts().unwrap(), sample_counts(target));

    // With batches of 64 the projector records the fingerprint, rolls the first day, reads
    // the batches into a backlog while catching up, then stores and derives its children 7 at
    // a time, the last chunk moving the applied sequence. Crash in each phase, before and after
    // sled applies.
    for (at, after_commit) in [
        (CrashPoint::Commit(0), false),
        (CrashPoint::Commit(1), true),
        (CrashPoint::Commit(2), false),
        (CrashPoint::Commit(9), true),
        (CrashPoint::Deriving(0), false),
        (CrashPoint::Deriving(0), true),
        (CrashPoint::Deriving(4), false),
        (CrashPoint::Applying, true),
        (CrashPoint::Applying, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let inner = open(&dir);
        let store = Arc::new(CrashingStore::new(inner.clone(), at, after_commit));
        project(&log, store.clone(), 64, target).await;
        assert!(
            store.crashed.load(Ordering::SeqCst),
            "the crash at {at:?} happened"
        );
        assert!(
            inner.dump().unwrap() == expected,
            "projections differ after a crash at {at:?} (after: {after_commit})"
        );
        assert_eq!(rejection_keys(&inner), rejection_keys(&clean));
    }
}

/// Each subject records the day its cells were derived as of, so a day roll cut short resumes
/// with the subjects not yet rolled (the others would otherwise move the figures twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_while_rolling_the_day_resumes_to_a_clean_rebuild() {
    let (_nats, target, log) = sample_stream().await;

    let clean_dir = tempfile::tempdir().unwrap();
    let clean = open(&clean_dir);
    project_a_month_later(&log, clean.clone(), target).await;
    let expected = clean.dump().unwrap();
    let before = {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        project(&log, store.clone(), 500, target).await;
        store.dump().unwrap()
    };
    assert!(before != expected, "the day moves figures");

    // Projected on 5 June, then started on 3 July: the roll re-derives every subject 7 at a
    // time. Crash on the first, third and sixth chunk, before and after sled applies it.
    for (k, after_commit) in [(0, false), (2, true), (5, false), (5, true)] {
        let dir = tempfile::tempdir().unwrap();
        let inner = open(&dir);
        project(&log, inner.clone(), 500, target).await;
        let at = CrashPoint::Deriving(k);
        let store = Arc::new(CrashingStore::new(inner.clone(), at, after_commit));
        project_a_month_later(&log, store.clone(), target).await;
        assert!(store.crashed.load(Ordering::SeqCst), "crashed at {at:?}");
        assert!(
            inner.dump().unwrap() == expected,
            "projections differ after a crash rolling the day at {at:?} (after: {after_commit})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_move_only_with_the_applied_sequence_or_the_day() {
    // Settles and day rolls of many chunks (7 subjects each): what a query reads after any
    // commit is the same for the same applied sequence and day, never some chunks' subjects
    // and not the others'.
    let (_nats, target, log) = sample_stream().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(CrashingStore::new(open(&dir), CrashPoint::Never, false));
    project(&log, store.clone(), 500, target).await;
    project_a_month_later(&log, store.clone(), target).await;

    let seen = store.seen.lock().unwrap();
    let mut by_state: BTreeMap<(u64, Option<time::Date>), Vec<&Seen>> = BTreeMap::new();
    for s in seen.iter() {
        by_state.entry((s.0, s.1)).or_default().push(s);
    }
    // Not vacuous: some states were seen after several commits (chunks), and the figures
    // moved between states.
    assert!(by_state.values().any(|commits| commits.len() > 5));
    assert!(by_state.len() >= 3, "{:?}", by_state.keys());
    for ((applied, day), commits) in &by_state {
        let first = commits[0];
        for s in commits {
            assert!(
                s.2 == first.2 && s.3 == first.3,
                "figures moved within applied sequence {applied} as of {day:?}"
            );
        }
    }
    let distinct: std::collections::BTreeSet<_> =
        by_state.values().map(|c| format!("{:?}", c[0].2)).collect();
    assert!(distinct.len() >= 3, "the figures moved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_caseflow_mid_stream_and_restarting_matches_a_rebuild() {
    let nats = TestNats::start();
    let lines = sample();
    let (first, second) = lines.split_at(lines.len() / 2);
    let half = publish_lines(&nats.url(), first).await;
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let cf = TestCaseflow::start_in(&nats.url(), dir.clone()).await;
    cf.caught_up().await;
    // Publish the rest while it runs, and kill it once it is part-way through.
    let url = nats.url();
    let second = second.to_vec();
    let publishing = tokio::spawn(async move { publish_lines(&url, &second).await });
    loop {
        if cf.running.store.applied_sequence().unwrap() > half + 64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    cf.running.kill().await;
    let target = publishing.await.unwrap();
    // The store is released once the last blocking apply finishes.
    let cf = loop {
        match caseflow::app::start(&config(&nats.url(), &dir)).await {
            Ok(running) => break running,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    cf.wait_caught_up(Duration::from_secs(120), |_, _| {})
        .await
        .unwrap();
    let resumed = cf.store.dump().unwrap();
    cf.shutdown().await.unwrap();

    let clean_dir = tempfile::tempdir().unwrap();
    let clean = open(&clean_dir);
    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    project(&log, clean.clone(), 500, target).await;
    assert!(
        resumed == clean.dump().unwrap(),
        "resumed projections differ from a rebuild"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_while_projecting_is_survived() {
    let mut nats = TestNats::start();
    let lines = sample();
    let (first, second) = lines.split_at(lines.len() / 2);
    let cf = TestCaseflow::start(&nats).await;
    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    let valid = |lines: &[String]| -> Vec<String> {
        // the CLI path refuses the sample's invalid lines; keep only valid ones
        lines
            .iter()
            .filter(|l| {
                caseflow_proto::decode_event(l.as_bytes(), None)
                    .and_then(|d| {
                        let s = d.subject()?;
                        d.validate(&s, caseflow_domain::Timestamp(i64::MAX))
                    })
                    .is_ok()
            })
            .cloned()
            .collect()
    };
    publish(&log, valid(first)).await;

    nats.server.restart().unwrap();

    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    publish(&log, valid(second)).await;
    cf.caught_up().await;
    let after_outage = cf.running.store.dump().unwrap();
    let target = log.last_sequence().await.unwrap();
    cf.stop().await;

    let clean_dir = tempfile::tempdir().unwrap();
    let clean = open(&clean_dir);
    project(&log, clean.clone(), 500, target).await;
    assert!(
        after_outage == clean.dump().unwrap(),
        "projections differ after the NATS restart"
    );
    // Published through the CLI's path: its three invalid lines were refused before the stream,
    // and JetStream dropped the re-send (the same Nats-Msg-Id within its window).
    assert_eq!(
        clean.counts().unwrap(),
        Counts {
            events_stored: lines.len() as u64 - 3 - 1,
            rejections: 0,
            duplicates: 0,
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_indicator_settings_rebuild_the_projections() {
    let (_nats, target, log) = sample_stream().await;
    let stricter = caseflow_domain::settings::Settings {
        dental_interval_months: 6,
        ..Default::default()
    };

    let clean_dir = tempfile::tempdir().unwrap();
    let clean = open(&clean_dir);
    project_with(&log, clean.clone(), 500, target, stricter.clone()).await;
    let expected = clean.dump().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    project(&log, store.clone(), 500, target).await;
    assert!(
        store.dump().unwrap() != expected,
        "the setting changes the projections"
    );
    // Same store, other settings: the projector notices, clears and replays.
    project_with(&log, store.clone(), 500, target, stricter).await;
    assert!(store.dump().unwrap() == expected);
}
