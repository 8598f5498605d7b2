"""Issuing, revoking and reissuing certificates, and their stored PDFs."""

import hashlib
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from certificates import credentials
from certificates.codes import new_code
from certificates.documents import designs, render_pdf
from certificates.links import verification_url
from certificates.models import Certificate, CertificateDocument, IssuerSettings
from courses.completion import on_completion
from courses.models import Course, CourseTranslation, Enrollment
from lms.accounts.models import User
from lms.accounts.permissions import can
from lms.audit import record_event
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import LANGUAGES


def issuer_settings() -> IssuerSettings:
    """The saved settings, or the defaults (not saved) before an administrator sets them."""
    settings = db.session.get(IssuerSettings, 1)
    if settings is None:
        name = current_app.config["CERTIFICATE_ISSUER_NAME"]
        settings = IssuerSettings(id=1, names={code: name for code in LANGUAGES}, signatory_name="",
                                  signatory_titles={}, design="classic")
    return settings


def update_issuer_settings(names: dict, signatory_name: str, signatory_titles: dict, design: str, actor) -> None:
    if design not in designs():
        raise DomainError(_("Choose one of the designs offered."), field="design")
    settings = db.session.get(IssuerSettings, 1) or IssuerSettings(id=1)
    settings.names = {code: text.strip() for code, text in names.items() if text and text.strip()}
    settings.signatory_name = signatory_name.strip()
    settings.signatory_titles = {code: text.strip() for code, text in signatory_titles.items() if text and text.strip()}
    settings.design = design
    db.session.add(settings)
    record_event("certificate_settings_changed", actor=actor)


def _local_date(moment) -> date:
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _language_for(user: User, titles: dict) -> str:
    if user.locale in titles:
        return user.locale
    return next((code for code in LANGUAGES if code in titles), "fr")


def issue_certificate(user: User, course: Course, *, completed_on: date | None = None, actor=None,
                      reason: str = "", language: str | None = None, replaces: Certificate | None = None
                      ) -> Certificate:
    """Issue the learner's certificate for ``course`` with a snapshot of today's names and settings.

    Raises DomainError when the learner already holds a valid one: a partial unique index makes
    that hold even when two completions are recorded at the same moment.
    """
    titles = {language: title for language, title in db.session.execute(
        sa.select(CourseTranslation.language, CourseTranslation.title).where(CourseTranslation.course_id == course.id))}
    settings = issuer_settings()
    certificate = Certificate(
        code=new_code(), user_id=user.id, course_id=course.id,
        language=language if language in LANGUAGES else _language_for(user, titles),
        design=settings.design, holder_name=user.full_name, holder_name_ar=user.full_name_ar,
        course_titles=titles, hours=course.estimated_hours,
        completed_on=completed_on or _local_date(utcnow()),
        issuer_names=dict(settings.names), signatory_name=settings.signatory_name,
        signatory_titles=dict(settings.signatory_titles), issued_at=utcnow().replace(microsecond=0),
        issued_by_id=actor.id if actor is not None else None, issue_reason=reason.strip(),
        replaces_id=replaces.id if replaces is not None else None,
    )
    _insert_unique(certificate)
    certificate.credential_jwt = credentials.sign(credentials.build_credential(certificate, user.email, course.slug))
    try:
        store_document(certificate, certificate.language)
    except Exception:  # noqa: BLE001 - a completion must not fail for its PDF; the first download renders it
        current_app.logger.exception("Rendering the PDF of certificate %s failed", certificate.display_code)
    details = {"code": certificate.display_code, "course": course.slug}
    if reason:
        details["reason"] = reason.strip()
    if replaces is not None:
        details["replaces"] = replaces.display_code
    record_event("certificate_reissued" if replaces is not None else "certificate_issued",
                 actor=actor, target=user, **details)
    return certificate


def _valid_exists(user_id: int, course_id: int) -> bool:
    return db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id, Certificate.revoked_at.is_(None))) > 0


def _insert_unique(certificate: Certificate) -> None:
    """Add the certificate, or raise DomainError when the partial unique index refuses it.

    PostgreSQL tries the insert in a savepoint, so a refusal leaves the rest of the transaction
    intact. SQLite checks first instead: it runs one writer at a time, and a savepoint opened
    before the transaction's first write would commit when released.
    """
    refused = DomainError(_("This learner already holds a valid certificate for this course."))
    if db.session.get_bind().dialect.name == "sqlite":
        if _valid_exists(certificate.user_id, certificate.course_id):
            raise refused
        db.session.add(certificate)
        db.session.flush()
        return
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        raise refused from None


