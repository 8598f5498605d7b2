"""The administrators' view of background jobs, and the pages of files that jobs prepare."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.permissions import permission_required
from lms.forms import ConfirmForm
from lms.jobs import files, monitoring
from lms.jobs.queues import jobs_enabled

bp = Blueprint("jobs", __name__)


@bp.route("/admin/jobs")
@permission_required("admin.access")
def list_jobs():
    if not jobs_enabled():
        return render_template("jobs/list.html", enabled=False)
    return render_template("jobs/list.html", enabled=True, jobs=monitoring.list_jobs(), counts=monitoring.counts(),
                           confirm_form=ConfirmForm())


@bp.route("/admin/jobs/<job_id>/requeue", methods=["POST"])
@permission_required("admin.access")
def requeue_job(job_id):
    if ConfirmForm().validate_on_submit() and jobs_enabled():
        if monitoring.requeue_job(job_id):
            flash(_("The job is back on its queue."), "success")
        else:
            flash(_("This job is no longer a failed job."), "error")
    return redirect(url_for("jobs.list_jobs"))


@bp.route("/admin/jobs/<job_id>/delete", methods=["POST"])
@permission_required("admin.access")
def delete_job(job_id):
    if ConfirmForm().validate_on_submit() and jobs_enabled():
        if monitoring.delete_job(job_id):
            flash(_("The job is deleted."), "success")
        else:
            flash(_("This job no longer exists or is running."), "error")
    return redirect(url_for("jobs.list_jobs"))


def _prepared(token: str) -> files.PreparedFile:
    prepared = files.prepared_file(token, current_user.id) if jobs_enabled() else None
    if prepared is None:
        abort(404)
    return prepared


@bp.route("/downloads/<token>")
@login_required
def prepared_file(token):
    """The page of a file being prepared: it reloads itself until the file is ready, then links to it."""
    response = current_app.make_response(render_template("jobs/prepared_file.html", prepared=_prepared(token),
                                                         token=token))
    response.cache_control.no_store = True
    return response


@bp.route("/downloads/<token>/file")
@login_required
def download_file(token):
    prepared = _prepared(token)
    if prepared.status != "ready":
        abort(404)
    response = current_app.response_class(prepared.body, mimetype=prepared.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{prepared.filename}"'
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
