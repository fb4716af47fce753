//! Wiring: the event log (embedded or remote NATS), the sled store, the projector and the gRPC
//! server, started together and stopped together.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use caseflow_log::{EmbeddedNats, EmbeddedOptions, EventLog};
use caseflow_projector::{Clock, Projector, ProjectorMetrics, clock_on, wait_until_applied};
use caseflow_server::{AppState, Metrics};
use caseflow_store::{ProjectionStore, SledStore};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::Config;

/// A running caseflow: stop it with [`Running::shutdown`].
pub struct Running {
    pub grpc_addr: SocketAddr,
    pub nats_url: String,
    pub log: EventLog,
    pub store: Arc<SledStore>,
    /// Why the projections are being rebuilt from the event log, when the settings
    /// derivations read (or caseflow's version) changed since they were derived; also logged
    /// as a warning at start.
    pub rebuilding: Option<String>,
    shutdown: watch::Sender<bool>,
    /// How long calls in flight may take to finish on shutdown.
    grace: Duration,
    projector: JoinHandle<()>,
    server: JoinHandle<anyhow::Result<()>>,
    embedded: Option<EmbeddedNats>,
}

/// The clock the configuration asks for: a fixed noon on `today`, or the system clock.
pub fn clock(config: &Config) -> Clock {
    clock_on(config.today())
}

/// The projector the configuration asks for, on `store` (the one way one is built).
pub fn projector(config: &Config, store: Arc<dyn ProjectionStore>) -> Projector {
    Projector::new(store, clock(config), config.projector_settings())
}

/// Starts the embedded NATS server when no URL is configured.
pub async fn nats(config: &Config) -> anyhow::Result<(String, Option<EmbeddedNats>)> {
    if !config.nats.url.is_empty() {
        return Ok((config.nats.url.clone(), None));
    }
    let options = EmbeddedOptions {
        binary: config.nats.server_binary.clone(),
        store_dir: config.nats_dir(),
        host: "127.0.0.1".to_owned(),
        port: (config.nats.embedded_port != 0).then_some(config.nats.embedded_port),
        sync_always: true,
        config_file: None,
    };
    let server = tokio::task::spawn_blocking(move || EmbeddedNats::start(options))
        .await?
        .context("cannot start the embedded nats-server")?;
    Ok((server.url(), Some(server)))
}

/// Opens the projection store, with a hint when another process holds it.
pub fn open_store(config: &Config) -> anyhow::Result<SledStore> {
    SledStore::open(&config.store_dir(), &config.sled_settings()).with_context(|| {
        format!(
            "cannot open the projection store in {} (is another caseflow using it?)",
            config.store_dir().display()
        )
    })
}

/// Writes the store's recovery snapshot once nothing else uses it (see
/// [`SledStore::checkpoint`]), so that the next start opens it at once; a failure only costs
/// that start the replay of sled's log, so it is logged, not returned.
pub fn checkpoint(store: &SledStore) {
    let started = Instant::now();
    match store.checkpoint() {
        Ok(()) => info!(took = ?started.elapsed(), "projection store checkpointed"),
        Err(error) => warn!(
            %error,
            "cannot checkpoint the projection store: the next start replays its log"
        ),
    }
}

/// Refuses to expose the gRPC port beyond this machine without TLS and authentication, unless
/// `grpc.insecure_allow_remote` says so (then warns at every start).
pub fn check_exposure(config: &Config, authentication: bool) -> anyhow::Result<()> {
    let listen = config.grpc.listen;
    let secured = config.grpc.tls.is_some() && authentication;
    if listen.ip().is_loopback() {
        if !authentication {
            warn!(
                %listen,
                "authentication is off: every program on this machine may call every service \
                 (configure [auth] to require credentials; see docs/security.md)"
            );
        }
        return Ok(());
    }
    if secured {
        return Ok(());
    }
    if config.grpc.insecure_allow_remote {
        warn!(
            %listen,
            tls = config.grpc.tls.is_some(),
            authentication,
            "listening beyond loopback without TLS and authentication \
             (grpc.insecure_allow_remote = true): children's records are exposed to the network"
        );
        return Ok(());
    }
    anyhow::bail!(
        "refusing to listen on {listen} without TLS and authentication: children's records would \
         be open to the network. Set [grpc.tls] cert_file and key_file, and at least one of \
         [auth.jwt], [[auth.service_tokens]] or [[auth.certificates]] (docs/security.md); or \
         listen on 127.0.0.1; or set grpc.insecure_allow_remote = true to accept the risk"
    )
}

