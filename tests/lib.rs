//! Test support for caseflow's integration tests: a real `nats-server` per test, caseflow
//! started against it with a temporary store, event builders and gRPC clients.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use caseflow::app::{self, Running};
use caseflow::config::Config;
use caseflow_log::{EmbeddedNats, EmbeddedOptions, EventLog};
use caseflow_proto::v2;
use serde_json::{Value, json};
use tempfile::TempDir;
use tonic::transport::Channel;

/// A `nats-server` with JetStream on an ephemeral loopback port and a temporary store; killed
/// and removed on drop. Fails with an install hint when `nats-server` is not on PATH.
pub struct TestNats {
    pub server: EmbeddedNats,
    _dir: TempDir,
}

impl TestNats {
    pub fn start() -> TestNats {
        let dir = tempfile::tempdir().unwrap();
        let server = EmbeddedNats::start(EmbeddedOptions::new(dir.path().join("js")))
            .unwrap_or_else(|e| panic!("{e}"));
        TestNats { server, _dir: dir }
    }

    /// A server run with a configuration of the test's own (TLS, users, permissions): `config`
    /// writes it, given the directory for its JetStream store. It must listen on 127.0.0.1 and
    /// may take an ephemeral port (`port: -1`).
    pub fn start_configured(config: impl FnOnce(&Path) -> String) -> TestNats {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("js");
        let file = dir.path().join("nats-server.conf");
        std::fs::write(&file, config(&store)).unwrap();
        let options = EmbeddedOptions {
            config_file: Some(file),
            ..EmbeddedOptions::new(store)
        };
        let server = EmbeddedNats::start(options).unwrap_or_else(|e| panic!("{e}"));
        TestNats { server, _dir: dir }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}

/// The three-node cluster of deploy/cluster (n1, n2, n3), run with free loopback ports and
/// temporary stores substituted for the files' own; every node is killed and its store removed
/// on drop. Nodes keep their ports across [`EmbeddedNats::restart`], so clients given
/// [`TestCluster::url`] find them again.
pub struct TestCluster {
    /// n1, n2 and n3, in that order.
    pub nodes: Vec<EmbeddedNats>,
    /// Each node's monitoring port (`http`), for `/jsz`.
    monitoring: Vec<u16>,
    _dir: TempDir,
}

/// The node configurations of deploy/cluster, as shipped.
const CLUSTER_NODES: [&str; 3] = [
    include_str!("../deploy/cluster/n1.conf"),
    include_str!("../deploy/cluster/n2.conf"),
    include_str!("../deploy/cluster/n3.conf"),
];

/// `text` with every `from` replaced by `to`; panics if `from` does not occur (the shipped
/// configuration changed under the test).
fn substitute(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "{from:?} not found in a deploy/cluster file"
    );
    text.replace(from, to)
}

/// Loopback ports free just now (the listeners are closed again before they are used).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

impl TestCluster {
    /// Starts the three nodes and waits until they agree on a JetStream meta leader.
    pub async fn start() -> TestCluster {
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports(9);
        let (client, rest) = ports.split_at(3);
        let (routes, monitoring) = rest.split_at(3);
        let mut nodes = Vec::new();
        for (i, shipped) in CLUSTER_NODES.iter().enumerate() {
            let n = i + 1;
            let port = |p: u16| format!("127.0.0.1:{p}");
            let mut text = substitute(
                shipped,
                &format!("port: 423{n}"),
                &format!("port: {}", client[i]),
            );
            text = substitute(&text, &port(8230 + n as u16), &port(monitoring[i]));
            text = substitute(
                &text,
                &format!("port: 623{n}"),
                &format!("port: {}", routes[i]),
            );
            for (j, route) in routes.iter().enumerate().filter(|(j, _)| *j != i) {
                text = substitute(&text, &port(6231 + j as u16), &port(*route));
            }
            let store = dir.path().join(format!("n{n}"));
            let text = substitute(
                &text,
                &format!("\"data/cluster/n{n}\""),
                &format!("{:?}", store.display().to_string()),
            );
            let file = dir.path().join(format!("n{}.conf", i + 1));
            std::fs::write(&file, text).unwrap();
            let options = EmbeddedOptions {
                config_file: Some(file),
                ..EmbeddedOptions::new(store)
            };
            nodes.push(EmbeddedNats::start(options).unwrap_or_else(|e| panic!("{e}")));
        }
        let cluster = TestCluster {
            nodes,
            monitoring: monitoring.to_vec(),
            _dir: dir,
        };
        cluster.wait_for_meta_leader().await;
        cluster
    }

