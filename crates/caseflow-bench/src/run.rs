//! `caseflow-bench`: reproducible workloads from the simulator, measured end to end, written
//! as `BENCHMARKS.md`.
//!
//! Every run starts from nothing: a fresh embedded `nats-server` and a fresh sled store in a
//! temporary directory. Each figure is the median of the runs, with its spread (min-max).
//! Ratios (projector replay vs a raw JetStream consumer; back-dated vs same-day apply) compare
//! measurements taken in the same run. Nothing here asserts timings.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use caseflow_domain::Month;
use caseflow_domain::calendar::{add_days, add_months, format_day};
use caseflow_log::{Append, EmbeddedNats, EmbeddedOptions, EventLog, LogMessage};
use caseflow_proto::v2;
use caseflow_proto::v2::figures_client::FiguresClient;
use caseflow_store::{ProjectionStore, SledStore};
use futures::StreamExt;
use tokio::sync::watch;

use caseflow::app;
use caseflow::client::{Authed, Connection, Server};
use caseflow::commands::appends_of;
use caseflow::config::{Config, ServiceTokenConfig};
use caseflow::devauth::{DevFiles, new_service_token};
use caseflow_projector::{Projector, wait_until_applied};

mod server;
use server::{ServerMeasured, ServerScenario};

/// The targets, tolerances and benchmarks of the May 2018 report (as the demo uses them).
const REPORT_SCORECARD: &str = include_str!("../../../deploy/scorecard-2018-19.toml");
/// The shipped configuration, for its indicator settings.
const SHIPPED_CONFIG: &str = include_str!("../../../deploy/caseflow.toml");
/// The simulated authorities' own settings (their populations), generated for seed 2018.
const SIM_AUTHORITIES: &str = include_str!("../../../deploy/sim/authorities.toml");

/// The simulated authority of one-authority workloads, and the seed of every workload.
const LA: &str = "372";
const SEED: u64 = 2018;
/// Marks where the hand-written part of BENCHMARKS.md starts; it is kept when regenerated.
const KEPT_MARKER: &str =
    "<!-- Everything below is written by hand and kept by `caseflow-bench`. -->";
/// The indicator of the single-indicator series query.
const SERIES_INDICATOR: &str = "6.7";

/// What `caseflow-bench` runs.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Fewer runs, one year of history, fewer requests.
    pub quick: bool,
    /// Runs per figure; 0: 3 in quick mode, 5 otherwise.
    pub runs: usize,
    /// Where BENCHMARKS.md is written.
    pub out: PathBuf,
    /// The scale points (authorities); empty: 1 and 10 in quick mode, 1, 10 and 150 otherwise.
    pub authorities: Vec<usize>,
    /// Only the server measured as a process (`caseflow serve` as a child process), at each
    /// scale point: none of the in-process scenarios.
    pub server_only: bool,
    /// sled page cache sizes (MiB) the server process is measured with, at each scale point;
    /// empty: the shipped 256.
    pub cache_mib: Vec<u64>,
    /// `projector.defer_up_to` values the server process is measured with, at each scale
    /// point; empty: the shipped setting.
    pub defer_up_to: Vec<usize>,
    /// `projector.deriving_nice` values the server process is measured with, at each scale
    /// point; empty: the shipped setting.
    pub deriving_nice: Vec<i32>,
}

/// One workload size and setting, measured over several runs.
#[derive(Clone, Debug)]
struct Scenario {
    authorities: usize,
    /// The embedded nats-server syncs every write (as shipped), or every two minutes.
    sync_always: bool,
    runs: usize,
}

impl Scenario {
    fn title(&self) -> String {
        format!(
            "{} authorit{}, JetStream {}",
            self.authorities,
            if self.authorities == 1 { "y" } else { "ies" },
            if self.sync_always {
                "syncing every write (as shipped)"
            } else {
                "syncing periodically (nats-server's default)"
            }
        )
    }
}

/// The sizes of one benchmark mode.
#[derive(Clone, Debug)]
struct Plan {
    scenarios: Vec<Scenario>,
    /// The server measured as a process, after the in-process scenarios.
    server: Vec<ServerScenario>,
    years: i32,
    /// Concurrent clients of the closed-loop load generator.
    clients: usize,
    /// Requests per closed-loop measurement (per query kind).
    requests: usize,
    /// The closed loop stops early after this long.
    max_duration: Duration,
    /// The open loop's target rate and duration.
    open_rps: u64,
    open_duration: Duration,
    /// Applies of each kind in the back-dated vs same-day measurement.
    applies: usize,
    batch_size: usize,
    in_flight: usize,
}

impl Plan {
    fn of(options: &BenchOptions) -> Plan {
        let runs = match options.runs {
            0 if options.quick => 3,
            0 => 5,
            n => n,
        };
        let scales = match options.authorities.as_slice() {
            [] if options.quick => vec![1, 10],
            [] => vec![1, 10, 150],
            given => given.to_vec(),
        };
        // The shipped setting at one authority; then the scale curve with periodic syncs
        // (syncing every write bounds appends to the disk's sync rate: ~4,000/s here).
        let runs_at = |n: usize| match n {
            1 => runs,
            2..=10 => runs.min(3),
            _ => 1,
        };
        let mut scenarios = vec![Scenario {
            authorities: 1,
            sync_always: true,
            runs,
        }];
        scenarios.extend(scales.iter().map(|&n| Scenario {
            authorities: n,
            sync_always: false,
            runs: runs_at(n),
        }));
        if options.server_only {
            scenarios.clear();
        }
        let caches = match options.cache_mib.as_slice() {
            [] => vec![server::SHIPPED_CACHE_MIB],
            given => given.to_vec(),
        };
        let defers: Vec<Option<usize>> = match options.defer_up_to.as_slice() {
            [] => vec![None],
            given => given.iter().copied().map(Some).collect(),
        };
        let nices: Vec<Option<i32>> = match options.deriving_nice.as_slice() {
            [] => vec![None],
            given => given.iter().copied().map(Some).collect(),
        };
        let mut server = Vec::new();
        for &n in &scales {
            for &cache_mib in &caches {
                for &defer_up_to in &defers {
                    for &deriving_nice in &nices {
                        server.push(ServerScenario {
                            authorities: n,
                            cache_mib,
                            defer_up_to,
                            deriving_nice,
                            runs: runs_at(n),
                        });
                    }
                }
            }
        }
        Plan {
            scenarios,
            server,
            years: if options.quick { 1 } else { 5 },
            clients: 8,
            requests: if options.quick { 2_000 } else { 20_000 },
            max_duration: Duration::from_secs(if options.quick { 20 } else { 60 }),
            open_rps: 1_000,
            open_duration: Duration::from_secs(if options.quick { 2 } else { 10 }),
            applies: if options.quick { 20 } else { 50 },
            batch_size: 1000,
            in_flight: 1024,
        }
    }
}

/// One figure's measurements over the runs.
#[derive(Clone, Debug, Default)]
struct Series(Vec<f64>);

impl Series {
    fn push(&mut self, v: f64) {
        self.0.push(v);
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }

    fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }
}

/// Every figure, by name, in the order first measured.
#[derive(Debug, Default)]
struct Results {
    order: Vec<(String, String)>,
    values: HashMap<String, Series>,
}

impl Results {
    /// Records one run's value; a value that could not be measured (e.g. a percentile of no
    /// answered requests) is left out, so that figure shows fewer runs.
    fn record(&mut self, name: &str, unit: &str, value: f64) {
        if !self.values.contains_key(name) {
            self.order.push((name.to_owned(), unit.to_owned()));
        }
        let series = self.values.entry(name.to_owned()).or_default();
        if value.is_finite() {
            series.push(value);
        }
    }

    fn get(&self, name: &str) -> Series {
        self.values.get(name).cloned().unwrap_or_default()
    }
}

/// The fixed inputs of every run of a scenario.
struct Workload {
    /// The authority queried, and whose busiest child gets the synthetic events.
    la: String,
    /// Every authority of the workload, in stream order (`la` first).
    authorities: Vec<String>,
    config_template: Config,
    today: time::Date,
    appends: Vec<Append>,
    /// The child with the most events, one of its events as a template, its event count.
    child_subject: String,
    child_template: serde_json::Value,
    child_events: usize,
}

/// What one scenario measured.
struct Measured {
    scenario: Scenario,
    events: usize,
    la: String,
    child_subject: String,
    child_events: usize,
    results: Results,
}

