//! The records the store persists, and their encoding (postcard). Their layout is the store's
//! format: [`FORMAT_VERSION`](crate::FORMAT_VERSION) names it, and the snapshot test in
//! `tests.rs` pins every record's bytes to it, so a change of encoding (including of a domain
//! type a record embeds: an event, a worker's record, a month) fails until the version is bumped
//! and the projections are rebuilt.

use caseflow_domain::indicators::Cell;
use caseflow_domain::indicators::Measure;
use caseflow_domain::indicators::caseloads::WorkerState;
use caseflow_domain::{Event, Id, La, Month};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// An event as stored: with the stream sequence it arrived at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub sequence: u64,
    pub event: Event,
}

/// Everything stored for one subject: its events in stream order (each event id once), and the
/// last stream sequence of a message for the subject that has been taken into account
/// (stored, or counted as a duplicate). Messages at or below `through` are already absorbed:
/// re-reading them after a crash changes nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectLog {
    pub through: u64,
    pub events: Vec<StoredEvent>,
    /// Event ids sent again with different content (the first copy, in `events`, is kept).
    pub conflicts: Vec<Conflict>,
}

/// An event id that arrived again with different content: kept at one stream sequence,
/// dropped at another. Reported as a `conflicting_duplicate` data-quality issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub event_id: Id,
    /// The day the kept copy says it happened.
    pub occurred_on: time::Date,
    /// The stream sequence of the copy kept.
    pub kept: u64,
    /// The stream sequence of the copy dropped.
    pub dropped: u64,
}

/// A subject's log encoded as stored. Encoding is the caller's: the projector's deriving
/// threads encode the logs they extended, in parallel, and the commit only writes them.
#[derive(Debug)]
pub struct EncodedLog(pub(crate) Vec<u8>);

impl SubjectLog {
    pub fn encode(&self) -> Result<EncodedLog, StoreError> {
        encode(self).map(EncodedLog)
    }
}

/// A rejected message, kept for operators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionRecord {
    pub sequence: u64,
    pub subject: String,
    /// Parsed from the subject when it could be.
    pub la: Option<La>,
    /// The event id, when the message decoded far enough to read one and it is an id.
    pub event_id: Option<String>,
    /// A `RejectionReason` code.
    pub reason: String,
    pub message: String,
    /// RFC 3339.
    pub rejected_at: String,
}

/// Counts kept for status reporting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub events_stored: u64,
    pub rejections: u64,
    pub duplicates: u64,
}

/// Children looked after at a month end in an authority, by the worker holding their case.
pub(crate) type CaseKey = (La, Month, Option<Id>);

/// A staged batch's changes to what figures read, kept under a `P` key until published.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Staged {
    pub(crate) cell_deltas: Vec<((La, Cell), i64)>,
    pub(crate) case_deltas: Vec<(CaseKey, i64)>,
    pub(crate) worker_months_removed: Vec<(La, Month, Id)>,
    pub(crate) worker_months_put: Vec<(La, Month, Id, WorkerState)>,
}

/// Counters kept together in one value, sorted by what they count, none zero: one indicator's
/// cells of one authority (by month and measure), one month's cases (by worker).
pub type Counters<K> = Vec<(K, i64)>;

/// One indicator's cells in one authority, as stored under its key.
pub type CellRow = Counters<(Month, Measure)>;

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|source| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        source,
    })
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_stdvec(value).map_err(StoreError::Encode)
}

pub(crate) fn corrupt_key(k: &[u8]) -> StoreError {
    StoreError::Corrupt {
        key: String::from_utf8_lossy(k).into_owned(),
        source: postcard::Error::DeserializeUnexpectedEnd,
    }
}

/// Where the applied sequence was read: the stream (by its creation time) and the last message
/// applied (by its message id and length). If the stream no longer holds that message, the
/// projections were built on a history it has lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMark {
    /// The stream's creation time, in nanoseconds since the Unix epoch.
    pub stream_created_nanos: i128,
    pub sequence: u64,
    pub message_id: Option<String>,
    pub payload_len: u64,
}
