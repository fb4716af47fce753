//! Following the log: messages pulled a few chunks ahead, read into a backlog, settled when
//! the projector has caught up (or holds enough), the day rolled every minute.

use std::time::Duration;

use caseflow_log::{EventLog, LogError, LogMessage};
use caseflow_store::StoreError;
use futures::StreamExt;
use tokio::sync::watch;
use tracing::{debug, error, warn};

/// How often a following projector checks that the stream still holds its history.
pub const HISTORY_CHECK: Duration = Duration::from_secs(5);

use crate::backlog::Backlog;
use crate::rebuild::Rebuilt;
use crate::{Projector, ProjectorError};

impl Projector {
    /// Follows the log until `shutdown` turns true, reconnecting after errors.
    pub async fn run(&self, log: &EventLog, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.follow(log, &mut shutdown).await {
                Ok(()) => return,
                Err(ProjectorError::LostHistory(reason)) => {
                    error!(%reason, "the stream has lost the history the figures were built from: not applying");
                    self.report_history(Some(reason));
                    if !self.wait_for_history(log, &mut shutdown).await {
                        return;
                    }
                    self.report_history(None);
                }
                Err(ProjectorError::Store(error)) if error.is_storage() => {
                    error!(%error, "the projections cannot be written: not applying until they can");
                    self.report_unwritable(Some(unwritable(&error)));
                    if !self.wait_for_store(&mut shutdown).await {
                        return;
                    }
                    self.report_unwritable(None);
                    warn!(
                        "the projections can be written again: resuming from the last stored sequence"
                    );
                }
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

    /// Checks the stream every [`HISTORY_CHECK`] until it holds the projections' history again
    /// (restored), or the projections were rebuilt. False when shut down first.
    async fn wait_for_history(&self, log: &EventLog, shutdown: &mut watch::Receiver<bool>) -> bool {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(HISTORY_CHECK) => {}
                _ = shutdown.changed() => return false,
            }
            match self.check_history(log).await {
                Ok(_) => return true,
                Err(ProjectorError::LostHistory(reason)) => self.report_history(Some(reason)),
                Err(error) => warn!(%error, "cannot check the stream's history"),
            }
        }
    }

