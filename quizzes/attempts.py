"""Attempts: start (questions frozen), save answers as the learner moves on, submit once, grade on the server."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.db import utcnow
from lms.errors import DomainError, flush_or_conflict
from lms.extensions import db
from quizzes.completion import record_quiz_result
from quizzes.models import (
    Attempt,
    AttemptAnswer,
    AttemptState,
    GradingMethod,
    Question,
    Quiz,
    QuizDraw,
    QuizOverride,
    QuizQuestion,
    ReviewPolicy,
)
from quizzes.types import TYPES, InvalidResponse

# A late request within this margin after the deadline is still counted (network latency).
GRACE = timedelta(seconds=5)


@dataclass(frozen=True)
class QuizStatus:
    attempts: list[Attempt]
    allowed: int | None  # None: unlimited
    extra_minutes: int
    in_progress: Attempt | None
    grade: float | None  # percent, by the quiz's grading method
    passed: bool

    @property
    def used(self) -> int:
        return len(self.attempts)

    @property
    def remaining(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - self.used)


def quiz_status(quiz: Quiz, user_id: int) -> QuizStatus:
    """A learner's attempts at a quiz, what they may still do and their grade (two queries)."""
    attempts = list(db.session.scalars(
        sa.select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user_id).order_by(Attempt.number)))
    override = db.session.get(QuizOverride, (quiz.id, user_id))
    allowed = None if quiz.attempts_allowed == 0 else quiz.attempts_allowed + (override.extra_attempts if override else 0)
    graded = [a for a in attempts if a.state is AttemptState.GRADED]
    grade = None
    if graded:
        chosen = {GradingMethod.HIGHEST: max(graded, key=lambda a: a.score or 0),
                  GradingMethod.LAST: graded[-1], GradingMethod.FIRST: graded[0]}[quiz.grading_method]
        grade = chosen.score
    return QuizStatus(
        attempts=attempts, allowed=allowed, extra_minutes=override.extra_minutes if override else 0,
        in_progress=next((a for a in attempts if a.state is AttemptState.IN_PROGRESS), None),
        grade=grade, passed=grade is not None and grade >= quiz.pass_mark,
    )


def _draw_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    fixed = list(db.session.scalars(
        sa.select(Question).join(QuizQuestion, QuizQuestion.question_id == Question.id)
        .where(QuizQuestion.quiz_id == quiz.id, sa.not_(Question.is_retired)).order_by(QuizQuestion.position)))
    draws = list(db.session.scalars(sa.select(QuizDraw).where(QuizDraw.quiz_id == quiz.id)))
    pool = list(db.session.scalars(
        sa.select(Question).where(Question.category_id.in_([d.category_id for d in draws]),
                                  sa.not_(Question.is_retired)).order_by(Question.id))) if draws else []
    chosen = list(fixed)
    taken = {q.id for q in fixed}
    for draw in draws:
        candidates = [q for q in pool if q.category_id == draw.category_id and q.id not in taken]
        picked = rng.sample(candidates, min(draw.count, len(candidates)))
        chosen.extend(picked)
        taken.update(q.id for q in picked)
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def _window_error(quiz: Quiz, now: datetime) -> str | None:
    if quiz.opens_at and now < quiz.opens_at:
        return _("This quiz is not open yet.")
    if quiz.closes_at and now > quiz.closes_at:
        return _("This quiz is closed.")
    return None


def start_attempt(quiz: Quiz, user_id: int, language: str, now: datetime | None = None) -> Attempt:
    """Resume the attempt in progress or start a new one with its questions frozen."""
    now = now or utcnow()
    status = quiz_status(quiz, user_id)
    if status.in_progress is not None:
        if not close_if_expired(status.in_progress, now):
            return status.in_progress
        status = quiz_status(quiz, user_id)
    message = _window_error(quiz, now)
    if message:
        raise DomainError(message)
    if status.remaining == 0:
        raise DomainError(_("You have used every attempt allowed for this quiz."))
    rng = random.Random()
    layout = [{"question_id": q.id,
               "order": (rng.sample(TYPES[q.type].option_ids(q.config), len(TYPES[q.type].option_ids(q.config)))
                         if quiz.shuffle_options and TYPES[q.type].shuffles_options
                         else TYPES[q.type].option_ids(q.config))}
              for q in _draw_questions(quiz, rng)]
    if not layout:
        raise DomainError(_("This quiz has no questions yet."))
    minutes = (quiz.time_limit_minutes or 0) + status.extra_minutes if quiz.time_limit_minutes else None
    attempt = Attempt(quiz_id=quiz.id, user_id=user_id, number=status.used + 1, started_at=now, layout=layout,
                      language=language, deadline_at=now + timedelta(minutes=minutes) if minutes else None)
    db.session.add(attempt)
    # Another request starting the same attempt number at the same moment loses here: only one exists.
    flush_or_conflict(_("An attempt was started at the same moment; open it from the quiz page."))
    return attempt


