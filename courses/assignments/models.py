"""An assignment of a course, each learner's submission with its kept versions, reviews and panel scores."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.choices import LabelledEnum, enum_column
from lms.db import UTCDateTime, utcnow
from lms.extensions import db
from lms.i18n import localized

assignment_panel = sa.Table(
    "assignment_panel", db.metadata,
    sa.Column("assignment_id", sa.ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Assignment(db.Model):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    titles: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    instructions: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # Markdown by language
    instructions_html: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # sanitized when saved
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepts_text: Mapped[bool] = mapped_column(default=True)
    file_types: Mapped[str] = mapped_column(sa.String(100), default="")  # codes of lms FILE_TYPES, ",a,b,"
    max_file_mb: Mapped[int] = mapped_column(default=5)
    # [{"label": ..., "points": ...}]: the reviewer gives each criterion up to its points.
    rubric: Mapped[list] = mapped_column(sa.JSON, default=list)
    is_required: Mapped[bool] = mapped_column(default=False)
    is_selection: Mapped[bool] = mapped_column(default=False)
    outcome_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    panel = relationship("User", secondary=assignment_panel, lazy="raise", order_by="User.full_name")

    @property
    def file_type_codes(self) -> list[str]:
        return [code for code in self.file_types.strip(",").split(",") if code]

    @property
    def max_points(self) -> int:
        return sum(criterion["points"] for criterion in self.rubric)

    def title_in(self, language: str) -> str:
        return localized(self.titles, language) or ""

    def instructions_in(self, language: str) -> str:
        return localized(self.instructions_html, language) or ""

    def is_open(self, now: datetime) -> bool:
        return not self.is_retired and (self.deadline is None or now <= self.deadline)


class SubmissionStatus(LabelledEnum):
    SUBMITTED = "submitted"
    NEEDS_REVISION = "needs_revision"
    ACCEPTED = "accepted"

    @classmethod
    def _labels(cls):
        return {cls.SUBMITTED: _l("Handed in"), cls.NEEDS_REVISION: _l("Needs revision"),
                cls.ACCEPTED: _l("Accepted")}


class Selection(LabelledEnum):
    SHORTLISTED = "shortlisted"
    SELECTED = "selected"

    @classmethod
    def _labels(cls):
        return {cls.SHORTLISTED: _l("Shortlisted"), cls.SELECTED: _l("Selected")}


class Submission(db.Model):
    """One learner's work on one assignment; every version they hand in is kept."""

    __tablename__ = "submissions"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[SubmissionStatus] = mapped_column(enum_column(SubmissionStatus, 20),
                                                     default=SubmissionStatus.SUBMITTED)
    selection: Mapped[Selection | None] = mapped_column(enum_column(Selection, 16))
    versions_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment = relationship(Assignment, lazy="raise")
    user = relationship("User", lazy="raise")


class SubmissionVersion(db.Model):
    __tablename__ = "submission_versions"
    __table_args__ = (sa.UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # The file lives in SUBMISSION_FOLDER under its random token, never under the learner's name.
    file_token: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    file_name: Mapped[str] = mapped_column(sa.String(160), default="")
    file_type: Mapped[str] = mapped_column(sa.String(100), default="")
    file_size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(db.Model):
    """A trainer's feedback on a version: comment, rubric scores and the status it gives."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version_number: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    scores: Mapped[list] = mapped_column(sa.JSON, default=list)
    total: Mapped[float | None] = mapped_column(sa.Float)
    status: Mapped[SubmissionStatus] = mapped_column(enum_column(SubmissionStatus, 20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PanelScore(db.Model):
    """One panel member's independent score of a submission, for a selection."""

    __tablename__ = "panel_scores"
    __table_args__ = (sa.UniqueConstraint("submission_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scores: Mapped[list] = mapped_column(sa.JSON, default=list)
    total: Mapped[float] = mapped_column(sa.Float)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
