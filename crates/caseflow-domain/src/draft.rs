//! Unvalidated events as decoders produce them, and the one place they are validated.
//!
//! A decoder (protobuf, JSON) fills an [`EventDraft`] mechanically, with proto3 meaning:
//! an empty string or a zero is "absent". [`EventDraft::validate`] turns it into an
//! [`Event`] or a [`Rejection`] naming exactly what is wrong.

use std::fmt::{self, Display};

use serde::{Deserialize, Serialize};
use time::{Date, macros::date};

use crate::calendar::{format_day, parse_day};
use crate::codes::{
    Accommodation, Activity, AdoptionReversalReason, CategoryOfNeed, HealthAssessmentKind, InTouch,
    LegalStatus, PlacementChangeReason, PlacementType, Provider, ReasonCeased, ReviewParticipation,
    Sex,
};
use crate::event::{Event, Id, La, Payload, Placement, Subject, Timestamp};

/// The earliest `occurredOn` accepted.
pub const EARLIEST_DAY: Date = date!(1950 - 01 - 01);

/// The contract version this build understands; newer versions are accepted and their unknown
/// fields ignored.
pub const SCHEMA_VERSION: u32 = 1;

/// Why an event cannot be taken as a fact. The `code` is stable and machine-readable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RejectionReason {
    /// The subject is not `caseflow.events.<la>.<child|carer|worker>.<id>`.
    InvalidSubject,
    /// The bytes are neither a JSON nor a protobuf event.
    Undecodable,
    /// No payload field is set.
    MissingPayload,
    /// More than one payload field is set.
    MultiplePayloads,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong form or is out of range.
    InvalidField,
    /// An id is not 1-64 characters of `A-Z a-z 0-9 _ -`.
    InvalidId,
    /// `occurredOn` or another date is not a real `YYYY-MM-DD` day.
    InvalidDate,
    /// `recordedAt` is not an RFC 3339 timestamp.
    InvalidTimestamp,
    /// A code is not in its list.
    UnknownCode,
    /// A code is in its list but not valid on `occurredOn`.
    CodeNotValidOnDate,
    /// `la` differs from the subject's authority.
    LaMismatch,
    /// The envelope's child/household/worker id differs from the subject's.
    IdMismatch,
    /// The payload does not belong on this kind of subject.
    PayloadNotForSubject,
    /// `occurredOn` is after the day of `recordedAt`.
    OccurredAfterRecorded,
    /// `occurredOn` is before 1950.
    OccurredBefore1950,
}

impl RejectionReason {
    pub const ALL: [RejectionReason; 16] = [
        RejectionReason::InvalidSubject,
        RejectionReason::Undecodable,
        RejectionReason::MissingPayload,
        RejectionReason::MultiplePayloads,
        RejectionReason::MissingField,
        RejectionReason::InvalidField,
        RejectionReason::InvalidId,
        RejectionReason::InvalidDate,
        RejectionReason::InvalidTimestamp,
        RejectionReason::UnknownCode,
        RejectionReason::CodeNotValidOnDate,
        RejectionReason::LaMismatch,
        RejectionReason::IdMismatch,
        RejectionReason::PayloadNotForSubject,
        RejectionReason::OccurredAfterRecorded,
        RejectionReason::OccurredBefore1950,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RejectionReason::InvalidSubject => "invalid_subject",
            RejectionReason::Undecodable => "undecodable",
            RejectionReason::MissingPayload => "missing_payload",
            RejectionReason::MultiplePayloads => "multiple_payloads",
            RejectionReason::MissingField => "missing_field",
            RejectionReason::InvalidField => "invalid_field",
            RejectionReason::InvalidId => "invalid_id",
            RejectionReason::InvalidDate => "invalid_date",
            RejectionReason::InvalidTimestamp => "invalid_timestamp",
            RejectionReason::UnknownCode => "unknown_code",
            RejectionReason::CodeNotValidOnDate => "code_not_valid_on_date",
            RejectionReason::LaMismatch => "la_mismatch",
            RejectionReason::IdMismatch => "id_mismatch",
            RejectionReason::PayloadNotForSubject => "payload_not_for_subject",
            RejectionReason::OccurredAfterRecorded => "occurred_after_recorded",
            RejectionReason::OccurredBefore1950 => "occurred_before_1950",
        }
    }

    pub fn from_code(code: &str) -> Option<RejectionReason> {
        RejectionReason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// A rejection: a reason code and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {message}", reason.code())]
pub struct Rejection {
    pub reason: RejectionReason,
    pub message: String,
}

impl Rejection {
    /// The longest message, in bytes: rejections are stored and listed by the thousand, and
    /// whatever a publisher sends (a 1 MiB id, say) must not make them large. Messages quote
    /// offending values shortened ([`Quoted`]); a longer message is cut at this length.
    pub const MAX_MESSAGE: usize = 1024;

    pub fn new(reason: RejectionReason, message: impl Into<String>) -> Rejection {
        let mut message = message.into();
        if message.len() > Self::MAX_MESSAGE {
            let mut cut = Self::MAX_MESSAGE - '…'.len_utf8();
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        Rejection { reason, message }
    }
}

/// A value as a rejection message quotes it: in Rust's debug form (quotes, control characters
/// escaped), its first 60 characters only, then `...` and its length in bytes.
#[derive(Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl Quoted<'_> {
    const SHOWN: usize = 60;
}

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(Self::SHOWN) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(f, "{:?}... ({} bytes)", &self.0[..cut], self.0.len()),
        }
    }
}

