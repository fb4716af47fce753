//! The subcommands: serve, publish, rebuild, status, demo.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use caseflow_domain::{Month, Timestamp};
use caseflow_log::{Append, ContentType, EventLog};
use caseflow_projector::wait_until_applied;
use caseflow_proto::v2;
use caseflow_store::ProjectionStore;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use crate::app::{self, Running};
use crate::config::Config;

/// `caseflow serve`: runs until Ctrl-C (SIGINT) or SIGTERM.
pub async fn serve(config: &Config) -> anyhow::Result<()> {
    let running = app::start(config).await?;
    eprintln!(
        "caseflow serving gRPC on {} (NATS {}); Ctrl-C to stop",
        running.grpc_addr, running.nats_url
    );
    if let Some(why) = &running.rebuilding {
        eprintln!("caseflow: {why}: rebuilding the projections from the event log");
    }
    stop_signal().await?;
    running.shutdown().await
}

/// `caseflow cluster N1.conf N2.conf N3.conf`: starts a nats-server for each configuration file,
/// as child processes that end with caseflow (however it ends), then serves against them until
/// Ctrl-C or SIGTERM. Each node's process id file goes in `<data_dir>/<file stem>` (where
/// deploy/cluster's nodes keep their JetStream stores). Starting waits until JetStream has a
/// meta leader and enough servers to place the streams' replicas.
pub async fn cluster(config: &Config, nodes: &[std::path::PathBuf]) -> anyhow::Result<()> {
    if config.nats.url.is_empty() {
        anyhow::bail!(
            "nats.url must name the cluster's servers, comma-separated (as in \
             deploy/cluster/caseflow.toml)"
        );
    }
    let mut servers = Vec::new();
    for file in nodes {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .with_context(|| format!("{} names no file", file.display()))?;
        let options = caseflow_log::EmbeddedOptions {
            binary: config.nats.server_binary.clone(),
            config_file: Some(file.clone()),
            ..caseflow_log::EmbeddedOptions::new(config.data_dir.join(&name))
        };
        let server =
            tokio::task::spawn_blocking(move || caseflow_log::EmbeddedNats::start(options))
                .await?
                .with_context(|| format!("cannot start nats-server with {}", file.display()))?;
        servers.push((name, file, server));
    }
    eprintln!("waiting for the cluster to elect a JetStream leader...");
    let running = app::start(config).await?;
    eprintln!(
        "caseflow serving gRPC on {} against the cluster at {}",
        running.grpc_addr, running.nats_url
    );
    for (name, file, server) in &servers {
        eprintln!(
            "  {name}: {} (pid {}, {})",
            server.url(),
            server.pid(),
            file.display()
        );
    }
    let c = "caseflow --config deploy/cluster/caseflow.toml";
    eprintln!(
        "Try, in another terminal at the repository's root (caseflow: cargo run -q -p caseflow --):\n  \
         {c} simulate    five simulated years of authority 372\n  \
         {c} report      its monthly report (or: status)\n  \
         kill -9 <pid of one node>    ingest and queries go on\n  \
         kill -9 <pid of another>     ingest fails with UNAVAILABLE; queries go on\n  \
         nats-server -c <its file>    a node back: it catches up and ingest resumes\n\
         Ctrl-C stops caseflow and the servers it started."
    );
    stop_signal().await?;
    running.shutdown().await?;
    drop(servers);
    Ok(())
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM (what systemd, Docker and Kubernetes send to stop).
async fn stop_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted.context("cannot listen for SIGINT")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

/// What `publish` did.
#[derive(Debug, Default)]
pub struct PublishReport {
    pub appended: usize,
    pub duplicates: usize,
    /// (line number, reason code, message)
    pub rejected: Vec<(usize, String, String)>,
    pub failed: Vec<(usize, String)>,
}

/// Validates each JSON line and appends the valid ones (pipelined). Invalid lines are refused
/// with the same reason the projector would give, and never reach the stream.
pub async fn publish_lines(
    log: &EventLog,
    lines: impl IntoIterator<Item = String>,
    now: Timestamp,
    in_flight: usize,
) -> PublishReport {
    let mut report = PublishReport::default();
    let mut appends = Vec::new();
    let mut line_numbers = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match validate_line(&line, now) {
            Ok((subject, event)) => {
                appends.push(Append {
                    subject: subject.to_string(),
                    event_id: event.id.to_string(),
                    payload: line.into_bytes().into(),
                    content_type: ContentType::Json,
                    expected_last_subject_sequence: None,
                });
                line_numbers.push(n);
            }
            Err(r) => report
                .rejected
                .push((n, r.reason.code().to_owned(), r.message)),
        }
    }
    for (n, result) in line_numbers
        .into_iter()
        .zip(log.append_all(appends, in_flight).await)
    {
        match result {
            Ok(a) if a.duplicate => report.duplicates += 1,
            Ok(_) => report.appended += 1,
            Err(e) => report.failed.push((n, e.to_string())),
        }
    }
    report
}

