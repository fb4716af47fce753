//! caseflow's write path: the projector reads the event log in order and keeps the
//! projections in the store exactly those of a prefix of the stream.
//!
//! - [`Projector::run`] follows the log: messages are pulled ahead, decoded and validated
//!   into a [`Backlog`] (`backlog.rs`), and the backlog is settled (`projector.rs`): each
//!   subject's new events stored in its log, the subject re-derived from its whole history,
//!   the figure cells moved by the difference of its contributions (`derive.rs`).
//! - [`Projector::roll_day`] re-derives every subject when the day changes.
//! - [`wait_until_applied`] waits until the projections have caught up with a sequence.
//! - `history.rs` notices when the stream no longer holds what the projections were built
//!   from ([`Projector::condition`]).
//!
//! The store is storage; what is derived, and how a change becomes a difference of cells,
//! is decided here and in `caseflow-domain`. Nothing here serves queries.

mod backlog;
mod clock;
mod derive;
mod error;
mod follow;
mod history;
mod metrics;
mod projector;
mod rebuild;
#[cfg(test)]
mod tests;
mod wait;

pub use backlog::Backlog;
pub use clock::{Clock, clock_on, fixed_clock, system_clock};
pub use error::ProjectorError;
pub use follow::{HISTORY_CHECK, STORE_RETRY};
pub use metrics::{ProjectorMetrics, RejectionCounter, Settled};
pub use projector::{BatchReport, DerivingThreads, Projector, ProjectorSettings, ReleaseMemory};
pub use wait::{wait_until, wait_until_applied};
