"""Exceptions a trainer grants one learner: extra attempts, extra time."""

from lms.extensions import db
from quizzes.models import QuizOverride


def grant_override(quiz_id: int, user_id: int, extra_attempts: int, extra_minutes: int) -> QuizOverride:
    """Add to what the learner already had; the extra time applies to attempts started afterwards."""
    override = db.session.get(QuizOverride, (quiz_id, user_id))
    if override is None:
        override = QuizOverride(quiz_id=quiz_id, user_id=user_id, extra_attempts=0, extra_minutes=0)
        db.session.add(override)
    override.extra_attempts += extra_attempts
    override.extra_minutes += extra_minutes
    db.session.flush()
    return override
