"""What trainers and learners do to cohorts: create them, join them, add people, take attendance."""

import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from courses.cohorts.models import (
    Attendance,
    AttendanceStatus,
    Cohort,
    CohortMember,
    CohortSession,
    cohort_trainers,
)
from courses.completion import update_completion
from courses.models import Course, Enrollment
from courses.services import find_enrollment
from lms.accounts.importing import (
    ImportFailed,
    RowError,
    import_users,
    validate_users_csv,
)
from lms.accounts.models import Gender, Role, User
from lms.accounts.services import REGISTRATION_HOOKS, normalize_email
from lms.audit import record_event
from lms.db import utcnow
from lms.errors import DomainError, flush_or_conflict
from lms.extensions import db
from lms.i18n import from_local, to_local
from lms.mail import external_url, send_mail, site_path
from lms.notifications.models import NotificationKind
from lms.notifications.services import notify
from lms.organizations.models import Organization, OrganizationType


@dataclass(frozen=True)
class CohortDetails:
    course_id: int
    name: str
    starts_on: date
    ends_on: date
    capacity: int | None
    join_key: str | None
    trainer_ids: list[int]
    partner_ids: list[int]


@dataclass(frozen=True)
class Participant:
    """Someone who signed a paper sheet: what reports need, nothing more."""

    full_name: str
    email: str | None
    gender: Gender
    organization_name: str
    organization_type: OrganizationType | None
    city: str


