//! Fulcio and its CT log over HTTP: a certificate for every token preset, checked field by field
//! with x509-cert and p256 (not with the stack's own code), its embedded SCT verified from
//! hand-assembled RFC 6962 bytes, its entry proved into a signed tree head; and the refusals.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use der::asn1::{BitString, ObjectIdentifier, OctetString, Utf8StringRef};
use der::{Decode, Encode, Reader, SliceReader};
use fake_oidc::{MintRequest, Preset};
use hmac::{Hmac, KeyInit, Mac};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use stack::Stack;
use stack::fulcio::SctMode;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName};
use x509_cert::request::{CertReq, CertReqInfo};

const GIT_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const CONFIG_SHA: &str = "89abcdef0123456789abcdef0123456789abcdef";
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
const POISON: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest([b'k', n])).unwrap()
}

fn key_pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64URL.decode(payload).unwrap()).unwrap()
}

/// What Fulcio wants signed: the email of an email identity, `sub` otherwise.
fn challenge(token: &str) -> String {
    let c = claims(token);
    match c.get("email").and_then(Value::as_str) {
        Some(e) if !c.as_object().unwrap().contains_key("kubernetes.io") => e.to_owned(),
        _ => c["sub"].as_str().unwrap().to_owned(),
    }
}

fn pop_request(token: &str, key: &SigningKey, name: &str) -> Value {
    let sig: DerSignature = key.sign(name.as_bytes());
    json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": key_pem(key)},
            "proofOfPossession": B64.encode(sig.as_bytes()),
        }
    })
}

/// A PKCS #10 request for `key`, built and signed here.
fn csr_der(key: &SigningKey) -> Vec<u8> {
    let spki = SubjectPublicKeyInfoOwned::from_der(
        key.verifying_key().to_public_key_der().unwrap().as_bytes(),
    )
    .unwrap();
    let info = CertReqInfo {
        version: x509_cert::request::Version::V1,
        subject: Default::default(),
        public_key: spki,
        attributes: Default::default(),
    };
    let sig: DerSignature = key.sign(&info.to_der().unwrap());
    CertReq {
        info,
        algorithm: AlgorithmIdentifierOwned {
            oid: ECDSA_SHA256,
            parameters: None,
        },
        signature: BitString::from_bytes(sig.as_bytes()).unwrap(),
    }
    .to_der()
    .unwrap()
}

fn csr_request(token: &str, der: &[u8]) -> Value {
    let pem =
        der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, der).unwrap();
    json!({"certificateSigningRequest": B64.encode(pem), "credentials": {"oidcIdentityToken": token}})
}

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    fn new(stack: &Stack) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: stack.url().to_owned(),
        }
    }

    async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn sign(&self, body: &Value) -> (u16, Value) {
        let (status, text) = self.post("/api/v2/signingCert", body.to_string()).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn ct_size(&self) -> u64 {
        self.get("/ct/v1/get-sth").await["tree_size"]
            .as_u64()
            .unwrap()
    }
}

fn parse_pem_chain(certs: &Value) -> Vec<(Vec<u8>, Certificate)> {
    certs
        .as_array()
        .unwrap()
        .iter()
        .map(|pem| {
            let (label, der) = der::pem::decode_vec(pem.as_str().unwrap().as_bytes()).unwrap();
            assert_eq!(label, "CERTIFICATE");
            let cert = Certificate::from_der(&der).unwrap();
            (der, cert)
        })
        .collect()
}

/// The TBS exactly as it sits in the certificate's bytes.
fn raw_tbs(cert_der: &[u8]) -> Vec<u8> {
    let mut r = SliceReader::new(cert_der).unwrap();
    let _outer = der::Header::decode(&mut r).unwrap();
    r.tlv_bytes().unwrap().to_vec()
}

fn public_key(cert: &Certificate) -> VerifyingKey {
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    VerifyingKey::from_public_key_der(&spki).unwrap()
}

