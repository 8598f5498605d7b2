"""Telling learners what happened: a row on their notifications page and, unless muted, an email.

Texts are written from the kind and its parameters at the moment they are read, so the page
speaks the reader's current language and the email the learner's chosen language.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.db import utcnow
from lms.extensions import db
from lms.i18n import localized
from lms.mail import absolute, external_url, send_mail
from lms.notifications.models import Notification, NotificationKind

SUBJECTS = {
    NotificationKind.COHORT_ADDED: _l("You joined a training group on Masar"),
    NotificationKind.SESSION_REMINDER: _l("Your training session is tomorrow"),
    NotificationKind.ASSIGNMENT_FEEDBACK: _l("Feedback on your work"),
    NotificationKind.SELECTION_OUTCOME: _l("The outcome of the selection"),
    NotificationKind.CERTIFICATE_ISSUED: _l("Your certificate is ready"),
}


def message(kind: NotificationKind, params: dict, language: str) -> str:
    """The sentence a notification shows, in the current language."""
    if kind is NotificationKind.COHORT_ADDED:
        return _("You were added to the training group “%(cohort)s”. Your course is waiting in “My learning”.",
                 cohort=params["cohort"])
    if kind is NotificationKind.SESSION_REMINDER:
        when = format_datetime(datetime.fromisoformat(params["starts_at"]), "full")
        if params.get("place"):
            return _("Reminder: the session “%(session)s” of “%(cohort)s” is on %(when)s. Place or link: %(place)s",
                     session=params["session"], cohort=params["cohort"], when=when, place=params["place"])
        return _("Reminder: the session “%(session)s” of “%(cohort)s” is on %(when)s.",
                 session=params["session"], cohort=params["cohort"], when=when)
    if kind is NotificationKind.ASSIGNMENT_FEEDBACK:
        title = localized(params["titles"], language)
        if params["status"] == "accepted":
            return _("Your work on “%(assignment)s” is accepted.", assignment=title)
        if params["status"] == "needs_revision":
            return _("Your work on “%(assignment)s” needs a revision: read the trainer's comments.", assignment=title)
        return _("A trainer commented on your work on “%(assignment)s”.", assignment=title)
    if kind is NotificationKind.SELECTION_OUTCOME:
        title = localized(params["titles"], language)
        if params["selected"]:
            return _("Congratulations: you were selected in “%(assignment)s”.", assignment=title)
        return _("The selection for “%(assignment)s” is over: your submission was not selected this time. "
                 "Thank you for taking part.", assignment=title)
    course = localized(params["course_titles"], language)
    if params.get("attendance"):
        return _("Your certificate of attendance for “%(course)s” is ready.", course=course)
    return _("Your certificate for “%(course)s” is ready.", course=course)


def muted(user: User) -> set[str]:
    return {code for code in (user.muted_emails or "").strip(",").split(",") if code}


def set_muted(user: User, kinds: set[NotificationKind]) -> None:
    codes = sorted(kind.value for kind in kinds)
    user.muted_emails = "," + ",".join(codes) + "," if codes else ""


def notify(user: User, kind: NotificationKind, link: str, **params) -> Notification:
    """Keep a notification for ``user`` and email it, in their language, unless they muted this kind.

    ``link`` is a path of this site; the email carries it on the public address.
    """
    wants_email = user.is_active and user.has_password and kind.value not in muted(user)
    notification = Notification(user_id=user.id, kind=kind, params=params, link=link, emailed=wants_email)
    db.session.add(notification)
    if wants_email:
        with force_locale(user.locale):
            text = message(kind, params, user.locale)
        send_mail(user.email, SUBJECTS[kind], "mail/notification.txt", locale=user.locale, name=user.full_name,
                  message=text, link=absolute(link),
                  settings_link=external_url("notifications.settings"))
    return notification


def recent(user: User, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_all_read(user: User) -> int:
    result = db.session.execute(sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount
