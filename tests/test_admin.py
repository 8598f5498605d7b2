"""Administration of users: list, search, filters, roles, account status and the audit log."""

import html
import io
import re

import pytest
from sqlalchemy import func, select

from lms.accounts import services
from lms.accounts.models import Gender, Role, User
from lms.errors import DomainError
from lms.extensions import db
from lms.organizations.regions import Region
from support import events, reload, scalar

USER_LINK = re.compile(r'<a href="/admin/users/(\d+)">([^<]+)</a>')
PASSWORD = "a long enough passphrase"  # What make.user() gives everyone.
AUDIT_ROW = re.compile(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]+)</td>")


# Helpers --------------------------------------------------------------------------------------

def listed_names(response) -> set[str]:
    """Names of the users shown in the table of the user list."""
    assert response.status_code == 200
    return {html.unescape(name) for _id, name in USER_LINK.findall(response.get_data(as_text=True))}


def audit_labels(response) -> list[str]:
    """Event labels of the audit table rows, newest first (the filter's options are ignored)."""
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    table = body[body.index("<tbody>"):]
    return [html.unescape(label) for label in AUDIT_ROW.findall(table)]


def add_users(app, count: int, start: int = 0) -> None:
    """Insert ``count`` plain learners named "Bulk 000", "Bulk 001"… in one transaction."""
    with app.app_context():
        db.session.add_all(
            User(email=f"bulk{number:03d}@example.org", full_name=f"Bulk {number:03d}", role=Role.LEARNER)
            for number in range(start, start + count)
        )
        db.session.commit()


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# Fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def people(make, admin):
    """Three users who differ in every filterable attribute, plus the administrator."""
    alpha = make.organization("Alpha")
    beta = make.organization("Beta")
    return {
        "alpha": alpha,
        "beta": beta,
        "amina": make.user(email="amina@alpha.ma", full_name="Amina Alaoui", full_name_ar="أمينة العلوي",
                           role=Role.LEARNER, organization=alpha, region=Region.RABAT_SALE_KENITRA,
                           gender=Gender.FEMALE),
        "brahim": make.user(email="brahim@beta.ma", full_name="Brahim Bennani", role=Role.TRAINER,
                            organization=beta, region=Region.CASABLANCA_SETTAT, gender=Gender.MALE),
        "chaima": make.user(email="chaima@alpha.ma", full_name="Chaima Chraibi", role=Role.MANAGER,
                            organization=alpha, region=Region.CASABLANCA_SETTAT, gender=Gender.FEMALE,
                            is_active=False),
    }


# User list ------------------------------------------------------------------------------------

EVERYONE = {"Amina Alaoui", "Brahim Bennani", "Chaima Chraibi", "Zineb Admin"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, EVERYONE),
        ({"q": "amina"}, {"Amina Alaoui"}),
        ({"q": "BENNANI"}, {"Brahim Bennani"}),
        ({"q": "@alpha.ma"}, {"Amina Alaoui", "Chaima Chraibi"}),
        ({"q": "CHAIMA@ALPHA"}, {"Chaima Chraibi"}),
        ({"q": "العلوي"}, {"Amina Alaoui"}),
        ({"q": "%"}, set()),
        ({"q": "_"}, set()),
        ({"q": "nobody"}, set()),
        ({"role": "trainer"}, {"Brahim Bennani"}),
        ({"role": "admin"}, {"Zineb Admin"}),
        ({"organization": "alpha"}, {"Amina Alaoui", "Chaima Chraibi"}),
        ({"organization": "beta"}, {"Brahim Bennani"}),
        ({"region": "MA-06"}, {"Brahim Bennani", "Chaima Chraibi"}),
        ({"gender": "male"}, {"Brahim Bennani"}),
        ({"gender": "female"}, {"Amina Alaoui", "Chaima Chraibi", "Zineb Admin"}),
        ({"status": "inactive"}, {"Chaima Chraibi"}),
        ({"status": "active"}, {"Amina Alaoui", "Brahim Bennani", "Zineb Admin"}),
        ({"region": "MA-06", "gender": "female"}, {"Chaima Chraibi"}),
        ({"q": "alpha", "status": "active"}, {"Amina Alaoui"}),
    ],
)
def test_user_list_search_and_filters_show_only_matching_users(admin_client, people, query, expected):
    if "organization" in query:
        query = query | {"organization": str(people[query["organization"]].id)}
    assert listed_names(admin_client.get("/admin/users", query_string=query)) == expected


