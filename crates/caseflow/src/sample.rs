//! A small, deterministic sample authority for the demo and tests (`deploy/sample/events.jsonl`).
//!
//! About 160 children of authority 372 over April 2015 to May 2018: registrations, admissions
//! with a realistic legal-status mix (including short breaks), placement moves, legal-status
//! changes, reviews, visits and discharges, recorded days to weeks late; plus a duplicate, a
//! retraction with its corrected re-entry, and a few invalid events that must be refused.
//! The full simulator (many authorities, every payload) is a separate component.

use serde_json::{Value, json};
use time::{Date, macros::date};

use caseflow_domain::calendar::{add_days, days_between, format_day};

/// The committed sample the demo loads (`deploy/sample/events.jsonl`); a test checks it is
/// exactly what [`sample_events`] generates.
pub const COMMITTED_SAMPLE: &str = include_str!("../../../deploy/sample/events.jsonl");

/// The last day the sample covers; the demo's reporting "today" is a few days later.
pub const SAMPLE_END: Date = date!(2018 - 05 - 31);
/// The demo's "today": the May 2018 figures are complete.
pub const SAMPLE_TODAY: Date = date!(2018 - 06 - 05);

/// A tiny deterministic generator (PCG-style LCG); no randomness crate needed for this.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, weighted: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = weighted.iter().map(|(_, w)| w).sum();
        let mut x = self.below(total);
        for (v, w) in weighted {
            if x < *w {
                return v;
            }
            x -= w;
        }
        weighted[0].0
    }
}

struct Writer {
    lines: Vec<String>,
    n: u64,
}

impl Writer {
    fn event(&mut self, child: &str, on: Date, lag_days: i64, payload: (&str, Value)) -> String {
        self.n += 1;
        let id = format!("S{:06}", self.n);
        let recorded = add_days(on, lag_days).min(add_days(SAMPLE_TODAY, -1));
        let mut e = json!({
            "eventId": id,
            "la": "372",
            "childId": child,
            "occurredOn": format_day(on),
            "recordedAt": format!("{}T10:00:00Z", format_day(recorded)),
            "source": "sample",
        });
        e[payload.0] = payload.1;
        self.lines.push(e.to_string());
        id
    }
}

/// The first day the sample covers.
const SAMPLE_START: Date = date!(2015 - 04 - 01);

/// The sample as JSON lines.
pub fn sample_events() -> Vec<String> {
    let mut rng = Rng(372);
    let mut w = Writer {
        lines: Vec::new(),
        n: 0,
    };
    for c in 0..160 {
        let child = format!("C{:05}", c + 1);
        child_history(&mut rng, &mut w, &child);
    }
    resent_and_retracted(&mut w);
    invalid_events(&mut w);
    w.lines
}

/// One child's period of care, as drawn.
struct Period<'a> {
    child: &'a str,
    admitted: Date,
    /// The legal status on admission.
    status: &'static str,
    /// Days from admission to discharge (which may fall after the sample).
    stay: i64,
    ends: Date,
    /// The last day of the period within the sample.
    last_day: Date,
}

/// One child's events: registration and admission, reviews and visits, perhaps a change of
/// legal status and a placement move, and the discharge if it falls within the sample.
fn child_history(rng: &mut Rng, w: &mut Writer, child: &str) {
    let (admitted, status) = register_and_admit(rng, w, child);
    let stay = stay_days(rng);
    let ends = add_days(admitted, stay);
    let period = Period {
        child,
        admitted,
        status,
        stay,
        ends,
        last_day: ends.min(SAMPLE_END),
    };
    reviews(rng, w, &period);
    visits(rng, w, &period);
    legal_status_change(rng, w, &period);
    placement_move(rng, w, &period);
    discharge(rng, w, &period);
}

/// The child's registration and the start of their period of care: the day admitted and the
/// legal status.
fn register_and_admit(rng: &mut Rng, w: &mut Writer, child: &str) -> (Date, &'static str) {
    let span = days_between(SAMPLE_START, SAMPLE_END);
    let admitted = add_days(SAMPLE_START, rng.below(span as u64) as i64);
    let age_years = rng.pick(&[("0", 12), ("2", 15), ("7", 18), ("12", 35), ("16", 20)]);
    let age: i64 = age_years.parse().unwrap_or(0);
    let born = add_days(admitted, -(age * 365 + rng.below(300) as i64 + 20));
    let sex = if rng.chance(55) { "M" } else { "F" };
    w.event(
        child,
        born.max(date!(1990 - 01 - 01)),
        2,
        (
            "childRegistered",
            json!({"dateOfBirth": format_day(born), "sex": sex}),
        ),
    );
    let status = rng.pick(&[
        ("C1", 35),
        ("V2", 30),
        ("E1", 5),
        ("C2", 10),
        ("V3", 4),
        ("L1", 6),
        ("J1", 2),
    ]);
    let placement = rng.pick(&[
        ("U6", 45),
        ("U3", 15),
        ("K2", 12),
        ("U4", 10),
        ("P1", 8),
        ("H5", 5),
        ("R1", 5),
    ]);
    let provider = rng.pick(&[("PR1", 60), ("PR4", 30), ("PR5", 10)]);
    w.event(child, admitted, rng.below(10) as i64, (
        "periodOfCareStarted",
        json!({"legalStatus": status, "categoryOfNeed": "N1",
               "placement": {"type": placement, "provider": provider, "carerId": format!("H{:04}", rng.below(150))}}),
    ));
    (admitted, status)
}

