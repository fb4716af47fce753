//! The server measured as the server: the release `caseflow serve` binary as a child process,
//! with its own data directory and embedded nats-server (JetStream syncing every write, as
//! shipped) and a configuration written here, fed by this process. It measures the server's
//! memory (caseflow and its nats-server apart) and disk per million events, queries and the
//! publish-to-visible delay while events arrive as fast as the server takes them, and the
//! time from a restart on the stored events to the first answered query.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use caseflow::client::{Connection, Server};
use caseflow_domain::Month;
use caseflow_domain::calendar::format_day;
use caseflow_log::EventLog;
use caseflow_proto::v2;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{
    Load, Pace, Plan, Process, Query, REPORT_SCORECARD, Results, SIM_AUTHORITIES, Workload,
    fmt_value, paced_loop, spread, until_quiet, write_results_table,
};

/// One scale point of the server measured as a process.
#[derive(Clone, Debug)]
pub(super) struct ServerScenario {
    pub(super) authorities: usize,
    /// sled's page cache (`store.cache_capacity_mib`).
    pub(super) cache_mib: u64,
    /// `projector.defer_up_to`: the most messages the projector holds before it settles
    /// them while it is behind the stream (None: the shipped 250,000).
    pub(super) defer_up_to: Option<usize>,
    /// `projector.deriving_nice`: how far below the rest of serve subjects are derived
    /// (None: the shipped setting).
    pub(super) deriving_nice: Option<i32>,
    pub(super) runs: usize,
}

/// The shipped `store.cache_capacity_mib`.
pub(super) const SHIPPED_CACHE_MIB: u64 = 256;

impl ServerScenario {
    pub(super) fn title(&self) -> String {
        let mut title = format!(
            "{} authorit{}, `caseflow serve` as a process",
            self.authorities,
            if self.authorities == 1 { "y" } else { "ies" },
        );
        if self.cache_mib != SHIPPED_CACHE_MIB {
            title.push_str(&format!(", sled cache {} MiB", self.cache_mib));
        }
        if let Some(n) = self.defer_up_to {
            title.push_str(&format!(", settling every {n} messages behind"));
        }
        if let Some(n) = self.deriving_nice {
            title.push_str(&format!(", deriving nice {n}"));
        }
        title
    }
}

/// What one server scenario measured.
pub(super) struct ServerMeasured {
    pub(super) scenario: ServerScenario,
    /// Messages in the stream after ingest.
    pub(super) events: usize,
    pub(super) la: String,
    pub(super) results: Results,
}

/// How long `caseflow serve` may take to start listening, and to stop after SIGTERM (a start
/// on 12 million stored events recovers sled and the JetStream stream first).
const START_AT_MOST: Duration = Duration::from_secs(600);
const STOP_AT_MOST: Duration = Duration::from_secs(600);
/// How often the server's memory is sampled, and its applied sequence polled.
pub(super) const RSS_EVERY: Duration = Duration::from_millis(100);
pub(super) const STATUS_EVERY: Duration = Duration::from_millis(5);
/// About this many events are followed from publishing to visible.
pub(super) const VISIBLE_SAMPLES: usize = 5_000;

/// The release `caseflow` binary beside this one: build both together
/// (`cargo build --release -p caseflow -p caseflow-bench`). Building it from here would resolve
/// the workspace's features apart from the bench's and rebuild much of the dependency tree.
pub(super) fn caseflow_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("cannot tell where caseflow-bench runs from")?;
    let binary = me.with_file_name("caseflow");
    anyhow::ensure!(
        binary.is_file(),
        "{} is missing: build it with `cargo build --release -p caseflow -p caseflow-bench`",
        binary.display()
    );
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(server), Some(bench)) = (modified(&binary), modified(&me))
        && server < bench
    {
        eprintln!(
            "bench: {} is older than caseflow-bench; if its code changed since, stop and run \
             `cargo build --release -p caseflow -p caseflow-bench`",
            binary.display()
        );
    }
    Ok(binary)
}