/// Runs the benchmarks, writes `options.out`, and returns the document.
pub async fn run(options: &BenchOptions) -> anyhow::Result<String> {
    let plan = Plan::of(options);
    let started = Instant::now();
    // Found (and built, under cargo) before anything runs: a missing binary fails at once.
    let binary = if plan.server.is_empty() {
        None
    } else {
        Some(server::caseflow_binary()?)
    };
    let mut measured = Vec::new();
    for scenario in &plan.scenarios {
        let mut workload = workload(&plan, scenario.authorities).await?;
        let events = workload.appends.len();
        eprintln!(
            "bench: {}: {} events ({} year(s)), {} run(s)",
            scenario.title(),
            workload.appends.len(),
            plan.years,
            scenario.runs
        );
        let mut results = Results::default();
        for r in 0..scenario.runs {
            eprintln!("bench: run {} of {}", r + 1, scenario.runs);
            let dir = run_dir("caseflow-bench", r)?;
            let appends = workload.appends_for(r, scenario.runs);
            let outcome = one_run(&plan, scenario, &workload, appends, &dir, r, &mut results).await;
            let _ = std::fs::remove_dir_all(&dir);
            outcome.with_context(|| format!("{}, run {}", scenario.title(), r + 1))?;
        }
        measured.push(Measured {
            scenario: scenario.clone(),
            events,
            la: workload.la.clone(),
            child_subject: workload.child_subject.clone(),
            child_events: workload.child_events,
            results,
        });
    }
    let peak = peak_rss_kib().map(|kib| kib as f64 / 1024.0);
    let mut served = Vec::new();
    for scenario in &plan.server {
        let binary = binary.as_deref().context("no caseflow binary")?;
        let workload = workload(&plan, scenario.authorities).await?;
        served.push(server::measure(&plan, scenario, workload, binary).await?);
    }
    let kept = std::fs::read_to_string(&options.out)
        .ok()
        .and_then(|old| old.split_once(KEPT_MARKER).map(|(_, k)| k.to_owned()));
    let text = document(
        options,
        &plan,
        &measured,
        &served,
        peak,
        started.elapsed(),
        kept,
    );
    std::fs::write(&options.out, &text)
        .with_context(|| format!("cannot write {}", options.out.display()))?;
    eprintln!(
        "bench: wrote {} in {:.1} s",
        options.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(text)
}

/// Simulates the authorities once (deterministic) and prepares the appends and the config:
/// authority 372 like the seed report alone, or `SimConfig::many` authorities.
/// A fresh temporary directory for run `r` of a scenario.
fn run_dir(prefix: &str, r: usize) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}-{}-{r}",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl Workload {
    /// The appends for run `r` of `runs`: the last run takes the events themselves, so that
    /// they are freed once appended and not held while queries are measured (12 million at 150
    /// authorities).
    fn appends_for(&mut self, r: usize, runs: usize) -> Vec<Append> {
        if r + 1 == runs {
            std::mem::take(&mut self.appends)
        } else {
            self.appends.clone()
        }
    }
}

async fn workload(plan: &Plan, authorities: usize) -> anyhow::Result<Workload> {
    let sim = if authorities <= 1 {
        caseflow_sim::SimConfig::like_seed(SEED, LA)
    } else {
        caseflow_sim::SimConfig::many(SEED, authorities)
    };
    let sim = caseflow::commands::last_years(sim, plan.years);
    sim.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = add_days(sim.end, 5);
    let simulation = sim.clone();
    let simulated: Vec<(String, caseflow_sim::Authority)> =
        tokio::task::spawn_blocking(move || caseflow_sim::simulate(&simulation).collect()).await?;
    let la = simulated
        .first()
        .map(|(la, _)| la.clone())
        .context("the simulation has no authority")?;
    let authority = &simulated[0].1;

    let mut per_child: HashMap<&str, usize> = HashMap::new();
    for e in authority.events.iter().filter(|e| e.valid) {
        if e.subject.contains(".child.") {
            *per_child.entry(e.subject.as_str()).or_default() += 1;
        }
    }
    let (child_subject, child_events) = per_child
        .iter()
        .max_by_key(|(s, n)| (**n, std::cmp::Reverse(**s)))
        .map(|(s, n)| ((*s).to_owned(), *n))
        .context("the simulation has no child events")?;
    let of_child: Vec<_> = authority
        .events
        .iter()
        .filter(|e| e.valid && e.subject == child_subject)
        .collect();
    let template = of_child
        .iter()
        .find(|e| e.json.contains("\"visitMade\""))
        .or_else(|| of_child.last())
        .context("no event of the busiest child")?;
    let child_template: serde_json::Value = serde_json::from_str(&template.json)?;

    let child_subject = child_subject.clone();
    let codes = simulated.iter().map(|(la, _)| la.clone()).collect();
    let appends = simulated
        .into_iter()
        .flat_map(|(la, authority)| appends_of(&la, authority.events).collect::<Vec<_>>())
        .collect();

    let mut config = Config {
        today: Some(format_day(today)),
        ..Config::default()
    };
    config.scorecard = toml::from_str(REPORT_SCORECARD)
        .context("the shipped deploy/scorecard-2018-19.toml does not parse")?;
    let shipped: Config = toml::from_str(SHIPPED_CONFIG)
        .context("the shipped deploy/caseflow.toml does not parse")?;
    config.indicators = shipped.indicators;
    if authorities > 1 {
        // Each simulated authority's own population (deploy/sim/authorities.toml, for SEED).
        config
            .add_authorities(SIM_AUTHORITIES)
            .context("the shipped deploy/sim/authorities.toml does not parse")?;
    }
    config.projector.batch_size = plan.batch_size;
    config.grpc.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    Ok(Workload {
        la,
        authorities: codes,
        config_template: config,
        today,
        appends,
        child_subject,
        child_template,
        child_events,
    })
}

/// One run of every figure, from an empty directory.
async fn one_run(
    plan: &Plan,
    scenario: &Scenario,
    workload: &Workload,
    appends: Vec<Append>,
    dir: &Path,
    index: usize,
    results: &mut Results,
) -> anyhow::Result<()> {
    let options = EmbeddedOptions {
        sync_always: scenario.sync_always,
        ..EmbeddedOptions::new(dir.join("nats"))
    };
    let mut nats = tokio::task::spawn_blocking(move || EmbeddedNats::start(options))
        .await?
        .context("cannot start nats-server (is it on PATH?)")?;
    // At least three open loops per scenario: a scenario run once repeats it.
    let run = Run {
        appends,
        open_loops: 3usize.div_ceil(scenario.runs.max(1)),
        index,
    };
    let outcome = measured_run(plan, workload, run, dir, &nats, results).await;
    tokio::task::spawn_blocking(move || nats.stop()).await?;
    outcome
}

/// What one run appends, and how it measures.
struct Run {
    /// The events to append (freed as they are appended).
    appends: Vec<Append>,
    /// Open loops at 1,000 rps (of each kind of access).
    open_loops: usize,
    /// The run's index in its scenario: 0 is the only run whose peak RSS is recorded.
    index: usize,
}

/// What every phase of one run shares.
struct RunContext<'a> {
    plan: &'a Plan,
    workload: &'a Workload,
    /// The run's empty directory.
    dir: &'a Path,
    /// The embedded nats-server, for its CPU time and disk reads.
    server: Process,
    /// The server's configuration: the workload's, with its data in `dir` and the embedded
    /// NATS.
    config: Config,
}

/// The phases of one run, in order, each recording its figures as soon as it has them.
async fn measured_run(
    plan: &Plan,
    workload: &Workload,
    run: Run,
    dir: &Path,
    nats: &EmbeddedNats,
    results: &mut Results,
) -> anyhow::Result<()> {
    let Run {
        appends,
        open_loops,
        index,
    } = run;
    let nats_url = &nats.url();
    let mut config = workload.config_template.clone();
    config.data_dir = dir.join("serve");
    config.nats.url = nats_url.to_owned();
    let context = RunContext {
        plan,
        workload,
        dir,
        server: Process {
            pid: nats.pid().to_string(),
        },
        config,
    };

    let peak_reset = reset_peak_rss();
    let running = app::start(&context.config).await?;
    let ingested = ingest(&running, appends, plan.in_flight).await?;
    ingested.record(results);
    footprint(&running, index == 0, peak_reset)?.record(results);
    let secured = Secured::start(&context, &running).await?;
    let queried = query_load(&context, &running, &secured, open_loops, index).await;
    secured.stop().await?;
    queried?.record(plan, results);
    running.shutdown().await?;
    // The rebuild reads the stream through its own connection, once the server has stopped.
    let log = EventLog::connect(
        nats_url,
        &context.config.nats_security(),
        context.config.stream_settings(),
    )
    .await?;
    let (rebuild, rebuilt) = rebuild(&context, &log, ingested.target).await?;
    rebuild.record(results);
    back_dated_vs_same_day(&context, &rebuilt)
        .await?
        .record(results);
    Ok(())
}