    /// The three client URLs, comma-separated (caseflow's `nats.url` for a cluster).
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(EmbeddedNats::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The node called `name` (n1, n2 or n3).
    pub fn node(&mut self, name: &str) -> &mut EmbeddedNats {
        let i: usize = name.trim_start_matches('n').parse().unwrap();
        &mut self.nodes[i - 1]
    }

    /// What a node's monitoring endpoint answers for `path` (e.g. `/jsz`), as JSON; `None`
    /// while it does not answer.
    pub async fn monitor(&self, node: usize, path: &str) -> Option<Value> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.monitoring[node]))
            .await
            .ok()?;
        tcp.write_all(format!("GET {path} HTTP/1.0\r\nHost: nats\r\n\r\n").as_bytes())
            .await
            .ok()?;
        let mut response = String::new();
        tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut response))
            .await
            .ok()?
            .ok()?;
        let (_, body) = response.split_once("\r\n\r\n")?;
        serde_json::from_str(body).ok()
    }

    /// Waits (at most a minute) until every node names the same JetStream meta leader and sees
    /// a meta group of three.
    pub async fn wait_for_meta_leader(&self) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let mut leaders = Vec::new();
            for node in 0..self.nodes.len() {
                let jsz = self.monitor(node, "/jsz").await;
                let meta = jsz.as_ref().map(|j| &j["meta_cluster"]);
                leaders.push(meta.and_then(|m| {
                    let size = m["cluster_size"].as_u64().unwrap_or(0);
                    let leader = m["leader"].as_str().unwrap_or("");
                    (size == 3 && !leader.is_empty()).then(|| leader.to_owned())
                }));
            }
            if let Some(Some(leader)) = leaders.first()
                && leaders.iter().all(|l| l.as_ref() == Some(leader))
            {
                return leader.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no JetStream meta leader agreed on within a minute: {leaders:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The stream's cluster info (leader and replicas), asked through any node that answers;
    /// `None` while none does (during an election, say).
    pub async fn stream_cluster(
        &self,
        stream: &str,
    ) -> Option<async_nats::jetstream::stream::ClusterInfo> {
        let urls: Vec<String> = self.nodes.iter().map(EmbeddedNats::url).collect();
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .connect(urls)
            .await
            .ok()?;
        let js = async_nats::jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(2))
            .build(client);
        let mut stream = js.get_stream(stream).await.ok()?;
        stream.info().await.ok()?.cluster.clone()
    }
}

/// caseflow (projector + gRPC) running against a test NATS server, with its own store.
pub struct TestCaseflow {
    pub running: Running,
    pub config: Config,
    pub dir: Arc<TempDir>,
}

/// The reporting day tests use: June 2018, so May 2018 is the last complete month.
pub const TODAY: &str = "2018-06-05";

pub fn config(nats_url: &str, dir: &TempDir) -> Config {
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        today: Some(TODAY.to_owned()),
        ..Config::default()
    };
    config.nats.url = nats_url.to_owned();
    config.grpc.listen = "127.0.0.1:0".parse().unwrap();
    config.projector.batch_size = 64;
    config.store.cache_capacity_mib = 16;
    config
}

impl TestCaseflow {
    pub async fn start(nats: &TestNats) -> TestCaseflow {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        TestCaseflow::start_in(&nats.url(), dir).await
    }

