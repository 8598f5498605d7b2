"""The report as files: one CSV (blocks one under the other) and one workbook (a sheet per table)."""

from lms.exports import csv_rows, xlsx_bytes
from lms.reports.grids import Cell
from lms.reports.report import Report

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
