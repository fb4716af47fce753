//! Who is calling, and what they may see.
//!
//! A caller proves who it is with one of:
//! - a bearer token that is a signed JWT from the organisation's identity provider (OpenID
//!   Connect), checked offline against the keys of a JWKS file: RS256 or ES256 only, a known
//!   key id, signature, issuer, audience, expiry and not-before;
//! - a bearer service token (`cfst_…`), a random secret of which the configuration holds only
//!   the SHA-256 hash, for case systems and scripts;
//! - a client certificate verified by the TLS layer (mutual TLS), its subject named in the
//!   configuration.
//!
//! What a caller may do is a set of [`Grant`]s: a [`Role`] (one per service, plus `audit`) over
//! a set of authorities or all of them. With no authentication configured every caller is
//! [`Principal::anonymous`], allowed everything: the loopback demo.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use caseflow_domain::La;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tonic::metadata::MetadataMap;
use tonic::transport::CertificateDer;

use crate::ServiceError;

/// The prefix of a service token: tells it from a JWT at a glance, and lets secret scanners
/// recognise a leaked one.
pub const SERVICE_TOKEN_PREFIX: &str = "cfst_";

/// What a grant allows: one service each, plus reading the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The Figures service: aggregate numbers only.
    Figures,
    /// The Records service: the children behind figures, timelines.
    Records,
    /// Ingest/Append.
    Ingest,
    /// The Operations service: status, rejections and data-quality issues (which name subjects).
    Operations,
    /// Reading the audit trail.
    Audit,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Figures,
        Role::Records,
        Role::Ingest,
        Role::Operations,
        Role::Audit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Figures => "figures",
            Role::Records => "records",
            Role::Ingest => "ingest",
            Role::Operations => "operations",
            Role::Audit => "audit",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The authorities a grant covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorities {
    All,
    Only(BTreeSet<La>),
}

impl Authorities {
    /// `["*"]` is every authority; otherwise three-digit codes.
    pub fn parse<S: AsRef<str>>(codes: &[S]) -> Result<Authorities, String> {
        if codes.iter().any(|c| c.as_ref() == "*") {
            return Ok(Authorities::All);
        }
        codes
            .iter()
            .map(|c| {
                La::parse(c.as_ref())
                    .ok_or_else(|| format!("{:?} is not a three-digit authority code", c.as_ref()))
            })
            .collect::<Result<_, _>>()
            .map(Authorities::Only)
    }

    pub fn covers(&self, la: La) -> bool {
        match self {
            Authorities::All => true,
            Authorities::Only(set) => set.contains(&la),
        }
    }
}

/// One role over some authorities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub authorities: Authorities,
}

impl Grant {
    /// Every role in `roles` over `authorities`.
    pub fn each(roles: &[Role], authorities: &Authorities) -> Vec<Grant> {
        roles
            .iter()
            .map(|&role| Grant {
                role,
                authorities: authorities.clone(),
            })
            .collect()
    }
}

/// How the caller proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Jwt,
    ServiceToken,
    Certificate,
    /// Authentication is off.
    None,
}

impl Credential {
    pub fn name(self) -> &'static str {
        match self {
            Credential::Jwt => "jwt",
            Credential::ServiceToken => "service-token",
            Credential::Certificate => "certificate",
            Credential::None => "none",
        }
    }
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The token's subject, the service token's name, or the certificate's subject.
    pub who: String,
    pub credential: Credential,
    pub grants: Vec<Grant>,
    /// When the credential stops being valid (JWTs).
    pub expires: Option<OffsetDateTime>,
}

impl Principal {
    /// Every role over every authority: authentication is off.
    pub fn anonymous() -> Principal {
        Principal {
            who: "anonymous".to_owned(),
            credential: Credential::None,
            grants: Grant::each(&Role::ALL, &Authorities::All),
            expires: None,
        }
    }

    /// Holds `role` for at least one authority.
    pub fn has(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// May use `role` about `la`.
    pub fn may(&self, role: Role, la: La) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.authorities.covers(la))
    }

    /// Holds `role` over every authority.
    pub fn may_all(&self, role: Role) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.authorities == Authorities::All)
    }

    /// `PERMISSION_DENIED` unless the caller may use `role` about `la`. The message names only
    /// what was asked, so a refusal tells nothing about what exists.
    pub fn require(&self, role: Role, la: La) -> Result<(), ServiceError> {
        if self.may(role, la) {
            Ok(())
        } else {
            Err(ServiceError::PermissionDenied(format!(
                "{} may not use the {role} role for authority {la}",
                self.who
            )))
        }
    }
}

