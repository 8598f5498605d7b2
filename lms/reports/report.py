"""A whole report page from one query: the cross-table, the charts, the knowledge gain and the sentences."""

from dataclasses import dataclass

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.i18n import text_direction
from lms.reports import grids
from lms.reports.charts import Chart, bar_chart
from lms.reports.filters import Layout, ReportFilters
from lms.reports.indicators import Indicators, grouped
from lms.reports.sentences import SENTENCE_GROUPINGS, report_sentences
from lms.reports.tables import CrossTable, breakdown, cross_table, table_groupings

CHARTS = ("gender", "organization_type", "region")


@dataclass
class Report:
    total: Indicators
    table: CrossTable
    grids: list[grids.Grid]
    gain: grids.Grid
    charts: list[Chart]
    sentences: list[str]


def _gain_columns(layout: Layout) -> str | None:
    return layout.rows if layout.rows != "course" else layout.columns


def report_groupings(layout: Layout) -> list[tuple]:
    return (table_groupings(layout.rows, layout.columns) + table_groupings("course", _gain_columns(layout))
            + [(name,) for name in CHARTS] + SENTENCE_GROUPINGS)


def _charts(results: dict, total: Indicators, language: str) -> list[Chart]:
    direction = text_direction(language)
    titles = {"gender": _("People trained by gender"),
              "organization_type": _("People trained by type of organization"),
              "region": _("People trained by region")}
    charts = [bar_chart(titles[name], [(group.label, figures.people_trained, format_decimal(figures.people_trained))
                                       for group, figures in breakdown(results, name, language)], direction)
              for name in CHARTS]
    enrolled = total.enrolments

    def step(label, value):
        share = f" ({format_percent(value / enrolled)})" if enrolled else ""
        return label, value, format_decimal(value) + share

    charts.append(bar_chart(_("From enrolment to certificate"), [
        step(_("Enrolled"), total.enrolments), step(_("Started"), total.started),
        step(_("Completed"), total.completions), step(_("Certified"), total.certificates)], direction))
    return charts


def build_report(filters: ReportFilters, layout: Layout, viewer: User, language: str) -> Report:
    """Everything the report page shows, within ``viewer``'s scope."""
    results = grouped(filters, viewer, report_groupings(layout))
    table = cross_table(results, layout.rows, layout.columns, language)
    if layout.columns:
        tables = list(grids.two_dimensions(table, layout.measure, layout.publication))
    else:
        tables = [grids.one_dimension(table, layout.publication)]
    gain = grids.knowledge_gain(cross_table(results, "course", _gain_columns(layout), language), layout.publication)
    return Report(total=table.total, table=table, grids=tables, gain=gain,
                  charts=_charts(results, table.total, language),
                  sentences=report_sentences(filters, results, language))
