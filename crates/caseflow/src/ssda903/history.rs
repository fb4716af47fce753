//! From SSDA903 rows to events: which event each row implies, its date, and an id derived from
//! the authority and the fact, so the same fact read from two returns (or imported twice) is
//! one event.

use std::collections::BTreeMap;

use caseflow_domain::La;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::{Date, Month};

use super::tables::{Origin, Return, Row, Table, parse_date};

/// An event the returns imply, as contract JSON, with the row it came from.
#[derive(Clone, Debug)]
pub struct Implied {
    pub table: Table,
    pub origin: Origin,
    pub child: String,
    pub event_id: String,
    /// The event, as a publisher would send it (proto3 JSON).
    pub json: Value,
}

/// A row (or part of one) that cannot become an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub table: Table,
    pub origin: Origin,
    /// A short code for the summary (`bad_date`, `overlapping_episode`, ... or caseflow's own
    /// rejection codes once the event is validated).
    pub reason: String,
    pub message: String,
}

/// Everything the returns imply.
#[derive(Debug, Default)]
pub struct History {
    pub events: Vec<Implied>,
    pub refused: Vec<Refused>,
    /// Rows read per table (every table, those not carried included).
    pub rows: BTreeMap<Table, u64>,
    /// Children whose first episode in the returns continues a period of care (its RNE is not
    /// `S`): its start is in an earlier return, to be imported too (or imported before).
    pub periods_started_earlier: u64,
}

/// The source every imported event names.
pub const SOURCE: &str = "ssda903";

/// The 31 March that ends the collection year of `day`.
fn year_end(day: Date) -> Date {
    let march = |y| Date::from_calendar_date(y, Month::March, 31).unwrap_or(day);
    if day <= march(day.year()) {
        march(day.year())
    } else {
        march(day.year() + 1)
    }
}

/// The collection year a return covers, by its 31 March: the year of the latest date it holds.
pub fn return_year_end(ret: &Return) -> Option<Date> {
    let dated: [(Table, &[&str]); 6] = [
        (Table::Episodes, &["DECOM", "DEC"]),
        (Table::Reviews, &["REVIEW"]),
        (Table::Ad1, &["DATE_INT", "DATE_MATCH"]),
        (
            Table::PlacedAdoption,
            &["DATE_PLACED", "DATE_PLACED_CEASED"],
        ),
        (Table::SwEpisodes, &["SW_DECOM", "SW_DEC"]),
        (Table::Missing, &["MIS_START", "MIS_END"]),
    ];
    dated
        .iter()
        .flat_map(|(table, columns)| {
            ret.rows(*table)
                .iter()
                .flat_map(move |row| columns.iter().filter_map(|c| row.get(c)))
        })
        .filter_map(parse_date)
        .max()
        .map(year_end)
}

/// A deterministic event id: `903-` and 32 hex digits of SHA-256 over the authority and the
/// fact's parts.
fn event_id(la: La, parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"caseflow ssda903 v1\0");
    hash.update(la.as_str());
    for part in parts {
        hash.update(b"\0");
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("903-{hex}")
}

struct Builder {
    la: La,
    history: History,
}

impl Builder {
    fn refuse(&mut self, table: Table, row: &Row, reason: &str, message: String) {
        self.history.refused.push(Refused {
            table,
            origin: row.origin.clone(),
            reason: reason.to_owned(),
            message,
        });
    }

