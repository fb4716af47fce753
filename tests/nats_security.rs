//! NATS connection security: TLS, credentials, and the users and permissions of
//! `deploy/nats-server-secured.conf`, against real nats-server processes. The secured server
//! runs the shipped file itself, with test certificates (made here with rcgen), test nkeys and
//! a test password substituted, so the example is what is tested.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use caseflow::config::Config;
use caseflow_log::{
    Append, AppendError, ClientCertificate, ContentType, EventLog, LogError, NatsCredentials,
    NatsSecurity, NatsTls,
};
use caseflow_tests::*;
use futures::StreamExt;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The shipped example, with its example keys, hash and paths replaced below.
const SECURED_CONF: &str = include_str!("../deploy/nats-server-secured.conf");
/// The example's public keys and password hash, as written in the file.
const EXAMPLE_CASEFLOW_NKEY: &str = "UDLMPDWL2DJ7OJZJ63HVPW5MGXPMQPRI2HY57RFJTCIL3CMR2TK5X7X7";
const EXAMPLE_LA372_NKEY: &str = "UA27D23ZCC4HA6JKYAQWMZA6HTVPHG35FSXJSEFVSDYS7H25Z342257N";
const EXAMPLE_LA373_HASH: &str = "$2a$11$9mArJdQ31Dez9.Q7UXYp..QwCDCUBWnOf3AZMNilrXWm5jRUCRFai";
/// la373's password on the test server (nats-server takes a plain password as well as a hash).
const LA373_PASSWORD: &str = "la373-test-password";

/// A CA, a certificate for the server (127.0.0.1 and localhost) and one for a client, all
/// signed by the CA, as PEM files.
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "caseflow test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        let leaf = |name: &str, sans: Vec<String>, usage: ExtendedKeyUsagePurpose| {
            let mut params = CertificateParams::new(sans).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = vec![usage];
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &ca).unwrap();
            std::fs::write(dir.path().join(format!("{name}-cert.pem")), cert.pem()).unwrap();
            std::fs::write(
                dir.path().join(format!("{name}-key.pem")),
                key.serialize_pem(),
            )
            .unwrap();
        };
        leaf(
            "nats",
            vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        leaf(
            "caseflow",
            vec!["caseflow".to_owned()],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// TLS trusting the test CA, without a client certificate.
    fn tls(&self) -> NatsTls {
        NatsTls {
            ca_file: Some(self.path("ca.pem")),
            client_certificate: None,
        }
    }

    /// TLS trusting the test CA, with the client certificate.
    fn mutual_tls(&self) -> NatsTls {
        NatsTls {
            ca_file: Some(self.path("ca.pem")),
            client_certificate: Some(ClientCertificate {
                cert_file: self.path("caseflow-cert.pem"),
                key_file: self.path("caseflow-key.pem"),
            }),
        }
    }
}

/// The secured example running: TLS, caseflow's and la372's nkeys, la373's password.
struct SecuredNats {
    nats: TestNats,
    pki: Pki,
    /// The nkey seed files of caseflow's and la372's users.
    caseflow_seed: PathBuf,
    la372_seed: PathBuf,
}

/// Replaces `from` in `text`, which must contain it (the example and this test stay in step).
fn substitute(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "deploy/nats-server-secured.conf no longer contains {from:?}: update tests/nats_security.rs"
    );
    text.replace(from, to)
}