/// What phase (1) measured.
struct Ingested {
    events: f64,
    /// Until every append was acknowledged.
    published: Duration,
    /// Until the projector had applied the stream's last sequence.
    projected: Duration,
    /// The stream's last sequence.
    target: u64,
}

/// (1) Ingest, end to end: publish everything and wait until the projector has applied it.
async fn ingest(
    running: &app::Running,
    appends: Vec<Append>,
    in_flight: usize,
) -> anyhow::Result<Ingested> {
    let events = appends.len() as f64;
    let t0 = Instant::now();
    let acks = running.log.append_all(appends, in_flight).await;
    let published = t0.elapsed();
    let failed = acks.iter().filter(|a| a.is_err()).count();
    drop(acks);
    anyhow::ensure!(failed == 0, "{failed} appends failed");
    let target = running.log.last_sequence().await?;
    wait_until_applied(&*running.store, target, Duration::from_secs(3600), |_| {})
        .await
        .context("the projector did not catch up within an hour")?;
    Ok(Ingested {
        events,
        published,
        projected: t0.elapsed(),
        target,
    })
}

impl Ingested {
    fn record(&self, results: &mut Results) {
        results.record(
            "ingest: publish-to-projected",
            "events/s",
            self.events / self.projected.as_secs_f64(),
        );
        results.record(
            "ingest: publish only (acknowledged appends)",
            "events/s",
            self.events / self.published.as_secs_f64(),
        );
    }
}

/// What phase (5) measured.
struct Footprint {
    disk_bytes: f64,
    events_stored: u64,
    /// The peak RSS in KiB (first run only), and whether it was reset before the ingest.
    peak_rss: Option<(u64, bool)>,
}

/// (5) Disk and memory after ingest.
fn footprint(running: &app::Running, first: bool, peak_reset: bool) -> anyhow::Result<Footprint> {
    let counts = running.store.counts()?;
    let disk_bytes = running.store.size_on_disk()? as f64;
    // Only the first run's: later runs start with what the allocator kept from earlier ones.
    let peak_rss = if first {
        peak_rss_kib().map(|kib| (kib, peak_reset))
    } else {
        None
    };
    Ok(Footprint {
        disk_bytes,
        events_stored: counts.events_stored,
        peak_rss,
    })
}

impl Footprint {
    fn record(&self, results: &mut Results) {
        results.record(
            "sled disk bytes per million events stored",
            "MiB",
            self.disk_bytes / self.events_stored.max(1) as f64 * 1e6 / (1024.0 * 1024.0),
        );
        if let Some((kib, peak_reset)) = self.peak_rss {
            let name = if peak_reset {
                "peak RSS of the caseflow process during ingest (first run)"
            } else {
                "peak RSS of the caseflow process since start (first run)"
            };
            results.record(name, "MiB", kib as f64 / 1024.0);
        }
    }
}

/// What phase (3) measured.
struct QueryLoad {
    /// How long caseflow and nats-server took to go quiet after ingest.
    waited: Duration,
    /// One closed loop per query.
    closed: Vec<(&'static str, Load)>,
    /// The open loops of the scorecard query: one per access in each round, the same order
    /// ([`ACCESSES`]) in every round.
    open: Vec<Vec<Load>>,
}

/// How the load generator reaches the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Plaintext HTTP/2, no credentials: the server as `app::start` runs it here.
    Plaintext,
    /// TLS, and an ES256 JWT on every call.
    TlsJwt,
    /// TLS, and a service token on every call.
    TlsServiceToken,
}

/// Every access measured. Each round runs all of them, one after the other, starting from a
/// different one from run to run and round to round.
const ACCESSES: [Access; 3] = [Access::Plaintext, Access::TlsJwt, Access::TlsServiceToken];

impl Access {
    /// What the figures' names add (the plaintext figures have the plain names).
    fn suffix(self) -> &'static str {
        match self {
            Access::Plaintext => "",
            Access::TlsJwt => ", TLS + JWT",
            Access::TlsServiceToken => ", TLS + service token",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Access::Plaintext => "plaintext",
            Access::TlsJwt => "TLS + JWT",
            Access::TlsServiceToken => "TLS + service token",
        }
    }
}

/// A second gRPC server in the same process, over the running server's store and log, with
/// TLS and authentication on: `caseflow_server::serve` with the TLS and authentication
/// settings that `Config` reads from the development credentials of `caseflow dev-token`
/// ([`DevFiles`]), and a service token granted the figures role.
struct Secured {
    /// Connections carrying a JWT and a service token.
    jwt: Connection,
    service_token: Connection,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Secured {
    async fn start(context: &RunContext<'_>, running: &app::Running) -> anyhow::Result<Secured> {
        let la = context.workload.la.clone();
        let dev = DevFiles {
            dir: context.dir.join("dev-auth"),
        };
        let files = dev.clone();
        tokio::task::spawn_blocking(move || files.ensure()).await??;
        // The configuration `caseflow dev-token` prints, over the run's own.
        let snippet: Config = toml::from_str(&dev.config_snippet())
            .context("the dev-token configuration does not parse")?;
        let mut config = context.config.clone();
        config.grpc.tls = snippet.grpc.tls;
        config.auth.jwt = snippet.auth.jwt;
        let (service_token, hash) = new_service_token();
        config.auth.service_tokens.push(ServiceTokenConfig {
            name: "bench-reporting-service".to_owned(),
            hash,
            roles: vec!["figures".to_owned()],
            authorities: vec![la.clone()],
        });
        config.validate()?;
        let auth = caseflow_server::Authenticator::new(config.auth_settings()?);
        anyhow::ensure!(auth.enabled(), "the secured server has no authentication");
        let options = caseflow_server::ServeOptions {
            tls: Some(
                config
                    .server_tls()?
                    .context("the secured server has no TLS")?,
            ),
            metrics: config.metrics_access()?,
        };
        let audit = running.log.audit_trail(&config.nats.audit_stream).await?;
        let publications = running
            .log
            .publications(&config.nats.publications_stream)
            .await?;
        let state = caseflow_server::AppState {
            store: running.store.clone(),
            log: running.log.clone(),
            clock: app::clock(&config),
            settings: Arc::new(config.settings_by_authority()),
            figures_cache: Arc::default(),
            metrics: Arc::new(caseflow_server::Metrics::new()),
            auth: Arc::new(auth),
            auditor: caseflow_server::Auditor::new(audit),
            publications,
            // The benchmark's own projector runs in the plaintext caseflow; this server only
            // reads its store.
            condition: watch::channel(Default::default()).1,
        };
        let listener = tokio::net::TcpListener::bind(config.grpc.listen).await?;
        let url = format!("https://127.0.0.1:{}", listener.local_addr()?.port());
        let (stop, mut stop_rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            caseflow_server::serve(listener, state, options, async move {
                let _ = stop_rx.wait_for(|stop| *stop).await;
            })
            .await
            .map_err(anyhow::Error::from)
        });
        let jwt = dev.token(
            "bench-reporting-tool",
            &["figures".to_owned()],
            std::slice::from_ref(&la),
            12,
        )?;
        let connection = |token: String| Connection {
            grpc: Some(url.clone()),
            token: Some(token),
            ca_file: Some(dev.ca()),
            ..Connection::default()
        };
        Ok(Secured {
            jwt: connection(jwt),
            service_token: connection(service_token),
            stop,
            task,
        })
    }

    /// How `access` connects: the running server's plaintext port, or this one.
    fn connection(&self, access: Access, plaintext: &str) -> Connection {
        match access {
            Access::Plaintext => Connection {
                grpc: Some(plaintext.to_owned()),
                ..Connection::default()
            },
            Access::TlsJwt => self.jwt.clone(),
            Access::TlsServiceToken => self.service_token.clone(),
        }
    }

    async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await?
    }
}

/// (3) Query latency and throughput against the running server, on loopback, once the work
/// the ingest left behind (sled writing back and cleaning segments, JetStream) is done. The
/// open loops alternate between plaintext and secured access (the order rotated by run and
/// round), so that each secured loop has a plaintext loop of the same moment to compare with.
async fn query_load(
    context: &RunContext<'_>,
    running: &app::Running,
    secured: &Secured,
    open_loops: usize,
    run_index: usize,
) -> anyhow::Result<QueryLoad> {
    let RunContext { plan, workload, .. } = context;
    let waited = until_quiet(&[Process::this(), context.server.clone()]).await;
    let grpc = format!("http://{}", running.grpc_addr);
    let month = Month::of(workload.today).prev().to_string();
    let scorecard = Query::Scorecard {
        la: workload.la.clone(),
        month: month.clone(),
    };
    let series = Query::Series {
        la: workload.la.clone(),
    };
    let mut closed = Vec::new();
    for query in [&scorecard, &series] {
        closed.push((query.name(), closed_loop(&grpc, query, plan).await?));
    }
    let mut open = Vec::new();
    for round in 0..open_loops {
        let mut loads: Vec<Option<Load>> = ACCESSES.iter().map(|_| None).collect();
        for k in 0..ACCESSES.len() {
            let i = (k + run_index + round) % ACCESSES.len();
            let connection = secured.connection(ACCESSES[i], &grpc);
            let load = open_loop(&connection, &context.config, &scorecard, plan)
                .await
                .with_context(|| format!("open loop, {}", ACCESSES[i].label()))?;
            loads[i] = Some(load);
        }
        open.push(loads.into_iter().flatten().collect());
    }
    Ok(QueryLoad {
        waited,
        closed,
        open,
    })
}

