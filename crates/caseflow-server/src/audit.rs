//! The audit trail of reads of personal data, and the guard every service sits behind.
//!
//! A call that returns personal data (Records, and the Operations calls that name subjects)
//! computes its answer, then writes an [`AuditRecord`](v2::AuditRecord) and waits for the audit
//! stream's acknowledgement, and only then answers. If the record cannot be written the call
//! fails with `UNAVAILABLE` and nothing is sent. Refusals (`PERMISSION_DENIED`) are recorded
//! too, best effort: a refusal stands whether or not its record is written.

use std::net::SocketAddr;
use std::sync::Arc;

use caseflow_domain::La;
use caseflow_log::AuditTrail;
use caseflow_proto::v2;
use prost::Message;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::ServiceError;
use crate::auth::{Authenticator, Principal, Role};

/// The caller of one request, as the guard found it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Arc<Principal>,
    pub peer: Option<SocketAddr>,
}

impl Caller {
    /// The caller the guard put on `request`.
    pub fn of<T>(request: &Request<T>) -> Result<Caller, Status> {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| {
                Status::unauthenticated("the call reached a service without passing its guard")
            })
    }

    pub fn require(&self, role: Role, la: La) -> Result<(), ServiceError> {
        self.principal.require(role, la)
    }

    /// `PERMISSION_DENIED` unless the caller holds `role` for some authority.
    pub fn require_role(&self, role: Role) -> Result<(), ServiceError> {
        if self.principal.has(role) {
            Ok(())
        } else {
            Err(ServiceError::PermissionDenied(format!(
                "{} does not hold the {role} role",
                self.principal.who
            )))
        }
    }
}

/// The interceptor in front of a service: authenticates the caller, refuses one who holds none
/// of `roles` for any authority, and leaves the [`Caller`] on the request for the handler's
/// checks of role and authority scope. No roles (reflection): a valid credential is enough.
#[derive(Clone)]
pub struct Guard {
    pub auth: Arc<Authenticator>,
    pub roles: &'static [Role],
    /// Set for services that serve figures: while it holds a refusal (lost history), calls are
    /// refused with `FAILED_PRECONDITION` (the figures are not current).
    pub current: Option<tokio::sync::watch::Receiver<caseflow_store::Condition>>,
}

impl Interceptor for Guard {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let certificates = request.peer_certs();
        let principal = self
            .auth
            .authenticate(request.metadata(), certificates.as_deref().map(Vec::as_slice))
            .inspect_err(|e| tracing::info!(peer = ?request.remote_addr(), reason = %e, "call refused: not authenticated"))?;
        if !self.roles.is_empty() && !self.roles.iter().any(|&r| principal.has(r)) {
            let roles: Vec<&str> = self.roles.iter().map(|r| r.name()).collect();
            tracing::info!(who = %principal.who, ?roles, "call refused: role not held");
            return Err(ServiceError::PermissionDenied(format!(
                "{} does not hold the {} role",
                principal.who,
                roles.join(" or ")
            ))
            .into());
        }
        if let Some(current) = &self.current
            && let Some(reason) = current.borrow().refusal()
        {
            return Err(ServiceError::FailedPrecondition(format!(
                "the figures are not current: {reason}"
            ))
            .into());
        }
        let peer = request.remote_addr();
        request.extensions_mut().insert(Caller { principal, peer });
        Ok(request)
    }
}

/// What one audited call was about.
#[derive(Clone, Debug, Default)]
pub struct Subject {
    pub la: Option<La>,
    pub indicator: String,
    pub month: String,
    pub child_id: String,
}

/// Writes audit records.
#[derive(Clone, Debug)]
pub struct Auditor {
    trail: AuditTrail,
}

impl Auditor {
    pub fn new(trail: AuditTrail) -> Auditor {
        Auditor { trail }
    }

    pub fn trail(&self) -> &AuditTrail {
        &self.trail
    }

    /// Records a call that is about to return `records` records, and waits for the record to
    /// be stored: `UNAVAILABLE` when it cannot be.
    pub async fn record(
        &self,
        caller: &Caller,
        method: &str,
        about: &Subject,
        records: usize,
    ) -> Result<(), ServiceError> {
        self.write(caller, method, about, records, "ok")
            .await
            .map_err(|e| {
                tracing::error!(error = %e, method, "audit record not written: the call is refused");
                ServiceError::Unavailable(format!(
                    "the audit trail cannot be written, so no personal data is served: {e}"
                ))
            })
    }

    /// Lets the call go on if the caller may use `role` about `about.la` (or, when it names
    /// no authority, holds `role` at all); otherwise records the refusal and hands it back.
    pub async fn admit(
        &self,
        caller: &Caller,
        role: Role,
        method: &str,
        about: &Subject,
    ) -> Result<(), ServiceError> {
        let allowed = match about.la {
            Some(la) => caller.require(role, la),
            None => caller.require_role(role),
        };
        match allowed {
            Ok(()) => Ok(()),
            Err(e) => Err(self.refused(caller, method, about, e).await),
        }
    }

    /// Records a refused call, best effort, and hands the refusal back.
    pub async fn refused(
        &self,
        caller: &Caller,
        method: &str,
        about: &Subject,
        error: ServiceError,
    ) -> ServiceError {
        let outcome = error.code_name();
        if let Err(e) = self.write(caller, method, about, 0, outcome).await {
            tracing::warn!(error = %e, method, "audit record of a refused call not written");
        }
        error
    }

    async fn write(
        &self,
        caller: &Caller,
        method: &str,
        about: &Subject,
        records: usize,
        outcome: &str,
    ) -> Result<(), caseflow_log::AppendError> {
        let la = about.la.map(|la| la.to_string());
        let record = v2::AuditRecord {
            sequence: 0,
            at: OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
            who: caller.principal.who.clone(),
            credential: caller.principal.credential.name().to_owned(),
            method: method.to_owned(),
            la: la.clone().unwrap_or_default(),
            indicator: about.indicator.clone(),
            month: about.month.clone(),
            child_id: about.child_id.clone(),
            records: records as u64,
            outcome: outcome.to_owned(),
            peer: caller.peer.map(|p| p.to_string()).unwrap_or_default(),
        };
        self.trail
            .append(la.as_deref(), record.encode_to_vec().into())
            .await
            .map(|_| ())
    }
}
