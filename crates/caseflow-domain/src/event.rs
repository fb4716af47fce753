//! Validated events: the facts a child's, carer's or worker's timeline is folded from.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::codes::{
    Accommodation, Activity, AdoptionReversalReason, CategoryOfNeed, HealthAssessmentKind, InTouch,
    LegalStatus, PlacementChangeReason, PlacementType, Provider, ReasonCeased, ReviewParticipation,
    Sex,
};

/// The subject prefix every event subject starts with.
pub const SUBJECT_PREFIX: &str = "caseflow.events";

/// A three-digit DfE local-authority code, e.g. `372`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct La([u8; 3]);

impl La {
    pub fn parse(s: &str) -> Option<La> {
        let b = s.as_bytes();
        (b.len() == 3 && b.iter().all(u8::is_ascii_digit)).then(|| La([b[0], b[1], b[2]]))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    pub fn as_bytes(&self) -> &[u8; 3] {
        &self.0
    }
}

impl fmt::Display for La {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for La {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "La({})", self.as_str())
    }
}

/// The bytes an id may hold (A-Z a-z 0-9 _ -): one look-up per byte, where the checks they
/// replace were a fifth of validating an event.
const ID_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        b += 1;
    }
    table
};

/// A pseudonymous id of a child, household, worker or event: 1 to 64 characters from
/// `A-Z a-z 0-9 _ -`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Id(String);

impl Id {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Option<Id> {
        Id::is_valid(s).then(|| Id(s.to_owned()))
    }

    /// `s` as an id, when it is one (kept, not copied).
    pub fn from_string(s: String) -> Result<Id, String> {
        if Id::is_valid(&s) { Ok(Id(s)) } else { Err(s) }
    }

    /// Whether `s` is an id: 1-64 characters of A-Z a-z 0-9 _ -.
    pub fn is_valid(s: &str) -> bool {
        !s.is_empty() && s.len() <= Self::MAX_LEN && s.bytes().all(|b| ID_BYTES[usize::from(b)])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// What a subject is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EntityKind {
    Child,
    Household,
    Worker,
}

impl EntityKind {
    /// The subject token: `child`, `carer`, `worker`.
    pub fn token(self) -> &'static str {
        match self {
            EntityKind::Child => "child",
            EntityKind::Household => "carer",
            EntityKind::Worker => "worker",
        }
    }

    pub fn from_token(s: &str) -> Option<EntityKind> {
        match s {
            "child" => Some(EntityKind::Child),
            "carer" => Some(EntityKind::Household),
            "worker" => Some(EntityKind::Worker),
            _ => None,
        }
    }

    /// The envelope field that must repeat the subject's id.
    pub fn id_field(self) -> &'static str {
        match self {
            EntityKind::Child => "childId",
            EntityKind::Household => "householdId",
            EntityKind::Worker => "workerId",
        }
    }
}

/// `caseflow.events.<la>.<kind>.<id>`: one child, household or worker of one authority.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    pub la: La,
    pub kind: EntityKind,
    pub id: Id,
}

impl Subject {
    pub fn new(la: La, kind: EntityKind, id: Id) -> Subject {
        Subject { la, kind, id }
    }

    pub fn child(la: La, id: Id) -> Subject {
        Subject::new(la, EntityKind::Child, id)
    }

    /// Parses a NATS subject; `None` when it is not of the contract's form.
    pub fn parse(subject: &str) -> Option<Subject> {
        let rest = subject.strip_prefix(SUBJECT_PREFIX)?.strip_prefix('.')?;
        let mut parts = rest.split('.');
        let la = La::parse(parts.next()?)?;
        let kind = EntityKind::from_token(parts.next()?)?;
        let id = Id::parse(parts.next()?)?;
        parts.next().is_none().then_some(Subject { la, kind, id })
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SUBJECT_PREFIX}.{}.{}.{}",
            self.la,
            self.kind.token(),
            self.id
        )
    }
}