impl QueryLoad {
    fn record(&self, plan: &Plan, results: &mut Results) {
        results.record(
            "wait for caseflow and nats-server to go quiet after ingest",
            "s",
            self.waited.as_secs_f64(),
        );
        for (name, closed) in &self.closed {
            let what = format!("{} clients, closed loop", plan.clients);
            results.record(&format!("{name} p50 ({what})"), "ms", closed.p(0.50));
            results.record(&format!("{name} p99 ({what})"), "ms", closed.p(0.99));
            results.record(&format!("{name} p999 ({what})"), "ms", closed.p(0.999));
            results.record(&format!("{name} throughput ({what})"), "req/s", closed.rps);
        }
        let name = "GetScorecard";
        for access in ACCESSES {
            let what = format!("open loop at {} rps{}", plan.open_rps, access.suffix());
            for round in &self.open {
                let open = &round[access as usize];
                results.record(&format!("{name} p50 ({what})"), "ms", open.p(0.50));
                results.record(&format!("{name} p99 ({what})"), "ms", open.p(0.99));
                results.record(&format!("{name} p999 ({what})"), "ms", open.p(0.999));
                results.record(&format!("{name} achieved ({what})"), "req/s", open.rps);
                results.record(
                    &format!("{name} not completed: not sent or abandoned ({what})"),
                    "requests",
                    open.dropped as f64,
                );
            }
        }
        // Secured over plaintext, each round's loops compared with each other.
        for access in [Access::TlsJwt, Access::TlsServiceToken] {
            for q in ["p50", "p99"] {
                let quantile = if q == "p50" { 0.50 } else { 0.99 };
                for round in &self.open {
                    let plain = round[Access::Plaintext as usize].p(quantile);
                    let secured = round[access as usize].p(quantile);
                    results.record(
                        &secured_ratio_name(q, access, plan),
                        "ratio",
                        secured / plain,
                    );
                }
            }
        }
    }
}

/// The name of the figure "`access` over plaintext" for the scorecard's `q` (p50, p99) at
/// 1,000 rps.
fn secured_ratio_name(q: &str, access: Access, plan: &Plan) -> String {
    format!(
        "GetScorecard {q} at {} rps, {} / plaintext (same run)",
        plan.open_rps,
        access.label()
    )
}

/// CPU seconds, and bytes read from storage, of caseflow (sled) and of nats-server (the
/// stream): so far, or during a pass.
#[derive(Clone, Copy)]
struct Usage {
    cpu: (f64, f64),
    disk: (f64, f64),
}

impl Usage {
    fn now(server: &Process) -> Usage {
        let us = Process::this();
        let cpu = (us.seconds(), server.seconds());
        let disk = (us.disk_read_bytes(), server.disk_read_bytes());
        Usage { cpu, disk }
    }

    /// The usage from `self` until now.
    fn since(self, server: &Process) -> Usage {
        let now = Usage::now(server);
        Usage {
            cpu: (now.cpu.0 - self.cpu.0, now.cpu.1 - self.cpu.1),
            disk: (now.disk.0 - self.disk.0, now.disk.1 - self.disk.1),
        }
    }
}

/// One pass over the stream: how long it took and what the two processes used.
struct Pass {
    took: Duration,
    usage: Usage,
}

/// What phase (2) measured.
struct Rebuild {
    /// What memory the machine had left for the page cache when the passes began.
    memory_available_mib: Option<f64>,
    /// The stream's messages, each pass's whole input.
    messages: f64,
    raw: Pass,
    reading: Pass,
    replay: Pass,
}

/// The store the rebuild filled, and its projector.
struct Rebuilt {
    store: Arc<SledStore>,
    projector: Projector,
}

/// (2) Rebuild: a raw consumer, then the projector into an empty store, same stream and
/// batch settings.
async fn rebuild(
    context: &RunContext<'_>,
    log: &EventLog,
    target: u64,
) -> anyhow::Result<(Rebuild, Rebuilt)> {
    // What memory the machine had left for the page cache when the passes began, and what
    // each process read from disk during each pass (what was not in the page cache).
    let memory_available_mib = available_memory_mib();
    let raw = raw_pass(log, target, context).await?;
    let mut config = context.config.clone();
    config.projector.batch_size = context.plan.batch_size;
    let reading = reading_pass(&config, log, target, context).await?;
    let (replay, rebuilt) = replay_pass(&config, log, target, context).await?;
    let rebuild = Rebuild {
        memory_available_mib,
        messages: target as f64,
        raw,
        reading,
        replay,
    };
    Ok((rebuild, rebuilt))
}

/// A raw consumer reading the whole stream, doing nothing else.
async fn raw_pass(log: &EventLog, target: u64, context: &RunContext<'_>) -> anyhow::Result<Pass> {
    let before = Usage::now(&context.server);
    let took = raw_consume(log, target, context.plan.batch_size).await?;
    Ok(Pass {
        took,
        usage: before.since(&context.server),
    })
}

/// The projector's reading alone (pulling, decoding, validating into its backlog), storing
/// and deriving nothing: the most the replay could reach with reading as it is.
async fn reading_pass(
    config: &Config,
    log: &EventLog,
    target: u64,
    context: &RunContext<'_>,
) -> anyhow::Result<Pass> {
    let store = Arc::new(SledStore::open(
        &context.dir.join("read-only"),
        &config.sled_settings(),
    )?);
    let projector = app::projector(config, store);
    let before = Usage::now(&context.server);
    let t0 = Instant::now();
    let mut read = 0;
    projector
        .read_only(log, target, |backlog| read += backlog.len())
        .await?;
    let took = t0.elapsed();
    let usage = before.since(&context.server);
    anyhow::ensure!(
        read as u64 == target,
        "the read-only pass read {read} of {target} messages"
    );
    Ok(Pass { took, usage })
}

/// A fresh projector replaying the whole stream into an empty store.
async fn replay_pass(
    config: &Config,
    log: &EventLog,
    target: u64,
    context: &RunContext<'_>,
) -> anyhow::Result<(Pass, Rebuilt)> {
    let store = Arc::new(SledStore::open(
        &context.dir.join("rebuild"),
        &config.sled_settings(),
    )?);
    let projector = app::projector(config, store.clone());
    let (stop, stop_rx) = watch::channel(false);
    let task_log = log.clone();
    let task_projector = projector.clone();
    let before = Usage::now(&context.server);
    let t0 = Instant::now();
    let task = tokio::spawn(async move { task_projector.run(&task_log, stop_rx).await });
    wait_until_applied(&*store, target, Duration::from_secs(3600), |_| {})
        .await
        .context("the rebuild did not finish within an hour")?;
    let took = t0.elapsed();
    let usage = before.since(&context.server);
    let _ = stop.send(true);
    task.await?;
    Ok((Pass { took, usage }, Rebuilt { store, projector }))
}