fn assert_signed_by(der: &[u8], cert: &Certificate, issuer: &Certificate) {
    assert_eq!(cert.signature_algorithm.oid, ECDSA_SHA256);
    let sig = DerSignature::from_bytes(cert.signature.raw_bytes()).unwrap();
    public_key(issuer)
        .verify(&raw_tbs(der), &sig)
        .expect("certificate signature verifies with its issuer's key");
    assert_eq!(cert.tbs_certificate.issuer, issuer.tbs_certificate.subject);
}

fn extension<'a>(cert: &'a Certificate, oid: &str) -> Option<&'a x509_cert::ext::Extension> {
    let oid = ObjectIdentifier::new(oid).unwrap();
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == oid)
}

fn utf8(s: &str) -> Vec<u8> {
    Utf8StringRef::new(s).unwrap().to_der().unwrap()
}

fn san(cert: &Certificate) -> (bool, GeneralName) {
    let e = extension(cert, "2.5.29.17").expect("a SAN");
    let SubjectAltName(names) = SubjectAltName::from_der(e.extn_value.as_bytes()).unwrap();
    assert_eq!(names.len(), 1, "{names:?}");
    (e.critical, names.into_iter().next().unwrap())
}

/// The CA-side checks common to every leaf: profile, validity, chain to the served root.
async fn check_leaf(api: &Api, chain: &[(Vec<u8>, Certificate)], subject_key: &SigningKey) {
    assert_eq!(chain.len(), 3, "leaf, intermediate, root");
    let (leaf_der, leaf) = &chain[0];
    let (int_der, int) = &chain[1];
    let (root_der, root) = &chain[2];
    assert_signed_by(leaf_der, leaf, int);
    assert_signed_by(int_der, int, root);
    assert_signed_by(root_der, root, root);
    let bundle = api.get("/api/v2/trustBundle").await;
    let served = parse_pem_chain(&bundle["chains"][0]["certificates"]);
    assert_eq!(
        served.last().unwrap().0,
        *root_der,
        "chains to the served root"
    );
    assert_eq!(served[0].0, *int_der);
    // Every CA name says it is for testing.
    for c in [int, root] {
        assert!(c.tbs_certificate.subject.to_string().contains("TEST ONLY"));
    }
    let tbs = &leaf.tbs_certificate;
    assert!(
        tbs.subject.0.is_empty(),
        "Fulcio leaves have an empty subject"
    );
    assert_eq!(public_key(leaf), *subject_key.verifying_key());
    let v = &tbs.validity;
    let secs = v.not_after.to_unix_duration() - v.not_before.to_unix_duration();
    assert_eq!(secs.as_secs(), 600, "ten minutes");
    let ku = extension(leaf, "2.5.29.15").unwrap();
    assert!(ku.critical);
    let ku = KeyUsage::from_der(ku.extn_value.as_bytes()).unwrap();
    assert!(ku.digital_signature() && !ku.key_cert_sign());
    let eku =
        ExtendedKeyUsage::from_der(extension(leaf, "2.5.29.37").unwrap().extn_value.as_bytes())
            .unwrap();
    assert_eq!(eku.0, vec![CODE_SIGNING]);
    if let Some(bc) = extension(leaf, "2.5.29.19") {
        assert!(
            !BasicConstraints::from_der(bc.extn_value.as_bytes())
                .unwrap()
                .ca
        );
    }
    let ibc =
        BasicConstraints::from_der(extension(int, "2.5.29.19").unwrap().extn_value.as_bytes())
            .unwrap();
    assert!(ibc.ca);
    assert!(extension(leaf, "2.5.29.14").is_some(), "SKI");
    assert!(extension(leaf, "2.5.29.35").is_some(), "AKI");
    assert!(
        extension(leaf, POISON.to_string().as_str()).is_none(),
        "no poison in the final cert"
    );
}

fn put_u16(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, n: usize) {
    assert!(n < 1 << 24);
    out.extend_from_slice(&(n as u32).to_be_bytes()[1..]);
}

