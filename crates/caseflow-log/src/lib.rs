//! caseflow's event log on NATS JetStream: the durable source of truth.
//!
//! The only crate that talks to NATS. It creates or checks the stream, appends events
//! (pipelined, with `Nats-Msg-Id` deduplication and optimistic concurrency per subject), reads
//! the stream in order from any sequence, and runs an embedded `nats-server` when asked.
//! It knows nothing of event contents: payloads are bytes. Connections are secured as the
//! caller says ([`NatsSecurity`]: TLS and credentials).

pub mod audit;
pub mod embedded;
mod refusals;
mod security;

use std::collections::HashSet;
use std::future::IntoFuture;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, context, stream};
use bytes::Bytes;
use futures::future::Either;
use futures::stream::{FuturesOrdered, StreamExt};
use futures::{Stream, TryStreamExt};
use tracing::{debug, info, instrument, warn};

pub use audit::{AuditEntry, AuditFrom, AuditTrail, Publications};
pub use embedded::{EmbeddedError, EmbeddedNats, EmbeddedOptions};
pub use security::{ClientCertificate, NatsCredentials, NatsSecurity, NatsTls};

use refusals::{Refusals, Watch};

/// Stream settings (EVENTS.md section 1).
#[derive(Clone, Debug)]
pub struct StreamSettings {
    pub name: String,
    /// Subjects the stream captures.
    pub subjects: String,
    /// JetStream drops a re-sent `Nats-Msg-Id` within this window; caseflow also absorbs
    /// duplicates that arrive later.
    pub duplicate_window: Duration,
    /// 1 on a single server; 3 on a cluster.
    pub replicas: usize,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            name: "CASEFLOW_EVENTS".to_owned(),
            subjects: "caseflow.events.>".to_owned(),
            duplicate_window: Duration::from_secs(120),
            replicas: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect {
        url: String,
        source: async_nats::ConnectError,
    },
    #[error("NATS at {url} refused the connection's credentials ({kind}): {source}")]
    Credentials {
        url: String,
        kind: &'static str,
        source: async_nats::ConnectError,
    },
    #[error("TLS with NATS at {url} failed ({files}): {detail}")]
    Tls {
        url: String,
        files: String,
        detail: String,
    },
    #[error("cannot use the NATS {what} {path:?}: {detail}")]
    Security {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("stream {name} does not exist; start caseflow serve first, which creates it")]
    NoStream { name: String },
    #[error(
        "the NATS server refused to let this user publish to {subject} (stream {name}): \
         a permissions violation; allow it in the user's permissions"
    )]
    Refused { name: String, subject: String },
    #[error("cannot create or read stream {name}: {detail}")]
    Stream { name: String, detail: String },
    #[error("stream {name} exists but {detail}")]
    IncompatibleStream { name: String, detail: String },
    #[error("reading stream {name} failed: {detail}")]
    Read { name: String, detail: String },
}

/// Why an append failed. A conflict is its own variant: the publisher re-reads and retries.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("conflict on {subject}: its last sequence is not {expected}")]
    Conflict { subject: String, expected: u64 },
    #[error("append to {subject} failed: {detail}")]
    Failed { subject: String, detail: String },
}

/// What came back for one copy of an event sent.
enum Ack {
    Done(Result<Appended, AppendError>),
    /// An earlier copy of the event is still being stored (on a cluster): the failure to report
    /// if it lasts.
    InProcess(AppendError),
}

/// How an event is encoded, sent as the `Content-Type` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    Json,
    Protobuf,
}

impl ContentType {
    pub fn header(self) -> &'static str {
        match self {
            ContentType::Json => "application/json",
            ContentType::Protobuf => "application/protobuf",
        }
    }
}

/// One event to append.
#[derive(Clone, Debug)]
pub struct Append {
    pub subject: String,
    pub event_id: String,
    pub payload: Bytes,
    pub content_type: ContentType,
    /// Optimistic concurrency: the subject's last stream sequence must be this (0 = none yet).
    pub expected_last_subject_sequence: Option<u64>,
}

