//! The projector: reads the event log in order and keeps the projections up to date.
//!
//! Messages are decoded and validated into a [`Backlog`](crate::Backlog) (invalid ones become rejection
//! records), grouped by subject. Settling the backlog stores each subject's new events in its
//! log (an event id already stored is a duplicate), re-derives the subject from its whole
//! history, and moves the figure cells by the difference of its contributions. The last commit
//! of a settle records the stream sequence the figures are now exactly up to (the applied
//! sequence), with the rejections; the chunks before it stage their changes to the figures,
//! which the last publishes, so figures move all at once. Commits are atomic and each
//! subject's log records the last sequence it absorbed, so a crash anywhere resumes exactly
//! where the store says.
//!
//! While JetStream reports more messages waiting (a rebuild, or a backlog after downtime) the
//! projector keeps reading into the backlog and settles once it has caught up (or holds
//! `defer_up_to` messages): a child with a hundred events in a hundred batches is stored and
//! derived once, not a hundred times, and nothing is written while reading.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use caseflow_domain::Subject;
use caseflow_domain::indicators::{CaseloadPart, Context};
use caseflow_domain::settings::Settings;
use caseflow_log::LogMessage;
use caseflow_store::{
    Condition, Conflict, EncodedLog, ProjectionBatch, ProjectionStore, StoreError, StoredEvent,
    StreamMark,
};
use rustc_hash::FxHashMap;
use tracing::{info, instrument, warn};

use crate::backlog::Backlog;
use crate::clock::Clock;
use crate::derive::{CellDeltas, Sums, derive, stage_rederived};
use crate::metrics::{ProjectorMetrics, Settled};

/// Projector settings.
#[derive(Clone, Debug)]
pub struct ProjectorSettings {
    /// The most messages applied in one store batch.
    pub batch_size: usize,
    /// Subjects re-derived per commit when a backlog is settled or the day moves on.
    pub roll_chunk: usize,
    /// While catching up, the most messages held in the backlog before it is settled.
    pub defer_up_to: usize,
    /// While following (fewer than `defer_up_to` messages waiting), the longest a message read
    /// waits in the backlog before it is settled, when the stream does not run dry first
    /// (events published without pause): figures are then at most about this far behind.
    pub settle_within: std::time::Duration,
    /// Threads deriving subjects in parallel (0: one per core).
    pub threads: usize,
    /// The indicator settings derivations use. Changing them rebuilds the projections.
    pub indicators: Settings,
    /// Gives memory the process has freed back to the operating system; called after a
    /// settle's commits, at most once per `every` (see [`ReleaseMemory`]). None: never.
    pub release_memory: Option<ReleaseMemory>,
    /// Called first on each thread that derives subjects in parallel (see
    /// [`DerivingThreads`]). None: they are scheduled as every other thread is.
    pub deriving_threads: Option<DerivingThreads>,
}

/// How the threads that derive subjects in parallel are scheduled. Deriving is the
/// projector's bulk of work: run below the rest of the process, it takes the cores only when
/// queries do not want them, so a server that ingests and answers at once answers first.
#[derive(Clone, Copy, Debug)]
pub struct DerivingThreads {
    /// Nice steps below the rest of the process (Linux schedules each thread by its own).
    pub nice: i32,
    /// Lowers the calling thread's priority by that many steps.
    pub lower: fn(i32),
}

/// How the projector gives freed memory back to the operating system while it settles. A
/// settle allocates and frees hundreds of megabytes on several threads; an allocator that
/// keeps what each thread freed for its later use (glibc's arenas) otherwise holds the sum of
/// every thread's peak for the life of the process.
#[derive(Clone, Copy, Debug)]
pub struct ReleaseMemory {
    /// The shortest time between two releases.
    pub every: std::time::Duration,
    /// Releases what the allocator holds free (e.g. glibc's `malloc_trim`).
    pub release: fn(),
}

