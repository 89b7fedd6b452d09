use std::path::{Path, PathBuf};

use p256::ecdsa::SigningKey;
use p256::pkcs8::EncodePublicKey as _;
use time::OffsetDateTime;
use time::macros::datetime;
use tuf_repo::{
    CertificateAuthority, Expiry, Repository, RoleKeys, Selector, Service, SigningConfigInput,
    TransparencyLog, TrustedRootInput, Validity,
};

pub(crate) const NOW: OffsetDateTime = datetime!(2025-01-01 00:00:00 UTC);
pub(crate) const URL: &str = "http://127.0.0.1:7860";

pub(crate) fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

pub(crate) fn role_keys() -> RoleKeys {
    RoleKeys {
        root: vec![key(1), key(2)],
        targets: vec![key(3)],
        snapshot: vec![key(4)],
        timestamp: vec![key(5)],
        root_key_ids: tuf_repo::KeyIds::Strict,
    }
}

/// Long enough that clients checking against the real clock accept metadata stamped at `NOW`.
pub(crate) fn long_expiry() -> Expiry {
    let century = time::Duration::days(36_500);
    Expiry {
        root: century,
        targets: century,
        snapshot: century,
        timestamp: century,
    }
}

/// An rcgen signer over a p256 key, so certificates need no RNG and no rcgen crypto backend.
struct CertKey(SigningKey, Vec<u8>);

impl rcgen::PublicKeyData for CertKey {
    fn der_bytes(&self) -> &[u8] {
        &self.1
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for CertKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        use p256::ecdsa::signature::Signer as _;
        let sig: p256::ecdsa::Signature = self.0.sign(msg);
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

/// A self-signed CA certificate (DER) for `key`, with fixed validity.
pub(crate) fn ca_cert(key: &SigningKey, org: &str, cn: &str) -> Vec<u8> {
    let point = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
    let ck = CertKey(key.clone(), point);
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, org);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = NOW;
    params.not_after = datetime!(2125-01-01 00:00:00 UTC);
    params.serial_number = Some(rcgen::SerialNumber::from(vec![1, 2, 3]));
    params.self_signed(&ck).unwrap().der().to_vec()
}

fn spki(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

pub(crate) fn trusted_root_input() -> TrustedRootInput {
    let rotated = datetime!(2025-06-01 00:00:00 UTC);
    let old = Validity {
        start: NOW,
        end: Some(rotated),
    };
    let current = Validity {
        start: rotated,
        end: None,
    };
    let log = |k: u8, v: Validity, path: &str| TransparencyLog {
        base_url: format!("{URL}{path}"),
        hash_algorithm: "SHA2_256",
        public_key_der: spki(&key(k)),
        key_details: "PKIX_ECDSA_P256_SHA_256",
        valid_for: v,
        checkpoint_key_id: None,
    };
    let mut rekor_v2 = log(12, current, "/rekor-v2");
    rekor_v2.checkpoint_key_id = Some(vec![0xde, 0xad, 0xbe, 0xef]);
    TrustedRootInput {
        certificate_authorities: vec![
            CertificateAuthority {
                uri: URL.into(),
                subject_organization: "sigbox".into(),
                subject_common_name: "sigbox fulcio 0".into(),
                chain_der: vec![ca_cert(&key(20), "sigbox", "sigbox fulcio 0")],
                valid_for: old,
            },
            CertificateAuthority {
                uri: URL.into(),
                subject_organization: "sigbox".into(),
                subject_common_name: "sigbox fulcio 1".into(),
                chain_der: vec![ca_cert(&key(21), "sigbox", "sigbox fulcio 1")],
                valid_for: current,
            },
        ],
        tlogs: vec![log(10, old, ""), log(11, current, ""), rekor_v2],
        ctlogs: vec![log(
            13,
            Validity {
                start: NOW,
                end: None,
            },
            "/ct",
        )],
        timestamp_authorities: vec![CertificateAuthority {
            uri: format!("{URL}/api/v1/timestamp"),
            subject_organization: "sigbox".into(),
            subject_common_name: "sigbox tsa".into(),
            chain_der: vec![ca_cert(&key(22), "sigbox", "sigbox tsa")],
            valid_for: Validity {
                start: NOW,
                end: None,
            },
        }],
    }
}

pub(crate) fn signing_config_input() -> SigningConfigInput {
    let svc = |path: &str, v: u32| Service {
        url: format!("{URL}{path}"),
        major_api_version: v,
        valid_for: Validity {
            start: NOW,
            end: None,
        },
        operator: "sigbox".into(),
    };
    SigningConfigInput {
        ca_urls: vec![svc("", 1)],
        oidc_urls: vec![svc("", 1)],
        rekor_tlog_urls: vec![svc("", 1)],
        tsa_urls: vec![svc("/api/v1/timestamp", 1)],
        rekor_selector: Selector::Any,
        tsa_selector: Selector::Exact(1),
    }
}

pub(crate) fn documents() -> (String, String) {
    (
        tuf_repo::trusted_root_json(&trusted_root_input()),
        tuf_repo::signing_config_json(&signing_config_input()),
    )
}

pub(crate) fn build(dir: &Path, expiry: Expiry) -> Repository {
    let (tr, sc) = documents();
    Repository::create(
        dir,
        role_keys(),
        expiry,
        NOW,
        &[
            ("trusted_root.json", tr.as_bytes()),
            ("signing_config.v0.2.json", sc.as_bytes()),
        ],
    )
    .unwrap()
}

/// Every file under `dir`, relative path -> bytes, sorted.
pub(crate) fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}
