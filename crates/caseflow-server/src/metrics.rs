//! caseflow's metrics (`caseflow_*`), served in the Prometheus / OpenMetrics text format at
//! `GET /metrics` on the gRPC port (HTTP/1.1).
//!
//! Counted per batch or per call, never per figure: labels are low-cardinality (an outcome,
//! a rejection reason code, a pipeline stage), never an authority, a subject or an event id.
//! Counters count since the process started, as Prometheus expects; the projector's figures
//! of record (events stored, rejections kept) are the store's, in `GetStatus`.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// A label set of one label.
type One = [(&'static str, &'static str); 1];
/// A label set of two labels.
type Two = [(&'static str, &'static str); 2];

/// Where an event was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// By the `Ingest.Append` call, before it reached the log.
    Ingest,
    /// By the projector, reading the log (the event stays in the stream, with a rejection
    /// record).
    Projector,
}

impl Stage {
    fn label(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Projector => "projector",
        }
    }
}

/// What one settle of the projector did, as counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Events stored (new to their subject's log).
    pub stored: u64,
    /// Events whose id the subject's log already held.
    pub duplicates: u64,
    /// Subjects re-derived.
    pub subjects: u64,
    /// The stream sequence the figures are now exactly up to.
    pub applied_sequence: u64,
}

/// The metrics of one caseflow process. Cheap to share (`Arc`); recording never fails.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    rejections: Family<Two, Counter>,
    events: Family<One, Counter>,
    ingest: Family<One, Counter>,
    subjects: Counter,
    settle: Histogram,
    applied: Gauge,
    read: Gauge,
    day_rolls: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("caseflow");
        let rejections = Family::<Two, Counter>::default();
        registry.register(
            "rejections",
            "Events refused, by stage (ingest: before the log; projector: read from the log \
             and kept as a rejection record) and reason code",
            rejections.clone(),
        );
        let events = Family::<One, Counter>::default();
        registry.register(
            "projector_events",
            "Events the projector settled, by outcome (stored or duplicate; rejections are \
             in caseflow_rejections_total)",
            events.clone(),
        );
        let ingest = Family::<One, Counter>::default();
        registry.register(
            "ingest_appends",
            "Ingest.Append calls, by outcome (appended, duplicate, rejected, conflict, failed)",
            ingest.clone(),
        );
        let subjects = Counter::default();
        registry.register(
            "projector_subjects_rederived",
            "Subjects (children, households, workers) re-derived by settles",
            subjects.clone(),
        );
        // 1 ms to about 65 s.
        let settle = Histogram::new(exponential_buckets(0.001, 2.0, 17));
        registry.register_with_unit(
            "projector_settle",
            "Time to store and derive one backlog (one batch when following live)",
            Unit::Seconds,
            settle.clone(),
        );
        let applied = Gauge::default();
        registry.register(
            "projector_applied_sequence",
            "The stream sequence the figures are exactly up to",
            applied.clone(),
        );
        let read = Gauge::default();
        registry.register(
            "projector_read_sequence",
            "The stream sequence of the last message read (settled or not)",
            read.clone(),
        );
        let day_rolls = Counter::default();
        registry.register(
            "projector_day_rolls",
            "Times every subject was re-derived because the day changed",
            day_rolls.clone(),
        );
        Metrics {
            registry,
            rejections,
            events,
            ingest,
            subjects,
            settle,
            applied,
            read,
            day_rolls,
        }
    }

    /// Counts `n` events refused for `reason` (a rejection reason code).
    pub fn rejected(&self, stage: Stage, reason: &'static str, n: u64) {
        self.rejections
            .get_or_create(&[("stage", stage.label()), ("reason", reason)])
            .inc_by(n);
    }

    /// Counts a settle (after its commits succeeded).
    pub fn settled(&self, settled: Settled, took: Duration) {
        self.events
            .get_or_create(&[("outcome", "stored")])
            .inc_by(settled.stored);
        self.events
            .get_or_create(&[("outcome", "duplicate")])
            .inc_by(settled.duplicates);
        self.subjects.inc_by(settled.subjects);
        self.settle.observe(took.as_secs_f64());
        self.set_applied(settled.applied_sequence);
    }

    /// Records the applied sequence (after a settle, or as found on start).
    pub fn set_applied(&self, sequence: u64) {
        self.applied
            .set(i64::try_from(sequence).unwrap_or(i64::MAX));
    }

    /// Records the sequence of the last message read.
    pub fn set_read(&self, sequence: u64) {
        self.read.set(i64::try_from(sequence).unwrap_or(i64::MAX));
    }

    /// Counts a roll of the day.
    pub fn day_rolled(&self) {
        self.day_rolls.inc();
    }

    /// Counts one `Ingest.Append` call by its outcome.
    pub fn ingest(&self, outcome: &'static str) {
        self.ingest.get_or_create(&[("outcome", outcome)]).inc();
    }

    /// Every metric in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
