//! The SSDA903 return (the children-looked-after return every English authority sends the DfE
//! each year) as a way in and out: `caseflow import-903` reads a return's CSV tables and
//! appends the events they imply; `caseflow export-903` writes a year's tables from what the
//! stream holds. What is read, and what is left out, is in `docs/ssda903.md`.
//!
//! - `tables.rs`: the CSV tables, told by their columns; dates as the DfE publishes them.
//! - `history.rs`: rows to events, with ids derived from the authority and the fact.
//! - `export.rs`: the way out (`caseflow export-903`): children's timelines as a year's tables.

pub mod export;
mod history;
mod tables;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use anyhow::Context;
use caseflow_domain::timeline::{ChildTimeline, fold_child};
use caseflow_domain::{Event, FinancialYear, La, Subject, Timestamp};
use caseflow_log::{Append, ContentType, EventLog};
use indicatif::ProgressBar;
use tracing::instrument;

pub use history::{History, Implied, Refused, SOURCE, implied, return_year_end};
pub use tables::{Origin, Return, Row, Table, parse_date, read_returns, read_table};

use crate::config::Config;

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Rows read, per table.
    pub rows: BTreeMap<Table, u64>,
    /// Events appended to the stream.
    pub appended: u64,
    /// Events the stream already held (imported before, or the same fact in two tables or
    /// returns), not appended again.
    pub duplicates: u64,
    /// Rows (or parts of rows) that cannot become events, with why.
    pub refused: Vec<Refused>,
    /// Appends that failed (NATS unavailable): (origin, error).
    pub failed: Vec<(Origin, String)>,
    /// Children whose first episode imported continues a period of care begun before.
    pub periods_started_earlier: u64,
}

impl ImportReport {
    /// Refused rows by reason code.
    pub fn refused_by_reason(&self) -> BTreeMap<&str, u64> {
        let mut by = BTreeMap::new();
        for r in &self.refused {
            *by.entry(r.reason.as_str()).or_default() += 1;
        }
        by
    }
}

/// Reads the returns under `paths`, validates every event they imply as the projector would,
/// and appends those the stream does not hold yet (by event id), `in_flight` at a time.
/// `progress` is told of each append.
#[instrument(skip_all, fields(%la, paths = paths.len()))]
pub async fn import(
    log: &EventLog,
    la: La,
    paths: &[PathBuf],
    in_flight: usize,
    progress: &ProgressBar,
) -> anyhow::Result<ImportReport> {
    let returns = read_returns(paths)?;
    let history = implied(la, &returns);
    let mut report = ImportReport {
        rows: history.rows,
        refused: history.refused,
        periods_started_earlier: history.periods_started_earlier,
        ..Default::default()
    };
    // Beyond JetStream's duplicate window too: what the stream holds for the authority.
    let mut known: HashSet<String> = log
        .message_ids(&format!(
            "{}.{la}.>",
            caseflow_domain::event::SUBJECT_PREFIX
        ))
        .await
        .context("cannot read the event ids the stream holds for the authority")?;
    let now = Timestamp::from_offset(time::OffsetDateTime::now_utc());
    let mut appends = Vec::new();
    let mut origins = Vec::new();
    for event in history.events {
        if !known.insert(event.event_id.clone()) {
            report.duplicates += 1;
            continue;
        }
        let line = event.json.to_string();
        match crate::commands::validate_line(&line, now) {
            Ok((subject, validated)) => {
                appends.push(Append {
                    subject: subject.to_string(),
                    event_id: validated.id.to_string(),
                    payload: line.into_bytes().into(),
                    content_type: ContentType::Json,
                    expected_last_subject_sequence: None,
                });
                origins.push(event.origin);
            }
            Err(r) => report.refused.push(Refused {
                table: event.table,
                origin: event.origin,
                reason: r.reason.code().to_owned(),
                message: r.message,
            }),
        }
    }
    report.refused.sort_by(|a, b| a.origin.cmp(&b.origin));
    progress.set_length(appends.len() as u64);
    let mut origins = origins.into_iter();
    let mut appends = appends.into_iter().peekable();
    while appends.peek().is_some() {
        let chunk: Vec<Append> = appends.by_ref().take(in_flight.max(1) * 4).collect();
        for result in log.append_all(chunk, in_flight).await {
            let origin = origins.next().unwrap_or_else(|| Origin {
                file: PathBuf::new(),
                line: 0,
            });
            match result {
                Ok(a) if a.duplicate => report.duplicates += 1,
                Ok(_) => report.appended += 1,
                Err(e) => report.failed.push((origin, e.to_string())),
            }
            progress.inc(1);
        }
    }
    progress.finish_and_clear();
    Ok(report)
}

/// The event log, as the importer and exporter use it (reading the authority's subjects too).
async fn connect(config: &Config) -> anyhow::Result<EventLog> {
    EventLog::connect(
        &config.nats_url(),
        &config.nats_security(),
        config.stream_settings(),
    )
    .await
    .with_context(|| {
        format!(
            "cannot reach NATS at {} (start `caseflow serve`, or set nats.url)",
            config.nats_url()
        )
    })
}

