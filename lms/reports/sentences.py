"""Sentences in the style of the mission's annual report, written from the data in the reader's language.

"404 people trained in 2026: 210 women and 194 men. By type of organization: 300 from civil society…"
"""

from datetime import date

from babel.lists import format_list
from flask_babel import format_date, format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _

from courses.queries import course_titles
from lms.accounts.models import Gender
from lms.organizations.models import OrganizationType
from lms.reports.filters import ReportFilters
from lms.reports.indicators import Indicators
from lms.reports.tables import EMPTY, ordered_groups

TOP_ORGANIZATIONS = 3
QUARTER_ENDS = {(1, 1): 1, (4, 1): 2, (7, 1): 3, (10, 1): 4}


def _number(value) -> str:
    return format_decimal(value)


def _listed(parts: list[str]) -> str:
    return format_list(parts, locale=str(get_locale())) if parts else ""


def _period(filters: ReportFilters) -> str:
    """" in 2026", " in the second quarter of 2026", " from 1 March to 30 June 2026", or nothing."""
    start, end = filters.start, filters.end
    if start and end and (start.month, start.day) == (1, 1) and (end.month, end.day) == (12, 31) \
            and start.year == end.year:
        return _(" in %(year)s", year=start.year)
    if start and end and start.year == end.year and (start.month, start.day) in QUARTER_ENDS \
            and end == _quarter_end(start):
        quarter = QUARTER_ENDS[(start.month, start.day)]
        return {1: _(" in the first quarter of %(year)s", year=start.year),
                2: _(" in the second quarter of %(year)s", year=start.year),
                3: _(" in the third quarter of %(year)s", year=start.year),
                4: _(" in the fourth quarter of %(year)s", year=start.year)}[quarter]
    if start and end:
        return _(" from %(start)s to %(end)s", start=format_date(start, "long"), end=format_date(end, "long"))
    if start:
        return _(" since %(start)s", start=format_date(start, "long"))
    if end:
        return _(" until %(end)s", end=format_date(end, "long"))
    return ""


def _quarter_end(start: date) -> date:
    month = start.month + 2
    following = date(start.year + 1, 1, 1) if month == 12 else date(start.year, month + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _gender_parts(by_gender: dict) -> list[str]:
    women = by_gender.get((Gender.FEMALE.value,), EMPTY).people_trained
    men = by_gender.get((Gender.MALE.value,), EMPTY).people_trained
    others = sum(figures.people_trained for (key,), figures in by_gender.items()
                 if key not in (Gender.FEMALE.value, Gender.MALE.value))
    parts = []
    if women:
        parts.append(ngettext("%(number)s woman", "%(number)s women", women, number=_number(women)))
    if men:
        parts.append(ngettext("%(number)s man", "%(number)s men", men, number=_number(men)))
    if others:
        parts.append(ngettext("%(number)s person of another gender or who did not say",
                              "%(number)s people of another gender or who did not say", others, number=_number(others)))
    return parts


def _type_part(code: str | None, count: int) -> str:
    num = _number(count)
    phrases = {
        OrganizationType.GOVERNMENT.value: lambda: ngettext(
            "%(number)s from a public institution", "%(number)s from public institutions", count, number=num),
        OrganizationType.CIVIL_SOCIETY.value: lambda: ngettext(
            "%(number)s from civil society", "%(number)s from civil society", count, number=num),
        OrganizationType.ACADEMIC.value: lambda: ngettext(
            "%(number)s from an academic institution", "%(number)s from academic institutions", count, number=num),
        OrganizationType.INTERNATIONAL.value: lambda: ngettext(
            "%(number)s from an international organization", "%(number)s from international organizations", count,
            number=num),
        OrganizationType.PRIVATE.value: lambda: ngettext(
            "%(number)s from the private sector", "%(number)s from the private sector", count, number=num),
        OrganizationType.MEDIA.value: lambda: ngettext(
            "%(number)s from the media", "%(number)s from the media", count, number=num),
    }
    phrase = phrases.get(code)
    return phrase() if phrase else ngettext("%(number)s with no organization recorded",
                                            "%(number)s with no organization recorded", count, number=num)


def _gain_sentence(total: Indicators) -> str | None:
    if not total.tested:
        return None
    gain = format_decimal(round(total.mean_gain, 1), format="+#,##0.0;-#,##0.0")
    return ngettext(
        "%(number)s learner took both the pre-test and the post-test: the average score went from %(pre)s to "
        "%(post)s out of 100 (%(gain)s points), and %(improved)s of them improved.",
        "%(number)s learners took both the pre-test and the post-test: the average score went from %(pre)s to "
        "%(post)s out of 100 (%(gain)s points), and %(improved)s of them improved.",
        total.tested, number=_number(total.tested), pre=format_decimal(round(total.mean_pre, 1)),
        post=format_decimal(round(total.mean_post, 1)), gain=gain, improved=format_percent(total.share_improved))


SENTENCE_GROUPINGS = [("organization_type",), ("gender",), ("organization",), ()]


def report_sentences(filters: ReportFilters, results: dict, language: str) -> list[str]:
    """The report's paragraph for the filters (typically a course and a period).

    ``results`` come from ``grouped`` with at least ``SENTENCE_GROUPINGS``.
    """
    by_type, by_gender, by_organization, whole = (results[grouping] for grouping in SENTENCE_GROUPINGS)
    total = whole.get((), EMPTY)
    people = total.people_trained
    if filters.course_id:
        title = course_titles(language).get(filters.course_id, "")
        where = _(" in “%(course)s”", course=title)
    elif filters.topic:
        where = _(" on “%(topic)s”", topic=filters.topic.label)
    else:
        where = ""
    sentences = [ngettext("%(number)s person trained%(where)s%(when)s.", "%(number)s people trained%(where)s%(when)s.",
                          people, number=_number(people), where=where, when=_period(filters))]
    if not people:
        return sentences
    genders = _gender_parts(by_gender)
    if genders:
        sentences.append(_("Among them, %(list)s.", list=_listed(genders)))
    types = [_type_part(group.key, by_type[(group.key,)].people_trained)
             for group in ordered_groups("organization_type", {key for key, in by_type}, language)
             if by_type[(group.key,)].people_trained]
    if types:
        sentences.append(_("By type of organization: %(list)s.", list=_listed(types)))
    organizations = sorted(((figures.people_trained, key) for (key,), figures in by_organization.items()
                            if key is not None and figures.people_trained), key=lambda pair: (-pair[0], pair[1]))
    top = organizations[:TOP_ORGANIZATIONS]
    if len(organizations) > 1 and top:
        labels = {group.key: group.label for group in ordered_groups("organization", {key for _, key in top}, language)}
        parts = [ngettext("%(number)s from %(organization)s", "%(number)s from %(organization)s", count,
                          number=_number(count), organization=labels[key]) for count, key in top]
        sentences.append(_("Largest groups: %(list)s.", list=_listed(parts)))
    if total.workshop_participants:
        sentences.append(ngettext("%(number)s person took part in workshop sessions.",
                                  "%(number)s people took part in workshop sessions.", total.workshop_participants,
                                  number=_number(total.workshop_participants)))
    if total.certificates:
        sentences.append(ngettext("%(number)s certificate was issued.", "%(number)s certificates were issued.",
                                  total.certificates, number=_number(total.certificates)))
    gain = _gain_sentence(total)
    if gain:
        sentences.append(gain)
    return sentences
