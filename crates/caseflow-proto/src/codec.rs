//! Decoding published bytes (JSON or protobuf) into an [`EventDraft`], with precise rejections.

use caseflow_domain::{EventDraft, Rejection, RejectionReason};
use prost::Message as _;
use serde_json::{Map, Value};

use crate::convert::draft_from_proto;
use crate::v1;

/// How an event's bytes are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The proto3 JSON mapping.
    Json,
    /// Protobuf binary.
    Protobuf,
}

/// Picks the encoding from the `Content-Type` header, or with no (or another) header from the
/// bytes: a first non-whitespace byte `{` is JSON, anything else protobuf.
pub fn sniff(content_type: Option<&str>, bytes: &[u8]) -> Encoding {
    let media_type = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match media_type.as_deref() {
        Some("application/json") => Encoding::Json,
        Some("application/protobuf" | "application/x-protobuf") => Encoding::Protobuf,
        _ => match bytes
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            Some(b'{') => Encoding::Json,
            _ => Encoding::Protobuf,
        },
    }
}

/// Decodes one published event into a draft for the domain to validate.
///
/// Rejects with `Undecodable` (bytes that are not an event), `MultiplePayloads` (more than one
/// payload field) or `InvalidField` (a JSON field of the wrong type). A missing payload is left
/// to validation.
pub fn decode_event(bytes: &[u8], content_type: Option<&str>) -> Result<EventDraft, Rejection> {
    let event = match sniff(content_type, bytes) {
        Encoding::Json => decode_json(bytes)?,
        Encoding::Protobuf => decode_protobuf(bytes)?,
    };
    Ok(draft_from_proto(event))
}

/// Renders an event in the proto3 JSON mapping (fields with default values left out).
pub fn event_to_json(e: &v1::Event) -> String {
    // Serialising these generated types cannot fail: they hold no maps with non-string keys.
    serde_json::to_string(e).unwrap_or_default()
}

/// Every payload field: its number and its JSON name.
pub(crate) const PAYLOADS: [(u32, &str); 26] = [
    (20, "childRegistered"),
    (21, "periodOfCareStarted"),
    (22, "placementChanged"),
    (23, "legalStatusChanged"),
    (24, "periodOfCareEnded"),
    (25, "reviewHeld"),
    (26, "visitMade"),
    (27, "carePlanRecorded"),
    (28, "healthAssessmentCompleted"),
    (29, "dentalCheckCompleted"),
    (30, "pepRecorded"),
    (31, "permanenceMatchRecorded"),
    (32, "adoptionDecisionRecorded"),
    (33, "adopterMatchRecorded"),
    (34, "adoptionDecisionReversed"),
    (35, "pathwayPlanRecorded"),
    (36, "careLeaverContactRecorded"),
    (37, "careLeaverSupportExtended"),
    (38, "careLeaverSupportEnded"),
    (39, "caseAllocated"),
    (40, "eventRetracted"),
    (50, "fosterCarerApproved"),
    (51, "fosterCarerDeregistered"),
    (60, "socialWorkerJoined"),
    (61, "socialWorkerChanged"),
    (62, "socialWorkerLeft"),
];

fn undecodable(message: String) -> Rejection {
    Rejection::new(RejectionReason::Undecodable, message)
}

fn multiple(names: &[&str]) -> Rejection {
    Rejection::new(
        RejectionReason::MultiplePayloads,
        format!(
            "the event has {} payloads ({}); exactly one is allowed",
            names.len(),
            names.join(", ")
        ),
    )
}

fn decode_protobuf(bytes: &[u8]) -> Result<v1::Event, Rejection> {
    let event =
        v1::Event::decode(bytes).map_err(|e| undecodable(format!("not a protobuf Event: {e}")))?;
    // Protobuf keeps the last of several oneof fields; the contract rejects such an event.
    let names = payload_fields(bytes);
    if names.len() > 1 {
        return Err(multiple(&names));
    }
    Ok(event)
}

/// The payload fields present at the top level of well-formed protobuf bytes, each once.
pub(crate) fn payload_fields(mut buf: &[u8]) -> Vec<&'static str> {
    let mut names = Vec::new();
    while let Some(key) = varint(&mut buf) {
        let len = match key & 7 {
            0 => varint(&mut buf).map(|_| 0),
            1 => Some(8),
            2 => varint(&mut buf),
            5 => Some(4),
            _ => None,
        };
        let Some(rest) = len
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| buf.get(n..))
        else {
            break;
        };
        buf = rest;
        let name = PAYLOADS.iter().find(|(n, _)| u64::from(*n) == key >> 3);
        if let Some((_, name)) = name
            && !names.contains(name)
        {
            names.push(*name);
        }
    }
    names
}

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *buf = &buf[i + 1..];
            return Some(value);
        }
    }
    None
}