/// An event as decoded, before validation. Strings are empty when absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventDraft {
    pub event_id: String,
    pub la: String,
    pub child_id: String,
    pub household_id: String,
    pub worker_id: String,
    pub occurred_on: String,
    pub recorded_at: String,
    pub source: String,
    pub schema_version: u32,
    pub payload: Option<PayloadDraft>,
}

/// A placement as decoded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlacementDraft {
    pub kind: String,
    pub provider: String,
    pub carer_id: String,
    pub in_area: Option<bool>,
}

/// A payload as decoded; see [`Payload`] for meanings.
#[derive(Clone, Debug, PartialEq)]
pub enum PayloadDraft {
    ChildRegistered {
        date_of_birth: String,
        sex: String,
    },
    PeriodOfCareStarted {
        legal_status: String,
        placement: Option<PlacementDraft>,
        category_of_need: String,
    },
    PlacementChanged {
        placement: Option<PlacementDraft>,
        reason: String,
        same_carer: bool,
    },
    LegalStatusChanged {
        legal_status: String,
    },
    PeriodOfCareEnded {
        reason: String,
    },
    ReviewHeld {
        participation: String,
    },
    VisitMade {
        seen_alone: Option<bool>,
    },
    CarePlanRecorded,
    HealthAssessmentCompleted {
        kind: String,
    },
    DentalCheckCompleted,
    PepRecorded,
    PermanenceMatchRecorded,
    AdoptionDecisionRecorded,
    AdopterMatchRecorded,
    AdoptionDecisionReversed {
        reason: String,
    },
    PathwayPlanRecorded,
    CareLeaverContactRecorded {
        in_touch: String,
        activity: String,
        accommodation: String,
    },
    CareLeaverSupportExtended,
    CareLeaverSupportEnded,
    CaseAllocated {
        worker_id: String,
    },
    EventRetracted {
        retracted_event_id: String,
        reason: String,
    },
    FosterCarerApproved {
        places: i64,
        connected: bool,
    },
    FosterCarerDeregistered {
        reason: String,
    },
    SocialWorkerJoined {
        team: String,
        fte: f64,
        qualified: bool,
        agency: bool,
        asye: bool,
    },
    SocialWorkerChanged {
        team: Option<String>,
        fte: Option<f64>,
        qualified: Option<bool>,
        agency: Option<bool>,
        asye: Option<bool>,
    },
    SocialWorkerLeft,
}

