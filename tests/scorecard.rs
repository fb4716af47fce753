//! The scorecard and the members behind a figure, against real servers.

use caseflow_proto::v2;
use caseflow_tests::*;
use serde_json::json;

/// Four children discharged in April and May 2018 of authority 372:
/// - April: A1 adopted (E11), A2 returned home (E4A): 6.4 = 2, 6.5 = 1/2, 6.8 = 1/2;
/// - May: A3 special guardianship (E45), A4 returned home (E4A): 6.4 = 2, 6.5 = 1/2, 6.6 = 1/2,
///   6.8 = 0/2. YTD 2018/19 at May: 6.4 = 4, 6.5 = 2/4 = 50.0%, 6.8 = 1/4 = 25.0%.
///
/// And one household approved in March 2018 (9.3 = 1 from March).
fn scenario() -> Vec<String> {
    let mut lines = Vec::new();
    for (child, out, reason) in [
        ("A1", "2018-04-10", "E11"),
        ("A2", "2018-04-20", "E4A"),
        ("A3", "2018-05-03", "E45"),
        ("A4", "2018-05-30", "E4A"),
    ] {
        lines.push(registered("372", child, &format!("{child}b"), "2010-01-01"));
        lines.push(admitted(
            "372",
            child,
            &format!("{child}a"),
            "2017-01-09",
            "C2",
        ));
        lines.push(ended("372", child, &format!("{child}e"), out, reason));
    }
    lines.push(
        json!({"eventId": "H1a", "la": "372", "householdId": "H1", "occurredOn": "2018-03-15",
               "recordedAt": "2018-03-15T12:00:00Z",
               "fosterCarerApproved": {"places": 2, "connected": false}})
        .to_string(),
    );
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scorecard_rows_carry_ytd_trend_dot_rag_and_members() {
    let nats = TestNats::start();
    let mut config_targets = caseflow_domain::scorecard::ScorecardSettings::default();
    config_targets
        .targets
        .push(caseflow_domain::scorecard::TargetSetting {
            indicator: "6.5".into(),
            year: "2018/19".into(),
            green: Some(35.0),
            amber: Some(33.0),
            range: None,
            range_tolerance_percent: None,
        });
    let cf = TestCaseflow::start_with(&nats, |c| c.scorecard = config_targets.clone()).await;
    publish(cf.log(), scenario()).await;
    cf.caught_up().await;

    let card = cf
        .figures()
        .get_scorecard(v2::GetScorecardRequest {
            la: "372".into(),
            month: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // Today is 5 June 2018: the last complete month is May, in 2018/19.
    assert_eq!(
        (card.month.as_str(), card.financial_year.as_str()),
        ("2018-05", "2018/19")
    );
    let row = |id: &str| {
        card.rows
            .iter()
            .find(|r| r.indicator.as_ref().unwrap().id == id)
            .unwrap()
    };

    let ceased = row("6.4");
    let current = ceased.current.as_ref().unwrap();
    assert_eq!((current.numerator, current.ytd_numerator), (2, Some(4)));
    assert_eq!(
        ceased.direction(),
        v2::Direction::Same,
        "2 in April, 2 in May"
    );

    let permanence = row("6.5");
    let current = permanence.current.as_ref().unwrap();
    assert_eq!((current.numerator, current.denominator), (1, Some(2)));
    assert_eq!(current.value, Some(50.0));
    assert_eq!(current.ytd_value, Some(50.0));
    // 50.0% against green 35%+: green; the thresholds used come back with it.
    assert_eq!(permanence.rag(), v2::Rag::Green);
    assert_eq!(permanence.thresholds.as_ref().unwrap().green, Some(35.0));

    let adopted = row("6.8");
    let current = adopted.current.as_ref().unwrap();
    assert_eq!(current.value, Some(0.0));
    assert_eq!(current.ytd_value, Some(25.0));
    // 50% in April to 0% in May: down, a decline for a high-polarity indicator.
    assert_eq!(
        (adopted.direction(), adopted.judgement()),
        (v2::Direction::Down, v2::Judgement::Declined)
    );
    assert_eq!(
        adopted.rag(),
        v2::Rag::Unspecified,
        "no target configured for 6.8 here"
    );

    // Annual trend: the four financial years before 2018/19; in 2017/18 nobody ceased.
    let years: Vec<_> = ceased
        .trend
        .iter()
        .map(|y| (y.year.as_str(), y.numerator))
        .collect();
    assert_eq!(
        years,
        vec![
            ("2014/15", 0),
            ("2015/16", 0),
            ("2016/17", 0),
            ("2017/18", 0)
        ]
    );
    // 6.1 at 31 March 2018 was 4 (all four admitted in January 2017).
    assert_eq!(row("6.1").trend.last().unwrap().numerator, 4);

    let households = row("9.3");
    assert_eq!(households.current.as_ref().unwrap().numerator, 1);

    // Members of 6.5 in May: A3 in the numerator (E45) and A4 only in the denominator.
    let mut got: Vec<_> = cf
        .members("372", "6.5", "2018-05")
        .await
        .into_iter()
        .map(|m| {
            let reason = m
                .facts
                .iter()
                .find(|f| f.name == "reason")
                .unwrap()
                .value
                .clone();
            (m.id, m.numerator, m.denominator, reason)
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("A3".to_owned(), 1, 1, "E45".to_owned()),
            ("A4".to_owned(), 0, 1, "E4A".to_owned())
        ]
    );

    // Members of 9.3 are households: the one approved in March.
    let households: Vec<_> = cf
        .members("372", "9.3", "2018-05")
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(households, vec!["caseflow.events.372.carer.H1"]);
    cf.stop().await;
}

fn worker_event(id: &str, eid: &str, on: &str, payload: &str, body: serde_json::Value) -> String {
    let mut e = json!({"eventId": eid, "la": "372", "workerId": id, "occurredOn": on,
                       "recordedAt": format!("{on}T12:00:00Z")});
    e[payload] = body;
    e.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caseloads_join_children_and_workers() {
    // W1 (LAC1, 1.0 FTE, agency) holds K1, K2, K3; W2 (LAC4, 0.5 FTE) holds K4 from May 2018.
    // At the end of May: 11.1 = 1 agency of 2 counted = 50.0%; 11.4 = 3; 11.5 LAC 1-3 = 3/1.0
    // = 3.0, LAC 4-5 = 1/0.5 = 2.0. At the end of April K4 is unallocated and W2 holds none:
    // 11.1 = 1 of 1 = 100.0%.
    let nats = TestNats::start();
    let cf = TestCaseflow::start_with(&nats, |c| {
        c.indicators
            .team_groups
            .insert("LAC 1-3".into(), vec!["LAC1".into()]);
        c.indicators
            .team_groups
            .insert("LAC 4-5".into(), vec!["LAC4".into()]);
    })
    .await;
    let mut lines = vec![
        worker_event(
            "W1",
            "w1",
            "2017-01-02",
            "socialWorkerJoined",
            json!({"team": "LAC1", "fte": 1.0, "qualified": true, "agency": true}),
        ),
        worker_event(
            "W2",
            "w2",
            "2017-01-02",
            "socialWorkerJoined",
            json!({"team": "LAC4", "fte": 0.5, "qualified": true}),
        ),
    ];
    for (child, to, on) in [
        ("K1", "W1", "2018-01-05"),
        ("K2", "W1", "2018-01-05"),
        ("K3", "W1", "2018-01-05"),
        ("K4", "W2", "2018-05-02"),
    ] {
        lines.push(registered("372", child, &format!("{child}b"), "2009-09-09"));
        lines.push(admitted(
            "372",
            child,
            &format!("{child}a"),
            "2018-01-05",
            "C2",
        ));
        lines.push(event(
            "372",
            child,
            &format!("{child}w"),
            on,
            "caseAllocated",
            json!({"workerId": to}),
        ));
    }
    publish(cf.log(), lines).await;
    cf.caught_up().await;

    let values = |s: v2::GetSeriesResponse| -> Vec<Option<f64>> {
        s.months.iter().map(|m| m.value).collect()
    };
    let series = |ind: &str| {
        let mut f = cf.figures();
        let ind = ind.to_owned();
        async move {
            f.get_series(v2::GetSeriesRequest {
                la: "372".into(),
                indicator: ind,
                from_month: "2018-04".into(),
                to_month: "2018-05".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
        }
    };
    assert_eq!(values(series("11.1").await), vec![Some(100.0), Some(50.0)]);
    assert_eq!(values(series("11.4").await), vec![Some(3.0), Some(3.0)]);

    let card = cf
        .figures()
        .get_scorecard(v2::GetScorecardRequest {
            la: "372".into(),
            month: "2018-05".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let groups: Vec<(String, Option<f64>)> = card
        .rows
        .iter()
        .filter(|r| r.indicator.as_ref().unwrap().id == "11.5")
        .map(|r| (r.group.clone(), r.current.as_ref().unwrap().value))
        .collect();
    assert_eq!(
        groups,
        vec![
            ("LAC 1-3".to_owned(), Some(3.0)),
            ("LAC 4-5".to_owned(), Some(2.0))
        ]
    );

    let b = cf
        .figures()
        .get_breakdown(v2::GetBreakdownRequest {
            la: "372".into(),
            indicator: "6.1".into(),
            month: "2018-04".into(),
            dimension: v2::Dimension::TeamGroup.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let rows: Vec<(String, i64)> = b.breakdowns[0]
        .rows
        .iter()
        .map(|r| (r.category.clone(), r.count))
        .collect();
    assert_eq!(
        rows,
        vec![("No LAC team".to_owned(), 1), ("LAC 1-3".to_owned(), 3)]
    );
    assert_eq!(b.breakdowns[0].dimension(), v2::Dimension::TeamGroup);
    // The team-group breakdown is 6.1's only; a dimension this build does not know is refused.
    for (indicator, dimension) in [("6.4", v2::Dimension::TeamGroup.into()), ("6.1", 99)] {
        let refused = cf
            .figures()
            .get_breakdown(v2::GetBreakdownRequest {
                la: "372".into(),
                indicator: indicator.into(),
                month: "2018-04".into(),
                dimension,
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    }

    let got: Vec<_> = cf
        .members("372", "11.1", "2018-05")
        .await
        .into_iter()
        .map(|m| (m.id, m.numerator, m.denominator))
        .collect();
    assert_eq!(got, vec![("W1".to_owned(), 1, 1), ("W2".to_owned(), 0, 1)]);
    cf.stop().await;
}

/// A scorecard asked for again is answered from memory (without the blocking pool) and equals
/// the computed one; a batch the projector applies afterwards is seen by the next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_scorecard_is_the_same_until_figures_move() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    publish(cf.log(), scenario()).await;
    cf.caught_up().await;
    let ask = || {
        let mut f = cf.figures();
        async move {
            f.get_scorecard(v2::GetScorecardRequest {
                la: "372".into(),
                month: "2018-05".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
        }
    };
    let ceased = |card: &v2::Scorecard| {
        let row = card
            .rows
            .iter()
            .find(|r| r.indicator.as_ref().unwrap().id == "6.4")
            .unwrap();
        row.current.as_ref().unwrap().numerator
    };
    // (answered, computed) as the metrics count them.
    let counted = || async {
        let metrics = cf.metrics().await;
        let count = |name| sample(&metrics, name, &[]).unwrap_or(0.0) as u64;
        (
            count("caseflow_scorecard_requests_total"),
            count("caseflow_scorecards_computed_total"),
        )
    };
    let computed = ask().await;
    let memoised = ask().await;
    assert_eq!(memoised, computed);
    assert_eq!(ceased(&memoised), 2);
    assert_eq!(
        counted().await,
        (2, 1),
        "the second answer came from memory"
    );

    publish(
        cf.log(),
        vec![
            registered("372", "A5", "A5b", "2010-01-01"),
            admitted("372", "A5", "A5a", "2017-01-09", "C2"),
            ended("372", "A5", "A5e", "2018-05-15", "E4A"),
        ],
    )
    .await;
    cf.caught_up().await;
    let moved = ask().await;
    assert_eq!(ceased(&moved), 3, "the discharge of A5 in May is counted");
    assert_eq!(ask().await, moved);
    assert_eq!(
        counted().await,
        (4, 2),
        "computed again once, when the figures moved"
    );
}

/// Figures the query service brings forward with the store's recent changes, batch after
/// batch while two authorities' histories arrive, are those derived afresh from the events
/// ("as known at" the end of today, which folds every stored event and reads no snapshot);
/// an authority a commit did not touch keeps its figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_brought_forward_batch_after_batch_are_those_derived_afresh() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start_with(&nats, |c| c.projector.batch_size = 500).await;
    let sim = caseflow::commands::last_years(
        caseflow_sim::SimConfig {
            authorities: vec!["372".into(), "201".into()],
            ..caseflow_sim::SimConfig::like_seed(13, "372")
        },
        1,
    );
    let end_of_today = "2018-06-05T23:59:59Z";
    let cutoff = caseflow_domain::Timestamp::from_offset(time::macros::datetime!(
        2018-06-05 23:59:59 UTC
    ));
    let lines_of = |la: &str| -> Vec<String> {
        caseflow_sim::simulate_authority(&sim, la)
            .events
            .into_iter()
            .filter(|e| e.event.as_ref().is_some_and(|e| e.recorded_at <= cutoff))
            .map(|e| e.json)
            .collect()
    };
    // The two histories interleaved in runs of 300, then published in five steps.
    let (a, b) = (lines_of("372"), lines_of("201"));
    let mut lines = Vec::new();
    for i in (0..a.len().max(b.len())).step_by(300) {
        lines.extend(a.iter().skip(i).take(300).cloned());
        lines.extend(b.iter().skip(i).take(300).cloned());
    }
    let step = lines.len().div_ceil(5);
    let scorecard = |la: &'static str, known: &'static str| cf.scorecard(la, "2018-05", known);
    let brought_forward = || async {
        let metrics = cf.metrics().await;
        sample(
            &metrics,
            "caseflow_figure_snapshots_total",
            &[("how", "brought_forward")],
        )
        .unwrap_or(0.0)
    };
    for (n, slice) in lines.chunks(step).enumerate() {
        publish(cf.log(), slice.to_vec()).await;
        cf.caught_up().await;
        for la in ["372", "201"] {
            let held = scorecard(la, "").await;
            let afresh = scorecard(la, end_of_today).await;
            assert_eq!(held, afresh, "{la} after step {}", n + 1);
        }
    }
    assert!(
        brought_forward().await > 0.0,
        "the figures were brought forward, not only read again"
    );
    // A commit of 201's alone leaves 372's scorecard as it was answered.
    let answered = scorecard("372", "").await;
    publish(
        cf.log(),
        vec![registered("201", "NEW1", "NEW1b", "2012-01-01")],
    )
    .await;
    cf.caught_up().await;
    let computed = |metrics: String| sample(&metrics, "caseflow_scorecards_computed_total", &[]);
    let before = computed(cf.metrics().await);
    assert_eq!(scorecard("372", "").await, answered);
    assert_eq!(
        computed(cf.metrics().await),
        before,
        "372's scorecard came from memory"
    );
    cf.stop().await;
}
