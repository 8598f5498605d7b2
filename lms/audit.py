"""Audit log of security-relevant events, read by administrators."""

from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, utcnow
from lms.extensions import db

ACTIONS = {
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Failed sign-in"),
    "sign_out": _l("Signed out"),
    "registered": _l("Registered"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password reset"),
    "email_changed": _l("Email address changed"),
    "role_changed": _l("Role changed"),
    "organization_changed": _l("Organization changed"),
    "user_deactivated": _l("Account deactivated"),
    "user_reactivated": _l("Account reactivated"),
    "user_created": _l("Account created by an administrator"),
    "users_imported": _l("Users imported"),
    "organization_approved": _l("Organization approved"),
    "organization_merged": _l("Organization merged"),
    "certificate_issued": _l("Certificate issued"),
    "certificate_revoked": _l("Certificate revoked"),
    "certificate_reissued": _l("Certificate reissued"),
    "certificate_settings_changed": _l("Certificate settings changed"),
    "attendance_corrected": _l("Attendance corrected"),
    "attendance_certificate_issued": _l("Certificate of attendance issued"),
    "selection_marked": _l("Selection mark changed"),
    "selection_announced": _l("Selection outcome announced"),
    "api_token_created": _l("API token created"),
    "api_token_revoked": _l("API token revoked"),
}

DETAIL_LABELS = {
    "email": _l("Email address"),
    "old": _l("Before"),
    "new": _l("After"),
    "role": _l("Role"),
    "organization": _l("Organization"),
    "source": _l("Merged organization"),
    "into": _l("Merged into"),
    "members": _l("Members"),
    "created": _l("Created"),
    "updated": _l("Updated"),
    "file": _l("File"),
    "code": _l("Certificate code"),
    "course": _l("Course"),
    "reason": _l("Reason"),
    "replaces": _l("Replaces"),
    "session": _l("Session"),
    "participant": _l("Participant"),
    "token": _l("API token"),
    "name": _l("Name"),
    "expires": _l("Expires on"),
}


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    target_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    actor = relationship("User", foreign_keys=[actor_id], lazy="raise")
    target_user = relationship("User", foreign_keys=[target_user_id], lazy="raise")

    @property
    def action_label(self) -> str:
        return str(ACTIONS.get(self.action, self.action))

    @property
    def detail_items(self) -> list[tuple[str, object]]:
        """The details as (translated label, value) pairs, for display."""
        return [(str(DETAIL_LABELS.get(key, key)), value) for key, value in self.details.items()]


def record_event(action: str, *, actor=None, target=None, **details) -> AuditEvent:
    """Add an audit event to the session; the caller's commit saves it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        target_user_id=target.id if target is not None else None,
        ip_address=request.remote_addr if has_request_context() else None,
        details=details,
    )
    db.session.add(event)
    return event
