"""Changes trainers make to courses in the browser: settings, structure, lesson texts and uploads."""

import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from courses.models import (
    Audience,
    Course,
    CourseStatus,
    CourseTranslation,
    EnrollmentMode,
    Lesson,
    LessonTranslation,
    Module,
    ModuleTranslation,
    Topic,
    Upload,
    codes_field,
)
from lms.db import utcnow
from lms.errors import DomainError, flush_or_conflict
from lms.extensions import db
from lms.markdown import render_markdown

# Accepted uploads, recognised by their content, never by their name.
UPLOAD_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


@dataclass(frozen=True)
class CourseSettings:
    topic: Topic
    audience: list[Audience]
    estimated_hours: float
    languages: list[str]
    status: CourseStatus
    enrollment_mode: EnrollmentMode
    enrollment_key: str | None
    is_closed: bool
    texts: dict[str, dict]  # language -> {"title", "summary", "outcomes"}
    min_attendance_percent: int | None = None


def _apply_settings(course: Course, settings: CourseSettings) -> None:
    course.topic = settings.topic
    course.audience_codes = codes_field(a.value for a in settings.audience)
    course.language_codes = codes_field(settings.languages)
    course.estimated_hours = settings.estimated_hours
    course.status = settings.status
    course.enrollment_mode = settings.enrollment_mode
    course.enrollment_key = (settings.enrollment_key or "").strip() or None
    course.is_closed = settings.is_closed
    course.min_attendance_percent = settings.min_attendance_percent
    rows = {row.language: row for row in course.translations}
    for language, text in settings.texts.items():
        row = rows.pop(language, None)
        if row is None:
            course.translations.append(CourseTranslation(language=language, **text))
        else:
            row.title, row.summary, row.outcomes = text["title"], text["summary"], text["outcomes"]


def create_course(slug: str, settings: CourseSettings) -> Course:
    """A new course; its slug must be unused."""
    if db.session.scalar(sa.select(Course.id).where(Course.slug == slug)):
        raise DomainError(_("Another course already uses this short name."), field="slug")
    course = Course(slug=slug, translations=[], modules=[])
    _apply_settings(course, settings)
    db.session.add(course)
    flush_or_conflict(_("Another course already uses this short name."), field="slug")
    return course


def update_course(course: Course, settings: CourseSettings) -> None:
    """Save a course's settings and texts; a language left out keeps its texts for later."""
    _apply_settings(course, settings)
    course.updated_at = utcnow()


def _titles(rows: list, titles: dict[str, str], factory) -> None:
    by_language = {row.language: row for row in rows}
    for language, title in titles.items():
        if language in by_language:
            by_language[language].title = title
        else:
            rows.append(factory(language=language, title=title))


def add_module(course: Course, key: str, titles: dict[str, str]) -> Module:
    """Append a module at the end of the course."""
    if db.session.scalar(sa.select(Module.id).where(Module.course_id == course.id, Module.key == key)):
        raise DomainError(_("Another module of this course already uses this key."), field="key")
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Module.position), -1)).where(Module.course_id == course.id)) + 1
    module = Module(course_id=course.id, key=key, position=position, translations=[])
    _titles(module.translations, titles, ModuleTranslation)
    db.session.add(module)
    db.session.flush()
    return module


def update_module(module: Module, titles: dict[str, str]) -> None:
    _titles(module.translations, titles, ModuleTranslation)


def _swap(items: list, index: int, direction: str) -> bool:
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(items):
        return False
    items[index].position, items[target].position = items[target].position, items[index].position
    if items[index].position == items[target].position:  # positions were never spread out
        for position, item in enumerate(items):
            item.position = position
        items[index].position, items[target].position = target, index
    return True


def move_module(module: Module, direction: str) -> bool:
    """Move a module one place up or down among the current ones."""
    siblings = list(db.session.scalars(
        sa.select(Module).where(Module.course_id == module.course_id, sa.not_(Module.is_retired))
        .order_by(Module.position, Module.id)))
    return _swap(siblings, siblings.index(module), direction)


def move_lesson(lesson: Lesson, direction: str) -> bool:
    """Move a lesson one place up or down inside its module."""
    siblings = list(db.session.scalars(
        sa.select(Lesson).where(Lesson.module_id == lesson.module_id, sa.not_(Lesson.is_retired))
        .order_by(Lesson.position, Lesson.id)))
    return _swap(siblings, siblings.index(lesson), direction)


def set_retired(item: Module | Lesson, retired: bool) -> None:
    """Retire (hide, keeping progress) or restore a module or lesson."""
    item.is_retired = retired


def add_lesson(course: Course, module: Module, key: str, language: str, title: str) -> Lesson:
    """Append an empty lesson to a module, titled in one language."""
    if module.course_id != course.id:
        raise DomainError(_("Choose a module of this course."), field="module")
    if db.session.scalar(sa.select(Lesson.id).where(Lesson.course_id == course.id, Lesson.key == key)):
        raise DomainError(_("Another lesson of this course already uses this key."), field="key")
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Lesson.position), -1)).where(Lesson.module_id == module.id)) + 1
    lesson = Lesson(course_id=course.id, module_id=module.id, key=key, position=position, translations=[])
    lesson.translations.append(LessonTranslation(language=language, title=title, body_markdown="", body_html=""))
    db.session.add(lesson)
    db.session.flush()
    return lesson


def save_lesson_text(lesson: Lesson, language: str, title: str, markdown: str, duration: int,
                     required: bool) -> None:
    """Save one language of a lesson; the HTML is rendered and sanitized now, once."""
    row = next((row for row in lesson.translations if row.language == language), None)
    if row is None:
        row = LessonTranslation(language=language)
        lesson.translations.append(row)
    row.title = title.strip()
    row.body_markdown = markdown
    row.body_html = render_markdown(markdown)
    lesson.duration_minutes = duration
    lesson.is_required = required


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(course: Course, filename: str, data: bytes, user) -> Upload:
    """Keep an image or PDF for a course, after checking its real type and size."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if len(data) > limit:
        raise DomainError(_("The file is larger than %(size)s MB.", size=limit // (1024 * 1024)), field="file")
    kind = filetype.guess(data)
    if kind is None or kind.mime not in UPLOAD_TYPES:
        raise DomainError(_("Only PNG, JPEG, GIF and WebP images and PDF files are accepted."), field="file")
    name = Path(filename or "file").name[:150] or "file"
    upload = Upload(course_id=course.id, token=secrets.token_urlsafe(16), filename=name, content_type=kind.mime,
                    size=len(data), uploaded_by_id=user.id)
    (upload_folder() / upload.token).write_bytes(data)
    db.session.add(upload)
    db.session.flush()
    return upload
