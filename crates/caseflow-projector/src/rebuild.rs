//! Building empty projections from a stream that holds history: the stream read once, in
//! order, each message held in its authority's backlog, and each authority settled as soon as
//! its last message is read, while reading goes on.
//!
//! Read in stream order into one backlog settled every `defer_up_to` messages, a settle cuts
//! through subjects: a child whose events lie on both sides of the cut is derived three times
//! (once, then its old and new states). Here a subject is derived once its authority's
//! messages are all read, so once; and deriving one authority on the blocking threads overlaps
//! reading the next. Where each authority's first and last messages are is asked of the server
//! before reading (`EventLog::authorities`). The backlogs together hold at most `defer_up_to`
//! messages: when authorities' messages are interleaved (every authority publishing every day)
//! and more than that lie open, the largest backlog is settled early, and only its subjects
//! with messages on both sides are derived more than once.
//!
//! The applied sequence stays 0 until every backlog is settled; then it moves to the stream's
//! last sequence as of the start, and following goes on from there. Each settle's last commit
//! publishes its authority's figures and records a stream mark, so the history check notices a
//! stream replaced under a rebuild. A rebuild cut short (a crash, a store that cannot be
//! written) starts again from the beginning: what a subject has absorbed (its log's `through`)
//! is skipped and a subject already derived as of the day is not derived again, so what was
//! settled is only read again. Messages under no three-digit authority (rejected) are settled
//! at the end.

use std::sync::atomic::Ordering;

use caseflow_domain::La;
use caseflow_log::{EventLog, LogMessage};
use caseflow_store::{ProjectionBatch, StreamMark};
use rustc_hash::FxHashMap;
use tokio::sync::{mpsc, watch};
use tracing::{info, instrument};

use crate::backlog::Backlog;
use crate::projector::Through;
use crate::{Projector, ProjectorError};

/// How a rebuild by authority ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rebuilt {
    /// Not attempted: the projections hold an applied sequence, or the stream is empty or has
    /// no authority's messages.
    NotApplicable,
    /// Every message up to this sequence is stored and derived (the applied sequence).
    Through(u64),
    /// Shut down first (what was settled stays committed).
    Stopped,
}

/// The authority a message's subject names (`caseflow.events.<la>. ...`), if any.
fn authority_of(subject: &str) -> Option<La> {
    subject
        .strip_prefix(caseflow_domain::event::SUBJECT_PREFIX)?
        .strip_prefix('.')?
        .split('.')
        .next()
        .and_then(La::parse)
}

impl Projector {
    /// Rebuilds empty projections (see the module's documentation).
    #[instrument(skip_all)]
    pub(crate) async fn rebuild_by_authority(
        &self,
        log: &EventLog,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Rebuilt, ProjectorError> {
        if self.store.applied_sequence()? != 0 {
            return Ok(Rebuilt::NotApplicable);
        }
        let Some(state) = log.stream_state().await? else {
            return Ok(Rebuilt::NotApplicable);
        };
        let last = state.last_sequence;
        if last == 0 {
            return Ok(Rebuilt::NotApplicable);
        }
        let ends = self.authority_ends(log).await?;
        if ends.is_empty() {
            return Ok(Rebuilt::NotApplicable);
        }
        info!(
            authorities = ends.len(),
            messages = state.messages,
            last,
            "building the projections from the stream, authority by authority"
        );
        let started = std::time::Instant::now();
        // One backlog settling, one waiting: reading runs ahead by no more.
        let (ready, mut settle) = mpsc::channel::<Backlog>(1);
        let reading = async {
            let read = self
                .read_by_authority(log, last, &ends, &ready, shutdown)
                .await;
            drop(ready);
            read
        };
        let settling = async {
            while let Some(backlog) = settle.recv().await {
                self.blocking(move |p| Ok(p.settle_as(backlog, Through::Unchanged)?))
                    .await?;
            }
            Ok::<_, ProjectorError>(())
        };
        let (read, settled) = tokio::join!(reading, settling);
        settled?;
        if !read? {
            return Ok(Rebuilt::Stopped);
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
            seconds = started.elapsed().as_secs_f64(),
            "projections built from the stream"
        );
        Ok(Rebuilt::Through(last))
    }

    /// Each authority in the stream with the sequence of its last message, ordered by it.
    pub(crate) async fn authority_ends(
        &self,
        log: &EventLog,
    ) -> Result<Vec<(u64, La)>, ProjectorError> {
        Ok(log
            .authorities()
            .await?
            .into_iter()
            .filter_map(|a| Some((a.last, La::parse(&a.code)?)))
            .collect())
    }

    /// Reads the stream from its start to `last` (a sequence), each message into its
    /// authority's backlog, and sends each backlog to `ready` once the authority's last message
    /// (`ends`, ordered) is read; the largest backlog early if together they hold
    /// `defer_up_to`; what is left at the end. False when shut down (or the receiver has gone).
    pub(crate) async fn read_by_authority(
        &self,
        log: &EventLog,
        last: u64,
        ends: &[(u64, La)],
        ready: &mpsc::Sender<Backlog>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<bool, ProjectorError> {
        let mut reading = self.reading(log, 1).await?;
        // By authority; `None`: messages whose subject names none.
        let mut open: FxHashMap<Option<La>, Backlog> = FxHashMap::default();
        let (mut held, mut read, mut next_end) = (0usize, 0u64, 0usize);
        loop {
            let chunk = tokio::select! {
                _ = shutdown.changed() => return Ok(false),
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
            let through = messages.last().map_or(0, |m| m.sequence);
            read += messages.len() as u64;
            held += messages.len();
            let progress = read;
            open = self
                .blocking(move |p| {
                    for m in &messages {
                        open.entry(authority_of(&m.subject)).or_default().absorb(m);
                    }
                    p.read.store(progress, Ordering::Relaxed);
                    p.metrics.set_read(progress);
                    Ok(open)
                })
                .await?;
            let mut hand_over = Vec::new();
            while let Some(&(_, la)) = ends.get(next_end).filter(|(end, _)| *end <= through) {
                hand_over.extend(open.remove(&Some(la)));
                next_end += 1;
            }
            if done {
                hand_over.extend(open.drain().map(|(_, backlog)| backlog));
            } else if held >= self.settings.defer_up_to {
                let largest = open.iter().max_by_key(|(_, b)| b.len()).map(|(la, _)| *la);
                hand_over.extend(largest.and_then(|la| open.remove(&la)));
            }
            for backlog in hand_over {
                held -= backlog.len();
                if ready.send(backlog).await.is_err() {
                    return Ok(false);
                }
            }
            if done {
                return Ok(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::authority_of;
    use caseflow_domain::La;

    #[test]
    fn a_subject_names_its_authority_by_its_third_token() {
        assert_eq!(
            authority_of("caseflow.events.372.child.C1"),
            La::parse("372")
        );
        assert_eq!(authority_of("caseflow.events.372"), La::parse("372"));
        assert_eq!(authority_of("caseflow.events.LA1.child.C1"), None);
        assert_eq!(authority_of("caseflow.eventsX.372.child.C1"), None);
        assert_eq!(authority_of("other.372"), None);
    }
}
