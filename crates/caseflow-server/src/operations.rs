//! `Operations`: projector status, rejections, data-quality issues.

use caseflow_domain::calendar::format_day;
use caseflow_domain::{DataQualityIssue, EntityKind, Id, Subject, data_quality_issues};
use caseflow_proto::v2::{self, operations_server::Operations};
use caseflow_store::SubjectLog;
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{AppState, ServiceError, parse_la};

pub struct OperationsService(pub AppState);

pub(crate) fn issue_to_proto(subject: &Subject, i: &DataQualityIssue) -> v2::DataQualityIssue {
    v2::DataQualityIssue {
        la: subject.la.to_string(),
        subject: subject.to_string(),
        reason: i.reason.code().to_owned(),
        event_id: i.event_id.as_ref().map(Id::to_string).unwrap_or_default(),
        occurred_on: i.occurred_on.map(format_day).unwrap_or_default(),
        message: i.message.clone(),
    }
}

/// A subject's data-quality issues: those of its timeline, then its conflicting duplicates.
fn issues_of(subject: &Subject, log: &SubjectLog) -> Vec<DataQualityIssue> {
    let mut issues = data_quality_issues(subject.kind, log.events.iter().map(|s| &s.event));
    issues.extend(conflict_issues(log));
    issues
}

/// The subject's conflicting duplicates (event ids re-sent with other content), as issues.
pub(crate) fn conflict_issues(log: &SubjectLog) -> impl Iterator<Item = DataQualityIssue> + '_ {
    log.conflicts.iter().map(|c| {
        DataQualityIssue::conflicting_duplicate(&c.event_id, c.occurred_on, c.kept, c.dropped)
    })
}

fn limit(requested: u32) -> usize {
    match requested {
        0 => 100,
        n => n.min(1000) as usize,
    }
}

impl OperationsService {
    fn issues(
        &self,
        r: v2::ListDataQualityIssuesRequest,
    ) -> Result<v2::ListDataQualityIssuesResponse, ServiceError> {
        let la = parse_la(&r.la)?;
        let limit = limit(r.limit);
        let subjects = if r.child_id.is_empty() {
            self.0.store.subjects(Some(la))?
        } else {
            let id = Id::parse(&r.child_id).ok_or_else(|| {
                ServiceError::InvalidArgument(format!(
                    "child_id {:?} is not a valid id",
                    r.child_id
                ))
            })?;
            vec![Subject::new(la, EntityKind::Child, id)]
        };
        let mut issues = Vec::new();
        'subjects: for subject in subjects {
            let log = self.0.store.subject_log(&subject)?;
            let found = issues_of(&subject, &log);
            for i in &found {
                if issues.len() >= limit {
                    break 'subjects;
                }
                issues.push(issue_to_proto(&subject, i));
            }
        }
        Ok(v2::ListDataQualityIssuesResponse { issues })
    }
}

#[tonic::async_trait]
impl Operations for OperationsService {
    #[instrument(skip_all)]
    async fn get_status(
        &self,
        _: Request<v2::GetStatusRequest>,
    ) -> Result<Response<v2::ProjectorStatus>, Status> {
        let store = &self.0.store;
        let applied = store.applied_sequence().map_err(ServiceError::from)?;
        let counts = store.counts().map_err(ServiceError::from)?;
        let as_of = store.as_of().map_err(ServiceError::from)?;
        let last = self
            .0
            .log
            .last_sequence()
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(v2::ProjectorStatus {
            applied_sequence: applied,
            stream_last_sequence: last,
            lag: last.saturating_sub(applied),
            horizon_month: as_of
                .map(|d| caseflow_domain::Month::of(d).to_string())
                .unwrap_or_default(),
            events_stored: counts.events_stored,
            rejections: counts.rejections,
            duplicates: counts.duplicates,
        }))
    }

    #[instrument(skip_all)]
    async fn list_rejections(
        &self,
        request: Request<v2::ListRejectionsRequest>,
    ) -> Result<Response<v2::ListRejectionsResponse>, Status> {
        let r = request.into_inner();
        let la = if r.la.is_empty() {
            None
        } else {
            Some(parse_la(&r.la)?)
        };
        let records = self
            .0
            .store
            .rejections(la, r.after_sequence, limit(r.limit))
            .map_err(ServiceError::from)?;
        Ok(Response::new(v2::ListRejectionsResponse {
            rejections: records
                .into_iter()
                .map(|r| v2::Rejection {
                    reason: r.reason,
                    message: r.message,
                    subject: r.subject,
                    stream_sequence: r.sequence,
                    event_id: r.event_id.unwrap_or_default(),
                    rejected_at: r.rejected_at,
                })
                .collect(),
        }))
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la))]
    async fn list_data_quality_issues(
        &self,
        request: Request<v2::ListDataQualityIssuesRequest>,
    ) -> Result<Response<v2::ListDataQualityIssuesResponse>, Status> {
        Ok(Response::new(
            crate::blocking(&self.0, move |state| {
                OperationsService(state).issues(request.into_inner())
            })
            .await?,
        ))
    }
}
