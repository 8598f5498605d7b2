"""Quiz results for trainers: every attempt, extra attempts or time for one learner, item analysis, CSV."""

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField
from wtforms.validators import DataRequired, Email, Length, NumberRange

from courses.models import Course
from lms.accounts.permissions import permission_required
from lms.accounts.services import find_user_by_email
from lms.extensions import db
from lms.i18n import current_language
from quizzes import analysis
from quizzes.overrides import grant_override
from quizzes.queries import course_quizzes, localized, quiz_by_key

bp = Blueprint("quiz_results", __name__, url_prefix="/author", template_folder="templates")
AUTHOR = "courses.author"


class OverrideForm(FlaskForm):
    email = EmailField(_l("Learner's email address"), validators=[DataRequired(), Email(), Length(max=254)])
    extra_attempts = IntegerField(_l("Extra attempts"), default=0, validators=[NumberRange(min=0, max=20)])
    extra_minutes = IntegerField(_l("Extra minutes"), default=0, validators=[NumberRange(min=0, max=600)])


def _course(slug: str) -> Course:
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def _quiz(course: Course, key: str):
    quiz = quiz_by_key(course.id, key)
    if quiz is None:
        abort(404)
    return quiz


@bp.route("/courses/<slug>/quizzes")
@permission_required(AUTHOR)
def quizzes(slug):
    course = _course(slug)
    items = [(quiz, localized(quiz.titles, current_language())) for quiz in course_quizzes(course.id)]
    return render_template("quizzes/trainer/quizzes.html", course=course, items=items)


@bp.route("/courses/<slug>/quizzes/<key>", methods=["GET", "POST"])
@permission_required(AUTHOR)
def quiz_results(slug, key):
    course = _course(slug)
    quiz = _quiz(course, key)
    form = OverrideForm()
    status = 200
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is None:
            form.email.errors.append(_("No account uses this address."))
            status = 422
        elif not (form.extra_attempts.data or form.extra_minutes.data):
            form.extra_attempts.errors.append(_("Grant at least one extra attempt or some extra minutes."))
            status = 422
        else:
            grant_override(quiz.id, user.id, form.extra_attempts.data or 0, form.extra_minutes.data or 0)
            db.session.commit()
            flash(_("%(name)s received the extra attempts or time.", name=user.full_name), "success")
            return redirect(url_for("quiz_results.quiz_results", slug=slug, key=key))
    elif form.is_submitted():
        status = 422
    return render_template(
        "quizzes/trainer/results.html", course=course, quiz=quiz, form=form,
        title=localized(quiz.titles, current_language()), rows=analysis.quiz_attempts(quiz),
        items=analysis.item_analysis(quiz), language=current_language(),
    ), status


@bp.route("/courses/<slug>/quizzes/<key>/attempts.csv")
@permission_required(AUTHOR)
def attempts_csv(slug, key):
    quiz = _quiz(_course(slug), key)
    return Response(analysis.attempts_csv(quiz), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{slug}-{key}-attempts.csv"'})
