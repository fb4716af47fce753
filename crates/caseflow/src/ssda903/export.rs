//! From what caseflow holds to an SSDA903 return: each child's timeline (the domain's fold of
//! its events) laid out as the year's tables.

use std::collections::BTreeMap;

use caseflow_domain::timeline::{ChildTimeline, EntryStatus, PeriodOfCare, PlacementSpell};
use caseflow_domain::{FinancialYear, Payload};
use time::{Date, Month};

use super::tables::Table;

/// A date as the DfE publishes it.
pub fn dfe_date(day: Date) -> String {
    format!(
        "{:02}/{:02}/{}",
        day.day(),
        u8::from(day.month()),
        day.year()
    )
}

/// One year's tables: per table, its rows (cells in [`Table::columns`] order).
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

/// The episodes of a period: a new one wherever the legal status changes (to another status)
/// or a placement starts.
fn episodes(period: &PeriodOfCare) -> Vec<Episode<'_>> {
    let within = |d: Date| d > period.start && period.end.is_none_or(|end| d < end);
    let mut starts: Vec<Date> = period
        .legal_statuses
        .iter()
        .map(|s| s.on)
        .filter(|d| within(*d) && legal_changed(period, *d))
        .chain(
            period
                .placements
                .iter()
                .map(|p| p.start)
                .filter(|d| within(*d)),
        )
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

/// Whether the legal status on `day` differs from the day before's.
fn legal_changed(period: &PeriodOfCare, day: Date) -> bool {
    let before = day.previous_day().and_then(|d| period.legal_status_on(d));
    before != period.legal_status_on(day)
}

/// The placement spell that starts on `day`, if one does.
fn placement_starting(period: &PeriodOfCare, day: Date) -> Option<&PlacementSpell> {
    period.placements.iter().rev().find(|p| p.start == day)
}

/// Whether the placement in force on `day` is temporary (T0-T4).
fn temporary_on(period: &PeriodOfCare, day: Date) -> bool {
    period
        .placement_on(day)
        .is_some_and(|p| p.placement.kind.is_temporary())
}

/// What an episode starts (`RNE`).
fn rne(e: &Episode) -> &'static str {
    if e.start == e.period.start {
        return "S";
    }
    let legal = legal_changed(e.period, e.start);
    match (legal, placement_starting(e.period, e.start)) {
        (_, None) => "L",
        (false, Some(p)) if p.same_carer => "T",
        (false, Some(_)) => "P",
        (true, Some(p)) if p.same_carer => "B",
        (true, Some(_)) => "U",
    }
}

/// `REASON_PLACE_CHANGE` of an episode: why its placement ended, when the next episode of the
/// period starts with another placement; none around temporary placements (T0-T4), as the
/// DfE guide has it.
fn reason_place_change(e: &Episode) -> String {
    let Some(next) = e.end.filter(|_| e.continues) else {
        return String::new();
    };
    let Some(spell) = placement_starting(e.period, next) else {
        return String::new();
    };
    if temporary_on(e.period, e.start) || spell.placement.kind.is_temporary() {
        return String::new();
    }
    spell
        .reason
        .map(|r| r.code().to_owned())
        .unwrap_or_default()
}

