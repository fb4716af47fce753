//! The `caseflow` application: configuration, wiring and subcommands.
//!
//! `main` parses the command line and calls [`run`]; tests call the same functions.

pub mod app;
pub mod client;
pub mod commands;
pub mod config;
pub mod devauth;
pub mod memory;
pub mod report;
pub mod sample;
pub mod scheduling;
pub mod ssda903;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// caseflow: event-sourced Corporate Parenting indicators for children's social care.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// TOML configuration file (see deploy/caseflow.toml); CASEFLOW_* variables override it.
    #[arg(long, short, global = true, env = "CASEFLOW_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub connection: client::Connection,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the projector and the gRPC server (with an embedded NATS server when no URL is set).
    Serve,
    /// Validate a JSON-lines file of events and append the valid ones to the log.
    Publish {
        file: PathBuf,
        /// Appends awaiting acknowledgement at once.
        #[arg(long, default_value_t = 256)]
        in_flight: usize,
    },
    /// Append the events an authority's SSDA903 returns imply (CSV tables: a folder per year,
    /// or files). Importing the same files again appends nothing; exit code 2 when any row
    /// was refused.
    #[command(name = "import-903")]
    Import903 {
        /// The authority the returns are of (three-digit DfE code).
        #[arg(long)]
        la: String,
        /// Folders (one return each) or CSV files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Appends awaiting acknowledgement at once.
        #[arg(long, default_value_t = 256)]
        in_flight: usize,
    },
    /// Write an authority's SSDA903 tables for one year (CSV, the DfE's columns) from the
    /// events the stream holds.
    #[command(name = "export-903")]
    Export903 {
        /// The authority (three-digit DfE code).
        #[arg(long)]
        la: String,
        /// The collection year, e.g. 2017/18 (1 April 2017 to 31 March 2018).
        #[arg(long)]
        year: String,
        /// The folder to write the tables to.
        #[arg(long)]
        out: PathBuf,
    },
    /// Wipe the projections and replay the whole stream.
    Rebuild,
    /// Show the projector's progress, from a running server.
    Status,
    /// Start everything, publish a simulated authority's history, print its scorecard and write
    /// its report.
    Demo {
        /// Stop after printing instead of serving until Ctrl-C.
        #[arg(long)]
        exit: bool,
        /// Years of history to publish.
        #[arg(long, default_value_t = 5)]
        years: i32,
        /// The simulator's seed.
        #[arg(long, default_value_t = 2018)]
        seed: u64,
        /// Where report.html and scorecard.csv (compare.html and compare.csv with several
        /// authorities) are written.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// How many authorities: 1 is authority 372, like the seed report's; more are the
        /// simulator's authorities 201, 202, ... (each with its own population), whose
        /// scorecards are shown side by side.
        #[arg(long, default_value_t = 1)]
        authorities: usize,
    },
    /// Render the monthly performance report from a running server, or compare authorities.
    Report {
        /// The authority (any in the install).
        #[arg(long, default_value = "372", conflicts_with = "compare")]
        la: String,
        /// Lay several authorities side by side instead, e.g. `--compare 372,373,374`: the
        /// whole scorecard, or with `--indicator` one indicator's 13 months.
        #[arg(long, value_delimiter = ',')]
        compare: Vec<String>,
        /// With `--compare`: the one indicator compared, e.g. 6.2.
        #[arg(long, requires = "compare")]
        indicator: Option<String>,
        /// YYYY-MM; default: the last complete month.
        #[arg(long)]
        month: Option<String>,
        #[arg(long, value_enum, default_value_t = report::Format::Table)]
        format: report::Format,
        /// Record that this report was presented (its figures as they stand now), then render it.
        #[arg(long, conflicts_with = "compare")]
        publish: bool,
        /// The publication's title, e.g. "Panel 19 June 2018" (with --publish).
        #[arg(long, requires = "publish")]
        title: Option<String>,
        /// List the reports published for the authority instead of rendering one.
        #[arg(long, conflicts_with_all = ["publish", "against", "compare"])]
        list_published: bool,
        /// Mark what changed since the publication with this title (default: the latest).
        #[arg(long, conflicts_with = "compare")]
        against: Option<String>,
    },
    /// List the audit trail of reads of personal data, from a running server (the audit role).
    Audit {
        /// Only this authority.
        #[arg(long)]
        la: Option<String>,
        /// Only from this day (YYYY-MM-DD) or moment (RFC 3339) on.
        #[arg(long)]
        since: Option<String>,
        /// Only about this child.
        #[arg(long)]
        child: Option<String>,
        /// Only this caller.
        #[arg(long)]
        who: Option<String>,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print a token for trying the secured mode locally: creates a signing key, its JWKS and
    /// a local CA and server certificate under <data_dir>/dev-auth on first use.
    DevToken {
        /// Roles: figures, records, ingest, operations, audit.
        #[arg(long, value_delimiter = ',', default_value = "figures")]
        roles: Vec<String>,
        /// Authority codes, or * for all.
        #[arg(long = "la", value_delimiter = ',', default_value = "372")]
        authorities: Vec<String>,
        /// Who the token names.
        #[arg(long, default_value = "developer")]
        who: String,
        /// Hours until it expires.
        #[arg(long, default_value_t = 8)]
        hours: u64,
    },
    /// Make a service token for a case system or script: prints the token once, and the
    /// configuration entry (which holds only its hash).
    ServiceToken {
        /// Its name in the audit trail, e.g. "mosaic-372".
        #[arg(long)]
        name: String,
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Authority codes, or * for all.
        #[arg(long = "la", value_delimiter = ',')]
        authorities: Vec<String>,
    },
    /// Simulate authorities' histories: JSON lines to a file, or appended straight to NATS.
    Simulate {
        /// How many authorities (codes 201, 202, ...; with one, authority 372 like the seed).
        #[arg(long, default_value_t = 1)]
        authorities: usize,
        /// Years of history.
        #[arg(long, default_value_t = 5)]
        years: i32,
        #[arg(long, default_value_t = 2018)]
        seed: u64,
        /// Write JSON lines here instead of appending to NATS.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Appends awaiting acknowledgement at once.
        #[arg(long, default_value_t = 1024)]
        in_flight: usize,
    },
    /// Start a nats-server for each configuration file (a cluster's nodes, e.g. deploy/cluster),
    /// then serve against them (nats.url names them) until Ctrl-C; the servers stop with it.
    Cluster {
        /// The nodes' nats-server configuration files.
        #[arg(required = true)]
        nodes: Vec<PathBuf>,
    },
    /// Write the sample events as JSON lines (to refresh deploy/sample/events.jsonl).
    #[command(hide = true)]
    Sample { out: PathBuf },
}

