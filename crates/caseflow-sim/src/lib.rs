//! A seeded simulator of English local authorities' children's social care event histories.
//!
//! For each authority it simulates, from one `(seed, la)` pair, years of looked-after children
//! (admissions in sibling groups, legal statuses, placement moves, adoption, special
//! guardianship, returns home, leaving care at 18), the recording around them (reviews, visits,
//! health and dental checks, PEPs, care and pathway plans, care-leaver contacts), the in-house
//! foster-carer households they are placed with and the social workers holding their cases. It
//! emits every payload of `EVENTS.md`, both as domain [`caseflow_domain::Event`] values and as
//! the JSON lines a case system would publish, in arrival order and with configurable mess
//! (late recording, re-sends, retractions with corrected re-entries, invalid events, events out
//! of order).
//!
//! The default configuration is one authority calibrated to the May 2018 Corporate Parenting
//! report in the seeds (about 630 looked-after children, 30 admissions and 20 discharges a
//! month, 250 care leavers, 150 foster households, caseloads of 12 to 15).
//!
//! Codemap:
//! - [`config`]: [`SimConfig`], [`Mess`].
//! - `profile`: per-authority parameters (size, trajectory, practice) drawn from the seed, and
//!   every probability and rate of the model, with the seed report's calibration noted.
//! - `children`: the life courses of children: periods of care, legal statuses, placements.
//! - `carers`: foster-carer households and the matching of foster placements to them.
//! - `workforce`: social workers, teams, turnover and case allocation.
//! - `recording`: the routine events recorded around each child.
//! - `emit`: events as domain values and JSON lines, with the mess of real feeds.
//! - `random`: seeded streams and the distributions the model draws from.
//! - [`settings`]: the settings each simulated authority comes with (its under-18 population).

mod carers;
mod children;
pub mod config;
mod emit;
mod profile;
mod random;
mod recording;
pub mod settings;
mod workforce;

#[cfg(test)]
mod tests;

use std::io::{self, Write};

pub use config::{Mess, SimConfig, SimConfigError};

/// One event as it arrives from the simulated case system.
#[derive(Clone, Debug, PartialEq)]
pub struct SimEvent {
    /// `caseflow.events.<la>.<child|carer|worker>.<id>`.
    pub subject: String,
    /// One JSON line (proto3 JSON names of `EVENTS.md`, with `recordedAt`), no newline.
    pub json: String,
    /// The event the line means; `None` for deliberately invalid lines.
    pub event: Option<caseflow_domain::Event>,
    /// `false` for deliberately invalid lines, which caseflow must reject.
    pub valid: bool,
}

/// The events of one authority, in arrival order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Authority {
    pub events: Vec<SimEvent>,
}

impl Authority {
    /// The valid events (duplicates included), in arrival order.
    pub fn valid_events(&self) -> impl Iterator<Item = &caseflow_domain::Event> {
        self.events.iter().filter_map(|e| e.event.as_ref())
    }
}

/// Simulates one authority. Deterministic: the same `config.seed`, `la`, dates and mess give
/// the same events, whatever other authorities the configuration lists.
///
/// `la` must be a three-digit code (see [`SimConfig::validate`]); any other gives an empty
/// authority.
pub fn simulate_authority(config: &SimConfig, la: &str) -> Authority {
    let Some(la_code) = caseflow_domain::La::parse(la) else {
        return Authority::default();
    };
    if config.start > config.end {
        return Authority::default();
    }
    let profile = profile::Profile::new(config, la);
    let mut world = children::simulate(config, &profile, la);
    let households = carers::assign(config, &profile, la, &mut world);
    let staff = workforce::allocate(config, &profile, la, &world);
    let mut emitter = emit::Emitter::new(config, la, la_code);
    recording::record(
        config,
        &profile,
        la,
        &world,
        &staff,
        &households,
        &mut emitter,
    );
    Authority {
        events: emitter.arrive(),
    }
}

/// Simulates every authority of the configuration, one at a time, so that only one sits in
/// memory at once.
pub fn simulate(config: &SimConfig) -> impl Iterator<Item = (String, Authority)> + '_ {
    config
        .authorities
        .iter()
        .map(move |la| (la.clone(), simulate_authority(config, la)))
}

/// Writes an authority's events as JSON lines, in arrival order.
pub fn write_jsonl(authority: &Authority, out: &mut impl Write) -> io::Result<()> {
    for e in &authority.events {
        out.write_all(e.json.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
