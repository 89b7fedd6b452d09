//! Every object identifier sigbox writes or reads, in one table, named as the RFCs (and, for
//! its own arc, Fulcio's `docs/oid-info.md`) name them. Where `const-oid`'s database has one,
//! the value is the database's; the rest are declared here.

pub use const_oid::ObjectIdentifier;
use const_oid::db::{rfc4519, rfc5280, rfc5911, rfc5912, rfc6962, rfc8410};

// X.500 attribute types (RFC 4519 §2).

/// `id-at-commonName` (2.5.4.3).
pub const ID_AT_COMMON_NAME: ObjectIdentifier = rfc4519::COMMON_NAME;
/// `id-at-organizationName` (2.5.4.10).
pub const ID_AT_ORGANIZATION_NAME: ObjectIdentifier = rfc4519::ORGANIZATION_NAME;

// Certificate extensions (RFC 5280 §4.2).

/// `id-ce-subjectKeyIdentifier` (2.5.29.14).
pub const ID_CE_SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER;
/// `id-ce-keyUsage` (2.5.29.15).
pub const ID_CE_KEY_USAGE: ObjectIdentifier = rfc5280::ID_CE_KEY_USAGE;
/// `id-ce-subjectAltName` (2.5.29.17).
pub const ID_CE_SUBJECT_ALT_NAME: ObjectIdentifier = rfc5280::ID_CE_SUBJECT_ALT_NAME;
/// `id-ce-basicConstraints` (2.5.29.19).
pub const ID_CE_BASIC_CONSTRAINTS: ObjectIdentifier = rfc5280::ID_CE_BASIC_CONSTRAINTS;
/// `id-ce-authorityKeyIdentifier` (2.5.29.35).
pub const ID_CE_AUTHORITY_KEY_IDENTIFIER: ObjectIdentifier =
    rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER;
/// `id-ce-extKeyUsage` (2.5.29.37).
pub const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = rfc5280::ID_CE_EXT_KEY_USAGE;
/// `id-kp-codeSigning` (1.3.6.1.5.5.7.3.3): the extended key usage of Fulcio's leaves.
pub const ID_KP_CODE_SIGNING: ObjectIdentifier = rfc5280::ID_KP_CODE_SIGNING;
/// `id-kp-timeStamping` (1.3.6.1.5.5.7.3.8): the extended key usage of a TSA's leaf.
pub const ID_KP_TIME_STAMPING: ObjectIdentifier = rfc5280::ID_KP_TIME_STAMPING;

// Keys (RFC 5480 §2.1.1, RFC 8017 Appendix C, RFC 8410 §3).

/// `id-ecPublicKey` (1.2.840.10045.2.1).
pub const ID_EC_PUBLIC_KEY: ObjectIdentifier = rfc5912::ID_EC_PUBLIC_KEY;
/// `secp256r1`, P-256 (1.2.840.10045.3.1.7).
pub const SECP_256_R_1: ObjectIdentifier = rfc5912::SECP_256_R_1;
/// `secp384r1`, P-384 (1.3.132.0.34).
pub const SECP_384_R_1: ObjectIdentifier = rfc5912::SECP_384_R_1;
/// `secp521r1`, P-521 (1.3.132.0.35).
pub const SECP_521_R_1: ObjectIdentifier = rfc5912::SECP_521_R_1;
/// `rsaEncryption` (1.2.840.113549.1.1.1).
pub const RSA_ENCRYPTION: ObjectIdentifier = rfc5912::RSA_ENCRYPTION;
/// `id-Ed25519` (1.3.101.112).
pub const ID_ED_25519: ObjectIdentifier = rfc8410::ID_ED_25519;

// Signature and digest algorithms (RFC 5758 §3.2, RFC 8017 Appendix C, RFC 5754 §2).

/// `ecdsa-with-SHA256` (1.2.840.10045.4.3.2).
pub const ECDSA_WITH_SHA_256: ObjectIdentifier = rfc5912::ECDSA_WITH_SHA_256;
/// `ecdsa-with-SHA384` (1.2.840.10045.4.3.3).
pub const ECDSA_WITH_SHA_384: ObjectIdentifier = rfc5912::ECDSA_WITH_SHA_384;
/// `ecdsa-with-SHA512` (1.2.840.10045.4.3.4).
pub const ECDSA_WITH_SHA_512: ObjectIdentifier = rfc5912::ECDSA_WITH_SHA_512;
/// `sha256WithRSAEncryption` (1.2.840.113549.1.1.11).
pub const SHA_256_WITH_RSA_ENCRYPTION: ObjectIdentifier = rfc5912::SHA_256_WITH_RSA_ENCRYPTION;
/// `sha384WithRSAEncryption` (1.2.840.113549.1.1.12).
pub const SHA_384_WITH_RSA_ENCRYPTION: ObjectIdentifier = rfc5912::SHA_384_WITH_RSA_ENCRYPTION;
/// `sha512WithRSAEncryption` (1.2.840.113549.1.1.13).
pub const SHA_512_WITH_RSA_ENCRYPTION: ObjectIdentifier = rfc5912::SHA_512_WITH_RSA_ENCRYPTION;
/// `id-RSASSA-PSS` (1.2.840.113549.1.1.10).
pub const ID_RSASSA_PSS: ObjectIdentifier = rfc5912::ID_RSASSA_PSS;
/// `id-sha256` (2.16.840.1.101.3.4.2.1).
pub const ID_SHA_256: ObjectIdentifier = rfc5912::ID_SHA_256;
/// `id-sha384` (2.16.840.1.101.3.4.2.2).
pub const ID_SHA_384: ObjectIdentifier = rfc5912::ID_SHA_384;
/// `id-sha512` (2.16.840.1.101.3.4.2.3).
pub const ID_SHA_512: ObjectIdentifier = rfc5912::ID_SHA_512;

