//! The projector: reads the event log in order and keeps the projections up to date.
//!
//! Each batch of messages is decoded and validated (invalid ones become rejection records) and
//! de-duplicated against what is stored; every affected subject is then re-derived from its
//! whole history, and the difference of its contributions moves the figure cells. Events,
//! derived state, cells, rejections and the last applied sequence are committed in one atomic,
//! flushed store batch, so a crash anywhere resumes exactly where the store says.
//!
//! While it is catching up (a rebuild, or a backlog after downtime) the projector stores
//! batches without deriving, marking their subjects pending, and derives every pending subject
//! once when it reaches the end of the stream (or has deferred `defer_up_to` events): a child
//! with a hundred events in a hundred batches is derived once, not a hundred times. Figures
//! always stay those of a prefix of the stream (the applied sequence) meanwhile.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use caseflow_domain::indicators::caseloads::{month_end_cases, worker_month_ends};
use caseflow_domain::indicators::{
    Context, child_contributions, contributions, evaluate_household,
};
use caseflow_domain::settings::Settings;
use caseflow_domain::timeline::{fold_child, resolve};
use caseflow_domain::{EntityKind, Event, Rejection, RejectionReason, Subject, Timestamp};
use caseflow_log::{EventLog, LogMessage};
use caseflow_server::Clock;
use caseflow_store::{
    Derived, ProjectionBatch, ProjectionStore, RejectionRecord, StoreError, StoredEvent,
};
use futures::StreamExt;
use tokio::sync::watch;
use tracing::{debug, info, instrument, warn};

/// The version of what the projector stores; bumped when derived state changes shape or
/// meaning, so that older projections are rebuilt (see [`Projector::fingerprint`]).
const FORMAT: u32 = 2;

/// Projector settings.
#[derive(Clone, Debug)]
pub struct ProjectorSettings {
    /// The most messages applied in one store batch.
    pub batch_size: usize,
    /// Subjects re-derived per commit when the day moves on or pending subjects are derived.
    pub roll_chunk: usize,
    /// While catching up, the most events stored before pending subjects are derived.
    pub defer_up_to: usize,
    /// Threads deriving subjects in parallel (0: one per core).
    pub threads: usize,
    /// The indicator settings derivations use. Changing them rebuilds the projections.
    pub indicators: Settings,
}

impl Default for ProjectorSettings {
    fn default() -> Self {
        ProjectorSettings {
            batch_size: 1000,
            roll_chunk: 2000,
            defer_up_to: 250_000,
            threads: 0,
            indicators: Settings::default(),
        }
    }
}

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub applied: usize,
    pub rejected: usize,
    pub duplicates: usize,
    pub subjects: usize,
    pub last_sequence: u64,
}

/// Applies log messages to a store.
#[derive(Clone)]
pub struct Projector {
    store: Arc<dyn ProjectionStore>,
    clock: Clock,
    settings: ProjectorSettings,
}

/// A subject's stored events plus those staged in the batch being built.
type Staged = BTreeMap<Subject, Vec<StoredEvent>>;

impl Projector {
    pub fn new(store: Arc<dyn ProjectionStore>, clock: Clock, settings: ProjectorSettings) -> Self {
        Projector {
            store,
            clock,
            settings,
        }
    }

    pub fn store(&self) -> &Arc<dyn ProjectionStore> {
        &self.store
    }

    fn today(&self) -> time::Date {
        (self.clock)().date()
    }

    fn context(&self) -> Context {
        Context::new(self.settings.indicators.clone(), self.today())
    }

    /// What the projections are derived with: the stored format and the indicator settings
    /// derivations read (not those only queries read: 6.2's population, team groups).
    pub fn fingerprint(&self) -> Vec<u8> {
        let mut derivation = self.settings.indicators.clone();
        derivation.population_under_18.clear();
        derivation.team_groups.clear();
        // Serializing plain data to a Vec cannot fail.
        postcard::to_stdvec(&(FORMAT, derivation)).unwrap_or_default()
    }

