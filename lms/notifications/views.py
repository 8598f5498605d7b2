"""A learner's notifications and their choice of emails."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from lms.extensions import db
from lms.forms import ConfirmForm, MultiCheckboxField, form_status, options
from lms.notifications import services
from lms.notifications.models import NotificationKind

bp = Blueprint("notifications", __name__)


class EmailSettingsForm(FlaskForm):
    emails = MultiCheckboxField(_l("Send me an email when"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.emails.choices = options(NotificationKind.choices())


@bp.route("/notifications")
@login_required
def index():
    language = str(get_locale())
    notifications = services.recent(current_user)
    rows = [(note, services.message(note.kind, note.params, language)) for note in notifications]
    return render_template("notifications/index.html", rows=rows, confirm_form=ConfirmForm(formdata=None))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    if ConfirmForm().validate_on_submit():
        services.mark_all_read(current_user)
        db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():
    form = EmailSettingsForm()
    if request.method == "GET":
        muted = services.muted(current_user)
        form.emails.data = [kind.value for kind in NotificationKind if kind.value not in muted]
    if form.validate_on_submit():
        wanted = set(form.emails.data or [])
        services.set_muted(current_user, {kind for kind in NotificationKind if kind.value not in wanted})
        db.session.commit()
        flash(_("Your email choices are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form), form_status(form)
