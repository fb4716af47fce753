//! The monthly report: fetched from a real server, rendered in every format; the HTML page
//! rendered by headless Chromium.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use caseflow::report::{self, Format};
use caseflow_domain::scorecard::{BenchmarkSetting, Rag, ScorecardSettings, TargetSetting};
use caseflow_tests::*;
use serde_json::{Value, json};

fn target(indicator: &str, green: f64, amber: Option<f64>) -> TargetSetting {
    TargetSetting {
        indicator: indicator.into(),
        year: "2018/19".into(),
        green: Some(green),
        amber,
        range: None,
        range_tolerance_percent: None,
    }
}

/// Targets giving every RAG colour in May 2018 of [`scenario`]: 6.5 at 50.0% against green
/// 35%+ (green), 6.4 at 2 against green 3+, amber 2+ (amber), 6.8 at 0.0% against green 22.7%+
/// (red); 11.5 within 14-20; benchmarks for 6.8 and 6.6.
fn settings() -> ScorecardSettings {
    let mut s = ScorecardSettings::default();
    s.targets.push(target("6.5", 35.0, Some(33.0)));
    s.targets.push(target("6.4", 3.0, Some(2.0)));
    s.targets.push(target("6.8", 22.7, Some(20.0)));
    s.targets.push(TargetSetting {
        indicator: "11.5".into(),
        year: "2018/19".into(),
        green: None,
        amber: None,
        range: Some((14.0, 20.0)),
        range_tolerance_percent: None,
    });
    for (indicator, sn, nat) in [("6.8", 18.9, 14.0), ("6.6", 12.9, 12.0)] {
        s.benchmarks.push(BenchmarkSetting {
            indicator: indicator.into(),
            stat_neighbour_average: Some(sn),
            national_average: Some(nat),
            ..Default::default()
        });
    }
    s
}

fn worker(id: &str, team: &str, fte: f64) -> String {
    json!({"eventId": format!("{id}j"), "la": "372", "workerId": id, "occurredOn": "2017-01-02",
           "recordedAt": "2017-01-02T12:00:00Z",
           "socialWorkerJoined": {"team": team, "fte": fte, "qualified": true}})
    .to_string()
}

