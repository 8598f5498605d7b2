"""Creating, revoking, listing and checking personal access tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.api.models import MARK, ApiToken
from lms.audit import record_event
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import from_local, to_local

PREFIX_LENGTH = 8
MAX_TOKEN_LENGTH = 200
TOUCH_INTERVAL = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(owner: User, name: str, expires_on: date | None, actor: User) -> tuple[ApiToken, str]:
    """A new token acting for ``owner``, and its secret (returned once, never stored in clear)."""
    name = name.strip()
    if not name:
        raise DomainError(_("Say what the token is for."), field="name")
    if len(name) > 100:
        raise DomainError(_("A token's name has at most %(num)s characters.", num=100), field="name")
    if not owner.is_active:
        raise DomainError(_("This account is deactivated."), field="owner")
    expires_at = None
    if expires_on is not None:
        if expires_on <= to_local(utcnow()).date():
            raise DomainError(_("Choose an expiry date in the future."), field="expires_on")
        # Valid through the chosen day, in the platform's time zone.
        expires_at = from_local(datetime.combine(expires_on + timedelta(days=1), time.min))
    random_part = secrets.token_urlsafe(32)
    secret = MARK + random_part
    token = ApiToken(user_id=owner.id, name=name, prefix=random_part[:PREFIX_LENGTH], token_hash=hash_secret(secret),
                     expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    record_event("api_token_created", actor=actor, target=owner, token=token.display, name=name,
                 expires=expires_on.isoformat() if expires_on else None)
    return token, secret


def revoke_token(token: ApiToken, actor: User) -> None:
    """Revoke ``token`` at once; a token already revoked stays as it was (a DomainError says so)."""
    if token.revoked_at is not None:
        raise DomainError(_("This token is already revoked."))
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.id
    db.session.flush()
    record_event("api_token_revoked", actor=actor, target=db.session.get(User, token.user_id), token=token.display,
                 name=token.name)


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    owner_name: str
    owner_email: str
    revoked_by: str | None
    status: str
    valid_until: date | None  # the last day it works, as chosen when created


def last_valid_day(token: ApiToken) -> date | None:
    return (to_local(token.expires_at) - timedelta(days=1)).date() if token.expires_at else None


def token_rows() -> list[TokenRow]:
    """Every token with its owner and who revoked it, newest first (one query)."""
    owner, revoker = aliased(User), aliased(User)
    now = utcnow()
    rows = db.session.execute(
        sa.select(ApiToken, owner.full_name, owner.email, revoker.email)
        .join(owner, owner.id == ApiToken.user_id)
        .outerjoin(revoker, revoker.id == ApiToken.revoked_by_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [TokenRow(token, name, email, revoked_by, token.status(now), last_valid_day(token))
            for token, name, email, revoked_by in rows]


def bearer_secret(header: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header, or None when there is none."""
    scheme, _space, value = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value or None


def token_owner(secret: str) -> tuple[ApiToken, User] | None:
    """The token and its owner when ``secret`` is a current token of an active account (one query)."""
    if len(secret) > MAX_TOKEN_LENGTH or not secret.startswith(MARK):
        return None
    row = db.session.execute(sa.select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                             .where(ApiToken.token_hash == hash_secret(secret))).first()
    if row is None:
        return None
    token, owner = row
    if token.revoked_at is not None or token.is_expired(utcnow()) or not owner.is_active:
        return None
    return token, owner


def touch(token: ApiToken) -> bool:
    """Record the token's use, at most once a minute so reading does not mean a write per request."""
    now = utcnow()
    threshold = now - TOUCH_INTERVAL
    if token.last_used_at is not None and token.last_used_at > threshold:
        return False
    db.session.execute(sa.update(ApiToken).where(
        ApiToken.id == token.id, sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= threshold))
        .values(last_used_at=now))
    return True
