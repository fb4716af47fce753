//! Settings per authority: one server judges each authority by its own `[authorities."NNN"]`
//! section (6.2's population, targets) or the defaults, says when 6.2 has no population, and
//! announces at start when the settings derivations read have changed.

use caseflow::config::Config;
use caseflow_proto::v2;
use caseflow_tests::*;

/// Defaults: 10,000 children under 18 in 2018/19 and a 6.2 target of at most 5 per 10,000
/// (amber to 8). Authority 373: 2,000 children and a target of at most 12 (amber to 15).
/// Authority 374: a population for 2017/18 only. Authority 376: an empty population table.
/// Authority 375 has no section.
const SETTINGS: &str = r#"
[indicators.population_under_18]
"2018/19" = 10000

[[scorecard.targets]]
indicator = "6.2"
year = "2018/19"
green = 5.0
amber = 8.0

[authorities."373".population_under_18]
"2018/19" = 2000

[[authorities."373".targets]]
indicator = "6.2"
year = "2018/19"
green = 12.0
amber = 15.0

[authorities."374".population_under_18]
"2017/18" = 5000

[authorities."376"]
population_under_18 = {}
"#;

fn with_settings(config: &mut Config) {
    let settings: Config = toml::from_str(SETTINGS).unwrap();
    config.indicators.population_under_18 = settings.indicators.population_under_18;
    config.scorecard = settings.scorecard;
    config.authorities = settings.authorities;
    config.validate().unwrap();
}

/// `n` children of authority `la` admitted in January 2018 and still looked after.
fn children(la: &str, n: usize) -> Vec<String> {
    (1..=n)
        .flat_map(|k| {
            let child = format!("C{k:03}");
            [
                registered(la, &child, &format!("{la}-{k}-r"), "2010-03-01"),
                admitted(la, &child, &format!("{la}-{k}-a"), "2018-01-15", "C2"),
            ]
        })
        .collect()
}

