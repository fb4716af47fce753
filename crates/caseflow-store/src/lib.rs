//! caseflow's projection store: everything derived from the event log, on sled.
//!
//! The only crate that touches sled. Everything lives in one tree so that one projector batch
//! (events stored, children re-derived, counters moved, rejections recorded, and the last
//! applied stream sequence) is one atomic `apply_batch`, flushed to disk before the projector
//! reports progress. A crash at any point therefore resumes with every event applied once.
//!
//! Key space (first byte is the table):
//! - `M` + name: metadata (applied sequence, as-of day, counts, fingerprint)
//! - `E` + subject key: the subject's log, every event stored for it in stream order and the
//!   last stream sequence it has absorbed (see [`SubjectLog`])
//! - `D` + subject key: the day the subject's part in the summed tables was derived as of (its
//!   derived state itself is not stored: it is re-derived from its log when it changes)
//! - `C` + la + indicator: the indicator's summed figure cells in the authority, every month
//!   and measure in one value (see [`CellRow`]): a rebuild writes one value per indicator
//!   instead of one per cell, and a query's snapshot reads about sixty
//! - `A` + la + month: children looked after at the month end, counted by the worker holding
//!   their case (`None`: not allocated), in one value
//! - `W` + la + month + worker: a worker's record at the month end
//! - `R` + stream sequence: a rejection record
//! - `K` + la: the authority's events stored, counted by payload kind (what it records at all)

pub(crate) mod changes;
mod keys;
mod records;
#[cfg(test)]
mod tests;

/// The version of the store's layout and record encodings. Projections written with another
/// version are rebuilt from the event log (it is part of the projector's fingerprint).
pub const FORMAT_VERSION: u32 = 10;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use caseflow_domain::indicators::Cell;
use caseflow_domain::indicators::caseloads::WorkerState;
use caseflow_domain::{Id, La, Month, Subject};
use serde::{Deserialize, Serialize};
use tracing::instrument;

pub use changes::FigureChanges;
use changes::RecentChanges;
pub use records::{
    CellRow, Conflict, Counters, Counts, EncodedLog, RejectionRecord, StoredEvent, StreamMark,
    SubjectLog,
};
use records::{Staged, corrupt_key, decode, encode};

