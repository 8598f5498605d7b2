"""Accounts through the web: registration, sign-in, password reset and change, email change,
profile editing and the language preference."""

import html
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD
from flask_babel import force_locale, gettext
from itsdangerous import TimestampSigner
from sqlalchemy import select

from lms.accounts.models import Gender, Role, User
from lms.audit import AuditEvent
from lms.db import utcnow
from lms.extensions import db
from lms.organizations.models import Organization, OrganizationStatus, OrganizationType
from lms.organizations.regions import Region
from support import can_sign_in, count, events, is_signed_in, reload

NEW_PASSWORD = "another long passphrase"
HTML_LANG = re.compile(r'<html lang="([^"]*)" dir="([^"]*)">')


# Helpers ---------------------------------------------------------------------------------------


def translated(app, message: str, locale: str = "fr") -> str:
    """``message`` as the application says it in ``locale``."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message)


def text(response) -> str:
    """The page with its HTML entities decoded, to look for messages in it."""
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field: str) -> str | None:
    """The error text shown under ``field``, or None."""
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    return html.unescape(match.group(1)) if match else None


def html_lang(response) -> tuple[str, str]:
    match = HTML_LANG.search(response.get_data(as_text=True))
    assert match, "no <html lang dir> on the page"
    return match.group(1), match.group(2)


def fetch_user(app, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def location(response) -> str:
    return response.headers["Location"]


def link_path(mail) -> str:
    """The path of the single link in a mail."""
    links = re.findall(r"https?://\S+", mail.body)
    assert len(links) == 1, mail.body
    return urlsplit(links[0]).path


def registration(**changes) -> dict:
    """A complete, valid registration form; a change to None leaves the field out."""
    data = {
        "email": "amina@example.org",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "full_name": "Amina Berrada",
        "full_name_ar": "أمينة برادة",
        "gender": "female",
        "profession": "Social worker",
        "city": "Tangier",
        "region": Region.TANGER_TETOUAN_AL_HOCEIMA.value,
        "locale": "ar",
        "organization": "none",
        "new_organization_name": "",
        "new_organization_type": "",
        "consent": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def profile(**changes) -> dict:
    """A complete, valid profile form."""
    fields = registration(**changes)
    for key in ("email", "password", "password_confirm", "consent"):
        fields.pop(key, None)
    return fields


def assert_refused(app, response, field: str, message: str | None) -> None:
    """A form shown again with 422, the error next to ``field`` and the summary on top."""
    assert response.status_code == 422
    language, _direction = html_lang(response)
    error = field_error(response, field)
    assert error, f"no error shown for {field}"
    if message is not None:
        assert translated(app, message, language) in error
    assert translated(app, "Please correct the highlighted fields.", language) in text(response)


# Registration ----------------------------------------------------------------------------------


def test_visitor_registers_with_every_field_and_is_signed_in(app, client):
    before = utcnow()
    response = client.post_form("/register", registration())

    assert response.status_code == 302
    assert location(response) == "/"
    user = fetch_user(app, "amina@example.org")
    assert user.full_name == "Amina Berrada"
    assert user.full_name_ar == "أمينة برادة"
    assert user.gender is Gender.FEMALE
    assert user.profession == "Social worker"
    assert user.city == "Tangier"
    assert user.region is Region.TANGER_TETOUAN_AL_HOCEIMA
    assert user.organization_id is None
    assert user.role is Role.LEARNER
    assert user.is_active
    assert before - timedelta(seconds=1) <= user.consent_at <= utcnow()
    assert [event.target_user_id for event in events(app, "registered")] == [user.id]
    assert is_signed_in(client)


def test_registration_saves_the_preferred_language_and_uses_it(app, client):
    client.post_form("/register", registration(locale="ar"))

    assert fetch_user(app, "amina@example.org").locale == "ar"
    assert html_lang(client.get("/")) == ("ar", "rtl")


def test_registration_stores_the_email_address_in_lower_case(app, client):
    client.post_form("/register", registration(email="Amina.Berrada@Example.ORG"))

    assert fetch_user(app, "amina.berrada@example.org") is not None


def test_arabic_name_is_optional(app, client):
    response = client.post_form("/register", registration(full_name_ar="  "))

    assert response.status_code == 302
    assert fetch_user(app, "amina@example.org").full_name_ar is None


def test_learner_joins_an_approved_organization_from_the_list(app, client, make):
    organization = make.organization(name="Association Tanmia")

    response = client.post_form("/register", registration(organization=str(organization.id)))

    assert response.status_code == 302
    assert fetch_user(app, "amina@example.org").organization_id == organization.id
    assert count(app, Organization) == 1


def test_learner_proposes_a_new_organization_which_waits_for_approval(app, client):
    response = client.post_form(
        "/register",
        registration(organization="new", new_organization_name="  Réseau   Solidarité Nord ",
                     new_organization_type=OrganizationType.ACADEMIC.value),
    )

    assert response.status_code == 302
    with app.app_context():
        organization = db.session.scalar(select(Organization))
        assert organization.name == "Réseau Solidarité Nord"
        assert organization.status is OrganizationStatus.PENDING
        assert organization.type is OrganizationType.ACADEMIC
        assert organization.city == "Tangier"
        assert organization.region is Region.TANGER_TETOUAN_AL_HOCEIMA
    assert fetch_user(app, "amina@example.org").organization_id == organization.id
    page = text(client.get("/account"))
    assert "Réseau Solidarité Nord" in page
    assert translated(app, "awaiting approval", "ar") in page


def test_proposing_an_organization_that_already_exists_joins_it(app, client, make):
    organization = make.organization(name="Association Tanmia")

    client.post_form("/register", registration(organization="new", new_organization_name="association  TANMIA",
                                               new_organization_type=OrganizationType.MEDIA.value))

    assert count(app, Organization) == 1
    assert fetch_user(app, "amina@example.org").organization_id == organization.id
    with app.app_context():
        assert db.session.get(Organization, organization.id).status is OrganizationStatus.APPROVED


def test_learner_without_organization_registers_as_individual(app, client, make):
    make.organization()

    client.post_form("/register", registration(organization="none"))

    assert fetch_user(app, "amina@example.org").organization_id is None
    assert count(app, Organization) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"email": ""}, "email", None, id="empty-email"),
        pytest.param({"password": "", "password_confirm": ""}, "password", None, id="empty-password"),
        pytest.param({"full_name": "   "}, "full_name", None, id="blank-full-name"),
        pytest.param({"profession": ""}, "profession", None, id="empty-profession"),
        pytest.param({"city": ""}, "city", None, id="empty-city"),
        pytest.param({"gender": ""}, "gender", None, id="no-gender"),
        pytest.param({"region": ""}, "region", None, id="no-region"),
        pytest.param({"organization": ""}, "organization", "Choose your organization, or say you have none.",
                     id="no-organization"),
        pytest.param({"full_name": "x" * 201}, "full_name", None, id="overlong-full-name"),
        pytest.param({"full_name_ar": "ب" * 201}, "full_name_ar", None, id="overlong-arabic-name"),
        pytest.param({"profession": "x" * 201}, "profession", None, id="overlong-profession"),
        pytest.param({"city": "x" * 101}, "city", None, id="overlong-city"),
        pytest.param({"organization": "new", "new_organization_name": "x" * 201,
                      "new_organization_type": "academic"}, "new_organization_name", None,
                     id="overlong-organization-name"),
        pytest.param({"email": "x" * 250 + "@example.org"}, "email", None, id="overlong-email"),
        pytest.param({"email": "amina@"}, "email", "Enter a valid email address.", id="email-without-domain"),
        pytest.param({"email": "amina example.org"}, "email", "Enter a valid email address.", id="email-without-at"),
        pytest.param({"password": "short", "password_confirm": "short"}, "password", None, id="short-password"),
        pytest.param({"email": "amina.berrada@example.org", "password": "Amina.Berrada@example.org",
                      "password_confirm": "Amina.Berrada@example.org"},
                     "password", "Your password must not be your email address.", id="password-is-email"),
        pytest.param({"password_confirm": "a different passphrase"}, "password_confirm",
                     "The two passwords do not match.", id="passwords-differ"),
        pytest.param({"consent": None}, "consent", "You must agree to the processing of your personal data.",
                     id="no-consent"),
        pytest.param({"full_name_ar": "Amina"}, "full_name_ar", "Write this name in Arabic letters only.",
                     id="latin-arabic-name"),
        pytest.param({"full_name_ar": "أمينة Berrada"}, "full_name_ar", "Write this name in Arabic letters only.",
                     id="mixed-arabic-name"),
        pytest.param({"organization": "new"}, "new_organization_name", "Give the name of your organization.",
                     id="new-organization-without-name"),
        pytest.param({"organization": "new", "new_organization_name": "Réseau Nord"}, "new_organization_type",
                     "Choose the type of your organization.", id="new-organization-without-type"),
        pytest.param({"gender": "robot"}, "gender", None, id="unknown-gender"),
        pytest.param({"region": "MA-99"}, "region", None, id="unknown-region"),
        pytest.param({"locale": "de"}, "locale", None, id="unknown-language"),
        pytest.param({"organization": "12345"}, "organization", None, id="unknown-organization"),
    ],
)
def test_invalid_registration_is_refused_and_writes_nothing(app, client, changes, field, message):
    response = client.post_form("/register", registration(**changes))

    assert_refused(app, response, field, message)
    assert PASSWORD not in response.get_data(as_text=True), "the password is sent back to the browser"
    assert count(app, User) == 0
    assert count(app, Organization) == 0
    assert count(app, AuditEvent) == 0
    assert not is_signed_in(client)


def test_registration_keeps_what_was_typed_when_refused(client):
    response = client.post_form("/register", registration(consent=None, full_name="Amina Berrada"))

    assert 'value="Amina Berrada"' in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["taken@example.org", "TAKEN@Example.org"])
def test_email_address_already_registered_is_refused_whatever_its_case(app, client, make, email):
    make.user(email="taken@example.org")

    response = client.post_form(
        "/register", registration(email=email, organization="new", new_organization_name="Réseau Nord",
                                  new_organization_type="academic"),
    )

    assert_refused(app, response, "email", "An account with this email address already exists.")
    assert count(app, User) == 1
    assert count(app, Organization) == 0
    assert count(app, AuditEvent) == 0


def test_pending_organization_cannot_be_chosen_from_the_list(app, client, make):
    pending = make.organization(status=OrganizationStatus.PENDING)

    response = client.post_form("/register", registration(organization=str(pending.id)))

    assert_refused(app, response, "organization", None)
    assert count(app, User) == 0


def test_registration_form_lists_only_approved_organizations(client, make):
    approved = make.organization(name="Association Approuvée")
    make.organization(name="Association En Attente", status=OrganizationStatus.PENDING)

    page = client.get("/register").get_data(as_text=True)

    assert f'value="{approved.id}"' in page
    assert "Association Approuvée" in page
    assert "Association En Attente" not in page


def test_signed_in_member_is_sent_home_from_registration(app, client, make, login_as):
    login_as(make.user())

    response = client.post_form("/register", registration(email="second@example.org"))

    assert response.status_code == 302
    assert location(response) == "/"
    assert fetch_user(app, "second@example.org") is None


# Sign in and sign out --------------------------------------------------------------------------


def test_member_signs_in_with_email_in_any_case(app, client, make):
    user = make.user(email="amina@example.org")

    response = client.post_form("/login", {"email": "AMINA@Example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert location(response) == "/"
    assert is_signed_in(client)
    assert reload(app, user).last_login_at is not None
    assert [event.actor_id for event in events(app, "sign_in")] == [user.id]


def test_wrong_password_is_refused_with_401_and_audited(app, client, make):
    user = make.user()

    response = client.post_form("/login", {"email": user.email, "password": "not the passphrase"})

    assert response.status_code == 401
    assert translated(app, "The email address or the password is not correct.") in field_error(response, "password")
    assert not is_signed_in(client)
    assert reload(app, user).last_login_at is None
    [event] = events(app, "sign_in_failed")
    assert event.target_user_id == user.id
    assert event.actor_id is None
    assert event.details == {"email": user.email}
    assert event.ip_address == "127.0.0.1"


def test_unknown_email_is_refused_with_the_same_message_and_audited(app, client, make):
    make.user()

    response = client.post_form("/login", {"email": "Nobody@Example.org", "password": PASSWORD})

    assert response.status_code == 401
    assert translated(app, "The email address or the password is not correct.") in field_error(response, "password")
    [event] = events(app, "sign_in_failed")
    assert event.target_user_id is None
    assert event.details == {"email": "nobody@example.org"}


def test_deactivated_member_cannot_sign_in(app, client, make):
    user = make.user(is_active=False)

    response = client.post_form("/login", {"email": user.email, "password": PASSWORD})

    assert response.status_code == 401
    assert not is_signed_in(client)
    assert len(events(app, "sign_in_failed")) == 1


def test_deactivated_member_loses_the_current_session(app, client, make, login_as):
    user = make.user()
    login_as(user)
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()

    assert not is_signed_in(client)


def test_sign_in_form_with_missing_fields_is_refused(app, client):
    response = client.post_form("/login", {"email": "", "password": ""})

    assert response.status_code == 422
    assert field_error(response, "email")
    assert field_error(response, "password")
    assert count(app, AuditEvent) == 0


def test_member_signs_out_with_post(app, client, make, login_as):
    user = make.user()
    login_as(user)

    response = client.post_form("/logout")

    assert response.status_code == 302
    assert location(response) == "/"
    assert not is_signed_in(client)
    assert [event.actor_id for event in events(app, "sign_out")] == [user.id]


def test_sign_out_by_get_is_not_allowed(client, make, login_as):
    login_as(make.user())

    response = client.get("/logout")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert is_signed_in(client)


def test_remember_me_sets_a_cookie_that_outlives_the_session(client, make):
    user = make.user()

    client.post_form("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})

    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")
    assert is_signed_in(client)


def test_changing_the_password_keeps_this_device_remembered(client, make):
    user = make.user()
    client.post_form("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})

    response = client.post_form("/account/password", {
        "current_password": PASSWORD, "password": "a brand new passphrase", "password_confirm": "a brand new passphrase"})

    assert response.status_code == 302
    client.delete_cookie("session")
    assert is_signed_in(client), "the remember-me cookie should carry the rotated token"


def test_without_remember_me_there_is_no_remember_cookie(client, make, login_as):
    login_as(make.user())

    assert client.get_cookie("remember_token") is None
    client.delete_cookie("session")
    assert not is_signed_in(client)


def test_sign_out_forgets_the_remember_me_cookie(client, make):
    user = make.user()
    client.post_form("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})

    client.post_form("/logout")

    assert client.get_cookie("remember_token") is None
    assert not is_signed_in(client)


def test_account_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/account")

    assert response.status_code == 302
    assert urlsplit(location(response)).path == "/login"


# Password reset --------------------------------------------------------------------------------


def request_reset(client, mail_outbox, email: str) -> str:
    """Ask for a reset link and return its path."""
    client.post_form("/password/forgot", {"email": email})
    assert len(mail_outbox) == 1
    return link_path(mail_outbox[-1])


def reset(client, path: str, password: str = NEW_PASSWORD):
    return client.post_form(path, {"password": password, "password_confirm": password})


def test_forgotten_password_mail_carries_a_reset_link(app, client, make, mail_outbox):
    user = make.user(locale="ar")

    response = client.post_form("/password/forgot", {"email": user.email.upper()})

    assert response.status_code == 302
    assert location(response) == "/login"
    [mail] = mail_outbox
    assert mail.to == user.email
    assert mail.subject == translated(app, "Reset your Masar password", "ar")
    assert link_path(mail).startswith("/password/reset/")
    assert client.get(link_path(mail)).status_code == 200


def test_reset_link_sets_a_new_password_and_works_only_once(app, client, make, mail_outbox):
    user = make.user()
    path = request_reset(client, mail_outbox, user.email)

    response = reset(client, path)

    assert response.status_code == 302
    assert location(response) == "/login"
    assert can_sign_in(app, user.email, NEW_PASSWORD)
    assert not can_sign_in(app, user.email, PASSWORD)
    assert [event.target_user_id for event in events(app, "password_reset")] == [user.id]

    assert client.get(path).status_code == 400
    replay = reset(client, path, "a third long passphrase")
    assert replay.status_code == 400
    assert translated(app, "This link is invalid, has expired or was already used.") in text(replay)
    assert can_sign_in(app, user.email, NEW_PASSWORD)


def test_reset_with_differing_passwords_is_refused_and_the_link_still_works(app, client, make, mail_outbox):
    user = make.user()
    path = request_reset(client, mail_outbox, user.email)

    response = client.post_form(path, {"password": NEW_PASSWORD, "password_confirm": "something else entirely"})

    assert_refused(app, response, "password_confirm", "The two passwords do not match.")
    assert can_sign_in(app, user.email, PASSWORD)
    assert reset(client, path).status_code == 302


@pytest.mark.parametrize(
    ("max_age", "age", "status"),
    [
        pytest.param(None, 59 * 60, 200, id="59-minutes-old"),
        pytest.param(None, 61 * 60, 400, id="61-minutes-old"),
        pytest.param(60, 120, 400, id="configured-one-minute"),
    ],
)
def test_reset_link_expires(app, client, make, mail_outbox, monkeypatch, max_age, age, status):
    if max_age is not None:
        monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", max_age)
    user = make.user()
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - age)
        path = request_reset(client, mail_outbox, user.email)

    assert client.get(path).status_code == status
    assert reset(client, path).status_code == (302 if status == 200 else 400)
    assert can_sign_in(app, user.email, NEW_PASSWORD if status == 200 else PASSWORD)


@pytest.mark.parametrize("active", [True, False])
def test_unknown_or_inactive_address_gets_the_same_answer_as_a_known_one(app, make, mail_outbox, active):
    user = make.user(is_active=active)
    known = app.test_client().post_form("/password/forgot", {"email": user.email}, follow_redirects=True)
    sent = len(mail_outbox)
    unknown = app.test_client().post_form("/password/forgot", {"email": "nobody@example.org"}, follow_redirects=True)

    assert sent == (1 if active else 0)
    assert len(mail_outbox) == sent
    flash = translated(app, "If an account uses this address, we have sent it a link to choose a new password.")
    for response in (known, unknown):
        assert response.status_code == 200
        assert response.request.path == "/login"
        assert flash in text(response)


def test_reset_signs_out_every_other_session(app, client, make, mail_outbox):
    user = make.user()
    other = app.test_client()
    other.post_form("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    assert is_signed_in(other)

    reset(client, request_reset(client, mail_outbox, user.email))

    assert not is_signed_in(other)
    other.delete_cookie("session")
    assert not is_signed_in(other), "the remember-me cookie still works after a reset"


def test_reset_link_dies_when_the_password_changes_otherwise(app, client, make, mail_outbox, login_as):
    user = make.user()
    path = request_reset(app.test_client(), mail_outbox, user.email)
    login_as(user)
    client.post_form("/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                           "password_confirm": NEW_PASSWORD})

    assert client.get(path).status_code == 400


def test_tampered_reset_link_is_refused(client, make, mail_outbox):
    user = make.user()
    path = request_reset(client, mail_outbox, user.email)

    assert client.get(path[:-3] + "abc").status_code == 400
    assert client.get("/password/reset/not-a-token").status_code == 400


# Password change -------------------------------------------------------------------------------


def change_password(client, current: str = PASSWORD, new: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post_form(
        "/account/password",
        {"current_password": current, "password": new, "password_confirm": new if confirm is None else confirm},
    )


def test_password_change_requires_the_current_password(app, client, make, login_as):
    user = make.user()
    login_as(user)

    response = change_password(client, current="not my passphrase")

    assert_refused(app, response, "current_password", "Your current password is not correct.")
    assert can_sign_in(app, user.email, PASSWORD)
    assert events(app, "password_changed") == []


@pytest.mark.parametrize(
    ("new", "confirm", "field", "message"),
    [
        pytest.param("short", None, "password", None, id="too-short"),
        pytest.param(NEW_PASSWORD, "something else entirely", "password_confirm",
                     "The two passwords do not match.", id="confirmation-differs"),
    ],
)
def test_weak_or_mistyped_new_password_is_refused(app, client, make, login_as, new, confirm, field, message):
    user = make.user()
    login_as(user)

    assert_refused(app, change_password(client, new=new, confirm=confirm), field, message)
    assert can_sign_in(app, user.email, PASSWORD)


def test_password_change_signs_out_other_sessions_and_keeps_this_one(app, client, make, login_as):
    user = make.user()
    other = app.test_client()
    login_as(user, target=other)
    login_as(user)
    with client.session_transaction() as session:
        old_id = session["_user_id"]

    response = change_password(client)

    assert response.status_code == 302
    assert location(response) == "/account"
    assert is_signed_in(client)
    assert not is_signed_in(other)
    with client.session_transaction() as session:
        assert session["_user_id"] != old_id
        assert session["_user_id"] == reload(app, user).session_token
    assert can_sign_in(app, user.email, NEW_PASSWORD)
    assert not can_sign_in(app, user.email, PASSWORD)
    assert [event.actor_id for event in events(app, "password_changed")] == [user.id]


# Email change ----------------------------------------------------------------------------------


def request_email_change(client, email: str, password: str = PASSWORD):
    return client.post_form("/account/email", {"email": email, "password": password})


def test_email_change_requires_the_password(app, client, make, login_as, mail_outbox):
    user = make.user()
    login_as(user)

    response = request_email_change(client, "new@example.org", password="not my passphrase")

    assert_refused(app, response, "password", "Your current password is not correct.")
    assert mail_outbox == []


def test_email_changes_only_after_confirming_the_link_sent_to_the_new_address(app, client, make, login_as,
                                                                              mail_outbox):
    user = make.user(email="old@example.org")
    login_as(user)

    response = request_email_change(client, "New@Example.org")

    assert response.status_code == 302
    assert location(response) == "/account"
    [mail] = mail_outbox
    assert mail.to == "new@example.org"
    assert reload(app, user).email == "old@example.org"

    page = client.get(link_path(mail))
    assert page.status_code == 200
    assert "new@example.org" in page.get_data(as_text=True)
    assert reload(app, user).email == "old@example.org", "a GET changed the address"

    confirmed = client.post_form(link_path(mail))

    assert confirmed.status_code == 302
    assert location(confirmed) == "/account"
    assert reload(app, user).email == "new@example.org"
    [event] = events(app, "email_changed")
    assert event.details == {"old": "old@example.org", "new": "new@example.org"}
    notice = mail_outbox[-1]
    assert notice.to == "old@example.org" and "new@example.org" in notice.body
    assert can_sign_in(app, "new@example.org", PASSWORD)
    assert not can_sign_in(app, "old@example.org", PASSWORD)


def test_email_change_link_works_only_once(app, client, make, login_as, mail_outbox):
    user = make.user()
    login_as(user)
    request_email_change(client, "new@example.org")
    path = link_path(mail_outbox[-1])
    client.post_form(path)

    assert client.get(path).status_code == 400
    assert client.post_form(path).status_code == 400
    assert reload(app, user).email == "new@example.org"


@pytest.mark.parametrize("taken", ["taken@example.org", "TAKEN@example.org"])
def test_email_change_to_an_address_in_use_is_refused(app, client, make, login_as, mail_outbox, taken):
    user = make.user()
    make.user(email="taken@example.org")
    login_as(user)

    response = request_email_change(client, taken)

    assert_refused(app, response, "email", "An account with this email address already exists.")
    assert mail_outbox == []


def test_email_change_to_the_same_address_is_refused(app, client, make, login_as, mail_outbox):
    user = make.user()
    login_as(user)

    assert_refused(app, request_email_change(client, user.email.upper()), "email",
                   "This is already your email address.")
    assert mail_outbox == []


def test_address_taken_before_confirmation_is_refused(app, client, make, login_as, mail_outbox):
    user = make.user()
    login_as(user)
    request_email_change(client, "new@example.org")
    make.user(email="new@example.org")

    response = client.post_form(link_path(mail_outbox[-1]))

    assert response.status_code == 409
    assert reload(app, user).email == user.email


def test_email_change_link_does_not_work_for_another_account(app, client, make, login_as, mail_outbox):
    user = make.user()
    login_as(user)
    request_email_change(client, "new@example.org")
    intruder = app.test_client()
    login_as(make.user(), target=intruder)

    assert intruder.get(link_path(mail_outbox[-1])).status_code == 400
    assert intruder.post_form(link_path(mail_outbox[-1])).status_code == 400
    assert fetch_user(app, "new@example.org") is None


# Profile ---------------------------------------------------------------------------------------


def test_profile_form_is_filled_with_the_current_values(client, make, login_as):
    user = make.user(full_name="Youssef Alaoui", full_name_ar="يوسف العلوي", profession="Journalist")
    login_as(user)

    page = client.get("/account/edit").get_data(as_text=True)

    assert 'value="Youssef Alaoui"' in page
    assert 'value="يوسف العلوي"' in page
    assert 'value="Journalist"' in page


def test_member_edits_every_profile_field(app, client, make, login_as):
    organization = make.organization()
    user = make.user(full_name_ar="يوسف")
    login_as(user)

    response = client.post_form(
        "/account/edit",
        profile(full_name="  Youssef Alaoui ", full_name_ar="", gender="male", profession="Journalist",
                city="Oujda", region=Region.ORIENTAL.value, locale="en", organization=str(organization.id)),
    )

    assert response.status_code == 302
    assert location(response) == "/account"
    saved = reload(app, user)
    assert saved.full_name == "Youssef Alaoui"
    assert saved.full_name_ar is None
    assert saved.gender is Gender.MALE
    assert saved.profession == "Journalist"
    assert saved.city == "Oujda"
    assert saved.region is Region.ORIENTAL
    assert saved.locale == "en"
    assert saved.organization_id == organization.id
    assert saved.email == user.email
    assert html_lang(client.get("/account")) == ("en", "ltr")


def test_member_leaves_an_organization_or_proposes_a_new_one(app, client, make, login_as):
    user = make.user(organization=make.organization())
    login_as(user)

    client.post_form("/account/edit", profile(organization="none"))
    assert reload(app, user).organization_id is None

    client.post_form("/account/edit", profile(organization="new", new_organization_name="Réseau Nord",
                                              new_organization_type="media"))
    organization = reload(app, user).organization
    assert organization.name == "Réseau Nord"
    assert organization.status is OrganizationStatus.PENDING


def test_member_of_a_pending_organization_keeps_it_when_editing_the_profile(app, client, make, login_as):
    pending = make.organization(name="Réseau Nord", status=OrganizationStatus.PENDING)
    user = make.user(organization=pending)
    login_as(user)

    page = client.get("/account/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{pending.id}">Réseau Nord</option>', page)
    response = client.post_form("/account/edit", profile(full_name="Youssef Alaoui", organization=str(pending.id)))

    assert response.status_code == 302
    saved = reload(app, user)
    assert (saved.full_name, saved.organization_id) == ("Youssef Alaoui", pending.id)


def test_member_cannot_join_someone_elses_pending_organization(app, client, make, login_as):
    pending = make.organization(status=OrganizationStatus.PENDING)
    make.user(organization=pending)
    user = make.user()
    login_as(user)

    response = client.post_form("/account/edit", profile(organization=str(pending.id)))

    assert_refused(app, response, "organization", None)
    assert reload(app, user).organization_id is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"full_name": ""}, "full_name", None, id="empty-full-name"),
        pytest.param({"profession": "x" * 201}, "profession", None, id="overlong-profession"),
        pytest.param({"full_name_ar": "Youssef"}, "full_name_ar", "Write this name in Arabic letters only.",
                     id="latin-arabic-name"),
        pytest.param({"organization": "new"}, "new_organization_name", "Give the name of your organization.",
                     id="new-organization-without-name"),
        pytest.param({"region": "MA-99"}, "region", None, id="unknown-region"),
    ],
)
def test_invalid_profile_is_refused_and_nothing_is_saved(app, client, make, login_as, changes, field, message):
    user = make.user(full_name="Youssef Alaoui")
    login_as(user)

    response = client.post_form("/account/edit", profile(**{"full_name": "Changed Name", **changes}))

    assert_refused(app, response, field, message)
    saved = reload(app, user)
    assert (saved.full_name, saved.profession, saved.full_name_ar) == (user.full_name, user.profession, None)
    assert count(app, Organization) == 0


def test_profile_edit_requires_sign_in(client):
    response = client.post_form("/account/edit", profile())

    assert response.status_code == 302
    assert urlsplit(location(response)).path == "/login"


# Language --------------------------------------------------------------------------------------


def test_language_choice_is_kept_in_the_session(client):
    response = client.post_form("/language", {"locale": "ar"})

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session["locale"] == "ar"
    assert html_lang(client.get("/")) == ("ar", "rtl")


def test_language_choice_of_a_member_is_saved_on_the_account(app, client, make, login_as):
    user = make.user(locale="fr")
    login_as(user)

    client.post_form("/language", {"locale": "en"})

    assert reload(app, user).locale == "en"
    fresh = app.test_client()
    login_as(user, target=fresh)
    assert html_lang(fresh.get("/")) == ("en", "ltr")


def test_unknown_language_is_refused(app, client, make, login_as):
    user = make.user(locale="fr")
    login_as(user)

    response = client.post_form("/language", {"locale": "de"})

    assert response.status_code == 400
    assert reload(app, user).locale == "fr"
    with client.session_transaction() as session:
        assert "locale" not in session


def test_language_switch_returns_to_the_page_it_was_made_on(client):
    response = client.post_form("/language", {"locale": "en", "next": "/register?step=1"})

    assert location(response) == "/register?step=1"


@pytest.mark.parametrize(
    ("account", "chosen", "browser", "expected"),
    [
        pytest.param(None, None, None, ("fr", "ltr"), id="default-french"),
        pytest.param(None, None, "de-DE,de;q=0.9", ("fr", "ltr"), id="unsupported-browser-language"),
        pytest.param(None, None, "ar-MA,ar;q=0.9,fr;q=0.5", ("ar", "rtl"), id="browser-language"),
        pytest.param(None, "en", "ar", ("en", "ltr"), id="choice-beats-browser"),
        pytest.param("ar", "en", "fr", ("ar", "rtl"), id="account-beats-choice"),
        pytest.param("en", None, "ar", ("en", "ltr"), id="account-beats-browser"),
    ],
)
def test_page_language_and_direction_follow_the_preferences(client, make, login_as, account, chosen, browser,
                                                           expected):
    if account:
        login_as(make.user(locale=account))
    if chosen:
        with client.session_transaction() as session:
            session["locale"] = chosen
    headers = {"Accept-Language": browser} if browser else {}

    assert html_lang(client.get("/", headers=headers)) == expected
