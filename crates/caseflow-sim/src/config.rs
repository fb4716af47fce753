//! What to simulate: the seed, the authorities, the span of history and how messy the feed is.

use std::fmt;

use time::{Date, macros::date};

/// A simulation: which authorities, over which span, with which mess.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Everything is drawn from `(seed, la)`: the same seed gives the same events.
    pub seed: u64,
    /// Three-digit DfE authority codes, e.g. `"372"`.
    pub authorities: Vec<String>,
    /// The first day routine recording (visits, reviews, ...) is emitted for. Children already
    /// looked after, care leavers, carers and workers active on this day come with their
    /// earlier history (admission, placements, legal statuses, approval, joining), as a case
    /// system migration would bring them. The model itself runs from 18 years earlier, so the
    /// authority is in a steady state (not filling up from empty) from `start` on.
    pub start: Date,
    /// The last day anything happens (`occurredOn`). Events recorded late may carry a
    /// `recordedAt` after it.
    pub end: Date,
    /// The imperfections of the feed.
    pub mess: Mess,
    /// Whether the simulated case system leaves out, now and then, what a real one's users
    /// leave blank (`true` by default): how a child took part in a review (5% of reviews of
    /// children aged 4 or over) and a period's category of need (3% of periods). The DfE's
    /// return requires both; `false` records them every time and changes nothing else (the
    /// same children, the same events otherwise).
    pub recording_gaps: bool,
    /// How much authorities differ: 0 makes every authority like the seed report's (about 630
    /// looked-after children, its timeliness); 1 gives a realistic spread of sizes (a quarter
    /// to three times), trajectories and practice.
    pub variation: f64,
}

impl Default for SimConfig {
    /// One authority like the seed report's (372), April 2008 to May 2018, a little mess.
    fn default() -> Self {
        SimConfig {
            seed: 2018,
            authorities: vec!["372".to_owned()],
            start: date!(2008 - 04 - 01),
            end: date!(2018 - 05 - 31),
            mess: Mess::default(),
            recording_gaps: true,
            variation: 0.0,
        }
    }
}

impl SimConfig {
    /// One authority like the seed report's.
    pub fn like_seed(seed: u64, la: &str) -> SimConfig {
        SimConfig {
            seed,
            authorities: vec![la.to_owned()],
            ..SimConfig::default()
        }
    }

    /// The same simulation with every field the DfE's return requires recorded (see
    /// [`SimConfig::recording_gaps`]).
    pub fn without_recording_gaps(self) -> SimConfig {
        SimConfig {
            recording_gaps: false,
            ..self
        }
    }

    /// `n` authorities (codes 201, 202, ... up to 999) of varied size and practice, e.g. 150
    /// for a national-scale benchmark.
    pub fn many(seed: u64, n: usize) -> SimConfig {
        SimConfig {
            seed,
            authorities: (201..1000).take(n).map(|c: u32| c.to_string()).collect(),
            variation: 1.0,
            ..SimConfig::default()
        }
    }

    /// Checks the configuration: authority codes, dates and percentages.
    pub fn validate(&self) -> Result<(), SimConfigError> {
        for la in &self.authorities {
            if caseflow_domain::La::parse(la).is_none() {
                return Err(SimConfigError::BadAuthority(la.clone()));
            }
        }
        if self.start > self.end {
            return Err(SimConfigError::EmptySpan);
        }
        if self.start < date!(1970 - 01 - 01) {
            return Err(SimConfigError::TooEarly);
        }
        let m = &self.mess;
        for (name, p) in [
            ("late_percent", m.late_percent),
            ("duplicate_percent", m.duplicate_percent),
            ("retraction_percent", m.retraction_percent),
            ("invalid_percent", m.invalid_percent),
        ] {
            if !(0.0..=100.0).contains(&p) {
                return Err(SimConfigError::BadPercent(name));
            }
        }
        if !(0.0..=1.0).contains(&self.variation) {
            return Err(SimConfigError::BadVariation);
        }
        Ok(())
    }
}

/// Why a configuration cannot be simulated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimConfigError {
    BadAuthority(String),
    EmptySpan,
    TooEarly,
    BadPercent(&'static str),
    BadVariation,
}

impl fmt::Display for SimConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimConfigError::BadAuthority(la) => {
                write!(f, "authority {la:?} is not a three-digit code")
            }
            SimConfigError::EmptySpan => f.write_str("start is after end"),
            SimConfigError::TooEarly => f.write_str("start is before 1970"),
            SimConfigError::BadPercent(name) => write!(f, "{name} is not between 0 and 100"),
            SimConfigError::BadVariation => f.write_str("variation is not between 0 and 1"),
        }
    }
}

impl std::error::Error for SimConfigError {}

/// The imperfections of a real feed. Percentages are of the events of the clean history.
#[derive(Clone, Debug, PartialEq)]
pub struct Mess {
    /// Events recorded late, `1..=late_max_days` days after they happened (the rest are
    /// recorded the same day).
    pub late_percent: f64,
    pub late_max_days: i64,
    /// Events re-sent later (same `eventId`, after JetStream's deduplication window).
    pub duplicate_percent: f64,
    /// Child events first recorded wrongly (another day or code), then retracted and entered
    /// again correctly.
    pub retraction_percent: f64,
    /// Extra lines that must be rejected (undecodable, impossible date, unknown code, wrong
    /// authority, ...), each followed by the valid event it garbled.
    pub invalid_percent: f64,
    /// Arrival out of order: each event arrives at most this many places from its `recordedAt`
    /// position.
    pub shuffle_window: usize,
}

impl Default for Mess {
    fn default() -> Self {
        Mess {
            late_percent: 20.0,
            late_max_days: 90,
            duplicate_percent: 0.5,
            retraction_percent: 0.5,
            invalid_percent: 0.2,
            shuffle_window: 8,
        }
    }
}

impl Mess {
    /// A clean feed: everything recorded the day it happened, once, correctly, in order.
    pub fn none() -> Mess {
        Mess {
            late_percent: 0.0,
            late_max_days: 0,
            duplicate_percent: 0.0,
            retraction_percent: 0.0,
            invalid_percent: 0.0,
            shuffle_window: 0,
        }
    }
}