/// Where an appended event landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub sequence: u64,
    /// JetStream had the event id within its duplicate window; nothing was added.
    pub duplicate: bool,
}

/// One message read from the stream.
#[derive(Clone, Debug)]
pub struct LogMessage {
    pub sequence: u64,
    pub subject: String,
    pub payload: Bytes,
    pub content_type: Option<String>,
    /// When the server received it.
    pub published: time::OffsetDateTime,
    /// The `Nats-Msg-Id` it was published with (caseflow publishes the event id).
    pub message_id: Option<String>,
    /// Messages after this one in the stream when it was delivered (0: the reader is at the
    /// end).
    pub pending: u64,
}

/// What the stream is now: when it was created and the sequences it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamState {
    pub created: time::OffsetDateTime,
    pub first_sequence: u64,
    pub last_sequence: u64,
    /// Messages the stream holds (up to `last_sequence`, as of the same moment).
    pub messages: u64,
}

/// Where one authority's messages lie in the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorityRange {
    /// The three-digit code its subjects carry.
    pub code: String,
    /// The sequences of its first and last message.
    pub first: u64,
    pub last: u64,
}

/// Enough of a message to tell whether the one at a sequence is still the one read there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageMark {
    pub message_id: Option<String>,
    pub payload_len: usize,
}

/// The event log: a connection and the stream.
#[derive(Clone)]
pub struct EventLog {
    client: async_nats::Client,
    js: jetstream::Context,
    settings: StreamSettings,
    /// Publishes the server refused for lack of permission, as it reports them.
    refusals: Arc<Refusals>,
    /// Set once the server is being stopped on purpose ([`EventLog::expect_disconnect`]).
    closing: Arc<AtomicBool>,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// How long connecting keeps trying while the server is not reachable yet (it may be starting).
/// Refused credentials and failed TLS fail at once.
const CONNECT_PATIENCE: Duration = Duration::from_secs(10);

/// How long creating or checking the stream keeps trying while JetStream cannot place it yet:
/// a cluster that is starting has no meta leader, or not yet enough servers for the replicas.
const STREAM_PATIENCE: Duration = Duration::from_secs(30);

/// The servers of `url`: one URL, or several separated by commas (the servers of a cluster;
/// the client connects to one of them and moves to another when it goes away).
fn servers(url: &str) -> Vec<&str> {
    url.split(',')
        .map(str::trim)
        .filter(|one| !one.is_empty())
        .collect()
}

/// How long an append keeps sending an event again while an earlier copy of it is still being
/// stored (on a cluster).
const IN_PROCESS_PATIENCE: Duration = Duration::from_secs(10);

/// JetStream's answer to an event id whose earlier copy a cluster is still storing.
fn in_process(e: &context::PublishError) -> bool {
    std::error::Error::source(e)
        .and_then(|source| source.downcast_ref::<jetstream::Error>())
        .is_some_and(|j| j.error_code() == jetstream::ErrorCode::STREAM_DUPLICATE_MESSAGE_CONFLICT)
}

/// A stream creation JetStream refused only for now: no meta leader (a cluster electing one),
/// not enough servers for the replicas yet, or no answer.
fn not_placed_yet(e: &jetstream::context::CreateStreamError) -> bool {
    use jetstream::ErrorCode;
    use jetstream::context::CreateStreamErrorKind as Kind;
    match e.kind() {
        Kind::JetStreamUnavailable | Kind::TimedOut => true,
        Kind::JetStream(e) => [
            ErrorCode::CLUSTER_NOT_AVAILABLE,
            ErrorCode::CLUSTER_NO_PEERS,
            ErrorCode::INSUFFICIENT_RESOURCES,
        ]
        .contains(&e.error_code()),
        _ => false,
    }
}

impl EventLog {
    /// Connects (retrying while the server comes up) and creates or checks the stream: what
    /// `caseflow serve` and `rebuild` do. The user needs permission to create the stream.
    #[instrument(skip_all, fields(url = %shown_url(url), stream = %settings.name))]
    pub async fn connect(
        url: &str,
        security: &NatsSecurity,
        settings: StreamSettings,
    ) -> Result<EventLog, LogError> {
        let log = EventLog::open(url, security, settings).await?;
        log.ensure_stream().await?;
        Ok(log)
    }

