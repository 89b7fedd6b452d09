//! The matrix for sigbox's client library, sigstore-python and sigstore-js against a stack
//! started here: every client signs and verifies its own bundles and the others', refuses
//! tampered bundles, gets its trusted root through the stack's TUF repository and refuses a
//! rolled-back or expired timestamp there, and keeps working across rotations; the known gaps
//! are the recorded ones.

use conformance::{Config, Status, Want, client_from_spec};
use stack::generations::Rotation;

#[test]
fn sigbox_python_and_js_matrix() {
    let tools = crate::support::tools();
    let clients = ["sigbox-lib", "sigstore-python", "sigstore-js"]
        .iter()
        .map(|spec| {
            client_from_spec(spec, &tools, None)
                .unwrap_or_else(|e| panic!("{e:#} (run `.ci/run` or `just tools`)"))
        })
        .collect();
    let mut config = Config::new(clients);
    config.rotations = [
        "fulcio",
        "rekor",
        "tuf-root",
        "fulcio-same-subject",
        "tuf-root-legacy-key-ids",
        "fulcio-retire",
        "rekor-retire",
    ]
    .map(|r| r.parse::<Rotation>().unwrap())
    .to_vec();
    config.progress = false;
    let report = conformance::run(&config).unwrap();
    let text = report.to_text();
    let names = ["sigbox", "sigstore-python", "sigstore-js"];
    assert_eq!(report.clients, names);

    let status = |client: &str, scenario: &str| {
        &report
            .case(client, scenario)
            .unwrap_or_else(|| panic!("no case {client} {scenario}:\n{text}"))
            .status
    };
    for client in names {
        for scenario in [
            "sign/message",
            "sign/dsse",
            "verify/own-message",
            "verify/own-dsse",
        ] {
            assert_eq!(
                status(client, scenario),
                &Status::Ok,
                "{client} {scenario}\n{text}"
            );
        }
        // Cross-verification: message bundles everywhere, DSSE except the CLI's intoto entries.
        for signer in names.iter().filter(|s| **s != client) {
            let scenario = format!("cross/{signer}/message");
            assert_eq!(
                status(client, &scenario),
                &Status::Ok,
                "{client} {scenario}\n{text}"
            );
        }
        // Every tampered bundle is refused.
        for scenario in [
            "tamper/artifact",
            "tamper/identity",
            "tamper/signature",
            "tamper/certificate",
        ] {
            let case = report.case(client, scenario).unwrap();
            assert_eq!(case.want, Want::Fail);
            assert_eq!(case.status, Status::Ok, "{client} {scenario}\n{text}");
        }
        // Through TUF: honest, both TUF faults refused, honest again with the same cache.
        for (scenario, want) in [
            ("tuf/verify", Want::Pass),
            ("fault/tuf-rolled-back-timestamp", Want::Fail),
            ("fault/tuf-expired-timestamp", Want::Fail),
            ("tuf/verify-after-faults", Want::Pass),
        ] {
            let case = report.case(client, scenario).unwrap();
            assert_eq!(case.want, want);
            assert_eq!(case.status, Status::Ok, "{client} {scenario}\n{text}");
            if want == Want::Fail {
                assert!(
                    case.output.contains(" served ") && !case.output.contains("served 0 time"),
                    "{client} {scenario}: the fault was never served\n{case:?}"
                );
            }
        }
        // Every rotation: signs after it, verifies the older bundle (refuses it after a
        // retirement: its CA or log left the trusted root) and the new one. The TUF root
        // rotations verify through TUF from the first root.
        for rotation in &config.rotations {
            let label = rotation.label();
            if label == "tuf-root-legacy-key-ids" && client == "sigbox" {
                continue; // below
            }
            for step in ["sign", "verify-old", "verify-new"] {
                let scenario = format!("rotate/{label}/{step}");
                let case = report.case(client, &scenario).unwrap();
                let want = if rotation.retire && step == "verify-old" {
                    Want::Fail
                } else {
                    Want::Pass
                };
                assert_eq!(case.want, want, "{client} {scenario}");
                assert_eq!(case.status, Status::Ok, "{client} {scenario}\n{text}");
            }
        }
    }
    // Our client loads TUF through tough, which refuses a root whose key IDs are not its
    // keys' hashes; python-tuf and tuf-js take them (above). Pinned.
    for step in ["verify-old", "verify-new"] {
        let scenario = format!("rotate/tuf-root-legacy-key-ids/{step}");
        let case = report.case("sigbox", &scenario).unwrap();
        assert!(
            matches!(case.status, Status::KnownGap(_)),
            "sigbox {scenario}\n{text}"
        );
        assert!(case.output.contains("Invalid key ID"), "{case:?}");
    }
    assert_eq!(
        status("sigbox", "rotate/tuf-root-legacy-key-ids/sign"),
        &Status::Ok
    );
    assert_eq!(status("sigstore-python", "cross/sigbox/dsse"), &Status::Ok);
    assert_eq!(
        status("sigstore-js", "cross/sigstore-python/dsse"),
        &Status::Ok
    );
    // The recorded gap still holds: the @sigstore/cli attest command logs intoto 0.0.2, which
    // sigstore-python 4.5.1 refuses and our client verifies.
    assert!(
        matches!(
            status("sigstore-python", "cross/sigstore-js/dsse"),
            Status::KnownGap(_)
        ),
        "sigstore-python cross/sigstore-js/dsse\n{text}"
    );
    assert_eq!(status("sigbox", "cross/sigstore-js/dsse"), &Status::Ok);
    let totals = report.totals();
    assert_eq!(totals.differences, 0, "{text}");
    assert_eq!(totals.skipped, 0, "{text}");
    // 3 clients x (4 own + 4 cross + 4 tamper + 4 TUF + 16 faults + 7 rotations x 3 + 25
    // outages) = 234.
    assert_eq!(totals.cases, 234, "{text}");
    // The intoto gap, the nine fault gaps of sigstore-python and sigstore-js, their outage
    // gaps (sigstore-python's twelve: Fulcio, Rekor, a TUF 503 and a slow TUF; sigstore-js's
    // TUF 429), and our client's two legacy key ID rows.
    assert_eq!(totals.gaps, 25, "{text}");
    assert!(report.to_junit().contains("tests=\"234\" failures=\"0\""));
    // Our client retries through a 429 and a 503, and neither hangs nor crashes under the
    // other outages.
    for outage in stack::faults::Outage::all() {
        let scenario = format!("outage/{outage}");
        let got = status("sigbox", &scenario);
        assert!(
            matches!(got, Status::Ok | Status::NotApplicable(_)),
            "sigbox {scenario}: {got:?}\n{text}"
        );
    }
    // Our client refuses every fault (the TUF ones above).
    for fault in stack::faults::Fault::ALL {
        let scenario = format!("fault/{}", fault.as_str());
        assert_eq!(
            status("sigbox", &scenario),
            &Status::Ok,
            "{scenario}\n{text}"
        );
    }
    assert!(
        report
            .to_markdown()
            .contains("| tamper/signature | refused | refused | refused |")
    );
}
