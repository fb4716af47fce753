//! The audit trail: a JetStream stream of its own (`CASEFLOW_AUDIT`) recording every read of
//! personal data. Like the event stream it is on disk, never deleted or purged, without limits,
//! and replicated as the event stream is. Records are opaque bytes here; the server defines them.
//!
//! Subjects are `caseflow.audit.<la>` (`caseflow.audit.none` for a call that names no
//! authority), so the trail of one authority is read with a subject filter.
//!
//! [`Publications`] is a stream of the same kind (`CASEFLOW_PUBLICATIONS`, subjects
//! `caseflow.publications.<la>`): the record of each report presented, with its figures.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures::StreamExt;
use tracing::instrument;

use crate::{AppendError, LogError};

/// The audit stream's subjects.
pub const AUDIT_SUBJECTS: &str = "caseflow.audit.>";
/// The subject token of a record that names no authority.
pub const NO_AUTHORITY: &str = "none";
/// How long an audit append may wait for its acknowledgement before the call it guards fails.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// The publications stream's subjects.
pub const PUBLICATION_SUBJECTS: &str = "caseflow.publications.>";

/// Where audit records go.
#[derive(Clone, Debug)]
pub struct AuditTrail {
    js: jetstream::Context,
    name: String,
    /// The subjects' prefix: `caseflow.audit` (or `caseflow.publications`).
    prefix: &'static str,
}

/// Where the records of published reports go: a stream kept like the audit trail (on disk,
/// never deleted or purged, replicated as the events), one subject per authority. Records are
/// opaque bytes here; the server defines them.
#[derive(Clone, Debug)]
pub struct Publications(AuditTrail);

impl Publications {
    /// Appends one record about authority `la` and waits for its acknowledgement (a few
    /// seconds at most); answers its sequence.
    pub async fn append(&self, la: &str, record: Bytes) -> Result<u64, AppendError> {
        self.0.append(Some(la), record).await
    }

    /// Every record about `la` (None: every authority) kept by `keep`, oldest first.
    pub async fn read(
        &self,
        la: Option<&str>,
        keep: impl FnMut(u64, &[u8]) -> bool,
    ) -> Result<Vec<AuditEntry>, LogError> {
        self.0.read(la, AuditFrom::After(0), usize::MAX, keep).await
    }
}

/// One audit record read back.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub sequence: u64,
    pub payload: Bytes,
}

/// Where reading starts.
#[derive(Clone, Copy, Debug)]
pub enum AuditFrom {
    /// After this sequence (0: the beginning).
    After(u64),
    /// At the first record written at or after this moment.
    Since(time::OffsetDateTime),
}

impl AuditTrail {
    /// Creates the stream, or checks that the existing one keeps records forever on disk.
    #[instrument(skip(js))]
    pub(crate) async fn open(
        js: jetstream::Context,
        name: &str,
        replicas: usize,
        prefix: &'static str,
    ) -> Result<AuditTrail, LogError> {
        let wanted = stream::Config {
            name: name.to_owned(),
            subjects: vec![format!("{prefix}.>")],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            max_age: Duration::ZERO,
            max_messages: -1,
            max_bytes: -1,
            num_replicas: replicas,
            deny_delete: true,
            deny_purge: true,
            ..Default::default()
        };
        let err = |e: &dyn std::fmt::Display| LogError::Stream {
            name: name.to_owned(),
            detail: e.to_string(),
        };
        let deadline = std::time::Instant::now() + crate::STREAM_PATIENCE;
        let mut stream = loop {
            match js.get_or_create_stream(wanted.clone()).await {
                Ok(stream) => break stream,
                Err(e) if crate::not_placed_yet(&e) && std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(err(&e)),
            }
        };
        let info = stream.info().await.map_err(|e| err(&e))?;
        let c = &info.config;
        if c.storage != stream::StorageType::File
            || c.max_age != Duration::ZERO
            || c.max_messages > 0
            || c.max_bytes > 0
            || !c.deny_delete
            || !c.deny_purge
        {
            return Err(LogError::IncompatibleStream {
                name: name.to_owned(),
                detail: "must be on file storage, without limits, with delete and purge denied"
                    .to_owned(),
            });
        }
        Ok(AuditTrail {
            js,
            name: name.to_owned(),
            prefix,
        })
    }