impl Rebuild {
    fn record(&self, results: &mut Results) {
        let Rebuild {
            memory_available_mib,
            messages,
            raw,
            reading,
            replay,
        } = self;
        if let Some(mib) = *memory_available_mib {
            results.record("memory available before the rebuild passes", "MiB", mib);
        }
        let raw_rate = messages / raw.took.as_secs_f64();
        let replay_rate = messages / replay.took.as_secs_f64();
        results.record(
            "rebuild: projector replay into empty store",
            "events/s",
            replay_rate,
        );
        results.record(
            "rebuild: raw JetStream consumer, same stream and batch",
            "events/s",
            raw_rate,
        );
        results.record(
            "rebuild: projector / raw consumer (same run)",
            "%",
            100.0 * replay_rate / raw_rate,
        );
        results.record(
            "rebuild: projector's reading alone / raw consumer (same run)",
            "%",
            100.0 * raw.took.as_secs_f64() / reading.took.as_secs_f64(),
        );
        // Where the time goes: CPU per event of this process and of nats-server, and the ratio
        // the projector would reach with its CPU (and nats-server's) spread over every core,
        // waiting for nothing.
        let per_event = |seconds: f64| 1e6 * seconds / messages;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let passes = [
            ("raw consumer", raw.usage),
            ("projector's reading alone", reading.usage),
            ("projector", replay.usage),
        ];
        for (pass, usage) in passes {
            results.record(
                &format!("rebuild CPU: {pass}, caseflow per event"),
                "µs",
                per_event(usage.cpu.0),
            );
            results.record(
                &format!("rebuild CPU: {pass}, nats-server per event"),
                "µs",
                per_event(usage.cpu.1),
            );
        }
        for (pass, usage) in passes {
            let mib = |b: f64| b / (1024.0 * 1024.0);
            results.record(
                &format!("rebuild disk reads: {pass}, caseflow"),
                "MiB",
                mib(usage.disk.0),
            );
            results.record(
                &format!("rebuild disk reads: {pass}, nats-server"),
                "MiB",
                mib(usage.disk.1),
            );
        }
        results.record(
            "rebuild: projector / raw if its CPU were spread over every core",
            "%",
            100.0 * raw.took.as_secs_f64() / ((replay.usage.cpu.0 + replay.usage.cpu.1) / cores),
        );
    }
}

/// What phase (4) measured: milliseconds per apply.
struct Applies {
    same_day: Series,
    back_dated: Series,
}

/// (4) Back-dated vs same-day: alternate single-event applies on the rebuilt store.
async fn back_dated_vs_same_day(
    context: &RunContext<'_>,
    rebuilt: &Rebuilt,
) -> anyhow::Result<Applies> {
    let RunContext { plan, workload, .. } = context;
    let back = add_months(workload.today, -36);
    let (mut same_day, mut back_dated) = (Series::default(), Series::default());
    let mut rejected = 0;
    for i in 0..plan.applies {
        for (kind, day) in [("same", workload.today), ("back", back)] {
            let message = synthetic(
                workload,
                &format!("bench-{kind}-{i}"),
                day,
                rebuilt.store.as_ref(),
            )?;
            let p = rebuilt.projector.clone();
            let t = Instant::now();
            let report = tokio::task::spawn_blocking(move || p.apply(&[message])).await??;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            rejected += report.rejected;
            if kind == "same" {
                same_day.push(ms);
            } else {
                back_dated.push(ms);
            }
        }
    }
    anyhow::ensure!(
        rejected == 0,
        "{rejected} synthetic events were rejected: the back-dated measurement is not valid"
    );
    Ok(Applies {
        same_day,
        back_dated,
    })
}

impl Applies {
    fn record(&self, results: &mut Results) {
        results.record(
            "apply one same-day event (busiest child)",
            "ms",
            self.same_day.median(),
        );
        results.record(
            "apply one event dated 3 years back (busiest child)",
            "ms",
            self.back_dated.median(),
        );
        results.record(
            "back-dated / same-day apply (same run)",
            "ratio",
            self.back_dated.median() / self.same_day.median(),
        );
    }
}

/// An event for the busiest child, occurring on `day`, recorded at noon today.
fn synthetic(
    workload: &Workload,
    id: &str,
    day: time::Date,
    store: &SledStore,
) -> anyhow::Result<LogMessage> {
    let mut json = workload.child_template.clone();
    let object = json
        .as_object_mut()
        .context("the template event is not a JSON object")?;
    object.insert("eventId".to_owned(), id.into());
    object.insert("occurredOn".to_owned(), format_day(day).into());
    object.insert(
        "recordedAt".to_owned(),
        format!("{}T12:00:00Z", format_day(workload.today)).into(),
    );
    Ok(LogMessage {
        sequence: store.applied_sequence()? + 1,
        subject: workload.child_subject.clone(),
        payload: serde_json::to_vec(&json)?.into(),
        content_type: Some("application/json".to_owned()),
        published: time::OffsetDateTime::now_utc(),
        message_id: None,
        pending: 0,
    })
}

/// Reads the stream from the start with the projector's batch settings, doing nothing else.
async fn raw_consume(log: &EventLog, target: u64, batch: usize) -> anyhow::Result<Duration> {
    let t0 = Instant::now();
    let stream = log.read_from(1, batch).await?;
    let mut chunks = std::pin::pin!(stream.ready_chunks(batch));
    let mut last = 0;
    while last < target {
        let chunk = chunks.next().await.context("the stream ended")?;
        for m in chunk {
            last = m?.sequence;
        }
    }
    Ok(t0.elapsed())
}

/// The two queries measured.
#[derive(Clone)]
enum Query {
    Scorecard { la: String, month: String },
    Series { la: String },
}

impl Query {
    fn name(&self) -> &'static str {
        match self {
            Query::Scorecard { .. } => "GetScorecard",
            Query::Series { .. } => "GetSeries 6.7",
        }
    }

    async fn call(&self, client: &mut FiguresClient<Authed>) -> anyhow::Result<()> {
        match self {
            Query::Scorecard { la, month } => {
                client
                    .get_scorecard(v2::GetScorecardRequest {
                        la: la.clone(),
                        month: month.clone(),
                        ..Default::default()
                    })
                    .await?;
            }
            Query::Series { la } => {
                client
                    .get_series(v2::GetSeriesRequest {
                        la: la.clone(),
                        indicator: SERIES_INDICATOR.to_owned(),
                        ..Default::default()
                    })
                    .await?;
            }
        }
        Ok(())
    }
}

/// Latencies (ms, sorted) and the achieved rate of one load measurement.
struct Load {
    latencies: Vec<f64>,
    rps: f64,
    dropped: usize,
    /// Requests answered with an error (only [`paced_loop`] counts them).
    failed: usize,
}

impl Load {
    fn new(mut latencies: Vec<f64>, elapsed: Duration, dropped: usize) -> Load {
        latencies.sort_by(f64::total_cmp);
        let rps = latencies.len() as f64 / elapsed.as_secs_f64();
        Load {
            latencies,
            rps,
            dropped,
            failed: 0,
        }
    }

