"""Indicators from the reports' summary table of facts: enrolments, completions, certificates, attendance.

Each fact names a person: an account or a participant recorded on paper, so people are counted
once however many courses or sessions they have. The table carries each person's gender,
organization, organization type, region and city (see ``lms.reports.facts``), so a report reads it
without joins: sums in one pass, people counted once in another over completions and attendance only.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from courses.cohorts.models import Cohort, CohortMember, cohort_trainers
from courses.models import Course
from lms.accounts.models import Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.i18n import from_local
from lms.reports.facts import ATTENDANCE, COMPLETION, ENROLMENT, CERTIFICATE
from lms.reports.filters import ReportFilters
from lms.reports.models import ReportFact as Fact


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


def dimension(name: str):
    """The expression that groups facts by one of ``DIMENSIONS``."""
    return {"year": Fact.year, "quarter": Fact.quarter, "course": Fact.course_id, "topic": Course.topic, "cohort": Fact.cohort_key,
            "organization": Fact.organization_id, "organization_type": Fact.organization_type,
            "region": Fact.region, "city": Fact.city, "gender": Fact.gender}[name]


def _in_cohorts(cohorts: sa.Select):
    """The fact concerns a member of one of ``cohorts`` (ids), in that cohort's course."""
    def memberships(identity):
        return (sa.select(identity, Cohort.course_id).join(Cohort, Cohort.id == CohortMember.cohort_id)
                .where(CohortMember.cohort_id.in_(cohorts), identity.is_not(None)))

    return sa.or_(
        Fact.cohort_id.in_(cohorts),
        sa.and_(Fact.cohort_id.is_(None), sa.or_(
            sa.tuple_(Fact.user_id, Fact.course_id).in_(memberships(CohortMember.user_id)),
            sa.tuple_(Fact.member_id, Fact.course_id).in_(memberships(CohortMember.id)))))


def _conditions(filters: ReportFilters) -> list:
    # Sessions still to come are planned, not attended.
    conditions = [sa.or_(Fact.kind != ATTENDANCE, Fact.at <= utcnow())]
    if filters.start:
        conditions.append(Fact.at >= from_local(datetime.combine(filters.start, time.min)))
    if filters.end:
        conditions.append(Fact.at < from_local(datetime.combine(filters.end + timedelta(days=1), time.min)))
    if filters.course_id:
        conditions.append(Fact.course_id == filters.course_id)
    if filters.topic:
        conditions.append(Course.topic == filters.topic)
    if filters.cohort_id:
        conditions.append(_in_cohorts(sa.select(sa.literal(filters.cohort_id))))
    if filters.organization_id:
        conditions.append(Fact.organization_id == filters.organization_id)
    if filters.organization_type:
        conditions.append(Fact.organization_type == filters.organization_type.value)
    if filters.region:
        conditions.append(Fact.region == filters.region)
    if filters.city:
        conditions.append(Fact.city == sa.func.lower(sa.func.trim(sa.literal(filters.city))))
    if filters.gender:
        conditions.append(Fact.gender == filters.gender.value)
    return conditions


def _scope(viewer: User) -> list:
    """Administrators see everything; a manager their organization's members; a trainer their cohorts."""
    if viewer.role is Role.ADMIN:
        return []
    if viewer.role is Role.MANAGER:
        return [Fact.organization_id == viewer.organization_id] if viewer.organization_id else [sa.false()]
    if viewer.role is Role.TRAINER:
        return [_in_cohorts(sa.select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == viewer.id))]
    return [sa.false()]


