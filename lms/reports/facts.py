"""Keeping the reports' summary table in step with what it summarises.

Every fact a report counts is a row of ``report_facts`` carrying its person's description. A
session's flushes note whose facts or description changed (an enrolment, a certificate, a session
attended, a cohort membership, a profile, an organization's type); before the transaction commits,
those people's rows are deleted and written again from the source tables, in two statements.
``rebuild()`` writes the whole table (after a bulk load, or with ``flask --app wsgi lms
rebuild-report-facts`` after a change made outside the application).
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, aliased

from certificates.models import Certificate
from courses.cohorts.models import Attendance, AttendanceStatus, Cohort, CohortMember, CohortSession
from courses.models import Enrollment
from lms.accounts.models import User
from lms.extensions import db
from lms.organizations.models import Organization
from lms.reports.models import ReportFact

ENROLMENT, COMPLETION, CERTIFICATE, ATTENDANCE = "enrolment", "completion", "certificate", "attendance"
ATTENDED = [AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value]
COLUMNS = ("kind", "person", "user_id", "member_id", "course_id", "cohort_id", "cohort_key", "at", "year", "quarter",
           "started", "pre", "post", "gender", "organization_id", "organization_type", "region", "city")


@dataclass
class People:
    """Whose facts to write again: accounts, paper records, organizations' members, cohorts' members."""

    users: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    organizations: set[int] = field(default_factory=set)
    cohorts: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.users or self.members or self.organizations or self.cohorts)

    def resolved(self, session: Session) -> tuple[list[int], list[int]]:
        """The account ids and the cohort member ids named, with the cohorts' members and those whose
        rows name one of the organizations (someone merged away from it keeps no row of it)."""
        users, members = set(self.users), set(self.members)
        if self.organizations:
            users.update(session.scalars(sa.select(ReportFact.user_id).distinct().where(
                ReportFact.organization_id.in_(self.organizations), ReportFact.user_id.is_not(None))))
        if self.cohorts:
            for member_id, user_id in session.execute(sa.select(CohortMember.id, CohortMember.user_id)
                                                      .where(CohortMember.cohort_id.in_(self.cohorts))):
                members.add(member_id)
                if user_id is not None:
                    users.add(user_id)
        return sorted(users), sorted(members)


def fact_rows(users: list[int] | None = None, members: list[int] | None = None,
              organizations: list[int] | None = None) -> sa.Select:
    """Every fact with its person's description, in ``COLUMNS`` order.

    Given ``users``, ``members`` or ``organizations`` (ids), only the facts of those accounts, cohort
    members and organizations' members, which each part of the union then reads through its indexes.
    """
    limited = users is not None or members is not None or organizations is not None
    users, members, organizations = users or [], members or [], organizations or []

    def of(user_column, member_column=None):
        if not limited:
            return []
        conditions = [user_column.in_(users)] if users else []
        if organizations:
            conditions.append(user_column.in_(sa.select(User.id).where(User.organization_id.in_(organizations))))
        if member_column is not None and members:
            conditions.append(member_column.in_(members))
        return [sa.or_(*conditions)] if conditions else [sa.false()]

    def fact(kind, user_id, member_id, course_id, cohort_id, moment, started=None, pre=None, post=None):
        return sa.select(sa.literal(kind).label("kind"), sa.cast(user_id, sa.Integer).label("user_id"),
                         sa.cast(member_id, sa.Integer).label("member_id"), course_id.label("course_id"),
                         sa.cast(cohort_id, sa.Integer).label("cohort_id"), moment.label("at"),
                         sa.cast(started if started is not None else sa.null(), sa.SmallInteger).label("started"),
                         sa.cast(pre if pre is not None else sa.null(), sa.Float).label("pre"),
                         sa.cast(post if post is not None else sa.null(), sa.Float).label("post"))

    started = sa.case((sa.or_(Enrollment.started_at.is_not(None), Enrollment.completed_at.is_not(None)), 1), else_=0)
    facts = sa.union_all(
        fact(ENROLMENT, Enrollment.user_id, sa.null(), Enrollment.course_id, sa.null(), Enrollment.enrolled_at,
             started, Enrollment.pre_test_score, Enrollment.post_test_score).where(*of(Enrollment.user_id)),
        fact(COMPLETION, Enrollment.user_id, sa.null(), Enrollment.course_id, sa.null(), Enrollment.completed_at)
        .where(Enrollment.completed_at.is_not(None), *of(Enrollment.user_id)),
        fact(CERTIFICATE, Certificate.user_id, Certificate.member_id, Certificate.course_id, sa.null(),
             Certificate.issued_at).where(Certificate.revoked_at.is_(None), Certificate.course_id.is_not(None),
                                          *of(Certificate.user_id, Certificate.member_id)),
        fact(ATTENDANCE, CohortMember.user_id, CohortMember.id, Cohort.course_id, Cohort.id, CohortSession.starts_at)
        .select_from(Attendance).join(CohortMember, CohortMember.id == Attendance.member_id)
        .join(CohortSession, CohortSession.id == Attendance.session_id).join(Cohort, Cohort.id == CohortSession.cohort_id)
        .where(Attendance.status.in_(ATTENDED), *of(CohortMember.user_id, CohortMember.id)),
    ).subquery("facts")
    user, organization, record = aliased(User), aliased(Organization), aliased(CohortMember)
    on_paper = facts.c.user_id.is_(None)

    def first_cohort(condition):
        member = aliased(CohortMember)
        return (sa.select(sa.func.min(member.cohort_id)).join(Cohort, Cohort.id == member.cohort_id)
                .where(Cohort.course_id == facts.c.course_id, condition(member)).scalar_subquery())

    year = sa.cast(sa.extract("year", facts.c.at), sa.Integer)
    cohort_key = sa.func.coalesce(facts.c.cohort_id, sa.case(
        (on_paper, first_cohort(lambda member: member.id == facts.c.member_id)),
        else_=first_cohort(lambda member: member.user_id == facts.c.user_id)))
    return (
        sa.select(facts.c.kind, sa.case((on_paper, facts.c.member_id * 2 + 1), else_=facts.c.user_id * 2),
                  facts.c.user_id, facts.c.member_id, facts.c.course_id, facts.c.cohort_id, cohort_key, facts.c.at,
                  year, year * 10 + (sa.cast(sa.extract("month", facts.c.at), sa.Integer) + 2) // 3, facts.c.started, facts.c.pre, facts.c.post, sa.func.coalesce(user.gender, record.gender),
                  user.organization_id, sa.func.coalesce(organization.type, record.organization_type), user.region,
                  sa.func.lower(sa.func.trim(sa.case((on_paper, record.city), else_=user.city))))
        .select_from(facts)
        .outerjoin(user, user.id == facts.c.user_id)
        .outerjoin(organization, organization.id == user.organization_id)
        .outerjoin(record, sa.and_(on_paper, record.id == facts.c.member_id))
    )


def refresh(session: Session, people: People) -> None:
    """Write ``people``'s rows again, in this transaction."""
    if not people:
        return
    users, members = people.resolved(session)
    organizations = sorted(people.organizations)
    stale = [column.in_(ids) for column, ids in ((ReportFact.user_id, users), (ReportFact.member_id, members),
                                                 (ReportFact.organization_id, organizations)) if ids]
    if organizations:  # the stored rows of someone who has just joined one of them name another organization
        stale.append(ReportFact.user_id.in_(sa.select(User.id).where(User.organization_id.in_(organizations))))
    if stale:
        session.execute(sa.delete(ReportFact).where(sa.or_(*stale)))
        session.execute(sa.insert(ReportFact).from_select(COLUMNS, fact_rows(users, members, organizations)))