    /// The nearest-rank percentile.
    fn p(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = (q * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

/// `plan.clients` clients, each on its own connection, sending one request after another
/// until `plan.requests` are done (or `plan.max_duration` has passed).
async fn closed_loop(grpc: &str, query: &Query, plan: &Plan) -> anyhow::Result<Load> {
    let mut clients = Vec::new();
    for _ in 0..plan.clients {
        let mut client = Server::plain(grpc).await?.figures();
        query.call(&mut client).await?; // warm the connection
        clients.push(client);
    }
    let per_client = plan.requests.div_ceil(plan.clients);
    let deadline = Instant::now() + plan.max_duration;
    let t0 = Instant::now();
    let tasks = clients.into_iter().map(|mut client| async move {
        let mut latencies = Vec::with_capacity(per_client);
        for _ in 0..per_client {
            if Instant::now() > deadline {
                break;
            }
            let t = Instant::now();
            query.call(&mut client).await?;
            latencies.push(t.elapsed().as_secs_f64() * 1e3);
        }
        anyhow::Ok(latencies)
    });
    let mut all = Vec::with_capacity(plan.requests);
    for latencies in futures::future::join_all(tasks).await {
        all.extend(latencies?);
    }
    Ok(Load::new(all, t0.elapsed(), 0))
}

/// How long the open loop waits for answers after the last request was due.
const OPEN_LOOP_GRACE: Duration = Duration::from_secs(5);

/// Requests sent at a fixed rate for a fixed time, whatever the responses do; latency counts
/// from when each request was due (no coordinated omission). The pacing runs on its own OS
/// thread with `std::thread::sleep` (tokio's timer has a 1 ms granularity, which would add up
/// to a millisecond of the generator's own lag to every latency). At most 512 in flight:
/// beyond that a due request is not sent; requests unanswered [`OPEN_LOOP_GRACE`] after the
/// last was due are abandoned. Both are counted as not completed. One connection (made, and
/// its TLS handshake done, before the clock starts), shared by every request: the bearer token,
/// if any, goes with each. A failed request fails the loop.
async fn open_loop(
    connection: &Connection,
    config: &Config,
    query: &Query,
    plan: &Plan,
) -> anyhow::Result<Load> {
    let pace = Pace {
        rps: plan.open_rps,
        duration: plan.open_duration,
        clients: plan.clients,
        stop: None,
    };
    let load = paced_loop(connection, config, query, pace).await?;
    anyhow::ensure!(load.failed == 0, "{} requests failed", load.failed);
    Ok(load)
}

/// The rate and length of a [`paced_loop`].
struct Pace {
    rps: u64,
    /// The longest it sends for.
    duration: Duration,
    /// Clients over the one connection, taking requests in turn.
    clients: usize,
    /// Set: it stops sending (the requests already sent are still awaited).
    stop: Option<Arc<AtomicBool>>,
}

/// The open loop of [`open_loop`], at `pace`; failed requests are counted in [`Load::failed`]
/// and left out of the percentiles.
async fn paced_loop(
    connection: &Connection,
    config: &Config,
    query: &Query,
    pace: Pace,
) -> anyhow::Result<Load> {
    const MAX_IN_FLIGHT: usize = 512;
    let server = Server::connect(connection, config).await?;
    let mut clients: Vec<FiguresClient<Authed>> =
        (0..pace.clients.max(1)).map(|_| server.figures()).collect();
    query.call(&mut clients[0]).await?;
    let query = Arc::new(query.clone());
    let total = (pace.rps as f64 * pace.duration.as_secs_f64()) as u64;
    let interval = Duration::from_secs_f64(1.0 / pace.rps as f64);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let runtime = tokio::runtime::Handle::current();
    let stop = pace.stop;
    let t0 = Instant::now();
    let pacer = std::thread::spawn(move || {
        let mut handles = Vec::with_capacity(total.min(1 << 20) as usize);
        let mut dropped = 0;
        for i in 0..total {
            if stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
                break;
            }
            let due = t0 + interval * u32::try_from(i).unwrap_or(u32::MAX);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                dropped += 1;
                continue;
            };
            let mut client = clients[i as usize % clients.len()].clone();
            let query = query.clone();
            handles.push(runtime.spawn(async move {
                let result = query.call(&mut client).await;
                drop(permit);
                result.map(|()| due.elapsed().as_secs_f64() * 1e3)
            }));
        }
        (handles, dropped)
    });
    let (handles, mut dropped) = tokio::task::spawn_blocking(move || pacer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the open-loop pacer panicked"))?;
    // Requests still unanswered this long after the last was due are abandoned and counted.
    let give_up = tokio::time::Instant::now() + OPEN_LOOP_GRACE;
    let mut latencies = Vec::with_capacity(handles.len());
    let mut failed = 0;
    for mut h in handles {
        match tokio::time::timeout_at(give_up, &mut h).await {
            Ok(joined) => match joined? {
                Ok(ms) => latencies.push(ms),
                Err(_) => failed += 1,
            },
            Err(_) => {
                h.abort();
                dropped += 1;
            }
        }
    }
    let elapsed = t0.elapsed();
    let mut load = Load::new(latencies, elapsed, dropped);
    load.failed = failed;
    Ok(load)
}

/// Waits until `processes` together use less than a tenth of a core over a quarter of a
/// second (at most [`QUIET_AT_MOST`]); how long it waited.
async fn until_quiet(processes: &[Process]) -> Duration {
    let window = Duration::from_millis(250);
    let cpu = || processes.iter().map(Process::seconds).sum::<f64>();
    let t0 = Instant::now();
    let mut before = cpu();
    while t0.elapsed() < QUIET_AT_MOST {
        tokio::time::sleep(window).await;
        let now = cpu();
        if now - before < 0.1 * window.as_secs_f64() {
            break;
        }
        before = now;
    }
    t0.elapsed()
}

/// The longest [`until_quiet`] waits.
const QUIET_AT_MOST: Duration = Duration::from_secs(60);

/// A process, for its CPU time and disk reads, from /proc.
#[derive(Clone)]
struct Process {
    pid: String,
}

impl Process {
    fn this() -> Process {
        Process {
            pid: "self".to_owned(),
        }
    }

    /// Seconds of CPU so far (0 where /proc cannot tell): `utime` and `stime` of
    /// /proc/<pid>/stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
    fn seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // The fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        // utime and stime are the 14th and 15th fields; the 3rd is the first after ")".
        match (ticks(11), ticks(12)) {
            (Some(user), Some(system)) => (user + system) / 100.0,
            _ => 0.0,
        }
    }

    /// Bytes the process has caused to be read from storage so far (`read_bytes` of
    /// /proc/<pid>/io; 0 where /proc cannot tell).
    fn disk_read_bytes(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/io", self.pid))
            .ok()
            .and_then(|io| {
                io.lines()
                    .find_map(|l| l.strip_prefix("read_bytes:"))
                    .and_then(|v| v.trim().parse::<f64>().ok())
            })
            .unwrap_or(0.0)
    }
}

/// MemAvailable of /proc/meminfo, in MiB.
fn available_memory_mib() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Resets the kernel's peak-RSS mark of this process (Linux: `5` to /proc/self/clear_refs).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// VmHWM of this process, in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `nproc`, CPU model, memory, rustc and the build profile.
fn machine() -> Vec<(&'static str, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0)),
        );
    let command_output = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map_or_else(
                || "unknown".to_owned(),
                |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            )
    };
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    vec![
        ("CPUs (nproc)", nproc.to_string()),
        ("CPU model", cpu),
        ("memory", memory),
        ("OS", command_output("uname", &["-sr"])),
        ("rustc", command_output("rustc", &["-V"])),
        ("nats-server", command_output("nats-server", &["--version"])),
        (
            "build profile",
            if cfg!(debug_assertions) {
                "debug".to_owned()
            } else {
                "release".to_owned()
            },
        ),
    ]
}

/// A figure's median with its spread (min-max) when there is more than one run.
fn spread(s: &Series) -> String {
    if s.0.len() > 1 {
        format!(
            "{} ({}-{})",
            fmt_value(s.median()),
            fmt_value(s.min()),
            fmt_value(s.max())
        )
    } else {
        fmt_value(s.median())
    }
}

fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        "-".to_owned()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The headline figures of each scenario, side by side: how each grows with the work.
const CURVE: &[(&str, &str)] = &[
    ("ingest: publish-to-projected", "ingest, events/s"),
    (
        "rebuild: projector replay into empty store",
        "rebuild, events/s",
    ),
    (
        "rebuild: projector / raw consumer (same run)",
        "rebuild / raw, %",
    ),
    (
        "rebuild: projector / raw if its CPU were spread over every core",
        "rebuild / raw if no core idles, %",
    ),
    (
        "rebuild: projector's reading alone / raw consumer (same run)",
        "reading alone / raw, %",
    ),
    (
        "GetScorecard p99 (8 clients, closed loop)",
        "scorecard p99, ms (closed)",
    ),
    (
        "GetScorecard p99 (open loop at 1000 rps)",
        "scorecard p99, ms (1000 rps)",
    ),
    (
        "GetScorecard p99 (open loop at 1000 rps, TLS + JWT)",
        "scorecard p99, ms (1000 rps, TLS + JWT)",
    ),
    (
        "GetScorecard p99 at 1000 rps, TLS + JWT / plaintext (same run)",
        "TLS + JWT / plaintext, p99",
    ),
    (
        "GetSeries 6.7 p99 (8 clients, closed loop)",
        "series p99, ms",
    ),
    (
        "apply one same-day event (busiest child)",
        "same-day apply, ms",
    ),
    (
        "apply one event dated 3 years back (busiest child)",
        "back-dated apply, ms",
    ),
    (
        "sled disk bytes per million events stored",
        "sled MiB / M events",
    ),
    (
        "peak RSS of the caseflow process during ingest (first run)",
        "peak RSS, MiB",
    ),
];

/// The BENCHMARKS.md text: its generated sections, then the hand-written part (`kept`).
fn document(
    options: &BenchOptions,
    plan: &Plan,
    measured: &[Measured],
    served: &[ServerMeasured],
    peak_rss_mib: Option<f64>,
    took: Duration,
    kept: Option<String>,
) -> String {
    let mut out = String::new();
    write_header(&mut out, options, took);
    write_machine(&mut out);
    write_workload(&mut out, plan);
    if !measured.is_empty() {
        write_scale_curve(&mut out, measured, peak_rss_mib);
        write_secured(&mut out, plan, measured);
    }
    server::write_server(&mut out, plan, served);
    write_scenario_results(&mut out, measured);
    write_micro_benchmarks(&mut out);
    write_how_measured(&mut out, plan);
    write_not_measured(&mut out, plan);
    write_kept(&mut out, kept);
    out
}

