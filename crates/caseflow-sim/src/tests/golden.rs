//! The golden test of the derivations: the figures of a fixed simulated authority, derived
//! with the domain exactly as the projector derives them, rendered as text and compared with
//! `golden/derivation-v<DERIVATION_VERSION>.txt`.
//!
//! Projections are rebuilt only when [`DERIVATION_VERSION`] changes, so derivation output must
//! not change without a bump: this test fails when it does. The update path
//! (`UPDATE_GOLDEN=1 cargo nextest run -p caseflow-sim golden`) only creates the file of a new
//! version; it never overwrites an existing version's file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use time::{Date, macros::date};

use caseflow_domain::DERIVATION_VERSION;
use caseflow_domain::calendar::{Month, add_days, format_day};
use caseflow_domain::indicators::caseloads::{Caseloads, MonthEnds};
use caseflow_domain::indicators::{
    Cells, Context, Figures, Indicator, Measure, MonthFigure, derive_subject, month_figure,
};
use caseflow_domain::settings::Settings;
use caseflow_domain::timeline::data_quality_issues;
use caseflow_domain::{Event, Rejection, RejectionReason, Subject, Timestamp};

use super::{digest, draft_of};
use crate::{Authority, Mess, SimConfig, simulate_authority};

/// The authority: a small one (about 190 looked-after children: seed 14's authority 226 has
/// a third of the seed's size), two years of history with the default mess, derived as of a
/// fixed day a few days after the history ends.
fn golden_config() -> SimConfig {
    SimConfig {
        seed: 14,
        authorities: vec!["226".to_owned()],
        start: date!(2016 - 06 - 01),
        end: date!(2018 - 05 - 31),
        mess: Mess::default(),
        recording_gaps: true,
        variation: 1.0,
    }
}

fn as_of() -> Date {
    add_days(golden_config().end, 5)
}

/// The indicator settings: the defaults, the seed report's team groups (11.x) and an under-18
/// population (6.2).
fn golden_settings() -> Settings {
    let mut settings = super::seed_team_groups();
    for year in ["2016/17", "2017/18", "2018/19"] {
        settings.population_under_18.insert(year.into(), 56_630);
    }
    settings
}

/// A line as the projector takes it: decoded (as a JSON decoder of the contract would) and
/// validated on its subject, or rejected with a reason.
fn validated(subject: &str, line: &str) -> Result<Event, RejectionReason> {
    let subject = Subject::parse(subject).ok_or(RejectionReason::InvalidSubject)?;
    let draft = draft_of(line).ok_or(RejectionReason::Undecodable)?;
    draft
        .validate(&subject, Timestamp(0))
        .map_err(|r: Rejection| r.reason)
}

/// What the projector holds for one authority: summed cells, month-end cases per worker and
/// workers' month-end records (joined into caseloads when read).
#[derive(Default)]
struct Derived {
    figures: Figures,
    month_ends: MonthEnds,
    /// Data-quality issues by reason code.
    issues: BTreeMap<&'static str, usize>,
    subjects: BTreeMap<&'static str, usize>,
}

impl Derived {
    /// Derives every subject's events through `derive_subject`, as the projector does.
    fn of(events: BTreeMap<Subject, Vec<Event>>, ctx: &Context) -> Derived {
        let mut d = Derived::default();
        for (subject, events) in events {
            *d.subjects.entry(subject.kind.token()).or_default() += 1;
            for issue in data_quality_issues(subject.kind, &events) {
                *d.issues.entry(issue.reason.code()).or_default() += 1;
            }
            let mut cells = Cells::default();
            let part = derive_subject(subject.kind, &events, ctx, &mut cells);
            d.figures.add(&cells.sum(), 1);
            d.month_ends.add(&subject.id, part);
        }
        d
    }

    fn caseloads(&self, month: Month, settings: &Settings) -> Caseloads {
        self.month_ends.caseloads(month, settings)
    }
}

fn figure_text(f: &MonthFigure) -> String {
    match f.denominator {
        Some(d) => format!("{} / {d}", f.numerator),
        None => f.numerator.to_string(),
    }
}

