"""What the API reads besides the indicators: the catalogue, cohorts and certificate checks, as JSON values."""

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from certificates import queries as certificate_queries
from certificates.codes import normalize
from courses.cohorts.models import Cohort, CohortMember, CohortSession
from courses.cohorts.queries import cohorts_for
from courses.models import Course, CourseStatus, CourseTranslation
from lms.accounts.models import Role, User
from lms.extensions import db
from lms.i18n import LANGUAGES, to_local


def published_courses() -> list[dict]:
    """Published courses with their titles in each language (null when missing), by id (one query)."""
    titles = {code: aliased(CourseTranslation) for code in LANGUAGES}
    query = sa.select(Course.id, Course.slug, Course.topic, Course.language_codes, Course.estimated_hours,
                      *(alias.title for alias in titles.values()))
    for code, alias in titles.items():
        query = query.outerjoin(alias, sa.and_(alias.course_id == Course.id, alias.language == code))
    rows = db.session.execute(query.where(Course.status == CourseStatus.PUBLISHED).order_by(Course.id))
    return [{"id": row[0], "slug": row[1], "topic": row[2].value,
             "titles": dict(zip(titles, row[5:])),
             "languages": [code for code in row[3].strip(",").split(",") if code],
             "estimated_hours": row[4]} for row in rows]


def _organization_cohorts(organization_id: int | None) -> list[tuple[Cohort, int]]:
    """Cohorts with members from the organization, and how many (what its manager sees of cohorts)."""
    if organization_id is None:
        return []
    members = (sa.select(CohortMember.cohort_id, sa.func.count(CohortMember.id).label("members"))
               .join(User, User.id == CohortMember.user_id).where(User.organization_id == organization_id)
               .group_by(CohortMember.cohort_id).subquery())
    return list(db.session.execute(sa.select(Cohort, members.c.members).join(members, members.c.cohort_id == Cohort.id)
                                   .order_by(Cohort.starts_on.desc(), Cohort.id.desc())).tuples())


def visible_cohorts(user: User) -> list[dict]:
    """The cohorts ``user`` may see, with member and session counts and no personal data (two queries).

    Administrators see every cohort and trainers the ones they train (``cohorts_for``); a manager sees
    the cohorts their organization's members belong to, counting only those members.
    """
    if user.role is Role.MANAGER:
        rows = _organization_cohorts(user.organization_id)
    elif user.role in (Role.TRAINER, Role.ADMIN):
        rows = [(row.cohort, row.members) for row in cohorts_for(user)]
    else:
        rows = []
    ids = [cohort.id for cohort, _members in rows]
    sessions = dict(db.session.execute(
        sa.select(CohortSession.cohort_id, sa.func.count(CohortSession.id))
        .where(CohortSession.cohort_id.in_(ids)).group_by(CohortSession.cohort_id)).all()) if ids else {}
    return [{"id": cohort.id, "course_id": cohort.course_id, "name": cohort.name,
             "starts_on": cohort.starts_on.isoformat(), "ends_on": cohort.ends_on.isoformat(),
             "member_count": members, "session_count": sessions.get(cohort.id, 0)} for cohort, members in rows]


def certificate_check(code: str, language: str) -> dict | None:
    """What the public verification page says of the certificate with this code, or None when there is none."""
    certificate = certificate_queries.by_code(normalize(code))
    if certificate is None:
        return None
    replaced = certificate.is_revoked and certificate_queries.replacement_of(certificate.id) is not None
    return {
        "code": certificate.display_code,
        "status": "revoked" if certificate.is_revoked else "valid",
        "kind": certificate.kind.value,
        "kind_label": certificate.kind.label,
        "holder_name": certificate.holder_name_in(language),
        "holder_name_latin": certificate.holder_name,
        "holder_name_arabic": certificate.holder_name_ar or None,
        "course_title": certificate.course_title_in(language),
        "workshop": certificate.cohort_name or None,
        "hours": certificate.hours,
        "completed_on": certificate.completed_on.isoformat(),
        "issuer": certificate.issuer_name_in(language),
        "issued_on": to_local(certificate.issued_at).date().isoformat(),
        "revoked_on": to_local(certificate.revoked_at).date().isoformat() if certificate.is_revoked else None,
        # As on the page: once a new certificate replaces it, the reason is not shown.
        "revocation_reason": certificate.revocation_reason if certificate.is_revoked and not replaced else None,
        "replaced": bool(replaced),
    }