    /// The child's id, or the row refused.
    fn child<'r>(&mut self, table: Table, row: &'r Row) -> Option<&'r str> {
        let child = row.get("CHILD");
        if child.is_none() {
            self.refuse(table, row, "missing_value", "CHILD is empty".to_owned());
        }
        child
    }

    /// A required date, or the row refused.
    fn date(&mut self, table: Table, row: &Row, column: &str) -> Option<Date> {
        match row.get(column) {
            None => {
                self.refuse(table, row, "missing_value", format!("{column} is empty"));
                None
            }
            Some(text) => {
                let date = parse_date(text);
                if date.is_none() {
                    self.refuse(
                        table,
                        row,
                        "bad_date",
                        format!("{column} {text:?} is not a date (dd/mm/yyyy or yyyy-mm-dd)"),
                    );
                }
                date
            }
        }
    }

    /// An optional date: absent, a date, or the row refused (`Err`).
    fn optional_date(&mut self, table: Table, row: &Row, column: &str) -> Result<Option<Date>, ()> {
        match row.get(column) {
            None => Ok(None),
            Some(_) => self.date(table, row, column).map(Some).ok_or(()),
        }
    }

    /// Adds the event `payload` (one member: its name and fields) on `day`, identified by
    /// `fact`.
    fn event(
        &mut self,
        table: Table,
        row: &Row,
        child: &str,
        day: Date,
        fact: &[&str],
        payload: (&str, Value),
    ) {
        let day_text = day.to_string();
        let mut parts = vec![child, &day_text];
        parts.extend_from_slice(fact);
        let event_id = event_id(self.la, &parts);
        let mut json = json!({
            "eventId": event_id,
            "la": self.la.as_str(),
            "childId": child,
            "occurredOn": day_text,
            "source": SOURCE,
        });
        json[payload.0] = payload.1;
        self.history.events.push(Implied {
            table,
            origin: row.origin.clone(),
            child: child.to_owned(),
            event_id,
            json,
        });
    }
}

/// The placement an episode row names (provider absent for T0-T4 and Z1, as the contract has).
fn placement(row: &Row) -> Value {
    let mut placement = json!({ "type": row.get("PLACE").unwrap_or_default() });
    if let Some(provider) = row.get("PLACE_PROVIDER") {
        placement["provider"] = json!(provider);
    }
    placement
}

/// The events `returns` imply for authority `la`. Returns are taken oldest first; where two
/// hold the same episode (by child and start date) the latest return's row stands.
pub fn implied(la: La, returns: &[Return]) -> History {
    let mut b = Builder {
        la,
        history: History::default(),
    };
    let mut ordered: Vec<(Option<Date>, &Return)> =
        returns.iter().map(|r| (return_year_end(r), r)).collect();
    ordered.sort_by_key(|(end, _)| end.unwrap_or(Date::MAX));
    for (_, ret) in &ordered {
        for (table, rows) in &ret.tables {
            *b.history.rows.entry(*table).or_default() += rows.len() as u64;
        }
    }
    header(&mut b, &ordered);
    episodes(&mut b, &ordered);
    for (end, ret) in &ordered {
        reviews(&mut b, ret);
        oc2(&mut b, ret, *end);
        oc3(&mut b, ret, *end);
        adoption(&mut b, ret);
        social_workers(&mut b, ret);
    }
    b.history
}

/// `childRegistered` from Header: on the date of birth, or the start of the return's year for a
/// child whose details a later return changes (so the later one replaces the earlier).
fn header(b: &mut Builder, returns: &[(Option<Date>, &Return)]) {
    let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (end, ret) in returns {
        for row in ret.rows(Table::Header) {
            let Some(child) = b.child(Table::Header, row) else {
                continue;
            };
            let Some(dob) = b.date(Table::Header, row, "DOB") else {
                continue;
            };
            let sex = row.get("SEX").unwrap_or_default().to_owned();
            let details = (dob.to_string(), sex.clone());
            let day = match seen.get(child) {
                Some(first) if *first == details => continue,
                // Corrected by a later return: dated at that year's start.
                Some(_) => end
                    .and_then(|end| end.replace_year(end.year() - 1).ok())
                    .and_then(|d| d.next_day())
                    .map_or(dob, |start| start.max(dob)),
                None => dob,
            };
            seen.insert(child.to_owned(), details);
            let mut registered = json!({ "dateOfBirth": dob.to_string() });
            if !sex.is_empty() {
                registered["sex"] = json!(sex);
            }
            b.event(
                Table::Header,
                row,
                child,
                day,
                &["registered", &dob.to_string(), &sex],
                ("childRegistered", registered),
            );
        }
    }
}

/// One episode as read: its row, start and end.
struct Episode<'r> {
    row: &'r Row,
    start: Date,
    end: Option<Date>,
}

