"""Quiz settings a trainer changes in the browser."""

from dataclasses import dataclass
from datetime import datetime

from quizzes.models import GradingMethod, Quiz, ReviewPolicy


@dataclass(frozen=True)
class QuizSettings:
    pass_mark: float
    attempts_allowed: int
    grading_method: GradingMethod
    time_limit_minutes: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    review_policy: ReviewPolicy
    shuffle_questions: bool
    shuffle_options: bool


def update_quiz_settings(quiz: Quiz, settings: QuizSettings) -> None:
    """Apply new settings; attempts already started keep their questions and deadline."""
    for name, value in settings.__dict__.items():
        setattr(quiz, name, value)