impl SecuredNats {
    /// The example as shipped; `verify`: mutual TLS (its commented `verify: true` turned on).
    /// On a fixed free port, so that it can be restarted where clients reconnect.
    fn start(verify: bool) -> SecuredNats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pki = Pki::new();
        let caseflow = nkeys::KeyPair::new_user();
        let la372 = nkeys::KeyPair::new_user();
        let caseflow_seed = pki.path("caseflow.nk");
        let la372_seed = pki.path("la372.nk");
        std::fs::write(&caseflow_seed, caseflow.seed().unwrap()).unwrap();
        std::fs::write(&la372_seed, la372.seed().unwrap()).unwrap();
        let path = |name: &str| format!("{:?}", pki.path(name).display().to_string());
        let nats = TestNats::start_configured(|store| {
            let mut conf = SECURED_CONF.to_owned();
            for (from, to) in [
                ("host: 0.0.0.0", "host: 127.0.0.1".to_owned()),
                ("port: 4222", format!("port: {port}")),
                ("\"/etc/caseflow/tls/nats-cert.pem\"", path("nats-cert.pem")),
                ("\"/etc/caseflow/tls/nats-key.pem\"", path("nats-key.pem")),
                ("\"/etc/caseflow/tls/ca.pem\"", path("ca.pem")),
                (
                    "\"/var/lib/caseflow/nats\"",
                    format!("{:?}", store.display().to_string()),
                ),
                (EXAMPLE_CASEFLOW_NKEY, caseflow.public_key()),
                (EXAMPLE_LA372_NKEY, la372.public_key()),
                (EXAMPLE_LA373_HASH, LA373_PASSWORD.to_owned()),
            ] {
                conf = substitute(&conf, from, &to);
            }
            if verify {
                conf = substitute(&conf, "# verify: true", "verify: true");
            }
            conf
        });
        SecuredNats {
            nats,
            pki,
            caseflow_seed,
            la372_seed,
        }
    }

    fn url(&self) -> String {
        self.nats.url()
    }

    /// caseflow's user, as the example's caseflow.toml configures it.
    fn caseflow(&self) -> NatsSecurity {
        NatsSecurity {
            tls: Some(self.pki.tls()),
            credentials: Some(NatsCredentials::NkeySeedFile(self.caseflow_seed.clone())),
            inbox_prefix: Some("_INBOX_caseflow".to_owned()),
        }
    }

    /// Authority 372's case system, by nkey.
    fn la372(&self) -> NatsSecurity {
        NatsSecurity {
            tls: Some(self.pki.tls()),
            credentials: Some(NatsCredentials::NkeySeedFile(self.la372_seed.clone())),
            inbox_prefix: Some("_INBOX_la372".to_owned()),
        }
    }

    /// Authority 373's case system, by user and `password`.
    fn la373(&self, password: &str) -> NatsSecurity {
        NatsSecurity {
            tls: Some(self.pki.tls()),
            credentials: Some(NatsCredentials::UserPassword {
                user: "la373".to_owned(),
                password: password.to_owned(),
            }),
            inbox_prefix: Some("_INBOX_la373".to_owned()),
        }
    }
}

fn append(subject: &str, event_id: &str, json: String) -> Append {
    Append {
        subject: subject.to_owned(),
        event_id: event_id.to_owned(),
        payload: json.into_bytes().into(),
        content_type: ContentType::Json,
        expected_last_subject_sequence: None,
    }
}

/// `connect` that must fail; its error.
async fn refused(url: &str, security: &NatsSecurity) -> LogError {
    let started = Instant::now();
    let error = EventLog::connect(url, security, Default::default())
        .await
        .expect_err("the connection should be refused");
    // Refused at once, not after the retries a server that is still starting gets.
    assert!(started.elapsed() < Duration::from_secs(5), "{error}");
    error
}

#[tokio::test]
async fn a_plaintext_client_is_refused_when_tls_is_required() {
    let nats = SecuredNats::start(false);
    // A client speaking the protocol in plaintext, as an old or misconfigured one would.
    let port = nats.nats.server.port();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (read, mut write) = tcp.into_split();
    let mut lines = BufReader::new(read).lines();
    let info = lines.next_line().await.unwrap().unwrap();
    assert!(info.contains("\"tls_required\":true"), "{info}");
    let _ = write
        .write_all(b"CONNECT {\"verbose\":false,\"user\":\"la373\",\"pass\":\"la373-test-password\"}\r\nPING\r\n")
        .await;
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push(line);
        }
        seen
    })
    .await
    .expect("the server should close the connection");
    assert!(
        !answer.iter().any(|l| l.contains("PONG")),
        "a plaintext client got in: {answer:?}"
    );

    // caseflow without TLS configured does not trust the server's certificate either.
    let error = refused(
        &nats.url(),
        &NatsSecurity {
            tls: None,
            ..nats.caseflow()
        },
    )
    .await;
    assert!(matches!(error, LogError::Tls { .. }), "{error}");
    assert!(error.to_string().contains("certificate"), "{error}");
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_when_verify_is_on() {
    let nats = SecuredNats::start(true);
    let error = refused(&nats.url(), &nats.caseflow()).await;
    assert!(matches!(error, LogError::Tls { .. }), "{error}");

    let with_certificate = NatsSecurity {
        tls: Some(nats.pki.mutual_tls()),
        ..nats.caseflow()
    };
    let log = EventLog::connect(&nats.url(), &with_certificate, Default::default())
        .await
        .unwrap();
    assert_eq!(log.last_sequence().await.unwrap(), 0);
}

