//! Credentials for trying the secured mode on one machine, and service tokens.
//!
//! `caseflow dev-token` keeps, under `<data_dir>/dev-auth/`, an ES256 signing key and its JWKS
//! (standing in for an identity provider), and a local CA with a certificate for `localhost` and
//! `127.0.0.1` (standing in for the council's PKI), creating them on first use, and prints a
//! signed token. None of it is for production: a real install takes its keys from the
//! organisation's identity provider and its certificates from its PKI.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;

use crate::config::Config;

/// The issuer and audience of development tokens.
pub const DEV_ISSUER: &str = "caseflow-dev";
pub const DEV_AUDIENCE: &str = "caseflow";
const DEV_KID: &str = "caseflow-dev-es256";

/// The files `dev-token` keeps.
#[derive(Clone, Debug)]
pub struct DevFiles {
    pub dir: PathBuf,
}

impl DevFiles {
    pub fn of(config: &Config) -> DevFiles {
        DevFiles {
            dir: config.data_dir.join("dev-auth"),
        }
    }
    pub fn signing_key(&self) -> PathBuf {
        self.dir.join("signing-key.p8")
    }
    pub fn jwks(&self) -> PathBuf {
        self.dir.join("jwks.json")
    }
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("server.pem")
    }
    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server-key.pem")
    }

    /// Creates whatever is missing: the signing key and JWKS, the CA and server certificate.
    pub fn ensure(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        restrict(&self.dir, 0o700)?;
        if !self.signing_key().exists() || !self.jwks().exists() {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
            let der = key.serialize_der();
            let mut jwk =
                Jwk::from_encoding_key(&EncodingKey::from_ec_der(&der), Algorithm::ES256)?;
            jwk.common.key_id = Some(DEV_KID.to_owned());
            jwk.common.key_algorithm = Some(KeyAlgorithm::ES256);
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            write_secret(&self.signing_key(), &der)?;
            std::fs::write(
                self.jwks(),
                serde_json::to_string_pretty(&JwkSet { keys: vec![jwk] })?,
            )?;
        }
        if !self.ca().exists() || !self.server_cert().exists() || !self.server_key().exists() {
            let ca = Authority::new("caseflow development CA")?;
            let (cert, key) = ca.issue(
                "localhost",
                &["localhost".to_owned(), "127.0.0.1".to_owned()],
            )?;
            std::fs::write(self.ca(), ca.certificate.pem())?;
            std::fs::write(self.server_cert(), cert.pem())?;
            write_secret(&self.server_key(), key.serialize_pem().as_bytes())?;
        }
        Ok(())
    }

    /// A token for `who` with `roles` over `authorities`, valid for `hours`.
    pub fn token(
        &self,
        who: &str,
        roles: &[String],
        authorities: &[String],
        hours: u64,
    ) -> anyhow::Result<String> {
        self.ensure()?;
        let der = std::fs::read(self.signing_key())?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": who,
            "iat": now,
            "nbf": now,
            "exp": now + i64::try_from(hours * 3600).unwrap_or(i64::MAX / 2),
            "roles": roles,
            "caseflow_authorities": authorities,
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(DEV_KID.to_owned());
        Ok(jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_ec_der(&der),
        )?)
    }

    /// The configuration that accepts these tokens over TLS.
    pub fn config_snippet(&self) -> String {
        format!(
            "[grpc.tls]\ncert_file = {:?}\nkey_file = {:?}\n\n[auth.jwt]\njwks_file = {:?}\nissuer = {DEV_ISSUER:?}\naudience = {DEV_AUDIENCE:?}\n",
            self.server_cert(),
            self.server_key(),
            self.jwks(),
        )
    }
}

/// A self-signed certificate authority.
pub struct Authority {
    pub certificate: rcgen::Certificate,
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
}

impl Authority {
    pub fn new(name: &str) -> anyhow::Result<Authority> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let certificate = params.self_signed(&key)?;
        Ok(Authority {
            certificate,
            params,
            key,
        })
    }

    /// A certificate signed by this authority for `common_name`, valid for `names` (DNS names
    /// or IP addresses), usable by a server or a client.
    pub fn issue(
        &self,
        common_name: &str,
        names: &[String],
    ) -> anyhow::Result<(rcgen::Certificate, rcgen::KeyPair)> {
        leaf(self, common_name, names)
    }
}

fn leaf(
    ca: &Authority,
    common_name: &str,
    names: &[String],
) -> anyhow::Result<(rcgen::Certificate, rcgen::KeyPair)> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(names.to_vec())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let issuer = rcgen::Issuer::from_params(&ca.params, &ca.key);
    let cert = params.signed_by(&key, &issuer)?;
    Ok((cert, key))
}

/// A new service token: `cfst_` and 256 random bits in hex. Returns the token and the hash the
/// configuration holds.
pub fn new_service_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{}{}",
        caseflow_server::auth::SERVICE_TOKEN_PREFIX,
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let hash = caseflow_server::auth::service_token_hash(&token);
    (token, hash)
}

fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