impl Default for ProjectorSettings {
    fn default() -> Self {
        ProjectorSettings {
            batch_size: 1000,
            roll_chunk: 2000,
            defer_up_to: 250_000,
            settle_within: std::time::Duration::from_millis(50),
            threads: 0,
            indicators: Settings::default(),
            release_memory: None,
            deriving_threads: None,
        }
    }
}

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub applied: usize,
    pub rejected: usize,
    pub duplicates: usize,
    /// Of the duplicates, those whose content differs from the copy kept.
    pub conflicts: usize,
    pub subjects: usize,
    pub last_sequence: u64,
}

/// Applies log messages to a store.
#[derive(Clone)]
pub struct Projector {
    pub(crate) store: Arc<dyn ProjectionStore>,
    clock: Clock,
    pub(crate) settings: ProjectorSettings,
    /// The stream sequence of the last message read (stored or held in the backlog).
    pub(crate) read: Arc<AtomicU64>,
    pub(crate) metrics: ProjectorMetrics,
    /// The creation time (Unix nanoseconds) of the stream being read; `i64::MIN` until known.
    pub(crate) stream_created: Arc<AtomicI64>,
    /// What stands between the projections and the stream (lost history, a store that cannot
    /// be written), if anything.
    pub(crate) condition: Arc<tokio::sync::watch::Sender<Condition>>,
    /// When memory was last released (see [`ReleaseMemory`]).
    released: Arc<std::sync::Mutex<std::time::Instant>>,
}

/// What a settle's last commit records as the applied sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Through {
    /// The backlog's last message: the stream up to it is stored and derived.
    Applied,
    /// Nothing: the backlog is one authority's messages, read with a filter (a rebuild).
    Unchanged,
}

/// One subject re-derived while settling: its states before and after, its log when it
/// changed, and what its new messages were (the difference of its contributions to the
/// cells is summed as it is derived, see [`Sums`]).
#[derive(Default)]
struct Rederived {
    /// Whether it was re-derived (false: already derived as of the day, nothing new).
    derived: bool,
    old: CaseloadPart,
    new: CaseloadPart,
    /// Its log, encoded (on the deriving thread), when it changed.
    log: Option<EncodedLog>,
    stored: u64,
    /// The payload kind of each event stored.
    recorded: Vec<&'static str>,
    duplicates: u64,
    /// Of the duplicates, those whose content differs from the copy kept.
    conflicts: u64,
}

impl Projector {
    pub fn new(store: Arc<dyn ProjectionStore>, clock: Clock, settings: ProjectorSettings) -> Self {
        Projector {
            store,
            clock,
            settings,
            read: Arc::default(),
            metrics: ProjectorMetrics::default(),
            stream_created: Arc::new(AtomicI64::new(i64::MIN)),
            condition: Arc::new(tokio::sync::watch::Sender::new(Condition::default())),
            released: Arc::new(std::sync::Mutex::new(std::time::Instant::now())),
        }
    }

