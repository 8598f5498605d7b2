"""Issuing, revoking and reissuing certificates, and their stored PDFs."""

import hashlib
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certificates import credentials
from certificates.codes import new_code
from certificates.documents import designs, render_pdf
from certificates.links import verification_url
from certificates.models import (
    Certificate,
    CertificateDocument,
    CertificateKind,
    IssuerSettings,
)
from courses.cohorts.attendance import Share, member_share
from courses.cohorts.models import Cohort, CohortMember
from courses.completion import on_completion
from courses.models import Course, CourseTranslation, Enrollment
from lms.accounts.models import User
from lms.accounts.permissions import can
from lms.audit import record_event
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import LANGUAGES, to_local
from lms.jobs.queues import enqueue, job
from lms.mail import site_path
from lms.notifications.models import NotificationKind
from lms.notifications.services import notify

PDFS_TO_RENDER = "certificate_pdfs_to_render"  # ids, in the session's info until it commits


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
    return to_local(moment).date()


def _language_for(locale: str | None, titles: dict) -> str:
    if locale in titles:
        return locale
    return next((code for code in LANGUAGES if code in titles), "fr")


def _titles(course: Course) -> dict:
    return {language: title for language, title in db.session.execute(
        sa.select(CourseTranslation.language, CourseTranslation.title).where(CourseTranslation.course_id == course.id))}


def _snapshot(certificate: Certificate, titles: dict, language: str | None, locale: str | None) -> None:
    """The issuer's names and signatory as set today, the course titles, the language and a code."""
    settings = issuer_settings()
    certificate.code = new_code()
    certificate.course_titles = titles
    certificate.language = language if language in LANGUAGES else _language_for(locale, titles)
    certificate.design = settings.design
    certificate.issuer_names = dict(settings.names)
    certificate.signatory_name = settings.signatory_name
    certificate.signatory_titles = dict(settings.signatory_titles)
    certificate.issued_at = utcnow().replace(microsecond=0)


def issue_certificate(user: User, course: Course, *, completed_on: date | None = None, actor=None,
                      reason: str = "", language: str | None = None, replaces: Certificate | None = None
                      ) -> Certificate:
    """Issue the learner's certificate for ``course`` with a snapshot of today's names and settings.

    Raises DomainError when the learner already holds a valid one: a partial unique index makes
    that hold even when two completions are recorded at the same moment.
    """
    titles = _titles(course)
    certificate = Certificate(
        kind=CertificateKind.COMPLETION, user_id=user.id, course_id=course.id,
        holder_name=user.full_name, holder_name_ar=user.full_name_ar, hours=course.estimated_hours,
        completed_on=completed_on or _local_date(utcnow()),
        issued_by_id=actor.id if actor is not None else None, issue_reason=reason.strip(),
        replaces_id=replaces.id if replaces is not None else None,
    )
    _snapshot(certificate, titles, language, user.locale)
    _insert_unique(certificate, _("This learner already holds a valid certificate for this course."))
    _finish(certificate, user, user.email, course)
    details = {"code": certificate.display_code, "course": course.slug}
    if reason:
        details["reason"] = reason.strip()
    if replaces is not None:
        details["replaces"] = replaces.display_code
    record_event("certificate_reissued" if replaces is not None else "certificate_issued",
                 actor=actor, target=user, **details)
    return certificate


def issue_attendance_certificate(member: CohortMember, share: Share, actor, language: str | None = None,
                                 replaces: Certificate | None = None) -> Certificate:
    """A certificate of attendance for a workshop participant, with or without an account.

    It names the cohort and the hours attended; one valid certificate per participant.
    """
    if share.attended == 0:
        raise DomainError(_("This participant has not attended any session yet."))
    revoked = db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
        Certificate.member_id == member.id, Certificate.kind == CertificateKind.ATTENDANCE,
        Certificate.revoked_at.is_not(None)))
    if revoked and replaces is None and not can("certificates.manage", actor):
        raise DomainError(_("A certificate of attendance of this participant was revoked: only an administrator "
                            "can issue a new one."))
    cohort = db.session.get(Cohort, member.cohort_id)
    course = db.session.get(Course, cohort.course_id)
    user = db.session.get(User, member.user_id) if member.user_id else None
    certificate = Certificate(
        kind=CertificateKind.ATTENDANCE, member_id=member.id, cohort_name=cohort.name,
        user_id=user.id if user else None, course_id=course.id,
        holder_name=user.full_name if user else member.full_name, holder_name_ar=user.full_name_ar if user else None,
        hours=share.hours, completed_on=_local_date(share.last_attended_at), issued_by_id=actor.id,
        replaces_id=replaces.id if replaces is not None else None,
    )
    _snapshot(certificate, _titles(course), language, user.locale if user else None)
    _insert_unique(certificate, _("This participant already holds a valid certificate of attendance."))
    _finish(certificate, user, user.email if user else member.email, course)
    record_event("attendance_certificate_issued", actor=actor, target=user, code=certificate.display_code,
                 cohort=cohort.name, participant=certificate.holder_name)
    return certificate


