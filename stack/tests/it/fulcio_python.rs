//! sigstore-python (the pinned 4.5.x in `.venv`) requests a certificate from our Fulcio with its
//! own client code and verifies the embedded SCT with its own verifier.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use fake_oidc::MintRequest;
use stack::Stack;

use crate::support::python_script;

fn run(args: Vec<String>) -> (bool, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    python_script("fulcio_sct.py", &args)
}

#[tokio::test(flavor = "multi_thread")]
async fn sigstore_python_gets_a_certificate_and_verifies_its_sct() {
    // System clock: sigstore-python checks the token's times against its own.
    let stack = Stack::builder().start().await.unwrap();
    let ct_key = B64.encode(stack.ctlog().public_key_der());
    for mode in ["honest", "wrong-key"] {
        let token = stack.oidc().mint(&MintRequest::default()).unwrap();
        let args = vec![
            stack.url().to_owned(),
            token,
            ct_key.clone(),
            mode.to_owned(),
        ];
        let (ok, out) = tokio::task::spawn_blocking(move || run(args))
            .await
            .unwrap();
        match mode {
            "honest" => {
                assert!(ok, "sigstore-python refused our certificate's SCT: {out}");
                assert!(
                    out.contains("verified SCT for ['alice@example.com'] chain 2"),
                    "{out}"
                );
            }
            _ => {
                assert!(
                    !ok,
                    "sigstore-python accepted an SCT against the wrong key: {out}"
                );
                assert!(out.contains("SCT verify failed"), "{out}");
            }
        }
    }
    // Both requests were logged.
    assert_eq!(stack.ctlog().tree_size(), 2);
}