/// Periods of care, placements and legal statuses from Episodes. `RNE` says what an episode
/// starts: `S` a period of care; `L` a legal status; `P` a placement with other carers; `T` a
/// placement with the same carers; `U` a legal status and a placement with other carers; `B` a
/// legal status and a placement with the same carers. `DEC` with `REC` other than `X1` ends
/// the period; `X1` means the next episode continues it.
fn episodes(b: &mut Builder, returns: &[(Option<Date>, &Return)]) {
    let t = Table::Episodes;
    // By child and start: a later return's row replaces an earlier one's.
    let mut by_child: BTreeMap<String, BTreeMap<Date, &Row>> = BTreeMap::new();
    for (_, ret) in returns {
        for row in ret.rows(t) {
            let Some(child) = b.child(t, row) else {
                continue;
            };
            let Some(start) = b.date(t, row, "DECOM") else {
                continue;
            };
            by_child
                .entry(child.to_owned())
                .or_default()
                .insert(start, row);
        }
    }
    for (child, rows) in by_child {
        let mut episodes: Vec<Episode> = Vec::new();
        for (start, row) in rows {
            let Ok(end) = b.optional_date(t, row, "DEC") else {
                continue;
            };
            if end.is_some_and(|end| end < start) {
                b.refuse(
                    t,
                    row,
                    "ends_before_start",
                    format!("DEC {} is before DECOM {start}", end.unwrap_or(start)),
                );
                continue;
            }
            if let Some(previous) = episodes.last()
                && previous.end.is_some_and(|end| start < end)
            {
                let message = format!(
                    "the episode from {start} overlaps the one from {} to {} ({})",
                    previous.start,
                    previous.end.unwrap_or(start),
                    previous.row.origin
                );
                b.refuse(t, row, "overlapping_episode", message);
                continue;
            }
            episodes.push(Episode { row, start, end });
        }
        if episodes
            .first()
            .is_some_and(|e| e.row.get("RNE") != Some("S"))
        {
            b.history.periods_started_earlier += 1;
        }
        let mut ending_reason = None;
        for episode in &episodes {
            episode_events(b, &child, episode, ending_reason);
            // Why this episode's placement ended: the reason for the next one's change.
            ending_reason = episode
                .row
                .get("REASON_PLACE_CHANGE")
                .filter(|_| episode.row.get("REC") == Some("X1"));
        }
    }
}

/// `reason`: the previous episode's `REASON_PLACE_CHANGE` (why its placement ended), which is
/// the reason for a placement change this episode starts.
fn episode_events(b: &mut Builder, child: &str, e: &Episode, reason: Option<&str>) {
    let t = Table::Episodes;
    let row = e.row;
    let legal = || json!({ "legalStatus": row.get("LS").unwrap_or_default() });
    let moved = |same_carer: bool| {
        let mut change = json!({ "placement": placement(row) });
        if let Some(reason) = reason {
            change["reason"] = json!(reason);
        }
        if same_carer {
            change["sameCarer"] = json!(true);
        }
        change
    };
    let rne = row.get("RNE").unwrap_or_default();
    let (legal_status, placement_change) = match rne {
        "S" => {
            let mut started = json!({
                "legalStatus": row.get("LS").unwrap_or_default(),
                "placement": placement(row),
            });
            if let Some(cin) = row.get("CIN") {
                started["categoryOfNeed"] = json!(cin);
            }
            b.event(
                t,
                row,
                child,
                e.start,
                &["period started"],
                ("periodOfCareStarted", started),
            );
            (false, None)
        }
        "L" => (true, None),
        "P" => (false, Some(false)),
        "T" => (false, Some(true)),
        "U" => (true, Some(false)),
        "B" => (true, Some(true)),
        other => {
            let message =
                format!("RNE {other:?} is not a reason for a new episode (S, L, P, T, U or B)");
            b.refuse(t, row, "bad_code", message);
            return;
        }
    };
    if legal_status {
        b.event(
            t,
            row,
            child,
            e.start,
            &["legal status"],
            ("legalStatusChanged", legal()),
        );
    }
    if let Some(same_carer) = placement_change {
        b.event(
            t,
            row,
            child,
            e.start,
            &["placement"],
            ("placementChanged", moved(same_carer)),
        );
    }
    let Some(end) = e.end else { return };
    match row.get("REC") {
        Some("X1") => {}
        Some(reason) => b.event(
            t,
            row,
            child,
            end,
            &["period ended"],
            ("periodOfCareEnded", json!({ "reason": reason })),
        ),
        None => b.refuse(
            t,
            row,
            "missing_value",
            format!("REC is empty though DEC is {end}"),
        ),
    }
}

