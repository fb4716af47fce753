//! Every refusal of the API, pinned: each invalid argument of each call with its status code
//! and message; the list calls' limits and paging; and what callers see while NATS is down.

use std::time::Duration;

use caseflow_domain::indicators::derived_indicators;
use caseflow_proto::{v1, v2};
use caseflow_tests::*;
use tonic::{Code, Status};

/// A call's outcome as the table compares it: OK, or the status code and message.
type Outcome = (Code, String);

fn outcome<T>(result: Result<tonic::Response<T>, Status>) -> Outcome {
    match result {
        Ok(_) => (Code::Ok, String::new()),
        Err(status) => (status.code(), status.message().to_owned()),
    }
}

fn invalid(message: &str) -> (Code, String) {
    (Code::InvalidArgument, message.to_owned())
}

fn series(la: &str, indicator: &str, from: &str, to: &str, at: &str) -> v2::GetSeriesRequest {
    v2::GetSeriesRequest {
        la: la.into(),
        indicator: indicator.into(),
        from_month: from.into(),
        to_month: to.into(),
        as_known_at: at.into(),
    }
}

fn breakdown(indicator: &str, month: &str, dimension: i32) -> v2::GetBreakdownRequest {
    v2::GetBreakdownRequest {
        la: "372".into(),
        indicator: indicator.into(),
        month: month.into(),
        dimension,
    }
}

fn members(la: &str, indicator: &str, month: &str) -> v2::ListMembersRequest {
    v2::ListMembersRequest {
        la: la.into(),
        indicator: indicator.into(),
        month: month.into(),
    }
}

fn timeline(la: &str, child: &str) -> v2::GetChildTimelineRequest {
    v2::GetChildTimelineRequest {
        la: la.into(),
        child_id: child.into(),
    }
}

fn not_a_moment(s: &str) -> (Code, String) {
    invalid(&format!(
        "as_known_at {s:?} is neither an RFC 3339 timestamp nor a YYYY-MM-DD day"
    ))
}

