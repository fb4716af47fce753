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
