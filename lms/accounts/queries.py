"""Read-only queries about user accounts."""

from dataclasses import dataclass

import sqlalchemy as sa

from lms.accounts.models import Gender, Role, User
from lms.db import escape_like
from lms.organizations.regions import Region


@dataclass(frozen=True)
class UserFilters:
    text: str = ""
    role: Role | None = None
    organization_id: int | None = None
    region: Region | None = None
    gender: Gender | None = None
    active: bool | None = None



def users_query(filters: UserFilters) -> sa.Select:
    """Users matching the filters, by name; the organization is joined in the same query."""
    query = sa.select(User).order_by(User.full_name, User.id)
    if filters.text:
        pattern = f"%{escape_like(filters.text.strip().lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.full_name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
                User.full_name_ar.like(f"%{escape_like(filters.text.strip())}%", escape="\\"),
            )
        )
    if filters.role is not None:
        query = query.where(User.role == filters.role)
    if filters.organization_id is not None:
        query = query.where(User.organization_id == filters.organization_id)
    if filters.region is not None:
        query = query.where(User.region == filters.region)
    if filters.gender is not None:
        query = query.where(User.gender == filters.gender)
    if filters.active is not None:
        query = query.where(User.is_active == filters.active)
    return query
