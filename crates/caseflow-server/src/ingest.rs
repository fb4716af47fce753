//! `Ingest`: validate, then append to the log.

use caseflow_domain::{Rejection, Timestamp};
use caseflow_log::{Append, ContentType};
use caseflow_proto::v2::{self, append_response::Outcome, ingest_server::Ingest};
use prost::Message;
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{AppState, ServiceError};

pub struct IngestService(pub AppState);

#[tonic::async_trait]
impl Ingest for IngestService {
    #[instrument(skip_all)]
    async fn append(
        &self,
        request: Request<v2::AppendRequest>,
    ) -> Result<Response<v2::AppendResponse>, Status> {
        let caller = crate::Caller::of(&request)?;
        let request = request.into_inner();
        let event = request.event.ok_or_else(|| {
            ServiceError::InvalidArgument("the request carries no event".to_owned())
        })?;
        let bytes = event.encode_to_vec();
        let draft = caseflow_proto::draft_from_proto(event);
        let event_id = draft.event_id.clone();
        let metrics = &self.0.metrics;
        let rejected = |subject: String, r: Rejection| {
            metrics.rejected(r.reason.code());
            metrics.ingest("rejected");
            Ok(Response::new(v2::AppendResponse {
                outcome: Some(Outcome::Rejection(v2::Rejection {
                    reason: r.reason.code().to_owned(),
                    message: r.message,
                    subject,
                    stream_sequence: 0,
                    // Echoed only when valid (an invalid one is described in the message).
                    event_id: caseflow_domain::Id::parse(&event_id)
                        .map(|_| event_id.clone())
                        .unwrap_or_default(),
                    rejected_at: String::new(),
                })),
            }))
        };
        let subject = match draft.subject() {
            Ok(s) => s,
            Err(r) => return rejected(String::new(), r),
        };
        // A case system appends only for the authorities it is granted.
        caller.require(crate::Role::Ingest, subject.la)?;
        // Without recordedAt, an event is recorded when the log stamps it: now, on the wall
        // clock (the injected clock is the reporting day, which may be in the past).
        let now = Timestamp::from_offset(time::OffsetDateTime::now_utc());
        let event = match draft.validate(&subject, now) {
            Ok(e) => e,
            Err(r) => return rejected(subject.to_string(), r),
        };
        let appended = self
            .0
            .log
            .append(Append {
                subject: subject.to_string(),
                event_id: event.id.as_str().to_owned(),
                payload: bytes.into(),
                content_type: ContentType::Protobuf,
                expected_last_subject_sequence: request.expected_last_subject_sequence,
            })
            .await
            .map_err(|e| {
                let e = ServiceError::from(e);
                metrics.ingest(match e {
                    ServiceError::Conflict(_) => "conflict",
                    _ => "failed",
                });
                e
            })?;
        metrics.ingest(if appended.duplicate {
            "duplicate"
        } else {
            "appended"
        });
        Ok(Response::new(v2::AppendResponse {
            outcome: Some(Outcome::Appended(v2::Appended {
                subject: subject.to_string(),
                stream_sequence: appended.sequence,
                duplicate: appended.duplicate,
            })),
        }))
    }
}