impl EventDraft {
    /// The subject an event is for, from its envelope: `la` and whichever one of `childId`,
    /// `householdId` or `workerId` is set. Used where no NATS subject comes with the event
    /// (the CLI and the gRPC ingest call).
    pub fn subject(&self) -> Result<Subject, Rejection> {
        let ids = [
            (crate::EntityKind::Child, &self.child_id),
            (crate::EntityKind::Household, &self.household_id),
            (crate::EntityKind::Worker, &self.worker_id),
        ];
        let mut set = ids.iter().filter(|(_, id)| !id.is_empty());
        let (Some((kind, id)), None) = (set.next(), set.next()) else {
            return Err(Rejection::new(
                RejectionReason::InvalidSubject,
                "exactly one of childId, householdId and workerId must be set",
            ));
        };
        let la = La::parse(&self.la).ok_or_else(|| {
            Rejection::new(
                RejectionReason::InvalidSubject,
                format!(
                    "la {} is not a three-digit authority code",
                    Quoted(&self.la)
                ),
            )
        })?;
        let id = Id::parse(id).ok_or_else(|| {
            Rejection::new(
                RejectionReason::InvalidId,
                format!(
                    "{} {} is not 1-64 characters of A-Z a-z 0-9 _ -",
                    kind.id_field(),
                    Quoted(id)
                ),
            )
        })?;
        Ok(Subject::new(la, *kind, id))
    }

    /// Validates the draft published on `subject`. `log_time` is the log's message time (or,
    /// before appending, the current time): the default `recordedAt`.
    pub fn validate(self, subject: &Subject, log_time: Timestamp) -> Result<Event, Rejection> {
        let event_id = required_id("eventId", self.event_id)?;
        if self.la.is_empty() {
            return Err(missing("la"));
        }
        let la = La::parse(&self.la).ok_or_else(|| {
            Rejection::new(
                RejectionReason::InvalidField,
                format!(
                    "la {} is not a three-digit authority code",
                    Quoted(&self.la)
                ),
            )
        })?;
        if la != subject.la {
            return Err(Rejection::new(
                RejectionReason::LaMismatch,
                format!(
                    "la {la} differs from the subject's authority {}",
                    subject.la
                ),
            ));
        }
        let (field, value) = match subject.kind {
            crate::EntityKind::Child => ("childId", &self.child_id),
            crate::EntityKind::Household => ("householdId", &self.household_id),
            crate::EntityKind::Worker => ("workerId", &self.worker_id),
        };
        // Checked in place: the subject already holds the id.
        let id = valid_id(field, value)?;
        if id != subject.id.as_str() {
            return Err(Rejection::new(
                RejectionReason::IdMismatch,
                format!("{field} {id} differs from the subject's id {}", subject.id),
            ));
        }
        if self.occurred_on.is_empty() {
            return Err(missing("occurredOn"));
        }
        let occurred_on = day("occurredOn", &self.occurred_on)?;
        let recorded_at = if self.recorded_at.is_empty() {
            log_time
        } else {
            time::OffsetDateTime::parse(
                &self.recorded_at,
                &time::format_description::well_known::Rfc3339,
            )
            .map(Timestamp::from_offset)
            .map_err(|_| {
                Rejection::new(
                    RejectionReason::InvalidTimestamp,
                    format!(
                        "recordedAt {} is not an RFC 3339 timestamp",
                        Quoted(&self.recorded_at)
                    ),
                )
            })?
        };
        if occurred_on < EARLIEST_DAY {
            return Err(Rejection::new(
                RejectionReason::OccurredBefore1950,
                format!("occurredOn {} is before 1950", format_day(occurred_on)),
            ));
        }
        if occurred_on > recorded_at.day() {
            return Err(Rejection::new(
                RejectionReason::OccurredAfterRecorded,
                format!(
                    "occurredOn {} is after the day it was recorded ({})",
                    format_day(occurred_on),
                    format_day(recorded_at.day())
                ),
            ));
        }
        let payload = self
            .payload
            .ok_or_else(|| {
                Rejection::new(RejectionReason::MissingPayload, "the event has no payload")
            })?
            .validate(occurred_on)?;
        if !payload.allowed_on(subject.kind) {
            return Err(Rejection::new(
                RejectionReason::PayloadNotForSubject,
                format!(
                    "{} does not belong on a {} subject",
                    payload.name(),
                    subject.kind.token()
                ),
            ));
        }
        Ok(Event {
            id: event_id,
            subject: subject.clone(),
            occurred_on,
            recorded_at,
            source: (!self.source.is_empty()).then_some(self.source),
            schema_version: if self.schema_version == 0 {
                SCHEMA_VERSION
            } else {
                self.schema_version
            },
            payload,
        })
    }
}

