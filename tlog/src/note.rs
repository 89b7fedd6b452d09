//! C2SP signed notes (<https://c2sp.org/signed-note>): a UTF-8 text ending in a newline, a blank
//! line, then signature lines `— <name> <base64(key ID || signature)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};

/// The em dash that starts a signature line.
const DASH: &str = "\u{2014} ";
/// Upper bound on signature lines, as the spec allows verifiers to set one.
const MAX_SIGNATURES: usize = 100;

/// Signs notes.
pub trait NoteSigner {
    /// The key name (no spaces, no `+`).
    fn name(&self) -> &str;
    /// The 4-byte key ID.
    fn key_id(&self) -> [u8; 4];
    /// Signs `msg` (the note text).
    fn sign(&self, msg: &[u8]) -> Vec<u8>;
}

/// Verifies note signatures.
pub trait NoteVerifier {
    /// The key name.
    fn name(&self) -> &str;
    /// The 4-byte key ID.
    fn key_id(&self) -> [u8; 4];
    /// Whether `sig` is a valid signature of `msg`.
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool;
}

/// Why a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Not of the note format; the message says where.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// No signature by a known key.
    #[error("note has no signature from a known key")]
    UnknownKey,
    /// A signature by a known key that does not verify.
    #[error("note signature by {name} does not verify")]
    BadSignature {
        /// The key name.
        name: String,
    },
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID.
    pub key_id: [u8; 4],
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// A note and its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The text, ending in a newline.
    pub text: String,
    /// The signatures, in order.
    pub signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// Signs `text` (which must end in a newline) with every signer.
    pub fn sign(text: &str, signers: &[&dyn NoteSigner]) -> Result<Self, NoteError> {
        check_text(text)?;
        let signatures = signers
            .iter()
            .map(|s| NoteSignature {
                name: s.name().to_owned(),
                key_id: s.key_id(),
                signature: s.sign(text.as_bytes()),
            })
            .collect();
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Parses a signed note.
    pub fn parse(note: &str) -> Result<Self, NoteError> {
        let split = note
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let text = &note[..=split];
        check_text(text)?;
        let sigs = &note[split + 2..];
        if !sigs.ends_with('\n') {
            return Err(NoteError::Malformed(
                "signature block must end with a newline",
            ));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures"));
            }
            let rest = line.strip_prefix(DASH).ok_or(NoteError::Malformed(
                "signature line does not start with an em dash",
            ))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or(NoteError::Malformed("signature line has no signature"))?;
            if name.is_empty() || b64.contains(' ') {
                return Err(NoteError::Malformed(
                    "signature line is not `— name signature`",
                ));
            }
            let raw = B64
                .decode(b64)
                .map_err(|_| NoteError::Malformed("signature is not base64"))?;
            if raw.len() < 5 {
                return Err(NoteError::Malformed("signature is shorter than its key ID"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: [raw[0], raw[1], raw[2], raw[3]],
                signature: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("no signatures"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Verifies: at least one signature from a known key (same name and key ID), and every
    /// signature from a known key valid. Unknown signatures are ignored, as the spec says.
    pub fn verify(&self, verifiers: &[&dyn NoteVerifier]) -> Result<&str, NoteError> {
        let mut verified = false;
        for sig in &self.signatures {
            for v in verifiers {
                if v.name() == sig.name && v.key_id() == sig.key_id {
                    if !v.verify(self.text.as_bytes(), &sig.signature) {
                        return Err(NoteError::BadSignature {
                            name: sig.name.clone(),
                        });
                    }
                    verified = true;
                }
            }
        }
        if verified {
            Ok(&self.text)
        } else {
            Err(NoteError::UnknownKey)
        }
    }
}

impl std::fmt::Display for SignedNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for sig in &self.signatures {
            let mut raw = sig.key_id.to_vec();
            raw.extend_from_slice(&sig.signature);
            writeln!(f, "{DASH}{} {}", sig.name, B64.encode(raw))?;
        }
        Ok(())
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text must end with a newline"));
    }
    if text.contains("\n\n") || text.starts_with('\n') {
        return Err(NoteError::Malformed("text must not contain a blank line"));
    }
    Ok(())
}

/// An ECDSA P-256 note key. Its key ID is the first 4 bytes of SHA-256 of the DER
/// SubjectPublicKeyInfo: C2SP signed-note's signature type `0x02` ("the key ID for these
/// signatures is the truncated SHA-256 hash of the DER encoded public key in SPKI format"),
/// which is also what Rekor v1 writes (the prefix of its log ID) and what sigstore-python
/// matches checkpoint signatures by.
#[derive(Debug, Clone)]
pub struct EcdsaNoteKey {
    name: String,
    key_id: [u8; 4],
    verifying: VerifyingKey,
    signing: Option<SigningKey>,
}

impl EcdsaNoteKey {
    fn rekor_key_id(key: &VerifyingKey) -> [u8; 4] {
        let spki = key
            .to_public_key_der()
            .expect("a P-256 public key always encodes");
        let hash = Sha256::digest(spki.as_bytes());
        [hash[0], hash[1], hash[2], hash[3]]
    }

    /// A signer named `name`, Rekor v1 key ID.
    pub fn rekor_v1_signer(name: &str, key: SigningKey) -> Self {
        let verifying = *key.verifying_key();
        Self {
            name: name.to_owned(),
            key_id: Self::rekor_key_id(&verifying),
            verifying,
            signing: Some(key),
        }
    }

    /// A verifier named `name`, Rekor v1 key ID.
    pub fn rekor_v1_verifier(name: &str, key: VerifyingKey) -> Self {
        Self {
            name: name.to_owned(),
            key_id: Self::rekor_key_id(&key),
            verifying: key,
            signing: None,
        }
    }
}

impl NoteSigner for EcdsaNoteKey {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> [u8; 4] {
        self.key_id
    }
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let key = self
            .signing
            .as_ref()
            .expect("signing with a verifier-only note key");
        let sig: DerSignature = key.sign(msg);
        sig.as_bytes().to_vec()
    }
}

impl NoteVerifier for EcdsaNoteKey {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> [u8; 4] {
        self.key_id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        DerSignature::try_from(sig)
            .ok()
            .is_some_and(|sig| self.verifying.verify(msg, &sig).is_ok())
    }
}