/// Four children looked after from January 2017, discharged in April and May 2018 (adoption,
/// home, SGO, home); two LAC workers in two team groups holding them; one foster household.
fn scenario() -> Vec<String> {
    let mut lines = vec![worker("W1", "LAC1", 1.0), worker("W2", "LAC4", 0.5)];
    for (child, out, reason, to) in [
        ("A1", "2018-04-10", "E11", "W1"),
        ("A2", "2018-04-20", "E4A", "W1"),
        ("A3", "2018-05-03", "E45", "W2"),
        ("A4", "2018-05-30", "E4A", "W2"),
    ] {
        lines.push(registered("372", child, &format!("{child}b"), "2010-01-01"));
        lines.push(admitted(
            "372",
            child,
            &format!("{child}a"),
            "2017-01-09",
            "C2",
        ));
        lines.push(event(
            "372",
            child,
            &format!("{child}w"),
            "2017-01-09",
            "caseAllocated",
            json!({"workerId": to}),
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

fn section_names() -> [(&'static str, &'static str); 6] {
    [
        ("6", "LOOKED AFTER CHILDREN"),
        ("7", "CARE LEAVERS"),
        ("8", "PLACEMENTS"),
        ("9", "FOSTERING"),
        ("10", "ADOPTIONS"),
        ("11", "SOCIAL WORKER CASELOADS"),
    ]
}

/// The sections (by name) the scorecard has rows of.
fn sections_of(card: &report::Scorecard) -> Vec<&'static str> {
    let keys: BTreeSet<String> = card
        .rows
        .iter()
        .map(|r| r.indicator.id.split('.').next().unwrap().to_owned())
        .collect();
    section_names()
        .iter()
        .filter(|(k, _)| keys.contains(*k))
        .map(|(_, n)| *n)
        .collect()
}

/// Splits RFC 4180 text into records of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "CSV must end with CRLF"
    );
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_renders_every_format_from_a_running_server() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start_with(&nats, |c| {
        c.scorecard = settings();
        c.indicators
            .team_groups
            .insert("LAC 1-3".into(), vec!["LAC1".into()]);
        c.indicators
            .team_groups
            .insert("LAC 4-5".into(), vec!["LAC4".into()]);
    })
    .await;
    publish(cf.log(), scenario()).await;
    cf.caught_up().await;

    let server = caseflow::client::Server::plain(&format!("http://{}", cf.running.grpc_addr))
        .await
        .unwrap();
    let data = report::fetch(&server, "372", None, None).await.unwrap();
    let card = &data.scorecard;
    // Today is 5 June 2018: the report is of May.
    assert_eq!(card.month.to_string(), "2018-05");
    assert_eq!(card.financial_year.to_string(), "2018/19");
    let ids: BTreeSet<String> = card.rows.iter().map(|r| r.indicator.id.clone()).collect();
    let series_ids: BTreeSet<String> = data.series.iter().map(|s| s.indicator.id.clone()).collect();
    assert_eq!(series_ids, ids, "one series per indicator");
    assert_eq!(series_ids.len(), data.series.len(), "11.5 fetched once");
    let lac = data
        .series
        .iter()
        .find(|s| s.indicator.id == "6.1")
        .unwrap();
    let months: Vec<String> = lac.months.iter().map(|m| m.month.to_string()).collect();
    assert_eq!(months.len(), 13);
    assert_eq!((&*months[0], &*months[12]), ("2017-05", "2018-05"));
    let groups: Vec<&str> = card
        .rows
        .iter()
        .filter(|r| r.indicator.id == "11.5")
        .filter_map(|r| r.group.as_deref())
        .collect();
    assert_eq!(groups, vec!["LAC 1-3", "LAC 4-5"]);
    // The RAGs of the targets above, typed.
    let rag = |id: &str| card.rows.iter().find(|r| r.indicator.id == id).unwrap().rag;
    assert_eq!(
        (rag("6.5"), rag("6.4"), rag("6.8"), rag("6.1")),
        (Some(Rag::Green), Some(Rag::Amber), Some(Rag::Red), None)
    );
    let sections = sections_of(card);
    assert_eq!(sections.len(), 6, "{sections:?}");

    // CSV: a header and one record per scorecard row, all of the header's width.
    let csv = report::render(&data, Format::Csv);
    let records = parse_csv(&csv);
    assert_eq!(records.len(), card.rows.len() + 1);
    assert_eq!(
        &records[0][..8],
        [
            "id", "group", "title", "polarity", "unit", "basis", "month", "value"
        ]
    );
    assert!(records[0].contains(&"trend_2017/18".to_owned()));
    assert!(records.iter().all(|r| r.len() == records[0].len()));
    let column = |name: &str| records[0].iter().position(|h| h == name).unwrap();
    let permanence = records.iter().find(|r| r[0] == "6.5").unwrap();
    assert_eq!(permanence[column("value")], "50.0");
    assert_eq!(permanence[column("rag")], "green");
    assert_eq!(permanence[column("green")], "35");
    assert!(
        permanence[column("title")].contains(", "),
        "titles with commas are quoted"
    );
    let ceased = records.iter().find(|r| r[0] == "6.4").unwrap();
    assert_eq!(ceased[column("value")], "2");
    assert_eq!(ceased[column("ytd")], "4");

    // JSON: every scorecard row, by section.
    let json: Value = serde_json::from_str(&report::render(&data, Format::Json)).unwrap();
    assert_eq!(json["month"], "2018-05");
    assert_eq!(json["months"].as_array().unwrap().len(), 13);
    let rows: Vec<&Value> = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["rows"].as_array().unwrap())
        .collect();
    assert_eq!(rows.len(), card.rows.len());
    let json_ids: BTreeSet<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(json_ids, ids);
    let adopted = rows.iter().find(|r| r["id"] == "6.8").unwrap();
    assert_eq!(adopted["rag"], "red");
    assert_eq!(adopted["benchmarks"]["nationalAverage"], 14.0);
    assert_eq!(adopted["monthly"].as_array().unwrap().len(), 13);

    // Table: every section, the last three months, no colours unless asked.
    let table = report::render(&data, Format::Table);
    for name in &sections {
        assert!(table.contains(name), "{name} missing from\n{table}");
    }
    assert!(table.contains("Mar-18") && table.contains("Apr-18") && table.contains("May-18"));
    assert!(!table.contains('\x1b'));
    let line = table.lines().find(|l| l.starts_with("6.5 ")).unwrap();
    assert!(line.contains("50.0%") && line.contains("GREEN"), "{line}");
    let coloured = report::render_table(&data, true);
    assert!(coloured.contains("\x1b[1;32mGREEN"), "{coloured}");
    assert!(coloured.contains("\x1b[1;31mRED"));
    assert!(coloured.contains("\x1b[1;33mAMBER"));

    // HTML: the table by section with RAG classes, one chart per section.
    let html = report::render(&data, Format::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("May 2018") && html.contains("authority 372"));
    // One trend chart per section, and the data-timeliness section's two (median and 90th
    // percentile of days to record).
    assert_eq!(html.matches("<svg").count(), sections.len() + 2);
    assert!(html.contains("<h2 id=\"timeliness\">Data timeliness</h2>"));
    for name in &sections {
        assert!(html.contains(&format!(">{name}</th>")), "{name}");
        assert!(html.contains(&format!("<h3>{name}</h3>")), "{name}");
    }
    for class in ["rag-green", "rag-amber", "rag-red"] {
        assert!(
            html.contains(&format!("<td class=\"rag {class}\">")),
            "no cell of {class}"
        );
    }
    assert!(html.contains("<polyline"));
    assert!(
        html.contains("class=\"benchmark\""),
        "6.8's benchmark lines"
    );
    assert!(html.contains(">↓</td>"), "6.8 declined from 50% to 0%");
    // Self-contained: no script, no external resource.
    for external in ["<script", "<link", "src=", "url(", "@import"] {
        assert!(!html.contains(external), "{external}");
    }
    cf.stop().await;
}

