"""The JSON API and its tokens: who may read what, bad input explained, responses as the OpenAPI document says."""

import hashlib
import re
from dataclasses import asdict
from datetime import date, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from certificates.issuing import issue_certificate, reissue, revoke
from courses.cohorts.models import Attendance, AttendanceStatus, Cohort, CohortMember, CohortSession
from courses.models import Course, Enrollment
from lms.accounts.models import Gender, Role, User
from lms.api.models import ApiToken
from lms.api.openapi import openapi_document
from lms.api.tokens import create_token, revoke_token
from lms.db import utcnow
from lms.extensions import db
from lms.organizations.models import OrganizationType
from lms.reports.filters import ReportFilters
from lms.reports.indicators import DIMENSIONS, grouped
from support import ON_POSTGRESQL, count, events

SECRET = re.compile(r"masar_[A-Za-z0-9_-]{43}")


# The OpenAPI document, and every API response of this module checked against it -----------------

@pytest.fixture(scope="module")
def spec(app):
    with app.test_request_context():
        return openapi_document()


def _resolve(spec, item):
    while "$ref" in item:
        *_path, name = item["$ref"].split("/")
        item = spec["components"]["responses"][name]
    return item


def check_response(spec, template: str, response) -> None:
    """The status is documented for the operation and the JSON body matches its schema."""
    operation = spec["paths"][template]["get"]
    status = str(response.status_code)
    assert status in operation["responses"], (template, status, response.get_data(as_text=True)[:300])
    declared = _resolve(spec, operation["responses"][status])
    assert response.mimetype == "application/json"
    schema = {"components": spec["components"], **declared["content"]["application/json"]["schema"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(response.get_json())]
    assert errors == [], (template, errors)
    for header, description in declared.get("headers", {}).items():
        if description.get("required"):
            assert response.headers.get(header), (template, header)


@pytest.fixture
def api(client, spec):
    """``api(template, secret, params, **path)``: a GET on the API whose answer is checked against the document."""

    def get(template: str, secret: str | None = None, params: dict | None = None, headers: dict | None = None,
            target=None, **path):
        headers = dict(headers or {})
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        values = {name: quote(str(value), safe="") for name, value in path.items()}
        response = (target or client).get("/api/v1" + template.format(**values), query_string=params or {},
                                          headers=headers)
        check_response(spec, template, response)
        return response

    return get


def token_for(app, user: User, name: str = "Dashboard", expires_on: date | None = None, actor: User | None = None):
    """A new token's secret, created by the service the admin page uses."""
    with app.test_request_context():
        owner = db.session.get(User, user.id)
        _token, secret = create_token(owner, name, expires_on, db.session.get(User, (actor or user).id))
        db.session.commit()
        return secret


def token_row(app, secret: str) -> ApiToken:
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken).where(
            ApiToken.token_hash == hashlib.sha256(secret.encode()).hexdigest()))
        db.session.expunge(token)
        return token


def set_user(app, user: User, **values) -> None:
    with app.app_context():
        account = db.session.get(User, user.id)
        for name, value in values.items():
            setattr(account, name, value)
        db.session.commit()


# Data -------------------------------------------------------------------------------------------

