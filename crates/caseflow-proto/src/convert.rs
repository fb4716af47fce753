//! Conversions between the generated wire types and the domain: wire → [`EventDraft`]
//! (mechanical, validated later by the domain) and validated [`Event`] → wire (for rendering).

use caseflow_domain::calendar::format_day;
use caseflow_domain::{
    EntityKind, Event, EventDraft, Payload, PayloadDraft, Placement, PlacementDraft,
};

use crate::v1::{self, event::Payload as P};

/// Copies every field of a decoded event into a draft. Proto3 absence stays absence: an empty
/// string, a zero or `None`.
pub fn draft_from_proto(e: v1::Event) -> EventDraft {
    EventDraft {
        event_id: e.event_id,
        la: e.la,
        child_id: e.child_id,
        household_id: e.household_id,
        worker_id: e.worker_id,
        occurred_on: e.occurred_on,
        recorded_at: e.recorded_at,
        source: e.source,
        schema_version: e.schema_version,
        payload: e.payload.map(payload_draft),
    }
}

fn payload_draft(p: P) -> PayloadDraft {
    use PayloadDraft as D;
    match p {
        P::ChildRegistered(p) => D::ChildRegistered {
            date_of_birth: p.date_of_birth,
            sex: p.sex,
        },
        P::PeriodOfCareStarted(p) => D::PeriodOfCareStarted {
            legal_status: p.legal_status,
            placement: p.placement.map(placement_draft),
            category_of_need: p.category_of_need,
        },
        P::PlacementChanged(p) => D::PlacementChanged {
            placement: p.placement.map(placement_draft),
            reason: p.reason,
            same_carer: p.same_carer,
        },
        P::LegalStatusChanged(p) => D::LegalStatusChanged {
            legal_status: p.legal_status,
        },
        P::PeriodOfCareEnded(p) => D::PeriodOfCareEnded { reason: p.reason },
        P::ReviewHeld(p) => D::ReviewHeld {
            participation: p.participation,
        },
        P::VisitMade(p) => D::VisitMade {
            seen_alone: p.seen_alone,
        },
        P::CarePlanRecorded(_) => D::CarePlanRecorded,
        P::HealthAssessmentCompleted(p) => D::HealthAssessmentCompleted { kind: p.kind },
        P::DentalCheckCompleted(_) => D::DentalCheckCompleted,
        P::PepRecorded(_) => D::PepRecorded,
        P::PermanenceMatchRecorded(_) => D::PermanenceMatchRecorded,
        P::AdoptionDecisionRecorded(_) => D::AdoptionDecisionRecorded,
        P::AdopterMatchRecorded(_) => D::AdopterMatchRecorded,
        P::AdoptionDecisionReversed(p) => D::AdoptionDecisionReversed { reason: p.reason },
        P::PathwayPlanRecorded(_) => D::PathwayPlanRecorded,
        P::CareLeaverContactRecorded(p) => D::CareLeaverContactRecorded {
            in_touch: p.in_touch,
            activity: p.activity,
            accommodation: p.accommodation,
        },
        P::CareLeaverSupportExtended(_) => D::CareLeaverSupportExtended,
        P::CareLeaverSupportEnded(_) => D::CareLeaverSupportEnded,
        P::CaseAllocated(p) => D::CaseAllocated {
            worker_id: p.worker_id,
        },
        P::EventRetracted(p) => D::EventRetracted {
            retracted_event_id: p.retracted_event_id,
            reason: p.reason,
        },
        P::FosterCarerApproved(p) => D::FosterCarerApproved {
            places: i64::from(p.places),
            connected: p.connected,
        },
        P::FosterCarerDeregistered(p) => D::FosterCarerDeregistered { reason: p.reason },
        P::SocialWorkerJoined(p) => D::SocialWorkerJoined {
            team: p.team,
            fte: p.fte,
            qualified: p.qualified,
            agency: p.agency,
            asye: p.asye,
        },
        P::SocialWorkerChanged(p) => D::SocialWorkerChanged {
            team: p.team,
            fte: p.fte,
            qualified: p.qualified,
            agency: p.agency,
            asye: p.asye,
        },
        P::SocialWorkerLeft(_) => D::SocialWorkerLeft,
    }
}

fn placement_draft(p: v1::Placement) -> PlacementDraft {
    PlacementDraft {
        kind: p.r#type,
        provider: p.provider,
        carer_id: p.carer_id,
        in_area: p.in_area,
    }
}

/// Renders a validated event as the wire type. The subject's id goes to the envelope field of
/// its kind; `recordedAt` is always present (validation filled it from the log time if absent).
pub fn event_to_proto(e: &Event) -> v1::Event {
    let id = e.subject.id.to_string();
    let (child_id, household_id, worker_id) = match e.subject.kind {
        EntityKind::Child => (id, String::new(), String::new()),
        EntityKind::Household => (String::new(), id, String::new()),
        EntityKind::Worker => (String::new(), String::new(), id),
    };
    v1::Event {
        event_id: e.id.to_string(),
        la: e.subject.la.to_string(),
        child_id,
        household_id,
        worker_id,
        occurred_on: format_day(e.occurred_on),
        recorded_at: e.recorded_at.to_rfc3339(),
        source: e.source.clone().unwrap_or_default(),
        schema_version: e.schema_version,
        payload: Some(payload_to_proto(&e.payload)),
    }
}

