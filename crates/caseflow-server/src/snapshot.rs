//! An authority's figures held in memory between projector batches.
//!
//! Figures only change when the projector applies a batch, publishes an authority rebuilt or
//! rolls the day, so the query service reads an authority's cells from the store once per
//! figures version (see `ProjectionStore::figures_version`) and day, and answers scorecards,
//! series and breakdowns from memory until either moves. Caseloads joined
//! for a month, and whole scorecards, are kept with the snapshot too.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use caseflow_domain::indicators::caseloads::{self, Caseloads};
use caseflow_domain::{Figures, La, Month};
use caseflow_proto::v2;
use tracing::debug;

use crate::{AppState, ServiceError};

/// One authority's figures as of the store's figures version and day.
#[derive(Debug)]
pub struct Snapshot {
    applied: u64,
    /// The store's figures version the cells were read at.
    version: u64,
    as_of: Option<time::Date>,
    pub figures: Figures,
    caseloads: Mutex<BTreeMap<Month, Arc<Caseloads>>>,
    /// Scorecards answered, by month and the day months count as complete from.
    scorecards: Mutex<HashMap<(Month, time::Date), Arc<v2::Scorecard>>>,
}

/// The latest snapshot of each authority asked about.
#[derive(Debug, Default)]
pub struct FiguresCache {
    authorities: Mutex<HashMap<La, Arc<Snapshot>>>,
    /// Held while a snapshot loads, so that concurrent misses load it once.
    loading: Mutex<()>,
}

impl Snapshot {
    /// The applied sequence read before the cells: they hold at least the events up to it.
    pub(crate) fn applied(&self) -> u64 {
        self.applied
    }
}

impl FiguresCache {
    fn fresh(&self, la: La, version: u64, as_of: Option<time::Date>) -> Option<Arc<Snapshot>> {
        let authorities = self
            .authorities
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        authorities
            .get(&la)
            .filter(|s| s.version == version && s.as_of == as_of)
            .cloned()
    }
}

impl AppState {
    /// The authority's figures as the store has them now, if already loaded.
    pub(crate) fn fresh_snapshot(&self, la: La) -> Result<Option<Arc<Snapshot>>, ServiceError> {
        let version = self.store.figures_version()?;
        let as_of = self.store.as_of()?;
        Ok(self.figures_cache.fresh(la, version, as_of))
    }

    /// The authority's figures as the store has them now.
    pub(crate) fn snapshot(&self, la: La) -> Result<Arc<Snapshot>, ServiceError> {
        // Read before the cells: a batch committed meanwhile is picked up by the next query.
        let version = self.store.figures_version()?;
        let applied = self.store.applied_sequence()?;
        let as_of = self.store.as_of()?;
        if let Some(s) = self.figures_cache.fresh(la, version, as_of) {
            return Ok(s);
        }
        let _loading = self
            .figures_cache
            .loading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = self.figures_cache.fresh(la, version, as_of) {
            return Ok(s);
        }
        let cells = self.store.authority_cells(la)?;
        debug!(%la, applied, cells = cells.len(), "figures loaded");
        let snapshot = Arc::new(Snapshot {
            applied,
            version,
            as_of,
            figures: figures_of(cells),
            caseloads: Mutex::default(),
            scorecards: Mutex::default(),
        });
        self.figures_cache
            .authorities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(la, snapshot.clone());
        Ok(snapshot)
    }
}

impl Snapshot {
    /// The scorecard of `month` as seen on `today`, if already computed.
    pub(crate) fn memoised_scorecard(
        &self,
        month: Month,
        today: time::Date,
    ) -> Option<v2::Scorecard> {
        self.scorecards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(month, today))
            .map(|s| (**s).clone())
    }

    /// The scorecard of `month` as seen on `today`, computed by `compute` once per snapshot.
    pub(crate) fn scorecard(
        &self,
        month: Month,
        today: time::Date,
        compute: impl FnOnce() -> Result<v2::Scorecard, ServiceError>,
    ) -> Result<v2::Scorecard, ServiceError> {
        let known = self
            .scorecards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(month, today))
            .cloned();
        let scorecard = match known {
            Some(s) => s,
            None => {
                let s = Arc::new(compute()?);
                self.scorecards
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert((month, today), s.clone());
                s
            }
        };
        Ok((*scorecard).clone())
    }

    /// Caseloads of `la` at the end of each month: the join of the stored month-end cases and
    /// workers' records, once per month and snapshot.
    pub(crate) fn caseloads(
        &self,
        state: &AppState,
        la: La,
        months: impl IntoIterator<Item = Month>,
    ) -> Result<crate::Caseloads, ServiceError> {
        let mut out = BTreeMap::new();
        for m in months {
            let known = self
                .caseloads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&m)
                .cloned();
            let c = match known {
                Some(c) => c,
                None => {
                    let cases = state.store.month_end_cases(la, m)?;
                    let workers = state.store.workers_at(la, m)?;
                    let c = Arc::new(caseloads::join(
                        m,
                        &cases,
                        workers,
                        &state.settings.of(la).indicators,
                    ));
                    self.caseloads
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(m, c.clone());
                    c
                }
            };
            out.insert(m, c);
        }
        Ok(out)
    }
}

/// Cells of one authority read into memory, usable with the domain's figure arithmetic.
fn figures_of(cells: Vec<(caseflow_domain::Cell, i64)>) -> Figures {
    let contributions: Vec<caseflow_domain::Contribution> = cells
        .into_iter()
        .map(|(cell, amount)| caseflow_domain::Contribution { cell, amount })
        .collect();
    let mut figures = Figures::default();
    figures.add(&contributions, 1);
    figures
}
