//! caseflow's benchmark harness, kept out of the production binary.
//!
//! - `run.rs`: reproducible end-to-end workloads from the simulator (ingest, queries under an
//!   open loop, plaintext and over TLS with bearer tokens, single applies, the rebuild against a
//!   raw JetStream consumer), and `run/server.rs`: the release `caseflow serve` as a child
//!   process (its memory and disk, queries while it ingests, a restart), written as
//!   `BENCHMARKS.md` by the `caseflow-bench` binary (`./dev bench`).
//! - `micro.rs`: reads the Criterion micro-benchmarks' results (`benches/hot_paths.rs`) back
//!   as a markdown section of the same report.

pub mod micro;
pub mod run;

pub use run::{BenchOptions, run};