/// `caseflow import-903 --la LA PATH...`: imports, prints the summary; false when any row was
/// refused or an append failed.
pub async fn import_903(
    config: &Config,
    la: &str,
    paths: &[PathBuf],
    in_flight: usize,
) -> anyhow::Result<bool> {
    let la = La::parse(la).with_context(|| format!("--la {la:?} is not a three-digit code"))?;
    let log = connect(config).await?;
    let bar = crate::commands::progress_bar(0, "importing");
    let report = import(&log, la, paths, in_flight, &bar).await?;
    print!("{}", summary(&report));
    Ok(report.refused.is_empty() && report.failed.is_empty())
}

/// The closing summary: rows read per table, events appended, duplicates, refusals by reason,
/// then every refused row with its file, line and reason.
pub fn summary(r: &ImportReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "rows read:");
    for table in Table::ALL {
        let n = r.rows.get(&table).copied().unwrap_or(0);
        let note = match table {
            Table::Uasc | Table::Missing | Table::PrevPerm => " (no event carries these facts)",
            _ => "",
        };
        let _ = writeln!(out, "  {:<15}{n:>9}{note}", table.name());
    }
    let _ = writeln!(
        out,
        "events appended: {}; already held (duplicates absorbed): {}; rows refused: {}; appends \
         failed: {}",
        r.appended,
        r.duplicates,
        r.refused.len(),
        r.failed.len()
    );
    for (reason, n) in r.refused_by_reason() {
        let _ = writeln!(out, "  refused {reason}: {n}");
    }
    if r.periods_started_earlier > 0 {
        let _ = writeln!(
            out,
            "{} children's first episode here continues a period of care begun earlier: unless \
             an earlier return was imported before, import it too (until then their placements \
             show as data-quality issues)",
            r.periods_started_earlier
        );
    }
    for refused in &r.refused {
        let _ = writeln!(
            out,
            "{} ({}): refused ({}): {}",
            refused.origin,
            refused.table.name(),
            refused.reason,
            refused.message
        );
    }
    for (origin, error) in &r.failed {
        let _ = writeln!(out, "{origin}: append failed: {error}");
    }
    out
}

/// The authority's children as caseflow holds them: every event in the stream under their
/// subjects, validated as the projector validates it (first copy of an id kept), folded into
/// timelines.
pub async fn children(log: &EventLog, la: La) -> anyhow::Result<Vec<(String, ChildTimeline)>> {
    let filter = format!("{}.{la}.child.>", caseflow_domain::event::SUBJECT_PREFIX);
    let messages = log
        .read_under(&filter)
        .await
        .context("cannot read the authority's events")?;
    let mut by_child: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for m in messages {
        let Some(subject) = Subject::parse(&m.subject) else {
            continue;
        };
        let Ok(event) = caseflow_proto::decode_event(&m.payload, m.content_type.as_deref())
            .and_then(|draft| draft.validate(&subject, Timestamp::from_offset(m.published)))
        else {
            continue;
        };
        let events = by_child.entry(subject.id.to_string()).or_default();
        if !events.iter().any(|e| e.id == event.id) {
            events.push(event);
        }
    }
    Ok(by_child
        .into_iter()
        .map(|(child, events)| {
            let timeline = fold_child(&events);
            (child, timeline)
        })
        .collect())
}

/// Writes `tables` as the return's CSV files into `out` (created if need be).
pub fn write_tables(out: &std::path::Path, tables: &export::Tables) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (table, rows) in tables {
        let path = out.join(export::file_name(*table));
        let mut writer = csv::Writer::from_path(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writer.write_record(table.columns())?;
        for row in rows {
            writer.write_record(row)?;
        }
        writer.flush()?;
    }
    Ok(())
}

/// `caseflow export-903 --la LA --year 2017/18 --out DIR`.
pub async fn export_903(
    config: &Config,
    la: &str,
    year: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let la = La::parse(la).with_context(|| format!("--la {la:?} is not a three-digit code"))?;
    let year = parse_year(year)?;
    let log = connect(config).await?;
    let children = children(&log, la).await?;
    let tables = export::tables(year, &children);
    write_tables(out, &tables)?;
    for (table, rows) in &tables {
        println!("{:<15}{:>9} rows", table.name(), rows.len());
    }
    println!("written to {}", out.display());
    Ok(())
}

/// `2017/18`, `2017-18` or `2017`: the financial year from 1 April 2017.
pub fn parse_year(text: &str) -> anyhow::Result<FinancialYear> {
    let bad = || anyhow::anyhow!("--year {text:?} is not a financial year such as 2017/18");
    let (first, second) = match text.split_once(['/', '-']) {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let first: i32 = first.parse().map_err(|_| bad())?;
    if !(1950..=9998).contains(&first) {
        return Err(bad());
    }
    if let Some(second) = second {
        let second: i32 = second.parse().map_err(|_| bad())?;
        let matches = match second {
            0..=99 => second == (first + 1) % 100,
            _ => second == first + 1,
        };
        if !matches {
            return Err(bad());
        }
    }
    Ok(FinancialYear(first))
}
