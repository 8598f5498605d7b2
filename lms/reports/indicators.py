"""Indicators from one stream of facts: enrolments, completions, certificates and attendance.

Each fact names a person: an account (user id) or a participant recorded on paper (cohort member
id), so people are counted once however many courses or sessions they have. Their gender,
organization type, region and city come from the account, or from the paper record.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from certificates.models import Certificate
from courses.cohorts.models import Attendance, AttendanceStatus, Cohort, CohortMember, CohortSession, cohort_trainers
from courses.models import Course, Enrollment
from lms.accounts.models import Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.i18n import from_local
from lms.organizations.models import Organization
from lms.reports.filters import ReportFilters

ENROLMENT, COMPLETION, CERTIFICATE, ATTENDANCE = "enrolment", "completion", "certificate", "attendance"
ATTENDED = [AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value]


@dataclass(frozen=True)
class Indicators:
    people_trained: int
    enrolments: int
    completions: int
    certificates: int
    workshop_participants: int


def _facts() -> sa.Subquery:
    """Every countable event with its person, course, cohort (for attendance) and moment."""
    def fact(kind, user_id, member_id, course_id, cohort_id, moment):
        return sa.select(sa.literal(kind).label("kind"), sa.cast(user_id, sa.Integer).label("user_id"),
                         sa.cast(member_id, sa.Integer).label("member_id"), course_id.label("course_id"),
                         sa.cast(cohort_id, sa.Integer).label("cohort_id"), moment.label("at"))

    return sa.union_all(
        fact(ENROLMENT, Enrollment.user_id, sa.null(), Enrollment.course_id, sa.null(), Enrollment.enrolled_at),
        fact(COMPLETION, Enrollment.user_id, sa.null(), Enrollment.course_id, sa.null(), Enrollment.completed_at)
        .where(Enrollment.completed_at.is_not(None)),
        fact(CERTIFICATE, Certificate.user_id, Certificate.member_id, Certificate.course_id, sa.null(),
             Certificate.issued_at).where(Certificate.revoked_at.is_(None), Certificate.course_id.is_not(None)),
        fact(ATTENDANCE, CohortMember.user_id, CohortMember.id, Cohort.course_id, Cohort.id, CohortSession.starts_at)
        .select_from(Attendance).join(CohortMember, CohortMember.id == Attendance.member_id)
        .join(CohortSession, CohortSession.id == Attendance.session_id).join(Cohort, Cohort.id == CohortSession.cohort_id)
        .where(Attendance.status.in_(ATTENDED), CohortSession.starts_at <= utcnow()),
    ).subquery("facts")


class _Frame:
    """The facts joined to what describes their person and course, with the filters and a viewer's scope."""

    def __init__(self, filters: ReportFilters, viewer: User):
        self.facts = facts = _facts()
        self.user = aliased(User)
        self.organization = aliased(Organization)
        self.paper = aliased(CohortMember)
        on_paper = facts.c.user_id.is_(None)
        self.gender = sa.func.coalesce(self.user.gender, self.paper.gender)
        self.organization_type = sa.func.coalesce(self.organization.type, self.paper.organization_type)
        self.region = self.user.region
        self.city = sa.case((on_paper, self.paper.city), else_=self.user.city)
        # A person: an account (even number) or a paper record (odd number).
        self.person = sa.case((on_paper, facts.c.member_id * 2 + 1), else_=facts.c.user_id * 2)
        self.source = (
            sa.select().select_from(facts)
            .outerjoin(self.user, self.user.id == facts.c.user_id)
            .outerjoin(self.organization, self.organization.id == self.user.organization_id)
            .outerjoin(self.paper, sa.and_(on_paper, self.paper.id == facts.c.member_id))
            .join(Course, Course.id == facts.c.course_id)
            .where(*self._conditions(filters), *self._scope(viewer))
        )

    def _in_cohorts(self, cohorts: sa.Select):
        """The fact concerns a member of one of ``cohorts`` (ids), in that cohort's course."""
        facts, member = self.facts, aliased(CohortMember)
        return sa.or_(
            facts.c.cohort_id.in_(cohorts),
            sa.and_(facts.c.cohort_id.is_(None), sa.exists().where(
                member.cohort_id.in_(cohorts), member.cohort_id == Cohort.id, Cohort.course_id == facts.c.course_id,
                sa.or_(member.user_id == facts.c.user_id, member.id == facts.c.member_id))))

    def _conditions(self, filters: ReportFilters) -> list:
        facts, conditions = self.facts, []
        if filters.start:
            conditions.append(facts.c.at >= from_local(datetime.combine(filters.start, time.min)))
        if filters.end:
            conditions.append(facts.c.at < from_local(datetime.combine(filters.end + timedelta(days=1), time.min)))
        if filters.course_id:
            conditions.append(facts.c.course_id == filters.course_id)
        if filters.topic:
            conditions.append(Course.topic == filters.topic)
        if filters.cohort_id:
            conditions.append(self._in_cohorts(sa.select(sa.literal(filters.cohort_id))))
        if filters.organization_id:
            conditions.append(self.user.organization_id == filters.organization_id)
        if filters.organization_type:
            conditions.append(self.organization_type == filters.organization_type.value)
        if filters.region:
            conditions.append(self.region == filters.region)
        if filters.city:
            conditions.append(sa.func.lower(self.city) == filters.city.lower())
        if filters.gender:
            conditions.append(self.gender == filters.gender.value)
        return conditions

    def _scope(self, viewer: User) -> list:
        """Administrators see everything; a manager their organization's members; a trainer their cohorts."""
        if viewer.role is Role.ADMIN:
            return []
        if viewer.role is Role.MANAGER:
            return [self.user.organization_id == viewer.organization_id] if viewer.organization_id else [sa.false()]
        if viewer.role is Role.TRAINER:
            return [self._in_cohorts(sa.select(cohort_trainers.c.cohort_id)
                                     .where(cohort_trainers.c.user_id == viewer.id))]
        return [sa.false()]


def indicators(filters: ReportFilters, viewer: User) -> Indicators:
    """The five headline figures in one query."""
    frame = _Frame(filters, viewer)
    kind = frame.facts.c.kind

    def counted(*kinds):
        return sa.func.coalesce(sa.func.sum(sa.case((kind.in_(kinds), 1), else_=0)), 0)

    def people(*kinds):
        return sa.func.count(sa.distinct(sa.case((kind.in_(kinds), frame.person))))

    row = db.session.execute(frame.source.add_columns(
        people(COMPLETION, ATTENDANCE), counted(ENROLMENT), counted(COMPLETION), counted(CERTIFICATE),
        people(ATTENDANCE))).one()
    return Indicators(*(int(value) for value in row))