def _finish(certificate: Certificate, user: User | None, email: str | None, course: Course) -> None:
    """Sign the credential, have the PDF rendered once the transaction commits, and tell the holder."""
    certificate.credential_jwt = credentials.sign(credentials.build_credential(certificate, email, course.slug))
    db.session.info.setdefault(PDFS_TO_RENDER, set()).add(certificate.id)
    if user is not None:
        notify(user, NotificationKind.CERTIFICATE_ISSUED, site_path("certificates.mine"),
               course_titles=certificate.course_titles,
               attendance=certificate.kind is CertificateKind.ATTENDANCE)


def _valid_exists(certificate: Certificate) -> bool:
    query = sa.select(sa.func.count(Certificate.id)).where(Certificate.revoked_at.is_(None),
                                                           Certificate.kind == certificate.kind)
    if certificate.kind is CertificateKind.ATTENDANCE:
        query = query.where(Certificate.member_id == certificate.member_id)
    else:
        query = query.where(Certificate.user_id == certificate.user_id, Certificate.course_id == certificate.course_id)
    return db.session.scalar(query) > 0


def _insert_unique(certificate: Certificate, message: str) -> None:
    """Add the certificate, or raise DomainError when a partial unique index refuses it.

    PostgreSQL tries the insert in a savepoint, so a refusal leaves the rest of the transaction
    intact. SQLite checks first instead: it runs one writer at a time, and a savepoint opened
    before the transaction's first write would commit when released.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        if _valid_exists(certificate):
            raise DomainError(message)
        db.session.add(certificate)
        db.session.flush()
        return
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        raise DomainError(message) from None


def store_document(certificate: Certificate, language: str) -> CertificateDocument:
    """Render the PDF in ``language`` and keep it: downloads then serve the stored file."""
    pdf = render_pdf(certificate, language, verification_url(certificate.code))
    document = CertificateDocument(certificate_id=certificate.id, language=language, pdf=pdf,
                                   sha256=hashlib.sha256(pdf).hexdigest())
    db.session.add(document)
    return document


@job("documents", timeout=300)
def render_stored_pdf(certificate_id: int) -> None:
    """Render and store the PDF of a certificate in its language, unless a download already did."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.is_revoked:
        return
    document_for(certificate, certificate.language)
    db.session.commit()


@event.listens_for(Session, "after_commit")
def _render_committed_pdfs(session: Session) -> None:
    """Queue the PDFs of the certificates this commit issued: a job sees only committed rows.

    Neither an unreachable queue nor a failed rendering undoes an issued certificate: the first download
    renders a missing PDF.
    """
    for certificate_id in sorted(session.info.pop(PDFS_TO_RENDER, ())):
        try:
            enqueue(render_stored_pdf, certificate_id)
        except Exception:  # noqa: BLE001 - logged; the download renders it
            current_app.logger.exception("Rendering the PDF of certificate %s failed", certificate_id)


@event.listens_for(Session, "after_rollback")
def _forget_pdfs(session: Session) -> None:
    session.info.pop(PDFS_TO_RENDER, None)


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
        Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.kind == CertificateKind.COMPLETION,
        Certificate.revoked_at.is_not(None)))
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
    if certificate.kind is CertificateKind.ATTENDANCE:
        return _reissue_attendance(certificate, reason, actor)
    user, course = _holder(certificate), db.session.get(Course, certificate.course_id) if certificate.course_id else None
    if user is None or course is None:
        raise DomainError(_("The learner's account or the course no longer exists: this certificate cannot be reissued."))
    if not certificate.is_revoked:
        revoke(certificate, reason, actor)
    return issue_certificate(user, course, completed_on=certificate.completed_on, actor=actor, reason=reason,
                             language=certificate.language, replaces=certificate)


def _reissue_attendance(certificate: Certificate, reason: str, actor) -> Certificate:
    member = db.session.get(CohortMember, certificate.member_id) if certificate.member_id else None
    if member is None:
        raise DomainError(_("The participant is no longer in the cohort: this certificate cannot be reissued."))
    if not certificate.is_revoked:
        revoke(certificate, reason, actor)
    share = member_share(member)
    return issue_attendance_certificate(member, share, actor, language=certificate.language, replaces=certificate)


def _holder(certificate: Certificate) -> User | None:
    return db.session.get(User, certificate.user_id) if certificate.user_id else None


def issue_missing() -> list[Certificate]:
    """Certificates for completions recorded before certificates existed (none was ever issued)."""
    issued = sa.select(Certificate.id).where(Certificate.kind == CertificateKind.COMPLETION,
                                             Certificate.user_id == Enrollment.user_id,
                                             Certificate.course_id == Enrollment.course_id)
    rows = db.session.execute(
        sa.select(Enrollment, User, Course).join(User, User.id == Enrollment.user_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.completed_at.is_not(None), ~issued.exists()).order_by(Enrollment.id)).all()
    return [issue_certificate(user, course, completed_on=_local_date(enrollment.completed_at))
            for enrollment, user, course in rows]
