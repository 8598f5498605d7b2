"""The reports' summary table: every countable fact with what describes its person, kept on write."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import UTCDateTime
from lms.extensions import db


class ReportFact(db.Model):
    """An enrolment, a completion, a valid certificate or a session attended, ready to be counted.

    The person's gender, organization, organization type, region and city are copied here, so a
    report reads one table without joins; ``lms.reports.facts`` rewrites a person's rows whenever
    their facts or their profile change. ``person`` is an account (even) or a paper record (odd).
    """

    __tablename__ = "report_facts"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    person: Mapped[int] = mapped_column(sa.BigInteger)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohort_members.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    # The cohort of a session attended; ``cohort_key`` also gives other facts their person's first cohort
    # in that course, for the cohort dimension.
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    cohort_key: Mapped[int | None] = mapped_column(sa.Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    year: Mapped[int] = mapped_column(sa.SmallInteger)  # of ``at``, in UTC
    quarter: Mapped[int] = mapped_column(sa.Integer)  # year * 10 + quarter: 20264 for October to December 2026
    started: Mapped[int | None] = mapped_column(sa.SmallInteger)
    pre: Mapped[float | None] = mapped_column(sa.Float)
    post: Mapped[float | None] = mapped_column(sa.Float)
    gender: Mapped[str | None] = mapped_column(sa.String(16))
    organization_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    organization_type: Mapped[str | None] = mapped_column(sa.String(32))
    region: Mapped[str | None] = mapped_column(sa.String(32))
    city: Mapped[str | None] = mapped_column(sa.String(100))  # trimmed and lower-cased