/// Starts everything `caseflow serve` runs.
pub async fn start(config: &Config) -> anyhow::Result<Running> {
    let auth = caseflow_server::Authenticator::new(config.auth_settings()?);
    check_exposure(config, auth.enabled())?;
    let serve_options = caseflow_server::ServeOptions {
        tls: config.server_tls()?,
        metrics: config.metrics_access()?,
    };
    let (nats_url, embedded) = nats(config).await?;
    let log = EventLog::connect(&nats_url, &config.nats_security(), config.stream_settings())
        .await
        .context("cannot open the event log")?;
    let audit = log
        .audit_trail(&config.nats.audit_stream)
        .await
        .context("cannot open the audit trail")?;
    let publications = log
        .publications(&config.nats.publications_stream)
        .await
        .context("cannot open the publications stream")?;
    let store = Arc::new(open_store(config)?);
    let clock = clock(config);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (metrics, projector_metrics) = Metrics::with_more(ProjectorMetrics::register);
    let metrics = Arc::new(metrics);

    let projector = projector(config, store.clone()).with_metrics(projector_metrics);
    let rebuilding = projector
        .derivation_changes()
        .context("cannot read what the projections were derived with")?;
    if let Some(why) = &rebuilding {
        warn!(
            "{why}: the projections are rebuilt from the event log now; figures are incomplete \
             until the projector has caught up (`caseflow status` shows its progress)"
        );
    }
    let condition = projector.condition();
    let projector_log = log.clone();
    let projector_rx = shutdown_rx.clone();
    let projector = tokio::spawn(async move { projector.run(&projector_log, projector_rx).await });

    let listener = tokio::net::TcpListener::bind(config.grpc.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.grpc.listen))?;
    let grpc_addr = listener.local_addr()?;
    let state = AppState {
        store: store.clone(),
        log: log.clone(),
        clock,
        settings: Arc::new(config.settings_by_authority()),
        figures_cache: Arc::default(),
        metrics: metrics.clone(),
        auth: Arc::new(auth),
        auditor: caseflow_server::Auditor::new(audit),
        publications,
        condition,
    };
    let mut server_rx = shutdown_rx;
    let server = tokio::spawn(async move {
        caseflow_server::serve(listener, state, serve_options, async move {
            let _ = server_rx.wait_for(|stop| *stop).await;
        })
        .await
        .map_err(anyhow::Error::from)
    });
    info!(%grpc_addr, %nats_url, "caseflow is running");
    Ok(Running {
        grpc_addr,
        nats_url,
        log,
        store,
        rebuilding,
        shutdown,
        grace: Duration::from_secs(config.grpc.shutdown_grace_secs),
        projector,
        server,
        embedded,
    })
}

impl Running {
    /// Waits until the projector has applied everything in the stream now, calling `progress`
    /// with (applied, target) as it goes.
    pub async fn wait_caught_up(
        &self,
        timeout: Duration,
        mut progress: impl FnMut(u64, u64),
    ) -> anyhow::Result<u64> {
        let target = self.log.last_sequence().await?;
        let applied = wait_until_applied(&*self.store, target, timeout, |applied| {
            progress(applied, target)
        })
        .await?;
        Ok(applied)
    }

    /// Stops abruptly, as a crash would: tasks are aborted mid-work, nothing is flushed beyond
    /// what the projector already committed. For tests of crash recovery (feature `testing`).
    #[cfg(feature = "testing")]
    pub async fn kill(mut self) {
        self.projector.abort();
        self.server.abort();
        let _ = (&mut self.projector).await;
        let _ = (&mut self.server).await;
    }

    /// Stops gracefully: the gRPC server takes no new calls and gives those in flight the
    /// grace period, the projector stops at its last commit (every commit is atomic, so that is
    /// always a consistent point), then the store is checkpointed while the embedded NATS
    /// server stops.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        let served = match tokio::time::timeout(self.grace, &mut self.server).await {
            Ok(served) => served?,
            Err(_) => {
                warn!(grace = ?self.grace, "calls still in flight after the grace period: cut");
                self.server.abort();
                Ok(())
            }
        };
        self.projector.await?;
        let store = self.store.clone();
        let checkpoint = tokio::task::spawn_blocking(move || checkpoint(&store));
        if let Some(mut nats) = self.embedded.take() {
            self.log.expect_disconnect();
            tokio::task::spawn_blocking(move || nats.stop()).await?;
        }
        checkpoint.await?;
        served
    }
}
