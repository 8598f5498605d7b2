"""Read-only queries about organizations and their members."""

import sqlalchemy as sa

from lms.accounts.models import User
from lms.accounts.queries import UserFilters, users_query
from lms.extensions import db
from lms.organizations.models import Organization, OrganizationStatus


def members_query(organization_id: int, text: str = "") -> sa.Select:
    """Members of one organization, by name, optionally matching a search text."""
    return users_query(UserFilters(text=text, organization_id=organization_id))


def organizations_with_counts() -> list[tuple[Organization, int]]:
    """Every organization with its number of members, pending ones first, in one query."""
    members = (
        sa.select(User.organization_id, sa.func.count(User.id).label("members"))
        .group_by(User.organization_id)
        .subquery()
    )
    rows = (
        sa.select(Organization, sa.func.coalesce(members.c.members, 0))
        .outerjoin(members, members.c.organization_id == Organization.id)
        .order_by(Organization.status.desc(), Organization.name)
    )
    return [(org, count) for org, count in db.session.execute(rows)]


def merge_targets(organization: Organization) -> list[Organization]:
    """The approved organizations another one may be merged into."""
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.status == OrganizationStatus.APPROVED, Organization.id != organization.id)
            .order_by(Organization.name)
        )
    )