@pytest.fixture
def world(app, make):
    """Two organizations' learners in two courses; a trainer's cohort in Tanger, another trainer's in Rabat."""
    ministry = make.organization("Ministère de la Justice", type=OrganizationType.GOVERNMENT)
    association = make.organization("Association Amal", type=OrganizationType.CIVIL_SOCIETY)
    trafficking = make.course(slug="trafficking", lessons=1)
    recruitment = make.course(slug="recruitment", lessons=1, languages=("fr",))
    draft = make.course(slug="draft-course", lessons=1, publish=False)
    people = {
        "amina": make.user(email="amina@example.org", full_name="Amina Alaoui", full_name_ar="أمينة العلوي",
                           gender=Gender.FEMALE, organization=ministry),
        "karim": make.user(email="karim@example.org", gender=Gender.MALE, organization=ministry),
        "salma": make.user(email="salma@example.org", gender=Gender.FEMALE, organization=association),
        "omar": make.user(email="omar@example.org", gender=Gender.MALE, organization=association),
    }
    staff = {
        "admin": make.user(email="admin@example.org", role=Role.ADMIN, locale="en"),
        "manager": make.user(email="manager@example.org", role=Role.MANAGER, organization=ministry),
        "trainer": make.user(email="trainer@example.org", role=Role.TRAINER),
        "other_trainer": make.user(email="other@example.org", role=Role.TRAINER),
        "learner": make.user(email="learner@example.org"),
    }
    now = utcnow()
    with app.app_context():
        for key, course, completed in (("amina", trafficking, now), ("amina", recruitment, now),
                                       ("karim", trafficking, None), ("salma", trafficking, now),
                                       ("omar", trafficking, None)):
            db.session.add(Enrollment(user_id=people[key].id, course_id=course.id, enrolled_at=now,
                                      completed_at=completed))
        db.session.flush()
        certificate = issue_certificate(db.session.get(User, people["amina"].id), db.session.get(Course, trafficking.id))
        tanger = Cohort(course_id=trafficking.id, name="Tanger", starts_on=date(2026, 1, 5), ends_on=date(2026, 3, 5),
                        trainers=[db.session.get(User, staff["trainer"].id)])
        rabat = Cohort(course_id=trafficking.id, name="Rabat", starts_on=date(2026, 2, 1), ends_on=date(2026, 4, 1),
                       trainers=[db.session.get(User, staff["other_trainer"].id)])
        db.session.add_all([tanger, rabat])
        db.session.flush()
        members = [CohortMember(cohort_id=tanger.id, user_id=people["salma"].id),
                   CohortMember(cohort_id=tanger.id, user_id=people["omar"].id),
                   CohortMember(cohort_id=tanger.id, full_name="Fatima Paper", gender=Gender.FEMALE, city="Tanger"),
                   CohortMember(cohort_id=rabat.id, user_id=people["amina"].id)]
        db.session.add_all(members)
        sessions = [CohortSession(cohort_id=tanger.id, title=f"S{n}", starts_at=now - timedelta(hours=n + 1))
                    for n in range(2)]
        db.session.add_all(sessions)
        db.session.flush()
        for member in members[:3]:
            db.session.add(Attendance(session_id=sessions[0].id, member_id=member.id, status=AttendanceStatus.PRESENT))
        db.session.commit()
        ids = {"tanger": tanger.id, "rabat": rabat.id, "certificate": certificate.display_code}
    return {"ministry": ministry, "association": association, "trafficking": trafficking,
            "recruitment": recruitment, "draft": draft, "people": people, **staff, **ids}


def scope_total(app, viewer: User, **filters) -> dict:
    """The total that ``grouped`` gives ``viewer``, as the API writes it."""
    with app.test_request_context():
        figures = grouped(ReportFilters(**filters), db.session.get(User, viewer.id), [()])[()][()]
    return {**asdict(figures), "mean_gain": figures.mean_gain, "share_improved": figures.share_improved}


# Token pages ------------------------------------------------------------------------------------

