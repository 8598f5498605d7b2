"""Assignment pages: authors write them, learners hand in versions, trainers review, panels select."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courses.assignments import files, queries, services
from courses.assignments.forms import (
    AssignmentForm,
    PanelScoreForm,
    ReviewForm,
    SelectionForm,
    SubmitForm,
)
from courses.assignments.models import (
    Assignment,
    Selection,
    Submission,
    SubmissionStatus,
    SubmissionVersion,
)
from courses.models import Course
from courses.queries import course_titles
from courses.services import find_enrollment
from lms.accounts.models import Role, User
from lms.accounts.permissions import permission_required
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm, apply_domain_error, form_status
from lms.i18n import LANGUAGES, current_language, from_local, to_local

bp = Blueprint("assignments", __name__, template_folder="templates")

AUTHOR = "courses.author"


def _assignment(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    return assignment


# Authoring ---------------------------------------------------------------------------------------

def _panel_choices() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.role.in_([Role.TRAINER, Role.ADMIN]), User.is_active)
                                   .order_by(User.full_name)))


def _details(form: AssignmentForm) -> services.AssignmentDetails:
    deadline = from_local(form.deadline.data) if form.deadline.data else None
    return services.AssignmentDetails(
        titles={code: getattr(form, f"title_{code}").data or "" for code in LANGUAGES},
        instructions={code: getattr(form, f"instructions_{code}").data or "" for code in LANGUAGES},
        deadline=deadline, accepts_text=form.accepts_text.data, file_types=form.file_types.data or [],
        max_file_mb=form.max_file_mb.data, rubric=services.parse_rubric(form.rubric.data),
        is_required=form.is_required.data, is_selection=form.is_selection.data, panel_ids=form.panel.data or [])


def _save(form: AssignmentForm, save) -> bool:
    """Validate and save through ``save(details)``; errors go back to the form."""
    if not form.validate_on_submit():
        return False
    try:
        save(_details(form))
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error)
        return False
    db.session.commit()
    return True


@bp.route("/author/courses/<slug>/assignments")
@permission_required(AUTHOR)
def index(slug):
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug)) or abort(404)
    return render_template("assignments/index.html", course=course, language=current_language(),
                           assignments=[a for a, _status in queries.course_assignments(course.id, include_retired=True)])


@bp.route("/author/courses/<slug>/assignments/new", methods=["GET", "POST"])
@permission_required(AUTHOR)
def create(slug):
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug)) or abort(404)
    form = AssignmentForm(panel_choices=_panel_choices())
    if request.method == "GET":
        form.accepts_text.data = True
        form.max_file_mb.data = min(5, current_app.config["SUBMISSION_MAX_MB"])
    created = []
    if _save(form, lambda details: created.append(services.create_assignment(course, details, current_user))):
        flash(_("The assignment is created."), "success")
        return redirect(url_for("assignments.submissions", assignment_id=created[0].id))
    return render_template("assignments/form.html", form=form, course=course, assignment=None, panel_names=[],
                           course_title=course_titles(current_language()).get(course.id, course.slug)), form_status(form)


@bp.route("/author/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@permission_required(AUTHOR)
def edit(assignment_id):
    assignment = _assignment(assignment_id)
    course = db.session.get(Course, assignment.course_id)
    form = AssignmentForm(panel_choices=_panel_choices())
    if request.method == "GET":
        for code in LANGUAGES:
            getattr(form, f"title_{code}").data = assignment.titles.get(code, "")
            getattr(form, f"instructions_{code}").data = assignment.instructions.get(code, "")
        form.deadline.data = to_local(assignment.deadline).replace(tzinfo=None) if assignment.deadline else None
        form.accepts_text.data = assignment.accepts_text
        form.file_types.data = assignment.file_type_codes
        form.max_file_mb.data = assignment.max_file_mb
        form.rubric.data = services.rubric_text(assignment.rubric)
        form.is_required.data = assignment.is_required
        form.is_selection.data = assignment.is_selection
        form.panel.data = services.panel_ids(assignment)
    if _save(form, lambda details: services.update_assignment(assignment, details, current_user)):
        flash(_("The assignment is saved."), "success")
        return redirect(url_for("assignments.submissions", assignment_id=assignment.id))
    return render_template("assignments/form.html", form=form, course=course, assignment=assignment,
                           panel_names=services.panel_names(assignment),
                           course_title=course_titles(current_language()).get(course.id, course.slug)), form_status(form)


@bp.route("/author/assignments/<int:assignment_id>/retire", methods=["POST"])
@permission_required(AUTHOR)
def retire(assignment_id):
    assignment = _assignment(assignment_id)
    if ConfirmForm().validate_on_submit():
        services.set_retired(assignment, not assignment.is_retired)
        db.session.commit()
        flash(_("The assignment is withdrawn.") if assignment.is_retired else _("The assignment is offered again."),
              "success")
    return redirect(url_for("assignments.submissions", assignment_id=assignment.id))


# Learners ----------------------------------------------------------------------------------------

@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def show(assignment_id):
    """The instructions, the learner's versions with the feedback, and the form to hand in."""
    assignment = _assignment(assignment_id)
    course = db.session.get(Course, assignment.course_id)
    reviewer = services.learners_of(assignment, current_user) is not None
    enrolled = find_enrollment(current_user.id, course.id) is not None
    if not enrolled and not reviewer:
        abort(404)
    if assignment.is_retired and not reviewer:
        abort(404)
    form = SubmitForm()
    if enrolled and form.validate_on_submit():
        upload = request.files.get("file")
        try:
            services.submit(assignment, current_user, form.text.data,
                            (upload.filename, upload.read()) if upload and upload.filename else None)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Your work is handed in. You can send a new version until the deadline."), "success")
            return redirect(url_for("assignments.show", assignment_id=assignment.id))
    submission = services.submission_of(assignment, current_user)
    language = current_language()
    file_labels = [str(files.FILE_TYPES[code][0]) for code in assignment.file_type_codes]
    form.file.description = _("Accepted: %(types)s; up to %(size)s MB.", types=", ".join(file_labels),
                              size=assignment.max_file_mb)
    return render_template(
        "assignments/show.html", assignment=assignment, course=course, submission=submission, form=form,
        enrolled=enrolled, reviewer=reviewer, language=language, now=utcnow(),
        versions=services.versions(submission) if submission else [],
        reviews=services.reviews(submission) if submission else [],
        file_labels=file_labels,
        course_title=course_titles(language).get(course.id, course.slug),
    ), form_status(form)


