//! The projector: reads the event log in order and keeps the projections up to date.
//!
//! Each batch of messages is decoded and validated (invalid ones become rejection records),
//! de-duplicated against what is stored, and every affected subject is re-derived from its whole
//! history; the difference of its contributions moves the figure cells. Events, derived state,
//! cells, rejections and the last applied sequence are committed in one atomic, flushed store
//! batch, so a crash anywhere resumes exactly where the store says.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use caseflow_domain::indicators::{
    Context, child_contributions, contributions, diff, evaluate_household,
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

/// Projector settings.
#[derive(Clone, Debug)]
pub struct ProjectorSettings {
    /// The most messages applied in one store batch.
    pub batch_size: usize,
    /// Subjects re-derived per commit when the day moves on.
    pub roll_chunk: usize,
    /// The indicator settings derivations use. Changing them needs a rebuild.
    pub indicators: Settings,
}

impl Default for ProjectorSettings {
    fn default() -> Self {
        ProjectorSettings {
            batch_size: 1000,
            roll_chunk: 2000,
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

    /// Applies messages (in stream order) as one atomic batch. Messages at or below the
    /// applied sequence are skipped, so re-delivery is harmless.
    #[instrument(skip_all, fields(messages = messages.len()))]
    pub fn apply(&self, messages: &[LogMessage]) -> Result<BatchReport, StoreError> {
        self.roll_day()?;
        let ctx = self.context();
        let applied = self.store.applied_sequence()?;
        let mut batch = ProjectionBatch::default();
        let mut report = BatchReport::default();
        let mut staged: BTreeMap<Subject, Vec<StoredEvent>> = BTreeMap::new();
        let mut seen: HashSet<(Subject, String)> = HashSet::new();
        for m in messages.iter().filter(|m| m.sequence > applied) {
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
        for (subject, new_events) in staged {
            let mut events = self.store.events(&subject)?;
            events.extend(new_events.iter().cloned());
            self.rederive(&subject, &events, &ctx, &mut batch)?;
            batch.events.extend(new_events);
        }
        batch.duplicates = report.duplicates as u64;
        batch.applied_sequence = report.last_sequence;
        self.store.commit(batch)?;
        Ok(report)
    }

    /// Re-derives `subject` from all its events and stages the difference.
    fn rederive(
        &self,
        subject: &Subject,
        events: &[StoredEvent],
        ctx: &Context,
        batch: &mut ProjectionBatch,
    ) -> Result<(), StoreError> {
        let events: Vec<Event> = events.iter().map(|s| s.event.clone()).collect();
        let derived = derive(subject.kind, &events, ctx);
        let old = self.store.derived(subject)?.unwrap_or_default();
        batch.add_contributions(
            subject.la,
            &diff(&old.contributions, &derived.contributions),
        );
        batch.derived.push((subject.clone(), derived));
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
        let applied = self.store.applied_sequence()?;
        let ctx = self.context();
        for chunk in subjects.chunks(self.settings.roll_chunk.max(1)) {
            let mut batch = ProjectionBatch {
                applied_sequence: applied,
                ..Default::default()
            };
            for subject in chunk {
                let events = self.store.events(subject)?;
                self.rederive(subject, &events, &ctx, &mut batch)?;
            }
            self.store.commit(batch)?;
        }
        self.store.commit(ProjectionBatch {
            applied_sequence: applied,
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
                    warn!(%error, ?backoff, "projector interrupted; resuming from the last applied sequence");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => return,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Reads from the next unapplied sequence and applies ready messages in batches.
    async fn follow(
        &self,
        log: &EventLog,
        shutdown: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let start = self.store.applied_sequence()? + 1;
        let stream = log.read_from(start, self.settings.batch_size).await?;
        let mut chunks = std::pin::pin!(stream.ready_chunks(self.settings.batch_size));
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            let chunk = tokio::select! {
                _ = shutdown.changed() => return Ok(()),
                _ = tick.tick() => {
                    let this = self.clone();
                    tokio::task::spawn_blocking(move || this.roll_day()).await??;
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
            if !messages.is_empty() {
                let this = self.clone();
                let report = tokio::task::spawn_blocking(move || this.apply(&messages)).await??;
                debug!(?report, "batch applied");
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
                issues: tl.issues,
            }
        }
        EntityKind::Household => Derived {
            contributions: contributions(&evaluate_household(events, ctx)),
            issues: resolve(events).1,
        },
        // Workers contribute through caseloads (11.x), computed when asked for; their
        // retractions are still checked here.
        EntityKind::Worker => Derived {
            contributions: Vec::new(),
            issues: resolve(events).1,
        },
    }
}
