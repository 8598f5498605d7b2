"""Template filters and globals: Babel formatting and the permission helper."""

from babel.units import format_unit
from flask import Flask
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
)
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from lms.accounts.permissions import can


def csrf_field() -> Markup:
    """The hidden CSRF input, without an id, so a page may hold several forms."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


def duration(value, unit: str) -> str:
    """A duration in the reader's language with CLDR plurals, e.g. "1,5 heure", "ساعتان"."""
    return format_unit(value, f"duration-{unit}", length="long", locale=get_locale())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.filters.update(
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "",
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        number=lambda value: format_decimal(value),
        percent=lambda value: format_percent(value),
        hours=lambda value: duration(value, "hour"),
        minutes=lambda value: duration(value, "minute"),
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    # Matches `trimmed = true` in babel.cfg, so extracted and rendered msgids agree.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