/// `reviewHeld` from Reviews (REVIEW_CODE as the child's participation).
fn reviews(b: &mut Builder, ret: &Return) {
    let t = Table::Reviews;
    for row in ret.rows(t) {
        let Some(child) = b.child(t, row) else {
            continue;
        };
        let Some(day) = b.date(t, row, "REVIEW") else {
            continue;
        };
        let mut held = json!({});
        if let Some(code) = row.get("REVIEW_CODE") {
            held["participation"] = json!(code);
        }
        b.event(t, row, child, day, &["review"], ("reviewHeld", held));
    }
}

/// OC2's `HEALTH_ASSESSMENT` and `TEETH_CHECK` (1: up to date in the year): a health
/// assessment (review) and a dental check, dated the year's 31 March, as OC2 holds no date of
/// its own. (`HEALTH_CHECK`, the under-fives' development check, no event carries.)
fn oc2(b: &mut Builder, ret: &Return, end: Option<Date>) {
    let t = Table::Oc2;
    for row in ret.rows(t) {
        let Some(child) = b.child(t, row) else {
            continue;
        };
        let done = |c| row.get(c) == Some("1");
        if !done("HEALTH_ASSESSMENT") && !done("TEETH_CHECK") {
            continue;
        }
        let Some(end) = end else {
            b.refuse(
                t,
                row,
                "year_unknown",
                "the return holds no dated row to tell its year (OC2 is dated at the year's end)"
                    .to_owned(),
            );
            continue;
        };
        if done("HEALTH_ASSESSMENT") {
            b.event(
                t,
                row,
                child,
                end,
                &["health assessment"],
                ("healthAssessmentCompleted", json!({ "kind": "REVIEW" })),
            );
        }
        if done("TEETH_CHECK") {
            b.event(
                t,
                row,
                child,
                end,
                &["dental check"],
                ("dentalCheckCompleted", json!({})),
            );
        }
    }
}

/// OC3 (care leavers around their 17th to 21st birthdays): `careLeaverContactRecorded` on the
/// birthday in the return's year.
fn oc3(b: &mut Builder, ret: &Return, end: Option<Date>) {
    let t = Table::Oc3;
    for row in ret.rows(t) {
        let Some(child) = b.child(t, row) else {
            continue;
        };
        let Some(dob) = b.date(t, row, "DOB") else {
            continue;
        };
        let Some(end) = end else {
            b.refuse(t, row, "year_unknown", "the return holds no dated row to tell its year (OC3 is dated at the birthday in the year)".to_owned());
            continue;
        };
        // The birthday in the year ending `end` (1 April to 31 March); 29 February on 28th.
        let birthday = |year: i32| {
            Date::from_calendar_date(year, dob.month(), dob.day())
                .or_else(|_| Date::from_calendar_date(year, dob.month(), 28))
                .unwrap_or(end)
        };
        let day = if birthday(end.year()) <= end {
            birthday(end.year())
        } else {
            birthday(end.year() - 1)
        };
        let contact = json!({
            "inTouch": row.get("IN_TOUCH").unwrap_or_default(),
            "activity": row.get("ACTIV").unwrap_or("0"),
            "accommodation": row.get("ACCOM").unwrap_or("0"),
        });
        b.event(
            t,
            row,
            child,
            day,
            &["care leaver contact"],
            ("careLeaverContactRecorded", contact),
        );
    }
}

