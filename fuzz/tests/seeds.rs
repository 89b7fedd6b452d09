//! Writes the seed corpus, `corpus/<target>/<name>` beside this crate's manifest: valid requests
//! of every kind, made by our own code against a stack with the fuzz stacks' seed and clock (so
//! their signatures, chains and UUIDs hold in every fuzz process), and a few near misses.
//! `just fuzz-seeds` runs it; the conformance assets are read at fuzz time, never copied here.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderName, Method, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use der::{Decode, Encode};
use p256::ecdsa::DerSignature;
use p256::ecdsa::signature::Signer;
use serde_json::{Value, json};
use sigbox_fuzz::harness::{Harness, NOW, request};
use sigbox_fuzz::seeds::{self, key, key_pem};
use x509_cert::Certificate;

/// The corpus being written: target -> (file name, bytes).
struct Corpus {
    root: PathBuf,
}

impl Corpus {
    fn put(&self, target: &str, name: &str, bytes: impl AsRef<[u8]>) {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }

    /// A seed of a multi-route target: its route byte, then the route's input.
    fn route(&self, target: &str, name: &str, route: u8, bytes: impl AsRef<[u8]>) {
        self.put(target, name, [&[route][..], bytes.as_ref()].concat());
    }
}

fn get_json(h: &Harness, path: &str) -> Value {
    let answer = h.send(request(Method::GET, path, &[], Body::empty()).unwrap());
    assert!(answer.status.is_success(), "{path}: {}", answer.status);
    serde_json::from_slice(&answer.body).unwrap()
}

