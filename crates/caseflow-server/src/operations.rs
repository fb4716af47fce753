//! `Operations`: projector status, rejections, data-quality issues.

use caseflow_domain::calendar::format_day;
use caseflow_domain::{DataQualityIssue, EntityKind, Id, Subject, data_quality_issues};
use caseflow_proto::v2::{self, operations_server::Operations};
use caseflow_store::SubjectLog;
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::audit::{Caller, Subject as AuditSubject};
use crate::auth::Role;
use crate::{AppState, ServiceError, parse_la};

const LIST_REJECTIONS: &str = "/caseflow.v2.Operations/ListRejections";
const LIST_DATA_QUALITY_ISSUES: &str = "/caseflow.v2.Operations/ListDataQualityIssues";

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
        request: Request<v2::GetStatusRequest>,
    ) -> Result<Response<v2::ProjectorStatus>, Status> {
        Caller::of(&request)?.require_role(Role::Operations)?;
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
            problem: self.0.condition.borrow().problem().unwrap_or_default(),
        }))
    }

    #[instrument(skip_all)]
    async fn list_rejections(
        &self,
        request: Request<v2::ListRejectionsRequest>,
    ) -> Result<Response<v2::ListRejectionsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let la = if r.la.is_empty() {
            None
        } else {
            Some(parse_la(&r.la)?)
        };
        let about = AuditSubject {
            la,
            ..Default::default()
        };
        let auditor = &self.0.auditor;
        auditor
            .admit(&caller, Role::Operations, LIST_REJECTIONS, &about)
            .await?;
        let limit = limit(r.limit);
        let principal = caller.principal.clone();
        let records = crate::blocking(&self.0, move |state| {
            // Without an authority, a caller whose grants cover only some sees only theirs
            // (rejections whose subject names no authority are for all-authority operators).
            if la.is_some() || principal.may_all(Role::Operations) {
                return Ok(state.store.rejections(la, r.after_sequence, limit)?);
            }
            let mut found = Vec::new();
            let mut after = r.after_sequence;
            loop {
                let page = state.store.rejections(None, after, 1000)?;
                let Some(last) = page.last() else { break };
                after = last.sequence;
                found.extend(
                    page.into_iter()
                        .filter(|x| x.la.is_some_and(|la| principal.may(Role::Operations, la))),
                );
                if found.len() >= limit {
                    found.truncate(limit);
                    break;
                }
            }
            Ok(found)
        })
        .await?;
        auditor
            .record(&caller, LIST_REJECTIONS, &about, records.len())
            .await?;
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
            .admit(&caller, Role::Operations, LIST_DATA_QUALITY_ISSUES, &about)
            .await?;
        let answer =
            crate::blocking(&self.0, move |state| OperationsService(state).issues(r)).await?;
        auditor
            .record(
                &caller,
                LIST_DATA_QUALITY_ISSUES,
                &about,
                answer.issues.len(),
            )
            .await?;
        Ok(Response::new(answer))
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la))]
    async fn list_audit(
        &self,
        request: Request<v2::ListAuditRequest>,
    ) -> Result<Response<v2::ListAuditResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let la = if r.la.is_empty() {
            None
        } else {
            Some(parse_la(&r.la)?)
        };
        match la {
            Some(la) => caller.require(Role::Audit, la)?,
            None => caller.require_role(Role::Audit)?,
        }
        let from = if r.since.is_empty() {
            caseflow_log::AuditFrom::After(r.after_sequence)
        } else {
            caseflow_log::AuditFrom::Since(parse_since(&r.since)?)
        };
        let principal = caller.principal.clone();
        let la_text = la.map(|la| la.to_string());
        let keep = move |record: &v2::AuditRecord| {
            record.sequence > r.after_sequence
                && (r.child_id.is_empty() || record.child_id == r.child_id)
                && (r.who.is_empty() || record.who == r.who)
                && match caseflow_domain::La::parse(&record.la) {
                    Some(la) => principal.may(Role::Audit, la),
                    None => principal.may_all(Role::Audit),
                }
        };
        let entries = self
            .0
            .auditor
            .trail()
            .read(
                la_text.as_deref(),
                from,
                limit(r.limit),
                |sequence, bytes| decode_audit(sequence, bytes).is_some_and(|record| keep(&record)),
            )
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(v2::ListAuditResponse {
            records: entries
                .iter()
                .filter_map(|e| decode_audit(e.sequence, &e.payload))
                .collect(),
        }))
    }
}

fn decode_audit(sequence: u64, bytes: &[u8]) -> Option<v2::AuditRecord> {
    use prost::Message;
    let mut record = v2::AuditRecord::decode(bytes).ok()?;
    record.sequence = sequence;
    Some(record)
}

/// `YYYY-MM-DD` (midnight UTC) or RFC 3339.
fn parse_since(s: &str) -> Result<time::OffsetDateTime, ServiceError> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(at) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(at);
    }
    caseflow_domain::calendar::parse_day(s)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            ServiceError::InvalidArgument(format!(
                "since {s:?} is neither YYYY-MM-DD nor an RFC 3339 moment"
            ))
        })
}
