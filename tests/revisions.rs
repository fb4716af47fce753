//! Published reports and what changed since: a report is published, then a late admission, a
//! late discharge and a retraction arrive, each moving May 2018. Revisions, the report's
//! markers, the comparison with a named publication and the timeliness view are checked
//! against numbers reasoned out by hand. The caseloads (11.x) the same way: a late allocation
//! and a social worker's late leaving revise a published month.

use caseflow::report::{self, Format};
use caseflow_proto::v2;
use caseflow_tests::*;
use serde_json::Value;

/// `line` with its `recordedAt` set to noon of `day`.
fn recorded(line: String, day: &str) -> String {
    let mut v: Value = serde_json::from_str(&line).unwrap();
    v["recordedAt"] = Value::from(format!("{day}T12:00:00Z"));
    v.to_string()
}

/// Known in time: A1 (admitted January 2017) and A2 (admitted February 2017) looked after
/// throughout; A3 admitted on 10 May 2018, recorded that day.
fn on_time() -> Vec<String> {
    vec![
        registered("372", "A1", "A1b", "2010-01-01"),
        admitted("372", "A1", "A1a", "2017-01-09", "C2"),
        registered("372", "A2", "A2b", "2011-01-01"),
        admitted("372", "A2", "A2a", "2017-02-01", "C2"),
        registered("372", "A3", "A3b", "2012-01-01"),
        admitted("372", "A3", "A3a", "2018-05-10", "C2"),
    ]
}

/// Arriving after the report was published:
/// - a late admission: A4 admitted on 14 May, recorded on 10 June (27 days late);
/// - a late discharge: A2 discharged on 20 May, recorded on 12 June (23 days late);
/// - a retraction: A3's admission retracted on 14 June (recorded that day).
fn late() -> Vec<String> {
    vec![
        recorded(registered("372", "A4", "A4b", "2013-01-01"), "2018-06-10"),
        recorded(
            admitted("372", "A4", "A4a", "2018-05-14", "C1"),
            "2018-06-10",
        ),
        recorded(ended("372", "A2", "A2d", "2018-05-20", "E13"), "2018-06-12"),
        retracted("372", "A3", "A3r", "2018-06-14", "A3a"),
    ]
}

/// `(at, numerator, value, [(event id, payload, child id)])` of each revision.
type Shown = Vec<(String, i64, Option<f64>, Vec<(String, String, String)>)>;