def can_manage(cohort: Cohort, user) -> bool:
    """Administrators manage every cohort; a trainer only the cohorts they train."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.TRAINER and db.session.scalar(
        sa.select(sa.func.count()).select_from(cohort_trainers)
        .where(cohort_trainers.c.cohort_id == cohort.id, cohort_trainers.c.user_id == user.id)) > 0


def _apply(cohort: Cohort, details: CohortDetails) -> None:
    """Check and copy the details; the cohort joins the session (and is flushed) last."""
    if details.ends_on < details.starts_on:
        raise DomainError(_("The end date comes before the start date."), field="ends_on")
    if details.capacity is not None and details.capacity < 1:
        raise DomainError(_("The capacity is at least one person."), field="capacity")
    if db.session.get(Course, details.course_id) is None:
        raise DomainError(_("Choose a course."), field="course")
    trainers = list(db.session.scalars(sa.select(User).where(
        User.id.in_(details.trainer_ids), User.role.in_([Role.TRAINER, Role.ADMIN]), User.is_active)))
    if not trainers:
        raise DomainError(_("A cohort needs at least one trainer."), field="trainers")
    cohort.course_id = details.course_id
    cohort.name = details.name.strip()
    cohort.starts_on, cohort.ends_on, cohort.capacity = details.starts_on, details.ends_on, details.capacity
    cohort.join_key = (details.join_key or "").strip() or None
    cohort.trainers = trainers
    cohort.partners = list(db.session.scalars(sa.select(Organization).where(Organization.id.in_(details.partner_ids))))
    db.session.add(cohort)
    flush_or_conflict(_("Another cohort already uses this enrolment key."), field="join_key")


def create_cohort(details: CohortDetails, actor: User) -> Cohort:
    cohort = Cohort(created_by_id=actor.id)
    _apply(cohort, details)
    return cohort


def update_cohort(cohort: Cohort, details: CohortDetails) -> None:
    _apply(cohort, details)


def _lock(cohort: Cohort) -> None:
    """Joins of one cohort run one at a time, so the capacity holds."""
    db.session.refresh(cohort, ["capacity"], with_for_update=True)


def _room_for(cohort: Cohort, count: int) -> None:
    if cohort.capacity is None:
        return
    members = db.session.scalar(sa.select(sa.func.count(CohortMember.id)).where(CohortMember.cohort_id == cohort.id))
    if members + count > cohort.capacity:
        raise DomainError(_("This cohort is full (%(capacity)s places).", capacity=cohort.capacity))


def _member_of(cohort: Cohort, user: User) -> CohortMember | None:
    return db.session.scalar(sa.select(CohortMember).where(CohortMember.cohort_id == cohort.id,
                                                           CohortMember.user_id == user.id))


def _enrol(user: User, course_id: int, actor: User | None) -> None:
    """Enrol in the cohort's course, whatever the course's own enrolment mode (the cohort admits)."""
    if find_enrollment(user.id, course_id) is None:
        db.session.add(Enrollment(user_id=user.id, course_id=course_id,
                                  enrolled_by_id=actor.id if actor is not None else None))


def add_member(cohort: Cohort, user: User, actor: User | None = None, notify_user: bool = True) -> CohortMember:
    """Put an account in the cohort and enrol it in the course (once, within the capacity)."""
    _lock(cohort)
    member = _member_of(cohort, user)
    if member is not None:
        return member
    _room_for(cohort, 1)
    member = CohortMember(cohort_id=cohort.id, user_id=user.id, added_by_id=actor.id if actor else None)
    db.session.add(member)
    _enrol(user, cohort.course_id, actor)
    db.session.flush()
    if notify_user and actor is not None:
        _notify_added(cohort, user)
    return member


def join_with_key(user: User, key: str) -> Cohort:
    key = (key or "").strip()
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.join_key == key)) if key else None
    if cohort is None or not hmac.compare_digest(cohort.join_key.encode(), key.encode()):
        raise DomainError(_("No cohort has this enrolment key."), field="key")
    _check_open(cohort)
    add_member(cohort, user)
    return cohort


def join_with_invitation(user: User, cohort: Cohort) -> None:
    _check_open(cohort)
    add_member(cohort, user)


def _check_open(cohort: Cohort) -> None:
    if cohort.ends_on < utcnow().date():
        raise DomainError(_("This cohort has ended."))


def record_participant(cohort: Cohort, participant: Participant, actor: User) -> CohortMember:
    """Record someone from a paper sheet; an existing account with that email is added instead."""
    email = normalize_email(participant.email) if participant.email else None
    if email:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            return add_member(cohort, user, actor)
        taken = db.session.scalar(sa.select(CohortMember.id).where(CohortMember.cohort_id == cohort.id,
                                                                  CohortMember.email == email))
        if taken:
            raise DomainError(_("This participant is already recorded in the cohort."), field="email")
    _lock(cohort)
    _room_for(cohort, 1)
    member = CohortMember(cohort_id=cohort.id, full_name=participant.full_name.strip(), email=email,
                          gender=participant.gender, organization_name=participant.organization_name.strip(),
                          organization_type=participant.organization_type, city=participant.city.strip(),
                          added_by_id=actor.id)
    db.session.add(member)
    db.session.flush()
    return member


def link_participants(user: User) -> int:
    """Give a new account the paper records made with its email; return how many were linked."""
    members = list(db.session.scalars(sa.select(CohortMember).where(CohortMember.email == user.email,
                                                                   CohortMember.user_id.is_(None))))
    linked = 0
    for member in members:
        cohort = db.session.get(Cohort, member.cohort_id)
        if _member_of(cohort, user) is None:
            member.user_id = user.id
            _enrol(user, cohort.course_id, None)
            linked += 1
    db.session.flush()
    return linked


REGISTRATION_HOOKS.append(link_participants)


def import_members(cohort: Cohort, data: bytes, actor: User, filename: str = "") -> tuple[int, int, list]:
    """Add the people of a CSV file (the user import format): new accounts are created and
    invited, existing ones are added as they are. All or nothing; returns (created, added,
    invitations)."""
    if actor.role is not Role.ADMIN:
        rows = validate_users_csv(data)
        with_role = [RowError(row["__row__"], "role", _("Only an administrator sets roles."))
                     for row in rows if row.get("role")]
        if with_role:
            raise ImportFailed(with_role)
    result = import_users(data, actor=actor, filename=filename, update_existing=False)
    _lock(cohort)
    new = [user for user in result.users if _member_of(cohort, user) is None]
    _room_for(cohort, len(new))
    for user in new:
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, added_by_id=actor.id))
        _enrol(user, cohort.course_id, actor)
    db.session.flush()
    for user in new:
        _notify_added(cohort, user)  # a new account gets its invitation instead (no password yet: no email)
    return result.created, len(new), result.invitations


def remove_member(cohort: Cohort, member: CohortMember) -> None:
    if member.cohort_id != cohort.id:
        raise DomainError(_("This person is not in this cohort."))
    db.session.delete(member)


def add_session(cohort: Cohort, session: CohortSession) -> CohortSession:
    session.cohort_id = cohort.id
    db.session.add(session)
    db.session.flush()
    return session


def record_attendance(session: CohortSession, statuses: dict[int, AttendanceStatus], actor: User) -> int:
    """Save the statuses of a session's roll call; a change to a saved status is logged. Returns changes."""
    member_ids = set(db.session.scalars(sa.select(CohortMember.id).where(CohortMember.cohort_id == session.cohort_id)))
    if not set(statuses) <= member_ids:
        raise DomainError(_("Attendance can only be taken for members of this cohort."))
    existing = {row.member_id: row for row in db.session.scalars(
        sa.select(Attendance).where(Attendance.session_id == session.id))}
    members = {m.id: m for m in db.session.scalars(sa.select(CohortMember).where(CohortMember.id.in_(statuses)))}
    changes = 0
    for member_id, status in statuses.items():
        row = existing.get(member_id)
        if row is None:
            db.session.add(Attendance(session_id=session.id, member_id=member_id, status=status,
                                      recorded_by_id=actor.id))
            changes += 1
        elif row.status is not status:
            record_event("attendance_corrected", actor=actor, session=session.title,
                         participant=_name(members[member_id]), old=row.status.value, new=status.value)
            row.status, row.recorded_by_id = status, actor.id
            changes += 1
    db.session.flush()
    _update_completions(session, [members[member_id] for member_id in statuses])
    return changes