/// Every indicator's numerator and denominator for every month of the history, each month's
/// breakdowns and caseloads by team group, after a header saying what was derived.
fn render(authority: &Authority) -> String {
    let config = golden_config();
    let settings = golden_settings();
    let ctx = Context::new(settings.clone(), as_of());
    let mut events: BTreeMap<Subject, Vec<Event>> = BTreeMap::new();
    let mut rejected: BTreeMap<&'static str, usize> = BTreeMap::new();
    for e in &authority.events {
        match validated(&e.subject, &e.json) {
            Ok(event) => events.entry(event.subject.clone()).or_default().push(event),
            Err(reason) => *rejected.entry(reason.code()).or_default() += 1,
        }
    }
    let derived = Derived::of(events, &ctx);
    let counts = |m: &BTreeMap<&str, usize>| {
        if m.is_empty() {
            return "none".to_owned();
        }
        let parts: Vec<String> = m.iter().map(|(k, n)| format!("{k} {n}")).collect();
        parts.join(", ")
    };

    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "# The figures of derivation version {DERIVATION_VERSION} for a fixed simulated \
         authority: the golden test in crates/caseflow-sim/src/tests/golden.rs. Never edited."
    ));
    line(format!(
        "input: seed {}, authority {}, {} to {}, default mess, variation {}; as of {}",
        config.seed,
        config.authorities.join(" "),
        format_day(config.start),
        format_day(config.end),
        config.variation,
        format_day(as_of())
    ));
    line(format!(
        "input digest: {:016x}",
        digest(std::iter::once(authority))
    ));
    line(format!(
        "lines: {}; rejected: {}",
        authority.events.len(),
        counts(&rejected)
    ));
    line(format!("subjects: {}", counts(&derived.subjects)));
    line(format!("data-quality issues: {}", counts(&derived.issues)));

    for month in Month::of(config.start).through(ctx.horizon) {
        line(String::new());
        line(format!("== {month}"));
        let caseloads = derived.caseloads(month, &settings);
        for &indicator in Indicator::ALL {
            let figure = caseloads
                .figure_of(indicator)
                .unwrap_or_else(|| month_figure(&derived.figures, indicator, month, &settings));
            line(format!("{:5} {}", indicator.id(), figure_text(&figure)));
            let mut by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (cell, amount) in derived.figures.cells_in(indicator, month) {
                if let Measure::Breakdown(c) = cell.measure {
                    by.entry(c.dimension().name())
                        .or_default()
                        .push(format!("{} {amount}", c.label()));
                }
            }
            for (dimension, parts) in by {
                line(format!("        by {dimension}: {}", parts.join(", ")));
            }
        }
        for group in settings.team_groups.keys() {
            let f = caseloads.average_caseload(Some(group));
            line(format!("11.5  {group}: {}", figure_text(&f)));
        }
        let groups: Vec<String> = caseloads
            .children_by_group
            .iter()
            .map(|(g, n)| format!("{} {n}", g.as_deref().unwrap_or("none")))
            .collect();
        line(format!("6.1   by team group: {}", groups.join(", ")));
    }
    out
}

fn golden_path(version: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(format!("derivation-v{version}.txt"))
}

/// The first line where two texts differ, for the failure message.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut e = expected.lines();
    let mut a = actual.lines();
    for n in 1.. {
        match (e.next(), a.next()) {
            (None, None) => break,
            (x, y) if x == y => continue,
            (x, y) => {
                return format!(
                    "line {n}:\n  recorded: {}\n  now:      {}",
                    x.unwrap_or("(end)"),
                    y.unwrap_or("(end)")
                );
            }
        }
    }
    "(only line endings differ)".to_owned()
}

/// Derivation output for a fixed authority is what its version recorded.
#[test]
fn golden_derivation_output_is_what_its_version_recorded() {
    let authority = simulate_authority(&golden_config(), "226");
    let actual = render(&authority);
    let path = golden_path(DERIVATION_VERSION);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let expected = match std::fs::read_to_string(&path) {
        Ok(expected) => expected,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && update => {
            std::fs::create_dir_all(path.parent().expect("golden/ has a parent"))
                .expect("creating golden/");
            std::fs::write(&path, &actual).expect("writing the golden file");
            eprintln!("recorded {}", path.display());
            return;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "no golden file for derivation version {DERIVATION_VERSION} ({}): record it with \
             UPDATE_GOLDEN=1 cargo nextest run -p caseflow-sim golden",
            path.display()
        ),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    if expected == actual {
        return;
    }
    let digest_line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("input digest:"))
            .map(str::to_owned)
    };
    let refused = if update {
        format!(
            "\n(UPDATE_GOLDEN only creates the file of a new version; {} is never overwritten)",
            path.display()
        )
    } else {
        String::new()
    };
    if digest_line(&expected) != digest_line(&actual) {
        panic!(
            "the simulated input changed (the simulator's output for the golden seed, not the \
             derivations; see tests::a_fixed_configuration_emits_exactly_what_it_always_has): \
             if that is deliberate and the derivations are unchanged, delete {} and record it \
             again with UPDATE_GOLDEN=1 cargo nextest run -p caseflow-sim golden\n{}{refused}",
            path.display(),
            first_difference(&expected, &actual)
        );
    }
    panic!(
        "derivation output changed: bump caseflow_domain::DERIVATION_VERSION (now \
         {DERIVATION_VERSION}) so that projections are rebuilt, and record the new golden file \
         with UPDATE_GOLDEN=1 cargo nextest run -p caseflow-sim golden\n{}{refused}",
        first_difference(&expected, &actual)
    );
}