    /// Reopens the store (sled writes nothing more after an I/O error) until it opens at its
    /// last durable commit and can write, every [`STORE_RETRY`]. False when shut down first.
    async fn wait_for_store(&self, shutdown: &mut watch::Receiver<bool>) -> bool {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(STORE_RETRY) => {}
                _ = shutdown.changed() => return false,
            }
            match self.blocking(|p| Ok(p.store.reopen()?)).await {
                Ok(()) => return true,
                Err(ProjectorError::Store(error)) => {
                    debug!(%error, "the projections still cannot be written");
                    self.report_unwritable(Some(unwritable(&error)));
                }
                Err(error) => warn!(%error, "cannot reopen the projections"),
            }
        }
    }

    /// Records whether the projections can be written: the condition the server reports, and
    /// the metric.
    fn report_unwritable(&self, problem: Option<String>) {
        self.metrics.set_store_unwritable(problem.is_some());
        self.condition.send_if_modified(|now| {
            let changed = now.unwritable != problem;
            now.unwritable = problem;
            changed
        });
    }

    /// Runs a blocking step of the projector off the async workers.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Projector) -> Result<T, ProjectorError> + Send + 'static,
    ) -> Result<T, ProjectorError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || f(&this)).await?
    }

    /// Reads from the message after the applied sequence into a backlog, settling it whenever
    /// JetStream reports nothing more waiting (or it holds `defer_up_to` messages).
    async fn follow(
        &self,
        log: &EventLog,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), ProjectorError> {
        self.blocking(|p| Ok(p.ensure_fingerprint()?)).await?;
        self.check_history(log).await?;
        self.report_history(None);
        self.blocking(|p| Ok(p.roll_day()?)).await?;
        if self.rebuild_by_authority(log, shutdown).await? == Rebuilt::Stopped {
            return Ok(());
        }
        let start = self.store.applied_sequence()? + 1;
        self.metrics.set_applied(start - 1);
        let mut reading = self.reading(log, start).await?;
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut history = tokio::time::interval(HISTORY_CHECK);
        history.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is at once: the history was just checked.
        history.tick().await;
        let mut stall = Stall::from(start - 1);
        let mut backlog = Backlog::default();
        // When the backlog's first message was read (a far future while it is empty).
        let mut held_since = far_future();
        let mut pending = u64::MAX;
        loop {
            let due = held_since + self.settings.settle_within;
            let chunk = tokio::select! {
                _ = shutdown.changed() => return Ok(()),
                _ = tokio::time::sleep_until(due), if (pending as usize) < self.settings.defer_up_to => {
                    // Following a stream that never quite runs dry (sustained publishing):
                    // what has waited `settle_within` is settled, so figures keep up.
                    let settling = std::mem::take(&mut backlog);
                    held_since = far_future();
                    let report = self.blocking(move |p| Ok(p.settle(settling)?)).await?;
                    debug!(?report, "backlog settled on time");
                    continue;
                }
                _ = tick.tick() => {
                    self.blocking(|p| Ok(p.roll_day()?)).await?;
                    continue;
                }
                _ = history.tick() => {
                    let last = self.check_history(log).await?;
                    stall.check(last)?;
                    continue;
                }
                chunk = reading.chunks.recv() => chunk,
            };
            let Some(chunk) = chunk else {
                return Err(ProjectorError::StreamEnded);
            };
            stall.delivered(&chunk);
            let was_empty = backlog.is_empty();
            let read = self.read_chunk(backlog, chunk).await?;
            backlog = read.backlog;
            pending = read.pending;
            if was_empty && !backlog.is_empty() {
                held_since = tokio::time::Instant::now();
            }
            let due = (pending as usize) < self.settings.defer_up_to
                && held_since.elapsed() >= self.settings.settle_within;
            if read.caught_up || due || backlog.len() >= self.settings.defer_up_to {
                let settling = std::mem::take(&mut backlog);
                held_since = far_future();
                let report = self.blocking(move |p| Ok(p.settle(settling)?)).await?;
                debug!(?report, caught_up = read.caught_up, "backlog settled");
            }
            if let Some(e) = read.failure {
                return Err(e.into());
            }
        }
    }

    /// Reads the stream up to `last` as a rebuild into empty projections reads it (the same
    /// pulling ahead, decoding and validating into each authority's backlog), settling nothing:
    /// each backlog goes to `settled_here` where the rebuild would settle it. The benchmark's
    /// measure of what reading alone costs.
    #[cfg(feature = "bench")]
    pub async fn read_only(
        &self,
        log: &EventLog,
        last: u64,
        mut settled_here: impl FnMut(Backlog),
    ) -> Result<(), ProjectorError> {
        let ends = self.authority_ends(log).await?;
        let (_running, mut shutdown) = watch::channel(false);
        let (ready, mut handed) = tokio::sync::mpsc::channel(1);
        let reading = async {
            let read = self
                .read_by_authority(log, last, &ends, &ready, &mut shutdown)
                .await;
            drop(ready);
            read
        };
        let taking = async {
            while let Some(backlog) = handed.recv().await {
                settled_here(backlog);
            }
        };
        let (read, ()) = tokio::join!(reading, taking);
        read.map(|_| ())
    }

    /// Starts reading the log from `start`. Messages are pulled by their own task, a few
    /// chunks ahead: the consumer asks JetStream for more only while polled, so pulling in the
    /// reading loop would leave the server idle while each chunk is decoded.
    pub(crate) async fn reading(
        &self,
        log: &EventLog,
        start: u64,
    ) -> Result<Reading, ProjectorError> {
        let stream = log.read_from(start, self.settings.batch_size).await?;
        let (ahead, chunks) = tokio::sync::mpsc::channel(4);
        let batch = self.settings.batch_size;
        let puller = AbortOnDrop(tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream.ready_chunks(batch));
            while let Some(chunk) = stream.next().await {
                if ahead.send(chunk).await.is_err() {
                    return;
                }
            }
        }));
        Ok(Reading {
            chunks,
            _puller: puller,
        })
    }

    /// Decodes and validates a chunk of messages into `backlog`, off the async workers; a
    /// read error ends the chunk (the messages before it are kept).
    async fn read_chunk(
        &self,
        backlog: Backlog,
        chunk: Chunk,
    ) -> Result<ChunkRead, ProjectorError> {
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
        let Some(last) = messages.last() else {
            return Ok(ChunkRead {
                backlog,
                caught_up: false,
                pending: u64::MAX,
                failure,
            });
        };
        let caught_up = last.pending == 0 || failure.is_some();
        let pending = last.pending;
        let mut held = backlog;
        let backlog = self
            .blocking(move |p| {
                p.read_into(&mut held, &messages)?;
                Ok(held)
            })
            .await?;
        Ok(ChunkRead {
            backlog,
            caught_up,
            pending,
            failure,
        })
    }
}

