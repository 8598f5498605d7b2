"""A notification keeps its kind and parameters; its text is written in the reader's language when shown."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from lms.choices import LabelledEnum, enum_column
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class NotificationKind(LabelledEnum):
    COHORT_ADDED = "cohort_added"
    SESSION_REMINDER = "session_reminder"
    ASSIGNMENT_FEEDBACK = "assignment_feedback"
    SELECTION_OUTCOME = "selection_outcome"
    CERTIFICATE_ISSUED = "certificate_issued"

    @classmethod
    def _labels(cls):
        return {
            cls.COHORT_ADDED: _l("I am added to a training group"),
            cls.SESSION_REMINDER: _l("A session of my group is tomorrow"),
            cls.ASSIGNMENT_FEEDBACK: _l("A trainer reviewed my work"),
            cls.SELECTION_OUTCOME: _l("The outcome of a selection I applied to"),
            cls.CERTIFICATE_ISSUED: _l("I receive a certificate"),
        }


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, 32))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(300), default="")  # a path on this site
    emailed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