def rebuild() -> int:
    """Write the whole table again; returns its number of rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("TRUNCATE report_facts"))  # leaves no dead rows behind, unlike DELETE
    else:
        db.session.execute(sa.delete(ReportFact))
    rows = fact_rows()
    # Written organization by organization: an organization's rows then sit together on disk, and its
    # report reads a few pages instead of one per row (later writes append; a rebuild gathers them again).
    rows = rows.order_by(rows.selected_columns[COLUMNS.index("organization_id")])
    db.session.execute(sa.insert(ReportFact).from_select(COLUMNS, rows))
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ReportFact))


# What changes whose facts, and which attributes matter, by model.
WATCHED = {
    User: ("gender", "organization_id", "region", "city"),
    Organization: ("type",),
    Enrollment: ("user_id", "course_id", "enrolled_at", "started_at", "completed_at", "pre_test_score",
                 "post_test_score"),
    Certificate: ("user_id", "member_id", "course_id", "issued_at", "revoked_at"),
    Attendance: ("member_id", "session_id", "status"),
    CohortMember: ("cohort_id", "user_id", "gender", "organization_type", "city"),
    CohortSession: ("cohort_id", "starts_at"),
    Cohort: ("course_id",),
}


def _values(instance, name: str) -> set:
    """The attribute's current value and, when it changed in this flush, its former one."""
    history = sa.inspect(instance).attrs[name].history
    return {value for value in (*history.added, *history.unchanged, *history.deleted) if value is not None}


def _note(people: People, instance, changed_only: bool) -> None:
    watched = WATCHED.get(type(instance))
    if watched is None:
        return
    if changed_only and not any(sa.inspect(instance).attrs[name].history.has_changes() for name in watched):
        return
    if isinstance(instance, User):
        people.users.add(instance.id)
    elif isinstance(instance, Organization):
        people.organizations.add(instance.id)
    elif isinstance(instance, Enrollment):
        people.users |= _values(instance, "user_id")
    elif isinstance(instance, Certificate):
        people.users |= _values(instance, "user_id")
        people.members |= _values(instance, "member_id")
    elif isinstance(instance, Attendance):
        people.members |= _values(instance, "member_id")
    elif isinstance(instance, CohortMember):
        people.members.add(instance.id)
        people.users |= _values(instance, "user_id")
    elif isinstance(instance, CohortSession | Cohort):
        people.cohorts |= _values(instance, "cohort_id") if isinstance(instance, CohortSession) else {instance.id}


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, flush_context) -> None:
    people = session.info.setdefault("report_people", People())
    for instance in session.new:
        if not isinstance(instance, User | Organization):  # a new account or organization has no facts yet
            _note(people, instance, changed_only=False)
    for instance in session.dirty:
        _note(people, instance, changed_only=True)
    for instance in session.deleted:
        _note(people, instance, changed_only=False)


@event.listens_for(Session, "before_commit")
def _write_changes(session: Session) -> None:
    session.flush()
    people = session.info.pop("report_people", None)
    if people:
        refresh(session, people)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("report_people", None)
