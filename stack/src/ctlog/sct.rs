//! RFC 6962's TLS-encoded structures: the signed entry, the Merkle tree leaf, the SCT, the
//! signed tree head input and the SCT list that goes into a certificate.

/// `LogEntryType` (RFC 6962 §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedEntry {
    /// `x509_entry`: the DER certificate.
    X509(Vec<u8>),
    /// `precert_entry`: SHA-256 of the issuer's SPKI, and the precertificate's TBS with the
    /// poison extension removed.
    Precert {
        /// SHA-256 of the issuing CA's DER SubjectPublicKeyInfo.
        issuer_key_hash: [u8; 32],
        /// The DER TBSCertificate without the poison extension.
        tbs: Vec<u8>,
    },
}

/// `SignatureType.certificate_timestamp` / `Version.v1` / `MerkleLeafType.timestamped_entry`
/// are all 0, so the SCT's signed input and the Merkle leaf share their bytes.
const V1: u8 = 0;
const CERTIFICATE_TIMESTAMP: u8 = 0;
const TREE_HASH: u8 = 1;
const TIMESTAMPED_ENTRY: u8 = 0;
/// `DigitallySigned`: HashAlgorithm.sha256 (4), SignatureAlgorithm.ecdsa (3).
const SHA256: u8 = 4;
const ECDSA: u8 = 3;

pub(crate) fn put_u24(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("checked below 2^24 by the caller");
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(bytes);
}

fn put_u16(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).expect("SCT fields are short");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

impl SignedEntry {
    fn entry_type(&self) -> u16 {
        match self {
            Self::X509(_) => 0,
            Self::Precert { .. } => 1,
        }
    }

    /// `entry_type` followed by the entry body, as both the leaf and the SCT input carry it.
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.entry_type().to_be_bytes());
        match self {
            Self::X509(cert) => put_u24(out, cert),
            Self::Precert {
                issuer_key_hash,
                tbs,
            } => {
                out.extend_from_slice(issuer_key_hash);
                put_u24(out, tbs);
            }
        }
    }

    /// What duplicate submissions have in common (everything but the timestamp).
    pub(crate) fn identity(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.put(&mut out);
        out
    }

    /// The `MerkleTreeLeaf` (RFC 6962 §3.4) of this entry at `timestamp` (ms), no extensions.
    pub fn leaf(&self, timestamp: u64) -> Vec<u8> {
        let mut out = vec![V1, TIMESTAMPED_ENTRY];
        out.extend_from_slice(&timestamp.to_be_bytes());
        self.put(&mut out);
        put_u16(&mut out, &[]);
        out
    }

    /// The bytes an SCT signs (RFC 6962 §3.2), no extensions.
    pub fn sct_input(&self, timestamp: u64) -> Vec<u8> {
        let mut out = vec![V1, CERTIFICATE_TIMESTAMP];
        out.extend_from_slice(&timestamp.to_be_bytes());
        self.put(&mut out);
        put_u16(&mut out, &[]);
        out
    }
}

/// The timestamp of a stored leaf (bytes 2..10 of a `MerkleTreeLeaf`).
pub(crate) fn leaf_timestamp(leaf: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(leaf.get(2..10)?.try_into().ok()?))
}

/// The input of a signed tree head's signature (RFC 6962 §3.5).
pub(crate) fn tree_head_input(timestamp: u64, size: u64, root: &[u8; 32]) -> Vec<u8> {
    let mut out = vec![V1, TREE_HASH];
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(root);
    out
}

/// A `DigitallySigned` ECDSA-SHA256 signature (RFC 5246 §4.7).
pub(crate) fn digitally_signed(der_sig: &[u8]) -> Vec<u8> {
    let mut out = vec![SHA256, ECDSA];
    put_u16(&mut out, der_sig);
    out
}

/// A v1 signed certificate timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// SHA-256 of the log's DER public key.
    pub log_id: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// The DER ECDSA signature over [`SignedEntry::sct_input`].
    pub signature: Vec<u8>,
}

impl Sct {
    /// The TLS encoding (RFC 6962 §3.2 `SignedCertificateTimestamp`).
    pub fn to_tls(&self) -> Vec<u8> {
        let mut out = vec![V1];
        out.extend_from_slice(&self.log_id);
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        put_u16(&mut out, &[]);
        out.extend_from_slice(&digitally_signed(&self.signature));
        out
    }

    /// The answer of `add-chain` / `add-pre-chain` (RFC 6962 §4.1).
    pub fn to_response(&self) -> formats::ct::AddChainResponse {
        formats::ct::AddChainResponse {
            extensions: String::new(),
            id: self.log_id,
            sct_version: V1,
            signature: digitally_signed(&self.signature),
            timestamp: self.timestamp,
        }
    }

    /// The `SignedCertificateTimestampList` (RFC 6962 §3.3) of these SCTs: what the
    /// certificate extension 1.3.6.1.4.1.11129.2.4.2 wraps in an OCTET STRING.
    pub fn list(scts: &[Sct]) -> Vec<u8> {
        let mut inner = Vec::new();
        for sct in scts {
            put_u16(&mut inner, &sct.to_tls());
        }
        let mut out = Vec::new();
        put_u16(&mut out, &inner);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_and_sct_input_share_their_layout() {
        let e = SignedEntry::Precert {
            issuer_key_hash: [7; 32],
            tbs: vec![1, 2, 3],
        };
        let leaf = e.leaf(0x0102_0304_0506_0708);
        // version, leaf type, timestamp, entry type 1, key hash, u24 length 3, tbs, no exts.
        let mut want = vec![0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1];
        want.extend_from_slice(&[7; 32]);
        want.extend_from_slice(&[0, 0, 3, 1, 2, 3, 0, 0]);
        assert_eq!(leaf, want);
        assert_eq!(e.sct_input(0x0102_0304_0506_0708), want);
        assert_eq!(leaf_timestamp(&leaf), Some(0x0102_0304_0506_0708));
    }

    #[test]
    fn sct_tls_encoding() {
        let sct = Sct {
            log_id: [9; 32],
            timestamp: 1,
            signature: vec![0x30, 0x00],
        };
        let tls = sct.to_tls();
        assert_eq!(tls.len(), 1 + 32 + 8 + 2 + 2 + 2 + 2);
        assert_eq!(&tls[41..], &[0, 0, 4, 3, 0, 2, 0x30, 0x00]);
        let list = Sct::list(&[sct]);
        // u16 list length (2 + 49), then u16 SCT length 49.
        assert_eq!(&list[..4], &[0, 51, 0, 49]);
    }
}