/// One JSON event as the projector will read it: its subject and the validated event, or the
/// rejection. `now`: the time the log will stamp on an event without `recordedAt`.
pub(crate) fn validate_line(
    line: &str,
    now: Timestamp,
) -> Result<(caseflow_domain::Subject, caseflow_domain::Event), caseflow_domain::Rejection> {
    caseflow_proto::decode_event(line.as_bytes(), Some("application/json")).and_then(|draft| {
        let subject = draft.subject()?;
        let event = draft.validate(&subject, now)?;
        Ok((subject, event))
    })
}

fn print_publish_report(source: &str, r: &PublishReport) {
    println!(
        "{source}: {} appended, {} duplicates absorbed, {} rejected, {} failed",
        r.appended,
        r.duplicates,
        r.rejected.len(),
        r.failed.len()
    );
    const SHOWN: usize = 10;
    for (n, reason, message) in r.rejected.iter().take(SHOWN) {
        println!("  line {n}: rejected ({reason}): {message}");
    }
    if r.rejected.len() > SHOWN {
        println!("  ... and {} more rejected", r.rejected.len() - SHOWN);
    }
    for (n, e) in &r.failed {
        println!("  line {n}: not appended: {e}");
    }
}

/// `caseflow publish FILE.jsonl`
pub async fn publish(config: &Config, file: &Path, in_flight: usize) -> anyhow::Result<bool> {
    if config.nats.url.is_empty() && config.nats.embedded_port == 0 {
        anyhow::bail!(
            "nats.embedded_port is 0 (ephemeral): set nats.url to the server to publish to"
        );
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    // A case system's user may publish without permission to create or manage the stream.
    let log = EventLog::connect_publisher(
        &config.nats_url(),
        &config.nats_security(),
        config.stream_settings(),
    )
    .await
    .with_context(|| {
        format!(
            "cannot publish to NATS at {} (start `caseflow serve`, or set nats.url)",
            config.nats_url()
        )
    })?;
    // An event without recordedAt is validated against the time the log will stamp on it.
    let now = Timestamp::from_offset(time::OffsetDateTime::now_utc());
    let report = publish_lines(&log, text.lines().map(str::to_owned), now, in_flight).await;
    print_publish_report(&file.display().to_string(), &report);
    Ok(report.rejected.is_empty() && report.failed.is_empty())
}

pub(crate) fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// `caseflow rebuild`: wipes the projections and replays the stream from sequence 1.
pub async fn rebuild(config: &Config) -> anyhow::Result<()> {
    let store = Arc::new(app::open_store(config)?);
    let (url, embedded) = app::nats(config).await?;
    let log = EventLog::connect(&url, &config.nats_security(), config.stream_settings()).await?;
    let target = log.last_sequence().await?;
    store.clear()?;
    let projector = app::projector(config, store.clone());
    let (stop, stop_rx) = watch::channel(false);
    let task_log = log.clone();
    let reader = projector.clone();
    let task = tokio::spawn(async move { projector.run(&task_log, stop_rx).await });
    // Replaying reads the events first and stores and derives each child once at the end.
    let bar = progress_bar(target, "replaying");
    wait_until_applied(&*store, target, Duration::MAX, |_| {
        let read = reader.read_sequence();
        bar.set_position(read.min(target));
        if read >= target {
            bar.set_message("deriving");
        }
    })
    .await?;
    bar.finish();
    let _ = stop.send(true);
    task.await?;
    if embedded.is_some() {
        log.expect_disconnect();
    }
    drop(embedded);
    app::checkpoint(&store);
    let counts = store.counts()?;
    println!(
        "rebuilt from {target} messages: {} events stored, {} rejected, {} duplicates",
        counts.events_stored, counts.rejections, counts.duplicates
    );
    Ok(())
}

/// `caseflow status`: asks a running server.
pub async fn status(server: &crate::client::Server) -> anyhow::Result<()> {
    let s = server
        .operations()
        .get_status(v2::GetStatusRequest {})
        .await?
        .into_inner();
    println!("applied sequence     {}", s.applied_sequence);
    println!("stream last sequence {}", s.stream_last_sequence);
    println!("lag                  {}", s.lag);
    println!("horizon month        {}", s.horizon_month);
    println!("events stored        {}", s.events_stored);
    println!("rejections           {}", s.rejections);
    println!("duplicates absorbed  {}", s.duplicates);
    if !s.problem.is_empty() {
        println!("problem              {}", s.problem);
    }
    Ok(())
}

/// `caseflow audit`: every audit record matching `filter`, oldest first, as a table or JSON
/// lines.
pub async fn audit(
    server: &crate::client::Server,
    mut filter: v2::ListAuditRequest,
    json: bool,
) -> anyhow::Result<()> {
    let mut operations = server.operations();
    filter.limit = 1000;
    if !json {
        println!(
            "{:<6} {:<20} {:<24} {:<14} {:<38} {:<4} {:<10} {:>7}  outcome",
            "seq", "at", "who", "credential", "method", "la", "about", "records"
        );
    }
    loop {
        let page = operations
            .list_audit(filter.clone())
            .await
            .context("ListAudit")?
            .into_inner()
            .records;
        let Some(last) = page.last() else { break };
        filter.after_sequence = last.sequence;
        // Paging continues by sequence from the first page on.
        filter.since.clear();
        for r in &page {
            if json {
                println!("{}", serde_json::to_string(r)?);
            } else {
                let about = if r.child_id.is_empty() {
                    format!("{} {}", r.indicator, r.month).trim().to_owned()
                } else {
                    r.child_id.clone()
                };
                println!(
                    "{:<6} {:<20} {:<24} {:<14} {:<38} {:<4} {:<10} {:>7}  {}",
                    r.sequence,
                    r.at.get(..19).unwrap_or(&r.at),
                    r.who,
                    r.credential,
                    r.method.trim_start_matches("/caseflow.v2."),
                    r.la,
                    about,
                    r.records,
                    r.outcome
                );
            }
        }
    }
    Ok(())
}

/// `caseflow simulate`: simulated authorities as JSON lines to a file, or appended straight to
/// the event log (unvalidated, as a case system would: invalid events then become the
/// projector's rejections).
pub async fn simulate(
    config: &Config,
    sim: &caseflow_sim::SimConfig,
    out: Option<&Path>,
    in_flight: usize,
) -> anyhow::Result<()> {
    sim.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut file = match out {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => None,
    };
    let log = match file {
        Some(_) => None,
        None => Some(
            EventLog::connect_publisher(
                &config.nats_url(),
                &config.nats_security(),
                config.stream_settings(),
            )
            .await
            .with_context(|| format!("cannot publish to NATS at {}", config.nats_url()))?,
        ),
    };
    let bar = progress_bar(sim.authorities.len() as u64, "authorities");
    let mut total = 0usize;
    for la in &sim.authorities {
        let (simulation, code) = (sim.clone(), la.clone());
        let authority = tokio::task::spawn_blocking(move || {
            caseflow_sim::simulate_authority(&simulation, &code)
        })
        .await?;
        total += authority.events.len();
        if let Some(f) = file.as_mut() {
            caseflow_sim::write_jsonl(&authority, f)?;
        }
        if let Some(log) = &log {
            let appends = appends_of(la, authority.events);
            let failed = log
                .append_all(appends, in_flight)
                .await
                .into_iter()
                .filter(Result::is_err)
                .count();
            if failed > 0 {
                anyhow::bail!("{failed} events of authority {la} could not be appended");
            }
        }
        bar.inc(1);
    }
    bar.finish();
    if let Some(mut f) = file {
        f.flush()?;
    }
    println!(
        "simulated {} authorities: {total} events {}",
        sim.authorities.len(),
        match out {
            Some(path) => format!("written to {}", path.display()),
            None => format!("appended to {}", config.nats_url()),
        }
    );
    Ok(())
}

/// A simulated authority's events (as its lines of JSON) as appends to the log, in arrival
/// order. Invalid events may have no readable id; they still need a unique message id.
pub fn appends_of(
    la: &str,
    events: Vec<caseflow_sim::SimEvent>,
) -> impl Iterator<Item = Append> + use<'_> {
    events.into_iter().enumerate().map(move |(i, e)| Append {
        subject: e.subject,
        event_id: e
            .event
            .as_ref()
            .map_or_else(|| format!("invalid-{la}-{i}"), |ev| ev.id.to_string()),
        payload: e.json.into_bytes().into(),
        content_type: ContentType::Json,
        expected_last_subject_sequence: None,
    })
}