def questions_of(attempt: Attempt) -> list[Question]:
    """The attempt's questions in their frozen order (one query)."""
    ids = [item["question_id"] for item in attempt.layout]
    by_id = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def answers_of(attempt: Attempt) -> dict[int, AttemptAnswer]:
    return {a.question_id: a for a in db.session.scalars(
        sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))}


def is_expired(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline_at is not None and now > attempt.deadline_at + GRACE


def save_answers(attempt: Attempt, form, questions: list[Question], now: datetime | None = None) -> None:
    """Store the responses to ``questions`` (those of the page sent); refuse tampering and late answers."""
    now = now or utcnow()
    if attempt.state is not AttemptState.IN_PROGRESS:
        raise DomainError(_("This attempt is already submitted."))
    if is_expired(attempt, now):
        raise DomainError(_("The time is up: answers sent after the limit are not counted."))
    frozen = {item["question_id"]: item for item in attempt.layout}
    existing = answers_of(attempt)
    for question in questions:
        if question.id not in frozen:
            raise InvalidResponse("question not in this attempt")
        response = TYPES[question.type].parse(form, f"q{question.id}", question, frozen[question.id])
        answer = existing.get(question.id)
        if answer is None:
            db.session.add(AttemptAnswer(attempt_id=attempt.id, question_id=question.id, response=response,
                                         saved_at=now))
        else:
            answer.response, answer.saved_at = response, now
    db.session.flush()


def _lock(attempt: Attempt) -> Attempt:
    """Re-read the attempt under a row lock, so concurrent submissions grade it once."""
    db.session.refresh(attempt, with_for_update=True)
    return attempt


def grade_attempt(attempt: Attempt, now: datetime | None = None) -> bool:
    """Grade and close the attempt with the answers saved; return False when it was already graded."""
    attempt = _lock(attempt)
    if attempt.state is AttemptState.GRADED:
        return False
    questions = questions_of(attempt)
    answers = answers_of(attempt)
    total = sum(q.mark for q in questions) or 1.0
    earned = 0.0
    for question in questions:
        answer = answers.get(question.id)
        fraction = 0.0
        if answer is not None and answer.response is not None:
            fraction = TYPES[question.type].grade(question.config, question.texts, answer.response)
            answer.fraction = fraction
        earned += fraction * question.mark
    quiz = db.session.get(Quiz, attempt.quiz_id)
    attempt.score = round(100 * earned / total, 2)
    attempt.passed = attempt.score >= quiz.pass_mark
    attempt.state = AttemptState.GRADED
    attempt.submitted_at = now or utcnow()
    db.session.flush()
    return True


def close_if_expired(attempt: Attempt, now: datetime) -> bool:
    """Grade an attempt whose time is up with what was saved; return whether it was closed."""
    if attempt.state is AttemptState.IN_PROGRESS and is_expired(attempt, now):
        if grade_attempt(attempt, now=attempt.deadline_at):
            record_quiz_result(db.session.get(Quiz, attempt.quiz_id), attempt.user_id)
        return True
    return False


def review_allowed(quiz: Quiz, status: QuizStatus) -> bool:
    """Whether correct answers and feedback may be shown, under the quiz's review policy."""
    policy = quiz.review_policy
    if policy is ReviewPolicy.IMMEDIATELY:
        return True
    if policy is ReviewPolicy.AFTER_PASSING:
        return status.passed
    if policy is ReviewPolicy.AFTER_LAST_ATTEMPT:
        return status.remaining == 0 and status.in_progress is None
    return False
