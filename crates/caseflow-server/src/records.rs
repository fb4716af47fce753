//! `Records`: child-level data (timelines). Identifies children: for authorised callers only.

use std::collections::HashMap;

use caseflow_domain::calendar::format_day;
use caseflow_domain::indicators::{
    Context, Evaluation, Indicator, derive_subject, is_household_indicator,
};
use caseflow_domain::timeline::{EntryStatus, fold_child};
use caseflow_domain::{EntityKind, Id, Month, Subject};
use caseflow_proto::v2::{self, records_server::Records};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::audit::{Caller, Subject as AuditSubject};
use crate::auth::Role;
use crate::figures::parse_indicator;
use crate::operations::{conflict_issues, issue_to_proto};
use crate::{AppState, ServiceError, parse_la, parse_month};

const LIST_MEMBERS: &str = "/caseflow.v2.Records/ListMembers";
const GET_CHILD_TIMELINE: &str = "/caseflow.v2.Records/GetChildTimeline";

pub struct RecordsService(pub AppState);

impl RecordsService {
    fn timeline(&self, r: v2::GetChildTimelineRequest) -> Result<v2::ChildTimeline, ServiceError> {
        let la = parse_la(&r.la)?;
        let id = Id::parse(&r.child_id).ok_or_else(|| {
            ServiceError::InvalidArgument(format!("child_id {:?} is not a valid id", r.child_id))
        })?;
        let subject = Subject::child(la, id);
        let log = self.0.store.subject_log(&subject)?;
        let stored = &log.events;
        if stored.is_empty() {
            return Err(ServiceError::NotFound(format!("no events for {subject}")));
        }
        let sequences: HashMap<&str, u64> = stored
            .iter()
            .map(|s| (s.event.id.as_str(), s.sequence))
            .collect();
        let events: Vec<_> = stored.iter().map(|s| s.event.clone()).collect();
        let tl = fold_child(&events);
        let entries = tl
            .entries
            .iter()
            .map(|e| {
                let detail = match &e.status {
                    EntryStatus::Applied => String::new(),
                    EntryStatus::Retracted { by } => by.to_string(),
                    EntryStatus::Flagged(reason) => reason.code().to_owned(),
                };
                v2::TimelineEntry {
                    stream_sequence: sequences.get(e.event.id.as_str()).copied().unwrap_or(0),
                    event: Some(caseflow_proto::event_to_proto(&e.event)),
                    status: v2::EntryStatus::from(&e.status).into(),
                    detail,
                }
            })
            .collect();
        let periods = tl
            .periods
            .iter()
            .map(|p| v2::PeriodOfCareView {
                start: format_day(p.start),
                end: p.end.map(format_day).unwrap_or_default(),
                end_reason: p
                    .end_reason
                    .map(|r| r.code().to_owned())
                    .unwrap_or_default(),
                short_break: p.short_break,
                legal_statuses: p
                    .legal_statuses
                    .iter()
                    .map(|s| v2::LegalStatusSpell {
                        from: format_day(s.on),
                        legal_status: s.value.code().to_owned(),
                    })
                    .collect(),
                placements: p
                    .placements
                    .iter()
                    .map(|s| v2::PlacementSpell {
                        start: format_day(s.start),
                        placement: Some(caseflow_proto::placement_to_proto(&s.placement)),
                        same_carer: s.same_carer,
                        temporary: s.placement.kind.is_temporary(),
                    })
                    .collect(),
            })
            .collect();
        Ok(v2::ChildTimeline {
            la: la.to_string(),
            child_id: subject.id.to_string(),
            date_of_birth: tl.date_of_birth.map(format_day).unwrap_or_default(),
            sex: tl.sex.map(|s| s.code().to_owned()).unwrap_or_default(),
            entries,
            periods,
            // The timeline's issues, then the subject's conflicting duplicates.
            issues: tl
                .issues
                .iter()
                .cloned()
                .chain(conflict_issues(&log))
                .map(|i| issue_to_proto(&subject, &i))
                .collect(),
        })
    }
}