/// Runs a parsed command line. Returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let config = config::Config::load(cli.config.as_deref(), |k| std::env::var(k).ok())?;
    match cli.command {
        Command::Serve => commands::serve(&config).await?,
        Command::Publish { file, in_flight } => {
            if !commands::publish(&config, &file, in_flight).await? {
                return Ok(2);
            }
        }
        Command::Import903 {
            la,
            paths,
            in_flight,
        } => {
            if !ssda903::import_903(&config, &la, &paths, in_flight).await? {
                return Ok(2);
            }
        }
        Command::Export903 { la, year, out } => {
            ssda903::export_903(&config, &la, &year, &out).await?
        }
        Command::Rebuild => commands::rebuild(&config).await?,
        Command::Status => {
            commands::status(&client::Server::connect(&cli.connection, &config).await?).await?
        }
        Command::Audit {
            la,
            since,
            child,
            who,
            json,
        } => {
            let server = client::Server::connect(&cli.connection, &config).await?;
            let filter = caseflow_proto::v2::ListAuditRequest {
                la: la.unwrap_or_default(),
                since: since.unwrap_or_default(),
                child_id: child.unwrap_or_default(),
                who: who.unwrap_or_default(),
                ..Default::default()
            };
            commands::audit(&server, filter, json).await?
        }
        Command::DevToken {
            roles,
            authorities,
            who,
            hours,
        } => {
            let files = devauth::DevFiles::of(&config);
            let token = files.token(&who, &roles, &authorities, hours)?;
            eprintln!(
                "caseflow: a development token (not for production). To accept it, add to the \
                 configuration:\n\n{}\nand call with --ca-file {} --token <token>.\n",
                files.config_snippet(),
                files.ca().display()
            );
            println!("{token}");
        }
        Command::ServiceToken {
            name,
            roles,
            authorities,
        } => {
            let (token, hash) = devauth::new_service_token();
            eprintln!(
                "caseflow: add to the configuration (it holds only the hash; the token is shown \
                 once, below):\n\n[[auth.service_tokens]]\nname = {name:?}\nhash = {hash:?}\n\
                 roles = {roles:?}\nauthorities = {authorities:?}\n"
            );
            println!("{token}");
        }
        Command::Demo {
            exit,
            years,
            seed,
            out,
            authorities,
        } => {
            let options = commands::DemoOptions {
                years,
                seed,
                exit,
                out_dir: out,
                authorities,
            };
            commands::demo(&config, &options).await?
        }
        Command::Simulate {
            authorities,
            years,
            seed,
            out,
            in_flight,
        } => {
            let sim = if authorities <= 1 {
                caseflow_sim::SimConfig::like_seed(seed, "372")
            } else {
                caseflow_sim::SimConfig::many(seed, authorities)
            };
            let sim = commands::last_years(sim, years);
            commands::simulate(&config, &sim, out.as_deref(), in_flight).await?
        }
        Command::Report {
            compare,
            indicator,
            month,
            format,
            ..
        } if !compare.is_empty() => {
            let server = client::Server::connect(&cli.connection, &config).await?;
            let c =
                report::fetch_comparison(&server, &compare, month.as_deref(), indicator.as_deref())
                    .await?;
            for card in c.scorecards.iter().filter(|c| !c.has_figures()) {
                eprintln!("{}", report::no_figures(card));
            }
            let colour = format == report::Format::Table
                && std::io::IsTerminal::is_terminal(&std::io::stdout());
            print!("{}", report::render_comparison(&c, format, colour));
        }
        Command::Report {
            la,
            month,
            format,
            publish,
            title,
            list_published,
            against,
            ..
        } => {
            let server = client::Server::connect(&cli.connection, &config).await?;
            if list_published {
                print!(
                    "{}",
                    report::render_publications(&report::list_published(&server, &la).await?)
                );
                return Ok(0);
            }
            // Compared with the publication before this one: the report being published is
            // rendered with what changed since the last.
            let data = report::fetch(&server, &la, month.as_deref(), against.as_deref()).await?;
            if !data.scorecard.has_figures() {
                eprintln!("{}", report::no_figures(&data.scorecard));
            }
            if publish {
                let month = data.scorecard.month.to_string();
                let (p, figures) =
                    report::publish(&server, &la, Some(&month), title.as_deref()).await?;
                eprintln!(
                    "published {:?}: authority {la}, {} report, {figures} figures, at {} by {}",
                    p.title, p.month, p.published_at, p.who
                );
            }
            let out = match format {
                report::Format::Table => report::render_table(
                    &data,
                    std::io::IsTerminal::is_terminal(&std::io::stdout()),
                ),
                f => report::render(&data, f),
            };
            print!("{out}");
        }
        Command::Cluster { nodes } => commands::cluster(&config, &nodes).await?,
        Command::Sample { out } => {
            let mut text = sample::sample_events().join("\n");
            text.push('\n');
            std::fs::write(&out, text)?;
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(["caseflow"].iter().chain(args)).map(|c| c.command)
    }

    #[test]
    fn a_report_is_published_with_a_title_or_compared_with_a_named_one() {
        let Ok(Command::Report {
            publish,
            title,
            list_published,
            against,
            ..
        }) = parse(&[
            "report",
            "--month",
            "2018-05",
            "--publish",
            "--title",
            "Panel 19 June 2018",
        ])
        else {
            panic!("a report command");
        };
        assert!(publish && !list_published && against.is_none());
        assert_eq!(title.as_deref(), Some("Panel 19 June 2018"));
        let Ok(Command::Report { against, .. }) =
            parse(&["report", "--against", "Panel 19 June 2018"])
        else {
            panic!("a report command");
        };
        assert_eq!(against.as_deref(), Some("Panel 19 June 2018"));
        // A title only with --publish; a listing neither publishes nor compares.
        assert!(parse(&["report", "--title", "x"]).is_err());
        assert!(parse(&["report", "--list-published", "--publish"]).is_err());
        assert!(parse(&["report", "--list-published", "--against", "x"]).is_err());
        assert!(parse(&["report", "--list-published", "--la", "373"]).is_ok());
    }
}
