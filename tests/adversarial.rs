//! Adversarial input at volume: more than ten thousand malformed messages published raw to the
//! stream (as a broken or hostile case system could), interleaved with a few hundred valid
//! events. caseflow does not panic and keeps serving, every malformed message that lands is a
//! rejection with a reason, every valid event is applied exactly as if it had come alone, and
//! memory stays bounded.

use std::collections::{BTreeMap, BTreeSet};

use caseflow_domain::RejectionReason;
use caseflow_proto::{v1, v2};
use caseflow_tests::*;
use prost::Message as _;
use serde_json::{Value, json};

const LA: &str = "372";
const CHILDREN: usize = 10;
/// Malformed messages published (a few of them too large for the broker).
const ADVERSARIAL: usize = 10_400;

/// One message to publish raw.
#[derive(Clone)]
struct Raw {
    subject: String,
    payload: Vec<u8>,
    content_type: Option<&'static str>,
    msg_id: Option<String>,
}

fn child_subject(child: usize) -> String {
    format!("caseflow.events.{LA}.child.C{child}")
}

/// The valid events: per child, a registration, an admission, then a visit and a review each
/// month from February 2017 to May 2018. Each child's events go out in one encoding and with
/// or without a `Content-Type` header (sniffed then), every combination among the children.
fn valid_events() -> Vec<(usize, String, Raw)> {
    let mut out = Vec::new();
    for child in 1..=CHILDREN {
        let c = format!("C{child}");
        let mut lines = vec![
            (
                format!("c{child}-born"),
                registered(LA, &c, &format!("c{child}-born"), "2008-03-01"),
            ),
            (
                format!("c{child}-in"),
                admitted(LA, &c, &format!("c{child}-in"), "2017-01-10", "C2"),
            ),
        ];
        for (year, months) in [(2017, 2..=12), (2018, 1..=5)] {
            for m in months {
                let visit = format!("c{child}-v{year}{m:02}");
                let on = format!("{year}-{m:02}-05");
                lines.push((
                    visit.clone(),
                    event(LA, &c, &visit, &on, "visitMade", json!({"seenAlone": true})),
                ));
                let review = format!("c{child}-r{year}{m:02}");
                let on = format!("{year}-{m:02}-{:02}", 10 + child);
                lines.push((
                    review.clone(),
                    event(LA, &c, &review, &on, "reviewHeld", json!({})),
                ));
            }
        }
        for (id, line) in lines {
            let (payload, content_type) = match child % 4 {
                0 => (line.into_bytes(), Some("application/json")),
                1 => (protobuf(&line), Some("application/protobuf")),
                2 => (line.into_bytes(), None),
                _ => (protobuf(&line), None),
            };
            let raw = Raw {
                subject: child_subject(child),
                payload,
                content_type,
                msg_id: Some(id.clone()),
            };
            out.push((child, id, raw));
        }
    }
    out
}

fn protobuf(json_line: &str) -> Vec<u8> {
    serde_json::from_str::<v1::Event>(json_line)
        .unwrap()
        .encode_to_vec()
}

/// A small deterministic generator (splitmix64): the same messages on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A valid admission of child `child` with id `id`, as JSON, to break.
fn good(child: usize, id: &str) -> Value {
    serde_json::from_str(&admitted(LA, &format!("C{child}"), id, "2017-06-01", "C2")).unwrap()
}

