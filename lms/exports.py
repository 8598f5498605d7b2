"""Spreadsheet exports: CSV that spreadsheet software opens in UTF-8 and never runs as formulas."""

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell as text; one that a spreadsheet would read as a formula is quoted (numbers are left alone)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    """CSV with a BOM (so Excel shows Arabic), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


def csv_rows(rows: Iterable[Iterable]) -> str:
    """CSV of several blocks (rows, possibly empty ones between them), with a BOM, every cell made safe."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([safe_cell(value) for value in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


def xlsx_bytes(sheets: Iterable[tuple[str, list[list]]], right_to_left: bool = False) -> bytes:
    """A workbook with one sheet per (title, rows); cells are (value, number format or None) or plain values.

    Text is made safe (openpyxl would otherwise store "=..." as a formula); numbers stay numbers.
    """
    # openpyxl is large and exports are rare: a web worker loads it with its first workbook.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for title, rows in sheets:
        name = "".join(" " if char in "[]:*?/\\" else char for char in title)[:31] or "Sheet"
        while name in used:
            name = name[:28] + f" {len(used)}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.sheet_view.rightToLeft = right_to_left
        for row in rows:
            values = []
            for cell in row:
                value, number_format = cell if isinstance(cell, tuple) else (cell, None)
                values.append((value if isinstance(value, int | float) and not isinstance(value, bool)
                               else (safe_cell(value) if value is not None else None), number_format))
            sheet.append([value for value, _ in values])
            for column, (_, number_format) in enumerate(values, start=1):
                if number_format:
                    sheet.cell(row=sheet.max_row, column=column).number_format = number_format
        if rows:
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