/// Everything one projector batch changes, committed atomically.
#[derive(Debug, Default)]
pub struct ProjectionBatch {
    /// Subjects' logs that changed (new events, or duplicates absorbed).
    pub logs: Vec<(Subject, EncodedLog)>,
    /// Events newly stored by this batch (for the counts).
    pub new_events: u64,
    /// Of those, how many of each payload kind (its contract name) in each authority.
    pub recorded: BTreeMap<(La, &'static str), i64>,
    /// Subjects re-derived, with the day they were derived as of.
    pub derived: Vec<(Subject, time::Date)>,
    pub cell_deltas: BTreeMap<(La, Cell), i64>,
    pub case_deltas: BTreeMap<(La, Month, Option<Id>), i64>,
    pub worker_months_removed: Vec<(La, Month, Id)>,
    pub worker_months_put: Vec<(La, Month, Id, WorkerState)>,
    pub rejections: Vec<RejectionRecord>,
    pub duplicates: u64,
    /// Set when, with this batch, the stream up to this sequence is stored and derived: figures
    /// are then exactly those of the stream up to here.
    pub applied_sequence: Option<u64>,
    /// Set when the batch moves the day figures are derived as of.
    pub as_of: Option<time::Date>,
    /// Set to record what the projections were derived with (see [`ProjectionStore::fingerprint`]).
    pub fingerprint: Option<Vec<u8>>,
    /// Set with the applied sequence: the stream and message it was read to.
    pub stream_mark: Option<StreamMark>,
    /// Keeps this batch's changes to what figures read (cells, month-end cases, workers'
    /// records) aside, to be published with the next batch that is not staged: a settle or a
    /// day roll in several chunks then moves the figures all at once, with its last commit,
    /// and queries never see some of its subjects and not others. Logs, derived days, counts
    /// and rejections are written as usual. Ignored by a batch that moves the applied sequence
    /// or the day: that one publishes.
    pub stage: bool,
}

impl ProjectionBatch {
    /// Adds many cells' differences at once: sorted and summed first, which costs far less
    /// than one map update each when there are millions.
    pub fn add_cell_deltas(&mut self, mut deltas: Vec<((La, Cell), i64)>) {
        deltas.sort_unstable_by_key(|d| d.0);
        let mut merged: Vec<((La, Cell), i64)> = Vec::with_capacity(deltas.len());
        for (key, amount) in deltas {
            match merged.last_mut() {
                Some(last) if last.0 == key => last.1 += amount,
                _ => merged.push((key, amount)),
            }
        }
        if self.cell_deltas.is_empty() {
            // Built from sorted input in one pass.
            self.cell_deltas = merged.into_iter().collect();
        } else {
            for (key, amount) in merged {
                *self.cell_deltas.entry(key).or_default() += amount;
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Sled(#[from] sled::Error),
    #[error("stored value under {key} cannot be decoded: {source}")]
    Corrupt {
        key: String,
        source: postcard::Error,
    },
    #[error("cannot encode a value: {0}")]
    Encode(postcard::Error),
    /// The store's directory does not take writes.
    #[error("cannot write to {}: {source}", dir.display())]
    Unwritable {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// Between closing the store after a failed write and opening it again.
    #[error("the projection store is being reopened after a failed write")]
    Reopening,
}

impl StoreError {
    /// Whether the store itself failed (an I/O error: the disk full or read-only, say), as
    /// opposed to a value it holds: the store must then be [reopened](ProjectionStore::reopen).
    pub fn is_storage(&self) -> bool {
        matches!(
            self,
            StoreError::Sled(_) | StoreError::Unwritable { .. } | StoreError::Reopening
        )
    }
}

/// What stands between the projections and the stream, as the projector last found it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Condition {
    /// The stream no longer holds the history the projections were built from: their figures
    /// are not the stream's, and are not served.
    pub lost_history: Option<String>,
    /// The projections cannot be written (the disk full or read-only, say): nothing more is
    /// applied until they can. Their figures are still a committed prefix of the stream's, so
    /// they are served; they fall behind.
    pub unwritable: Option<String>,
}

impl Condition {
    /// Why the figures must not be served, if they must not.
    pub fn refusal(&self) -> Option<&str> {
        self.lost_history.as_deref()
    }

    /// Everything wrong, in one sentence (`None`: all is well).
    pub fn problem(&self) -> Option<String> {
        match (&self.lost_history, &self.unwritable) {
            (None, None) => None,
            (Some(one), None) | (None, Some(one)) => Some(one.clone()),
            (Some(lost), Some(unwritable)) => Some(format!("{lost}; {unwritable}")),
        }
    }
}

/// The store the projector writes and the query service reads.
pub trait ProjectionStore: Send + Sync + 'static {
    /// The last stream sequence whose figures are derived (0: nothing yet): queries see
    /// exactly the stream up to here. Answered from memory (queries ask on every call).
    fn applied_sequence(&self) -> Result<u64, StoreError>;
    /// Changes whenever a commit may have moved what figures read (cells, month-end cases,
    /// workers' records): with the applied sequence, or when a rebuild by authority publishes
    /// one authority's figures before the applied sequence moves. Figures read at one version
    /// and day are those of any later read at the same. Answered from memory; only compared
    /// with itself within one process.
    fn figures_version(&self) -> Result<u64, StoreError> {
        self.applied_sequence()
    }
    /// The figures version when no commit that moves it is being applied; `None` while one
    /// is (what is read from the store may then hold some of it, before the version says so).
    /// Figures read between two answers of the same version are exactly that version's.
    fn settled_figures_version(&self) -> Result<Option<u64>, StoreError> {
        self.figures_version().map(Some)
    }
    /// What the commits that moved the figures version after `version` changed, oldest first,
    /// if the store still holds all of them in memory (`None`: read the figures again). The
    /// last change's version is the version the figures are then at; none: still `version`.
    fn figure_changes_since(
        &self,
        version: u64,
    ) -> Result<Option<Vec<Arc<FigureChanges>>>, StoreError> {
        let _ = version;
        Ok(None)
    }
    /// What the projections were derived with (format and indicator settings), if recorded.
    fn fingerprint(&self) -> Result<Option<Vec<u8>>, StoreError>;
    /// The stream and message the applied sequence was read to (none before the first settle).
    fn stream_mark(&self) -> Result<Option<StreamMark>, StoreError>;
    /// The day figures were last derived as of ("today" then); its month is the last derived.
    /// Answered from memory.
    fn as_of(&self) -> Result<Option<time::Date>, StoreError>;
    fn counts(&self) -> Result<Counts, StoreError>;
    /// The subject's log (empty when nothing is stored for it).
    fn subject_log(&self, subject: &Subject) -> Result<SubjectLog, StoreError>;
    /// The subject's stored events, in stream order.
    fn events(&self, subject: &Subject) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self.subject_log(subject)?.events)
    }
    /// The day the subject's part in the summed tables was derived as of (`None`: it has none).
    fn derived_on(&self, subject: &Subject) -> Result<Option<time::Date>, StoreError>;
    /// The authority's events stored, by payload kind (contract name): which kinds of fact it
    /// records at all.
    fn recorded(&self, la: La) -> Result<BTreeMap<String, u64>, StoreError>;
    /// Every subject with derived state, optionally of one authority.
    fn subjects(&self, la: Option<La>) -> Result<Vec<Subject>, StoreError>;
    /// Children looked after at the end of `month`, counted by the worker holding their case
    /// (`None`: not allocated).
    fn month_end_cases(
        &self,
        la: La,
        month: Month,
    ) -> Result<BTreeMap<Option<Id>, i64>, StoreError>;
    /// Workers on the books at the end of `month`, with their records then.
    fn workers_at(&self, la: La, month: Month) -> Result<BTreeMap<Id, WorkerState>, StoreError>;
    /// Rejections with sequence above `after`, oldest first, optionally of one authority.
    fn rejections(
        &self,
        la: Option<La>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<RejectionRecord>, StoreError>;
    /// Applies a batch atomically; flushes it to disk when it moves the applied sequence, the
    /// day or the fingerprint. Commits come from one writer at a time (the projector): a
    /// batch's counters are added to what the store holds when it is built.
    fn commit(&self, batch: ProjectionBatch) -> Result<(), StoreError>;
    /// Every summed cell of one authority.
    fn authority_cells(&self, la: La) -> Result<Vec<(Cell, i64)>, StoreError>;
    /// Removes every projection (for a rebuild).
    fn clear(&self) -> Result<(), StoreError>;
    /// After a failed write: closes the store and opens it again at its last durable commit
    /// (batches are atomic, so that is a committed prefix of the stream), then checks that it
    /// can write. An error says it still cannot; call again later.
    fn reopen(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Settings of the sled store.
#[derive(Clone, Debug)]
pub struct SledSettings {
    /// sled's page cache, in bytes.
    pub cache_capacity_bytes: u64,
}

impl Default for SledSettings {
    fn default() -> Self {
        SledSettings {
            cache_capacity_bytes: 256 * 1024 * 1024,
        }
    }
}

/// A raw key and value, as [`SledStore::dump`] lists them.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// The sled implementation.
///
/// sled stops writing for good after an I/O error (every later write fails with it), so the
/// store can be [reopened](ProjectionStore::reopen) under its users: they hold the
/// `SledStore`, each operation takes the open database for its own duration.
#[derive(Clone, Debug)]
pub struct SledStore {
    sled: Arc<RwLock<Option<Sled>>>,
    path: PathBuf,
    settings: SledSettings,
    /// The applied sequence and as-of day as last committed, mirrored in memory: every query
    /// asks for them to know whether its snapshot is fresh.
    progress: Arc<Mutex<Progress>>,
}

/// The open database and the projections' tree in it.
#[derive(Clone, Debug)]
struct Sled {
    db: sled::Db,
    tree: sled::Tree,
}

impl Sled {
    fn open(path: &Path, settings: &SledSettings) -> Result<Sled, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(settings.cache_capacity_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let tree = db.open_tree("projection")?;
        Ok(Sled { db, tree })
    }
}

/// How long [`SledStore::reopen`] waits for operations still holding the old database to end
/// (sled's lock on its files is released with the last of them).
const REOPEN_WAIT: Duration = Duration::from_secs(10);

/// A key written and removed again to check that the store can write.
const WRITE_PROBE: &[u8] = b"Mwrite_probe";

/// What [`probe_writes`] writes: a few of sled's log segments (512 KiB each by default).
const PROBE_BYTES: usize = 2 << 20;

/// Writes a file of [`PROBE_BYTES`] in the store's directory to disk, and removes it: whether
/// the store could write now (disk space, permissions, a read-only mount, a file size limit).
fn probe_writes(dir: &Path) -> Result<(), StoreError> {
    use std::io::Write;
    let path = dir.join("write-probe");
    let written = std::fs::File::create(&path).and_then(|mut file| {
        file.write_all(&vec![0; PROBE_BYTES])?;
        file.sync_all()
    });
    let removed = std::fs::remove_file(&path);
    written
        .and(removed)
        .map_err(|source| StoreError::Unwritable {
            dir: dir.to_owned(),
            source,
        })
}

#[derive(Debug, Default)]
struct Progress {
    applied: u64,
    as_of: Option<time::Date>,
    /// Commits that moved what figures read, since the store was opened (see
    /// [`ProjectionStore::figures_version`]).
    figures_version: u64,
    /// Commits that move it being applied now (see
    /// [`ProjectionStore::settled_figures_version`]).
    publishing: u32,
    /// What the latest of those commits changed.
    recent: RecentChanges,
}

impl SledStore {
    #[instrument(skip(settings))]
    pub fn open(path: &Path, settings: &SledSettings) -> Result<SledStore, StoreError> {
        let store = SledStore {
            sled: Arc::new(RwLock::new(Some(Sled::open(path, settings)?))),
            path: path.to_owned(),
            settings: settings.clone(),
            progress: Arc::default(),
        };
        store.reload_progress()?;
        Ok(store)
    }

    /// The projections' tree of the open database, for one operation.
    fn tree(&self) -> Result<sled::Tree, StoreError> {
        let sled = self.sled.read().unwrap_or_else(PoisonError::into_inner);
        Ok(sled.as_ref().ok_or(StoreError::Reopening)?.tree.clone())
    }

    fn reload_progress(&self) -> Result<(), StoreError> {
        let mut progress = self.progress();
        let figures_version = progress.figures_version + 1;
        *progress = Progress {
            applied: self.get(keys::APPLIED)?.unwrap_or(0),
            as_of: self.get(keys::AS_OF)?,
            figures_version,
            publishing: progress.publishing,
            recent: RecentChanges::starting_at(figures_version),
        };
        Ok(())
    }

    /// Writes sled's recovery snapshot, so that the next open starts from it instead of
    /// replaying every log segment written since the store was last opened (sled 0.34 writes
    /// the snapshot only when it opens a store). Flushes, closes and opens the store again:
    /// operations wait meanwhile, for as long as that replay takes (seconds after millions of
    /// events). For a graceful stop, when nothing waits.
    #[instrument(skip(self), fields(path = %self.path.display()))]
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.open_again(true)?;
        Ok(())
    }

    /// Closes the open database (flushed first, or not) and opens it again; its tree.
    fn open_again(&self, flush: bool) -> Result<sled::Tree, StoreError> {
        let mut sled = self.sled.write().unwrap_or_else(PoisonError::into_inner);
        if let (true, Some(open)) = (flush, sled.as_ref()) {
            open.db.flush()?;
        }
        drop(sled.take());
        // Operations that took the old database before it was taken may still hold it, and
        // with it sled's lock on the files: wait for them.
        let started = Instant::now();
        let opened = loop {
            match Sled::open(&self.path, &self.settings) {
                Ok(opened) => break opened,
                Err(StoreError::Sled(sled::Error::Io(e)))
                    if e.to_string().contains("could not acquire lock")
                        && started.elapsed() < REOPEN_WAIT =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e),
            }
        };
        let tree = opened.tree.clone();
        *sled = Some(opened);
        Ok(tree)
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every key and value of the projections except rejection records (whose timestamps
    /// differ between runs): for comparing two stores, e.g. after a crash and after a rebuild.
    /// Tests only (feature `dump`).
    #[cfg(any(test, feature = "dump"))]
    pub fn dump(&self) -> Result<Vec<KeyValue>, StoreError> {
        self.tree()?
            .iter()
            .filter(|kv| !matches!(kv, Ok((k, _)) if k.first() == Some(&b'R')))
            .map(|kv| {
                kv.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(StoreError::from)
            })
            .collect()
    }

    /// Bytes sled uses on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        let sled = self.sled.read().unwrap_or_else(PoisonError::into_inner);
        Ok(sled
            .as_ref()
            .ok_or(StoreError::Reopening)?
            .db
            .size_on_disk()?)
    }

    fn get<T: for<'de> Deserialize<'de>>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        self.tree()?.get(key)?.map(|v| decode(key, &v)).transpose()
    }
}

/// Adds `deltas` (sorted by counter, each counter once) to the counters stored under `key`,
/// dropping those that reach zero and the value when none is left.
fn add_to_counters<K: Ord + Serialize + for<'de> Deserialize<'de>>(
    tree: &sled::Tree,
    b: &mut sled::Batch,
    key: Vec<u8>,
    deltas: impl Iterator<Item = (K, i64)>,
) -> Result<(), StoreError> {
    let mut deltas = deltas.filter(|(_, d)| *d != 0).peekable();
    if deltas.peek().is_none() {
        return Ok(());
    }
    let stored: Counters<K> = match tree.get(&key)? {
        Some(v) => decode(&key, &v)?,
        None => Vec::new(),
    };
    let mut merged: Counters<K> = Vec::with_capacity(stored.len() + 1);
    let mut stored = stored.into_iter().peekable();
    loop {
        let next = match (stored.peek(), deltas.peek()) {
            (None, None) => break,
            (Some(_), None) => stored.next(),
            (None, Some(_)) => deltas.next(),
            (Some((s, _)), Some((d, _))) => match s.cmp(d) {
                std::cmp::Ordering::Less => stored.next(),
                std::cmp::Ordering::Greater => deltas.next(),
                std::cmp::Ordering::Equal => {
                    let (k, a) = stored.next().unwrap_or_else(|| unreachable!());
                    let (_, d) = deltas.next().unwrap_or_else(|| unreachable!());
                    Some((k, a + d))
                }
            },
        };
        if let Some((k, amount)) = next.filter(|(_, amount)| *amount != 0) {
            merged.push((k, amount));
        }
    }
    if merged.is_empty() {
        b.remove(key);
    } else {
        b.insert(key, encode(&merged)?);
    }
    Ok(())
}

impl ProjectionStore for SledStore {
    fn applied_sequence(&self) -> Result<u64, StoreError> {
        Ok(self.progress().applied)
    }

    fn figures_version(&self) -> Result<u64, StoreError> {
        Ok(self.progress().figures_version)
    }

    fn settled_figures_version(&self) -> Result<Option<u64>, StoreError> {
        let progress = self.progress();
        Ok((progress.publishing == 0).then_some(progress.figures_version))
    }

    fn figure_changes_since(
        &self,
        version: u64,
    ) -> Result<Option<Vec<Arc<FigureChanges>>>, StoreError> {
        Ok(self.progress().recent.since(version))
    }

    fn stream_mark(&self) -> Result<Option<StreamMark>, StoreError> {
        self.get(keys::STREAM_MARK)
    }

    fn fingerprint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree()?.get(keys::FINGERPRINT)?.map(|v| v.to_vec()))
    }

