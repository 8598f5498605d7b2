"""Revocation that reaches wallets: a W3C Bitstring Status List, signed like the credentials.

Each credential names its bit (the certificate's id) in a list of 131,072 bits, the smallest size
the specification allows so that fetching a list reveals nothing about which credential is checked.
"""

import base64
import gzip
from datetime import datetime, timezone

import sqlalchemy as sa

from certificates import keys
from certificates.links import public_url
from certificates.models import Certificate
from lms.extensions import db

LIST_SIZE = 131_072


def list_url(number: int) -> str:
    return public_url(f"/credentials/status/{number}")


def status_entry(certificate_id: int) -> dict:
    number, index = divmod(certificate_id, LIST_SIZE)
    return {"id": f"{list_url(number)}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(index), "statusListCredential": list_url(number)}


def encode(indexes) -> str:
    """The list as multibase base64url of its GZIP bytes; bit 0 is the first byte's highest bit."""
    bits = bytearray(LIST_SIZE // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=").decode()


def is_set(encoded: str, index: int) -> bool:
    data = encoded.removeprefix("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(number: int) -> str:
    """The signed list of revoked credentials numbered ``number`` (one query)."""
    first = number * LIST_SIZE
    revoked = db.session.scalars(sa.select(Certificate.id).where(
        Certificate.id >= first, Certificate.id < first + LIST_SIZE, Certificate.revoked_at.is_not(None)))
    url, did = list_url(number), keys.issuer_did()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    claims = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode(index - first for index in revoked)},
        "iss": did, "nbf": int(now.timestamp()), "jti": url,
    }
    return keys.sign_claims(claims)
