"""Every main page runs a small, fixed number of SQL queries, whatever the amount of data."""

import pytest
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.audit import record_event
from lms.extensions import db
from lms.organizations.models import Organization

# Page -> most queries allowed (the signed-in user's own lookup included).
BUDGETS = {
    "/": 1,
    "/account": 1,
    "/account/edit": 2,
    "/admin/users": 4,
    "/admin/users/{member}": 3,
    "/admin/audit": 3,
    "/admin/organizations": 2,
    "/admin/organizations/{organization}": 3,
    "/admin/organizations/{organization}/edit": 3,
    "/organization/members": 3,
    "/reports": 8,
}


def add_data(app, organization_id: int, size: int) -> int:
    """Add ``size`` members and organizations and twice as many audit events; return a member's id."""
    with app.app_context():
        start = db.session.scalar(select(db.func.count()).select_from(User))
        users = [User(email=f"bulk{start + n}@example.org", full_name=f"Bulk {start + n}",
                      organization_id=organization_id) for n in range(size)]
        organizations = [Organization(name=f"Org {start + n}", name_key=f"org {start + n}", type="civil_society")
                         for n in range(size)]
        db.session.add_all(users + organizations)
        db.session.flush()
        for user in users:
            record_event("sign_in", actor=user, target=user)
            record_event("role_changed", actor=user, target=user, old="learner", new="trainer")
        db.session.commit()
        return users[0].id


def test_main_pages_keep_their_query_budget_at_two_data_sizes(app, client, make, login_as, count_queries):
    organization = make.organization()
    admin = make.user(role=Role.ADMIN, organization=organization)
    login_as(admin)
    counts = {}
    for size in (3, 80):
        member = add_data(app, organization.id, size)
        for template, budget in BUDGETS.items():
            url = template.format(member=member, organization=organization.id)
            with count_queries() as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            counts.setdefault(template, []).append(len(queries))
            assert len(queries) <= budget, (url, queries)
    unstable = {url: found for url, found in counts.items() if found[0] != found[1]}
    assert unstable == {}


@pytest.mark.parametrize("url", ["/", "/login", "/register", "/password/forgot"])
def test_public_pages_need_at_most_one_query(client, make, count_queries, url):
    make.organization()
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 1
