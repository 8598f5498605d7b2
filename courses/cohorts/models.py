"""A cohort is one run of a course; its members may be accounts or participants recorded on paper."""

import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Gender
from lms.choices import LabelledEnum, enum_column
from lms.db import UTCDateTime, utcnow
from lms.extensions import db
from lms.organizations.models import OrganizationType


def new_invite_token() -> str:
    return secrets.token_urlsafe(18)


cohort_trainers = sa.Table(
    "cohort_trainers", db.metadata,
    sa.Column("cohort_id", sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

cohort_partners = sa.Table(
    "cohort_partners", db.metadata,
    sa.Column("cohort_id", sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("organization_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


class Cohort(db.Model):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    capacity: Mapped[int | None] = mapped_column()
    join_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    invite_token: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_invite_token)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course = relationship("Course", lazy="raise")
    trainers = relationship("User", secondary=cohort_trainers, lazy="raise", order_by="User.full_name")
    partners = relationship("Organization", secondary=cohort_partners, lazy="raise", order_by="Organization.name")


class CohortMember(db.Model):
    """A member with an account, or a participant recorded from a paper sheet (no account yet)."""

    __tablename__ = "cohort_members"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What reports need of a participant without an account; empty for account holders.
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender, 16))
    organization_name: Mapped[str] = mapped_column(sa.String(200), default="")
    organization_type: Mapped[OrganizationType | None] = mapped_column(enum_column(OrganizationType, 32))
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id], lazy="raise")

    @property
    def on_paper(self) -> bool:
        return self.user_id is None


class SessionMode(LabelledEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"

    @classmethod
    def _labels(cls):
        return {cls.IN_PERSON: _l("In person"), cls.ONLINE: _l("Online")}


class CohortSession(db.Model):
    """A workshop session of a cohort."""

    __tablename__ = "cohort_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(default=120)
    mode: Mapped[SessionMode] = mapped_column(enum_column(SessionMode, 16), default=SessionMode.IN_PERSON)
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class AttendanceStatus(LabelledEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    EXCUSED = "excused"

    @classmethod
    def _labels(cls):
        return {cls.PRESENT: _l("Present"), cls.LATE: _l("Late"), cls.ABSENT: _l("Absent"),
                cls.EXCUSED: _l("Excused")}


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("session_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort_sessions.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort_members.id", ondelete="CASCADE"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, 16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
