"""What quizzes add to a course: graded quizzes must be passed; pre/post-test scores give the gain."""

import sqlalchemy as sa

from courses.completion import requirement, update_completion
from courses.models import Enrollment
from lms.extensions import db
from quizzes.models import Attempt, AttemptState, Quiz, QuizKind


def _grades(user_id: int, course_id: int, kinds) -> dict[Quiz, float | None]:
    """Each current quiz of these kinds with the user's grade by its grading method (two queries)."""
    quizzes = list(db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course_id, Quiz.kind.in_(kinds),
                                                            sa.not_(Quiz.is_retired))))
    attempts = list(db.session.scalars(
        sa.select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id.in_([q.id for q in quizzes]),
                                 Attempt.state == AttemptState.GRADED).order_by(Attempt.number))) if quizzes else []
    grades = {}
    for quiz in quizzes:
        scores = [a.score for a in attempts if a.quiz_id == quiz.id]
        if not scores:
            grades[quiz] = None
        else:
            grades[quiz] = {"highest": max(scores), "last": scores[-1], "first": scores[0]}[quiz.grading_method.value]
    return grades


@requirement("graded_quizzes")
def graded_quizzes_passed(user_id: int, course_id: int) -> bool:
    """Every graded quiz of the course is passed."""
    return all(grade is not None and grade >= quiz.pass_mark
               for quiz, grade in _grades(user_id, course_id, [QuizKind.GRADED]).items())


def record_quiz_result(quiz: Quiz, user_id: int) -> bool:
    """After grading: store pre/post-test scores and the gain, and recompute course completion.

    Returns whether this result completed the course.
    """
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.user_id == user_id,
                                                               Enrollment.course_id == quiz.course_id))
    if enrollment is None:
        return False
    if quiz.kind in (QuizKind.PRE_TEST, QuizKind.POST_TEST):
        grades = _grades(user_id, quiz.course_id, [QuizKind.PRE_TEST, QuizKind.POST_TEST])
        for test, grade in grades.items():
            if test.kind is QuizKind.PRE_TEST:
                enrollment.pre_test_score = grade
            else:
                enrollment.post_test_score = grade
        if enrollment.pre_test_score is not None and enrollment.post_test_score is not None:
            enrollment.knowledge_gain = round(enrollment.post_test_score - enrollment.pre_test_score, 2)
    if quiz.kind is QuizKind.GRADED and enrollment.completed_at is None:
        return update_completion(enrollment)
    return False