def test_admin_creates_a_token_whose_secret_is_shown_once_and_stored_hashed(app, admin, admin_client, api):
    assert "API tokens" in admin_client.get("/admin/users").get_data(as_text=True)  # in the admin menu
    response = admin_client.post_form("/admin/api-tokens", {"name": "Ministry dashboard"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secrets_shown = SECRET.findall(response.get_data(as_text=True))
    assert len(set(secrets_shown)) == 1
    secret = secrets_shown[0]

    token = token_row(app, secret)
    assert (token.user_id, token.name, token.prefix) == (admin.id, "Ministry dashboard", secret[6:14])
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    with app.app_context(), db.engine.connect() as connection:
        stored = " ".join(repr(connection.execute(sa.select(table)).all()) for table in db.metadata.sorted_tables)
    assert secret[6:] not in stored and secret not in stored
    with admin_client.session_transaction() as session:
        assert secret not in repr(dict(session))

    again = admin_client.get("/admin/api-tokens").get_data(as_text=True)
    assert secret not in again and f"masar_{token.prefix}…" in again and "Ministry dashboard" in again
    assert api("/courses", secret).status_code == 200
    [event] = events(app, "api_token_created")
    assert (event.actor_id, event.target_user_id, event.details["name"]) == (admin.id, admin.id, "Ministry dashboard")
    assert secret not in repr(event.details)


def test_admin_creates_a_token_for_another_account_with_an_expiry_date(app, make, admin_client):
    manager = make.user(email="manager@example.org", role=Role.MANAGER)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = admin_client.post_form("/admin/api-tokens", {"name": "Reports", "owner": "Manager@Example.org ",
                                                            "expires_on": tomorrow})
    assert response.status_code == 200, response.get_data(as_text=True)
    token = token_row(app, SECRET.search(response.get_data(as_text=True)).group())
    assert token.user_id == manager.id and token.expires_at > utcnow() + timedelta(days=1)
    assert "manager@example.org" in admin_client.get("/admin/api-tokens").get_data(as_text=True)


@pytest.mark.parametrize("data, field, message", [
    ({"name": ""}, "name", "Say what the token is for."),
    ({"name": "x" * 101}, "name", "at most 100 characters"),
    ({"name": "Old", "expires_on": "2020-01-01"}, "expires_on", "Choose an expiry date in the future."),
    ({"name": "Today", "expires_on": "today"}, "expires_on", "Not a valid date value"),
    ({"name": "Nobody", "owner": "nobody@example.org"}, "owner", "No account uses this address."),
    ({"name": "Bad", "owner": "not an address"}, "owner", "Give an email address."),
])
def test_token_form_explains_mistakes(app, admin_client, data, field, message):
    response = admin_client.post_form("/admin/api-tokens", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page
    assert count(app, ApiToken) == 0


def test_tokens_are_not_created_for_deactivated_accounts_nor_without_csrf(app, make, admin_client):
    make.user(email="gone@example.org", is_active=False)
    response = admin_client.post_form("/admin/api-tokens", {"name": "Gone", "owner": "gone@example.org"})
    assert response.status_code == 422 and "This account is deactivated." in response.get_data(as_text=True)
    assert admin_client.post("/admin/api-tokens", data={"name": "No CSRF"}).status_code == 400
    assert count(app, ApiToken) == 0


def test_admin_revokes_a_token_and_it_stops_working_at_once(app, admin, admin_client, make, api):
    manager = make.user(role=Role.MANAGER)
    secret = token_for(app, manager, actor=admin)
    assert api("/courses", secret).status_code == 200
    token = token_row(app, secret)
    response = admin_client.post_form(f"/admin/api-tokens/{token.id}/revoke", follow_redirects=True)
    assert "is revoked" in response.get_data(as_text=True)
    revoked = token_row(app, secret)
    assert revoked.revoked_at is not None and revoked.revoked_by_id == admin.id
    assert api("/courses", secret).status_code == 401
    [event] = events(app, "api_token_revoked")
    assert (event.actor_id, event.target_user_id) == (admin.id, manager.id)
    again = admin_client.post_form(f"/admin/api-tokens/{token.id}/revoke", follow_redirects=True)
    assert "already revoked" in again.get_data(as_text=True)
    assert len(events(app, "api_token_revoked")) == 1
    assert admin_client.post_form("/admin/api-tokens/999999/revoke").status_code == 404


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TRAINER, Role.MANAGER])
def test_only_administrators_reach_the_token_pages_and_revoke_tokens(app, make, client, login_as, admin, role):
    secret = token_for(app, admin)
    token = token_row(app, secret)
    login_as(make.user(role=role))
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.post_form("/admin/api-tokens", {"name": "Mine"}).status_code == 403
    assert client.post_form(f"/admin/api-tokens/{token.id}/revoke").status_code == 403
    assert token_row(app, secret).revoked_at is None
    assert count(app, ApiToken) == 1


# Authentication ----------------------------------------------------------------------------------

def test_missing_unknown_malformed_revoked_and_expired_tokens_get_401(app, make, admin, api):
    manager = make.user(role=Role.MANAGER)
    revoked, expired, valid = (token_for(app, manager, name=name) for name in ("Revoked", "Expired", "Valid"))
    with app.test_request_context():
        revoke_token(db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "Revoked")),
                     db.session.get(User, admin.id))
        db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "Expired")).expires_at = utcnow()
        db.session.commit()
    unknown = "masar_" + "A" * 43
    headers = [{}, {"Authorization": f"Bearer {revoked}"}, {"Authorization": f"Bearer {expired}"},
               {"Authorization": f"Bearer {unknown}"}, {"Authorization": "Bearer"}, {"Authorization": "Bearer   "},
               {"Authorization": valid}, {"Authorization": f"Basic {valid}"}, {"Authorization": f"Token {valid}"},
               {"Authorization": "Bearer " + "x" * 5000}, {"Authorization": "Bearer masar_é"},
               {"Authorization": f"Bearer {valid[:-1]}"}, {"X-Api-Key": valid}]
    for header in headers:
        for template in ("/indicators", "/courses", "/cohorts"):
            response = api(template, headers=header)
            assert response.status_code == 401, (header, template)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert api("/certificates/{code}", headers=header, code="AAAA-BBBB-CCCC-DDDD").status_code == 401
    assert api("/courses", valid, params={"token": valid}).status_code == 200
    assert api("/courses", headers={"Authorization": f"bearer  {valid} "}).status_code == 200
    assert 'error="invalid_token"' in api("/courses", unknown).headers["WWW-Authenticate"]