/// The year's tables for `children` (id and timeline), as the DfE would have them at the
/// year's end: episodes open at any time in the year (an end after 31 March left empty), the
/// reviews in the year, OC2 for children looked after continuously for the twelve months to 31
/// March, OC3 for care-leaver contacts recorded in the year, AD1 for adoptions in the year,
/// PlacedAdoption for decisions to place for adoption in force in the year, SWEpisodes for the
/// allocations of the children in the return (each until the next, unless its period of care
/// ended before the year). UASC, Missing and PrevPerm have no rows: no
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
                let (rne, reason) = (rne(&e), reason_place_change(&e));
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
        let care_leaver = care_leaver_birthday(timeline, first, last);
        if episode_rows.is_empty() && care_leaver.is_none() {
            continue;
        }
        let sex = match timeline.sex.map(|s| s.code()) {
            Some("M") => "1",
            Some("F") => "2",
            _ => "",
        };
        let mut row = vec![child.clone(), sex.to_owned(), dob.clone()];
        row.resize(Table::Header.columns().len(), String::new());
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
            // HEALTH_CHECK is the under-fives' development check, which no event carries.
            row.extend([String::new(), String::new(), flag(teeth), flag(health)]);
            row.resize(Table::Oc2.columns().len(), String::new());
            push(Table::Oc2, row);
        }
        // OC3: care leavers whose 17th to 21st birthday is in the year, not looked after on
        // it, who were looked after for 13 weeks or more after their 14th birthday, some of it
        // after their 16th: their latest contact from three months before the birthday to one
        // month after it.
        if let Some(birthday) = care_leaver {
            let window = (add_months(birthday, -3), add_months(birthday, 1).min(last));
            let contact = applied()
                .filter(|(on, _)| window.0 <= *on && *on <= window.1)
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
                // Died, or returned home for six months or more: nothing more is asked (0).
                let asked = !matches!(in_touch, "DIED" | "RHOM");
                let or_blank = |code: &str| {
                    if asked {
                        code.to_owned()
                    } else {
                        "0".to_owned()
                    }
                };
                push(
                    Table::Oc3,
                    vec![
                        child.clone(),
                        dob.clone(),
                        in_touch.to_owned(),
                        or_blank(activity),
                        or_blank(accommodation),
                    ],
                );
            }
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
            row.resize(Table::Ad1.columns().len(), String::new());
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
        // Allocations in force at some time in the year. An allocation lasts until the next one,
        // whether or not the child is still looked after (the DfE asks for the social workers
        // of the whole year), but not beyond a period of care that ended before the year began
        // (the case closed then).
        let allocations: Vec<(Date, String)> = applied()
            .filter_map(|(on, p)| match p {
                Payload::CaseAllocated { worker_id } => Some((on, worker_id.to_string())),
                _ => None,
            })
            .collect();
        for (i, (from, worker)) in allocations.iter().enumerate() {
            let until = allocations.get(i + 1).map(|(d, _)| *d);
            let closed_before = timeline
                .periods
                .iter()
                .find(|p| p.start <= *from && p.end.is_none_or(|end| *from < end))
                .and_then(|p| p.end)
                .is_some_and(|end| end < first);
            if closed_before {
                continue;
            }
            if *from > last || until.is_some_and(|u| u < first) {
                continue;
            }
            let until = until.filter(|u| *u <= last);
            push(
                Table::SwEpisodes,
                vec![
                    child.clone(),
                    dob.clone(),
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

/// `day` moved by `months` (the last day of a shorter month).
fn add_months(day: Date, months: i32) -> Date {
    caseflow_domain::calendar::add_months(day, months)
}

/// The 17th to 21st birthday in the year `first..=last` of a child who is a care leaver on it
/// in the DfE's sense for OC3: not looked after on the birthday, looked after for at least 13
/// weeks (91 days) after the 14th birthday, some of it after the 16th.
fn care_leaver_birthday(timeline: &ChildTimeline, first: Date, last: Date) -> Option<Date> {
    let dob = timeline.date_of_birth?;
    let birthday = |age: i32| {
        dob.replace_year(dob.year() + age)
            .ok()
            .or_else(|| Date::from_calendar_date(dob.year() + age, Month::February, 28).ok())
    };
    let day = (17..=21)
        .filter_map(birthday)
        .find(|d| first <= *d && *d <= last)?;
    let (fourteen, sixteen) = (birthday(14)?, birthday(16)?);
    let mut after_fourteen = 0;
    let mut after_sixteen = false;
    for period in timeline.counted_periods() {
        // Looked after on the birthday, or leaving care on it.
        if period.start <= day && period.end.is_none_or(|end| end >= day) {
            return None;
        }
        let end = period.end.unwrap_or(day).min(day);
        let from = period.start.max(fourteen);
        if end > from {
            after_fourteen += (end - from).whole_days();
        }
        after_sixteen |= end > sixteen;
    }
    (after_fourteen >= 91 && after_sixteen).then_some(day)
}

/// The file each table is written to.
pub fn file_name(table: Table) -> String {
    format!("{}.csv", table.name())
}
