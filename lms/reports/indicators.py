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
    """The figures of one group of facts (the whole selection, or one cell of a cross-table)."""

    people_trained: int = 0
    enrolments: int = 0
    started: int = 0  # enrolments with at least one lesson done
    completions: int = 0
    certificates: int = 0
    workshop_participants: int = 0
    tested: int = 0  # enrolments with both a pre-test and a post-test score
    mean_pre: float | None = None
    mean_post: float | None = None
    improved: int = 0  # of the tested, those whose post-test score is higher

    @property
    def mean_gain(self) -> float | None:
        return None if self.mean_pre is None or self.mean_post is None else self.mean_post - self.mean_pre

    @property
    def share_improved(self) -> float | None:
        return self.improved / self.tested if self.tested else None


DIMENSIONS = ("year", "quarter", "course", "topic", "cohort", "organization", "organization_type", "region",
              "city", "gender")
MEASURES = ("people_trained", "enrolments", "started", "completions", "certificates", "workshop_participants")


def _facts(people: sa.Select | None = None) -> sa.Subquery:
    """Every countable event with its person, course, cohort (for attendance) and moment.

    Enrolments also carry whether the learner started and their pre- and post-test scores.
    ``people`` (a select of user ids) keeps only those accounts' facts, inside each part, so an
    organization's figures read its members' rows through the indexes rather than every row.
    """
    def of_people(column):
        return [column.in_(people)] if people is not None else []

    def fact(kind, user_id, member_id, course_id, cohort_id, moment, started=None, pre=None, post=None):
        return sa.select(sa.literal(kind).label("kind"), sa.cast(user_id, sa.Integer).label("user_id"),
                         sa.cast(member_id, sa.Integer).label("member_id"), course_id.label("course_id"),
                         sa.cast(cohort_id, sa.Integer).label("cohort_id"), moment.label("at"),
                         sa.cast(started if started is not None else sa.null(), sa.Integer).label("started"),
                         sa.cast(pre if pre is not None else sa.null(), sa.Float).label("pre"),
                         sa.cast(post if post is not None else sa.null(), sa.Float).label("post"))

    started = sa.case((sa.or_(Enrollment.started_at.is_not(None), Enrollment.completed_at.is_not(None)), 1), else_=0)
    return sa.union_all(
        fact(ENROLMENT, Enrollment.user_id, sa.null(), Enrollment.course_id, sa.null(), Enrollment.enrolled_at,
             started, Enrollment.pre_test_score, Enrollment.post_test_score).where(*of_people(Enrollment.user_id)),
        fact(COMPLETION, Enrollment.user_id, sa.null(), Enrollment.course_id, sa.null(), Enrollment.completed_at)
        .where(Enrollment.completed_at.is_not(None), *of_people(Enrollment.user_id)),
        fact(CERTIFICATE, Certificate.user_id, Certificate.member_id, Certificate.course_id, sa.null(),
             Certificate.issued_at).where(Certificate.revoked_at.is_(None), Certificate.course_id.is_not(None),
                                          *of_people(Certificate.user_id)),
        fact(ATTENDANCE, CohortMember.user_id, CohortMember.id, Cohort.course_id, Cohort.id, CohortSession.starts_at)
        .select_from(Attendance).join(CohortMember, CohortMember.id == Attendance.member_id)
        .join(CohortSession, CohortSession.id == Attendance.session_id).join(Cohort, Cohort.id == CohortSession.cohort_id)
        .where(Attendance.status.in_(ATTENDED), CohortSession.starts_at <= utcnow(), *of_people(CohortMember.user_id)),
    ).subquery("facts")


