//! The sled store's summed tables against a model: cells and month-end cases are kept as
//! several counters per value (one indicator of one authority, one month's cases), merged
//! with each batch's differences; they must always read back as plain per-key sums, of every
//! batch published (a staged batch's differences are read only once a later batch publishes).

use std::collections::BTreeMap;

use caseflow_domain::indicators::caseloads::WorkerState;
use caseflow_domain::indicators::{Category, Cell, Dimension, Measure};
use caseflow_domain::{Id, Indicator, La, Month};
use caseflow_store::{ProjectionBatch, ProjectionStore, SledSettings, SledStore};
use proptest::prelude::*;

type CellKey = (La, Cell);
type CaseKey = (La, Month, Option<Id>);

fn las() -> [La; 2] {
    [La::parse("208").unwrap(), La::parse("209").unwrap()]
}

fn cell_key() -> impl Strategy<Value = CellKey> {
    let indicators = Indicator::ALL.len();
    (0..2usize, 0..indicators.min(6), 0..4i32, 0..4u8).prop_map(|(la, i, m, measure)| {
        let measure = match measure {
            0 => Measure::Numerator,
            1 => Measure::Denominator,
            2 => Measure::Breakdown(Category::Unknown(Dimension::Sex)),
            _ => Measure::Breakdown(Category::Unknown(Dimension::AgeBand)),
        };
        let cell = Cell {
            indicator: Indicator::ALL[i],
            month: Month::new(2018, 1).unwrap().plus(m),
            measure,
        };
        (las()[la], cell)
    })
}

fn case_key() -> impl Strategy<Value = CaseKey> {
    (0..2usize, 0..3i32, 0..3u8).prop_map(|(la, m, w)| {
        let worker = (w > 0).then(|| Id::parse(&format!("SW{w}")).unwrap());
        (las()[la], Month::new(2018, 1).unwrap().plus(m), worker)
    })
}

/// Batches of differences, each batch with each key at most once (as the projector sums them).
fn batches<K: Ord + Clone + std::fmt::Debug>(
    key: impl Strategy<Value = K>,
) -> impl Strategy<Value = Vec<BTreeMap<K, i64>>> {
    prop::collection::vec(prop::collection::btree_map(key, -3i64..=3, 0..24), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn summed_tables_read_back_as_per_key_sums(
        cells in batches(cell_key()),
        cases in batches(case_key()),
        staged in prop::collection::vec(any::<bool>(), 8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), &SledSettings::default()).unwrap();
        let mut cell_model: BTreeMap<CellKey, i64> = BTreeMap::new();
        let mut case_model: BTreeMap<CaseKey, i64> = BTreeMap::new();
        let mut pending = ProjectionBatch::default();
        let rounds = cells.len().max(cases.len());
        // The last batch always publishes.
        for i in 0..=rounds {
            let batch = ProjectionBatch {
                cell_deltas: cells.get(i).cloned().unwrap_or_default(),
                case_deltas: cases.get(i).cloned().unwrap_or_default(),
                stage: i < rounds && staged.get(i) == Some(&true),
                ..Default::default()
            };
            for (k, d) in &batch.cell_deltas {
                *pending.cell_deltas.entry(*k).or_default() += d;
            }
            for (k, d) in &batch.case_deltas {
                *pending.case_deltas.entry(k.clone()).or_default() += d;
            }
            if !batch.stage {
                for (k, d) in std::mem::take(&mut pending.cell_deltas) {
                    *cell_model.entry(k).or_default() += d;
                }
                for (k, d) in std::mem::take(&mut pending.case_deltas) {
                    *case_model.entry(k).or_default() += d;
                }
            }
            store.commit(batch).unwrap();

            for la in las() {
                let mut stored = store.authority_cells(la).unwrap();
                stored.sort();
                let expected: Vec<(Cell, i64)> = cell_model
                    .iter()
                    .filter(|((l, _), v)| *l == la && **v != 0)
                    .map(|((_, c), v)| (*c, *v))
                    .collect();
                prop_assert_eq!(stored, expected);
                for m in 0..3 {
                    let month = Month::new(2018, 1).unwrap().plus(m);
                    let stored = store.month_end_cases(la, month).unwrap();
                    let expected: BTreeMap<Option<Id>, i64> = case_model
                        .iter()
                        .filter(|((l, mo, _), v)| *l == la && *mo == month && **v != 0)
                        .map(|((_, _, w), v)| (w.clone(), *v))
                        .collect();
                    prop_assert_eq!(stored, expected);
                }
            }
        }
    }
}

#[test]
fn staged_workers_records_are_published_in_the_order_they_were_staged() {
    // A subject staged twice (a settle cut short by a crash, then a day roll): the second
    // staging's removal of a record the first put must win, as would a later put.
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &SledSettings::default()).unwrap();
    let la = las()[0];
    let month = Month::new(2018, 5).unwrap();
    let (w1, w2) = (Id::parse("SW1").unwrap(), Id::parse("SW2").unwrap());
    let state = |team: &str| WorkerState {
        team: team.to_owned(),
        fte: 1.0,
        qualified: true,
        agency: false,
        asye: false,
    };
    let staged =
        |removed: Vec<(La, Month, Id)>, put: Vec<(La, Month, Id, WorkerState)>| ProjectionBatch {
            worker_months_removed: removed,
            worker_months_put: put,
            stage: true,
            ..Default::default()
        };
    store
        .commit(staged(
            vec![],
            vec![
                (la, month, w1.clone(), state("A")),
                (la, month, w2.clone(), state("A")),
            ],
        ))
        .unwrap();
    store
        .commit(staged(
            vec![(la, month, w1.clone()), (la, month, w2.clone())],
            vec![(la, month, w2.clone(), state("B"))],
        ))
        .unwrap();
    // Nothing is read before it is published.
    assert!(store.workers_at(la, month).unwrap().is_empty());
    store.commit(ProjectionBatch::default()).unwrap();
    let workers = store.workers_at(la, month).unwrap();
    assert_eq!(workers, BTreeMap::from([(w2, state("B"))]));
}