/// How long the stay lasts: many short, some for years; some still open at the end of the
/// sample.
fn stay_days(rng: &mut Rng) -> i64 {
    (match rng.below(10) {
        0..=3 => 20 + rng.below(150),
        4..=6 => 150 + rng.below(500),
        _ => 600 + rng.below(1200),
    }) as i64
}

/// Reviews: the first within 20 working days, roughly, then every five to seven months.
fn reviews(rng: &mut Rng, w: &mut Writer, period: &Period<'_>) {
    let mut d = add_days(period.admitted, 18 + rng.below(14) as i64);
    while d < period.last_day {
        w.event(
            period.child,
            d,
            rng.below(20) as i64,
            ("reviewHeld", json!({"participation": "PN1"})),
        );
        d = add_days(d, 150 + rng.below(60) as i64);
    }
}

/// Visits, about every six weeks.
fn visits(rng: &mut Rng, w: &mut Writer, period: &Period<'_>) {
    let mut d = add_days(period.admitted, 5 + rng.below(5) as i64);
    while d < period.last_day {
        w.event(
            period.child,
            d,
            rng.below(7) as i64,
            ("visitMade", json!({"seenAlone": rng.chance(60)})),
        );
        d = add_days(d, 30 + rng.below(25) as i64);
    }
}

/// An interim care order (C1) of a stay over four months becomes a full care order (C2).
fn legal_status_change(rng: &mut Rng, w: &mut Writer, period: &Period<'_>) {
    if period.status == "C1" && period.stay > 120 {
        let on = add_days(period.admitted, 90 + rng.below(60) as i64);
        if on < period.last_day {
            w.event(
                period.child,
                on,
                rng.below(30) as i64,
                ("legalStatusChanged", json!({"legalStatus": "C2"})),
            );
        }
    }
}

/// Half the stays over 200 days move placement once.
fn placement_move(rng: &mut Rng, w: &mut Writer, period: &Period<'_>) {
    if period.stay > 200 && rng.chance(50) {
        let on = add_days(
            period.admitted,
            60 + rng.below(period.stay as u64 - 60) as i64,
        );
        if on < period.last_day {
            let to = rng.pick(&[("U6", 50), ("U4", 20), ("K2", 20), ("U3", 10)]);
            w.event(
                period.child,
                on,
                rng.below(14) as i64,
                (
                    "placementChanged",
                    json!({"placement": {"type": to, "provider": "PR1"}, "reason": "CARPL"}),
                ),
            );
        }
    }
}

/// The end of the period of care, if it falls within the sample.
fn discharge(rng: &mut Rng, w: &mut Writer, period: &Period<'_>) {
    if period.ends <= SAMPLE_END {
        let reason = rng.pick(&[
            ("E4A", 30),
            ("E13", 15),
            ("E11", 8),
            ("E45", 6),
            ("E41", 5),
            ("E5", 10),
            ("E17", 8),
            ("E8", 18),
        ]);
        w.event(
            period.child,
            period.ends,
            rng.below(25) as i64,
            ("periodOfCareEnded", json!({"reason": reason})),
        );
    }
}

/// A re-sent event (absorbed), a discharge recorded in error, retracted and re-entered.
fn resent_and_retracted(w: &mut Writer) {
    if let Some(first) = w.lines.get(1).cloned() {
        w.lines.push(first);
    }
    let wrong = w.event(
        "C00007",
        date!(2018 - 05 - 02),
        1,
        ("periodOfCareEnded", json!({"reason": "E8"})),
    );
    w.event(
        "C00007",
        date!(2018 - 05 - 03),
        0,
        (
            "eventRetracted",
            json!({"retractedEventId": wrong, "reason": "wrong child"}),
        ),
    );
}

/// Invalid events: each must be refused with its own reason.
fn invalid_events(w: &mut Writer) {
    w.event(
        "C00008",
        date!(2018 - 05 - 10),
        1,
        (
            "placementChanged",
            json!({"placement": {"type": "U9", "provider": "PR1"}}),
        ),
    );
    w.event(
        "C00009",
        date!(2018 - 05 - 10),
        -3,
        ("reviewHeld", json!({})),
    );
    w.lines.push(
        json!({"eventId": "S999999", "la": "372", "childId": "C00010", "occurredOn": "2018-02-30", "visitMade": {}})
            .to_string(),
    );
}
