"""Reading certificates: by code, a learner's own, and the administrators' filtered list."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from certificates.codes import grouped
from certificates.models import Certificate, CertificateKind
from lms.accounts.models import User
from lms.db import escape_like
from lms.extensions import db
from lms.i18n import from_local


def by_code(code: str | None) -> Certificate | None:
    if code is None:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.code == code))


def replacement_of(certificate_id: int) -> Certificate | None:
    """The certificate reissued in place of this one, if any."""
    return db.session.scalar(sa.select(Certificate).where(Certificate.replaces_id == certificate_id)
                             .order_by(Certificate.id.desc()).limit(1))


def my_certificates(user_id: int) -> list[Certificate]:
    return list(db.session.scalars(sa.select(Certificate).where(Certificate.user_id == user_id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


@dataclass(frozen=True)
class CertificateFilters:
    text: str = ""
    course_id: int | None = None
    status: str | None = None  # "valid" or "revoked"
    issued_from: date | None = None
    issued_to: date | None = None


def _day_start(day: date) -> datetime:
    return from_local(datetime.combine(day, time()))


def certificates_query(filters: CertificateFilters) -> sa.Select:
    """Certificates with their holder's account, newest first (one query, whatever the filters)."""
    query = (sa.select(Certificate).outerjoin(User, User.id == Certificate.user_id)
             .options(contains_eager(Certificate.user))
             .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
    if filters.text:
        pattern = f"%{escape_like(filters.text.strip().lower())}%"
        code = filters.text.strip().replace("-", "").upper()
        query = query.where(sa.or_(sa.func.lower(Certificate.holder_name).like(pattern, escape="\\"),
                                   Certificate.holder_name_ar.like(f"%{escape_like(filters.text.strip())}%",
                                                                   escape="\\"),
                                   sa.func.lower(User.email).like(pattern, escape="\\"),
                                   Certificate.code == code))
    if filters.course_id:
        query = query.where(Certificate.course_id == filters.course_id)
    if filters.status == "valid":
        query = query.where(Certificate.revoked_at.is_(None))
    elif filters.status == "revoked":
        query = query.where(Certificate.revoked_at.is_not(None))
    if filters.issued_from:
        query = query.where(Certificate.issued_at >= _day_start(filters.issued_from))
    if filters.issued_to:
        query = query.where(Certificate.issued_at < _day_start(filters.issued_to + timedelta(days=1)))
    return query


def valid_codes(course_id: int) -> dict[int, str]:
    """Each learner's valid certificate code in a course (grouped for reading), by user id."""
    return {user_id: grouped(code) for user_id, code in db.session.execute(
        sa.select(Certificate.user_id, Certificate.code).where(Certificate.course_id == course_id,
                                                               Certificate.kind == CertificateKind.COMPLETION,
                                                               Certificate.revoked_at.is_(None)))}


def attendance_codes(member_ids: list[int]) -> dict[int, str]:
    """Each cohort member's valid certificate of attendance (grouped for reading), by member id."""
    if not member_ids:
        return {}
    return {member_id: grouped(code) for member_id, code in db.session.execute(
        sa.select(Certificate.member_id, Certificate.code).where(Certificate.member_id.in_(member_ids),
                                                                 Certificate.kind == CertificateKind.ATTENDANCE,
                                                                 Certificate.revoked_at.is_(None)))}
