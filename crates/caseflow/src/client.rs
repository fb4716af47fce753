//! How the command line reaches a running server: its address, TLS (a CA to trust, and a
//! client certificate for mutual TLS) and a bearer token (a JWT or a service token).

use std::path::{Path, PathBuf};

use anyhow::Context;
use caseflow_proto::v2;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::config::Config;

/// The connection flags every command that asks a server shares.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Connection {
    /// The server's address; default: the configured `grpc.listen` (https:// with TLS).
    #[arg(long, global = true)]
    pub grpc: Option<String>,
    /// A bearer token: a JWT from the identity provider, or a service token.
    #[arg(long, global = true, env = "CASEFLOW_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Trust the server's certificate if signed by this CA (PEM); implies https.
    #[arg(long, global = true, env = "CASEFLOW_GRPC_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// A client certificate (PEM) for servers that require mutual TLS, with --key-file.
    #[arg(long, global = true, env = "CASEFLOW_GRPC_CERT_FILE")]
    pub cert_file: Option<PathBuf>,
    #[arg(long, global = true, env = "CASEFLOW_GRPC_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone, Debug, Default)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Bearer {
    pub fn new(token: Option<&str>) -> anyhow::Result<Bearer> {
        token
            .map(|t| {
                format!("Bearer {}", t.trim())
                    .parse()
                    .context("the token is not printable ASCII")
            })
            .transpose()
            .map(Bearer)
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A channel to a server and the credentials sent on it.
pub type Authed = InterceptedService<Channel, Bearer>;

/// A connected server.
#[derive(Clone, Debug)]
pub struct Server {
    pub url: String,
    channel: Channel,
    bearer: Bearer,
}

impl Server {
    /// Connects as `connection` says, defaulting to the configured listen address.
    pub async fn connect(connection: &Connection, config: &Config) -> anyhow::Result<Server> {
        let tls = connection.ca_file.is_some() || connection.cert_file.is_some();
        let url = connection.grpc.clone().unwrap_or_else(|| {
            let scheme = if tls { "https" } else { "http" };
            format!("{scheme}://{}", config.grpc.listen)
        });
        let mut endpoint = Endpoint::from_shared(url.clone())
            .with_context(|| format!("{url:?} is not a server address"))?;
        if tls || url.starts_with("https://") {
            let mut tls = ClientTlsConfig::new();
            if let Some(ca) = &connection.ca_file {
                tls = tls.ca_certificate(Certificate::from_pem(read(ca, "--ca-file")?));
            }
            match (&connection.cert_file, &connection.key_file) {
                (Some(cert), Some(key)) => {
                    tls = tls.identity(Identity::from_pem(
                        read(cert, "--cert-file")?,
                        read(key, "--key-file")?,
                    ));
                }
                (None, None) => {}
                _ => anyhow::bail!("--cert-file and --key-file go together"),
            }
            endpoint = endpoint
                .tls_config(tls)
                .context("the TLS settings are not usable")?;
        }
        let channel = endpoint
            .connect()
            .await
            .with_context(|| format!("cannot reach caseflow at {url}"))?;
        Ok(Server {
            url,
            channel,
            bearer: Bearer::new(connection.token.as_deref())?,
        })
    }

    /// A plaintext connection without credentials (the demo, tests).
    pub async fn plain(url: &str) -> anyhow::Result<Server> {
        let channel = Endpoint::from_shared(url.to_owned())?
            .connect()
            .await
            .with_context(|| format!("cannot reach caseflow at {url}"))?;
        Ok(Server {
            url: url.to_owned(),
            channel,
            bearer: Bearer::default(),
        })
    }

    /// The channel, without credentials (e.g. for the health service).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    fn authed(&self) -> Authed {
        InterceptedService::new(self.channel.clone(), self.bearer.clone())
    }

    pub fn figures(&self) -> v2::figures_client::FiguresClient<Authed> {
        v2::figures_client::FiguresClient::new(self.authed())
    }

    pub fn records(&self) -> v2::records_client::RecordsClient<Authed> {
        v2::records_client::RecordsClient::new(self.authed())
    }

    pub fn ingest(&self) -> v2::ingest_client::IngestClient<Authed> {
        v2::ingest_client::IngestClient::new(self.authed())
    }

    pub fn operations(&self) -> v2::operations_client::OperationsClient<Authed> {
        v2::operations_client::OperationsClient::new(self.authed())
    }
}

fn read(path: &Path, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {flag} {}", path.display()))
}