/// The title, when and how the document was generated, and the commands that regenerate it.
fn write_header(out: &mut String, options: &BenchOptions, took: Duration) {
    let mode = if options.quick { "quick" } else { "full" };
    let mut command = format!(
        "cargo run --release -p caseflow-bench --{}",
        if options.quick { " --quick" } else { "" }
    );
    if options.runs != 0 {
        let _ = write!(command, " --runs {}", options.runs);
    }
    if !options.authorities.is_empty() {
        let list: Vec<String> = options.authorities.iter().map(|n| n.to_string()).collect();
        let _ = write!(command, " --authorities {}", list.join(","));
    }
    if options.server_only {
        let _ = write!(command, " --server-only");
    }
    if !options.cache_mib.is_empty() {
        let list: Vec<String> = options.cache_mib.iter().map(|n| n.to_string()).collect();
        let _ = write!(command, " --cache-mib {}", list.join(","));
    }
    if !options.defer_up_to.is_empty() {
        let list: Vec<String> = options.defer_up_to.iter().map(|n| n.to_string()).collect();
        let _ = write!(command, " --defer-up-to {}", list.join(","));
    }
    if !options.deriving_nice.is_empty() {
        let list: Vec<String> = options
            .deriving_nice
            .iter()
            .map(|n| n.to_string())
            .collect();
        let _ = write!(command, " --deriving-nice {}", list.join(","));
    }
    let _ = write!(command, " --out {}", options.out.display());
    let _ = writeln!(out, "# caseflow benchmarks\n");
    let _ = writeln!(
        out,
        "Generated by `caseflow-bench` ({mode} mode) on {} UTC; the whole run took {:.0} s.\n",
        time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        took.as_secs_f64()
    );
    let _ = writeln!(out, "## Commands\n");
    let _ = writeln!(out, "```sh");
    let _ = writeln!(out, "cargo build --release -p caseflow -p caseflow-bench");
    let _ = writeln!(out, "{command}");
    let _ = writeln!(
        out,
        "just bench        # micro-benchmarks, then 5 years at 1, 10 and 150 authorities"
    );
    let _ = writeln!(
        out,
        "just bench-quick  # micro-benchmarks, then 1 year at 1 and 10 authorities"
    );
    let _ = writeln!(out, "```\n");
    let _ = writeln!(
        out,
        "`nats-server` must be on `PATH` (`./dev bench` sees to it). The server measured as a \
         process is the release `caseflow` binary beside `caseflow-bench`, built with it.\n"
    );
}

