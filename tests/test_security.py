"""Cross-cutting protections: CSRF, safe redirects, session handling, rate limits, security
headers, password storage and the configuration profiles."""

import html
import re
import stat
from dataclasses import dataclass
from typing import Callable

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2 import Type as Argon2Type
from conftest import PASSWORD
from flask_babel import force_locale, gettext
from sqlalchemy import select

from lms import create_app
from lms.accounts.models import User
from lms.audit import AuditEvent
from lms.config import ConfigError, load_config
from lms.extensions import db
from support import count, is_signed_in, reload

NEW_PASSWORD = "another long passphrase"
CONFIG_VARIABLES = ("MASAR_ENV", "SECRET_KEY", "DATABASE_URL", "BASE_URL", "REDIS_URL", "TRUSTED_PROXIES")


# Helpers ---------------------------------------------------------------------------------------


def translated(app, message: str, locale: str = "fr") -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext(message)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def session_locale(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("locale")


def profile(**changes) -> dict:
    data = {
        "full_name": "Amina Berrada",
        "full_name_ar": "",
        "gender": "female",
        "profession": "Social worker",
        "city": "Rabat",
        "region": "MA-04",
        "locale": "fr",
        "organization": "none",
        "new_organization_name": "",
        "new_organization_type": "",
    }
    data.update(changes)
    return data


def registration(**changes) -> dict:
    return profile(**{"email": "amina@example.org", "password": PASSWORD, "password_confirm": PASSWORD,
                      "consent": "y", **changes})


@pytest.fixture
def member(make) -> User:
    return make.user(email="member@example.org", full_name="Member Name")


# CSRF ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A state-changing form, and how to check that a forged submission changed nothing."""

    url: str
    signed_in: bool
    data: Callable[[User], dict]
    unchanged: Callable[..., None]


def _not_signed_in(app, client, member, mail_outbox):
    assert not is_signed_in(client)
    assert reload(app, member).last_login_at is None
    assert count(app, AuditEvent) == 0


def _no_new_account(app, client, member, mail_outbox):
    assert count(app, User) == 1
    assert not is_signed_in(client)


def _still_signed_in(app, client, member, mail_outbox):
    assert is_signed_in(client)
    assert count(app, AuditEvent, AuditEvent.action == "sign_out") == 0


def _language_unchanged(app, client, member, mail_outbox):
    assert session_locale(client) is None
    assert reload(app, member).locale == "fr"


def _profile_unchanged(app, client, member, mail_outbox):
    assert reload(app, member).full_name == "Member Name"


def _password_unchanged(app, client, member, mail_outbox):
    assert reload(app, member).password_hash == member.password_hash
    assert is_signed_in(client)


def _no_mail(app, client, member, mail_outbox):
    assert mail_outbox == []


ACTIONS = {
    "login": Action("/login", False, lambda user: {"email": user.email, "password": PASSWORD}, _not_signed_in),
    "register": Action("/register", False, lambda user: registration(), _no_new_account),
    "logout": Action("/logout", True, lambda user: {}, _still_signed_in),
    "language": Action("/language", True, lambda user: {"locale": "ar"}, _language_unchanged),
    "edit-profile": Action("/account/edit", True, lambda user: profile(full_name="Forged Name"), _profile_unchanged),
    "change-password": Action(
        "/account/password", True,
        lambda user: {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        _password_unchanged,
    ),
    "change-email": Action("/account/email", True, lambda user: {"email": "new@example.org", "password": PASSWORD},
                           _no_mail),
    "forgot-password": Action("/password/forgot", False, lambda user: {"email": user.email}, _no_mail),
}


def forged_token(app, client, kind: str) -> str | None:
    """No token, a valid one with a broken signature, or a valid one from another browser."""
    if kind == "missing":
        return None
    if kind == "tampered":
        token = client.csrf_token()
        return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    return app.test_client().csrf_token()


@pytest.mark.parametrize("kind", ["missing", "tampered", "other-session"])
@pytest.mark.parametrize("name", list(ACTIONS))
def test_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, client, member, login_as, mail_outbox,
                                                                         name, kind):
    action = ACTIONS[name]
    if action.signed_in:
        login_as(member)
        with app.app_context():
            db.session.execute(sa.delete(AuditEvent))
            db.session.commit()
    data = action.data(member)
    token = forged_token(app, client, kind)
    if token is not None:
        data["csrf_token"] = token

    response = client.post(action.url, data=data)

    assert response.status_code == 400
    assert translated(app, "Your form has expired or could not be verified. Please reload the page and send it "
                           "again.") in text(response)
    action.unchanged(app, client, member, mail_outbox)


@pytest.mark.parametrize("purpose", ["reset", "email"])
def test_emailed_link_forms_need_a_csrf_token_too(app, client, member, login_as, mail_outbox, purpose):
    if purpose == "reset":
        client.post_form("/password/forgot", {"email": member.email})
        data = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    else:
        login_as(member)
        client.post_form("/account/email", {"email": "new@example.org", "password": PASSWORD})
        data = {}
    path = re.search(r"https?://[^/\s]+(/\S+)", mail_outbox[-1].body).group(1)

    assert client.post(path, data=data).status_code == 400
    assert reload(app, member).password_hash == member.password_hash
    assert reload(app, member).email == member.email


# Redirects after sign-in -----------------------------------------------------------------------

UNSAFE_TARGETS = [
    "//evil.example",
    "https://evil.example/",
    "http://evil.example/account",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "https:/evil.example",
    "http:evil.example",
    "///evil.example",
]


def sign_in(client, user, target: str):
    return client.post_form("/login", {"email": user.email, "password": PASSWORD}, query_string={"next": target})


@pytest.mark.parametrize("target", ["/account", "/account/edit?section=city"])
def test_sign_in_returns_to_a_local_page(client, member, target):
    response = sign_in(client, member, target)

    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_sign_in_never_redirects_to_another_site(client, member, target):
    response = sign_in(client, member, target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_language_switch_never_redirects_to_another_site(client, target):
    response = client.post_form("/language", {"locale": "en", "next": target})

    assert response.headers["Location"] == "/"


def test_protected_page_sends_the_visitor_back_after_sign_in(client, member):
    to_login = client.get("/account/edit")
    login_page = to_login.headers["Location"]

    response = client.post_form(login_page, {"email": member.email, "password": PASSWORD})

    assert response.headers["Location"] == "/account/edit"


# Session ---------------------------------------------------------------------------------------


def test_sign_in_starts_a_fresh_session_keeping_only_the_language(client, member):
    with client.session_transaction() as session:
        session["planted"] = "from before sign-in"
        session["locale"] = "ar"

    sign_in(client, member, "/")

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "ar"
        assert session["_user_id"] == reload(client.application, member).session_token


def test_sign_in_replaces_the_csrf_secret(client, member):
    with client.session_transaction() as session:
        session["csrf_token"] = "fixed-by-an-attacker"

    sign_in(client, member, "/")

    with client.session_transaction() as session:
        assert session.get("csrf_token") != "fixed-by-an-attacker"


def test_sign_out_empties_the_session(client, member, login_as):
    login_as(member)
    with client.session_transaction() as session:
        session["planted"] = "while signed in"

    client.post_form("/logout")

    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" not in session


def test_session_cookie_is_http_only_and_same_site(client, member):
    response = sign_in(client, member, "/")

    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


# Rate limiting ---------------------------------------------------------------------------------

LIMITED_FORMS = {
    "/login": {"email": "nobody@example.org", "password": "wrong passphrase"},
    "/register": registration(email="not an address"),
    "/password/forgot": {"email": "nobody@example.org"},
}


@pytest.mark.parametrize("url", list(LIMITED_FORMS))
def test_more_than_ten_posts_a_minute_from_one_address_are_refused(app, client, url):
    data = {**LIMITED_FORMS[url], "csrf_token": client.csrf_token()}
    codes = [client.post(url, data=data).status_code for _ in range(10)]
    assert 429 not in codes

    refused = client.post(url, data=data, headers={"Accept-Language": "ar"})

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = text(refused)
    assert '<html lang="ar" dir="rtl">' in page
    assert translated(app, "Too many attempts", "ar") in page
    assert translated(app, "Too many attempts in a short time. Please wait a minute and try again.", "ar") in page
    assert client.get(url).status_code == 200, "reading the form is not limited"
    other_address = client.post(url, data=data, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other_address.status_code != 429


def test_rate_limited_sign_in_does_not_sign_in_even_with_the_right_password(app, client, member):
    token = client.csrf_token()
    for _ in range(10):
        client.post("/login", data={"email": member.email, "password": "wrong passphrase", "csrf_token": token})

    response = client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": token})

    assert response.status_code == 429
    assert not is_signed_in(client)
    assert reload(app, member).last_login_at is None


# Security headers ------------------------------------------------------------------------------

PUBLIC_PAGES = ["/", "/login", "/register", "/password/forgot", "/no-such-page"]
MEMBER_PAGES = ["/account", "/account/edit", "/account/password", "/account/email"]


def assert_strict_headers(response) -> None:
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def assert_nothing_inline(response) -> None:
    """The policy forbids inline code and styles: the page must not need them."""
    page = response.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
    assert re.findall(r"<style\b", page) == []
    assert re.findall(r"\sstyle=", page) == []
    assert re.findall(r"\son[a-z]+=", page) == []
    assert "javascript:" not in page


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_a_strict_content_security_policy(client, path):
    response = client.get(path)

    assert response.mimetype == "text/html"
    assert_strict_headers(response)
    assert_nothing_inline(response)


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_member_pages_send_a_strict_content_security_policy(client, member, login_as, path):
    login_as(member)
    response = client.get(path)

    assert response.status_code == 200
    assert_strict_headers(response)
    assert_nothing_inline(response)


def test_plain_http_gets_no_strict_transport_security_in_testing(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


# Password storage ------------------------------------------------------------------------------


def assert_argon2id(password_hash: str, password: str) -> None:
    assert password_hash.startswith("$argon2id$")
    assert password not in password_hash
    assert PasswordHasher().verify(password_hash, password)


def test_registration_stores_an_argon2id_hash(app, client):
    client.post_form("/register", registration())

    with app.app_context():
        password_hash = db.session.scalar(select(User.password_hash).where(User.email == "amina@example.org"))
    assert_argon2id(password_hash, PASSWORD)


def test_changed_password_is_stored_as_an_argon2id_hash(app, client, member, login_as):
    login_as(member)

    client.post_form("/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                           "password_confirm": NEW_PASSWORD})

    assert_argon2id(reload(app, member).password_hash, NEW_PASSWORD)


def test_sign_in_upgrades_a_hash_made_with_old_parameters(app, client, member):
    old_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1, type=Argon2Type.ID).hash(PASSWORD)
    with app.app_context():
        db.session.get(User, member.id).password_hash = old_hash
        db.session.commit()

    sign_in(client, member, "/")

    new_hash = reload(app, member).password_hash
    assert new_hash != old_hash
    assert new_hash.startswith(
        f"$argon2id$v=19$m={app.config['ARGON2_MEMORY_COST']},t={app.config['ARGON2_TIME_COST']},"
        f"p={app.config['ARGON2_PARALLELISM']}$"
    )
    assert_argon2id(new_hash, PASSWORD)


def test_account_without_password_cannot_sign_in(client, make):
    invited = make.user(password=None)

    response = client.post_form("/login", {"email": invited.email, "password": ""})
    assert response.status_code == 422
    response = client.post_form("/login", {"email": invited.email, "password": PASSWORD})
    assert response.status_code == 401


# Configuration ---------------------------------------------------------------------------------


@pytest.fixture
def bare_environment(monkeypatch):
    """No configuration variable set, as on a server nobody has configured yet."""
    for name in CONFIG_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(bare_environment):
    bare_environment.setenv("DATABASE_URL", "postgresql://masar@db/masar")

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"MASAR_ENV": "production"})


def test_production_is_the_default_profile(bare_environment):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_to_start_without_a_database(bare_environment, tmp_path):
    bare_environment.setenv("SECRET_KEY", "a production secret")

    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config(str(tmp_path), "production")


def test_production_refuses_to_start_without_its_public_address(bare_environment, tmp_path):
    bare_environment.setenv("SECRET_KEY", "a production secret")
    bare_environment.setenv("DATABASE_URL", "postgresql://masar@db/masar")

    with pytest.raises(ConfigError, match="BASE_URL"):
        load_config(str(tmp_path), "production")


def test_development_without_a_database_url_creates_the_instance_folder(bare_environment, tmp_path):
    bare_environment.setenv("SECRET_KEY", "set by hand")
    instance = tmp_path / "instance"

    config = load_config(str(instance), "development")

    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'masar.db'}"
    assert instance.is_dir()


def test_unknown_profile_is_refused(bare_environment, tmp_path):
    with pytest.raises(ConfigError, match="MASAR_ENV"):
        load_config(str(tmp_path), "staging")


def test_production_marks_cookies_secure_and_never_writes_a_key(bare_environment, tmp_path):
    bare_environment.setenv("SECRET_KEY", "a production secret")
    bare_environment.setenv("DATABASE_URL", "postgres://masar@db/masar")
    bare_environment.setenv("BASE_URL", "https://masar.example.org")

    config = load_config(str(tmp_path), "production")

    assert config["SECRET_KEY"] == "a production secret"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["PREFERRED_URL_SCHEME"] == "https"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://masar@db/masar"
    assert "TESTING" not in config
    assert list(tmp_path.iterdir()) == []


def test_secure_cookie_settings_reach_the_browser(app, client, member, bare_environment, tmp_path):
    bare_environment.setenv("SECRET_KEY", "a production secret")
    bare_environment.setenv("DATABASE_URL", "postgresql://masar@db/masar")
    bare_environment.setenv("BASE_URL", "https://masar.example.org")
    production = load_config(str(tmp_path), "production")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        bare_environment.setitem(app.config, key, production[key])

    response = client.post_form("/login", {"email": member.email, "password": PASSWORD, "remember": "y"},
                                base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    assert response.status_code == 302, response.get_data(as_text=True)

    cookies = {value.split("=", 1)[0]: value for value in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name]
        assert "HttpOnly" in cookies[name]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("env", ["development", "testing"])
def test_development_creates_a_private_secret_key_in_the_instance_folder(bare_environment, tmp_path, env):
    instance = tmp_path / "instance"

    config = load_config(str(instance), env)

    key_file = instance / "secret_key"
    assert config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(config["SECRET_KEY"]) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_config(str(instance), env)["SECRET_KEY"] == config["SECRET_KEY"], "the key changes at restart"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'masar.db'}"
    assert "SESSION_COOKIE_SECURE" not in config


def test_development_uses_the_secret_key_from_the_environment(bare_environment, tmp_path):
    bare_environment.setenv("SECRET_KEY", "from the environment")

    config = load_config(str(tmp_path), "development")

    assert config["SECRET_KEY"] == "from the environment"
    assert not (tmp_path / "secret_key").exists()


def test_development_keys_differ_between_instances(bare_environment, tmp_path):
    first = load_config(str(tmp_path / "one"), "development")["SECRET_KEY"]
    second = load_config(str(tmp_path / "two"), "development")["SECRET_KEY"]

    assert first != second


# Health check ----------------------------------------------------------------------------------


def test_health_check_reports_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.is_json
    assert response.get_json()["status"] == "ok"
    assert response.get_json()["database"] == "ok"


def test_health_check_reports_an_unavailable_database(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    monkeypatch.setattr(app.logger, "disabled", True)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


# Links in mail -----------------------------------------------------------------------------------


def test_reset_link_uses_the_configured_address_whatever_host_the_request_names(app, client, member, mail_outbox):
    forged = "http://evil.example"
    page = client.get("/password/forgot", base_url=forged).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    response = client.post("/password/forgot", data={"email": member.email, "csrf_token": token},
                           base_url=forged, headers={"X-Forwarded-Host": "evil.example"})

    assert response.status_code == 302
    [mail] = mail_outbox
    assert "evil.example" not in mail.body
    assert f"{app.config['BASE_URL']}/password/reset/" in mail.body
