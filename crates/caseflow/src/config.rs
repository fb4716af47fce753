//! caseflow's one typed configuration: a TOML file, then `CASEFLOW_*` environment overrides,
//! validated before anything starts. Every field has a default, so no file is needed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use time::Date;

/// The whole configuration. See `deploy/caseflow.toml` for a documented example.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where caseflow keeps its projections (`store/`) and, when embedded, NATS data (`nats/`).
    pub data_dir: PathBuf,
    /// A fixed "today" (YYYY-MM-DD) for reporting: the last month derived is this day's month.
    /// Unset: the system clock. Used by the demo and tests to replay a past year.
    pub today: Option<String>,
    pub nats: NatsConfig,
    pub store: StoreConfig,
    pub projector: ProjectorConfig,
    pub grpc: GrpcConfig,
    /// The indicator settings of INDICATORS.md (defaults as there). Changing them needs
    /// `caseflow rebuild`.
    pub indicators: caseflow_domain::settings::Settings,
    /// Targets, tolerances and benchmarks (`[[scorecard.targets]]`, `[[scorecard.benchmarks]]`).
    pub scorecard: caseflow_domain::scorecard::ScorecardSettings,
    /// More targets and benchmarks from a file of the same form, e.g.
    /// `deploy/scorecard-2018-19.toml`, added to those above.
    pub scorecard_file: Option<PathBuf>,
    /// Who may call the gRPC services (nothing configured: everyone, on loopback only).
    pub auth: AuthConfig,
    /// Each authority's own settings (`[authorities."372"]`), keyed by authority code: its
    /// under-18 population, LAC team groups, targets and benchmarks. Authorities without a
    /// section use `[indicators]` and the scorecard settings.
    pub authorities: BTreeMap<String, caseflow_domain::settings::AuthorityOverrides>,
    /// More `[authorities."NNN"]` sections from a file of the same form, e.g.
    /// `deploy/sim/authorities.toml`. An authority may have a section in one place only.
    pub authorities_file: Option<PathBuf>,
}

/// A file of `[authorities."NNN"]` sections (`authorities_file`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthoritiesFile {
    authorities: BTreeMap<String, caseflow_domain::settings::AuthorityOverrides>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsConfig {
    /// NATS server URL; a cluster's servers comma-separated. Empty: `serve` starts an embedded
    /// `nats-server` under `data_dir/nats`.
    pub url: String,
    /// The `nats-server` executable for the embedded server.
    pub server_binary: PathBuf,
    /// The embedded server's client port (on 127.0.0.1).
    pub embedded_port: u16,
    /// JetStream stream name.
    pub stream: String,
    /// JetStream's duplicate window for `Nats-Msg-Id`, in seconds.
    pub duplicate_window_secs: u64,
    /// Stream replicas: 1 on a single server, 3 on a cluster.
    pub replicas: usize,
    /// The audit trail's JetStream stream (same replicas as the event stream).
    pub audit_stream: String,
    /// The stream of published reports (same replicas as the event stream).
    pub publications_stream: String,
    /// TLS towards the server at `url` (`[nats.tls]`); when the section is present, TLS is
    /// required.
    pub tls: Option<NatsTlsConfig>,
    /// The credentials caseflow connects to the server at `url` with (`[nats.credentials]`).
    pub credentials: NatsCredentialsConfig,
    /// The prefix of the subjects replies come back on; on a server with permissions, one per
    /// user (`_INBOX_caseflow`), so that no user can read another's replies.
    pub inbox_prefix: String,
}

/// `[nats.tls]`: files are PEM, relative to the working directory.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsTlsConfig {
    /// The CA certificates that sign the server's certificate. Unset: the system's roots.
    pub ca_file: Option<PathBuf>,
    /// A client certificate for servers that verify clients (mutual TLS), with `key_file`.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// `[nats.credentials]`: at most one kind (user and password, token, nkey seed file, creds
