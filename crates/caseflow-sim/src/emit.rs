//! Events as domain values and JSON lines, and the mess of a real feed: late recording,
//! wrong entries retracted and entered again, garbled lines, re-sends and arrival out of order.
//!
//! Every event is built once as a [`caseflow_domain::Event`] and its JSON line is rendered from
//! that value, so the two always say the same thing.

use std::collections::{HashMap, HashSet};

use rand::Rng;
use time::{Date, Duration, macros::date};

use caseflow_domain::calendar::{add_days, format_day};
use caseflow_domain::codes::{LegalStatus, PlacementType, ReasonCeased};
use caseflow_domain::{EntityKind, Event, Id, La, Payload, Placement, Subject, Timestamp};

use crate::SimEvent;
use crate::config::SimConfig;
use crate::random::{Draw, SimRng, Stream, stream};

/// A line waiting for its place in the arrival order.
struct Record {
    /// Nanoseconds of `recordedAt` (or the time it is re-sent), then creation order.
    at: i64,
    seq: u64,
    subject: String,
    json: String,
    event: Option<Event>,
    /// For a retraction: the event it retracts (it must arrive after it).
    retracts: Option<String>,
}

/// Builds events and their lines, with the configured mess.
pub(crate) struct Emitter<'a> {
    config: &'a SimConfig,
    la: &'a str,
    la_code: La,
    rng: SimRng,
    records: Vec<Record>,
    seq: u64,
}