/// The deepest JSON nesting accepted: serde_json's own limit when it builds values, applied
/// to the whole text, since members it skips (unknown ones) are not limited.
const MAX_JSON_DEPTH: usize = 128;

fn decode_json(bytes: &[u8]) -> Result<v1::Event, Rejection> {
    if too_deep(bytes, MAX_JSON_DEPTH) {
        return Err(undecodable(format!(
            "not valid JSON: nested more than {MAX_JSON_DEPTH} levels deep"
        )));
    }
    match serde_json::from_slice::<v1::Event>(bytes) {
        Ok(event) => Ok(event),
        Err(first) => classify_json(bytes, &first),
    }
}

/// Whether arrays and objects nest more than `limit` deep in JSON text (brackets in strings
/// do not count; the text need not be valid).
fn too_deep(bytes: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// After a failed decode: tells why, or decodes after all once `null`s (proto3 JSON: the
/// default value) are dropped.
fn classify_json(bytes: &[u8], first: &serde_json::Error) -> Result<v1::Event, Rejection> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| undecodable(format!("not valid JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(undecodable("not a JSON object".to_owned()));
    };
    let had_nulls = drop_nulls(&mut object);
    let names: Vec<&str> = object
        .keys()
        .filter(|k| PAYLOADS.iter().any(|(_, p)| is_name_of(k, p)))
        .map(String::as_str)
        .collect();
    if names.len() > 1 {
        return Err(multiple(&names));
    }
    if let Some((field, value, error)) = culprit(&object, &|v| v, "") {
        let mut value = value.to_string();
        if let Some((cut, _)) = value.char_indices().nth(60) {
            value.truncate(cut);
            value.push_str("...");
        }
        return Err(Rejection::new(
            RejectionReason::InvalidField,
            format!(
                "{field} {value} is not of the field's JSON type: {}",
                shortened(&error)
            ),
        ));
    }
    // What is left: `null`s pbjson refuses, or something else (e.g. a repeated key).
    let not_event = || undecodable(format!("not a JSON Event: {}", shortened(first)));
    if !had_nulls {
        return Err(not_event());
    }
    serde_json::from_value(Value::Object(object)).map_err(|_| not_event())
}

/// A decoder's error as a rejection quotes it: serde's errors quote the offending value, which
/// can be as long as the message, so only their first 200 characters.
fn shortened(error: &dyn std::fmt::Display) -> String {
    let mut text = error.to_string();
    if let Some((cut, _)) = text.char_indices().nth(200) {
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// Whether a JSON key names the field `json_name`, as its camelCase or snake_case form.
fn is_name_of(key: &str, json_name: &str) -> bool {
    key == json_name || {
        let mut snake = String::with_capacity(json_name.len() + 4);
        for c in json_name.chars() {
            if c.is_ascii_uppercase() {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        key == snake
    }
}

/// Drops `null` members (recursively); whether there were any.
fn drop_nulls(object: &mut Map<String, Value>) -> bool {
    let before = object.len();
    object.retain(|_, v| !v.is_null());
    let mut dropped = object.len() != before;
    for v in object.values_mut() {
        if let Value::Object(inner) = v {
            dropped |= drop_nulls(inner);
        }
    }
    dropped
}

/// The first field that does not decode on its own, as a dotted path (the innermost one), with
/// its value and error. `wrap` embeds a part of the object at its place in a whole event.
fn culprit<'a>(
    object: &'a Map<String, Value>,
    wrap: &dyn Fn(Value) -> Value,
    path: &str,
) -> Option<(String, &'a Value, serde_json::Error)> {
    object.iter().find_map(|(key, value)| {
        let alone = Map::from_iter([(key.clone(), value.clone())]);
        let error = serde_json::from_value::<v1::Event>(wrap(Value::Object(alone))).err()?;
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if let Value::Object(inner) = value {
            let inner_wrap = |v: Value| wrap(Value::Object(Map::from_iter([(key.clone(), v)])));
            // Deeper only into a field that is an object (a message): an object where a
            // string goes is wrong as a whole.
            let is_message =
                serde_json::from_value::<v1::Event>(inner_wrap(Value::Object(Map::new()))).is_ok();
            if is_message && let Some(deeper) = culprit(inner, &inner_wrap, &field) {
                return Some(deeper);
            }
        }
        Some((field, value, error))
    })
}
