//! Processes really die: `caseflow serve` and `caseflow rebuild` run as child processes, are
//! killed with SIGKILL in the middle of their work and started again on the same data
//! directory; at the end the projections are exactly a clean rebuild's (a full dump of the
//! store, as the crash tests compare).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use caseflow_log::EventLog;
use caseflow_proto::v2;
use caseflow_store::{ProjectionStore, SledSettings, SledStore};
use caseflow_tests::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::crash::{open, project, publish_lines, sample};

/// The `caseflow` binary, built once for this test run (the test binary does not build it:
/// its package is another). Its path comes from cargo's own report of the build.
fn caseflow_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let out = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--offline",
                "-p",
                "caseflow",
                "--bin",
                "caseflow",
                "--message-format=json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success(), "cargo build -p caseflow failed");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "caseflow")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported no caseflow executable")
    })
}

/// A data directory and the configuration file that points caseflow at it and at `nats_url`,
/// on the crash tests' day (so its projections compare with [`project`]'s).
struct Install {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Install {
    fn new(nats_url: &str) -> Install {
        Install::with_nats(&format!("url = {nats_url:?}"))
    }

    /// With its own embedded nats-server on `port` (0: any free port).
    fn embedded(port: u16) -> Install {
        Install::with_nats(&format!("embedded_port = {port}"))
    }

    fn with_nats(nats: &str) -> Install {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("caseflow.toml");
        let text = format!(
            "data_dir = {data:?}\ntoday = \"{TODAY}\"\n\n[nats]\n{nats}\n\n\
             [grpc]\nlisten = \"127.0.0.1:0\"\n\n[projector]\nbatch_size = 64\nroll_chunk = 50\n\n\
             [store]\ncache_capacity_mib = 16\n",
            data = dir.path().join("data").display().to_string(),
        );
        std::fs::write(&config, text).unwrap();
        Install { dir, config }
    }

    /// Runs `caseflow serve` expecting it to refuse to start: its exit and what it said.
    /// Moves the configured "today" (the next start rolls the day).
    fn set_today(&self, day: &str) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        let text: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("today = ") {
                    format!("today = \"{day}\"")
                } else {
                    l.to_owned()
                }
            })
            .collect();
        std::fs::write(&self.config, text.join("\n") + "\n").unwrap();
    }

    async fn refused_start(&self) -> String {
        let run = self.command("serve").output();
        let out = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("a refused start must say so at once, not after a timeout")
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn command(&self, subcommand: &str) -> Command {
        let mut command = Command::new(caseflow_binary());
        command
            .arg("--config")
            .arg(&self.config)
            .arg(subcommand)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Starts `caseflow serve` and waits until it says where its gRPC server listens.
    async fn serve(&self) -> Served {
        let mut child = self.command("serve").spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let (grpc, nats) = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                // "caseflow serving gRPC on ADDR (NATS URL); Ctrl-C to stop"
                if let Some(rest) = line.strip_prefix("caseflow serving gRPC on ") {
                    let mut words = rest.split_whitespace();
                    let grpc = words.next().unwrap().to_owned();
                    let nats = words.nth(1).unwrap().trim_end_matches(");").to_owned();
                    return (grpc, nats);
                }
            }
            panic!("caseflow serve ended before it served");
        })
        .await
        .expect("caseflow serve did not start within a minute");
        // Keep draining its stderr so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Served {
            child,
            grpc: format!("http://{grpc}"),
            nats,
        }
    }

    /// The projections, once no caseflow holds them.
    fn store(&self) -> SledStore {
        SledStore::open(
            &self.dir.path().join("data").join("store"),
            &SledSettings {
                cache_capacity_bytes: 8 << 20,
            },
        )
        .unwrap()
    }
}

/// A running `caseflow serve`.
struct Served {
    child: Child,
    grpc: String,
    /// The NATS server it uses (its embedded one, or the configured one).
    nats: String,
}

impl Served {
    /// SIGKILL: no chance to finish anything.
    async fn kill(mut self) {
        self.child.start_kill().unwrap();
        let status = self.child.wait().await.unwrap();
        assert!(!status.success(), "killed, yet {status}");
    }

