//! Each fault is detectable: with it armed, our client signs against the stack and its own
//! verifier refuses the bundle (or its TUF loading refuses the repository), naming the check
//! the fault is about. The next request is honest again.

use fake_oidc::MintRequest;
use stack::Stack;
use stack::clock::Clock;
use stack::faults::Fault;

const ARTIFACT: &[u8] = b"signed while the stack misbehaves\\n";

/// Signs with our client and verifies with it: the refusal's reason, or `Ok` if it verified.
async fn sign_and_verify(stack: &Stack) -> Result<(), String> {
    let services = client::sign::Services::from_signing_config(
        stack.trust().signing_config_json().as_bytes(),
        stack.clock().now(),
    )
    .unwrap();
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let bundle = tokio::task::block_in_place(|| {
        client::sign::sign(&services, &token, client::sign::Payload::Message(ARTIFACT))
    })
    .map_err(|e| format!("signing: {e}"))?;
    let bundle = client::Bundle::from_json(bundle.encode().as_bytes()).unwrap();
    let root =
        client::TrustedRoot::from_json(stack.trust().trusted_root_json().as_bytes()).unwrap();
    let policy = client::Policy::Identity {
        san: "alice@example.com".into(),
        issuer: stack.oidc().issuer_url().into(),
    };
    client::Verifier::new_at(root, stack.clock().now())
        .verify(&bundle, client::Artifact::Bytes(ARTIFACT), &policy)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// With `fault` armed for one request, our client signs and verifies: it must refuse, for a
/// reason that contains `needle`, and the fault must be used up.
async fn refused_for(stack: &Stack, fault: Fault, needle: &str) {
    stack.faults().arm(fault, 1);
    let reason = sign_and_verify(stack)
        .await
        .expect_err(&format!("{} went unnoticed", fault.as_str()));
    assert!(
        reason.contains(needle),
        "{}: refused, but for {reason:?}",
        fault.as_str()
    );
    assert!(
        stack.faults().armed().is_empty(),
        "{}: used up",
        fault.as_str()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_is_caught_by_our_client_for_its_reason() {
    // A frozen clock moved two hours past the stack's start: an integrated time an hour back
    // is inside the log's validity and before the certificate.
    let start = time::OffsetDateTime::from_unix_timestamp(Clock::system().unix()).unwrap();
    let stack = Stack::builder()
        .clock(Clock::frozen(start))
        .start()
        .await
        .unwrap();
    stack
        .clock()
        .advance(std::time::Duration::from_secs(2 * 3600))
        .unwrap();
    sign_and_verify(&stack)
        .await
        .expect("an honest stack verifies");
    // A second publication, so the repository has a timestamp to roll back to; a client that
    // has loaded the current one.
    stack.rotate(stack::generations::Kind::Tsa).unwrap();
    let tuf = format!("{}/tuf", stack.url());
    let root_v1 = stack.trust().bootstrap_root_json();
    let store = tempfile::tempdir().unwrap();
    client::tuf::load(&tuf, &root_v1, store.path())
        .await
        .expect("honest TUF repository");
    for fault in Fault::ALL {
        if matches!(
            fault,
            Fault::TufRolledBackTimestamp | Fault::TufExpiredTimestamp
        ) {
            let needle = if fault == Fault::TufRolledBackTimestamp {
                "previously fetched version"
            } else {
                "expired"
            };
            stack.faults().arm(fault, 1);
            let fresh = tempfile::tempdir().unwrap();
            // The rollback needs a client that saw the newer timestamp; the freeze any client.
            let at = if fault == Fault::TufRolledBackTimestamp {
                store.path()
            } else {
                fresh.path()
            };
            let reason = client::tuf::load(&tuf, &root_v1, at)
                .await
                .expect_err(&format!("{} went unnoticed", fault.as_str()))
                .to_string();
            assert!(
                reason.to_lowercase().contains(needle),
                "{}: refused, but for {reason:?}",
                fault.as_str()
            );
            assert!(
                stack.faults().armed().is_empty(),
                "{}: used up",
                fault.as_str()
            );
            continue;
        }
        let needle = match fault {
            Fault::FulcioOmitSct => "no embedded SCTs",
            Fault::FulcioUnknownSctKey => "SCT signature does not verify",
            Fault::FulcioUnknownCa => "is not a trusted certificate authority",
            Fault::FulcioNoCodeSigning => "lacks the codeSigning extended key usage",
            Fault::FulcioExpiredCert => "certificate not valid at",
            Fault::FulcioLongCert => "longer than a Fulcio certificate may be",
            Fault::FulcioOtherSan => "does not match the expected `alice@example.com`",
            Fault::RekorWrongProof => "inclusion proof does not lead to the checkpoint root",
            Fault::RekorCheckpointWrongKey => "checkpoint has no signature by log",
            Fault::RekorCheckpointWrongOrigin => "checkpoint origin `impostor.example - 1`",
            Fault::RekorSetOverOtherBytes => "signed entry timestamp does not verify",
            Fault::RekorIntegratedTimeOutside => "certificate not valid at integrated time",
            Fault::TsaOtherDigest => "message imprint does not match",
            Fault::TsaUnknownKey => "not signed by a trusted timestamp authority",
            Fault::RekorOtherArtifact => "tlog entry signature does not match the bundle's",
            Fault::RekorSplitView => "split view: two roots for a tree of",
            Fault::TufRolledBackTimestamp | Fault::TufExpiredTimestamp => unreachable!(),
        };
        refused_for(&stack, fault, needle).await;
    }
    sign_and_verify(&stack)
        .await
        .expect("honest again once the faults are used up");
}

/// The Rekor faults the v2 log serves: our client, signing to v2 (the signing config offers
/// it), refuses each for its reason; the others are Rekor v1's alone.
#[tokio::test(flavor = "multi_thread")]
async fn rekor_v2_faults_are_caught_by_our_client_for_their_reason() {
    let stack = Stack::builder()
        .rekor_v2_signing(true)
        .start()
        .await
        .unwrap();
    let services = client::sign::Services::from_signing_config(
        stack.trust().signing_config_json().as_bytes(),
        stack.clock().now(),
    )
    .unwrap();
    assert_eq!(services.rekor_api, 2);
    sign_and_verify(&stack)
        .await
        .expect("an honest stack verifies");
    let served: Vec<Fault> = Fault::ALL
        .into_iter()
        .filter(|f| f.as_str().starts_with("rekor-") && !f.rekor_v1_only())
        .collect();
    assert_eq!(served.len(), 4);
    for fault in served {
        let needle = match fault {
            Fault::RekorWrongProof => "inclusion proof does not lead to the checkpoint root",
            Fault::RekorCheckpointWrongKey => "checkpoint has no signature by log",
            Fault::RekorCheckpointWrongOrigin => "checkpoint origin `impostor.example`",
            Fault::RekorOtherArtifact => "does not match the bundle",
            other => panic!("{} is not a v2 fault", other.as_str()),
        };
        refused_for(&stack, fault, needle).await;
    }
    sign_and_verify(&stack)
        .await
        .expect("honest again once the faults are used up");
}

/// In a log of one entry the split view adds a leaf: the answer's tree is bigger than the log.
#[tokio::test(flavor = "multi_thread")]
async fn split_view_of_a_one_entry_log_is_caught_too() {
    let stack = Stack::builder().start().await.unwrap();
    let needle =
        "split view: the entry's proof is in a tree of 2 entries, the log's own tree has 1";
    refused_for(&stack, Fault::RekorSplitView, needle).await;
}

/// `/admin/faults` arms, lists and clears faults, behind the admin token.
#[tokio::test]
async fn faults_are_armed_through_the_admin_api() {
    let stack = Stack::builder().start().await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/admin/faults", stack.url());
    let r = http
        .post(&url)
        .json(&serde_json::json!({"fault": "fulcio-omit-sct"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(&url)
        .bearer_auth(stack.admin_token())
        .json(&serde_json::json!({"fault": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("rekor-wrong-proof"));
    let armed: serde_json::Value = http
        .post(&url)
        .bearer_auth(stack.admin_token())
        .json(&serde_json::json!({"fault": "tsa-other-digest", "count": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(armed, serde_json::json!({"tsa-other-digest": 3}));
    assert_eq!(stack.faults().armed().len(), 1);
    let cleared: serde_json::Value = http
        .delete(&url)
        .bearer_auth(stack.admin_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared, serde_json::json!({}));
}
