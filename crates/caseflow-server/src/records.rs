//! `Records`: child-level data (timelines). Identifies children: for authorised callers only.

use std::collections::HashMap;

use caseflow_domain::calendar::format_day;
use caseflow_domain::timeline::{EntryStatus, fold_child};
use caseflow_domain::{Id, Subject};
use caseflow_proto::v1::{self, records_server::Records};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::operations::issue_to_proto;
use crate::{AppState, ServiceError, parse_la};

pub struct RecordsService(pub AppState);

impl RecordsService {
    fn timeline(&self, r: v1::GetChildTimelineRequest) -> Result<v1::ChildTimeline, ServiceError> {
        let la = parse_la(&r.la)?;
        let id = Id::parse(&r.child_id).ok_or_else(|| {
            ServiceError::InvalidArgument(format!("child_id {:?} is not a valid id", r.child_id))
        })?;
        let subject = Subject::child(la, id);
        let stored = self.0.store.events(&subject)?;
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
                let (status, detail) = match &e.status {
                    EntryStatus::Applied => ("applied", String::new()),
                    EntryStatus::Retracted { by } => ("retracted", by.to_string()),
                    EntryStatus::Flagged(reason) => ("flagged", reason.code().to_owned()),
                };
                v1::TimelineEntry {
                    stream_sequence: sequences.get(e.event.id.as_str()).copied().unwrap_or(0),
                    event: Some(caseflow_proto::event_to_proto(&e.event)),
                    status: status.to_owned(),
                    detail,
                }
            })
            .collect();
        let periods = tl
            .periods
            .iter()
            .map(|p| v1::PeriodOfCareView {
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
                    .map(|s| v1::LegalStatusSpell {
                        from: format_day(s.on),
                        legal_status: s.value.code().to_owned(),
                    })
                    .collect(),
                placements: p
                    .placements
                    .iter()
                    .map(|s| v1::PlacementSpell {
                        start: format_day(s.start),
                        placement: Some(caseflow_proto::placement_to_proto(&s.placement)),
                        same_carer: s.same_carer,
                        temporary: s.placement.kind.is_temporary(),
                    })
                    .collect(),
            })
            .collect();
        Ok(v1::ChildTimeline {
            la: la.to_string(),
            child_id: subject.id.to_string(),
            date_of_birth: tl.date_of_birth.map(format_day).unwrap_or_default(),
            sex: tl.sex.map(|s| s.code().to_owned()).unwrap_or_default(),
            entries,
            periods,
            issues: tl
                .issues
                .iter()
                .map(|i| issue_to_proto(&subject, i))
                .collect(),
        })
    }
}

#[tonic::async_trait]
impl Records for RecordsService {
    #[instrument(skip_all, fields(la = %request.get_ref().la))]
    async fn get_child_timeline(
        &self,
        request: Request<v1::GetChildTimelineRequest>,
    ) -> Result<Response<v1::ChildTimeline>, Status> {
        Ok(Response::new(self.timeline(request.into_inner())?))
    }
}
