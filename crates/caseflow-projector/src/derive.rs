//! Deriving subjects and the difference they make: each subject's contributions summed on
//! the deriving thread (old state times -1, new state times +1), and its part in the caseload
//! tables staged in the store's batch.

use caseflow_domain::indicators::{CaseloadPart, Cell, Context, Evaluation, Sink, derive_subject};
use caseflow_domain::{La, Subject};
use caseflow_store::{ProjectionBatch, StoredEvent};
use rustc_hash::FxHashMap;

/// Differences of summed cells, by authority and cell.
pub(crate) type CellDeltas = Vec<((La, Cell), i64)>;

/// The cells' differences summed on one deriving thread: each subject's contributions are
/// added as derived, its old ones times -1 and its new ones times +1, so nothing is sorted or
/// diffed per subject; what cancels is left out at the end. Keys are small and not
/// attacker-chosen: FxHash (SipHash was a fifth of deriving), of cells' keys (one integer
/// where a cell is several fields).
#[derive(Default)]
pub(crate) struct Sums(FxHashMap<(La, u64), (Cell, i64)>);

impl Sums {
    pub(crate) fn deltas(self) -> CellDeltas {
        self.0
            .into_iter()
            .filter(|(_, (_, amount))| *amount != 0)
            .map(|((la, _), (cell, amount))| ((la, cell), amount))
            .collect()
    }
}

/// One subject's evaluations added to [`Sums`], times `sign`.
struct Signed<'a> {
    sums: &'a mut Sums,
    la: La,
    sign: i64,
}

impl Sink for Signed<'_> {
    #[inline]
    fn push(&mut self, e: Evaluation) {
        e.for_each_contribution(|cell, amount| {
            let sum = self
                .sums
                .0
                .entry((self.la, cell.key()))
                .or_insert((cell, 0));
            sum.1 += self.sign * amount;
        });
    }
}

/// A subject's derived state from its events, as of `ctx`: its contributions to the cells are
/// added to `sums` times `sign`, its part in the caseload join is returned.
pub(crate) fn derive(
    subject: &Subject,
    log: &[StoredEvent],
    ctx: &Context,
    sums: &mut Sums,
    sign: i64,
) -> CaseloadPart {
    let sums = &mut Signed {
        sums,
        la: subject.la,
        sign,
    };
    derive_subject(subject.kind, log.iter().map(|s| &s.event), ctx, sums)
}

/// Stages a subject's new derived state (as of `day`) in `batch`: moves the caseload tables by
/// its difference from the old one and records the day. The difference of its contributions
/// to the cells is summed separately, over many subjects ([`Sums`]).
pub(crate) fn stage_rederived(
    batch: &mut ProjectionBatch,
    subject: &Subject,
    old: &CaseloadPart,
    new: &CaseloadPart,
    day: time::Date,
) {
    let la = subject.la;
    for (month, worker) in &old.cases {
        *batch
            .case_deltas
            .entry((la, *month, worker.clone()))
            .or_default() -= 1;
    }
    for (month, worker) in &new.cases {
        *batch
            .case_deltas
            .entry((la, *month, worker.clone()))
            .or_default() += 1;
    }
    if old.worker_months != new.worker_months {
        let id = &subject.id;
        batch.worker_months_removed.extend(
            old.worker_months
                .iter()
                .map(|(month, _)| (la, *month, id.clone())),
        );
        batch.worker_months_put.extend(
            new.worker_months
                .iter()
                .map(|(month, state)| (la, *month, id.clone(), state.clone())),
        );
    }
    batch.derived.push((subject.clone(), day));
}
