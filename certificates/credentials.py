"""Open Badges 3.0 AchievementCredentials, signed as VC-JWT with the issuer's Ed25519 key (EdDSA).

The JWT payload is the credential itself, with the registered claims ``iss`` (the issuer's DID),
``nbf`` (validFrom) and ``jti`` (the credential id: its public verification address).
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timezone

import jwt
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from certificates import keys
from certificates.links import public_url, verification_url
from certificates.models import Certificate, CertificateKind
from certificates.status import status_entry

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
CREDENTIAL_TYPES = {"AchievementCredential", "OpenBadgeCredential"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_credential(certificate: Certificate, email: str | None, course_slug: str | None) -> dict:
    """The credential's claims, from the certificate's snapshot, in the certificate's language."""
    language = certificate.language
    did = keys.issuer_did()
    salt = secrets.token_hex(8)
    with force_locale(language):
        if certificate.kind is CertificateKind.ATTENDANCE:
            criteria = _("Attended the sessions of the workshop “%(cohort)s”.", cohort=certificate.cohort_name)
            description = _("Workshop sessions attended: %(hours)s hours.", hours=f"{certificate.hours:g}")
        else:
            criteria = _("Completed every required lesson and passed the graded quizzes of the course.")
            description = _("Training course of %(hours)s hours.", hours=f"{certificate.hours:g}")
    identifiers = [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                    "identityHash": certificate.holder_name_in(language)}]
    if email:
        identifiers.append({"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "salt": salt,
                            "identityHash": "sha256$" + hashlib.sha256((email.lower() + salt).encode()).hexdigest()})
    credential_id = verification_url(certificate.code)
    achievement_id = public_url(f"/courses/{course_slug}") if course_slug else credential_id + "#achievement"
    return {
        "@context": CONTEXT,
        "id": credential_id,
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": certificate.course_title_in(language),
        "issuer": {"id": did, "type": ["Profile"], "name": certificate.issuer_name_in(language),
                   "url": current_app.config["BASE_URL"]},
        "validFrom": _iso(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "activityEndDate": _iso(datetime.combine(certificate.completed_on, time(12), timezone.utc)),
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": certificate.course_title_in(language),
                "description": description,
                "criteria": {"narrative": criteria},
                "inLanguage": language,
            },
        },
        "credentialStatus": status_entry(certificate.id),
        "iss": did,
        "nbf": int(certificate.issued_at.timestamp()),
        "jti": credential_id,
    }


def sign(claims: dict) -> str:
    return keys.sign_claims(claims)


@dataclass
class CredentialCheck:
    valid: bool
    reason: str = ""
    claims: dict = field(default_factory=dict)


def verify(token: str, public_keys: dict, did: str) -> CredentialCheck:
    """Check a VC-JWT against the issuer's published keys; the reason says what failed."""
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        return CredentialCheck(False, "not a JWT (three base64url parts separated by dots)")
    if header.get("alg") != "EdDSA":
        return CredentialCheck(False, f"algorithm {header.get('alg')!r} is not EdDSA")
    kid = str(header.get("kid", ""))
    owner, _, fragment = kid.partition("#")
    if owner != did:
        return CredentialCheck(False, f"the key {kid or '(none)'} is not one of {did}'s")
    key = public_keys.get(fragment)
    if key is None:
        return CredentialCheck(False, f"signed with a key the issuer does not publish ({kid})")
    try:
        claims = jwt.decode(token, key, algorithms=["EdDSA"], issuer=did,
                            options={"require": ["iss", "nbf", "jti"], "verify_aud": False})
    except jwt.InvalidSignatureError:
        return CredentialCheck(False, "the signature does not match the content: the credential was altered")
    except jwt.ExpiredSignatureError:
        return CredentialCheck(False, "the credential has expired")
    except jwt.ImmatureSignatureError:
        return CredentialCheck(False, "the credential is not valid yet")
    except jwt.InvalidIssuerError:
        return CredentialCheck(False, f"the credential was not issued by {did}")
    except jwt.InvalidTokenError as error:
        return CredentialCheck(False, f"invalid credential: {error}")
    if not CREDENTIAL_TYPES & set(claims.get("type") or []):
        return CredentialCheck(False, "not an Open Badges AchievementCredential", claims)
    subject = claims.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict) or not isinstance(achievement.get("name"), str) or not claims.get("validFrom"):
        return CredentialCheck(False, "the credential lacks its subject, achievement name or validFrom", claims)
    issuer = claims.get("issuer")
    if (issuer.get("id") if isinstance(issuer, dict) else issuer) != claims["iss"] or claims.get("id") != claims["jti"]:
        return CredentialCheck(False, "the credential's issuer or id does not match its JWT claims", claims)
    return CredentialCheck(True, "", claims)
