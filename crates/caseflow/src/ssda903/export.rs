//! From what caseflow holds to an SSDA903 return: each child's timeline (the domain's fold of
//! its events) laid out as the year's tables.

use std::collections::BTreeMap;

use caseflow_domain::timeline::{ChildTimeline, EntryStatus, PeriodOfCare};
use caseflow_domain::{FinancialYear, Payload};
use time::{Date, Month};

use super::tables::Table;

/// The columns of each table as the DfE guide names them (those caseflow cannot fill are left
/// empty).
pub fn columns(table: Table) -> &'static [&'static str] {
    match table {
        Table::Header => &["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
        Table::Episodes => &[
            "CHILD",
            "DECOM",
            "RNE",
            "LS",
            "CIN",
            "PLACE",
            "PLACE_PROVIDER",
            "DEC",
            "REC",
            "REASON_PLACE_CHANGE",
            "HOME_POST",
            "PL_POST",
            "URN",
        ],
        Table::Reviews => &["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
        Table::Oc2 => &[
            "CHILD",
            "DOB",
            "SDQ_SCORE",
            "SDQ_REASON",
            "CONVICTED",
            "HEALTH_CHECK",
            "IMMUNISATIONS",
            "TEETH_CHECK",
            "HEALTH_ASSESSMENT",
            "SUBSTANCE_MISUSE",
            "INTERVENTION_RECEIVED",
            "INTERVENTION_OFFERED",
        ],
        Table::Oc3 => &["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
        Table::Ad1 => &[
            "CHILD",
            "DOB",
            "DATE_INT",
            "DATE_MATCH",
            "FOSTER_CARE",
            "NB_ADOPTR",
            "SEX_ADOPTR",
            "LS_ADOPTR",
        ],
        Table::PlacedAdoption => &[
            "CHILD",
            "DOB",
            "DATE_PLACED",
            "DATE_PLACED_CEASED",
            "REASON_PLACED_CEASED",
        ],
        Table::SwEpisodes => &["CHILD", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
        Table::Uasc => &["CHILD", "SEX", "DOB", "DUC"],
        Table::Missing => &["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
        Table::PrevPerm => &["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
    }
}

/// A date as the DfE publishes it.
pub fn dfe_date(day: Date) -> String {
    format!(
        "{:02}/{:02}/{}",
        day.day(),
        u8::from(day.month()),
        day.year()
    )
}

/// One year's tables: per table, its rows (cells in [`columns`] order).
pub type Tables = BTreeMap<Table, Vec<Vec<String>>>;

/// One episode: a stretch of a period of care with one legal status and one placement.
struct Episode<'p> {
    period: &'p PeriodOfCare,
    start: Date,
    /// Where the next episode of the period starts, or the period's end.
    end: Option<Date>,
    /// Whether the next episode continues the period (`REC` X1).
    continues: bool,
}

/// The episodes of a period: a new one wherever the legal status or the placement changes.
fn episodes(period: &PeriodOfCare) -> Vec<Episode<'_>> {
    let mut starts: Vec<Date> = period
        .legal_statuses
        .iter()
        .map(|s| s.on)
        .chain(period.placements.iter().map(|p| p.start))
        .filter(|d| *d >= period.start && period.end.is_none_or(|end| *d < end))
        .collect();
    starts.push(period.start);
    starts.sort();
    starts.dedup();
    let mut out: Vec<Episode> = Vec::with_capacity(starts.len());
    for (i, start) in starts.iter().enumerate() {
        let next = starts.get(i + 1).copied();
        out.push(Episode {
            period,
            start: *start,
            end: next.or(period.end),
            continues: next.is_some(),
        });
    }
    out
}

/// What an episode starts (`RNE`), and the reason for a placement change.
fn rne(e: &Episode) -> (&'static str, String) {
    if e.start == e.period.start {
        return ("S", String::new());
    }
    let legal = e.period.legal_statuses.iter().any(|s| s.on == e.start);
    let placement = e
        .period
        .placements
        .iter()
        .rev()
        .find(|p| p.start == e.start);
    match (legal, placement) {
        (true, None) => ("L", String::new()),
        (legal, Some(p)) => {
            let reason = p.reason.map(|r| r.code().to_owned()).unwrap_or_default();
            let code = match (legal, p.same_carer) {
                (false, false) => "P",
                (false, true) => "T",
                (true, false) => "U",
                (true, true) => "B",
            };
            (code, reason)
        }
        // A boundary is a status or placement change.
        (false, None) => ("L", String::new()),
    }
}

/// The year's tables for `children` (id and timeline), as the DfE would have them at the
/// year's end: episodes open at any time in the year (an end after 31 March left empty), the
/// reviews in the year, OC2 for children looked after continuously for the twelve months to 31
/// March, OC3 for care-leaver contacts recorded in the year, AD1 for adoptions in the year,
/// PlacedAdoption for decisions to place for adoption in force in the year, SWEpisodes for the
/// allocations of the children in the return. UASC, Missing and PrevPerm have no rows: no
/// event carries their facts.
pub fn tables(year: FinancialYear, children: &[(String, ChildTimeline)]) -> Tables {
    let first = Date::from_calendar_date(year.0, Month::April, 1).unwrap_or(Date::MIN);
    let last = Date::from_calendar_date(year.0 + 1, Month::March, 31).unwrap_or(Date::MAX);
    let in_year = |d: Date| first <= d && d <= last;
    let date = |d: Option<Date>| d.map(dfe_date).unwrap_or_default();
    let mut out: Tables = Table::ALL.iter().map(|t| (*t, Vec::new())).collect();
    let mut push = |table: Table, row: Vec<String>| {
        if let Some(rows) = out.get_mut(&table) {
            rows.push(row);
        }
    };
    for (child, timeline) in children {
        let dob = date(timeline.date_of_birth);
        let mut episode_rows = Vec::new();
        for period in &timeline.periods {
            for e in episodes(period) {
                let open_in_year = e.start <= last && e.end.is_none_or(|end| end >= first);
                if !open_in_year {
                    continue;
                }
                let (rne, reason) = rne(&e);
                let placement = period.placement_on(e.start);
                let (dec, rec) = match e.end.filter(|end| *end <= last) {
                    None => (String::new(), String::new()),
                    Some(end) if e.continues => (dfe_date(end), "X1".to_owned()),
                    Some(end) => (
                        dfe_date(end),
                        period
                            .end_reason
                            .map(|r| r.code().to_owned())
                            .unwrap_or_default(),
                    ),
                };
                episode_rows.push(vec![
                    child.clone(),
                    dfe_date(e.start),
                    rne.to_owned(),
                    period
                        .legal_status_on(e.start)
                        .map(|s| s.code().to_owned())
                        .unwrap_or_default(),
                    period
                        .category_of_need
                        .map(|c| c.code().to_owned())
                        .unwrap_or_default(),
                    placement
                        .map(|p| p.placement.kind.code().to_owned())
                        .unwrap_or_default(),
                    placement
                        .and_then(|p| p.placement.provider)
                        .map(|p| p.code().to_owned())
                        .unwrap_or_default(),
                    dec,
                    rec,
                    reason,
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
        if episode_rows.is_empty() && !has_care_leaver_contact(timeline, &in_year) {
            continue;
        }
        let sex = match timeline.sex.map(|s| s.code()) {
            Some("M") => "1",
            Some("F") => "2",
            _ => "",
        };
        let mut row = vec![child.clone(), sex.to_owned(), dob.clone()];
        row.resize(columns(Table::Header).len(), String::new());
        push(Table::Header, row);
        let looked_after_in_year = !episode_rows.is_empty();
        for row in episode_rows {
            push(Table::Episodes, row);
        }
        // Facts that count (not retracted, not flagged), by kind.
        let applied = || {
            timeline
                .entries
                .iter()
                .filter(|e| e.status == EntryStatus::Applied)
                .map(|e| (e.event.occurred_on, &e.event.payload))
        };
        for (on, payload) in applied() {
            if let Payload::ReviewHeld { participation } = payload
                && in_year(on)
            {
                let code = participation
                    .map(|p| p.code().to_owned())
                    .unwrap_or_default();
                push(
                    Table::Reviews,
                    vec![child.clone(), dob.clone(), dfe_date(on), code],
                );
            }
        }
        // OC2: looked after continuously from 1 April to 31 March (short breaks aside).
        let whole_year = timeline
            .counted_periods()
            .any(|p| p.start <= first && p.end.is_none_or(|end| end > last));
        if whole_year {
            let health = applied().any(|(on, p)| {
                in_year(on) && matches!(p, Payload::HealthAssessmentCompleted { .. })
            });
            let teeth =
                applied().any(|(on, p)| in_year(on) && matches!(p, Payload::DentalCheckCompleted));
            let flag = |b: bool| if b { "1" } else { "0" }.to_owned();
            let mut row = vec![
                child.clone(),
                dob.clone(),
                String::new(),
                String::new(),
                String::new(),
            ];
            row.push(flag(health));
            row.push(String::new());
            row.push(flag(teeth));
            row.resize(columns(Table::Oc2).len(), String::new());
            push(Table::Oc2, row);
        }
        // OC3: the latest contact recorded in the year.
        let contact = applied()
            .filter(|(on, _)| in_year(*on))
            .filter_map(|(_, p)| match p {
                Payload::CareLeaverContactRecorded {
                    in_touch,
                    activity,
                    accommodation,
                } => Some((in_touch.code(), activity.code(), accommodation.code())),
                _ => None,
            })
            .next_back();
        if let Some((in_touch, activity, accommodation)) = contact {
            push(
                Table::Oc3,
                vec![
                    child.clone(),
                    dob.clone(),
                    in_touch.to_owned(),
                    activity.to_owned(),
                    accommodation.to_owned(),
                ],
            );
        }
        if !looked_after_in_year {
            continue;
        }
        // Adoption: decisions, matches and reversals in order.
        let decisions: Vec<Date> = applied()
            .filter(|(_, p)| matches!(p, Payload::AdoptionDecisionRecorded))
            .map(|(on, _)| on)
            .collect();
        let latest_before = |kind: fn(&Payload) -> bool, until: Date| {
            applied()
                .filter(|(on, p)| *on <= until && kind(p))
                .map(|(on, _)| on)
                .next_back()
        };
        let adopted = timeline
            .periods
            .iter()
            .find(|p| p.end.is_some_and(in_year) && p.end_reason.is_some_and(|r| r.is_adoption()));
        if let Some(period) = adopted {
            let end = period.end.unwrap_or(last);
            let decided = latest_before(|p| matches!(p, Payload::AdoptionDecisionRecorded), end);
            let matched = latest_before(|p| matches!(p, Payload::AdopterMatchRecorded), end);
            let mut row = vec![child.clone(), dob.clone(), date(decided), date(matched)];
            row.resize(columns(Table::Ad1).len(), String::new());
            push(Table::Ad1, row);
        }
        for (i, decided) in decisions.iter().enumerate() {
            // In force in the year: made by its end, not ended before it began.
            let next = decisions.get(i + 1).copied();
            let reversed = applied()
                .filter(|(on, _)| *on >= *decided && next.is_none_or(|n| *on < n))
                .find_map(|(on, p)| match p {
                    Payload::AdoptionDecisionReversed { reason } => Some((on, reason.code())),
                    _ => None,
                });
            let ended_before = reversed.is_some_and(|(on, _)| on < first);
            if *decided > last || ended_before {
                continue;
            }
            let (ceased, reason) = match reversed.filter(|(on, _)| *on <= last) {
                Some((on, reason)) => (dfe_date(on), reason.to_owned()),
                None => (String::new(), String::new()),
            };
            push(
                Table::PlacedAdoption,
                vec![
                    child.clone(),
                    dob.clone(),
                    dfe_date(*decided),
                    ceased,
                    reason,
                ],
            );
        }
        // Allocations in force at some time in the year.
        let allocations: Vec<(Date, String)> = applied()
            .filter_map(|(on, p)| match p {
                Payload::CaseAllocated { worker_id } => Some((on, worker_id.to_string())),
                _ => None,
            })
            .collect();
        for (i, (from, worker)) in allocations.iter().enumerate() {
            let until = allocations.get(i + 1).map(|(d, _)| *d);
            if *from > last || until.is_some_and(|u| u < first) {
                continue;
            }
            let until = until.filter(|u| *u <= last);
            push(
                Table::SwEpisodes,
                vec![
                    child.clone(),
                    worker.clone(),
                    dfe_date(*from),
                    date(until),
                    String::new(),
                ],
            );
        }
    }
    out
}

fn has_care_leaver_contact(timeline: &ChildTimeline, in_year: &impl Fn(Date) -> bool) -> bool {
    timeline.care_leaver_contacts.iter().any(|c| in_year(c.on))
}

/// The file each table is written to.
pub fn file_name(table: Table) -> String {
    format!("{}.csv", table.name())
}
