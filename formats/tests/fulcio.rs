//! Fulcio's and the CT log's JSON against the bytes the stack served (the golden files in
//! `stack/tests/golden/`): each parses and encodes back to the same bytes. And the requests'
//! strict refusals, each naming its field.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use formats::ct::{
    AddChainRequest, AddChainResponse, ConsistencyProof, Entries, InclusionProof, LeafEntry, Roots,
    SignedTreeHead,
};
use formats::fulcio::{
    CertificateChain, Configuration, KeyRequest, OidcIssuer, ParseError, SigningCertRequest,
    SigningCertRequestV1, SigningCertResponse, TrustBundle,
};

fn golden(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../stack/tests/golden")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn golden_signing_cert_round_trips() {
    let bytes = golden("fulcio/signing_cert.json");
    let answer = SigningCertResponse::parse(&bytes).unwrap();
    let SigningCertResponse::Embedded { chain } = &answer else {
        panic!("the golden certificate has its SCT embedded");
    };
    assert_eq!(chain.len(), 3, "leaf, intermediate, root");
    assert!(
        chain
            .iter()
            .all(|c| c.starts_with("-----BEGIN CERTIFICATE-----"))
    );
    assert_eq!(answer.encode(), bytes);
}

#[test]
fn golden_trust_bundle_round_trips() {
    let bytes = golden("fulcio/trust_bundle.json");
    let bundle = TrustBundle::parse(&bytes).unwrap();
    assert_eq!(bundle.chains.len(), 1);
    assert_eq!(bundle.chains[0].certificates.len(), 2, "intermediate, root");
    assert_eq!(bundle.encode(), bytes);
}

#[test]
fn golden_sth_round_trips() {
    let bytes = golden("ctlog/get-sth.json");
    let sth = SignedTreeHead::parse(&bytes).unwrap();
    assert_eq!(sth.tree_size, 1);
    assert_eq!(sth.timestamp, 1_767_225_600_000);
    // A TLS DigitallySigned: SHA-256 (4), ECDSA (3), then the u16 length of the signature.
    assert_eq!(&sth.tree_head_signature[..2], &[4, 3]);
    assert_eq!(sth.encode(), bytes);
}

#[test]
fn a_detached_sct_travels_as_base64_of_the_add_chain_json() {
    let sct = AddChainResponse {
        extensions: String::new(),
        id: [7; 32],
        sct_version: 0,
        signature: vec![4, 3, 0, 2, 0x30, 0],
        timestamp: 42,
    };
    let answer = SigningCertResponse::Detached {
        chain: vec!["leaf".into(), "root".into()],
        sct: sct.clone(),
    };
    let bytes = answer.encode();
    let want_sct = format!(
        r#"{{"extensions":"","id":"{}","sct_version":0,"signature":"BAMAAjAA","timestamp":42}}"#,
        B64.encode([7; 32])
    );
    assert_eq!(sct.encode(), want_sct.as_bytes());
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        format!(
            r#"{{"signedCertificateDetachedSct":{{"chain":{{"certificates":["leaf","root"]}},"signedCertificateTimestamp":"{}"}}}}"#,
            B64.encode(&want_sct)
        )
    );
    assert_eq!(SigningCertResponse::parse(&bytes).unwrap(), answer);
    assert_eq!(answer.chain(), ["leaf", "root"]);
}

