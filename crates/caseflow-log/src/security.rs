//! How a connection to NATS is secured: TLS (the CA to trust, optionally a client certificate
//! for mutual TLS) and the credentials the server knows the user by.
//!
//! Plain data, filled in by the binary from its configuration. Files are read when connecting,
//! and an unreadable one is named in the error. Secrets (passwords, tokens, seeds) never appear
//! in `Debug` output or logs.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::LogError;

/// The security settings of a connection. The default is none: plaintext, no credentials (the
/// embedded server on loopback).
#[derive(Clone, Debug, Default)]
pub struct NatsSecurity {
    /// TLS, required when set: the connection fails rather than fall back to plaintext.
    pub tls: Option<NatsTls>,
    pub credentials: Option<NatsCredentials>,
    /// The prefix of the subjects replies come back on (acknowledgements, API answers,
    /// messages read from the stream). `None`: `_INBOX`. On a server with permissions, give
    /// each user its own (`_INBOX_caseflow`) and allow it to subscribe only there, so no user
    /// can read the replies meant for another.
    pub inbox_prefix: Option<String>,
}

/// TLS towards the server.
#[derive(Clone, Debug, Default)]
pub struct NatsTls {
    /// PEM file of the certificate authorities that sign the server's certificate. `None`: the
    /// system's trusted roots.
    pub ca_file: Option<PathBuf>,
    /// A client certificate, for servers that verify clients (mutual TLS, `verify: true`).
    pub client_certificate: Option<ClientCertificate>,
}

/// A client certificate and its private key, both PEM files.
#[derive(Clone, Debug)]
pub struct ClientCertificate {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// Who the connection authenticates as: one of the kinds nats-server knows.
#[derive(Clone)]
pub enum NatsCredentials {
    UserPassword {
        user: String,
        password: String,
    },
    Token(String),
    /// A file holding an nkey seed (`SU...`, as `nk -gen user` writes it); the server knows the
    /// user by its public key.
    NkeySeedFile(PathBuf),
    /// A `.creds` file (a user JWT and its nkey seed), for servers in operator (JWT) mode.
    CredsFile(PathBuf),
}

impl fmt::Debug for NatsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NatsCredentials::UserPassword { user, .. } => f
                .debug_struct("UserPassword")
                .field("user", user)
                .field("password", &"<redacted>")
                .finish(),
            NatsCredentials::Token(_) => f.debug_tuple("Token").field(&"<redacted>").finish(),
            NatsCredentials::NkeySeedFile(path) => {
                f.debug_tuple("NkeySeedFile").field(path).finish()
            }
            NatsCredentials::CredsFile(path) => f.debug_tuple("CredsFile").field(path).finish(),
        }
    }
}

/// The security settings with their files read: what each connection attempt is built from.
#[derive(Clone)]
pub(crate) struct Loaded {
    tls: Option<NatsTls>,
    credentials: Option<LoadedCredentials>,
    inbox_prefix: Option<String>,
}

#[derive(Clone)]
enum LoadedCredentials {
    UserPassword { user: String, password: String },
    Token(String),
    Nkey { seed: String },
    Creds { contents: String, path: PathBuf },
}

fn unreadable(what: &'static str, path: &Path, detail: impl fmt::Display) -> LogError {
    LogError::Security {
        what,
        path: path.to_owned(),
        detail: detail.to_string(),
    }
}

/// Reads a PEM file far enough to say it is one: async-nats reads it again when connecting.
fn check_pem(what: &'static str, path: &Path) -> Result<(), LogError> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(what, path, e))?;
    if !text.contains("-----BEGIN ") {
        return Err(unreadable(
            what,
            path,
            "not a PEM file (no -----BEGIN line)",
        ));
    }
    Ok(())
}

