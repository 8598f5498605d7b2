from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.choices import LabelledEnum, enum_column
from lms.db import UTCDateTime, utcnow
from lms.extensions import db
from lms.organizations.regions import Region


class OrganizationType(LabelledEnum):
    GOVERNMENT = "government"
    CIVIL_SOCIETY = "civil_society"
    ACADEMIC = "academic"
    INTERNATIONAL = "international"
    PRIVATE = "private"
    MEDIA = "media"

    @classmethod
    def _labels(cls):
        return {
            cls.GOVERNMENT: _l("Government or public institution"),
            cls.CIVIL_SOCIETY: _l("Civil-society association"),
            cls.ACADEMIC: _l("Academic institution"),
            cls.INTERNATIONAL: _l("International organization"),
            cls.PRIVATE: _l("Private sector"),
            cls.MEDIA: _l("Media"),
        }


class OrganizationStatus(LabelledEnum):
    PENDING = "pending"
    APPROVED = "approved"

    @classmethod
    def _labels(cls):
        return {cls.PENDING: _l("Awaiting approval"), cls.APPROVED: _l("Approved")}


def name_key(name: str) -> str:
    """Compare organization names without case or repeated spaces."""
    return " ".join(name.split()).casefold()


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    type: Mapped[OrganizationType] = mapped_column(enum_column(OrganizationType))
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    region: Mapped[Region | None] = mapped_column(enum_column(Region, 8))
    status: Mapped[OrganizationStatus] = mapped_column(
        enum_column(OrganizationStatus, 16), default=OrganizationStatus.APPROVED, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members = relationship("User", back_populates="organization", lazy="raise")

    @property
    def is_pending(self) -> bool:
        return self.status is OrganizationStatus.PENDING

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"
