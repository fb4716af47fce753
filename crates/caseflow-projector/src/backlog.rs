//! Messages read but not yet stored: each decoded and validated once, valid events grouped by
//! subject, invalid ones kept as rejection records.

use caseflow_domain::{Event, Id, La, Quoted, Rejection, RejectionReason, Subject, Timestamp};
use caseflow_log::LogMessage;
use caseflow_store::{RejectionRecord, StoredEvent};
use rustc_hash::FxHashMap;
use tracing::debug;

/// Messages read but not yet stored: valid events grouped by subject in stream order, and the
/// rejections. Held in memory only; dropping it (a failure) loses nothing, since reading
/// resumes after the store's applied sequence.
#[derive(Debug, Default)]
pub struct Backlog {
    /// Hashed while reading (a sorted map's comparisons of subjects were a quarter of the
    /// reading that is not decoding and validating); sorted by subject when settled.
    pub(crate) events: FxHashMap<Subject, Vec<StoredEvent>>,
    pub(crate) rejections: Vec<RejectionRecord>,
    /// The rejections' reason codes, counted in metrics once they are committed.
    pub(crate) reasons: FxHashMap<&'static str, u64>,
    /// Messages read into it.
    messages: usize,
    /// The stream sequence of the last message read into it.
    last_sequence: u64,
    /// That message's id and payload length.
    pub(crate) last_mark: Option<(Option<String>, usize)>,
}

impl Backlog {
    /// Messages read into the backlog.
    pub fn len(&self) -> usize {
        self.messages
    }

    pub fn is_empty(&self) -> bool {
        self.messages == 0
    }

    /// Messages read into it that were rejected.
    pub fn rejected(&self) -> usize {
        self.rejections.len()
    }

    /// The stream sequence of the last message read into it (0: none).
    pub fn last_sequence(&self) -> u64 {
        self.last_sequence
    }

    /// Decodes and validates one message (the next in stream order) into the backlog.
    pub(crate) fn absorb(&mut self, m: &LogMessage) {
        self.messages += 1;
        self.last_sequence = m.sequence;
        self.last_mark = Some((m.message_id.clone(), m.payload.len()));
        match accept(m) {
            Err((event_id, rejection)) => {
                debug!(seq = m.sequence, subject = %m.subject, reason = %rejection.reason, "event rejected");
                *self.reasons.entry(rejection.reason.code()).or_default() += 1;
                self.rejections.push(RejectionRecord {
                    sequence: m.sequence,
                    la: Subject::parse(&m.subject)
                        .map(|s| s.la)
                        .or_else(|| la_token(&m.subject)),
                    subject: m.subject.clone(),
                    // Only an id: an invalid one (a megabyte of it, say) is quoted, shortened,
                    // in the message.
                    event_id: Id::is_valid(&event_id).then_some(event_id),
                    reason: rejection.reason.code().to_owned(),
                    message: rejection.message,
                    rejected_at: Timestamp::from_offset(time::OffsetDateTime::now_utc())
                        .to_rfc3339(),
                });
            }
            Ok(event) => {
                let sequence = m.sequence;
                // Looked up before inserting: most events' subjects are already there, and
                // `entry` would copy the subject for each.
                match self.events.get_mut(&event.subject) {
                    Some(events) => events.push(StoredEvent { sequence, event }),
                    None => {
                        let subject = event.subject.clone();
                        let events = vec![StoredEvent { sequence, event }];
                        self.events.insert(subject, events);
                    }
                }
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
                    "subject {} is not caseflow.events.<la>.<child|carer|worker>.<id>",
                    Quoted(&m.subject)
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
fn la_token(subject: &str) -> Option<La> {
    subject
        .strip_prefix("caseflow.events.")?
        .split('.')
        .next()
        .and_then(La::parse)
}