impl fmt::Debug for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// An instant as nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_offset(t: time::OffsetDateTime) -> Timestamp {
        // Saturates outside 1677..2262, far beyond any valid event.
        let nanos = t.unix_timestamp_nanos();
        Timestamp(i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX }))
    }

    pub fn to_offset(self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }

    /// The UTC calendar day of the instant.
    pub fn day(self) -> Date {
        self.to_offset().date()
    }

    /// RFC 3339, e.g. `2018-05-16T09:12:00Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_offset()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

/// A placement as carried by `periodOfCareStarted` and `placementChanged`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub kind: PlacementType,
    pub provider: Option<Provider>,
    pub carer_id: Option<Id>,
    pub in_area: Option<bool>,
}

/// One validated event: the envelope and exactly one payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: Id,
    pub subject: Subject,
    pub occurred_on: Date,
    /// When it was entered in the source system: `recordedAt`, or the log's message time.
    pub recorded_at: Timestamp,
    pub source: Option<String>,
    pub schema_version: u32,
    pub payload: Payload,
}

impl Event {
    /// Whether `other` (an event with the same id) says the same thing: the same subject, day,
    /// payload, source and schema version. The recording time is left out: a re-send without
    /// `recordedAt` is stamped with the log's time of the re-send, yet it is the same fact. A
    /// re-sent id that is not the same fact is a conflicting duplicate.
    pub fn is_same_fact_as(&self, other: &Event) -> bool {
        self.subject == other.subject
            && self.occurred_on == other.occurred_on
            && self.payload == other.payload
            && self.source == other.source
            && self.schema_version == other.schema_version
    }

    /// The order of a timeline: `occurredOn`, then `recordedAt`, then `eventId`.
    pub fn order_key(&self) -> (Date, Timestamp, &str) {
        (self.occurred_on, self.recorded_at, self.id.as_str())
    }
}

