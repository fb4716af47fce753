//! The demo command end to end, in reduced size: simulate, publish, project, report.

use caseflow::commands::{DemoOptions, demo};
use caseflow_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_end_to_end() {
    let nats = TestNats::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&nats.url(), &dir);
    config.today = None; // the demo picks a day just after the simulated history
    config.projector.batch_size = 1000;
    let options = DemoOptions {
        years: 1,
        seed: 7,
        exit: true,
        out_dir: dir.path().join("out"),
    };
    demo(&config, &options).await.unwrap();

    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("LOOKED AFTER CHILDREN") && html.contains("<svg"));
    let csv = std::fs::read_to_string(dir.path().join("out/scorecard.csv")).unwrap();
    let looked_after: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("6.1,"))
        .unwrap()
        .split(',')
        .collect();
    // The header names the columns: find the month value of 6.1.
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let value = header.iter().position(|h| *h == "value").unwrap();
    let lac: f64 = looked_after[value].trim().parse().unwrap();
    // One authority like the seed report's: around 600-650 looked-after children.
    assert!((450.0..800.0).contains(&lac), "6.1 = {lac}");
}
