//! Every rejection reason, published raw to the stream (as a misbehaving case system could),
//! is recorded with its reason, changes no figure, and never stops the projector.

use caseflow_domain::RejectionReason;
use caseflow_proto::{v1, v2};
use caseflow_tests::*;
use prost::Message;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_reason_is_recorded_and_the_projector_carries_on() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    let child = "caseflow.events.372.child.C1";
    let ok = |id: &str| admitted("372", "C1", id, "2018-05-01", "C2");
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&ok("bad")).unwrap();
        edit(&mut v);
        v.to_string()
    };
    // The valid admission with the field at `pointer` set to `value` (added when absent).
    let set = |pointer: &str, value: serde_json::Value| {
        let mut v: serde_json::Value = serde_json::from_str(&ok("bad")).unwrap();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        v.pointer_mut(parent).unwrap()[key] = value;
        v.to_string().into_bytes()
    };
    let two_payloads = {
        let mut v: serde_json::Value = serde_json::from_str(&ok("bad")).unwrap();
        v["reviewHeld"] = json!({});
        v.to_string()
    };
    let protobuf_two_payloads = {
        // A protobuf event with two payload fields set (prost keeps the last, the contract
        // says reject).
        let one = v1::Event {
            event_id: "bad".into(),
            la: "372".into(),
            child_id: "C1".into(),
            occurred_on: "2018-05-01".into(),
            payload: Some(v1::event::Payload::ReviewHeld(v1::ReviewHeld::default())),
            ..Default::default()
        };
        let two = v1::Event {
            payload: Some(v1::event::Payload::PepRecorded(v1::PepRecorded::default())),
            ..Default::default()
        };
        let mut bytes = one.encode_to_vec();
        bytes.extend(two.encode_to_vec());
        bytes
    };
    let cases: Vec<(&str, Vec<u8>, RejectionReason)> = vec![
        (
            "caseflow.events.37.child.C1",
            ok("a").into_bytes(),
            RejectionReason::InvalidSubject,
        ),
        (
            child,
            b"{\"eventId\":".to_vec(),
            RejectionReason::Undecodable,
        ),
        (child, vec![0xff, 0x01, 0x02], RejectionReason::Undecodable),
        (
            child,
            with(&|v| {
                v.as_object_mut().unwrap().remove("periodOfCareStarted");
            })
            .into_bytes(),
            RejectionReason::MissingPayload,
        ),
        (
            child,
            two_payloads.into_bytes(),
            RejectionReason::MultiplePayloads,
        ),
        (
            child,
            protobuf_two_payloads,
            RejectionReason::MultiplePayloads,
        ),
        (
            child,
            set("/periodOfCareStarted/legalStatus", json!("")),
            RejectionReason::MissingField,
        ),
        (
            child,
            set("/periodOfCareStarted/legalStatus", json!(7)),
            RejectionReason::InvalidField,
        ),
        (
            child,
            set("/eventId", json!("has space")),
            RejectionReason::InvalidId,
        ),
        (
            child,
            set("/occurredOn", json!("2018-02-29")),
            RejectionReason::InvalidDate,
        ),
        (
            child,
            set("/recordedAt", json!("2018-05-01 10:00")),
            RejectionReason::InvalidTimestamp,
        ),
        (
            child,
            set("/periodOfCareStarted/legalStatus", json!("Z9")),
            RejectionReason::UnknownCode,
        ),
        (
            child,
            set("/periodOfCareStarted/placement/type", json!("K3")),
            RejectionReason::CodeNotValidOnDate,
        ),
        (child, set("/la", json!("373")), RejectionReason::LaMismatch),
        (
            child,
            set("/childId", json!("C2")),
            RejectionReason::IdMismatch,
        ),
        (
            "caseflow.events.372.carer.H1",
            set("/householdId", json!("H1")),
            RejectionReason::PayloadNotForSubject,
        ),
        (
            child,
            set("/recordedAt", json!("2018-04-30T23:59:59Z")),
            RejectionReason::OccurredAfterRecorded,
        ),
        (
            child,
            set("/occurredOn", json!("1949-12-31")),
            RejectionReason::OccurredBefore1950,
        ),
    ];
    for (subject, payload, _) in &cases {
        publish_raw(&nats.url(), subject, payload, None).await;
    }
    // A valid event after all of them is applied.
    publish(
        cf.log(),
        vec![registered("372", "C1", "born", "2010-01-01"), ok("good")],
    )
    .await;
    cf.caught_up().await;

    let rejections = cf
        .operations()
        .list_rejections(v2::ListRejectionsRequest {
            la: String::new(),
            after_sequence: 0,
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .rejections;
    let got: Vec<(u64, String)> = rejections
        .iter()
        .map(|r| (r.stream_sequence, r.reason.clone()))
        .collect();
    let want: Vec<(u64, String)> = cases
        .iter()
        .enumerate()
        .map(|(i, (_, _, reason))| (i as u64 + 1, reason.code().to_owned()))
        .collect();
    assert_eq!(got, want);
    assert!(
        rejections
            .iter()
            .all(|r| !r.message.is_empty() && !r.rejected_at.is_empty())
    );
    // The event id is kept when it could be read (an authority that disagrees with the
    // subject), and there is none when the bytes do not decode.
    let of = |reason: RejectionReason| {
        rejections
            .iter()
            .find(|r| r.reason == reason.code())
            .unwrap()
    };
    assert_eq!(of(RejectionReason::LaMismatch).event_id, "bad");
    assert_eq!(of(RejectionReason::Undecodable).event_id, "");

    // Only the valid admission counts.
    assert_eq!(cf.series("372", "6.1", "2018-05", "2018-05").await, vec![1]);
    assert_eq!(cf.series("372", "6.3", "2018-05", "2018-05").await, vec![1]);
    // Rejections of one authority: the subject with no readable authority is left out.
    let of_372 = cf
        .operations()
        .list_rejections(v2::ListRejectionsRequest {
            la: "372".into(),
            after_sequence: 0,
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .rejections;
    assert_eq!(of_372.len(), cases.len() - 1);

    // Metrics count each rejection by its reason, and the events stored.
    let metrics = cf.metrics().await;
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("application/openmetrics-text"),
        "{metrics}"
    );
    for reason in RejectionReason::ALL {
        let want = cases.iter().filter(|(_, _, r)| *r == reason).count() as f64;
        let labels = [("stage", "projector"), ("reason", reason.code())];
        let got = sample(&metrics, "caseflow_rejections_total", &labels);
        assert_eq!(got.unwrap_or(0.0), want, "{reason:?}\n{metrics}");
    }
    let stored = [("outcome", "stored")];
    assert_eq!(
        sample(&metrics, "caseflow_projector_events_total", &stored),
        Some(2.0)
    );
    assert_eq!(
        sample(&metrics, "caseflow_projector_applied_sequence", &[]),
        Some(cases.len() as f64 + 2.0)
    );
    cf.stop().await;
}

#[test]
fn every_reason_code_is_tested_above() {
    // Keeps the list above complete when a reason is added.
    let source = include_str!("rejections.rs");
    for reason in RejectionReason::ALL {
        let name = format!("RejectionReason::{reason:?}");
        assert!(source.contains(&name), "{name} has no case");
    }
}
