"""Spreadsheet exports: CSV that spreadsheet software opens in UTF-8 and never runs as formulas."""

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell as text; one that a spreadsheet would read as a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    """CSV with a BOM (so Excel shows Arabic), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return "\ufeff" + buffer.getvalue()