impl PayloadDraft {
    /// The payload of an event that occurred `on` (codes are checked for validity that day),
    /// or why it is rejected: the first field that is missing or wrong, in the order of the
    /// contract.
    fn validate(self, on: Date) -> Result<Payload, Rejection> {
        use PayloadDraft as D;
        Ok(match self {
            D::ChildRegistered { date_of_birth, sex } => child_registered(&date_of_birth, &sex)?,
            D::PeriodOfCareStarted {
                legal_status,
                placement,
                category_of_need,
            } => period_of_care_started(&legal_status, placement, &category_of_need, on)?,
            D::PlacementChanged {
                placement,
                reason,
                same_carer,
            } => placement_changed(placement, &reason, same_carer, on)?,
            D::LegalStatusChanged { legal_status } => Payload::LegalStatusChanged {
                legal_status: legal_status_of("legalStatusChanged.legalStatus", &legal_status)?,
            },
            D::PeriodOfCareEnded { reason } => Payload::PeriodOfCareEnded {
                reason: required_code(
                    "periodOfCareEnded.reason",
                    &reason,
                    ReasonCeased::LIST,
                    ReasonCeased::parse,
                )?,
            },
            D::ReviewHeld { participation } => Payload::ReviewHeld {
                participation: optional_code(
                    "reviewHeld.participation",
                    &participation,
                    ReviewParticipation::LIST,
                    ReviewParticipation::parse,
                )?,
            },
            D::VisitMade { seen_alone } => Payload::VisitMade { seen_alone },
            D::CarePlanRecorded => Payload::CarePlanRecorded,
            D::HealthAssessmentCompleted { kind } => Payload::HealthAssessmentCompleted {
                kind: required_code(
                    "healthAssessmentCompleted.kind",
                    &kind,
                    HealthAssessmentKind::LIST,
                    HealthAssessmentKind::parse,
                )?,
            },
            D::DentalCheckCompleted => Payload::DentalCheckCompleted,
            D::PepRecorded => Payload::PepRecorded,
            D::PermanenceMatchRecorded => Payload::PermanenceMatchRecorded,
            D::AdoptionDecisionRecorded => Payload::AdoptionDecisionRecorded,
            D::AdopterMatchRecorded => Payload::AdopterMatchRecorded,
            D::AdoptionDecisionReversed { reason } => Payload::AdoptionDecisionReversed {
                reason: required_code(
                    "adoptionDecisionReversed.reason",
                    &reason,
                    AdoptionReversalReason::LIST,
                    AdoptionReversalReason::parse,
                )?,
            },
            D::PathwayPlanRecorded => Payload::PathwayPlanRecorded,
            D::CareLeaverContactRecorded {
                in_touch,
                activity,
                accommodation,
            } => care_leaver_contact_recorded(&in_touch, &activity, &accommodation)?,
            D::CareLeaverSupportExtended => Payload::CareLeaverSupportExtended,
            D::CareLeaverSupportEnded => Payload::CareLeaverSupportEnded,
            D::CaseAllocated { worker_id } => Payload::CaseAllocated {
                worker_id: required_id("caseAllocated.workerId", worker_id)?,
            },
            D::EventRetracted {
                retracted_event_id,
                reason,
            } => Payload::EventRetracted {
                retracted_event_id: required_id(
                    "eventRetracted.retractedEventId",
                    retracted_event_id,
                )?,
                reason: (!reason.is_empty()).then_some(reason),
            },
            D::FosterCarerApproved { places, connected } => Payload::FosterCarerApproved {
                places: places_of("fosterCarerApproved.places", places)?,
                connected,
            },
            D::FosterCarerDeregistered { reason } => Payload::FosterCarerDeregistered {
                reason: (!reason.is_empty()).then_some(reason),
            },
            D::SocialWorkerJoined {
                team,
                fte,
                qualified,
                agency,
                asye,
            } => {
                if team.is_empty() {
                    return Err(missing("socialWorkerJoined.team"));
                }
                Payload::SocialWorkerJoined {
                    team,
                    fte: fte_of("socialWorkerJoined.fte", fte)?,
                    qualified,
                    agency,
                    asye,
                }
            }
            D::SocialWorkerChanged {
                team,
                fte,
                qualified,
                agency,
                asye,
            } => Payload::SocialWorkerChanged {
                // An empty team is no change of team.
                team: team.filter(|t| !t.is_empty()),
                fte: fte
                    .map(|f| fte_of("socialWorkerChanged.fte", f))
                    .transpose()?,
                qualified,
                agency,
                asye,
            },
            D::SocialWorkerLeft => Payload::SocialWorkerLeft,
        })
    }
}