impl NatsSecurity {
    /// Reads and checks every file named: a missing or unreadable one fails here, by name.
    pub(crate) fn load(&self) -> Result<Loaded, LogError> {
        if let Some(tls) = &self.tls {
            if let Some(ca) = &tls.ca_file {
                check_pem("CA file", ca)?;
            }
            if let Some(client) = &tls.client_certificate {
                check_pem("client certificate file", &client.cert_file)?;
                check_pem("client key file", &client.key_file)?;
            }
        }
        let credentials = match &self.credentials {
            None => None,
            Some(NatsCredentials::UserPassword { user, password }) => {
                Some(LoadedCredentials::UserPassword {
                    user: user.clone(),
                    password: password.clone(),
                })
            }
            Some(NatsCredentials::Token(token)) => Some(LoadedCredentials::Token(token.clone())),
            Some(NatsCredentials::NkeySeedFile(path)) => {
                let what = "nkey seed file";
                let text = std::fs::read_to_string(path).map_err(|e| unreadable(what, path, e))?;
                // A seed is a line that decodes as one: a PEM's base64 lines may start with S too.
                let seed = text
                    .lines()
                    .map(str::trim)
                    .find(|l| l.starts_with('S') && nkeys::KeyPair::from_seed(l).is_ok())
                    .ok_or_else(|| {
                        unreadable(what, path, "no nkey seed in it (a line starting with S)")
                    })?;
                Some(LoadedCredentials::Nkey {
                    seed: seed.to_owned(),
                })
            }
            Some(NatsCredentials::CredsFile(path)) => {
                let what = "creds file";
                let contents =
                    std::fs::read_to_string(path).map_err(|e| unreadable(what, path, e))?;
                // Parsed now so a malformed file is named before any connection is tried.
                async_nats::ConnectOptions::new()
                    .credentials(&contents)
                    .map_err(|e| unreadable(what, path, e))?;
                Some(LoadedCredentials::Creds {
                    contents,
                    path: path.clone(),
                })
            }
        };
        Ok(Loaded {
            tls: self.tls.clone(),
            credentials,
            inbox_prefix: self.inbox_prefix.clone(),
        })
    }
}

impl Loaded {
    /// Adds TLS and credentials to `options`.
    pub(crate) fn apply(
        &self,
        mut options: async_nats::ConnectOptions,
    ) -> Result<async_nats::ConnectOptions, LogError> {
        if let Some(prefix) = &self.inbox_prefix {
            options = options.custom_inbox_prefix(prefix);
        }
        if let Some(tls) = &self.tls {
            options = options.require_tls(true);
            if let Some(ca) = &tls.ca_file {
                options = options.add_root_certificates(ca.clone());
            }
            if let Some(client) = &tls.client_certificate {
                options = options
                    .add_client_certificate(client.cert_file.clone(), client.key_file.clone());
            }
        }
        Ok(match &self.credentials {
            None => options,
            Some(LoadedCredentials::UserPassword { user, password }) => {
                options.user_and_password(user.clone(), password.clone())
            }
            Some(LoadedCredentials::Token(token)) => options.token(token.clone()),
            Some(LoadedCredentials::Nkey { seed }) => options.nkey(seed.clone()),
            Some(LoadedCredentials::Creds { contents, path }) => options
                .credentials(contents)
                .map_err(|e| unreadable("creds file", path, e))?,
        })
    }

    /// The files involved, for an error about TLS.
    pub(crate) fn tls_files(&self) -> String {
        let Some(tls) = &self.tls else {
            return "no TLS configured: the server requires it, or its certificate is not trusted by the system's roots".to_owned();
        };
        let mut files = Vec::new();
        match &tls.ca_file {
            Some(ca) => files.push(format!("CA file {}", ca.display())),
            None => files.push("the system's trusted roots".to_owned()),
        }
        if let Some(client) = &tls.client_certificate {
            files.push(format!(
                "client certificate {} with key {}",
                client.cert_file.display(),
                client.key_file.display()
            ));
        }
        files.join(", ")
    }

    /// What kind of credentials, for errors and logs.
    pub(crate) fn credentials_kind(&self) -> &'static str {
        match &self.credentials {
            None => "no credentials",
            Some(LoadedCredentials::UserPassword { .. }) => "user and password",
            Some(LoadedCredentials::Token(_)) => "token",
            Some(LoadedCredentials::Nkey { .. }) => "nkey",
            Some(LoadedCredentials::Creds { .. }) => "creds file",
        }
    }
}
