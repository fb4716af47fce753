//! An authority's figures held in memory between projector batches.
//!
//! Figures only change when the projector applies a batch, publishes an authority rebuilt or
//! rolls the day, so the query service reads an authority's cells from the store once, and
//! answers scorecards, series and breakdowns from memory. When the store's figures version
//! moves (see `ProjectionStore::figures_version`), the snapshot is brought forward with the
//! cell differences the store keeps of its latest commits, not read again: an authority the
//! commits did not touch keeps its scorecards, and one they did keeps its caseloads of the
//! months whose month ends did not change. Snapshots are read again after a day roll, or when
//! the store no longer holds every change since. Caseloads joined for a month, and whole
//! scorecards, are kept with the snapshot too.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use caseflow_domain::indicators::caseloads::{self, Caseloads};
use caseflow_domain::{Contribution, Figures, La, Month};
use caseflow_proto::v2;
use tracing::debug;

use crate::{AppState, ServiceError};

/// One authority's figures as of the store's figures version and day.
#[derive(Debug)]
pub struct Snapshot {
    applied: u64,
    /// The store's figures version the cells are those of.
    version: u64,
    /// Whether the cells are exactly those of `version` (no commit landed while they were
    /// read): only then can later changes be added to them.
    exact: bool,
    as_of: Option<time::Date>,
    pub figures: Arc<Figures>,
    caseloads: Mutex<BTreeMap<Month, Arc<Caseloads>>>,
    /// Scorecards answered, by month and the day months count as complete from.
    scorecards: Mutex<HashMap<(Month, time::Date), Arc<v2::Scorecard>>>,
    /// The authority's events stored by payload kind (which kinds of fact it records), read
    /// once: series and scorecards ask on every call.
    recorded: Mutex<Option<Arc<Recorded>>>,
    /// Held while a scorecard is computed.
    computing: Mutex<()>,
}

/// Events stored by payload kind.
pub(crate) type Recorded = BTreeMap<String, u64>;

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
    fn latest(&self, la: La) -> Option<Arc<Snapshot>> {
        lock(&self.authorities).get(&la).cloned()
    }

    fn fresh(&self, la: La, version: u64, as_of: Option<time::Date>) -> Option<Arc<Snapshot>> {
        self.latest(la)
            .filter(|s| s.version == version && s.as_of == as_of)
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
        let _loading = lock(&self.figures_cache.loading);
        if let Some(s) = self.figures_cache.fresh(la, version, as_of) {
            return Ok(s);
        }
        let earlier = (self.figures_cache.latest(la)).filter(|s| s.exact && s.as_of == as_of);
        let brought = match earlier {
            Some(earlier) => self.brought_forward(la, &earlier, applied)?,
            None => None,
        };
        let snapshot = Arc::new(match brought {
            Some(snapshot) => {
                self.metrics.snapshot_made("brought_forward");
                snapshot
            }
            None => {
                self.metrics.snapshot_made("loaded");
                self.loaded(la, version, applied, as_of)?
            }
        });
        lock(&self.figures_cache.authorities).insert(la, snapshot.clone());
        Ok(snapshot)
    }

    /// The authority's cells read from the store.
    fn loaded(
        &self,
        la: La,
        version: u64,
        applied: u64,
        as_of: Option<time::Date>,
    ) -> Result<Snapshot, ServiceError> {
        let before = self.store.settled_figures_version()?;
        let cells = self.store.authority_cells(la)?;
        let exact = before == Some(version) && self.store.settled_figures_version()? == before;
        debug!(%la, applied, cells = cells.len(), exact, "figures loaded");
        let contributions: Vec<Contribution> = cells
            .into_iter()
            .map(|(cell, amount)| Contribution { cell, amount })
            .collect();
        let mut figures = Figures::default();
        figures.add(&contributions, 1);
        Ok(Snapshot {
            applied,
            version,
            exact,
            as_of,
            figures: Arc::new(figures),
            caseloads: Mutex::default(),
            scorecards: Mutex::default(),
            recorded: Mutex::default(),
            computing: Mutex::default(),
        })
    }

    /// `earlier` with the changes committed since added, if the store still holds them all.
    fn brought_forward(
        &self,
        la: La,
        earlier: &Snapshot,
        applied: u64,
    ) -> Result<Option<Snapshot>, ServiceError> {
        let Some(changes) = self.store.figure_changes_since(earlier.version)? else {
            return Ok(None);
        };
        let version = changes.last().map_or(earlier.version, |c| c.version);
        let touched = changes.iter().any(|c| c.touches(la));
        let figures = if touched {
            let mut figures = (*earlier.figures).clone();
            for change in &changes {
                let deltas: Vec<Contribution> = change
                    .cells_of(la)
                    .map(|(cell, amount)| Contribution { cell, amount })
                    .collect();
                figures.add(&deltas, 1);
            }
            Arc::new(figures)
        } else {
            earlier.figures.clone()
        };
        let unchanged = |m: &Month| !changes.iter().any(|c| c.months.contains(&(la, *m)));
        let caseloads: BTreeMap<Month, Arc<Caseloads>> = lock(&earlier.caseloads)
            .iter()
            .filter(|(m, _)| unchanged(m))
            .map(|(m, c)| (*m, c.clone()))
            .collect();
        let (scorecards, recorded) = if touched {
            (HashMap::new(), None)
        } else {
            (
                lock(&earlier.scorecards).clone(),
                lock(&earlier.recorded).clone(),
            )
        };
        debug!(%la, applied, version, touched, "figures brought forward");
        Ok(Some(Snapshot {
            applied: applied.max(earlier.applied),
            version,
            exact: true,
            as_of: earlier.as_of,
            figures,
            caseloads: Mutex::new(caseloads),
            scorecards: Mutex::new(scorecards),
            recorded: Mutex::new(recorded),
            computing: Mutex::default(),
        }))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Snapshot {
    /// The authority's events stored by payload kind, read from the store once per snapshot.
    pub(crate) fn recorded(&self, state: &AppState, la: La) -> Result<Arc<Recorded>, ServiceError> {
        if let Some(r) = lock(&self.recorded).as_ref() {
            return Ok(r.clone());
        }
        let r = Arc::new(state.store.recorded(la)?);
        *lock(&self.recorded) = Some(r.clone());
        Ok(r)
    }

    /// The scorecard of `month` as seen on `today`, if already computed.
    pub(crate) fn memoised_scorecard(
        &self,
        month: Month,
        today: time::Date,
    ) -> Option<v2::Scorecard> {
        lock(&self.scorecards)
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
        let known = || lock(&self.scorecards).get(&(month, today)).cloned();
        if let Some(s) = known() {
            return Ok((*s).clone());
        }
        // One computes; requests arriving meanwhile wait for its answer.
        let _computing = lock(&self.computing);
        let scorecard = match known() {
            Some(s) => s,
            None => {
                let s = Arc::new(compute()?);
                lock(&self.scorecards).insert((month, today), s.clone());
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
            let known = lock(&self.caseloads).get(&m).cloned();
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
                    lock(&self.caseloads).insert(m, c.clone());
                    c
                }
            };
            out.insert(m, c);
        }
        Ok(out)
    }
}
