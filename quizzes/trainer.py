"""Quiz results for trainers: every attempt, extra attempts or time for one learner, item analysis, CSV."""

from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from courses.models import Course
from lms.accounts.permissions import permission_required
from lms.accounts.services import find_user_by_email
from lms.extensions import db
from lms.forms import form_status, options
from lms.i18n import LANGUAGE_NAMES, current_language, from_local, localized, to_local
from lms.yamldoc import ContentError
from quizzes import analysis
from quizzes.editing import QuizSettings, update_quiz_settings
from quizzes.gift import export_gift
from quizzes.importing import import_questions, parse_question_file
from quizzes.models import GradingMethod, ReviewPolicy
from quizzes.overrides import grant_override
from quizzes.queries import course_quizzes, current_questions, quiz_by_key

bp = Blueprint("quiz_results", __name__, url_prefix="/author", template_folder="templates")
AUTHOR = "courses.author"


class OverrideForm(FlaskForm):
    email = EmailField(_l("Learner's email address"), validators=[DataRequired(), Email(), Length(max=254)])
    extra_attempts = IntegerField(_l("Extra attempts"), default=0, validators=[NumberRange(min=0, max=20)])
    extra_minutes = IntegerField(_l("Extra minutes"), default=0, validators=[NumberRange(min=0, max=600)])


class QuestionImportForm(FlaskForm):
    file = FileField(_l("GIFT or Aiken file exported from Moodle"),
                     validators=[FileRequired(message=_l("Choose a file to import."))])
    file_format = SelectField(_l("Format"), choices=[], validators=[Optional()])
    language = SelectField(_l("Language of the questions"), choices=[], validators=[InputRequired()])
    category = StringField(_l("Category (optional)"), validators=[Optional(), Length(max=80)],
                           description=_l("Every question goes into this category; otherwise the file's "
                                          "categories are used."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_format.choices = options([("", _l("From the file name (.gift or .txt)")), ("gift", "GIFT"),
                                            ("aiken", "Aiken")])
        self.language.choices = options(LANGUAGE_NAMES.items())


class QuizSettingsForm(FlaskForm):
    pass_mark = IntegerField(_l("Pass mark (percent)"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    attempts_allowed = IntegerField(_l("Attempts allowed (0 for unlimited)"),
                                    validators=[InputRequired(), NumberRange(min=0, max=50)])
    grading_method = SelectField(_l("Grade kept"), choices=[], validators=[InputRequired()])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (optional)"),
                                      validators=[Optional(), NumberRange(min=1, max=600)])
    opens_at = DateTimeLocalField(_l("Opens on (optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes on (optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    review_policy = SelectField(_l("Learners see the correct answers"), choices=[], validators=[InputRequired()])
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_options = BooleanField(_l("Shuffle the options"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.grading_method.choices = options(GradingMethod.choices())
        self.review_policy.choices = options(ReviewPolicy.choices())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.opens_at.data and self.closes_at.data and self.closes_at.data <= self.opens_at.data:
            self.closes_at.errors.append(_l("The closing date must come after the opening date."))
            valid = False
        return valid


def _local(value: datetime | None) -> datetime | None:
    """A date typed in the platform's time zone, as an aware datetime."""
    if value is None:
        return None
    return from_local(value)


def _typed(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return to_local(value).replace(tzinfo=None)


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


@bp.route("/courses/<slug>/questions/import", methods=["GET", "POST"])
@permission_required(AUTHOR)
def import_questions_page(slug):
    course = _course(slug)
    form = QuestionImportForm()
    if request.method == "GET":
        form.language.data = current_language()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            error = _("The file is not encoded in UTF-8. Save it as UTF-8 and try again.")
        else:
            try:
                parsed = parse_question_file(text, upload.filename or "upload", form.language.data,
                                             form.file_format.data or None)
                count = import_questions(course, parsed, form.category.data or None, form.language.data)
            except ContentError as failure:
                db.session.rollback()
                error = _("Nothing was imported. Line %(line)s: %(reason)s", line=failure.line or "-",
                          reason=failure.reason)
            else:
                db.session.commit()
                flash(ngettext("%(num)s question imported.", "%(num)s questions imported.", count), "success")
                return redirect(url_for("quiz_results.quizzes", slug=slug))
    if error:
        form.form_errors.append(error)
    return render_template("quizzes/trainer/import.html", course=course, form=form), form_status(form)


@bp.route("/courses/<slug>/quizzes/<key>/settings", methods=["GET", "POST"])
@permission_required(AUTHOR)
def quiz_settings(slug, key):
    course = _course(slug)
    quiz = _quiz(course, key)
    form = QuizSettingsForm()
    if request.method == "GET":
        form.pass_mark.data = int(quiz.pass_mark)
        form.attempts_allowed.data = quiz.attempts_allowed
        form.grading_method.data = quiz.grading_method.value
        form.time_limit_minutes.data = quiz.time_limit_minutes
        form.opens_at.data, form.closes_at.data = _typed(quiz.opens_at), _typed(quiz.closes_at)
        form.review_policy.data = quiz.review_policy.value
        form.shuffle_questions.data, form.shuffle_options.data = quiz.shuffle_questions, quiz.shuffle_options
    if form.validate_on_submit():
        update_quiz_settings(quiz, QuizSettings(
            pass_mark=float(form.pass_mark.data), attempts_allowed=form.attempts_allowed.data,
            grading_method=GradingMethod(form.grading_method.data),
            time_limit_minutes=form.time_limit_minutes.data or None,
            opens_at=_local(form.opens_at.data), closes_at=_local(form.closes_at.data),
            review_policy=ReviewPolicy(form.review_policy.data),
            shuffle_questions=form.shuffle_questions.data, shuffle_options=form.shuffle_options.data,
        ))
        db.session.commit()
        flash(_("The quiz settings are saved."), "success")
        return redirect(url_for("quiz_results.quiz_results", slug=slug, key=key))
    return render_template("quizzes/trainer/settings.html", course=course, quiz=quiz, form=form,
                           title=localized(quiz.titles, current_language())), form_status(form)


@bp.route("/courses/<slug>/questions.gift")
@permission_required(AUTHOR)
def export_gift_file(slug):
    """The course's question bank in Moodle's GIFT format, in the language asked for."""
    course = _course(slug)
    language = request.args.get("lang") if request.args.get("lang") in LANGUAGE_NAMES else current_language()
    text = export_gift(current_questions(course.id), language)
    return Response(text, mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="{slug}-{language}.gift"'})


@bp.route("/courses/<slug>/quizzes/<key>/attempts.csv")
@permission_required(AUTHOR)
def attempts_csv(slug, key):
    quiz = _quiz(_course(slug), key)
    return Response(analysis.attempts_csv(quiz), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{slug}-{key}-attempts.csv"'})