@bp.route("/assignments/files/<int:version_id>")
@login_required
def download(version_id):
    """A handed-in file, for its author and the people who may review it; always as an attachment."""
    version = db.session.get(SubmissionVersion, version_id)
    if version is None or not version.file_token:
        abort(404)
    submission = db.session.get(Submission, version.submission_id)
    assignment = db.session.get(Assignment, submission.assignment_id)
    if submission.user_id != current_user.id and not services.can_review(submission, assignment, current_user):
        abort(404)
    path = files.path_of(version.file_token)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=version.file_type, as_attachment=True, download_name=version.file_name,
                         max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.private = True
    return response


# Reviewers ---------------------------------------------------------------------------------------

def _visible(assignment: Assignment):
    condition = services.learners_of(assignment, current_user)
    if condition is None:
        abort(404)
    return condition


@bp.route("/assignments/<int:assignment_id>/submissions")
@permission_required(AUTHOR)
def submissions(assignment_id):
    assignment = _assignment(assignment_id)
    rows = queries.submissions(assignment, _visible(assignment), current_user.id)
    language = current_language()
    return render_template(
        "assignments/submissions.html", assignment=assignment, rows=rows, language=language,
        on_panel=services.on_panel(assignment, current_user), confirm_form=ConfirmForm(formdata=None),
        panel_names=services.panel_names(assignment) if assignment.is_selection else [],
        course=db.session.get(Course, assignment.course_id),
        course_title=course_titles(language).get(assignment.course_id, ""),
        selected=sum(1 for row in rows if row.submission.selection is Selection.SELECTED))


