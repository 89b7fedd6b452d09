//! gitsign in the matrix beside sigbox's client library: it signs git commits against a stack
//! started here and verifies them; the DSSE rows and the cross rows between commits and
//! bundles are not applicable; each tampered commit is refused by gitsign itself (its own
//! error, not a setup failure); the gaps are the recorded ones.

use conformance::{Config, Status, Want, client_from_spec};
use stack::generations::Kind;

#[test]
fn gitsign_signs_and_verifies_commits() {
    let tools = crate::support::tools();
    let clients = ["sigbox-lib", "gitsign"]
        .iter()
        .map(|spec| {
            client_from_spec(spec, &tools, None)
                .unwrap_or_else(|e| panic!("{e:#} (run `tools/install`)"))
        })
        .collect();
    let mut config = Config::new(clients);
    config.rotations = vec![Kind::Fulcio.into(), Kind::Ctlog.into()];
    config.progress = false;
    let report = conformance::run(&config).unwrap();
    let text = report.to_text();
    let case = |scenario: &str| {
        report
            .case("gitsign", scenario)
            .unwrap_or_else(|| panic!("no case gitsign {scenario}:\n{text}"))
    };
    for scenario in [
        "sign/message",
        "verify/own-message",
        "rotate/fulcio/sign",
        "rotate/fulcio/verify-old",
        "rotate/fulcio/verify-new",
        "rotate/ctlog/sign",
        "rotate/ctlog/verify-new",
    ] {
        assert_eq!(case(scenario).status, Status::Ok, "{scenario}\n{text}");
    }
    assert!(
        case("verify/own-message")
            .output
            .contains("Validated Rekor entry: true"),
        "{text}"
    );
    // Refused by gitsign's verification, each for its own reason.
    for (scenario, why) in [
        // A commit whose tree changed under the old signature.
        (
            "tamper/artifact",
            "content digest does not match signed message digest",
        ),
        (
            "tamper/identity",
            "expected SAN value \"mallory@example.com\"",
        ),
        ("tamper/signature", "invalid signature"),
        // sigbox's certificate in the CMS: the SignerInfo names no certificate it carries.
        (
            "tamper/certificate",
            "finding signer certificate: no certificate found",
        ),
    ] {
        let c = case(scenario);
        assert_eq!((c.want, &c.status), (Want::Fail, &Status::Ok), "{text}");
        assert!(c.output.contains(why), "{scenario}: {}", c.output);
        assert!(!c.output.contains("failed:\n"), "{scenario}: {}", c.output);
    }
    for scenario in ["sign/dsse", "verify/own-dsse", "cross/sigbox/message"] {
        assert!(
            matches!(case(scenario).status, Status::NotApplicable(_)),
            "{scenario}\n{text}"
        );
    }
    let sigbox = report.case("sigbox", "cross/gitsign/message").unwrap();
    assert!(matches!(sigbox.status, Status::NotApplicable(_)), "{text}");
    assert!(
        matches!(case("rotate/ctlog/verify-old").status, Status::KnownGap(_)),
        "{text}"
    );
    let totals = report.totals();
    assert_eq!(totals.differences, 0, "{text}");
    // 2 clients x (4 own + 2 cross + 4 tamper + 4 TUF + 16 faults + 2 rotations x 3 + 25
    // outages) = 122.
    assert_eq!(totals.cases, 122, "{text}");
    // gitsign's: sign/dsse, verify/own-dsse, both cross rows, the five TSA outages (it asks
    // for no timestamp); sigbox's: both cross rows; both clients' five Rekor v2 outages.
    assert_eq!(totals.not_applicable, 21, "{text}");
    // Its TUF baseline is a known gap (its legacy TUF client starts from the embedded
    // public-good root, sigstore/gitsign#763), so the three TUF rows after it are skipped.
    assert!(
        matches!(case("tuf/verify").status, Status::KnownGap(_)),
        "{text}"
    );
    assert!(
        case("tuf/verify")
            .output
            .contains("error updating to TUF remote mirror"),
        "{text}"
    );
    // The three TUF rows after it, and its five TUF outage rows.
    assert_eq!(totals.skipped, 8, "{text}");
}
