"""Organizations: proposals at registration, approval, merging, unique names, members for managers."""

import html
import re

import pytest
from sqlalchemy import func, select

from lms.accounts.models import Role, User
from lms.audit import AuditEvent
from lms.errors import DomainError
from lms.extensions import db
from lms.organizations import services
from lms.organizations.models import Organization, OrganizationStatus, OrganizationType
from support import scalar, scalars

MEMBER_ROW = re.compile(r"<tr>\s*<td>([^<]+)</td>\s*<td><bdi>([^<]+)</bdi></td>")


# Helpers --------------------------------------------------------------------------------------


def organization_named(app, name: str) -> Organization | None:
    return scalar(app, select(Organization).where(Organization.name == name))


def organization_count(app) -> int:
    return scalar(app, select(func.count()).select_from(Organization))


def member_emails(app, organization) -> set[str]:
    return set(scalars(app, select(User.email).where(User.organization_id == organization.id)))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def listed_members(response) -> set[str]:
    """Names in the members table."""
    assert response.status_code == 200
    return {html.unescape(name) for name, _email in MEMBER_ROW.findall(response.get_data(as_text=True))}


def registration(email: str, organization: str, **fields) -> dict:
    return {
        "email": email,
        "password": "a long enough passphrase",
        "password_confirm": "a long enough passphrase",
        "consent": "y",
        "full_name": "Salma Learner",
        "gender": "female",
        "profession": "Social worker",
        "city": "Agadir",
        "region": "MA-09",
        "locale": "en",
        "organization": organization,
        **fields,
    }


def propose(app, email: str, name: str, type_: str = "civil_society"):
    """Register a new learner who proposes an organization, from a fresh browser."""
    return app.test_client().post_form(
        "/register",
        registration(email, "new", new_organization_name=name, new_organization_type=type_),
    )


def offered_at_registration(app, organization) -> bool:
    page = app.test_client().get("/register").get_data(as_text=True)
    return f'<option value="{organization.id}">' in page


# Fixtures -------------------------------------------------------------------------------------

# Proposals and approval -----------------------------------------------------------------------

def test_a_learner_proposing_an_organization_creates_it_pending(app):
    response = propose(app, "salma@example.org", "  Association   Tilila ", "academic")

    assert response.status_code == 302
    organization = organization_named(app, "Association Tilila")
    assert organization is not None
    assert organization.status is OrganizationStatus.PENDING
    assert organization.type is OrganizationType.ACADEMIC
    assert (organization.city, organization.region.value) == ("Agadir", "MA-09")
    assert member_emails(app, organization) == {"salma@example.org"}
    assert not offered_at_registration(app, organization)


def test_a_pending_organization_cannot_be_chosen_by_its_id(app):
    propose(app, "salma@example.org", "Association Tilila")
    pending = organization_named(app, "Association Tilila")

    response = app.test_client().post_form("/register", registration("other@example.org", str(pending.id)))

    assert response.status_code == 422
    assert scalar(app, select(User).where(User.email == "other@example.org")) is None


def test_proposing_an_existing_name_joins_that_organization(app, make):
    existing = make.organization("Association Amal")

    propose(app, "salma@example.org", "  association   AMAL ")

    assert organization_count(app) == 1
    assert member_emails(app, existing) == {"salma@example.org"}
    assert organization_named(app, "Association Amal").status is OrganizationStatus.APPROVED


def test_admin_approves_a_proposed_organization(app, admin_client, admin):
    propose(app, "salma@example.org", "Association Tilila")
    pending = organization_named(app, "Association Tilila")
    listing = text(admin_client.get("/admin/organizations"))
    assert "Association Tilila" in listing and "Awaiting approval" in listing
    assert "Proposed by a learner" in text(admin_client.get(f"/admin/organizations/{pending.id}/edit"))

    response = admin_client.post_form(f"/admin/organizations/{pending.id}/approve")

    assert response.status_code == 302 and response.location.endswith("/admin/organizations")
    assert "The organization Association Tilila is approved." in text(admin_client.get(response.location))
    assert organization_named(app, "Association Tilila").status is OrganizationStatus.APPROVED
    assert offered_at_registration(app, pending)
    event = scalar(app, select(AuditEvent).where(AuditEvent.action == "organization_approved"))
    assert event.actor_id == admin.id and event.details == {"organization": "Association Tilila"}


