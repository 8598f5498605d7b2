"""Open Badges 3.0 credentials: signed VC-JWT, the did:web document, key rotation and offline checks."""

import base64
import gzip
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates import keys, status
from certificates.credentials import verify
from certificates.issuing import issue_certificate, revoke
from certificates.models import Certificate
from courses.models import Course
from lms.accounts.models import User
from lms.extensions import db

DID = "did:web:127.0.0.1%3A5000"  # BASE_URL of the test configuration


@pytest.fixture(autouse=True)
def fresh_keys(app, tmp_path):
    """Each test starts with an empty key folder, so keys are created on first use."""
    previous = app.config["CREDENTIAL_KEY_FOLDER"]
    app.config["CREDENTIAL_KEY_FOLDER"] = str(tmp_path / "keys")
    yield tmp_path / "keys"
    app.config["CREDENTIAL_KEY_FOLDER"] = previous


@pytest.fixture
def holder(make):
    return make.user(email="salma@example.org", full_name="Salma Bennani", full_name_ar="سلمى بناني", locale="ar")


@pytest.fixture
def holder_client(client, login_as, holder):
    login_as(holder)
    return client


def issue(app, user, course) -> Certificate:
    with app.app_context():
        certificate = issue_certificate(db.session.get(User, user.id), db.session.get(Course, course.id))
        db.session.commit()
        db.session.refresh(certificate)
        db.session.expunge(certificate)
        return certificate


def published(client) -> dict:
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def tamper(token: str, change) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([header, forged, signature])


def test_the_holder_downloads_a_signed_achievement_credential(app, make, holder, holder_client):
    course = make.course(slug="badge", lessons=1)
    certificate = issue(app, holder, course)

    response = holder_client.get(f"/certificates/{certificate.display_code}.jwt")

    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["typ"] == "JWT" and header["kid"].startswith(DID + "#")
    document = published(holder_client)
    check = verify(token, keys.keys_from_did_document(document), document["id"])
    assert check.valid, check.reason
    claims = check.claims
    assert claims["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert claims["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert claims["iss"] == claims["issuer"]["id"] == DID
    assert claims["id"] == claims["jti"] == f"http://127.0.0.1:5000/verify/{certificate.display_code}"
    achievement = claims["credentialSubject"]["achievement"]
    assert achievement["name"] == "الدرس badge" and achievement["inLanguage"] == "ar"
    assert achievement["id"] == "http://127.0.0.1:5000/courses/badge"
    identifiers = {item["identityType"]: item for item in claims["credentialSubject"]["identifier"]}
    assert identifiers["name"]["identityHash"] == "سلمى بناني"
    assert identifiers["emailAddress"]["hashed"] is True and "salma@" not in json.dumps(claims)


def test_the_did_document_publishes_ed25519_keys(client, app, make, holder):
    document = published(client)
    assert document["id"] == DID
    [method] = document["verificationMethod"]
    assert method["type"] == "JsonWebKey2020" and method["controller"] == DID
    assert method["publicKeyJwk"]["kty"] == "OKP" and method["publicKeyJwk"]["crv"] == "Ed25519"
    assert "d" not in method["publicKeyJwk"]
    assert document["assertionMethod"] == [method["id"]]
    assert published(client) == document  # created once, then read back


def test_the_key_is_created_once_in_the_instance_folder(app, fresh_keys):
    with app.app_context():
        first = keys.signing_key()
        assert keys.signing_key().kid == first.kid
    [pem] = fresh_keys.glob("*.pem")
    assert pem.stat().st_mode & 0o077 == 0  # private to its owner


def test_tampered_or_foreign_credentials_fail_with_the_reason(app, make, holder, holder_client):
    certificate = issue(app, holder, make.course(slug="tampered", lessons=1))
    token = holder_client.get(f"/certificates/{certificate.display_code}.jwt").get_data(as_text=True)
    document = published(holder_client)
    public_keys = keys.keys_from_did_document(document)

    renamed = tamper(token, lambda claims: claims["credentialSubject"]["identifier"][0].update(identityHash="Eve"))
    check = verify(renamed, public_keys, DID)
    assert not check.valid and "altered" in check.reason

    stranger = Ed25519PrivateKey.generate()
    forged = jwt.encode(jwt.decode(token, options={"verify_signature": False}), stranger, algorithm="EdDSA",
                        headers={"kid": jwt.get_unverified_header(token)["kid"]})
    assert "altered" in verify(forged, public_keys, DID).reason
    unknown_key = jwt.encode({"iss": DID}, stranger, algorithm="EdDSA", headers={"kid": f"{DID}#someone-else"})
    assert "does not publish" in verify(unknown_key, public_keys, DID).reason
    assert "is not one of did:web:elsewhere.example's" in verify(token, public_keys, "did:web:elsewhere.example").reason
    bare_kid = jwt.encode(jwt.decode(token, options={"verify_signature": False}), stranger, algorithm="EdDSA",
                          headers={"kid": jwt.get_unverified_header(token)["kid"].split("#")[1]})
    assert not verify(bare_kid, public_keys, DID).valid
    no_subject = tamper(token, lambda claims: claims.pop("credentialSubject"))
    assert not verify(no_subject, public_keys, DID).valid
    assert "not a JWT" in verify("garbage", public_keys, DID).reason
    hs256 = jwt.encode({"iss": DID}, "secret-key-long-enough-for-hmac-256", algorithm="HS256")
    assert "not EdDSA" in verify(hs256, public_keys, DID).reason


def test_rotation_keeps_old_credentials_verifiable(app, make, holder, holder_client, runner):
    old = issue(app, holder, make.course(slug="before-rotation", lessons=1))
    result = runner.invoke(args=["lms", "rotate-credential-key"])
    assert result.exit_code == 0 and "2 keys published" in result.output
    new = issue(app, holder, make.course(slug="after-rotation", lessons=1))

    document = published(holder_client)
    assert len(document["verificationMethod"]) == 2
    old_kid, new_kid = (jwt.get_unverified_header(c.credential_jwt)["kid"] for c in (old, new))
    assert old_kid != new_kid and {old_kid, new_kid} == set(document["assertionMethod"])
    for certificate in (old, new):
        assert verify(certificate.credential_jwt, keys.keys_from_did_document(document), DID).valid


def test_a_configured_key_signs_and_is_published(app, make, holder, client):
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()).decode()
    app.config["CREDENTIAL_SIGNING_KEY"] = pem
    try:
        certificate = issue(app, holder, make.course(slug="configured", lessons=1))
        document = published(client)
    finally:
        app.config["CREDENTIAL_SIGNING_KEY"] = None
    kid = jwt.get_unverified_header(certificate.credential_jwt)["kid"]
    assert kid.split("#")[1].startswith("config-") and kid in document["assertionMethod"]
    assert verify(certificate.credential_jwt, keys.keys_from_did_document(document), DID).valid