/// Every payload of the contract (EVENTS.md section 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Payload {
    ChildRegistered {
        date_of_birth: Date,
        sex: Option<Sex>,
    },
    PeriodOfCareStarted {
        legal_status: LegalStatus,
        placement: Placement,
        category_of_need: Option<CategoryOfNeed>,
    },
    PlacementChanged {
        placement: Placement,
        reason: Option<PlacementChangeReason>,
        same_carer: bool,
    },
    LegalStatusChanged {
        legal_status: LegalStatus,
    },
    PeriodOfCareEnded {
        reason: ReasonCeased,
    },
    ReviewHeld {
        participation: Option<ReviewParticipation>,
    },
    VisitMade {
        seen_alone: Option<bool>,
    },
    CarePlanRecorded,
    HealthAssessmentCompleted {
        kind: HealthAssessmentKind,
    },
    DentalCheckCompleted,
    PepRecorded,
    PermanenceMatchRecorded,
    AdoptionDecisionRecorded,
    AdopterMatchRecorded,
    AdoptionDecisionReversed {
        reason: AdoptionReversalReason,
    },
    PathwayPlanRecorded,
    CareLeaverContactRecorded {
        in_touch: InTouch,
        activity: Activity,
        accommodation: Accommodation,
    },
    CareLeaverSupportExtended,
    CareLeaverSupportEnded,
    CaseAllocated {
        worker_id: Id,
    },
    EventRetracted {
        retracted_event_id: Id,
        reason: Option<String>,
    },
    FosterCarerApproved {
        places: u8,
        connected: bool,
    },
    FosterCarerDeregistered {
        reason: Option<String>,
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

impl Payload {
    /// The payload's contract name (its JSON field), e.g. `periodOfCareStarted`.
    pub fn name(&self) -> &'static str {
        match self {
            Payload::ChildRegistered { .. } => "childRegistered",
            Payload::PeriodOfCareStarted { .. } => "periodOfCareStarted",
            Payload::PlacementChanged { .. } => "placementChanged",
            Payload::LegalStatusChanged { .. } => "legalStatusChanged",
            Payload::PeriodOfCareEnded { .. } => "periodOfCareEnded",
            Payload::ReviewHeld { .. } => "reviewHeld",
            Payload::VisitMade { .. } => "visitMade",
            Payload::CarePlanRecorded => "carePlanRecorded",
            Payload::HealthAssessmentCompleted { .. } => "healthAssessmentCompleted",
            Payload::DentalCheckCompleted => "dentalCheckCompleted",
            Payload::PepRecorded => "pepRecorded",
            Payload::PermanenceMatchRecorded => "permanenceMatchRecorded",
            Payload::AdoptionDecisionRecorded => "adoptionDecisionRecorded",
            Payload::AdopterMatchRecorded => "adopterMatchRecorded",
            Payload::AdoptionDecisionReversed { .. } => "adoptionDecisionReversed",
            Payload::PathwayPlanRecorded => "pathwayPlanRecorded",
            Payload::CareLeaverContactRecorded { .. } => "careLeaverContactRecorded",
            Payload::CareLeaverSupportExtended => "careLeaverSupportExtended",
            Payload::CareLeaverSupportEnded => "careLeaverSupportEnded",
            Payload::CaseAllocated { .. } => "caseAllocated",
            Payload::EventRetracted { .. } => "eventRetracted",
            Payload::FosterCarerApproved { .. } => "fosterCarerApproved",
            Payload::FosterCarerDeregistered { .. } => "fosterCarerDeregistered",
            Payload::SocialWorkerJoined { .. } => "socialWorkerJoined",
            Payload::SocialWorkerChanged { .. } => "socialWorkerChanged",
            Payload::SocialWorkerLeft => "socialWorkerLeft",
        }
    }

    /// Which kinds of subject may carry this payload.
    pub fn allowed_on(&self, kind: EntityKind) -> bool {
        match self {
            Payload::EventRetracted { .. } => true,
            Payload::FosterCarerApproved { .. } | Payload::FosterCarerDeregistered { .. } => {
                kind == EntityKind::Household
            }
            Payload::SocialWorkerJoined { .. }
            | Payload::SocialWorkerChanged { .. }
            | Payload::SocialWorkerLeft => kind == EntityKind::Worker,
            _ => kind == EntityKind::Child,
        }
    }

    /// Period-bound payloads must fall inside a period of care (EVENTS.md section 4).
    pub fn is_period_bound(&self) -> bool {
        matches!(
            self,
            Payload::PlacementChanged { .. }
                | Payload::LegalStatusChanged { .. }
                | Payload::ReviewHeld { .. }
                | Payload::VisitMade { .. }
                | Payload::CarePlanRecorded
                | Payload::HealthAssessmentCompleted { .. }
                | Payload::DentalCheckCompleted
                | Payload::PepRecorded
                | Payload::PermanenceMatchRecorded
                | Payload::AdoptionDecisionRecorded
                | Payload::AdopterMatchRecorded
                | Payload::AdoptionDecisionReversed { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::codes::ReasonCeased;
    use crate::testkit::{ended, ev};

    /// A re-send stamped with another recording time is the same fact; another day, payload
    /// or source is not.
    #[test]
    fn the_same_fact_ignores_only_the_recording_time() {
        let first = ev("C1", "E1", "2018-05-31", ended(ReasonCeased::E13));
        let mut restamped = first.clone();
        restamped.recorded_at = crate::Timestamp(first.recorded_at.0 + 86_400_000_000_000);
        assert!(first.is_same_fact_as(&restamped));
        let other_day = ev("C1", "E1", "2018-04-30", ended(ReasonCeased::E13));
        assert!(!first.is_same_fact_as(&other_day));
        let other_reason = ev("C1", "E1", "2018-05-31", ended(ReasonCeased::E11));
        assert!(!first.is_same_fact_as(&other_reason));
        let mut other_source = first.clone();
        other_source.source = Some("another system".to_owned());
        assert!(!first.is_same_fact_as(&other_source));
        let other_child = ev("C2", "E1", "2018-05-31", ended(ReasonCeased::E13));
        assert!(!first.is_same_fact_as(&other_child));
    }
}
