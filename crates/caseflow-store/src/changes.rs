//! What recent publishing commits changed in what figures read, held in memory, so that a
//! reader holding figures at one version can bring them forward instead of reading them
//! again (see [`ProjectionStore::figure_changes_since`](crate::ProjectionStore)).

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use caseflow_domain::indicators::Cell;
use caseflow_domain::{La, Month};

/// The most cell differences held over all the changes kept: about 40 bytes each. A commit
/// with more (a rebuild publishing a large authority, a day roll) is not kept: readers whose
/// figures are older read them again.
pub(crate) const HELD_CELLS: usize = 250_000;

/// What one publishing commit changed.
#[derive(Debug, Default)]
pub struct FigureChanges {
    /// The figures version the commit moved to.
    pub version: u64,
    /// Summed cells' differences, sorted by authority and cell.
    pub cells: Vec<((La, Cell), i64)>,
    /// Month ends whose children's allocation or workers' records changed.
    pub months: BTreeSet<(La, Month)>,
    /// Authorities whose stored events changed since the commit before (the kinds of fact
    /// each records), or whose cells or month ends did.
    pub authorities: BTreeSet<La>,
}

impl FigureChanges {
    /// Whether anything `la`'s figures read changed.
    pub fn touches(&self, la: La) -> bool {
        self.authorities.contains(&la)
    }

    /// `la`'s cell differences.
    pub fn cells_of(&self, la: La) -> impl Iterator<Item = (Cell, i64)> + '_ {
        let start = self.cells.partition_point(|((l, _), _)| *l < la);
        self.cells[start..]
            .iter()
            .take_while(move |((l, _), _)| *l == la)
            .map(|((_, cell), amount)| (*cell, *amount))
    }
}

/// The changes of the latest publishing commits: every version after `since`, in order.
#[derive(Debug, Default)]
pub(crate) struct RecentChanges {
    since: u64,
    changes: VecDeque<Arc<FigureChanges>>,
    cells: usize,
    /// Authorities whose events were stored by commits that did not publish, since the last
    /// that did.
    pending: BTreeSet<La>,
}

impl RecentChanges {
    /// Nothing held: figures at `version` or later can be brought forward from here on.
    pub(crate) fn starting_at(version: u64) -> RecentChanges {
        RecentChanges {
            since: version,
            ..RecentChanges::default()
        }
    }

    /// Notes authorities whose events a commit stored, to be reported with the next publish.
    pub(crate) fn stored(&mut self, authorities: impl IntoIterator<Item = La>) {
        self.pending.extend(authorities);
    }

    /// Keeps a publishing commit's changes (`None`: not kept, a day roll or more than
    /// [`HELD_CELLS`]; older figures must then be read again).
    pub(crate) fn published(&mut self, version: u64, changes: Option<FigureChanges>) {
        let pending = std::mem::take(&mut self.pending);
        let Some(mut changes) = changes else {
            *self = RecentChanges::starting_at(version);
            return;
        };
        changes.version = version;
        changes.authorities.extend(pending);
        self.cells += changes.cells.len();
        self.changes.push_back(Arc::new(changes));
        while self.cells > HELD_CELLS {
            let Some(oldest) = self.changes.pop_front() else {
                break;
            };
            self.cells -= oldest.cells.len();
            self.since = oldest.version;
        }
    }

    /// Every change after `version`, if all are held.
    pub(crate) fn since(&self, version: u64) -> Option<Vec<Arc<FigureChanges>>> {
        if version < self.since {
            return None;
        }
        Some(
            self.changes
                .iter()
                .filter(|c| c.version > version)
                .cloned()
                .collect(),
        )
    }
}
