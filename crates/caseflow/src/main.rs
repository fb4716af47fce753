//! The `caseflow` binary: parses the command line, installs tracing, runs the command.

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("CASEFLOW_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // A file size limit (RLIMIT_FSIZE) reached by the store must fail the write, which the
    // projector survives (it waits until it can write again), not kill the process with
    // SIGXFSZ's default action. Handling the signal is enough: the write then fails with EFBIG.
    let _file_size_limit =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ))?;
    let code = caseflow::run(caseflow::Cli::parse()).await?;
    std::process::exit(code);
}
