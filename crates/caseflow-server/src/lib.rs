//! caseflow's gRPC service (tonic): ingest, figures, child records and operations, with the
//! standard health and reflection services.
//!
//! The only crate that knows tonic. Handlers translate between protobuf messages and domain
//! types and call the store and the log; every failure goes through [`ServiceError`], whose one
//! `From` impl is the table of gRPC status codes.

mod error;
mod figures;
mod ingest;
pub mod metrics;
mod operations;
mod records;
mod snapshot;

use std::future::Future;
use std::sync::Arc;

use caseflow_domain::indicators::caseloads::MonthEnds;
use caseflow_domain::{La, Month};
use caseflow_log::EventLog;
use caseflow_proto::v2::figures_server::FiguresServer;
use caseflow_proto::v2::ingest_server::IngestServer;
use caseflow_proto::v2::operations_server::OperationsServer;
use caseflow_proto::v2::records_server::RecordsServer;
use caseflow_store::ProjectionStore;
use time::OffsetDateTime;
use tokio::net::TcpListener;

pub use error::ServiceError;
pub use metrics::Metrics;
pub use snapshot::FiguresCache;

/// "Now", injected: the system clock in service, a fixed day in tests and the demo (the same
/// type as the projector's clock, so one clock serves both).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Caseloads by month end.
pub type Caseloads =
    std::collections::BTreeMap<Month, Arc<caseflow_domain::indicators::caseloads::Caseloads>>;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn ProjectionStore>,
    pub log: EventLog,
    pub clock: Clock,
    /// Indicator settings (6.2's population; member derivations).
    pub settings: Arc<caseflow_domain::settings::Settings>,
    /// Targets, tolerances and benchmarks.
    pub scorecard: Arc<caseflow_domain::scorecard::ScorecardSettings>,
    /// Authorities' figures between projector batches.
    pub figures_cache: Arc<FiguresCache>,
    /// What `GET /metrics` serves (shared with the projector).
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Caseloads of `la` at the end of each month: the join of the stored month-end cases
    /// and workers' records (about one row per worker and month read).
    pub fn caseloads(
        &self,
        la: La,
        months: impl IntoIterator<Item = Month>,
    ) -> Result<Caseloads, ServiceError> {
        self.snapshot(la)?.caseloads(self, la, months)
    }

    /// "As known at": the figures of `la` re-derived from only the events recorded (their
    /// `recordedAt`, or stream time) up to `at`, as of that day, and the parts of the caseload
    /// join so derived. Costs one fold per subject of the authority.
    pub fn known_at(
        &self,
        la: La,
        at: caseflow_domain::Timestamp,
    ) -> Result<(caseflow_domain::Figures, MonthEnds), ServiceError> {
        use caseflow_domain::indicators::{Cells, Context, derive_subject};
        let ctx = Context::new((*self.settings).clone(), at.day());
        let mut figures = caseflow_domain::Figures::default();
        let mut month_ends = MonthEnds::default();
        for subject in self.store.subjects(Some(la))? {
            let events = self.store.events(&subject)?;
            let known = events
                .iter()
                .map(|s| &s.event)
                .filter(|e| e.recorded_at <= at);
            let mut cells = Cells::default();
            let part = derive_subject(subject.kind, known, &ctx, &mut cells);
            figures.add(&cells.sum(), 1);
            month_ends.add(&subject.id, part);
        }
        Ok((figures, month_ends))
    }

    /// The day figures are derived as of: the projector's, or today before it has run.
    pub fn as_of(&self) -> Result<time::Date, ServiceError> {
        Ok(self.store.as_of()?.unwrap_or_else(|| (self.clock)().date()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Serves every service on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<IngestServer<ingest::IngestService>>()
        .await;
    health
        .set_serving::<FiguresServer<figures::FiguresService>>()
        .await;
    health
        .set_serving::<RecordsServer<records::RecordsService>>()
        .await;
    health
        .set_serving::<OperationsServer<operations::OperationsService>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(caseflow_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let metrics = state.metrics.clone();
    let mut routes = tonic::service::Routes::builder();
    routes
        .add_service(health_service)
        .add_service(reflection)
        .add_service(IngestServer::new(ingest::IngestService(state.clone())))
        .add_service(FiguresServer::new(figures::FiguresService(state.clone())))
        .add_service(RecordsServer::new(records::RecordsService(state.clone())))
        .add_service(OperationsServer::new(operations::OperationsService(state)));
    // Prometheus scrapes `GET /metrics` over HTTP/1.1 on the same port.
    let routes = routes.routes().into_axum_router().route(
        "/metrics",
        axum::routing::get(move || {
            let text = metrics.render();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
                    text,
                )
            }
        }),
    );
    tracing::info!(addr = ?listener.local_addr().ok(), "gRPC server listening (and GET /metrics)");
    tonic::transport::Server::builder()
        .accept_http1(true)
        .trace_fn(|req| tracing::info_span!("grpc", path = %req.uri().path()))
        .add_routes(routes.into())
        .serve_with_incoming_shutdown(
            // Small responses must not wait for Nagle's algorithm (about 40 ms on loopback).
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await?;
    Ok(())
}

/// Runs a handler's body on the blocking pool: they read sled and may fold a whole authority
/// (caseloads), which must not hold up the async workers.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(AppState) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(state)).await?
}

fn parse_la(s: &str) -> Result<La, ServiceError> {
    La::parse(s).ok_or_else(|| {
        ServiceError::InvalidArgument(format!("la {s:?} is not a three-digit authority code"))
    })
}

fn parse_month(field: &str, s: &str) -> Result<Month, ServiceError> {
    s.parse()
        .map_err(|_| ServiceError::InvalidArgument(format!("{field} {s:?} is not a YYYY-MM month")))
}
