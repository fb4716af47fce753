//! The projector's metrics (`caseflow_projector_*`, and its stage of
//! `caseflow_rejections_total`), registered in the process's registry, which the server serves
//! at `GET /metrics`.
//!
//! Counted once a settle's commits have succeeded, so a settle retried after a failure is not
//! counted twice. Labels are low-cardinality: an outcome, a rejection reason code.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// A label set of one label.
type One = [(&'static str, &'static str); 1];

/// `caseflow_rejections_total{stage, reason}`: one family for the whole process, registered by
/// whoever owns the registry and shared with each stage that refuses events.
pub type RejectionCounter = Family<[(&'static str, &'static str); 2], Counter>;

/// What one settle of the projector did, as counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Events stored (new to their subject's log).
    pub stored: u64,
    /// Events whose id the subject's log already held.
    pub duplicates: u64,
    /// Of the duplicates, those whose content differed from the copy kept.
    pub conflicts: u64,
    /// Subjects re-derived.
    pub subjects: u64,
    /// The stream sequence the figures are now exactly up to.
    pub applied_sequence: u64,
}

/// The projector's metrics. Cheap to clone (every metric is a shared handle); recording never
/// fails.
#[derive(Clone, Debug)]
pub struct ProjectorMetrics {
    rejections: RejectionCounter,
    events: Family<One, Counter>,
    subjects: Counter,
    settle: Histogram,
    applied: Gauge,
    read: Gauge,
    day_rolls: Counter,
    history_lost: Gauge,
    store_unwritable: Gauge,
}

impl Default for ProjectorMetrics {
    /// Metrics registered nowhere (counted, never served).
    fn default() -> Self {
        ProjectorMetrics::register(&mut Registry::default(), RejectionCounter::default())
    }
}

impl ProjectorMetrics {
    /// Registers the projector's metrics in `registry`; its rejections are counted in
    /// `rejections` with `stage="projector"`.
    pub fn register(registry: &mut Registry, rejections: RejectionCounter) -> ProjectorMetrics {
        let events = Family::<One, Counter>::default();
        registry.register(
            "projector_events",
            "Events the projector settled, by outcome (stored, duplicate, and among the \
             duplicates conflicting_duplicate: an id re-sent with other content; rejections \
             are in caseflow_rejections_total)",
            events.clone(),
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
        let history_lost = Gauge::default();
        registry.register(
            "projector_history_lost",
            "1 while the stream no longer holds the history the figures were built from \
             (caseflow rebuild recovers), else 0",
            history_lost.clone(),
        );
        let store_unwritable = Gauge::default();
        registry.register(
            "projector_store_unwritable",
            "1 while the projections cannot be written (disk full or read-only) and nothing is \
             applied, else 0",
            store_unwritable.clone(),
        );
        ProjectorMetrics {
            rejections,
            events,
            subjects,
            settle,
            applied,
            read,
            day_rolls,
            history_lost,
            store_unwritable,
        }
    }

    /// Counts `n` events the projector kept as rejections for `reason` (a reason code).
    pub(crate) fn rejected(&self, reason: &'static str, n: u64) {
        self.rejections
            .get_or_create(&[("stage", "projector"), ("reason", reason)])
            .inc_by(n);
    }

    /// Counts a settle (after its commits succeeded).
    pub(crate) fn settled(&self, settled: Settled, took: Duration) {
        self.events
            .get_or_create(&[("outcome", "stored")])
            .inc_by(settled.stored);
        self.events
            .get_or_create(&[("outcome", "duplicate")])
            .inc_by(settled.duplicates);
        self.events
            .get_or_create(&[("outcome", "conflicting_duplicate")])
            .inc_by(settled.conflicts);
        self.subjects.inc_by(settled.subjects);
        self.settle.observe(took.as_secs_f64());
        self.set_applied(settled.applied_sequence);
    }

    /// Records whether the stream has lost the history the figures were built from.
    pub(crate) fn set_history_lost(&self, lost: bool) {
        self.history_lost.set(i64::from(lost));
    }

    /// Records whether the projections can be written.
    pub(crate) fn set_store_unwritable(&self, unwritable: bool) {
        self.store_unwritable.set(i64::from(unwritable));
    }

    /// Records the applied sequence (after a settle, or as found on start).
    pub(crate) fn set_applied(&self, sequence: u64) {
        self.applied
            .set(i64::try_from(sequence).unwrap_or(i64::MAX));
    }

    /// Records the sequence of the last message read.
    pub(crate) fn set_read(&self, sequence: u64) {
        self.read.set(i64::try_from(sequence).unwrap_or(i64::MAX));
    }

    /// Counts a roll of the day.
    pub(crate) fn day_rolled(&self) {
        self.day_rolls.inc();
    }
}