def _submission(submission_id: int) -> tuple[Submission, Assignment]:
    """A submission the current user may review, else 404."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        abort(404)
    assignment = db.session.get(Assignment, submission.assignment_id)
    if not services.can_review(submission, assignment, current_user):
        abort(404)
    return submission, assignment


def _scores(assignment: Assignment) -> list[int | None]:
    """The rubric scores typed in the form, None where a box is empty; 400 for anything but numbers."""
    values = []
    for index in range(len(assignment.rubric)):
        raw = (request.form.get(f"score-{index}") or "").strip()
        if not raw:
            values.append(None)
            continue
        try:
            values.append(int(raw))
        except ValueError:
            values.append(-1)  # refused by the service with the criterion's range
    return values


def _render_review(submission: Submission, assignment: Assignment, status: int = 200, **forms):
    language = current_language()
    panel = services.on_panel(assignment, current_user)
    scores = queries.panel_scores(submission) if assignment.is_selection else []
    mine = next((entry for entry, _name in scores if entry.reviewer_id == current_user.id), None)
    review_form = forms.get("review_form") or ReviewForm(formdata=None, status=submission.status.value)
    return render_template(
        "assignments/review.html", submission=submission, assignment=assignment, language=language,
        learner=db.session.get(User, submission.user_id), versions=services.versions(submission),
        reviews=services.reviews(submission), review_form=review_form,
        score_form=forms.get("score_form") or PanelScoreForm(formdata=None, comment=mine.comment if mine else ""),
        selection_form=SelectionForm(formdata=None, selection=submission.selection.value if submission.selection else ""),
        typed=forms.get("typed") or (mine.scores if mine else []), on_panel=panel, my_score=mine,
        # Other panel members' scores stay hidden until this reviewer has given their own.
        panel_scores=scores if mine is not None else [], scored_by=len(scores),
        course_title=course_titles(language).get(assignment.course_id, ""),
    ), status


@bp.route("/submissions/<int:submission_id>", methods=["GET", "POST"])
@permission_required(AUTHOR)
def review(submission_id):
    submission, assignment = _submission(submission_id)
    form = ReviewForm()
    if form.validate_on_submit():
        scores = _scores(assignment)
        try:
            services.review(submission, current_user, form.comment.data or "", scores,
                            SubmissionStatus(form.status.data))
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
            return _render_review(submission, assignment, 422, review_form=form,
                                  typed=[s if s is not None else "" for s in scores])
        db.session.commit()
        flash(_("Your review is saved and the learner is told."), "success")
        return redirect(url_for("assignments.review", submission_id=submission.id))
    return _render_review(submission, assignment, form_status(form), review_form=form)


@bp.route("/submissions/<int:submission_id>/score", methods=["POST"])
@permission_required(AUTHOR)
def score(submission_id):
    submission, assignment = _submission(submission_id)
    if not services.on_panel(assignment, current_user):
        abort(403)
    form = PanelScoreForm()
    if not form.validate_on_submit():
        return _render_review(submission, assignment, 422, score_form=form)
    scores = _scores(assignment)
    try:
        services.score(submission, current_user, scores, form.comment.data or "")
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error)
        return _render_review(submission, assignment, 422, score_form=form,
                              typed=[s if s is not None else "" for s in scores])
    db.session.commit()
    flash(_("Your score is saved."), "success")
    return redirect(url_for("assignments.review", submission_id=submission.id))


def _panel_only(assignment: Assignment) -> None:
    """Selection decisions belong to the panel (and administrators): 403 for other reviewers."""
    if not (assignment.is_selection and (services.on_panel(assignment, current_user)
                                         or current_user.role is Role.ADMIN)):
        abort(403)


@bp.route("/submissions/<int:submission_id>/selection", methods=["POST"])
@permission_required(AUTHOR)
def mark(submission_id):
    submission, assignment = _submission(submission_id)
    _panel_only(assignment)
    form = SelectionForm()
    if form.validate_on_submit():
        try:
            services.mark(submission, Selection(form.selection.data) if form.selection.data else None, current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The selection mark is saved."), "success")
    return redirect(url_for("assignments.submissions", assignment_id=assignment.id))


@bp.route("/assignments/<int:assignment_id>/announce", methods=["POST"])
@permission_required(AUTHOR)
def announce(assignment_id):
    assignment = _assignment(assignment_id)
    _panel_only(assignment)
    if ConfirmForm().validate_on_submit():
        try:
            told = services.announce(assignment, current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The outcome is announced to %(num)s applicants.", num=told), "success")
    return redirect(url_for("assignments.submissions", assignment_id=assignment.id))