/// How often a projector whose store cannot be written tries it again.
pub const STORE_RETRY: Duration = Duration::from_secs(1);

/// What the condition says while the store cannot be written.
fn unwritable(error: &StoreError) -> String {
    format!(
        "the projections cannot be written ({error}): nothing more is applied until they can \
         (free disk space, or make the store directory writable); applying resumes by itself"
    )
}

/// History checks in a row that may find the stream holding messages the reader has not
/// delivered, without a message delivered in between, before reading starts again with a new
/// consumer.
const STALLED_CHECKS: u32 = 2;

/// Notices a reader that has stopped delivering while the stream holds more: on a cluster, the
/// node holding the reader's consumer may go away (its stream leader killed, say), and the
/// client may take long to notice. [`HISTORY_CHECK`] apart, [`STALLED_CHECKS`] checks without
/// progress end `follow` with [`ProjectorError::Stalled`]; `run` then reads again from the
/// applied sequence.
struct Stall {
    /// The last sequence delivered.
    delivered: u64,
    /// ... as of the previous check.
    at_check: u64,
    checks: u32,
}

impl From<u64> for Stall {
    fn from(delivered: u64) -> Stall {
        Stall {
            delivered,
            at_check: delivered,
            checks: 0,
        }
    }
}

impl Stall {
    fn delivered(&mut self, chunk: &Chunk) {
        let last = chunk.iter().flatten().map(|m| m.sequence).max();
        self.delivered = self.delivered.max(last.unwrap_or(0));
    }

    /// Given the stream's last sequence now.
    fn check(&mut self, last: u64) -> Result<(), ProjectorError> {
        if self.delivered < last && self.delivered == self.at_check {
            self.checks += 1;
        } else {
            self.checks = 0;
        }
        self.at_check = self.delivered;
        if self.checks >= STALLED_CHECKS {
            return Err(ProjectorError::Stalled {
                delivered: self.delivered,
                last,
            });
        }
        Ok(())
    }
}

/// Messages pulled from the log in chunks, by a task that ends with this.
pub(crate) struct Reading {
    pub(crate) chunks: tokio::sync::mpsc::Receiver<Chunk>,
    _puller: AbortOnDrop,
}

type Chunk = Vec<Result<LogMessage, LogError>>;

/// A chunk read into the backlog: whether JetStream had nothing more waiting after it, and
/// the read error that cut it short.
struct ChunkRead {
    backlog: Backlog,
    caught_up: bool,
    /// Messages after the chunk's last one when it was delivered (`u64::MAX`: none read).
    pending: u64,
    failure: Option<LogError>,
}

/// A task aborted when this handle is dropped (the projector's puller ends with `follow`).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A moment that does not come (a day ahead): when nothing is held, nothing is due.
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400)
}
