"""Cross-tables laid out as grids of cells, the same for the page and the exports.

For publication, counts of one to four people are masked (shown as "<5") with the shares they would
reveal, so a small group cannot be singled out.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from lms.reports.indicators import MEASURES, Indicators
from lms.reports.tables import DIMENSION_LABELS, MEASURE_LABELS, CrossTable

SMALL = 5
MASKED = "<5"


@dataclass(frozen=True)
class Cell:
    """A count, or a number with a kind that says how to write it ("count", "share", "score", "gain")."""

    value: int | float | str | None
    kind: str = "count"


@dataclass
class Grid:
    title: str
    header: list[str]
    rows: list[list]  # first item the row's label (a string), then Cells
    total_row: bool = True  # the last row is a total


def _count(value: int, publication: bool) -> Cell:
    return Cell(MASKED if publication and 0 < value < SMALL else value)


def _share(part: int, whole: int, publication: bool) -> Cell:
    if not whole or (publication and (0 < part < SMALL or 0 < whole < SMALL)):
        return Cell(None, "share")
    return Cell(part / whole, "share")


def one_dimension(table: CrossTable, publication: bool) -> Grid:
    """Every measure by the rows' groups, with the share of the people trained."""
    people = table.total.people_trained

    def line(label, figures: Indicators):
        return [label, *(_count(getattr(figures, name), publication) for name in MEASURES),
                _share(figures.people_trained, people, publication)]

    rows = [line(group.label, table.row_total(group.key)) for group in table.row_groups]
    rows.append(line(_("Total"), table.total))
    header = [str(DIMENSION_LABELS[table.rows]), *(str(MEASURE_LABELS[name]) for name in MEASURES),
              _("Share of people trained")]
    return Grid(str(DIMENSION_LABELS[table.rows]), header, rows)


def two_dimensions(table: CrossTable, measure: str, publication: bool) -> tuple[Grid, Grid]:
    """The measure by rows and columns with totals, and the same as shares of each row's total."""
    def value(figures):
        return getattr(figures, measure)

    header = [_("%(rows)s by %(columns)s", rows=DIMENSION_LABELS[table.rows],
                columns=DIMENSION_LABELS[table.columns]),
              *(group.label for group in table.column_groups), _("Total")]
    counts, shares = [], []
    for group in table.row_groups:
        whole = value(table.row_total(group.key))
        cells = [value(table.cell(group.key, column.key)) for column in table.column_groups]
        counts.append([group.label, *(_count(cell, publication) for cell in cells), _count(whole, publication)])
        shares.append([group.label, *(_share(cell, whole, publication) for cell in cells),
                       _share(whole, whole, publication)])
    whole = value(table.total)
    columns = [value(table.column_total(column.key)) for column in table.column_groups]
    counts.append([_("Total"), *(_count(cell, publication) for cell in columns), _count(whole, publication)])
    shares.append([_("Total"), *(_share(cell, whole, publication) for cell in columns),
                   _share(whole, whole, publication)])
    title = str(MEASURE_LABELS[measure])
    return (Grid(title, header, counts),
            Grid(_("%(measure)s, share of the row total", measure=title), header, shares))


def knowledge_gain(table: CrossTable, publication: bool) -> Grid:
    """Learners with both tests, mean pre-test, post-test and gain, share improved: by course, then by group."""
    def line(label, figures: Indicators):
        hidden = not figures.tested or (publication and figures.tested < SMALL)
        return [label, _count(figures.tested, publication),
                Cell(None if hidden else figures.mean_pre, "score"), Cell(None if hidden else figures.mean_post, "score"),
                Cell(None if hidden else figures.mean_gain, "gain"),
                Cell(None if hidden else figures.share_improved, "share")]

    rows = []
    for course in table.row_groups:
        rows.append(line(course.label, table.row_total(course.key)))
        if table.columns:
            rows.extend(line("— " + group.label, table.cell(course.key, group.key))
                        for group in table.column_groups if table.cell(course.key, group.key).tested)
    rows.append(line(_("Total"), table.total))
    header = [str(DIMENSION_LABELS["course"]), _("Learners with both tests"), _("Mean pre-test score"),
              _("Mean post-test score"), _("Mean gain (points)"), _("Share who improved")]
    return Grid(_("Knowledge gain"), header, rows)
