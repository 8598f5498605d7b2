"""Attendance shares: what a minimum-attendance rule and certificates of attendance are measured on.

A member's share counts the cohort's sessions held so far (started before now), leaving out the
ones they were excused from; present and late both count as attended.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from courses.cohorts.models import (
    Attendance,
    AttendanceStatus,
    Cohort,
    CohortMember,
    CohortSession,
)
from courses.completion import requirement
from courses.models import Course
from lms.db import UTCDateTime, utcnow
from lms.extensions import db

ATTENDED = [AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value]


@dataclass(frozen=True)
class Share:
    held: int
    excused: int
    attended: int
    minutes: int  # time spent in the sessions attended
    last_attended_at: datetime | None = None

    @property
    def percent(self) -> float | None:
        expected = self.held - self.excused
        return round(100 * self.attended / expected, 1) if expected > 0 else None

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def _shares(where) -> dict[int, Share]:
    """Shares of the members matched by ``where`` (a condition on CohortMember), in one query."""
    now = utcnow()
    held = (sa.select(sa.func.count(CohortSession.id))
            .where(CohortSession.cohort_id == CohortMember.cohort_id, CohortSession.starts_at <= now)
            .correlate(CohortMember).scalar_subquery())
    counted = CohortSession.id.is_not(None)  # a status of a session not yet held does not count
    present = sa.and_(counted, Attendance.status.in_(ATTENDED))
    attended = sa.case((present, 1), else_=0)
    excused = sa.case((sa.and_(counted, Attendance.status == AttendanceStatus.EXCUSED.value), 1), else_=0)
    rows = db.session.execute(
        sa.select(CohortMember.id, held,
                  sa.func.coalesce(sa.func.sum(excused), 0),
                  sa.func.coalesce(sa.func.sum(attended), 0),
                  sa.func.coalesce(sa.func.sum(sa.case((present, CohortSession.duration_minutes), else_=0)), 0),
                  sa.type_coerce(sa.func.max(sa.case((present, CohortSession.starts_at))), UTCDateTime))
        .outerjoin(Attendance, Attendance.member_id == CohortMember.id)
        .outerjoin(CohortSession, sa.and_(CohortSession.id == Attendance.session_id, CohortSession.starts_at <= now))
        .where(where).group_by(CohortMember.id))
    return {member_id: Share(held or 0, excused, attended, minutes, last)
            for member_id, held, excused, attended, minutes, last in rows}


def cohort_shares(cohort: Cohort) -> dict[int, Share]:
    return _shares(CohortMember.cohort_id == cohort.id)


def member_share(member: CohortMember) -> Share:
    return _shares(CohortMember.id == member.id).get(member.id, Share(0, 0, 0, 0))


def best_share(user_id: int, course_id: int) -> float | None:
    """The learner's best attendance percentage over their cohorts of the course (None: nothing held)."""
    cohorts = sa.select(Cohort.id).where(Cohort.course_id == course_id)
    percents = [share.percent for share in _shares(sa.and_(CohortMember.user_id == user_id,
                                                           CohortMember.cohort_id.in_(cohorts))).values()]
    return max((p for p in percents if p is not None), default=None)


@requirement("minimum_attendance")
def attended_enough(user_id: int, course_id: int) -> bool:
    """Where the course sets a minimum attendance share, the learner reached it in a cohort."""
    minimum = db.session.scalar(sa.select(Course.min_attendance_percent).where(Course.id == course_id))
    if not minimum:
        return True
    share = best_share(user_id, course_id)
    return share is not None and share >= minimum
