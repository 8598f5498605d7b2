"""Home page, language switch and health check."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from lms.accounts.services import set_locale
from lms.extensions import db
from lms.forms import LanguageForm
from lms.security import is_safe_redirect

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("index.html")


@bp.route("/language", methods=["POST"])
def set_language():
    """Remember the chosen language in the session and, when signed in, on the account."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        set_locale(current_user, form.locale.data)
        db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_redirect(target) else url_for("main.index"))


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("health check failed")
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