def _update_completions(session: CohortSession, members: list[CohortMember]) -> None:
    """Attendance can complete a course that requires a minimum share of it."""
    cohort = db.session.get(Cohort, session.cohort_id)
    course = db.session.get(Course, cohort.course_id)
    if not course.min_attendance_percent:
        return
    user_ids = [member.user_id for member in members if member.user_id]
    for enrollment in db.session.scalars(sa.select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.user_id.in_(user_ids), Enrollment.completed_at.is_(None))):
        update_completion(enrollment)


def _name(member: CohortMember) -> str:
    return member.full_name or (db.session.get(User, member.user_id).full_name if member.user_id else "")


def _notify_added(cohort: Cohort, user: User) -> None:
    notify(user, NotificationKind.COHORT_ADDED, site_path("courses.my_learning"), cohort=cohort.name)


def send_reminders(cohort: Cohort, users: list[User], course_title: str) -> int:
    """Remind learners to continue the course, each in their language; returns the number sent."""
    for user in users:
        send_mail(user.email, _l("Your training on Masar is waiting for you"), "mail/cohort_reminder.txt",
                  locale=user.locale, name=user.full_name, cohort=cohort.name, course=course_title,
                  link=external_url("courses.my_learning"))
    return len(users)


def send_session_reminders(now: datetime | None = None) -> int:
    """Remind every member with an account of each session held tomorrow (local time), once.

    Meant to run daily (``flask lms send-session-reminders``); returns the number of people reminded.
    """
    tomorrow = to_local(now or utcnow()).date() + timedelta(days=1)
    start = from_local(datetime.combine(tomorrow, time.min))
    sessions = list(db.session.execute(
        sa.select(CohortSession, Cohort.name).join(Cohort, Cohort.id == CohortSession.cohort_id)
        .where(CohortSession.starts_at >= start, CohortSession.starts_at < start + timedelta(days=1),
               CohortSession.reminded_at.is_(None)).with_for_update(of=CohortSession)))
    if not sessions:
        return 0
    people = db.session.execute(
        sa.select(CohortMember.cohort_id, User).join(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id.in_({session.cohort_id for session, _name in sessions}), User.is_active))
    by_cohort: dict[int, list[User]] = {}
    for cohort_id, user in people:
        by_cohort.setdefault(cohort_id, []).append(user)
    sent = 0
    for session, cohort_name in sessions:
        for user in by_cohort.get(session.cohort_id, []):
            notify(user, NotificationKind.SESSION_REMINDER, site_path("courses.my_learning"), session=session.title,
                   cohort=cohort_name, starts_at=session.starts_at.isoformat(), place=session.place)
            sent += 1
        session.reminded_at = utcnow()
    db.session.flush()
    return sent
