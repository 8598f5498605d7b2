"""Cohort pages: trainers run their cohorts (members, sessions, attendance); learners join; managers look."""

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
from flask_babel import ngettext
from flask_login import current_user, login_required

from certificates.issuing import issue_attendance_certificate
from certificates.queries import attendance_codes
from courses.cohorts import queries, services
from courses.cohorts.attendance import cohort_shares
from courses.cohorts.forms import (
    AddMemberForm,
    CohortForm,
    ImportMembersForm,
    JoinForm,
    ParticipantForm,
    SessionForm,
)
from courses.cohorts.models import (
    AttendanceStatus,
    Cohort,
    CohortMember,
    CohortSession,
    SessionMode,
)
from courses.queries import course_choices, course_titles
from lms.accounts.importing import ImportFailed
from lms.accounts.models import Gender, Role, User
from lms.accounts.permissions import permission_required
from lms.accounts.services import find_user_by_email, send_invitations
from lms.errors import DomainError
from lms.exports import csv_text
from lms.extensions import db
from lms.forms import ConfirmForm, apply_domain_error, form_status
from lms.i18n import current_language, from_local, to_local
from lms.mail import external_url
from lms.organizations.models import OrganizationType
from lms.organizations.services import approved_organizations

bp = Blueprint("cohorts", __name__, template_folder="templates")

INACTIVE_DAYS = (7, 14, 30)