def test_a_signed_in_browser_session_is_not_enough(admin_client, api):
    for template in ("/indicators", "/courses", "/cohorts"):
        assert api(template, target=admin_client).status_code == 401
    assert api("/openapi.json", target=admin_client).status_code == 200  # the document is public


def test_a_token_follows_its_owner_role_and_account(app, make, world, api):
    manager = world["manager"]
    secret = token_for(app, manager)
    assert api("/indicators", secret).status_code == 200
    set_user(app, manager, role=Role.LEARNER)
    for template in ("/indicators", "/cohorts"):
        response = api(template, secret)
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert api("/courses", secret).status_code == 200
    assert api("/certificates/{code}", secret, code=world["certificate"]).status_code == 200
    set_user(app, manager, is_active=False)
    assert api("/courses", secret).status_code == 401


def test_learner_tokens_read_the_catalogue_and_certificates_only(app, world, api):
    secret = token_for(app, world["learner"])
    assert api("/indicators", secret).status_code == 403
    assert api("/cohorts", secret).status_code == 403
    assert api("/courses", secret).status_code == 200


def test_last_use_is_written_at_most_once_a_minute(app, world, api, count_queries):
    secret = token_for(app, world["admin"])
    assert token_row(app, secret).last_used_at is None
    api("/courses", secret)
    first = token_row(app, secret).last_used_at
    assert first is not None
    with count_queries() as queries:
        api("/courses", secret)
    assert not [query for query in queries if query.lstrip().upper().startswith("UPDATE")]
    assert token_row(app, secret).last_used_at == first
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(last_used_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    api("/courses", secret)
    assert token_row(app, secret).last_used_at > first


def test_requests_are_rate_limited_per_token(app, world, api, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    first, second = token_for(app, world["admin"], name="One"), token_for(app, world["admin"], name="Two")
    assert [api("/courses", first).status_code for _ in range(3)] == [200, 200, 429]
    response = api("/courses", first)
    assert response.get_json()["error"]["code"] == "too_many_requests" and response.headers.get("Retry-After")
    assert api("/courses", second).status_code == 200


# Indicators -------------------------------------------------------------------------------------

def test_indicators_give_the_total_within_the_owner_scope(app, world, api):
    totals = {}
    for role in ("admin", "manager", "trainer"):
        body = api("/indicators", token_for(app, world[role])).get_json()
        assert body["total"] == scope_total(app, world[role]), role
        assert "groups" not in body and body["rows"] is None
        totals[role] = body["total"]
    assert totals["admin"]["people_trained"] == 4  # Amina, Salma (completed), Omar and Fatima (attended)
    assert totals["manager"]["enrolments"] == 3  # Amina's two and Karim's: the ministry only
    assert totals["trainer"]["workshop_participants"] == 3  # the Tanger cohort only
    assert totals["manager"] != totals["admin"] and totals["trainer"] != totals["admin"]


def test_indicators_take_the_report_filters_and_echo_them(app, world, api):
    secret = token_for(app, world["admin"])
    params = {"gender": "female", "organization_type": "government", "year": str(date.today().year), "quarter": "",
              "city": "  "}
    body = api("/indicators", secret, params).get_json()
    today = date.today()
    assert body["filters"] == {"start": f"{today.year}-01-01", "end": f"{today.year}-12-31", "course": None,
                               "topic": None, "cohort": None, "organization": None, "organization_type": "government",
                               "region": None, "city": None, "gender": "female"}
    assert body["total"] == scope_total(app, world["admin"], gender=Gender.FEMALE,
                                        organization_type=OrganizationType.GOVERNMENT, start=date(today.year, 1, 1),
                                        end=date(today.year, 12, 31))
    assert body["total"]["people_trained"] == 1  # Amina
    by_cohort = api("/indicators", secret, {"cohort": world["tanger"]}).get_json()
    assert by_cohort["filters"]["cohort"] == world["tanger"]
    assert by_cohort["total"] == scope_total(app, world["admin"], cohort_id=world["tanger"])


def test_indicators_by_rows_and_columns_with_totals_and_labels(app, world, api):
    secret = token_for(app, world["admin"])
    body = api("/indicators", secret, {"rows": "organization_type", "columns": "gender"}).get_json()
    with app.test_request_context():
        results = grouped(ReportFilters(), db.session.get(User, world["admin"].id),
                          [("organization_type", "gender"), ("organization_type",), ("gender",)])
    cells = {(group["rows"]["key"], group["columns"]["key"]): group["indicators"]["people_trained"]
             for group in body["groups"]}
    assert cells == {key: figures.people_trained for key, figures in results[("organization_type", "gender")].items()}
    assert {(row["key"], row["indicators"]["enrolments"]) for row in body["row_totals"]} == {
        (key, figures.enrolments) for (key,), figures in results[("organization_type",)].items()}
    assert [column["key"] for column in body["column_totals"]] == ["female", "male"]
    labels = {group["rows"]["key"]: group["rows"]["label"] for group in body["groups"]}
    assert labels["government"] == "Government or public institution" and labels[None] == "Not recorded"

    french = api("/indicators", secret, {"rows": "gender", "lang": "fr"}).get_json()
    assert french["columns"] is None and french["language"] == "fr"
    assert {group["rows"]["label"] for group in french["groups"]} == {"Femme", "Homme"}
    assert all(group["columns"] is None for group in french["groups"])
    arabic = api("/indicators", secret, {"rows": "course", "lang": "ar"}).get_json()
    assert {group["rows"]["label"] for group in arabic["groups"]} == {"الدرس trafficking", "Leçon recruitment"}


@pytest.mark.parametrize("params, fields", [
    ({"gender": "robot"}, {"gender"}),
    ({"start": "2026-05-01", "end": "2026-04-01"}, {"end"}),
    ({"city": "x" * 5000}, {"city"}),
    ({"rows": "robot"}, {"rows"}),
    ({"rows": "gender", "columns": "gender"}, {"columns"}),
    ({"columns": "gender"}, {"columns"}),
    ({"quarter": "2"}, {"quarter"}),
    ({"year": "2026", "start": "2026-01-01"}, {"year"}),
    ({"course": "abc", "cohort": "²", "organization": "-1", "year": "٢٠٢٦"}, {"course", "cohort", "organization", "year"}),
    ({"start": "yesterday", "end": "9999-12-31"}, {"start", "end"}),
    ({"start": "0001-01-01"}, {"start"}),
    ({"city": "Rabat\x00"}, {"city"}),
    ({"publication": "yes"}, {"publication"}),
    ({"lang": "de"}, {"lang"}),
])
def test_bad_parameters_are_explained_field_by_field(app, world, api, params, fields):
    response = api("/indicators", token_for(app, world["admin"]), params)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameters" and set(error["fields"]) == fields
    assert all(message.strip() for message in error["fields"].values())


def test_bad_parameter_messages_come_in_the_requested_language(app, world, api):
    body = api("/indicators", token_for(app, world["admin"]), {"gender": "robot", "lang": "fr"}).get_json()
    assert body["error"]["fields"]["gender"] == "«\u00a0robot\u00a0» ne fait pas partie des choix proposés."


def test_publication_masks_small_counts_and_scores(app, make, world, api):
    with app.app_context():
        enrolments = db.session.scalars(sa.select(Enrollment).where(Enrollment.course_id == world["trafficking"].id)
                                        .order_by(Enrollment.id)).all()
        enrolments[0].pre_test_score, enrolments[0].post_test_score = 40, 70
        enrolments[1].pre_test_score, enrolments[1].post_test_score = 50, 45
        db.session.commit()
    extra = [make.user(email=f"bulk{n}@example.org") for n in range(5)]
    with app.app_context():
        db.session.add_all(Enrollment(user_id=user.id, course_id=world["recruitment"].id) for user in extra)
        db.session.commit()
    secret = token_for(app, world["admin"])
    plain = api("/indicators", secret).get_json()["total"]
    assert (plain["enrolments"], plain["people_trained"], plain["tested"], plain["improved"]) == (10, 4, 2, 1)
    assert (plain["mean_pre"], plain["mean_post"], plain["mean_gain"], plain["share_improved"]) == (45, 57.5, 12.5, 0.5)

    published = api("/indicators", secret, {"publication": "1", "rows": "gender"}).get_json()
    total = published["total"]
    assert published["publication"] is True
    assert (total["enrolments"], total["people_trained"], total["tested"], total["improved"]) == (10, "<5", "<5", "<5")
    assert total["certificates"] == "<5" and total["workshop_participants"] == "<5"
    assert (total["mean_pre"], total["mean_post"], total["mean_gain"], total["share_improved"]) == (None,) * 4
    counts = [value for group in published["groups"] for name, value in group["indicators"].items()
              if name not in ("mean_pre", "mean_post", "mean_gain", "share_improved")]
    assert all(value == "<5" or value == 0 or value >= 5 for value in counts)
    assert "<5" in counts


# Courses, cohorts, certificates -----------------------------------------------------------------

def test_courses_lists_published_courses_with_every_title(app, world, api):
    courses = api("/courses", token_for(app, world["learner"])).get_json()["courses"]
    assert [course["slug"] for course in courses] == ["trafficking", "recruitment"]  # not the draft
    trafficking, recruitment = courses
    assert trafficking == {"id": world["trafficking"].id, "slug": "trafficking", "topic": "trafficking",
                           "titles": {"fr": "Leçon trafficking", "ar": "الدرس trafficking", "en": "Lesson trafficking"},
                           "languages": ["fr", "ar", "en"], "estimated_hours": 2.5}
    assert recruitment["titles"] == {"fr": "Leçon recruitment", "ar": None, "en": None}
    assert recruitment["languages"] == ["fr"]


def test_cohorts_are_those_the_owner_may_see_without_personal_data(app, world, api):
    def cohorts(role):
        return {cohort["name"]: cohort for cohort in api("/cohorts", token_for(app, world[role])).get_json()["cohorts"]}

    everything = cohorts("admin")
    assert set(everything) == {"Tanger", "Rabat"}
    assert everything["Tanger"] == {"id": world["tanger"], "course_id": world["trafficking"].id, "name": "Tanger",
                                    "starts_on": "2026-01-05", "ends_on": "2026-03-05", "member_count": 3,
                                    "session_count": 2}
    assert everything["Rabat"]["session_count"] == 0
    assert set(cohorts("trainer")) == {"Tanger"}
    assert set(cohorts("other_trainer")) == {"Rabat"}
    managed = cohorts("manager")
    assert set(managed) == {"Rabat"} and managed["Rabat"]["member_count"] == 1  # Amina, of the ministry


def test_certificate_checks_say_what_the_verification_page_says(app, world, admin, api):
    secret = token_for(app, world["learner"])
    code = world["certificate"]
    valid = api("/certificates/{code}", secret, code=code.replace("-", "").lower()).get_json()
    assert (valid["code"], valid["status"], valid["kind"], valid["holder_name"]) == (code, "valid", "completion",
                                                                                    "Amina Alaoui")
    assert valid["course_title"] == "Lesson trafficking" and valid["issued_on"] == date.today().isoformat()
    assert (valid["revoked_on"], valid["revocation_reason"], valid["replaced"]) == (None, None, False)
    arabic = api("/certificates/{code}", secret, {"lang": "ar"}, code=code).get_json()
    assert (arabic["holder_name"], arabic["course_title"]) == ("أمينة العلوي", "الدرس trafficking")

    with app.test_request_context():
        from certificates.queries import by_code
        from certificates.codes import normalize
        revoke(by_code(normalize(code)), "Fraud", db.session.get(User, admin.id))
        db.session.commit()
    revoked = api("/certificates/{code}", secret, code=code).get_json()
    assert (revoked["status"], revoked["revocation_reason"], revoked["replaced"]) == ("revoked", "Fraud", False)
    assert revoked["revoked_on"] == date.today().isoformat()

    with app.test_request_context():
        other = issue_certificate(db.session.get(User, world["people"]["salma"].id),
                                  db.session.get(Course, world["trafficking"].id))
        new = reissue(other, "Name corrected", db.session.get(User, admin.id))
        db.session.commit()
        old_code, new_code = other.display_code, new.display_code
    replaced = api("/certificates/{code}", secret, code=old_code).get_json()
    assert (replaced["status"], replaced["replaced"], replaced["revocation_reason"]) == ("revoked", True, None)
    assert api("/certificates/{code}", secret, code=new_code).get_json()["status"] == "valid"

    for unknown in ("AAAA-BBBB-CCCC-DDDD", "not a code", "x" * 500, "a/b", "line\nbreak", "tab\t?#%"):
        response = api("/certificates/{code}", secret, code=unknown)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_certificate"


# Query counts -----------------------------------------------------------------------------------

def test_api_queries_stay_fixed_whatever_the_number_of_courses_and_cohorts(app, make, world, api, count_queries):
    secret = token_for(app, world["admin"])
    api("/courses", secret)  # records the first use, a write the counts below leave out
    settings = int(ON_POSTGRESQL)  # PostgreSQL: one more statement sets up the report query
    budgets = {("/courses", ()): 2, ("/cohorts", ()): 3, ("/indicators", ()): 2 + settings,
               ("/indicators", (("rows", "course"), ("columns", "cohort"))): 4 + settings,
               ("/indicators", (("rows", "organization"), ("columns", "gender"))): 3 + settings}
    counts = {}
    for size in (1, 5):
        for n in range(size):
            course = make.course(slug=f"extra-{size}-{n}", lessons=1)
            with app.app_context():
                cohort = Cohort(course_id=course.id, name=f"Extra {size}-{n}", starts_on=date(2026, 1, 1),
                                ends_on=date(2026, 2, 1))
                db.session.add(cohort)
                db.session.flush()
                db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=world["people"]["karim"].id),
                                    CohortSession(cohort_id=cohort.id, title="S", starts_at=utcnow())])
                db.session.add(Enrollment(user_id=world["people"]["omar"].id, course_id=course.id,
                                          completed_at=utcnow()))
                db.session.commit()
        for (template, params), budget in budgets.items():
            with count_queries() as queries:
                assert api(template, secret, dict(params)).status_code == 200
            counts.setdefault((template, params), []).append(len(queries))
            assert len(queries) <= budget, (template, params, queries)
    assert {key: found for key, found in counts.items() if found[0] != found[1]} == {}
    with count_queries() as queries:
        api("/certificates/{code}", secret, code=world["certificate"])
    assert len(queries) == 2


