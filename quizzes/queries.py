"""Read-only queries about quizzes."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from courses.models import Course
from courses.queries import CourseView, course_query, course_view
from lms.extensions import db
from quizzes.models import Attempt, Question, QuestionCategory, Quiz, QuizKind

KIND_ORDER = {QuizKind.PRE_TEST: 0, QuizKind.PRACTICE: 1, QuizKind.GRADED: 2, QuizKind.POST_TEST: 3}


def _kind_order(quiz: Quiz) -> tuple:
    return KIND_ORDER[quiz.kind], quiz.key


def course_quizzes(course_id: int) -> list[Quiz]:
    """The course's current quizzes: pre-test first, post-test last (one query)."""
    quizzes = db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course_id, sa.not_(Quiz.is_retired)))
    return sorted(quizzes, key=_kind_order)


def course_with_quizzes(slug: str, user_id: int | None, preferred: str
                        ) -> tuple[CourseView | None, list[tuple[Quiz, bool]]]:
    """The course page's course (as ``course_with_enrollment``) and its current quizzes in order, each
    with whether the reader has started it, in one query."""
    attempted = sa.exists().where(Attempt.quiz_id == Quiz.id, Attempt.user_id == user_id).correlate(Quiz)
    rows = db.session.execute(
        course_query(user_id, preferred).add_columns(Quiz, attempted)
        .outerjoin(Quiz, sa.and_(Quiz.course_id == Course.id, sa.not_(Quiz.is_retired)))
        .where(Course.slug == slug)).all()
    if not rows:
        return None, []
    quizzes = [(row[-2], bool(row[-1])) for row in rows if row[-2] is not None]
    return course_view(rows[0]), sorted(quizzes, key=lambda pair: _kind_order(pair[0]))


def course_with_quiz(slug: str, key: str, user_id: int, preferred: str) -> tuple[CourseView | None, Quiz | None]:
    """The course (as ``course_with_enrollment``) and its current quiz ``key``, in one query."""
    row = db.session.execute(
        course_query(user_id, preferred).add_columns(Quiz)
        .outerjoin(Quiz, sa.and_(Quiz.course_id == Course.id, Quiz.key == key, sa.not_(Quiz.is_retired)))
        .where(Course.slug == slug)).first()
    return (None, None) if row is None else (course_view(row), row[-1])


def quiz_by_key(course_id: int, key: str) -> Quiz | None:
    return db.session.scalar(sa.select(Quiz).where(Quiz.course_id == course_id, Quiz.key == key,
                                                   sa.not_(Quiz.is_retired)))


def current_questions(course_id: int) -> list:
    """The course's current questions with their category, by category and id (two queries)."""
    return list(db.session.scalars(
        sa.select(Question).join(QuestionCategory, Question.category_id == QuestionCategory.id)
        .where(Question.course_id == course_id, sa.not_(Question.is_retired))
        .options(selectinload(Question.category)).order_by(QuestionCategory.key, Question.id)))