class _Frame:
    """The facts joined to what describes their person and course, with the filters and a viewer's scope."""

    def __init__(self, filters: ReportFilters, viewer: User, with_course: bool = False):
        people = self._people(filters, viewer)
        self.limited = people is not None
        self.facts = facts = _facts(people)
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
            .where(*self._conditions(filters), *self._scope(viewer))
        )
        if with_course or filters.topic:  # only then: the join misleads PostgreSQL's row estimates
            self.source = self.source.join(Course, Course.id == facts.c.course_id)

    @staticmethod
    def _people(filters: ReportFilters, viewer: User) -> sa.Select | None:
        """The accounts an organization filter or a manager's scope allows, or None when not limited."""
        organizations = [filters.organization_id] if filters.organization_id else []
        if viewer.role is Role.MANAGER:
            organizations.append(viewer.organization_id)
        if not organizations:
            return None
        return sa.select(User.id).where(*(User.organization_id == organization for organization in organizations))

    def dimension(self, name: str):
        """The expression that groups facts by one of ``DIMENSIONS``."""
        facts = self.facts
        if name == "year":
            return sa.cast(sa.extract("year", facts.c.at), sa.Integer)
        if name == "quarter":
            month = sa.cast(sa.extract("month", facts.c.at), sa.Integer)
            return sa.cast(sa.extract("year", facts.c.at), sa.Integer) * 10 + (month + 2) // 3
        if name == "cohort":
            member = aliased(CohortMember)
            joined = (sa.select(sa.func.min(member.cohort_id)).join(Cohort, Cohort.id == member.cohort_id)
                      .where(Cohort.course_id == facts.c.course_id,
                             sa.or_(member.user_id == facts.c.user_id, member.id == facts.c.member_id)))
            return sa.func.coalesce(facts.c.cohort_id, joined.scalar_subquery())
        return {
            "course": facts.c.course_id, "topic": Course.topic, "organization": self.user.organization_id,
            "organization_type": self.organization_type, "region": self.region,
            "city": sa.func.lower(sa.func.trim(self.city)), "gender": self.gender,
        }[name]

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


def measures(c) -> list:
    """The aggregate columns that fill an ``Indicators``, in its field order, over ``c`` (a selection's columns)."""
    enrolment = c.kind == ENROLMENT
    tested = sa.and_(enrolment, c.pre.is_not(None), c.post.is_not(None))

    def counted(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    def people(*kinds):
        return sa.func.count(sa.distinct(sa.case((c.kind.in_(kinds), c.person))))

    return [people(COMPLETION, ATTENDANCE), counted(enrolment), counted(sa.and_(enrolment, c.started == 1)),
            counted(c.kind == COMPLETION), counted(c.kind == CERTIFICATE), people(ATTENDANCE), counted(tested),
            sa.func.avg(sa.case((tested, c.pre))), sa.func.avg(sa.case((tested, c.post))),
            counted(sa.and_(tested, c.post > c.pre))]


def to_indicators(values) -> Indicators:
    counts = [int(value or 0) for value in values[:7]]
    mean_pre, mean_post = (None if value is None else float(value) for value in values[7:9])
    return Indicators(*counts, mean_pre, mean_post, int(values[9] or 0))


def grouped(filters: ReportFilters, viewer: User, groupings) -> dict[tuple, dict]:
    """Indicators for each grouping (a tuple of at most two dimensions, or none for the total), in one query.

    Returns, by grouping, the indicators by key (a tuple of the dimensions' values as text, None when
    unrecorded). The selected facts are a common table expression, computed once on PostgreSQL.
    """
    groupings = list(dict.fromkeys(tuple(grouping) for grouping in groupings))
    names = sorted({name for grouping in groupings for name in grouping})
    frame = _Frame(filters, viewer, with_course="topic" in names)
    if db.session.get_bind().dialect.name == "postgresql":
        # Sort in memory and skip JIT compilation, which costs more than it saves here; an organization's
        # few hundred rows are read faster through the indexes by one process than by parallel scans.
        settings = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off"
        if frame.limited:
            settings += "; SET LOCAL max_parallel_workers_per_gather = 0"
        db.session.execute(sa.text(settings))
    facts = frame.facts
    selected = frame.source.add_columns(
        facts.c.kind, frame.person.label("person"), facts.c.started, facts.c.pre, facts.c.post,
        *(sa.cast(frame.dimension(name), sa.String).label(name) for name in names)).cte("selected")
    aggregates = measures(selected.c)
    parts = []
    for level, grouping in enumerate(groupings):
        keys = [selected.c[name] for name in grouping]
        padded = keys + [sa.cast(sa.null(), sa.String)] * (2 - len(keys))
        parts.append(sa.select(sa.literal_column(str(level)).label("level"), padded[0].label("first"),
                               padded[1].label("second"), *aggregates).group_by(*keys))
    results: dict[tuple, dict] = {grouping: {} for grouping in groupings}
    for row in db.session.execute(sa.union_all(*parts) if len(parts) > 1 else parts[0]):
        grouping = groupings[row.level]
        results[grouping][(row.first, row.second)[:len(grouping)]] = to_indicators(row[3:])
    return results


def indicators(filters: ReportFilters, viewer: User) -> Indicators:
    """The headline figures in one query."""
    return grouped(filters, viewer, [()])[()].get((), Indicators())
