"""Requests a certificate from a sigbox Fulcio with sigstore-python's own Fulcio client (the CSR
its Signer builds, the request its FulcioClient sends) and checks the embedded SCT with its own
verifier, against the CT log key given on the command line.

usage: fulcio_sct.py FULCIO_URL TOKEN CT_KEY_DER_B64 [honest|wrong-key]
Exits 0 when sigstore-python accepts the SCT, 1 (with its error) when it refuses it.
"""

import base64
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore._internal.fulcio.client import FulcioClient
from sigstore._internal.sct import verify_sct
from sigstore._internal.trust import CTKeyring, Keyring
from sigstore.errors import VerificationError
from sigstore.oidc import IdentityToken
from sigstore_models.common import v1 as common_v1

url, token, ct_key_b64 = sys.argv[1:4]
mode = sys.argv[4] if len(sys.argv) > 4 else "honest"

if mode == "wrong-key":
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    ct_key_b64 = base64.b64encode(
        other.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()

identity = IdentityToken(token)
key = ec.generate_private_key(ec.SECP256R1())
# The CSR exactly as sigstore-python's Signer builds it.
csr = (
    x509.CertificateSigningRequestBuilder()
    .subject_name(x509.Name([]))
    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    .sign(key, hashes.SHA256())
)
response = FulcioClient(url).signing_cert.post(csr, identity)
cert, chain = response.cert, response.chain
assert cert.public_key().public_numbers() == key.public_key().public_numbers()

public_key = common_v1.PublicKey.model_validate_json(
    json.dumps({"rawBytes": ct_key_b64, "keyDetails": "PKIX_ECDSA_P256_SHA_256"})
)
try:
    verify_sct(cert, chain, CTKeyring(Keyring([public_key])))
except VerificationError as e:
    print(f"refused: {e}")
    sys.exit(1)
san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
print(f"verified SCT for {san.get_values_for_type(x509.RFC822Name)} chain {len(chain)}")
