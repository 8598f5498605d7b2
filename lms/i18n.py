"""Locale selection and formatting helpers shared by views and templates."""

from datetime import datetime
from pathlib import Path

from babel.dates import get_timezone as get_babel_timezone

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale as babel_locale
from flask_login import current_user

from lms.extensions import babel

# Names are shown in their own language, so they are never translated.
LANGUAGE_NAMES = {"fr": "Français", "ar": "العربية", "en": "English"}
LANGUAGES = tuple(LANGUAGE_NAMES)
RTL_LANGUAGES = {"ar"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    """User setting, then explicit choice, then the browser, then French."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(babel_locale().language) if babel_locale() else "fr"


def text_direction(language: str | None = None) -> str:
    return "rtl" if (language or current_language()) in RTL_LANGUAGES else "ltr"


def language_order(preferred: str) -> list[str]:
    """The reader's language first, then French, English and Arabic: the fallback for missing texts."""
    return [preferred] + [code for code in ("fr", "en", "ar") if code != preferred]


def localized(texts: dict, language: str):
    """The entry of a per-language mapping in ``language``, else the first fallback that has one."""
    for code in language_order(language):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), None)


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )

    @app.context_processor
    def inject_locale():
        language = current_language()
        return {
            "current_language": language,
            "text_direction": text_direction(language),
            "language_names": LANGUAGE_NAMES,
        }


def local_zone():
    """The platform's time zone, from the same data the pages format dates with (Babel's)."""
    return get_babel_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_local(moment: datetime) -> datetime:
    """An aware moment as a wall-clock time of the platform's time zone."""
    return moment.astimezone(local_zone())


def from_local(wall_clock: datetime) -> datetime:
    """A naive wall-clock time typed in the platform's time zone, as an aware moment."""
    zone = local_zone()
    return zone.localize(wall_clock) if hasattr(zone, "localize") else wall_clock.replace(tzinfo=zone)