/// Runs every run of `scenario` and returns what it measured.
pub(super) async fn measure(
    plan: &Plan,
    scenario: &ServerScenario,
    mut workload: Workload,
    binary: &Path,
) -> anyhow::Result<ServerMeasured> {
    eprintln!(
        "bench: {}: {} events ({} year(s)), {} run(s)",
        scenario.title(),
        workload.appends.len(),
        plan.years,
        scenario.runs
    );
    let mut results = Results::default();
    let mut events = 0;
    for r in 0..scenario.runs {
        eprintln!("bench: run {} of {}", r + 1, scenario.runs);
        let dir = super::run_dir("caseflow-bench-serve", r)?;
        let appends = workload.appends_for(r, scenario.runs);
        let outcome = one_run(plan, scenario, &workload, appends, binary, &dir).await;
        let _ = std::fs::remove_dir_all(&dir);
        let run = outcome.with_context(|| format!("{}, run {}", scenario.title(), r + 1))?;
        events = run.events;
        run.record(&mut results, plan.open_rps);
    }
    Ok(ServerMeasured {
        scenario: scenario.clone(),
        events,
        la: workload.la.clone(),
        results,
    })
}

/// The configuration file of a run: the workload's settings (the shipped indicator settings,
/// the report's scorecard file, the simulated authorities' populations), an ephemeral NATS and
/// gRPC port, the data in `dir/data`.
fn write_config(
    plan: &Plan,
    scenario: &ServerScenario,
    workload: &Workload,
    dir: &Path,
) -> anyhow::Result<PathBuf> {
    let scorecard = dir.join("scorecard.toml");
    std::fs::write(&scorecard, REPORT_SCORECARD)?;
    let mut text = format!(
        "data_dir = {:?}\ntoday = \"{}\"\nscorecard_file = {:?}\n",
        dir.join("data").display().to_string(),
        format_day(workload.today),
        scorecard.display().to_string(),
    );
    if scenario.authorities > 1 {
        let authorities = dir.join("authorities.toml");
        std::fs::write(&authorities, SIM_AUTHORITIES)?;
        text.push_str(&format!(
            "authorities_file = {:?}\n",
            authorities.display().to_string()
        ));
    }
    text.push_str(&format!(
        "\n[nats]\nembedded_port = 0\n\n[grpc]\nlisten = \"127.0.0.1:0\"\n\n\
         [projector]\nbatch_size = {}\n\n[store]\ncache_capacity_mib = {}\n",
        plan.batch_size, scenario.cache_mib
    ));
    if let Some(n) = scenario.defer_up_to {
        text = text.replace(
            "[projector]\n",
            &format!("[projector]\ndefer_up_to = {n}\n"),
        );
    }
    if let Some(n) = scenario.deriving_nice {
        text = text.replace(
            "[projector]\n",
            &format!("[projector]\nderiving_nice = {n}\n"),
        );
    }
    let path = dir.join("caseflow.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// A running `caseflow serve`, and its embedded nats-server.
struct Served {
    child: Child,
    caseflow: Process,
    nats: Process,
    grpc: String,
    nats_url: String,
    /// The last lines it wrote to stderr, for errors.
    said: Arc<Mutex<VecDeque<String>>>,
}

impl Served {
    /// Spawns `caseflow serve` and waits until it says where it listens.
    async fn start(binary: &Path, config: &Path) -> anyhow::Result<Served> {
        let mut command = Command::new(binary);
        command
            .arg("--config")
            .arg(config)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Only the written file configures it.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("CASEFLOW_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        let pid = child.id().context("caseflow serve has no process id")?;
        let stderr = child.stderr.take().context("no stderr")?;
        let said = Arc::new(Mutex::new(VecDeque::new()));
        let mut lines = BufReader::new(stderr).lines();
        let listening = tokio::time::timeout(START_AT_MOST, async {
            while let Ok(Some(line)) = lines.next_line().await {
                // "caseflow serving gRPC on ADDR (NATS URL); Ctrl-C to stop"
                if let Some(rest) = line.strip_prefix("caseflow serving gRPC on ") {
                    let mut words = rest.split_whitespace();
                    let grpc = words.next().map(str::to_owned);
                    let nats = words.nth(1).map(|w| w.trim_end_matches(");").to_owned());
                    return grpc.zip(nats);
                }
                remember(&said, line);
            }
            None
        })
        .await;
        let Ok(Some((grpc, nats_url))) = listening else {
            let _ = child.start_kill();
            let said = said.lock().unwrap_or_else(PoisonError::into_inner);
            anyhow::bail!(
                "caseflow serve did not start listening (within {} s); it said:\n{}",
                START_AT_MOST.as_secs(),
                Vec::from(said.clone()).join("\n")
            );
        };
        // Keep draining its stderr so that it never blocks on a full pipe.
        let kept = said.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                remember(&kept, line);
            }
        });
        let nats = nats_child(pid)
            .await
            .context("caseflow serve has no nats-server child")?;
        Ok(Served {
            child,
            caseflow: Process {
                pid: pid.to_string(),
            },
            nats,
            grpc: format!("http://{grpc}"),
            nats_url,
            said,
        })
    }

    /// SIGTERM, as a service manager stops it; how long it took to exit.
    async fn terminate(mut self) -> anyhow::Result<Duration> {
        let t0 = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &self.caseflow.pid])
            .status()
            .await?;
        anyhow::ensure!(sent.success(), "kill -TERM {} failed", self.caseflow.pid);
        let status = tokio::time::timeout(STOP_AT_MOST, self.child.wait())
            .await
            .context("caseflow serve did not stop after SIGTERM")??;
        let took = t0.elapsed();
        if !status.success() {
            let said = self.said.lock().unwrap_or_else(PoisonError::into_inner);
            anyhow::bail!(
                "SIGTERM ended caseflow serve with {status}; it said:\n{}",
                Vec::from(said.clone()).join("\n")
            );
        }
        Ok(took)
    }

    async fn applied(&self) -> anyhow::Result<u64> {
        let mut operations = Server::plain(&self.grpc).await?.operations();
        Ok(operations
            .get_status(v2::GetStatusRequest {})
            .await?
            .into_inner()
            .applied_sequence)
    }
}

