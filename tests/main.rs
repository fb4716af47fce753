//! caseflow's integration tests: one test binary, real `nats-server`, real sled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adversarial;
mod architecture;
mod authorities;
mod cluster;
mod crash;
mod demo;
mod history;
mod ingest;
mod nats_security;
mod process;
mod refusals;
mod rejections;
mod report;
mod revisions;
mod scorecard;
mod security;
mod spine;
mod ssda903;
mod store;
