"""Errors of the API, always answered as JSON: ``{"error": {"code", "message", "fields"}}``."""

from flask import jsonify
from flask_babel import gettext as _

REALM = 'Bearer realm="Masar API"'

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         422: "invalid_parameters", 429: "too_many_requests", 500: "server_error"}


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Send a valid API token in an “Authorization: Bearer” header."),
        403: _("The token's owner may not read this."),
        404: _("Nothing was found at this address."),
        405: _("This address only answers GET requests."),
        422: _("Some parameters are not valid."),
        429: _("Too many requests in a short time. Wait a minute and try again."),
        500: _("An unexpected error happened on our side."),
    }


class ApiError(Exception):
    """An error answered with ``status``; ``fields`` explains each invalid parameter."""

    def __init__(self, status: int, message: str | None = None, fields: dict[str, str] | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.code = code


def error_response(status: int, message: str | None = None, fields: dict | None = None, code: str | None = None):
    """The JSON error; a 401 says how to authenticate (RFC 6750)."""
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message or _messages().get(status, ""),
                      "fields": {name: str(text) for name, text in (fields or {}).items()}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = REALM + (', error="invalid_token"' if code == "invalid_token" else "")
    return response


def api_error_response(error: ApiError):
    return error_response(error.status, error.message, error.fields, error.code)
