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
pub mod revisions;
pub mod scorecard;
pub mod settings;
pub mod timeline;
pub mod workdays;

pub use calendar::{FinancialYear, Month};
pub use draft::{EventDraft, PayloadDraft, PlacementDraft, Quoted, Rejection, RejectionReason};
pub use event::{EntityKind, Event, Id, La, Payload, Placement, Subject, Timestamp};
pub use indicators::{Cell, Contribution, Figures, Indicator, Measure};
pub use timeline::{
    ChildTimeline, DataQualityIssue, DataQualityReason, data_quality_issues, fold_child,
};

/// The version of the derivations: what [`fold_child`] and the indicator families output for
/// the same events and settings. Figures derived by one version must not be updated by the
/// differences of another, so projections store it in their fingerprint and are rebuilt when it
/// differs from theirs.
///
/// Bump it on purpose, in the change that alters what derivations output (a figure, a
/// breakdown, a caseload, a timeline's periods or issues); refactors, comments and new tests
/// leave it alone. The golden test in `caseflow-sim` (`golden/derivation-v<N>.txt`, the figures
/// of a fixed simulated authority) fails when the output changes without a bump.
pub const DERIVATION_VERSION: u32 = 1;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