/// `childRegistered`: a real date of birth; the sex, if given, a current or legacy code.
fn child_registered(date_of_birth: &str, sex: &str) -> Result<Payload, Rejection> {
    if date_of_birth.is_empty() {
        return Err(missing("childRegistered.dateOfBirth"));
    }
    Ok(Payload::ChildRegistered {
        date_of_birth: day("childRegistered.dateOfBirth", date_of_birth)?,
        sex: optional_code(
            "childRegistered.sex",
            sex,
            Sex::LIST,
            Sex::parse_with_legacy,
        )?,
    })
}

/// `periodOfCareStarted`: the admission's legal status and placement (a type valid on the
/// day of admission), and the category of need if given.
fn period_of_care_started(
    legal_status: &str,
    placement: Option<PlacementDraft>,
    category_of_need: &str,
    on: Date,
) -> Result<Payload, Rejection> {
    Ok(Payload::PeriodOfCareStarted {
        legal_status: legal_status_of("periodOfCareStarted.legalStatus", legal_status)?,
        placement: placement_of("periodOfCareStarted.placement", placement, on)?,
        category_of_need: optional_code(
            "periodOfCareStarted.categoryOfNeed",
            category_of_need,
            CategoryOfNeed::LIST,
            CategoryOfNeed::parse,
        )?,
    })
}

/// `placementChanged`: the new placement (a type valid on the day of the move) and the reason
/// for the change, if given.
fn placement_changed(
    placement: Option<PlacementDraft>,
    reason: &str,
    same_carer: bool,
    on: Date,
) -> Result<Payload, Rejection> {
    Ok(Payload::PlacementChanged {
        placement: placement_of("placementChanged.placement", placement, on)?,
        reason: optional_code(
            "placementChanged.reason",
            reason,
            PlacementChangeReason::LIST,
            PlacementChangeReason::parse,
        )?,
        same_carer,
    })
}

/// `careLeaverContactRecorded`: whether in touch, the activity and the accommodation, all
/// required.
fn care_leaver_contact_recorded(
    in_touch: &str,
    activity: &str,
    accommodation: &str,
) -> Result<Payload, Rejection> {
    Ok(Payload::CareLeaverContactRecorded {
        in_touch: required_code(
            "careLeaverContactRecorded.inTouch",
            in_touch,
            InTouch::LIST,
            InTouch::parse,
        )?,
        activity: required_code(
            "careLeaverContactRecorded.activity",
            activity,
            Activity::LIST,
            Activity::parse,
        )?,
        accommodation: required_code(
            "careLeaverContactRecorded.accommodation",
            accommodation,
            Accommodation::LIST,
            Accommodation::parse,
        )?,
    })
}

fn legal_status_of(field: &str, value: &str) -> Result<LegalStatus, Rejection> {
    required_code(field, value, LegalStatus::LIST, LegalStatus::parse)
}