/// The targets, tolerances and benchmarks of the May 2018 report.
const REPORT_SCORECARD: &str = include_str!("../../../deploy/scorecard-2018-19.toml");
/// The shipped configuration, for its indicator settings (6.2's population, team groups).
const SHIPPED_CONFIG: &str = include_str!("../../../deploy/caseflow.toml");

/// What the demo simulates and where it writes the report.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Years of history published (children already in care when it starts come with their
    /// earlier history).
    pub years: i32,
    /// The simulator's seed.
    pub seed: u64,
    /// Stop after printing instead of serving until Ctrl-C.
    pub exit: bool,
    /// Where `report.html` and `scorecard.csv` are written.
    pub out_dir: std::path::PathBuf,
    /// How many authorities: 1 is authority 372 like the seed report's; more are the
    /// simulator's varied authorities 201, 202, ... with their populations from
    /// `deploy/sim/authorities.toml`, whose scorecards are shown side by side.
    pub authorities: usize,
}

/// `sim` with its history shortened to the last `years` years before its end.
pub fn last_years(mut sim: caseflow_sim::SimConfig, years: i32) -> caseflow_sim::SimConfig {
    sim.start = caseflow_domain::calendar::add_months(sim.end, -12 * years.max(1))
        .next_day()
        .unwrap_or(sim.start);
    sim
}

