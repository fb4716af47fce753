//! Noticing lost history: the stream no longer holds what the projections were built from.
//!
//! Each settle records, with the applied sequence, the stream's creation time and the last
//! applied message's id and length ([`StreamMark`]). The projector compares them with the
//! stream when it starts following and every few seconds after. The history is lost when the
//! stream is gone, was deleted and created again, ends before the applied sequence, or holds
//! another message at the recorded sequence. Figures built on it are then not the stream's:
//! the projector stops applying, says why ([`Projector::condition`]), and waits for the stream
//! to come back as it was or for `caseflow rebuild`.

use std::sync::atomic::Ordering;

use caseflow_log::EventLog;
use caseflow_store::StreamMark;
use time::OffsetDateTime;

use crate::{Projector, ProjectorError};

fn nanos(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos()
}

impl Projector {
    /// Compares the stream with what the projections were built from. `Ok` records the
    /// stream's creation time for the next settles and gives the stream's last sequence (0
    /// when there is no stream yet); a difference is [`ProjectorError::LostHistory`] with the
    /// reason.
    pub(crate) async fn check_history(&self, log: &EventLog) -> Result<u64, ProjectorError> {
        let name = &log.settings().name;
        let mark = self.store.stream_mark()?;
        let applied = self.store.applied_sequence()?;
        let Some(state) = log.stream_state().await? else {
            if applied == 0 && mark.is_none() {
                return Ok(0);
            }
            return Err(lost(format!(
                "stream {name} no longer exists, but the projections hold {applied} messages \
                 read from it"
            )));
        };
        if let Some(mark) = &mark {
            if mark.stream_created_nanos != nanos(state.created) {
                return Err(lost(format!(
                    "stream {name} was deleted and created again (now created {}): the \
                     projections were built from an earlier stream of that name",
                    state.created
                )));
            }
            check_message(log, mark).await?;
        }
        if state.last_sequence < applied {
            return Err(lost(format!(
                "stream {name} ends at sequence {}, but the projections were built from {applied} \
                 messages",
                state.last_sequence
            )));
        }
        let created = i64::try_from(nanos(state.created)).unwrap_or(i64::MIN + 1);
        self.stream_created.store(created, Ordering::Relaxed);
        Ok(state.last_sequence)
    }

    /// Records the outcome of a check: the condition the server reports, and the metric.
    pub(crate) fn report_history(&self, problem: Option<String>) {
        self.metrics.set_history_lost(problem.is_some());
        self.condition.send_if_modified(|now| {
            let changed = now.lost_history != problem;
            now.lost_history = problem;
            changed
        });
    }
}

async fn check_message(log: &EventLog, mark: &StreamMark) -> Result<(), ProjectorError> {
    let found = log.message_at(mark.sequence).await?;
    let same = found.as_ref().is_some_and(|m| {
        m.message_id == mark.message_id && m.payload_len as u64 == mark.payload_len
    });
    if same {
        return Ok(());
    }
    Err(lost(format!(
        "the message at sequence {} is not the one the projections applied there ({})",
        mark.sequence,
        match (&found, &mark.message_id) {
            (None, _) => "it is gone".to_owned(),
            (Some(m), Some(id)) => format!(
                "applied {id:?}, now {:?}",
                m.message_id.as_deref().unwrap_or("no id")
            ),
            (Some(_), None) => "its content differs".to_owned(),
        }
    )))
}

fn lost(reason: String) -> ProjectorError {
    ProjectorError::LostHistory(format!(
        "{reason}; run `caseflow rebuild` to rebuild from the stream as it is"
    ))
}
