"""Signed, expiring links sent by mail: password reset, invitation, email change.

Each token carries a fingerprint of the account's session token, which rotates whenever the
password is set, so a link works once and dies with any later password change.
"""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.accounts.models import User
from lms.extensions import db

PURPOSES = {
    "reset": "PASSWORD_RESET_MAX_AGE",
    "invite": "INVITATION_MAX_AGE",
    "email": "EMAIL_CHANGE_MAX_AGE",
}


def lifetime(purpose: str, unit: int = 3600) -> int:
    """How long a link stays valid, in whole hours (or another unit of seconds), at least one."""
    return max(1, current_app.config[PURPOSES[purpose]] // unit)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"masar.{purpose}")


def _fingerprint(user: User) -> str:
    material = f"{user.session_token}:{user.email}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def make_token(user: User, purpose: str, **extra) -> str:
    return _serializer(purpose).dumps({"uid": user.id, "fp": _fingerprint(user), **extra})


def read_token(token: str, purpose: str) -> tuple[User, dict] | None:
    """The user and payload of a valid token, or None if it is forged, expired or used."""
    max_age = current_app.config[PURPOSES[purpose]]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:
        return None
    user = db.session.get(User, payload.get("uid"))
    if user is None or not user.is_active or payload.get("fp") != _fingerprint(user):
        return None
    return user, payload