    fn month_end_cases(
        &self,
        la: La,
        month: Month,
    ) -> Result<BTreeMap<Option<Id>, i64>, StoreError> {
        let cases: Counters<Option<Id>> = self
            .get(&keys::worker_month_prefix(keys::CASES, la, month))?
            .unwrap_or_default();
        Ok(cases.into_iter().collect())
    }

    fn workers_at(&self, la: La, month: Month) -> Result<BTreeMap<Id, WorkerState>, StoreError> {
        let prefix = keys::worker_month_prefix(keys::WORKERS, la, month);
        self.tree()?
            .scan_prefix(&prefix)
            .map(|kv| {
                let (k, v) = kv?;
                let worker = keys::parse_worker(&k[prefix.len()..])
                    .flatten()
                    .ok_or_else(|| corrupt_key(&k))?;
                Ok((worker, decode(&k, &v)?))
            })
            .collect()
    }

    fn as_of(&self) -> Result<Option<time::Date>, StoreError> {
        Ok(self.progress().as_of)
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        Ok(self.get(keys::COUNTS)?.unwrap_or_default())
    }

    fn subject_log(&self, subject: &Subject) -> Result<SubjectLog, StoreError> {
        Ok(self.get(&keys::subject_log(subject))?.unwrap_or_default())
    }