impl<'a> Emitter<'a> {
    pub fn new(config: &'a SimConfig, la: &'a str, la_code: La) -> Emitter<'a> {
        Emitter {
            config,
            la,
            la_code,
            rng: stream(config.seed, la, Stream::Mess, 0),
            records: Vec::new(),
            seq: 0,
        }
    }

    /// Emits one event of the clean history (with whatever mess befalls it). `legacy_sex`
    /// writes a `childRegistered` sex as the legacy `1`/`2`.
    pub fn emit(
        &mut self,
        kind: EntityKind,
        id: &str,
        on: Date,
        payload: Payload,
        legacy_sex: bool,
    ) {
        let Some(entity) = Id::parse(id) else {
            return;
        };
        let subject = Subject::new(self.la_code, kind, entity);
        let mess = &self.config.mess;
        let lag = if self.rng.chance(mess.late_percent / 100.0) {
            let u: f64 = self.rng.uniform(0.0, 1.0);
            1 + ((mess.late_max_days.max(1) - 1) as f64 * u * u) as i64
        } else {
            0
        };
        let at = self.working_time(add_days(on, lag));
        let mut event = Event {
            id: self.ulid(at),
            subject,
            occurred_on: on,
            recorded_at: at,
            source: Some(
                match kind {
                    EntityKind::Child => "lcs",
                    EntityKind::Household => "fostering",
                    EntityKind::Worker => "hr",
                }
                .to_owned(),
            ),
            schema_version: 1,
            payload,
        };

        // Entered wrongly first, then retracted and entered again correctly.
        let retractable = kind == EntityKind::Child
            && !matches!(
                event.payload,
                Payload::EventRetracted { .. } | Payload::ChildRegistered { .. }
            );
        if retractable && self.rng.chance(mess.retraction_percent / 100.0) {
            let delay = self.rng.int(1, 30);
            let noticed = self.working_time(add_days(at.day(), delay));
            if noticed.day() <= self.config.end
                && let Some(wrong) = self.wrong_version(&event)
            {
                let retraction = Event {
                    id: self.ulid(noticed),
                    subject: event.subject.clone(),
                    occurred_on: noticed.day(),
                    recorded_at: noticed,
                    source: event.source.clone(),
                    schema_version: 1,
                    payload: Payload::EventRetracted {
                        retracted_event_id: wrong.id.clone(),
                        reason: Some("recorded in error".to_owned()),
                    },
                };
                let target = wrong.id.as_str().to_owned();
                self.push(wrong, false, None);
                self.push(retraction, false, Some(target));
                event.recorded_at = Timestamp(noticed.0 + self.rng.int(60, 3600) * 1_000_000_000);
                event.id = self.ulid(event.recorded_at);
            }
        }

        // A garbled line, sent just before the good one.
        if self.rng.chance(mess.invalid_percent / 100.0) {
            let json = self.garble(&event, legacy_sex);
            let seq = self.next_seq();
            self.records.push(Record {
                at: event.recorded_at.0 - 1_000_000_000,
                seq,
                subject: event.subject.to_string(),
                json,
                event: None,
                retracts: None,
            });
        }

        let duplicate = self.rng.chance(mess.duplicate_percent / 100.0);
        let resent_at = event.recorded_at.0 + self.rng.int(1, 60) * 86_400 * 1_000_000_000;
        let copy = duplicate.then(|| event.clone());
        self.push(event, legacy_sex, None);
        if let Some(copy) = copy {
            let json = render(&copy, legacy_sex);
            let seq = self.next_seq();
            self.records.push(Record {
                at: resent_at,
                seq,
                subject: copy.subject.to_string(),
                json,
                event: Some(copy),
                retracts: None,
            });
        }
    }

    fn push(&mut self, event: Event, legacy_sex: bool, retracts: Option<String>) {
        let seq = self.next_seq();
        self.records.push(Record {
            at: event.recorded_at.0,
            seq,
            subject: event.subject.to_string(),
            json: render(&event, legacy_sex),
            event: Some(event),
            retracts,
        });
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A moment in working hours on `day`.
    fn working_time(&mut self, day: Date) -> Timestamp {
        let secs = self.rng.int(8 * 3600, 18 * 3600);
        let t = day.midnight().assume_utc() + Duration::seconds(secs);
        Timestamp::from_offset(t)
    }

    /// A ULID: 48 bits of milliseconds and 80 random bits, Crockford base 32.
    fn ulid(&mut self, at: Timestamp) -> Id {
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let millis = (at.0 / 1_000_000).max(0) as u128 & ((1 << 48) - 1);
        let random =
            (u128::from(self.rng.r#gen::<u64>()) << 16) | u128::from(self.rng.r#gen::<u16>());
        let value = (millis << 80) | random;
        let text: String = (0..26)
            .rev()
            .map(|i| char::from(ALPHABET[((value >> (i * 5)) & 31) as usize]))
            .collect();
        // Invariant: 26 characters of the Crockford alphabet are a valid id.
        #[allow(clippy::expect_used)]
        Id::parse(&text).expect("a ULID is a valid id")
    }

    /// What a wrong entry of `event` looked like: another day (within two weeks before), or
    /// for coded payloads sometimes another code. `None` when no wrong version fits.
    fn wrong_version(&mut self, event: &Event) -> Option<Event> {
        let mut wrong = event.clone();
        wrong.id = self.ulid(event.recorded_at);
        let swap_code = self.rng.chance(0.5);
        match &mut wrong.payload {
            Payload::PeriodOfCareEnded { reason } if swap_code => {
                *reason = if *reason == ReasonCeased::E8 {
                    ReasonCeased::E13
                } else {
                    ReasonCeased::E8
                };
                return Some(wrong);
            }
            Payload::LegalStatusChanged { legal_status } if swap_code => {
                *legal_status = if *legal_status == LegalStatus::C2 {
                    LegalStatus::C1
                } else {
                    LegalStatus::C2
                };
                return Some(wrong);
            }
            _ => {}
        }
        let day = add_days(event.occurred_on, -self.rng.int(1, 14));
        let placement_ok = |p: &Placement| p.kind.valid_on(day);
        let ok = day >= date!(1950 - 01 - 01)
            && match &wrong.payload {
                Payload::PeriodOfCareStarted { placement, .. }
                | Payload::PlacementChanged { placement, .. } => placement_ok(placement),
                _ => true,
            };
        ok.then(|| {
            wrong.occurred_on = day;
            wrong
        })
    }

    /// A line caseflow must reject, made from `event`.
    fn garble(&mut self, event: &Event, legacy_sex: bool) -> String {
        let mut line = Line::of(event, legacy_sex);
        match self.rng.int(0, 10) {
            0 => {
                let full = line.render();
                let cut = full.len() / 2;
                return full[..cut].to_owned();
            }
            1 => line.occurred_on = format!("{}-02-30", event.occurred_on.year()),
            2 => line.occurred_on = format_day(add_days(event.recorded_at.day(), 2)),
            // Invalid however the subject is found (from the NATS subject or the envelope).
            3 => line.la = self.la.chars().take(2).collect(),
            4 => line.id.push_str(".1"),
            5 => line.payloads.clear(),
            6 => {
                let extra = if matches!(event.payload, Payload::PepRecorded) {
                    "dentalCheckCompleted"
                } else {
                    "pepRecorded"
                };
                line.payloads.push((extra, "{}".to_owned()));
            }
            7 => line.event_id = "not a valid id!".into(),
            8 => match bad_code(&event.payload, event.occurred_on) {
                Some(body) => line.payloads = vec![(event.payload.name(), body)],
                None => line.occurred_on = format!("{}-13-01", event.occurred_on.year()),
            },
            9 => line.occurred_on = "1949-12-31".into(),
            _ => line.occurred_on.clear(),
        }
        line.render()
    }

    /// The events in arrival order: by `recordedAt`, moved within the shuffle window,
    /// re-sends later, each retraction after what it retracts.
    pub fn arrive(mut self) -> Vec<SimEvent> {
        let mut records = std::mem::take(&mut self.records);
        records.sort_by_key(|r| (r.at, r.seq));
        let window = self.config.mess.shuffle_window;
        if window > 0 {
            let mut keyed: Vec<(usize, usize, Record)> = records
                .into_iter()
                .enumerate()
                .map(|(i, r)| (i + self.rng.int(0, window as i64) as usize, i, r))
                .collect();
            keyed.sort_by_key(|(k, i, _)| (*k, *i));
            records = keyed.into_iter().map(|(_, _, r)| r).collect();
        }
        let targets: HashSet<String> = records.iter().filter_map(|r| r.retracts.clone()).collect();
        let mut seen: HashSet<String> = HashSet::new();
        let mut waiting: HashMap<String, Vec<Record>> = HashMap::new();
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            if let Some(target) = &r.retracts
                && !seen.contains(target)
            {
                waiting.entry(target.clone()).or_default().push(r);
                continue;
            }
            let id = r
                .event
                .as_ref()
                .map(|e| e.id.as_str().to_owned())
                .filter(|id| targets.contains(id));
            out.push(r);
            if let Some(id) = id {
                if let Some(later) = waiting.remove(&id) {
                    out.extend(later);
                }
                seen.insert(id);
            }
        }
        // Retractions of events that never arrived (none are made) keep their place at the end.
        let mut rest: Vec<Record> = waiting.into_values().flatten().collect();
        rest.sort_by_key(|r| (r.at, r.seq));
        out.extend(rest);
        out.into_iter()
            .map(|r| SimEvent {
                subject: r.subject,
                json: r.json,
                valid: r.event.is_some(),
                event: r.event,
            })
            .collect()
    }
}

/// A JSON line in parts, so that it can be garbled.
struct Line {
    event_id: String,
    la: String,
    id_field: &'static str,
    id: String,
    occurred_on: String,
    recorded_at: String,
    source: Option<String>,
    payloads: Vec<(&'static str, String)>,
}

impl Line {
    fn of(event: &Event, legacy_sex: bool) -> Line {
        Line {
            event_id: event.id.as_str().to_owned(),
            la: event.subject.la.as_str().to_owned(),
            id_field: event.subject.kind.id_field(),
            id: event.subject.id.as_str().to_owned(),
            occurred_on: format_day(event.occurred_on),
            recorded_at: event.recorded_at.to_rfc3339(),
            source: event.source.clone(),
            payloads: vec![(event.payload.name(), body(&event.payload, legacy_sex))],
        }
    }

    fn render(&self) -> String {
        let mut s = String::with_capacity(256);
        s.push('{');
        let field = |s: &mut String, name: &str, value: &str| {
            if s.len() > 1 {
                s.push(',');
            }
            s.push('"');
            s.push_str(name);
            s.push_str("\":");
            s.push_str(value);
        };
        field(&mut s, "eventId", &quote(&self.event_id));
        field(&mut s, "la", &quote(&self.la));
        field(&mut s, self.id_field, &quote(&self.id));
        if !self.occurred_on.is_empty() {
            field(&mut s, "occurredOn", &quote(&self.occurred_on));
        }
        field(&mut s, "recordedAt", &quote(&self.recorded_at));
        if let Some(source) = &self.source {
            field(&mut s, "source", &quote(source));
        }
        for (name, body) in &self.payloads {
            field(&mut s, name, body);
        }
        s.push('}');
        s
    }
}

/// The JSON line of an event (proto3 JSON names, `recordedAt` included).
pub(crate) fn render(event: &Event, legacy_sex: bool) -> String {
    Line::of(event, legacy_sex).render()
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON object from (name, already-rendered value) pairs.
fn object(fields: &[(&str, Option<String>)]) -> String {
    let mut s = String::from("{");
    for (name, value) in fields {
        if let Some(v) = value {
            if s.len() > 1 {
                s.push(',');
            }
            s.push('"');
            s.push_str(name);
            s.push_str("\":");
            s.push_str(v);
        }
    }
    s.push('}');
    s
}

fn code(c: &str) -> Option<String> {
    Some(quote(c))
}

fn flag(b: bool) -> Option<String> {
    Some(if b { "true" } else { "false" }.to_owned())
}

fn number(x: f64) -> Option<String> {
    Some(serde_json::to_string(&x).unwrap_or_else(|_| "1.0".to_owned()))
}

fn placement_json(p: &Placement) -> Option<String> {
    Some(object(&[
        ("type", code(p.kind.code())),
        ("provider", p.provider.and_then(|v| code(v.code()))),
        (
            "carerId",
            p.carer_id.as_ref().and_then(|c| code(c.as_str())),
        ),
        ("inArea", p.in_area.and_then(flag)),
    ]))
}

/// The payload's JSON object.
fn body(payload: &Payload, legacy_sex: bool) -> String {
    use caseflow_domain::codes::Sex;
    match payload {
        Payload::ChildRegistered { date_of_birth, sex } => object(&[
            ("dateOfBirth", code(&format_day(*date_of_birth))),
            (
                "sex",
                sex.and_then(|s| match (legacy_sex, s) {
                    (true, Sex::Male) => code("1"),
                    (true, Sex::Female) => code("2"),
                    _ => code(s.code()),
                }),
            ),
        ]),
        Payload::PeriodOfCareStarted {
            legal_status,
            placement,
            category_of_need,
        } => object(&[
            ("legalStatus", code(legal_status.code())),
            ("placement", placement_json(placement)),
            (
                "categoryOfNeed",
                category_of_need.and_then(|c| code(c.code())),
            ),
        ]),
        Payload::PlacementChanged {
            placement,
            reason,
            same_carer,
        } => object(&[
            ("placement", placement_json(placement)),
            ("reason", reason.and_then(|r| code(r.code()))),
            ("sameCarer", same_carer.then_some("true".to_owned())),
        ]),
        Payload::LegalStatusChanged { legal_status } => {
            object(&[("legalStatus", code(legal_status.code()))])
        }
        Payload::PeriodOfCareEnded { reason } => object(&[("reason", code(reason.code()))]),
        Payload::ReviewHeld { participation } => {
            object(&[("participation", participation.and_then(|p| code(p.code())))])
        }
        Payload::VisitMade { seen_alone } => object(&[("seenAlone", seen_alone.and_then(flag))]),
        Payload::HealthAssessmentCompleted { kind } => object(&[("kind", code(kind.code()))]),
        Payload::AdoptionDecisionReversed { reason } => object(&[("reason", code(reason.code()))]),
        Payload::CareLeaverContactRecorded {
            in_touch,
            activity,
            accommodation,
        } => object(&[
            ("inTouch", code(in_touch.code())),
            ("activity", code(activity.code())),
            ("accommodation", code(accommodation.code())),
        ]),
        Payload::CaseAllocated { worker_id } => object(&[("workerId", code(worker_id.as_str()))]),
        Payload::EventRetracted {
            retracted_event_id,
            reason,
        } => object(&[
            ("retractedEventId", code(retracted_event_id.as_str())),
            ("reason", reason.as_deref().map(quote)),
        ]),
        Payload::FosterCarerApproved { places, connected } => object(&[
            ("places", Some(places.to_string())),
            ("connected", flag(*connected)),
        ]),
        Payload::FosterCarerDeregistered { reason } => {
            object(&[("reason", reason.as_deref().map(quote))])
        }
        Payload::SocialWorkerJoined {
            team,
            fte,
            qualified,
            agency,
            asye,
        } => object(&[
            ("team", Some(quote(team))),
            ("fte", number(*fte)),
            ("qualified", flag(*qualified)),
            ("agency", flag(*agency)),
            ("asye", flag(*asye)),
        ]),
        Payload::SocialWorkerChanged {
            team,
            fte,
            qualified,
            agency,
            asye,
        } => object(&[
            ("team", team.as_deref().map(quote)),
            ("fte", fte.and_then(number)),
            ("qualified", qualified.and_then(flag)),
            ("agency", agency.and_then(flag)),
            ("asye", asye.and_then(flag)),
        ]),
        Payload::CarePlanRecorded
        | Payload::DentalCheckCompleted
        | Payload::PepRecorded
        | Payload::PermanenceMatchRecorded
        | Payload::AdoptionDecisionRecorded
        | Payload::AdopterMatchRecorded
        | Payload::PathwayPlanRecorded
        | Payload::CareLeaverSupportExtended
        | Payload::CareLeaverSupportEnded
        | Payload::SocialWorkerLeft => "{}".to_owned(),
    }
}

/// The payload with a code that is not in its list (or not valid on the day, or a number out
/// of range), for payloads that have one.
fn bad_code(payload: &Payload, on: Date) -> Option<String> {
    let with = |p: &Placement, kind: &str| {
        object(&[
            ("type", code(kind)),
            ("provider", p.provider.and_then(|v| code(v.code()))),
        ])
    };
    Some(match payload {
        Payload::ChildRegistered { date_of_birth, .. } => object(&[
            ("dateOfBirth", code(&format_day(*date_of_birth))),
            ("sex", code("X")),
        ]),
        Payload::PeriodOfCareStarted { placement, .. } => object(&[
            ("legalStatus", code("C3")),
            ("placement", Some(with(placement, placement.kind.code()))),
        ]),
        Payload::PlacementChanged { placement, .. } => {
            // Q2 ended on 31 March 2015: after it, not valid on the day.
            let kind = if on >= date!(2015 - 04 - 01) {
                "Q2"
            } else {
                "U9"
            };
            object(&[("placement", Some(with(placement, kind)))])
        }
        Payload::LegalStatusChanged { .. } => object(&[("legalStatus", code("C9"))]),
        Payload::PeriodOfCareEnded { .. } => object(&[("reason", code("X1"))]),
        Payload::ReviewHeld { .. } => object(&[("participation", code("PN9"))]),
        Payload::HealthAssessmentCompleted { .. } => object(&[("kind", code("ANNUAL"))]),
        Payload::AdoptionDecisionReversed { .. } => object(&[("reason", code("RD9"))]),
        Payload::CareLeaverContactRecorded { .. } => object(&[
            ("inTouch", code("YES")),
            ("activity", code("F2")),
            ("accommodation", code("S1")),
        ]),
        Payload::FosterCarerApproved { connected, .. } => object(&[
            ("places", Some("12".to_owned())),
            ("connected", flag(*connected)),
        ]),
        Payload::SocialWorkerJoined { team, .. } => object(&[
            ("team", Some(quote(team))),
            ("fte", Some("1.5".to_owned())),
            ("qualified", flag(true)),
        ]),
        _ => return None,
    })
}

/// Temporary placements and Z1 carry no provider (EVENTS.md): the placement of a spell.
pub(crate) fn placement(
    kind: PlacementType,
    provider: Option<caseflow_domain::codes::Provider>,
    carer: Option<&str>,
    in_area: Option<bool>,
) -> Placement {
    let bare = kind.has_no_provider();
    Placement {
        kind,
        provider: if bare { None } else { provider },
        carer_id: if kind.is_temporary() {
            None
        } else {
            carer.and_then(Id::parse)
        },
        in_area: if kind.is_temporary() { None } else { in_area },
    }
}