/// C1, born 1 July 2012, admitted on 10 April 2018 (recorded at noon that day).
fn one_child() -> Vec<String> {
    vec![
        registered("372", "C1", "c1-born", "2012-07-01"),
        admitted("372", "C1", "c1-in", "2018-04-10", "C1"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_argument_is_refused_with_its_code_and_message() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    publish(cf.log(), one_child()).await;
    cf.caught_up().await;
    let (mut figures, mut records, mut operations, mut ingest) =
        (cf.figures(), cf.records(), cf.operations(), cf.ingest());
    let known: Vec<&str> = derived_indicators().map(|i| i.id()).collect();
    let unknown_indicator = (
        Code::NotFound,
        format!(
            "indicator \"9.9\" is not derived by this build (known: {})",
            known.join(", ")
        ),
    );

    let mut table: Vec<(&str, Outcome, Outcome)> = Vec::new();
    let mut case = |name, got, want| table.push((name, got, want));

    // Figures/GetSeries
    let got = figures.get_series(series("37", "6.1", "", "", "")).await;
    let want = invalid("la \"37\" is not a three-digit authority code");
    case("series: bad la", outcome(got), want);
    let got = figures.get_series(series("372", "9.9", "", "", "")).await;
    case(
        "series: unknown indicator",
        outcome(got),
        unknown_indicator.clone(),
    );
    let got = figures
        .get_series(series("372", "6.1", "2018-13", "", ""))
        .await;
    let want = invalid("from_month \"2018-13\" is not a YYYY-MM month");
    case("series: bad from_month", outcome(got), want);
    let got = figures
        .get_series(series("372", "6.1", "", "May-18", ""))
        .await;
    let want = invalid("to_month \"May-18\" is not a YYYY-MM month");
    case("series: bad to_month", outcome(got), want);
    let got = figures
        .get_series(series("372", "6.1", "2018-05", "2018-03", ""))
        .await;
    let want = invalid("from_month 2018-05 is after to_month 2018-03");
    case("series: from after to", outcome(got), want);
    let got = figures
        .get_series(series("372", "6.1", "1900-01", "2018-05", ""))
        .await;
    let want = invalid("a series covers at most 100 years");
    case("series: over the limit", outcome(got), want);
    for at in [
        "yesterday",
        "2018-06-31",
        "2018-06-05T10:00:00",
        "2018-06-05T25:00:00Z",
        "2018-06-05T10:00:00+1:00",
    ] {
        let got = figures.get_series(series("372", "6.1", "", "", at)).await;
        case("series: bad as_known_at", outcome(got), not_a_moment(at));
    }

    // Figures/GetBreakdown
    let got = figures.get_breakdown(breakdown("6.1", "2018-13", 0)).await;
    let want = invalid("month \"2018-13\" is not a YYYY-MM month");
    case("breakdown: bad month", outcome(got), want);
    let got = figures.get_breakdown(breakdown("9.9", "2018-05", 0)).await;
    case(
        "breakdown: unknown indicator",
        outcome(got),
        unknown_indicator.clone(),
    );
    let got = figures.get_breakdown(breakdown("6.1", "2018-05", 99)).await;
    let want = invalid("dimension 99 is not a known value");
    case("breakdown: bad dimension", outcome(got), want);
    let team_group = v2::Dimension::TeamGroup as i32;
    let got = figures
        .get_breakdown(breakdown("6.3", "2018-05", team_group))
        .await;
    let want = invalid("the DIMENSION_TEAM_GROUP breakdown is of 6.1 only");
    case("breakdown: team group of 6.3", outcome(got), want);

    // Figures/GetScorecard
    let scorecard = |la: &str, month: &str, at: &str| v2::GetScorecardRequest {
        la: la.into(),
        month: month.into(),
        as_known_at: at.into(),
    };
    let got = figures.get_scorecard(scorecard("3720", "", "")).await;
    let want = invalid("la \"3720\" is not a three-digit authority code");
    case("scorecard: bad la", outcome(got), want);
    let got = figures.get_scorecard(scorecard("372", "2018-5", "")).await;
    let want = invalid("month \"2018-5\" is not a YYYY-MM month");
    case("scorecard: bad month", outcome(got), want);
    let got = figures.get_scorecard(scorecard("372", "", "soon")).await;
    case(
        "scorecard: bad as_known_at",
        outcome(got),
        not_a_moment("soon"),
    );

    // Records/ListMembers (refused before the stream starts)
    let got = records.list_members(members("372", "6.2", "2018-05")).await;
    let want = invalid("6.2 is 6.1 over a population: list the members of 6.1");
    case("members: 6.2 has none", outcome(got), want);
    let got = records.list_members(members("372", "9.9", "2018-05")).await;
    case(
        "members: unknown indicator",
        outcome(got),
        unknown_indicator.clone(),
    );
    let got = records.list_members(members("372", "6.1", "")).await;
    let want = invalid("month \"\" is not a YYYY-MM month");
    case("members: no month", outcome(got), want);
    let got = records.list_members(members("x", "6.1", "2018-05")).await;
    let want = invalid("la \"x\" is not a three-digit authority code");
    case("members: bad la", outcome(got), want);

    // Records/GetChildTimeline
    let got = records.get_child_timeline(timeline("372", "C 1")).await;
    let want = invalid("child_id \"C 1\" is not a valid id");
    case("timeline: bad child id", outcome(got), want);
    let got = records.get_child_timeline(timeline("372", "C999")).await;
    let want = (
        Code::NotFound,
        "no events for caseflow.events.372.child.C999".to_owned(),
    );
    case("timeline: unknown child", outcome(got), want);
    let got = records.get_child_timeline(timeline("", "C1")).await;
    let want = invalid("la \"\" is not a three-digit authority code");
    case("timeline: no la", outcome(got), want);

    // Operations
    let got = operations
        .list_data_quality_issues(v2::ListDataQualityIssuesRequest {
            la: "372".into(),
            child_id: "C/1".into(),
            limit: 0,
        })
        .await;
    let want = invalid("child_id \"C/1\" is not a valid id");
    case("issues: bad child id", outcome(got), want);
    let got = operations
        .list_rejections(v2::ListRejectionsRequest {
            la: "ABC".into(),
            after_sequence: 0,
            limit: 0,
        })
        .await;
    let want = invalid("la \"ABC\" is not a three-digit authority code");
    case("rejections: bad la", outcome(got), want);

    // Ingest/Append
    let got = ingest
        .append(v2::AppendRequest {
            event: None,
            expected_last_subject_sequence: None,
        })
        .await;
    let want = invalid("the request carries no event");
    case("append: no event", outcome(got), want);

    let wrong: Vec<_> = table.iter().filter(|(_, got, want)| got != want).collect();
    assert!(wrong.is_empty(), "refusals that differ: {wrong:#?}");
    assert_eq!(table.len(), 28);
    cf.stop().await;
}

/// "As known at" takes RFC 3339 with any offset (the same instant as in UTC) and a bare day
/// (its end, UTC).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_known_at_takes_every_form_of_a_moment() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    // C1 admitted on 10 April, recorded at noon UTC on 10 April (the builders' recording time).
    publish(cf.log(), one_child()).await;
    cf.caught_up().await;
    let figures = cf.figures();
    let at = |moment: &'static str| {
        let request = series("372", "6.3", "2018-04", "2018-04", moment);
        let mut figures = figures.clone();
        async move {
            let months = figures
                .get_series(request)
                .await
                .unwrap()
                .into_inner()
                .months;
            months[0].numerator
        }
    };
    // 11:59 UTC is before the recording, 13:00 in UTC+01:00 is noon UTC: recorded by then.
    assert_eq!(at("2018-04-10T11:59:00Z").await, 0);
    assert_eq!(at("2018-04-10T12:59:00+01:00").await, 0);
    assert_eq!(at("2018-04-10T13:00:00+01:00").await, 1);
    assert_eq!(at("2018-04-10T08:00:00-04:00").await, 1);
    // RFC 3339 lets a space stand for the `T`.
    assert_eq!(at("2018-04-10 12:59:00+01:00").await, 0);
    assert_eq!(at("2018-04-10 12:00:00Z").await, 1);
    assert_eq!(at("2018-04-09").await, 0);
    assert_eq!(at("2018-04-10").await, 1);
    cf.stop().await;
}