/// AD1 and PlacedAdoption: the decision that the child should be placed for adoption (AD1
/// `DATE_INT`, PlacedAdoption `DATE_PLACED`: one fact), the match with adopters (AD1
/// `DATE_MATCH`), and the decision ended (PlacedAdoption `DATE_PLACED_CEASED`, with
/// `REASON_PLACED_CEASED`).
fn adoption(b: &mut Builder, ret: &Return) {
    for (t, decided) in [
        (Table::Ad1, "DATE_INT"),
        (Table::PlacedAdoption, "DATE_PLACED"),
    ] {
        for row in ret.rows(t) {
            let Some(child) = b.child(t, row) else {
                continue;
            };
            if let Ok(Some(day)) = b.optional_date(t, row, decided) {
                b.event(
                    t,
                    row,
                    child,
                    day,
                    &["adoption decision"],
                    ("adoptionDecisionRecorded", json!({})),
                );
            }
            if t == Table::Ad1
                && let Ok(Some(day)) = b.optional_date(t, row, "DATE_MATCH")
            {
                b.event(
                    t,
                    row,
                    child,
                    day,
                    &["adopter match"],
                    ("adopterMatchRecorded", json!({})),
                );
            }
            if t == Table::PlacedAdoption
                && let Ok(Some(day)) = b.optional_date(t, row, "DATE_PLACED_CEASED")
            {
                let reversed =
                    json!({ "reason": row.get("REASON_PLACED_CEASED").unwrap_or_default() });
                b.event(
                    t,
                    row,
                    child,
                    day,
                    &["adoption decision reversed"],
                    ("adoptionDecisionReversed", reversed),
                );
            }
        }
    }
}

