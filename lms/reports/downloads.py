"""The report as files: one CSV (blocks one under the other) and one workbook (a sheet per table)."""

from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from lms.accounts.models import User
from lms.accounts.permissions import can
from lms.exports import csv_rows, xlsx_bytes
from lms.extensions import db
from lms.i18n import text_direction
from lms.reports.filters import parse_filters, parse_layout
from lms.reports.grids import Cell
from lms.reports.indicators import DIMENSIONS, MEASURES
from lms.reports.report import Report, build_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"share": "0.0%", "score": "0.0", "gain": "+0.0;-0.0;0.0"}


def _csv_value(cell):
    if not isinstance(cell, Cell):
        return cell
    if cell.value is None or isinstance(cell.value, str):
        return cell.value
    if cell.kind == "share":
        return round(cell.value * 100, 1)
    return round(cell.value, 1) if isinstance(cell.value, float) else cell.value


def _xlsx_value(cell):
    if not isinstance(cell, Cell):
        return cell
    if cell.value is None or isinstance(cell.value, str):
        return cell.value
    return (cell.value, FORMATS.get(cell.kind))


def _csv_header(grid) -> list[str]:
    """The header, with the unit of the columns that hold shares (written in percent)."""
    shares = [all(isinstance(row[index], Cell) and row[index].kind == "share" for row in grid.rows)
              for index in range(len(grid.header))]
    return [title + (" (%)" if index and shares[index] else "") for index, title in enumerate(grid.header)]


def report_csv(report: Report) -> str:
    rows: list[list] = [[sentence] for sentence in report.sentences]
    for grid in [*report.grids, report.gain]:
        rows += [[], [grid.title], _csv_header(grid)]
        rows += [[_csv_value(cell) for cell in row] for row in grid.rows]
    return csv_rows(rows)


def report_xlsx(report: Report, summary_title: str, right_to_left: bool) -> bytes:
    sheets = [(grid.title, [grid.header, *([_xlsx_value(cell) for cell in row] for row in grid.rows)])
              for grid in [*report.grids, report.gain]]
    sheets.insert(0, (summary_title, [[sentence] for sentence in report.sentences]))
    return xlsx_bytes(sheets, right_to_left)


def report_file(report: Report, extension: str, publication: bool, language: str) -> tuple[str, str, bytes]:
    """The report as a download: its file name, media type and content."""
    name = "masar-report-publication" if publication else "masar-report"
    if extension == "csv":
        return f"{name}.csv", "text/csv", report_csv(report).encode()
    return f"{name}.xlsx", XLSX, report_xlsx(report, _("Summary"), text_direction(language) == "rtl")


def report_file_for(user_id: int, extension: str, query: list, language: str) -> tuple[str, str, bytes]:
    """The same download built by a job from plain values: the viewer's id and the page's query string."""
    viewer = db.session.get(User, user_id)
    if viewer is None or not can("reports.view", viewer):
        raise PermissionError(f"user {user_id} may no longer see reports")
    args = MultiDict([tuple(pair) for pair in query])
    filters = parse_filters(args).filters
    layout, _errors = parse_layout(args, DIMENSIONS, MEASURES)
    with force_locale(language):
        return report_file(build_report(filters, layout, viewer, language), extension, layout.publication, language)
