//! Service errors and the one table that maps them to gRPC status codes.

use caseflow_log::{AppendError, LogError};
use caseflow_store::StoreError;
use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    NotFound(String),
    /// Optimistic concurrency failed: re-read and retry.
    #[error("{0}")]
    Conflict(String),
    /// A dependency (NATS) is not reachable now.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
    /// No credentials, or credentials that do not verify.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller's grants do not cover what it asked.
    #[error("{0}")]
    PermissionDenied(String),
    /// The figures are not current (the stream lost their history).
    #[error("{0}")]
    FailedPrecondition(String),
}

impl ServiceError {
    /// The gRPC code's name in snake case, as the audit trail records outcomes.
    pub fn code_name(&self) -> &'static str {
        match self {
            ServiceError::InvalidArgument(_) => "invalid_argument",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Conflict(_) => "aborted",
            ServiceError::Unavailable(_) => "unavailable",
            ServiceError::Internal(_) => "internal",
            ServiceError::Unauthenticated(_) => "unauthenticated",
            ServiceError::PermissionDenied(_) => "permission_denied",
            ServiceError::FailedPrecondition(_) => "failed_precondition",
        }
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Status {
        let code = match &e {
            ServiceError::InvalidArgument(_) => Code::InvalidArgument,
            ServiceError::NotFound(_) => Code::NotFound,
            ServiceError::Conflict(_) => Code::Aborted,
            ServiceError::Unavailable(_) => Code::Unavailable,
            ServiceError::Internal(_) => Code::Internal,
            ServiceError::Unauthenticated(_) => Code::Unauthenticated,
            ServiceError::PermissionDenied(_) => Code::PermissionDenied,
            ServiceError::FailedPrecondition(_) => Code::FailedPrecondition,
        };
        if code == Code::Internal {
            tracing::error!(error = %e, "internal error serving a request");
        }
        Status::new(code, e.to_string())
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            // Open again in a moment.
            StoreError::Reopening => ServiceError::Unavailable(format!("projection store: {e}")),
            e => ServiceError::Internal(format!("projection store: {e}")),
        }
    }
}

impl From<LogError> for ServiceError {
    fn from(e: LogError) -> Self {
        ServiceError::Unavailable(e.to_string())
    }
}

impl From<AppendError> for ServiceError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Conflict { .. } => ServiceError::Conflict(e.to_string()),
            AppendError::Failed { .. } => ServiceError::Unavailable(e.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ServiceError {
    fn from(e: tokio::task::JoinError) -> Self {
        ServiceError::Internal(format!("blocking task failed: {e}"))
    }
}
