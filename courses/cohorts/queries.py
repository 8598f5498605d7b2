"""Reading cohorts: a trainer's list, the dashboard's progress matrix, attendance, an organization's members."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from courses.assignments.models import Assignment
from courses.assignments.queries import statuses_for
from courses.cohorts.models import (
    Attendance,
    Cohort,
    CohortMember,
    CohortSession,
    cohort_trainers,
)
from courses.models import (
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
    LessonTranslation,
    Module,
)
from lms.accounts.models import Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.i18n import localized
from quizzes.models import Attempt, AttemptState, Quiz


@dataclass(frozen=True)
class CohortRow:
    cohort: Cohort
    members: int


def cohorts_for(user: User) -> list[CohortRow]:
    """The cohorts a trainer trains (every cohort for an administrator), with member counts."""
    members = (sa.select(sa.func.count(CohortMember.id)).where(CohortMember.cohort_id == Cohort.id)
               .correlate(Cohort).scalar_subquery())
    query = sa.select(Cohort, members).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    if user.role is not Role.ADMIN:
        query = query.join(cohort_trainers, cohort_trainers.c.cohort_id == Cohort.id).where(
            cohort_trainers.c.user_id == user.id)
    return [CohortRow(*row) for row in db.session.execute(query)]


@dataclass
class MemberRow:
    member: CohortMember
    name: str
    email: str
    locale: str | None
    lessons_done: set[int] = field(default_factory=set)
    grades: dict[int, float] = field(default_factory=dict)
    assignments: dict[int, object] = field(default_factory=dict)  # assignment id -> SubmissionStatus
    last_activity: datetime | None = None
    completed_at: datetime | None = None
    attended: int = 0

    def inactive_for(self, days: int, now: datetime) -> bool:
        return self.member.user_id is not None and self.completed_at is None and (
            self.last_activity is None or self.last_activity < now - timedelta(days=days))


@dataclass
class Dashboard:
    lessons: list[tuple[int, str]]
    quizzes: list[tuple[int, str]]
    assignments: list[tuple[int, str]]
    members: list[MemberRow]
    sessions: list[CohortSession]


def dashboard(cohort: Cohort, language: str) -> Dashboard:
    """Everything the trainer's page shows, in a fixed number of queries whatever the sizes."""
    members = list(db.session.execute(
        sa.select(CohortMember, User.full_name, User.email, User.locale, Enrollment.enrolled_at, Enrollment.completed_at)
        .outerjoin(User, User.id == CohortMember.user_id)
        .outerjoin(Enrollment, sa.and_(Enrollment.user_id == CohortMember.user_id,
                                       Enrollment.course_id == cohort.course_id))
        .where(CohortMember.cohort_id == cohort.id).order_by(sa.func.coalesce(User.full_name, CohortMember.full_name))))
    rows = {}
    for member, full_name, email, locale, enrolled_at, completed_at in members:
        rows[member.id] = MemberRow(member, full_name or member.full_name, email or member.email or "", locale,
                                    last_activity=enrolled_at, completed_at=completed_at)
    by_user = {row.member.user_id: row for row in rows.values() if row.member.user_id}

    lesson_titles: dict[int, dict] = {}
    for lesson_id, code, title in db.session.execute(
            sa.select(Lesson.id, LessonTranslation.language, LessonTranslation.title)
            .join(Module, Module.id == Lesson.module_id)
            .join(LessonTranslation, LessonTranslation.lesson_id == Lesson.id)
            .where(Lesson.course_id == cohort.course_id, sa.not_(Lesson.is_retired), sa.not_(Module.is_retired))
            .order_by(Module.position, Lesson.position)):
        lesson_titles.setdefault(lesson_id, {})[code] = title
    quizzes = db.session.execute(sa.select(Quiz.id, Quiz.titles).where(
        Quiz.course_id == cohort.course_id, sa.not_(Quiz.is_retired)).order_by(Quiz.id)).all()

    if by_user:
        for user_id, lesson_id, done_at in db.session.execute(
                sa.select(LessonProgress.user_id, LessonProgress.lesson_id, LessonProgress.completed_at)
                .where(LessonProgress.course_id == cohort.course_id, LessonProgress.user_id.in_(by_user))):
            row = by_user[user_id]
            row.lessons_done.add(lesson_id)
            row.last_activity = max(filter(None, [row.last_activity, done_at]))
        for user_id, quiz_id, best, last in db.session.execute(
                sa.select(Attempt.user_id, Attempt.quiz_id, sa.func.max(Attempt.score), sa.func.max(Attempt.submitted_at))
                .where(Attempt.user_id.in_(by_user), Attempt.quiz_id.in_([q.id for q in quizzes] or [0]),
                       Attempt.state == AttemptState.GRADED).group_by(Attempt.user_id, Attempt.quiz_id)):
            row = by_user[user_id]
            row.grades[quiz_id] = best
            row.last_activity = max(filter(None, [row.last_activity, last]))
    assignments = db.session.execute(sa.select(Assignment.id, Assignment.titles).where(
        Assignment.course_id == cohort.course_id, sa.not_(Assignment.is_retired)).order_by(Assignment.id)).all()
    for (user_id, assignment_id), status in statuses_for(cohort.course_id, list(by_user)).items():
        by_user[user_id].assignments[assignment_id] = status
    for member_id, attended in db.session.execute(
            sa.select(Attendance.member_id, sa.func.count(Attendance.id))
            .join(CohortSession, CohortSession.id == Attendance.session_id)
            .where(CohortSession.cohort_id == cohort.id, Attendance.status.in_(["present", "late"]))
            .group_by(Attendance.member_id)):
        if member_id in rows:
            rows[member_id].attended = attended
    sessions = list(db.session.scalars(sa.select(CohortSession).where(CohortSession.cohort_id == cohort.id)
                                       .order_by(CohortSession.starts_at)))
    return Dashboard(lessons=[(lesson_id, localized(texts, language)) for lesson_id, texts in lesson_titles.items()],
                     quizzes=[(quiz_id, localized(titles, language)) for quiz_id, titles in quizzes],
                     assignments=[(assignment_id, localized(titles, language)) for assignment_id, titles in assignments],
                     members=list(rows.values()), sessions=sessions)


