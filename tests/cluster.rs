//! The three-node NATS cluster of deploy/cluster: two caseflow instances following it serve the
//! same figures, and losing, pausing or restarting nodes while events are published loses no
//! acknowledged event and counts none twice. The disruption scenarios print what they measured
//! (RELIABILITY.md holds the numbers); no timing is asserted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use caseflow_domain::La;
use caseflow_log::{Append, ContentType, EventLog, StreamSettings};
use caseflow_proto::v2;
use caseflow_store::ProjectionStore;
use caseflow_tests::*;
use tokio::sync::watch;

const STREAM: &str = "CASEFLOW_EVENTS";

/// caseflow following the cluster, with the streams replicated on all three nodes.
async fn follower(cluster: &TestCluster) -> TestCaseflow {
    TestCaseflow::start_with_config(&cluster.url(), |config| config.nats.replicas = 3).await
}

/// What a caseflow instance serves for authority 372: the scorecard of May 2018 and a few
/// series, as the protobuf messages it answers.
async fn figures(cf: &TestCaseflow) -> (v2::Scorecard, Vec<v2::GetSeriesResponse>) {
    let scorecard = cf
        .figures()
        .get_scorecard(v2::GetScorecardRequest {
            la: "372".to_owned(),
            month: "2018-05".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut series = Vec::new();
    for indicator in ["6.1", "6.2", "6.5", "10.1"] {
        series.push(
            cf.figures()
                .get_series(v2::GetSeriesRequest {
                    la: "372".to_owned(),
                    indicator: indicator.to_owned(),
                    from_month: "2017-04".to_owned(),
                    to_month: "2018-05".to_owned(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner(),
        );
    }
    (scorecard, series)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_read_replicas_of_one_cluster_serve_identical_figures() {
    let cluster = TestCluster::start().await;
    let first = follower(&cluster).await;
    let second = follower(&cluster).await;
    // A year of a simulated authority, appended as a case system would (invalid events too).
    let sim = caseflow::commands::last_years(caseflow_sim::SimConfig::like_seed(11, "372"), 1);
    let authority = caseflow_sim::simulate_authority(&sim, "372");
    let sent = authority.events.len();
    let appends = caseflow::commands::appends_of("372", authority.events);
    let failed: Vec<_> = first
        .log()
        .append_all(appends, 256)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {sent} failed: {:?}",
        failed.len(),
        failed.first()
    );
    first.caught_up().await;
    second.caught_up().await;
    let status = |cf: &TestCaseflow| {
        let mut ops = cf.operations();
        async move {
            ops.get_status(v2::GetStatusRequest::default())
                .await
                .unwrap()
                .into_inner()
        }
    };
    let (a, b) = (status(&first).await, status(&second).await);
    assert_eq!(a.applied_sequence, b.applied_sequence);
    assert_eq!(a.lag, 0);
    assert_eq!(b.lag, 0);
    assert_eq!(
        (a.events_stored, a.rejections, a.duplicates),
        (b.events_stored, b.rejections, b.duplicates)
    );
    assert!(a.events_stored > 1000, "a realistic history: {a:?}");
    let (scorecard, series) = figures(&first).await;
    assert!(!scorecard.rows.is_empty());
    assert_eq!(figures(&second).await, (scorecard, series));
    // The stream really is on all three nodes.
    let info = cluster.stream_cluster(STREAM).await.unwrap();
    assert_eq!(
        info.replicas.len(),
        2,
        "a leader and two followers: {info:?}"
    );
}

/// Every event acknowledged by the cluster, by id, and what publishing them cost.
#[derive(Default)]
struct Acknowledged {
    ids: Vec<String>,
    /// Appends that failed and were sent again (the same event id).
    retries: usize,
    /// The longest an event waited from its first send to its acknowledgement.
    longest_wait: Duration,
}

/// Case systems publishing without pause: `workers` of them, each registering children one
/// after the other, admitting each into care and ending some of those periods. Every event is
/// sent until the cluster acknowledges it, under its own id, as a case system retries.
struct Publishing {
    acknowledged: Arc<Mutex<Acknowledged>>,
    stop: watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Publishing {
    /// Publishing to the server(s) at `url`, whose stream has `replicas`.
    async fn start(url: &str, replicas: usize, scenario: &str, workers: usize) -> Publishing {
        let settings = StreamSettings {
            replicas,
            ..Default::default()
        };
        let log = EventLog::connect_publisher(url, &Default::default(), settings)
            .await
            .unwrap();
        let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
        let (stop, stopped) = watch::channel(false);
        let workers = (0..workers)
            .map(|w| {
                let (log, acknowledged, stopped) =
                    (log.clone(), acknowledged.clone(), stopped.clone());
                let prefix = format!("{scenario}-{w}");
                tokio::spawn(async move {
                    for k in 0.. {
                        if *stopped.borrow() {
                            return;
                        }
                        for (id, line) in child_history(&prefix, k) {
                            append_until_acknowledged(&log, &acknowledged, id, line).await;
                        }
                        // A steady pace (about 20 children a second per case system), so
                        // that a scenario's history stays a few thousand events.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                })
            })
            .collect();
        Publishing {
            acknowledged,
            stop,
            workers,
        }
    }

    /// Stops after each worker's current child; returns what was acknowledged.
    async fn finish(self) -> Acknowledged {
        self.stop.send(true).unwrap();
        for worker in self.workers {
            worker.await.unwrap();
        }
        std::mem::take(&mut *self.acknowledged.lock().unwrap())
    }

    fn count(&self) -> usize {
        self.acknowledged.lock().unwrap().ids.len()
    }
}

/// Child `k` of a publisher: registered, admitted, and every third one's care ended.
fn child_history(prefix: &str, k: usize) -> Vec<(String, String)> {
    let child = format!("{prefix}-c{k}");
    let day = 1 + k % 28;
    let mut events = vec![
        (
            format!("{child}-reg"),
            registered("372", &child, &format!("{child}-reg"), "2009-03-14"),
        ),
        (
            format!("{child}-adm"),
            admitted(
                "372",
                &child,
                &format!("{child}-adm"),
                &format!("2017-{:02}-{day:02}", 4 + k % 8),
                "C2",
            ),
        ),
    ];
    if k.is_multiple_of(3) {
        events.push((
            format!("{child}-end"),
            ended(
                "372",
                &child,
                &format!("{child}-end"),
                &format!("2018-04-{day:02}"),
                "E11",
            ),
        ));
    }
    events
}

async fn append_until_acknowledged(
    log: &EventLog,
    acknowledged: &Mutex<Acknowledged>,
    id: String,
    line: String,
) {
    let child = line_child(&line);
    let first_sent = Instant::now();
    let mut retries = 0;
    loop {
        let append = Append {
            subject: format!("caseflow.events.372.child.{child}"),
            event_id: id.clone(),
            payload: line.clone().into_bytes().into(),
            content_type: ContentType::Json,
            expected_last_subject_sequence: None,
        };
        match log.append(append).await {
            Ok(_) => break,
            Err(_) => {
                retries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let mut acknowledged = acknowledged.lock().unwrap();
    acknowledged.ids.push(id);
    acknowledged.retries += retries;
    acknowledged.longest_wait = acknowledged.longest_wait.max(first_sent.elapsed());
}

fn line_child(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["childId"].as_str().unwrap().to_owned()
}

/// How many times each event id of authority 372 is stored in a caseflow's projections.
fn stored_ids(cf: &TestCaseflow) -> BTreeMap<String, usize> {
    let store = &cf.running.store;
    let mut ids = BTreeMap::new();
    for subject in store.subjects(La::parse("372")).unwrap() {
        for stored in store.events(&subject).unwrap() {
            *ids.entry(stored.event.id.to_string()).or_insert(0) += 1;
        }
    }
    ids
}

/// What a scenario measured.
struct Measured {
    acknowledged: usize,
    lost: usize,
    counted_twice: usize,
    retries: usize,
    longest_wait: Duration,
    caught_up_after: Duration,
}

/// Runs `disrupt` on the cluster while events are published, then checks and measures: every
/// acknowledged event applied exactly once by the caseflow that followed it all, and its figures
/// those of a clean rebuild on a new data directory. `disrupt` returns when the cluster is whole
/// again; "caught up after" runs from then until that caseflow has applied everything the
/// stream held at that moment.
async fn under_disruption<F>(scenario: &str, disrupt: F) -> Measured
where
    F: AsyncFnOnce(&mut TestCluster),
{
    let mut cluster = TestCluster::start().await;
    let cf = follower(&cluster).await;
    let publishing = Publishing::start(&cluster.url(), 3, scenario, 8).await;
    // Publishing in full swing before anything happens.
    while publishing.count() < 200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    disrupt(&mut cluster).await;
    let whole = Instant::now();
    let target = loop {
        if let Ok(last) = cf.log().last_sequence().await {
            break last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let applied = caseflow_projector::wait_until_applied(
        &*cf.running.store,
        target,
        Duration::from_secs(90),
        |_| {},
    )
    .await;
    if applied.is_err() {
        let metrics = cf.metrics().await;
        let read = sample(&metrics, "caseflow_projector_read_sequence", &[]);
        let applied = sample(&metrics, "caseflow_projector_applied_sequence", &[]);
        panic!("not caught up with {target} in 90 s: read {read:?}, applied {applied:?}");
    }
    let caught_up_after = whole.elapsed();
    // Publishing goes on a little on the cluster made whole again.
    let resumed = publishing.count();
    while publishing.count() < resumed + 200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let acknowledged = publishing.finish().await;
    cf.caught_up().await;

    let distinct: BTreeSet<&String> = acknowledged.ids.iter().collect();
    assert_eq!(
        distinct.len(),
        acknowledged.ids.len(),
        "an id acknowledged twice"
    );
    let stored = stored_ids(&cf);
    let lost = distinct
        .iter()
        .filter(|id| !stored.contains_key(**id))
        .count();
    let counted_twice = stored.values().filter(|n| **n > 1).count();
    let status = cf
        .operations()
        .get_status(v2::GetStatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    let measured = Measured {
        acknowledged: distinct.len(),
        lost,
        counted_twice,
        retries: acknowledged.retries,
        longest_wait: acknowledged.longest_wait,
        caught_up_after,
    };
    println!(
        "RELIABILITY {scenario}: {} events acknowledged, {} lost, {} counted twice; {} appends \
         retried, longest wait for an acknowledgement {:.1} s; caught up {:.1} s after the \
         cluster was whole again",
        measured.acknowledged,
        measured.lost,
        measured.counted_twice,
        measured.retries,
        measured.longest_wait.as_secs_f64(),
        measured.caught_up_after.as_secs_f64(),
    );
    assert_eq!(lost, 0, "acknowledged events missing from the projections");
    assert_eq!(counted_twice, 0);
    // Nothing but what was acknowledged: every event sent was sent until acknowledged.
    assert_eq!(stored.len(), distinct.len());
    assert_eq!(status.events_stored, distinct.len() as u64);
    assert_eq!(status.rejections, 0);

    // A clean rebuild: a fresh caseflow on a new data directory over the same stream.
    let fresh = follower(&cluster).await;
    fresh.caught_up().await;
    assert_eq!(stored_ids(&fresh), stored);
    assert_eq!(figures(&cf).await, figures(&fresh).await);
    measured
}

/// The stream's leader, found from its cluster info (asked again while there is none).
async fn stream_leader(cluster: &TestCluster) -> String {
    loop {
        if let Some(leader) = cluster.stream_cluster(STREAM).await.and_then(|c| c.leader) {
            return leader;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal} {pid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_stream_leader_killed_and_restarted_loses_nothing() {
    under_disruption("leader-killed", async |cluster: &mut TestCluster| {
        let leader = stream_leader(cluster).await;
        let node = cluster.node(&leader);
        signal(node.pid(), "KILL");
        // Publishing goes on with the two nodes left for a while, then the node comes back.
        tokio::time::sleep(Duration::from_secs(3)).await;
        tokio::task::block_in_place(|| node.restart()).unwrap();
        cluster.wait_for_meta_leader().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_follower_paused_for_ten_seconds_loses_nothing() {
    under_disruption("follower-paused", async |cluster: &mut TestCluster| {
        let leader = stream_leader(cluster).await;
        let follower = ["n1", "n2", "n3"]
            .into_iter()
            .find(|n| *n != leader)
            .unwrap();
        let pid = cluster.node(follower).pid();
        signal(pid, "STOP");
        tokio::time::sleep(Duration::from_secs(10)).await;
        signal(pid, "CONT");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_restarted_whole_loses_nothing() {
    under_disruption("cluster-restarted", async |cluster: &mut TestCluster| {
        tokio::task::block_in_place(|| {
            for node in &mut cluster.nodes {
                node.stop();
            }
            for node in &mut cluster.nodes {
                node.restart().unwrap();
            }
        });
        cluster.wait_for_meta_leader().await;
    })
    .await;
}

fn append_request(json: &str) -> v2::AppendRequest {
    v2::AppendRequest {
        event: Some(serde_json::from_str(json).unwrap()),
        expected_last_subject_sequence: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_with_two_nodes_down_refuses_ingest_and_goes_on_answering_queries() {
    let mut cluster = TestCluster::start().await;
    let cf = follower(&cluster).await;
    publish(
        cf.log(),
        vec![
            registered("372", "C1", "c1-reg", "2010-01-05"),
            admitted("372", "C1", "c1-adm", "2018-02-01", "C2"),
        ],
    )
    .await;
    cf.caught_up().await;
    let before = figures(&cf).await;
    assert_eq!(cf.series("372", "6.1", "2018-05", "2018-05").await, vec![1]);

    // Two of three down: JetStream has no quorum for the stream.
    tokio::task::block_in_place(|| {
        cluster.node("n2").stop();
        cluster.node("n3").stop();
    });
    let refused = cf
        .ingest()
        .append(append_request(&registered(
            "372",
            "C2",
            "c2-reg",
            "2011-01-05",
        )))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    // The projections answer as before.
    assert_eq!(figures(&cf).await, before);

    // Back up: ingest resumes (the first appends may still meet an election) and the figures
    // move on; nothing acknowledged before is lost.
    tokio::task::block_in_place(|| {
        cluster.node("n2").restart().unwrap();
        cluster.node("n3").restart().unwrap();
    });
    cluster.wait_for_meta_leader().await;
    for line in [
        registered("372", "C2", "c2-reg", "2011-01-05"),
        admitted("372", "C2", "c2-adm", "2018-03-01", "C2"),
    ] {
        let mut attempts = 0;
        while let Err(status) = cf.ingest().append(append_request(&line)).await {
            attempts += 1;
            assert!(attempts < 60, "ingest did not resume: {status:?}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    cf.caught_up().await;
    assert_eq!(cf.series("372", "6.1", "2018-05", "2018-05").await, vec![2]);
    let ids = stored_ids(&cf);
    assert_eq!(
        ids.keys().map(String::as_str).collect::<Vec<_>>(),
        ["c1-adm", "c1-reg", "c2-adm", "c2-reg"]
    );
}

/// The single embedded-style server (one nats-server, `sync_interval: always`) killed with
/// SIGKILL mid-ingest and started again on its store: every acknowledged event is applied
/// exactly once, and the figures equal a clean rebuild's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_server_killed_mid_ingest_loses_nothing() {
    let mut nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    let publishing = Publishing::start(&nats.url(), 1, "single-killed", 8).await;
    while publishing.count() < 200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    signal(nats.server.pid(), "KILL");
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| nats.server.restart()).unwrap();
    let whole = Instant::now();
    let resumed = publishing.count();
    while publishing.count() < resumed + 200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let acknowledged = publishing.finish().await;
    cf.caught_up().await;
    let caught_up_after = whole.elapsed();

    let distinct: BTreeSet<&String> = acknowledged.ids.iter().collect();
    assert_eq!(
        distinct.len(),
        acknowledged.ids.len(),
        "an id acknowledged twice"
    );
    let stored = stored_ids(&cf);
    let lost = distinct
        .iter()
        .filter(|id| !stored.contains_key(**id))
        .count();
    let counted_twice = stored.values().filter(|n| **n > 1).count();
    println!(
        "RELIABILITY single-server-killed: {} events acknowledged, {lost} lost, {counted_twice} \
         counted twice; {} appends retried, longest wait for an acknowledgement {:.1} s; caught \
         up (publishing 200 more included) {:.1} s after the server was back",
        distinct.len(),
        acknowledged.retries,
        acknowledged.longest_wait.as_secs_f64(),
        caught_up_after.as_secs_f64(),
    );
    assert_eq!(lost, 0, "acknowledged events missing from the projections");
    assert_eq!(counted_twice, 0);
    assert_eq!(stored.len(), distinct.len());

    let fresh = TestCaseflow::start(&nats).await;
    fresh.caught_up().await;
    assert_eq!(stored_ids(&fresh), stored);
    assert_eq!(figures(&cf).await, figures(&fresh).await);
    fresh.stop().await;
    cf.stop().await;
}
