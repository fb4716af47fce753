//! Publish -> project -> query round trips against a real nats-server.

use caseflow_proto::v2;
use caseflow_tests::*;
use proptest::prelude::*;
use serde_json::json;

/// Three children of authority 372:
/// - C1 admitted 10 Apr 2018 (C1 interim care order), still looked after;
/// - C2 admitted 3 Mar 2018, discharged 31 May 2018 (not looked after at the end of May);
/// - C3 admitted 1 May 2018 on short breaks (V3): counted nowhere.
fn three_children(la: &str) -> Vec<String> {
    vec![
        registered(la, "C1", "c1-born", "2012-07-01"),
        admitted(la, "C1", "c1-in", "2018-04-10", "C1"),
        registered(la, "C2", "c2-born", "2003-01-15"),
        admitted(la, "C2", "c2-in", "2018-03-03", "V2"),
        ended(la, "C2", "c2-out", "2018-05-31", "E13"),
        registered(la, "C3", "c3-born", "2010-01-01"),
        admitted(la, "C3", "c3-in", "2018-05-01", "V3"),
    ]
}

/// A NATS server and caseflow that has projected [`three_children`] of authority 372.
async fn three_children_projected() -> (TestNats, TestCaseflow) {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    publish(cf.log(), three_children("372")).await;
    cf.caught_up().await;
    (nats, cf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_project_query_round_trip() {
    let (_nats, cf) = three_children_projected().await;

    // 6.1 at month end: March: C2; April: C1, C2; May: C1 only (C2 left on the 31st).
    assert_eq!(
        cf.series("372", "6.1", "2018-03", "2018-05").await,
        vec![1, 2, 1]
    );
    // 6.3 admissions: C2 in March, C1 in April; C3's short breaks are not counted.
    assert_eq!(
        cf.series("372", "6.3", "2018-03", "2018-05").await,
        vec![1, 1, 0]
    );
    // 6.4: C2 ceased in May.
    assert_eq!(
        cf.series("372", "6.4", "2018-03", "2018-05").await,
        vec![0, 0, 1]
    );

    // YTD of 6.3 in May 2018: April + May of 2018/19 = 1 (March belongs to 2017/18).
    let series = cf
        .figures()
        .get_series(v2::GetSeriesRequest {
            la: "372".into(),
            indicator: "6.3".into(),
            from_month: "2018-05".into(),
            to_month: "2018-05".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(series.months[0].ytd_numerator, Some(1));
    assert!(series.months[0].complete, "May is complete on 5 June");

    // Breakdown of May's 6.1: C1 is 5 (born July 2012) with legal status C1.
    let b = cf
        .figures()
        .get_breakdown(v2::GetBreakdownRequest {
            la: "372".into(),
            indicator: "6.1".into(),
            month: "2018-05".into(),
            dimension: v2::Dimension::Unspecified.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(b.total, 1);
    let rows = |d: v2::Dimension| -> Vec<(String, i64)> {
        b.breakdowns
            .iter()
            .find(|x| x.dimension() == d)
            .unwrap()
            .rows
            .iter()
            .map(|r| (r.category.clone(), r.count))
            .collect()
    };
    assert_eq!(rows(v2::Dimension::AgeBand), vec![("5-9".to_owned(), 1)]);
    assert_eq!(rows(v2::Dimension::LegalStatus), vec![("C1".to_owned(), 1)]);

    // The timeline of C2: ordered events, one closed period.
    let tl = cf.timeline("372", "C2").await;
    let ids: Vec<_> = tl
        .entries
        .iter()
        .map(|e| e.event.as_ref().unwrap().event_id.clone())
        .collect();
    assert_eq!(ids, vec!["c2-born", "c2-in", "c2-out"]);
    assert!(
        tl.entries
            .iter()
            .all(|e| e.stream_sequence > 0 && e.status() == v2::EntryStatus::Applied)
    );
    assert_eq!(tl.periods.len(), 1);
    assert_eq!(
        (tl.periods[0].start.as_str(), tl.periods[0].end.as_str()),
        ("2018-03-03", "2018-05-31")
    );

    // Another authority on the same stream sees nothing.
    assert_eq!(
        cf.series("373", "6.1", "2018-03", "2018-05").await,
        vec![0, 0, 0]
    );

    let status = cf
        .operations()
        .get_status(v2::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.applied_sequence, 7);
    assert_eq!(status.stream_last_sequence, 7);
    assert_eq!(status.lag, 0);
    assert_eq!(status.horizon_month, "2018-06");

    let health = cf
        .health()
        .check(tonic_health::pb::HealthCheckRequest {
            service: "caseflow.v2.Figures".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    cf.stop().await;
}

/// The projector's reading alone (the bench's baseline) reads what a rebuild reads,
/// rejections included, and stores nothing; settling what it read gives the running server's
/// figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_alone_reads_what_the_projector_settles_and_stores_nothing() {
    use caseflow_store::{ProjectionStore, SledStore};
    use std::sync::Arc;

    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    publish(cf.log(), three_children("372")).await;
    let subject = "caseflow.events.372.child.C1";
    publish_raw(&nats.url(), subject, b"{\"eventId\": 7", None).await;
    cf.caught_up().await;
    let last = cf.log().last_sequence().await.unwrap();
    assert_eq!(last, 8);

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path(), &cf.config.sled_settings()).unwrap());
    let mut config = cf.config.clone();
    config.projector.batch_size = 2;
    config.projector.defer_up_to = 3;
    let projector = caseflow::app::projector(&config, store.clone());
    let mut backlogs = Vec::new();
    projector
        .read_only(cf.log(), last, |b| backlogs.push(b))
        .await
        .unwrap();
    // Handed over where a rebuild would settle: every 3 messages held (batches of 2), and at
    // the authority's last message.
    // (A chunk holds what has arrived, one or two messages: each backlog but the last holds
    // 3 or 4.)
    let sizes: Vec<_> = backlogs.iter().map(|b| b.len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 8, "{sizes:?}");
    let (last, before) = sizes.split_last().unwrap();
    assert!(
        !before.is_empty() && before.iter().all(|&n| n == 3 || n == 4),
        "{sizes:?}"
    );
    assert!((1..=4).contains(last), "{sizes:?}");
    assert_eq!(backlogs.iter().map(|b| b.rejected()).sum::<usize>(), 1);
    assert_eq!(store.applied_sequence().unwrap(), 0);
    assert!(store.subjects(None).unwrap().is_empty());

    let (mut applied, mut rejected) = (0, 0);
    for backlog in backlogs {
        let report = projector.settle(backlog).unwrap();
        (applied, rejected) = (applied + report.applied, rejected + report.rejected);
    }
    assert_eq!((applied, rejected), (7, 1));
    let la = caseflow_domain::La::parse("372").unwrap();
    let running = cf.running.store.authority_cells(la).unwrap();
    assert!(!running.is_empty());
    assert_eq!(store.authority_cells(la).unwrap(), running);
    cf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_are_absorbed_and_retractions_re_derive() {
    let (nats, cf) = three_children_projected().await;

    // The discharge of C2 re-sent without Nats-Msg-Id (as if after JetStream's duplicate
    // window): it reaches the stream, and caseflow ignores it.
    let again = ended("372", "C2", "c2-out", "2018-05-31", "E13");
    publish_raw(
        &nats.url(),
        "caseflow.events.372.child.C2",
        again.as_bytes(),
        None,
    )
    .await;
    cf.caught_up().await;
    assert_eq!(cf.series("372", "6.4", "2018-05", "2018-05").await, vec![1]);
    let status = cf
        .operations()
        .get_status(v2::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            status.stream_last_sequence,
            status.duplicates,
            status.events_stored
        ),
        (8, 1, 7)
    );

    // Retract the discharge: C2 is looked after at the end of May again, and nothing ceased.
    publish(
        cf.log(),
        vec![retracted("372", "C2", "x1", "2018-06-01", "c2-out")],
    )
    .await;
    cf.caught_up().await;
    assert_eq!(
        cf.series("372", "6.1", "2018-05", "2018-06").await,
        vec![2, 2]
    );
    assert_eq!(cf.series("372", "6.4", "2018-05", "2018-05").await, vec![0]);

    // Retract the retraction: the discharge counts again.
    publish(
        cf.log(),
        vec![retracted("372", "C2", "x2", "2018-06-02", "x1")],
    )
    .await;
    cf.caught_up().await;
    assert_eq!(
        cf.series("372", "6.1", "2018-05", "2018-06").await,
        vec![1, 1]
    );
    assert_eq!(cf.series("372", "6.4", "2018-05", "2018-05").await, vec![1]);
    cf.stop().await;
}

/// An event id re-sent with the same content is a silent duplicate; re-sent with other content
/// it is a conflicting duplicate: the first copy keeps counting, the other is dropped, and a
/// `conflicting_duplicate` issue names both stream sequences.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_sent_id_with_other_content_keeps_the_first_copy_and_is_reported() {
    let (nats, cf) = three_children_projected().await;
    let kept = cf
        .timeline("372", "C2")
        .await
        .entries
        .iter()
        .find(|e| e.event.as_ref().is_some_and(|ev| ev.event_id == "c2-out"))
        .map(|e| e.stream_sequence)
        .unwrap();
    let subject = "caseflow.events.372.child.C2";
    // The same discharge again (no Nats-Msg-Id, as after JetStream's window): sequence 8.
    let same = ended("372", "C2", "c2-out", "2018-05-31", "E13");
    publish_raw(&nats.url(), subject, same.as_bytes(), None).await;
    // Its id once more, saying C2 left a month earlier: sequence 9.
    let other = ended("372", "C2", "c2-out", "2018-04-30", "E13");
    publish_raw(&nats.url(), subject, other.as_bytes(), None).await;
    cf.caught_up().await;

    // The first copy counts: C2 ceased in May, not April, and was looked after at April's end.
    assert_eq!(
        cf.series("372", "6.4", "2018-04", "2018-05").await,
        vec![0, 1]
    );
    assert_eq!(
        cf.series("372", "6.1", "2018-04", "2018-05").await,
        vec![2, 1]
    );
    let issues = cf
        .operations()
        .list_data_quality_issues(v2::ListDataQualityIssuesRequest {
            la: "372".into(),
            child_id: "C2".into(),
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .issues;
    let conflicts: Vec<_> = issues
        .iter()
        .filter(|i| i.reason == "conflicting_duplicate")
        .collect();
    assert_eq!(conflicts.len(), 1, "{issues:?}");
    let issue = conflicts[0];
    assert_eq!(
        (issue.event_id.as_str(), issue.occurred_on.as_str()),
        ("c2-out", "2018-05-31")
    );
    assert!(
        issue
            .message
            .contains(&format!("at sequence {kept}, is kept"))
            && issue.message.contains("stream sequence 9"),
        "{}",
        issue.message
    );
    // The child's timeline lists it too.
    let timeline = cf.timeline("372", "C2").await;
    assert!(
        timeline
            .issues
            .iter()
            .any(|i| i.reason == "conflicting_duplicate"),
        "{:?}",
        timeline.issues
    );
    // Both re-sends are duplicates; one of them conflicts.
    let status = cf
        .operations()
        .get_status(v2::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((status.duplicates, status.events_stored), (2, 7));
    // A settle counts once its commits succeeded, just after its applied sequence shows.
    let mut counted = (None, None);
    for _ in 0..100 {
        let metrics = cf.metrics().await;
        let settled = |outcome| {
            sample(
                &metrics,
                "caseflow_projector_events_total",
                &[("outcome", outcome)],
            )
        };
        counted = (settled("duplicate"), settled("conflicting_duplicate"));
        if counted == (Some(2.0), Some(1.0)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(counted, (Some(2.0), Some(1.0)));
    cf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_events_fix_data_quality_issues_and_past_months() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    // A review and a discharge arrive for a child with no admission yet.
    publish(
        cf.log(),
        vec![
            registered("372", "C9", "b", "2009-02-01"),
            event("372", "C9", "r", "2018-01-20", "reviewHeld", json!({})),
            ended("372", "C9", "d", "2018-03-15", "E4A"),
        ],
    )
    .await;
    cf.caught_up().await;
    let issues = |cf: &TestCaseflow| {
        let mut ops = cf.operations();
        async move {
            ops.list_data_quality_issues(v2::ListDataQualityIssuesRequest {
                la: "372".into(),
                child_id: String::new(),
                limit: 0,
            })
            .await
            .unwrap()
            .into_inner()
            .issues
            .into_iter()
            .map(|i| (i.event_id, i.reason))
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        issues(&cf).await,
        vec![
            ("r".to_owned(), "outside_period_of_care".to_owned()),
            ("d".to_owned(), "discharge_without_open_period".to_owned()),
        ]
    );
    assert_eq!(
        cf.series("372", "6.1", "2017-12", "2018-03").await,
        vec![0, 0, 0, 0]
    );

    // The admission arrives months late, back-dated to December: the issues clear and the past
    // months change.
    publish(
        cf.log(),
        vec![admitted("372", "C9", "a", "2017-12-04", "C2")],
    )
    .await;
    cf.caught_up().await;
    assert!(issues(&cf).await.is_empty());
    assert_eq!(
        cf.series("372", "6.1", "2017-11", "2018-03").await,
        vec![0, 1, 1, 1, 0]
    );
    assert_eq!(cf.series("372", "6.3", "2017-12", "2017-12").await, vec![1]);
    assert_eq!(cf.series("372", "6.4", "2018-03", "2018-03").await, vec![1]);
    cf.stop().await;
}

/// Random small histories for a few children (admissions, discharges, status changes,
/// registrations, retractions) as JSON lines for authority `la`.
fn history(raw: &[(u8, u8, u16, u8)], la: &str) -> Vec<String> {
    raw.iter()
        .enumerate()
        .map(|(n, &(child, kind, day, code))| {
            let c = format!("K{child}");
            // Event ids are unique across the stream (JetStream's Nats-Msg-Id window is
            // stream-wide), so they carry the authority.
            let id = format!("{la}e{n}");
            let on = caseflow_domain::calendar::format_day(caseflow_domain::calendar::add_days(
                time::macros::date!(2017 - 01 - 01),
                i64::from(day),
            ));
            let status = ["C1", "C2", "V2", "V3"][usize::from(code % 4)];
            match kind % 5 {
                0 => registered(la, &c, &id, "2008-03-01"),
                1 => admitted(la, &c, &id, &on, status),
                2 => ended(
                    la,
                    &c,
                    &id,
                    &on,
                    ["E11", "E13", "E45"][usize::from(code % 3)],
                ),
                3 => event(
                    la,
                    &c,
                    &id,
                    &on,
                    "legalStatusChanged",
                    json!({"legalStatus": status}),
                ),
                _ => retracted(
                    la,
                    &c,
                    &id,
                    &on,
                    &format!("{la}e{}", usize::from(code) % (n + 1)),
                ),
            }
        })
        .collect()
}

#[test]
fn shuffled_arrival_order_gives_identical_figures() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let nats = TestNats::start();
    let cf = rt.block_on(TestCaseflow::start(&nats));
    let case = std::sync::atomic::AtomicU32::new(0);
    let config = ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    };
    proptest!(config, |(raw in prop::collection::vec((0u8..3, 0u8..5, 0u16..540, any::<u8>()), 1..30), seed in any::<u64>())| {
        // Each case uses two fresh authorities on the same stream: one receives the events in
        // order, the other shuffled.
        let n = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (ordered_la, shuffled_la) = (format!("{}", 100 + 2 * n), format!("{}", 101 + 2 * n));
        let ordered = history(&raw, &ordered_la);
        let mut shuffled = history(&raw, &shuffled_la);
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        rt.block_on(async {
            publish(cf.log(), ordered).await;
            publish(cf.log(), shuffled).await;
            cf.caught_up().await;
        });
        for ind in ["6.1", "6.3", "6.4"] {
            let a = rt.block_on(cf.series(&ordered_la, ind, "2017-01", "2018-06"));
            let b = rt.block_on(cf.series(&shuffled_la, ind, "2017-01", "2018-06"));
            prop_assert_eq!(a, b, "indicator {}", ind);
        }
    });
    rt.block_on(cf.stop());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_as_known_at_a_moment_ignore_events_recorded_later() {
    // Admitted 10 May 2018 (recorded 11 May); discharged 20 May but recorded only on 10 June.
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    let mut discharge: serde_json::Value =
        serde_json::from_str(&ended("372", "C1", "out", "2018-05-20", "E13")).unwrap();
    discharge["recordedAt"] = json!("2018-06-10T09:00:00Z");
    let mut admission: serde_json::Value =
        serde_json::from_str(&admitted("372", "C1", "in", "2018-05-10", "C2")).unwrap();
    admission["recordedAt"] = json!("2018-05-11T08:00:00Z");
    publish(
        cf.log(),
        vec![
            registered("372", "C1", "b", "2012-01-01"),
            admission.to_string(),
            discharge.to_string(),
        ],
    )
    .await;
    cf.caught_up().await;
    let series = |indicator: &str, at: &str| {
        let mut figures = cf.figures();
        let request = v2::GetSeriesRequest {
            la: "372".into(),
            indicator: indicator.into(),
            from_month: "2018-05".into(),
            to_month: "2018-05".into(),
            as_known_at: at.into(),
        };
        async move {
            figures
                .get_series(request)
                .await
                .unwrap()
                .into_inner()
                .months
                .iter()
                .map(|m| m.numerator)
                .collect::<Vec<_>>()
        }
    };
    // Now: the discharge is known; C1 was not looked after at the end of May.
    assert_eq!(series("6.1", "").await, vec![0]);
    assert_eq!(series("6.4", "").await, vec![1]);
    // As known on 5 June: May looked like one child in care and nobody ceased.
    assert_eq!(series("6.1", "2018-06-05").await, vec![1]);
    assert_eq!(series("6.4", "2018-06-05").await, vec![0]);
    // As known just before the admission was recorded: nothing at all.
    assert_eq!(series("6.3", "2018-05-11T07:59:59Z").await, vec![0]);
    assert_eq!(series("6.3", "2018-05-11T08:00:00Z").await, vec![1]);

    // The scorecard as known on 5 June defaults to May, the last complete month then.
    let card = cf
        .figures()
        .get_scorecard(v2::GetScorecardRequest {
            la: "372".into(),
            month: String::new(),
            as_known_at: "2018-06-05".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(card.month, "2018-05");
    let ceased = card
        .rows
        .iter()
        .find(|r| r.indicator.as_ref().unwrap().id == "6.4")
        .unwrap();
    assert_eq!(ceased.current.as_ref().unwrap().numerator, 0);

    let bad = cf
        .figures()
        .get_series(v2::GetSeriesRequest {
            la: "372".into(),
            indicator: "6.1".into(),
            as_known_at: "last tuesday".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    cf.stop().await;
}
