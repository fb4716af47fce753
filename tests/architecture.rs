//! Architecture checks: the domain stays pure; the committed sample is what the generator makes.

use std::process::Command;

#[test]
fn the_domain_crate_has_no_io_dependencies() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "caseflow-domain",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("caseflow-domain"), "{tree}");
    for forbidden in ["tokio", "async-nats", "sled", "tonic", "prost", "mio"] {
        assert!(
            !tree
                .lines()
                .any(|l| l.starts_with(&format!("{forbidden} "))),
            "caseflow-domain depends on {forbidden}:\n{tree}"
        );
    }
}

#[test]
fn the_committed_sample_is_the_generators_output() {
    let generated = caseflow::sample::sample_events().join("\n") + "\n";
    assert!(
        generated == caseflow::sample::COMMITTED_SAMPLE,
        "deploy/sample/events.jsonl is stale: run `just sample`"
    );
}

#[test]
fn the_shipped_configuration_loads_with_the_reports_targets() {
    use caseflow_domain::indicators::Indicator;
    use caseflow_domain::scorecard::{Rag, rag};
    // deploy/caseflow.toml names deploy/scorecard-2018-19.toml relative to the repository root.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    std::env::set_current_dir(root).unwrap();
    let config =
        caseflow::config::Config::load(Some("deploy/caseflow.toml".as_ref()), |_| None).unwrap();
    let year = caseflow_domain::FinancialYear(2018);
    let reviews = config
        .scorecard
        .target(Indicator::ReviewsOnTime, year)
        .unwrap();
    // The report's May 2018 6.7 figure, 78.8%, is red against red <90%, amber 90%, green 95%+.
    assert_eq!(
        rag(Indicator::ReviewsOnTime.polarity(), Some(78.8), reviews),
        Some(Rag::Red)
    );
    let a1 = config.scorecard.benchmark(Indicator::A1).unwrap();
    assert_eq!(a1.national_average, Some(558.0));
    // 6.2 from the back-calculated population: 627 LAC in April 2018 is 110.8 per 10,000.
    let population = config.indicators.population(year).unwrap();
    let rate = caseflow_domain::indicators::value_in(
        caseflow_domain::indicators::Unit::RatePer10000,
        627,
        Some(i64::from(population)),
    )
    .unwrap();
    assert_eq!(format!("{rate:.1}"), "110.8");
    assert_eq!(
        config.indicators.team_groups["LAC 1-3"],
        ["LAC1", "LAC2", "LAC3"]
    );
}