/// Every member of `indicator` in `month` of `la`, re-deriving each subject with the
/// projector's settings and day so the members add up to the stored figure. All are found
/// before any is sent: the audit record, written first, says how many.
fn members(
    state: &AppState,
    la: caseflow_domain::La,
    indicator: Indicator,
    month: Month,
) -> Result<Vec<v2::Member>, ServiceError> {
    if caseflow_domain::indicators::caseloads::DERIVES.contains(&indicator) {
        return workers(state, la, indicator, month);
    }
    let mut found = Vec::new();
    let ctx = Context::new(state.settings.of(la).indicators.clone(), state.as_of()?);
    let kind = if is_household_indicator(indicator) {
        EntityKind::Household
    } else {
        EntityKind::Child
    };
    for subject in state.store.subjects(Some(la))? {
        if subject.kind != kind {
            continue;
        }
        let stored = state.store.events(&subject)?;
        let mut evaluations: Vec<Evaluation> = Vec::new();
        derive_subject(
            kind,
            stored.iter().map(|s| &s.event),
            &ctx,
            &mut evaluations,
        );
        let mine: Vec<&Evaluation> = evaluations
            .iter()
            .filter(|e| e.indicator == indicator && e.month == month)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let member = v2::Member {
            subject: subject.to_string(),
            id: subject.id.to_string(),
            numerator: mine.iter().map(|e| e.numerator).sum(),
            denominator: mine.iter().map(|e| e.denominator).sum(),
            facts: mine
                .iter()
                .flat_map(|e| &e.facts)
                .map(|f| v2::MemberFact {
                    name: f.name.to_owned(),
                    value: f.value.to_string(),
                })
                .collect(),
        };
        found.push(member);
    }
    Ok(found)
}

/// The workers behind a caseload figure: counted workers (qualified, with cases) in LAC team
/// groups, with their team, FTE and cases.
fn workers(
    state: &AppState,
    la: caseflow_domain::La,
    indicator: Indicator,
    month: Month,
) -> Result<Vec<v2::Member>, ServiceError> {
    let loads = state.caseloads(la, [month])?;
    let mut found = Vec::new();
    let Some(c) = loads.get(&month) else {
        return Ok(found);
    };
    for w in c
        .workers
        .iter()
        .filter(|w| w.counted() && w.group.is_some())
    {
        let (numerator, denominator) = match indicator {
            Indicator::AgencyWorkers => (i64::from(w.state.agency), 1),
            Indicator::AverageCaseload => (w.cases * 100, (w.state.fte * 100.0).round() as i64),
            _ => (w.cases, 0),
        };
        let fact = |name: &str, value: String| v2::MemberFact {
            name: name.to_owned(),
            value,
        };
        let member = v2::Member {
            subject: Subject::new(la, EntityKind::Worker, w.worker.clone()).to_string(),
            id: w.worker.to_string(),
            numerator,
            denominator,
            facts: vec![
                fact("team", w.state.team.clone()),
                fact("group", w.group.clone().unwrap_or_default()),
                fact("fte", w.state.fte.to_string()),
                fact("cases", w.cases.to_string()),
                fact("agency", w.state.agency.to_string()),
            ],
        };
        found.push(member);
    }
    Ok(found)
}

#[tonic::async_trait]
impl Records for RecordsService {
    type ListMembersStream = tokio_stream::Iter<std::vec::IntoIter<Result<v2::Member, Status>>>;

    #[instrument(skip_all, fields(la = %request.get_ref().la, indicator = %request.get_ref().indicator, month = %request.get_ref().month))]
    async fn list_members(
        &self,
        request: Request<v2::ListMembersRequest>,
    ) -> Result<Response<Self::ListMembersStream>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let la = parse_la(&r.la)?;
        let about = AuditSubject {
            la: Some(la),
            indicator: r.indicator.clone(),
            month: r.month.clone(),
            ..Default::default()
        };
        let auditor = &self.0.auditor;
        auditor
            .admit(&caller, Role::Records, LIST_MEMBERS, &about)
            .await?;
        let indicator = parse_indicator(&r.indicator)?;
        if indicator == Indicator::Rate {
            return Err(ServiceError::InvalidArgument(
                "6.2 is 6.1 over a population: list the members of 6.1".to_owned(),
            )
            .into());
        }
        let month = parse_month("month", &r.month)?;
        let found =
            crate::blocking(&self.0, move |state| members(&state, la, indicator, month)).await?;
        auditor
            .record(&caller, LIST_MEMBERS, &about, found.len())
            .await?;
        Ok(Response::new(tokio_stream::iter(
            found.into_iter().map(Ok).collect::<Vec<_>>(),
        )))
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la))]
    async fn get_child_timeline(
        &self,
        request: Request<v2::GetChildTimelineRequest>,
    ) -> Result<Response<v2::ChildTimeline>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let la = parse_la(&r.la)?;
        let about = AuditSubject {
            la: Some(la),
            child_id: r.child_id.clone(),
            ..Default::default()
        };
        let auditor = &self.0.auditor;
        auditor
            .admit(&caller, Role::Records, GET_CHILD_TIMELINE, &about)
            .await?;
        match crate::blocking(&self.0, move |state| RecordsService(state).timeline(r)).await {
            Ok(timeline) => {
                auditor
                    .record(&caller, GET_CHILD_TIMELINE, &about, timeline.entries.len())
                    .await?;
                Ok(Response::new(timeline))
            }
            Err(e @ ServiceError::NotFound(_)) => Err(auditor
                .refused(&caller, GET_CHILD_TIMELINE, &about, e)
                .await
                .into()),
            Err(e) => Err(e.into()),
        }
    }
}
