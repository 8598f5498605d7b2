"""The issuer's Ed25519 signing keys and its did:web identity.

Keys live as PEM files in ``CREDENTIAL_KEY_FOLDER`` (the instance folder by default), created on
first use; ``CREDENTIAL_SIGNING_KEY`` (a PEM) may give the active key from configuration instead.
Rotating adds a key and makes it the active one: old public keys stay published, so credentials
signed with them still verify. A configured key that is replaced leaves its public half behind as
``<key id>.pub.pem`` in the folder for the same reason.
"""

import base64
import fcntl
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

ACTIVE_FILE = "active"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _fingerprint(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:12]


def key_id(public_key: Ed25519PublicKey) -> str:
    """A readable, unique key id: the creation date and the start of the public key's SHA-256."""
    return f"{datetime.now(timezone.utc):%Y%m%d}-{_fingerprint(public_key)}"


def public_jwk(public_key: Ed25519PublicKey) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(_raw_public(public_key))}


def public_key_from_jwk(jwk: dict) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise ValueError("not an Ed25519 public key")
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


def _folder() -> Path:
    return Path(current_app.config["CREDENTIAL_KEY_FOLDER"])


def _write_key(folder: Path, private_key: Ed25519PrivateKey) -> str:
    kid = key_id(private_key.public_key())
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    descriptor = os.open(folder / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    # Readers never see a half-written pointer: write aside, then rename over it.
    pointer = folder / f".{ACTIVE_FILE}.{os.getpid()}"
    pointer.write_text(kid + "\n")
    os.replace(pointer, folder / ACTIVE_FILE)
    return kid


class _Lock:
    """An exclusive lock on the key folder, so two workers starting together create one key."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.file = open(folder / ".lock", "w")  # noqa: SIM115 - closed in __exit__

    def __enter__(self):
        fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def _load_private(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the credential signing key must be an Ed25519 key")
    return key


def _load_public(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a published credential key must be an Ed25519 key")
    return key


def signing_key() -> SigningKey:
    """The active key: from configuration, else the folder's active key, created on first use."""
    configured = current_app.config.get("CREDENTIAL_SIGNING_KEY")
    if configured:
        private_key = _load_private(configured.encode() if isinstance(configured, str) else configured)
        return SigningKey(f"config-{_fingerprint(private_key.public_key())}", private_key)
    folder = _folder()
    active = folder / ACTIVE_FILE
    if not active.exists():
        with _Lock(folder):
            if not active.exists():
                _write_key(folder, Ed25519PrivateKey.generate())
    kid = active.read_text().strip()
    return SigningKey(kid, _load_private((folder / f"{kid}.pem").read_bytes()))


def rotate() -> str:
    """Create a new key and make it the active one; the old ones stay published."""
    folder = _folder()
    with _Lock(folder):
        return _write_key(folder, Ed25519PrivateKey.generate())


def published_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key a credential of this issuer may have been signed with, by key id."""
    keys = {}
    folder = _folder()
    if folder.is_dir():
        for path in sorted(folder.glob("*.pem")):
            if path.name.endswith(".pub.pem"):  # a retired key kept only to verify what it signed
                keys[path.name.removesuffix(".pub.pem")] = _load_public(path.read_bytes())
            else:
                keys[path.stem] = _load_private(path.read_bytes()).public_key()
    if current_app.config.get("CREDENTIAL_SIGNING_KEY") or not keys:
        active = signing_key()
        keys[active.kid] = active.private_key.public_key()
    return keys


def sign_claims(claims: dict) -> str:
    """A JWT of ``claims`` signed with the active key (EdDSA), its key named as a DID URL."""
    key = signing_key()
    return jwt.encode(claims, key.private_key, algorithm="EdDSA",
                      headers={"kid": f"{claims['iss']}#{key.kid}", "typ": "JWT"})


def issuer_did(base_url: str | None = None) -> str:
    """The did:web identifier of the public address: host (port encoded) then path segments."""
    parts = urlsplit(base_url or current_app.config["BASE_URL"])
    segments = [quote(parts.netloc, safe="")] + [quote(s, safe="") for s in parts.path.split("/") if s]
    return "did:web:" + ":".join(segments)


def did_document() -> dict:
    did = issuer_did()
    methods = [
        {"id": f"{did}#{kid}", "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": public_jwk(key)}
        for kid, key in published_keys().items()
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def keys_from_did_document(document: dict) -> dict[str, Ed25519PublicKey]:
    """The document's own assertion keys, by key id (the fragment of each method id)."""
    did, allowed = document.get("id"), set(document.get("assertionMethod") or [])
    keys = {}
    for method in document.get("verificationMethod") or []:
        method_id = method.get("id", "")
        owner, _, fragment = method_id.partition("#")
        if owner == did and fragment and method_id in allowed and isinstance(method.get("publicKeyJwk"), dict):
            keys[fragment] = public_key_from_jwk(method["publicKeyJwk"])
    return keys
