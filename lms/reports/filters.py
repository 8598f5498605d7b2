"""Report filters read from a query string: every value checked, every mistake explained."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _

from courses.models import Topic
from lms.accounts.models import Gender
from lms.organizations.models import OrganizationType
from lms.organizations.regions import Region

MAX_TEXT = 100
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class ReportFilters:
    start: date | None = None  # inclusive, local dates
    end: date | None = None
    course_id: int | None = None
    topic: Topic | None = None
    cohort_id: int | None = None
    organization_id: int | None = None
    organization_type: OrganizationType | None = None
    region: Region | None = None
    city: str | None = None
    gender: Gender | None = None


@dataclass
class ParsedFilters:
    filters: ReportFilters
    errors: dict[str, str] = field(default_factory=dict)


def _choice(args, name, enum, errors):
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        errors[name] = _("“%(value)s” is not one of the choices offered.", value=value[:MAX_TEXT])
        return None


def _number(args, name, errors, low=1, high=2**31 - 1):
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        errors[name] = _("“%(value)s” is not a valid choice.", value=value[:MAX_TEXT])
        return None
    return int(value)


def _date(args, name, errors):
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Give a date as YYYY-MM-DD.")
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[name] = _("Give a date between the years %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
        return None
    return day


def parse_filters(args) -> ParsedFilters:
    """Filters from ``args`` (a request's query string); unknown or malformed values are reported."""
    errors: dict[str, str] = {}
    start, end = _date(args, "start", errors), _date(args, "end", errors)
    year = _number(args, "year", errors, FIRST_YEAR, LAST_YEAR)
    quarter = _number(args, "quarter", errors, 1, 4)
    if quarter and not year:
        errors["quarter"] = _("Choose the year of the quarter.")
    if year and (start or end):
        errors["year"] = _("Choose a year or dates, not both.")
    elif year:
        first_month = 3 * (quarter - 1) + 1 if quarter else 1
        last_month = first_month + 2 if quarter else 12
        start = date(year, first_month, 1)
        following = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
        end = following - timedelta(days=1)
    if start and end and end < start:
        errors["end"] = _("The end date comes before the start date.")
    city = (args.get("city") or "").strip()
    if len(city) > MAX_TEXT:
        errors["city"] = _("A city name has at most %(num)s characters.", num=MAX_TEXT)
        city = ""
    elif any(ord(char) < 32 or 127 <= ord(char) < 160 for char in city):
        errors["city"] = _("Remove the control characters from this value.")
        city = ""
    filters = ReportFilters(
        start=start, end=end, course_id=_number(args, "course", errors), topic=_choice(args, "topic", Topic, errors),
        cohort_id=_number(args, "cohort", errors), organization_id=_number(args, "organization", errors),
        organization_type=_choice(args, "organization_type", OrganizationType, errors),
        region=_choice(args, "region", Region, errors), city=city or None,
        gender=_choice(args, "gender", Gender, errors))
    return ParsedFilters(filters if not errors else ReportFilters(), errors)


@dataclass(frozen=True)
class Layout:
    """How a cross-table is laid out: the dimensions of its rows and columns and the figure in its cells."""

    rows: str = "organization_type"
    columns: str | None = "gender"
    measure: str = "people_trained"
    publication: bool = False  # mask small cells


def parse_layout(args, dimensions, measures) -> tuple[Layout, dict[str, str]]:
    """The layout from ``args``; unknown dimensions or measures, or the same dimension twice, are reported."""
    errors: dict[str, str] = {}
    default = Layout()
    values = {}
    for name, allowed, fallback in (("rows", dimensions, default.rows), ("columns", dimensions, None),
                                    ("measure", measures, default.measure)):
        value = (args.get(name) or "").strip()
        if name == "columns" and name not in args:
            value = default.columns if (args.get("rows") or default.rows) != default.columns else ""
        if value and value not in allowed:
            errors[name] = _("“%(value)s” is not one of the choices offered.", value=value[:MAX_TEXT])
            value = ""
        values[name] = value or fallback
    if values["columns"] and values["columns"] == values["rows"]:
        errors["columns"] = _("Choose two different dimensions for the rows and the columns.")
    layout = Layout(values["rows"], values["columns"], values["measure"], args.get("publication") == "1")
    return (layout if not errors else default), errors