/// The shipped settings of the simulated authorities (their populations).
const SIM_AUTHORITIES: &str = include_str!("../../../deploy/sim/authorities.toml");

/// The simulated authorities of the demo, ending 31 May 2018: 372, like the seed report's, or
/// several of the simulator's varied ones.
fn demo_simulation(options: &DemoOptions) -> caseflow_sim::SimConfig {
    let sim = if options.authorities <= 1 {
        caseflow_sim::SimConfig::like_seed(options.seed, "372")
    } else {
        caseflow_sim::SimConfig::many(options.seed, options.authorities)
    };
    last_years(sim, options.years)
}

/// `caseflow demo`: starts everything, publishes a simulated authority's history, waits for the
/// projector, prints the scorecard, writes the report, and serves until Ctrl-C.
pub async fn demo(config: &Config, options: &DemoOptions) -> anyhow::Result<()> {
    let sim = demo_simulation(options);
    let mut config = config.clone();
    if config.today.is_none() {
        // A few days after the history ends, so its last month is complete.
        config.today = Some(caseflow_domain::calendar::format_day(
            caseflow_domain::calendar::add_days(sim.end, 5),
        ));
    }
    if config.scorecard.targets.is_empty() && config.scorecard.benchmarks.is_empty() {
        // The May 2018 report's targets and benchmarks, as shipped in deploy/.
        config.scorecard = toml::from_str(REPORT_SCORECARD)
            .context("the shipped deploy/scorecard-2018-19.toml does not parse")?;
    }
    if config.indicators == caseflow_domain::settings::Settings::default() {
        let shipped: Config = toml::from_str(SHIPPED_CONFIG)
            .context("the shipped deploy/caseflow.toml does not parse")?;
        config.indicators = shipped.indicators;
    }
    if sim.authorities.len() > 1 && config.authorities.is_empty() && options.seed == 2018 {
        // Each simulated authority's own population (generated for seed 2018).
        config
            .add_authorities(SIM_AUTHORITIES)
            .context("the shipped deploy/sim/authorities.toml does not parse")?;
    }
    let running = app::start(&config).await?;
    let result = demo_steps(&config, &running, &sim, options).await;
    if result.is_ok() && !options.exit {
        println!("\nThe server keeps running; Ctrl-C to stop.");
        stop_signal().await?;
    }
    running.shutdown().await?;
    result
}