# Merging --------------------------------------------------------------------------------------

@pytest.fixture
def duplicate(app, make):
    """An approved organization with one member, and a pending duplicate proposed by two learners."""
    existing = make.organization("Association Amal")
    make.user(email="old@example.org", organization=existing)
    propose(app, "first@example.org", "Assoc. Amal")
    propose(app, "second@example.org", "Assoc. Amal")
    return existing, organization_named(app, "Assoc. Amal")


def test_admin_merges_a_pending_duplicate_into_an_existing_organization(app, admin_client, admin, duplicate):
    existing, pending = duplicate
    edit_page = admin_client.get(f"/admin/organizations/{pending.id}/edit").get_data(as_text=True)
    assert f'<option value="{existing.id}">Association Amal</option>' in edit_page

    response = admin_client.post_form(f"/admin/organizations/{pending.id}/merge", {"target": str(existing.id)})

    assert response.status_code == 302 and response.location.endswith("/admin/organizations")
    assert "Assoc. Amal is merged into Association Amal; 2 members moved." in text(admin_client.get(response.location))
    assert scalar(app, select(Organization).where(Organization.id == pending.id)) is None
    assert member_emails(app, existing) == {"old@example.org", "first@example.org", "second@example.org"}
    event = scalar(app, select(AuditEvent).where(AuditEvent.action == "organization_merged"))
    assert event.actor_id == admin.id
    assert event.details == {"source": "Assoc. Amal", "into": "Association Amal", "members": 2}


@pytest.mark.parametrize("target", ["itself", "another pending", "missing", "nothing"])
def test_merge_into_itself_or_a_non_approved_organization_is_refused(app, admin_client, duplicate, target):
    _existing, pending = duplicate
    propose(app, "third@example.org", "Amal Rabat")
    target_id = {
        "itself": str(pending.id),
        "another pending": str(organization_named(app, "Amal Rabat").id),
        "missing": "999999",
        "nothing": "",
    }[target]

    response = admin_client.post_form(f"/admin/organizations/{pending.id}/merge", {"target": target_id})

    assert response.status_code == 302 and response.location.endswith(f"/admin/organizations/{pending.id}/edit")
    assert "Choose the organization to merge into." in text(admin_client.get(response.location))
    assert member_emails(app, pending) == {"first@example.org", "second@example.org"}
    assert scalar(app, select(AuditEvent).where(AuditEvent.action == "organization_merged")) is None


def test_the_merge_service_refuses_to_merge_an_organization_into_itself(app, make):
    organization = make.organization("Association Amal")
    with app.app_context():
        organization = db.session.get(Organization, organization.id)
        with pytest.raises(DomainError) as refused:
            services.merge_organization(None, organization, organization)
        assert refused.value.field == "target"
    assert organization_count(app) == 1


# Unique names ---------------------------------------------------------------------------------

def organization_form(name: str, **fields) -> dict:
    return {"name": name, "type": "civil_society", "city": "Rabat", "region": "MA-04", **fields}


@pytest.mark.parametrize("name", ["Association Amal", "association amal", "  ASSOCIATION   Amal  "])
def test_creating_an_organization_with_a_taken_name_is_refused(app, admin_client, make, name):
    make.organization("Association Amal")

    response = admin_client.post_form("/admin/organizations/new", organization_form(name))

    assert response.status_code == 422
    assert "An organization with this name already exists." in text(response)
    assert organization_count(app) == 1


def test_a_pending_proposal_also_reserves_its_name(app, admin_client):
    propose(app, "salma@example.org", "Association Tilila")
    response = admin_client.post_form("/admin/organizations/new", organization_form("association tilila"))
    assert response.status_code == 422
    assert organization_count(app) == 1


def test_admin_creates_an_approved_organization_with_a_tidy_name(app, admin_client):
    response = admin_client.post_form(
        "/admin/organizations/new", organization_form("  Fondation   Orient  ", type="government", city=" Oujda ",
                                                      region="MA-02"))

    assert response.status_code == 302 and response.location.endswith("/admin/organizations")
    organization = organization_named(app, "Fondation Orient")
    assert organization.status is OrganizationStatus.APPROVED
    assert (organization.type, organization.city, organization.region.value) == (
        OrganizationType.GOVERNMENT, "Oujda", "MA-02")
    assert offered_at_registration(app, organization)


