"""Read-only queries behind the administration pages."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.audit import AuditEvent


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