async fn demo_steps(
    config: &Config,
    running: &Running,
    sim: &caseflow_sim::SimConfig,
    options: &DemoOptions,
) -> anyhow::Result<()> {
    println!(
        "caseflow demo: gRPC on {}, NATS at {}\n",
        running.grpc_addr, running.nats_url
    );
    for la in &sim.authorities {
        publish_simulated(running, sim, la).await?;
    }

    let bar = progress_bar(0, "projecting");
    running
        .wait_caught_up(Duration::from_secs(3600), |applied, target| {
            bar.set_length(target);
            bar.set_position(applied.min(target));
        })
        .await?;
    bar.finish();

    let server = crate::client::Server::plain(&format!("http://{}", running.grpc_addr)).await?;
    let today = config.today().context("the demo has a fixed today")?;
    let last = Month::of(today).prev();
    if sim.authorities.len() > 1 {
        return demo_comparison(running, &server, sim, last, options).await;
    }
    let data = crate::report::fetch(&server, "372", Some(&last.to_string()), None).await?;
    print!(
        "\n{}",
        crate::report::render_table(&data, std::io::IsTerminal::is_terminal(&std::io::stdout()))
    );

    let breakdown = server
        .figures()
        .get_breakdown(v2::GetBreakdownRequest {
            la: "372".to_owned(),
            indicator: "6.1".to_owned(),
            month: last.to_string(),
            dimension: v2::Dimension::Unspecified.into(),
        })
        .await?
        .into_inner();
    print!(
        "\n{}",
        render_breakdown(
            &breakdown,
            &[
                v2::Dimension::AgeBand,
                v2::Dimension::LegalStatus,
                v2::Dimension::TeamGroup
            ]
        )
    );

    std::fs::create_dir_all(&options.out_dir)?;
    let html = options.out_dir.join("report.html");
    let csv = options.out_dir.join("scorecard.csv");
    std::fs::write(
        &html,
        crate::report::render(&data, crate::report::Format::Html),
    )?;
    std::fs::write(
        &csv,
        crate::report::render(&data, crate::report::Format::Csv),
    )?;
    println!("\nWrote {} and {}", html.display(), csv.display());

    let addr = running.grpc_addr;
    println!(
        "\nQuery the running server (gRPC reflection is on):\n  \
         grpcurl -plaintext -d '{{\"la\":\"372\",\"month\":\"{last}\"}}' {addr} caseflow.v2.Figures/GetScorecard\n  \
         grpcurl -plaintext -d '{{\"la\":\"372\",\"indicator\":\"6.7\"}}' {addr} caseflow.v2.Figures/GetSeries\n  \
         grpcurl -plaintext -d '{{\"la\":\"372\",\"indicator\":\"6.15\",\"month\":\"{last}\"}}' {addr} caseflow.v2.Records/ListMembers\n  \
         cargo run -q -p caseflow -- report --grpc http://{addr} --format html > report.html\n  \
         cargo run -q -p caseflow -- status --grpc http://{addr}\n  \
         curl http://{addr}/metrics"
    );
    std::io::stdout().flush()?;
    Ok(())
}

/// Simulates authority `la` and publishes its history, with a progress bar and a summary.
async fn publish_simulated(
    running: &Running,
    sim: &caseflow_sim::SimConfig,
    la: &str,
) -> anyhow::Result<()> {
    let (simulation, code) = (sim.clone(), la.to_owned());
    let authority =
        tokio::task::spawn_blocking(move || caseflow_sim::simulate_authority(&simulation, &code))
            .await?;
    let lines: Vec<String> = authority.events.into_iter().map(|e| e.json).collect();
    println!(
        "simulated authority {la}, {} to {}: {} events (late, re-sent, corrected and a few invalid ones included)",
        caseflow_domain::calendar::format_day(sim.start),
        caseflow_domain::calendar::format_day(sim.end),
        lines.len()
    );

    let bar = progress_bar(lines.len() as u64, "publishing");
    let now = Timestamp::from_offset(time::OffsetDateTime::now_utc());
    let mut report = PublishReport::default();
    const CHUNK: usize = 2000;
    for (i, chunk) in lines.chunks(CHUNK).enumerate() {
        let r = publish_lines(&running.log, chunk.iter().cloned(), now, 512).await;
        bar.inc(chunk.len() as u64);
        // Line numbers count from the start of the whole history, not the chunk.
        let offset = i * CHUNK;
        report.appended += r.appended;
        report.duplicates += r.duplicates;
        report
            .rejected
            .extend(r.rejected.into_iter().map(|(n, c, m)| (n + offset, c, m)));
        report
            .failed
            .extend(r.failed.into_iter().map(|(n, e)| (n + offset, e)));
    }
    bar.finish();
    print_publish_report(&format!("authority {la}"), &report);
    Ok(())
}