def behind(board: Dashboard, days: int) -> list[MemberRow]:
    now = utcnow()
    return [row for row in board.members if row.inactive_for(days, now)]


def roll(session: CohortSession) -> list[tuple[CohortMember, str, object]]:
    """The members of the session's cohort with their name and saved status, by name (one query)."""
    return [(member, full_name or member.full_name, status) for member, full_name, status in db.session.execute(
        sa.select(CohortMember, User.full_name, Attendance.status)
        .outerjoin(User, User.id == CohortMember.user_id)
        .outerjoin(Attendance, sa.and_(Attendance.member_id == CohortMember.id, Attendance.session_id == session.id))
        .where(CohortMember.cohort_id == session.cohort_id)
        .order_by(sa.func.coalesce(User.full_name, CohortMember.full_name)))]


def roll_names(cohort: Cohort) -> list[tuple[CohortMember, str]]:
    """The cohort's members with their name, by name (one query)."""
    return [(member, full_name or member.full_name) for member, full_name in db.session.execute(
        sa.select(CohortMember, User.full_name).outerjoin(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id == cohort.id).order_by(sa.func.coalesce(User.full_name, CohortMember.full_name)))]


def attendance_rows(cohort: Cohort):
    """Every recorded status of the cohort, for the export (one query)."""
    return db.session.execute(
        sa.select(CohortSession.title, CohortSession.starts_at, sa.func.coalesce(User.full_name, CohortMember.full_name),
                  sa.func.coalesce(User.email, CohortMember.email), Attendance.status)
        .join(Attendance, Attendance.session_id == CohortSession.id)
        .join(CohortMember, CohortMember.id == Attendance.member_id)
        .outerjoin(User, User.id == CohortMember.user_id)
        .where(CohortSession.cohort_id == cohort.id)
        .order_by(CohortSession.starts_at, sa.func.coalesce(User.full_name, CohortMember.full_name))).all()


def organization_members_in_cohorts(organization_id: int):
    """A manager's view: their organization's members, each cohort they belong to and their progress."""
    return db.session.execute(
        sa.select(User.full_name, User.email, Cohort.name, Cohort.course_id, Cohort.starts_on, Enrollment.completed_at)
        .join(CohortMember, CohortMember.user_id == User.id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .outerjoin(Enrollment, sa.and_(Enrollment.user_id == User.id, Enrollment.course_id == Cohort.course_id))
        .where(User.organization_id == organization_id)
        .order_by(User.full_name, Cohort.starts_on)).all()


def course_of(cohort: Cohort) -> Course:
    return db.session.get(Course, cohort.course_id)