#[tokio::test]
async fn wrong_credentials_are_refused() {
    let nats = SecuredNats::start(false);
    let error = refused(&nats.url(), &nats.la373("not-the-password")).await;
    assert!(matches!(error, LogError::Credentials { .. }), "{error}");
    assert!(
        !format!("{error} {error:?}").contains("not-the-password"),
        "{error:?}"
    );

    // An nkey the server does not know.
    let stranger = nats.pki.path("stranger.nk");
    std::fs::write(&stranger, nkeys::KeyPair::new_user().seed().unwrap()).unwrap();
    let error = refused(
        &nats.url(),
        &NatsSecurity {
            credentials: Some(NatsCredentials::NkeySeedFile(stranger)),
            ..nats.la372()
        },
    )
    .await;
    assert!(matches!(error, LogError::Credentials { .. }), "{error}");

    // No credentials at all.
    let error = refused(
        &nats.url(),
        &NatsSecurity {
            credentials: None,
            ..nats.la372()
        },
    )
    .await;
    assert!(matches!(error, LogError::Credentials { .. }), "{error}");
}

#[tokio::test]
async fn a_case_system_appends_only_to_its_own_authority() {
    let nats = SecuredNats::start(false);
    // caseflow's user creates the stream (and the audit trail's).
    let caseflow = EventLog::connect(&nats.url(), &nats.caseflow(), Default::default())
        .await
        .unwrap();
    let audit = caseflow_log::StreamSettings {
        name: "CASEFLOW_AUDIT".to_owned(),
        subjects: "caseflow.audit.>".to_owned(),
        ..Default::default()
    };
    EventLog::connect(&nats.url(), &nats.caseflow(), audit)
        .await
        .unwrap();

    // 372's case system, through the publish path: its own authority's events go in.
    let la372 = EventLog::connect_publisher(&nats.url(), &nats.la372(), Default::default())
        .await
        .unwrap();
    publish(
        &la372,
        vec![
            registered("372", "C1", "E-372-1", "2010-03-01"),
            admitted("372", "C1", "E-372-2", "2017-05-02", "C2"),
        ],
    )
    .await;

    // Another authority's subject is refused at once, and says why.
    let started = Instant::now();
    let error = la372
        .append(append(
            "caseflow.events.373.child.C9",
            "E-373-forged",
            registered("373", "C9", "E-373-forged", "2011-01-01"),
        ))
        .await
        .expect_err("372 may not publish for 373");
    assert!(started.elapsed() < Duration::from_secs(5), "{error}");
    assert!(matches!(error, AppendError::Failed { .. }), "{error}");
    assert!(
        error.to_string().contains("permissions violation"),
        "{error}"
    );
    // So is the same through the CLI's validating path.
    let report = caseflow::commands::publish_lines(
        &la372,
        vec![registered("373", "C9", "E-373-forged", "2011-01-01")],
        caseflow_domain::Timestamp::from_offset(time::OffsetDateTime::now_utc()),
        8,
    )
    .await;
    assert_eq!(report.appended, 0);
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(
        report.failed[0].1.contains("permissions violation"),
        "{report:?}"
    );

    // 373's case system, by password, appends its own.
    let la373 =
        EventLog::connect_publisher(&nats.url(), &nats.la373(LA373_PASSWORD), Default::default())
            .await
            .unwrap();
    publish(
        &la373,
        vec![registered("373", "C7", "E-373-1", "2012-04-04")],
    )
    .await;

    // A case system cannot create streams or read the event stream.
    let error = EventLog::connect(&nats.url(), &nats.la372(), Default::default())
        .await
        .expect_err("372 may not manage the stream");
    assert!(matches!(error, LogError::Refused { .. }), "{error}");
    let error = match la372.read_from(1, 10).await {
        Err(error) => error,
        Ok(_) => panic!("372 may not read the stream"),
    };
    assert!(matches!(error, LogError::Refused { .. }), "{error}");

    // caseflow's user reads back exactly what was let in, in order.
    let messages: Vec<_> = caseflow
        .read_from(1, 10)
        .await
        .unwrap()
        .take(3)
        .map(Result::unwrap)
        .collect()
        .await;
    let subjects: Vec<_> = messages.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "caseflow.events.372.child.C1",
            "caseflow.events.372.child.C1",
            "caseflow.events.373.child.C7"
        ]
    );
    assert_eq!(caseflow.last_sequence().await.unwrap(), 3);
}

