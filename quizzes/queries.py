"""Read-only queries about quizzes."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.extensions import db
from quizzes.models import Attempt, Question, QuestionCategory, Quiz, QuizKind

KIND_ORDER = {QuizKind.PRE_TEST: 0, QuizKind.PRACTICE: 1, QuizKind.GRADED: 2, QuizKind.POST_TEST: 3}


def course_quizzes(course_id: int) -> list[Quiz]:
    """The course's current quizzes: pre-test first, post-test last (one query)."""
    quizzes = db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course_id, sa.not_(Quiz.is_retired)))
    return sorted(quizzes, key=lambda quiz: (KIND_ORDER[quiz.kind], quiz.key))


def quiz_by_key(course_id: int, key: str) -> Quiz | None:
    return db.session.scalar(sa.select(Quiz).where(Quiz.course_id == course_id, Quiz.key == key,
                                                   sa.not_(Quiz.is_retired)))


def has_attempted(quiz_id: int, user_id: int) -> bool:
    """Whether the user has started the quiz at least once."""
    return bool(db.session.scalar(
        sa.select(sa.exists().where(Attempt.quiz_id == quiz_id, Attempt.user_id == user_id))))


def current_questions(course_id: int) -> list:
    """The course's current questions with their category, by category and id (two queries)."""
    return list(db.session.scalars(
        sa.select(Question).join(QuestionCategory, Question.category_id == QuestionCategory.id)
        .where(Question.course_id == course_id, sa.not_(Question.is_retired))
        .options(selectinload(Question.category)).order_by(QuestionCategory.key, Question.id)))