/// A foster household's approved places: 1 to 9.
fn places_of(field: &str, places: i64) -> Result<u8, Rejection> {
    u8::try_from(places)
        .ok()
        .filter(|p| (1..=9).contains(p))
        .ok_or_else(|| invalid(format!("{field} {places} is not between 1 and 9")))
}

fn placement_of(
    field: &str,
    draft: Option<PlacementDraft>,
    on: Date,
) -> Result<Placement, Rejection> {
    let draft = draft.ok_or_else(|| missing(field))?;
    let kind = required_code(
        Dotted(field, "type"),
        &draft.kind,
        PlacementType::LIST,
        PlacementType::parse,
    )?;
    if !kind.valid_on(on) {
        return Err(Rejection::new(
            RejectionReason::CodeNotValidOnDate,
            format!(
                "{field}.type {kind} is valid {}, not on {}",
                kind.validity(),
                format_day(on)
            ),
        ));
    }
    let provider = if kind.has_no_provider() {
        // T0-T4 and Z1 carry no provider; one sent anyway is ignored.
        None
    } else {
        Some(required_code(
            Dotted(field, "provider"),
            &draft.provider,
            Provider::LIST,
            Provider::parse,
        )?)
    };
    let carer_id = if draft.carer_id.is_empty() {
        None
    } else {
        Some(required_id(Dotted(field, "carerId"), draft.carer_id)?)
    };
    Ok(Placement {
        kind,
        provider,
        carer_id,
        in_area: draft.in_area,
    })
}

fn fte_of(field: &str, fte: f64) -> Result<f64, Rejection> {
    if fte > 0.0 && fte <= 1.0 {
        Ok(fte)
    } else {
        Err(invalid(format!(
            "{field} {fte} is not above 0 and at most 1.0"
        )))
    }
}

fn missing(field: impl Display) -> Rejection {
    Rejection::new(
        RejectionReason::MissingField,
        format!("required field {field} is missing"),
    )
}

fn invalid(message: String) -> Rejection {
    Rejection::new(RejectionReason::InvalidField, message)
}

fn day(field: impl Display, value: &str) -> Result<Date, Rejection> {
    parse_day(value).map_err(|_| {
        Rejection::new(
            RejectionReason::InvalidDate,
            format!("{field} {} is not a real YYYY-MM-DD day", Quoted(value)),
        )
    })
}

/// `value` as an id (the string kept, not copied).
fn required_id(field: impl Display + Copy, value: String) -> Result<Id, Rejection> {
    if value.is_empty() {
        return Err(missing(field));
    }
    Id::from_string(value).map_err(|value| invalid_id(field, &value))
}

/// `value` when it is an id (checked without copying it).
fn valid_id(field: impl Display + Copy, value: &str) -> Result<&str, Rejection> {
    if value.is_empty() {
        return Err(missing(field));
    }
    if Id::is_valid(value) {
        Ok(value)
    } else {
        Err(invalid_id(field, value))
    }
}

fn invalid_id(field: impl Display, value: &str) -> Rejection {
    Rejection::new(
        RejectionReason::InvalidId,
        format!(
            "{field} {} is not 1-64 characters of A-Z a-z 0-9 _ -",
            Quoted(value)
        ),
    )
}

/// A field's name inside another's (`placement.type`), written only when a rejection needs it.
#[derive(Clone, Copy)]
struct Dotted<'a>(&'a str, &'a str);

impl Display for Dotted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

fn required_code<T>(
    field: impl Display + Copy,
    value: &str,
    list: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, Rejection> {
    if value.is_empty() {
        return Err(missing(field));
    }
    parse(value).ok_or_else(|| unknown_code(field, value, list))
}

fn optional_code<T>(
    field: impl Display + Copy,
    value: &str,
    list: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, Rejection> {
    if value.is_empty() {
        return Ok(None);
    }
    parse(value)
        .map(Some)
        .ok_or_else(|| unknown_code(field, value, list))
}

fn unknown_code(field: impl Display, value: &str, list: &str) -> Rejection {
    Rejection::new(
        RejectionReason::UnknownCode,
        format!("{field} {} is not a {list} code", Quoted(value)),
    )
}

impl fmt::Display for RejectionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
