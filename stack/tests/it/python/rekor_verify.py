"""Submits a hashedrekord entry to a sigbox stack and verifies the answer with sigstore-python's
own transparency-log code (SET, Merkle inclusion proof, signed checkpoint).

usage: rekor_verify.py URL [dsse|tamper-set|tamper-proof|tamper-checkpoint]
Exits 0 when sigstore-python accepts the entry, 1 (with its error) when it refuses it.
"""

import base64
import hashlib
import json
import sys
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore._internal.trust import Keyring, RekorKeyring
from sigstore.errors import VerificationError
from sigstore.models import TransparencyLogEntry
from sigstore_models.common import v1 as common_v1

url = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "honest"

key = ec.generate_private_key(ec.SECP256R1())
artifact = b"hello sigbox " + mode.encode()
signature = key.sign(artifact, ec.ECDSA(hashes.SHA256()))
pem = key.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
proposal = {
    "apiVersion": "0.0.1",
    "kind": "hashedrekord",
    "spec": {
        "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(artifact).hexdigest()}},
        "signature": {
            "content": base64.b64encode(signature).decode(),
            "publicKey": {"content": base64.b64encode(pem).decode()},
        },
    },
}
if mode == "dsse":
    statement = json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "a.txt", "digest": {"sha256": hashlib.sha256(artifact).hexdigest()}}],
            "predicateType": "https://sigbox.test/predicate/v1",
            "predicate": {},
        }
    ).encode()
    payload_type = "application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (
        len(payload_type), payload_type.encode(), len(statement), statement
    )
    envelope = json.dumps(
        {
            "payload": base64.b64encode(statement).decode(),
            "payloadType": payload_type,
            "signatures": [{"sig": base64.b64encode(key.sign(pae, ec.ECDSA(hashes.SHA256()))).decode()}],
        }
    )
    proposal = {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": {
                "envelope": envelope,
                "verifiers": [base64.b64encode(pem).decode()],
            }
        },
    }
request = urllib.request.Request(
    url + "/api/v1/log/entries",
    data=json.dumps(proposal).encode(),
    headers={"Content-Type": "application/json"},
)
response = json.load(urllib.request.urlopen(request))
(uuid, entry), = response.items()
if mode == "tamper-set":
    entry["integratedTime"] += 1
elif mode == "tamper-proof":
    proof = entry["verification"]["inclusionProof"]
    proof["rootHash"] = hashlib.sha256(b"another root").hexdigest()
elif mode == "tamper-checkpoint":
    proof = entry["verification"]["inclusionProof"]
    proof["checkpoint"] = proof["checkpoint"].replace("\n", "\nx", 1)

log_key = serialization.load_pem_public_key(
    urllib.request.urlopen(url + "/api/v1/log/publicKey").read()
)
spki = log_key.public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)
public_key = common_v1.PublicKey.model_validate_json(
    json.dumps(
        {"rawBytes": base64.b64encode(spki).decode(), "keyDetails": "PKIX_ECDSA_P256_SHA_256"}
    )
)
keyring = RekorKeyring(Keyring([public_key]))
try:
    TransparencyLogEntry._from_v1_response(response)._verify(keyring)
except VerificationError as e:
    print(f"refused: {e}")
    sys.exit(1)
kind = json.loads(base64.b64decode(entry["body"]))["kind"]
print(f"verified {kind} logIndex {entry['logIndex']}")
