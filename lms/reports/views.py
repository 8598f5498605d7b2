"""The indicator page: headline figures under the filters a funder asks for, within the viewer's scope."""

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user

from courses.cohorts.queries import cohorts_for
from courses.models import Topic
from courses.queries import course_choices
from lms.accounts.models import Gender, Role
from lms.accounts.permissions import permission_required
from lms.extensions import db
from lms.i18n import current_language
from lms.organizations.models import Organization, OrganizationStatus, OrganizationType
from lms.organizations.regions import Region
from lms.reports.filters import parse_filters
from lms.reports.indicators import indicators

bp = Blueprint("reports", __name__)


def _organizations():
    if current_user.role is not Role.ADMIN:
        return []
    return db.session.execute(sa.select(Organization.id, Organization.name).where(
        Organization.status == OrganizationStatus.APPROVED).order_by(Organization.name)).all()


@bp.route("/reports")
@permission_required("reports.view")
def index():
    parsed = parse_filters(request.args)
    figures = indicators(parsed.filters, current_user) if not parsed.errors else None
    cohorts = [] if current_user.role is Role.MANAGER else [(row.cohort.id, row.cohort.name)
                                                           for row in cohorts_for(current_user)]
    return render_template(
        "reports/index.html", figures=figures, errors=parsed.errors, args=request.args,
        courses=course_choices(current_language()), topics=Topic.choices(), cohorts=cohorts,
        organizations=_organizations(), organization_types=OrganizationType.choices(), regions=Region.choices(),
        genders=Gender.choices(),
    ), 422 if parsed.errors else 200