/// The end of a demo of several authorities: their scorecards side by side, written as
/// `compare.html` and `compare.csv` too.
async fn demo_comparison(
    running: &Running,
    server: &crate::client::Server,
    sim: &caseflow_sim::SimConfig,
    last: Month,
    options: &DemoOptions,
) -> anyhow::Result<()> {
    use crate::report::{Format, fetch_comparison, render_comparison};
    let month = last.to_string();
    let c = fetch_comparison(server, &sim.authorities, Some(&month), None).await?;
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout());
    print!("\n{}", render_comparison(&c, Format::Table, colour));
    std::fs::create_dir_all(&options.out_dir)?;
    let html = options.out_dir.join("compare.html");
    let csv = options.out_dir.join("compare.csv");
    std::fs::write(&html, render_comparison(&c, Format::Html, false))?;
    std::fs::write(&csv, render_comparison(&c, Format::Csv, false))?;
    println!("\nWrote {} and {}", html.display(), csv.display());
    let addr = running.grpc_addr;
    let las = sim.authorities.join(",");
    let first = &sim.authorities[0];
    println!(
        "\nQuery the running server (gRPC reflection is on):\n  \
         cargo run -q -p caseflow -- report --grpc http://{addr} --compare {las} --indicator 6.2\n  \
         cargo run -q -p caseflow -- report --grpc http://{addr} --la {first}\n  \
         grpcurl -plaintext -d '{{\"la\":\"{first}\",\"month\":\"{last}\"}}' {addr} caseflow.v2.Figures/GetScorecard"
    );
    std::io::stdout().flush()?;
    Ok(())
}

/// `dimensions` of a breakdown as aligned text, each named as INDICATORS.md does
/// (`DIMENSION_AGE_BAND` as `age_band`).
fn render_breakdown(b: &v2::GetBreakdownResponse, dimensions: &[v2::Dimension]) -> String {
    let mut out = format!(
        "6.1 breakdown at the end of {} (total {}):\n",
        b.month, b.total
    );
    for d in b
        .breakdowns
        .iter()
        .filter(|d| dimensions.contains(&d.dimension()))
    {
        let name = d.dimension().as_str_name();
        let name = name.strip_prefix("DIMENSION_").unwrap_or(name);
        out.push_str(&format!("  {}:", name.to_ascii_lowercase()));
        for r in &d.rows {
            let pct = r.percent.map_or("-".to_owned(), |p| format!("{p:.1}%"));
            out.push_str(&format!("  {} {} ({pct})", r.category, r.count));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breakdown_lists_the_asked_dimensions_by_their_names() {
        let row = |category: &str, count, percent| v2::BreakdownRow {
            category: category.to_owned(),
            count,
            percent,
        };
        let b = v2::GetBreakdownResponse {
            la: "372".to_owned(),
            indicator: "6.1".to_owned(),
            month: "2018-05".to_owned(),
            total: 4,
            breakdowns: vec![
                v2::Breakdown {
                    dimension: v2::Dimension::AgeBand.into(),
                    rows: vec![row("1-4", 1, Some(25.0)), row("16+", 3, Some(75.0))],
                },
                v2::Breakdown {
                    dimension: v2::Dimension::Sex.into(),
                    rows: vec![row("F", 4, Some(100.0))],
                },
                v2::Breakdown {
                    dimension: v2::Dimension::TeamGroup.into(),
                    rows: vec![row("No LAC team", 4, None)],
                },
            ],
        };
        let shown = [v2::Dimension::AgeBand, v2::Dimension::TeamGroup];
        assert_eq!(
            render_breakdown(&b, &shown),
            "6.1 breakdown at the end of 2018-05 (total 4):\n  \
             age_band:  1-4 1 (25.0%)  16+ 3 (75.0%)\n  \
             team_group:  No LAC team 4 (-)\n"
        );
    }
}
