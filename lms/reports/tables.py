"""Cross-tables of the indicators by one or two dimensions, with totals and readable labels."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from courses.cohorts.models import Cohort
from courses.models import Topic
from courses.queries import course_titles
from lms.accounts.models import Gender
from lms.extensions import db
from lms.organizations.models import Organization, OrganizationType
from lms.organizations.regions import Region
from lms.reports.indicators import Indicators

DIMENSION_LABELS = {
    "year": _l("Year"), "quarter": _l("Quarter"), "course": _l("Course"), "topic": _l("Topic"),
    "cohort": _l("Cohort"), "organization": _l("Organization"), "organization_type": _l("Type of organization"),
    "region": _l("Region"), "city": _l("City"), "gender": _l("Gender"),
}
MEASURE_LABELS = {
    "people_trained": _l("People trained"), "enrolments": _l("Enrolments"), "started": _l("Started"),
    "completions": _l("Completions"), "certificates": _l("Certificates issued"),
    "workshop_participants": _l("Workshop participants"),
}
ENUMS = {"topic": Topic, "organization_type": OrganizationType, "region": Region, "gender": Gender}
EMPTY = Indicators()


@dataclass(frozen=True)
class Group:
    """One value of a dimension: its key as the database gives it (None when not recorded) and its label."""

    key: str | None
    label: str


@dataclass
class CrossTable:
    rows: str
    columns: str | None
    row_groups: list[Group]
    column_groups: list[Group]
    cells: dict[tuple, Indicators] = field(default_factory=dict)
    row_totals: dict[str | None, Indicators] = field(default_factory=dict)
    column_totals: dict[str | None, Indicators] = field(default_factory=dict)
    total: Indicators = EMPTY

    def cell(self, row: str | None, column: str | None) -> Indicators:
        return self.cells.get((row, column), EMPTY)

    def row_total(self, row: str | None) -> Indicators:
        return self.row_totals.get(row, EMPTY)

    def column_total(self, column: str | None) -> Indicators:
        return self.column_totals.get(column, EMPTY)


def _labels(name: str, keys: set, language: str) -> dict:
    """Labels of a dimension's keys (at most one query, for courses, organizations and cohorts)."""
    known = {key for key in keys if key is not None}
    if name in ENUMS:
        enum = ENUMS[name]
        values = {member.value: member.label for member in enum}
        return {key: values.get(key, key) for key in known}
    if name == "year":
        return {key: key for key in known}
    if name == "quarter":
        return {key: _("%(year)s, quarter %(quarter)s", year=key[:-1], quarter=key[-1]) for key in known}
    if name == "city":
        return {key: key.title() for key in known}
    ids = [int(key) for key in known]
    if name == "course":
        titles = course_titles(language) if ids else {}
        return {key: titles.get(int(key), key) for key in known}
    model = {"organization": Organization, "cohort": Cohort}[name]
    names = dict(db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}
    return {key: names.get(int(key), key) for key in known}


def ordered_groups(name: str, keys: set, language: str) -> list[Group]:
    """The dimension's groups in a reader's order: the choices' order for lists, years in turn, else by name."""
    labels = _labels(name, keys, language)
    if name in ENUMS:
        order = {member.value: position for position, member in enumerate(ENUMS[name])}
        ordered = sorted(labels, key=lambda key: (order.get(key, len(order)), key))
    elif name in ("year", "quarter"):
        ordered = sorted(labels, key=int)
    else:
        ordered = sorted(labels, key=lambda key: labels[key].casefold())
    groups = [Group(key, labels[key]) for key in ordered]
    if None in keys:
        groups.append(Group(None, _("Not recorded")))
    return groups


def table_groupings(rows: str, columns: str | None) -> list[tuple]:
    """The groupings a cross-table needs: cells, row totals, column totals and the grand total."""
    return [(rows, columns), (rows,), (columns,), ()] if columns else [(rows,), ()]


def cross_table(results: dict, rows: str, columns: str | None, language: str) -> CrossTable:
    """The cross-table from ``grouped`` results (which include ``table_groupings(rows, columns)``).

    Totals count people once: a person in two cells of a row is one person in the row's total.
    """
    row_totals, total = results[(rows,)], results[()]
    cells = results[(rows, columns)] if columns else {}
    column_totals = results[(columns,)] if columns else {}
    return CrossTable(
        rows=rows, columns=columns,
        row_groups=ordered_groups(rows, {key for key, in row_totals}, language),
        column_groups=ordered_groups(columns, {key for key, in column_totals}, language) if columns else [],
        cells=cells, row_totals={key: value for (key,), value in row_totals.items()},
        column_totals={key: value for (key,), value in column_totals.items()}, total=total.get((), EMPTY))


def breakdown(results: dict, name: str, language: str) -> list[tuple[Group, Indicators]]:
    """One dimension's groups and their indicators, from ``grouped`` results that include ``(name,)``."""
    figures = results[(name,)]
    return [(group, figures.get((group.key,), EMPTY))
            for group in ordered_groups(name, {key for key, in figures}, language)]