    /// Connects to append only, without creating the stream: a case system's user needs no
    /// more than permission to publish to its subjects (and to receive the acknowledgements).
    /// Where the user may also look up the stream's info, a missing stream is reported at once
    /// ([`LogError::NoStream`]); otherwise appends say so.
    #[instrument(skip_all, fields(url = %shown_url(url), stream = %settings.name))]
    pub async fn connect_publisher(
        url: &str,
        security: &NatsSecurity,
        settings: StreamSettings,
    ) -> Result<EventLog, LogError> {
        let log = EventLog::open(url, security, settings).await?;
        match log.stream_info().await {
            Ok(info) => debug!(
                last_sequence = info.state.last_sequence,
                "event stream found"
            ),
            Err(LogError::Refused { .. }) => {
                debug!("this user may not look up the stream's info; appends will tell")
            }
            Err(e) => return Err(e),
        }
        Ok(log)
    }

    /// Connects, retrying while the server is unreachable, failing at once on refused
    /// credentials or failed TLS.
    async fn open(
        url: &str,
        security: &NatsSecurity,
        settings: StreamSettings,
    ) -> Result<EventLog, LogError> {
        let loaded = security.load()?;
        let refusals = Arc::new(Refusals::default());
        let closing = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + CONNECT_PATIENCE;
        let client = loop {
            let reporter = refusals.clone();
            let closed_on_purpose = closing.clone();
            let options = async_nats::ConnectOptions::new()
                .name("caseflow")
                .connection_timeout(Duration::from_secs(5))
                .event_callback(move |event| {
                    report_event(&reporter, &closed_on_purpose, &event);
                    async {}
                });
            let options = loaded.apply(options)?;
            match options.connect(servers(url)).await {
                Ok(client) => break client,
                Err(e) if unreachable(&e) && Instant::now() < deadline => {
                    debug!(error = %e, "NATS not reachable yet; retrying");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => return Err(connect_error(&shown_url(url), &loaded, e)),
            }
        };
        info!(
            credentials = loaded.credentials_kind(),
            tls = security.tls.is_some(),
            "connected to NATS"
        );
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(10))
            .max_ack_inflight(4096)
            .build(client.clone());
        Ok(EventLog {
            client,
            js,
            settings,
            refusals,
            closing,
        })
    }

    /// Says that the server is about to stop on purpose (the embedded one, at a graceful
    /// stop): the disconnect that follows is logged at debug level, not as a warning.
    pub fn expect_disconnect(&self) {
        self.closing.store(true, Ordering::Relaxed);
    }

    pub fn settings(&self) -> &StreamSettings {
        &self.settings
    }