/// One SCT out of the certificate's list, parsed from its TLS bytes.
struct ParsedSct {
    log_id: [u8; 32],
    timestamp: u64,
    signature: Vec<u8>,
}

fn embedded_scts(leaf: &Certificate) -> Vec<ParsedSct> {
    let ext = extension(leaf, SCT_LIST.to_string().as_str()).expect("an SCT list");
    assert!(!ext.critical);
    let list = OctetString::from_der(ext.extn_value.as_bytes()).unwrap();
    let b = list.as_bytes();
    let total = u16::from_be_bytes([b[0], b[1]]) as usize;
    assert_eq!(total + 2, b.len());
    let mut at = 2;
    let mut out = Vec::new();
    while at < b.len() {
        let len = u16::from_be_bytes([b[at], b[at + 1]]) as usize;
        let s = &b[at + 2..at + 2 + len];
        at += 2 + len;
        assert_eq!(s[0], 0, "SCT v1");
        let log_id: [u8; 32] = s[1..33].try_into().unwrap();
        let timestamp = u64::from_be_bytes(s[33..41].try_into().unwrap());
        assert_eq!(&s[41..43], &[0, 0], "no SCT extensions");
        assert_eq!(&s[43..45], &[4, 3], "SHA-256 / ECDSA");
        let sig_len = u16::from_be_bytes([s[45], s[46]]) as usize;
        assert_eq!(47 + sig_len, s.len());
        out.push(ParsedSct {
            log_id,
            timestamp,
            signature: s[47..].to_vec(),
        });
    }
    out
}

/// The precert TBS a CT log signed: the leaf's TBS without the SCT list extension.
fn precert_tbs(leaf: &Certificate) -> Vec<u8> {
    let mut tbs = leaf.tbs_certificate.clone();
    tbs.extensions
        .as_mut()
        .unwrap()
        .retain(|e| e.extn_id != SCT_LIST);
    tbs.to_der().unwrap()
}

fn issuer_key_hash(issuer: &Certificate) -> [u8; 32] {
    Sha256::digest(
        issuer
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap(),
    )
    .into()
}

/// RFC 6962 §3.2 `digitally-signed` input for a precert entry.
fn precert_sct_input(timestamp: u64, issuer: &Certificate, tbs: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8, 0u8]; // v1, certificate_timestamp
    m.extend_from_slice(&timestamp.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
    m.extend_from_slice(&issuer_key_hash(issuer));
    put_u24(&mut m, tbs.len());
    m.extend_from_slice(tbs);
    put_u16(&mut m, 0);
    m
}

/// RFC 6962 §3.4 MerkleTreeLeaf for a precert entry.
fn precert_leaf(timestamp: u64, issuer: &Certificate, tbs: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8, 0u8]; // v1, timestamped_entry
    m.extend_from_slice(&timestamp.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m.extend_from_slice(&issuer_key_hash(issuer));
    put_u24(&mut m, tbs.len());
    m.extend_from_slice(tbs);
    put_u16(&mut m, 0);
    m
}

fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