def test_user_list_shows_role_organization_and_status_of_each_user(admin_client, people):
    body = html.unescape(admin_client.get("/admin/users", query_string={"q": "chaima"}).get_data(as_text=True))
    row = body[body.index("Chaima Chraibi"):body.index("</tr>", body.index("Chaima Chraibi"))]
    assert "chaima@alpha.ma" in row
    assert "Organization manager" in row
    assert "Alpha" in row
    assert "Casablanca-Settat" in row
    assert "Deactivated" in row


def test_user_list_is_paginated_by_name(app, admin_client):
    add_users(app, 60)  # 61 users with the administrator, 50 a page.

    first = admin_client.get("/admin/users")
    second = admin_client.get("/admin/users", query_string={"page": 2})
    beyond = admin_client.get("/admin/users", query_string={"page": 3})

    first_names, second_names = listed_names(first), listed_names(second)
    assert first_names == {f"Bulk {number:03d}" for number in range(50)}
    assert second_names == {f"Bulk {number:03d}" for number in range(50, 60)} | {"Zineb Admin"}
    assert 'rel="next"' in first.get_data(as_text=True)
    assert 'rel="prev"' in second.get_data(as_text=True)
    assert listed_names(beyond) == set()


def test_user_list_pagination_keeps_the_filters(app, admin_client):
    add_users(app, 60)
    page = admin_client.get("/admin/users", query_string={"q": "bulk", "role": "learner"}).get_data(as_text=True)
    next_link = html.unescape(re.search(r'<a href="([^"]+)" rel="next"', page).group(1))
    assert "q=bulk" in next_link and "role=learner" in next_link and "page=2" in next_link
    assert listed_names(admin_client.get(next_link)) == {f"Bulk {number:03d}" for number in range(50, 60)}


@pytest.mark.parametrize("extra", [{"_method": "POST"}, {"_anchor": "x"}, {"_external": "1"}, {"unknown": "x"}])
def test_page_links_carry_only_known_filters(app, admin_client, extra):
    add_users(app, 60)
    response = admin_client.get("/admin/users", query_string={"q": "bulk", **extra})
    assert response.status_code == 200
    next_link = html.unescape(re.search(r'<a href="([^"]+)" rel="next"', response.get_data(as_text=True)).group(1))
    assert next_link.startswith("/admin/users?")
    assert "#" not in next_link and next(iter(extra)) not in next_link


def test_user_list_runs_the_same_number_of_queries_for_3_or_60_users(app, make, admin_client, count_queries):
    organization = make.organization("Alpha")
    add_users(app, 3)
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.organization_id = organization.id
        db.session.commit()

    def queries_for_list_page() -> int:
        with count_queries() as queries:
            response = admin_client.get("/admin/users")
        assert response.status_code == 200
        return len(queries)

    with_few = queries_for_list_page()
    add_users(app, 57, start=3)
    with app.app_context():
        db.session.execute(User.__table__.update().values(organization_id=organization.id))
        db.session.commit()
    with_many = queries_for_list_page()

    assert with_few == with_many
    assert with_many <= 6


# Roles ----------------------------------------------------------------------------------------