/// file). Its `Debug` output never shows the password or the token.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsCredentialsConfig {
    pub user: Option<String>,
    /// Better given as `CASEFLOW_NATS_PASSWORD` than written in the file.
    pub password: Option<String>,
    /// Better given as `CASEFLOW_NATS_TOKEN` than written in the file.
    pub token: Option<String>,
    /// A file holding the user's nkey seed.
    pub nkey_seed_file: Option<PathBuf>,
    /// A `.creds` file (user JWT and nkey seed), for servers in operator (JWT) mode.
    pub creds_file: Option<PathBuf>,
}

impl std::fmt::Debug for NatsCredentialsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("NatsCredentialsConfig")
            .field("user", &self.user)
            .field("password", &redacted(&self.password))
            .field("token", &redacted(&self.token))
            .field("nkey_seed_file", &self.nkey_seed_file)
            .field("creds_file", &self.creds_file)
            .finish()
    }
}

impl NatsCredentialsConfig {
    /// The kinds of credentials set, by their fields' names.
    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.user.is_some() || self.password.is_some() {
            kinds.push("user and password");
        }
        if self.token.is_some() {
            kinds.push("token");
        }
        if self.nkey_seed_file.is_some() {
            kinds.push("nkey_seed_file");
        }
        if self.creds_file.is_some() {
            kinds.push("creds_file");
        }
        kinds
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// sled's page cache, in MiB.
    pub cache_capacity_mib: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectorConfig {
    /// The most messages applied in one atomic store batch.
    pub batch_size: usize,
    /// Subjects re-derived per store commit when a backlog is settled or the day moves on.
    pub roll_chunk: usize,
    /// While catching up, the most messages held in memory before they are settled.
    pub defer_up_to: usize,
    /// While following, the longest (milliseconds) a message read waits before it is settled
    /// when events arrive without pause.
    pub settle_within_ms: u64,
    /// Threads deriving subjects in parallel (0: one per core).
    pub threads: usize,
    /// The shortest time (milliseconds) between two returns of freed memory to the operating
    /// system while settling (`caseflow::memory`). 0: never.
    pub release_memory_every_ms: u64,
    /// Nice steps below the rest of the server at which subjects are derived
    /// (`caseflow::scheduling`). 0: the same priority.
    pub deriving_nice: i32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpcConfig {
    /// Address the gRPC server listens on. Loopback by default.
    pub listen: SocketAddr,
    /// On SIGTERM or SIGINT, how long calls in flight may take to finish before they are cut.
    pub shutdown_grace_secs: u64,
    /// TLS for the gRPC port (and /metrics).
    pub tls: Option<GrpcTlsConfig>,
    /// Listen on a non-loopback address without TLS and authentication (refused otherwise).
    pub insecure_allow_remote: bool,
    /// Who may read `GET /metrics`: "loopback", "token" (the operations role) or "open".
    pub metrics: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcTlsConfig {
    /// The server's certificate chain (PEM).
    pub cert_file: PathBuf,
    /// The server's private key (PEM).
    pub key_file: PathBuf,
    /// Set: clients must present a certificate signed by this CA (mutual TLS).
    pub client_ca_file: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Bearer JWTs from the organisation's identity provider.
    pub jwt: Option<JwtConfig>,
    /// Service tokens for case systems and scripts (`caseflow service-token` makes one).
    pub service_tokens: Vec<ServiceTokenConfig>,
    /// Verified client certificates (needs `grpc.tls.client_ca_file`), by subject.
    pub certificates: Vec<CertificateConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// The identity provider's signing keys, as a JWKS document saved to a file.
    pub jwks_file: PathBuf,
    /// The `iss` every token must carry.
    pub issuer: String,
    /// The `aud` every token must carry.
    pub audience: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
    /// The claim naming the caller in the audit trail.
    #[serde(default = "default_who_claim")]
    pub who_claim: String,
    /// The claim carrying caseflow role names.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// The claim carrying authority codes (or "*").
    #[serde(default = "default_authorities_claim")]
    pub authorities_claim: String,
}

fn default_leeway() -> u64 {
    60
}
fn default_who_claim() -> String {
    "sub".to_owned()
}
fn default_roles_claim() -> String {
    "roles".to_owned()
}
fn default_authorities_claim() -> String {
    "caseflow_authorities".to_owned()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTokenConfig {
    /// Who the token is, in the audit trail.
    pub name: String,
    /// `sha256:<hex>` of the token; the token itself is never stored.
    pub hash: String,
    pub roles: Vec<String>,
    /// Authority codes, or `["*"]` for all.
    pub authorities: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateConfig {
    /// The certificate's subject, e.g. "CN=reporting.example.gov.uk, O=Example Council".
    pub subject: String,
    pub roles: Vec<String>,
    /// Authority codes, or `["*"]` for all.
    pub authorities: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            today: None,
            nats: NatsConfig::default(),
            store: StoreConfig::default(),
            projector: ProjectorConfig::default(),
            grpc: GrpcConfig::default(),
            indicators: Default::default(),
            scorecard: Default::default(),
            scorecard_file: None,
            auth: AuthConfig::default(),
            authorities: BTreeMap::new(),
            authorities_file: None,
        }
    }
}

impl Default for NatsConfig {
    fn default() -> Self {
        NatsConfig {
            url: String::new(),
            server_binary: PathBuf::from("nats-server"),
            embedded_port: 4222,
            stream: "CASEFLOW_EVENTS".to_owned(),
            duplicate_window_secs: 120,
            replicas: 1,
            audit_stream: "CASEFLOW_AUDIT".to_owned(),
            publications_stream: "CASEFLOW_PUBLICATIONS".to_owned(),
            tls: None,
            credentials: NatsCredentialsConfig::default(),
            inbox_prefix: "_INBOX".to_owned(),
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            cache_capacity_mib: 256,
        }
    }
}

impl Default for ProjectorConfig {
    fn default() -> Self {
        let defaults = caseflow_projector::ProjectorSettings::default();
        ProjectorConfig {
            batch_size: defaults.batch_size,
            roll_chunk: defaults.roll_chunk,
            defer_up_to: defaults.defer_up_to,
            settle_within_ms: u64::try_from(defaults.settle_within.as_millis()).unwrap_or(50),
            threads: defaults.threads,
            release_memory_every_ms: 1000,
            deriving_nice: 10,
        }
    }
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            shutdown_grace_secs: 10,
            tls: None,
            insecure_allow_remote: false,
            metrics: "loopback".to_owned(),
        }
    }
}

/// The environment variables that override the file, in one place.
const OVERRIDES: &[(&str, &str)] = &[
    ("CASEFLOW_DATA_DIR", "data_dir"),
    ("CASEFLOW_TODAY", "today"),
    ("CASEFLOW_NATS_URL", "nats.url"),
    ("CASEFLOW_NATS_SERVER_BINARY", "nats.server_binary"),
    ("CASEFLOW_NATS_EMBEDDED_PORT", "nats.embedded_port"),
    ("CASEFLOW_NATS_INBOX_PREFIX", "nats.inbox_prefix"),
    ("CASEFLOW_NATS_PASSWORD", "nats.credentials.password"),
    ("CASEFLOW_NATS_TOKEN", "nats.credentials.token"),
    ("CASEFLOW_GRPC_LISTEN", "grpc.listen"),
    (
        "CASEFLOW_GRPC_SHUTDOWN_GRACE_SECS",
        "grpc.shutdown_grace_secs",
    ),
    (
        "CASEFLOW_STORE_CACHE_CAPACITY_MIB",
        "store.cache_capacity_mib",
    ),
    ("CASEFLOW_PROJECTOR_BATCH_SIZE", "projector.batch_size"),
    (
        "CASEFLOW_PROJECTOR_DERIVING_NICE",
        "projector.deriving_nice",
    ),
];

/// Overrides whose values are never shown, in errors or anywhere else.
const SECRETS: &[&str] = &["CASEFLOW_NATS_PASSWORD", "CASEFLOW_NATS_TOKEN"];

impl Config {
    /// Reads `path` (if given), applies environment overrides from `env`, and validates.
    pub fn load(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid config file {}", p.display()))?
            }
            None => Config::default(),
        };
        for (var, field) in OVERRIDES {
            if let Some(value) = env(var) {
                let shown = if SECRETS.contains(var) {
                    "<redacted>".to_owned()
                } else {
                    format!("{value:?}")
                };
                config
                    .set(field, &value)
                    .with_context(|| format!("invalid {var}={shown}"))?;
            }
        }
        if let Some(file) = config.scorecard_file.clone() {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read scorecard file {}", file.display()))?;
            let more: caseflow_domain::scorecard::ScorecardSettings = toml::from_str(&text)
                .with_context(|| format!("invalid scorecard file {}", file.display()))?;
            config.scorecard.targets.extend(more.targets);
            config.scorecard.benchmarks.extend(more.benchmarks);
        }
        if let Some(file) = config.authorities_file.clone() {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read authorities file {}", file.display()))?;
            config
                .add_authorities(&text)
                .with_context(|| format!("invalid authorities file {}", file.display()))?;
        }
        config.validate()?;
        Ok(config)
    }

    fn set(&mut self, field: &str, value: &str) -> anyhow::Result<()> {
        match field {
            "data_dir" => self.data_dir = PathBuf::from(value),
            "today" => self.today = (!value.is_empty()).then(|| value.to_owned()),
            "nats.url" => self.nats.url = value.to_owned(),
            "nats.server_binary" => self.nats.server_binary = PathBuf::from(value),
            "nats.embedded_port" => self.nats.embedded_port = value.parse()?,
            "nats.inbox_prefix" => self.nats.inbox_prefix = value.to_owned(),
            // An empty value leaves the file's (or none).
            "nats.credentials.password" if !value.is_empty() => {
                self.nats.credentials.password = Some(value.to_owned())
            }
            "nats.credentials.token" if !value.is_empty() => {
                self.nats.credentials.token = Some(value.to_owned())
            }
            "nats.credentials.password" | "nats.credentials.token" => {}
            "grpc.listen" => self.grpc.listen = value.parse()?,
            "grpc.shutdown_grace_secs" => self.grpc.shutdown_grace_secs = value.parse()?,
            "store.cache_capacity_mib" => self.store.cache_capacity_mib = value.parse()?,
            "projector.batch_size" => self.projector.batch_size = value.parse()?,
            "projector.deriving_nice" => self.projector.deriving_nice = value.parse()?,
            other => bail!("unknown field {other}"),
        }
        Ok(())
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(t) = &self.today {
            caseflow_domain::calendar::parse_day(t).context("today must be YYYY-MM-DD")?;
        }
        if self.projector.batch_size == 0 {
            bail!("projector.batch_size must be at least 1");
        }
        if self.projector.roll_chunk == 0 || self.projector.defer_up_to == 0 {
            bail!("projector.roll_chunk and projector.defer_up_to must be at least 1");
        }
        if !(0..=39).contains(&self.projector.deriving_nice) {
            bail!("projector.deriving_nice must be between 0 and 39 (nice steps)");
        }
        if !(1..=5).contains(&self.nats.replicas) {
            bail!("nats.replicas must be between 1 and 5");
        }
        self.validate_nats_security()?;
        if self.store.cache_capacity_mib == 0 {
            bail!("store.cache_capacity_mib must be at least 1");
        }
        self.metrics_access()?;
        self.grants_check()?;
        if !self.auth.certificates.is_empty()
            && self
                .grpc
                .tls
                .as_ref()
                .is_none_or(|t| t.client_ca_file.is_none())
        {
            bail!("auth.certificates needs grpc.tls.client_ca_file (mutual TLS)");
        }
        let problems = self.scorecard.problems();
        if !problems.is_empty() {
            bail!("scorecard settings: {}", problems.join("; "));
        }
        let problems = self.indicators.problems();
        if !problems.is_empty() {
            bail!("indicators: {}", problems.join("; "));
        }
        for (code, section) in &self.authorities {
            if caseflow_domain::La::parse(code).is_none() {
                bail!("[authorities.{code:?}]: an authority code is three digits, such as \"372\"");
            }
            let problems = section.problems();
            if !problems.is_empty() {
                bail!("[authorities.{code:?}]: {}", problems.join("; "));
            }
        }
        Ok(())
    }

    /// Adds the `[authorities."NNN"]` sections of a file's `text`; an authority that already
    /// has a section is refused.
    pub fn add_authorities(&mut self, text: &str) -> anyhow::Result<()> {
        let file: AuthoritiesFile = toml::from_str(text)?;
        for (code, section) in file.authorities {
            if self.authorities.contains_key(&code) {
                bail!("authority {code} has a section in the configuration and in this file");
            }
            self.authorities.insert(code, section);
        }
        Ok(())
    }

    /// Every authority's settings: `[indicators]` and the scorecard settings, with each
    /// `[authorities."NNN"]` section laid over them.
    pub fn settings_by_authority(&self) -> caseflow_domain::settings::SettingsByAuthority {
        // Codes were checked by `validate`; one that does not parse has no section.
        let sections = self
            .authorities
            .iter()
            .filter_map(|(code, o)| Some((caseflow_domain::La::parse(code)?, o.clone())))
            .collect();
        caseflow_domain::settings::SettingsByAuthority::new(
            self.indicators.clone(),
            self.scorecard.clone(),
            &sections,
        )
    }

    fn validate_nats_security(&self) -> anyhow::Result<()> {
        let prefix = &self.nats.inbox_prefix;
        if prefix.is_empty()
            || prefix.starts_with('.')
            || prefix.ends_with('.')
            || prefix.contains(['*', '>', ' ', '\t'])
        {
            bail!("nats.inbox_prefix must be a subject without wildcards, such as _INBOX_caseflow");
        }
        let credentials = &self.nats.credentials;
        let kinds = credentials.kinds();
        if kinds.len() > 1 {
            bail!(
                "nats.credentials: set one kind of credentials, not {} (an environment \
                 variable such as CASEFLOW_NATS_PASSWORD or CASEFLOW_NATS_TOKEN counts too)",
                kinds.join(", ")
            );
        }
        if credentials.user.is_some() != credentials.password.is_some() {
            bail!(
                "nats.credentials: user and password go together (the password may come from \
                 CASEFLOW_NATS_PASSWORD)"
            );
        }
        if let Some(tls) = &self.nats.tls
            && tls.cert_file.is_some() != tls.key_file.is_some()
        {
            bail!(
                "nats.tls: cert_file and key_file go together (a client certificate and its key)"
            );
        }
        if self.nats.url.contains('@') {
            bail!(
                "nats.url must not carry credentials (user:password@): set them in \
                 [nats.credentials], where they are kept out of logs"
            );
        }
        if self.nats.url.is_empty() && (self.nats.tls.is_some() || !kinds.is_empty()) {
            bail!(
                "nats.tls and nats.credentials are for a NATS server at nats.url; the embedded \
                 server (no nats.url) runs on loopback without TLS or credentials"
            );
        }
        Ok(())
    }

    /// How caseflow's connections to NATS are secured: `[nats.tls]` and `[nats.credentials]`
    /// (none for the embedded server).
    pub fn nats_security(&self) -> caseflow_log::NatsSecurity {
        let tls = self.nats.tls.as_ref().map(|t| caseflow_log::NatsTls {
            ca_file: t.ca_file.clone(),
            client_certificate: match (&t.cert_file, &t.key_file) {
                (Some(cert), Some(key)) => Some(caseflow_log::ClientCertificate {
                    cert_file: cert.clone(),
                    key_file: key.clone(),
                }),
                _ => None,
            },
        });
        let c = &self.nats.credentials;
        let credentials = if let (Some(user), Some(password)) = (&c.user, &c.password) {
            Some(caseflow_log::NatsCredentials::UserPassword {
                user: user.clone(),
                password: password.clone(),
            })
        } else if let Some(token) = &c.token {
            Some(caseflow_log::NatsCredentials::Token(token.clone()))
        } else if let Some(seed) = &c.nkey_seed_file {
            Some(caseflow_log::NatsCredentials::NkeySeedFile(seed.clone()))
        } else {
            c.creds_file
                .as_ref()
                .map(|creds| caseflow_log::NatsCredentials::CredsFile(creds.clone()))
        };
        caseflow_log::NatsSecurity {
            tls,
            credentials,
            inbox_prefix: Some(self.nats.inbox_prefix.clone()),
        }
    }

    /// The fixed reporting day, if configured.
    pub fn today(&self) -> Option<Date> {
        self.today
            .as_deref()
            .and_then(|t| caseflow_domain::calendar::parse_day(t).ok())
    }

    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    pub fn nats_dir(&self) -> PathBuf {
        self.data_dir.join("nats")
    }

    /// The URL clients use: the configured one, or the embedded server's.
    pub fn nats_url(&self) -> String {
        if self.nats.url.is_empty() {
            format!("nats://127.0.0.1:{}", self.nats.embedded_port)
        } else {
            self.nats.url.clone()
        }
    }

    pub fn stream_settings(&self) -> caseflow_log::StreamSettings {
        caseflow_log::StreamSettings {
            name: self.nats.stream.clone(),
            duplicate_window: Duration::from_secs(self.nats.duplicate_window_secs),
            replicas: self.nats.replicas,
            ..Default::default()
        }
    }

    /// The projector's settings: its section of the file and the indicator settings.
    pub fn projector_settings(&self) -> caseflow_projector::ProjectorSettings {
        caseflow_projector::ProjectorSettings {
            batch_size: self.projector.batch_size,
            roll_chunk: self.projector.roll_chunk,
            defer_up_to: self.projector.defer_up_to,
            settle_within: std::time::Duration::from_millis(self.projector.settle_within_ms),
            threads: self.projector.threads,
            indicators: self.indicators.clone(),
            release_memory: (self.projector.release_memory_every_ms > 0).then(|| {
                caseflow_projector::ReleaseMemory {
                    every: std::time::Duration::from_millis(self.projector.release_memory_every_ms),
                    release: crate::memory::release,
                }
            }),
            deriving_threads: (self.projector.deriving_nice > 0).then_some(
                caseflow_projector::DerivingThreads {
                    nice: self.projector.deriving_nice,
                    lower: crate::scheduling::lower,
                },
            ),
        }
    }

    pub fn sled_settings(&self) -> caseflow_store::SledSettings {
        caseflow_store::SledSettings {
            cache_capacity_bytes: self.store.cache_capacity_mib * 1024 * 1024,
        }
    }
}

