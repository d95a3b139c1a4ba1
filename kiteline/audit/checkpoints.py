"""Signed checkpoints: small files that leave the building and vouch for a chain's head.

A checkpoint says "chain C had hash H at position P at time T", signed with the facility's
Ed25519 key. The auditor keeps the files; later, anyone holding them and the public key can
show that the chain still passes through (P, H). Events removed from the end, or a chain
rewritten and re-hashed from some point on, no longer match an earlier checkpoint.
"""

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiteline.audit.chain import ChainPoint

FORMAT = "kiteline-audit-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be trusted, with the reason."""


@dataclass(frozen=True)
class Checkpoint:
    point: ChainPoint
    made_at: str  # ISO 8601 in UTC
    key_id: str

    def signed_bytes(self) -> bytes:
        document = {
            "format": FORMAT,
            "chain": self.point.chain,
            "position": self.point.position,
            "hash": self.point.hash.hex(),
            "made_at": self.made_at,
            "key_id": self.key_id,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_checkpoint(point: ChainPoint, made_at: str, private_key: Ed25519PrivateKey) -> str:
    """The checkpoint file's text."""
    checkpoint = Checkpoint(point=point, made_at=made_at, key_id=key_id(private_key.public_key()))
    document = json.loads(checkpoint.signed_bytes())
    document["signature"] = base64.b64encode(private_key.sign(checkpoint.signed_bytes())).decode()
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def read_checkpoint(text: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint a file holds, once its signature is shown to be the facility key's."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise CheckpointError(f"it is not JSON: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointError("it is not a Kiteline audit checkpoint")
    try:
        checkpoint = Checkpoint(
            point=ChainPoint(
                chain=str(document["chain"]),
                position=int(document["position"]),
                hash=bytes.fromhex(document["hash"]),
            ),
            made_at=str(document["made_at"]),
            key_id=str(document["key_id"]),
        )
        signature = base64.b64decode(document["signature"], validate=True)
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"a field is missing or malformed: {error}") from error
    if checkpoint.key_id != key_id(public_key):
        raise CheckpointError("it was signed with another key")
    try:
        public_key.verify(signature, checkpoint.signed_bytes())
    except InvalidSignature as error:
        raise CheckpointError("its signature does not match its contents") from error
    return checkpoint
