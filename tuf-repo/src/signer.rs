//! TUF keys for P-256 signing keys: the `ecdsa` / `ecdsa-sha2-nistp256` key python-tuf
//! (securesystemslib) and tough both read, and deterministic signatures.
//!
//! tough's own `Sign` impl for ECDSA goes through aws-lc-rs, whose ECDSA draws a random nonce, so
//! two runs would sign differently. [`P256Signer`] signs with RFC 6979 nonces (p256's
//! `SigningKey`) and ignores the RNG tough hands it.

use std::collections::HashMap;
use std::fmt;

use aws_lc_rs::rand::SecureRandom;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use tough::schema::decoded::{Decoded, Hex};
use tough::schema::key::{EcdsaKey, EcdsaScheme, Key};

/// How a key's ID is computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyIds {
    /// The SHA-256 of the key's canonical JSON as published (TUF spec §4.2), which tough
    /// checks on every key it reads.
    #[default]
    Strict,
    /// The SHA-256 of the key with `keyid_hash_algorithms: ["sha256", "sha512"]` added, the
    /// form the early root-signing tooling hashed, published without it: an ID that is not the
    /// key's, as root-signing's v8 and v11 roots had (root-signing#1437). python-tuf, go-tuf
    /// and tuf-js take keys by their ID and do not recompute it; tough refuses the root.
    Legacy,
}

/// A P-256 signing key seen as a TUF key.
#[derive(Clone)]
pub struct P256Signer {
    key: SigningKey,
    tuf_key: Key,
    key_id: Decoded<Hex>,
}

impl fmt::Debug for P256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("P256Signer")
            .field("key_id", &self.key_id_hex())
            .finish()
    }
}

impl P256Signer {
    /// Wraps `key`. The TUF key is `{"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256",
    /// "keyval": {"public": <PEM SubjectPublicKeyInfo>}}`, the form sigstore's root-signing
    /// repository and securesystemslib use; its key ID is the SHA-256 of that object's canonical
    /// JSON (TUF spec §4.2 "KEYID"), computed by tough.
    pub fn new(key: SigningKey) -> Self {
        let point = key.verifying_key().to_sec1_point(false);
        let tuf_key = Key::Ecdsa {
            // tough stores the raw SEC1 point and writes it as a PEM SPKI.
            keyval: EcdsaKey {
                public: point.as_bytes().to_vec().into(),
                _extra: HashMap::new(),
            },
            scheme: EcdsaScheme::EcdsaSha2Nistp256,
            _extra: HashMap::new(),
        };
        // Serialising a key of strings into canonical JSON cannot fail.
        let key_id = tuf_key.key_id().expect("a TUF key always serialises");
        Self {
            key,
            tuf_key,
            key_id,
        }
    }

    /// Wraps `key` as [`Self::new`] does, its key ID computed the `ids` way.
    pub fn with_key_ids(key: SigningKey, ids: KeyIds) -> Self {
        let mut signer = Self::new(key);
        if ids == KeyIds::Legacy {
            // The key as go-tuf 0.x and the first root-signing tooling hashed it: with
            // `keyid_hash_algorithms`, which the published key does not carry.
            let mut hashed = signer.tuf_key.clone();
            if let Key::Ecdsa { _extra, .. } = &mut hashed {
                _extra.insert(
                    "keyid_hash_algorithms".to_owned(),
                    serde_json::json!(["sha256", "sha512"]),
                );
            }
            signer.key_id = hashed.key_id().expect("a TUF key always serialises");
        }
        signer
    }

    /// The wrapped signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The TUF key.
    pub fn tuf_key(&self) -> &Key {
        &self.tuf_key
    }

    /// The TUF key ID.
    pub fn key_id(&self) -> &Decoded<Hex> {
        &self.key_id
    }

    /// The key ID as lowercase hex.
    pub fn key_id_hex(&self) -> String {
        hex::encode(&*self.key_id)
    }

    /// ECDSA P-256 over SHA-256 of `msg`, RFC 6979 nonce, DER-encoded (the signature form
    /// securesystemslib's `ecdsa-sha2-nistp256` scheme verifies).
    pub fn sign_der(&self, msg: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(msg);
        sig.to_der().as_bytes().to_vec()
    }
}

/// tough's signing trait, so tough's own editor can sign with these keys too.
#[tough::async_trait]
impl tough::sign::Sign for P256Signer {
    fn tuf_key(&self) -> Key {
        self.tuf_key.clone()
    }

    async fn sign(
        &self,
        msg: &[u8],
        _rng: &(dyn SecureRandom + Sync),
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync + 'static>> {
        Ok(self.sign_der(msg))
    }
}

/// tough's key source: hands out the in-memory key; the key is never written back.
#[tough::async_trait]
impl tough::key_source::KeySource for P256Signer {
    async fn as_sign(
        &self,
    ) -> Result<Box<dyn tough::sign::Sign>, Box<dyn std::error::Error + Send + Sync + 'static>>
    {
        Ok(Box::new(self.clone()))
    }

    async fn write(
        &self,
        _value: &str,
        _key_id_hex: &str,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync + 'static>> {
        Err("sigbox keys derive from the seed and are never written".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tough::sign::Sign as _;

    fn signer() -> P256Signer {
        P256Signer::new(SigningKey::from_slice(&[7; 32]).unwrap())
    }

    #[test]
    fn signing_is_deterministic_and_ignores_the_rng() {
        let s = signer();
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let via_tough = futures_lite_block_on(s.sign(b"msg", &rng)).unwrap();
        assert_eq!(via_tough, s.sign_der(b"msg"));
        assert_eq!(s.sign_der(b"msg"), signer().sign_der(b"msg"));
        // DER SEQUENCE, as securesystemslib's ecdsa-sha2-nistp256 expects.
        assert_eq!(via_tough[0], 0x30);
    }

    #[test]
    fn key_is_ecdsa_pem_and_id_is_stable() {
        let json = serde_json::to_value(signer().tuf_key()).unwrap();
        assert_eq!(json["keytype"], "ecdsa");
        assert_eq!(json["scheme"], "ecdsa-sha2-nistp256");
        assert!(
            json["keyval"]["public"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        assert_eq!(signer().key_id_hex().len(), 64);
        assert_eq!(signer().key_id_hex(), signer().key_id_hex());
    }

    /// Our `sign` future never waits, so one poll with a no-op waker finishes it.
    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("P256Signer::sign waited"),
        }
    }
}
