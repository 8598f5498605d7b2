"""Staff pages: issuing by hand (trainers and administrators), and the administrators' list, export,
revocation, reissue and issuer settings."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certificates import issuing, queries
from certificates.codes import grouped, normalize
from certificates.documents import designs
from certificates.forms import CertificateFilterForm, IssuerSettingsForm, ManualIssueForm, ReasonForm
from courses.models import Course
from courses.queries import course_choices
from lms.accounts.permissions import permission_required
from lms.accounts.services import find_user_by_email
from lms.errors import DomainError
from lms.exports import csv_text
from lms.extensions import db
from lms.forms import apply_domain_error, form_status
from lms.i18n import LANGUAGES, current_language

bp = Blueprint("certificate_admin", __name__)


def _certificate(code: str):
    certificate = queries.by_code(normalize(code))
    if certificate is None:
        abort(404)
    return certificate


def _filters(form: CertificateFilterForm) -> queries.CertificateFilters:
    if not form.validate():
        return queries.CertificateFilters()
    data = form.data
    return queries.CertificateFilters(text=data["q"] or "", course_id=int(data["course"]) if data["course"] else None,
                                      status=data["status"] or None, issued_from=data["issued_from"],
                                      issued_to=data["issued_to"])


@bp.route("/admin/certificates")
@permission_required("certificates.manage")
def index():
    form = CertificateFilterForm(request.args, courses=course_choices(current_language()))
    filters = _filters(form)
    page = db.paginate(queries.certificates_query(filters), per_page=current_app.config["CERTIFICATES_PER_PAGE"],
                       error_out=False)
    params = {name: request.args[name] for name in form.data if request.args.get(name)} if not form.errors else {}
    return render_template("certificates/admin/index.html", form=form, page=page, page_params=params,
                           language=current_language())


@bp.route("/admin/certificates.csv")
@permission_required("certificates.manage")
def export():
    form = CertificateFilterForm(request.args, courses=course_choices(current_language()))
    rows = db.session.scalars(queries.certificates_query(_filters(form)))
    return Response(_csv(rows, current_language()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="certificates.csv"'})


def _csv(rows, language: str) -> str:
    return csv_text(
        ["code", "holder_name", "holder_name_ar", "email", "course", "hours", "completed_on", "issued_at",
         "language", "issued", "reason", "status", "revoked_at", "revocation_reason"],
        ([c.display_code, c.holder_name, c.holder_name_ar or "", c.user.email if c.user else "",
          c.course_title_in(language), f"{c.hours:g}", c.completed_on.isoformat(), c.issued_at.isoformat(),
          c.language, "manual" if c.is_manual else "automatic", c.issue_reason,
          "revoked" if c.is_revoked else "valid", c.revoked_at.isoformat() if c.revoked_at else "",
          c.revocation_reason] for c in rows))


@bp.route("/admin/certificates/<code>")
@permission_required("certificates.manage")
def detail(code):
    certificate = _certificate(code)
    return render_template("certificates/admin/detail.html", certificate=certificate, language=current_language(),
                           revoke_form=ReasonForm(prefix="revoke"), reissue_form=ReasonForm(prefix="reissue"))


@bp.route("/admin/certificates/<code>/revoke", methods=["POST"])
@permission_required("certificates.manage")
def revoke(code):
    certificate = _certificate(code)
    form = ReasonForm(prefix="revoke")
    if form.validate_on_submit():
        try:
            issuing.revoke(certificate, form.reason.data, current_user)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The certificate %(code)s is revoked.", code=certificate.display_code), "success")
            return redirect(url_for("certificate_admin.detail", code=certificate.display_code))
    return render_template("certificates/admin/detail.html", certificate=certificate, language=current_language(),
                           revoke_form=form, reissue_form=ReasonForm(prefix="reissue", formdata=None)), 422


@bp.route("/admin/certificates/<code>/reissue", methods=["POST"])
@permission_required("certificates.manage")
def reissue(code):
    certificate = _certificate(code)
    form = ReasonForm(prefix="reissue")
    if form.validate_on_submit():
        try:
            new = issuing.reissue(certificate, form.reason.data, current_user)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("A new certificate %(code)s replaces %(old)s.", code=new.display_code,
                    old=certificate.display_code), "success")
            return redirect(url_for("certificate_admin.detail", code=new.display_code))
    return render_template("certificates/admin/detail.html", certificate=certificate, language=current_language(),
                           revoke_form=ReasonForm(prefix="revoke", formdata=None), reissue_form=form), 422


@bp.route("/admin/certificates/settings", methods=["GET", "POST"])
@permission_required("certificates.manage")
def settings():
    language = current_language()
    form = IssuerSettingsForm(designs=[(key, design.name_in(language)) for key, design in designs().items()])
    if form.validate_on_submit():
        try:
            issuing.update_issuer_settings(
                names={code: getattr(form, f"name_{code}").data for code in LANGUAGES},
                signatory_name=form.signatory_name.data or "",
                signatory_titles={code: getattr(form, f"title_{code}").data for code in LANGUAGES},
                design=form.design.data, actor=current_user)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The certificate settings are saved. They apply to certificates issued from now on."), "success")
            return redirect(url_for("certificate_admin.settings"))
    elif request.method == "GET":
        current = issuing.issuer_settings()
        for code in LANGUAGES:
            getattr(form, f"name_{code}").data = current.names.get(code, "")
            getattr(form, f"title_{code}").data = current.signatory_titles.get(code, "")
        form.signatory_name.data = current.signatory_name
        form.design.data = current.design
    return render_template("certificates/admin/settings.html", form=form), form_status(form)


@bp.route("/certificates/issue", methods=["GET", "POST"])
@permission_required("certificates.issue")
def issue():
    form = ManualIssueForm(courses=course_choices(current_language()))
    if request.method == "GET":
        form.email.data = request.args.get("email", "")[:254]
        form.course.data = request.args.get("course", "")
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        course = db.session.get(Course, int(form.course.data))
        if user is None:
            form.email.errors.append(_("No account uses this address."))
        else:
            try:
                certificate = issuing.manual_issue(user, course, form.reason.data, current_user,
                                                   language=form.language.data or None)
            except DomainError as error:
                db.session.rollback()
                apply_domain_error(form, error)
            else:
                db.session.commit()
                flash(_("Certificate %(code)s issued to %(name)s.", code=certificate.display_code,
                        name=certificate.holder_name), "success")
                return redirect(url_for("certificates.verify", code=grouped(certificate.code)))
    return render_template("certificates/issue.html", form=form), form_status(form)
