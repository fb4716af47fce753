# caseflow's commands. Run them through ./dev, which installs just and nats-server first.
# One command per recipe: anything with logic belongs in the caseflow binary.

# List the recipes.
default:
    @just --list

# Start NATS, the projector and gRPC; publish five simulated years of authority 372; print its scorecard; write report.html.
demo *args:
    cargo run -p caseflow -- demo {{args}}

# The whole check CI runs: formatting, clippy, every test.
test: fmt-check lint nextest

# Fail on unformatted code.
fmt-check:
    cargo fmt --all -- --check

# Clippy on every crate and target, warnings as errors.
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Every unit and integration test (integration tests start real nats-server processes).
nextest:
    cargo nextest run --workspace --no-fail-fast

# Run the projector and the gRPC server until Ctrl-C (embedded NATS unless nats.url is set).
serve:
    cargo run -p caseflow -- serve

# Validate a JSON-lines file of events and append the valid ones (needs NATS running).
publish file:
    cargo run -p caseflow -- publish {{quote(file)}}

# Wipe the projections and replay the whole stream (stop `serve` first).
rebuild:
    cargo run -p caseflow -- rebuild

# Show a running server's projector progress.
status:
    cargo run -p caseflow -- status

# Regenerate the committed sample events.
sample:
    cargo run -p caseflow -- sample deploy/sample/events.jsonl

# API docs for every crate.
doc:
    cargo doc --workspace --no-deps

# Render the monthly report from a running server (format: table, html, csv, json)
report format="table":
    cargo run -q -p caseflow -- report --format {{format}}

# The benchmarks, written to BENCHMARKS.md: Criterion micro-benchmarks, then 5 simulated years at 1, 10 and 150 authorities in process and against `caseflow serve` as a process (about an hour and a quarter; release build)
bench:
    cargo bench -p caseflow-bench --bench hot_paths
    cargo build --release -p caseflow -p caseflow-bench
    cargo run --release -p caseflow-bench

# A reduced benchmark run (micro-benchmarks, then 1 year at 1 and 10 authorities, 3 runs)
bench-quick:
    cargo bench -p caseflow-bench --bench hot_paths
    cargo build --release -p caseflow -p caseflow-bench
    cargo run --release -p caseflow-bench -- --quick

# A three-node NATS cluster on this machine (deploy/cluster) and caseflow against it, until Ctrl-C; prints what to try.
cluster:
    cargo run -p caseflow -- --config deploy/cluster/caseflow.toml cluster deploy/cluster/n1.conf deploy/cluster/n2.conf deploy/cluster/n3.conf