/// The `n`th malformed message: one of many kinds, on a child's subject unless the kind is
/// about subjects. None of them is a valid event.
fn adversarial(n: usize, rng: &mut Rng) -> Raw {
    let child = 1 + rng.below(CHILDREN);
    let id = format!("bad{n}");
    let mut raw = Raw {
        subject: child_subject(child),
        payload: Vec::new(),
        content_type: None,
        msg_id: None,
    };
    let json_ct = Some("application/json");
    let set = |pointer: &str, value: Value| {
        let mut v = good(child, &id);
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        v.pointer_mut(parent).unwrap()[key] = value;
        v.to_string().into_bytes()
    };
    match n % 16 {
        // Random bytes, and random bytes that sniff as JSON.
        0 => {
            let len = rng.below(300);
            raw.payload = rng.bytes(len);
            raw.content_type = *rng.pick(&[None, Some("application/protobuf"), json_ct]);
        }
        1 => {
            let len = rng.below(300);
            raw.payload = [b"{".to_vec(), rng.bytes(len)].concat();
        }
        // A valid event's protobuf encoding cut short (never whole: a strict prefix lacks the
        // payload, or part of it).
        2 => {
            let whole = protobuf(&good(child, &id).to_string());
            raw.payload = whole[..rng.below(whole.len())].to_vec();
            raw.content_type = *rng.pick(&[None, Some("application/x-protobuf")]);
        }
        // JSON members of the wrong type, at every depth.
        3 => {
            let choices = [
                ("/eventId", json!(12)),
                ("/la", json!(372)),
                ("/childId", json!(["C1"])),
                ("/occurredOn", json!({"day": 1})),
                ("/recordedAt", json!(true)),
                ("/schemaVersion", json!("one")),
                ("/periodOfCareStarted", json!("C2")),
                ("/periodOfCareStarted/legalStatus", json!(2)),
                ("/periodOfCareStarted/placement", json!([1, 2])),
                ("/periodOfCareStarted/placement/type", json!(4.5)),
                ("/periodOfCareStarted/placement/inArea", json!("yes")),
            ];
            let (pointer, value) = rng.pick(&choices);
            raw.payload = set(pointer, value.clone());
            raw.content_type = *rng.pick(&[None, json_ct]);
        }
        // Deeply nested JSON: 10,000 levels, at the top or in an unknown member of a
        // payload.
        4 => {
            let depth = 10_000;
            raw.payload = if rng.below(2) == 0 {
                format!("{{\"eventId\":{}", "[".repeat(depth)).into_bytes()
            } else {
                let nested = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
                let text = good(child, &id).to_string();
                text.replacen(
                    "\"legalStatus\":",
                    &format!("\"x\":{nested},\"legalStatus\":"),
                    1,
                )
                .into_bytes()
            };
            raw.content_type = *rng.pick(&[None, json_ct]);
        }
        // Huge numbers, and numbers out of their field's range.
        5 => {
            let (member, number) = *rng.pick(&[
                ("schemaVersion", "1e400"),
                ("schemaVersion", "18446744073709551616"),
                ("schemaVersion", "-1"),
                ("schemaVersion", "99999999999999999999999999999999999999999"),
                ("schemaVersion", "1.5"),
                ("inArea", "1e-400"),
                ("legalStatus", "-9223372036854775809"),
            ]);
            let text = good(child, &id).to_string();
            let key = format!("\"{member}\":");
            // Added next to members the event has (it has no schemaVersion and no inArea),
            // or in place of the legal status.
            let text = match member {
                "schemaVersion" => text.replacen("\"la\":", &format!("{key}{number},\"la\":"), 1),
                "inArea" => text.replacen("\"type\":", &format!("{key}{number},\"type\":"), 1),
                _ => text.replacen("\"legalStatus\":\"C2\"", &format!("{key}{number}"), 1),
            };
            raw.payload = text.into_bytes();
            raw.content_type = json_ct;
        }
        // Control characters, NUL and non-ASCII in ids.
        6 => {
            let odd = *rng.pick(&[
                "C\u{0}1",
                "C1\u{0}",
                "\u{0}",
                "C\u{7}1",
                "C\u{1b}[2J1",
                "Ç1",
                "C\u{202e}1",
                "Ｃ1",
                "C 1",
                "C1\n",
            ]);
            let pointer = *rng.pick(&[
                "/eventId",
                "/childId",
                "/periodOfCareStarted/placement/carerId",
            ]);
            raw.payload = set(pointer, json!(odd));
            if rng.below(2) == 0 {
                raw.payload = protobuf(std::str::from_utf8(&raw.payload).unwrap());
            }
        }
        // NUL bytes: an empty message, NULs alone, NULs around and inside JSON.
        7 => {
            raw.payload = match rng.below(4) {
                0 => Vec::new(),
                1 => vec![0; 1 + rng.below(64)],
                2 => [b"{\0".as_slice(), &set("/la", json!("372"))[1..]].concat(),
                _ => [set("/la", json!("372")), vec![0]].concat(),
            };
            raw.content_type = *rng.pick(&[None, json_ct]);
        }
        // Payloads for another kind of subject: a social worker's on a child, a carer
        // household's on a worker.
        8 => {
            if rng.below(2) == 0 {
                raw.payload = event(
                    LA,
                    &format!("C{child}"),
                    &id,
                    "2017-06-01",
                    "socialWorkerJoined",
                    json!({"team": "North", "fte": 1.0}),
                )
                .into_bytes();
            } else {
                raw.subject = format!("caseflow.events.{LA}.worker.W{child}");
                let mut v: Value = serde_json::from_str(&event(
                    LA,
                    "x",
                    &id,
                    "2017-06-01",
                    "fosterCarerApproved",
                    json!({"places": 2}),
                ))
                .unwrap();
                let object = v.as_object_mut().unwrap();
                object.remove("childId");
                object.insert("workerId".into(), json!(format!("W{child}")));
                raw.payload = v.to_string().into_bytes();
            }
        }
        // Subjects with tokens extra, missing or wrong; a valid event on each.
        9 => {
            raw.subject = rng
                .pick(&[
                    "caseflow.events.372.child.C1.extra",
                    "caseflow.events.372.child",
                    "caseflow.events.372",
                    "caseflow.events.x",
                    "caseflow.events.372.dog.C1",
                    "caseflow.events.3721.child.C1",
                    "caseflow.events.372.child.Ç1",
                    "caseflow.events.372.child.C\u{7}1",
                    "caseflow.events.372.child.-",
                    "caseflow.events.372.child.C1.C1.C1.C1",
                ])
                .to_string();
            raw.payload = good(1, &id).to_string().into_bytes();
            raw.content_type = json_ct;
        }
        // Content-Type headers that lie about the encoding.
        10 => {
            let text = good(child, &id).to_string();
            if rng.below(2) == 0 {
                raw.payload = text.into_bytes();
                raw.content_type = *rng.pick(&[
                    Some("application/protobuf"),
                    Some("Application/X-Protobuf; charset=utf-8"),
                ]);
            } else {
                raw.payload = protobuf(&text);
                raw.content_type = *rng.pick(&[json_ct, Some("APPLICATION/JSON ;q=1")]);
            }
        }
        // Two payloads, or none.
        11 => {
            let mut v = good(child, &id);
            if rng.below(2) == 0 {
                v["reviewHeld"] = json!({});
            } else {
                v.as_object_mut().unwrap().remove("periodOfCareStarted");
            }
            raw.payload = v.to_string().into_bytes();
        }
        // Well-typed values that are not valid: codes, dates, the authority.
        12 => {
            let choices = [
                ("/occurredOn", json!("2017-02-29")),
                ("/occurredOn", json!("1949-12-31")),
                ("/recordedAt", json!("2017-06-01 12:00")),
                ("/recordedAt", json!("2017-05-31T23:59:59Z")),
                ("/la", json!("373")),
                ("/periodOfCareStarted/legalStatus", json!("Z9")),
                ("/periodOfCareStarted/placement/type", json!("K3")),
                ("/periodOfCareStarted/legalStatus", json!("")),
            ];
            let (pointer, value) = rng.pick(&choices);
            raw.payload = set(pointer, value.clone());
        }
        // Strings of every kind where ids and codes go, in protobuf.
        13 => {
            let len = 1 + rng.below(80);
            let odd: String = (0..len)
                .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('\u{fffd}'))
                .collect();
            let mut v = good(child, &id);
            v["eventId"] = json!(format!("{odd}\u{0}"));
            raw.payload = protobuf(&v.to_string());
        }
        // Random bytes inside a valid event's protobuf encoding.
        14 => {
            let mut v = good(child, &id);
            v["periodOfCareStarted"]["legalStatus"] = json!("Z9");
            let mut bytes = protobuf(&v.to_string());
            let at = rng.below(bytes.len());
            let count = 1 + rng.below(8);
            let junk = rng.bytes(count);
            bytes.splice(at..at, junk);
            // Bytes put in may still decode; the unknown legal status keeps the event
            // invalid then.
            raw.payload = bytes;
            raw.content_type = Some("application/protobuf");
        }
        // JSON that is not an object, or not JSON at all though it says so.
        _ => {
            raw.payload = rng
                .pick(&[
                    b"[1,2,3]".as_slice(),
                    b"\"eventId\"",
                    b"null",
                    b"{}",
                    b"{\"eventId\":\"x\"",
                    b"\xef\xbb\xbf{}",
                    b"{\"la\":\"\xff\xfe\"}",
                ])
                .to_vec();
            raw.content_type = json_ct;
        }
    }
    raw
}

