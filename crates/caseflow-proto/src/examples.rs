//! Example events for tests: one of every payload, in the event contract's JSON, on fixed
//! subjects and times. Behind the `examples` feature (and in this crate's own tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use caseflow_domain::{EntityKind, Event, Id, La, Subject, Timestamp};
use time::macros::datetime;

use EntityKind::{Child, Household, Worker};

/// One example of every payload, in the contract's order, with the kind of subject it is for.
pub const EVERY_PAYLOAD: &[(EntityKind, &str)] = &[
    (
        Child,
        r#""childRegistered":{"dateOfBirth":"2012-03-01","sex":"F"}"#,
    ),
    (
        Child,
        r#""periodOfCareStarted":{"legalStatus":"C1","placement":{"type":"U4","provider":"PR1","carerId":"H0042","inArea":true},"categoryOfNeed":"N1"}"#,
    ),
    (
        Child,
        r#""placementChanged":{"placement":{"type":"K2","provider":"PR4","inArea":false},"reason":"CARPL","sameCarer":true}"#,
    ),
    (Child, r#""legalStatusChanged":{"legalStatus":"E1"}"#),
    (Child, r#""periodOfCareEnded":{"reason":"E11"}"#),
    (Child, r#""reviewHeld":{"participation":"PN1"}"#),
    (Child, r#""visitMade":{"seenAlone":false}"#),
    (Child, r#""carePlanRecorded":{}"#),
    (Child, r#""healthAssessmentCompleted":{"kind":"REVIEW"}"#),
    (Child, r#""dentalCheckCompleted":{}"#),
    (Child, r#""pepRecorded":{}"#),
    (Child, r#""permanenceMatchRecorded":{}"#),
    (Child, r#""adoptionDecisionRecorded":{}"#),
    (Child, r#""adopterMatchRecorded":{}"#),
    (Child, r#""adoptionDecisionReversed":{"reason":"RD3"}"#),
    (Child, r#""pathwayPlanRecorded":{}"#),
    (
        Child,
        r#""careLeaverContactRecorded":{"inTouch":"YES","activity":"F2","accommodation":"E1"}"#,
    ),
    (Child, r#""careLeaverSupportExtended":{}"#),
    (Child, r#""careLeaverSupportEnded":{}"#),
    (Child, r#""caseAllocated":{"workerId":"W007"}"#),
    (
        Child,
        r#""eventRetracted":{"retractedEventId":"E001","reason":"wrong child"}"#,
    ),
    (
        Household,
        r#""fosterCarerApproved":{"places":2,"connected":true}"#,
    ),
    (
        Household,
        r#""fosterCarerDeregistered":{"reason":"retired"}"#,
    ),
    (
        Worker,
        r#""socialWorkerJoined":{"team":"North","fte":0.8,"qualified":true,"asye":true}"#,
    ),
    (
        Worker,
        r#""socialWorkerChanged":{"team":"South","fte":0.5,"agency":false}"#,
    ),
    (Worker, r#""socialWorkerLeft":{}"#),
];

pub fn subject(kind: EntityKind) -> Subject {
    let id = match kind {
        EntityKind::Child => "C0001234",
        EntityKind::Household => "H0042",
        EntityKind::Worker => "W007",
    };
    Subject::new(La::parse("372").unwrap(), kind, Id::parse(id).unwrap())
}

pub fn log_time() -> Timestamp {
    Timestamp::from_offset(datetime!(2024-06-01 0:00 UTC))
}

/// A canonical event (as `event_to_json` renders it) on `kind`'s subject carrying `payload`.
pub fn sample(kind: EntityKind, n: usize, payload: &str) -> String {
    let s = subject(kind);
    format!(
        r#"{{"eventId":"E{n:03}","la":"372","{}":"{}","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,{payload}}}"#,
        kind.id_field(),
        s.id
    )
}

/// [`EVERY_PAYLOAD`] as validated events (ids `E001`, `E002`, ...), as the projector stores
/// them.
pub fn every_payload_event() -> Vec<Event> {
    EVERY_PAYLOAD
        .iter()
        .enumerate()
        .map(|(n, (kind, payload))| {
            let text = sample(*kind, n + 1, payload);
            crate::decode_event(text.as_bytes(), Some("application/json"))
                .expect("an example decodes")
                .validate(&subject(*kind), log_time())
                .expect("an example is valid")
        })
        .collect()
}