    fn derived_on(&self, subject: &Subject) -> Result<Option<time::Date>, StoreError> {
        self.get(&keys::derived(subject))
    }

    fn subjects(&self, la: Option<La>) -> Result<Vec<Subject>, StoreError> {
        let prefix = keys::derived_prefix(la);
        self.tree()?
            .scan_prefix(prefix)
            .keys()
            .map(|k| {
                let k = k?;
                keys::parse_subject(keys::DERIVED, &k).ok_or_else(|| corrupt_key(&k))
            })
            .collect()
    }

    fn recorded(&self, la: La) -> Result<BTreeMap<String, u64>, StoreError> {
        let kinds: Counters<String> = self.get(&keys::recorded(la))?.unwrap_or_default();
        Ok(kinds
            .into_iter()
            .map(|(kind, n)| (kind, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    fn authority_cells(&self, la: La) -> Result<Vec<(Cell, i64)>, StoreError> {
        self.tree()?
            .scan_prefix(keys::cell_prefix(la))
            .map(|kv| {
                let (k, v) = kv?;
                let indicator = keys::parse_indicator_cells(&k).ok_or_else(|| corrupt_key(&k))?;
                let row: CellRow = decode(&k, &v)?;
                Ok(row.into_iter().map(move |((month, measure), amount)| {
                    let cell = Cell {
                        indicator,
                        month,
                        measure,
                    };
                    (cell, amount)
                }))
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(|rows| rows.into_iter().flatten().collect())
    }

    fn rejections(
        &self,
        la: Option<La>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<RejectionRecord>, StoreError> {
        let mut out = Vec::new();
        for kv in self
            .tree()?
            .range(keys::rejection(after.saturating_add(1))..keys::REJECTION_END.to_vec())
        {
            let (k, v) = kv?;
            let r: RejectionRecord = decode(&k, &v)?;
            if la.is_none() || r.la == la {
                out.push(r);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    #[instrument(skip_all, fields(logs = batch.logs.len(), events = batch.new_events, subjects = batch.derived.len(), applied = batch.applied_sequence))]
    fn commit(&self, mut batch: ProjectionBatch) -> Result<(), StoreError> {
        let tree = self.tree()?;
        let mut b = sled::Batch::default();
        let mut counts = self.counts()?;
        counts.events_stored += batch.new_events;
        counts.duplicates += batch.duplicates;
        for (subject, log) in std::mem::take(&mut batch.logs) {
            b.insert(keys::subject_log(&subject), log.0);
        }
        for (subject, day) in &batch.derived {
            b.insert(keys::derived(subject), encode(day)?);
        }
        // Workers' month-end records as they end up: each batch's removals, then its puts (a
        // record both removed and put, the month still on the books, stays), batch after batch.
        let mut records: BTreeMap<(La, Month, Id), Option<WorkerState>> = BTreeMap::new();
        let mut record = |removed: Vec<(La, Month, Id)>, put: Vec<(La, Month, Id, WorkerState)>| {
            for key in removed {
                records.insert(key, None);
            }
            for (la, month, worker, state) in put {
                records.insert((la, month, worker), Some(state));
            }
        };
        let staged = tree.scan_prefix([keys::STAGED]);
        let publishes = !(batch.stage && batch.applied_sequence.is_none() && batch.as_of.is_none());
        if !publishes {
            let next = match staged.keys().next_back().transpose()? {
                Some(last) => keys::parse_staged(&last).ok_or_else(|| corrupt_key(&last))? + 1,
                None => 0,
            };
            let changes = Staged {
                cell_deltas: std::mem::take(&mut batch.cell_deltas).into_iter().collect(),
                case_deltas: std::mem::take(&mut batch.case_deltas).into_iter().collect(),
                worker_months_removed: std::mem::take(&mut batch.worker_months_removed),
                worker_months_put: std::mem::take(&mut batch.worker_months_put),
            };
            b.insert(keys::staged(next), encode(&changes)?);
        } else {
            // Publishes what earlier batches staged, in the order they were staged, then this
            // batch's own changes. Sums do not depend on the order; workers' records do when a
            // subject was staged twice (a settle cut short by a crash, then a day roll).
            for kv in staged {
                let (key, value) = kv?;
                let changes: Staged = decode(&key, &value)?;
                for (cell, amount) in changes.cell_deltas {
                    *batch.cell_deltas.entry(cell).or_default() += amount;
                }
                for (case, amount) in changes.case_deltas {
                    *batch.case_deltas.entry(case).or_default() += amount;
                }
                record(changes.worker_months_removed, changes.worker_months_put);
                b.remove(key);
            }
            record(
                std::mem::take(&mut batch.worker_months_removed),
                std::mem::take(&mut batch.worker_months_put),
            );
        }
        // Both maps are sorted by their key, so each value's deltas are one run.
        let cells: Vec<_> = batch.cell_deltas.iter().collect();
        for run in cells.chunk_by(|a, b| (a.0.0, a.0.1.indicator) == (b.0.0, b.0.1.indicator)) {
            let ((la, first), _) = run[0];
            let key = keys::indicator_cells(*la, first.indicator);
            let deltas = run.iter().map(|((_, c), d)| ((c.month, c.measure), **d));
            add_to_counters(&tree, &mut b, key, deltas)?;
        }
        let cases: Vec<_> = batch.case_deltas.iter().collect();
        for run in cases.chunk_by(|a, b| (a.0.0, a.0.1) == (b.0.0, b.0.1)) {
            let ((la, month, _), _) = run[0];
            let key = keys::worker_month_prefix(keys::CASES, *la, *month);
            let deltas = run.iter().map(|((_, _, worker), d)| (worker.clone(), **d));
            add_to_counters(&tree, &mut b, key, deltas)?;
        }
        // What a reader's figures must take in: kept unless too large to be worth keeping.
        let kept = batch.as_of.is_none() && batch.cell_deltas.len() <= changes::HELD_CELLS;
        let changes = (publishes && kept).then(|| {
            let months: BTreeSet<(La, Month)> = (batch.case_deltas.keys())
                .map(|(la, month, _)| (*la, *month))
                .chain(records.keys().map(|(la, month, _)| (*la, *month)))
                .collect();
            let authorities = (batch.cell_deltas.keys().map(|(la, _)| *la))
                .chain(months.iter().map(|(la, _)| *la))
                .chain(batch.recorded.keys().map(|(la, _)| *la))
                .collect();
            FigureChanges {
                version: 0,
                cells: std::mem::take(&mut batch.cell_deltas).into_iter().collect(),
                months,
                authorities,
            }
        });
        for ((la, month, worker), state) in records {
            let key = keys::worker_month(keys::WORKERS, la, month, Some(&worker));
            match state {
                Some(state) => b.insert(key, encode(&state)?),
                None => b.remove(key),
            }
        }
        let recorded: Vec<_> = batch.recorded.iter().collect();
        for run in recorded.chunk_by(|a, b| a.0.0 == b.0.0) {
            let ((la, _), _) = run[0];
            let deltas = run.iter().map(|((_, kind), n)| ((*kind).to_owned(), **n));
            add_to_counters(&tree, &mut b, keys::recorded(*la), deltas)?;
        }
        for r in &batch.rejections {
            let key = keys::rejection(r.sequence);
            // Counted once: a message read again (a rebuild resumed) is rejected again.
            if !tree.contains_key(&key)? {
                counts.rejections += 1;
            }
            b.insert(key, encode(r)?);
        }
        if let Some(day) = batch.as_of {
            b.insert(keys::AS_OF, encode(&day)?);
        }
        if let Some(mark) = &batch.stream_mark {
            b.insert(keys::STREAM_MARK, encode(mark)?);
        }
        if let Some(fingerprint) = &batch.fingerprint {
            b.insert(keys::FINGERPRINT, fingerprint.as_slice());
        }
        b.insert(keys::COUNTS, encode(&counts)?);
        if let Some(applied) = batch.applied_sequence {
            b.insert(keys::APPLIED, encode(&applied)?);
        }
        // Applied first, then mirrored: readers never see the mirror ahead of sled. The
        // mirror's lock is not held while sled applies (which can take milliseconds waiting on
        // the disk): queries answered from memory read it meanwhile, and see the commit before.
        // A commit that moves the figures is marked as being applied, so that figures read
        // from sled meanwhile are not taken for those of the version before.
        if publishes {
            self.progress().publishing += 1;
        }
        let applied = tree.apply_batch(b);
        let mut progress = self.progress();
        if publishes {
            progress.publishing -= 1;
        }
        applied?;
        if let Some(applied) = batch.applied_sequence {
            progress.applied = applied;
        }
        if let Some(day) = batch.as_of {
            progress.as_of = Some(day);
        }
        if publishes {
            progress.figures_version += 1;
            let version = progress.figures_version;
            progress.recent.published(version, changes);
        } else {
            progress
                .recent
                .stored(batch.recorded.keys().map(|(la, _)| *la));
        }
        drop(progress);
        // Batches are atomic and recovered in order, so an unflushed one is only progress to
        // redo from the log after a crash. Flush when figures move (or settings are recorded)
        // so reported progress does not go back; the first chunks of a large derivation leave
        // it to sled's periodic flush.
        if batch.applied_sequence.is_some() || batch.as_of.is_some() || batch.fingerprint.is_some()
        {
            tree.flush()?;
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        let tree = self.tree()?;
        let mut progress = self.progress();
        tree.clear()?;
        // The version goes on rising: figures read before must not pass for those after.
        let figures_version = progress.figures_version + 1;
        *progress = Progress {
            figures_version,
            publishing: progress.publishing,
            recent: RecentChanges::starting_at(figures_version),
            ..Progress::default()
        };
        drop(progress);
        tree.flush()?;
        Ok(())
    }

    #[instrument(skip(self), fields(path = %self.path.display()))]
    fn reopen(&self) -> Result<(), StoreError> {
        // The database that failed still answers reads: keep it until the directory takes a
        // write as large as a few of sled's segments.
        probe_writes(&self.path)?;
        // Its unflushed writes are lost, as in a crash: they are redone from the log.
        let tree = self.open_again(false)?;
        // Readable again whatever the probe finds.
        self.reload_progress()?;
        tree.insert(WRITE_PROBE, &[])?;
        tree.flush()?;
        tree.remove(WRITE_PROBE)?;
        tree.flush()?;
        Ok(())
    }
}