def grouped(filters: ReportFilters, viewer: User, groupings) -> dict[tuple, dict]:
    """Indicators for each grouping (a tuple of at most two dimensions, or none for the total), in one query.

    Returns, by grouping, the indicators by key (a tuple of the dimensions' values as text, None when
    unrecorded). The query has two parts. Sums: the facts are counted by kind in the finest cells (every
    dimension asked for), which are then added up for each grouping. People: counted once in each group,
    over completions and attendance only. PostgreSQL does the groupings of a part in one pass (grouping
    sets); other databases with one select per grouping.
    """
    groupings = list(dict.fromkeys(tuple(grouping) for grouping in groupings))
    sets = list(dict.fromkeys(frozenset(grouping) for grouping in groupings))
    names = sorted(set().union(*sets))
    source = sa.select().select_from(Fact)
    if "topic" in names or filters.topic is not None:
        source = source.join(Course, Course.id == Fact.course_id)
    source = source.where(*_conditions(filters), *_scope(viewer))
    # Grouped by the columns themselves, whose statistics tell PostgreSQL how few groups to expect.
    keys = [dimension(name).label(name) for name in names]
    tested = sa.and_(Fact.pre.is_not(None), Fact.post.is_not(None))
    cells = source.add_columns(
        *keys, Fact.kind, sa.func.count().label("facts"), sa.func.sum(Fact.started).label("started"),
        sa.func.sum(sa.case((tested, 1))).label("tested"), sa.func.sum(sa.case((tested, Fact.pre))).label("pre"),
        sa.func.sum(sa.case((tested, Fact.post))).label("post"),
        sa.func.sum(sa.case((sa.and_(tested, Fact.post > Fact.pre), 1))).label("improved"),
    ).group_by(*keys, Fact.kind).subquery("cells")
    trained = source.add_columns(*keys, Fact.kind, Fact.person).where(
        Fact.kind.in_([COMPLETION, ATTENDANCE])).subquery("trained")
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # Sort in memory and skip JIT compilation, which costs more than it saves here.
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off"))

    def mask(present) -> int:
        """As PostgreSQL's GROUPING(): a bit per dimension, the first the most significant, set when rolled up."""
        return sum(1 << (len(names) - 1 - index) for index, name in enumerate(names) if name not in present)

    def part(table, kind, values: list, by_kind: bool) -> list:
        """``values`` for every grouping, over ``table``, with the row layout both parts share."""
        columns = table.c
        extra = [columns.kind] if by_kind else []
        if postgresql and names:
            return [sa.select(sa.func.grouping(*(columns[name] for name in names)).label("mask"),
                              *(sa.cast(columns[name], sa.String).label(name) for name in names), kind, *values)
                    .group_by(sa.func.grouping_sets(*(sa.tuple_(*(columns[name] for name in names if name in group),
                                                                *extra) for group in sets)))]
        return [sa.select(sa.literal(mask(group)).label("mask"),
                          *(sa.cast(columns[name] if name in group else sa.null(), sa.String).label(name)
                            for name in names), kind, *values)
                .group_by(*(columns[name] for name in names if name in group), *extra) for group in sets]

    blank = sa.cast(sa.null(), sa.Float)
    people = part(trained, sa.cast(sa.null(), sa.String).label("kind"), [
        sa.func.count(sa.distinct(trained.c.person)),
        sa.func.count(sa.distinct(sa.case((trained.c.kind == ATTENDANCE, trained.c.person)))),
    ] + [blank] * 6, by_kind=False)
    sums = part(cells, cells.c.kind, [blank] * 2 + [sa.func.sum(cells.c[name]) for name in (
        "facts", "started", "tested", "pre", "post", "improved")], by_kind=True)
    by_mask = {mask(group): group for group in sets}
    figures: dict[frozenset, dict] = {group: {} for group in sets}
    for row in db.session.execute(sa.union_all(*people, *sums)):
        key = tuple(row[1:1 + len(names)])
        kind, values = row[1 + len(names)], row[2 + len(names):]
        counts = figures[by_mask[row.mask]].setdefault(key, dict.fromkeys(Indicators.__dataclass_fields__, 0))
        if kind is None:
            counts["people_trained"], counts["workshop_participants"] = int(values[0]), int(values[1])
        elif kind == ENROLMENT:
            counts.update(enrolments=int(values[2]), started=int(values[3] or 0), tested=int(values[4] or 0),
                          mean_pre=values[5], mean_post=values[6], improved=int(values[7] or 0))
        elif kind in (COMPLETION, CERTIFICATE):
            counts["completions" if kind == COMPLETION else "certificates"] = int(values[2])
    results: dict[tuple, dict] = {}
    for grouping in groupings:
        positions = [names.index(name) for name in grouping]
        results[grouping] = {tuple(key[position] for position in positions): _indicators(counts)
                             for key, counts in figures[frozenset(grouping)].items()}
    return results


def _indicators(counts: dict) -> Indicators:
    """``Indicators`` from counts where the means are still sums over the tested."""
    tested = counts["tested"]
    return Indicators(**{**counts, "mean_pre": float(counts["mean_pre"]) / tested if tested else None,
                         "mean_post": float(counts["mean_post"]) / tested if tested else None})


def indicators(filters: ReportFilters, viewer: User) -> Indicators:
    """The headline figures in one query."""
    return grouped(filters, viewer, [()])[()].get((), Indicators())
