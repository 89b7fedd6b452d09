use serde_json::Value;

use crate::crash::hashedrekord;
use crate::support::{Up, sigbox};

fn get(url: &str) -> Value {
    reqwest::blocking::get(url).unwrap().json().unwrap()
}

/// The keys of the logs in `field`, less the Rekor v2 log (listed always, never rotated).
fn log_keys(root: &Value, field: &str) -> Vec<String> {
    root[field]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| !l["baseUrl"].as_str().unwrap().ends_with("/rekor-v2"))
        .map(|l| l["publicKey"]["rawBytes"].as_str().unwrap().to_owned())
        .collect()
}

/// `sigbox rotate` through the admin API: each kind adds a generation to the trusted root; a
/// Rekor rotation opens a shard while the old one stays readable; all of it survives a restart.
#[test]
fn rotate_adds_generations_that_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let state = state.to_str().unwrap();
    let up = Up::start(&["--state", state]);
    let url = up.url();
    let client = reqwest::blocking::Client::new();
    let key = p256::ecdsa::SigningKey::from_slice(&[3; 32]).unwrap();
    let post = |body: &Value| {
        client
            .post(format!("{url}/api/v1/log/entries"))
            .json(body)
            .send()
            .unwrap()
    };
    assert_eq!(post(&hashedrekord(&key, b"before")).status(), 201);

    // Without the admin token: refused, nothing rotated.
    let r = client
        .post(format!("{url}/admin/rotate"))
        .json(&serde_json::json!({"service": "rekor"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(format!("{url}/admin/rotate"))
        .bearer_auth(up.ready["admin_token"].as_str().unwrap())
        .json(&serde_json::json!({"service": "everything"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("tuf-root"));
    let root: Value = get(&format!("{url}/trust/trusted_root.json"));
    assert_eq!(log_keys(&root, "tlogs").len(), 1);

    for kind in ["rekor", "ctlog", "fulcio", "tsa", "oidc", "tuf-root"] {
        let (ok, out) = sigbox(&["rotate", kind, "--state", state]);
        assert!(ok, "sigbox rotate {kind}: {out}");
        let answer: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(answer["service"], kind);
        assert_eq!(answer["generation"], 1);
    }
    // ready.json lists the new generation's keys: the log's key it names is the one it serves.
    let ready: Value =
        serde_json::from_slice(&std::fs::read(format!("{state}/ready.json")).unwrap()).unwrap();
    for (role, was) in up.ready["public_keys"].as_object().unwrap() {
        // The Rekor v2 log does not rotate.
        match role.as_str() {
            "rekor-v2" => assert_eq!(&ready["public_keys"][role], was),
            _ => assert_ne!(
                &ready["public_keys"][role], was,
                "{role} key after rotation"
            ),
        }
    }
    assert!(ready["public_keys"]["rekor-v2"].is_string());
    let served = client
        .get(format!("{url}/api/v1/log/publicKey"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(
        ready["public_keys"]["rekor"].as_str(),
        Some(served.as_str())
    );
    assert_eq!(ready["admin_token"], up.ready["admin_token"]);
    // The trust files it lists are rewritten too: the trusted root is the one served now.
    let written = std::fs::read(ready["trust_files"]["trusted_root"].as_str().unwrap()).unwrap();
    let now: Value = get(&format!("{url}/trust/trusted_root.json"));
    assert_eq!(serde_json::from_slice::<Value>(&written).unwrap(), now);
    assert_eq!(log_keys(&now, "tlogs").len(), 2);
    let (ok, out) = sigbox(&["rotate", "nope", "--state", state]);
    assert!(!ok && out.contains("unknown rotation"), "{out}");

    // The new shard takes entries at the next global index; the old one still answers.
    let r = post(&hashedrekord(&key, b"after"));
    assert_eq!(r.status(), 201);
    let after: Value = r.json().unwrap();
    let (_, entry) = after.as_object().unwrap().iter().next().unwrap();
    assert_eq!(entry["logIndex"], 1, "global index continues across shards");
    assert_eq!(
        entry["verification"]["inclusionProof"]["logIndex"], 0,
        "shard-local"
    );
    let info = get(&format!("{url}/api/v1/log"));
    assert_eq!(info["inactiveShards"].as_array().unwrap().len(), 1);
    let old = get(&format!("{url}/api/v1/log/entries?logIndex=0"));
    assert_eq!(
        old.as_object().unwrap().len(),
        1,
        "the old shard's entry: {old}"
    );
    let root: Value = get(&format!("{url}/trust/trusted_root.json"));
    let tlogs = log_keys(&root, "tlogs");
    let ctlogs = log_keys(&root, "ctlogs");
    assert_eq!((tlogs.len(), ctlogs.len()), (2, 2));
    assert_eq!(root["certificateAuthorities"].as_array().unwrap().len(), 2);
    assert_eq!(root["timestampAuthorities"].as_array().unwrap().len(), 2);
    let tuf_root: Value = get(&format!("{url}/tuf/2.root.json"));
    assert_eq!(tuf_root["signed"]["version"], 2);
    assert_eq!(
        tuf_root["signatures"].as_array().unwrap().len(),
        2,
        "signed by the old and the new root key"
    );
    assert!(up.terminate().success());

    // A restart serves every generation again, and the same logs.
    let up = Up::start(&["--state", state]);
    let url = up.url();
    let root: Value = get(&format!("{url}/trust/trusted_root.json"));
    assert_eq!(log_keys(&root, "tlogs"), tlogs);
    assert_eq!(log_keys(&root, "ctlogs"), ctlogs);
    assert_eq!(root["certificateAuthorities"].as_array().unwrap().len(), 2);
    let info = get(&format!("{url}/api/v1/log"));
    assert_eq!(info["treeSize"], 1);
    assert_eq!(info["inactiveShards"][0]["treeSize"], 1);
    let old = get(&format!("{url}/api/v1/log/entries?logIndex=0"));
    assert_eq!(old.as_object().unwrap().len(), 1);
    let new = get(&format!("{url}/api/v1/log/entries?logIndex=1"));
    assert_eq!(new.as_object().unwrap().len(), 1);
    assert!(up.terminate().success());
}