    /// Waits until it has applied the stream up to `target`.
    async fn caught_up(&self, target: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let applied =
                match v2::operations_client::OperationsClient::connect(self.grpc.clone()).await {
                    Ok(mut client) => client
                        .get_status(v2::GetStatusRequest {})
                        .await
                        .map(|s| s.into_inner().applied_sequence)
                        .unwrap_or(0),
                    Err(_) => 0,
                };
            if applied >= target {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "caseflow serve applied {applied} of {target} in two minutes"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sets the soft limit on the size of files it writes (RLIMIT_FSIZE), e.g. `1:` (none
    /// beyond one byte: every write of the store fails) or `unlimited:`.
    fn file_size_limit(&self, soft: &str) {
        let pid = self.child.id().unwrap().to_string();
        let set = std::process::Command::new("prlimit")
            .args(["--pid", &pid, &format!("--fsize={soft}")])
            .status()
            .expect("prlimit (util-linux) runs");
        assert!(set.success(), "prlimit --fsize={soft} failed");
    }

    /// Its `GetStatus` once `until` holds (within a minute).
    async fn status_when(
        &self,
        until: impl Fn(&v2::ProjectorStatus) -> bool,
    ) -> v2::ProjectorStatus {
        let mut client = v2::operations_client::OperationsClient::connect(self.grpc.clone())
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let status = client
                .get_status(v2::GetStatusRequest {})
                .await
                .unwrap()
                .into_inner();
            if until(&status) {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "status not reached in a minute: {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its health for `service` ("": overall).
    async fn health(&self, service: &str) -> i32 {
        let channel = tonic::transport::Endpoint::from_shared(self.grpc.clone())
            .unwrap()
            .connect()
            .await
            .unwrap();
        health_at(channel, service).await
    }

    /// SIGTERM, as a service manager stops it: a clean exit.
    async fn terminate(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(sent.success());
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("caseflow serve did not stop within 30 s of SIGTERM")
            .unwrap();
        assert!(
            status.success(),
            "SIGTERM ended caseflow serve with {status}"
        );
    }
}

/// The dump of a clean rebuild of the stream up to `target`.
async fn clean_rebuild(log: &EventLog, target: u64) -> Vec<caseflow_store::KeyValue> {
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir);
    project(log, clean.clone(), 500, target).await;
    clean.dump().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_during_ingest_resumes_to_a_clean_rebuild() {
    let nats = TestNats::start();
    let install = Install::new(&nats.url());
    let lines = sample();
    let chunks: Vec<&[String]> = lines.chunks(150).collect();
    let mut served = install.serve().await;
    // The stream keeps receiving while caseflow is killed just after a chunk lands (while it
    // reads or settles it) and started again, three times.
    for (i, chunk) in chunks.iter().enumerate() {
        publish_lines(&nats.url(), chunk).await;
        if [2, 5, 9].contains(&i) {
            served.kill().await;
            served = install.serve().await;
        }
    }
    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    let target = log.last_sequence().await.unwrap();
    assert_eq!(target, lines.len() as u64);
    served.caught_up(target).await;
    served.terminate().await;

    let store = install.store();
    assert_eq!(store.applied_sequence().unwrap(), target);
    let recovered = store.dump().unwrap();
    assert!(
        recovered == clean_rebuild(&log, target).await,
        "the projections after three SIGKILLs differ from a clean rebuild's"
    );
}

/// `caseflow serve` killed with SIGKILL at 20 random moments: while events arrive and it reads
/// and settles them, while it rolls the day (each start is on a later day, so each start
/// re-derives every subject), and under query load. Every acknowledged event ends up applied
/// exactly once: the projections equal a clean rebuild's, byte for byte.
///
/// A longer soak: `CASEFLOW_SOAK=N` multiplies the kills by N and takes its seed from the
/// clock (printed), e.g. `CASEFLOW_SOAK=10 cargo nextest run -p caseflow-tests -E
/// 'test(/random_points/)' --no-capture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_at_random_points_under_load_resumes_to_a_clean_rebuild() {
    use rand::{Rng, SeedableRng};
    let soak: usize = std::env::var("CASEFLOW_SOAK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let kills = 20 * soak.max(1);
    let seed = if soak == 0 {
        903
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    println!("reliability: {kills} kills, seed {seed}");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let nats = TestNats::start();
    let install = Install::new(&nats.url());
    let lines = sample();
    let mut chunks = lines.chunks(lines.len().div_ceil(kills)).peekable();
    let day = |n: usize| {
        (time::macros::date!(2018 - 06 - 05) + time::Duration::days(n as i64)).to_string()
    };
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut acknowledged = 0;
    for kill in 0..kills {
        install.set_today(&day(kill));
        let served = install.serve().await;
        // Query load: scorecards as fast as one client asks, until the kill.
        let load = {
            let (grpc, answered) = (served.grpc.clone(), answered.clone());
            tokio::spawn(async move {
                loop {
                    if let Ok(mut figures) =
                        v2::figures_client::FiguresClient::connect(grpc.clone()).await
                    {
                        while figures
                            .get_scorecard(v2::GetScorecardRequest {
                                la: "372".to_owned(),
                                ..Default::default()
                            })
                            .await
                            .is_ok()
                        {
                            answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        };
        if let Some(chunk) = chunks.next() {
            acknowledged = publish_lines(&nats.url(), chunk).await;
        }
        // Somewhere in reading, settling or the day roll.
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..400))).await;
        served.kill().await;
        load.abort();
    }
    for chunk in chunks {
        acknowledged = publish_lines(&nats.url(), chunk).await;
    }
    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    let target = log.last_sequence().await.unwrap();
    assert_eq!(target, acknowledged);
    assert_eq!(target, lines.len() as u64);
    let last_day = day(kills);
    install.set_today(&last_day);
    let started = std::time::Instant::now();
    let served = install.serve().await;
    served.caught_up(target).await;
    let caught_up = started.elapsed();
    served.terminate().await;

    let clean = tempfile::tempdir().unwrap();
    let clean = open(&clean);
    crate::crash::project_on(
        &log,
        clean.clone(),
        500,
        target,
        Default::default(),
        &last_day,
    )
    .await;
    let store = install.store();
    assert_eq!(store.applied_sequence().unwrap(), target);
    assert!(
        store.dump().unwrap() == clean.dump().unwrap(),
        "the projections after {kills} SIGKILLs (seed {seed}) differ from a clean rebuild's"
    );
    println!(
        "reliability: caseflow serve SIGKILLed {kills} times; {target} messages acknowledged, \
         0 lost, 0 applied twice (projections byte-identical to a clean rebuild's); {} \
         scorecards answered under the kills; caught up {:.1} s after the last start",
        answered.load(std::sync::atomic::Ordering::Relaxed),
        caught_up.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_killed_midway_resumes_to_a_clean_rebuild() {
    let nats = TestNats::start();
    let target = publish_lines(&nats.url(), &sample()).await;
    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    let expected = clean_rebuild(&log, target).await;
    let install = Install::new(&nats.url());
    // Killed early (reading) and later (deriving and committing); `serve` then carries on
    // from whatever the killed rebuild had committed.
    for after in [Duration::from_millis(150), Duration::from_millis(900)] {
        let mut rebuild = install.command("rebuild").spawn().unwrap();
        tokio::time::sleep(after).await;
        rebuild.start_kill().unwrap();
        rebuild.wait().await.unwrap();

        let served = install.serve().await;
        served.caught_up(target).await;
        served.terminate().await;
        assert!(
            install.store().dump().unwrap() == expected,
            "after a rebuild killed at {after:?}, the projections differ from a clean rebuild's"
        );
    }
}

/// `caseflow serve` whose store cannot be written: the file size limit of the running process
/// is taken down to one byte (`prlimit`), so every write sled makes fails as on a full disk.
/// caseflow stops applying, reports NOT_SERVING and the reason, goes on answering the figures
/// it applied, and once the limit is lifted resumes by itself: every acknowledged event ends
/// up applied exactly once, the projections a clean rebuild's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_whose_store_cannot_be_written_stops_applying_and_resumes_by_itself() {
    use tonic_health::pb::health_check_response::ServingStatus;
    let nats = TestNats::start();
    let install = Install::new(&nats.url());
    let lines = sample();
    let (first, rest) = lines.split_at(lines.len() / 3);
    let (second, third) = rest.split_at(rest.len() / 2);
    let served = install.serve().await;
    served
        .caught_up(publish_lines(&nats.url(), first).await)
        .await;

    served.file_size_limit("1:");
    let published = publish_lines(&nats.url(), second).await;
    let status = served.status_when(|s| !s.problem.is_empty()).await;
    assert!(
        status.problem.contains("the projections cannot be written")
            && status.problem.contains("resumes by itself"),
        "{}",
        status.problem
    );
    assert_eq!(served.health("").await, ServingStatus::NotServing as i32);
    assert_eq!(
        served.health("caseflow.v2.Figures").await,
        ServingStatus::NotServing as i32
    );
    assert_eq!(
        served.health("caseflow.v2.Ingest").await,
        ServingStatus::Serving as i32
    );
    // The figures applied are still served.
    let mut figures = v2::figures_client::FiguresClient::connect(served.grpc.clone())
        .await
        .unwrap();
    let scorecard = figures
        .get_scorecard(v2::GetScorecardRequest {
            la: "372".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!scorecard.rows.is_empty());
    // Nothing published from now on is applied while the store cannot be written, though the
    // projector tries again every second.
    let target = publish_lines(&nats.url(), third).await;
    assert!(target > published);
    tokio::time::sleep(3 * caseflow_projector::STORE_RETRY).await;
    let status = served.status_when(|_| true).await;
    assert!(!status.problem.is_empty());
    assert!(
        status.applied_sequence <= published,
        "applied {} while the store could not be written (published {published} before the \
         failure was reported)",
        status.applied_sequence
    );

    served.file_size_limit("unlimited:");
    let lifted = std::time::Instant::now();
    served.caught_up(target).await;
    let status = served.status_when(|s| s.problem.is_empty()).await;
    let resumed = lifted.elapsed();
    assert_eq!(status.applied_sequence, target);
    assert_eq!(served.health("").await, ServingStatus::Serving as i32);
    served.terminate().await;

    let log = EventLog::connect(&nats.url(), &Default::default(), Default::default())
        .await
        .unwrap();
    let store = install.store();
    assert_eq!(store.applied_sequence().unwrap(), target);
    assert!(
        store.dump().unwrap() == clean_rebuild(&log, target).await,
        "the projections after the store could not be written differ from a clean rebuild's"
    );
    println!(
        "reliability: store unwritable under caseflow serve; {target} messages acknowledged, 0 \
         lost, 0 applied twice (projections byte-identical to a clean rebuild's); caught up \
         {:.1} s after it could write again",
        resumed.as_secs_f64()
    );
}

/// Whether anything accepts connections at `nats://host:port`.
fn listening(nats_url: &str) -> bool {
    let addr = nats_url.trim_start_matches("nats://");
    std::net::TcpStream::connect(addr).is_ok()
}

/// Waits up to five seconds for nothing to listen at `nats_url` any more.
async fn gone(nats_url: &str) -> bool {
    for _ in 0..100 {
        if !listening(nats_url) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Killed with SIGKILL, `caseflow serve` takes its embedded nats-server with it (no orphan keeps
/// the port or the store), so it starts again at once; stopped with SIGTERM it exits 0 and
/// stops the server too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_nats_server_never_outlives_caseflow() {
    let install = Install::embedded(0);
    let served = install.serve().await;
    let nats = served.nats.clone();
    assert!(listening(&nats), "the embedded server at {nats}");
    served.kill().await;
    assert!(
        gone(&nats).await,
        "nats-server outlived a SIGKILLed caseflow"
    );

    let served = install.serve().await;
    let nats = served.nats.clone();
    served.caught_up(0).await;
    served.terminate().await;
    assert!(gone(&nats).await, "nats-server outlived a stopped caseflow");
}

/// A start that would collide with what holds the port or the JetStream store refuses at once
/// and says what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_on_a_taken_port_or_a_held_store_says_so_at_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let install = Install::embedded(port);
    let said = install.refused_start().await;
    assert!(
        said.contains(&format!("port {port} on 127.0.0.1 is taken")),
        "{said}"
    );
    drop(taken);

    // A nats-server still running on this install's store (as one left behind would be).
    let nats = TestNats::start();
    let install = Install::embedded(0);
    let store = install.dir.path().join("data").join("nats");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join("nats-server.pid"), nats.server.pid().to_string()).unwrap();
    let said = install.refused_start().await;
    let pid = nats.server.pid();
    assert!(
        said.contains(&format!("still held by nats-server process {pid}"))
            && said.contains(&format!("kill {pid}")),
        "{said}"
    );
}
