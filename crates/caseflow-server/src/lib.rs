//! caseflow's gRPC service (tonic): ingest, figures, child records and operations, with the
//! standard health and reflection services.
//!
//! The only crate that knows tonic. Handlers translate between protobuf messages and domain
//! types and call the store and the log; every failure goes through [`ServiceError`], whose one
//! `From` impl is the table of gRPC status codes.

pub mod audit;
pub mod auth;
mod error;
mod figures;
mod ingest;
pub mod metrics;
mod operations;
mod records;
mod revisions;
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

pub use audit::{Auditor, Caller};
pub use auth::{Authenticator, Principal, Role};
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
    /// Each authority's settings (its own section's, or the defaults): 6.2's population, team
    /// groups, targets, tolerances and benchmarks, and the indicator settings members are
    /// re-derived with.
    pub settings: Arc<caseflow_domain::settings::SettingsByAuthority>,
    /// Authorities' figures between projector batches.
    pub figures_cache: Arc<FiguresCache>,
    /// What `GET /metrics` serves (shared with the projector).
    pub metrics: Arc<Metrics>,
    /// Who may call (every caller, when authentication is off).
    pub auth: Arc<Authenticator>,
    /// Where reads of personal data are recorded before they are answered.
    pub auditor: Auditor,
    /// Where published reports are recorded (`Figures/PublishReport`).
    pub publications: caseflow_log::Publications,
    /// What stands between the projections and the stream (the projector's condition): lost
    /// history makes the figures not current (refused); a store that cannot be written leaves
    /// them behind. Either takes health to NOT_SERVING.
    pub condition: tokio::sync::watch::Receiver<caseflow_store::Condition>,
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
        let ctx = Context::new(self.settings.of(la).indicators.clone(), at.day());
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
    #[error("TLS: {0}")]
    Tls(String),
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// The server's certificate and key (PEM), and the CA client certificates must be signed by
/// (mutual TLS) if any.
#[derive(Clone)]
pub struct ServerTls {
    pub certificate: Vec<u8>,
    pub key: Vec<u8>,
    pub client_ca: Option<Vec<u8>>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("mutual", &self.client_ca.is_some())
            .finish_non_exhaustive()
    }
}

/// Who may read `GET /metrics` (which carries counts, never personal data).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Callers on this machine only.
    #[default]
    Loopback,
    /// Callers authenticated with the `operations` role (for any authority).
    Token,
    /// Anyone who can reach the port.
    Open,
}

/// How the server is exposed.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    pub tls: Option<ServerTls>,
    pub metrics: MetricsAccess,
}

/// Serves every service on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    use tonic::service::interceptor::InterceptedService;
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
    let guard = |roles, figures: bool| audit::Guard {
        auth: state.auth.clone(),
        roles,
        current: figures.then(|| state.condition.clone()),
    };
    // Health follows the figures: NOT_SERVING (overall, Figures and Records) while they are not
    // current or fall behind because the store cannot be written; Ingest and Operations go on.
    let mut condition = state.condition.clone();
    let reporter = health.clone();
    tokio::spawn(async move {
        loop {
            let current = condition.borrow_and_update().problem().is_none();
            let status = if current {
                tonic_health::ServingStatus::Serving
            } else {
                tonic_health::ServingStatus::NotServing
            };
            reporter.set_service_status("", status).await;
            reporter
                .set_service_status(
                    <FiguresServer<figures::FiguresService> as tonic::server::NamedService>::NAME,
                    status,
                )
                .await;
            reporter
                .set_service_status(
                    <RecordsServer<records::RecordsService> as tonic::server::NamedService>::NAME,
                    status,
                )
                .await;
            if condition.changed().await.is_err() {
                return;
            }
        }
    });
    let mut routes = tonic::service::Routes::builder();
    // Health answers anyone (load balancers); every other service sits behind its guard.
    routes
        .add_service(health_service)
        .add_service(InterceptedService::new(reflection, guard(&[], false)))
        .add_service(IngestServer::with_interceptor(
            ingest::IngestService(state.clone()),
            guard(&[Role::Ingest], false),
        ))
        .add_service(FiguresServer::with_interceptor(
            figures::FiguresService(state.clone()),
            guard(&[Role::Figures], true),
        ))
        .add_service(RecordsServer::with_interceptor(
            records::RecordsService(state.clone()),
            guard(&[Role::Records], true),
        ))
        .add_service(OperationsServer::with_interceptor(
            operations::OperationsService(state.clone()),
            // ListAudit is for the audit role; the other calls check operations.
            guard(&[Role::Operations, Role::Audit], false),
        ));
    // Prometheus scrapes `GET /metrics` over HTTP on the same port.
    let auth = state.auth.clone();
    let access = options.metrics;
    let routes = routes.routes().into_axum_router().route(
        "/metrics",
        axum::routing::get(move |request: axum::extract::Request| {
            use axum::http::{StatusCode, header::CONTENT_TYPE};
            let answer = match metrics_allowed(access, &auth, &request) {
                Ok(()) => (
                    StatusCode::OK,
                    [(CONTENT_TYPE, metrics::CONTENT_TYPE)],
                    metrics.render(),
                ),
                Err(why) => (
                    StatusCode::FORBIDDEN,
                    [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                    format!("{why}\n"),
                ),
            };
            async move { answer }
        }),
    );
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &options.tls {
        let mut config = tonic::transport::ServerTlsConfig::new().identity(
            tonic::transport::Identity::from_pem(&tls.certificate, &tls.key),
        );
        if let Some(ca) = &tls.client_ca {
            config = config.client_ca_root(tonic::transport::Certificate::from_pem(ca));
        }
        builder = builder
            .tls_config(config)
            .map_err(|e| ServerError::Tls(e.to_string()))?;
    }
    tracing::info!(
        addr = ?listener.local_addr().ok(),
        tls = options.tls.is_some(),
        mutual_tls = options.tls.as_ref().is_some_and(|t| t.client_ca.is_some()),
        authentication = state.auth.enabled(),
        "gRPC server listening (and GET /metrics)"
    );
    builder
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

/// Whether `request` may read `/metrics`.
fn metrics_allowed(
    access: MetricsAccess,
    auth: &Authenticator,
    request: &axum::extract::Request,
) -> Result<(), String> {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    match access {
        MetricsAccess::Open => Ok(()),
        MetricsAccess::Loopback => {
            let ext = request.extensions();
            let peer = ext
                .get::<TcpConnectInfo>()
                .and_then(TcpConnectInfo::remote_addr)
                .or_else(|| {
                    ext.get::<TlsConnectInfo<TcpConnectInfo>>()
                        .and_then(|i| i.get_ref().remote_addr())
                });
            match peer {
                Some(p) if p.ip().is_loopback() => Ok(()),
                _ => Err(
                    "/metrics is served to this machine only (grpc.metrics = \"loopback\")"
                        .to_owned(),
                ),
            }
        }
        MetricsAccess::Token => {
            let metadata = tonic::metadata::MetadataMap::from_headers(request.headers().clone());
            let principal = auth
                .authenticate(&metadata, None)
                .map_err(|e| e.to_string())?;
            if principal.has(Role::Operations) {
                Ok(())
            } else {
                Err("/metrics needs the operations role".to_owned())
            }
        }
    }
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
