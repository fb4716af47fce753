//! caseflow's metrics (`caseflow_*`), served in the Prometheus / OpenMetrics text format at
//! `GET /metrics` on the gRPC port (HTTP/1.1).
//!
//! The server owns the process's registry: its own metrics (`caseflow_ingest_appends_total`,
//! the ingest stage of `caseflow_rejections_total`) and whatever the rest of the process
//! registers in it before serving ([`Metrics::with_more`]: the projector's). Counted per batch
//! or per call, never per figure: labels are low-cardinality (an outcome, a rejection reason
//! code, a pipeline stage), never an authority, a subject or an event id. Counters count since
//! the process started, as Prometheus expects; the figures of record (events stored,
//! rejections kept) are the store's, in `GetStatus`.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// A label set of one label.
type One = [(&'static str, &'static str); 1];

/// `caseflow_rejections_total{stage, reason}`, shared by every stage that refuses events.
pub type RejectionCounter = Family<[(&'static str, &'static str); 2], Counter>;

/// The metrics of one caseflow process. Cheap to share (`Arc`); recording never fails.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    rejections: RejectionCounter,
    ingest: Family<One, Counter>,
    scorecard_requests: Counter,
    scorecards_computed: Counter,
    snapshots: Family<One, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::with_more(|_, _| ()).0
    }

    /// The server's metrics, and whatever `more` registers in the same registry (it is given
    /// the registry and `caseflow_rejections_total`, to count its own stage's rejections).
    pub fn with_more<T>(more: impl FnOnce(&mut Registry, RejectionCounter) -> T) -> (Metrics, T) {
        let mut registry = Registry::with_prefix("caseflow");
        let rejections = RejectionCounter::default();
        registry.register(
            "rejections",
            "Events refused, by stage (ingest: before the log; projector: read from the log \
             and kept as a rejection record) and reason code",
            rejections.clone(),
        );
        let ingest = Family::<One, Counter>::default();
        registry.register(
            "ingest_appends",
            "Ingest.Append calls, by outcome (appended, duplicate, rejected, conflict, failed)",
            ingest.clone(),
        );
        let scorecard_requests = Counter::default();
        registry.register(
            "scorecard_requests",
            "Figures.GetScorecard calls answered",
            scorecard_requests.clone(),
        );
        let scorecards_computed = Counter::default();
        registry.register(
            "scorecards_computed",
            "Scorecards computed from the figures (the rest were answered from memory, until \
             the figures move)",
            scorecards_computed.clone(),
        );
        let snapshots = Family::<One, Counter>::default();
        registry.register(
            "figure_snapshots",
            "Authorities' figures made current for queries after the store's figures moved, by \
             how (loaded: read from the store; brought_forward: the store's recent changes added \
             to those held)",
            snapshots.clone(),
        );
        let extra = more(&mut registry, rejections.clone());
        let metrics = Metrics {
            registry,
            rejections,
            ingest,
            scorecard_requests,
            scorecards_computed,
            snapshots,
        };
        (metrics, extra)
    }

    /// Counts an event refused by `Ingest.Append` for `reason` (a rejection reason code).
    pub fn rejected(&self, reason: &'static str) {
        self.rejections
            .get_or_create(&[("stage", "ingest"), ("reason", reason)])
            .inc();
    }

    /// Counts one `Ingest.Append` call by its outcome.
    pub fn ingest(&self, outcome: &'static str) {
        self.ingest.get_or_create(&[("outcome", outcome)]).inc();
    }

    /// Counts a `GetScorecard` answered.
    pub fn scorecard_answered(&self) {
        self.scorecard_requests.inc();
    }

    /// Counts a scorecard computed from the figures (not answered from memory).
    pub fn scorecard_computed(&self) {
        self.scorecards_computed.inc();
    }

    /// Counts an authority's figures made current, `how` (loaded, brought_forward).
    pub fn snapshot_made(&self, how: &'static str) {
        self.snapshots.get_or_create(&[("how", how)]).inc();
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