// CMS and timestamps (RFC 5652 §5.1 and §11, RFC 5035 §3, RFC 3161 §2.4.2).

/// `id-signedData` (1.2.840.113549.1.7.2).
pub const ID_SIGNED_DATA: ObjectIdentifier = rfc5911::ID_SIGNED_DATA;
/// `id-contentType`, the signed attribute (1.2.840.113549.1.9.3).
pub const ID_CONTENT_TYPE: ObjectIdentifier = rfc5911::ID_CONTENT_TYPE;
/// `id-messageDigest`, the signed attribute (1.2.840.113549.1.9.4).
pub const ID_MESSAGE_DIGEST: ObjectIdentifier = rfc5911::ID_MESSAGE_DIGEST;
/// `id-aa-signingCertificateV2` (1.2.840.113549.1.9.16.2.47).
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier = rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2;
/// `id-ct-TSTInfo`, the content type of a timestamp token (1.2.840.113549.1.9.16.1.4); not in
/// `const-oid`'s database.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

// Certificate transparency (RFC 6962 §3.1, §3.3).

/// The precertificate poison extension (1.3.6.1.4.1.11129.2.4.3), critical, value NULL.
pub const CT_PRECERT_POISON: ObjectIdentifier = rfc6962::CT_PRECERT_POISON;
/// The embedded SCT list extension (1.3.6.1.4.1.11129.2.4.2).
pub const CT_PRECERT_SCTS: ObjectIdentifier = rfc6962::CT_PRECERT_SCTS;

// Sigstore's arc, 1.3.6.1.4.1.57264 (Fulcio's `docs/oid-info.md`).

/// Fulcio's certificate extensions, `1.3.6.1.4.1.57264.1.<n>`; see [`fulcio_extension`].
pub const FULCIO_EXTENSIONS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1");
/// `Issuer` (1.3.6.1.4.1.57264.1.1), deprecated: the OIDC issuer as raw bytes.
pub const FULCIO_ISSUER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// `OtherName` SAN type (1.3.6.1.4.1.57264.1.7): a username identity, UTF8String.
pub const FULCIO_OTHER_NAME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");
/// `Issuer (V2)` (1.3.6.1.4.1.57264.1.8): the OIDC issuer, a DER UTF8String.
pub const FULCIO_ISSUER_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// The policy sigbox's TSA issues timestamps under (1.3.6.1.4.1.57264.2.9999): an arc of its
/// own under Sigstore's, for testing only.
pub const SIGBOX_TSA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.2.9999");

/// Fulcio's extension `1.3.6.1.4.1.57264.1.<arc>`.
pub fn fulcio_extension(arc: u32) -> ObjectIdentifier {
    // The base has 9 arcs; const-oid refuses only OIDs longer than 39 bytes.
    FULCIO_EXTENSIONS
        .push_arc(arc)
        .expect("a 10-arc OID always fits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_ones_are_the_dotted_strings_they_say() {
        for (oid, dotted) in [
            (ID_CT_TST_INFO, "1.2.840.113549.1.9.16.1.4"),
            (FULCIO_ISSUER, "1.3.6.1.4.1.57264.1.1"),
            (FULCIO_OTHER_NAME, "1.3.6.1.4.1.57264.1.7"),
            (FULCIO_ISSUER_V2, "1.3.6.1.4.1.57264.1.8"),
            (SIGBOX_TSA_POLICY, "1.3.6.1.4.1.57264.2.9999"),
            (CT_PRECERT_POISON, "1.3.6.1.4.1.11129.2.4.3"),
            (CT_PRECERT_SCTS, "1.3.6.1.4.1.11129.2.4.2"),
            (ID_SHA_256, "2.16.840.1.101.3.4.2.1"),
            (ECDSA_WITH_SHA_256, "1.2.840.10045.4.3.2"),
        ] {
            assert_eq!(oid.to_string(), dotted);
        }
        assert_eq!(fulcio_extension(8), FULCIO_ISSUER_V2);
        assert_eq!(fulcio_extension(1).to_string(), "1.3.6.1.4.1.57264.1.1");
    }
}