def _cohort(cohort_id: int) -> Cohort:
    """The cohort, or 404 for anyone who does not train it (administrators see all)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not services.can_manage(cohort, current_user):
        abort(404)
    return cohort


def _form(formdata=None, **data) -> CohortForm:
    trainers = db.session.scalars(sa.select(User).where(User.role.in_([Role.TRAINER, Role.ADMIN]), User.is_active)
                                  .order_by(User.full_name))
    return CohortForm(formdata, data=data, course_choices=course_choices(current_language()), trainer_choices=list(trainers),
                      organization_choices=approved_organizations())


def _details(form: CohortForm) -> services.CohortDetails:
    return services.CohortDetails(course_id=int(form.course.data), name=form.name.data, starts_on=form.starts_on.data,
                                  ends_on=form.ends_on.data, capacity=form.capacity.data, join_key=form.join_key.data,
                                  trainer_ids=form.trainers.data, partner_ids=form.partners.data or [])


@bp.route("/cohorts")
@permission_required("courses.author")
def index():
    return render_template("cohorts/index.html", rows=queries.cohorts_for(current_user),
                           titles=course_titles(current_language()))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@permission_required("courses.author")
def create():
    form = _form(request.form if request.method == "POST" else None, trainers=[current_user.id])
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(_details(form), current_user)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The cohort is created."), "success")
            return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=None), form_status(form)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@permission_required("courses.author")
def edit(cohort_id):
    cohort = _cohort(cohort_id)
    if request.method == "POST":
        form = _form(request.form)
    else:
        db.session.refresh(cohort, ["trainers", "partners"])
        form = _form(None, course=str(cohort.course_id), name=cohort.name, starts_on=cohort.starts_on,
                     ends_on=cohort.ends_on, capacity=cohort.capacity, join_key=cohort.join_key,
                     trainers=[u.id for u in cohort.trainers], partners=[o.id for o in cohort.partners])
    if form.validate_on_submit():
        try:
            services.update_cohort(cohort, _details(form))
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The cohort is saved."), "success")
            return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=cohort), form_status(form)


@bp.route("/cohorts/<int:cohort_id>")
@permission_required("courses.author")
def dashboard(cohort_id):
    cohort = _cohort(cohort_id)
    days = request.args.get("inactive", type=int)
    days = days if days in INACTIVE_DAYS else None
    return _render_dashboard(cohort, days)


def _render_dashboard(cohort: Cohort, days: int | None, status: int = 200, **forms):
    board = queries.dashboard(cohort, current_language())
    behind = queries.behind(board, days or INACTIVE_DAYS[0])
    return render_template(
        "cohorts/dashboard.html", cohort=cohort, board=board, days=days, inactive_days=INACTIVE_DAYS,
        behind=behind, shown=queries.behind(board, days) if days else board.members,
        course_title=course_titles(current_language()).get(cohort.course_id, ""),
        invite_url=external_url("cohorts.join_invitation", token=cohort.invite_token),
        member_form=forms.get("member_form") or AddMemberForm(formdata=None),
        participant_form=forms.get("participant_form") or ParticipantForm(formdata=None),
        import_form=forms.get("import_form") or ImportMembersForm(formdata=None),
        session_form=forms.get("session_form") or SessionForm(formdata=None),
        import_errors=forms.get("import_errors", []), confirm_form=ConfirmForm(),
    ), status


@bp.route("/cohorts/<int:cohort_id>/members", methods=["POST"])
@permission_required("courses.author")
def add_member(cohort_id):
    cohort = _cohort(cohort_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is None or not user.is_active:
            form.email.errors.append(_("No active account uses this address: record the person as a participant below."))
        else:
            try:
                services.add_member(cohort, user, current_user)
            except DomainError as error:
                db.session.rollback()
                apply_domain_error(form, error)
            else:
                db.session.commit()
                flash(_("%(name)s is in the cohort.", name=user.full_name), "success")
                return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return _render_dashboard(cohort, None, 422, member_form=form)


@bp.route("/cohorts/<int:cohort_id>/participants", methods=["POST"])
@permission_required("courses.author")
def add_participant(cohort_id):
    cohort = _cohort(cohort_id)
    form = ParticipantForm()
    if form.validate_on_submit():
        participant = services.Participant(
            full_name=form.full_name.data, email=form.email.data or None, gender=Gender(form.gender.data),
            organization_name=form.organization_name.data or "",
            organization_type=OrganizationType(form.organization_type.data) if form.organization_type.data else None,
            city=form.city.data)
        try:
            services.record_participant(cohort, participant, current_user)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is recorded.", name=participant.full_name), "success")
            return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return _render_dashboard(cohort, None, 422, participant_form=form)


@bp.route("/cohorts/<int:cohort_id>/import", methods=["POST"])
@permission_required("courses.author")
def import_members(cohort_id):
    cohort = _cohort(cohort_id)
    form = ImportMembersForm()
    errors = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            created, added, invitations = services.import_members(cohort, upload.read(), current_user,
                                                                  upload.filename or "")
        except ImportFailed as failure:
            db.session.rollback()
            errors = failure.errors
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            send_invitations(invitations)
            flash(_("%(added)s people added to the cohort, %(created)s of them with a new account.",
                    added=added, created=created), "success")
            return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return _render_dashboard(cohort, None, 422, import_form=form, import_errors=errors)


@bp.route("/cohorts/<int:cohort_id>/members/<int:member_id>/remove", methods=["POST"])
@permission_required("courses.author")
def remove_member(cohort_id, member_id):
    cohort = _cohort(cohort_id)
    member = db.session.get(CohortMember, member_id)
    if member is None or member.cohort_id != cohort.id or not ConfirmForm().validate_on_submit():
        abort(404 if member is None or member.cohort_id != cohort.id else 400)
    services.remove_member(cohort, member)
    db.session.commit()
    flash(_("The person is removed from the cohort; their progress in the course is kept."), "success")
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/reminders", methods=["POST"])
@permission_required("courses.author")
def remind(cohort_id):
    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    days = request.form.get("inactive", type=int)
    board = queries.dashboard(cohort, current_language())
    member_id = request.form.get("member", type=int)
    rows = ([row for row in board.members if row.member.id == member_id and row.member.user_id] if member_id
            else queries.behind(board, days if days in INACTIVE_DAYS else INACTIVE_DAYS[0]))
    if member_id and not rows:
        abort(404)
    users = list(db.session.scalars(sa.select(User).where(User.id.in_([row.member.user_id for row in rows]))))
    sent = services.send_reminders(cohort, users, course_titles(current_language()).get(cohort.course_id, ""))
    flash(_("Reminders sent: %(num)s.", num=sent), "success")
    return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/sessions", methods=["POST"])
@permission_required("courses.author")
def add_session(cohort_id):
    cohort = _cohort(cohort_id)
    form = SessionForm()
    if form.validate_on_submit():
        starts_at = from_local(form.starts_at.data)
        services.add_session(cohort, CohortSession(
            title=form.title.data.strip(), starts_at=starts_at, duration_minutes=form.duration_minutes.data,
            mode=SessionMode(form.mode.data), place=(form.place.data or "").strip()))
        db.session.commit()
        flash(_("The session is added."), "success")
        return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return _render_dashboard(cohort, None, 422, session_form=form)


def _session(cohort: Cohort, session_id: int) -> CohortSession:
    session = db.session.get(CohortSession, session_id)
    if session is None or session.cohort_id != cohort.id:
        abort(404)
    return session


@bp.route("/cohorts/<int:cohort_id>/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@permission_required("courses.author")
def attendance(cohort_id, session_id):
    cohort = _cohort(cohort_id)
    session = _session(cohort, session_id)
    form = ConfirmForm()
    errors = []
    if form.validate_on_submit():
        statuses = {}
        for name, value in request.form.items():
            if name.startswith("member-") and value:
                try:
                    statuses[int(name.removeprefix("member-"))] = AttendanceStatus(value)
                except ValueError:
                    abort(400)
        try:
            changes = services.record_attendance(session, statuses, current_user)
        except DomainError as error:
            db.session.rollback()
            errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Attendance saved (%(num)s changes).", num=changes), "success")
            return redirect(url_for("cohorts.attendance", cohort_id=cohort.id, session_id=session.id))
    return render_template("cohorts/attendance.html", cohort=cohort, session=session, roll=queries.roll(session),
                           statuses=list(AttendanceStatus), form=form, errors=errors), 422 if errors else 200


@bp.route("/cohorts/<int:cohort_id>/attendance.csv")
@permission_required("courses.author")
def attendance_csv(cohort_id):
    cohort = _cohort(cohort_id)
    rows = ([title, to_local(starts_at).strftime("%Y-%m-%d %H:%M"), name, email or "", status.value]
            for title, starts_at, name, email, status in queries.attendance_rows(cohort))
    return Response(csv_text(["session", "starts_at", "name", "email", "status"], rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="attendance-{cohort.id}.csv"'})


# Learners --------------------------------------------------------------------------------------


@bp.route("/cohorts/join", methods=["GET", "POST"])
@login_required
def join():
    form = JoinForm()
    if form.validate_on_submit():
        try:
            cohort = services.join_with_key(current_user, form.key.data)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("You joined %(cohort)s.", cohort=cohort.name), "success")
            return redirect(url_for("courses.my_learning"))
    return render_template("cohorts/join.html", form=form, cohort=None), form_status(form)


@bp.route("/cohorts/join/<token>", methods=["GET", "POST"])
@login_required
def join_invitation(token):
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.invite_token == token[:64]))
    if cohort is None:
        abort(404)
    form = ConfirmForm()
    errors = []
    if form.validate_on_submit():
        try:
            services.join_with_invitation(current_user, cohort)
        except DomainError as error:
            db.session.rollback()
            errors.append(error.message)
        else:
            db.session.commit()
            flash(_("You joined %(cohort)s.", cohort=cohort.name), "success")
            return redirect(url_for("courses.my_learning"))
    return render_template("cohorts/join.html", form=form, cohort=cohort, errors=errors,
                           course_title=course_titles(current_language()).get(cohort.course_id, "")), \
        422 if errors else 200


# Organization managers -------------------------------------------------------------------------


@bp.route("/organization/cohorts")
@permission_required("organization.view_members")
def organization_cohorts():
    if current_user.organization_id is None:
        abort(404)
    return render_template("cohorts/organization.html", rows=queries.organization_members_in_cohorts(
        current_user.organization_id), titles=course_titles(current_language()))


# Certificates of attendance ------------------------------------------------------------------------

@bp.route("/cohorts/<int:cohort_id>/certificates", methods=["GET", "POST"])
@permission_required("courses.author")
def attendance_certificates(cohort_id):
    """Issue certificates of attendance to the participants chosen (with or without an account)."""
    cohort = _cohort(cohort_id)
    shares = cohort_shares(cohort)
    form = ConfirmForm()
    if form.validate_on_submit():
        chosen = set(request.form.getlist("member", type=int))
        members = list(db.session.scalars(sa.select(CohortMember).where(
            CohortMember.cohort_id == cohort.id, CohortMember.id.in_(chosen))))
        if len(members) != len(chosen):
            abort(404)
        issued, refused = 0, []
        for member in members:
            try:
                issue_attendance_certificate(member, shares[member.id], current_user)
                issued += 1
            except DomainError as error:
                refused.append(error.message)
        db.session.commit()
        if issued:
            flash(ngettext("%(num)s certificate of attendance issued.", "%(num)s certificates of attendance issued.",
                           issued), "success")
        for message in sorted(set(refused)):
            flash(message, "error")
        return redirect(url_for("cohorts.attendance_certificates", cohort_id=cohort.id))
    course = queries.course_of(cohort)
    return render_template("cohorts/certificates.html", cohort=cohort, rows=queries.roll_names(cohort),
                           shares=shares, codes=attendance_codes(list(shares)),
                           minimum=course.min_attendance_percent,
                           course_title=course_titles(current_language()).get(cohort.course_id, ""))
