"""The learner's path: catalogue, course page, enrolment, "my learning" and the lesson player."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courses import queries, services
from courses.assignments.queries import course_assignments
from courses.editing import upload_folder
from courses.forms import CatalogueFilterForm, EnrollForm
from courses.models import Audience, EnrollmentMode, Lesson, Topic, Upload
from lms.accounts.permissions import can
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm
from lms.i18n import current_language, localized, text_direction
from quizzes.queries import course_with_quizzes

bp = Blueprint("courses", __name__, template_folder="templates")


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _check_visible(view: queries.CourseView | None) -> queries.CourseView:
    """404 when the course does not exist or is a draft the reader may not preview."""
    if view is None or not (view.course.is_published or can("courses.author")):
        abort(404)
    return view


def _visible_course(slug: str) -> queries.CourseView:
    return _check_visible(queries.course_with_enrollment(slug, _user_id(), current_language()))


@bp.route("/courses")
def catalogue():
    form = CatalogueFilterForm(request.args)
    valid = form.validate()
    data = form.data if valid else {}
    entries = queries.catalogue(
        current_language(),
        topic=Topic(data["topic"]) if data.get("topic") else None,
        audience=Audience(data["audience"]) if data.get("audience") else None,
        language=data.get("language") or None,
        text=data.get("q") or "",
    )
    return render_template("courses/catalogue.html", form=form, entries=entries)


@bp.route("/courses/<slug>")
def course_page(slug):
    view, course_quizzes = course_with_quizzes(slug, _user_id(), current_language())
    view = _check_visible(view)
    items = queries.outline(view.course.id, _user_id(), current_language())
    quizzes = [(quiz, localized(quiz.titles, current_language())) for quiz, _attempted in course_quizzes]
    # The pre-test is offered before the first lesson, until the learner starts it; it never blocks them.
    pre_test, started = next(((quiz, attempted) for quiz, attempted in course_quizzes
                              if quiz.kind.value == "pre_test"), (None, False))
    offer_pre_test = bool(view.enrollment and pre_test and not started)
    assignments = course_assignments(view.course.id, _user_id()) if view.enrollment else []
    return render_template(
        "courses/course.html", view=view, items=items, modules=queries.by_module(items), quizzes=quizzes,
        assignments=assignments, language=current_language(),
        pre_test=pre_test if offer_pre_test else None,
        enroll_form=EnrollForm(formdata=None),
        needs_key=view.course.enrollment_mode is EnrollmentMode.KEY,
        next_key=next((item.key for item in items if not item.is_done), items[0].key if items else None),
    )


@bp.route("/courses/<slug>/enroll", methods=["POST"])
@login_required
def enroll(slug):
    view = _visible_course(slug)
    form = EnrollForm()
    if not form.validate_on_submit():  # only the key can be wrong here: it is too long
        flash(_("This enrolment key is not correct."), "error")
        return redirect(url_for("courses.course_page", slug=slug))
    try:
        services.enroll_learner(current_user, view.course, key=form.key.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("courses.course_page", slug=slug))
    db.session.commit()
    flash(_("You are enrolled. Good learning!"), "success")
    return redirect(url_for("courses.course_page", slug=slug))


@bp.route("/learning")
@login_required
def my_learning():
    entries = queries.my_learning(current_user.id, current_language())
    next_keys = queries.first_unfinished_lessons(current_user.id, [entry.course.id for entry in entries])
    return render_template("courses/my_learning.html", entries=entries, next_keys=next_keys)


def _player_context(slug: str, key: str):
    view = _visible_course(slug)
    previewing = view.enrollment is None
    if previewing and not can("courses.author"):
        abort(403)
    items = queries.outline(view.course.id, current_user.id, current_language())
    index = next((i for i, item in enumerate(items) if item.key == key), None)
    if index is None:
        abort(404)
    return view, items, index, previewing


@bp.route("/courses/<slug>/lessons/<key>")
@login_required
def lesson(slug, key):
    view, items, index, previewing = _player_context(slug, key)
    item = items[index]
    body = queries.lesson_body(item.lesson_id, current_language())
    required = [entry for entry in items if entry.is_required]
    return render_template(
        "courses/lesson.html",
        view=view, items=items, item=item, body=body, previewing=previewing,
        previous=items[index - 1] if index > 0 else None,
        following=items[index + 1] if index + 1 < len(items) else None,
        done_count=sum(entry.is_done for entry in required), required_count=len(required),
        body_direction=text_direction(body.language) if body else "ltr",
        form=ConfirmForm(formdata=None),
    )


@bp.route("/courses/<slug>/lessons/<key>/done", methods=["POST"])
@login_required
def mark_done(slug, key):
    view, items, index, previewing = _player_context(slug, key)
    if previewing or not ConfirmForm().validate_on_submit():
        abort(400 if not previewing else 403)
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.id == items[index].lesson_id))
    completed_now = services.mark_lesson_done(view.enrollment, lesson)
    db.session.commit()
    if completed_now:
        flash(_("Congratulations: you have completed this course. Your certificate is in “My certificates”."),
              "success")
        return redirect(url_for("certificates.mine"))
    if index + 1 < len(items):
        return redirect(url_for("courses.lesson", slug=slug, key=items[index + 1].key))
    return redirect(url_for("courses.course_page", slug=slug))


@bp.route("/uploads/<token>/<path:filename>")
def upload_file(token, filename):
    """Serve a course file under its unguessable token: images inline, PDFs as downloads."""
    upload = db.session.scalar(sa.select(Upload).where(Upload.token == token))
    if upload is None or upload.filename != filename:
        abort(404)
    return send_file(upload_folder() / upload.token, mimetype=upload.content_type,
                     as_attachment=not upload.is_image, download_name=upload.filename, max_age=7 * 24 * 3600)