def test_admin_changes_a_role_and_the_change_is_audited(app, admin_client, make, admin):
    learner = make.user(full_name="Karim Learner")

    response = admin_client.post_form(f"/admin/users/{learner.id}/role", {"role": "trainer"})

    assert response.status_code == 302
    assert response.location.endswith(f"/admin/users/{learner.id}")
    assert reload(app, learner).role is Role.TRAINER
    [event] = events(app, "role_changed")
    assert (event.actor_id, event.target_user_id) == (admin.id, learner.id)
    assert event.details == {"old": "learner", "new": "trainer"}
    assert "Karim Learner is now: Trainer." in page_text(admin_client.get(response.location))


@pytest.mark.parametrize("role", ["superuser", ""])
def test_role_change_to_an_unknown_role_is_refused(app, admin_client, make, role):
    learner = make.user()
    response = admin_client.post_form(f"/admin/users/{learner.id}/role", {"role": role})
    assert "Choose a role from the list." in page_text(admin_client.get(response.location))
    assert reload(app, learner).role is Role.LEARNER
    assert events(app, "role_changed") == []


def test_setting_the_same_role_records_nothing(app, admin_client, make):
    trainer = make.user(role=Role.TRAINER)
    admin_client.post_form(f"/admin/users/{trainer.id}/role", {"role": "trainer"})
    assert events(app, "role_changed") == []


def test_last_active_administrator_cannot_lose_the_role(app, admin_client, admin):
    response = admin_client.post_form(f"/admin/users/{admin.id}/role", {"role": "learner"})

    assert "The last administrator cannot lose that role." in page_text(admin_client.get(response.location))
    assert reload(app, admin).role is Role.ADMIN
    assert events(app, "role_changed") == []
    assert admin_client.get("/admin/users").status_code == 200


def test_an_inactive_second_administrator_does_not_count(app, admin_client, make, admin):
    make.user(role=Role.ADMIN, is_active=False)
    admin_client.post_form(f"/admin/users/{admin.id}/role", {"role": "learner"})
    assert reload(app, admin).role is Role.ADMIN


def test_an_inactive_administrator_can_be_demoted_by_the_last_active_one(app, admin_client, make):
    dormant = make.user(role=Role.ADMIN, is_active=False)
    admin_client.post_form(f"/admin/users/{dormant.id}/role", {"role": "learner"})
    assert reload(app, dormant).role is Role.LEARNER


def test_an_administrator_can_step_down_when_another_remains(app, admin_client, make, admin):
    make.user(role=Role.ADMIN)

    admin_client.post_form(f"/admin/users/{admin.id}/role", {"role": "trainer"})

    assert reload(app, admin).role is Role.TRAINER
    assert admin_client.get("/admin/users").status_code == 403


# Account status -------------------------------------------------------------------------------

def test_admin_cannot_deactivate_themselves(app, admin_client, make, admin):
    make.user(role=Role.ADMIN)  # Not the last administrator: the self-check alone refuses.

    response = admin_client.post_form(f"/admin/users/{admin.id}/deactivate")

    assert "You cannot deactivate your own account." in page_text(admin_client.get(response.location))
    assert reload(app, admin).is_active
    assert events(app, "user_deactivated") == []
    assert admin_client.get("/admin/users").status_code == 200


def test_last_active_administrator_cannot_be_deactivated(app, make, admin):
    actor = make.user(role=Role.ADMIN, is_active=False)
    with app.app_context(), pytest.raises(DomainError):
        services.set_active(actor, db.session.get(User, admin.id), False)
    assert reload(app, admin).is_active