/// Reads a role list and an authority list into grants.
fn grants(
    roles: &[String],
    authorities: &[String],
) -> anyhow::Result<Vec<caseflow_server::auth::Grant>> {
    use caseflow_server::auth::{Authorities, Grant, Role};
    let roles = roles
        .iter()
        .map(|r| {
            Role::parse(r).with_context(|| {
                format!("unknown role {r:?} (roles: figures, records, ingest, operations, audit)")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if authorities.is_empty() {
        bail!("authorities is empty: list authority codes, or [\"*\"] for all");
    }
    let authorities = Authorities::parse(authorities).map_err(anyhow::Error::msg)?;
    Ok(Grant::each(&roles, &authorities))
}

impl Config {
    /// Who may read `/metrics`.
    pub fn metrics_access(&self) -> anyhow::Result<caseflow_server::MetricsAccess> {
        use caseflow_server::MetricsAccess;
        Ok(match self.grpc.metrics.as_str() {
            "loopback" => MetricsAccess::Loopback,
            "token" => MetricsAccess::Token,
            "open" => MetricsAccess::Open,
            other => bail!("grpc.metrics {other:?} must be \"loopback\", \"token\" or \"open\""),
        })
    }

    fn grants_check(&self) -> anyhow::Result<()> {
        for t in &self.auth.service_tokens {
            grants(&t.roles, &t.authorities)
                .with_context(|| format!("auth.service_tokens {:?}", t.name))?;
            if caseflow_server::auth::parse_service_token_hash(&t.hash).is_none() {
                bail!(
                    "auth.service_tokens {:?}: hash must be sha256:<64 hex digits> \
                     (`caseflow service-token` prints one)",
                    t.name
                );
            }
        }
        for c in &self.auth.certificates {
            grants(&c.roles, &c.authorities)
                .with_context(|| format!("auth.certificates {:?}", c.subject))?;
        }
        Ok(())
    }

    /// The authentication settings, with the JWKS file read.
    pub fn auth_settings(&self) -> anyhow::Result<caseflow_server::auth::AuthSettings> {
        use caseflow_server::auth::{AuthSettings, CertificateGrant, JwtSettings, ServiceToken};
        let jwt = match &self.auth.jwt {
            None => None,
            Some(j) => {
                let text = std::fs::read_to_string(&j.jwks_file).with_context(|| {
                    format!("cannot read auth.jwt.jwks_file {}", j.jwks_file.display())
                })?;
                let jwks = serde_json::from_str(&text).with_context(|| {
                    format!(
                        "auth.jwt.jwks_file {} is not a JWKS document",
                        j.jwks_file.display()
                    )
                })?;
                Some(JwtSettings {
                    jwks,
                    issuer: j.issuer.clone(),
                    audience: j.audience.clone(),
                    leeway_secs: j.leeway_secs,
                    who_claim: j.who_claim.clone(),
                    roles_claim: j.roles_claim.clone(),
                    authorities_claim: j.authorities_claim.clone(),
                })
            }
        };
        let mut service_tokens = Vec::new();
        for t in &self.auth.service_tokens {
            service_tokens.push(ServiceToken {
                name: t.name.clone(),
                sha256: caseflow_server::auth::parse_service_token_hash(&t.hash)
                    .with_context(|| format!("auth.service_tokens {:?}: bad hash", t.name))?,
                grants: grants(&t.roles, &t.authorities)?,
            });
        }
        let mut certificates = Vec::new();
        for c in &self.auth.certificates {
            certificates.push(CertificateGrant {
                subject: c.subject.clone(),
                grants: grants(&c.roles, &c.authorities)?,
            });
        }
        Ok(AuthSettings {
            jwt,
            service_tokens,
            certificates,
        })
    }

    /// The gRPC server's TLS material, read from the configured files.
    pub fn server_tls(&self) -> anyhow::Result<Option<caseflow_server::ServerTls>> {
        let Some(tls) = &self.grpc.tls else {
            return Ok(None);
        };
        let read = |what: &str, path: &Path| {
            std::fs::read(path)
                .with_context(|| format!("cannot read grpc.tls.{what} {}", path.display()))
        };
        Ok(Some(caseflow_server::ServerTls {
            certificate: read("cert_file", &tls.cert_file)?,
            key: read("key_file", &tls.key_file)?,
            client_ca: tls
                .client_ca_file
                .as_deref()
                .map(|p| read("client_ca_file", p))
                .transpose()?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of this test's own under the system's temporary directory, emptied.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("caseflow-config-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn load(text: &str) -> anyhow::Result<Config> {
        static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = LOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let file = scratch(&format!("load-{n}")).join("caseflow.toml");
        std::fs::write(&file, text)?;
        Config::load(Some(&file), |_| None)
    }

    #[test]
    fn an_authority_section_overrides_the_defaults_for_that_authority() {
        let config = load(
            r#"
            [indicators.population_under_18]
            "2018/19" = 56600

            [authorities."373".population_under_18]
            "2018/19" = 41000

            [[authorities."373".targets]]
            indicator = "6.2"
            year = "2018/19"
            green = 60.0
            "#,
        )
        .unwrap();
        let all = config.settings_by_authority();
        let year = caseflow_domain::FinancialYear(2018);
        let of = |code| all.of(caseflow_domain::La::parse(code).unwrap());
        assert_eq!(of("373").indicators.population(year), Some(41_000));
        assert_eq!(of("372").indicators.population(year), Some(56_600));
        let rate = caseflow_domain::Indicator::Rate;
        assert!(of("373").scorecard.target(rate, year).is_some());
        assert!(of("372").scorecard.target(rate, year).is_none());
    }

    #[test]
    fn bad_authority_sections_are_refused_with_their_reason() {
        let error = |text| format!("{:#}", load(text).unwrap_err());
        assert_eq!(
            error("[authorities.\"37\"]\n"),
            "[authorities.\"37\"]: an authority code is three digits, such as \"372\""
        );
        assert_eq!(
            error("[authorities.\"372\".population_under_18]\n\"2018\" = 1\n"),
            "[authorities.\"372\"]: population_under_18 year \"2018\" is not of the form 2018/19"
        );
        // Derivation settings are the install's: not accepted in a section.
        assert!(
            error("[authorities.\"372\"]\nlocal_visit_interval_days = 42\n")
                .contains("unknown field `local_visit_interval_days`")
        );
    }

    #[test]
    fn an_authorities_file_adds_sections_but_not_twice() {
        let file = scratch("authorities-file").join("authorities.toml");
        std::fs::write(
            &file,
            "[authorities.\"201\".population_under_18]\n\"2018/19\" = 30000\n",
        )
        .unwrap();
        let text = format!("authorities_file = {:?}\n", file.display().to_string());
        let config = load(&text).unwrap();
        assert_eq!(config.authorities.len(), 1);
        let twice = format!("{text}[authorities.\"201\"]\n");
        assert!(
            format!("{:#}", load(&twice).unwrap_err())
                .contains("authority 201 has a section in the configuration and in this file")
        );
    }

    /// The commented `[authorities."373"]` example at the end of deploy/caseflow.toml is a valid
    /// section once uncommented.
    #[test]
    fn the_documented_authority_section_is_valid() {
        let shipped = include_str!("../../../deploy/caseflow.toml");
        let example = &shipped[shipped.find("# [authorities.\"373\"]").unwrap()..];
        let text: String = example
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.starts_with('[') || l.contains(" = "))
            .map(|l| format!("{l}\n"))
            .collect();
        let config: Config = toml::from_str(&text).unwrap();
        config.validate().unwrap();
        let all = config.settings_by_authority();
        let own = all.of(caseflow_domain::La::parse("373").unwrap());
        assert_eq!(
            own.indicators
                .population(caseflow_domain::FinancialYear(2018)),
            Some(41_350)
        );
        assert_eq!(own.indicators.team_groups.len(), 2);
        assert_eq!(own.scorecard.targets.len(), 1);
        assert_eq!(own.scorecard.benchmarks.len(), 1);
    }

    #[test]
    fn the_shipped_simulation_settings_load() {
        let mut config = Config::default();
        config
            .add_authorities(include_str!("../../../deploy/sim/authorities.toml"))
            .unwrap();
        config.validate().unwrap();
        assert_eq!(config.authorities.len(), 150);
    }
}
