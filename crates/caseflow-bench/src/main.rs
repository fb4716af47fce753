//! The `caseflow-bench` binary: runs the benchmarks and writes BENCHMARKS.md (needs
//! `nats-server` on PATH; build with `--release`).

use std::path::PathBuf;

use clap::Parser;

/// Runs caseflow's benchmarks and writes the report.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Fewer runs, one year of history, fewer requests.
    #[arg(long)]
    quick: bool,
    /// Runs per figure (default: 3 with --quick, 5 otherwise).
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    runs: usize,
    /// Where the report is written.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// Scale points, in authorities (default: 1,10 with --quick, 1,10,150 otherwise).
    #[arg(long, value_delimiter = ',')]
    authorities: Vec<usize>,
    /// Only the server measured as a process (`caseflow serve` as a child process: memory,
    /// disk, queries while ingesting, restart), at each scale point. Needs the release
    /// `caseflow` binary beside this one (`cargo build --release -p caseflow`).
    #[arg(long)]
    server_only: bool,
    /// sled page cache sizes (MiB) to measure the server process with, at each scale point
    /// (default: the shipped 256).
    #[arg(long, value_delimiter = ',')]
    cache_mib: Vec<u64>,
    /// `projector.defer_up_to` values to measure the server process with, at each scale point
    /// (default: the shipped setting).
    #[arg(long, value_delimiter = ',')]
    defer_up_to: Vec<usize>,
    /// `projector.deriving_nice` values to measure the server process with, at each scale
    /// point (default: the shipped setting).
    #[arg(long, value_delimiter = ',')]
    deriving_nice: Vec<i32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let options = caseflow_bench::BenchOptions {
        quick: cli.quick,
        runs: cli.runs,
        out: cli.out,
        authorities: cli.authorities,
        server_only: cli.server_only,
        cache_mib: cli.cache_mib,
        defer_up_to: cli.defer_up_to,
        deriving_nice: cli.deriving_nice,
    };
    print!("{}", caseflow_bench::run(&options).await?);
    Ok(())
}
