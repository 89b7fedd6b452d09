//! Trust that changes shape: a Fulcio intermediate with the old one's subject name under the
//! old root, generations retired from the trusted root, a TUF root with legacy key IDs; each
//! as the trust files show it, as our client takes it, and across a restart. The matrix
//! (`sigbox conformance`, section (g)) runs the same rotations against every client.

use base64::Engine as _;
use der::Decode as _;
use fake_oidc::MintRequest;
use serde_json::Value;
use stack::Stack;
use stack::generations::{Kind, Rotation, Shape};
use x509_cert::Certificate;

use crate::support::python_script;

const MESSAGE: &[u8] = b"signed across a change of shape\n";

fn rotation(kind: Kind, shape: Shape, retire: bool) -> Rotation {
    Rotation {
        kind,
        shape,
        retire,
    }
}

/// Our client signs [`MESSAGE`] with the stack's current signing config; the bundle's JSON.
fn sign(stack: &Stack) -> String {
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let services = client::sign::Services::from_signing_config(
        stack.trust().signing_config_json().as_bytes(),
        stack.clock().now(),
    )
    .unwrap();
    tokio::task::block_in_place(|| {
        client::sign::sign(&services, &token, client::sign::Payload::Message(MESSAGE))
    })
    .unwrap()
    .encode()
}

/// Our client verifies `bundle` against the stack's current trusted root.
fn verify(stack: &Stack, bundle: &str) -> Result<(), String> {
    let bundle = client::Bundle::from_json(bundle.as_bytes()).unwrap();
    let trusted =
        client::TrustedRoot::from_json(stack.trust().trusted_root_json().as_bytes()).unwrap();
    let policy = client::Policy::Identity {
        san: fake_oidc::DEFAULT_EMAIL.into(),
        issuer: stack.oidc().issuer_url().into(),
    };
    client::Verifier::new_at(trusted, stack.clock().now())
        .verify(&bundle, client::Artifact::Bytes(MESSAGE), &policy)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Stops `stack` and starts it again on its port (the URLs are in the trust files) from the
/// same state directory.
async fn restart(stack: Stack, dir: &std::path::Path) -> Stack {
    let addr = stack.addr();
    stack.shutdown().await.unwrap();
    Stack::builder()
        .state_dir(dir)
        .listen(addr)
        .start()
        .await
        .unwrap()
}

fn trusted_root(stack: &Stack) -> Value {
    serde_json::from_str(&stack.trust().trusted_root_json()).unwrap()
}

/// Every certificate authority's chain, DER, intermediate first.
fn ca_chains(root: &Value) -> Vec<Vec<Vec<u8>>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    root["certificateAuthorities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ca| {
            ca["certChain"]["certificates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| b64.decode(c["rawBytes"].as_str().unwrap()).unwrap())
                .collect()
        })
        .collect()
}

/// The Rekor v1 logs of the trusted root (the v2 log is listed beside them).
fn v1_logs(root: &Value) -> Vec<Value> {
    root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            !l["baseUrl"]
                .as_str()
                .is_some_and(|u| u.ends_with("/rekor-v2"))
        })
        .cloned()
        .collect()
}

fn leaf(bundle: &str) -> Certificate {
    let json: Value = serde_json::from_str(bundle).unwrap();
    let raw = json["verificationMaterial"]["certificate"]["rawBytes"]
        .as_str()
        .unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .unwrap();
    Certificate::from_der(&der).unwrap()
}

fn extension<'a>(cert: &'a Certificate, oid: &str) -> &'a [u8] {
    let oid = der::asn1::ObjectIdentifier::new_unwrap(oid);
    cert.tbs_certificate
        .extensions
        .as_ref()
        .and_then(|e| e.iter().find(|x| x.extn_id == oid))
        .map(|x| x.extn_value.as_bytes())
        .unwrap()
}

const SUBJECT_KEY_ID: &str = "2.5.29.14";
const AUTHORITY_KEY_ID: &str = "2.5.29.35";

