"""Bulk import of users from CSV, through the administration page and through ``flask lms import-users``.

Most tests run twice, once per way in (the ``importer`` fixture), since both share the same rules.
"""

import html
import io
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.accounts.models import Gender, Role, User
from lms.audit import AuditEvent
from lms.organizations.models import Organization, OrganizationStatus, OrganizationType
from lms.organizations.regions import Region
from lms.security import verify_password
from support import scalar, scalars, user_by_email

ERROR_ROW = re.compile(r"<tr><td>(\d*)</td><td><code>([^<]*)</code></td><td>([^<]*)</td></tr>")
CLI_ERROR = re.compile(r"^row (\d+)(?:, column ([^:]*))?: (.*)$", re.MULTILINE)
RESET_LINK = re.compile(r"https?://[^/\s]+(/password/reset/\S+)")
NEW_PASSWORD = "my own new passphrase"


# Helpers --------------------------------------------------------------------------------------

def csv_file(*lines: str, bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def snapshot(app) -> dict:
    """Everything an import could write, to prove that a rejected file wrote nothing."""
    return {
        "users": sorted((u.email, u.full_name, u.role.value, u.city, u.organization_id)
                        for u in scalars(app, select(User))),
        "organizations": sorted(scalars(app, select(Organization.name))),
        "events": scalar(app, select(func.count()).select_from(AuditEvent)),
    }


def label(app, member, locale: str) -> str:
    """The label of an enum member in one language, as the translations give it today."""
    with app.test_request_context(), force_locale(locale):
        return member.label


@dataclass
class Outcome:
    succeeded: bool
    errors: list[tuple[int, str, str]]  # (row, column, message); row 0 is the whole file.
    output: str

    @property
    def places(self) -> set[tuple[int, str]]:
        return {(row, column) for row, column, _message in self.errors}


# Fixtures -------------------------------------------------------------------------------------

def upload(client, content: bytes, filename: str = "users.csv"):
    return client.post_form("/admin/users/import", {"file": (io.BytesIO(content), filename)},
                            content_type="multipart/form-data")


@pytest.fixture
def import_page(admin_client):
    """Import through the administration page, as the administrator."""

    def run(content: bytes) -> Outcome:
        response = upload(admin_client, content)
        body = response.get_data(as_text=True)
        if response.status_code == 200:
            assert not ERROR_ROW.search(body)
            return Outcome(True, [], html.unescape(body))
        assert response.status_code == 422, body
        errors = [(int(row or 0), column, html.unescape(message)) for row, column, message in ERROR_ROW.findall(body)]
        assert errors, "a rejected file must list its errors"
        assert "nothing was imported" in body
        return Outcome(False, errors, html.unescape(body))

    return run


@pytest.fixture
def import_cli(runner, tmp_path):
    """Import with ``flask lms import-users``."""

    def run(content: bytes, *options: str) -> Outcome:
        path = tmp_path / "users.csv"
        path.write_bytes(content)
        result = runner.invoke(args=["lms", "import-users", str(path), *options])
        if result.exit_code == 0:
            return Outcome(True, [], result.output)
        assert result.exit_code == 1, result.output
        errors = [(int(row), column or "", message) for row, column, message in CLI_ERROR.findall(result.output)]
        assert errors, result.output
        assert "nothing was imported" in result.output
        return Outcome(False, errors, result.output)

    return run


@pytest.fixture(params=["page", "cli"])
def importer(request, admin):
    """Either way in; ``importer.via`` says which."""
    run = request.getfixturevalue(f"import_{request.param}")
    return SimpleNamespace(run=run, via=request.param, actor_id=admin.id if request.param == "page" else None)


# Reading files --------------------------------------------------------------------------------

ARABIC_ROWS = (
    "email,full_name,full_name_ar,gender,region,city,profession,language",
    "fatima@example.org,فاطمة الزهراء بنعلي,فاطمة الزهراء بنعلي,female,MA-06,الدار البيضاء,مساعدة اجتماعية,ar",
    "youssef@example.org,Youssef El Idrissi,يوسف الإدريسي,male,MA-01,Tanger,Inspecteur du travail,fr",
)


@pytest.mark.parametrize(
    "content",
    [
        csv_file(*ARABIC_ROWS),
        csv_file(*ARABIC_ROWS, bom=True),
        csv_file(*(line.replace(",", ";") for line in ARABIC_ROWS)),
        csv_file(*(line.replace(",", ";") for line in ARABIC_ROWS), bom=True),
        "\n".join(ARABIC_ROWS).encode("utf-8"),
    ],
    ids=["utf-8", "utf-8 with BOM", "semicolons", "semicolons with BOM", "unix newlines, no final newline"],
)
def test_import_reads_utf8_with_or_without_bom_and_either_delimiter(app, importer, content):
    outcome = importer.run(content)

    assert outcome.succeeded, outcome.errors
    fatima = user_by_email(app, "fatima@example.org")
    assert fatima.full_name == "فاطمة الزهراء بنعلي"
    assert fatima.full_name_ar == "فاطمة الزهراء بنعلي"
    assert (fatima.gender, fatima.region, fatima.locale) == (Gender.FEMALE, Region.CASABLANCA_SETTAT, "ar")
    assert (fatima.city, fatima.profession) == ("الدار البيضاء", "مساعدة اجتماعية")
    youssef = user_by_email(app, "youssef@example.org")
    assert (youssef.full_name, youssef.full_name_ar) == ("Youssef El Idrissi", "يوسف الإدريسي")
    assert youssef.region is Region.TANGER_TETOUAN_AL_HOCEIMA


def test_imported_users_are_invited_learners_without_password_or_consent(app, importer):
    importer.run(csv_file("email,full_name", "Salma@Example.org ,  Salma Berrada "))

    salma = user_by_email(app, "salma@example.org")
    assert salma.full_name == "Salma Berrada"
    assert salma.role is Role.LEARNER and salma.is_active
    assert salma.password_hash is None and salma.consent_at is None
    assert salma.invited_at is not None
    assert (salma.gender, salma.locale, salma.organization_id) == (Gender.UNDISCLOSED, "fr", None)


def test_quoted_cells_keep_their_commas_and_quotes(app, importer):
    outcome = importer.run(csv_file(
        "email,full_name,organization,organization_type",
        'amal@example.org,"Benjelloun, Amal","Association ""Amal"", Rabat",civil_society',
    ))

    assert outcome.succeeded, outcome.errors
    amal = user_by_email(app, "amal@example.org")
    assert amal.full_name == "Benjelloun, Amal"
    assert amal.organization.name == 'Association "Amal", Rabat'


def test_import_reports_what_it_did(importer):
    outcome = importer.run(csv_file("email,full_name", "a@example.org,A Person", "b@example.org,B Person"))
    expected = "2 users created." if importer.via == "page" else "Created 2 user(s), updated 0."
    assert expected in outcome.output


# Labels and codes -----------------------------------------------------------------------------

LABELLED = [
    ("region", Region.CASABLANCA_SETTAT, ["MA-06", "ma-06", "Casablanca-Settat", "casablanca-settat"]),
    ("gender", Gender.FEMALE, ["female", "Female", "FEMALE"]),
    ("role", Role.TRAINER, ["trainer", "Trainer"]),
]


@pytest.mark.parametrize(
    ("column", "member", "value"),
    [(column, member, value) for column, member, values in LABELLED for value in values],
)
def test_codes_and_english_labels_are_accepted(app, importer, column, member, value):
    outcome = importer.run(csv_file(f"email,full_name,{column}", f"salma@example.org,Salma Berrada,{value}"))
    assert outcome.succeeded, outcome.errors
    assert getattr(user_by_email(app, "salma@example.org"), column) is member


@pytest.mark.parametrize("locale", ["fr", "ar", "en"])
@pytest.mark.parametrize(
    ("column", "member"),
    [("region", Region.CASABLANCA_SETTAT), ("region", Region.SOUSS_MASSA), ("gender", Gender.MALE),
     ("gender", Gender.UNDISCLOSED), ("role", Role.MANAGER)],
)
def test_labels_in_every_language_are_accepted(app, importer, column, member, locale):
    value = label(app, member, locale)
    outcome = importer.run(csv_file(f"email,full_name,{column}", f'salma@example.org,Salma Berrada,"{value}"'))
    assert outcome.succeeded, (value, outcome.errors)
    assert getattr(user_by_email(app, "salma@example.org"), column) is member


def test_organization_type_is_accepted_as_a_translated_label(app, importer):
    value = label(app, OrganizationType.ACADEMIC, "ar")
    outcome = importer.run(csv_file("email,full_name,organization,organization_type",
                                    f"salma@example.org,Salma Berrada,Université Ibn Zohr,{value}"))
    assert outcome.succeeded, outcome.errors
    assert user_by_email(app, "salma@example.org").organization.type is OrganizationType.ACADEMIC


# Organizations --------------------------------------------------------------------------------

def test_an_unknown_organization_is_created_once_when_its_type_is_given(app, importer):
    outcome = importer.run(csv_file(
        "email,full_name,organization,organization_type,city,region",
        "a@example.org,A Person,  Fondation   Orient ,civil_society,Oujda,Oriental",
        "b@example.org,B Person,fondation orient,civil_society,Oujda,MA-02",
        "c@example.org,C Person,FONDATION ORIENT,civil_society,,",
    ))

    assert outcome.succeeded, outcome.errors
    [organization] = scalars(app, select(Organization))
    assert organization.name == "Fondation Orient"
    assert organization.status is OrganizationStatus.APPROVED
    assert (organization.type, organization.city, organization.region) == (
        OrganizationType.CIVIL_SOCIETY, "Oujda", Region.ORIENTAL)
    members = scalars(app, select(User.email).where(User.organization_id == organization.id))
    assert sorted(members) == ["a@example.org", "b@example.org", "c@example.org"]


def test_later_rows_may_name_an_organization_an_earlier_row_creates(app, importer):
    outcome = importer.run(csv_file(
        "email,full_name,organization,organization_type",
        "a@example.org,A Person,Radio Atlas,media",
        "b@example.org,B Person,radio atlas,",
    ))

    assert outcome.succeeded, outcome.errors
    [organization] = scalars(app, select(Organization))
    members = scalars(app, select(User.email).where(User.organization_id == organization.id))
    assert sorted(members) == ["a@example.org", "b@example.org"]


def test_an_existing_organization_is_found_whatever_the_case_and_spacing(app, make, importer):
    existing = make.organization("Association Amal")
    importer.run(csv_file("email,full_name,organization", "a@example.org,A Person,  ASSOCIATION   amal "))
    assert user_by_email(app, "a@example.org").organization_id == existing.id
    assert scalar(app, select(func.count()).select_from(Organization)) == 1


# Existing users -------------------------------------------------------------------------------

def test_existing_users_are_updated_never_deleted(app, make, importer):
    organization = make.organization("Association Amal")
    amina = make.user(email="amina@example.org", full_name="Amina Old", city="Rabat", profession="Teacher",
                      organization=organization)
    untouched = make.user(email="karim@example.org", full_name="Karim Kabbaj")
    count = select(func.count()).select_from(User)
    before = scalar(app, count)

    outcome = importer.run(csv_file(
        "email,full_name,city,region,profession,organization,role",
        "AMINA@Example.ORG,Amina Alaoui,Casablanca,MA-06,,,trainer",
        "new@example.org,New Person,,,,,",
    ))

    assert outcome.succeeded, outcome.errors
    assert scalar(app, count) == before + 1
    updated = user_by_email(app, "amina@example.org")
    assert updated.id == amina.id
    assert (updated.full_name, updated.city, updated.region, updated.role) == (
        "Amina Alaoui", "Casablanca", Region.CASABLANCA_SETTAT, Role.TRAINER)
    assert (updated.profession, updated.organization_id) == ("Teacher", organization.id)  # Empty cells keep values.
    with app.app_context():
        assert verify_password(updated.password_hash, "a long enough passphrase")
    assert updated.consent_at is not None and updated.invited_at is None
    assert user_by_email(app, "karim@example.org").full_name == untouched.full_name
    [event] = scalars(app, select(AuditEvent).where(AuditEvent.action == "role_changed"))
    assert (event.target_user_id, event.details) == (amina.id, {"old": "learner", "new": "trainer"})
    assert event.actor_id == importer.actor_id


def test_import_cannot_demote_the_last_active_administrator(app, admin, importer):
    before = snapshot(app)
    outcome = importer.run(csv_file("email,full_name,role", "zineb@masar.ma,Zineb Admin,learner"))
    assert not outcome.succeeded
    assert outcome.places == {(2, "role")}
    assert snapshot(app) == before
    assert user_by_email(app, "zineb@masar.ma").role is Role.ADMIN


def test_import_may_demote_an_administrator_when_another_remains(app, make, importer):
    other = make.user(email="other@masar.ma", role=Role.ADMIN)
    outcome = importer.run(csv_file("email,full_name,role", "other@masar.ma,Other Admin,learner"))
    assert outcome.succeeded, outcome.errors
    assert user_by_email(app, other.email).role is Role.LEARNER


# Invitations ----------------------------------------------------------------------------------

def test_new_users_are_invited_to_set_a_password_then_sign_in(app, make, importer, mail_outbox, login_as):
    make.user(email="amina@example.org")
    importer.run(csv_file("email,full_name,language", "amina@example.org,Amina Alaoui,",
                          "salma@example.org,Salma Berrada,en"))

    [mail] = mail_outbox
    assert mail.to == "salma@example.org"
    assert "Salma Berrada" in mail.body and "salma@example.org" in mail.body
    path = RESET_LINK.search(mail.body).group(1)

    browser = app.test_client()
    form = browser.get(path)
    assert form.status_code == 200
    assert 'name="consent"' in form.get_data(as_text=True)  # Imported users never gave their consent.

    refused = browser.post_form(path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert refused.status_code == 422
    assert 'id="consent-error"' in refused.get_data(as_text=True)
    assert user_by_email(app, "salma@example.org").password_hash is None

    accepted = browser.post_form(path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, "consent": "y"})
    assert accepted.status_code == 302 and accepted.location.endswith("/login")
    salma = user_by_email(app, "salma@example.org")
    assert salma.consent_at is not None
    login_as(salma, password=NEW_PASSWORD, target=browser)
    assert browser.get("/account").status_code == 200
    assert browser.get(path).status_code == 400  # The link works once.


def test_the_command_line_can_skip_invitations(app, import_cli, mail_outbox):
    outcome = import_cli(csv_file("email,full_name", "salma@example.org,Salma Berrada"), "--no-invite")
    assert outcome.succeeded
    assert user_by_email(app, "salma@example.org") is not None
    assert mail_outbox == []


def test_a_rejected_file_invites_nobody(importer, mail_outbox):
    importer.run(csv_file("email,full_name", "salma@example.org,Salma Berrada", "broken,Broken Row"))
    assert mail_outbox == []


# Audit ----------------------------------------------------------------------------------------

def test_an_import_is_audited(app, make, importer):
    make.user(email="amina@example.org")
    importer.run(csv_file("email,full_name", "amina@example.org,Amina Alaoui", "salma@example.org,Salma Berrada",
                          "omar@example.org,Omar Outsider"))

    [event] = scalars(app, select(AuditEvent).where(AuditEvent.action == "users_imported"))
    assert event.details == {"created": 2, "updated": 1, "file": "users.csv"}
    assert event.actor_id == importer.actor_id


# Rejected files -------------------------------------------------------------------------------

LONG_NAME = "N" * 201

REJECTED = {
    "unknown column": (["email,full_name,nickname", "a@example.org,A Person,Nick"], {(1, "nickname")}),
    "missing required column": (["email,gender", "a@example.org,female"], {(1, "full_name")}),
    "repeated column": (["email,full_name,email", "a@example.org,A Person,b@example.org"], {(1, "")}),
    "duplicate email in the file": (
        ["email,full_name", "a@example.org,A Person", "b@example.org,B Person", " A@Example.ORG,A Again"],
        {(4, "email")},
    ),
    "invalid email": (["email,full_name", "not-an-address,A Person"], {(2, "email")}),
    "missing email": (["email,full_name", ",A Person"], {(2, "email")}),
    "missing full name": (["email,full_name", "a@example.org,  "], {(2, "full_name")}),
    "name too long": (["email,full_name", f"a@example.org,{LONG_NAME}"], {(2, "full_name")}),
    "unknown gender": (["email,full_name,gender", "a@example.org,A Person,robot"], {(2, "gender")}),
    "unknown region": (["email,full_name,region", "a@example.org,A Person,MA-13"], {(2, "region")}),
    "region of another country": (["email,full_name,region", "a@example.org,A Person,Île-de-France"],
                                  {(2, "region")}),
    "unknown role": (["email,full_name,role", "a@example.org,A Person,superadmin"], {(2, "role")}),
    "unknown language": (["email,full_name,language", "a@example.org,A Person,de"], {(2, "language")}),
    "unknown organization type": (
        ["email,full_name,organization,organization_type", "a@example.org,A Person,Coop Atlas,cooperative"],
        {(2, "organization_type")},
    ),
    "unknown organization without type": (
        ["email,full_name,organization", "a@example.org,A Person,Coop Atlas"], {(2, "organization")}),
    "arabic name in latin letters": (
        ["email,full_name,full_name_ar", "a@example.org,A Person,Amina"], {(2, "full_name_ar")}),
    "row with too few cells": (["email,full_name,city", "a@example.org,A Person"], {(2, "")}),
    "formulas": (
        [
            "email,full_name,city,profession,organization",
            'a@example.org,"=HYPERLINK(""http://evil.example"",""click"")",Rabat,Nurse,',
            "b@example.org,B Person,+cmd|' /C calc'!A0,Nurse,",
            "c@example.org,C Person,Rabat,-1+1,",
            "d@example.org,D Person,Rabat,Nurse,@SUM(A1:A9)",
            "e@example.org,  =1+1,Rabat,Nurse,",
            "=f@example.org,F Person,Rabat,Nurse,",
        ],
        {(2, "full_name"), (3, "city"), (4, "profession"), (5, "organization"), (6, "full_name"), (7, "email")},
    ),
    "every row is checked": (
        [
            "email,full_name,gender",
            "ok1@example.org,Good One,female",
            "broken,Bad Email,female",
            "ok2@example.org,Good Two,male",
            "bad@example.org,Bad Gender,robot",
        ],
        {(3, "email"), (5, "gender")},
    ),
}


@pytest.mark.parametrize(("lines", "expected"), REJECTED.values(), ids=REJECTED.keys())
def test_invalid_files_are_rejected_by_row_and_column_and_nothing_is_written(app, make, importer, lines, expected):
    make.user(email="amina@example.org", full_name="Amina Alaoui")
    before = snapshot(app)

    outcome = importer.run(csv_file(*lines))

    assert not outcome.succeeded
    assert outcome.places == expected
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("email,full_name\nelise@example.org,Élise Pérès\n".encode("latin-1"), "The file is not encoded in UTF-8."),
        (b"", "The file is empty."),
        (b"\r\n  \r\n", "The file is empty."),
        (b"email,full_name\r\n", "The file has no rows to import."),
        (b"email,full_name\r\n,\r\n\r\n", "The file has no rows to import."),
    ],
    ids=["latin-1", "empty", "blank", "header only", "blank rows only"],
)
def test_unreadable_or_empty_files_get_a_clear_message(app, importer, content, message):
    before = snapshot(app)
    outcome = importer.run(content)
    assert not outcome.succeeded
    assert outcome.places == {(0, "")}
    if importer.via == "page":  # The page speaks the administrator's language (English here).
        [(_row, _column, text)] = outcome.errors
        assert message in text
    assert snapshot(app) == before


