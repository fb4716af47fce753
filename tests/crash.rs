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
    /// The first commit that moves the applied sequence (the last chunk of a catch-up; after
    /// a rebuild by authority, the commit that records it done).
    Applying,
    /// The first commit that derives subjects and publishes the figures they moved (the last
    /// chunk of a settle: of one authority's, in a rebuild by authority).
    Publishing,
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
    // Whether the commit was staged (publishes nothing).
    bool,
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
    fn figures_version(&self) -> Result<u64, StoreError> {
        self.inner.figures_version()
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
        let staged = batch.stage && batch.applied_sequence.is_none() && batch.as_of.is_none();
        let d = if derives {
            self.deriving.fetch_add(1, Ordering::SeqCst)
        } else {
            usize::MAX
        };
        let hit = match self.at {
            CrashPoint::Commit(k) => n == k,
            CrashPoint::Deriving(k) => d == k,
            CrashPoint::Applying => batch.applied_sequence.is_some_and(|a| a > 0),
            CrashPoint::Publishing => derives && !batch.stage,
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
                staged,
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

    // The projector records the fingerprint, rolls the first day, reads the stream's one
    // authority into a backlog, then stores and derives its children 7 at a time, the last
    // chunk publishing the figures, and last records the applied sequence. Crash in each
    // phase, before and after sled applies.
    for (at, after_commit) in [
        (CrashPoint::Commit(0), false),
        (CrashPoint::Commit(1), true),
        (CrashPoint::Commit(2), false),
        (CrashPoint::Commit(9), true),
        (CrashPoint::Deriving(0), false),
        (CrashPoint::Deriving(0), true),
        (CrashPoint::Deriving(4), false),
        (CrashPoint::Publishing, true),
        (CrashPoint::Publishing, false),
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
async fn figures_move_only_with_the_last_commit_of_a_settle_or_a_day_roll() {
    // A rebuild by authority, a settle and day rolls of many chunks (7 subjects each): the
    // chunks before the last stage their changes, so what a query reads after a staged commit
    // is what it read before it, never some chunks' subjects and not the others'.
    let (nats, target, log) = sample_stream().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(CrashingStore::new(open(&dir), CrashPoint::Never, false));
    project(&log, store.clone(), 500, target).await;
    // One more event, settled in order: a settle of its own.
    let late = admitted("372", "C-late", "late-admission", "2018-05-20", "C2");
    publish_lines(&nats.url(), &[late]).await;
    project(&log, store.clone(), 500, target + 1).await;
    project_a_month_later(&log, store.clone(), target + 1).await;

    let seen = store.seen.lock().unwrap();
    let figures = |s: &Seen| (s.2.clone(), s.3.clone());
    let mut staged = 0;
    for pair in seen.windows(2) {
        if pair[1].4 {
            staged += 1;
            assert!(
                figures(&pair[1]) == figures(&pair[0]),
                "figures moved with a staged commit (applied {}, as of {:?})",
                pair[1].0,
                pair[1].1
            );
        }
    }
    // Not vacuous: many commits were staged, and the figures moved between the others.
    assert!(staged > 5, "{staged} staged commits");
    let distinct: std::collections::BTreeSet<_> =
        seen.iter().map(|s| format!("{:?}", s.2)).collect();
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

/// Projections built from a stream that already holds history are read authority by authority:
/// two authorities' histories published interleaved, and one message under no authority (a
/// subject without a three-digit code). Each subject is derived once, the figures are those of
/// settling the stream in order in small backlogs, and the stray message is rejected once; and
/// with the backlogs held to fewer messages than the authorities interleave, the same figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_built_authority_by_authority_derives_each_subject_once() {
    let nats = TestNats::start();
    let lines = sample();
    let mut interleaved = Vec::new();
    for line in &lines {
        interleaved.push(line.clone());
        interleaved.push(line.replace("\"la\":\"372\"", "\"la\":\"201\""));
    }
    assert!(
        interleaved.iter().any(|l| l.contains("\"la\":\"201\"")),
        "the sample names its authority as expected"
    );
    publish_lines(&nats.url(), &interleaved[..interleaved.len() / 2]).await;
    publish_raw(
        &nats.url(),
        "caseflow.events.LA1.child.C1",
        lines[0].as_bytes(),
        None,
    )
    .await;
    let target = publish_lines(&nats.url(), &interleaved[interleaved.len() / 2..]).await;
    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    let messages = log.read_under("caseflow.events.>").await.unwrap();
    assert_eq!(messages.len() as u64, target);
    let subjects: std::collections::BTreeSet<&str> = messages
        .iter()
        .filter(|m| Subject::parse(&m.subject).is_some())
        .map(|m| m.subject.as_str())
        .collect();

    // In stream order, settled every 50 messages (subjects cut across settles).
    let ordered_dir = tempfile::tempdir().unwrap();
    let ordered = open(&ordered_dir);
    let projector = caseflow::app::projector(&config(&nats.url(), &ordered_dir), ordered.clone());
    projector.ensure_fingerprint().unwrap();
    let mut rederived_in_order = 0;
    for chunk in messages.chunks(50) {
        let mut backlog = caseflow_projector::Backlog::default();
        projector.read_into(&mut backlog, chunk).unwrap();
        rederived_in_order += projector.settle(backlog).unwrap().subjects;
    }
    assert!(
        rederived_in_order > subjects.len(),
        "settled in order, some subjects are derived more than once"
    );

    let cf = TestCaseflow::start(&nats).await;
    cf.caught_up().await;
    let metrics = cf.metrics().await;
    let rederived =
        caseflow_tests::sample(&metrics, "caseflow_projector_subjects_rederived_total", &[]);
    assert_eq!(rederived, Some(subjects.len() as f64), "{metrics}");
    assert_eq!(cf.running.store.applied_sequence().unwrap(), target);
    let mark = cf.running.store.stream_mark().unwrap().unwrap();
    assert_eq!(mark.sequence, target);
    let status = cf
        .operations()
        .get_status(caseflow_proto::v2::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.rejections, ordered.counts().unwrap().rejections);
    assert_eq!(
        status.rejections,
        2 * 3 + 1,
        "the sample's three, twice, and the stray"
    );
    let (built, in_order) = (cf.running.store.dump().unwrap(), ordered.dump().unwrap());
    let differing: Vec<String> = built
        .iter()
        .filter(|kv| !in_order.contains(kv))
        .chain(in_order.iter().filter(|kv| !built.contains(kv)))
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        // Settled by hand, the projector has not read the stream's identity to mark.
        .filter(|k| k != "Mstream_mark")
        .collect();
    assert!(
        differing.is_empty(),
        "built by authority, the projections differ from those settled in order: {differing:?}"
    );
    cf.stop().await;

    // Held to 500 messages, the interleaved authorities' backlogs are settled early, the
    // largest first: some subjects are then derived more than once, to the same figures.
    let held = TestCaseflow::start_with(&nats, |c| c.projector.defer_up_to = 500).await;
    held.caught_up().await;
    let metrics = held.metrics().await;
    let rederived =
        caseflow_tests::sample(&metrics, "caseflow_projector_subjects_rederived_total", &[]);
    assert!(rederived > Some(subjects.len() as f64), "{metrics}");
    assert!(held.running.store.dump().unwrap() == built);
    held.stop().await;
}
