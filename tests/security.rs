//! Security: TLS and mutual TLS on the gRPC port, bearer JWTs and service tokens, roles per
//! authority, the audit trail, and the refusal to listen beyond loopback unprotected. Real
//! nats-server, real TLS: certificates, keys and tokens are made at test time (the RSA key is a
//! test fixture, since generating one in a debug build is slow).

use std::collections::BTreeMap;
use std::path::PathBuf;

use caseflow::client::{Connection, Server};
use caseflow::config::{Config, GrpcTlsConfig, JwtConfig, ServiceTokenConfig};
use caseflow::devauth::Authority;
use caseflow_proto::{v1, v2};
use caseflow_tests::*;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tonic::Code;

const ISSUER: &str = "https://login.example.gov.uk/council";
const AUDIENCE: &str = "caseflow";
const RSA_KEY: &str = include_str!("fixtures/rsa-test-key.pem");

/// The identity provider and PKI of the tests: an ES256 and an RS256 signing key published in a
/// JWKS file, and a CA.
struct Issuer {
    es256: EncodingKey,
    rs256: EncodingKey,
    ca: Authority,
    dir: tempfile::TempDir,
}

impl Issuer {
    fn new() -> Issuer {
        let dir = tempfile::tempdir().unwrap();
        let es = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let es256 = EncodingKey::from_ec_der(&es.serialize_der());
        let rs256 = EncodingKey::from_rsa_pem(RSA_KEY.as_bytes()).unwrap();
        let jwk = |key: &EncodingKey, alg, kid: &str| {
            let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
            jwk.common.key_id = Some(kid.to_owned());
            jwk.common.key_algorithm = Some(match alg {
                Algorithm::ES256 => KeyAlgorithm::ES256,
                _ => KeyAlgorithm::RS256,
            });
            jwk
        };
        let jwks = JwkSet {
            keys: vec![
                jwk(&es256, Algorithm::ES256, "es"),
                jwk(&rs256, Algorithm::RS256, "rs"),
            ],
        };
        std::fs::write(
            dir.path().join("jwks.json"),
            serde_json::to_string(&jwks).unwrap(),
        )
        .unwrap();
        let ca = Authority::new("caseflow test CA").unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.certificate.pem()).unwrap();
        let (cert, key) = ca
            .issue(
                "localhost",
                &["localhost".to_owned(), "127.0.0.1".to_owned()],
            )
            .unwrap();
        std::fs::write(dir.path().join("server.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("server-key.pem"), key.serialize_pem()).unwrap();
        Issuer {
            es256,
            rs256,
            ca,
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Claims valid now for `who` with `roles` over `authorities`.
    fn claims(who: &str, roles: &[&str], authorities: &[&str]) -> serde_json::Map<String, Value> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let Value::Object(map) = json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": who,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "roles": roles,
            "caseflow_authorities": authorities,
        }) else {
            unreachable!()
        };
        map
    }

    fn sign(&self, alg: Algorithm, kid: &str, claims: &serde_json::Map<String, Value>) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        let key = match alg {
            Algorithm::ES256 => &self.es256,
            _ => &self.rs256,
        };
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    fn token(&self, who: &str, roles: &[&str], authorities: &[&str]) -> String {
        self.sign(
            Algorithm::ES256,
            "es",
            &Issuer::claims(who, roles, authorities),
        )
    }

    /// A client certificate for `common_name`, written beside the others.
    fn client_certificate(&self, ca: &Authority, common_name: &str) -> (PathBuf, PathBuf) {
        let (cert, key) = ca.issue(common_name, &[]).unwrap();
        let (c, k) = (
            self.path(&format!("{common_name}.pem")),
            self.path(&format!("{common_name}-key.pem")),
        );
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }

    /// TLS, JWTs from this issuer, and two service tokens: an ingest token for 372 and an
    /// operations token for every authority.
    fn secure(&self, config: &mut Config) {
        config.grpc.tls = Some(GrpcTlsConfig {
            cert_file: self.path("server.pem"),
            key_file: self.path("server-key.pem"),
            client_ca_file: None,
        });
        config.auth.jwt = Some(JwtConfig {
            jwks_file: self.path("jwks.json"),
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            leeway_secs: 5,
            who_claim: "sub".to_owned(),
            roles_claim: "roles".to_owned(),
            authorities_claim: "caseflow_authorities".to_owned(),
        });
        config.auth.service_tokens = vec![
            ServiceTokenConfig {
                name: "mosaic-372".to_owned(),
                hash: caseflow_server::auth::service_token_hash(INGEST_TOKEN),
                roles: vec!["ingest".to_owned()],
                authorities: vec!["372".to_owned()],
            },
            ServiceTokenConfig {
                name: "operator".to_owned(),
                hash: caseflow_server::auth::service_token_hash(OPERATIONS_TOKEN),
                roles: vec!["operations".to_owned()],
                authorities: vec!["*".to_owned()],
            },
        ];
    }
}

const INGEST_TOKEN: &str = "cfst_0000000000000000000000000000000000000000000000000000000000000372";
const OPERATIONS_TOKEN: &str =
    "cfst_00000000000000000000000000000000000000000000000000000000000000ff";

async fn connect(cf: &TestCaseflow, issuer: &Issuer, token: Option<String>) -> Server {
    connect_with(cf, issuer.path("ca.pem"), token, None).await
}

async fn connect_with(
    cf: &TestCaseflow,
    ca: PathBuf,
    token: Option<String>,
    identity: Option<(PathBuf, PathBuf)>,
) -> Server {
    let (cert_file, key_file) = identity.unzip();
    Server::connect(
        &Connection {
            grpc: Some(format!("https://127.0.0.1:{}", cf.running.grpc_addr.port())),
            token,
            ca_file: Some(ca),
            cert_file,
            key_file,
        },
        &cf.config,
    )
    .await
    .unwrap()
}

/// Two authorities' children, straight into the log.
async fn two_authorities(cf: &TestCaseflow) {
    publish(
        cf.log(),
        vec![
            registered("372", "C1", "e1", "2010-01-01"),
            admitted("372", "C1", "e2", "2018-01-10", "C2"),
            registered("373", "D1", "f1", "2011-01-01"),
            admitted("373", "D1", "f2", "2018-02-10", "C2"),
        ],
    )
    .await;
    cf.caught_up().await;
}

fn append_request(la: &str, child: &str, id: &str) -> v2::AppendRequest {
    let event: v1::Event = serde_json::from_str(&registered(la, child, id, "2012-03-04")).unwrap();
    v2::AppendRequest {
        event: Some(event),
        expected_last_subject_sequence: None,
    }
}

