//! What can stop the projector.

use caseflow_log::LogError;
use caseflow_store::StoreError;

/// Why the projector stopped or a step failed. Every failure leaves the store at its last
/// commit: following the log again resumes from the applied sequence.
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    #[error("projection store: {0}")]
    Store(#[from] StoreError),
    #[error("event log: {0}")]
    Log(#[from] LogError),
    #[error("the stream of messages ended")]
    StreamEnded,
    /// Nothing delivered for a while although the stream holds more (the reader is restarted).
    #[error("reading stalled at sequence {delivered} while the stream holds {last}")]
    Stalled { delivered: u64, last: u64 },
    /// The stream no longer holds what the projections were built from.
    #[error("{0}")]
    LostHistory(String),
    #[error("a projector task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("still waiting after {0:?}")]
    TimedOut(std::time::Duration),
    #[error("the projector has applied {applied} of {target} after {waited:?}")]
    Behind {
        applied: u64,
        target: u64,
        waited: std::time::Duration,
    },
}
