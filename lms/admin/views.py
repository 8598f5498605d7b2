"""Administration: users, roles, account status, bulk import and the audit log."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import services
from lms.accounts.importing import COLUMNS, ImportFailed, import_users
from lms.accounts.models import Gender, Role, User
from lms.accounts.permissions import permission_required
from lms.accounts.queries import UserFilters, users_query
from lms.admin.forms import (
    AuditFilterForm,
    ImportForm,
    RoleForm,
    UserFilterForm,
    UserOrganizationForm,
)
from lms.admin.queries import audit_query
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm
from lms.organizations.regions import Region
from lms.organizations.services import approved_organizations, organizations_offered_to

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _filters(form: UserFilterForm) -> UserFilters:
    data = form.data
    return UserFilters(
        text=data["q"] or "",
        role=Role(data["role"]) if data["role"] else None,
        organization_id=int(data["organization"]) if data["organization"] else None,
        region=Region(data["region"]) if data["region"] else None,
        gender=Gender(data["gender"]) if data["gender"] else None,
        active={"active": True, "inactive": False}.get(data["status"]),
    )


@bp.route("/")
@permission_required("admin.access")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
@permission_required("users.manage")
def users():
    form = UserFilterForm(request.args, organizations=approved_organizations())
    valid = form.validate()
    filters = _filters(form) if valid else UserFilters()
    page = db.paginate(users_query(filters), per_page=current_app.config["USERS_PER_PAGE"], error_out=False)
    params = {name: value for name, value in form.data.items() if value} if valid else {}
    return render_template("admin/users.html", form=form, page=page, page_params=params)


@bp.route("/users/<int:user_id>")
@permission_required("users.manage")
def user_detail(user_id):
    user = db.get_or_404(User, user_id)
    role_form = RoleForm(data={"role": user.role.value})
    organization_form = UserOrganizationForm(
        organizations=organizations_offered_to(user), data={"organization": str(user.organization_id or "")}
    )
    return render_template(
        "admin/user_detail.html", user=user, role_form=role_form, organization_form=organization_form,
        confirm_form=ConfirmForm(),
    )


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@permission_required("users.manage")
def change_role(user_id):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role from the list."), "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    try:
        services.change_role(current_user, user, Role(form.role.data))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s is now: %(role)s.", name=user.full_name, role=user.role.label), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/organization", methods=["POST"])
@permission_required("users.manage")
def change_organization(user_id):
    user = db.get_or_404(User, user_id)
    form = UserOrganizationForm(organizations=organizations_offered_to(user))
    if not form.validate_on_submit():
        flash(_("Choose an organization from the list."), "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    organization_id = int(form.organization.data) if form.organization.data else None
    try:
        services.assign_organization(current_user, user, organization_id)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The organization of %(name)s is saved.", name=user.full_name), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@permission_required("users.manage")
def send_invitation(user_id):
    """Send a new set-your-password link to an account that has never had a password."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit() or user.has_password or not user.is_active:
        flash(_("This account already has a password or is deactivated."), "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    if services.send_invitations([services.prepare_invitation(user)]):
        flash(_("The invitation could not be sent. Check the mail settings and try again."), "error")
    else:
        flash(_("A new invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/<any(deactivate, reactivate):action>", methods=["POST"])
@permission_required("users.manage")
def set_active(user_id, action):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.user_detail", user_id=user.id))
    try:
        services.set_active(current_user, user, action == "reactivate")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if action == "reactivate":
            flash(_("The account of %(name)s is active again.", name=user.full_name), "success")
        else:
            flash(_("The account of %(name)s is deactivated.", name=user.full_name), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/import", methods=["GET", "POST"])
@permission_required("users.import")
def import_users_page():
    form = ImportForm()
    errors, result, failed, status = [], None, [], 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = import_users(upload.read(), actor=current_user, filename=upload.filename or "")
        except ImportFailed as failure:
            db.session.rollback()
            errors, status = failure.errors, 422
        else:
            db.session.commit()
            failed = services.send_invitations(result.invitations)
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "admin/import.html", form=form, errors=errors, result=result, failed=failed, columns=COLUMNS
        ),
        status,
    )


@bp.route("/audit")
@permission_required("audit.view")
def audit():
    form = AuditFilterForm(request.args)
    action = form.action.data if form.validate() else None
    page = db.paginate(audit_query(action), per_page=current_app.config["AUDIT_EVENTS_PER_PAGE"], error_out=False)
    return render_template("admin/audit.html", form=form, page=page, page_params={"action": action} if action else {})
