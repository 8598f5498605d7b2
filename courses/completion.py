"""Course completion from pluggable requirements.

Each requirement is a function ``(user_id, course_id) -> bool`` registered with ``@requirement``.
Lessons register theirs here; quizzes, attendance and assignments add their own later.
Functions registered with ``@on_completion`` run once, when a completion is recorded
(certificates are issued that way).
"""

from collections.abc import Callable

import sqlalchemy as sa

from courses.models import Enrollment, Lesson, LessonProgress, Module
from lms.db import utcnow
from lms.extensions import db

REQUIREMENTS: dict[str, Callable[[int, int], bool]] = {}
COMPLETION_HOOKS: list[Callable[[Enrollment], None]] = []


def requirement(name: str):
    """Register a completion requirement under ``name``."""

    def register(check: Callable[[int, int], bool]):
        REQUIREMENTS[name] = check
        return check

    return register


def on_completion(hook: Callable[[Enrollment], None]):
    """Run ``hook(enrollment)`` in the same transaction whenever a completion is recorded."""
    COMPLETION_HOOKS.append(hook)
    return hook


@requirement("required_lessons")
def required_lessons_done(user_id: int, course_id: int) -> bool:
    """Every required, current lesson of the course is marked done."""
    missing = db.session.scalar(
        sa.select(sa.func.count(Lesson.id))
        .join(Module, Lesson.module_id == Module.id)
        .outerjoin(LessonProgress, sa.and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id))
        .where(Lesson.course_id == course_id, Lesson.is_required, sa.not_(Lesson.is_retired),
               sa.not_(Module.is_retired), LessonProgress.id.is_(None))
    )
    return missing == 0


def update_completion(enrollment: Enrollment) -> bool:
    """Record the completion date once, when every requirement is met; return whether complete."""
    if enrollment.completed_at is not None:
        return True
    if all(check(enrollment.user_id, enrollment.course_id) for check in REQUIREMENTS.values()):
        enrollment.completed_at = utcnow()
        for hook in COMPLETION_HOOKS:
            hook(enrollment)
        return True
    return False