    /// Starts with a changed configuration.
    pub async fn start_with(nats: &TestNats, change: impl FnOnce(&mut Config)) -> TestCaseflow {
        TestCaseflow::start_with_config(&nats.url(), change).await
    }

    /// Starts against the server at `nats_url` (a secured one, say: the change gives the
    /// configuration its `[nats.tls]` and `[nats.credentials]`).
    pub async fn start_with_config(
        nats_url: &str,
        change: impl FnOnce(&mut Config),
    ) -> TestCaseflow {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let mut config = config(nats_url, &dir);
        change(&mut config);
        let running = app::start(&config).await.unwrap();
        TestCaseflow {
            running,
            config,
            dir,
        }
    }

    /// Starts on an existing data directory (e.g. after a simulated crash).
    pub async fn start_in(nats_url: &str, dir: Arc<TempDir>) -> TestCaseflow {
        let config = config(nats_url, &dir);
        let running = app::start(&config).await.unwrap();
        TestCaseflow {
            running,
            config,
            dir,
        }
    }

    pub fn log(&self) -> &EventLog {
        &self.running.log
    }

    pub async fn caught_up(&self) {
        self.running
            .wait_caught_up(Duration::from_secs(60), |_, _| {})
            .await
            .unwrap();
    }

    fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.running.grpc_addr))
            .unwrap()
            .connect_lazy()
    }

    pub fn figures(&self) -> v2::figures_client::FiguresClient<Channel> {
        v2::figures_client::FiguresClient::new(self.channel())
    }

    pub fn records(&self) -> v2::records_client::RecordsClient<Channel> {
        v2::records_client::RecordsClient::new(self.channel())
    }

    pub fn operations(&self) -> v2::operations_client::OperationsClient<Channel> {
        v2::operations_client::OperationsClient::new(self.channel())
    }

    pub fn ingest(&self) -> v2::ingest_client::IngestClient<Channel> {
        v2::ingest_client::IngestClient::new(self.channel())
    }

    pub fn health(&self) -> tonic_health::pb::health_client::HealthClient<Channel> {
        tonic_health::pb::health_client::HealthClient::new(self.channel())
    }

    /// Numerators of `indicator` for `from..=to` in `la`.
    pub async fn series(&self, la: &str, indicator: &str, from: &str, to: &str) -> Vec<i64> {
        self.series_months(la, indicator, from, to)
            .await
            .iter()
            .map(|m| m.numerator)
            .collect()
    }

    /// Every month of `indicator` for `from..=to` in `la`, as `GetSeries` answers.
    pub async fn series_months(
        &self,
        la: &str,
        indicator: &str,
        from: &str,
        to: &str,
    ) -> Vec<v2::MonthValue> {
        self.figures()
            .get_series(v2::GetSeriesRequest {
                la: la.to_owned(),
                indicator: indicator.to_owned(),
                from_month: from.to_owned(),
                to_month: to.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .months
    }

    /// Its health for `service` ("": overall).
    pub async fn health_of(&self, service: &str) -> i32 {
        health_at(self.channel(), service).await
    }

    /// The scorecard of `la` for `month`, as known at `as_known_at` (empty: as it stands).
    pub async fn scorecard(&self, la: &str, month: &str, as_known_at: &str) -> v2::Scorecard {
        self.figures()
            .get_scorecard(v2::GetScorecardRequest {
                la: la.to_owned(),
                month: month.to_owned(),
                as_known_at: as_known_at.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// A child's timeline (`Records/GetChildTimeline`), which must exist.
    pub async fn timeline(&self, la: &str, child: &str) -> v2::ChildTimeline {
        self.records()
            .get_child_timeline(v2::GetChildTimelineRequest {
                la: la.to_owned(),
                child_id: child.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// Every member behind `indicator` in `month` of `la`, as streamed.
    pub async fn members(&self, la: &str, indicator: &str, month: &str) -> Vec<v2::Member> {
        let mut stream = self
            .records()
            .list_members(v2::ListMembersRequest {
                la: la.to_owned(),
                indicator: indicator.to_owned(),
                month: month.to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut out = Vec::new();
        while let Some(m) = stream.message().await.unwrap() {
            out.push(m);
        }
        out
    }

    /// What `GET /metrics` answers (HTTP/1.1 on the gRPC port): the status line, headers and
    /// body.
    pub async fn metrics(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(self.running.grpc_addr)
            .await
            .unwrap();
        tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: caseflow\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        tcp.read_to_string(&mut response).await.unwrap();
        response
    }

    pub async fn stop(self) {
        self.running.shutdown().await.unwrap();
    }
}

/// The value of the sample `name{labels}` in a metrics text (labels in the order written).
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    let key = if labels.is_empty() {
        format!("{name} ")
    } else {
        format!("{name}{{{}}} ", labels.join(","))
    };
    text.lines()
        .find_map(|line| line.strip_prefix(&key))
        .map(|value| value.trim().parse().unwrap())
}

/// An event as a JSON line on child `child` of authority `la`, recorded the day it occurred.
pub fn event(la: &str, child: &str, id: &str, on: &str, payload: &str, body: Value) -> String {
    let mut e = json!({
        "eventId": id,
        "la": la,
        "childId": child,
        "occurredOn": on,
        "recordedAt": format!("{on}T12:00:00Z"),
    });
    e[payload] = body;
    e.to_string()
}

pub fn registered(la: &str, child: &str, id: &str, born: &str) -> String {
    event(
        la,
        child,
        id,
        born,
        "childRegistered",
        json!({"dateOfBirth": born, "sex": "F"}),
    )
}

pub fn admitted(la: &str, child: &str, id: &str, on: &str, status: &str) -> String {
    event(
        la,
        child,
        id,
        on,
        "periodOfCareStarted",
        json!({"legalStatus": status, "placement": {"type": "U4", "provider": "PR1"}}),
    )
}

pub fn ended(la: &str, child: &str, id: &str, on: &str, reason: &str) -> String {
    event(
        la,
        child,
        id,
        on,
        "periodOfCareEnded",
        json!({"reason": reason}),
    )
}

pub fn retracted(la: &str, child: &str, id: &str, on: &str, target: &str) -> String {
    event(
        la,
        child,
        id,
        on,
        "eventRetracted",
        json!({"retractedEventId": target}),
    )
}

/// The health a gRPC server at `channel` reports for `service` ("": overall).
pub async fn health_at(channel: Channel, service: &str) -> i32 {
    tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
}

/// A simulated authority's valid events, published and applied by a caseflow started on a new
/// nats-server (returned with it).
pub async fn simulated(sim: &caseflow_sim::SimConfig, la: &str) -> (TestNats, TestCaseflow) {
    let authority = caseflow_sim::simulate_authority(sim, la);
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    let lines = authority
        .events
        .iter()
        .filter(|e| e.valid)
        .map(|e| e.json.clone())
        .collect();
    publish(cf.log(), lines).await;
    cf.caught_up().await;
    (nats, cf)
}

/// Publishes JSON lines through the CLI's validating path; panics if any is refused.
pub async fn publish(log: &EventLog, lines: Vec<String>) {
    let now = caseflow_domain::Timestamp::from_offset(time::OffsetDateTime::now_utc());
    let report = caseflow::commands::publish_lines(log, lines, now, 64).await;
    assert!(
        report.rejected.is_empty() && report.failed.is_empty(),
        "{report:?}"
    );
}

/// Publishes raw bytes on a subject, bypassing validation (as a misbehaving case system may).
pub async fn publish_raw(nats_url: &str, subject: &str, payload: &[u8], msg_id: Option<&str>) {
    let client = async_nats::connect(nats_url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut publish = async_nats::jetstream::message::PublishMessage::build()
        .payload(bytes::Bytes::copy_from_slice(payload));
    if let Some(id) = msg_id {
        publish = publish.message_id(id);
    }
    js.send_publish(subject.to_owned(), publish)
        .await
        .unwrap()
        .await
        .unwrap();
}
