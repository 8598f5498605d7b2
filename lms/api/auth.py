"""Bearer-token authentication of API requests; a browser session cookie is never enough.

The token acts with its owner's current role and organization: a demoted owner's token loses the
rights the role gave, a deactivated owner's token stops working.
"""

from functools import wraps

from flask import current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from lms.accounts.permissions import can
from lms.api import tokens
from lms.api.errors import ApiError, api_error_response
from lms.extensions import db

LANGUAGES = ("en", "fr", "ar")
DEFAULT_LANGUAGE = "en"
DEFAULT_RATE_LIMIT = "120 per minute"


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def rate_key() -> str:
    """Requests are counted per token (by its hash), or per address when they carry none."""
    secret = tokens.bearer_secret(request.headers.get("Authorization"))
    if secret and len(secret) <= tokens.MAX_TOKEN_LENGTH:
        return "api-token:" + tokens.hash_secret(secret)
    return "api-address:" + (get_remote_address() or "")


def requested_language() -> str:
    """The ``lang`` parameter when it is one of ``LANGUAGES``, else English."""
    language = request.args.get("lang") or DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _authenticate():
    header = request.headers.get("Authorization")
    secret = tokens.bearer_secret(header)
    if secret is None:
        raise ApiError(401)
    found = tokens.token_owner(secret)
    if found is None:
        raise ApiError(401, _("The token is unknown, revoked or expired, or its owner's account is deactivated."),
                       code="invalid_token")
    return found


def token_required(permission: str | None = None):
    """Guard an API view: 401 without a valid token, 403 when its owner lacks ``permission``.

    The view receives ``owner`` (the token's account) and ``language`` and runs in that language.
    """
    def decorator(view):
        @wraps(view)
        def wrapped(**kwargs):
            language = requested_language()
            token = None
            with force_locale(language):
                try:
                    token, owner = _authenticate()
                    if permission is not None and not can(permission, owner):
                        raise ApiError(403)
                    if (request.args.get("lang") or DEFAULT_LANGUAGE) not in LANGUAGES:
                        raise ApiError(422, fields={"lang": _("Choose fr, ar or en.")})
                    response = view(owner=owner, language=language, **kwargs)
                except ApiError as error:
                    response = api_error_response(error)
            if token is not None and tokens.touch(token):
                db.session.commit()
            return response

        return wrapped

    return decorator
