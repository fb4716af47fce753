//! Building empty projections from a stream that holds history: authority by authority, each
//! authority's messages read whole (one consumer filtered to `caseflow.events.<la>.>`) and
//! settled while the next authority is read.
//!
//! Read in stream order, a settle every `defer_up_to` messages cuts through subjects: a child
//! whose events lie on both sides of the cut is derived three times (once, then its old and
//! new states). Read by authority, every subject's events are in one backlog (an authority's
//! history is far below `defer_up_to`), so each subject is derived once; and deriving one
//! authority on the blocking threads overlaps reading the next.
//!
//! The applied sequence stays 0 until every authority is settled; then it moves to the
//! stream's last sequence as of the start, and following goes on from there. Each authority's
//! last commit publishes its figures and records a stream mark, so the history check notices a
//! stream replaced under a rebuild. A rebuild cut short (a crash, a store that cannot be
//! written) starts again from the first authority: what a subject has absorbed (its log's
//! `through`) is skipped and a subject already derived as of the day is not derived again, so
//! what was settled is only read again. Messages no authority's filter takes (a subject
//! without a three-digit authority) make the counts differ: the projections are then left at
//! applied sequence 0 and following reads the stream in order from its start, which rejects
//! them and skips everything absorbed.

use std::sync::atomic::Ordering;

use caseflow_log::{EventLog, LogMessage};
use caseflow_store::{ProjectionBatch, StoreError, StreamMark};
use tokio::sync::watch;
use tracing::{info, instrument, warn};

use crate::backlog::Backlog;
use crate::follow::Reading;
use crate::projector::{BatchReport, Through};
use crate::{Projector, ProjectorError};

/// How a rebuild by authority ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rebuilt {
    /// Not attempted: the projections hold an applied sequence, or the stream is empty or has
    /// no authority's messages.
    NotApplicable,
    /// Every message up to this sequence is stored and derived (the applied sequence).
    Through(u64),
    /// Every authority's messages are settled, but the stream holds messages outside them:
    /// following in stream order takes those in.
    Partly,
    /// Shut down first (what was settled stays committed).
    Stopped,
}

/// A settle running on the blocking threads while the next authority is read.
type Settling = tokio::task::JoinHandle<Result<BatchReport, StoreError>>;

impl Projector {
    /// Rebuilds empty projections authority by authority (see the module's documentation).
    #[instrument(skip_all)]
    pub(crate) async fn rebuild_by_authority(
        &self,
        log: &EventLog,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Rebuilt, ProjectorError> {
        if self.store.applied_sequence()? != 0 {
            return Ok(Rebuilt::NotApplicable);
        }
        let Some(prefix) = log
            .settings()
            .subjects
            .strip_suffix(".>")
            .map(str::to_owned)
        else {
            return Ok(Rebuilt::NotApplicable);
        };
        let Some(state) = log.stream_state().await? else {
            return Ok(Rebuilt::NotApplicable);
        };
        let last = state.last_sequence;
        let authorities = log.authorities().await?;
        if last == 0 || authorities.is_empty() {
            return Ok(Rebuilt::NotApplicable);
        }
        info!(
            authorities = authorities.len(),
            messages = state.messages,
            last,
            "building the projections from the stream, authority by authority"
        );
        let started = std::time::Instant::now();
        let mut read = 0u64;
        let mut settling: Option<Settling> = None;
        for (la, first) in authorities {
            let mut reading = self
                .reading_under(log, &format!("{prefix}.{la}.>"), first)
                .await?;
            loop {
                let part = match self
                    .read_authority(&mut reading, last, &mut read, shutdown)
                    .await
                {
                    Ok(part) => part,
                    Err(error) => {
                        // What was handed over is committed (or fails) before the error is told.
                        let _ = self.finish(settling.take()).await;
                        return Err(error);
                    }
                };
                self.finish(settling.take()).await?;
                let Some((backlog, done)) = part else {
                    return Ok(Rebuilt::Stopped);
                };
                // An authority larger than the backlog's bound is settled in parts.
                settling = Some(self.settle_behind(backlog));
                if done {
                    break;
                }
            }
        }
        self.finish(settling.take()).await?;
        if read != state.messages {
            warn!(
                read,
                held = state.messages,
                "the stream holds messages under no authority's subjects: reading it in order \
                 from the start to take them in (what is settled is skipped)"
            );
            return Ok(Rebuilt::Partly);
        }
        let created = self.stream_created.load(Ordering::Relaxed);
        let stream_mark = match log.message_at(last).await? {
            Some(mark) if created != i64::MIN => Some(StreamMark {
                stream_created_nanos: i128::from(created),
                sequence: last,
                message_id: mark.message_id,
                payload_len: mark.payload_len as u64,
            }),
            _ => None,
        };
        self.blocking(move |p| {
            p.store.commit(ProjectionBatch {
                applied_sequence: Some(last),
                stream_mark,
                ..Default::default()
            })?;
            Ok(())
        })
        .await?;
        self.metrics.set_applied(last);
        info!(
            messages = read,
            seconds = started.elapsed().as_secs_f64(),
            "projections built from the stream"
        );
        Ok(Rebuilt::Through(last))
    }

    /// Reads the authority `reading` reads, up to the stream's sequence `last`, into a
    /// backlog, counting the messages in `read`: until the authority's last message (true) or
    /// `defer_up_to` messages (false). `None` when shut down.
    pub(crate) async fn read_authority(
        &self,
        reading: &mut Reading,
        last: u64,
        read: &mut u64,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Option<(Backlog, bool)>, ProjectorError> {
        let mut backlog = Backlog::default();
        loop {
            let chunk = tokio::select! {
                _ = shutdown.changed() => return Ok(None),
                chunk = reading.chunks.recv() => chunk,
            };
            let chunk = chunk.ok_or(ProjectorError::StreamEnded)?;
            let mut messages: Vec<LogMessage> = Vec::with_capacity(chunk.len());
            let mut done = false;
            for item in chunk {
                let m = item?;
                if m.sequence > last {
                    // Published since the rebuild began: following reads it.
                    done = true;
                    break;
                }
                done = m.pending == 0 || m.sequence == last;
                messages.push(m);
                if done {
                    break;
                }
            }
            *read += messages.len() as u64;
            let progress = *read;
            backlog = self
                .blocking(move |p| {
                    for m in &messages {
                        backlog.absorb(m);
                    }
                    p.read.store(progress, Ordering::Relaxed);
                    p.metrics.set_read(progress);
                    Ok(backlog)
                })
                .await?;
            if done || backlog.len() >= self.settings.defer_up_to {
                return Ok(Some((backlog, done)));
            }
        }
    }

    /// Settles one authority's backlog on a blocking thread, leaving the applied sequence.
    fn settle_behind(&self, backlog: Backlog) -> Settling {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.settle_as(backlog, Through::Unchanged))
    }

    /// Waits for the settle handed over, if any.
    async fn finish(&self, settling: Option<Settling>) -> Result<(), ProjectorError> {
        if let Some(settling) = settling {
            settling.await??;
        }
        Ok(())
    }
}
