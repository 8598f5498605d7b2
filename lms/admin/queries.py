"""Read-only queries behind the administration pages."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.accounts.models import Gender, Role, User
from lms.audit import AuditEvent
from lms.extensions import db
from lms.organizations.models import Organization
from lms.organizations.regions import Region


@dataclass(frozen=True)
class UserFilters:
    text: str = ""
    role: Role | None = None
    organization_id: int | None = None
    region: Region | None = None
    gender: Gender | None = None
    active: bool | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def users_query(filters: UserFilters) -> sa.Select:
    """Users matching the filters, by name; the organization is joined in the same query."""
    query = sa.select(User).order_by(User.full_name, User.id)
    if filters.text:
        pattern = f"%{_escape_like(filters.text.strip().lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.full_name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
                User.full_name_ar.like(f"%{_escape_like(filters.text.strip())}%", escape="\\"),
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


def audit_query(action: str | None = None) -> sa.Select:
    """Audit events, newest first, with actor and target loaded in the same query."""
    query = (
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.target_user))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return query