def test_token_page_keeps_its_query_budget(app, admin, admin_client, make, count_queries):
    counts = []
    for size in (2, 12):
        while count(app, ApiToken) < size:
            owner = make.user(role=Role.MANAGER)
            token_for(app, owner, actor=admin)
        with count_queries() as queries:
            assert admin_client.get("/admin/api-tokens").status_code == 200
        counts.append(len(queries))
    assert counts == [2, 2]  # the signed-in user, then the tokens with their owners


# The document ------------------------------------------------------------------------------------

def test_openapi_document_is_public_and_describes_every_endpoint(app, client, spec):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json() == spec
    assert spec["openapi"].startswith("3.1")
    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    routes = {rule.rule.removeprefix("/api/v1").replace("<anytext:code>", "{code}")
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert routes == set(spec["paths"])
    for path, item in spec["paths"].items():
        assert set(item) == {"get"}
        operation = item["get"]
        for parameter in operation["parameters"]:
            Draft202012Validator.check_schema(parameter["schema"])
        if path != "/openapi.json":
            assert {"200", "401", "429"} <= set(operation["responses"])
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}
    parameters = {parameter["name"]: parameter["schema"] for parameter in spec["paths"]["/indicators"]["get"]["parameters"]}
    assert parameters["rows"]["anyOf"][0]["enum"] == list(DIMENSIONS)
    assert parameters["gender"]["anyOf"][0]["enum"] == [gender.value for gender in Gender]
    assert set(parameters) >= {"start", "end", "year", "quarter", "course", "topic", "cohort", "organization",
                               "organization_type", "region", "city", "gender", "rows", "columns", "publication",
                               "lang"}


def test_every_documented_value_of_each_parameter_is_accepted(app, world, api, spec):
    """Each enum value the document offers answers 200, so a client built from it is not refused."""
    secret = token_for(app, world["admin"])
    for parameter in spec["paths"]["/indicators"]["get"]["parameters"]:
        for value in [value for choice in parameter["schema"]["anyOf"] for value in choice.get("enum", [])]:
            params = {parameter["name"]: value}
            if parameter["name"] == "columns":
                params["rows"] = "year" if value != "year" else "gender"
            assert api("/indicators", secret, params).status_code == 200, params