async fn revisions(cf: &TestCaseflow, indicator: &str, month: &str) -> Shown {
    cf.figures()
        .get_revisions(v2::GetRevisionsRequest {
            la: "372".into(),
            indicator: indicator.into(),
            month: month.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .revisions
        .into_iter()
        .map(|r| {
            let events = r
                .events
                .into_iter()
                .map(|e| (e.event_id, e.payload, e.child_id))
                .collect();
            (r.at, r.numerator, r.value, events)
        })
        .collect()
}

fn ids(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_admission_a_late_discharge_and_a_retraction_revise_a_published_month() {
    let nats = TestNats::start();
    // Today is 15 July 2018: the last complete month is June; publications are stamped at
    // noon today (the fixed clock).
    let cf = TestCaseflow::start_with(&nats, |c| c.today = Some("2018-07-15".into())).await;
    publish(cf.log(), on_time()).await;
    cf.caught_up().await;
    let server = caseflow::client::Server::plain(&format!("http://{}", cf.running.grpc_addr))
        .await
        .unwrap();

    // Nothing published yet: no comparison.
    let data = report::fetch(&server, "372", Some("2018-06"), None)
        .await
        .unwrap();
    assert_eq!(data.revised, None);

    // The May report is presented: 6.1 in May is 3 (A1, A2, A3), 6.3 is 1 (A3), 6.4 is 0.
    let (publication, figures) =
        report::publish(&server, "372", Some("2018-05"), Some("Panel 19 June 2018"))
            .await
            .unwrap();
    assert_eq!(
        (
            publication.title.as_str(),
            publication.month.to_string(),
            publication.published_at.as_str(),
            publication.who.as_str()
        ),
        (
            "Panel 19 June 2018",
            "2018-05".to_owned(),
            "2018-07-15T12:00:00Z",
            "anonymous"
        )
    );
    assert!(figures > 0);
    let listed = cf
        .figures()
        .list_publications(v2::ListPublicationsRequest {
            la: "372".into(),
            with_figures: true,
        })
        .await
        .unwrap()
        .into_inner()
        .publications;
    assert_eq!(listed.len(), 1);
    let published = |id: &str, month: &str| {
        listed[0]
            .figures
            .iter()
            .find(|f| f.indicator == id && f.month == month && f.group.is_empty())
            .map(|f| f.numerator)
    };
    assert_eq!(
        (
            published("6.1", "2018-05"),
            published("6.3", "2018-05"),
            published("6.4", "2018-05"),
            published("6.1", "2017-05"),
            published("6.1", "2018-06")
        ),
        (Some(3), Some(1), Some(0), Some(2), None),
        "13 months ending at May 2018"
    );

    // The late records arrive.
    publish(cf.log(), late()).await;
    cf.caught_up().await;

    // 6.1 in May: 3 at the month's end; 4 from 10 June (A4 admitted 14 May); 3 from 12 June
    // (A2 discharged 20 May); 2 from 14 June (A3's admission retracted).
    let end = "2018-05-31T23:59:59.999999999Z".to_owned();
    assert_eq!(
        revisions(&cf, "6.1", "2018-05").await,
        vec![
            (end.clone(), 3, Some(3.0), vec![]),
            (
                "2018-06-10T12:00:00Z".into(),
                4,
                Some(4.0),
                ids(&[
                    ("A4b", "childRegistered", "A4"),
                    ("A4a", "periodOfCareStarted", "A4")
                ])
            ),
            (
                "2018-06-12T12:00:00Z".into(),
                3,
                Some(3.0),
                ids(&[("A2d", "periodOfCareEnded", "A2")])
            ),
            (
                "2018-06-14T12:00:00Z".into(),
                2,
                Some(2.0),
                ids(&[("A3r", "eventRetracted", "A3")])
            ),
        ]
    );
    // 6.3 (admissions in May): 1, then 2 (A4), then 1 (A3 retracted); the discharge does not
    // move it. Published 1, 1 now: not revised, although it moved twice in between.
    assert_eq!(
        revisions(&cf, "6.3", "2018-05").await,
        vec![
            (end.clone(), 1, Some(1.0), vec![]),
            (
                "2018-06-10T12:00:00Z".into(),
                2,
                Some(2.0),
                ids(&[
                    ("A4b", "childRegistered", "A4"),
                    ("A4a", "periodOfCareStarted", "A4")
                ])
            ),
            (
                "2018-06-14T12:00:00Z".into(),
                1,
                Some(1.0),
                ids(&[("A3r", "eventRetracted", "A3")])
            ),
        ]
    );
    // 6.4 (ceased in May): 0, then 1 from 12 June.
    assert_eq!(
        revisions(&cf, "6.4", "2018-05").await,
        vec![
            (end.clone(), 0, Some(0.0), vec![]),
            (
                "2018-06-12T12:00:00Z".into(),
                1,
                Some(1.0),
                ids(&[("A2d", "periodOfCareEnded", "A2")])
            ),
        ]
    );
    // April is not moved: one revision, as at its end.
    assert_eq!(
        revisions(&cf, "6.1", "2018-04").await,
        vec![(
            "2018-04-30T23:59:59.999999999Z".into(),
            2,
            Some(2.0),
            vec![]
        )]
    );

    // Every followed indicator: the first revision is the figure as known at the month's end,
    // the last the current figure.
    let indicators = cf
        .figures()
        .list_indicators(v2::ListIndicatorsRequest { la: "372".into() })
        .await
        .unwrap()
        .into_inner()
        .indicators;
    for i in &indicators {
        revisions_checked(&cf, &i.id, "2018-05", "2018-05-31").await;
    }

    // The June report, compared with the May one: 6.1 of May 3 -> 2 and of June 3 -> 2 (four
    // records behind each: A4's two, A2's discharge, A3's retraction); 6.4 of May 0 -> 1 (one
    // record: the discharge); 6.3 of May unchanged; April unchanged.
    let data = report::fetch(&server, "372", Some("2018-06"), None)
        .await
        .unwrap();
    let revised = data.revised.as_ref().unwrap();
    assert_eq!(revised.publication.title, "Panel 19 June 2018");
    let find = |id: &str, month: &str| {
        revised
            .figures
            .iter()
            .find(|f| f.indicator == id && f.month.to_string() == month && f.group.is_none())
            .map(|f| (f.published, f.now, f.records))
    };
    assert_eq!(
        find("6.1", "2018-05"),
        Some((Some(3.0), Some(2.0), Some(4)))
    );
    assert_eq!(find("6.1", "2018-06"), None, "June was not published");
    assert_eq!(
        find("6.4", "2018-05"),
        Some((Some(0.0), Some(1.0), Some(1)))
    );
    assert_eq!(find("6.3", "2018-05"), None);
    // Values shown that did not change are not revisions, although their parts moved: 6.2
    // (no population configured: no value, before or after) and 6.9 (0.0% before and after).
    assert_eq!(find("6.2", "2018-05"), None);
    assert_eq!(find("6.9", "2018-05"), None);
    assert_eq!(find("6.1", "2018-04"), None);

    let table = report::render(&data, Format::Table);
    let line = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap()
            .to_owned()
    };
    // Apr-18, May-18 (revised), Jun-18 (not published).
    assert!(
        line("6.1").contains("       2        2*       2 "),
        "{}",
        line("6.1")
    );
    assert!(
        line("6.4").contains("       0        1*       0 "),
        "{}",
        line("6.4")
    );
    assert!(table.contains(
        "* Revised since \"Panel 19 June 2018\" (May 2018 report, published 2018-07-15T12:00:00Z \
         by anonymous):"
    ));
    assert!(table.contains("May-18: 3 → 2, 4 records since"), "{table}");
    assert!(table.contains("May-18: 0 → 1, 1 record since"), "{table}");

    let html = report::render(&data, Format::Html);
    assert!(html.contains("Revised since the last report"));
    assert!(html.contains(
        "<span class=\"revised\" title=\"Revised: 3 in \u{201c}Panel 19 June 2018\u{201d}, 2 \
         now\">2<sup>*</sup></span>"
    ));
    assert!(html.contains(
        "<td>May-18</td><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">1</td>"
    ));
    let json: Value = serde_json::from_str(&report::render(&data, Format::Json)).unwrap();
    let row = json["sections"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "6.4")
        .unwrap();
    // The June report: its previous month (May) was published as 0 and is 1 now.
    assert_eq!(
        (&row["publishedPrevious"], &row["previousRevision"]),
        (&Value::from(0.0), &Value::from(1.0))
    );

    // Timeliness of May and June 2018 (days from occurring to recording, nearest rank):
    // admissions in May: A3 0 days, A4 27 days: median 0, 90th percentile 27, one after the
    // month end; discharges in May: A2 23 days; retractions in June: 0 days.
    let timeliness = cf
        .figures()
        .get_timeliness(v2::GetTimelinessRequest {
            la: "372".into(),
            from_month: "2018-05".into(),
            to_month: "2018-06".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let lateness: Vec<(String, String, u64, i64, i64, u64)> = timeliness
        .lateness
        .iter()
        .map(|l| {
            (
                l.payload.clone(),
                l.month.clone(),
                l.events,
                l.median_days,
                l.p90_days,
                l.after_month_end,
            )
        })
        .collect();
    assert_eq!(
        lateness,
        vec![
            ("eventRetracted".into(), "2018-06".into(), 1, 0, 0, 0),
            ("periodOfCareEnded".into(), "2018-05".into(), 1, 23, 23, 1),
            ("periodOfCareStarted".into(), "2018-05".into(), 2, 0, 27, 1),
        ]
    );
    // What moved most since the May report: 6.4 of May, from 0 (the largest relative move).
    assert_eq!(
        timeliness.publication.as_ref().map(|p| p.title.as_str()),
        Some("Panel 19 June 2018")
    );
    let moved = &timeliness.moved_most[0];
    assert_eq!(
        (
            moved.indicator.as_str(),
            moved.month.as_str(),
            moved.records
        ),
        ("6.4", "2018-05", Some(1))
    );
    let html = report::render(&data, Format::Html);
    assert!(html.contains("<h2 id=\"timeliness\">Data timeliness</h2>"));
    assert!(html.contains("Moved most since \u{201c}Panel 19 June 2018\u{201d}"));

    // A second publication: compared with it, nothing has changed; the first is still there
    // by name.
    report::publish(&server, "372", Some("2018-06"), Some("Panel 17 July 2018"))
        .await
        .unwrap();
    let latest = report::fetch(&server, "372", Some("2018-06"), None)
        .await
        .unwrap();
    let revised = latest.revised.unwrap();
    assert_eq!(
        (revised.publication.title.as_str(), revised.figures.len()),
        ("Panel 17 July 2018", 0)
    );
    let against = report::fetch(&server, "372", Some("2018-06"), Some("Panel 19 June 2018"))
        .await
        .unwrap();
    assert_eq!(against.revised, data.revised);
    let unknown = report::fetch(&server, "372", Some("2018-06"), Some("No such panel"))
        .await
        .unwrap_err();
    assert!(
        format!("{unknown:#}").contains("No such panel"),
        "{unknown:#}"
    );
    let listed = report::list_published(&server, "372").await.unwrap();
    let titles: Vec<&str> = listed.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["Panel 19 June 2018", "Panel 17 July 2018"]);
    assert!(
        report::list_published(&server, "373")
            .await
            .unwrap()
            .is_empty()
    );

    // Publications live beside the events, not in the projections: a replica with projections
    // rebuilt from the stream lists the same and compares the same.
    let replica = TestCaseflow::start_with(&nats, |c| c.today = Some("2018-07-15".into())).await;
    replica.caught_up().await;
    let server = caseflow::client::Server::plain(&format!("http://{}", replica.running.grpc_addr))
        .await
        .unwrap();
    assert_eq!(
        report::list_published(&server, "372").await.unwrap(),
        listed
    );
    let again = report::fetch(&server, "372", Some("2018-06"), Some("Panel 19 June 2018"))
        .await
        .unwrap();
    assert_eq!(again.revised, data.revised);
}

/// `payload` about social worker `worker` of 372, recorded at noon the day it occurred.
fn worker_event(worker: &str, id: &str, on: &str, payload: &str, body: Value) -> String {
    let mut e = serde_json::json!({"eventId": id, "la": "372", "workerId": worker,
                                   "occurredOn": on, "recordedAt": format!("{on}T12:00:00Z")});
    e[payload] = body;
    e.to_string()
}

fn allocated(child: &str, id: &str, on: &str, worker: &str) -> String {
    event(
        "372",
        child,
        id,
        on,
        "caseAllocated",
        serde_json::json!({"workerId": worker}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_allocation_and_a_worker_leaving_late_revise_a_published_months_caseloads() {
    let nats = TestNats::start();
    // Team LAC1 is the one LAC team group; today is 15 July 2018.
    let cf = TestCaseflow::start_with(&nats, |c| {
        c.today = Some("2018-07-15".into());
        c.indicators
            .team_groups
            .insert("LAC 1-3".into(), vec!["LAC1".into()]);
    })
    .await;
    // Known in time: W1 (LAC1, 1.0 FTE) holds K1; W2 (LAC1, 0.5 FTE, agency) holds K2; K3,
    // looked after since 2 April 2018, is not allocated; W3 (FOST, no group) holds nobody.
    let joined = |worker: &str, id: &str, on: &str, team: &str, fte: f64, agency: bool| {
        worker_event(
            worker,
            id,
            on,
            "socialWorkerJoined",
            serde_json::json!({"team": team, "fte": fte, "qualified": true, "agency": agency}),
        )
    };
    publish(
        cf.log(),
        vec![
            joined("W1", "W1j", "2017-01-02", "LAC1", 1.0, false),
            joined("W2", "W2j", "2017-01-02", "LAC1", 0.5, true),
            registered("372", "K1", "K1b", "2010-01-01"),
            admitted("372", "K1", "K1a", "2017-03-01", "C2"),
            allocated("K1", "K1w", "2017-03-01", "W1"),
            registered("372", "K2", "K2b", "2011-01-01"),
            admitted("372", "K2", "K2a", "2017-03-01", "C2"),
            allocated("K2", "K2w", "2017-03-01", "W2"),
            registered("372", "K3", "K3b", "2012-01-01"),
            admitted("372", "K3", "K3a", "2018-04-02", "C2"),
        ],
    )
    .await;
    cf.caught_up().await;
    let server = caseflow::client::Server::plain(&format!("http://{}", cf.running.grpc_addr))
        .await
        .unwrap();
    // The May report: 11.1 = 1 agency of 2 counted workers (W1, W2) = 50%; 11.4 = 1 (each
    // holds one case); 11.5 = 2 cases over 1.5 FTE.
    report::publish(&server, "372", Some("2018-05"), Some("Panel 19 June 2018"))
        .await
        .unwrap();

    // Recorded late: K3 allocated to W1 on 10 May (recorded 5 June); W2 left on 20 May and W3
    // joined FOST on 2 May (both recorded 12 June).
    publish(
        cf.log(),
        vec![
            recorded(allocated("K3", "K3w", "2018-05-10", "W1"), "2018-06-05"),
            recorded(
                worker_event(
                    "W2",
                    "W2l",
                    "2018-05-20",
                    "socialWorkerLeft",
                    serde_json::json!({}),
                ),
                "2018-06-12",
            ),
            recorded(
                joined("W3", "W3j", "2018-05-02", "FOST", 1.0, false),
                "2018-06-12",
            ),
        ],
    )
    .await;
    cf.caught_up().await;

    // 11.1: K3's allocation does not move it; from 12 June W1 is the one counted worker, not
    // agency: 0%. W3's joining moved nothing (no group, no case): not among the events.
    let end = "2018-05-31T23:59:59.999999999Z".to_owned();
    assert_eq!(
        revisions(&cf, "11.1", "2018-05").await,
        vec![
            (end.clone(), 1, Some(50.0), vec![]),
            (
                "2018-06-12T12:00:00Z".into(),
                0,
                Some(0.0),
                ids(&[("W2l", "socialWorkerLeft", "W2")])
            ),
        ]
    );
    // 11.4: 2 from 5 June (W1 holds K1 and K3); W2 leaving does not move it.
    assert_eq!(
        revisions(&cf, "11.4", "2018-05").await,
        vec![
            (end.clone(), 1, Some(1.0), vec![]),
            (
                "2018-06-05T12:00:00Z".into(),
                2,
                Some(2.0),
                ids(&[("K3w", "caseAllocated", "K3")])
            ),
        ]
    );
    // 11.5 (cases and FTE in hundredths): 2 over 1.5; 3 over 1.5 from 5 June; 2 over 1.0 (W2
    // and K2 out) from 12 June.
    let average: Vec<(String, i64, Option<f64>, usize)> = cf
        .figures()
        .get_revisions(v2::GetRevisionsRequest {
            la: "372".into(),
            indicator: "11.5".into(),
            month: "2018-05".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .revisions
        .into_iter()
        .map(|r| (r.at, r.denominator.unwrap_or(0), r.value, r.events.len()))
        .collect();
    assert_eq!(
        average,
        vec![
            (end.clone(), 150, Some(200.0 / 150.0), 0),
            ("2018-06-05T12:00:00Z".into(), 150, Some(2.0), 1),
            ("2018-06-12T12:00:00Z".into(), 100, Some(2.0), 1),
        ]
    );
    for id in ["11.1", "11.4", "11.5"] {
        revisions_checked(&cf, id, "2018-05", "2018-05-31").await;
    }

    // The June report marks May's caseloads as revised, with the records behind each.
    let data = report::fetch(&server, "372", Some("2018-06"), None)
        .await
        .unwrap();
    let revised = data.revised.as_ref().unwrap();
    let find = |id: &str| {
        revised
            .figures
            .iter()
            .find(|f| f.indicator == id && f.month.to_string() == "2018-05" && f.group.is_none())
            .map(|f| (f.published, f.now, f.records))
    };
    assert_eq!(find("11.1"), Some((Some(50.0), Some(0.0), Some(1))));
    assert_eq!(find("11.4"), Some((Some(1.0), Some(2.0), Some(1))));
    assert_eq!(
        find("11.5"),
        Some((Some(200.0 / 150.0), Some(2.0), Some(2)))
    );
    let table = report::render(&data, Format::Table);
    assert!(table.contains("May-18: 1 → 2, 1 record since"), "{table}");
}

/// A simulated year of authority 372 (late entries, re-sends, corrections and retractions
/// included): for 6.1-6.4 and 6.7 (whose figure also depends on the day it is derived as of)
/// and the caseloads 11.1, 11.4 and 11.5 (the simulator's LAC team groups configured), the
/// revisions of March 2018 run from the figure
/// as known at the month's end to the current one, each one moved by events recorded in its
/// window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_of_a_simulated_authority_run_from_the_month_end_to_the_current_figure() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start_with(&nats, |c| {
        c.projector.batch_size = 1000;
        c.indicators.team_groups.insert(
            "LAC 1-3".into(),
            vec!["LAC1".into(), "LAC2".into(), "LAC3".into()],
        );
        c.indicators
            .team_groups
            .insert("LAC 4-5".into(), vec!["LAC4".into(), "LAC5".into()]);
    })
    .await;
    let sim = caseflow::commands::last_years(caseflow_sim::SimConfig::like_seed(7, "372"), 1);
    caseflow::commands::simulate(&cf.config, &sim, None, 256)
        .await
        .unwrap();
    cf.caught_up().await;
    let indicators = cf
        .figures()
        .list_indicators(v2::ListIndicatorsRequest { la: "372".into() })
        .await
        .unwrap()
        .into_inner()
        .indicators;
    let mut moved = 0;
    let caseloads = indicators.iter().filter(|i| i.id.starts_with("11."));
    for i in indicators
        .iter()
        .filter(|i| !i.id.starts_with("11."))
        .take(8)
        .chain(caseloads)
    {
        let started = std::time::Instant::now();
        let answer = revisions_checked(&cf, &i.id, "2018-03", "2018-03-31").await;
        eprintln!(
            "{}: {} revisions in {:?}",
            i.id,
            answer.len(),
            started.elapsed()
        );
        for pair in answer.windows(2) {
            assert!(pair[0].at < pair[1].at, "{}", i.id);
            assert!(!pair[1].events.is_empty(), "{}", i.id);
            for e in &pair[1].events {
                assert!(e.recorded_at > pair[0].at && e.recorded_at <= pair[1].at);
            }
        }
        moved += answer.len() - 1;
    }
    assert!(moved > 0, "late entries move some figure of March");
}

/// `indicator`'s revisions of `month` in 372, checked to run from the figure as known at the
/// month's end (`month_end`) to the current one, both as `GetSeries` gives them.
async fn revisions_checked(
    cf: &TestCaseflow,
    indicator: &str,
    month: &str,
    month_end: &str,
) -> Vec<v2::Revision> {
    let answer = cf
        .figures()
        .get_revisions(v2::GetRevisionsRequest {
            la: "372".into(),
            indicator: indicator.to_owned(),
            month: month.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    let series = |known: &str| {
        let mut figures = cf.figures();
        let (indicator, month, known) = (indicator.to_owned(), month.to_owned(), known.to_owned());
        async move {
            let m = figures
                .get_series(v2::GetSeriesRequest {
                    la: "372".into(),
                    indicator,
                    from_month: month.clone(),
                    to_month: month,
                    as_known_at: known,
                })
                .await
                .unwrap()
                .into_inner()
                .months
                .remove(0);
            (m.numerator, m.denominator, m.value)
        }
    };
    let first = &answer[0];
    let last = answer.last().unwrap();
    assert_eq!(
        (first.numerator, first.denominator, first.value),
        series(month_end).await,
        "first revision of {indicator}"
    );
    assert_eq!(
        (last.numerator, last.denominator, last.value),
        series("").await,
        "last revision of {indicator}"
    );
    answer
}
