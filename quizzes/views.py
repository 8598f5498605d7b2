"""Taking quizzes: the quiz page, one question per page saved as the learner moves on, submission, result."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courses.models import Course
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm
from lms.i18n import current_language, localized
from quizzes import attempts as service
from quizzes.completion import record_quiz_result
from quizzes.models import Attempt, AttemptState, Question, Quiz
from quizzes.queries import course_with_quiz
from quizzes.types import TYPES, InvalidResponse

bp = Blueprint("quizzes", __name__, template_folder="templates")


def _course_and_quiz(slug: str, key: str):
    view, quiz = course_with_quiz(slug, key, current_user.id, current_language())
    if view is None or not view.course.is_published:
        abort(404)
    if view.enrollment is None:
        abort(403)
    if quiz is None:
        abort(404)
    return view, quiz


def _own_attempt(attempt_id: int) -> tuple[Attempt, Quiz]:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt, db.session.get(Quiz, attempt.quiz_id)


@bp.route("/courses/<slug>/quizzes/<key>")
@login_required
def quiz_page(slug, key):
    view, quiz = _course_and_quiz(slug, key)
    status = service.quiz_status(quiz, current_user.id)
    return render_template("quizzes/quiz.html", view=view, quiz=quiz, status=status,
                           title=localized(quiz.titles, current_language()), form=ConfirmForm(formdata=None))


@bp.route("/courses/<slug>/quizzes/<key>/start", methods=["POST"])
@login_required
def start(slug, key):
    view, quiz = _course_and_quiz(slug, key)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt = service.start_attempt(quiz, current_user.id, current_language())
    except DomainError as error:
        # start_attempt writes nothing before refusing, except closing an expired attempt: keep that closed.
        db.session.commit()
        flash(error.message, "error")
        return redirect(url_for("quizzes.quiz_page", slug=slug, key=key))
    db.session.commit()
    return redirect(url_for("quizzes.question", attempt_id=attempt.id, number=1))


@bp.route("/attempts/<int:attempt_id>/<int:number>", methods=["GET", "POST"])
@login_required
def question(attempt_id, number):
    attempt, quiz = _own_attempt(attempt_id)
    if service.close_if_expired(attempt, utcnow()):
        db.session.commit()
        flash(_("The time is up: your attempt was submitted with the answers you had saved."), "info")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    if attempt.state is not AttemptState.IN_PROGRESS:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    if not 1 <= number <= len(attempt.layout):
        abort(404)
    item = attempt.layout[number - 1]
    question = db.session.get(Question, item["question_id"])
    if request.method == "POST":
        form = ConfirmForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            service.save_answers(attempt, request.form, [question])
        except InvalidResponse:
            db.session.rollback()
            abort(400)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("quizzes.result", attempt_id=attempt.id))
        db.session.commit()
        action = request.form.get("action")
        if action == "previous" and number > 1:
            return redirect(url_for("quizzes.question", attempt_id=attempt.id, number=number - 1))
        if action == "next" and number < len(attempt.layout):
            return redirect(url_for("quizzes.question", attempt_id=attempt.id, number=number + 1))
        return redirect(url_for("quizzes.finish", attempt_id=attempt.id))
    answer = service.answers_of(attempt).get(question.id)
    texts = localized(question.texts, attempt.language)
    return render_template(
        "quizzes/question.html", attempt=attempt, quiz=quiz, course=db.session.get(Course, quiz.course_id), question=question, texts=texts, item=item,
        number=number, total=len(attempt.layout), response=answer.response if answer else None,
        field=f"q{question.id}", template=TYPES[question.type].template, form=ConfirmForm(formdata=None),
        title=localized(quiz.titles, current_language()),
    )


@bp.route("/attempts/<int:attempt_id>/finish")
@login_required
def finish(attempt_id):
    attempt, quiz = _own_attempt(attempt_id)
    if attempt.state is not AttemptState.IN_PROGRESS:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    answered = sum(1 for answer in service.answers_of(attempt).values() if answer.response is not None)
    return render_template("quizzes/finish.html", attempt=attempt, quiz=quiz, answered=answered,
                           total=len(attempt.layout), title=localized(quiz.titles, current_language()),
                           form=ConfirmForm(formdata=None))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id):
    attempt, quiz = _own_attempt(attempt_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    completed_now = False
    if service.grade_attempt(attempt):  # a second submission finds it graded and changes nothing
        completed_now = record_quiz_result(quiz, attempt.user_id)
    db.session.commit()
    if completed_now:
        flash(_("Congratulations: you have completed this course. Your certificate is in “My certificates”."),
              "success")
    return redirect(url_for("quizzes.result", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id):
    attempt, quiz = _own_attempt(attempt_id)
    if attempt.state is AttemptState.IN_PROGRESS:
        if not service.close_if_expired(attempt, utcnow()):
            return redirect(url_for("quizzes.finish", attempt_id=attempt.id))
        db.session.commit()
    status = service.quiz_status(quiz, current_user.id)
    review = None
    if service.review_allowed(quiz, status):
        answers = service.answers_of(attempt)
        review = [(question, localized(question.texts, attempt.language), answers.get(question.id))
                  for question in service.questions_of(attempt)]
    course = db.session.get(Course, quiz.course_id)
    return render_template("quizzes/result.html", attempt=attempt, quiz=quiz, course=course, status=status,
                           review=review, title=localized(quiz.titles, current_language()))
