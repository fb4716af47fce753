//! caseflow's pure domain: events in, indicator figures out.
//!
//! No I/O, no async runtime, no clock: "today" is always an argument. The I/O crates
//! (`caseflow-log`, `caseflow-store`, `caseflow-server`) sit around this one.
//!
//! - [`calendar`]: months, financial years, ages.
//! - [`codes`]: SSDA903 code lists with validity dates.
//! - [`event`], [`draft`]: the event contract and its validation into typed events.
//! - [`timeline`]: folding a child's events into periods of care, placements, issues.
//! - [`indicators`]: the catalogue and each child's contributions to it.

pub mod calendar;
pub mod codes;
pub mod draft;
pub mod event;
pub mod indicators;
pub mod scorecard;
pub mod settings;
pub mod timeline;
pub mod workdays;

pub use calendar::{FinancialYear, Month};
pub use draft::{EventDraft, PayloadDraft, PlacementDraft, Rejection, RejectionReason};
pub use event::{EntityKind, Event, Id, La, Payload, Placement, Subject, Timestamp};
pub use indicators::{Cell, Contribution, Figures, Indicator, Measure};
pub use timeline::{
    ChildTimeline, DataQualityIssue, DataQualityReason, data_quality_issues, fold_child,
};

/// A fingerprint of this crate's source (computed by its build script). Figures derived by one
/// version of the derivations must not be updated by another: projections store it and are
/// rebuilt when it changes.
pub const DERIVATION_SOURCE: &str = env!("CASEFLOW_DERIVATION_SOURCE");

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
