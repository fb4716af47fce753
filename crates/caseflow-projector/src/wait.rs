//! Waiting until the projections have caught up: the demo, `rebuild`, the benchmark and the
//! tests all wait the same way.

use std::time::Duration;

use caseflow_store::{ProjectionStore, StoreError};

use crate::ProjectorError;

/// How often the store is asked.
const POLL: Duration = Duration::from_millis(5);

/// Waits until the store's applied sequence reaches `target`, calling `progress` with the
/// applied sequence at each look; fails after `timeout`. Returns the applied sequence.
pub async fn wait_until_applied(
    store: &dyn ProjectionStore,
    target: u64,
    timeout: Duration,
    mut progress: impl FnMut(u64),
) -> Result<u64, ProjectorError> {
    let mut applied = 0;
    wait_until(timeout, || {
        applied = store.applied_sequence()?;
        progress(applied);
        Ok(applied >= target)
    })
    .await
    .map_err(|e| match e {
        ProjectorError::TimedOut(waited) => ProjectorError::Behind {
            applied,
            target,
            waited,
        },
        e => e,
    })?;
    Ok(applied)
}

/// Waits until `done` answers true (asked every 5 ms); fails after `timeout`
/// (`Duration::MAX`: never).
pub async fn wait_until(
    timeout: Duration,
    mut done: impl FnMut() -> Result<bool, StoreError>,
) -> Result<(), ProjectorError> {
    // No deadline when it lies beyond what an instant can hold (`Duration::MAX`: wait for ever).
    let deadline = tokio::time::Instant::now().checked_add(timeout);
    while !done()? {
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            return Err(ProjectorError::TimedOut(timeout));
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}
