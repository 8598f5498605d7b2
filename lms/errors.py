"""Domain errors raised by services, and the HTML error pages."""

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from lms.extensions import db


class DomainError(Exception):
    """A rule of the platform was broken; ``message`` is translated and shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("File too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("You do not have permission to see this page."),
        404: _("The page you asked for does not exist or has moved."),
        405: _("This address does not accept that kind of request."),
        409: _("The request conflicts with a change made in the meantime. Please try again."),
        413: _("The file you sent is larger than allowed."),
        429: _("Too many attempts in a short time. Please wait a minute and try again."),
        500: _("An unexpected error happened on our side. Please try again later."),
    }


def flush_or_conflict(message: str, field: str | None = None) -> None:
    """Flush; a unique constraint lost to a concurrent request becomes a DomainError."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(message, field=field) from None


def render_error(code: int, message: str | None = None):
    title = _titles().get(code, _("Error"))
    text = message or _messages().get(code, "")
    return render_template("errors/error.html", code=code, title=title, message=text), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _("Your form has expired or could not be verified. Please reload the page and send it again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code not in _titles():
            return error
        body, code = render_error(error.code)
        # Keep headers such as Allow (405) and Retry-After (429).
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return body, code, headers

    @app.errorhandler(500)
    def server_error(error):
        # A failed statement leaves the transaction unusable; the error page must still render.
        db.session.rollback()
        return render_error(500)