@pytest.mark.parametrize("fields", [{"name": ""}, {"type": ""}, {"type": "cooperative"}, {"region": "MA-13"}])
def test_creating_an_organization_with_missing_or_unknown_values_is_refused(app, admin_client, fields):
    response = admin_client.post_form("/admin/organizations/new", organization_form("Fondation Orient") | fields)
    assert response.status_code == 422
    assert organization_count(app) == 0


def test_renaming_an_organization_to_another_ones_name_is_refused(app, admin_client, make):
    make.organization("Association Amal")
    other = make.organization("Fondation Orient")

    response = admin_client.post_form(f"/admin/organizations/{other.id}/edit", organization_form("ASSOCIATION amal"))

    assert response.status_code == 422
    assert "An organization with this name already exists." in text(response)
    assert organization_named(app, "Fondation Orient") is not None


def test_an_organization_can_be_renamed_by_changing_only_its_case(app, admin_client, make):
    organization = make.organization("Association amal")
    response = admin_client.post_form(f"/admin/organizations/{organization.id}/edit",
                                      organization_form("Association Amal"))
    assert response.status_code == 302
    assert organization_named(app, "Association Amal").id == organization.id


# Members seen by managers ---------------------------------------------------------------------

@pytest.fixture
def two_organizations(make):
    alpha = make.organization("Alpha")
    beta = make.organization("Beta")
    manager = make.user(email="manager@alpha.ma", full_name="Meryem Manager", role=Role.MANAGER,
                        organization=alpha, locale="en")
    make.user(email="karim@alpha.ma", full_name="Karim Kabbaj", organization=alpha)
    make.user(email="laila@alpha.ma", full_name="Laila Lahlou", role=Role.TRAINER, organization=alpha)
    make.user(email="omar@beta.ma", full_name="Omar Outsider", organization=beta)
    make.user(email="nadia@example.org", full_name="Nadia Nowhere")
    return alpha, beta, manager


def test_a_manager_sees_only_the_members_of_their_organization(client, login_as, two_organizations):
    login_as(two_organizations[2])
    response = client.get("/organization/members")
    assert listed_members(response) == {"Meryem Manager", "Karim Kabbaj", "Laila Lahlou"}
    assert "Alpha" in text(response) and "Beta" not in text(response)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("karim", {"Karim Kabbaj"}),
        ("LAHLOU", {"Laila Lahlou"}),
        ("@alpha.ma", {"Meryem Manager", "Karim Kabbaj", "Laila Lahlou"}),
        ("omar", set()),
        ("omar@beta.ma", set()),
        ("nadia", set()),
        ("%", set()),
    ],
)
def test_a_manager_searches_among_their_members_only(client, login_as, two_organizations, q, expected):
    login_as(two_organizations[2])
    assert listed_members(client.get("/organization/members", query_string={"q": q})) == expected


def test_a_manager_without_organization_gets_an_explanation(client, login_as, make):
    login_as(make.user(role=Role.MANAGER, locale="en"))
    response = client.get("/organization/members")
    assert response.status_code == 200
    assert "Your account is not attached to an organization." in text(response)
    assert listed_members(response) == set()


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TRAINER])
def test_learners_and_trainers_may_not_see_organization_members(client, login_as, make, two_organizations, role):
    login_as(make.user(role=role, organization=two_organizations[0]))
    assert client.get("/organization/members").status_code == 403


def test_admin_sees_the_members_of_any_organization(admin_client, two_organizations):
    _alpha, beta, _manager = two_organizations
    assert listed_members(admin_client.get(f"/admin/organizations/{beta.id}")) == {"Omar Outsider"}


def test_organization_list_counts_members(admin_client, two_organizations):
    alpha, beta, _manager = two_organizations
    page = admin_client.get("/admin/organizations").get_data(as_text=True)
    assert f'<a href="/admin/organizations/{alpha.id}">3</a>' in page
    assert f'<a href="/admin/organizations/{beta.id}">1</a>' in page