/// Checks that the stack takes a valid seed: `POST path` answers 2xx.
fn accepts(h: &Harness, path: &str, headers: &[(HeaderName, &str)], body: impl Into<Body>) {
    let answer = h.send(request(Method::POST, path, headers, body).unwrap());
    assert!(
        answer.status.is_success(),
        "{path}: {} {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
}

const JSON: (HeaderName, &str) = (header::CONTENT_TYPE, "application/json");

fn pem_to_der(pem: &str) -> Vec<u8> {
    der::pem::decode_vec(pem.as_bytes()).unwrap().1
}

/// The leaf as the precertificate Fulcio logged: no SCT list, the critical poison extension,
/// signed again by the intermediate (generation 0 of the fuzz seed).
fn precertificate(leaf_der: &[u8]) -> Vec<u8> {
    let mut cert = Certificate::from_der(leaf_der).unwrap();
    let exts = cert.tbs_certificate.extensions.get_or_insert_with(Vec::new);
    exts.retain(|e| e.extn_id != stack::ctlog::SCT_LIST_OID);
    exts.push(x509_cert::ext::Extension {
        extn_id: stack::ctlog::POISON_OID,
        critical: true,
        extn_value: der::asn1::OctetString::new(vec![0x05, 0x00]).unwrap(),
    });
    let intermediate = stack::KeyRing::new(sigbox_fuzz::harness::SEED)
        .signing_key(stack::Role::FulcioIntermediate, 0);
    let sig: DerSignature = intermediate.sign(&cert.tbs_certificate.to_der().unwrap());
    cert.signature = der::asn1::BitString::from_bytes(sig.as_bytes()).unwrap();
    cert.to_der().unwrap()
}

#[test]
#[ignore = "writes the committed seed corpus; run by `just fuzz-seeds`"]
fn write_seed_corpus() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("corpus");
    let c = Corpus { root };
    let h = Harness::with_entries();
    let k1 = key(1);
    let k3 = key(3);

    // Rekor v1 entries: every kind, a certificate-signed hashedrekord, and near misses.
    let art = b"a new artifact";
    let chain3 = h.certificate(&k3);
    let v1 = [
        (
            "hashedrekord.json",
            seeds::v1_hashed_rekord(&k3, art, &key_pem(&k3)),
        ),
        (
            "hashedrekord-cert.json",
            seeds::v1_hashed_rekord(&k3, b"by cert", &chain3[0]),
        ),
        ("dsse.json", seeds::v1_dsse(&k3, &seeds::statement(art))),
        ("intoto.json", seeds::v1_intoto(&k3, &seeds::statement(art))),
        ("duplicate.json", seeds::v1_entries()[0].clone()),
    ];
    for (name, body) in &v1 {
        c.put("rekor_v1_entries", name, body.to_string());
        if *name != "duplicate.json" {
            accepts(h, "/api/v1/log/entries", &[JSON], body.to_string());
        }
    }
    let mut wrong = v1[0].1.clone();
    wrong["apiVersion"] = json!("0.0.2");
    c.put("rekor_v1_entries", "wrong-version.json", wrong.to_string());

    // Rekor v1 queries over the filled log: its UUIDs, digests, key and email.
    let mut uuids = Vec::new();
    for index in 0..4 {
        let entry = get_json(h, &format!("/api/v1/log/entries?logIndex={index}"));
        uuids.push(entry.as_object().unwrap().keys().next().unwrap().clone());
    }
    let q = "rekor_v1_queries";
    c.route(
        q,
        "retrieve-uuids",
        0,
        json!({"entryUUIDs": &uuids[..2]}).to_string(),
    );
    c.route(
        q,
        "retrieve-indexes",
        0,
        json!({"logIndexes": [0, 3, 9]}).to_string(),
    );
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(seeds::ARTIFACT));
    c.route(
        q,
        "index-hash",
        1,
        json!({"hash": format!("sha256:{digest}")}).to_string(),
    );
    c.route(
        q,
        "index-email",
        1,
        json!({"email": seeds::EMAIL, "hash": digest, "operator": "and"}).to_string(),
    );
    let pk = json!({"publicKey": {"format": "x509", "content": B64.encode(key_pem(&k1))}});
    c.route(q, "index-key", 1, pk.to_string());
    c.route(q, "uuid-80", 2, &uuids[0]);
    c.route(q, "uuid-64", 2, &uuids[1][16..]);
    c.route(q, "proof", 3, "firstSize=1&lastSize=4");
    c.route(q, "proof-tree", 3, "firstSize=2&lastSize=3&treeID=1");
    c.route(q, "by-index", 4, "logIndex=2");
    c.route(q, "log-info", 5, "");
    c.route(q, "public-key", 5, "/publicKey");

    // Rekor v2 entries: both kinds, in both protojson spellings.
    let v2 = seeds::v2_hashed_rekord(&k3, art);
    c.put("rekor_v2_entries", "hashedrekord.json", v2.to_string());
    accepts(h, "/rekor-v2/api/v2/log/entries", &[JSON], v2.to_string());
    c.put(
        "rekor_v2_entries",
        "dsse.json",
        seeds::v2_dsse(&k3, &seeds::statement(art)).to_string(),
    );
    let proto_names = v2
        .to_string()
        .replace("hashedRekordRequestV002", "hashed_rekord_request_v002")
        .replace("rawBytes", "raw_bytes")
        .replace("keyDetails", "key_details");
    c.put(
        "rekor_v2_entries",
        "hashedrekord-proto-names.json",
        proto_names,
    );
    c.put(
        "rekor_v2_entries",
        "duplicate.json",
        seeds::v2_hashed_rekord(&key(1), &0u64.to_be_bytes()).to_string(),
    );

    // Tile paths over the 300-entry log.
    for (name, path) in [
        ("checkpoint", "checkpoint"),
        ("tile-0-full", "tile/0/000"),
        ("tile-0-partial", "tile/0/001.p/44"),
        ("tile-1-partial", "tile/1/000.p/1"),
        ("entries-full", "tile/entries/000"),
        ("entries-partial", "tile/entries/001.p/44"),
        ("tile-0-long-index", "tile/0/x001/234"),
    ] {
        c.put("tile_paths", name, path);
    }

    // Fulcio: v2 and v1 bodies with the token in the header, and with it in the body.
    let bearer = format!("Bearer {}", h.token());
    let auth = [JSON, (header::AUTHORIZATION, bearer.as_str())];
    for (name, body) in seeds::fulcio_v2(&k3) {
        accepts(h, "/api/v2/signingCert", &auth, body.to_string());
        c.route(
            "fulcio_requests",
            &format!("v2-{name}.json"),
            0,
            body.to_string(),
        );
    }
    for (name, body) in seeds::fulcio_v1(&k3) {
        accepts(h, "/api/v1/signingCert", &auth, body.to_string());
        c.route(
            "fulcio_requests",
            &format!("v1-{name}.json"),
            1,
            body.to_string(),
        );
    }
    let mut in_body = seeds::fulcio_v2(&k3)[0].1.clone();
    in_body["credentials"] = json!({"oidcIdentityToken": h.token()});
    c.route(
        "fulcio_requests",
        "v2-token-in-body.json",
        2,
        in_body.to_string(),
    );

    // Tokens: a minted one, claim overrides, and a signed header and payload.
    let j = "jwt";
    c.route(j, "token", 0, h.token());
    c.route(j, "claims-github", 1, json!({"job_workflow_ref": "o/r/.github/workflows/w.yml@refs/heads/main", "sub": "repo:o/r:ref:refs/heads/main", "repository": "o/r"}).to_string());
    c.route(
        j,
        "claims-email",
        1,
        json!({"email": "bob@example.com", "email_verified": "true"}).to_string(),
    );
    c.route(
        j,
        "claims-aud",
        1,
        json!({"aud": ["x", "sigstore"], "nbf": 1.5e9}).to_string(),
    );
    let kid = fake_oidc::IssuerKey::with_thumbprint_kid(
        stack::KeyRing::new(sigbox_fuzz::harness::SEED).signing_key(stack::Role::Oidc, 0),
    )
    .kid;
    let now = NOW.unix_timestamp();
    let header = json!({"alg": "ES256", "kid": kid, "typ": "JWT"});
    let payload = json!({"iss": "${ISS}", "aud": "sigstore", "sub": "alice", "email": seeds::EMAIL,
                         "email_verified": true, "iat": now, "exp": now + 600});
    c.route(j, "signed-email", 2, format!("{header}\n{payload}"));
    let issuer = h.stack().oidc().issuer_url().to_owned();
    let signed = |part: &Value| B64URL.encode(part.to_string().replace("${ISS}", &issuer));
    let mut token = format!("{}.{}", signed(&header), signed(&payload));
    let sig: p256::ecdsa::Signature = stack::KeyRing::new(sigbox_fuzz::harness::SEED)
        .signing_key(stack::Role::Oidc, 0)
        .sign(token.as_bytes());
    token = format!("{token}.{}", B64URL.encode(sig.to_bytes()));
    h.stack().fulcio().authenticate(&token).unwrap();
    let spiffe = json!({"iss": "${ISS}", "aud": "sigstore", "sub": "spiffe://127.0.0.1/ns/x", "exp": now + 600});
    c.route(j, "signed-spiffe", 2, format!("{header}\n{spiffe}"));

    // The CI endpoints: jobs, and the token request with a request token the stack issued.
    let ci = "ci_requests";
    c.route(ci, "github-default", 0, "{}");
    c.route(
        ci,
        "github-tag",
        0,
        json!({"repository": "o/r", "ref": "refs/tags/v1", "event_name": "release", "environment": "prod"}).to_string(),
    );
    c.route(ci, "gitlab-default", 1, "{}");
    c.route(
        ci,
        "gitlab-tag",
        1,
        json!({"project_path": "g/s/p", "ref": "v1", "ref_type": "tag"}).to_string(),
    );
    let job = h
        .stack()
        .oidc()
        .github_job(fake_oidc::GithubJob::default())
        .unwrap();
    let request_token = &job.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"];
    c.route(
        ci,
        "token-request",
        2,
        format!("bearer {request_token}\napi-version=2.0&audience=sigstore"),
    );
    c.route(
        ci,
        "token-request-own",
        3,
        "{}\napi-version=2.0&audience=sigstore",
    );
    c.route(
        ci,
        "token-request-no-audience",
        3,
        "{\"ref\": \"refs/pull/1/merge\", \"event_name\": \"pull_request\"}\n",
    );

    // The CT log: a certificate's chain with and without its root, a precertificate's, queries.
    let chain: Vec<Vec<u8>> = chain3.iter().map(|p| pem_to_der(p)).collect();
    let b64 = |ders: &[Vec<u8>]| {
        json!({"chain": ders.iter().map(|d| B64.encode(d)).collect::<Vec<_>>()}).to_string()
    };
    c.route("ct_add_chain", "chain", 0, b64(&chain[..2]));
    c.route("ct_add_chain", "chain-with-root", 0, b64(&chain));
    let pre = [precertificate(&chain[0]), chain[1].clone()];
    c.route("ct_add_chain", "pre-chain", 1, b64(&pre));
    accepts(h, "/ct/v1/add-chain", &[JSON], b64(&chain[..2]));
    accepts(h, "/ct/v1/add-pre-chain", &[JSON], b64(&pre));
    c.route("ct_add_chain", "consistency", 2, "first=1&second=2");
    c.route(
        "ct_add_chain",
        "proof-by-hash",
        3,
        format!(
            "hash={}&tree_size=2",
            B64.encode([7u8; 32])
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        ),
    );
    c.route("ct_add_chain", "entries", 4, "start=0&end=1");

    // The TSA: DER requests with and without nonce and certificates, and the JSON form.
    c.route(
        "tsa_requests",
        "der-nonce-certs",
        0,
        seeds::timestamp_request(art, Some(0x80_1234), true),
    );
    c.route(
        "tsa_requests",
        "der-bare",
        0,
        seeds::timestamp_request(art, None, false),
    );
    c.route(
        "tsa_requests",
        "json",
        1,
        seeds::timestamp_request_json(art).to_string(),
    );

    let tsq = [(header::CONTENT_TYPE, "application/timestamp-query")];
    let der = seeds::timestamp_request(art, Some(0x80_1234), true);
    accepts(h, "/api/v1/timestamp", &tsq, der);
    let json = seeds::timestamp_request_json(art).to_string();
    accepts(h, "/api/v1/timestamp", &[JSON], json);

    // TUF and the trust files: every file the repository holds, and the client files.
    let tuf_dir = h.stack().trust().dir().to_path_buf();
    let mut n = 0;
    for entry in walk(&tuf_dir) {
        let rel = entry
            .strip_prefix(&tuf_dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        n += 1;
        c.route("tuf_paths", &format!("tuf-{n}"), 0, rel);
    }
    for name in stack::tuf::CLIENT_FILES {
        c.route("tuf_paths", &format!("trust-{name}"), 1, name);
    }

    // Admin: each route, and a sequence (a far clock, then a rotation at it).
    let a = "admin";
    c.route(
        a,
        "clock-set",
        0,
        json!({"now": "2026-06-01T00:00:00Z"}).to_string(),
    );
    c.route(a, "clock-advance", 1, json!({"seconds": 3600}).to_string());
    c.route(
        a,
        "fault",
        2,
        json!({"fault": "fulcio-omit-sct", "count": 2}).to_string(),
    );
    c.route(a, "rotate", 3, json!({"service": "tsa"}).to_string());
    c.route(a, "clock-get", 4, "");
    c.route(a, "faults-clear", 5, "");
    c.route(a, "probe", 6, "");
    // Sequences: an instant, then the services used at it.
    let then = |first: u8, body: Value, second: u8| {
        let mut bytes = [&[first][..], body.to_string().as_bytes()].concat();
        bytes.extend([0xFF, second]);
        bytes
    };
    c.put(
        a,
        "2050-then-probe",
        then(0, json!({"now": "2050-01-01T00:00:00Z"}), 6),
    );
    c.put(
        a,
        "1969-then-probe",
        then(0, json!({"now": "1969-12-31T23:59:59Z"}), 6),
    );
    c.put(
        a,
        "fault-then-probe",
        then(2, json!({"fault": "tsa-unknown-key"}), 6),
    );
    let mut sequence = [
        &[0u8][..],
        json!({"now": "2049-12-31T23:59:59Z"})
            .to_string()
            .as_bytes(),
    ]
    .concat();
    sequence.push(0xFF);
    sequence.extend(
        [
            &[3u8][..],
            json!({"service": "fulcio"}).to_string().as_bytes(),
        ]
        .concat(),
    );
    c.put(a, "clock-then-rotate", sequence);

    // The client: bundles our client signed against the stack (Rekor v1 and v2, message
    // signature and DSSE), and the stack's trusted root.
    let url = h.stack().url().to_owned();
    let services = [
        (
            "v1",
            client::sign::Services {
                fulcio: url.clone(),
                rekor: url.clone(),
                rekor_api: 1,
                tsa: None,
            },
        ),
        (
            "v2",
            client::sign::Services {
                fulcio: url.clone(),
                rekor: h.stack().rekor_v2_url(),
                rekor_api: 2,
                tsa: Some(format!("{url}/api/v1/timestamp")),
            },
        ),
    ];
    let statement = seeds::statement(seeds::ARTIFACT);
    for (log, services) in &services {
        for (kind, payload) in [
            ("message", client::sign::Payload::Message(seeds::ARTIFACT)),
            ("dsse", client::sign::Payload::InToto(&statement)),
        ] {
            let bundle = client::sign::sign(services, h.token(), payload).unwrap();
            let bytes = serde_json::to_vec(&bundle).unwrap();
            // The client targets verify against a stack of this seed and clock: these must.
            let root =
                client::TrustedRoot::from_json(h.stack().trust().trusted_root_json().as_bytes())
                    .unwrap();
            let policy = client::Policy::IdentityMatching {
                san: client::Pattern::Regex(".*".into()),
                issuer: client::Pattern::Regex(".*".into()),
            };
            client::Verifier::new_at(root, NOW)
                .verify(
                    &client::Bundle::from_json(&bytes).unwrap(),
                    client::Artifact::Bytes(seeds::ARTIFACT),
                    &policy,
                )
                .unwrap();
            c.put(
                "client_bundle",
                &format!("{log}-{kind}.json"),
                serde_json::to_vec_pretty(&bundle).unwrap(),
            );
        }
    }
    c.put(
        "client_trusted_root",
        "sigbox.json",
        h.stack().trust().trusted_root_json(),
    );
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