#[test]
fn the_v2_request_reads_json_and_proto_names_and_round_trips() {
    // JSON names, keys sorted: what `encode` writes.
    let camel = br#"{"credentials":{"oidcIdentityToken":"t"},"publicKeyRequest":{"proofOfPossession":"AQI=","publicKey":{"algorithm":"ECDSA","content":"PEM"}}}"#;
    let snake = br#"{"credentials":{"oidc_identity_token":"t"},"public_key_request":{"public_key":{"algorithm":"ECDSA","content":"PEM"},"proof_of_possession":"AQI="}}"#;
    let want = SigningCertRequest {
        token: Some("t".into()),
        key: KeyRequest::PublicKey {
            algorithm: Some("ECDSA".into()),
            content: "PEM".into(),
            proof_of_possession: vec![1, 2],
        },
    };
    assert_eq!(SigningCertRequest::parse(camel).unwrap(), want);
    assert_eq!(SigningCertRequest::parse(snake).unwrap(), want);
    assert_eq!(want.encode(), camel);

    let csr = SigningCertRequest {
        token: None,
        key: KeyRequest::Csr(vec![0x30, 0]),
    };
    assert_eq!(csr.encode(), br#"{"certificateSigningRequest":"MAA="}"#);
    assert_eq!(SigningCertRequest::parse(&csr.encode()).unwrap(), csr);
}

#[test]
fn malformed_v2_requests_are_refused_naming_the_field() {
    let refused = |body: &str| {
        SigningCertRequest::parse(body.as_bytes())
            .unwrap_err()
            .to_string()
    };
    for (body, want) in [
        ("not json", "malformed request"),
        (
            r#"{"credentials":{},"surprise":1}"#,
            "unknown field `surprise`",
        ),
        (
            r#"{"credentials":{"token":"t"},"certificateSigningRequest":"MAA="}"#,
            "unknown field `token`",
        ),
        (
            r#"{"publicKeyRequest":{"publicKey":{"content":"k","curve":"P-256"}}}"#,
            "unknown field `curve`",
        ),
        (
            r#"{"publicKeyRequest":{"proofOfPossession":"!!"}}"#,
            "proofOfPossession is not base64",
        ),
        (
            r#"{"certificateSigningRequest":"not base64"}"#,
            "certificateSigningRequest is not base64",
        ),
        (
            r#"{"publicKeyRequest":{},"certificateSigningRequest":"MAA="}"#,
            "not both",
        ),
        (
            r#"{"credentials":{}}"#,
            "no publicKeyRequest or certificateSigningRequest",
        ),
        (
            r#"{"publicKeyRequest":{"publicKey":{"content":7}}}"#,
            "invalid type",
        ),
    ] {
        let got = refused(body);
        assert!(got.contains(want), "{body}: {got:?} should say {want:?}");
    }
    assert!(matches!(
        SigningCertRequest::parse(br#"{"credentials":{}}"#),
        Err(ParseError::NoKey)
    ));
}

#[test]
fn the_v1_request_takes_a_csr_first_and_decodes_the_key_bytes() {
    let pk = br#"{"publicKey":{"algorithm":"ecdsa","content":"UEVN"},"signedEmailAddress":"AQI="}"#;
    let want = SigningCertRequestV1::PublicKey {
        algorithm: Some("ecdsa".into()),
        content: b"PEM".to_vec(),
        signed_email_address: vec![1, 2],
    };
    assert_eq!(SigningCertRequestV1::parse(pk).unwrap(), want);
    assert_eq!(want.encode(), pk);
    let both = br#"{"certificateSigningRequest":"MAA=","publicKey":{"content":"UEVN"}}"#;
    assert_eq!(
        SigningCertRequestV1::parse(both).unwrap(),
        SigningCertRequestV1::Csr(vec![0x30, 0])
    );
    for (body, want) in [
        ("{}", "public key not provided"),
        (
            r#"{"certificateSigningRequest":""}"#,
            "public key not provided",
        ),
        (
            r#"{"publicKey":{"content":"%%"}}"#,
            "publicKey.content is not base64",
        ),
        (r#"{"publicKey":{},"extra":true}"#, "unknown field `extra`"),
    ] {
        let got = SigningCertRequestV1::parse(body.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(got.contains(want), "{body}: {got:?} should say {want:?}");
    }
}

#[test]
fn configuration_writes_its_keys_in_order() {
    let config = Configuration {
        issuers: vec![OidcIssuer {
            audience: "sigstore".into(),
            challenge_claim: "email".into(),
            issuer_url: "http://oidc".into(),
            spiffe_trust_domain: "example.org".into(),
        }],
    };
    let bytes = config.encode();
    assert_eq!(
        bytes,
        br#"{"issuers":[{"audience":"sigstore","challengeClaim":"email","issuerUrl":"http://oidc","spiffeTrustDomain":"example.org"}]}"#
    );
    assert_eq!(Configuration::parse(&bytes).unwrap(), config);
    let chain = CertificateChain {
        certificates: vec!["a".into()],
    };
    assert_eq!(
        TrustBundle {
            chains: vec![chain]
        }
        .encode(),
        br#"{"chains":[{"certificates":["a"]}]}"#
    );
}

#[test]
fn ct_requests_and_answers_round_trip_and_refuse_bad_fields() {
    let req = AddChainRequest {
        chain: vec![vec![0x30, 0], vec![0x30, 1, 0]],
    };
    assert_eq!(req.encode(), br#"{"chain":["MAA=","MAEA"]}"#);
    assert_eq!(AddChainRequest::parse(&req.encode()).unwrap(), req);
    for (body, want) in [
        (r#"{"chain":["MAA=","!"]}"#, "chain[1] is not base64"),
        (r#"{"chain":[],"extra":1}"#, "unknown field `extra`"),
        (r#"{}"#, "missing field `chain`"),
        ("[", "malformed request"),
    ] {
        let got = AddChainRequest::parse(body.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(got.contains(want), "{body}: {got:?} should say {want:?}");
    }

    let proof = InclusionProof {
        audit_path: vec![[1; 32]],
        leaf_index: 3,
    };
    assert_eq!(InclusionProof::parse(&proof.encode()).unwrap(), proof);
    assert!(
        String::from_utf8(proof.encode())
            .unwrap()
            .starts_with(r#"{"audit_path":[""#)
    );
    let consistency = ConsistencyProof {
        consistency: vec![[2; 32], [3; 32]],
    };
    assert_eq!(
        ConsistencyProof::parse(&consistency.encode()).unwrap(),
        consistency
    );
    let err = ConsistencyProof::parse(br#"{"consistency":["AAAA"]}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is 3 bytes, want 32"), "{err}");
    let entries = Entries {
        entries: vec![LeafEntry {
            extra_data: vec![1],
            leaf_input: vec![2],
        }],
    };
    assert_eq!(
        entries.encode(),
        br#"{"entries":[{"extra_data":"AQ==","leaf_input":"Ag=="}]}"#
    );
    assert_eq!(Entries::parse(&entries.encode()).unwrap(), entries);
    let roots = Roots {
        certificates: vec![vec![0x30, 0]],
    };
    assert_eq!(roots.encode(), br#"{"certificates":["MAA="]}"#);
    assert_eq!(Roots::parse(&roots.encode()).unwrap(), roots);
}
