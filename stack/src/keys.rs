//! Every key of the stack, derived from the seed.
//!
//! A key is named by its [`Role`] and a generation (rotation bumps it). The derivation is two
//! published constructions back to back, so nothing here is home-made:
//!
//! 1. HKDF-SHA256 (RFC 5869) with the seed as input keying material, the fixed salt
//!    [`HKDF_SALT`] and the label `sigbox/<role>/<generation>` as info gives a 32-byte key seed;
//! 2. C2SP det-keygen (<https://c2sp.org/det-keygen>, ECDSA, P-256) turns that key seed into a
//!    P-256 private key, by HMAC_DRBG and rejection sampling as FIPS 186-5 A.2.2 describes.
//!
//! Same seed, same role, same generation: same key, on every machine. These keys are for
//! testing only; anyone who knows the seed (and it is printed at start-up) can sign as the stack.

use std::fmt;

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use p256::ecdsa::SigningKey;
use sha2::Sha256;

/// The HKDF salt. Changing it changes every key of every stack: never do it casually.
pub const HKDF_SALT: &[u8] = b"sigbox key derivation v1";

/// What a key is for. The label of each role is part of the derivation: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The CT log's signing key.
    Ctlog,
    /// Fulcio's intermediate CA, which signs leaf certificates.
    FulcioIntermediate,
    /// Fulcio's root CA.
    FulcioRoot,
    /// The fake OIDC issuer's token signing key.
    Oidc,
    /// Secrets of the fake OIDC issuer (authorization codes, device codes).
    OidcSecret,
    /// The admin bearer token.
    Admin,
    /// The Rekor v1 log (one generation per shard).
    Rekor,
    /// The Rekor v2 (tiles) log.
    RekorV2,
    /// The timestamp authority's signing (leaf) key.
    TsaLeaf,
    /// The timestamp authority's root CA.
    TsaRoot,
    /// TUF root role.
    TufRoot,
    /// TUF snapshot role.
    TufSnapshot,
    /// TUF targets role.
    TufTargets,
    /// TUF timestamp role.
    TufTimestamp,
}

impl Role {
    /// The label used in the derivation.
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Ctlog => "ctlog",
            Self::FulcioIntermediate => "fulcio/intermediate",
            Self::FulcioRoot => "fulcio/root",
            Self::Oidc => "oidc",
            Self::OidcSecret => "oidc/secret",
            Self::Rekor => "rekor",
            Self::RekorV2 => "rekor-v2",
            Self::TsaLeaf => "tsa/leaf",
            Self::TsaRoot => "tsa/root",
            Self::TufRoot => "tuf/root",
            Self::TufSnapshot => "tuf/snapshot",
            Self::TufTargets => "tuf/targets",
            Self::TufTimestamp => "tuf/timestamp",
        }
    }
}

/// The seed of keys no trust root lists, for the `*-unknown-*` faults (Fulcio, Rekor v1 and
/// v2, the TSA all forge with keys from it).
pub(crate) const IMPOSTOR_SEED: &str = "sigbox fault: an impostor nobody trusts";
/// The impostors' generation number: it shows in their names (`...-9999`).
pub(crate) const IMPOSTOR_GENERATION: u32 = 9999;

/// Derives the stack's keys from its seed.
#[derive(Clone)]
pub struct KeyRing {
    seed: Vec<u8>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing").finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A key ring for `seed` (any string; `sigbox` by default).
    pub fn new(seed: &str) -> Self {
        Self {
            seed: seed.as_bytes().to_vec(),
        }
    }

