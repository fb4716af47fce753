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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let options = caseflow_bench::BenchOptions {
        quick: cli.quick,
        runs: cli.runs,
        out: cli.out,
        authorities: cli.authorities,
    };
    print!("{}", caseflow_bench::run(&options).await?);
    Ok(())
}