/// The 6.2 row of an authority's May 2018 scorecard.
async fn rate_row(cf: &TestCaseflow, la: &str) -> v2::ScorecardRow {
    let card = cf
        .figures()
        .get_scorecard(v2::GetScorecardRequest {
            la: la.into(),
            month: "2018-05".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    card.rows
        .into_iter()
        .find(|r| r.indicator.as_ref().unwrap().id == "6.2")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_authority_is_judged_by_its_own_population_and_targets() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start_with(&nats, with_settings).await;
    let mut lines = children("372", 6);
    lines.extend(children("373", 2));
    lines.extend(children("374", 1));
    lines.extend(children("375", 1));
    publish(cf.log(), lines).await;
    cf.caught_up().await;

    // 372 (defaults): 6 / 10,000 x 10,000 = 6.0, above green's 5, within amber's 8.
    let r = rate_row(&cf, "372").await;
    let current = r.current.as_ref().unwrap();
    assert_eq!((current.numerator, current.denominator), (6, Some(10_000)));
    assert_eq!(current.value, Some(6.0));
    assert_eq!(r.rag(), v2::Rag::Amber);
    assert_eq!(r.indicator.as_ref().unwrap().unavailable, "");

    // 373 (its own): 2 / 2,000 x 10,000 = 10.0, within its own green of 12.
    let r = rate_row(&cf, "373").await;
    let current = r.current.as_ref().unwrap();
    assert_eq!((current.numerator, current.denominator), (2, Some(2_000)));
    assert_eq!(current.value, Some(10.0));
    assert_eq!(r.rag(), v2::Rag::Green);
    assert_eq!(r.thresholds.as_ref().unwrap().green, Some(12.0));

    // 375 (no section): the defaults, 1 / 10,000 x 10,000 = 1.0, green.
    let r = rate_row(&cf, "375").await;
    assert_eq!(r.current.as_ref().unwrap().value, Some(1.0));
    assert_eq!(r.rag(), v2::Rag::Green);

    // 374: no population for 2018/19 (its section replaces the defaults' table): no value,
    // no RAG, and the reason.
    let r = rate_row(&cf, "374").await;
    assert_eq!(r.current.as_ref().unwrap().value, None);
    assert_eq!(r.rag(), v2::Rag::Unspecified);
    assert_eq!(
        r.indicator.as_ref().unwrap().unavailable,
        "no under-18 population is configured for authority 374 in 2018/19: set \
         population_under_18 in [authorities.\"374\"]"
    );

    // Its series: March 2018 is in 2017/18, 1 / 5,000 x 10,000 = 2.0; April and May have none.
    let series = cf
        .figures()
        .get_series(v2::GetSeriesRequest {
            la: "374".into(),
            indicator: "6.2".into(),
            from_month: "2018-03".into(),
            to_month: "2018-05".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let values: Vec<Option<f64>> = series.months.iter().map(|m| m.value).collect();
    assert_eq!(values, vec![Some(2.0), None, None]);
    assert!(
        series
            .indicator
            .unwrap()
            .unavailable
            .contains("authority 374 in 2018/19:")
    );

    // ListIndicators, asked about an authority: 376 has no population at all; 374 has one.
    let unavailable = |la: &'static str| {
        let mut figures = cf.figures();
        async move {
            figures
                .list_indicators(v2::ListIndicatorsRequest { la: la.into() })
                .await
                .unwrap()
                .into_inner()
                .indicators
                .into_iter()
                .find(|i| i.id == "6.2")
                .unwrap()
                .unavailable
        }
    };
    assert_eq!(
        unavailable("376").await,
        "no under-18 population is configured for authority 376: set population_under_18 in \
         [authorities.\"376\"]"
    );
    assert_eq!(unavailable("374").await, "");

    // The regional picture of 6.2: 372 amber at 6.0, 373 green at 10.0, 374 without a figure;
    // pooled over those with one, (6 + 2) / (10,000 + 2,000) x 10,000 = 6.67.
    let server = caseflow::client::Server::plain(&format!("http://{}", cf.running.grpc_addr))
        .await
        .unwrap();
    let las = ["372", "373", "374"].map(String::from);
    let c = caseflow::report::fetch_comparison(&server, &las, Some("2018-05"), Some("6.2"))
        .await
        .unwrap();
    let table = caseflow::report::render_comparison(&c, caseflow::report::Format::Table, false);
    let line = |start: &str| {
        table
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?} in\n{table}"))
            .to_owned()
    };
    assert!(line("372 ").contains("6.0  ") && line("372 ").contains("AMBER"));
    assert!(line("373 ").contains("10.0  ") && line("373 ").contains("GREEN"));
    assert!(line("All shown").ends_with("6.7"), "{table}");
    assert!(table.contains("374 6.2: no figure: no under-18 population is configured"));
    cf.stop().await;
}

/// Population and targets are read when figures are asked for: a restart with other values
/// changes the figures without a rebuild. A setting derivations read announces, at start, what
/// changed, and the projections are rebuilt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_derivation_settings_are_announced_at_start() {
    let nats = TestNats::start();
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let start = |change: fn(&mut Config)| {
        let dir = dir.clone();
        let url = nats.url();
        async move {
            let mut config = config(&url, &dir);
            change(&mut config);
            let running = caseflow::app::start(&config).await.unwrap();
            TestCaseflow {
                running,
                config,
                dir,
            }
        }
    };
    let cf = start(with_settings).await;
    assert_eq!(cf.running.rebuilding, None, "a new store");
    publish(cf.log(), children("373", 2)).await;
    cf.caught_up().await;
    cf.stop().await;

    // 373's population halves: its rate doubles, 2 / 1,000 x 10,000 = 20.0, with no rebuild.
    let cf = start(|c| {
        with_settings(c);
        c.authorities
            .get_mut("373")
            .unwrap()
            .population_under_18
            .as_mut()
            .unwrap()
            .insert("2018/19".into(), 1000);
    })
    .await;
    assert_eq!(cf.running.rebuilding, None);
    cf.caught_up().await;
    let r = rate_row(&cf, "373").await;
    assert_eq!(r.current.as_ref().unwrap().value, Some(20.0));
    assert_eq!(r.rag(), v2::Rag::Red);
    cf.stop().await;

    // The local visiting standard is read by derivations: announced, and rebuilt.
    let cf = start(|c| {
        with_settings(c);
        c.indicators.local_visit_interval_days = 42;
    })
    .await;
    assert_eq!(
        cf.running.rebuilding.as_deref(),
        Some(
            "the indicator settings derivations read have changed since the projections were \
             derived (local_visit_interval_days: 28 → 42)"
        )
    );
    // The projector clears the projections as it starts: wait for that before waiting for it
    // to catch up again.
    let wanted = caseflow::app::projector(&cf.config, cf.running.store.clone()).fingerprint();
    let store: &dyn caseflow_store::ProjectionStore = &*cf.running.store;
    for _ in 0..600 {
        if store.fingerprint().unwrap().as_deref() == Some(wanted.as_slice()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    cf.caught_up().await;
    assert_eq!(
        rate_row(&cf, "373").await.current.unwrap().value,
        Some(10.0),
        "rebuilt, with the population of the file"
    );
    cf.stop().await;
}

/// Team groups are an authority's own too: the same team is "No LAC team" for an authority
/// whose groups do not name it and its own group for one whose section does, in the 6.1
/// team-group breakdown and in 11.5's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_authority_groups_its_own_teams() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start_with(&nats, |c| {
        let settings: Config = toml::from_str(
            r#"
            [indicators.team_groups]
            "LAC 1-3" = ["LAC1", "LAC2", "LAC3"]

            [authorities."373".team_groups]
            "Children in care" = ["CIC"]
            "#,
        )
        .unwrap();
        c.indicators.team_groups = settings.indicators.team_groups;
        c.authorities = settings.authorities;
    })
    .await;
    // In each authority, one full-time qualified worker in team CIC holds one child looked
    // after from January 2018.
    let mut lines = Vec::new();
    for la in ["372", "373"] {
        lines.push(
            serde_json::json!({"eventId": format!("{la}-w"), "la": la, "workerId": "W1",
                "occurredOn": "2017-01-02", "recordedAt": "2017-01-02T12:00:00Z",
                "socialWorkerJoined": {"team": "CIC", "fte": 1.0, "qualified": true}})
            .to_string(),
        );
        lines.extend(children(la, 1));
        lines.push(event(
            la,
            "C001",
            &format!("{la}-alloc"),
            "2018-01-15",
            "caseAllocated",
            serde_json::json!({"workerId": "W1"}),
        ));
    }
    publish(cf.log(), lines).await;
    cf.caught_up().await;

    let groups = |la: &'static str| {
        let mut figures = cf.figures();
        async move {
            let b = figures
                .get_breakdown(v2::GetBreakdownRequest {
                    la: la.into(),
                    indicator: "6.1".into(),
                    month: "2018-05".into(),
                    dimension: v2::Dimension::TeamGroup.into(),
                })
                .await
                .unwrap()
                .into_inner();
            b.breakdowns[0]
                .rows
                .iter()
                .map(|r| (r.category.clone(), r.count))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(groups("372").await, vec![("No LAC team".to_owned(), 1)]);
    assert_eq!(
        groups("373").await,
        vec![("Children in care".to_owned(), 1)]
    );

    let caseload_groups = |la: &'static str| {
        let cf = &cf;
        async move {
            cf.scorecard(la, "2018-05", "")
                .await
                .rows
                .into_iter()
                .filter(|r| r.indicator.as_ref().unwrap().id == "11.5")
                .map(|r| (r.group, r.current.unwrap().value))
                .collect::<Vec<_>>()
        }
    };
    // 373: one case over one full-time worker in its group, 1.0.
    assert_eq!(
        caseload_groups("373").await,
        vec![("Children in care".to_owned(), Some(1.0))]
    );
    // 372: the defaults' one group, which holds no worker of 372.
    let others: Vec<String> = caseload_groups("372")
        .await
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    assert_eq!(others, vec!["LAC 1-3".to_owned()]);
    cf.stop().await;
}