def store_document(certificate: Certificate, language: str) -> CertificateDocument:
    """Render the PDF in ``language`` and keep it: downloads then serve the stored file."""
    pdf = render_pdf(certificate, language, verification_url(certificate.code))
    document = CertificateDocument(certificate_id=certificate.id, language=language, pdf=pdf,
                                   sha256=hashlib.sha256(pdf).hexdigest())
    db.session.add(document)
    return document


def document_for(certificate: Certificate, language: str) -> CertificateDocument:
    """The stored PDF in ``language``, rendered and stored on the first request for a new language."""
    document = db.session.get(CertificateDocument, (certificate.id, language))
    if document is None:
        try:
            with db.session.begin_nested():
                document = store_document(certificate, language)
        except IntegrityError:  # rendered at the same moment by another request
            document = db.session.get(CertificateDocument, (certificate.id, language))
    return document


@on_completion
def issue_on_completion(enrollment: Enrollment) -> None:
    """A recorded completion gives the learner a certificate, unless they already hold one."""
    user = db.session.get(User, enrollment.user_id)
    course = db.session.get(Course, enrollment.course_id)
    try:
        issue_certificate(user, course, completed_on=_local_date(enrollment.completed_at))
    except DomainError:
        pass


def manual_issue(user: User, course: Course, reason: str, actor, language: str | None = None) -> Certificate:
    """A trainer or an administrator issues a certificate outside the completion rules, saying why.

    Nobody issues one to themselves, and only an administrator issues one where a certificate was
    revoked: a trainer cannot undo a revocation.
    """
    if not reason.strip():
        raise DomainError(_("Say why you issue this certificate."), field="reason")
    if user.id == actor.id:
        raise DomainError(_("You cannot issue a certificate to yourself."), field="email")
    if not user.is_active:
        raise DomainError(_("This account is deactivated."), field="email")
    revoked = db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
        Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.revoked_at.is_not(None)))
    if revoked and not can("certificates.manage", actor):
        raise DomainError(_("A certificate of this learner for this course was revoked: only an administrator "
                            "can issue a new one."))
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.user_id == user.id,
                                                               Enrollment.course_id == course.id))
    completed = enrollment.completed_at if enrollment is not None and enrollment.completed_at else None
    return issue_certificate(user, course, completed_on=_local_date(completed) if completed else None,
                             actor=actor, reason=reason, language=language)


def revoke(certificate: Certificate, reason: str, actor) -> None:
    if certificate.is_revoked:
        raise DomainError(_("This certificate is already revoked."))
    if not reason.strip():
        raise DomainError(_("Say why you revoke this certificate."), field="reason")
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revocation_reason = reason.strip()
    db.session.flush()
    record_event("certificate_revoked", actor=actor, target=_holder(certificate), code=certificate.display_code,
                 reason=certificate.revocation_reason)


def reissue(certificate: Certificate, reason: str, actor) -> Certificate:
    """Revoke ``certificate`` if still valid and issue a new one from today's profile and course."""
    if not reason.strip():
        raise DomainError(_("Say why you reissue this certificate."), field="reason")
    user, course = _holder(certificate), db.session.get(Course, certificate.course_id) if certificate.course_id else None
    if user is None or course is None:
        raise DomainError(_("The learner's account or the course no longer exists: this certificate cannot be reissued."))
    if not certificate.is_revoked:
        revoke(certificate, reason, actor)
    return issue_certificate(user, course, completed_on=certificate.completed_on, actor=actor, reason=reason,
                             language=certificate.language, replaces=certificate)


def _holder(certificate: Certificate) -> User | None:
    return db.session.get(User, certificate.user_id) if certificate.user_id else None


def issue_missing() -> list[Certificate]:
    """Certificates for completions recorded before certificates existed (none was ever issued)."""
    issued = sa.select(Certificate.id).where(Certificate.user_id == Enrollment.user_id,
                                             Certificate.course_id == Enrollment.course_id)
    rows = db.session.execute(
        sa.select(Enrollment, User, Course).join(User, User.id == Enrollment.user_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.completed_at.is_not(None), ~issued.exists()).order_by(Enrollment.id)).all()
    return [issue_certificate(user, course, completed_on=_local_date(enrollment.completed_at))
            for enrollment, user, course in rows]
