"""Enrolment and progress: what learners, trainers and the CLI do to courses."""

import hmac

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from courses.completion import update_completion
from courses.models import Course, Enrollment, EnrollmentMode, Lesson, LessonProgress
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db


def find_enrollment(user_id: int, course_id: int) -> Enrollment | None:
    return db.session.scalar(
        sa.select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
    )


def enroll_learner(user, course: Course, key: str | None = None, actor=None) -> Enrollment:
    """Enrol ``user``; a trainer or administrator (``actor``) may enrol anyone in any course."""
    existing = find_enrollment(user.id, course.id)
    if existing is not None:
        return existing
    by_staff = actor is not None
    if not by_staff:
        if not course.is_published:
            raise DomainError(_("This course is not open yet."))
        if course.is_closed:
            raise DomainError(_("This course is closed to new learners."))
        if course.enrollment_mode is EnrollmentMode.STAFF:
            raise DomainError(_("A trainer or an administrator enrols learners in this course."))
        if course.enrollment_mode is EnrollmentMode.KEY and not (
            key and course.enrollment_key
            and hmac.compare_digest(key.strip().encode(), course.enrollment_key.encode())
        ):
            raise DomainError(_("This enrolment key is not correct."), field="key")
    enrollment = Enrollment(user_id=user.id, course_id=course.id, enrolled_by_id=actor.id if by_staff else None)
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def mark_lesson_done(enrollment: Enrollment, lesson: Lesson) -> bool:
    """Record that the learner finished ``lesson`` (once, even when sent twice at the same moment).

    Returns whether this call completed the course: the completion is recorded once, so of several
    simultaneous requests only one gets True.
    """
    # Lock the enrolment and read it afresh: one learner's marks in a course then run one at a time.
    db.session.refresh(enrollment, ["started_at", "completed_at"], with_for_update=True)
    was_complete = enrollment.completed_at is not None
    values = {"user_id": enrollment.user_id, "lesson_id": lesson.id, "course_id": lesson.course_id,
              "completed_at": utcnow()}
    if enrollment.started_at is None:
        enrollment.started_at = values["completed_at"]
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LessonProgress)
    db.session.execute(insert.values(**values).on_conflict_do_nothing(index_elements=["user_id", "lesson_id"]))
    return update_completion(enrollment) and not was_complete