    /// Clears projections derived with another format or other settings (they are rebuilt
    /// from the log) and records the current fingerprint. Returns whether it cleared.
    pub fn ensure_fingerprint(&self) -> Result<bool, StoreError> {
        let wanted = self.fingerprint();
        let found = self.store.fingerprint()?;
        if found.as_deref() == Some(wanted.as_slice()) {
            return Ok(false);
        }
        let cleared = found.is_some() || self.store.stored_sequence()? > 0;
        if cleared {
            warn!(
                "the projections were derived by another version or with other indicator \
                 settings: clearing them to rebuild from the event log"
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

    /// Applies messages (in stream order) as one atomic batch, deriving every affected subject
    /// (and any left pending). Messages at or below the stored sequence are skipped, so
    /// re-delivery is harmless.
    #[instrument(skip_all, fields(messages = messages.len()))]
    pub fn apply(&self, messages: &[LogMessage]) -> Result<BatchReport, StoreError> {
        self.project(messages, true)
    }

    /// Stores messages (in stream order) as one atomic batch, leaving their subjects pending:
    /// figures do not move until [`Projector::derive_pending`] (or the next `apply`).
    #[instrument(skip_all, fields(messages = messages.len()))]
    pub fn store_only(&self, messages: &[LogMessage]) -> Result<BatchReport, StoreError> {
        self.project(messages, false)
    }

    fn project(&self, messages: &[LogMessage], derive: bool) -> Result<BatchReport, StoreError> {
        if derive {
            self.roll_day()?;
        }
        let stored = self.store.stored_sequence()?;
        let mut batch = ProjectionBatch::default();
        let mut report = BatchReport::default();
        let mut staged: Staged = BTreeMap::new();
        let mut seen: HashSet<(Subject, String)> = HashSet::new();
        for m in messages.iter().filter(|m| m.sequence > stored) {
            report.last_sequence = m.sequence;
            match accept(m) {
                Err((event_id, rejection)) => {
                    debug!(seq = m.sequence, subject = %m.subject, reason = %rejection.reason, "event rejected");
                    batch.rejections.push(RejectionRecord {
                        sequence: m.sequence,
                        la: Subject::parse(&m.subject)
                            .map(|s| s.la)
                            .or_else(|| la_token(&m.subject)),
                        subject: m.subject.clone(),
                        event_id: (!event_id.is_empty()).then_some(event_id),
                        reason: rejection.reason.code().to_owned(),
                        message: rejection.message,
                        rejected_at: Timestamp::from_offset(time::OffsetDateTime::now_utc())
                            .to_rfc3339(),
                    });
                    report.rejected += 1;
                }
                Ok(event) => {
                    let key = (event.subject.clone(), event.id.as_str().to_owned());
                    if seen.contains(&key) || self.store.has_event(&event.subject, &key.1)? {
                        report.duplicates += 1;
                        continue;
                    }
                    seen.insert(key);
                    staged
                        .entry(event.subject.clone())
                        .or_default()
                        .push(StoredEvent {
                            sequence: m.sequence,
                            event,
                        });
                    report.applied += 1;
                }
            }
        }
        if report.last_sequence == 0 {
            return Ok(report);
        }
        report.subjects = staged.len();
        batch.duplicates = report.duplicates as u64;
        batch.stored_sequence = report.last_sequence;
        let chunk = self.settings.roll_chunk.max(1);
        let earlier = if derive {
            self.store.pending(chunk)?
        } else {
            Vec::new()
        };
        if derive && earlier.len() < chunk && staged.len() < chunk {
            // Everything left to derive fits one batch: derive it with the events.
            let mut subjects: Vec<Subject> = staged.keys().cloned().collect();
            subjects.extend(earlier.into_iter().filter(|s| !staged.contains_key(s)));
            self.derive_into(&subjects, &staged, &self.context(), &mut batch)?;
            batch.applied_sequence = Some(report.last_sequence);
            batch.events.extend(staged.into_values().flatten());
            self.store.commit(batch)?;
        } else {
            batch.pending = staged.keys().cloned().collect();
            batch.events.extend(staged.into_values().flatten());
            self.store.commit(batch)?;
            if derive {
                self.derive_pending()?;
            }
        }
        Ok(report)
    }

    /// Derives every pending subject, in chunks; the last chunk moves the applied sequence up
    /// to the stored one. Returns how many subjects were derived.
    #[instrument(skip_all)]
    pub fn derive_pending(&self) -> Result<usize, StoreError> {
        self.roll_day()?;
        let stored = self.store.stored_sequence()?;
        let ctx = self.context();
        let chunk = self.settings.roll_chunk.max(1);
        let mut derived = 0;
        loop {
            let subjects = self.store.pending(chunk)?;
            let last = subjects.len() < chunk;
            let mut batch = ProjectionBatch {
                stored_sequence: stored,
                // The projector is the only writer: a short chunk is all that is pending.
                applied_sequence: last.then_some(stored),
                ..Default::default()
            };
            self.derive_into(&subjects, &BTreeMap::new(), &ctx, &mut batch)?;
            derived += subjects.len();
            if subjects.is_empty() && self.store.applied_sequence()? == stored {
                break;
            }
            self.store.commit(batch)?;
            if last {
                break;
            }
        }
        if derived > 0 {
            info!(
                subjects = derived,
                sequence = stored,
                "pending subjects derived"
            );
        }
        Ok(derived)
    }

    /// Re-derives `subjects` from their stored events plus those `staged`, in parallel, and
    /// stages each one's difference in `batch` (in the order given).
    fn derive_into(
        &self,
        subjects: &[Subject],
        staged: &Staged,
        ctx: &Context,
        batch: &mut ProjectionBatch,
    ) -> Result<(), StoreError> {
        let one = |subject: &Subject| -> Result<(Derived, Derived), StoreError> {
            let mut events: Vec<Event> = self
                .store
                .events(subject)?
                .into_iter()
                .map(|s| s.event)
                .collect();
            if let Some(new) = staged.get(subject) {
                events.extend(new.iter().map(|s| s.event.clone()));
            }
            let old = self.store.derived(subject)?.unwrap_or_default();
            Ok((old, derive(subject.kind, &events, ctx)))
        };
        let threads = match self.settings.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let results: Vec<Result<(Derived, Derived), StoreError>> =
            if threads < 2 || subjects.len() < 32 {
                subjects.iter().map(one).collect()
            } else {
                let per = subjects.len().div_ceil(threads);
                std::thread::scope(|scope| {
                    let handles: Vec<_> = subjects
                        .chunks(per)
                        .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                        .collect();
                    handles
                        .into_iter()
                        .flat_map(|h| {
                            h.join()
                                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                        })
                        .collect()
                })
            };
        for (subject, result) in subjects.iter().zip(results) {
            let (old, new) = result?;
            batch.rederived(subject, &old, new);
        }
        Ok(())
    }

    /// When "today" differs from the day the projections were derived as of, re-derives every
    /// subject as of today (figures of the running month, and what is due by today, change
    /// with the day), in chunks. Re-deriving is idempotent (it moves cells by a difference
    /// against the stored state) and the day is written last, so a crash mid-roll rolls again.
    pub fn roll_day(&self) -> Result<(), StoreError> {
        let today = self.today();
        if self.store.as_of()? == Some(today) {
            return Ok(());
        }
        let subjects = self.store.subjects(None)?;
        info!(%today, subjects = subjects.len(), "new day: re-deriving every subject");
        let stored = self.store.stored_sequence()?;
        let ctx = self.context();
        for chunk in subjects.chunks(self.settings.roll_chunk.max(1)) {
            let mut batch = ProjectionBatch {
                stored_sequence: stored,
                ..Default::default()
            };
            self.derive_into(chunk, &BTreeMap::new(), &ctx, &mut batch)?;
            self.store.commit(batch)?;
        }
        self.store.commit(ProjectionBatch {
            stored_sequence: stored,
            as_of: Some(today),
            ..Default::default()
        })
    }

    /// Follows the log until `shutdown` turns true, reconnecting after errors.
    pub async fn run(&self, log: &EventLog, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.follow(log, &mut shutdown).await {
                Ok(()) => return,
                Err(error) => {
                    warn!(%error, ?backoff, "projector interrupted; resuming from the last stored sequence");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => return,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Runs a blocking step of the projector off the async workers.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Projector) -> Result<T, StoreError> + Send + 'static,
    ) -> anyhow::Result<T> {
        let this = self.clone();
        Ok(tokio::task::spawn_blocking(move || f(&this)).await??)
    }

    /// Reads from the next unstored sequence and applies ready messages in batches: while
    /// more are waiting it only stores them, deriving once it has caught up.
    async fn follow(
        &self,
        log: &EventLog,
        shutdown: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        self.blocking(|p| p.ensure_fingerprint()).await?;
        // A crash while catching up leaves subjects pending.
        self.blocking(|p| p.derive_pending()).await?;
        let start = self.store.stored_sequence()? + 1;
        let stream = log.read_from(start, self.settings.batch_size).await?;
        let mut chunks = std::pin::pin!(stream.ready_chunks(self.settings.batch_size));
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut deferred = 0usize;
        loop {
            let chunk = tokio::select! {
                _ = shutdown.changed() => return Ok(()),
                _ = tick.tick() => {
                    self.blocking(|p| p.roll_day()).await?;
                    continue;
                }
                chunk = chunks.next() => chunk,
            };
            let Some(chunk) = chunk else {
                anyhow::bail!("the stream of messages ended");
            };
            let mut messages = Vec::with_capacity(chunk.len());
            let mut failure = None;
            for item in chunk {
                match item {
                    Ok(m) => messages.push(m),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            if let Some(last) = messages.last() {
                deferred += messages.len();
                let caught_up = last.pending == 0 || failure.is_some();
                let report = if caught_up || deferred >= self.settings.defer_up_to {
                    deferred = 0;
                    self.blocking(move |p| p.apply(&messages)).await?
                } else {
                    self.blocking(move |p| p.store_only(&messages)).await?
                };
                debug!(?report, caught_up, "batch applied");
            }
            if let Some(e) = failure {
                return Err(e.into());
            }
        }
    }
}

/// Decodes and validates one message; on failure, the event id if it could be read.
fn accept(m: &LogMessage) -> Result<Event, (String, Rejection)> {
    let Some(subject) = Subject::parse(&m.subject) else {
        return Err((
            String::new(),
            Rejection::new(
                RejectionReason::InvalidSubject,
                format!(
                    "subject {:?} is not caseflow.events.<la>.<child|carer|worker>.<id>",
                    m.subject
                ),
            ),
        ));
    };
    let draft = caseflow_proto::decode_event(&m.payload, m.content_type.as_deref())
        .map_err(|r| (String::new(), r))?;
    let event_id = draft.event_id.clone();
    draft
        .validate(&subject, Timestamp::from_offset(m.published))
        .map_err(|r| (event_id, r))
}

/// The authority token of a subject that does not otherwise parse.
fn la_token(subject: &str) -> Option<caseflow_domain::La> {
    subject
        .strip_prefix("caseflow.events.")?
        .split('.')
        .next()
        .and_then(caseflow_domain::La::parse)
}

/// A subject's derived state from its events.
pub fn derive(kind: EntityKind, events: &[Event], ctx: &Context) -> Derived {
    match kind {
        EntityKind::Child => {
            let tl = fold_child(events);
            Derived {
                contributions: child_contributions(&tl, ctx),
                cases: month_end_cases(&tl, ctx.horizon),
                issues: tl.issues,
                worker_months: Vec::new(),
            }
        }
        EntityKind::Household => Derived {
            contributions: contributions(&evaluate_household(events, ctx)),
            issues: resolve(events).1,
            ..Default::default()
        },
        // Workers contribute their month-end records to the caseload join (11.x).
        EntityKind::Worker => Derived {
            worker_months: worker_month_ends(events, ctx.horizon),
            issues: resolve(events).1,
            ..Default::default()
        },
    }
}
