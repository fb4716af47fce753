//! Lost history: the stream deleted and created again under a running caseflow. Its figures
//! were built from events the stream no longer holds: it must stop presenting them as current,
//! say why, and `caseflow rebuild` must recover.

use std::sync::Arc;
use std::time::Duration;

use caseflow_proto::v2;
use caseflow_tests::*;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

async fn health(cf: &TestCaseflow, service: &str) -> i32 {
    cf.health_of(service).await
}

async fn status(cf: &TestCaseflow) -> v2::ProjectorStatus {
    cf.operations()
        .get_status(v2::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner()
}

fn history() -> Vec<String> {
    vec![
        registered("372", "C1", "e1", "2010-01-01"),
        admitted("372", "C1", "e2", "2018-01-10", "C2"),
        registered("372", "C2", "e3", "2011-01-01"),
        admitted("372", "C2", "e4", "2018-02-10", "C2"),
        registered("372", "C3", "e5", "2012-01-01"),
        admitted("372", "C3", "e6", "2018-03-10", "C2"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_deleted_and_created_again_is_noticed_and_rebuild_recovers() {
    let nats = TestNats::start();
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let cf = TestCaseflow::start_in(&nats.url(), dir.clone()).await;
    publish(cf.log(), history()).await;
    cf.caught_up().await;
    assert_eq!(cf.series("372", "6.1", "2018-05", "2018-05").await, vec![3]);
    assert_eq!(health(&cf, "").await, ServingStatus::Serving as i32);
    assert_eq!(status(&cf).await.problem, "");

    // Someone deletes the stream and creates it again with a different, shorter history.
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    js.delete_stream("CASEFLOW_EVENTS").await.unwrap();
    let other = caseflow_log::EventLog::connect(
        &nats.url(),
        &Default::default(),
        cf.config.stream_settings(),
    )
    .await
    .unwrap();
    publish(
        &other,
        vec![
            registered("372", "C9", "x1", "2013-01-01"),
            admitted("372", "C9", "x2", "2018-04-10", "C2"),
        ],
    )
    .await;

    // Noticed within a few checks: health, status, metric, and the figures refused.
    let noticed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let s = status(&cf).await;
            if !s.problem.is_empty() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("lost history noticed within 30 s");
    assert!(
        noticed.problem.contains("CASEFLOW_EVENTS")
            && (noticed.problem.contains("created again")
                || noticed.problem.contains("no longer exists"))
            && noticed.problem.contains("caseflow rebuild"),
        "{}",
        noticed.problem
    );
    // It settles on "created again" once the new stream exists.
    let recreated = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let s = status(&cf).await;
            if s.problem.contains("created again") {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the problem names the recreated stream");
    assert_eq!(
        recreated.applied_sequence, 6,
        "nothing of the new stream applied"
    );
    assert_eq!(health(&cf, "").await, ServingStatus::NotServing as i32);
    assert_eq!(
        health(&cf, "caseflow.v2.Figures").await,
        ServingStatus::NotServing as i32
    );
    assert_eq!(
        health(&cf, "caseflow.v2.Ingest").await,
        ServingStatus::Serving as i32
    );
    let refused = cf
        .figures()
        .get_scorecard(v2::GetScorecardRequest {
            la: "372".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("created again"),
        "{}",
        refused.message()
    );
    let timeline = cf
        .records()
        .get_child_timeline(v2::GetChildTimelineRequest {
            la: "372".to_owned(),
            child_id: "C1".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(timeline.code(), Code::FailedPrecondition);
    let metrics = cf.metrics().await;
    assert_eq!(
        sample(&metrics, "caseflow_projector_history_lost", &[]),
        Some(1.0),
        "{metrics}"
    );
    let config = cf.config.clone();
    cf.stop().await;

    // `caseflow rebuild` recovers: the figures are the new stream's.
    caseflow::commands::rebuild(&config).await.unwrap();
    let cf = TestCaseflow::start_in(&nats.url(), dir).await;
    cf.caught_up().await;
    assert_eq!(status(&cf).await.problem, "");
    assert_eq!(health(&cf, "").await, ServingStatus::Serving as i32);
    assert_eq!(cf.series("372", "6.1", "2018-05", "2018-05").await, vec![1]);
    assert_eq!(cf.timeline("372", "C9").await.entries.len(), 2);
    let metrics = cf.metrics().await;
    assert_eq!(
        sample(&metrics, "caseflow_projector_history_lost", &[]),
        Some(0.0)
    );
    cf.stop().await;
}
