//! Byte layout of the store's keys. Integers are big-endian so keys sort numerically.

use caseflow_domain::event::{EntityKind, Id};
use caseflow_domain::{Indicator, La, Month, Subject};

pub const APPLIED: &[u8] = b"Mapplied_sequence";
pub const FINGERPRINT: &[u8] = b"Mfingerprint";
pub const DERIVED: u8 = b'D';
pub const CASES: u8 = b'A';
pub const WORKERS: u8 = b'W';
pub const AS_OF: &[u8] = b"Mas_of";
pub const COUNTS: &[u8] = b"Mcounts";
pub const STREAM_MARK: &[u8] = b"Mstream_mark";
pub const REJECTION_END: &[u8] = b"S";
/// Aggregate changes of staged batches, published together (`P` + u64 order).
pub const STAGED: u8 = b'P';
/// The events stored per payload kind in an authority.
pub const RECORDED: u8 = b'K';

pub fn staged(n: u64) -> Vec<u8> {
    let mut k = vec![STAGED];
    k.extend_from_slice(&n.to_be_bytes());
    k
}

pub fn parse_staged(k: &[u8]) -> Option<u64> {
    let rest = k.strip_prefix(&[STAGED])?;
    Some(u64::from_be_bytes(rest.try_into().ok()?))
}

fn kind_byte(kind: EntityKind) -> u8 {
    match kind {
        EntityKind::Child => b'c',
        EntityKind::Household => b'h',
        EntityKind::Worker => b'w',
    }
}

fn kind_of(b: u8) -> Option<EntityKind> {
    match b {
        b'c' => Some(EntityKind::Child),
        b'h' => Some(EntityKind::Household),
        b'w' => Some(EntityKind::Worker),
        _ => None,
    }
}

/// `la | kind | len(id) | id`: the length byte keeps `C1` from being a prefix of `C10`.
fn subject_key(table: u8, s: &Subject) -> Vec<u8> {
    let id = s.id.as_str().as_bytes();
    let mut k = Vec::with_capacity(6 + id.len());
    k.push(table);
    k.extend_from_slice(s.la.as_bytes());
    k.push(kind_byte(s.kind));
    // Ids are at most 64 bytes.
    k.push(id.len() as u8);
    k.extend_from_slice(id);
    k
}

pub fn subject_log(s: &Subject) -> Vec<u8> {
    subject_key(b'E', s)
}

pub fn derived(s: &Subject) -> Vec<u8> {
    subject_key(DERIVED, s)
}

pub fn derived_prefix(la: Option<La>) -> Vec<u8> {
    let mut k = vec![b'D'];
    if let Some(la) = la {
        k.extend_from_slice(la.as_bytes());
    }
    k
}

/// The subject of a `table` + subject key.
pub fn parse_subject(expected: u8, k: &[u8]) -> Option<Subject> {
    let (&table, rest) = k.split_first()?;
    if table != expected || rest.len() < 5 {
        return None;
    }
    let la = La::parse(std::str::from_utf8(&rest[..3]).ok()?)?;
    let kind = kind_of(rest[3])?;
    let len = usize::from(rest[4]);
    let id = Id::parse(std::str::from_utf8(rest.get(5..5 + len)?).ok()?)?;
    Some(Subject::new(la, kind, id))
}

fn month_bytes(m: Month) -> [u8; 4] {
    // Flip the sign bit so negative ordinals sort first.
    ((m.ordinal() as u32) ^ 0x8000_0000).to_be_bytes()
}

/// `C | la | indicator`: one indicator's summed cells in one authority, every month and
/// measure in one value (see [`crate::CellRow`]).
pub fn indicator_cells(la: La, indicator: Indicator) -> Vec<u8> {
    let mut k = cell_prefix(la);
    k.extend_from_slice(&indicator.key().to_be_bytes());
    k
}

/// `C | la`: every cell of one authority.
/// The authority's events stored, counted by payload kind, in one value.
pub fn recorded(la: La) -> Vec<u8> {
    let mut key = vec![RECORDED];
    key.extend_from_slice(la.as_bytes());
    key
}

pub fn cell_prefix(la: La) -> Vec<u8> {
    let mut k = Vec::with_capacity(6);
    k.push(b'C');
    k.extend_from_slice(la.as_bytes());
    k
}

/// The indicator of an [`indicator_cells`] key.
pub fn parse_indicator_cells(k: &[u8]) -> Option<Indicator> {
    Indicator::from_key(u16::from_be_bytes(k.get(4..6)?.try_into().ok()?))
}

/// `table | la | month`: one authority's month in the caseload tables (the whole key of a
/// month's cases, the prefix of its workers' records).
pub fn worker_month_prefix(table: u8, la: La, month: Month) -> Vec<u8> {
    let mut k = Vec::with_capacity(8);
    k.push(table);
    k.extend_from_slice(la.as_bytes());
    k.extend_from_slice(&month_bytes(month));
    k
}

/// `table | la | month | len(worker) | worker`; length 0 means no worker.
pub fn worker_month(table: u8, la: La, month: Month, worker: Option<&Id>) -> Vec<u8> {
    let mut k = worker_month_prefix(table, la, month);
    let id = worker.map_or(&[][..], |w| w.as_str().as_bytes());
    // Ids are at most 64 bytes.
    k.push(id.len() as u8);
    k.extend_from_slice(id);
    k
}

/// The worker of a caseload key's remainder after its prefix (`Some(None)`: no worker).
pub fn parse_worker(rest: &[u8]) -> Option<Option<Id>> {
    let (&len, id) = rest.split_first()?;
    if usize::from(len) != id.len() {
        return None;
    }
    if id.is_empty() {
        return Some(None);
    }
    Id::parse(std::str::from_utf8(id).ok()?).map(Some)
}

pub fn rejection(sequence: u64) -> Vec<u8> {
    let mut k = vec![b'R'];
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}
