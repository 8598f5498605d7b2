"""Certificates keep a snapshot of what they certify; their PDFs are stored once rendered."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certificates.codes import grouped
from lms.choices import LabelledEnum, enum_column
from lms.db import UTCDateTime, utcnow
from lms.extensions import db
from lms.i18n import localized


class CertificateKind(LabelledEnum):
    COMPLETION = "completion"
    ATTENDANCE = "attendance"

    @classmethod
    def _labels(cls):
        return {cls.COMPLETION: _l("Certificate of completion"), cls.ATTENDANCE: _l("Certificate of attendance")}


VALID_COMPLETION = "revoked_at IS NULL AND kind = 'completion'"
VALID_ATTENDANCE = "revoked_at IS NULL AND kind = 'attendance'"


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # One valid certificate of completion per learner and course, and one of attendance per
        # cohort member, whatever runs at the same moment; a revoked one may be followed by another.
        sa.Index("uq_certificates_valid", "user_id", "course_id", unique=True,
                 postgresql_where=sa.text(VALID_COMPLETION), sqlite_where=sa.text(VALID_COMPLETION)),
        sa.Index("uq_certificates_valid_attendance", "member_id", unique=True,
                 postgresql_where=sa.text(VALID_ATTENDANCE), sqlite_where=sa.text(VALID_ATTENDANCE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_column(CertificateKind, 16), default=CertificateKind.COMPLETION,
                                                  server_default=CertificateKind.COMPLETION.value)
    # A certificate of attendance names the cohort member (who may have no account: a paper record).
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohort_members.id", ondelete="SET NULL"), index=True)
    cohort_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    language: Mapped[str] = mapped_column(sa.String(5))
    design: Mapped[str] = mapped_column(sa.String(40))
    # The snapshot: later edits to the profile, the course or the settings do not change it.
    holder_name: Mapped[str] = mapped_column(sa.String(200))
    holder_name_ar: Mapped[str | None] = mapped_column(sa.String(200))
    course_titles: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    hours: Mapped[float] = mapped_column(sa.Float)
    completed_on: Mapped[date] = mapped_column(sa.Date)
    issuer_names: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    signatory_name: Mapped[str] = mapped_column(sa.String(200), default="")
    signatory_titles: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    issue_reason: Mapped[str] = mapped_column(sa.Text, default="")
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id", ondelete="SET NULL"))
    credential_jwt: Mapped[str] = mapped_column(sa.Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    revocation_reason: Mapped[str] = mapped_column(sa.Text, default="")

    user = relationship("User", foreign_keys=[user_id], lazy="raise")
    course = relationship("Course", lazy="raise")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def display_code(self) -> str:
        return grouped(self.code)

    @property
    def is_manual(self) -> bool:
        return self.issued_by_id is not None

    def holder_name_in(self, language: str) -> str:
        """The Arabic-script name on Arabic certificates when the learner gave one, else the Latin one."""
        return self.holder_name_ar if language == "ar" and self.holder_name_ar else self.holder_name

    def course_title_in(self, language: str) -> str:
        return localized(self.course_titles, language) or ""

    def issuer_name_in(self, language: str) -> str:
        return localized(self.issuer_names, language) or ""

    def signatory_title_in(self, language: str) -> str:
        return localized(self.signatory_titles, language) or ""

    def __repr__(self) -> str:
        return f"<Certificate {self.display_code}>"


class CertificateDocument(db.Model):
    """The PDF of a certificate in one language, rendered once and served as stored."""

    __tablename__ = "certificate_documents"

    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id", ondelete="CASCADE"),
                                                primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuerSettings(db.Model):
    """Who issues and signs certificates: one row, edited by administrators."""

    __tablename__ = "issuer_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    names: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    signatory_name: Mapped[str] = mapped_column(sa.String(200), default="")
    signatory_titles: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    design: Mapped[str] = mapped_column(sa.String(40), default="classic")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
