"""Read-only queries for the catalogue, course pages, the lesson player and "my learning".

Titles come in the reader's language when it exists, otherwise in the next available one:
each query joins one translation row per language and takes the first that is present.
"""

import itertools
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from courses.models import (
    Course,
    CourseStatus,
    CourseTranslation,
    Enrollment,
    Lesson,
    LessonProgress,
    LessonTranslation,
    Module,
    ModuleTranslation,
    codes_field,
)
from lms.accounts.models import User
from lms.db import escape_like
from lms.extensions import db
from lms.i18n import language_order, localized


_made = threading.local()


def _aliases(model, languages: tuple[str, ...]) -> list:
    """One alias of ``model`` per language, made once per thread: building them on every request costs
    milliseconds, and SQLAlchemy's constructs are not to be shared between threads building statements."""
    made = _made.__dict__.setdefault("aliases", {})
    if (model, languages) not in made:
        made[model, languages] = [(language, aliased(model, name=f"{model.__tablename__}_{language}"))
                                  for language in languages]
    return made[model, languages]


def _translated(model, key_column, owner_column, preferred: str, *columns: str):
    """Outer-join one translation alias per language; return (joins, coalesced columns, language used)."""
    aliases = _aliases(model, tuple(language_order(preferred)))
    joins = [(alias, sa.and_(getattr(alias, key_column) == owner_column, alias.language == language))
             for language, alias in aliases]
    coalesced = [sa.func.coalesce(*(getattr(alias, column) for _lang, alias in aliases)) for column in columns]
    used = sa.case(*((getattr(alias, key_column).is_not(None), language) for language, alias in aliases),
                   else_=None)
    return joins, coalesced, used



@dataclass(frozen=True)
class CatalogueEntry:
    course: Course
    title: str
    summary: str


def catalogue(preferred: str, topic=None, audience=None, language: str | None = None, text: str = "",
              include_drafts: bool = False) -> list[CatalogueEntry]:
    """Courses matching the filters with their title and summary in the reader's language, by title."""
    joins, (title, summary), _used = _translated(CourseTranslation, "course_id", Course.id, preferred,
                                                 "title", "summary")
    query = sa.select(Course, title, summary)
    for alias, condition in joins:
        query = query.outerjoin(alias, condition)
    if not include_drafts:
        query = query.where(Course.status == CourseStatus.PUBLISHED)
    if topic is not None:
        query = query.where(Course.topic == topic)
    if audience is not None:
        query = query.where(Course.audience_codes.like(f"%{codes_field([audience.value])}%"))
    if language:
        query = query.where(Course.language_codes.like(f"%{codes_field([language])}%"))
    if text.strip():
        pattern = f"%{escape_like(text.strip().lower())}%"
        matches = sa.select(CourseTranslation.course_id).where(
            sa.or_(sa.func.lower(CourseTranslation.title).like(pattern, escape="\\"),
                   sa.func.lower(CourseTranslation.summary).like(pattern, escape="\\"))
        )
        query = query.where(Course.id.in_(matches))
    query = query.order_by(title)
    return [CatalogueEntry(course, title_, summary_ or "") for course, title_, summary_ in db.session.execute(query)]


@dataclass(frozen=True)
class CourseView:
    course: Course
    title: str
    summary: str
    outcomes: list[str]
    enrollment: Enrollment | None


def course_query(user_id: int | None, preferred: str) -> sa.Select:
    """Courses with their texts in the reader's language and the reader's enrolment: a select to extend.

    Its first five columns make a ``CourseView`` (see ``course_view``); callers add a ``where`` and may
    outer-join more.
    """
    joins, (title, summary, outcomes), _used = _translated(
        CourseTranslation, "course_id", Course.id, preferred, "title", "summary", "outcomes")
    query = sa.select(Course, title, summary, outcomes, Enrollment)
    for alias, condition in joins:
        query = query.outerjoin(alias, condition)
    return query.outerjoin(Enrollment, sa.and_(Enrollment.course_id == Course.id, Enrollment.user_id == user_id))


def course_view(row) -> CourseView:
    """The ``CourseView`` held in the first five columns of a ``course_query`` row."""
    course, title_, summary_, outcomes_, enrollment = tuple(row)[:5]
    outcome_list = [line for line in (outcomes_ or "").splitlines() if line.strip()]
    return CourseView(course, title_ or course.slug, summary_ or "", outcome_list, enrollment)


def course_with_enrollment(slug: str, user_id: int | None, preferred: str) -> CourseView | None:
    """A course, its texts in the reader's language and the reader's enrolment, in one query."""
    row = db.session.execute(course_query(user_id, preferred).where(Course.slug == slug)).first()
    return None if row is None else course_view(row)


@dataclass(frozen=True)
class OutlineItem:
    lesson_id: int
    key: str
    title: str
    language: str
    module_id: int
    module_title: str
    duration: int
    is_required: bool
    is_done: bool