/// `chromium` on PATH, or a failure saying how to install it.
fn chromium() -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "chromium is not on PATH: the HTML report is checked in headless Chromium. \
                 Install it with `apt-get install -y chromium` (Debian/Ubuntu)"
            )
        })
}

/// Runs headless Chromium with `args` after the common flags; its stdout.
async fn run_chromium(profile: &Path, args: &[String]) -> String {
    let mut command = tokio::process::Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("chromium did not finish within 120 s")
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_renders_in_headless_chromium() {
    let chromium = chromium();
    // The sample authority with the May 2018 report's targets and benchmarks, as the demo.
    let dir = tempfile::tempdir().unwrap();
    let scorecard_file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/scorecard-2018-19.toml"
    );
    let config_file = dir.path().join("caseflow.toml");
    std::fs::write(
        &config_file,
        format!(
            "scorecard_file = {}\n[indicators.team_groups]\n\"LAC 1-3\" = [\"LAC1\", \"LAC2\", \
             \"LAC3\"]\n\"LAC 4-5\" = [\"LAC4\", \"LAC5\"]\n",
            json!(scorecard_file)
        ),
    )
    .unwrap();
    let loaded = caseflow::config::Config::load(Some(&config_file), |_| None).unwrap();
    let nats = TestNats::start();
    let cf = TestCaseflow::start_with(&nats, |c| {
        c.scorecard = loaded.scorecard.clone();
        c.indicators = loaded.indicators.clone();
    })
    .await;
    let now = caseflow_domain::Timestamp::from_offset(time::OffsetDateTime::now_utc());
    let lines = caseflow::sample::COMMITTED_SAMPLE
        .lines()
        .map(str::to_owned);
    let published = caseflow::commands::publish_lines(cf.log(), lines, now, 256).await;
    assert!(published.failed.is_empty(), "{published:?}");
    cf.caught_up().await;
    let server = caseflow::client::Server::plain(&format!("http://{}", cf.running.grpc_addr))
        .await
        .unwrap();
    let data = report::fetch(&server, "372", None, None).await.unwrap();
    cf.stop().await;
    let sections = sections_of(&data.scorecard);
    assert!(sections.len() >= 5, "{sections:?}");

    let page = dir.path().join("report.html");
    std::fs::write(&page, report::render(&data, Format::Html)).unwrap();
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");

    let dom = run_chromium(&profile, &["--dump-dom".to_owned(), url.clone()]).await;
    for name in &sections {
        assert!(dom.contains(name), "{name} missing from the rendered DOM");
    }
    // The trend charts, and the two of data timeliness.
    assert_eq!(dom.matches("<svg").count(), sections.len() + 2, "{dom}");
    assert!(dom.contains("<polyline"));

    let png = dir.path().join("report.png");
    run_chromium(
        &profile,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".to_owned(),
            url,
        ],
    )
    .await;
    let bytes =
        std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot from {chromium:?}: {e}"));
    assert!(bytes.len() > 10_000, "a {}-byte screenshot", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // Keep the page, its picture and the other formats for a person to look at.
    if let Some(keep) = std::env::var_os("CASEFLOW_KEEP_REPORT") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&page, keep.join("report.html")).unwrap();
        std::fs::copy(&png, keep.join("report.png")).unwrap();
        for (name, format) in [
            ("report.txt", Format::Table),
            ("report.csv", Format::Csv),
            ("report.json", Format::Json),
        ] {
            std::fs::write(keep.join(name), report::render(&data, format)).unwrap();
        }
    }
}