fn node_hash(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// RFC 9162 §2.1.3.2 inclusion proof verification, written out here.
fn root_from_proof(index: u64, size: u64, leaf: [u8; 32], proof: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if s_n == 0 {
            return None;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    (s_n == 0).then_some(r)
}

fn ct_key(stack: &Stack) -> VerifyingKey {
    VerifyingKey::from_public_key_der(stack.ctlog().public_key_der()).unwrap()
}

/// Verifies the leaf's embedded SCT and proves its entry into a signed tree head.
async fn check_sct_and_inclusion(api: &Api, stack: &Stack, chain: &[(Vec<u8>, Certificate)]) {
    let (_, leaf) = &chain[0];
    let (_, issuer) = &chain[1];
    let key = ct_key(stack);
    let scts = embedded_scts(leaf);
    assert_eq!(scts.len(), 1);
    let sct = &scts[0];
    let key_der = key.to_public_key_der().unwrap();
    assert_eq!(
        sct.log_id,
        <[u8; 32]>::from(Sha256::digest(key_der.as_bytes()))
    );
    let tbs = precert_tbs(leaf);
    let sig = DerSignature::from_bytes(&sct.signature).unwrap();
    key.verify(&precert_sct_input(sct.timestamp, issuer, &tbs), &sig)
        .expect("embedded SCT verifies with the CT log key");
    let nb = leaf
        .tbs_certificate
        .validity
        .not_before
        .to_unix_duration()
        .as_millis() as u64;
    assert!(
        sct.timestamp.abs_diff(nb) < 60_000,
        "SCT time near issuance"
    );

    let sth = api.get("/ct/v1/get-sth").await;
    let size = sth["tree_size"].as_u64().unwrap();
    let root: [u8; 32] = B64
        .decode(sth["sha256_root_hash"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    // TreeHeadSignature: v1, tree_hash(1), timestamp, size, root.
    let mut th = vec![0u8, 1u8];
    th.extend_from_slice(&sth["timestamp"].as_u64().unwrap().to_be_bytes());
    th.extend_from_slice(&size.to_be_bytes());
    th.extend_from_slice(&root);
    let ds = B64
        .decode(sth["tree_head_signature"].as_str().unwrap())
        .unwrap();
    assert_eq!(&ds[..2], &[4, 3]);
    let len = u16::from_be_bytes([ds[2], ds[3]]) as usize;
    assert_eq!(4 + len, ds.len());
    key.verify(&th, &DerSignature::from_bytes(&ds[4..]).unwrap())
        .expect("STH signature verifies");

    let hash = leaf_hash(&precert_leaf(sct.timestamp, issuer, &tbs));
    let proof = api
        .get(&format!(
            "/ct/v1/get-proof-by-hash?hash={}&tree_size={size}",
            url_escape(&B64.encode(hash))
        ))
        .await;
    let index = proof["leaf_index"]
        .as_u64()
        .expect("the entry is in the log");
    let path: Vec<[u8; 32]> = proof["audit_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
        .collect();
    assert_eq!(root_from_proof(index, size, hash, &path), Some(root));
    // get-entries hands back the same leaf, and the chain as extra data.
    let entries = api
        .get(&format!("/ct/v1/get-entries?start={index}&end={index}"))
        .await;
    let leaf_input = B64
        .decode(entries["entries"][0]["leaf_input"].as_str().unwrap())
        .unwrap();
    assert_eq!(leaf_hash(&leaf_input), hash);
}

fn url_escape(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// The SAN and the 1.3.6.1.4.1.57264.1.* values Fulcio sets for each preset.
fn expected(preset: Preset, issuer: &str, sub: &str) -> (GeneralName, Vec<(u32, Vec<u8>)>) {
    let uri =
        |s: &str| GeneralName::UniformResourceIdentifier(der::asn1::Ia5String::new(s).unwrap());
    let raw = |s: &str| s.as_bytes().to_vec();
    let mut exts = vec![(1, raw(issuer)), (8, utf8(issuer)), (24, utf8(sub))];
    let san = match preset {
        Preset::Email => {
            GeneralName::Rfc822Name(der::asn1::Ia5String::new("alice@example.com").unwrap())
        }
        Preset::GithubActions => {
            let signer = "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main";
            exts.extend([
                (2, raw("push")),
                (3, raw(GIT_SHA)),
                (4, raw("Release")),
                (5, raw("octo-org/octo-repo")),
                (6, raw("refs/heads/main")),
                (9, utf8(signer)),
                (10, utf8(CONFIG_SHA)),
                (11, utf8("github-hosted")),
                (12, utf8("https://github.com/octo-org/octo-repo")),
                (13, utf8(GIT_SHA)),
                (14, utf8("refs/heads/main")),
                (15, utf8("123456789")),
                (16, utf8("https://github.com/octo-org")),
                (17, utf8("987654321")),
                (18, utf8(signer)),
                (19, utf8(CONFIG_SHA)),
                (20, utf8("push")),
                (
                    21,
                    utf8(
                        "https://github.com/octo-org/octo-repo/actions/runs/1234567890/attempts/1",
                    ),
                ),
                (22, utf8("public")),
            ]);
            uri(signer)
        }
        Preset::GitlabCi => {
            let config =
                "https://gitlab.com/octo-group/octo-project//.gitlab-ci.yml@refs/heads/main";
            exts.extend([
                (9, utf8(config)),
                (10, utf8(CONFIG_SHA)),
                (11, utf8("gitlab-hosted")),
                (12, utf8("https://gitlab.com/octo-group/octo-project")),
                (13, utf8(GIT_SHA)),
                (14, utf8("refs/heads/main")),
                (15, utf8("42")),
                (16, utf8("https://gitlab.com/octo-group")),
                (17, utf8("4243")),
                (18, utf8(config)),
                (19, utf8(CONFIG_SHA)),
                (20, utf8("push")),
                (
                    21,
                    utf8("https://gitlab.com/octo-group/octo-project/-/jobs/302"),
                ),
                (22, utf8("public")),
            ]);
            uri(config)
        }
        Preset::Buildkite => {
            exts.extend([
                (11, utf8("buildkite-hosted")),
                (13, utf8(GIT_SHA)),
                (20, utf8("ui")),
                (
                    21,
                    utf8("https://buildkite.com/acme-inc/super-app/builds/7#0184990a-4782-42b5-afc1-16715b10b8ff"),
                ),
            ]);
            uri("https://buildkite.com/acme-inc/super-app")
        }
        Preset::Kubernetes => {
            uri("https://kubernetes.io/namespaces/default/serviceaccounts/sigstore")
        }
        Preset::Spiffe => uri("spiffe://127.0.0.1/ns/default/sa/sigstore"),
    };
    exts.sort_by_key(|(arc, _)| *arc);
    (san, exts)
}

fn fulcio_extensions(cert: &Certificate) -> Vec<(u32, Vec<u8>)> {
    let prefix = "1.3.6.1.4.1.57264.1.";
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter_map(|e| {
            let oid = e.extn_id.to_string();
            let arc = oid.strip_prefix(prefix)?.parse().ok()?;
            assert!(!e.critical);
            Some((arc, e.extn_value.as_bytes().to_vec()))
        })
        .collect()
}

#[tokio::test]
async fn a_certificate_for_every_preset_with_sct_and_inclusion() {
    let stack = Stack::builder().start().await.unwrap();
    let api = Api::new(&stack);
    let issuer = stack.oidc().issuer_url().to_owned();
    for (i, preset) in Preset::ALL.into_iter().enumerate() {
        let token = stack
            .oidc()
            .mint(&MintRequest {
                preset,
                ..Default::default()
            })
            .unwrap();
        let subject_key = key(i as u8);
        // Alternate the two request forms.
        let body = if i % 2 == 0 {
            pop_request(&token, &subject_key, &challenge(&token))
        } else {
            csr_request(&token, &csr_der(&subject_key))
        };
        let (status, resp) = api.sign(&body).await;
        assert_eq!(status, 200, "{preset}: {resp}");
        let chain = parse_pem_chain(&resp["signedCertificateEmbeddedSct"]["chain"]["certificates"]);
        check_leaf(&api, &chain, &subject_key).await;
        let leaf = &chain[0].1;
        let sub = claims(&token)["sub"].as_str().unwrap().to_owned();
        let (want_san, want_exts) = expected(preset, &issuer, &sub);
        let (critical, got_san) = san(leaf);
        assert!(critical, "{preset}: SAN is critical with an empty subject");
        assert_eq!(got_san, want_san, "{preset}");
        let got = fulcio_extensions(leaf);
        let arcs: Vec<u32> = got.iter().map(|(a, _)| *a).collect();
        assert!(
            arcs.windows(2).all(|w| w[0] < w[1]),
            "{preset}: in OID order"
        );
        assert_eq!(got, want_exts, "{preset}");
        check_sct_and_inclusion(&api, &stack, &chain).await;
    }
    assert_eq!(api.ct_size().await, Preset::ALL.len() as u64);
}

#[tokio::test]
async fn certificates_from_2050_on_carry_generalized_time() {
    // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (this used to be a
    // 500, "malformed ASN.1 DER value for UTCTime").
    let clock = stack::clock::Clock::frozen(time::macros::datetime!(2051-06-01 00:00 UTC));
    let stack = Stack::builder().clock(clock).start().await.unwrap();
    let api = Api::new(&stack);
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let subject_key = key(7);
    let (status, resp) = api
        .sign(&pop_request(&token, &subject_key, &challenge(&token)))
        .await;
    assert_eq!(status, 200, "{resp}");
    let chain = parse_pem_chain(&resp["signedCertificateEmbeddedSct"]["chain"]["certificates"]);
    check_leaf(&api, &chain, &subject_key).await;
    let validity = &chain[0].1.tbs_certificate.validity;
    for t in [validity.not_before, validity.not_after] {
        assert!(matches!(t, x509_cert::time::Time::GeneralTime(_)), "{t:?}");
    }
    assert_eq!(
        validity.not_before.to_unix_duration().as_secs(),
        2_569_190_400
    );
}

#[tokio::test]
async fn detached_sct_mode_and_v1_api() {
    let stack = Stack::builder()
        .sct_mode(SctMode::Detached)
        .start()
        .await
        .unwrap();
    let api = Api::new(&stack);
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let k = key(9);
    let (status, resp) = api
        .sign(&pop_request(&token, &k, "alice@example.com"))
        .await;
    assert_eq!(status, 200, "{resp}");
    let detached = &resp["signedCertificateDetachedSct"];
    let chain = parse_pem_chain(&detached["chain"]["certificates"]);
    check_leaf(&api, &chain, &k).await;
    assert!(extension(&chain[0].1, SCT_LIST.to_string().as_str()).is_none());
    // The SCT is ct-go's AddChainResponse JSON, over an x509_entry of the leaf.
    let sct: Value = serde_json::from_slice(
        &B64.decode(detached["signedCertificateTimestamp"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sct["sct_version"], 0);
    let ts = sct["timestamp"].as_u64().unwrap();
    let mut input = vec![0u8, 0u8];
    input.extend_from_slice(&ts.to_be_bytes());
    input.extend_from_slice(&0u16.to_be_bytes()); // x509_entry
    put_u24(&mut input, chain[0].0.len());
    input.extend_from_slice(&chain[0].0);
    put_u16(&mut input, 0);
    let ds = B64.decode(sct["signature"].as_str().unwrap()).unwrap();
    assert_eq!(&ds[..2], &[4, 3]);
    ct_key(&stack)
        .verify(&input, &DerSignature::from_bytes(&ds[4..]).unwrap())
        .expect("detached SCT verifies");

    // Legacy v1: a PEM chain with 201, the key as base64 PEM, the proof as signedEmailAddress.
    let sig: DerSignature = k.sign(b"alice@example.com");
    let r = api
        .http
        .post(format!("{}/api/v1/signingCert", api.url))
        .bearer_auth(&token)
        .json(&json!({
            "publicKey": {"algorithm": "ecdsa", "content": B64.encode(key_pem(&k))},
            "signedEmailAddress": B64.encode(sig.as_bytes()),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert!(
        r.headers().contains_key("sct"),
        "detached SCT in the SCT header"
    );
    let text = r.text().await.unwrap();
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 3, "{text}");
    let root = api
        .http
        .get(format!("{}/api/v1/rootCert", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(root.status().as_u16(), 200);
    let config = api.get("/api/v2/configuration").await;
    assert_eq!(config["issuers"][0]["issuerUrl"], stack.oidc().issuer_url());
    assert_eq!(config["issuers"][0]["audience"], "sigstore");
}

#[tokio::test]
async fn ct_log_endpoints_follow_rfc6962() {
    let stack = Stack::builder().start().await.unwrap();
    let api = Api::new(&stack);
    let mut sizes = Vec::new();
    for i in 0..3u8 {
        let token = stack.oidc().mint(&MintRequest::default()).unwrap();
        let (status, resp) = api
            .sign(&pop_request(&token, &key(20 + i), "alice@example.com"))
            .await;
        assert_eq!(status, 200, "{resp}");
        sizes.push(api.ct_size().await);
    }
    assert_eq!(sizes, vec![1, 2, 3]);
    // get-roots serves Fulcio's root.
    let roots = api.get("/ct/v1/get-roots").await;
    let bundle = api.get("/api/v2/trustBundle").await;
    let served = parse_pem_chain(&bundle["chains"][0]["certificates"]);
    assert_eq!(
        B64.decode(roots["certificates"][0].as_str().unwrap())
            .unwrap(),
        served.last().unwrap().0
    );
    // A consistency proof from 1 to 3 is non-empty; bad ranges are a 400.
    let c = api.get("/ct/v1/get-sth-consistency?first=1&second=3").await;
    assert!(!c["consistency"].as_array().unwrap().is_empty());
    let r = api
        .http
        .get(format!(
            "{}/ct/v1/get-sth-consistency?first=3&second=9",
            api.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // add-chain refuses a chain that does not end at a known root.
    let (status, body) = api
        .post(
            "/ct/v1/add-chain",
            json!({"chain": [B64.encode(b"not a certificate")]}).to_string(),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(api.ct_size().await, 3);
}

/// A JWT with an arbitrary header and signature over `claims`.
fn jwt(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", B64URL.encode(sig))
}

fn issuer_public_pem(stack: &Stack) -> String {
    let jwks = stack.oidc().jwks();
    let k = &jwks["keys"][0];
    let x = B64URL.decode(k["x"].as_str().unwrap()).unwrap();
    let y = B64URL.decode(k["y"].as_str().unwrap()).unwrap();
    let mut sec1 = vec![4u8];
    sec1.extend(x);
    sec1.extend(y);
    VerifyingKey::from_sec1_bytes(&sec1)
        .unwrap()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

#[tokio::test]
async fn hostile_requests_are_refused_and_log_nothing() {
    let stack = Stack::builder().start().await.unwrap();
    let api = Api::new(&stack);
    let k = key(30);
    let mint = |req: MintRequest| stack.oidc().mint(&req).unwrap();
    let good = mint(MintRequest::default());
    let good_claims = claims(&good);
    let now = good_claims["iat"].as_i64().unwrap();

    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    let expired = mint(MintRequest {
        issued_at: Some(now - 3600),
        lifetime_secs: Some(600),
        ..Default::default()
    });
    cases.push((
        "expired token",
        pop_request(&expired, &k, "alice@example.com"),
        "expired",
    ));
    let wrong_aud = mint(MintRequest {
        audience: Some("not-sigstore".into()),
        ..Default::default()
    });
    cases.push((
        "wrong audience",
        pop_request(&wrong_aud, &k, "alice@example.com"),
        "audience",
    ));
    let mut other = MintRequest::default();
    other
        .claims
        .insert("iss".into(), "https://accounts.example.net".into());
    let unknown = mint(other);
    cases.push((
        "unknown issuer",
        pop_request(&unknown, &k, "alice@example.com"),
        "not configured",
    ));
    let none = jwt(&json!({"alg": "none", "typ": "JWT"}), &good_claims, |_| {
        Vec::new()
    });
    cases.push((
        "alg none",
        pop_request(&none, &k, "alice@example.com"),
        "alg",
    ));
    let public_pem = issuer_public_pem(&stack);
    let hs256 = jwt(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &good_claims,
        |input| {
            let mut mac = Hmac::<Sha256>::new_from_slice(public_pem.as_bytes()).unwrap();
            mac.update(input);
            mac.finalize().into_bytes().to_vec()
        },
    );
    cases.push((
        "HS256 with the public key",
        pop_request(&hs256, &k, "alice@example.com"),
        "alg",
    ));
    let mut unverified = MintRequest::default();
    unverified
        .claims
        .insert("email_verified".into(), false.into());
    let unverified = mint(unverified);
    cases.push((
        "email not verified",
        pop_request(&unverified, &k, "alice@example.com"),
        "email_verified",
    ));
    // Proof of possession by another key: key 30 is sent, key 31 signs.
    let mut theft = pop_request(&good, &key(31), "alice@example.com");
    theft["publicKeyRequest"]["publicKey"]["content"] = key_pem(&k).into();
    cases.push(("proof by another key", theft, "signature"));
    cases.push((
        "proof over another name",
        pop_request(&good, &k, "mallory@example.com"),
        "signature",
    ));
    let mut bad_csr = csr_der(&k);
    let n = bad_csr.len();
    bad_csr[n - 5] ^= 0x40;
    cases.push((
        "CSR with a bad signature",
        csr_request(&good, &bad_csr),
        "signature",
    ));
    cases.push(("no token", json!({"publicKeyRequest": pop_request(&good, &k, "alice@example.com")["publicKeyRequest"]}), "identity token"));

    for (name, body, needle) in cases {
        let (status, resp) = api.sign(&body).await;
        assert_eq!(status, 400, "{name}: {resp}");
        let msg = resp["message"].as_str().unwrap_or_default().to_owned();
        assert!(
            msg.to_lowercase().contains(&needle.to_lowercase()),
            "{name}: message {msg:?} should mention {needle:?}"
        );
        assert_eq!(api.ct_size().await, 0, "{name}: nothing logged");
    }

    let (status, text) = api.post("/api/v2/signingCert", "this is not json").await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("JSON") || text.contains("json"), "{text}");
    let (status, text) = api
        .post("/api/v2/signingCert", vec![b' '; 2 * 1024 * 1024])
        .await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("limit"), "{text}");
    let (status, text) = api
        .post(
            "/api/v2/signingCert",
            json!({"credentials": {}, "surprise": 1}).to_string(),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(api.ct_size().await, 0);

    // And the honest request still works afterwards.
    let (status, resp) = api.sign(&pop_request(&good, &k, "alice@example.com")).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(api.ct_size().await, 1);
}

/// Same seed, port and frozen clock, same token and key: byte-identical certificates (the
/// serial comes from the inputs, signatures are RFC 6979, the SCT time from the clock).
#[tokio::test]
async fn same_inputs_give_byte_identical_certificates() {
    use stack::clock::Clock;
    let at = time::OffsetDateTime::from_unix_timestamp(Clock::system().unix()).unwrap();
    let mut addr = None;
    let mut chains = Vec::new();
    for _ in 0..2 {
        let mut builder = Stack::builder()
            .seed("fulcio-determinism")
            .clock(Clock::frozen(at));
        if let Some(addr) = addr {
            builder = builder.listen(addr);
        }
        let stack = builder.start().await.unwrap();
        addr = Some(stack.addr());
        let token = stack.oidc().mint(&MintRequest::default()).unwrap();
        let (status, resp) = Api::new(&stack)
            .sign(&pop_request(&token, &key(40), "alice@example.com"))
            .await;
        assert_eq!(status, 200, "{resp}");
        chains.push(resp["signedCertificateEmbeddedSct"]["chain"]["certificates"].clone());
        stack.shutdown().await.unwrap();
    }
    assert_eq!(chains[0], chains[1]);
}