def test_deactivation_signs_the_user_out_at_once_and_reactivation_lets_them_back(
        app, admin_client, make, login_as, admin):
    learner = make.user(full_name="Karim Learner")
    learner_client = app.test_client()
    login_as(learner, target=learner_client)
    assert learner_client.get("/account").status_code == 200

    response = admin_client.post_form(f"/admin/users/{learner.id}/deactivate")

    assert "The account of Karim Learner is deactivated." in page_text(admin_client.get(response.location))
    assert not reload(app, learner).is_active
    signed_out = learner_client.get("/account")
    assert signed_out.status_code == 302
    assert signed_out.location.startswith("/login")
    refused = learner_client.post_form("/login", {"email": learner.email, "password": PASSWORD})
    assert refused.status_code == 401

    admin_client.post_form(f"/admin/users/{learner.id}/reactivate")

    assert reload(app, learner).is_active
    assert learner_client.get("/account").status_code == 302  # The old session stays dead.
    login_as(learner, target=learner_client)
    assert learner_client.get("/account").status_code == 200
    assert [(e.actor_id, e.target_user_id) for e in events(app, "user_deactivated")] == [(admin.id, learner.id)]
    assert [(e.actor_id, e.target_user_id) for e in events(app, "user_reactivated")] == [(admin.id, learner.id)]


def test_deactivating_another_administrator_signs_them_out(app, admin_client, make, login_as):
    other = make.user(role=Role.ADMIN)
    other_client = app.test_client()
    login_as(other, target=other_client)

    admin_client.post_form(f"/admin/users/{other.id}/deactivate")

    assert not reload(app, other).is_active
    assert other_client.get("/admin/users").status_code == 302


def test_user_detail_shows_the_account(admin_client, people):
    body = page_text(admin_client.get(f"/admin/users/{people['amina'].id}"))
    assert "amina@alpha.ma" in body and "أمينة العلوي" in body and "Alpha" in body
    assert f'action="/admin/users/{people["amina"].id}/deactivate"' in body


def test_user_detail_of_an_unknown_user_is_404(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404


# Audit log ------------------------------------------------------------------------------------

def test_audit_log_lists_sign_ins_failures_role_changes_and_imports(app, admin_client, make):
    learner = make.user(email="karim@example.org")
    app.test_client().post_form("/login", {"email": "karim@example.org", "password": "wrong password!"})
    admin_client.post_form(f"/admin/users/{learner.id}/role", {"role": "trainer"})
    admin_client.post_form(
        "/admin/users/import",
        {"file": (io.BytesIO(b"email,full_name\nnew@example.org,New Person\n"), "users.csv")},
        content_type="multipart/form-data",
    )

    response = admin_client.get("/admin/audit")

    assert audit_labels(response) == ["Users imported", "Role changed", "Failed sign-in", "Signed in"]
    body = html.unescape(response.get_data(as_text=True))
    assert "karim@example.org" in body and "users.csv" in body and "Before: <bdi>learner</bdi>" in body


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("sign_in", ["Signed in"]),
        ("sign_in_failed", ["Failed sign-in", "Failed sign-in"]),
        ("role_changed", []),
        ("not_an_action", ["Failed sign-in", "Failed sign-in", "Signed in"]),
    ],
)
def test_audit_log_filters_by_action(app, admin_client, make, action, expected):
    make.user(email="karim@example.org")
    guest = app.test_client()
    for email in ("karim@example.org", "unknown@example.org"):
        guest.post_form("/login", {"email": email, "password": "wrong password!"})
    assert audit_labels(admin_client.get("/admin/audit", query_string={"action": action})) == expected


def test_audit_log_records_failed_sign_in_of_an_unknown_address_without_a_target(app):
    app.test_client().post_form("/login", {"email": "Ghost@Example.org", "password": "wrong password!"})
    [event] = events(app, "sign_in_failed")
    assert event.target_user_id is None and event.details == {"email": "ghost@example.org"}