    /// 32 bytes of keying material for `role` at `generation` (HKDF-SHA256, RFC 5869).
    pub fn secret(&self, role: Role, generation: u32) -> [u8; 32] {
        let info = format!("sigbox/{}/{generation}", role.label());
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.seed);
        let mut out = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's 255 * 32 byte limit: cannot fail.
        hk.expand(info.as_bytes(), &mut out)
            .expect("32-byte HKDF output is always in range");
        out
    }

    /// The P-256 signing key of `role` at `generation`.
    pub fn signing_key(&self, role: Role, generation: u32) -> SigningKey {
        det_keygen_p256(&self.secret(role, generation))
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// C2SP det-keygen for P-256 (<https://c2sp.org/det-keygen>, section "ECDSA").
///
/// `seed` must be at least 16 bytes (our HKDF output is 32).
pub fn det_keygen_p256(seed: &[u8]) -> SigningKey {
    assert!(
        seed.len() >= 16,
        "det-keygen: seed must be at least 16 bytes"
    );
    const PERSONALIZATION: &[u8] = b"det ECDSA key gen P-256";
    // Steps 2-7: HMAC_DRBG instantiation (SP 800-90A 10.1.2.3).
    let mut k = [0u8; 32];
    let mut v = [1u8; 32];
    k = hmac(&k, &[&v, &[0x00], seed, PERSONALIZATION]);
    v = hmac(&k, &[&v]);
    k = hmac(&k, &[&v, &[0x01], seed, PERSONALIZATION]);
    v = hmac(&k, &[&v]);
    // Steps 8-10: one block of output is len(n) for P-256; bits2int is the identity here.
    v = hmac(&k, &[&v]);
    if let Ok(key) = SigningKey::from_slice(&v) {
        return key;
    }
    // Step 11: d >= n (or 0), retry once with a reseeded DRBG.
    k = hmac(&k, &[&v, &[0x00]]);
    v = hmac(&k, &[&v]);
    v = hmac(&k, &[&v]);
    // Step 12: a second failure has probability below 2^-64 and no known seed reaches it.
    SigningKey::from_slice(&v).expect("det-keygen: second P-256 candidate out of range")
}

/// A log key's DER SubjectPublicKeyInfo and its log ID (SHA-256 of that DER, RFC 6962 §3.2's
/// `LogID`, which Rekor uses too).
pub(crate) fn log_identity(key: &SigningKey) -> anyhow::Result<(Vec<u8>, [u8; 32])> {
    use p256::pkcs8::EncodePublicKey;
    use sha2::Digest;
    let spki = key
        .verifying_key()
        .to_public_key_der()
        .map_err(|e| anyhow::anyhow!("encoding a log key: {e}"))?
        .into_vec();
    let id = sha2::Sha256::digest(&spki).into();
    Ok((spki, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::EncodePublicKey;

    #[test]
    fn same_seed_same_keys_and_roles_differ() {
        let a = KeyRing::new("sigbox");
        let b = KeyRing::new("sigbox");
        let ka = a.signing_key(Role::Rekor, 0);
        assert_eq!(ka.to_bytes(), b.signing_key(Role::Rekor, 0).to_bytes());
        assert_ne!(ka.to_bytes(), a.signing_key(Role::Rekor, 1).to_bytes());
        assert_ne!(ka.to_bytes(), a.signing_key(Role::Ctlog, 0).to_bytes());
        assert_ne!(
            ka.to_bytes(),
            KeyRing::new("other").signing_key(Role::Rekor, 0).to_bytes()
        );
    }

    /// The spec's retry seed: its first candidate is out of range, so step 11 must run.
    #[test]
    fn det_keygen_retry_seed_takes_the_second_candidate() {
        let seed = hex::decode("b432f9be30890480298218510559aed7").unwrap();
        // Replay steps 2-10 by hand: the first candidate must be rejected.
        let p = b"det ECDSA key gen P-256";
        let mut k = hmac(&[0u8; 32], &[&[1u8; 32], &[0x00], &seed, p]);
        let mut v = hmac(&k, &[&[1u8; 32]]);
        k = hmac(&k, &[&v, &[0x01], &seed, p]);
        v = hmac(&k, &[&v]);
        v = hmac(&k, &[&v]);
        assert!(
            SigningKey::from_slice(&v).is_err(),
            "first candidate should be >= n"
        );
        let key = det_keygen_p256(&seed);
        assert_ne!(key.to_bytes().as_slice(), v.as_slice());
    }

    /// Known answers for our own derivation, so an accidental change of any step shows up.
    /// Regenerate only on purpose: every published trust root of every user changes with it.
    #[test]
    fn derivation_known_answers() {
        let ring = KeyRing::new("sigbox");
        let spki = ring
            .signing_key(Role::Rekor, 0)
            .verifying_key()
            .to_public_key_der()
            .unwrap();
        let got = hex::encode(sha2::Sha256::digest_bytes(spki.as_bytes()));
        assert_eq!(got, KNOWN_REKOR_0_SPKI_SHA256);
    }

    /// Computed by an independent Python implementation of the two steps (the `cryptography`
    /// package's HKDF and EC arithmetic, the DRBG written from the spec).
    const KNOWN_REKOR_0_SPKI_SHA256: &str =
        "7d69673681ea6338ed6ad7d2b07ece915b74757a09016404558802f9502de1d7";

    #[test]
    fn det_keygen_known_answers() {
        for (seed, want) in [
            (
                "42424242424242424242424242424242",
                "15700ff8c638dc511c611a61ff1b6745ea6f6e04d99ecdd8a5de2cdca1c6d8f5",
            ),
            (
                "b432f9be30890480298218510559aed7",
                "8e33078565bd7d1f9f81011fa8b788632af840074ab0eb31f8022b77547d61f3",
            ),
        ] {
            let key = det_keygen_p256(&hex::decode(seed).unwrap());
            assert_eq!(hex::encode(key.to_bytes()), want, "seed {seed}");
        }
    }

    trait DigestBytes {
        fn digest_bytes(data: &[u8]) -> [u8; 32];
    }
    impl DigestBytes for sha2::Sha256 {
        fn digest_bytes(data: &[u8]) -> [u8; 32] {
            use sha2::Digest;
            sha2::Sha256::digest(data).into()
        }
    }
}