def test_the_command_checks_a_credential_offline(app, make, holder, admin, runner, tmp_path, client):
    certificate = issue(app, holder, make.course(slug="offline", lessons=1))
    path = tmp_path / "credential.jwt"
    path.write_text(certificate.credential_jwt)

    valid = runner.invoke(args=["lms", "verify-credential", str(path)])
    assert valid.exit_code == 0 and valid.output.startswith("VALID") and "سلمى بناني" in valid.output

    saved = tmp_path / "did.json"
    saved.write_text(json.dumps(published(client)))
    offline = runner.invoke(args=["lms", "verify-credential", "--did-document", str(saved), str(path)])
    assert offline.exit_code == 0 and offline.output.startswith("VALID")

    tampered = tmp_path / "tampered.jwt"
    tampered.write_text(tamper(certificate.credential_jwt, lambda claims: claims.update(name="Doctorate")))
    result = runner.invoke(args=["lms", "verify-credential", str(tampered)])
    assert result.exit_code == 2 and result.output.startswith("INVALID") and "altered" in result.output

    with app.app_context():
        revoke(db.session.get(Certificate, certificate.id), "Issued in error", db.session.get(User, admin.id))
        db.session.commit()
    revoked = runner.invoke(args=["lms", "verify-credential", str(path)])
    assert revoked.exit_code == 1 and revoked.output.startswith("REVOKED") and "Issued in error" in revoked.output


def test_a_did_document_lends_only_its_own_assertion_keys(client):
    document = published(client)
    [method] = document["verificationMethod"]
    assert len(keys.keys_from_did_document(document)) == 1
    foreign = {**document, "verificationMethod": [{**method, "id": "did:web:other.example#k"}],
               "assertionMethod": ["did:web:other.example#k"]}
    unlisted = {**document, "assertionMethod": []}
    assert keys.keys_from_did_document(foreign) == {} and keys.keys_from_did_document(unlisted) == {}


def test_revocation_reaches_wallets_through_the_signed_status_list(app, make, holder, admin, client):
    kept = issue(app, holder, make.course(slug="kept", lessons=1))
    revoked = issue(app, holder, make.course(slug="status-revoked", lessons=1))
    with app.app_context():
        revoke(db.session.get(Certificate, revoked.id), "Error", db.session.get(User, admin.id))
        db.session.commit()
    document = published(client)
    public_keys = keys.keys_from_did_document(document)

    entries = {}
    for certificate in (kept, revoked):
        claims = verify(certificate.credential_jwt, public_keys, DID).claims
        entries[certificate.id] = claims["credentialStatus"]
        assert claims["credentialStatus"]["type"] == "BitstringStatusListEntry"
        assert claims["credentialStatus"]["statusPurpose"] == "revocation"
    url = entries[revoked.id]["statusListCredential"]
    assert url == "http://127.0.0.1:5000/credentials/status/0"

    response = client.get("/credentials/status/0")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    status_list = jwt.decode(response.get_data(as_text=True), public_keys[jwt.get_unverified_header(
        response.get_data(as_text=True))["kid"].split("#")[1]], algorithms=["EdDSA"])
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["id"] == url and status_list["issuer"] == DID
    encoded = status_list["credentialSubject"]["encodedList"]
    assert status.is_set(encoded, int(entries[revoked.id]["statusListIndex"]))
    assert not status.is_set(encoded, int(entries[kept.id]["statusListIndex"]))
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 == 131_072 and sum(bin(byte).count("1") for byte in raw) == 1


def test_the_did_document_is_also_where_did_web_looks_under_a_path(app, client):
    app.config["BASE_URL"] = "https://learn.example.org/masar"
    try:
        with app.app_context():
            assert keys.issuer_did() == "did:web:learn.example.org:masar"
        assert client.get("/did.json").get_json()["id"] == "did:web:learn.example.org:masar"
    finally:
        app.config["BASE_URL"] = "http://127.0.0.1:5000"