/// The list calls answer at most `limit` entries (0: 100; at most 1,000), oldest first, and
/// page on from `after_sequence`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_calls_keep_their_limits_and_page() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    // 1,005 undecodable messages, then a valid event (so that catching up covers them all).
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    for n in 0..1005 {
        let subject = format!("caseflow.events.372.child.C{n}");
        js.publish(subject, "{".into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    publish(
        cf.log(),
        vec![registered("372", "C1", "c1-born", "2012-07-01")],
    )
    .await;
    cf.caught_up().await;
    let operations = cf.operations();
    let page = |after_sequence: u64, limit: u32| {
        let mut operations = operations.clone();
        async move {
            operations
                .list_rejections(v2::ListRejectionsRequest {
                    la: "372".into(),
                    after_sequence,
                    limit,
                })
                .await
                .unwrap()
                .into_inner()
                .rejections
                .iter()
                .map(|r| r.stream_sequence)
                .collect::<Vec<_>>()
        }
    };
    // The rejections are the messages at sequences 1 to 1,005.
    assert_eq!(page(0, 3).await, [1, 2, 3]);
    assert_eq!(page(3, 3).await, [4, 5, 6]);
    assert_eq!(page(1003, 3).await, [1004, 1005]);
    assert_eq!(page(1005, 3).await, Vec::<u64>::new());
    assert_eq!(page(0, 0).await, (1..=100).collect::<Vec<_>>());
    assert_eq!(page(0, 5000).await, (1..=1000).collect::<Vec<_>>());
    cf.stop().await;
}

/// With NATS down caseflow does not start, and says why; `Append` while NATS is down answers
/// UNAVAILABLE, and the same event appended again once NATS is back is in the stream once
/// (the event id is the message id, so a retry is a duplicate, never a second copy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_down_is_unavailable_and_nothing_is_appended_twice() {
    // Nothing listens on a port just freed.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("nats://{}", free.local_addr().unwrap());
    drop(free);
    let dir = tempfile::tempdir().unwrap();
    let started = tokio::time::timeout(
        Duration::from_secs(30),
        caseflow::app::start(&config(&url, &dir)),
    )
    .await
    .expect("a start without NATS must fail, not hang");
    let error = format!("{:#}", started.err().expect("started without NATS"));
    assert!(error.contains("cannot open the event log"), "{error}");

    let mut nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    let mut ingest = cf.ingest();
    let event: v1::Event =
        serde_json::from_str(&admitted("372", "C1", "c1-in", "2018-04-10", "C1")).unwrap();
    let append = |ingest: &mut v2::ingest_client::IngestClient<_>| {
        let request = v2::AppendRequest {
            event: Some(event.clone()),
            expected_last_subject_sequence: None,
        };
        let mut ingest = ingest.clone();
        async move { ingest.append(request).await }
    };
    nats.server.stop();
    let down = append(&mut ingest)
        .await
        .expect_err("appended with NATS down");
    assert_eq!(down.code(), Code::Unavailable, "{down:?}");

    nats.server.restart().unwrap();
    let appended = |r: Result<tonic::Response<v2::AppendResponse>, Status>| match r
        .unwrap()
        .into_inner()
        .outcome
    {
        Some(v2::append_response::Outcome::Appended(a)) => (a.stream_sequence, a.duplicate),
        other => panic!("not appended: {other:?}"),
    };
    // The client reconnects by itself; until then appends stay UNAVAILABLE.
    let mut first = None;
    for _ in 0..100 {
        match append(&mut ingest).await {
            Err(s) if s.code() == Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => {
                first = Some(appended(other));
                break;
            }
        }
    }
    // An append answered UNAVAILABLE may still have reached the stream (the client sends what
    // it held once NATS is back); a retry with the same event id is then absorbed as its
    // duplicate. Either way the event is in the stream once, at sequence 1.
    assert!(
        matches!(first, Some((1, _))),
        "the first append after NATS returned: {first:?}"
    );
    assert_eq!(appended(append(&mut ingest).await), (1, true));
    assert_eq!(cf.log().last_sequence().await.unwrap(), 1);
    cf.stop().await;
}
