"""The report page and its files: figures under the filters a funder asks for, within the viewer's scope."""

import sqlalchemy as sa
from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user

from courses.cohorts.queries import cohorts_for
from courses.models import Topic
from courses.queries import course_choices
from lms.accounts.models import Gender, Role
from lms.accounts.permissions import permission_required
from lms.extensions import db
from lms.i18n import current_language
from lms.jobs.files import prepare_file
from lms.jobs.queues import jobs_enabled
from lms.organizations.models import Organization, OrganizationStatus, OrganizationType
from lms.organizations.regions import Region
from lms.reports.downloads import report_file, report_file_for
from lms.reports.filters import parse_filters, parse_layout
from lms.reports.indicators import DIMENSIONS, MEASURES
from lms.reports.report import build_report
from lms.reports.tables import DIMENSION_LABELS, MEASURE_LABELS

bp = Blueprint("reports", __name__)


def _organizations():
    if current_user.role is not Role.ADMIN:
        return []
    return db.session.execute(sa.select(Organization.id, Organization.name).where(
        Organization.status == OrganizationStatus.APPROVED).order_by(Organization.name)).all()


def _parsed():
    """Filters and layout from the query string, with every mistake by field."""
    parsed = parse_filters(request.args)
    layout, layout_errors = parse_layout(request.args, DIMENSIONS, MEASURES)
    errors = {**parsed.errors, **layout_errors}
    return parsed.filters, layout, errors


@bp.route("/reports")
@permission_required("reports.view")
def index():
    filters, layout, errors = _parsed()
    language = current_language()
    report = build_report(filters, layout, current_user, language) if not errors else None
    cohorts = [] if current_user.role is Role.MANAGER else [(row.cohort.id, row.cohort.name)
                                                           for row in cohorts_for(current_user)]
    return render_template(
        "reports/index.html", report=report, layout=layout, errors=errors, args=request.args,
        courses=course_choices(language), topics=Topic.choices(), cohorts=cohorts,
        organizations=_organizations(), organization_types=OrganizationType.choices(), regions=Region.choices(),
        genders=Gender.choices(), dimensions=[(name, DIMENSION_LABELS[name]) for name in DIMENSIONS],
        measures=[(name, MEASURE_LABELS[name]) for name in MEASURES],
    ), 422 if errors else 200


@bp.route("/reports/report.<any(csv, xlsx):extension>")
@permission_required("reports.view")
def download(extension: str):
    filters, layout, errors = _parsed()
    if errors:
        return Response("\n".join(f"{name}: {message}" for name, message in errors.items()), status=422,
                        mimetype="text/plain")
    language = current_language()
    if jobs_enabled():
        # A large report takes a while to build: a job does it while the user's page waits for the file.
        token = prepare_file(current_user.id, report_file_for, current_user.id, extension,
                             [list(pair) for pair in request.args.items(multi=True)], language)
        return redirect(url_for("jobs.prepared_file", token=token))
    report = build_report(filters, layout, current_user, language)
    filename, mimetype, body = report_file(report, extension, layout.publication, language)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
