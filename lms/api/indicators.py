"""The report's indicators as JSON: the same filters, scope and groupings as the report page."""

from dataclasses import dataclass

from flask_babel import gettext as _

from lms.accounts.models import User
from lms.reports.filters import ReportFilters, parse_filters, parse_layout
from lms.reports.grids import MASKED, SMALL
from lms.reports.indicators import DIMENSIONS, MEASURES, Indicators, grouped
from lms.reports.tables import EMPTY, Group, cross_table, table_groupings

FILTERS = ("start", "end", "year", "quarter", "course", "topic", "cohort", "organization", "organization_type",
           "region", "city", "gender")
COUNTS = ("people_trained", "enrolments", "started", "completions", "certificates", "workshop_participants",
          "tested", "improved")
SCORES = ("mean_pre", "mean_post", "mean_gain", "share_improved")
FIGURES = (*COUNTS[:7], "mean_pre", "mean_post", "mean_gain", "improved", "share_improved")  # in reading order
PUBLICATION = {"": False, "0": False, "false": False, "1": True, "true": True}


@dataclass(frozen=True)
class IndicatorQuery:
    filters: ReportFilters
    rows: str | None = None
    columns: str | None = None
    publication: bool = False


def parse_query(args) -> tuple[IndicatorQuery, dict[str, str]]:
    """The query from ``args`` (a query string), with a message for each invalid parameter."""
    errors: dict[str, str] = {}
    values = {}
    for name in (*FILTERS, "rows", "columns", "publication"):
        value = args.get(name)
        if value is not None:
            values[name] = value
    parsed = parse_filters(values)  # every filter checked there, as on the report page
    errors.update(parsed.errors)
    rows, columns = (values.get(name, "").strip() or None for name in ("rows", "columns"))
    if columns and not rows:
        errors.setdefault("columns", _("Choose the dimension of the rows before the columns."))
    elif rows:
        layout, layout_errors = parse_layout({"rows": rows, "columns": columns or ""}, DIMENSIONS, MEASURES)
        errors.update({name: message for name, message in layout_errors.items() if name not in errors})
        rows, columns = layout.rows, layout.columns
    publication = PUBLICATION.get(values.get("publication", "").strip().lower())
    if publication is None:
        errors.setdefault("publication", _("Give 1 to mask small counts, 0 or nothing not to."))
    if errors:
        return IndicatorQuery(ReportFilters()), errors
    return IndicatorQuery(parsed.filters, rows, columns or None, bool(publication)), {}


def echo_filters(filters: ReportFilters) -> dict:
    """The filters applied, as JSON values (a year or quarter is given as its first and last days)."""
    def day(value):
        return value.isoformat() if value else None

    def code(choice):
        return choice.value if choice else None

    return {"start": day(filters.start), "end": day(filters.end), "course": filters.course_id,
            "topic": code(filters.topic), "cohort": filters.cohort_id, "organization": filters.organization_id,
            "organization_type": code(filters.organization_type), "region": code(filters.region),
            "city": filters.city, "gender": code(filters.gender)}


def indicators_json(figures: Indicators, publication: bool) -> dict:
    """Every figure, with mean gain and share improved; in publication mode, counts of 1 to 4 read "<5" and the
    scores of fewer than 5 tested learners are withheld."""
    values: dict = {name: getattr(figures, name) for name in COUNTS}
    values.update({name: getattr(figures, name) for name in SCORES})
    if publication:
        for name in COUNTS:
            if 0 < values[name] < SMALL:
                values[name] = MASKED
        if figures.tested < SMALL:
            values.update(dict.fromkeys(SCORES))
        if 0 < figures.improved < SMALL:
            values["share_improved"] = None  # it would give the masked count back
    return {name: values[name] for name in FIGURES}


def _group(group: Group) -> dict:
    return {"key": group.key, "label": group.label}


def indicator_report(query: IndicatorQuery, viewer: User, language: str) -> dict:
    """The total, and the groups when the query has rows, within ``viewer``'s scope (one query and the labels')."""
    groupings = table_groupings(query.rows, query.columns) if query.rows else [()]
    results = grouped(query.filters, viewer, groupings)
    publication = query.publication
    report = {"filters": echo_filters(query.filters), "rows": query.rows, "columns": query.columns,
              "publication": publication, "language": language,
              "total": indicators_json(results[()].get((), EMPTY), publication)}
    if not query.rows:
        return report
    table = cross_table(results, query.rows, query.columns, language)
    if not query.columns:
        report["groups"] = [{"rows": _group(row), "columns": None,
                             "indicators": indicators_json(table.row_total(row.key), publication)}
                            for row in table.row_groups]
        return report
    report["groups"] = [{"rows": _group(row), "columns": _group(column),
                         "indicators": indicators_json(table.cell(row.key, column.key), publication)}
                        for row in table.row_groups for column in table.column_groups
                        if (row.key, column.key) in table.cells]
    report["row_totals"] = [{**_group(row), "indicators": indicators_json(table.row_total(row.key), publication)}
                            for row in table.row_groups]
    report["column_totals"] = [{**_group(column),
                                "indicators": indicators_json(table.column_total(column.key), publication)}
                               for column in table.column_groups]
    return report
