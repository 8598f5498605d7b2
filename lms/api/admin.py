"""Administrators' pages for API tokens: create one (its secret shown once), list them all, revoke any."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.permissions import permission_required
from lms.accounts.services import find_user_by_email
from lms.api import tokens
from lms.api.forms import TokenForm
from lms.api.models import ApiToken
from lms.errors import DomainError
from lms.extensions import db
from lms.forms import ConfirmForm, apply_domain_error, form_status

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")


def _page(form: TokenForm, created: ApiToken | None = None, secret: str | None = None, status: int = 200):
    page = render_template("admin/api_tokens.html", form=form, rows=tokens.token_rows(), created=created,
                           secret=secret)
    return page, status, {"Cache-Control": "no-store"}


@bp.route("", methods=["GET", "POST"])
@permission_required("users.manage")
def index():
    """Every token, and the creation form; a new token's secret is shown on the response to the POST only,
    never in a URL or the session."""
    form = TokenForm() if request.method == "POST" else TokenForm(formdata=None)
    if form.validate_on_submit():
        owner = find_user_by_email(form.owner.data) if form.owner.data else current_user
        if owner is None:
            form.owner.errors.append(_("No account uses this address."))
        else:
            try:
                token, secret = tokens.create_token(owner, form.name.data, form.expires_on.data, current_user)
            except DomainError as error:
                db.session.rollback()
                apply_domain_error(form, error)
            else:
                db.session.commit()
                return _page(TokenForm(formdata=None), created=token, secret=secret)
    return _page(form, status=form_status(form))


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@permission_required("users.manage")
def revoke(token_id):
    token = db.get_or_404(ApiToken, token_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Your form has expired or could not be verified. Please reload the page and send it again."), "error")
        return redirect(url_for("api_tokens.index"))
    try:
        tokens.revoke_token(token, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