#[tokio::test]
async fn caseflow_publish_runs_as_a_case_systems_user() {
    let nats = SecuredNats::start(false);
    let caseflow = EventLog::connect(&nats.url(), &nats.caseflow(), Default::default())
        .await
        .unwrap();
    // `caseflow publish` as 372's case system configures it.
    let mut config = Config::default();
    config.nats.url = nats.url();
    config.nats.inbox_prefix = "_INBOX_la372".to_owned();
    config.nats.tls = Some(caseflow::config::NatsTlsConfig {
        ca_file: Some(nats.pki.path("ca.pem")),
        ..Default::default()
    });
    config.nats.credentials.nkey_seed_file = Some(nats.la372_seed.clone());
    config.validate().unwrap();
    let file = nats.pki.path("events.jsonl");
    let lines = [
        registered("372", "C1", "E-372-1", "2010-03-01"),
        admitted("372", "C1", "E-372-2", "2017-05-02", "C2"),
        registered("373", "C9", "E-373-9", "2011-01-01"),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let all_appended = caseflow::commands::publish(&config, &file, 16)
        .await
        .unwrap();
    // Its own authority's two lines are in; the other authority's is not (exit code 2).
    assert!(!all_appended);
    assert_eq!(caseflow.last_sequence().await.unwrap(), 2);
}

#[tokio::test]
async fn before_the_stream_exists_a_publisher_is_told_to_start_caseflow() {
    // A user allowed to look the stream up is told when connecting.
    let plain = TestNats::start();
    let error =
        EventLog::connect_publisher(&plain.url(), &NatsSecurity::default(), Default::default())
            .await
            .expect_err("no stream yet");
    assert!(matches!(error, LogError::NoStream { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "stream CASEFLOW_EVENTS does not exist; start caseflow serve first, which creates it"
    );

    // One allowed only to publish (the example's case systems) connects, and its first
    // append says so.
    let nats = SecuredNats::start(false);
    let la372 = EventLog::connect_publisher(&nats.url(), &nats.la372(), Default::default())
        .await
        .unwrap();
    let error = la372
        .append(append(
            "caseflow.events.372.child.C1",
            "E-1",
            registered("372", "C1", "E-1", "2010-03-01"),
        ))
        .await
        .expect_err("no stream yet");
    assert!(
        error.to_string().contains(
            "stream CASEFLOW_EVENTS does not exist; start caseflow serve first, which creates it"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn token_credentials_connect_and_a_wrong_token_is_refused() {
    let pki = Pki::new();
    let ca = pki.path("ca.pem");
    let nats = TestNats::start_configured(|store| {
        format!(
            "host: 127.0.0.1\nport: -1\n\
             tls {{\n  cert_file: {cert:?}\n  key_file: {key:?}\n  ca_file: {ca:?}\n}}\n\
             authorization {{\n  token: \"s3cret-token\"\n}}\n\
             jetstream {{\n  store_dir: {store:?}\n}}\n",
            cert = pki.path("nats-cert.pem").display().to_string(),
            key = pki.path("nats-key.pem").display().to_string(),
            ca = ca.display().to_string(),
            store = store.display().to_string(),
        )
    });
    let security = |token: &str| NatsSecurity {
        tls: Some(pki.tls()),
        credentials: Some(NatsCredentials::Token(token.to_owned())),
        inbox_prefix: None,
    };
    let log = EventLog::connect(&nats.url(), &security("s3cret-token"), Default::default())
        .await
        .unwrap();
    publish(&log, vec![registered("372", "C1", "E-1", "2010-03-01")]).await;
    assert_eq!(log.last_sequence().await.unwrap(), 1);

    let error = refused(&nats.url(), &security("guessed-token")).await;
    assert!(matches!(error, LogError::Credentials { .. }), "{error}");
    assert!(
        !format!("{error} {error:?}").contains("guessed"),
        "{error:?}"
    );
}

/// base64url without padding, as JWT segments are written.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// A NATS JWT (operator, account or user claims) for `subject`, signed by `issuer`, as `nsc`
/// writes them.
fn nats_jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: serde_json::Value) -> String {
    let header = base64url(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let claims = serde_json::json!({
        "jti": format!("{name}{}", &subject[1..12]),
        "iat": time::OffsetDateTime::now_utc().unix_timestamp(),
        "iss": issuer.public_key(),
        "name": name,
        "sub": subject,
        "nats": nats,
    });
    let claims = base64url(claims.to_string().as_bytes());
    let signature = issuer
        .sign(format!("{header}.{claims}").as_bytes())
        .unwrap();
    format!("{header}.{claims}.{}", base64url(&signature))
}

/// A `.creds` file for a user of `account`, allowed what `permissions` says.
fn creds_file(
    dir: &Path,
    name: &str,
    account: &nkeys::KeyPair,
    permissions: serde_json::Value,
) -> PathBuf {
    let user = nkeys::KeyPair::new_user();
    let mut nats = permissions;
    nats["subs"] = (-1).into();
    nats["data"] = (-1).into();
    nats["payload"] = (-1).into();
    nats["type"] = "user".into();
    nats["version"] = 2.into();
    let jwt = nats_jwt(account, &user.public_key(), name, nats);
    let path = dir.join(format!("{name}.creds"));
    std::fs::write(
        &path,
        format!(
            "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
             ************************* IMPORTANT *************************\n\
             NKEY Seed printed below can be used to sign and prove identity.\n\n\
             -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
            user.seed().unwrap()
        ),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn creds_files_connect_to_a_server_in_operator_mode() {
    // An operator, an account with JetStream, and users with JWTs in .creds files.
    let dir = tempfile::tempdir().unwrap();
    let operator = nkeys::KeyPair::new_operator();
    let account = nkeys::KeyPair::new_account();
    let operator_jwt = nats_jwt(
        &operator,
        &operator.public_key(),
        "test-operator",
        serde_json::json!({"type": "operator", "version": 2}),
    );
    let account_jwt = nats_jwt(
        &operator,
        &account.public_key(),
        "caseflow",
        serde_json::json!({
            "limits": {
                "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                "wildcards": true, "conn": -1, "leaf": -1,
                "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1
            },
            "type": "account",
            "version": 2
        }),
    );
    // JetStream needs the server's own system account.
    let system = nkeys::KeyPair::new_account();
    let system_jwt = nats_jwt(
        &operator,
        &system.public_key(),
        "SYS",
        serde_json::json!({"type": "account", "version": 2}),
    );
    let nats = TestNats::start_configured(|store| {
        format!(
            "host: 127.0.0.1\nport: -1\noperator: {operator_jwt:?}\nresolver: MEMORY\n\
             system_account: {system}\n\
             resolver_preload: {{\n  {account}: {account_jwt:?}\n  {system}: {system_jwt:?}\n}}\n\
             jetstream {{\n  store_dir: {store:?}\n}}\n",
            account = account.public_key(),
            system = system.public_key(),
            store = store.display().to_string(),
        )
    });
    let creds = |path: PathBuf, inbox: &str| NatsSecurity {
        tls: None,
        credentials: Some(NatsCredentials::CredsFile(path)),
        inbox_prefix: Some(inbox.to_owned()),
    };
    let admin = creds_file(dir.path(), "caseflow", &account, serde_json::json!({}));
    let la372 = creds_file(
        dir.path(),
        "la372",
        &account,
        serde_json::json!({
            "pub": {"allow": ["caseflow.events.372.>"]},
            "sub": {"allow": ["_INBOX_la372.>"]}
        }),
    );

    let caseflow = EventLog::connect(
        &nats.url(),
        &creds(admin, "_INBOX_caseflow"),
        Default::default(),
    )
    .await
    .unwrap();
    let la372 = EventLog::connect_publisher(
        &nats.url(),
        &creds(la372, "_INBOX_la372"),
        Default::default(),
    )
    .await
    .unwrap();
    publish(&la372, vec![registered("372", "C1", "E-1", "2010-03-01")]).await;
    let error = la372
        .append(append(
            "caseflow.events.373.child.C9",
            "E-2",
            registered("373", "C9", "E-2", "2011-01-01"),
        ))
        .await
        .expect_err("the JWT allows 372 only");
    assert!(
        error.to_string().contains("permissions violation"),
        "{error}"
    );
    assert_eq!(caseflow.last_sequence().await.unwrap(), 1);

    // A creds file signed by an account the server does not know is refused.
    let stranger = creds_file(
        dir.path(),
        "stranger",
        &nkeys::KeyPair::new_account(),
        serde_json::json!({}),
    );
    let error = refused(&nats.url(), &creds(stranger, "_INBOX_stranger")).await;
    assert!(matches!(error, LogError::Credentials { .. }), "{error}");
}

#[tokio::test]
async fn an_unreadable_security_file_is_named() {
    let nats = SecuredNats::start(false);
    let missing = nats.pki.path("no-such-ca.pem");
    let error = refused(
        &nats.url(),
        &NatsSecurity {
            tls: Some(NatsTls {
                ca_file: Some(missing.clone()),
                client_certificate: None,
            }),
            ..nats.caseflow()
        },
    )
    .await;
    assert!(matches!(error, LogError::Security { .. }), "{error}");
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );

    let not_a_seed = nats.pki.path("ca.pem");
    let error = refused(
        &nats.url(),
        &NatsSecurity {
            credentials: Some(NatsCredentials::NkeySeedFile(not_a_seed.clone())),
            ..nats.caseflow()
        },
    )
    .await;
    assert!(
        error.to_string().contains("nkey seed file") && error.to_string().contains("ca.pem"),
        "{error}"
    );

    // A line that starts like a seed but does not decode as one is no seed either.
    let lookalike = nats.pki.path("lookalike.nk");
    std::fs::write(&lookalike, "# a seed follows\nSUNOTASEEDATALL\n").unwrap();
    let error = refused(
        &nats.url(),
        &NatsSecurity {
            credentials: Some(NatsCredentials::NkeySeedFile(lookalike)),
            ..nats.caseflow()
        },
    )
    .await;
    assert!(matches!(error, LogError::Security { .. }), "{error}");
    assert!(
        error.to_string().contains("no nkey seed") && error.to_string().contains("lookalike.nk"),
        "{error}"
    );

    let missing_creds = nats.pki.path("caseflow.creds");
    let error = refused(
        &nats.url(),
        &NatsSecurity {
            credentials: Some(NatsCredentials::CredsFile(missing_creds)),
            ..nats.caseflow()
        },
    )
    .await;
    assert!(
        error.to_string().contains("creds file") && error.to_string().contains("caseflow.creds"),
        "{error}"
    );
}

#[tokio::test]
async fn caseflow_serves_from_a_secured_server() {
    let nats = SecuredNats::start(true);
    let (ca, cert, key) = (
        nats.pki.path("ca.pem"),
        nats.pki.path("caseflow-cert.pem"),
        nats.pki.path("caseflow-key.pem"),
    );
    let seed = nats.caseflow_seed.clone();
    let caseflow = TestCaseflow::start_with_config(&nats.url(), |config| {
        config.nats.inbox_prefix = "_INBOX_caseflow".to_owned();
        config.nats.tls = Some(caseflow::config::NatsTlsConfig {
            ca_file: Some(ca),
            cert_file: Some(cert),
            key_file: Some(key),
        });
        config.nats.credentials.nkey_seed_file = Some(seed);
    })
    .await;

    // 372's case system publishes (with mutual TLS too); caseflow projects and serves it.
    let la372 = EventLog::connect_publisher(
        &nats.url(),
        &NatsSecurity {
            tls: Some(nats.pki.mutual_tls()),
            ..nats.la372()
        },
        Default::default(),
    )
    .await
    .unwrap();
    publish(
        &la372,
        vec![
            registered("372", "C1", "E-372-1", "2010-03-01"),
            admitted("372", "C1", "E-372-2", "2017-05-02", "C2"),
        ],
    )
    .await;
    // caseflow's own user appends for any authority (what gRPC Ingest/Append does).
    publish(
        caseflow.log(),
        vec![registered("373", "C7", "E-373-1", "2012-04-04")],
    )
    .await;
    caseflow.caught_up().await;
    let timeline = caseflow.timeline("372", "C1").await;
    assert_eq!(timeline.entries.len(), 2, "{timeline:?}");
    assert_eq!(caseflow.timeline("373", "C7").await.entries.len(), 1);

    // The server restarts: caseflow's user reconnects and its reader starts again (an ordered
    // consumer deletes and recreates itself) within its permissions, and goes on projecting.
    let mut nats = nats;
    nats.nats.server.restart().unwrap();
    let la372 = EventLog::connect_publisher(
        &nats.url(),
        &NatsSecurity {
            tls: Some(nats.pki.mutual_tls()),
            ..nats.la372()
        },
        Default::default(),
    )
    .await
    .unwrap();
    publish(
        &la372,
        vec![ended("372", "C1", "E-372-3", "2018-01-10", "E11")],
    )
    .await;
    caseflow.caught_up().await;
    let timeline = caseflow.timeline("372", "C1").await;
    assert_eq!(timeline.entries.len(), 3, "{timeline:?}");

    // Within its permissions too: the check that the stream still holds the projections'
    // history (which reads the message at the applied sequence; it runs when following starts
    // again after the restart) and reading the audit trail back.
    let status = caseflow
        .operations()
        .get_status(caseflow_proto::v2::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.problem, "");
    let trail = caseflow
        .operations()
        .list_audit(caseflow_proto::v2::ListAuditRequest::default())
        .await
        .unwrap()
        .into_inner()
        .records;
    let read: Vec<_> = trail
        .iter()
        .map(|r| (r.la.as_str(), r.child_id.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        read,
        vec![
            ("372", "C1", "ok"),
            ("373", "C7", "ok"),
            ("372", "C1", "ok")
        ]
    );
    // Publishing a report and reading the publications back (their own stream).
    let published = caseflow
        .figures()
        .publish_report(caseflow_proto::v2::PublishReportRequest {
            la: "372".into(),
            month: "2018-05".into(),
            title: "Panel".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(published.title, "Panel");
    let listed = caseflow
        .figures()
        .list_publications(caseflow_proto::v2::ListPublicationsRequest {
            la: "372".into(),
            with_figures: false,
        })
        .await
        .unwrap()
        .into_inner()
        .publications;
    assert_eq!(listed.len(), 1);
    caseflow.stop().await;
}

#[test]
fn the_configuration_takes_one_kind_of_credentials_and_keeps_secrets_out_of_sight() {
    let load = |toml: &str, env: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("caseflow.toml");
        std::fs::write(&file, toml).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(Some(&file), |var| {
            env.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone())
        })
    };
    let external = "[nats]\nurl = \"tls://nats.example:4222\"\n";

    // The password from the environment, with the user from the file.
    let config = load(
        &format!("{external}[nats.credentials]\nuser = \"caseflow\"\n"),
        &[("CASEFLOW_NATS_PASSWORD", "pa55-from-env")],
    )
    .unwrap();
    match config.nats_security().credentials {
        Some(NatsCredentials::UserPassword { user, password }) => {
            assert_eq!(
                (user.as_str(), password.as_str()),
                ("caseflow", "pa55-from-env")
            );
        }
        other => panic!("{other:?}"),
    }
    let shown = format!("{config:?} {:?}", config.nats_security());
    assert!(!shown.contains("pa55-from-env"), "{shown}");
    assert!(shown.contains("caseflow"), "{shown}");

    // A token from the environment, TLS from the file.
    let config = load(
        &format!(
            "{external}[nats.tls]\nca_file = \"ca.pem\"\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"
        ),
        &[("CASEFLOW_NATS_TOKEN", "t0ken-from-env")],
    )
    .unwrap();
    let security = config.nats_security();
    assert!(matches!(
        security.credentials,
        Some(NatsCredentials::Token(_))
    ));
    let tls = security.tls.unwrap();
    assert_eq!(tls.ca_file.unwrap(), Path::new("ca.pem"));
    assert_eq!(tls.client_certificate.unwrap().key_file, Path::new("k.pem"));
    assert!(!format!("{config:?}").contains("t0ken-from-env"));

    // Refused: two kinds at once, a user without a password, a certificate without its key,
    // security for the embedded server.
    let error = load(
        &format!("{external}[nats.credentials]\nnkey_seed_file = \"a.nk\"\n"),
        &[("CASEFLOW_NATS_TOKEN", "t0ken-from-env")],
    )
    .unwrap_err();
    assert!(
        format!("{error:#}").contains("token, nkey_seed_file"),
        "{error:#}"
    );
    let error = load(
        &format!("{external}[nats.credentials]\nuser = \"caseflow\"\n"),
        &[],
    )
    .unwrap_err();
    assert!(format!("{error:#}").contains("user and password go together"));
    let error = load(
        &format!("{external}[nats.tls]\ncert_file = \"c.pem\"\n"),
        &[],
    )
    .unwrap_err();
    assert!(format!("{error:#}").contains("cert_file and key_file go together"));
    let error = load("[nats.credentials]\ntoken = \"x\"\n", &[]).unwrap_err();
    assert!(
        format!("{error:#}").contains("embedded server"),
        "{error:#}"
    );
    let error = load("", &[("CASEFLOW_NATS_URL", "nats://la373:pa55@nats:4222")]).unwrap_err();
    assert!(
        format!("{error:#}").contains("[nats.credentials]"),
        "{error:#}"
    );
    assert!(!format!("{error:#}").contains("pa55"), "{error:#}");
    let error = load("", &[("CASEFLOW_NATS_INBOX_PREFIX", "_INBOX.>")]).unwrap_err();
    assert!(format!("{error:#}").contains("inbox_prefix"), "{error:#}");

    // No security: the embedded server, as before.
    let config = load("", &[]).unwrap();
    let security = config.nats_security();
    assert!(security.tls.is_none() && security.credentials.is_none());
}

#[test]
fn a_password_in_a_url_is_not_shown() {
    assert_eq!(
        caseflow_log::shown_url("nats://la373:pa55@nats.example:4222,tls://tok3n@other:4222"),
        "nats://<redacted>@nats.example:4222,tls://<redacted>@other:4222"
    );
    assert_eq!(
        caseflow_log::shown_url("nats://127.0.0.1:4222"),
        "nats://127.0.0.1:4222"
    );
}

#[test]
fn credentials_never_show_their_secret_in_debug_output() {
    let shown = format!(
        "{:?} {:?}",
        NatsCredentials::UserPassword {
            user: "la373".to_owned(),
            password: "hunter2".to_owned(),
        },
        NatsSecurity {
            credentials: Some(NatsCredentials::Token("s3cret-token".to_owned())),
            ..Default::default()
        }
    );
    assert!(shown.contains("la373"), "{shown}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("s3cret-token"),
        "{shown}"
    );
}
