//! Signed notes and checkpoints: round trips, and every way a note can be wrong.

use p256::ecdsa::SigningKey;
use tlog::checkpoint::{Checkpoint, CheckpointError};
use tlog::leaf_hash;
use tlog::note::{EcdsaNoteKey, NoteError, SignedNote};

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

fn checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "log.example - 1234".into(),
        size: 42,
        root: leaf_hash(b"root"),
        extensions: vec![],
    }
}

#[test]
fn checkpoint_round_trips() {
    let signer = EcdsaNoteKey::rekor_v1_signer("log.example", key(1));
    let verifier = EcdsaNoteKey::rekor_v1_verifier("log.example", *key(1).verifying_key());
    let note = checkpoint().sign(&signer);
    assert!(note.starts_with("log.example - 1234\n42\n"));
    assert!(note.contains("\n\n\u{2014} log.example "));
    let opened = Checkpoint::open(&note, &verifier, "log.example - 1234").unwrap();
    assert_eq!(opened, checkpoint());
    // Deterministic signatures: the same checkpoint gives the same note.
    assert_eq!(note, checkpoint().sign(&signer));
    let with_ext = Checkpoint {
        extensions: vec!["Timestamp: 1".into()],
        ..checkpoint()
    };
    let parsed = Checkpoint::parse(&with_ext.to_text()).unwrap();
    assert_eq!(parsed, with_ext);
}

#[test]
fn rejects_wrong_signature_wrong_key_and_wrong_origin() {
    let signer = EcdsaNoteKey::rekor_v1_signer("log.example", key(1));
    let note = checkpoint().sign(&signer);
    let right = EcdsaNoteKey::rekor_v1_verifier("log.example", *key(1).verifying_key());
    let other = EcdsaNoteKey::rekor_v1_verifier("log.example", *key(2).verifying_key());
    assert!(matches!(
        Checkpoint::open(&note, &other, "log.example - 1234"),
        Err(CheckpointError::Note(NoteError::UnknownKey))
    ));
    let err = Checkpoint::open(&note, &right, "other.example - 1").unwrap_err();
    assert!(err.to_string().contains("origin"), "{err}");
    // A signature over another text, with the right key ID, is a bad signature.
    let tampered = note.replacen("\n42\n", "\n43\n", 1);
    assert!(matches!(
        Checkpoint::open(&tampered, &right, "log.example - 1234"),
        Err(CheckpointError::Note(NoteError::BadSignature { .. }))
    ));
    // A signature that is the right one for another key, under our key ID.
    let forged_signer = EcdsaNoteKey::rekor_v1_signer("log.example", key(2));
    let mut forged = SignedNote::parse(&checkpoint().sign(&forged_signer)).unwrap();
    forged.signatures[0].key_id = SignedNote::parse(&note).unwrap().signatures[0].key_id;
    assert!(matches!(
        Checkpoint::open(&forged.to_string(), &right, "log.example - 1234"),
        Err(CheckpointError::Note(NoteError::BadSignature { .. }))
    ));
}

#[test]
fn rejects_malformed_notes_and_bodies() {
    let right = EcdsaNoteKey::rekor_v1_verifier("log.example", *key(1).verifying_key());
    for bad in [
        "",
        "no blank line\n",
        "text\n\n",
        "text\n\n\u{2014} name\n",
        "text\n\n\u{2014} name !!notbase64!!\n",
        "text\n\n\u{2014} name AAAA\n",
        "text\n\n- name AAAAAAAA\n",
        "text\n\n\u{2014} name AAAAAAAA",
    ] {
        assert!(SignedNote::parse(bad).is_err(), "{bad:?}");
        assert!(Checkpoint::open(bad, &right, "x").is_err());
    }
    for bad in [
        "origin\n042\nAAAA\n",
        "origin\n-1\nAAAA\n",
        "\n1\nAAAA\n",
        "origin\n1\nnot-a-hash\n",
        "origin\n1\n",
        "origin\n1\nz1OCbA9+Lc8RB1nsMVvCGfxSrM8TTUX0Sh6fE7bDlWk=",
    ] {
        assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
    }
}