def outline(course_id: int, user_id: int | None, preferred: str) -> list[OutlineItem]:
    """Current lessons in order with titles and the reader's completion marks, in one query."""
    lesson_joins, (lesson_title,), used = _translated(LessonTranslation, "lesson_id", Lesson.id, preferred, "title")
    module_joins, (module_title,), _used = _translated(ModuleTranslation, "module_id", Module.id, preferred, "title")
    query = (
        sa.select(Lesson.id, Lesson.key, lesson_title, used, Module.id, module_title, Lesson.duration_minutes,
                  Lesson.is_required, LessonProgress.id.is_not(None))
        .join(Module, Lesson.module_id == Module.id)
    )
    for alias, condition in lesson_joins + module_joins:
        query = query.outerjoin(alias, condition)
    query = (
        query.outerjoin(LessonProgress, sa.and_(LessonProgress.lesson_id == Lesson.id,
                                                LessonProgress.user_id == user_id))
        .where(Lesson.course_id == course_id, sa.not_(Lesson.is_retired), sa.not_(Module.is_retired))
        .order_by(Module.position, Lesson.position, Lesson.id)
    )
    return [OutlineItem(*row) for row in db.session.execute(query)]


def by_module(items: list[OutlineItem]) -> list[tuple[str, list[OutlineItem]]]:
    """Group an outline by module, keeping the order."""
    return [(group[0].module_title, group)
            for group in (list(g) for _key, g in itertools.groupby(items, key=lambda item: item.module_id))]


@dataclass(frozen=True)
class LessonBody:
    title: str
    html: str
    language: str


def lesson_body(lesson_id: int, preferred: str) -> LessonBody | None:
    """The lesson in the reader's language, or the first available fallback."""
    rows = db.session.execute(
        sa.select(LessonTranslation.language, LessonTranslation.title, LessonTranslation.body_html)
        .where(LessonTranslation.lesson_id == lesson_id)
    ).all()
    by_language = {language: (title, html) for language, title, html in rows}
    for language in language_order(preferred):
        if language in by_language:
            title, html = by_language[language]
            return LessonBody(title, html, language)
    return None


@dataclass(frozen=True)
class LearningEntry:
    course: Course
    title: str
    enrollment: Enrollment
    required: int
    done: int

    @property
    def percent(self) -> int:
        return 100 if not self.required else round(100 * self.done / self.required)


def my_learning(user_id: int, preferred: str) -> list[LearningEntry]:
    """Every course the user is enrolled in, with required and completed lesson counts, in one query."""
    joins, (title,), _used = _translated(CourseTranslation, "course_id", Course.id, preferred, "title")
    required = (
        sa.select(sa.func.count(Lesson.id))
        .join(Module, Lesson.module_id == Module.id)
        .where(Lesson.course_id == Course.id, Lesson.is_required, sa.not_(Lesson.is_retired),
               sa.not_(Module.is_retired))
        .correlate(Course).scalar_subquery()
    )
    done = (
        sa.select(sa.func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Lesson.module_id == Module.id)
        .where(LessonProgress.user_id == user_id, LessonProgress.course_id == Course.id, Lesson.is_required,
               sa.not_(Lesson.is_retired), sa.not_(Module.is_retired))
        .correlate(Course).scalar_subquery()
    )
    query = sa.select(Course, title, Enrollment, required, done).join(Enrollment, Enrollment.course_id == Course.id)
    for alias, condition in joins:
        query = query.outerjoin(alias, condition)
    query = query.where(Enrollment.user_id == user_id).order_by(Enrollment.completed_at.is_not(None),
                                                                Enrollment.enrolled_at.desc())
    return [LearningEntry(course, title_ or course.slug, enrollment, required_ or 0, done_ or 0)
            for course, title_, enrollment, required_, done_ in db.session.execute(query)]


def first_unfinished_lessons(user_id: int, course_ids: list[int]) -> dict[int, str]:
    """For each course, the key of the first current lesson the user has not finished, in one query."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        sa.select(Lesson.course_id, Lesson.key)
        .join(Module, Lesson.module_id == Module.id)
        .outerjoin(LessonProgress, sa.and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id))
        .where(Lesson.course_id.in_(course_ids), sa.not_(Lesson.is_retired), sa.not_(Module.is_retired),
               LessonProgress.id.is_(None))
        .order_by(Lesson.course_id, Module.position, Lesson.position, Lesson.id)
    )
    first: dict[int, str] = {}
    for course_id, key in rows:
        first.setdefault(course_id, key)
    return first


@dataclass(frozen=True)
class LearnerRow:
    user_id: int
    full_name: str
    email: str
    enrolled_at: object
    completed_at: object
    done: int


def course_learners(course_id: int) -> list[LearnerRow]:
    """Enrolled learners with the number of current lessons each has finished, in one query."""
    done = (
        sa.select(sa.func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == User.id, LessonProgress.course_id == course_id, sa.not_(Lesson.is_retired))
        .correlate(User).scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(User.id, User.full_name, User.email, Enrollment.enrolled_at, Enrollment.completed_at, done)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course_id)
        .order_by(User.full_name)
    )
    return [LearnerRow(*row) for row in rows]


def course_titles(language: str) -> dict[int, str]:
    """Every course's title in ``language`` or its fallback, by course id (one query)."""
    titles: dict[int, dict] = {}
    for course_id, code, title in db.session.execute(
            sa.select(CourseTranslation.course_id, CourseTranslation.language, CourseTranslation.title)):
        titles.setdefault(course_id, {})[code] = title
    return {course_id: localized(texts, language) for course_id, texts in titles.items()}


def course_choices(language: str) -> list[tuple[str, str]]:
    """Every course as a select option (id, title), by title."""
    return sorted(((str(course_id), title) for course_id, title in course_titles(language).items()),
                  key=lambda pair: pair[1].lower())