    /// Creates the stream, or checks that the existing one keeps events forever on disk.
    async fn ensure_stream(&self) -> Result<(), LogError> {
        let s = &self.settings;
        let wanted = stream::Config {
            name: s.name.clone(),
            subjects: vec![s.subjects.clone()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            max_age: Duration::ZERO,
            max_messages: -1,
            max_bytes: -1,
            duplicate_window: s.duplicate_window,
            num_replicas: s.replicas,
            allow_direct: true,
            deny_delete: true,
            deny_purge: true,
            ..Default::default()
        };
        let stream_err = |e: &dyn std::fmt::Display| LogError::Stream {
            name: s.name.clone(),
            detail: e.to_string(),
        };
        // Looking up and creating the stream: `$JS.API.STREAM.INFO.<name>`, `...CREATE.<name>`.
        let deadline = Instant::now() + STREAM_PATIENCE;
        let mut stream = loop {
            let refused = self.refusals.watch_prefix("$JS.API.STREAM.");
            let created = unless_refused(refused, self.js.get_or_create_stream(wanted.clone()))
                .await
                .map_err(|subject| self.refused(subject))?;
            match created {
                Ok(stream) => break stream,
                Err(e) if not_placed_yet(&e) && Instant::now() < deadline => {
                    debug!(error = %e, "JetStream cannot place the stream yet; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(stream_err(&e)),
            }
        };
        // On a cluster, a stream just created (or just restarted) has no leader for a moment,
        // and appends find no one to answer them: wait for one.
        let info = loop {
            let refused = self.refusals.watch_prefix("$JS.API.STREAM.");
            let info = unless_refused(refused, stream.info())
                .await
                .map_err(|subject| self.refused(subject))?
                .map_err(|e| stream_err(&e))?
                .clone();
            let led = info.cluster.as_ref().is_none_or(|c| c.leader.is_some());
            if led || Instant::now() >= deadline {
                break info;
            }
            debug!("the stream has no leader yet; waiting");
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let c = &info.config;
        let incompatible = |detail: String| LogError::IncompatibleStream {
            name: s.name.clone(),
            detail,
        };
        if c.storage != stream::StorageType::File {
            return Err(incompatible("does not use file storage".to_owned()));
        }
        if c.max_age != Duration::ZERO || c.max_messages > 0 || c.max_bytes > 0 {
            return Err(incompatible(
                "has age, count or size limits: events must be kept forever".to_owned(),
            ));
        }
        if !c.subjects.iter().any(|x| x == &s.subjects) {
            return Err(incompatible(format!(
                "does not capture {} (subjects: {:?})",
                s.subjects, c.subjects
            )));
        }
        if c.duplicate_window != s.duplicate_window
            || c.num_replicas != s.replicas
            || !c.deny_delete
            || !c.deny_purge
        {
            tracing::warn!(
                duplicate_window = ?c.duplicate_window,
                replicas = c.num_replicas,
                deny_delete = c.deny_delete,
                deny_purge = c.deny_purge,
                "the existing stream's settings differ from the configured ones; they are left as they are"
            );
        }
        info!(
            messages = info.state.messages,
            last_sequence = info.state.last_sequence,
            "event stream ready"
        );
        Ok(())
    }

    /// The stream's last sequence (0 when empty).
    pub async fn last_sequence(&self) -> Result<u64, LogError> {
        Ok(self.stream_info().await?.state.last_sequence)
    }

    /// The stream's info (`$JS.API.STREAM.INFO.<name>`): [`LogError::NoStream`] when it does
    /// not exist, [`LogError::Refused`] when the user may not ask.
    async fn stream_info(&self) -> Result<stream::Info, LogError> {
        let name = &self.settings.name;
        let refused = self.refusals.watch(&format!("$JS.API.STREAM.INFO.{name}"));
        let found = unless_refused(refused, self.js.get_stream(name))
            .await
            .map_err(|subject| self.refused(subject))?;
        match found {
            Ok(stream) => Ok(stream.cached_info().clone()),
            Err(e) => match e.kind() {
                context::GetStreamErrorKind::JetStream(js)
                    if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
                {
                    Err(LogError::NoStream { name: name.clone() })
                }
                _ => Err(self.read_err(&e)),
            },
        }
    }

    /// Appends one event and waits for the stream's acknowledgement.
    #[instrument(skip_all, fields(subject = %append.subject))]
    pub async fn append(&self, append: Append) -> Result<Appended, AppendError> {
        let sent = self.send(append.clone()).await;
        self.acknowledged(append, sent).await
    }

    /// Awaits the acknowledgement of `append`, sent as `sent`. On a cluster, JetStream refuses
    /// an event id while an earlier copy of it is still being stored ("duplicate message id is
    /// in process"): that copy is sent again, a little later, until JetStream says what became
    /// of the event (a duplicate absorbed, or stored if the first copy failed after all).
    async fn acknowledged(
        &self,
        append: Append,
        mut sent: Result<(context::PublishAckFuture, Watch), AppendError>,
    ) -> Result<Appended, AppendError> {
        let deadline = Instant::now() + IN_PROCESS_PATIENCE;
        loop {
            let (ack, refused) = sent?;
            let subject = append.subject.clone();
            let expected = append.expected_last_subject_sequence;
            match self.await_ack(ack, refused, subject, expected).await {
                Ack::InProcess(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    sent = self.send(append.clone()).await;
                }
                Ack::InProcess(failed) => return Err(failed),
                Ack::Done(done) => return done,
            }
        }
    }

    /// Appends many events, keeping up to `in_flight` unacknowledged at once rather than waiting
    /// for each. Results come back in input order.
    #[instrument(skip_all)]
    pub async fn append_all(
        &self,
        appends: impl IntoIterator<Item = Append>,
        in_flight: usize,
    ) -> Vec<Result<Appended, AppendError>> {
        let in_flight = in_flight.max(1);
        let mut results = Vec::new();
        let mut pending = FuturesOrdered::new();
        for append in appends {
            if pending.len() >= in_flight
                && let Some(r) = pending.next().await
            {
                results.push(r);
            }
            let sent = self.send(append.clone()).await;
            pending.push_back(self.acknowledged(append, sent));
        }
        while let Some(r) = pending.next().await {
            results.push(r);
        }
        results
    }

    /// Publishes, watching for the server refusing the subject to this user.
    async fn send(
        &self,
        append: Append,
    ) -> Result<(context::PublishAckFuture, Watch), AppendError> {
        let refused = self.refusals.watch(&append.subject);
        let mut publish = jetstream::message::PublishMessage::build()
            .payload(append.payload)
            .message_id(&append.event_id)
            .header("Content-Type", append.content_type.header());
        if let Some(seq) = append.expected_last_subject_sequence {
            publish = publish.expected_last_subject_sequence(seq);
        }
        let ack = self
            .js
            .send_publish(append.subject.clone(), publish)
            .await
            .map_err(|e| AppendError::Failed {
                subject: append.subject,
                detail: e.to_string(),
            })?;
        Ok((ack, refused))
    }

    async fn await_ack(
        &self,
        ack: context::PublishAckFuture,
        refused: Watch,
        subject: String,
        expected: Option<u64>,
    ) -> Ack {
        Ack::Done(match unless_refused(refused, ack).await {
            Ok(Ok(ack)) => Ok(Appended {
                sequence: ack.sequence,
                duplicate: ack.duplicate,
            }),
            Ok(Err(e)) if e.kind() == context::PublishErrorKind::WrongLastSequence => {
                Err(AppendError::Conflict {
                    subject,
                    expected: expected.unwrap_or_default(),
                })
            }
            Ok(Err(e)) if e.kind() == context::PublishErrorKind::StreamNotFound => {
                Err(AppendError::Failed {
                    subject,
                    detail: format!(
                        "no stream captures it: stream {} does not exist; start caseflow serve \
                         first, which creates it",
                        self.settings.name
                    ),
                })
            }
            Ok(Err(e)) if in_process(&e) => {
                return Ack::InProcess(AppendError::Failed {
                    subject,
                    detail: e.to_string(),
                });
            }
            Ok(Err(e)) => Err(AppendError::Failed {
                subject,
                detail: e.to_string(),
            }),
            Err(_) => Err(AppendError::Failed {
                subject,
                detail: "refused by the NATS server: this user may not publish to this subject \
                         (permissions violation)"
                    .to_owned(),
            }),
        })
    }

    /// Reads the stream in order from `start_sequence` (1 for the beginning), following new
    /// messages as they arrive. Uses an ordered consumer: no server-side state to clean up, and
    /// gaps are healed by the client.
    #[instrument(skip(self))]
    pub async fn read_from(
        &self,
        start_sequence: u64,
        batch: usize,
    ) -> Result<impl Stream<Item = Result<LogMessage, LogError>> + use<>, LogError> {
        let refused = self.refusals.watch_prefix("$JS.API.");
        let stream = unless_refused(refused, self.js.get_stream(&self.settings.name))
            .await
            .map_err(|subject| self.refused(subject))?
            .map_err(|e| self.read_err(&e))?;
        let refused = self.refusals.watch_prefix("$JS.API.CONSUMER.");
        let create = stream.create_consumer(consumer::pull::OrderedConfig {
            filter_subject: self.settings.subjects.clone(),
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: start_sequence.max(1),
            },
            max_batch: i64::try_from(batch).unwrap_or(i64::MAX),
            ..Default::default()
        });
        let consumer = unless_refused(refused, create)
            .await
            .map_err(|subject| self.refused(subject))?
            .map_err(|e| self.read_err(&e))?;
        let messages = consumer.messages().await.map_err(|e| self.read_err(&e))?;
        let name = self.settings.name.clone();
        debug!(start_sequence, "reading stream");
        Ok(messages
            .map_err(move |e| LogError::Read {
                name: name.clone(),
                detail: e.to_string(),
            })
            .and_then(|m| async move { to_log_message(m) }))
    }

    /// The `Nats-Msg-Id` of every message now in the stream under `filter` (e.g. one
    /// authority's `caseflow.events.372.>`): the event ids caseflow and its importers publish
    /// with. Reads headers only. Empty when there is no stream yet.
    pub async fn message_ids(&self, filter: &str) -> Result<HashSet<String>, LogError> {
        let messages = self.messages_under(filter, true).await?;
        Ok(messages.into_iter().filter_map(|m| m.message_id).collect())
    }

    /// Every message now in the stream under `filter` (e.g. one authority's children,
    /// `caseflow.events.372.child.>`), in stream order. Empty when there is no stream yet.
    pub async fn read_under(&self, filter: &str) -> Result<Vec<LogMessage>, LogError> {
        self.messages_under(filter, false).await
    }

    async fn messages_under(
        &self,
        filter: &str,
        headers_only: bool,
    ) -> Result<Vec<LogMessage>, LogError> {
        let mut out = Vec::new();
        let refused = self.refusals.watch_prefix("$JS.API.");
        let found = unless_refused(refused, self.js.get_stream(&self.settings.name))
            .await
            .map_err(|subject| self.refused(subject))?;
        let Some(stream) = self.existing(found)? else {
            return Ok(out);
        };
        let refused = self.refusals.watch_prefix("$JS.API.CONSUMER.");
        let create = stream.create_consumer(consumer::pull::OrderedConfig {
            filter_subject: filter.to_owned(),
            deliver_policy: consumer::DeliverPolicy::All,
            headers_only,
            ..Default::default()
        });
        let consumer = unless_refused(refused, create)
            .await
            .map_err(|subject| self.refused(subject))?
            .map_err(|e| self.read_err(&e))?;
        if consumer.cached_info().num_pending == 0 {
            return Ok(out);
        }
        let mut messages = consumer.messages().await.map_err(|e| self.read_err(&e))?;
        while let Some(m) = messages.next().await {
            let m = to_log_message(m.map_err(|e| self.read_err(&e))?)?;
            let last = m.pending == 0;
            out.push(m);
            if last {
                break;
            }
        }
        Ok(out)
    }

    /// The stream `found`, `None` when it does not exist, or the error.
    fn existing(
        &self,
        found: Result<stream::Stream, context::GetStreamError>,
    ) -> Result<Option<stream::Stream>, LogError> {
        match found {
            Ok(stream) => Ok(Some(stream)),
            Err(e)
                if matches!(
                    e.kind(),
                    context::GetStreamErrorKind::JetStream(j)
                        if j.error_code() == async_nats::jetstream::ErrorCode::STREAM_NOT_FOUND
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(self.read_err(&e)),
        }
    }

    /// When the stream was created and the sequences it holds; `None` when it does not exist.
    pub async fn stream_state(&self) -> Result<Option<StreamState>, LogError> {
        let Some(mut stream) = self.existing(self.js.get_stream(&self.settings.name).await)? else {
            return Ok(None);
        };
        let info = stream.info().await.map_err(|e| self.read_err(&e))?;
        Ok(Some(StreamState {
            created: info.created,
            first_sequence: info.state.first_sequence,
            last_sequence: info.state.last_sequence,
            messages: info.state.messages,
        }))
    }

    /// The authorities the stream holds messages of, each with the sequences of its first and
    /// last message, ordered by the last: every three-digit code `NNN` under which
    /// `<prefix>.NNN.>` finds a message (`prefix`: the stream's subjects without `.>`). Two
    /// requests per authority and one per other code, answered from the server's subject
    /// index. Empty when there is no stream or its subjects are not of that shape.
    #[instrument(skip(self))]
    pub async fn authorities(&self) -> Result<Vec<AuthorityRange>, LogError> {
        let Some(prefix) = self.settings.subjects.strip_suffix(".>") else {
            return Ok(Vec::new());
        };
        let Some(stream) = self.existing(self.js.get_stream(&self.settings.name).await)? else {
            return Ok(Vec::new());
        };
        let stream = &stream;
        let probes = (0..1000).map(|code| async move {
            let code = format!("{code:03}");
            let filter = format!("{prefix}.{code}.>");
            let first = match stream.get_first_raw_message_by_subject(&filter, 1).await {
                Ok(m) => m.sequence,
                Err(e) if e.kind() == stream::RawMessageErrorKind::NoMessageFound => {
                    return Ok(None);
                }
                Err(e) => return Err(self.read_err(&e)),
            };
            let last = stream
                .get_last_raw_message_by_subject(&filter)
                .await
                .map_err(|e| self.read_err(&e))?
                .sequence;
            Ok(Some(AuthorityRange { code, first, last }))
        });
        let found: Vec<Option<AuthorityRange>> = futures::stream::iter(probes)
            .buffer_unordered(64)
            .try_collect()
            .await?;
        let mut found: Vec<AuthorityRange> = found.into_iter().flatten().collect();
        found.sort_unstable_by_key(|a| (a.last, a.first));
        Ok(found)
    }

    /// The message id (`Nats-Msg-Id`) and payload length of the message at `sequence`; `None`
    /// when the stream holds no message there.
    pub async fn message_at(&self, sequence: u64) -> Result<Option<MessageMark>, LogError> {
        let stream = self
            .js
            .get_stream(&self.settings.name)
            .await
            .map_err(|e| self.read_err(&e))?;
        match stream.get_raw_message(sequence).await {
            Ok(m) => Ok(Some(MessageMark {
                message_id: m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned()),
                payload_len: m.payload.len(),
            })),
            Err(e) if e.kind() == stream::RawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(self.read_err(&e)),
        }
    }

    /// The underlying client, for health checks.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    fn refused(&self, subject: String) -> LogError {
        LogError::Refused {
            name: self.settings.name.clone(),
            subject,
        }
    }

    fn read_err(&self, e: &dyn std::fmt::Display) -> LogError {
        LogError::Read {
            name: self.settings.name.clone(),
            detail: e.to_string(),
        }
    }
}

fn to_log_message(m: jetstream::Message) -> Result<LogMessage, LogError> {
    let info = m.info().map_err(|e| LogError::Read {
        name: String::new(),
        detail: format!("message without stream info: {e}"),
    })?;
    let (sequence, published) = (info.stream_sequence, info.published);
    let header = |name: &str| {
        m.message
            .headers
            .as_ref()
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_owned())
    };
    let content_type = header("Content-Type");
    let message_id = header("Nats-Msg-Id");
    Ok(LogMessage {
        sequence,
        subject: m.message.subject.to_string(),
        payload: m.message.payload.clone(),
        content_type,
        published,
        message_id,
        pending: info.pending,
    })
}

/// Waits for `future` unless the server refuses, first, the publish `refused` watches: then
/// the refused subject.
async fn unless_refused<T>(
    mut refused: Watch,
    future: impl IntoFuture<Output = T>,
) -> Result<T, String> {
    let refusal = async {
        match (&mut refused.refused).await {
            Ok(subject) => subject,
            // Never refused: only the reply can end the wait.
            Err(_) => futures::future::pending().await,
        }
    };
    match futures::future::select(pin!(future.into_future()), pin!(refusal)).await {
        Either::Left((done, _)) => Ok(done),
        Either::Right((subject, _)) => Err(subject),
    }
}

/// The connection's events: permission violations go to whoever waits on the subject, and to
/// the log, where an operator sees them; other server errors are logged.
fn report_event(refusals: &Refusals, closing: &AtomicBool, event: &async_nats::Event) {
    match event {
        async_nats::Event::ServerError(async_nats::ServerError::Other(message)) => {
            match refusals::refused_subject(message) {
                // Whoever waited says so in its own error (or carries on without).
                Some(subject) if refusals.refused(subject) => {
                    debug!(%subject, "the NATS server refused a publish")
                }
                _ => warn!(error = %message, "the NATS server reported an error"),
            }
        }
        async_nats::Event::ServerError(e) => warn!(error = %e, "the NATS server reported an error"),
        async_nats::Event::Disconnected if closing.load(Ordering::Relaxed) => {
            debug!("disconnected from NATS, which is stopping")
        }
        async_nats::Event::Disconnected => warn!("disconnected from NATS; reconnecting"),
        async_nats::Event::Connected => debug!("connected to NATS"),
        other => debug!(event = %other, "NATS connection event"),
    }
}

/// `url` fit for logs and errors: a password or token written in it (`nats://user:pass@host`)
/// is replaced.
pub fn shown_url(url: &str) -> String {
    url.split(',')
        .map(|one| match (one.find("://"), one.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}<redacted>{}", &one[..scheme + 3], &one[at..])
            }
            (None, Some(at)) => format!("<redacted>{}", &one[at..]),
            _ => one.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Says what failed when connecting: credentials, TLS (with the files involved), or the
/// server being unreachable (the one worth retrying).
fn connect_error(url: &str, loaded: &security::Loaded, e: async_nats::ConnectError) -> LogError {
    use async_nats::ConnectErrorKind as Kind;
    match e.kind() {
        Kind::AuthorizationViolation | Kind::Authentication => LogError::Credentials {
            url: url.to_owned(),
            kind: loaded.credentials_kind(),
            source: e,
        },
        Kind::Tls => LogError::Tls {
            url: url.to_owned(),
            files: loaded.tls_files(),
            detail: error_chain(&e),
        },
        Kind::Io => {
            let detail = error_chain(&e);
            if detail.contains("certificate") || detail.contains("alert") || detail.contains("TLS")
            {
                LogError::Tls {
                    url: url.to_owned(),
                    files: loaded.tls_files(),
                    detail,
                }
            } else {
                LogError::Connect {
                    url: url.to_owned(),
                    source: e,
                }
            }
        }
        _ => LogError::Connect {
            url: url.to_owned(),
            source: e,
        },
    }
}

/// An error of the kind a server that is not (yet) listening gives: worth trying again.
fn unreachable(e: &async_nats::ConnectError) -> bool {
    use async_nats::ConnectErrorKind as Kind;
    use std::io::ErrorKind as Io;
    match e.kind() {
        Kind::TimedOut | Kind::Dns => return true,
        Kind::Io => {}
        _ => return false,
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                Io::ConnectionRefused
                    | Io::ConnectionReset
                    | Io::ConnectionAborted
                    | Io::NotConnected
                    | Io::TimedOut
                    | Io::AddrNotAvailable
            );
        }
        source = err.source();
    }
    true
}

/// An error and its causes, one after the other.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(err) = source {
        let more = err.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = err.source();
    }
    text
}