def test_admin_index_leads_to_the_user_list(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 302 and response.location.endswith("/admin/users")


def test_user_count_is_unchanged_by_deactivation(app, admin_client, make):
    learner = make.user()
    count = select(func.count()).select_from(User)
    before = scalar(app, count)
    admin_client.post_form(f"/admin/users/{learner.id}/deactivate")
    assert scalar(app, count) == before


# Organization of an account ---------------------------------------------------------------------

def test_admin_attaches_a_user_to_an_organization_and_it_is_audited(app, admin_client, make):
    organization = make.organization(name="Entraide Nationale Fès")
    manager = make.user(role=Role.MANAGER)
    response = admin_client.post_form(f"/admin/users/{manager.id}/organization",
                                      {"organization": str(organization.id)})
    assert response.status_code == 302
    assert reload(app, manager).organization_id == organization.id
    [event] = events(app, "organization_changed")
    assert event.details == {"old": None, "new": "Entraide Nationale Fès"}


def test_admin_detaches_a_user_from_their_organization(app, admin_client, make):
    member = make.user(organization=make.organization())
    admin_client.post_form(f"/admin/users/{member.id}/organization", {"organization": ""})
    assert reload(app, member).organization_id is None


def test_admin_cannot_attach_a_user_to_a_pending_organization_of_someone_else(app, admin_client, make):
    from lms.organizations.models import OrganizationStatus

    pending = make.organization(status=OrganizationStatus.PENDING)
    member = make.user()
    response = admin_client.post_form(f"/admin/users/{member.id}/organization", {"organization": str(pending.id)})
    assert response.status_code == 302
    assert reload(app, member).organization_id is None
    assert events(app, "organization_changed") == []


def test_a_manager_attached_by_an_admin_then_sees_that_organization(app, admin_client, make, login_as):
    organization = make.organization(name="Association Amal")
    colleague = make.user(full_name="Salma Colleague", organization=organization)
    manager = make.user(role=Role.MANAGER)
    admin_client.post_form(f"/admin/users/{manager.id}/organization", {"organization": str(organization.id)})
    other = app.test_client()
    login_as(manager, target=other)
    assert colleague.full_name in page_text(other.get("/organization/members"))


# Invitations ---------------------------------------------------------------------------------------

def test_admin_sends_a_new_invitation_that_lets_the_person_choose_a_password(app, admin_client, make, mail_outbox):
    invited = make.user(email="invited@example.org", password=None, consent_at=None)
    response = admin_client.post_form(f"/admin/users/{invited.id}/invite")
    assert response.status_code == 302
    [mail] = mail_outbox
    assert mail.to == "invited@example.org"
    link = re.search(r"http://\S+/password/reset/\S+", mail.body).group(0)
    person = app.test_client()
    response = person.post_form(link.split("5000", 1)[1], {
        "password": "my own long passphrase", "password_confirm": "my own long passphrase", "consent": "y"})
    assert response.status_code == 302
    assert reload(app, invited).password_hash.startswith("$argon2id$")


def test_no_invitation_is_sent_to_an_account_that_has_a_password(admin_client, make, mail_outbox):
    member = make.user()
    admin_client.post_form(f"/admin/users/{member.id}/invite")
    assert mail_outbox == []


def test_an_import_reports_the_invitations_that_could_not_be_sent(app, admin_client, monkeypatch, mail_outbox):
    import smtplib

    from lms import mail

    real_send = mail.send_mail

    def flaky_send(to, *args, **kwargs):
        if to == "b@example.org":
            raise smtplib.SMTPRecipientsRefused({to: (550, b"no such mailbox")})
        return real_send(to, *args, **kwargs)

    monkeypatch.setattr(services, "send_mail", flaky_send)
    content = b"email,full_name\na@example.org,A Person\nb@example.org,B Person\nc@example.org,C Person\n"
    response = admin_client.post_form("/admin/users/import", {"file": (io.BytesIO(content), "users.csv")},
                                      content_type="multipart/form-data")

    assert response.status_code == 200
    assert "<li><bdi>b@example.org</bdi></li>" in page_text(response)
    assert sorted(m.to for m in mail_outbox) == ["a@example.org", "c@example.org"]
    assert scalar(app, select(func.count()).select_from(User).where(User.email.like("%@example.org"))) == 3
