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

/// The sample as JSON lines.
pub fn sample_events() -> Vec<String> {
    let mut rng = Rng(372);
    let mut w = Writer {
        lines: Vec::new(),
        n: 0,
    };
    let start = date!(2015 - 04 - 01);
    let span = days_between(start, SAMPLE_END);
    for c in 0..160 {
        let child = format!("C{:05}", c + 1);
        let admitted = add_days(start, rng.below(span as u64) as i64);
        let age_years = rng.pick(&[("0", 12), ("2", 15), ("7", 18), ("12", 35), ("16", 20)]);
        let age: i64 = age_years.parse().unwrap_or(0);
        let born = add_days(admitted, -(age * 365 + rng.below(300) as i64 + 20));
        let sex = if rng.chance(55) { "M" } else { "F" };
        w.event(
            &child,
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
        w.event(&child, admitted, rng.below(10) as i64, (
            "periodOfCareStarted",
            json!({"legalStatus": status, "categoryOfNeed": "N1",
                   "placement": {"type": placement, "provider": provider, "carerId": format!("H{:04}", rng.below(150))}}),
        ));
        // Stays: many short, some for years; some still open at the end of the sample.
        let stay = match rng.below(10) {
            0..=3 => 20 + rng.below(150),
            4..=6 => 150 + rng.below(500),
            _ => 600 + rng.below(1200),
        } as i64;
        let ends = add_days(admitted, stay);
        let last_day = ends.min(SAMPLE_END);
        // reviews (first within 20 working days, roughly), visits every ~6 weeks
        let mut d = add_days(admitted, 18 + rng.below(14) as i64);
        while d < last_day {
            w.event(
                &child,
                d,
                rng.below(20) as i64,
                ("reviewHeld", json!({"participation": "PN1"})),
            );
            d = add_days(d, 150 + rng.below(60) as i64);
        }
        let mut d = add_days(admitted, 5 + rng.below(5) as i64);
        while d < last_day {
            w.event(
                &child,
                d,
                rng.below(7) as i64,
                ("visitMade", json!({"seenAlone": rng.chance(60)})),
            );
            d = add_days(d, 30 + rng.below(25) as i64);
        }
        if status == "C1" && stay > 120 {
            let on = add_days(admitted, 90 + rng.below(60) as i64);
            if on < last_day {
                w.event(
                    &child,
                    on,
                    rng.below(30) as i64,
                    ("legalStatusChanged", json!({"legalStatus": "C2"})),
                );
            }
        }
        if stay > 200 && rng.chance(50) {
            let on = add_days(admitted, 60 + rng.below(stay as u64 - 60) as i64);
            if on < last_day {
                let to = rng.pick(&[("U6", 50), ("U4", 20), ("K2", 20), ("U3", 10)]);
                w.event(
                    &child,
                    on,
                    rng.below(14) as i64,
                    (
                        "placementChanged",
                        json!({"placement": {"type": to, "provider": "PR1"}, "reason": "CARPL"}),
                    ),
                );
            }
        }
        if ends <= SAMPLE_END {
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
                &child,
                ends,
                rng.below(25) as i64,
                ("periodOfCareEnded", json!({"reason": reason})),
            );
        }
    }
    // A re-sent event (absorbed), a discharge recorded in error, retracted and re-entered.
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
    // Invalid events: each must be refused with its own reason.
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
    w.lines
}
