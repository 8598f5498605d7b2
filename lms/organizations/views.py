"""Organization members for managers; organization management for administrators."""

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
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.permissions import permission_required
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm, apply_domain_error, form_status
from lms.organizations import services
from lms.organizations.forms import MergeForm, OrganizationForm
from lms.organizations.models import Organization, OrganizationType
from lms.organizations.queries import (
    members_query,
    merge_targets,
    organizations_with_counts,
)
from lms.organizations.regions import Region

bp = Blueprint("organizations", __name__)


def _render_members(organization: Organization | None):
    text = (request.args.get("q") or "")[:100]
    page = None
    if organization is not None:
        page = db.paginate(
            members_query(organization.id, text), per_page=current_app.config["USERS_PER_PAGE"], error_out=False
        )
    params = {"q": text} if text else {}
    if request.view_args:
        params.update(request.view_args)
    return render_template("organizations/members.html", organization=organization, page=page, q=text,
                           page_params=params)


@bp.route("/organization/members")
@permission_required("organization.view_members")
def members():
    """A manager sees the members of their own organization, and only those."""
    return _render_members(current_user.organization)


@bp.route("/admin/organizations")
@permission_required("organizations.manage")
def list_organizations():
    return render_template("organizations/list.html", rows=organizations_with_counts())


@bp.route("/admin/organizations/<int:organization_id>")
@permission_required("organizations.manage")
def organization_detail(organization_id):
    return _render_members(db.get_or_404(Organization, organization_id))


def _details(form: OrganizationForm) -> services.OrganizationDetails:
    return services.OrganizationDetails(
        name=form.name.data,
        type=OrganizationType(form.type.data),
        city=form.city.data or "",
        region=Region(form.region.data) if form.region.data else None,
    )


@bp.route("/admin/organizations/new", methods=["GET", "POST"])
@permission_required("organizations.manage")
def create_organization():
    form = OrganizationForm()
    if form.validate_on_submit():
        try:
            services.create_organization(_details(form))
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The organization %(name)s is created.", name=form.name.data), "success")
            return redirect(url_for("organizations.list_organizations"))
    return render_template("organizations/edit.html", form=form, organization=None), form_status(form)


@bp.route("/admin/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@permission_required("organizations.manage")
def edit_organization(organization_id):
    organization = db.get_or_404(Organization, organization_id)
    form = OrganizationForm(
        data=None if request.method == "POST" else {
            "name": organization.name,
            "type": organization.type.value,
            "city": organization.city,
            "region": organization.region.value if organization.region else "",
        }
    )
    merge_form = MergeForm(organizations=merge_targets(organization), formdata=None)
    if form.validate_on_submit():
        try:
            services.update_organization(organization, _details(form))
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("The organization is saved."), "success")
            return redirect(url_for("organizations.list_organizations"))
    return (
        render_template(
            "organizations/edit.html", form=form, organization=organization,
            merge_form=merge_form, confirm_form=ConfirmForm(formdata=None),
        ),
        form_status(form),
    )


@bp.route("/admin/organizations/<int:organization_id>/approve", methods=["POST"])
@permission_required("organizations.manage")
def approve_organization(organization_id):
    organization = db.get_or_404(Organization, organization_id)
    if ConfirmForm().validate_on_submit():
        services.approve_organization(current_user, organization)
        db.session.commit()
        flash(_("The organization %(name)s is approved.", name=organization.name), "success")
    return redirect(url_for("organizations.list_organizations"))


@bp.route("/admin/organizations/<int:organization_id>/merge", methods=["POST"])
@permission_required("organizations.manage")
def merge_organization(organization_id):
    organization = db.get_or_404(Organization, organization_id)
    form = MergeForm(organizations=merge_targets(organization))
    if not form.validate_on_submit() or not form.target.data:
        flash(_("Choose the organization to merge into."), "error")
        return redirect(url_for("organizations.edit_organization", organization_id=organization.id))
    target = db.get_or_404(Organization, int(form.target.data))
    name = organization.name
    try:
        moved = services.merge_organization(current_user, organization, target)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("organizations.edit_organization", organization_id=organization.id))
    db.session.commit()
    flash(
        ngettext(
            "%(source)s is merged into %(target)s; %(num)d member moved.",
            "%(source)s is merged into %(target)s; %(num)d members moved.",
            moved,
            source=name,
            target=target.name,
        ),
        "success",
    )
    return redirect(url_for("organizations.list_organizations"))