#[tokio::test(flavor = "multi_thread")]
async fn a_same_subject_intermediate_shares_the_root_and_the_name_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::builder()
        .state_dir(dir.path())
        .start()
        .await
        .unwrap();
    let before = sign(&stack);
    let same = rotation(Kind::Fulcio, Shape::SameSubject, false);
    assert_eq!(stack.rotate_with(same).unwrap(), 1);
    let after = sign(&stack);

    let root = trusted_root(&stack);
    let chains = ca_chains(&root);
    assert_eq!(chains.len(), 2, "{root}");
    let cert = |der: &[u8]| Certificate::from_der(der).unwrap();
    let (old, new) = (cert(&chains[0][0]), cert(&chains[1][0]));
    // Two intermediates, one name, two keys; one root, byte for byte.
    assert_eq!(old.tbs_certificate.subject, new.tbs_certificate.subject);
    assert_ne!(
        old.tbs_certificate.subject_public_key_info,
        new.tbs_certificate.subject_public_key_info
    );
    assert_ne!(
        old.tbs_certificate.serial_number,
        new.tbs_certificate.serial_number
    );
    assert_eq!(chains[0][1], chains[1][1], "the same root");
    assert_eq!(
        new.tbs_certificate.issuer,
        cert(&chains[0][1]).tbs_certificate.subject
    );
    // The new leaf names the shared subject as its issuer; only its key ID tells the two
    // intermediates apart.
    let new_leaf = leaf(&after);
    assert_eq!(new_leaf.tbs_certificate.issuer, new.tbs_certificate.subject);
    assert_eq!(
        leaf(&before).tbs_certificate.issuer,
        old.tbs_certificate.subject
    );
    let key_id = |c: &Certificate| extension(c, SUBJECT_KEY_ID)[2..].to_vec();
    let authority_key_id = extension(&new_leaf, AUTHORITY_KEY_ID);
    assert!(
        authority_key_id.ends_with(&key_id(&new)),
        "the new leaf's AKI is the new intermediate's SKI"
    );
    assert!(!authority_key_id.ends_with(&key_id(&old)));
    // Our client finds each leaf's issuer by its signature, not its name: both verify.
    verify(&stack, &before).unwrap();
    verify(&stack, &after).unwrap();

    // Recorded, so a restarted stack serves the same two CAs.
    let gens = std::fs::read_to_string(dir.path().join("generations.json")).unwrap();
    assert!(gens.contains("\"same-subject\""), "{gens}");
    let json = stack.trust().trusted_root_json();
    let again = restart(stack, dir.path()).await;
    assert_eq!(again.trust().trusted_root_json(), json);
    verify(&again, &after).unwrap();
    // A second same-subject rotation still shares the first root and name.
    again.rotate_with(same).unwrap();
    let chains = ca_chains(&trusted_root(&again));
    assert_eq!(chains.len(), 3);
    assert_eq!(chains[2][1], chains[0][1]);
    assert_eq!(
        cert(&chains[2][0]).tbs_certificate.subject,
        old.tbs_certificate.subject
    );
    again.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn retired_generations_leave_the_trusted_root_and_what_they_signed_stops_verifying() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::builder()
        .state_dir(dir.path())
        .start()
        .await
        .unwrap();
    let first = sign(&stack);
    let first_ca = ca_chains(&trusted_root(&stack))[0].clone();

    // A plain rotation keeps the old CA (ended); a retiring one drops it.
    stack.rotate(Kind::Fulcio).unwrap();
    let second = sign(&stack);
    assert_eq!(ca_chains(&trusted_root(&stack)).len(), 2);
    verify(&stack, &first).unwrap();
    stack
        .rotate_with(rotation(Kind::Fulcio, Shape::Plain, true))
        .unwrap();
    let chains = ca_chains(&trusted_root(&stack));
    assert_eq!(chains.len(), 1, "only the current CA");
    assert_ne!(chains[0], first_ca);
    let third = sign(&stack);
    for (name, bundle) in [("first", &first), ("second", &second)] {
        let err = verify(&stack, bundle).expect_err(name);
        assert!(err.contains("certificate"), "{name}: {err}");
    }
    verify(&stack, &third).unwrap();

    // The same for a Rekor shard: the old shard is still served, no longer trusted.
    assert_eq!(v1_logs(&trusted_root(&stack)).len(), 1);
    stack
        .rotate_with(rotation(Kind::Rekor, Shape::Plain, true))
        .unwrap();
    assert_eq!(v1_logs(&trusted_root(&stack)).len(), 1);
    let err = verify(&stack, &third).expect_err("an entry in a retired shard");
    assert!(err.to_lowercase().contains("log"), "{err}");
    let fourth = sign(&stack);
    verify(&stack, &fourth).unwrap();
    let old_shard = format!("{}/api/v1/log/entries?logIndex=0", stack.url());
    let r = reqwest::get(&old_shard).await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "the retired shard's entries are still served"
    );

    // Recorded: a restarted stack leaves them out too.
    let gens: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("generations.json")).unwrap())
            .unwrap();
    assert_eq!(gens["fulcio"][0]["retired"], true);
    assert_eq!(gens["fulcio"][1]["retired"], true);
    assert!(gens["fulcio"][2].get("retired").is_none());
    assert_eq!(gens["rekor"][0]["retired"], true);
    let json = stack.trust().trusted_root_json();
    let again = restart(stack, dir.path()).await;
    assert_eq!(again.trust().trusted_root_json(), json);
    again.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shape_that_does_not_apply_is_refused_and_changes_nothing() {
    let stack = Stack::builder().start().await.unwrap();
    let url = format!("{}/admin/rotate", stack.url());
    let http = reqwest::Client::new();
    let root = stack.trust().trusted_root_json();
    let versions = stack.trust().versions();
    for (body, why) in [
        (
            serde_json::json!({"service": "rekor", "same_subject": true}),
            "same-subject applies to fulcio",
        ),
        (
            serde_json::json!({"service": "fulcio", "legacy_key_ids": true}),
            "legacy-key-ids applies to tuf-root",
        ),
        (
            serde_json::json!({"service": "tuf-root", "retire": true}),
            "retire applies to what the trusted root lists",
        ),
        (
            serde_json::json!({"service": "fulcio", "same_subject": true, "legacy_key_ids": true}),
            "exclude each other",
        ),
        (
            serde_json::json!({"service": "fulcio", "retire": "yes"}),
            "retire",
        ),
    ] {
        let r = http
            .post(&url)
            .bearer_auth(stack.admin_token())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(why), "{body}: {text}");
    }
    assert_eq!(stack.trust().trusted_root_json(), root);
    assert_eq!(stack.trust().versions(), versions);
    let r: Value = http
        .post(&url)
        .bearer_auth(stack.admin_token())
        .json(&serde_json::json!({"service": "fulcio", "same_subject": true, "retire": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["rotation"], "fulcio-same-subject-retire");
    assert_eq!(r["generation"], 1);
    assert_eq!(ca_chains(&trusted_root(&stack)).len(), 1);
    stack.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tuf_root_with_legacy_key_ids_is_refused_by_tough_and_walked_by_python_tuf() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::builder()
        .state_dir(dir.path())
        .start()
        .await
        .unwrap();
    let root_v1 = stack.trust().bootstrap_root_json();
    let tuf = format!("{}/tuf", stack.url());
    stack.rotate(Kind::TufRoot).unwrap();
    stack
        .rotate_with(rotation(Kind::TufRoot, Shape::LegacyKeyIds, false))
        .unwrap();
    assert_eq!(stack.trust().versions()[0], 3);

    // Our client loads through tough, which checks every key ID against its key.
    let store = tempfile::tempdir().unwrap();
    let Err(err) = client::tuf::load(&tuf, &root_v1, store.path()).await else {
        panic!("tough accepted a root with legacy key IDs");
    };
    assert!(err.to_string().contains("Invalid key ID"), "{err}");

    // python-tuf's ngclient walks 1 -> 2 -> 3 and fetches the trusted root.
    let meta = tempfile::tempdir().unwrap();
    let root_path = meta.path().join("bootstrap.json");
    std::fs::write(&root_path, &root_v1).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        python_script(
            "ngclient_refresh.py",
            &[
                meta.path().to_str().unwrap(),
                &tuf,
                root_path.to_str().unwrap(),
            ],
        )
    });
    assert!(ok && out.contains("root version 3 target True"), "{out}");

    // A restarted stack reopens the repository as it is and publishes on.
    let gens = std::fs::read_to_string(dir.path().join("generations.json")).unwrap();
    assert!(gens.contains("\"legacy-key-ids\""), "{gens}");
    let again = restart(stack, dir.path()).await;
    assert_eq!(again.trust().versions()[0], 3);
    again.rotate(Kind::Tsa).unwrap();
    again.rotate(Kind::TufRoot).unwrap();
    assert_eq!(again.trust().versions()[0], 4);
    again.shutdown().await.unwrap();
}
