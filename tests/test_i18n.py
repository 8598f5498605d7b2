"""Catalogs are complete and current; pages follow the chosen language and direction."""

import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
ARABIC_PLURAL = "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)"


def load(path: Path, locale: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def message_ids(catalog) -> set:
    return {message.id if isinstance(message.id, str) else tuple(message.id) for message in catalog if message.id}


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_catalog_has_every_message_translated_and_none_fuzzy(language):
    catalog = load(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == [], f"untranslated in {language}: {untranslated[:10]}"
    assert fuzzy == [], f"fuzzy in {language}: {fuzzy[:10]}"


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_translations_keep_the_placeholders_of_the_source(language):
    catalog = load(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            found = set(PLACEHOLDER.findall(text))
            # A singular form may leave the number out ("un membre"), never add a name.
            if not found <= expected or (expected - {"num", "count"}) - found:
                wrong.append((message.id, text))
    assert wrong == []


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_catalogs_pass_the_compilers_checks(language):
    """What `pybabel compile` refuses (a stray % read as a placeholder, say) fails here first."""
    catalog = load(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_message_template_is_up_to_date(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "--ignore-dirs", ".*", "--no-location", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    committed = message_ids(load(TRANSLATIONS / "messages.pot"))
    current = message_ids(load(fresh))
    assert current - committed == set(), "new strings missing from messages.pot: run make extract-messages"
    assert committed - current == set(), "messages.pot lists strings no longer used: run make extract-messages"


def test_every_template_is_read_for_messages():
    """A template folder that babel.cfg does not name would ship its strings untranslated."""
    from babel.util import pathmatch

    patterns = re.findall(r"^\[jinja2: (.+)\]$", (ROOT / "babel.cfg").read_text(), re.MULTILINE)
    packages = [folder for folder in ROOT.iterdir()
                if folder.is_dir() and not folder.name.startswith(".") and folder.name != "tests"]
    templates = [path.relative_to(ROOT).as_posix() for folder in packages for path in folder.glob("**/templates/**/*")
                 if path.suffix in (".html", ".txt")]
    assert templates
    assert [path for path in templates if not any(pathmatch(pattern, path) for pattern in patterns)] == []


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_catalog_lists_exactly_the_template_messages(language):
    template = message_ids(load(TRANSLATIONS / "messages.pot"))
    catalog = message_ids(load(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language))
    assert catalog == template


def test_arabic_catalog_uses_the_cldr_plural_rule(app):
    catalog = load(TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po", "ar")
    assert catalog.num_plurals == 6
    assert catalog.plural_expr.replace(" ", "") == ARABIC_PLURAL.replace(" ", "")
    translations = Translations.load(str(TRANSLATIONS), ["ar"])
    forms = [translations.ngettext("%(num)s member", "%(num)s members", n) for n in (0, 1, 2, 5, 11, 100)]
    assert len(set(forms)) == 6, forms


@pytest.mark.parametrize(
    ("language", "direction", "sign_in"),
    [("fr", "ltr", "Se connecter"), ("ar", "rtl", "تسجيل الدخول"), ("en", "ltr", "Sign in")],
)
def test_chosen_language_sets_html_lang_dir_and_text(client, language, direction, sign_in):
    client.post_form("/language", {"locale": language})
    html = client.get("/login").get_data(as_text=True)
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert sign_in in html


def test_browser_language_is_used_when_nothing_was_chosen(client):
    html = client.get("/", headers={"Accept-Language": "ar-MA,ar;q=0.9,fr;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html


def test_french_is_the_default(client):
    html = client.get("/", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html


def test_every_page_offers_the_three_languages(client):
    html = client.get("/login").get_data(as_text=True)
    for code, name in (("fr", "Français"), ("ar", "العربية"), ("en", "English")):
        assert f'name="locale" value="{code}" lang="{code}"' in html
        assert name in html


@pytest.mark.parametrize(
    ("language", "month"), [("fr", "15 janvier 2026"), ("ar", "يناير"), ("en", "January 15, 2026")]
)
def test_dates_are_formatted_in_the_reader_language(client, make, login_as, language, month):
    user = make.user(locale=language, created_at=datetime(2026, 1, 15, 10, 0, tzinfo=timezone.utc))
    login_as(user)
    html = client.get("/account").get_data(as_text=True)
    assert month in html


def test_stylesheet_uses_logical_properties_only():
    css = (ROOT / "lms" / "static" / "css" / "masar.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)\b|(?<![-\w])(?:left|right)\s*:|text-align:\s*(?:left|right)"
        r"|float:\s*(?:left|right)",
        css,
    )
    assert physical == []