    /// Appends one record about authority `la` (None: no authority) and waits until the stream
    /// has acknowledged it, at most a few seconds.
    #[instrument(skip_all, fields(stream = %self.name))]
    pub async fn append(&self, la: Option<&str>, record: Bytes) -> Result<u64, AppendError> {
        let subject = format!("{}.{}", self.prefix, la.unwrap_or(NO_AUTHORITY));
        let failed = |detail: String| AppendError::Failed {
            subject: subject.clone(),
            detail,
        };
        let ack = self
            .js
            .publish(subject.clone(), record)
            .await
            .map_err(|e| failed(e.to_string()))?;
        match tokio::time::timeout(ACK_TIMEOUT, ack).await {
            Ok(Ok(ack)) => Ok(ack.sequence),
            Ok(Err(e)) => Err(failed(e.to_string())),
            Err(_) => Err(failed(format!("no acknowledgement within {ACK_TIMEOUT:?}"))),
        }
    }

    /// Reads up to `limit` records about `la` (None: every authority) from `from` on, each
    /// kept only if `keep(sequence, record)` says so, oldest first.
    #[instrument(skip(self, keep), fields(stream = %self.name))]
    pub async fn read(
        &self,
        la: Option<&str>,
        from: AuditFrom,
        limit: usize,
        mut keep: impl FnMut(u64, &[u8]) -> bool,
    ) -> Result<Vec<AuditEntry>, LogError> {
        let err = |e: &dyn std::fmt::Display| LogError::Read {
            name: self.name.clone(),
            detail: e.to_string(),
        };
        let mut stream = self.js.get_stream(&self.name).await.map_err(|e| err(&e))?;
        let last = stream
            .info()
            .await
            .map_err(|e| err(&e))?
            .state
            .last_sequence;
        let deliver_policy = match from {
            AuditFrom::After(after) if after >= last => return Ok(Vec::new()),
            AuditFrom::After(after) => consumer::DeliverPolicy::ByStartSequence {
                start_sequence: after + 1,
            },
            AuditFrom::Since(at) => consumer::DeliverPolicy::ByStartTime { start_time: at },
        };
        let consumer = stream
            .create_consumer(consumer::pull::Config {
                filter_subject: match la {
                    Some(la) => format!("{}.{la}", self.prefix),
                    None => format!("{}.>", self.prefix),
                },
                deliver_policy,
                ack_policy: consumer::AckPolicy::None,
                inactive_threshold: Duration::from_secs(30),
                ..Default::default()
            })
            .await
            .map_err(|e| err(&e))?;
        let mut found = Vec::new();
        'batches: loop {
            let mut batch = consumer
                .fetch()
                .max_messages(512)
                .messages()
                .await
                .map_err(|e| err(&e))?;
            let mut seen = 0usize;
            let mut at_end = false;
            while let Some(message) = batch.next().await {
                let message = message.map_err(|e| err(&e))?;
                seen += 1;
                let info = message.info().map_err(|e| err(&e))?;
                let (sequence, pending) = (info.stream_sequence, info.pending);
                if keep(sequence, &message.payload) {
                    found.push(AuditEntry {
                        sequence,
                        payload: message.payload.clone(),
                    });
                    if found.len() >= limit {
                        break 'batches;
                    }
                }
                at_end = pending == 0;
            }
            if seen == 0 || at_end {
                break;
            }
        }
        let _ = stream.delete_consumer(&consumer.cached_info().name).await;
        Ok(found)
    }
}

impl crate::EventLog {
    /// The audit trail stream `name` (created when missing), replicated as the event stream.
    pub async fn audit_trail(&self, name: &str) -> Result<AuditTrail, LogError> {
        AuditTrail::open(
            self.js.clone(),
            name,
            self.settings.replicas,
            "caseflow.audit",
        )
        .await
    }

    /// The publications stream `name` (created when missing), replicated as the event stream.
    pub async fn publications(&self, name: &str) -> Result<Publications, LogError> {
        AuditTrail::open(
            self.js.clone(),
            name,
            self.settings.replicas,
            "caseflow.publications",
        )
        .await
        .map(Publications)
    }
}