fn remember(said: &Mutex<VecDeque<String>>, line: String) {
    let mut said = said.lock().unwrap_or_else(PoisonError::into_inner);
    if said.len() == 40 {
        said.pop_front();
    }
    said.push_back(line);
}

/// The nats-server that caseflow `parent` started (a child process: /proc/<pid>/stat's
/// fourth field is the parent's id), waiting up to 10 s for it.
async fn nats_child(parent: u32) -> Option<Process> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let ppid = rest.split_whitespace().nth(1);
            if ppid == Some(&parent.to_string()) && head.contains("nats-server") {
                return Some(Process { pid: name });
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// VmRSS and VmHWM of /proc/<pid>/status, in KiB (0 where unreadable).
fn rss_kib(process: &Process) -> (u64, u64) {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", process.pid)).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Bytes of the files under `dir` (their lengths), recursively.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// What one run measured.
struct ServerRun {
    events: usize,
    appended: usize,
    /// The applied sequence's advances seen during ingest, and the longest time between two.
    advances: usize,
    longest_gap: Duration,
    published: Duration,
    projected: Duration,
    /// Publish-to-visible delays of the followed events, ms.
    visible: Vec<f64>,
    /// The open loops during ingest, pooled by query; then the scorecard once settled.
    during: Vec<(&'static str, Load)>,
    settled: Load,
    /// KiB: caseflow's and nats-server's peak (VmHWM) and steady RSS.
    peak: (u64, u64),
    steady: (u64, u64),
    /// Waited for the two processes to go quiet after ingest.
    quiet: Duration,
    /// caseflow's RSS (KiB) before and after a scorecard of each of the `authorities`.
    every_authority: (u64, u64),
    authorities: usize,
    sled_bytes: u64,
    jetstream_bytes: u64,
    stopped: Duration,
    /// Restart: spawn to listening, spawn to the first answered scorecard, caseflow's RSS
    /// then (KiB).
    restart_listening: Duration,
    restart_answer: Duration,
    restart_rss: u64,
}

/// One run: serve, publish under queries, settle, stop, restart and answer.
async fn one_run(
    plan: &Plan,
    scenario: &ServerScenario,
    workload: &Workload,
    appends: Vec<caseflow_log::Append>,
    binary: &Path,
    dir: &Path,
) -> anyhow::Result<ServerRun> {
    let config_file = write_config(plan, scenario, workload, dir)?;
    let served = Served::start(binary, &config_file).await?;
    let config = workload.config_template.clone();
    let log = EventLog::connect(
        &served.nats_url,
        &config.nats_security(),
        config.stream_settings(),
    )
    .await?;

    // Memory, sampled throughout.
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (caseflow, nats, stop) = (
            served.caseflow.clone(),
            served.nats.clone(),
            stop_sampling.clone(),
        );
        tokio::spawn(async move {
            let mut peak = (0, 0);
            while !stop.load(Ordering::Relaxed) {
                peak.0 = peak.0.max(rss_kib(&caseflow).0);
                peak.1 = peak.1.max(rss_kib(&nats).0);
                tokio::time::sleep(RSS_EVERY).await;
            }
            peak
        })
    };
    // The applied sequence, polled, kept where it moves.
    let stop_tracking = Arc::new(AtomicBool::new(false));
    let tracker = {
        let (grpc, stop) = (served.grpc.clone(), stop_tracking.clone());
        tokio::spawn(async move {
            let mut operations = Server::plain(&grpc).await?.operations();
            let mut trace: Vec<(Instant, u64)> = vec![(Instant::now(), 0)];
            while !stop.load(Ordering::Relaxed) {
                let applied = operations
                    .get_status(v2::GetStatusRequest {})
                    .await?
                    .into_inner()
                    .applied_sequence;
                let now = Instant::now();
                if trace.last().is_some_and(|(_, a)| *a != applied) {
                    trace.push((now, applied));
                }
                tokio::time::sleep(STATUS_EVERY).await;
            }
            anyhow::Ok(trace)
        })
    };
    // Queries at the open loop's rate, scorecard and series in turn, until told to stop.
    let month = Month::of(workload.today).prev().to_string();
    let scorecard = Query::Scorecard {
        la: workload.la.clone(),
        month: month.clone(),
    };
    let series = Query::Series {
        la: workload.la.clone(),
    };
    let stop_queries = Arc::new(AtomicBool::new(false));
    let queries = {
        let connection = Connection {
            grpc: Some(served.grpc.clone()),
            ..Connection::default()
        };
        let (config, stop, queries) = (
            config.clone(),
            stop_queries.clone(),
            [scorecard.clone(), series.clone()],
        );
        let (rps, slice, clients) = (plan.open_rps, plan.open_duration, plan.clients);
        tokio::spawn(async move {
            let mut pooled: Vec<(Vec<f64>, usize, usize, Duration)> =
                vec![(Vec::new(), 0, 0, Duration::ZERO); 2];
            'slices: while !stop.load(Ordering::Relaxed) {
                for (i, query) in queries.iter().enumerate() {
                    if stop.load(Ordering::Relaxed) {
                        break 'slices;
                    }
                    let t0 = Instant::now();
                    let pace = Pace {
                        rps,
                        duration: slice,
                        clients,
                        stop: Some(stop.clone()),
                    };
                    // Until the first events are applied a query may find nothing to answer.
                    let load = match paced_loop(&connection, &config, query, pace).await {
                        Ok(load) => load,
                        Err(_) if pooled[i].0.is_empty() => {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let p = &mut pooled[i];
                    p.0.extend(load.latencies);
                    p.1 += load.dropped;
                    p.2 += load.failed;
                    p.3 += t0.elapsed();
                }
            }
            anyhow::Ok(pooled)
        })
    };

    // Publish everything, as fast as the server acknowledges (the in-process ingest's appends
    // in flight), noting when a sample of the events were sent.
    let events = appends.len();
    let every = events.div_ceil(VISIBLE_SAMPLES).max(1);
    let mut sent: Vec<(usize, Instant)> = Vec::with_capacity(2 * VISIBLE_SAMPLES + 2);
    let t0 = Instant::now();
    let acks = {
        // `append_all` takes the next event only once it has sent the one before: the
        // moment event i + 1 is taken is when event i was sent.
        let noted = appends.into_iter().enumerate().map(|(i, a)| {
            if i % every <= 1 {
                sent.push((i, Instant::now()));
            }
            a
        });
        log.append_all(noted, plan.in_flight).await
    };
    let published = t0.elapsed();
    let failed = acks.iter().filter(|a| a.is_err()).count();
    anyhow::ensure!(failed == 0, "{failed} appends failed");
    let target = log.last_sequence().await?;
    let deadline = Instant::now() + Duration::from_secs(3600);
    while served.applied().await? < target {
        anyhow::ensure!(
            Instant::now() < deadline,
            "caseflow serve did not apply the stream within an hour"
        );
        tokio::time::sleep(STATUS_EVERY).await;
    }
    let projected = t0.elapsed();
    stop_queries.store(true, Ordering::Relaxed);
    stop_tracking.store(true, Ordering::Relaxed);
    let pooled = queries.await??;
    let trace = tracker.await??;

    // Publish-to-visible: for each followed event (not a duplicate), the first poll that saw
    // the applied sequence reach it, less the moment it was sent.
    let mut visible = Vec::new();
    for pair in sent.windows(2) {
        let [(i, _), (next, sent_at)] = pair else {
            continue;
        };
        if *next != i + 1 {
            continue;
        }
        let Some(Ok(ack)) = acks.get(*i) else {
            continue;
        };
        if ack.duplicate {
            continue;
        }
        let seen = trace.partition_point(|(_, applied)| *applied < ack.sequence);
        if let Some((at, _)) = trace.get(seen) {
            visible.push(at.saturating_duration_since(*sent_at).as_secs_f64() * 1e3);
        }
    }
    // How often queries saw new figures: the applied sequence's advances, and the longest
    // time between two (from the first advance to the last).
    let advances = trace.len().saturating_sub(1);
    let longest_gap = trace
        .windows(2)
        .skip(1)
        .map(|w| w[1].0.saturating_duration_since(w[0].0))
        .max()
        .unwrap_or_default();
    let appended = acks.iter().flatten().filter(|a| !a.duplicate).count();
    drop(acks);
    visible.sort_by(f64::total_cmp);

    let during = vec![
        (scorecard.name(), pooled_load(&pooled[0])),
        (series.name(), pooled_load(&pooled[1])),
    ];
    // Settled: the two processes quiet, then the scorecard alone, as in the in-process runs.
    let quiet = until_quiet(&[served.caseflow.clone(), served.nats.clone()]).await;
    let steady = (rss_kib(&served.caseflow).0, rss_kib(&served.nats).0);
    let connection = Connection {
        grpc: Some(served.grpc.clone()),
        ..Connection::default()
    };
    let pace = Pace {
        rps: plan.open_rps,
        duration: plan.open_duration,
        clients: plan.clients,
        stop: None,
    };
    let settled = paced_loop(&connection, &config, &scorecard, pace).await?;
    // Then one scorecard of every authority: the query service keeps each one's figures.
    let before_all = rss_kib(&served.caseflow).0;
    let mut client = Server::plain(&served.grpc).await?.figures();
    for la in &workload.authorities {
        let query = Query::Scorecard {
            la: la.clone(),
            month: month.clone(),
        };
        query
            .call(&mut client)
            .await
            .with_context(|| format!("the scorecard of authority {la}"))?;
    }
    let every_authority = (before_all, rss_kib(&served.caseflow).0);
    stop_sampling.store(true, Ordering::Relaxed);
    let sampled = sampler.await?;
    let peak = (
        rss_kib(&served.caseflow).1.max(sampled.0),
        rss_kib(&served.nats).1.max(sampled.1),
    );
    drop(log);
    let stopped = served.terminate().await?;
    let data = dir.join("data");
    let sled_bytes = dir_bytes(&data.join("store"));
    let jetstream_bytes = dir_bytes(&data.join("nats"));

    // Restart on the same data: spawn to the first answered scorecard.
    let t0 = Instant::now();
    let served = Served::start(binary, &config_file).await?;
    let restart_listening = t0.elapsed();
    client = Server::plain(&served.grpc).await?.figures();
    let deadline = Instant::now() + START_AT_MOST;
    while scorecard.call(&mut client).await.is_err() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "no scorecard answered within {} s of a restart",
            START_AT_MOST.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let restart_answer = t0.elapsed();
    let restart_rss = rss_kib(&served.caseflow).0;
    served.terminate().await?;

    Ok(ServerRun {
        events: target as usize,
        appended,
        advances,
        longest_gap,
        published,
        projected,
        visible,
        during,
        settled,
        peak,
        steady,
        quiet,
        every_authority,
        authorities: workload.authorities.len(),
        sled_bytes,
        jetstream_bytes,
        stopped,
        restart_listening,
        restart_answer,
        restart_rss,
    })
}

/// One query's open loops during ingest as one load.
fn pooled_load(pooled: &(Vec<f64>, usize, usize, Duration)) -> Load {
    let (latencies, dropped, failed, elapsed) = pooled;
    let mut load = Load::new(
        latencies.clone(),
        (*elapsed).max(Duration::from_millis(1)),
        *dropped,
    );
    load.failed = *failed;
    load
}

/// The name of a figure of the open loops during ingest.
pub(super) fn during_name(query: &str, what: &str, rps: u64) -> String {
    format!("{query} {what} (open loop at {rps} rps during ingest)")
}

/// The name of the publish-to-visible figure `q` (p50, p99).
pub(super) fn visible_name(q: &str) -> String {
    format!("publish-to-visible {q} (under queries)")
}

/// Names of the memory, disk and restart figures.
pub(super) const PEAK_CASEFLOW: &str = "peak RSS of caseflow serve (VmHWM)";
pub(super) const PEAK_NATS: &str = "peak RSS of its nats-server (VmHWM)";
pub(super) const STEADY_CASEFLOW: &str = "steady RSS of caseflow serve, settled after ingest";
pub(super) const STEADY_NATS: &str = "steady RSS of its nats-server, settled after ingest";
pub(super) const PER_AUTHORITY: &str =
    "RSS of caseflow serve per authority queried (each one's figures kept)";
pub(super) const SLED_PER_M: &str = "sled disk bytes per million events";
pub(super) const JETSTREAM_PER_M: &str = "JetStream disk bytes per million events";
pub(super) const RESTART_ANSWER: &str = "restart: spawn to first answered GetScorecard";
pub(super) const PUBLISH_RATE: &str =
    "ingest: publish only (acknowledged appends, JetStream syncing every write)";
pub(super) const SCORECARD_SETTLED_P99: &str =
    "GetScorecard p99 (open loop at 1000 rps, settled, after ingest)";
pub(super) const DURING_OVER_SETTLED: &str = "GetScorecard p99 during ingest / settled (same run)";

impl ServerRun {
    fn record(&self, results: &mut Results, rps: u64) {
        let mib = |kib: u64| kib as f64 / 1024.0;
        let per_million =
            |bytes: u64| bytes as f64 / self.events.max(1) as f64 * 1e6 / (1024.0 * 1024.0);
        results.record("events in the stream", "events", self.events as f64);
        results.record(
            "events appended (not duplicates)",
            "events",
            self.appended as f64,
        );
        results.record(
            PUBLISH_RATE,
            "events/s",
            self.events as f64 / self.published.as_secs_f64(),
        );
        results.record(
            "ingest: publish-to-projected",
            "events/s",
            self.events as f64 / self.projected.as_secs_f64(),
        );
        let percentile = |v: &[f64], q: f64| {
            if v.is_empty() {
                return f64::NAN;
            }
            let rank = (q * v.len() as f64).ceil() as usize;
            v[rank.clamp(1, v.len()) - 1]
        };
        results.record(&visible_name("p50"), "ms", percentile(&self.visible, 0.50));
        results.record(&visible_name("p99"), "ms", percentile(&self.visible, 0.99));
        results.record(
            "publish-to-visible, max (under queries)",
            "ms",
            percentile(&self.visible, 1.0),
        );
        results.record(
            "applied sequence advances seen during ingest",
            "advances",
            self.advances as f64,
        );
        results.record(
            "longest time between two advances during ingest",
            "s",
            self.longest_gap.as_secs_f64(),
        );
        results.record(
            "publish-to-visible: events followed",
            "events",
            self.visible.len() as f64,
        );
        for (name, load) in &self.during {
            results.record(&during_name(name, "p50", rps), "ms", load.p(0.50));
            results.record(&during_name(name, "p99", rps), "ms", load.p(0.99));
            results.record(&during_name(name, "p999", rps), "ms", load.p(0.999));
            results.record(&during_name(name, "achieved", rps), "req/s", load.rps);
            results.record(
                &during_name(name, "answered", rps),
                "requests",
                load.latencies.len() as f64,
            );
            results.record(
                &during_name(name, "not completed: not sent or abandoned", rps),
                "requests",
                load.dropped as f64,
            );
            results.record(
                &during_name(name, "failed", rps),
                "requests",
                load.failed as f64,
            );
        }
        results.record(SCORECARD_SETTLED_P99, "ms", self.settled.p(0.99));
        if let Some((_, during)) = self.during.first() {
            results.record(
                DURING_OVER_SETTLED,
                "ratio",
                during.p(0.99) / self.settled.p(0.99),
            );
        }
        results.record(PEAK_CASEFLOW, "MiB", mib(self.peak.0));
        results.record(PEAK_NATS, "MiB", mib(self.peak.1));
        results.record(
            "wait for caseflow and nats-server to go quiet after ingest",
            "s",
            self.quiet.as_secs_f64(),
        );
        results.record(STEADY_CASEFLOW, "MiB", mib(self.steady.0));
        results.record(STEADY_NATS, "MiB", mib(self.steady.1));
        results.record(
            &format!(
                "RSS of caseflow serve after a scorecard of each of the {} authorities",
                self.authorities
            ),
            "MiB",
            mib(self.every_authority.1),
        );
        if self.authorities > 1 {
            results.record(
                PER_AUTHORITY,
                "MiB",
                mib(self
                    .every_authority
                    .1
                    .saturating_sub(self.every_authority.0))
                    / (self.authorities - 1) as f64,
            );
        }
        results.record(SLED_PER_M, "MiB", per_million(self.sled_bytes));
        results.record(JETSTREAM_PER_M, "MiB", per_million(self.jetstream_bytes));
        results.record("SIGTERM to exit", "s", self.stopped.as_secs_f64());
        results.record(
            "restart: spawn to listening",
            "s",
            self.restart_listening.as_secs_f64(),
        );
        results.record(RESTART_ANSWER, "s", self.restart_answer.as_secs_f64());
        results.record(
            "restart: RSS of caseflow serve at its first answer",
            "MiB",
            mib(self.restart_rss),
        );
    }
}

/// The targets of issue 19 read at a scale of 12 million events: judged on scenarios of at
/// least this many.
const AT_SCALE: usize = 10_000_000;

/// The server's sections of BENCHMARKS.md: the targets against their figures, memory and disk,
/// queries while ingesting, and every figure of each scenario.
pub(super) fn write_server(out: &mut String, plan: &Plan, served: &[ServerMeasured]) {
    if served.is_empty() {
        return;
    }
    let rps = plan.open_rps;
    let _ = writeln!(out, "## The server as a process\n");
    let _ = writeln!(
        out,
        "`caseflow serve` (the release binary) runs as a child process of the bench, with its \
         own data directory, configuration file and embedded nats-server (JetStream syncing \
         every write, as shipped); the bench publishes the workload's events to it and queries \
         it on loopback, then stops it and starts it again on the same data (see \"How each \
         figure is measured\", 6-8). Medians over the runs, with the spread (min-max).\n"
    );
    let _ = writeln!(out, "### Against the targets\n");
    let _ = writeln!(
        out,
        "The memory and restart targets are set at 12 million events and judged on scenarios \
         of at least {} million; a smaller scenario's figure is shown, not judged. \"figure / \
         target\" is the median over the target.\n",
        AT_SCALE / 1_000_000
    );
    let _ = writeln!(
        out,
        "| target | scenario | events | measured | figure / target | met |\n|---|---|---:|---:|---:|---|"
    );
    let scorecard_p99 = during_name("GetScorecard", "p99", rps);
    let visible_p99 = visible_name("p99");
    let targets: [(&str, &str, f64, &str, bool); 4] = [
        (
            "peak RSS of caseflow serve under 1 GiB at 12 million events",
            PEAK_CASEFLOW,
            1024.0,
            "MiB",
            true,
        ),
        (
            "restart to first answer under 5 s with 12 million events stored",
            RESTART_ANSWER,
            5.0,
            "s",
            true,
        ),
        (
            "scorecard p99 under 2 ms at 1,000 rps while ingesting",
            &scorecard_p99,
            2.0,
            "ms",
            false,
        ),
        (
            "publish-to-visible p99 under 1 s under that query load",
            &visible_p99,
            1000.0,
            "ms",
            false,
        ),
    ];
    for (target, name, bound, unit, at_scale) in targets {
        for m in served {
            let s = m.results.get(name);
            let v = s.median();
            let met = if at_scale && m.events < AT_SCALE {
                "not judged (fewer events)"
            } else if !v.is_finite() {
                "not measured"
            } else if v < bound {
                "met"
            } else {
                "not met"
            };
            let _ = writeln!(
                out,
                "| {target} | {} | {} | {} {unit} | {} | {met} |",
                m.scenario.title(),
                m.events,
                spread(&s),
                fmt_value(v / bound)
            );
        }
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "### Memory and disk\n");
    let _ = writeln!(
        out,
        "| scenario | events | peak RSS, caseflow, MiB | steady RSS, caseflow, MiB | peak RSS, nats-server, MiB | steady RSS, nats-server, MiB | RSS per authority queried, MiB | sled MiB / M events | JetStream MiB / M events | restart to first answer, s | SIGTERM to exit, s |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for m in served {
        let get = |name: &str| spread(&m.results.get(name));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.scenario.title(),
            m.events,
            get(PEAK_CASEFLOW),
            get(STEADY_CASEFLOW),
            get(PEAK_NATS),
            get(STEADY_NATS),
            get(PER_AUTHORITY),
            get(SLED_PER_M),
            get(JETSTREAM_PER_M),
            get(RESTART_ANSWER),
            get("SIGTERM to exit"),
        );
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "### Queries while ingesting\n");
    let _ = writeln!(
        out,
        "Events published as fast as the server acknowledges them ({} in flight, JetStream \
         syncing every write), while open loops send `GetScorecard` and `GetSeries` at {rps} \
         rps in turn; then, settled, the scorecard alone at {rps} rps in the same run.\n",
        plan.in_flight
    );
    let _ = writeln!(
        out,
        "| scenario | published, events/s | publish-to-projected, events/s | scorecard p50, ms | scorecard p99, ms | scorecard p999, ms | series p50, ms | series p99, ms | series p999, ms | not completed + failed | scorecard p99 settled, ms | during / settled, p99 | publish-to-visible p50, ms | publish-to-visible p99, ms |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for m in served {
        let get = |name: &str| spread(&m.results.get(name));
        let during = |query: &str, what: &str| get(&during_name(query, what, rps));
        let lost: f64 = ["GetScorecard", "GetSeries 6.7"]
            .iter()
            .flat_map(|q| {
                ["not completed: not sent or abandoned", "failed"].map(|what| {
                    m.results
                        .get(&during_name(q, what, rps))
                        .0
                        .iter()
                        .sum::<f64>()
                })
            })
            .sum();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.scenario.title(),
            get(PUBLISH_RATE),
            get("ingest: publish-to-projected"),
            during("GetScorecard", "p50"),
            during("GetScorecard", "p99"),
            during("GetScorecard", "p999"),
            during("GetSeries 6.7", "p50"),
            during("GetSeries 6.7", "p99"),
            during("GetSeries 6.7", "p999"),
            fmt_value(lost),
            get(SCORECARD_SETTLED_P99),
            get(DURING_OVER_SETTLED),
            get(&visible_name("p50")),
            get(&visible_name("p99")),
        );
    }
    let _ = writeln!(out);
    for m in served {
        let _ = writeln!(out, "## Results: {}\n", m.scenario.title());
        let _ = writeln!(
            out,
            "{} events in the stream; queries to authority {}.\n",
            m.events, m.la
        );
        write_results_table(out, &m.results);
    }
}