/// One call of each service about authority `la`: its outcome code.
async fn call(server: &Server, service: &str, la: &str) -> Code {
    let child = if la == "372" { "C1" } else { "D1" };
    let outcome = match service {
        "figures" => server
            .figures()
            .get_scorecard(v2::GetScorecardRequest {
                la: la.to_owned(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "records" => server
            .records()
            .get_child_timeline(v2::GetChildTimelineRequest {
                la: la.to_owned(),
                child_id: child.to_owned(),
            })
            .await
            .map(|_| ()),
        "ingest" => server
            .ingest()
            .append(append_request(la, &format!("N{la}"), &format!("new-{la}")))
            .await
            .map(|_| ()),
        "operations" => server
            .operations()
            .list_data_quality_issues(v2::ListDataQualityIssuesRequest {
                la: la.to_owned(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "audit" => server
            .operations()
            .list_audit(v2::ListAuditRequest {
                la: la.to_owned(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        other => panic!("no service {other}"),
    };
    match outcome {
        Ok(()) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_reaches_its_own_service_for_its_own_authorities_only() {
    let nats = TestNats::start();
    let issuer = Issuer::new();
    let cf = TestCaseflow::start_with(&nats, |c| issuer.secure(c)).await;
    two_authorities(&cf).await;

    const SERVICES: [&str; 5] = ["figures", "records", "ingest", "operations", "audit"];
    let mut wrong = Vec::new();
    for role in SERVICES {
        let server = connect(&cf, &issuer, Some(issuer.token(role, &[role], &["372"]))).await;
        for service in SERVICES {
            for la in ["372", "373"] {
                let expected = if service == role && la == "372" {
                    Code::Ok
                } else {
                    Code::PermissionDenied
                };
                let got = call(&server, service, la).await;
                if got != expected {
                    wrong.push(format!(
                        "role {role}, service {service}, la {la}: {got:?}, expected {expected:?}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // A grant over every authority reaches both; health answers without credentials.
    let all = connect(
        &cf,
        &issuer,
        Some(issuer.token("all", &["figures"], &["*"])),
    )
    .await;
    assert_eq!(call(&all, "figures", "373").await, Code::Ok);
    let anonymous = connect(&cf, &issuer, None).await;
    let health = tonic_health::pb::health_client::HealthClient::new(anonymous.channel())
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    cf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_about_another_authority_tells_nothing_about_what_exists() {
    let nats = TestNats::start();
    let issuer = Issuer::new();
    let cf = TestCaseflow::start_with(&nats, |c| issuer.secure(c)).await;
    two_authorities(&cf).await;
    let server = connect(
        &cf,
        &issuer,
        Some(issuer.token("analyst", &["records"], &["372"])),
    )
    .await;
    let refusal = |child: &str| {
        let mut records = server.records();
        let child = child.to_owned();
        async move {
            records
                .get_child_timeline(v2::GetChildTimelineRequest {
                    la: "373".to_owned(),
                    child_id: child,
                })
                .await
                .unwrap_err()
        }
    };
    let (exists, absent) = (refusal("D1").await, refusal("NOBODY").await);
    assert_eq!(exists.code(), Code::PermissionDenied);
    assert_eq!(
        (exists.code(), exists.message()),
        (absent.code(), absent.message())
    );
    // An authority with no data at all is refused the same way.
    let empty = server
        .records()
        .get_child_timeline(v2::GetChildTimelineRequest {
            la: "999".to_owned(),
            child_id: "D1".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::PermissionDenied);
    cf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_and_good_ones_of_both_algorithms_accepted() {
    let nats = TestNats::start();
    let issuer = Issuer::new();
    let cf = TestCaseflow::start_with(&nats, |c| issuer.secure(c)).await;
    two_authorities(&cf).await;
    let b64 = |v: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let good = Issuer::claims("analyst", &["figures"], &["372"]);
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c.insert(key.to_owned(), value);
        c
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let es = |c: &serde_json::Map<String, Value>| issuer.sign(Algorithm::ES256, "es", c);

    // Accepted: ES256 and RS256 from the JWKS.
    for token in [es(&good), issuer.sign(Algorithm::RS256, "rs", &good)] {
        let server = connect(&cf, &issuer, Some(token)).await;
        assert_eq!(call(&server, "figures", "372").await, Code::Ok);
    }

    let tampered = {
        let token = es(&good);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = b64(&Value::Object(with("caseflow_authorities", json!(["*"]))));
        format!("{}.{}.{}", parts[0], forged, parts[2])
    };
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": "es"})),
        b64(&Value::Object(good.clone()))
    );
    // HS256 with the RSA key's public half as the shared secret: the classic confusion.
    let hs256_confusion = {
        let jwks: JwkSet =
            serde_json::from_str(&std::fs::read_to_string(issuer.path("jwks.json")).unwrap())
                .unwrap();
        let public = serde_json::to_vec(jwks.find("rs").unwrap()).unwrap();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rs".to_owned());
        jsonwebtoken::encode(&header, &good, &EncodingKey::from_secret(&public)).unwrap()
    };
    let unknown_kid = issuer.sign(Algorithm::ES256, "retired", &good);
    let refused: BTreeMap<&str, Option<String>> = BTreeMap::from([
        ("no credentials", None),
        ("expired", Some(es(&with("exp", json!(now - 3600))))),
        ("not yet valid", Some(es(&with("nbf", json!(now + 3600))))),
        (
            "wrong issuer",
            Some(es(&with("iss", json!("https://evil.example")))),
        ),
        (
            "wrong audience",
            Some(es(&with("aud", json!("someone-else")))),
        ),
        ("exp as text", Some(es(&with("exp", json!("99999999999"))))),
        ("nbf as text", Some(es(&with("nbf", json!("99999999999"))))),
        ("tampered", Some(tampered)),
        ("alg none", Some(alg_none)),
        ("HS256 confusion", Some(hs256_confusion)),
        ("unknown key id", Some(unknown_kid)),
        (
            "RS256 token naming the ES256 key",
            Some(issuer.sign(Algorithm::RS256, "es", &good)),
        ),
        (
            "unknown service token",
            Some(
                "cfst_1111111111111111111111111111111111111111111111111111111111111111".to_owned(),
            ),
        ),
        ("not a token", Some("hello".to_owned())),
    ]);
    let mut accepted = Vec::new();
    for (case, token) in refused {
        let server = connect(&cf, &issuer, token).await;
        let code = call(&server, "figures", "372").await;
        if code != Code::Unauthenticated {
            accepted.push(format!("{case}: {code:?}"));
        }
    }
    assert!(
        accepted.is_empty(),
        "not refused as unauthenticated: {accepted:?}"
    );

    // Service tokens: by hash, with their own grants.
    let ingest = connect(&cf, &issuer, Some(INGEST_TOKEN.to_owned())).await;
    assert_eq!(call(&ingest, "ingest", "372").await, Code::Ok);
    assert_eq!(call(&ingest, "ingest", "373").await, Code::PermissionDenied);
    assert_eq!(
        call(&ingest, "figures", "372").await,
        Code::PermissionDenied
    );
    let operator = connect(&cf, &issuer, Some(OPERATIONS_TOKEN.to_owned())).await;
    assert_eq!(call(&operator, "operations", "373").await, Code::Ok);
    cf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_refuses_plaintext_and_mutual_tls_refuses_clients_without_a_certificate() {
    let nats = TestNats::start();
    let issuer = Issuer::new();
    let cf = TestCaseflow::start_with(&nats, |c| issuer.secure(c)).await;
    let token = issuer.token("analyst", &["figures"], &["372"]);

    // Plaintext to a TLS port: no answer.
    let plain = format!("http://127.0.0.1:{}", cf.running.grpc_addr.port());
    if let Ok(server) = Server::plain(&plain).await {
        assert_ne!(call(&server, "figures", "372").await, Code::Ok);
    }
    // A client that does not trust the server's CA refuses it.
    let stranger = Authority::new("someone else's CA").unwrap();
    let other_ca = issuer.path("other-ca.pem");
    std::fs::write(&other_ca, stranger.certificate.pem()).unwrap();
    let connection = Connection {
        grpc: Some(format!("https://127.0.0.1:{}", cf.running.grpc_addr.port())),
        token: Some(token.clone()),
        ca_file: Some(other_ca),
        ..Default::default()
    };
    match Server::connect(&connection, &cf.config).await {
        Err(_) => {}
        Ok(server) => assert_ne!(call(&server, "figures", "372").await, Code::Ok),
    }
    cf.stop().await;

    // Mutual TLS: a certificate from the configured CA is required, and its subject can be the
    // identity.
    let mtls = TestCaseflow::start_with(&nats, |c| {
        issuer.secure(c);
        if let Some(tls) = c.grpc.tls.as_mut() {
            tls.client_ca_file = Some(issuer.path("ca.pem"));
        }
        c.auth.certificates = vec![caseflow::config::CertificateConfig {
            subject: "CN=reporting".to_owned(),
            roles: vec!["figures".to_owned()],
            authorities: vec!["372".to_owned()],
        }];
    })
    .await;
    let port = mtls.running.grpc_addr.port();
    let without = Connection {
        grpc: Some(format!("https://127.0.0.1:{port}")),
        token: Some(token.clone()),
        ca_file: Some(issuer.path("ca.pem")),
        ..Default::default()
    };
    match Server::connect(&without, &mtls.config).await {
        Err(_) => {}
        Ok(server) => assert_ne!(call(&server, "figures", "372").await, Code::Ok),
    }
    let foreign = issuer.client_certificate(&stranger, "reporting-foreign");
    match Server::connect(
        &Connection {
            cert_file: Some(foreign.0),
            key_file: Some(foreign.1),
            ..without.clone()
        },
        &mtls.config,
    )
    .await
    {
        Err(_) => {}
        Ok(server) => assert_ne!(call(&server, "figures", "372").await, Code::Ok),
    }
    // With a certificate from the CA: the token still works, and the certificate alone is an
    // identity with its configured grants.
    let reporting = issuer.client_certificate(&issuer.ca, "reporting");
    let with_token = connect_with(
        &mtls,
        issuer.path("ca.pem"),
        Some(token),
        Some(reporting.clone()),
    )
    .await;
    assert_eq!(call(&with_token, "figures", "372").await, Code::Ok);
    let by_certificate = connect_with(&mtls, issuer.path("ca.pem"), None, Some(reporting)).await;
    assert_eq!(call(&by_certificate, "figures", "372").await, Code::Ok);
    assert_eq!(
        call(&by_certificate, "figures", "373").await,
        Code::PermissionDenied
    );
    let unmapped = issuer.client_certificate(&issuer.ca, "somebody");
    let unmapped = connect_with(&mtls, issuer.path("ca.pem"), None, Some(unmapped)).await;
    assert_eq!(
        call(&unmapped, "figures", "372").await,
        Code::Unauthenticated
    );
    mtls.stop().await;
}

/// Every audit record of authority `la`, read as the auditor.
async fn audit_of(server: &Server, la: &str) -> Vec<v2::AuditRecord> {
    server
        .operations()
        .list_audit(v2::ListAuditRequest {
            la: la.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_of_records_is_audited_before_it_is_answered() {
    let nats = TestNats::start();
    let issuer = Issuer::new();
    let cf = TestCaseflow::start_with(&nats, |c| issuer.secure(c)).await;
    two_authorities(&cf).await;
    let analyst = connect(
        &cf,
        &issuer,
        Some(issuer.token("a.analyst@example.gov.uk", &["records"], &["372"])),
    )
    .await;
    let auditor = connect(
        &cf,
        &issuer,
        Some(issuer.token("auditor", &["audit"], &["*"])),
    )
    .await;

    let timeline = analyst
        .records()
        .get_child_timeline(v2::GetChildTimelineRequest {
            la: "372".to_owned(),
            child_id: "C1".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut members = analyst
        .records()
        .list_members(v2::ListMembersRequest {
            la: "372".to_owned(),
            indicator: "6.1".to_owned(),
            month: "2018-05".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut member_count = 0;
    while members.message().await.unwrap().is_some() {
        member_count += 1;
    }
    assert_eq!(member_count, 1, "C1 is looked after at the end of May");
    let denied = analyst
        .records()
        .get_child_timeline(v2::GetChildTimelineRequest {
            la: "373".to_owned(),
            child_id: "D1".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let operator = connect(&cf, &issuer, Some(OPERATIONS_TOKEN.to_owned())).await;
    let issues = operator
        .operations()
        .list_data_quality_issues(v2::ListDataQualityIssuesRequest {
            la: "373".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .issues;

    let trail = audit_of(&auditor, "372").await;
    let shape: Vec<_> = trail
        .iter()
        .map(|r| {
            (
                r.who.as_str(),
                r.credential.as_str(),
                r.method.as_str(),
                r.la.as_str(),
                r.child_id.as_str(),
                r.indicator.as_str(),
                r.month.as_str(),
                r.records,
                r.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                "a.analyst@example.gov.uk",
                "jwt",
                "/caseflow.v2.Records/GetChildTimeline",
                "372",
                "C1",
                "",
                "",
                timeline.entries.len() as u64,
                "ok"
            ),
            (
                "a.analyst@example.gov.uk",
                "jwt",
                "/caseflow.v2.Records/ListMembers",
                "372",
                "",
                "6.1",
                "2018-05",
                1,
                "ok"
            ),
        ]
    );
    assert!(
        trail
            .iter()
            .all(|r| r.peer.starts_with("127.0.0.1:") && !r.at.is_empty())
    );
    let other = audit_of(&auditor, "373").await;
    let outcomes: Vec<_> = other
        .iter()
        .map(|r| {
            (
                r.who.as_str(),
                r.method.as_str(),
                r.records,
                r.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (
                "a.analyst@example.gov.uk",
                "/caseflow.v2.Records/GetChildTimeline",
                0,
                "permission_denied"
            ),
            (
                "operator",
                "/caseflow.v2.Operations/ListDataQualityIssues",
                issues.len() as u64,
                "ok"
            ),
        ]
    );
    // Filters: by child, by caller; an auditor of 372 alone does not see 373's trail.
    let by_child = auditor
        .operations()
        .list_audit(v2::ListAuditRequest {
            child_id: "C1".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    assert_eq!(by_child.len(), 1);
    let local_auditor = connect(
        &cf,
        &issuer,
        Some(issuer.token("local-auditor", &["audit"], &["372"])),
    )
    .await;
    let everything_visible = local_auditor
        .operations()
        .list_audit(v2::ListAuditRequest::default())
        .await
        .unwrap()
        .into_inner()
        .records;
    assert!(everything_visible.iter().all(|r| r.la == "372"));
    assert_eq!(everything_visible.len(), 2);
    assert_eq!(
        call(&local_auditor, "audit", "373").await,
        Code::PermissionDenied
    );
    cf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_records_call_sends_nothing_when_the_audit_trail_cannot_be_written() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    two_authorities(&cf).await;
    assert_eq!(cf.timeline("372", "C1").await.child_id, "C1");

    // Seal the audit stream: it takes no more writes (NATS itself stays up).
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream("CASEFLOW_AUDIT").await.unwrap();
    let mut config = stream.info().await.unwrap().config.clone();
    config.sealed = true;
    js.update_stream(config).await.unwrap();

    let refused = cf
        .records()
        .get_child_timeline(v2::GetChildTimelineRequest {
            la: "372".to_owned(),
            child_id: "C1".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(refused.message().contains("audit"), "{}", refused.message());
    let members = cf
        .records()
        .list_members(v2::ListMembersRequest {
            la: "372".to_owned(),
            indicator: "6.1".to_owned(),
            month: "2018-05".to_owned(),
        })
        .await;
    assert_eq!(members.unwrap_err().code(), Code::Unavailable);
    // Aggregate figures carry no personal data and go on.
    let figures = cf
        .figures()
        .get_scorecard(v2::GetScorecardRequest {
            la: "372".to_owned(),
            ..Default::default()
        })
        .await;
    assert!(figures.is_ok());
    cf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listening_beyond_loopback_needs_tls_and_authentication() {
    let nats = TestNats::start();
    let issuer = Issuer::new();
    let dir = tempfile::tempdir().unwrap();
    let remote = |change: &dyn Fn(&mut Config)| {
        let mut c = config(&nats.url(), &dir);
        c.grpc.listen = "0.0.0.0:0".parse().unwrap();
        change(&mut c);
        c
    };
    let refused = caseflow::app::start(&remote(&|_| {})).await.err().unwrap();
    let message = format!("{refused:#}");
    assert!(
        message.contains("refusing to listen on 0.0.0.0:0 without TLS and authentication")
            && message.contains("[grpc.tls]")
            && message.contains("insecure_allow_remote"),
        "{message}"
    );
    // TLS alone, or authentication alone, is not enough.
    let tls_only = remote(&|c| {
        issuer.secure(c);
        c.auth = Default::default();
    });
    assert!(caseflow::app::start(&tls_only).await.is_err());
    let auth_only = remote(&|c| {
        issuer.secure(c);
        c.grpc.tls = None;
    });
    assert!(caseflow::app::start(&auth_only).await.is_err());
    // Both: it starts. So does the explicit override.
    let secured = caseflow::app::start(&remote(&|c| issuer.secure(c)))
        .await
        .unwrap();
    secured.shutdown().await.unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let mut overridden = config(&nats.url(), &dir2);
    overridden.grpc.listen = "0.0.0.0:0".parse().unwrap();
    overridden.grpc.insecure_allow_remote = true;
    caseflow::app::start(&overridden)
        .await
        .unwrap()
        .shutdown()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_name_no_child_and_can_be_limited_to_a_token() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    two_authorities(&cf).await;
    // Also a rejected event, whose subject names a child.
    publish_raw(
        &nats.url(),
        "caseflow.events.372.child.SECRET9",
        b"{not json",
        Some("bad-1"),
    )
    .await;
    cf.caught_up().await;
    let _ = cf.timeline("372", "C1").await;
    let text = cf.metrics().await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    for personal in ["C1", "D1", "SECRET9", "2010-01-01"] {
        assert!(
            !text.contains(personal),
            "/metrics mentions {personal:?}:\n{text}"
        );
    }
    cf.stop().await;

    let tokened = TestCaseflow::start_with(&nats, |c| {
        c.grpc.metrics = "token".to_owned();
        c.auth.service_tokens = vec![ServiceTokenConfig {
            name: "prometheus".to_owned(),
            hash: caseflow_server::auth::service_token_hash(OPERATIONS_TOKEN),
            roles: vec!["operations".to_owned()],
            authorities: vec!["*".to_owned()],
        }];
    })
    .await;
    let without = tokened.metrics().await;
    assert!(without.starts_with("HTTP/1.1 403"), "{without}");
    let with = http_get(
        tokened.running.grpc_addr,
        "/metrics",
        &[("authorization", &format!("Bearer {OPERATIONS_TOKEN}"))],
    )
    .await;
    assert!(with.starts_with("HTTP/1.1 200"), "{with}");
    assert!(with.contains("caseflow_"), "{with}");
    tokened.stop().await;
}

async fn http_get(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &str)]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: caseflow\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_and_service_token_work_against_a_secured_server() {
    let nats = TestNats::start();
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let files = caseflow::devauth::DevFiles {
        dir: dir.path().join("dev-auth"),
    };
    let token = files
        .token("developer", &["figures".to_owned()], &["372".to_owned()], 1)
        .unwrap();
    let snippet: Config = toml::from_str(&files.config_snippet()).unwrap();
    let (service_token, hash) = caseflow::devauth::new_service_token();
    assert!(service_token.starts_with("cfst_") && service_token.len() == 5 + 64);
    let cf = TestCaseflow::start_with(&nats, |c| {
        c.grpc.tls = snippet.grpc.tls.clone();
        c.auth.jwt = snippet.auth.jwt.clone();
        c.auth.service_tokens = vec![ServiceTokenConfig {
            name: "script".to_owned(),
            hash: hash.clone(),
            roles: vec!["figures".to_owned()],
            authorities: vec!["373".to_owned()],
        }];
    })
    .await;
    let dev = connect_with(&cf, files.ca(), Some(token), None).await;
    assert_eq!(call(&dev, "figures", "372").await, Code::Ok);
    assert_eq!(call(&dev, "figures", "373").await, Code::PermissionDenied);
    let script = connect_with(&cf, files.ca(), Some(service_token), None).await;
    assert_eq!(call(&script, "figures", "373").await, Code::Ok);
    assert_eq!(
        call(&script, "figures", "372").await,
        Code::PermissionDenied
    );
    // The signing key is readable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(files.signing_key())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "signing key mode {mode:o}");
    }
    cf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_name_children_only_to_the_records_role_and_that_is_audited() {
    let nats = TestNats::start();
    let issuer = Issuer::new();
    let cf = TestCaseflow::start_with(&nats, |c| issuer.secure(c)).await;
    two_authorities(&cf).await;
    // C2 admitted on 5 March 2018, recorded on 20 April: March's 6.3 goes from 0 to 1.
    let mut late: Value =
        serde_json::from_str(&admitted("372", "C2", "late", "2018-03-05", "C2")).unwrap();
    late["recordedAt"] = Value::from("2018-04-20T12:00:00Z");
    publish(
        cf.log(),
        vec![
            registered("372", "C2", "c2b", "2012-01-01"),
            late.to_string(),
        ],
    )
    .await;
    cf.caught_up().await;
    let ask = |server: Server, la: &str| {
        let la = la.to_owned();
        async move {
            server
                .figures()
                .get_revisions(v2::GetRevisionsRequest {
                    la,
                    indicator: "6.3".into(),
                    month: "2018-03".into(),
                })
                .await
        }
    };
    let moved_by = |answer: &v2::GetRevisionsResponse| -> Vec<(String, String)> {
        answer
            .revisions
            .iter()
            .flat_map(|r| r.events.iter())
            .map(|e| (e.event_id.clone(), e.child_id.clone()))
            .collect()
    };

    // Figures alone: the events, without the child.
    let figures = connect(
        &cf,
        &issuer,
        Some(issuer.token("panel.officer", &["figures"], &["372"])),
    )
    .await;
    let answer = ask(figures.clone(), "372").await.unwrap().into_inner();
    assert!(answer.child_ids_withheld);
    let numerators: Vec<i64> = answer.revisions.iter().map(|r| r.numerator).collect();
    assert_eq!(numerators, [0, 1]);
    assert_eq!(moved_by(&answer), [("late".to_owned(), String::new())]);
    // Another authority: refused.
    assert_eq!(
        ask(figures.clone(), "373").await.unwrap_err().code(),
        Code::PermissionDenied
    );
    // Figures and records: the child too.
    let analyst = connect(
        &cf,
        &issuer,
        Some(issuer.token("a.analyst", &["figures", "records"], &["372"])),
    )
    .await;
    let answer = ask(analyst, "372").await.unwrap().into_inner();
    assert!(!answer.child_ids_withheld);
    assert_eq!(moved_by(&answer), [("late".to_owned(), "C2".to_owned())]);
    // Records alone does not reach the figures.
    let records = connect(
        &cf,
        &issuer,
        Some(issuer.token("caseworker", &["records"], &["372"])),
    )
    .await;
    assert_eq!(
        ask(records, "372").await.unwrap_err().code(),
        Code::PermissionDenied
    );
    // A publication names who made it.
    let published = figures
        .figures()
        .publish_report(v2::PublishReportRequest {
            la: "372".into(),
            month: "2018-05".into(),
            title: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (published.who.as_str(), published.title.as_str()),
        ("panel.officer", "372 2018-05 report, published 2018-06-05")
    );

    // The trail: the answer naming C2 and the refusal about 373; the answer without child ids
    // is not a read of personal data.
    let auditor = connect(
        &cf,
        &issuer,
        Some(issuer.token("auditor", &["audit"], &["*"])),
    )
    .await;
    let trail: Vec<(String, String, String, u64, String)> = [
        audit_of(&auditor, "372").await,
        audit_of(&auditor, "373").await,
    ]
    .concat()
    .into_iter()
    .filter(|r| r.method == "/caseflow.v2.Figures/GetRevisions")
    .map(|r| (r.who, r.la, r.indicator, r.records, r.outcome))
    .collect();
    assert_eq!(
        trail,
        [
            (
                "a.analyst".to_owned(),
                "372".to_owned(),
                "6.3".to_owned(),
                1,
                "ok".to_owned()
            ),
            (
                "panel.officer".to_owned(),
                "373".to_owned(),
                "6.3".to_owned(),
                0,
                "permission_denied".to_owned()
            ),
        ]
    );
    cf.stop().await;
}