/// The huge ones: 1 MiB strings where an id, a code and a flag go (under nats-server's default
/// `max_payload` of 1 MiB, so they land), and two messages over it, which the broker refuses
/// (the client knows the limit from the server and refuses before sending).
fn huge(n: usize) -> Vec<(Raw, bool)> {
    let long = "x".repeat(1_000_000);
    let on = |payload: Vec<u8>, content_type| Raw {
        subject: child_subject(1 + n % CHILDREN),
        payload,
        content_type,
        msg_id: None,
    };
    let mut v = good(1 + n % CHILDREN, &format!("huge{n}"));
    let json_ct = Some("application/json");
    let mut out = Vec::new();
    let mut with = |pointer: &str, value: Value, fits: bool| {
        let mut v = v.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        v.pointer_mut(parent).unwrap()[key] = value;
        out.push((on(v.to_string().into_bytes(), json_ct), fits));
    };
    with("/eventId", json!(long), true);
    with("/periodOfCareStarted/legalStatus", json!(long), true);
    with("/periodOfCareStarted/placement/inArea", json!(long), true);
    with("/eventId", json!("y".repeat(1_100_000)), false);
    v["childId"] = json!(long);
    out.push((on(protobuf(&v.to_string()), None), true));
    out.push((on(vec![0x5a; (1 << 20) + 1], None), false));
    out
}