/// The machine the figures were measured on.
fn write_machine(out: &mut String) {
    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    for (k, v) in machine() {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    let _ = writeln!(out);
}

/// What is simulated, appended and measured.
fn write_workload(out: &mut String, plan: &Plan) {
    let _ = writeln!(out, "## Workload\n");
    let _ = writeln!(
        out,
        "- One authority: the simulator's authority {LA} (`SimConfig::like_seed({SEED}, \"{LA}\")`); \
         several: `SimConfig::many({SEED}, n)`, one calibrated authority after another in the \
         stream. The last {} year(s) of history, as published (late, re-sent, corrected and a \
         few invalid events included), appended raw (unvalidated) with {} appends in flight.",
        plan.years, plan.in_flight
    );
    let _ = writeln!(
        out,
        "- \"Today\" is fixed five days after the simulation ends; the indicator settings and \
         scorecard targets are the shipped ones (`deploy/caseflow.toml`, \
         `deploy/scorecard-2018-19.toml`), as in the demo."
    );
    let _ = writeln!(
        out,
        "- Each run starts from nothing: a fresh embedded `nats-server` (file storage) and a \
         fresh sled store in a temporary directory. The projector batch size is {}.",
        plan.batch_size
    );
    let _ = writeln!(
        out,
        "- Every figure is the median of the scenario's runs, with the spread (min-max) over \
         the runs. Ratios are computed within each run, then summarised the same way. The \
         150-authority scenario runs once (about 20 minutes here), so it has no spread.\n"
    );
}

/// The headline figures of each scenario, side by side ([`CURVE`]).
fn write_scale_curve(out: &mut String, measured: &[Measured], peak_rss_mib: Option<f64>) {
    let _ = writeln!(out, "## Scale curve\n");
    let _ = writeln!(
        out,
        "Medians per scenario (JetStream syncing periodically except the first row). Latencies \
         are measured against the first authority of the workload.\n"
    );
    let mut header = "| scenario | events |".to_owned();
    let mut rule = "|---|---:|".to_owned();
    for (_, short) in CURVE {
        let _ = write!(header, " {short} |");
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for m in measured {
        let mut row = format!("| {} | {} |", m.scenario.title(), m.events);
        for (name, _) in CURVE {
            let _ = write!(row, " {} |", fmt_value(m.results.get(name).median()));
        }
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out);
    if let Some(mib) = peak_rss_mib {
        let _ = writeln!(
            out,
            "Peak RSS of the caseflow process over the whole bench: {} MiB.\n",
            fmt_value(mib)
        );
    }
}

/// The scorecard at 1,000 rps, plaintext and secured, side by side with the ratios.
fn write_secured(out: &mut String, plan: &Plan, measured: &[Measured]) {
    let _ = writeln!(
        out,
        "## Scorecard at {} rps: plaintext and secured\n",
        plan.open_rps
    );
    let _ = writeln!(
        out,
        "`GetScorecard` in open loops at {} rps over one reused connection: plaintext, then TLS \
         with a bearer JWT (ES256) or a service token on every call (see \"How each figure is \
         measured\", 3). Medians over the open loops, with the spread (min-max); the ratios are \
         of loops run one after the other in the same run. The target: p99 with TLS and token \
         checks within 20% of plaintext (ratio <= 1.20).\n",
        plan.open_rps
    );
    let _ = writeln!(
        out,
        "| scenario | access | p50, ms | p99, ms | p999, ms | not completed | p50 / plaintext | p99 / plaintext |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
    for m in measured {
        for access in ACCESSES {
            let what = format!("open loop at {} rps{}", plan.open_rps, access.suffix());
            let get = |q: &str| m.results.get(&format!("GetScorecard {q} ({what})"));
            let ratio = |q: &str| match access {
                Access::Plaintext => "1".to_owned(),
                _ => spread(&m.results.get(&secured_ratio_name(q, access, plan))),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                m.scenario.title(),
                access.label(),
                spread(&get("p50")),
                spread(&get("p99")),
                spread(&get("p999")),
                fmt_value(
                    get("not completed: not sent or abandoned")
                        .0
                        .iter()
                        .sum::<f64>()
                ),
                ratio("p50"),
                ratio("p99"),
            );
        }
    }
    let _ = writeln!(out);
}

/// Every figure of each scenario: median, spread and runs.
fn write_scenario_results(out: &mut String, measured: &[Measured]) {
    for m in measured {
        let _ = writeln!(out, "## Results: {}\n", m.scenario.title());
        let _ = writeln!(
            out,
            "{} events; queries to authority {}; back-dated events for {} ({} events).\n",
            m.events, m.la, m.child_subject, m.child_events
        );
        write_results_table(out, &m.results);
    }
}

/// Every figure of `results`: median, spread and runs.
fn write_results_table(out: &mut String, results: &Results) {
    let _ = writeln!(out, "| Figure | Median | Min | Max | Unit | Runs |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|---:|");
    for (name, unit) in &results.order {
        let s = results.get(name);
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {unit} | {} |",
            fmt_value(s.median()),
            fmt_value(s.min()),
            fmt_value(s.max()),
            s.0.len()
        );
    }
    let _ = writeln!(out);
}

/// The Criterion micro-benchmarks' results, read from the target directory.
fn write_micro_benchmarks(out: &mut String) {
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let micro = crate::micro::read_results(&target_dir.join("criterion"));
    let _ = writeln!(out, "{}", crate::micro::markdown(&micro));
}

/// How each figure is measured.
fn write_how_measured(out: &mut String, plan: &Plan) {
    let _ = writeln!(out, "## How each figure is measured\n");
    let _ = writeln!(
        out,
        "1. **Ingest, end to end**: the server (`app::start`: projector and gRPC) runs against the \
         embedded NATS; the clock starts before the first append and stops when the store's \
         applied sequence (figures derived, visible to queries) reaches the stream's last \
         sequence (polled every 5 ms). \"Publish only\" is the time until every append was \
         acknowledged."
    );
    let _ = writeln!(
        out,
        "2. **Rebuild**: after the server stops, in the same run, a raw consumer reads the whole \
         stream (`EventLog::read_from(1, {b})` in chunks of {b}, doing nothing else); then the \
         projector's reading alone (`Projector::read_only`: the same pulling ahead, decoding and \
         validating into its backlog, storing and deriving nothing), the most a replay that \
         reads as the projector does could reach; then a fresh projector (`Projector::run`, \
         batch {b}) replays the same stream into an empty sled store, until its applied \
         sequence reaches the end. The ratio is projector \
         events/s over raw events/s; the target is >= 80%. CPU time (user + system, from \
         /proc, in 10 ms ticks) of this process and of nats-server is read around each, per \
         event; \"if its CPU were spread over every core\" is the raw consumer's time over the \
         two processes' CPU during the replay divided by the cores: the ratio a projector doing \
         the same work would reach if it never left a core idle. The memory available \
         (MemAvailable) when the passes begin and what caseflow (sled) and nats-server (the \
         stream) read from storage during each (`read_bytes` of /proc/<pid>/io: what was not \
         in the page cache) are recorded with them.",
        b = plan.batch_size
    );
    let _ = writeln!(
        out,
        "3. **Queries**, on loopback against the running server after ingest, once caseflow and \
         nats-server together use less than a tenth of a core over a quarter of a second (the \
         ingest leaves sled writing back and cleaning segments; the wait, at most 60 s, is \
         reported): a closed loop of \
         {} tonic clients (one HTTP/2 connection each) sends {} requests in all (stopping early \
         after {} s), one after another per client; latency is per request, throughput is \
         requests over the wall time. Then an open loop sends `GetScorecard` at {} rps for {} s \
         over one connection, latency counted from when each request was due; requests due \
         while 512 are in flight are not sent, and those unanswered {} s after the last was due \
         are abandoned; both are counted as not completed and left out of the percentiles. \
         `GetScorecard` asks for the authority's last complete month; `GetSeries` for \
         indicator {SERIES_INDICATOR}'s default twelve months. The target is scorecard p99 < 2 \
         ms at 1,000 rps. The open loop runs at least three times per scenario (a scenario run \
         once repeats it), each one sample. The first query after the projector applies a batch (or the day \
         moves) reloads the authority's figures from sled; the others are answered from \
         memory, so these are settled-store latencies. Each open loop is run three ways, one \
         after the other (the order rotated from run to run): plaintext against the server \
         above; and over TLS, each call carrying `authorization: Bearer` with a JWT (ES256, the \
         figures role for the authority) or with a service token (the same grant), against a \
         second gRPC server in the same process, on the same store and stream \
         (`caseflow_server::serve` with TLS and authentication as `caseflow dev-token` \
         configures them: a server certificate from a local CA, tokens checked against a JWKS \
         file; the service token's hash in `auth.service_tokens`). The connection is made, TLS \
         handshake included, and one call answered before the clock starts, so the secured \
         loops measure TLS record encryption and the check of the token on every call (the \
         server keeps a verified JWT until it expires; a service token is looked up by its \
         SHA-256). The ratios secured / plaintext compare loops of the same round.",
        plan.clients,
        plan.requests,
        plan.max_duration.as_secs(),
        plan.open_rps,
        plan.open_duration.as_secs(),
        OPEN_LOOP_GRACE.as_secs()
    );
    let _ = writeln!(
        out,
        "4. **Back-dated event cost**: on the rebuilt store, `Projector::apply` of one event for \
         the child with the most events, alternately dated today and three years back, {} of \
         each per run; each figure is the median of those applies, and the ratio is of the two \
         medians in the same run. Each apply is one atomic, flushed store batch. The projector \
         re-derives an affected child from its whole history whatever the event's date, so the \
         two are expected to cost about the same.",
        plan.applies
    );
    let _ = writeln!(
        out,
        "5. **Disk and memory**: `SledStore::size_on_disk` after ingest over the events stored, \
         scaled to a million; peak RSS is the caseflow process's `VmHWM` from /proc/self/status \
         during the scenario's first ingest (reset just before it through \
         /proc/self/clear_refs where allowed). It includes the simulated events held in memory \
         and the load generator, and excludes nats-server, a separate process: the server's \
         own memory is measured in 6."
    );
    let _ = writeln!(
        out,
        "6. **The server as a process**: the bench writes a configuration file (the workload's \
         settings as above, a data directory of the run's own, ephemeral NATS and gRPC ports, \
         batch {b}, sled's page cache `store.cache_capacity_mib` as the scenario says) and \
         spawns the release `caseflow serve` beside `caseflow-bench` with it and no \
         `CASEFLOW_*` variables; serve starts its embedded nats-server (a child process, \
         `sync_interval: always`). The bench publishes every event of the workload to it over \
         NATS ({f} appends in flight) and waits until `GetStatus` reports the stream's last \
         sequence applied. Memory is read from /proc/<pid>/status of caseflow and of its \
         nats-server apart: the peak is `VmHWM` at the end of the run's queries (the process's \
         peak since it started; never below `VmRSS` sampled every {rss} ms); the steady RSS is \
         `VmRSS` once the two processes are quiet after ingest (as in 3). After the settled \
         loop of 7, the bench asks for one scorecard of every authority of the workload: the \
         query service keeps each one's figures, and caseflow's `VmRSS` growth over the \
         authorities beyond the first (already loaded) is \"RSS per authority queried\". Disk is the length of \
         the files under `<data_dir>/store` (sled) and `<data_dir>/nats` (the JetStream store \
         with nats-server's generated configuration) after serve has stopped, over the \
         messages in the stream, scaled to a million. Each scenario runs as often as the \
         in-process scenario of its scale (the tables' Runs column), each run on a new data \
         directory.",
        b = plan.batch_size,
        f = plan.in_flight,
        rss = server::RSS_EVERY.as_millis(),
    );
    let _ = writeln!(
        out,
        "7. **Queries while ingesting**: from the start of publishing until the last event is \
         applied, open loops as in 3 (one connection, {c} clients, latency from when each \
         request was due) alternate between `GetScorecard` and `GetSeries`, {d} s each at {rps} \
         rps (the last cut short when ingest ends); each query's latencies are pooled over its \
         loops. Until the queried authority has figures a loop that fails is retried; once one \
         has answered, failed requests are counted (with those not sent or abandoned) and left \
         out of the percentiles. \"Published\" is the events over the time until every append \
         was acknowledged: the fastest rate the server takes with every write synced, since the \
         publisher waits for nothing else. **Publish-to-visible**: about {v} events spread \
         evenly over the workload are followed; an event's publish moment is when the \
         publisher has sent it (the client takes the next event only once the previous one is \
         written to its connection); it is visible at the first `GetStatus` answer (polled \
         every {sp} ms on one connection, alongside the queries) whose applied sequence \
         reaches the event's stream sequence, read from its acknowledgement (events JetStream \
         dropped as duplicates are not followed). Figures, scorecards and series all read the \
         store as of the applied sequence, so that is when a query first sees the event. The \
         poll interval and one `GetStatus` round trip are included. Once ingest is over and the \
         processes are quiet, the scorecard's open loop runs once more alone ({d} s): \
         \"during / settled\" is the ratio of the two p99s of the same run. The targets: \
         scorecard p99 < 2 ms and publish-to-visible p99 < 1 s.",
        c = plan.clients,
        d = plan.open_duration.as_secs(),
        rps = plan.open_rps,
        v = server::VISIBLE_SAMPLES,
        sp = server::STATUS_EVERY.as_millis(),
    );
    let _ = writeln!(
        out,
        "8. **Restart**: serve is stopped with SIGTERM (\"SIGTERM to exit\" is until it has \
         exited: the projector stops at a consistent point, sled is flushed and checkpointed \
         (closed and opened again, which writes its recovery snapshot), its nats-server \
         stops); then the same binary is spawned again on the same data directory and \
         configuration. The clock starts at the spawn and stops at the first `GetScorecard` \
         (the authority's last complete month) answered without error, asked every \
         millisecond on one connection once serve says where it listens. The figure includes \
         starting nats-server on the stored stream, opening sled, and loading the authority's \
         figures for that first answer. The target: under 5 s with 12 million events stored, \
         as the 150-authority scenario has.\n"
    );
}

/// What the figures leave out.
fn write_not_measured(out: &mut String, plan: &Plan) {
    let _ = writeln!(out, "## Not measured\n");
    let _ = writeln!(
        out,
        "- Query latency while ingest is running with periodic syncs, or over TLS with tokens \
         (7 measures plaintext, as shipped, every write synced).\n\
         - The server's memory under queries to many authorities at once: the open loops query \
         one; every authority is asked once only (6).\n\
         - A restart after a crash (SIGKILL: the reliability tests cover its correctness, not \
         its time), or with events published while serve was down.\n\
         - The open loop at rates other than {} rps.\n\
         - TLS handshakes and the first verification of a JWT's signature (the clients reuse \
         their connection and token, as a reporting tool would); mutual TLS; the audit trail \
         (`GetScorecard` returns aggregate figures, which are not audited).\n",
        plan.open_rps
    );
}

/// The marker, then the hand-written part kept from the previous document (or its first
/// heading).
fn write_kept(out: &mut String, kept: Option<String>) {
    let _ = writeln!(out, "{KEPT_MARKER}");
    match kept {
        Some(k) => out.push_str(k.trim_start_matches('\n')),
        None => {
            let _ = writeln!(out, "\n## Improvements, before and after\n");
        }
    }
}
