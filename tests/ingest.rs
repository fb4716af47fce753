//! The gRPC ingest call: validate, append, answer with the sequence or the rejection.

use caseflow_proto::v2::append_response::Outcome;
use caseflow_proto::{v1, v2};
use caseflow_tests::*;

fn request(json: &str, expected: Option<u64>) -> v2::AppendRequest {
    let event: v1::Event = serde_json::from_str(json).unwrap();
    v2::AppendRequest {
        event: Some(event),
        expected_last_subject_sequence: expected,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_appends_valid_events_and_refuses_invalid_ones() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    let mut ingest = cf.ingest();

    let born = registered("372", "C1", "e1", "2011-04-04");
    let answer = ingest
        .append(request(&born, Some(0)))
        .await
        .unwrap()
        .into_inner();
    let Some(Outcome::Appended(a)) = answer.outcome else {
        panic!("{answer:?}")
    };
    assert_eq!(
        (a.stream_sequence, a.duplicate, a.subject.as_str()),
        (1, false, "caseflow.events.372.child.C1")
    );

    // The same event again within JetStream's window: a duplicate, nothing added.
    let answer = ingest
        .append(request(&born, None))
        .await
        .unwrap()
        .into_inner();
    let Some(Outcome::Appended(a)) = answer.outcome else {
        panic!("{answer:?}")
    };
    assert!(a.duplicate);

    // Optimistic concurrency: the subject's last sequence is 1, not 0.
    let admission = admitted("372", "C1", "e2", "2018-05-02", "C1");
    let status = ingest
        .append(request(&admission, Some(0)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Aborted, "{status:?}");
    let answer = ingest
        .append(request(&admission, Some(1)))
        .await
        .unwrap()
        .into_inner();
    assert!(matches!(answer.outcome, Some(Outcome::Appended(ref a)) if a.stream_sequence == 2));

    // An invalid event is refused with the projector's reason and never reaches the stream.
    let bad = admitted("372", "C1", "e3", "2018-05-02", "XX");
    let answer = ingest
        .append(request(&bad, None))
        .await
        .unwrap()
        .into_inner();
    let Some(Outcome::Rejection(r)) = answer.outcome else {
        panic!("{answer:?}")
    };
    assert_eq!(r.reason, "unknown_code");
    assert!(r.message.contains("\"XX\""), "{}", r.message);
    assert_eq!(cf.log().last_sequence().await.unwrap(), 2);

    cf.caught_up().await;
    assert_eq!(cf.series("372", "6.1", "2018-05", "2018-05").await, vec![1]);

    // Each call is counted by its outcome, the refusal by its reason.
    let metrics = cf.metrics().await;
    let appends = |outcome| {
        sample(
            &metrics,
            "caseflow_ingest_appends_total",
            &[("outcome", outcome)],
        )
    };
    assert_eq!(appends("appended"), Some(2.0), "{metrics}");
    assert_eq!(appends("duplicate"), Some(1.0));
    assert_eq!(appends("conflict"), Some(1.0));
    assert_eq!(appends("rejected"), Some(1.0));
    assert_eq!(appends("failed"), None);
    let refused = [("stage", "ingest"), ("reason", "unknown_code")];
    assert_eq!(
        sample(&metrics, "caseflow_rejections_total", &refused),
        Some(1.0)
    );
    cf.stop().await;
}