/// `caseAllocated` from SWEpisodes: the worker from `SW_DECOM` (the end of an allocation is the
/// next one's start; `SW_DEC` alone carries nothing an event holds).
fn social_workers(b: &mut Builder, ret: &Return) {
    let t = Table::SwEpisodes;
    for row in ret.rows(t) {
        let Some(child) = b.child(t, row) else {
            continue;
        };
        let Some(day) = b.date(t, row, "SW_DECOM") else {
            continue;
        };
        let worker = row.get("SW_ID").unwrap_or_default();
        b.event(
            t,
            row,
            child,
            day,
            &["allocated", worker],
            ("caseAllocated", json!({ "workerId": worker })),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::*;
    use crate::ssda903::tables;

    fn la() -> La {
        La::parse("372").unwrap()
    }

    /// The Episodes columns caseflow reads.
    const EPISODE: &[&str] = tables::EPISODES.split_at(10).0;

    /// A table as a test writes it: its columns and its rows' cells.
    type Cells<'a> = (Table, &'a [&'a str], &'a [&'a [&'a str]]);

    /// A return read from `tables`: each table's rows as cells in `columns` order; line
    /// numbers from 2 as in a file with a header line.
    fn ret(name: &str, tables: &[Cells]) -> Return {
        let mut read = Return {
            source: name.into(),
            tables: BTreeMap::new(),
        };
        for (table, columns, rows) in tables {
            let file = format!("{name}/{}.csv", table.name());
            let rows = rows
                .iter()
                .enumerate()
                .map(|(i, cells)| {
                    let cells: Vec<(&str, &str)> =
                        columns.iter().copied().zip(cells.iter().copied()).collect();
                    Row::of(&file, i as u64 + 2, &cells)
                })
                .collect();
            read.tables.insert(*table, rows);
        }
        read
    }

    /// Each event as (occurredOn, payload name, payload).
    fn events(history: &History) -> Vec<(String, String, Value)> {
        history
            .events
            .iter()
            .map(|e| {
                let payload = e
                    .json
                    .as_object()
                    .unwrap()
                    .iter()
                    .find(|(k, _)| {
                        !["eventId", "la", "childId", "occurredOn", "source"].contains(&k.as_str())
                    })
                    .unwrap();
                (
                    e.json["occurredOn"].as_str().unwrap().to_owned(),
                    payload.0.clone(),
                    payload.1.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn an_episode_in_two_returns_is_one_history() {
        // 2016/17: admitted 1 June 2016, still open at 31 March 2017.
        let first = ret(
            "2017",
            &[(
                Table::Episodes,
                EPISODE,
                &[&["C1", "01/06/2016", "S", "C2", "N1", "U4", "PR1", "", "", ""]],
            )],
        );
        // 2017/18: the same episode, now closed by a placement move (X1), and the period
        // ended on 5 January 2018 (E13).
        let second = ret(
            "2018",
            &[(
                Table::Episodes,
                EPISODE,
                &[
                    &[
                        "C1",
                        "01/06/2016",
                        "S",
                        "C2",
                        "N1",
                        "U4",
                        "PR1",
                        "10/09/2017",
                        "X1",
                        "CARPL",
                    ],
                    &[
                        "C1",
                        "2017-09-10",
                        "P",
                        "C2",
                        "N1",
                        "U6",
                        "PR4",
                        "05/01/2018",
                        "E13",
                        "",
                    ],
                ],
            )],
        );
        let history = implied(la(), &[second, first]);
        assert_eq!(history.refused, vec![]);
        assert_eq!(
            events(&history),
            vec![
                (
                    "2016-06-01".into(),
                    "periodOfCareStarted".into(),
                    json!({"legalStatus": "C2", "categoryOfNeed": "N1",
                        "placement": {"type": "U4", "provider": "PR1"}})
                ),
                (
                    "2017-09-10".into(),
                    "placementChanged".into(),
                    json!({"placement": {"type": "U6", "provider": "PR4"}, "reason": "CARPL"})
                ),
                (
                    "2018-01-05".into(),
                    "periodOfCareEnded".into(),
                    json!({"reason": "E13"})
                ),
            ]
        );
        assert_eq!(history.periods_started_earlier, 0);
        // The admission has the same id whichever returns it is read from.
        let alone = implied(
            la(),
            &[ret(
                "2017",
                &[(
                    Table::Episodes,
                    EPISODE,
                    &[&["C1", "01/06/2016", "S", "C2", "N1", "U4", "PR1", "", "", ""]],
                )],
            )],
        );
        assert_eq!(alone.events[0].event_id, history.events[0].event_id);
        assert!(history.events[0].event_id.starts_with("903-"));
        assert_eq!(history.events[0].event_id.len(), 36);
        // Another authority's same fact is another event.
        let elsewhere = implied(
            La::parse("373").unwrap(),
            &[ret(
                "2017",
                &[(
                    Table::Episodes,
                    EPISODE,
                    &[&["C1", "01/06/2016", "S", "C2", "N1", "U4", "PR1", "", "", ""]],
                )],
            )],
        );
        assert_ne!(elsewhere.events[0].event_id, history.events[0].event_id);
    }

    #[test]
    fn rne_decides_what_an_episode_starts() {
        let rows: &[&[&str]] = &[
            &[
                "C1",
                "01/04/2017",
                "S",
                "V2",
                "N2",
                "U6",
                "PR1",
                "01/05/2017",
                "X1",
                "",
            ],
            &[
                "C1",
                "01/05/2017",
                "L",
                "C1",
                "N2",
                "U6",
                "PR1",
                "01/06/2017",
                "X1",
                "",
            ],
            &[
                "C1",
                "01/06/2017",
                "T",
                "C1",
                "N2",
                "U4",
                "PR1",
                "01/07/2017",
                "X1",
                "CHILD",
            ],
            &[
                "C1",
                "01/07/2017",
                "U",
                "C2",
                "N2",
                "K2",
                "PR4",
                "01/08/2017",
                "X1",
                "",
            ],
            &["C1", "01/08/2017", "B", "E1", "N2", "A5", "PR1", "", "", ""],
        ];
        let history = implied(la(), &[ret("2018", &[(Table::Episodes, EPISODE, rows)])]);
        assert_eq!(history.refused, vec![]);
        let kinds: Vec<(String, String)> = events(&history)
            .into_iter()
            .map(|(day, kind, _)| (day, kind))
            .collect();
        let expected: Vec<(String, String)> = [
            ("2017-04-01", "periodOfCareStarted"),
            ("2017-05-01", "legalStatusChanged"),
            ("2017-06-01", "placementChanged"),
            ("2017-07-01", "legalStatusChanged"),
            ("2017-07-01", "placementChanged"),
            ("2017-08-01", "legalStatusChanged"),
            ("2017-08-01", "placementChanged"),
        ]
        .iter()
        .map(|(d, k)| ((*d).to_owned(), (*k).to_owned()))
        .collect();
        assert_eq!(kinds, expected);
        let all = events(&history);
        // T and B keep the carers; U changes them, with its reason.
        assert_eq!(all[2].2["sameCarer"], json!(true));
        assert_eq!(
            all[4].2,
            json!({"placement": {"type": "K2", "provider": "PR4"}, "reason": "CHILD"})
        );
        assert_eq!(all[6].2["sameCarer"], json!(true));
        assert_eq!(all[5].2, json!({"legalStatus": "E1"}));
    }

    #[test]
    fn rows_that_cannot_be_events_are_refused_with_file_line_and_reason() {
        let rows: &[&[&str]] = &[
            &[
                "C1",
                "01/04/2017",
                "S",
                "C2",
                "N1",
                "U4",
                "PR1",
                "01/09/2017",
                "E4A",
                "",
            ],
            // Starts before the one above ended.
            &["C1", "01/08/2017", "S", "C2", "N1", "U4", "PR1", "", "", ""],
            &["C2", "31/02/2017", "S", "C2", "N1", "U4", "PR1", "", "", ""],
            &["C3", "01/04/2017", "Q", "C2", "N1", "U4", "PR1", "", "", ""],
            &[
                "C4",
                "01/04/2017",
                "S",
                "C2",
                "N1",
                "U4",
                "PR1",
                "01/03/2017",
                "E4A",
                "",
            ],
            &[
                "C5",
                "01/04/2017",
                "S",
                "C2",
                "N1",
                "U4",
                "PR1",
                "01/05/2017",
                "",
                "",
            ],
        ];
        let history = implied(la(), &[ret("2018", &[(Table::Episodes, EPISODE, rows)])]);
        let refused: Vec<(u64, &str)> = history
            .refused
            .iter()
            .map(|r| (r.origin.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            refused,
            vec![
                (4, "bad_date"),
                (3, "overlapping_episode"),
                (5, "bad_code"),
                (6, "ends_before_start"),
                (7, "missing_value"),
            ]
        );
        let overlap = &history.refused[1];
        assert_eq!(
            overlap.origin.file,
            std::path::Path::new("2018/Episodes.csv")
        );
        assert_eq!(
            overlap.message,
            "the episode from 2017-08-01 overlaps the one from 2017-04-01 to 2017-09-01 \
             (2018/Episodes.csv:2)"
        );
        // C1's first period (start and end), C5's admission: the rest of each row is kept.
        let kept: Vec<(String, String)> = history
            .events
            .iter()
            .map(|e| {
                (
                    e.child.clone(),
                    e.json["occurredOn"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            kept,
            vec![
                ("C1".into(), "2017-04-01".into()),
                ("C1".into(), "2017-09-01".into()),
                ("C5".into(), "2017-04-01".into()),
            ]
        );
    }

    #[test]
    fn the_other_tables_and_their_dates() {
        let episode: &[&str] = &["C1", "01/04/2015", "S", "C2", "N1", "U4", "PR1", "", "", ""];
        let history = implied(
            la(),
            &[ret(
                "2018",
                &[
                    (
                        Table::Episodes,
                        EPISODE,
                        &[
                            episode,
                            &["C9", "01/03/2018", "P", "C2", "N1", "U4", "PR1", "", "", ""],
                        ],
                    ),
                    (
                        Table::Header,
                        &["CHILD", "SEX", "DOB"],
                        &[&["C1", "2", "15/08/2000"]],
                    ),
                    (
                        Table::Reviews,
                        &["CHILD", "REVIEW", "REVIEW_CODE"],
                        &[&["C1", "03/10/2017", "PN1"], &["C1", "03/03/2018", ""]],
                    ),
                    (
                        Table::Oc2,
                        &["CHILD", "HEALTH_ASSESSMENT", "TEETH_CHECK"],
                        &[&["C1", "1", "0"]],
                    ),
                    (
                        Table::Oc3,
                        &["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
                        &[
                            &["C7", "15/08/1999", "YES", "F2", "U1"],
                            &["C8", "10/02/2000", "NO", "", ""],
                        ],
                    ),
                    (
                        Table::Ad1,
                        &["CHILD", "DATE_INT", "DATE_MATCH"],
                        &[&["C1", "01/05/2017", "01/09/2017"]],
                    ),
                    (
                        Table::PlacedAdoption,
                        &[
                            "CHILD",
                            "DATE_PLACED",
                            "DATE_PLACED_CEASED",
                            "REASON_PLACED_CEASED",
                        ],
                        &[&["C1", "01/05/2017", "01/12/2017", "RD3"]],
                    ),
                    (
                        Table::SwEpisodes,
                        &["CHILD", "SW_ID", "SW_DECOM"],
                        &[&["C1", "SW12", "01/04/2017"]],
                    ),
                    (
                        Table::Missing,
                        &["CHILD", "MIS_START"],
                        &[&["C1", "01/01/2018"]],
                    ),
                ],
            )],
        );
        assert_eq!(history.refused, vec![]);
        assert_eq!(history.rows[&Table::Missing], 1);
        // C9's first episode continues a period begun before this return.
        assert_eq!(history.periods_started_earlier, 1);
        let all = events(&history);
        let find = |kind: &str| -> Vec<(String, Value)> {
            all.iter()
                .filter(|(_, k, _)| k == kind)
                .map(|(d, _, p)| (d.clone(), p.clone()))
                .collect()
        };
        assert_eq!(
            find("childRegistered"),
            vec![(
                "2000-08-15".into(),
                json!({"dateOfBirth": "2000-08-15", "sex": "2"})
            )]
        );
        assert_eq!(
            find("reviewHeld"),
            vec![
                ("2017-10-03".into(), json!({"participation": "PN1"})),
                ("2018-03-03".into(), json!({}))
            ]
        );
        // The latest date in the return is 1 March 2018: its year ends 31 March 2018.
        assert_eq!(
            find("healthAssessmentCompleted"),
            vec![("2018-03-31".into(), json!({"kind": "REVIEW"}))]
        );
        assert_eq!(find("dentalCheckCompleted"), vec![]);
        // Birthdays in the year 1 April 2017 to 31 March 2018.
        assert_eq!(
            find("careLeaverContactRecorded"),
            vec![
                (
                    "2017-08-15".into(),
                    json!({"inTouch": "YES", "activity": "F2", "accommodation": "U1"})
                ),
                (
                    "2018-02-10".into(),
                    json!({"inTouch": "NO", "activity": "0", "accommodation": "0"})
                ),
            ]
        );
        // AD1's DATE_INT and PlacedAdoption's DATE_PLACED are one fact: one id.
        let decisions: Vec<&Implied> = history
            .events
            .iter()
            .filter(|e| e.json.get("adoptionDecisionRecorded").is_some())
            .collect();
        assert_eq!(decisions.len(), 2);
        assert_eq!(decisions[0].event_id, decisions[1].event_id);
        assert_eq!(
            find("adopterMatchRecorded"),
            vec![("2017-09-01".into(), json!({}))]
        );
        assert_eq!(
            find("adoptionDecisionReversed"),
            vec![("2017-12-01".into(), json!({"reason": "RD3"}))]
        );
        assert_eq!(
            find("caseAllocated"),
            vec![("2017-04-01".into(), json!({"workerId": "SW12"}))]
        );
    }

    #[test]
    fn a_child_registered_in_two_returns_is_one_event_unless_corrected() {
        let header = |name: &str, sex: &str, episode_day: &str| {
            ret(
                name,
                &[
                    (
                        Table::Header,
                        &["CHILD", "SEX", "DOB"],
                        &[&["C1", sex, "15/08/2010"]],
                    ),
                    (
                        Table::Reviews,
                        &["CHILD", "REVIEW", "REVIEW_CODE"],
                        &[&["C1", episode_day, ""]],
                    ),
                ],
            )
        };
        let same = implied(
            la(),
            &[
                header("a", "1", "01/02/2017"),
                header("b", "1", "01/02/2018"),
            ],
        );
        let registered = |h: &History| -> Vec<(String, Value)> {
            events(h)
                .into_iter()
                .filter(|(_, k, _)| k == "childRegistered")
                .map(|(d, _, p)| (d, p))
                .collect()
        };
        assert_eq!(
            registered(&same),
            vec![(
                "2010-08-15".into(),
                json!({"dateOfBirth": "2010-08-15", "sex": "1"})
            )]
        );
        // Corrected in the 2017/18 return: dated at that year's start, so it replaces the first.
        let corrected = implied(
            la(),
            &[
                header("b", "2", "01/02/2018"),
                header("a", "1", "01/02/2017"),
            ],
        );
        assert_eq!(
            registered(&corrected),
            vec![
                (
                    "2010-08-15".into(),
                    json!({"dateOfBirth": "2010-08-15", "sex": "1"})
                ),
                (
                    "2017-04-01".into(),
                    json!({"dateOfBirth": "2010-08-15", "sex": "2"})
                ),
            ]
        );
    }
}