def test_the_page_explains_each_error(import_page):
    outcome = import_page(csv_file("email,full_name,gender,nickname", "a@example.org,A,robot,x"))
    assert ("Unknown column. Allowed columns: email, full_name, full_name_ar, gender, organization, "
            "organization_type, profession, city, region, language, role.") in outcome.output
    outcome = import_page(csv_file("email,full_name,city", "a@example.org,A,=1", "b@example.org,B,",
                                   "B@example.org,C,"))
    assert outcome.errors == [
        (2, "city", "Formulas are not accepted: remove the leading sign."),
        (4, "email", "This address is already on row 3."),
    ]
    outcome = import_page(csv_file("email,full_name,gender", "a@example.org,A,robot"))
    assert outcome.errors == [(2, "gender", "Unknown value “robot”.")]
    assert "The file has 1 error; nothing was imported." in outcome.output


def test_the_command_line_lists_errors_by_row_and_column(import_cli):
    outcome = import_cli(csv_file("email,full_name,region", "a@example.org,A Person,Atlantis",
                                  "broken,B Person,"))
    assert "row 2, column region: " in outcome.output
    assert "row 3, column email: " in outcome.output
    assert "2 error(s); nothing was imported." in outcome.output


def test_the_page_asks_for_a_file(app, admin_client):
    before = snapshot(app)
    response = admin_client.post_form("/admin/users/import", {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file to import." in html.unescape(response.get_data(as_text=True))
    assert snapshot(app) == before


def test_the_page_lists_the_accepted_columns(admin_client):
    page = admin_client.get("/admin/users/import")
    assert page.status_code == 200
    assert "email, full_name, full_name_ar, gender" in page.get_data(as_text=True)
