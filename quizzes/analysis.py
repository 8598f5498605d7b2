"""Trainer-side reading of quiz results: every attempt, item analysis, CSV export."""

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.accounts.models import User
from lms.exports import csv_text
from lms.extensions import db
from quizzes.models import Attempt, AttemptAnswer, AttemptState, Question, Quiz


@dataclass(frozen=True)
class AttemptRow:
    attempt: Attempt
    full_name: str
    email: str


def quiz_attempts(quiz: Quiz) -> list[AttemptRow]:
    """Every attempt at the quiz with its learner, by learner then attempt number (one query)."""
    rows = db.session.execute(
        sa.select(Attempt, User.full_name, User.email).join(User, User.id == Attempt.user_id)
        .where(Attempt.quiz_id == quiz.id).order_by(User.full_name, Attempt.number))
    return [AttemptRow(*row) for row in rows]


@dataclass
class ItemStats:
    question: Question
    answered: int = 0
    correct: int = 0
    choices: Counter = field(default_factory=Counter)

    @property
    def share_correct(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def item_analysis(quiz: Quiz) -> list[ItemStats]:
    """Per question of graded attempts: how many answered, share fully correct, how often each option was chosen."""
    answers = db.session.execute(
        sa.select(AttemptAnswer, Question).join(Question, Question.id == AttemptAnswer.question_id)
        .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.GRADED)
    )
    stats: dict[int, ItemStats] = {}
    for answer, question in answers:
        item = stats.setdefault(question.id, ItemStats(question))
        if answer.response is None:
            continue
        item.answered += 1
        if answer.fraction == 1:
            item.correct += 1
        if question.type == "single":
            item.choices[answer.response] += 1
        elif question.type == "multiple":
            item.choices.update(answer.response)
    return sorted(stats.values(), key=lambda item: (item.share_correct is None, item.share_correct or 0))


def attempts_csv(quiz: Quiz) -> str:
    """The attempts as CSV (UTF-8 with BOM for spreadsheets); cells that look like formulas are quoted."""
    return csv_text(
        ["name", "email", "attempt", "state", "started_at", "submitted_at", "score", "passed"],
        ([row.full_name, row.email, row.attempt.number, row.attempt.state.value, row.attempt.started_at.isoformat(),
          row.attempt.submitted_at.isoformat() if row.attempt.submitted_at else "",
          "" if row.attempt.score is None else row.attempt.score,
          "" if row.attempt.passed is None else ("yes" if row.attempt.passed else "no")]
         for row in quiz_attempts(quiz)))