/// Checks JWTs.
#[derive(Clone)]
pub struct JwtSettings {
    pub jwks: JwkSet,
    pub issuer: String,
    pub audience: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// The claim naming the caller.
    pub who_claim: String,
    /// The claim carrying role names (an array, or a space-separated string).
    pub roles_claim: String,
    /// The claim carrying authority codes or `*` (an array, or a space-separated string).
    pub authorities_claim: String,
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSettings")
            .field("keys", &self.jwks.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// A service token as configured: its hash, never the secret.
#[derive(Clone, Debug)]
pub struct ServiceToken {
    pub name: String,
    pub sha256: [u8; 32],
    pub grants: Vec<Grant>,
}

/// A client certificate subject and what it may do.
#[derive(Clone, Debug)]
pub struct CertificateGrant {
    pub subject: String,
    pub grants: Vec<Grant>,
}

/// Everything authentication is configured with.
#[derive(Clone, Debug, Default)]
pub struct AuthSettings {
    pub jwt: Option<JwtSettings>,
    pub service_tokens: Vec<ServiceToken>,
    pub certificates: Vec<CertificateGrant>,
}

impl AuthSettings {
    /// Some way of authenticating is configured.
    pub fn enabled(&self) -> bool {
        self.jwt.is_some() || !self.service_tokens.is_empty() || !self.certificates.is_empty()
    }
}

/// The SHA-256 of a service token, as the configuration holds it (`sha256:<hex>`).
pub fn service_token_hash(token: &str) -> String {
    format!("sha256:{}", hex(&Sha256::digest(token.as_bytes())))
}

/// Reads `sha256:<64 hex digits>`.
pub fn parse_service_token_hash(s: &str) -> Option<[u8; 32]> {
    let digits = s.strip_prefix("sha256:")?;
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Verified JWTs kept until they expire; cleared when it grows past this.
const CACHE_LIMIT: usize = 10_000;

/// Turns a call's credentials into a [`Principal`].
pub struct Authenticator {
    settings: AuthSettings,
    tokens: HashMap<[u8; 32], Arc<Principal>>,
    certificates: Vec<(String, Arc<Principal>)>,
    anonymous: Arc<Principal>,
    cache: Mutex<HashMap<[u8; 32], Arc<Principal>>>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Why a credential was refused: `UNAUTHENTICATED` with this message.
fn refuse(why: impl Into<String>) -> ServiceError {
    ServiceError::Unauthenticated(why.into())
}

impl Authenticator {
    pub fn new(settings: AuthSettings) -> Authenticator {
        let tokens = settings
            .service_tokens
            .iter()
            .map(|t| {
                (
                    t.sha256,
                    Arc::new(Principal {
                        who: t.name.clone(),
                        credential: Credential::ServiceToken,
                        grants: t.grants.clone(),
                        expires: None,
                    }),
                )
            })
            .collect();
        let certificates = settings
            .certificates
            .iter()
            .map(|c| {
                (
                    normalise_subject(&c.subject),
                    Arc::new(Principal {
                        who: c.subject.clone(),
                        credential: Credential::Certificate,
                        grants: c.grants.clone(),
                        expires: None,
                    }),
                )
            })
            .collect();
        Authenticator {
            settings,
            tokens,
            certificates,
            anonymous: Arc::new(Principal::anonymous()),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Authentication off: everyone is [`Principal::anonymous`].
    pub fn off() -> Authenticator {
        Authenticator::new(AuthSettings::default())
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled()
    }

    /// The caller of a request with `metadata`, over a connection whose verified client
    /// certificates (mutual TLS) are `certificates`.
    pub fn authenticate(
        &self,
        metadata: &MetadataMap,
        certificates: Option<&[CertificateDer<'static>]>,
    ) -> Result<Arc<Principal>, ServiceError> {
        if !self.enabled() {
            return Ok(self.anonymous.clone());
        }
        if let Some(value) = metadata.get("authorization") {
            let value = value
                .to_str()
                .map_err(|_| refuse("the authorization header is not text"))?;
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or_else(|| refuse("the authorization header is not `Bearer <token>`"))?
                .trim();
            return if token.starts_with(SERVICE_TOKEN_PREFIX) {
                self.service_token(token)
            } else {
                self.jwt(token)
            };
        }
        if let Some(leaf) = certificates.and_then(|c| c.first()) {
            return self.certificate(leaf);
        }
        Err(refuse(
            "no credentials: send `authorization: Bearer <token>` (or a client certificate)",
        ))
    }

    fn service_token(&self, token: &str) -> Result<Arc<Principal>, ServiceError> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.tokens
            .get(&hash)
            .cloned()
            .ok_or_else(|| refuse("unknown service token"))
    }

    fn certificate(&self, der: &CertificateDer<'_>) -> Result<Arc<Principal>, ServiceError> {
        let subject = certificate_subject(der)
            .ok_or_else(|| refuse("the client certificate cannot be read"))?;
        let wanted = normalise_subject(&subject);
        self.certificates
            .iter()
            .find(|(s, _)| *s == wanted)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| {
                tracing::info!(%subject, "client certificate subject has no grant");
                refuse(format!(
                    "client certificate {subject:?} is not granted anything"
                ))
            })
    }

    fn jwt(&self, token: &str) -> Result<Arc<Principal>, ServiceError> {
        let Some(settings) = &self.settings.jwt else {
            return Err(refuse("bearer JWTs are not accepted here"));
        };
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = OffsetDateTime::now_utc();
        if let Ok(cache) = self.cache.lock()
            && let Some(p) = cache.get(&key)
            && p.expires.is_some_and(|e| now < e)
        {
            return Ok(p.clone());
        }
        let principal = Arc::new(verify_jwt(settings, token)?);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, principal.clone());
        }
        Ok(principal)
    }
}

/// Checks a JWT's header, key, signature and claims, and reads its grants.
fn verify_jwt(settings: &JwtSettings, token: &str) -> Result<Principal, ServiceError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| refuse(format!("the bearer token is not a signed JWT: {e}")))?;
    let alg = header.alg;
    if !matches!(alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(refuse(format!(
            "tokens signed with {alg:?} are refused: only RS256 and ES256"
        )));
    }
    let kid = header
        .kid
        .as_deref()
        .ok_or_else(|| refuse("the token names no key (kid)"))?;
    let jwk = settings
        .jwks
        .find(kid)
        .ok_or_else(|| refuse(format!("unknown key id {kid:?}")))?;
    // The key must be of the token's algorithm: an RSA key never verifies an ES256 token, and
    // no key here is a shared secret (HS256 confusion).
    let fits = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(_), Algorithm::RS256) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        _ => false,
    };
    let declared = jwk.common.key_algorithm.map(|a| format!("{a:?}"));
    if !fits || declared.is_some_and(|d| d != format!("{alg:?}")) {
        return Err(refuse(format!("key {kid:?} is not an {alg:?} key")));
    }
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|e| refuse(format!("key {kid:?} cannot be used: {e}")))?;
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    validation.leeway = settings.leeway_secs;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    let data = jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key, &validation)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            refuse(match e.kind() {
                K::ExpiredSignature => "the token has expired".to_owned(),
                K::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
                K::InvalidIssuer => "the token's issuer is not accepted".to_owned(),
                K::InvalidAudience => "the token is not for this audience".to_owned(),
                K::InvalidSignature => "the token's signature does not verify".to_owned(),
                other => format!("the token is refused: {other:?}"),
            })
        })?;
    let claims = data.claims;
    let who = claims
        .get(&settings.who_claim)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| refuse(format!("the token has no {:?} claim", settings.who_claim)))?
        .to_owned();
    let expires = claims
        .get("exp")
        .and_then(Value::as_i64)
        .and_then(|e| OffsetDateTime::from_unix_timestamp(e).ok());
    let roles: Vec<Role> = words(claims.get(&settings.roles_claim))
        .filter_map(|r| Role::parse(&r))
        .collect();
    let codes: Vec<String> = words(claims.get(&settings.authorities_claim)).collect();
    let authorities = Authorities::parse(&codes).map_err(|e| {
        refuse(format!(
            "the token's {} claim: {e}",
            settings.authorities_claim
        ))
    })?;
    Ok(Principal {
        who,
        credential: Credential::Jwt,
        grants: Grant::each(&roles, &authorities),
        expires,
    })
}

/// A claim's values: an array of strings, or one space-separated string.
fn words(claim: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    let items: Vec<String> = match claim {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    items.into_iter()
}

/// A certificate's subject as `CN=…, O=…` (the order in the certificate).
pub fn certificate_subject(der: &[u8]) -> Option<String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(cert.subject().to_string())
}

/// Subjects compare without the spaces around separators, case-sensitively otherwise.
fn normalise_subject(s: &str) -> String {
    s.split(',')
        .map(|part| part.split('=').map(str::trim).collect::<Vec<_>>().join("="))
        .collect::<Vec<_>>()
        .join(",")
}