/// Publishes every message in order through one JetStream context, with at most a thousand
/// acknowledgements outstanding: each message's stream sequence, or why it was refused.
async fn publish_all(nats_url: &str, messages: &[Raw]) -> Vec<Result<u64, String>> {
    let client = async_nats::connect(nats_url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut pending = std::collections::VecDeque::new();
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        let mut publish = async_nats::jetstream::message::PublishMessage::build()
            .payload(bytes::Bytes::from(m.payload.clone()));
        if let Some(content_type) = m.content_type {
            publish = publish.header("Content-Type", content_type);
        }
        if let Some(id) = &m.msg_id {
            publish = publish.message_id(id);
        }
        pending.push_back(js.send_publish(m.subject.clone(), publish).await);
        if pending.len() >= 1000 {
            out.push(acknowledged(pending.pop_front().unwrap()).await);
        }
    }
    for sent in pending {
        out.push(acknowledged(sent).await);
    }
    out
}

async fn acknowledged(
    sent: Result<
        async_nats::jetstream::context::PublishAckFuture,
        async_nats::jetstream::context::PublishError,
    >,
) -> Result<u64, String> {
    match sent {
        Ok(ack) => ack.await.map(|a| a.sequence).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// The process's resident memory (`VmRSS`) and its peak so far (`VmHWM`), in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| {
                v.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap()
            })
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Every rejection recorded, paged through `Operations/ListRejections` a thousand at a time.
async fn all_rejections(cf: &TestCaseflow) -> Vec<v2::Rejection> {
    let mut out: Vec<v2::Rejection> = Vec::new();
    loop {
        let page = cf
            .operations()
            .list_rejections(v2::ListRejectionsRequest {
                la: String::new(),
                after_sequence: out.last().map_or(0, |r| r.stream_sequence),
                limit: 1000,
            })
            .await
            .unwrap()
            .into_inner()
            .rejections;
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// A child's timeline entries with their stream sequences left out (two streams number the
/// same events differently).
async fn entries(cf: &TestCaseflow, child: usize) -> Vec<(v1::Event, i32)> {
    cf.timeline(LA, &format!("C{child}"))
        .await
        .entries
        .into_iter()
        .map(|e| (e.event.unwrap(), e.status))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adversarial_input_at_volume_is_rejected_and_valid_events_are_applied() {
    let valid = valid_events();
    // The messages in publishing order: a valid event after every 30 malformed ones (the rest
    // at the end), the huge ones spread through.
    let mut rng = Rng(0x5eed_cafe);
    let mut messages: Vec<(Raw, Option<(usize, String)>)> = Vec::new();
    let mut expected_refused = 0;
    let mut valid_left = valid.iter();
    for n in 0..ADVERSARIAL {
        if n % 30 == 0
            && let Some((child, id, raw)) = valid_left.next()
        {
            messages.push((raw.clone(), Some((*child, id.clone()))));
        }
        if n % 2500 == 1250 {
            for (raw, fits) in huge(n) {
                expected_refused += usize::from(!fits);
                messages.push((raw, None));
            }
        }
        messages.push((adversarial(n, &mut rng), None));
    }
    for (child, id, raw) in valid_left {
        messages.push((raw.clone(), Some((*child, id.clone()))));
    }

    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    let before = memory_kib();
    let raws: Vec<Raw> = messages.iter().map(|(raw, _)| raw.clone()).collect();
    let outcomes = publish_all(&nats.url(), &raws).await;
    drop(raws);

    // What landed where: the malformed messages' sequences, the valid events' sequences.
    let mut bad_sequences = BTreeSet::new();
    // A short description of each landed malformed message, for failures.
    let mut described = BTreeMap::new();
    let mut valid_sequences = BTreeMap::new();
    let mut refused = Vec::new();
    for ((raw, valid), outcome) in messages.iter().zip(&outcomes) {
        match (outcome, valid) {
            (Ok(sequence), None) => {
                bad_sequences.insert(*sequence);
                let shown = String::from_utf8_lossy(&raw.payload[..raw.payload.len().min(300)]);
                described.insert(
                    *sequence,
                    format!("{} {:?} {shown:?}", raw.subject, raw.content_type),
                );
            }
            (Ok(sequence), Some((_, id))) => {
                valid_sequences.insert(*sequence, id.clone());
            }
            (Err(e), None) => refused.push((raw.subject.clone(), raw.payload.len(), e.clone())),
            (Err(e), Some((_, id))) => panic!("valid event {id} refused: {e}"),
        }
    }
    drop(messages);
    // Only the messages over `max_payload` are refused by the broker; everything else lands.
    assert_eq!(refused.len(), expected_refused, "{refused:?}");
    assert!(
        refused
            .iter()
            .all(|(_, len, e)| *len + 100 > 1 << 20 && e.contains("exceeded")),
        "{refused:?}"
    );
    assert!(bad_sequences.len() >= 10_000, "{}", bad_sequences.len());
    assert_eq!(valid_sequences.len(), valid.len());

    cf.caught_up().await;
    let after = memory_kib();

    // Still serving, and caught up with the whole stream.
    let status = cf
        .operations()
        .get_status(v2::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.applied_sequence, status.stream_last_sequence);
    assert_eq!(status.lag, 0);
    let health = cf
        .health()
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // Every malformed message that landed is a rejection with a reason, and nothing else is.
    let rejections = all_rejections(&cf).await;
    let rejected: BTreeSet<u64> = rejections.iter().map(|r| r.stream_sequence).collect();
    let accepted: Vec<&String> = bad_sequences
        .difference(&rejected)
        .map(|s| &described[s])
        .collect();
    assert!(
        accepted.is_empty(),
        "{} accepted: {accepted:#?}",
        accepted.len()
    );
    assert_eq!(rejected, bad_sequences);
    assert_eq!(rejections.len(), bad_sequences.len());
    assert_eq!(status.events_stored, valid.len() as u64);
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rejections {
        assert!(
            RejectionReason::from_code(&r.reason).is_some()
                && !r.message.is_empty()
                && r.message.len() <= caseflow_domain::Rejection::MAX_MESSAGE,
            "{r:?}"
        );
        *reasons.entry(&r.reason).or_default() += 1;
    }
    eprintln!(
        "{} malformed messages landed, {} refused by the broker; rejections by reason: \
         {reasons:?}",
        bad_sequences.len(),
        refused.len()
    );

    // Every valid event is applied: each child's timeline holds exactly its valid events, and
    // the figures are those of a caseflow fed only the valid events.
    let clean_nats = TestNats::start();
    let clean = TestCaseflow::start(&clean_nats).await;
    let only_valid: Vec<Raw> = valid.iter().map(|(_, _, raw)| raw.clone()).collect();
    assert!(
        publish_all(&clean_nats.url(), &only_valid)
            .await
            .iter()
            .all(Result::is_ok)
    );
    clean.caught_up().await;
    for child in 1..=CHILDREN {
        let got = entries(&cf, child).await;
        let ids: BTreeSet<&str> = got.iter().map(|(e, _)| e.event_id.as_str()).collect();
        let want: BTreeSet<&str> = valid
            .iter()
            .filter(|(c, _, _)| *c == child)
            .map(|(_, id, _)| id.as_str())
            .collect();
        assert_eq!(ids, want, "C{child}");
        assert_eq!(got, entries(&clean, child).await, "C{child}");
    }
    assert_eq!(
        cf.scorecard(LA, "2018-05", "").await,
        clean.scorecard(LA, "2018-05", "").await
    );
    for indicator in ["6.1", "6.7", "6.15"] {
        let series = cf.series(LA, indicator, "2017-01", "2018-05").await;
        assert!(series.iter().any(|n| *n > 0), "{indicator}: {series:?}");
        assert_eq!(
            series,
            clean.series(LA, indicator, "2017-01", "2018-05").await,
            "{indicator}"
        );
    }

    // Memory bounded. The generous bound is far above what the run needs (the projector holds
    // a few chunks of at most 64 messages of at most 1 MiB, sled caches 16 MiB, the test's own
    // copies of the messages are about 20 MiB) and far below what keeping every message, or a
    // copy of each huge or deeply nested one per step, would take; it measures this test
    // process (caseflow runs in it; nats-server is another process), whose peak is `VmHWM`.
    let grown = |(b, a): (u64, u64)| a.saturating_sub(b) / 1024;
    eprintln!(
        "memory: RSS {} MiB -> {} MiB, peak {} MiB -> {} MiB",
        before.0 / 1024,
        after.0 / 1024,
        before.1 / 1024,
        after.1 / 1024
    );
    assert!(grown((before.0, after.0)) < 512, "{before:?} -> {after:?}");
    assert!(grown((before.1, after.1)) < 512, "{before:?} -> {after:?}");

    clean.stop().await;
    cf.stop().await;
}