fn code<T: Copy>(c: Option<T>, f: fn(T) -> &'static str) -> String {
    c.map(f).unwrap_or_default().to_owned()
}

fn payload_to_proto(p: &Payload) -> P {
    use Payload as D;
    match p {
        D::ChildRegistered { date_of_birth, sex } => P::ChildRegistered(v1::ChildRegistered {
            date_of_birth: format_day(*date_of_birth),
            sex: code(*sex, |s| s.code()),
        }),
        D::PeriodOfCareStarted {
            legal_status,
            placement,
            category_of_need,
        } => P::PeriodOfCareStarted(v1::PeriodOfCareStarted {
            legal_status: legal_status.code().to_owned(),
            placement: Some(placement_to_proto(placement)),
            category_of_need: code(*category_of_need, |c| c.code()),
        }),
        D::PlacementChanged {
            placement,
            reason,
            same_carer,
        } => P::PlacementChanged(v1::PlacementChanged {
            placement: Some(placement_to_proto(placement)),
            reason: code(*reason, |r| r.code()),
            same_carer: *same_carer,
        }),
        D::LegalStatusChanged { legal_status } => P::LegalStatusChanged(v1::LegalStatusChanged {
            legal_status: legal_status.code().to_owned(),
        }),
        D::PeriodOfCareEnded { reason } => P::PeriodOfCareEnded(v1::PeriodOfCareEnded {
            reason: reason.code().to_owned(),
        }),
        D::ReviewHeld { participation } => P::ReviewHeld(v1::ReviewHeld {
            participation: code(*participation, |p| p.code()),
        }),
        D::VisitMade { seen_alone } => P::VisitMade(v1::VisitMade {
            seen_alone: *seen_alone,
        }),
        D::CarePlanRecorded => P::CarePlanRecorded(v1::CarePlanRecorded {}),
        D::HealthAssessmentCompleted { kind } => {
            P::HealthAssessmentCompleted(v1::HealthAssessmentCompleted {
                kind: kind.code().to_owned(),
            })
        }
        D::DentalCheckCompleted => P::DentalCheckCompleted(v1::DentalCheckCompleted {}),
        D::PepRecorded => P::PepRecorded(v1::PepRecorded {}),
        D::PermanenceMatchRecorded => P::PermanenceMatchRecorded(v1::PermanenceMatchRecorded {}),
        D::AdoptionDecisionRecorded => P::AdoptionDecisionRecorded(v1::AdoptionDecisionRecorded {}),
        D::AdopterMatchRecorded => P::AdopterMatchRecorded(v1::AdopterMatchRecorded {}),
        D::AdoptionDecisionReversed { reason } => {
            P::AdoptionDecisionReversed(v1::AdoptionDecisionReversed {
                reason: reason.code().to_owned(),
            })
        }
        D::PathwayPlanRecorded => P::PathwayPlanRecorded(v1::PathwayPlanRecorded {}),
        D::CareLeaverContactRecorded {
            in_touch,
            activity,
            accommodation,
        } => P::CareLeaverContactRecorded(v1::CareLeaverContactRecorded {
            in_touch: in_touch.code().to_owned(),
            activity: activity.code().to_owned(),
            accommodation: accommodation.code().to_owned(),
        }),
        D::CareLeaverSupportExtended => {
            P::CareLeaverSupportExtended(v1::CareLeaverSupportExtended {})
        }
        D::CareLeaverSupportEnded => P::CareLeaverSupportEnded(v1::CareLeaverSupportEnded {}),
        D::CaseAllocated { worker_id } => P::CaseAllocated(v1::CaseAllocated {
            worker_id: worker_id.to_string(),
        }),
        D::EventRetracted {
            retracted_event_id,
            reason,
        } => P::EventRetracted(v1::EventRetracted {
            retracted_event_id: retracted_event_id.to_string(),
            reason: reason.clone().unwrap_or_default(),
        }),
        D::FosterCarerApproved { places, connected } => {
            P::FosterCarerApproved(v1::FosterCarerApproved {
                places: i32::from(*places),
                connected: *connected,
            })
        }
        D::FosterCarerDeregistered { reason } => {
            P::FosterCarerDeregistered(v1::FosterCarerDeregistered {
                reason: reason.clone().unwrap_or_default(),
            })
        }
        D::SocialWorkerJoined {
            team,
            fte,
            qualified,
            agency,
            asye,
        } => P::SocialWorkerJoined(v1::SocialWorkerJoined {
            team: team.clone(),
            fte: *fte,
            qualified: *qualified,
            agency: *agency,
            asye: *asye,
        }),
        D::SocialWorkerChanged {
            team,
            fte,
            qualified,
            agency,
            asye,
        } => P::SocialWorkerChanged(v1::SocialWorkerChanged {
            team: team.clone(),
            fte: *fte,
            qualified: *qualified,
            agency: *agency,
            asye: *asye,
        }),
        D::SocialWorkerLeft => P::SocialWorkerLeft(v1::SocialWorkerLeft {}),
    }
}

/// Renders a validated placement as the wire type.
pub fn placement_to_proto(p: &Placement) -> v1::Placement {
    v1::Placement {
        r#type: p.kind.code().to_owned(),
        provider: code(p.provider, |c| c.code()),
        carer_id: p
            .carer_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        in_area: p.in_area,
    }
}
