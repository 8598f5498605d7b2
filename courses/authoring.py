"""Course authoring for trainers and administrators: settings, structure, lesson texts, uploads, learners."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from certificates.queries import valid_codes
from courses import editing, queries, services
from courses.forms import (
    CourseForm,
    LessonForm,
    ModuleForm,
    NewLessonForm,
    StaffEnrollForm,
    UploadForm,
)
from courses.models import (
    Audience,
    Course,
    CourseStatus,
    EnrollmentMode,
    Lesson,
    Module,
    Topic,
    Upload,
)
from lms.accounts.permissions import permission_required
from lms.accounts.services import find_user_by_email
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm, apply_domain_error, form_status
from lms.i18n import LANGUAGE_NAMES, current_language, localized
from lms.markdown import render_markdown

bp = Blueprint("authoring", __name__, url_prefix="/author")
AUTHOR = "courses.author"


def _course(slug: str) -> Course:
    course = db.session.scalar(
        sa.select(Course).where(Course.slug == slug).options(
            selectinload(Course.translations),
            selectinload(Course.modules).selectinload(Module.translations),
            selectinload(Course.modules).selectinload(Module.lessons).selectinload(Lesson.translations),
        )
    )
    if course is None:
        abort(404)
    return course


def _settings(form: CourseForm) -> editing.CourseSettings:
    return editing.CourseSettings(
        topic=Topic(form.topic.data),
        audience=[Audience(code) for code in form.audience.data],
        estimated_hours=float(form.estimated_hours.data),
        languages=[code for code in LANGUAGE_NAMES if code in form.languages.data],
        status=CourseStatus(form.status.data),
        enrollment_mode=EnrollmentMode(form.enrollment_mode.data),
        enrollment_key=form.enrollment_key.data,
        is_closed=form.is_closed.data,
        texts=form.texts(),
        min_attendance_percent=form.min_attendance_percent.data,
    )


@bp.route("/")
@permission_required(AUTHOR)
def index():
    entries = queries.catalogue(current_language(), include_drafts=True)
    return render_template("courses/authoring/index.html", entries=entries)


@bp.route("/courses/new", methods=["GET", "POST"])
@permission_required(AUTHOR)
def create_course():
    form = CourseForm()
    if request.method == "GET":
        form.languages.data = list(LANGUAGE_NAMES)
        form.status.data = CourseStatus.DRAFT.value
        form.enrollment_mode.data = EnrollmentMode.OPEN.value
        form.estimated_hours.data = 1
    if form.validate_on_submit():
        try:
            course = editing.create_course(form.slug.data, _settings(form))
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The course is created. Add its modules and lessons."), "success")
            return redirect(url_for("authoring.course", slug=course.slug))
    return render_template("courses/authoring/course_form.html", form=form, course=None), form_status(form)


@bp.route("/courses/<slug>")
@permission_required(AUTHOR)
def course(slug):
    course = _course(slug)
    language = current_language()
    modules = [module for module in course.modules if not module.is_retired]
    return render_template(
        "courses/authoring/course.html", course=course, modules=modules, language=language,
        retired_modules=[module for module in course.modules if module.is_retired],
        module_form=ModuleForm(formdata=None),
        lesson_form=NewLessonForm(formdata=None, modules=[(m.id, _localized_title(m.translations, language) or m.key)
                                                          for m in modules]),
        confirm_form=ConfirmForm(formdata=None), title=_localized_title(course.translations, language) or course.slug,
    )



def _localized_title(rows, language: str) -> str | None:
    return localized({row.language: row.title for row in rows}, language)


@bp.route("/courses/<slug>/edit", methods=["GET", "POST"])
@permission_required(AUTHOR)
def edit_course(slug):
    course = _course(slug)
    form = CourseForm(editing=True)
    if request.method == "GET":
        form.topic.data = course.topic.value
        form.audience.data = [a.value for a in course.audience]
        form.estimated_hours.data = course.estimated_hours
        form.languages.data = course.languages
        form.status.data = course.status.value
        form.enrollment_mode.data = course.enrollment_mode.value
        form.enrollment_key.data = course.enrollment_key
        form.is_closed.data = course.is_closed
        form.min_attendance_percent.data = course.min_attendance_percent
        for row in course.translations:
            getattr(form, f"title_{row.language}").data = row.title
            getattr(form, f"summary_{row.language}").data = row.summary
            getattr(form, f"outcomes_{row.language}").data = row.outcomes
    if form.validate_on_submit():
        editing.update_course(course, _settings(form))
        db.session.commit()
        flash(_("The course settings are saved."), "success")
        return redirect(url_for("authoring.course", slug=slug))
    return render_template("courses/authoring/course_form.html", form=form, course=course), form_status(form)


@bp.route("/courses/<slug>/modules", methods=["POST"])
@permission_required(AUTHOR)
def add_module(slug):
    course = _course(slug)
    form = ModuleForm()
    if form.validate_on_submit():
        try:
            editing.add_module(course, form.key.data, form.titles())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The module is added."), "success")
    else:
        flash(_("The module needs a key and a title."), "error")
    return redirect(url_for("authoring.course", slug=slug))


@bp.route("/modules/<int:module_id>/edit", methods=["GET", "POST"])
@permission_required(AUTHOR)
def edit_module(module_id):
    module = db.get_or_404(Module, module_id, options=[selectinload(Module.translations),
                                                        selectinload(Module.course)])
    form = ModuleForm(editing=True)
    if request.method == "GET":
        for row in module.translations:
            getattr(form, f"title_{row.language}").data = row.title
    if form.validate_on_submit():
        editing.update_module(module, form.titles())
        db.session.commit()
        flash(_("The module is saved."), "success")
        return redirect(url_for("authoring.course", slug=module.course.slug))
    return render_template("courses/authoring/module_form.html", form=form, module=module), form_status(form)


def _structure_action(item, slug: str, action: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if action in ("up", "down"):
        moved = (editing.move_module if isinstance(item, Module) else editing.move_lesson)(item, action)
        if not moved:
            flash(_("It is already at that end."), "info")
    else:
        editing.set_retired(item, action == "retire")
        flash(_("Removed from the course. Learners' progress is kept; you can restore it below.")
              if action == "retire" else _("Restored."), "success")
    db.session.commit()
    return redirect(url_for("authoring.course", slug=slug))


@bp.route("/modules/<int:module_id>/<any(up, down, retire, restore):action>", methods=["POST"])
@permission_required(AUTHOR)
def module_action(module_id, action):
    module = db.get_or_404(Module, module_id, options=[selectinload(Module.course)])
    return _structure_action(module, module.course.slug, action)


@bp.route("/lessons/<int:lesson_id>/<any(up, down, retire, restore):action>", methods=["POST"])
@permission_required(AUTHOR)
def lesson_action(lesson_id, action):
    lesson = db.get_or_404(Lesson, lesson_id, options=[selectinload(Lesson.course)])
    return _structure_action(lesson, lesson.course.slug, action)


@bp.route("/courses/<slug>/lessons", methods=["POST"])
@permission_required(AUTHOR)
def add_lesson(slug):
    course = _course(slug)
    modules = [module for module in course.modules if not module.is_retired]
    form = NewLessonForm(modules=[(module.id, module.key) for module in modules])
    if not form.validate_on_submit():
        flash(_("The lesson needs a module, a key and a title."), "error")
        return redirect(url_for("authoring.course", slug=slug))
    module = next(module for module in modules if str(module.id) == form.module.data)
    language = current_language() if current_language() in course.languages else course.languages[0]
    try:
        lesson = editing.add_lesson(course, module, form.key.data, language, form.title.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("authoring.course", slug=slug))
    db.session.commit()
    return redirect(url_for("authoring.edit_lesson", lesson_id=lesson.id, language=language))


@bp.route("/lessons/<int:lesson_id>/<any(fr, ar, en):language>", methods=["GET", "POST"])
@permission_required(AUTHOR)
def edit_lesson(lesson_id, language):
    lesson = db.get_or_404(Lesson, lesson_id, options=[selectinload(Lesson.translations),
                                                        selectinload(Lesson.course)])
    row = next((row for row in lesson.translations if row.language == language), None)
    form = LessonForm()
    if request.method == "GET":
        form.title.data = row.title if row else ""
        form.body.data = row.body_markdown if row else ""
        form.duration.data = lesson.duration_minutes
        form.required.data = lesson.is_required
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render_markdown(form.body.data or "")
        else:
            editing.save_lesson_text(lesson, language, form.title.data, form.body.data or "", form.duration.data,
                                     form.required.data)
            db.session.commit()
            flash(_("The lesson is saved."), "success")
            return redirect(url_for("authoring.edit_lesson", lesson_id=lesson.id, language=language))
    uploads = db.session.scalars(sa.select(Upload).where(Upload.course_id == lesson.course_id)
                                 .order_by(Upload.created_at.desc())).all()
    return render_template(
        "courses/authoring/lesson_form.html", form=form, lesson=lesson, language=language, preview=preview,
        existing={row.language for row in lesson.translations}, uploads=uploads,
    ), form_status(form)


@bp.route("/courses/<slug>/uploads", methods=["GET", "POST"])
@permission_required(AUTHOR)
def uploads(slug):
    course = _course(slug)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            editing.store_upload(course, upload.filename, upload.read(), current_user)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The file is uploaded. Copy its address into a lesson."), "success")
            return redirect(url_for("authoring.uploads", slug=slug))
    files = db.session.scalars(sa.select(Upload).where(Upload.course_id == course.id)
                               .order_by(Upload.created_at.desc())).all()
    return render_template("courses/authoring/uploads.html", course=course, form=form, files=files), \
        form_status(form)


@bp.route("/courses/<slug>/learners", methods=["GET", "POST"])
@permission_required(AUTHOR)
def learners(slug):
    course = _course(slug)
    form = StaffEnrollForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is None or not user.is_active:
            form.email.errors.append(_("No active account uses this address."))
        else:
            services.enroll_learner(user, course, actor=current_user)
            db.session.commit()
            flash(_("%(name)s is enrolled.", name=user.full_name), "success")
            return redirect(url_for("authoring.learners", slug=slug))
    rows = queries.course_learners(course.id)
    return render_template("courses/authoring/learners.html", course=course, form=form, rows=rows,
                           certificate_codes=valid_codes(course.id)), form_status(form)
