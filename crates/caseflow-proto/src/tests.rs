//! Snapshot and round-trip tests of the event codec and conversions.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use caseflow_domain::{EntityKind, EventDraft};
use expect_test::{Expect, expect};
use prost::Message as _;
use serde_json::Value;

use crate::codec::{PAYLOADS, payload_fields};
use crate::examples::{log_time, sample, subject};
use crate::{Encoding, decode_event, event_to_json, event_to_proto, sniff, v1, v2};

fn json(s: &str) -> EventDraft {
    decode_event(s.as_bytes(), Some("application/json")).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_payload_round_trips() {
    let payloads = crate::examples::EVERY_PAYLOAD.iter().copied();
    let mut names = Vec::new();
    let mut out = String::new();
    for (n, (kind, payload)) in payloads.enumerate() {
        let text = sample(kind, n + 1, payload);
        let draft = json(&text);
        let event = draft.clone().validate(&subject(kind), log_time()).unwrap();
        let proto = event_to_proto(&event);
        let rendered = event_to_json(&proto);
        let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        assert_eq!(parse(&rendered), parse(&text), "{payload}");
        // The protobuf encoding of the same event decodes to the same draft.
        let wire: v1::Event = serde_json::from_str(&text).unwrap();
        assert_eq!(wire, proto);
        let bytes = wire.encode_to_vec();
        assert_eq!(decode_event(&bytes, None).unwrap(), draft, "{payload}");
        let name = event.payload.name();
        assert_eq!(payload_fields(&bytes), [name]);
        names.push(name);
        writeln!(out, "{name}\n  {rendered}\n  {}", hex(&bytes)).unwrap();
    }
    let known: Vec<&str> = PAYLOADS.iter().map(|(_, name)| *name).collect();
    assert_eq!(names, known);
    expect![[r#"
        childRegistered
          {"eventId":"E001","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"childRegistered":{"dateOfBirth":"2012-03-01","sex":"F"}}
          0a044530303112033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801a2010f0a0a323031322d30332d3031120146
        periodOfCareStarted
          {"eventId":"E002","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"periodOfCareStarted":{"legalStatus":"C1","placement":{"type":"U4","provider":"PR1","carerId":"H0042","inArea":true},"categoryOfNeed":"N1"}}
          0a044530303212033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801aa011c0a02433112120a02553412035052311a05483030343220011a024e31
        placementChanged
          {"eventId":"E003","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"placementChanged":{"placement":{"type":"K2","provider":"PR4","inArea":false},"reason":"CARPL","sameCarer":true}}
          0a044530303312033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801b201160a0b0a024b32120350523420001205434152504c1801
        legalStatusChanged
          {"eventId":"E004","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"legalStatusChanged":{"legalStatus":"E1"}}
          0a044530303412033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801ba01040a024531
        periodOfCareEnded
          {"eventId":"E005","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"periodOfCareEnded":{"reason":"E11"}}
          0a044530303512033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801c201050a03453131
        reviewHeld
          {"eventId":"E006","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"reviewHeld":{"participation":"PN1"}}
          0a044530303612033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801ca01050a03504e31
        visitMade
          {"eventId":"E007","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"visitMade":{"seenAlone":false}}
          0a044530303712033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801d201020800
        carePlanRecorded
          {"eventId":"E008","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"carePlanRecorded":{}}
          0a044530303812033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801da0100
        healthAssessmentCompleted
          {"eventId":"E009","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"healthAssessmentCompleted":{"kind":"REVIEW"}}
          0a044530303912033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801e201080a06524556494557
        dentalCheckCompleted
          {"eventId":"E010","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"dentalCheckCompleted":{}}
          0a044530313012033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801ea0100
        pepRecorded
          {"eventId":"E011","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"pepRecorded":{}}
          0a044530313112033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801f20100
        permanenceMatchRecorded
          {"eventId":"E012","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"permanenceMatchRecorded":{}}
          0a044530313212033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801fa0100
        adoptionDecisionRecorded
          {"eventId":"E013","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"adoptionDecisionRecorded":{}}
          0a044530313312033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801820200
        adopterMatchRecorded
          {"eventId":"E014","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"adopterMatchRecorded":{}}
          0a044530313412033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c637348018a0200
        adoptionDecisionReversed
          {"eventId":"E015","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"adoptionDecisionReversed":{"reason":"RD3"}}
          0a044530313512033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c637348019202050a03524433
        pathwayPlanRecorded
          {"eventId":"E016","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"pathwayPlanRecorded":{}}
          0a044530313612033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c637348019a0200
        careLeaverContactRecorded
          {"eventId":"E017","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"careLeaverContactRecorded":{"inTouch":"YES","activity":"F2","accommodation":"E1"}}
          0a044530313712033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801a2020d0a03594553120246321a024531
        careLeaverSupportExtended
          {"eventId":"E018","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"careLeaverSupportExtended":{}}
          0a044530313812033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801aa0200
        careLeaverSupportEnded
          {"eventId":"E019","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"careLeaverSupportEnded":{}}
          0a044530313912033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801b20200
        caseAllocated
          {"eventId":"E020","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"caseAllocated":{"workerId":"W007"}}
          0a044530323012033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801ba02060a0457303037
        eventRetracted
          {"eventId":"E021","la":"372","childId":"C0001234","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"eventRetracted":{"retractedEventId":"E001","reason":"wrong child"}}
          0a044530323112033337321a084330303031323334320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801c202130a0445303031120b77726f6e67206368696c64
        fosterCarerApproved
          {"eventId":"E022","la":"372","householdId":"H0042","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"fosterCarerApproved":{"places":2,"connected":true}}
          0a0445303232120333373222054830303432320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c6373480192030408021001
        fosterCarerDeregistered
          {"eventId":"E023","la":"372","householdId":"H0042","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"fosterCarerDeregistered":{"reason":"retired"}}
          0a0445303233120333373222054830303432320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c637348019a03090a0772657469726564
        socialWorkerJoined
          {"eventId":"E024","la":"372","workerId":"W007","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"socialWorkerJoined":{"team":"North","fte":0.8,"qualified":true,"asye":true}}
          0a044530323412033337322a0457303037320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801e203140a054e6f727468119a9999999999e93f18012801
        socialWorkerChanged
          {"eventId":"E025","la":"372","workerId":"W007","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"socialWorkerChanged":{"team":"South","fte":0.5,"agency":false}}
          0a044530323512033337322a0457303037320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801ea03120a05536f75746811000000000000e03f2000
        socialWorkerLeft
          {"eventId":"E026","la":"372","workerId":"W007","occurredOn":"2024-05-14","recordedAt":"2024-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"socialWorkerLeft":{}}
          0a044530323612033337322a0457303037320a323032342d30352d31343a14323032342d30352d31365430393a31323a30305a42036c63734801f20300
    "#]]
    .assert_eq(&out);
}

const CONTRACT_EXAMPLE: &str = r#"{"eventId":"01HZX3V1ZP6W2Q3K9E0M4B7R1A","la":"372","childId":"C0001234",
 "occurredOn":"2018-05-14","recordedAt":"2018-05-16T09:12:00Z","source":"lcs",
 "periodOfCareStarted":{"legalStatus":"C1","categoryOfNeed":"N1",
   "placement":{"type":"U4","provider":"PR1","carerId":"H0042"}}}"#;

#[test]
fn contract_example_decodes_and_validates() {
    let event = json(CONTRACT_EXAMPLE)
        .validate(&subject(EntityKind::Child), log_time())
        .unwrap();
    expect![[r#"{"eventId":"01HZX3V1ZP6W2Q3K9E0M4B7R1A","la":"372","childId":"C0001234","occurredOn":"2018-05-14","recordedAt":"2018-05-16T09:12:00Z","source":"lcs","schemaVersion":1,"periodOfCareStarted":{"legalStatus":"C1","placement":{"type":"U4","provider":"PR1","carerId":"H0042"},"categoryOfNeed":"N1"}}"#]]
    .assert_eq(&event_to_json(&event_to_proto(&event)));
}

#[test]
fn tolerant_json_forms_decode_to_the_same_draft() {
    let expected = json(CONTRACT_EXAMPLE);
    // Unknown fields (from newer publishers), at every level.
    let unknown = CONTRACT_EXAMPLE
        .replace(r#""la":"#, r#""future":{"x":[1,null]},"la":"#)
        .replace(r#""categoryOfNeed""#, r#""urgency":3,"categoryOfNeed""#)
        .replace(r#""carerId""#, r#""postcode":"n/a","carerId""#);
    // proto field names, which pbjson also accepts.
    let snake = r#"{"event_id":"01HZX3V1ZP6W2Q3K9E0M4B7R1A","la":"372","child_id":"C0001234",
        "occurred_on":"2018-05-14","recorded_at":"2018-05-16T09:12:00Z","source":"lcs",
        "period_of_care_started":{"legal_status":"C1","category_of_need":"N1",
        "placement":{"type":"U4","provider":"PR1","carer_id":"H0042"}}}"#;
    // `null` is the default value in proto3 JSON.
    let nulls = CONTRACT_EXAMPLE.replace(
        r#""la":"#,
        r#""householdId":null,"visitMade":null,"schemaVersion":null,"la":"#,
    );
    for text in [unknown.as_str(), snake, &nulls] {
        assert_eq!(json(text), expected, "{text}");
        // With no content type, sniffing finds JSON too.
        assert_eq!(decode_event(text.as_bytes(), None).unwrap(), expected);
    }
}

fn check_rejection(bytes: &[u8], content_type: Option<&str>, expect: Expect) {
    let rejection = decode_event(bytes, content_type).unwrap_err();
    expect.assert_eq(&rejection.to_string());
}

#[test]
fn rejections_are_precise() {
    let ct = Some("application/json");
    check_rejection(
        br#"{"a":"#,
        ct,
        expect!["undecodable: not valid JSON: EOF while parsing a value at line 1 column 5"],
    );
    check_rejection(b"[1,2]", ct, expect!["undecodable: not a JSON object"]);
    check_rejection(
        sample(
            EntityKind::Child,
            1,
            r#""carePlanRecorded":{},"la":"372","pepRecorded":{}"#,
        )
        .as_bytes(),
        ct,
        expect![
            "multiple_payloads: the event has 2 payloads (carePlanRecorded, pepRecorded); exactly one is allowed"
        ],
    );
    check_rejection(
        sample(
            EntityKind::Household,
            1,
            r#""fosterCarerApproved":{"places":"two"}"#,
        )
        .as_bytes(),
        ct,
        expect![[
            r#"invalid_field: fosterCarerApproved.places "two" is not of the field's JSON type: invalid digit found in string"#
        ]],
    );
    check_rejection(
        sample(
            EntityKind::Child,
            1,
            r#""periodOfCareStarted":{"legalStatus":"C1","placement":{"type":4}}"#,
        )
        .as_bytes(),
        ct,
        expect![
            "invalid_field: periodOfCareStarted.placement.type 4 is not of the field's JSON type: invalid type: integer `4`, expected a string"
        ],
    );
    check_rejection(
        br#"{"la":372,"eventId":"E1"}"#,
        ct,
        expect![
            "invalid_field: la 372 is not of the field's JSON type: invalid type: integer `372`, expected a string"
        ],
    );
    check_rejection(
        sample(EntityKind::Child, 1, r#""carePlanRecorded":true"#).as_bytes(),
        ct,
        expect![
            "invalid_field: carePlanRecorded true is not of the field's JSON type: invalid type: boolean `true`, expected struct caseflow.v1.CarePlanRecorded"
        ],
    );
    // An object where a string goes is named as the field, not as a member inside it.
    check_rejection(
        sample(
            EntityKind::Child,
            1,
            r#""childRegistered":{"dateOfBirth":{"a":1}}"#,
        )
        .as_bytes(),
        ct,
        expect![[
            r#"invalid_field: childRegistered.dateOfBirth {"a":1} is not of the field's JSON type: invalid type: map, expected a string"#
        ]],
    );
    // Nesting past the parser's limit is refused wherever it is, in unknown members too.
    check_rejection(
        sample(
            EntityKind::Child,
            1,
            &format!(
                r#""carePlanRecorded":{{"x":{}1{}}}"#,
                "[".repeat(129),
                "]".repeat(129)
            ),
        )
        .as_bytes(),
        ct,
        expect!["undecodable: not valid JSON: nested more than 128 levels deep"],
    );
    // A long value is quoted shortened, and so is the parser's error quoting it.
    check_rejection(
        sample(
            EntityKind::Child,
            1,
            &format!(r#""visitMade":{{"seenAlone":"{}"}}"#, "é".repeat(100_000)),
        )
        .as_bytes(),
        ct,
        expect![[
            r#"invalid_field: visitMade.seenAlone "ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé... is not of the field's JSON type: invalid type: string "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé..."#
        ]],
    );
    check_rejection(
        br#"{"la":"372","la":"373","pepRecorded":{}}"#,
        ct,
        expect!["undecodable: not a JSON Event: duplicate field `la` at line 1 column 16"],
    );
    check_rejection(
        &[0xde, 0xad, 0xbe, 0xef],
        None,
        expect![
            "undecodable: not a protobuf Event: failed to decode Protobuf message: invalid varint"
        ],
    );
    check_rejection(
        b"hello world",
        Some("application/protobuf"),
        expect![
            "undecodable: not a protobuf Event: failed to decode Protobuf message: unexpected end group tag"
        ],
    );
    // Protobuf keeps the last of two oneof fields; the contract rejects the event.
    let mut two = v1::Event {
        payload: Some(v1::event::Payload::PepRecorded(v1::PepRecorded {})),
        ..Default::default()
    }
    .encode_to_vec();
    two.extend(
        v1::Event {
            event_id: "E1".into(),
            payload: Some(v1::event::Payload::SocialWorkerLeft(
                v1::SocialWorkerLeft {},
            )),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    check_rejection(
        &two,
        None,
        expect![
            "multiple_payloads: the event has 2 payloads (pepRecorded, socialWorkerLeft); exactly one is allowed"
        ],
    );
}

#[test]
fn missing_payload_is_left_to_validation() {
    let draft =
        json(r#"{"eventId":"E1","la":"372","childId":"C0001234","occurredOn":"2024-05-14"}"#);
    assert_eq!(draft.payload, None);
    let rejection = draft
        .validate(&subject(EntityKind::Child), log_time())
        .unwrap_err();
    assert_eq!(
        rejection.reason,
        caseflow_domain::RejectionReason::MissingPayload
    );
}

#[test]
fn sniffs_content_type_then_first_byte() {
    use Encoding::{Json, Protobuf};
    let cases: [(Option<&str>, &[u8], Encoding); 8] = [
        (Some("application/json"), b"\x0a\x02E1", Json),
        (Some("application/json; charset=utf-8"), b"", Json),
        (Some("application/protobuf"), b"{}", Protobuf),
        (Some("Application/X-Protobuf"), b"{}", Protobuf),
        (None, b" \r\n\t{}", Json),
        (Some("text/plain"), b"{}", Json),
        (None, b"\x0a\x02E1", Protobuf),
        (None, b"", Protobuf),
    ];
    for (content_type, bytes, expected) in cases {
        assert_eq!(
            sniff(content_type, bytes),
            expected,
            "{content_type:?} {bytes:?}"
        );
    }
}

#[test]
fn descriptor_set_holds_both_files() {
    for file in ["caseflow/v1/events.proto", "caseflow/v2/service.proto"] {
        let found = crate::FILE_DESCRIPTOR_SET
            .windows(file.len())
            .any(|w| w == file.as_bytes());
        assert!(found, "{file}");
    }
}

/// The query API's enums in the proto3 JSON mapping: written by name, read by name or number,
/// left out when UNSPECIFIED; a name that is not the enum's is an error.
#[test]
fn query_enums_are_spelled_by_name_in_json() {
    let row = v2::ScorecardRow {
        indicator: Some(v2::IndicatorInfo {
            id: "6.8".into(),
            title: "% of children adopted".into(),
            polarity: v2::Polarity::High.into(),
            basis: v2::Basis::InMonth.into(),
            unit: v2::Unit::Percent.into(),
            unavailable: String::new(),
        }),
        direction: v2::Direction::Down.into(),
        judgement: v2::Judgement::Declined.into(),
        rag: v2::Rag::Unspecified.into(),
        ..Default::default()
    };
    expect![[r#"
        {
          "indicator": {
            "id": "6.8",
            "title": "% of children adopted",
            "polarity": "POLARITY_HIGH",
            "basis": "BASIS_IN_MONTH",
            "unit": "UNIT_PERCENT"
          },
          "direction": "DIRECTION_DOWN",
          "judgement": "JUDGEMENT_DECLINED"
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&row).unwrap());

    let request = |json: &str| serde_json::from_str::<v2::GetBreakdownRequest>(json);
    let by_name = request(r#"{"la":"372","dimension":"DIMENSION_AGE_BAND"}"#).unwrap();
    assert_eq!(by_name.dimension(), v2::Dimension::AgeBand);
    assert_eq!(
        request(r#"{"dimension":6}"#).unwrap().dimension(),
        v2::Dimension::TeamGroup
    );
    assert_eq!(
        request(r#"{"la":"372"}"#).unwrap().dimension(),
        v2::Dimension::Unspecified
    );
    let error = request(r#"{"dimension":"age_band"}"#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("DIMENSION_AGE_BAND"), "{error}");

    let entry = v2::TimelineEntry {
        status: v2::EntryStatus::Retracted.into(),
        detail: "E2".into(),
        ..Default::default()
    };
    expect![[r#"{"status":"ENTRY_STATUS_RETRACTED","detail":"E2"}"#]]
        .assert_eq(&serde_json::to_string(&entry).unwrap());
}

/// Property tests: the decoders given arbitrary and adversarial input, from random bytes to
/// valid events with one field broken, never panic and reject with a reason.
mod adversarial {
    use caseflow_domain::{EntityKind, Id, RejectionReason};
    use proptest::prelude::*;
    use proptest::sample::Index;
    use serde_json::Value;

    use super::*;

    /// The longest rejection message: messages quote the offending value only shortened, so a
    /// rejection stays readable and small (they are stored and listed a thousand at a time).
    const MAX_MESSAGE: usize = 1024;

    const CONTENT_TYPES: [Option<&str>; 7] = [
        None,
        Some("application/json"),
        Some("application/protobuf"),
        Some("application/x-protobuf"),
        Some("application/json; charset=utf-8"),
        Some("text/plain"),
        Some("\u{0}\u{7f}é"),
    ];

    const KINDS: [EntityKind; 3] = [EntityKind::Child, EntityKind::Household, EntityKind::Worker];

    /// Decodes `bytes`: a decoding rejection (one of the decoder's three reasons, with a short
    /// message), or a draft whose validation on every kind of subject never panics either and
    /// rejects with a short message. The draft's outcome on `kind`'s subject.
    fn check(bytes: &[u8], content_type: Option<&str>) -> Result<Decoded, TestCaseError> {
        match decode_event(bytes, content_type) {
            Ok(draft) => {
                for kind in KINDS {
                    if let Err(r) = draft.clone().validate(&subject(kind), log_time()) {
                        prop_assert!(!r.message.is_empty());
                        prop_assert!(r.message.len() <= MAX_MESSAGE, "{}", r.message.len());
                    }
                }
                Ok(Decoded::Draft(Box::new(draft)))
            }
            Err(r) => {
                prop_assert!(
                    matches!(
                        r.reason,
                        RejectionReason::Undecodable
                            | RejectionReason::MultiplePayloads
                            | RejectionReason::InvalidField
                    ),
                    "{r}"
                );
                prop_assert!(!r.message.is_empty());
                prop_assert!(r.message.len() <= MAX_MESSAGE, "{}", r.message.len());
                Ok(Decoded::Rejected(r.reason))
            }
        }
    }

    /// What [`check`] found.
    #[derive(Debug)]
    enum Decoded {
        Draft(Box<EventDraft>),
        Rejected(RejectionReason),
    }

    impl Decoded {
        fn rejected(&self) -> Option<RejectionReason> {
            match self {
                Decoded::Draft(_) => None,
                Decoded::Rejected(reason) => Some(*reason),
            }
        }
    }

    fn content_type() -> impl Strategy<Value = Option<&'static str>> {
        proptest::sample::select(CONTENT_TYPES.to_vec())
    }

    /// One of the examples of every payload: its kind and its JSON.
    fn example() -> impl Strategy<Value = (EntityKind, Value)> {
        (0..crate::examples::EVERY_PAYLOAD.len()).prop_map(|n| {
            let (kind, payload) = crate::examples::EVERY_PAYLOAD[n];
            let text = sample(kind, n + 1, payload);
            (kind, serde_json::from_str(&text).unwrap())
        })
    }

    /// Every member of `value` (recursively) as a JSON pointer, with its value.
    fn members(value: &Value, at: &str, out: &mut Vec<(String, Value)>) {
        if let Value::Object(object) = value {
            for (key, inner) in object {
                let pointer = format!("{at}/{key}");
                out.push((pointer.clone(), inner.clone()));
                members(inner, &pointer, out);
            }
        }
    }

    /// `value` rendered with the member at `pointer` replaced by the raw JSON text `raw`
    /// (which may be anything, valid JSON or not).
    fn with_raw(value: &Value, pointer: &str, raw: &str) -> Vec<u8> {
        const MARK: &str = "\u{1}raw\u{1}";
        let mut v = value.clone();
        *v.pointer_mut(pointer).unwrap() = Value::String(MARK.to_owned());
        let text = v.to_string();
        text.replacen(&Value::String(MARK.to_owned()).to_string(), raw, 1)
            .into_bytes()
    }

    /// Raw JSON values of every type, at the edges: huge and tiny numbers, numbers as
    /// strings, NaN, lone surrogates, NUL, deep nesting, a long string.
    fn raw_json() -> impl Strategy<Value = String> {
        let fixed = proptest::sample::select(vec![
            "1e400",
            "-1e400",
            "1e-400",
            "18446744073709551616",
            "-9223372036854775809",
            "340282366920938463463374607431768211456",
            "0.30000000000000000000000000000000000001",
            "-0",
            "1.0",
            "2",
            "\"NaN\"",
            "\"Infinity\"",
            "\"-Infinity\"",
            "\"1e3\"",
            "\"0x10\"",
            "\" 2\"",
            "true",
            "false",
            "null",
            "[]",
            "{}",
            "[1,\"a\",null]",
            "{\"a\":{\"b\":[1]}}",
            "\"\"",
            "\"\\u0000\"",
            "\"C\\u00001\"",
            "\"\\ud800\"",
            "\"\\ud83d\\ude00\"",
            "\"é\\u202e\\u001b[2J\"",
            "\"2018-02-29\"",
            "\"9999-12-31T23:59:59-23:59\"",
            "01",
            "+1",
            ".5",
            "[",
            "{\"",
            "",
        ]);
        prop_oneof![
            4 => fixed.prop_map(str::to_owned),
            1 => any::<i64>().prop_map(|n| n.to_string()),
            1 => any::<f64>().prop_map(|n| Value::from(n).to_string()),
            1 => any::<String>().prop_map(|s| Value::String(s).to_string()),
            1 => (1..400usize).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d))),
            1 => (1..400usize).prop_map(|d| format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d))),
            1 => Just(Value::String("x".repeat(100_000)).to_string()),
        ]
    }

    /// A raw JSON value of another type than `value`'s (never `null`, proto3's absence; never
    /// a string for a number, which the proto3 JSON mapping allows).
    fn wrong_type(value: &Value) -> Vec<&'static str> {
        let mut out: Vec<&str> = Vec::new();
        if !value.is_number() {
            out.extend(["7", "-0.5", "18446744073709551616"]);
        }
        if !value.is_string() && !value.is_number() {
            out.extend(["\"x\"", "\"\\u0000\""]);
        }
        if !value.is_boolean() {
            out.push("true");
        }
        out.extend(["[]", "[\"a\"]"]);
        if !value.is_object() {
            out.extend(["{}", "{\"a\":1}"]);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any bytes, with any content type: a draft or a rejection, never a panic. Half the
        /// inputs start with `{`, so that sniffing sends them to the JSON decoder.
        #[test]
        fn any_bytes_decode_or_are_rejected(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            brace in any::<bool>(),
            content_type in content_type(),
        ) {
            let bytes = if brace { [b"{".as_slice(), &bytes].concat() } else { bytes };
            check(&bytes, content_type)?;
        }

        /// Any JSON text in place of any member of a valid event (every payload): a draft or
        /// a rejection, never a panic.
        #[test]
        fn any_member_replaced_by_any_json_decodes_or_is_rejected(
            (_, event) in example(),
            at in any::<Index>(),
            raw in raw_json(),
            content_type in content_type(),
        ) {
            let mut all = Vec::new();
            members(&event, "", &mut all);
            let (pointer, _) = at.get(&all);
            check(&with_raw(&event, pointer, &raw), content_type)?;
        }

        /// A member of a valid event given a value of the wrong JSON type is rejected as an
        /// invalid field, naming that member (however deep) and no other.
        #[test]
        fn a_member_of_the_wrong_type_is_rejected_by_name(
            (_, event) in example(),
            at in any::<Index>(),
            pick in any::<Index>(),
        ) {
            let mut all = Vec::new();
            members(&event, "", &mut all);
            let (pointer, value) = at.get(&all);
            let raw = *pick.get(&wrong_type(value));
            let bytes = with_raw(&event, pointer, raw);
            let rejection = decode_event(&bytes, Some("application/json")).unwrap_err();
            let field = pointer[1..].replace('/', ".");
            prop_assert_eq!(rejection.reason, RejectionReason::InvalidField, "{}", rejection);
            prop_assert!(
                rejection.message.starts_with(&format!("{field} ")),
                "{} not named in {}", field, rejection
            );
            prop_assert!(rejection.message.len() <= MAX_MESSAGE);
        }

        /// Deeply nested JSON (arrays or objects, closed or not, at the top or inside a
        /// payload) is rejected as undecodable past the parser's depth limit, and never
        /// overflows the stack.
        #[test]
        fn deeply_nested_json_is_rejected_without_overflowing(
            depth in prop_oneof![1..300usize, 300..100_000usize],
            objects in any::<bool>(),
            closed in any::<bool>(),
            inside in any::<bool>(),
            content_type in content_type(),
        ) {
            let (open, close) = if objects { ("{\"a\":", "}") } else { ("[", "]") };
            let mut nested = open.repeat(depth);
            nested.push('1');
            if closed {
                nested.push_str(&close.repeat(depth));
            }
            let text = if inside {
                sample(EntityKind::Child, 1, &format!("\"carePlanRecorded\":{{\"x\":{nested}}}"))
            } else {
                format!("{{\"eventId\":{nested}}}")
            };
            let outcome = check(text.as_bytes(), content_type)?;
            if depth > 200 && sniff(content_type, text.as_bytes()) == Encoding::Json {
                prop_assert_eq!(outcome.rejected(), Some(RejectionReason::Undecodable));
            }
        }

        /// A valid protobuf event cut short anywhere, or with bytes changed or inserted: a
        /// draft or a rejection, never a panic.
        #[test]
        fn damaged_protobuf_decodes_or_is_rejected(
            (_, event) in example(),
            cut in any::<Index>(),
            damage in proptest::collection::vec((any::<Index>(), any::<u8>(), any::<bool>()), 0..4),
            content_type in content_type(),
        ) {
            let wire: v1::Event = serde_json::from_value(event).unwrap();
            let mut bytes = wire.encode_to_vec();
            bytes.truncate(cut.index(bytes.len() + 1));
            for (at, byte, insert) in damage {
                let i = at.index(bytes.len() + 1);
                if insert || i == bytes.len() {
                    bytes.insert(i, byte);
                } else {
                    bytes[i] = byte;
                }
            }
            check(&bytes, content_type)?;
        }

        /// Protobuf nested past prost's recursion limit (groups that never end, at the top or
        /// inside a payload) is rejected, and never overflows the stack.
        #[test]
        fn deeply_nested_protobuf_is_rejected_without_overflowing(
            depth in 1..100_000usize,
            inside in any::<bool>(),
        ) {
            // Field 15, wire type 3: the start of a group.
            let groups = vec![0x7b; depth];
            let bytes = if inside {
                // periodOfCareStarted (field 21, length-delimited) holding them.
                let mut bytes = vec![0xaa, 0x01];
                prost::encoding::encode_varint(groups.len() as u64, &mut bytes);
                bytes.extend(groups);
                bytes
            } else {
                groups
            };
            let outcome = check(&bytes, None)?;
            prop_assert_eq!(outcome.rejected(), Some(RejectionReason::Undecodable));
        }

        /// Any string as an id or authority, control characters, NUL and non-ASCII included,
        /// survives both encodings unchanged, and the event is accepted only when the strings
        /// are an id and an authority.
        #[test]
        fn odd_ids_round_trip_and_only_valid_ones_are_accepted(
            (kind, event) in example(),
            odd in prop_oneof![
                any::<String>(),
                "[\\x00-\\x1f\\x7f A-Za-z0-9_é\u{202e}-]{0,70}",
                Just("C\u{0}1".to_owned()),
                Just("x".repeat(100_000)),
            ],
            field in 0..3usize,
        ) {
            let mut wire: v1::Event = serde_json::from_value(event).unwrap();
            let target = match (field, kind) {
                (0, _) => &mut wire.event_id,
                (1, _) => &mut wire.la,
                (_, EntityKind::Child) => &mut wire.child_id,
                (_, EntityKind::Household) => &mut wire.household_id,
                (_, EntityKind::Worker) => &mut wire.worker_id,
            };
            *target = odd.clone();
            let valid = match field {
                1 => odd == "372",
                0 => Id::is_valid(&odd),
                _ => odd == subject(kind).id.as_str(),
            };
            let json = event_to_json(&wire).into_bytes();
            let protobuf = wire.encode_to_vec();
            for (bytes, content_type) in [(json, None), (protobuf, Some("application/protobuf"))] {
                let Decoded::Draft(draft) = check(&bytes, content_type)? else {
                    return Err(TestCaseError::fail("an event with odd strings did not decode"));
                };
                prop_assert_eq!(&*draft, &crate::draft_from_proto(wire.clone()));
                let outcome = draft.validate(&subject(kind), log_time());
                prop_assert_eq!(outcome.is_ok(), valid, "{:?}", outcome.err());
            }
        }
    }

    /// A 1 MiB string in each member of examples with members of every type (strings in the
    /// envelope and in a nested placement, a number, a fraction, flags), in JSON and protobuf:
    /// rejected or accepted as any other value, with a short message.
    #[test]
    fn one_mebibyte_strings_are_rejected_with_short_messages() {
        let long = "xé\u{7}".repeat((1 << 20) / 4 + 1);
        let examples = crate::examples::EVERY_PAYLOAD.iter().enumerate();
        let some = examples.filter(|(_, (_, p))| {
            [
                "periodOfCareStarted",
                "fosterCarerApproved",
                "socialWorkerJoined",
            ]
            .iter()
            .any(|name| p.contains(name))
        });
        for (n, (kind, payload)) in some {
            let event: Value = serde_json::from_str(&sample(*kind, n + 1, payload)).unwrap();
            let mut all = Vec::new();
            members(&event, "", &mut all);
            for (pointer, _) in all.iter().filter(|(_, v)| !v.is_object()) {
                let raw = Value::String(long.clone()).to_string();
                let bytes = with_raw(&event, pointer, &raw);
                check(&bytes, None).unwrap();
                if let Ok(wire) = serde_json::from_slice::<v1::Event>(&bytes) {
                    check(&wire.encode_to_vec(), None).unwrap();
                }
            }
        }
    }
}
