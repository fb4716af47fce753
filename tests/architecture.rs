//! Architecture checks: each crate depends on what its place in the house allows and nothing
//! else; the domain stays pure; the committed sample is what the generator makes.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Every workspace crate's allowed normal (not dev or build) dependencies, internal and
/// external. A crate that needs another dependency changes this table, on purpose: the layers
/// of ARCHITECTURE.md are kept here.
const ALLOWED: &[(&str, &[&str])] = &[
    // Pure: events in, figures out.
    (
        "caseflow-domain",
        &["serde", "smallvec", "thiserror", "time"],
    ),
    // The wire: generated code and its conversion to domain types.
    (
        "caseflow-proto",
        &[
            "caseflow-domain",
            "pbjson",
            "prost",
            "serde",
            "serde_json",
            "thiserror",
            "time",
            "tonic",
            "tonic-prost",
        ],
    ),
    // The only crate that talks to NATS.
    (
        "caseflow-log",
        &[
            "async-nats",
            "bytes",
            "futures",
            "nkeys",
            "thiserror",
            "time",
            "tokio",
            "tracing",
        ],
    ),
    // The only crate that touches sled; storage, no derivation.
    (
        "caseflow-store",
        &[
            "caseflow-domain",
            "postcard",
            "serde",
            "sled",
            "thiserror",
            "time",
            "tracing",
        ],
    ),
    // The write path: log in, store out; knows nothing of the server.
    (
        "caseflow-projector",
        &[
            "caseflow-domain",
            "caseflow-log",
            "caseflow-proto",
            "caseflow-store",
            "futures",
            "postcard",
            "prometheus-client",
            "rustc-hash",
            "thiserror",
            "time",
            "tokio",
            "tracing",
        ],
    ),
    // The read path and ingest: the only crate that runs tonic services; knows nothing of the
    // projector.
    (
        "caseflow-server",
        &[
            "axum",
            "caseflow-domain",
            "caseflow-log",
            "caseflow-proto",
            "caseflow-store",
            "jsonwebtoken",
            "prometheus-client",
            "prost",
            "serde_json",
            "sha2",
            "thiserror",
            "time",
            "tokio",
            "tokio-stream",
            "tonic",
            "tonic-health",
            "tonic-reflection",
            "tracing",
            "x509-parser",
        ],
    ),
    // Pure simulation: no I/O.
    (
        "caseflow-sim",
        &[
            "caseflow-domain",
            "rand",
            "rand_chacha",
            "serde_json",
            "time",
        ],
    ),
    // The one production binary: configuration, wiring, commands.
    (
        "caseflow",
        &[
            "anyhow",
            "caseflow-domain",
            "caseflow-log",
            "caseflow-projector",
            "caseflow-proto",
            "caseflow-server",
            "caseflow-sim",
            "caseflow-store",
            "clap",
            "csv",
            "indicatif",
            "jsonwebtoken",
            "libc",
            "rand",
            "rcgen",
            "serde",
            "serde_json",
            "sha2",
            "thiserror",
            "time",
            "tokio",
            "toml",
            "tonic",
            "tracing",
            "tracing-subscriber",
        ],
    ),
    // The benchmark harness, outside the production binary.
    (
        "caseflow-bench",
        &[
            "anyhow",
            "caseflow",
            "caseflow-domain",
            "caseflow-log",
            "caseflow-projector",
            "caseflow-proto",
            "caseflow-server",
            "caseflow-sim",
            "caseflow-store",
            "clap",
            "futures",
            "serde_json",
            "time",
            "tokio",
            "toml",
            "tonic",
        ],
    ),
];

/// What `cargo ARGS` prints, run in the workspace; fails the test with cargo's message.
fn cargo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Each workspace crate's normal dependencies, as its manifest declares them.
fn declared_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let out = cargo(&[
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]);
    let metadata: serde_json::Value = serde_json::from_str(&out).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let normal = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .collect();
            (p["name"].as_str().unwrap().to_owned(), normal)
        })
        .collect()
}

#[test]
fn every_crate_depends_only_on_what_its_layer_allows() {
    let declared = declared_dependencies();
    let mut checked: BTreeSet<&str> = BTreeSet::new();
    for (krate, allowed) in ALLOWED {
        let allowed: BTreeSet<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
        let found = declared
            .get(*krate)
            .unwrap_or_else(|| panic!("{krate} is not in the workspace"));
        let extra: Vec<_> = found.difference(&allowed).collect();
        let missing: Vec<_> = allowed.difference(found).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{krate}: dependencies not in the table: {extra:?}; in the table but not declared \
             (remove them from the table): {missing:?}"
        );
        checked.insert(krate);
    }
    let unchecked: Vec<_> = declared
        .keys()
        .filter(|k| k.as_str() != "caseflow-tests" && !checked.contains(k.as_str()))
        .collect();
    assert!(
        unchecked.is_empty(),
        "crates with no entry in ALLOWED: {unchecked:?}"
    );
}

#[test]
fn the_write_path_and_the_read_path_do_not_know_each_other() {
    let declared = declared_dependencies();
    assert!(!declared["caseflow-server"].contains("caseflow-projector"));
    assert!(!declared["caseflow-projector"].contains("caseflow-server"));
    assert!(!declared["caseflow-store"].contains("caseflow-projector"));
    // One adapter per external system (the integration tests publish raw messages too).
    for (krate, deps) in declared.iter().filter(|(k, _)| *k != "caseflow-tests") {
        for (system, owner) in [
            ("async-nats", "caseflow-log"),
            ("sled", "caseflow-store"),
            ("tonic-health", "caseflow-server"),
        ] {
            assert!(
                krate == owner || !deps.contains(system),
                "{krate} depends on {system}, which only {owner} may use"
            );
        }
    }
}

#[test]
fn the_domain_crate_has_no_io_dependencies() {
    let tree = cargo(&[
        "tree",
        "-p",
        "caseflow-domain",
        "-e",
        "normal",
        "--prefix",
        "none",
        "--offline",
    ]);
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
