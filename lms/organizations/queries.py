"""Read-only queries about organizations and their members."""

import sqlalchemy as sa

from lms.admin.queries import UserFilters, users_query


def members_query(organization_id: int, text: str = "") -> sa.Select:
    """Members of one organization, by name, optionally matching a search text."""
    return users_query(UserFilters(text=text, organization_id=organization_id))

