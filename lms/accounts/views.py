from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import services, tokens
from lms.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from lms.accounts.models import Role
from lms.audit import record_event
from lms.errors import DomainError, render_error
from lms.extensions import db, limiter
from lms.forms import ConfirmForm, apply_domain_error, form_status
from lms.i18n import current_language
from lms.organizations.services import approved_organizations, organizations_offered_to
from lms.security import is_safe_redirect

bp = Blueprint("accounts", __name__)


def _auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


def _start_session(user, remember: bool = False) -> None:
    """Sign in on a fresh session so nothing from before sign-in carries over."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm(organizations=approved_organizations())
    if request.method == "GET":
        form.locale.data = current_language()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.email.data, form.password.data, form.to_profile(), form.consent.data
            )
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            _start_session(user)
            flash(_("Welcome to Masar, %(name)s. Your account is ready.", name=user.full_name), "success")
            return redirect(url_for("main.index"))
    return render_template("accounts/register.html", form=form), form_status(form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()
            form.password.errors.append(_("The email address or the password is not correct."))
            return render_template("accounts/login.html", form=form), 401
        services.record_sign_in(user)
        db.session.commit()
        _start_session(user, remember=form.remember.data)
        target = request.args.get("next")
        return redirect(target if is_safe_redirect(target) else url_for("main.index"))
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        record_event("sign_out", actor=current_user, target=current_user)
        db.session.commit()
    # Clear first: logout_user() leaves the mark that makes Flask-Login delete the remember cookie.
    session.clear()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data)
        flash(
            _("If an account uses this address, we have sent it a link to choose a new password."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return (
        render_template("accounts/forgot_password.html", form=form, hours=tokens.lifetime("reset")),
        form_status(form),
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def reset_password(token):
    user = services.user_for_token(token)
    if user is None:
        return render_error(400, _("This link is invalid, has expired or was already used."))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data, consent=form.consent.data)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password is set. You can sign in now."), "success")
            return redirect(url_for("accounts.login"))
    return (
        render_template("accounts/reset_password.html", form=form, needs_consent=user.consent_at is None),
        form_status(form),
    )


@bp.route("/account")
@login_required
def account():
    return render_template("accounts/account.html", user=current_user)


@bp.route("/account/edit", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm(
        organizations=organizations_offered_to(current_user),
        organization_locked=current_user.role is Role.MANAGER,
    )
    if request.method == "GET":
        form.fill_from(current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.to_profile())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/edit_profile.html", form=form), form_status(form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_auth_limit, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            # The session token rotated: sign this browser in again, every other one is out.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            _start_session(current_user._get_current_object(), remember=remembered)
            flash(_("Your password is changed. Your other sessions are signed out."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form), form_status(form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@limiter.limit(_auth_limit, methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.password.data, form.email.data)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            flash(
                _("We have sent a confirmation link to %(email)s. Your address changes when you follow it.",
                  email=form.email.data),
                "info",
            )
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_email.html", form=form), form_status(form)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@login_required
def confirm_email(token):
    new_email = services.email_change_request(token, current_user)
    if new_email is None:
        return render_error(400, _("This link is invalid, has expired or was already used."))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            old_email = services.confirm_email_change(token, current_user)
        except DomainError as error:
            db.session.rollback()
            return render_error(409, error.message)
        db.session.commit()
        services.send_email_changed_notice(old_email, current_user)
        flash(_("Your email address is now %(email)s.", email=new_email), "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/confirm_email.html", form=form, new_email=new_email)
