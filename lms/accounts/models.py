import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.choices import LabelledEnum, enum_column
from lms.db import UTCDateTime, utcnow
from lms.extensions import db
from lms.organizations.models import Organization
from lms.organizations.regions import Region


class Role(LabelledEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    MANAGER = "manager"
    ADMIN = "admin"

    @classmethod
    def _labels(cls):
        return {
            cls.LEARNER: _l("Learner"),
            cls.TRAINER: _l("Trainer"),
            cls.MANAGER: _l("Organization manager"),
            cls.ADMIN: _l("Administrator"),
        }


class Gender(LabelledEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"

    @classmethod
    def _labels(cls):
        return {
            cls.FEMALE: _l("Female"),
            cls.MALE: _l("Male"),
            cls.OTHER: _l("Another gender"),
            cls.UNDISCLOSED: _l("Prefer not to say"),
        }


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    full_name_ar: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # Flask-Login's alternative id: rotating it signs out every session and remember cookie.
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_session_token)
    role: Mapped[Role] = mapped_column(enum_column(Role, 16), default=Role.LEARNER, index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    gender: Mapped[Gender] = mapped_column(enum_column(Gender, 16), default=Gender.UNDISCLOSED)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    profession: Mapped[str] = mapped_column(sa.String(200), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    region: Mapped[Region | None] = mapped_column(enum_column(Region, 8), index=True)
    locale: Mapped[str] = mapped_column(sa.String(5), default="fr")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kinds of notification the person does not want by email, as ",a,b," (they stay on their page).
    muted_emails: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    organization: Mapped[Organization | None] = relationship(back_populates="members", lazy="joined")

    def get_id(self) -> str:
        return self.session_token

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