    /// Releases freed memory to the operating system if the settings say how and the last
    /// release is at least their interval ago. Called on the settling thread between commits,
    /// where the projector holds nothing it is about to use again.
    fn release_memory(&self) {
        let Some(ReleaseMemory { every, release }) = self.settings.release_memory else {
            return;
        };
        {
            let mut last = match self.released.lock() {
                Ok(last) => last,
                Err(poisoned) => poisoned.into_inner(),
            };
            if last.elapsed() < every {
                return;
            }
            *last = std::time::Instant::now();
        }
        let started = std::time::Instant::now();
        release();
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), "memory released");
    }

    /// What stands between the projections and the stream: the stream no longer holds the
    /// history they were built from, or they cannot be written. All `None` while all is well.
    pub fn condition(&self) -> tokio::sync::watch::Receiver<Condition> {
        self.condition.subscribe()
    }

    /// Counts what the projector does in `metrics` (the server's, served at `GET /metrics`).
    pub fn with_metrics(mut self, metrics: ProjectorMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The stream sequence of the last message read, settled or not (progress of a catch-up).
    pub fn read_sequence(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    fn today(&self) -> time::Date {
        (self.clock)().date()
    }

    fn context(&self) -> Context {
        Context::new(self.settings.indicators.clone(), self.today())
    }

    /// What the projections are derived with: the store's format version, the domain's
    /// derivation version and the indicator settings derivations read (not those only queries
    /// read: 6.2's population, team groups). Projections with another fingerprint are rebuilt.
    pub fn fingerprint(&self) -> Vec<u8> {
        // Serializing plain data to a Vec cannot fail.
        postcard::to_stdvec(&(versions(), self.derivation_settings())).unwrap_or_default()
    }

    fn derivation_settings(&self) -> Settings {
        let mut derivation = self.settings.indicators.clone();
        derivation.population_under_18.clear();
        derivation.team_groups.clear();
        derivation
    }

    /// What differs between what the stored projections were derived with and what this
    /// projector derives with, said for an operator (the changed indicator settings with their
    /// old and new values, or the versions); `None` when nothing does or nothing is stored yet.
    /// The projector then rebuilds the projections from the event log when it starts.
    pub fn derivation_changes(&self) -> Result<Option<String>, StoreError> {
        let wanted = self.fingerprint();
        let found = match self.store.fingerprint()? {
            Some(found) => found,
            None if self.store.applied_sequence()? > 0 => {
                return Ok(Some(
                    "the projections do not say what they were derived with".to_owned(),
                ));
            }
            None => return Ok(None),
        };
        if found == wanted {
            return Ok(None);
        }
        let Ok(((format, derivation), before)) =
            postcard::from_bytes::<((u32, u32), Settings)>(&found)
        else {
            return Ok(Some(
                "the projections were derived by another version of caseflow".to_owned(),
            ));
        };
        let (format_now, derivation_now) = versions();
        if (format, derivation) != (format_now, derivation_now) {
            return Ok(Some(format!(
                "the projections were derived by another version of caseflow (store format \
                 {format}, derivations {derivation}; this one: {format_now}, {derivation_now})"
            )));
        }
        let changed = self.derivation_settings().differences(&before);
        Ok(Some(format!(
            "the indicator settings derivations read have changed since the projections were \
             derived ({})",
            changed.join("; ")
        )))
    }

    /// Clears projections derived with another format or other settings (they are rebuilt
    /// from the log) and records the current fingerprint. Returns whether it cleared.
    pub fn ensure_fingerprint(&self) -> Result<bool, StoreError> {
        let wanted = self.fingerprint();
        let found = self.store.fingerprint()?;
        if found.as_deref() == Some(wanted.as_slice()) {
            return Ok(false);
        }
        let cleared = found.is_some() || self.store.applied_sequence()? > 0;
        if cleared {
            let why = self
                .derivation_changes()?
                .unwrap_or_else(|| "the projections were derived differently".to_owned());
            warn!(
                "{why}: clearing them to rebuild from the event log (figures are incomplete \
                 until the projector has caught up)"
            );
            self.store.clear()?;
        }
        self.store.commit(ProjectionBatch {
            fingerprint: Some(wanted),
            applied_sequence: Some(0),
            ..Default::default()
        })?;
        Ok(cleared)
    }

    /// Applies messages (in stream order): reads them into a backlog and settles it. Messages
    /// at or below the applied sequence are skipped, so re-delivery is harmless. The
    /// benchmark's single-event apply; following the log reads and settles on its own.
    #[cfg(feature = "bench")]
    #[instrument(skip_all, fields(messages = messages.len()))]
    pub fn apply(&self, messages: &[LogMessage]) -> Result<BatchReport, StoreError> {
        let mut backlog = Backlog::default();
        self.read_into(&mut backlog, messages)?;
        self.settle(backlog)
    }

    /// Decodes and validates messages (in stream order) into `backlog`; writes nothing.
    pub fn read_into(
        &self,
        backlog: &mut Backlog,
        messages: &[LogMessage],
    ) -> Result<(), StoreError> {
        let after = self.store.applied_sequence()?.max(backlog.last_sequence());
        for m in messages.iter().filter(|m| m.sequence > after) {
            backlog.absorb(m);
        }
        let read = self
            .read
            .fetch_max(backlog.last_sequence(), Ordering::Relaxed);
        self.metrics.set_read(read.max(backlog.last_sequence()));
        Ok(())
    }

    /// Stores and derives everything in `backlog`: its subjects in chunks of `roll_chunk`, in
    /// parallel, each chunk one atomic commit; the last one records the rejections, moves the
    /// applied sequence to the backlog's last message and publishes the figures' changes the
    /// others staged.
    #[instrument(skip_all, fields(messages = backlog.len(), subjects = backlog.events.len()))]
    pub fn settle(&self, backlog: Backlog) -> Result<BatchReport, StoreError> {
        self.settle_as(backlog, Through::Applied)
    }

    /// Settles `backlog` as [`settle`](Self::settle) does; `through` says whether its last
    /// message becomes the applied sequence, or (one authority's part of a rebuild, see
    /// `rebuild.rs`) only the figures it moved are published, the applied sequence left as it is.
    pub(crate) fn settle_as(
        &self,
        backlog: Backlog,
        through: Through,
    ) -> Result<BatchReport, StoreError> {
        self.roll_day()?;
        let started = std::time::Instant::now();
        let mut report = BatchReport {
            rejected: backlog.rejections.len(),
            subjects: backlog.events.len(),
            last_sequence: backlog.last_sequence(),
            ..Default::default()
        };
        if backlog.is_empty() {
            return Ok(report);
        }
        let ctx = self.context();
        let created = self.stream_created.load(Ordering::Relaxed);
        let stream_mark = (created != i64::MIN).then(|| {
            let (message_id, payload_len) = backlog.last_mark.clone().unwrap_or_default();
            StreamMark {
                stream_created_nanos: i128::from(created),
                sequence: backlog.last_sequence(),
                message_id,
                payload_len: payload_len as u64,
            }
        });
        let mut rejections = backlog.rejections;
        let chunk = self.settings.roll_chunk.max(1);
        let chunks = backlog.events.len().div_ceil(chunk).max(1);
        let mut subjects: Vec<_> = backlog.events.into_iter().collect();
        subjects.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut subjects = subjects.into_iter();
        let mut derived_subjects = 0;
        for i in 0..chunks {
            let part: Vec<_> = subjects.by_ref().take(chunk).collect();
            let mut batch = ProjectionBatch::default();
            let (rederived, deltas) = self.rederive(part, &ctx)?;
            batch.add_cell_deltas(deltas);
            for (subject, r) in rederived {
                report.applied += r.stored as usize;
                report.duplicates += r.duplicates as usize;
                report.conflicts += r.conflicts as usize;
                batch.new_events += r.stored;
                batch.duplicates += r.duplicates;
                for kind in &r.recorded {
                    *batch.recorded.entry((subject.la, kind)).or_default() += 1;
                }
                if let Some(log) = r.log {
                    batch.logs.push((subject.clone(), log));
                }
                if r.derived {
                    derived_subjects += 1;
                    stage_rederived(&mut batch, &subject, &r.old, &r.new, ctx.today);
                }
            }
            if i + 1 == chunks {
                batch.rejections = std::mem::take(&mut rejections);
                if through == Through::Applied {
                    batch.applied_sequence = Some(report.last_sequence);
                }
                batch.stream_mark = stream_mark.clone();
            } else {
                // The figures move with the last chunk, all at once.
                batch.stage = true;
            }
            self.store.commit(batch)?;
            self.release_memory();
        }
        // Counted once every commit succeeded: a failed settle is read and settled again.
        for (reason, n) in backlog.reasons {
            self.metrics.rejected(reason, n);
        }
        self.metrics.settled(
            Settled {
                stored: report.applied as u64,
                duplicates: report.duplicates as u64,
                conflicts: report.conflicts as u64,
                subjects: derived_subjects,
                applied_sequence: match through {
                    Through::Applied => report.last_sequence,
                    Through::Unchanged => self.store.applied_sequence()?,
                },
            },
            started.elapsed(),
        );
        if report.subjects > chunk {
            info!(
                subjects = report.subjects,
                sequence = report.last_sequence,
                "backlog settled"
            );
        }
        Ok(report)
    }

    /// Re-derives `subjects` (each with its new events), in parallel: each one's stored
    /// log gains the events it has not absorbed yet, and the subject is derived from the whole.
    /// Also returns the sum of their differences of contributions, by authority and cell
    /// (summed on the deriving threads: millions of cell changes in a rebuild).
    fn rederive(
        &self,
        subjects: Vec<(Subject, Vec<StoredEvent>)>,
        ctx: &Context,
    ) -> Result<(Vec<(Subject, Rederived)>, CellDeltas), StoreError> {
        let part = |part: Vec<(Subject, Vec<StoredEvent>)>| {
            let mut sums = Sums::default();
            let mut out = Vec::with_capacity(part.len());
            // Contexts of the days old states were derived as of (usually one: yesterday).
            let mut earlier: Vec<Context> = Vec::new();
            for (subject, incoming) in part {
                let r = self.rederive_one(&subject, incoming, ctx, &mut earlier, &mut sums)?;
                out.push((subject, r));
            }
            Ok((out, sums.deltas()))
        };
        let threads = match self.settings.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let count = subjects.len();
        if threads < 2 || count < 32 {
            return part(subjects);
        }
        // Dealt out in turn: subjects come sorted by kind (children, then carers, then workers),
        // so contiguous shares would give one thread most of the children.
        let per = count.div_ceil(threads);
        let mut shares: Vec<Vec<_>> = (0..threads).map(|_| Vec::with_capacity(per)).collect();
        for (i, s) in subjects.into_iter().enumerate() {
            shares[i % threads].push(s);
        }
        std::thread::scope(|scope| {
            let start = self.settings.deriving_threads;
            let handles: Vec<_> = shares
                .into_iter()
                .map(|p| {
                    scope.spawn(move || {
                        if let Some(DerivingThreads { nice, lower }) = start {
                            lower(nice);
                        }
                        part(p)
                    })
                })
                .collect();
            let (mut all, mut deltas) = (Vec::with_capacity(per * threads), Vec::new());
            for h in handles {
                let (out, sums) = h
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                all.extend(out);
                deltas.extend(sums);
            }
            Ok((all, deltas))
        })
    }

    /// Re-derives one subject: its old state from its stored log as of the day it was derived
    /// (nothing when it has none), its new state from the log with `incoming` absorbed, as of
    /// `ctx`. Because the old state is derived as of the subject's own day (not the
    /// projections'), a day roll or a settle cut short by a crash resumes without moving
    /// anyone's cells twice; a subject with nothing new (what a committed chunk absorbed is at
    /// or below its `through`) already derived as of `ctx`'s day is skipped, as unchanged.
    fn rederive_one(
        &self,
        subject: &Subject,
        incoming: Vec<StoredEvent>,
        ctx: &Context,
        earlier: &mut Vec<Context>,
        sums: &mut Sums,
    ) -> Result<Rederived, StoreError> {
        let mut log = self.store.subject_log(subject)?;
        let derived_on = self.store.derived_on(subject)?;
        // Messages at or below `through` were absorbed before a crash: skip them.
        let through = log.through;
        // In stream order: usually all of it is new (copied only when some is not).
        let incoming: Vec<StoredEvent> = if incoming.first().is_none_or(|e| e.sequence > through) {
            incoming
        } else {
            incoming
                .into_iter()
                .filter(|e| e.sequence > through)
                .collect()
        };
        if incoming.is_empty() && derived_on == Some(ctx.today) {
            return Ok(Rederived::default());
        }
        let old = match derived_on {
            Some(day) if !log.events.is_empty() => {
                let at = match earlier.iter().position(|c| c.today == day) {
                    Some(i) => &earlier[i],
                    None => {
                        earlier.push(Context::new(self.settings.indicators.clone(), day));
                        &earlier[earlier.len() - 1]
                    }
                };
                derive(subject, &log.events, at, sums, -1)
            }
            _ => CaseloadPart::default(),
        };
        let (mut stored, mut duplicates) = (0, 0);
        let mut recorded = Vec::new();
        let mut conflicts = 0;
        let changed = !incoming.is_empty();
        if changed {
            // An event whose id the log (or an earlier incoming event) has is a duplicate; one
            // whose content differs from the copy kept is also a conflict.
            let (new, found) = {
                let mut seen: FxHashMap<&str, &StoredEvent> = log
                    .events
                    .iter()
                    .map(|s| (s.event.id.as_str(), s))
                    .collect();
                let mut found = Vec::new();
                let new: Vec<bool> = incoming
                    .iter()
                    .map(|e| match seen.get(e.event.id.as_str()) {
                        None => {
                            seen.insert(e.event.id.as_str(), e);
                            true
                        }
                        Some(kept) => {
                            if !kept.event.is_same_fact_as(&e.event) {
                                found.push(Conflict {
                                    event_id: kept.event.id.clone(),
                                    occurred_on: kept.event.occurred_on,
                                    kept: kept.sequence,
                                    dropped: e.sequence,
                                });
                            }
                            false
                        }
                    })
                    .collect();
                (new, found)
            };
            conflicts = found.len() as u64;
            log.conflicts.extend(found);
            if let Some(last) = incoming.last() {
                log.through = last.sequence;
            }
            if log.events.is_empty() && new.iter().all(|&n| n) {
                // A subject's first events (every subject, in a rebuild): taken as they are.
                stored = incoming.len() as u64;
                recorded.extend(incoming.iter().map(|e| e.event.payload.name()));
                log.events = incoming;
            } else {
                log.events.reserve(incoming.len());
                for (e, new) in incoming.into_iter().zip(new) {
                    if new {
                        recorded.push(e.event.payload.name());
                        log.events.push(e);
                        stored += 1;
                    } else {
                        duplicates += 1;
                    }
                }
            }
        }
        let new = derive(subject, &log.events, ctx, sums, 1);
        Ok(Rederived {
            derived: true,
            old,
            new,
            log: if changed { Some(log.encode()?) } else { None },
            stored,
            recorded,
            duplicates,
            conflicts,
        })
    }

    /// When "today" differs from the day the projections were derived as of, re-derives every
    /// subject as of today (figures of the running month, and what is due by today, change
    /// with the day), in chunks. Each subject records the day it was derived as of with its
    /// cells, so a roll interrupted by a crash rolls again only the subjects not yet rolled;
    /// the chunks stage their changes to the figures and the projections' day, written last,
    /// publishes them.
    pub fn roll_day(&self) -> Result<(), StoreError> {
        let today = self.today();
        if self.store.as_of()? == Some(today) {
            return Ok(());
        }
        let subjects = self.store.subjects(None)?;
        info!(%today, subjects = subjects.len(), "new day: re-deriving every subject");
        let ctx = Context::new(self.settings.indicators.clone(), today);
        for chunk in subjects.chunks(self.settings.roll_chunk.max(1)) {
            // Published with the day, below.
            let mut batch = ProjectionBatch {
                stage: true,
                ..Default::default()
            };
            let part = chunk.iter().map(|s| (s.clone(), Vec::new())).collect();
            let (rederived, deltas) = self.rederive(part, &ctx)?;
            batch.add_cell_deltas(deltas);
            for (subject, r) in rederived.into_iter().filter(|(_, r)| r.derived) {
                stage_rederived(&mut batch, &subject, &r.old, &r.new, today);
            }
            self.store.commit(batch)?;
            self.release_memory();
        }
        self.store.commit(ProjectionBatch {
            as_of: Some(today),
            ..Default::default()
        })?;
        self.metrics.day_rolled();
        Ok(())
    }
}

/// The store's format and the domain's derivations, as the fingerprint holds them.
fn versions() -> (u32, u32) {
    (
        caseflow_store::FORMAT_VERSION,
        caseflow_domain::DERIVATION_VERSION,
    )
}
