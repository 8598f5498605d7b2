"""Course folders on disk (course.yaml + one Markdown file per lesson and language).

``read_course_folder`` validates a folder completely before anything is written; ``import_course``
applies it (updating text and order, retiring what disappeared, never deleting); ``export_course``
writes a course back in the same format.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import selectinload

from courses.models import (
    Audience,
    Course,
    CourseStatus,
    CourseTranslation,
    Lesson,
    LessonTranslation,
    Module,
    ModuleTranslation,
    Topic,
    codes_field,
)
from lms.extensions import db
from lms.i18n import LANGUAGES
from lms.markdown import render_markdown
from lms.yamldoc import ContentError, load_yaml, read_text, require

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
CONTENT_ROOT = Path(__file__).resolve().parent / "content"


@dataclass
class LessonSpec:
    key: str
    texts: dict[str, dict]  # language -> {"title", "markdown"}
    duration: int = 15
    required: bool = True


@dataclass
class ModuleSpec:
    key: str
    titles: dict[str, str]
    lessons: list[LessonSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    version: int
    topic: Topic
    audience: list[Audience]
    estimated_hours: float
    languages: list[str]
    titles: dict[str, str]
    summaries: dict[str, str]
    outcomes: dict[str, list[str]]
    modules: list[ModuleSpec]


def _translated(path, mapping, key, languages, kind=str) -> dict:
    value = mapping.get(key)
    require(isinstance(value, dict), path, mapping, key, f"'{key}' must map each language to a text")
    result = {}
    for language in languages:
        text = value.get(language)
        valid = isinstance(text, kind) and (bool(text.strip()) if kind is str else bool(text))
        require(valid, path, value, language, f"'{key}' has no {language} text")
        if kind is list:
            require(all(isinstance(item, str) and item.strip() for item in text), path, value, language,
                     f"every item of '{key}.{language}' must be a text")
        result[language] = text
    return result


def _read_lesson(path: Path, key: str, language: str) -> dict:
    if not path.exists():
        raise ContentError(path, None, f"missing: lesson '{key}' has no {language} file")
    text = read_text(path)
    if not text.startswith("---\n"):
        raise ContentError(path, 1, "the file must start with front matter between two '---' lines")
    end = text.find("\n---\n", 4)
    if end == -1:
        raise ContentError(path, 1, "the front matter is not closed by a '---' line")
    meta = load_yaml(path, text[4:end], first_line=2)
    require(isinstance(meta, dict), path, {}, None, "the front matter must be a mapping")
    title = meta.get("title")
    require(isinstance(title, str) and title.strip() and len(title) <= 300, path, meta, "title",
             "'title' must be a text of at most 300 characters")
    duration = meta.get("duration", 15)
    require(isinstance(duration, int) and not isinstance(duration, bool) and 1 <= duration <= 600,
             path, meta, "duration", "'duration' must be a whole number of minutes between 1 and 600")
    required = meta.get("required", True)
    require(isinstance(required, bool), path, meta, "required", "'required' must be true or false")
    body = text[end + 5:]
    require(body.strip(), path, meta, "title", "the lesson has no body")
    return {"title": title.strip(), "markdown": body.strip() + "\n", "duration": duration, "required": required}


def read_course_folder(folder: Path) -> CourseSpec:
    """Parse and check a course folder; raise ContentError naming the file, line and reason."""
    folder = Path(folder)
    path = folder / "course.yaml"
    if not path.exists():
        raise ContentError(path, None, "missing course.yaml")
    data = load_yaml(path, read_text(path))
    require(isinstance(data, dict), path, {}, None, "course.yaml must be a mapping")

    slug = data.get("slug")
    require(isinstance(slug, str) and KEY.match(slug), path, data, "slug",
             "'slug' must use lowercase letters, digits and hyphens")
    require(slug == folder.name, path, data, "slug", f"'slug' must match the folder name '{folder.name}'")
    version = data.get("version")
    require(isinstance(version, int) and not isinstance(version, bool) and version >= 1, path, data, "version",
             "'version' must be a whole number from 1")
    topics = {topic.value for topic in Topic}
    require(data.get("topic") in topics, path, data, "topic", f"'topic' must be one of: {', '.join(sorted(topics))}")
    audiences = {audience.value for audience in Audience}
    audience = data.get("audience") or []
    require(isinstance(audience, list) and audience and set(audience) <= audiences, path, data, "audience",
             f"'audience' must list codes among: {', '.join(sorted(audiences))}")
    hours = data.get("estimated_hours")
    require(isinstance(hours, (int, float)) and not isinstance(hours, bool) and 0 < hours <= 500, path, data,
             "estimated_hours", "'estimated_hours' must be a number of hours above 0")
    languages = data.get("languages")
    require(isinstance(languages, list) and languages and set(languages) <= set(LANGUAGES)
             and len(set(languages)) == len(languages), path, data, "languages",
             "'languages' must list some of: fr, ar, en")

    titles = _translated(path, data, "title", languages)
    for language, title in titles.items():
        require(len(title) <= 300, path, data["title"], language, "a title has at most 300 characters")
    summaries = _translated(path, data, "summary", languages)
    outcomes = _translated(path, data, "outcomes", languages, kind=list)
    modules_data = data.get("modules")
    require(isinstance(modules_data, list) and modules_data, path, data, "modules", "'modules' must be a list")

    modules, module_keys, lesson_keys = [], set(), set()
    for module_data in modules_data:
        require(isinstance(module_data, dict), path, data, "modules", "each module must be a mapping")
        key = module_data.get("key")
        require(isinstance(key, str) and KEY.match(key), path, module_data, "key",
                 "a module 'key' must use lowercase letters, digits and hyphens")
        require(key not in module_keys, path, module_data, "key", f"module '{key}' appears twice")
        module_keys.add(key)
        module = ModuleSpec(key=key, titles=_translated(path, module_data, "title", languages))
        for language, title in module.titles.items():
            require(len(title) <= 300, path, module_data["title"], language, "a title has at most 300 characters")
        lesson_list = module_data.get("lessons")
        require(isinstance(lesson_list, list) and lesson_list, path, module_data, "lessons",
                 f"module '{key}' must list its lesson keys")
        for lesson_key in lesson_list:
            require(isinstance(lesson_key, str) and KEY.match(lesson_key), path, module_data, "lessons",
                     f"lesson key {lesson_key!r} must use lowercase letters, digits and hyphens")
            require(lesson_key not in lesson_keys, path, module_data, "lessons",
                     f"lesson '{lesson_key}' appears twice")
            lesson_keys.add(lesson_key)
            texts = {language: _read_lesson(folder / "lessons" / f"{lesson_key}.{language}.md", lesson_key, language)
                     for language in languages}
            first = texts[languages[0]]
            module.lessons.append(LessonSpec(key=lesson_key, texts=texts, duration=first["duration"],
                                             required=first["required"]))
        modules.append(module)

    return CourseSpec(slug=slug, version=version, topic=Topic(data["topic"]), audience=[Audience(a) for a in audience],
                      estimated_hours=float(hours), languages=languages, titles=titles, summaries=summaries,
                      outcomes=outcomes, modules=modules)


def course_folders(path: Path | None = None) -> list[Path]:
    """The course folder at ``path``, or every course folder under it (the shipped ones by default)."""
    path = Path(path) if path else CONTENT_ROOT
    if (path / "course.yaml").exists():
        return [path]
    return sorted(child for child in path.iterdir() if (child / "course.yaml").exists())


def _load_course(slug: str) -> Course | None:
    return db.session.scalar(
        sa.select(Course)
        .where(Course.slug == slug)
        .options(
            selectinload(Course.translations),
            selectinload(Course.modules).selectinload(Module.translations),
            selectinload(Course.modules).selectinload(Module.lessons).selectinload(Lesson.translations),
        )
    )


def _set_translations(existing: list, factory, values: dict[str, dict]) -> None:
    """Update rows per language in place, add the new ones, drop languages no longer given."""
    by_language = {row.language: row for row in existing}
    for language, fields in values.items():
        row = by_language.pop(language, None)
        if row is None:
            existing.append(factory(language=language, **fields))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
    for row in by_language.values():
        existing.remove(row)


def import_course(spec: CourseSpec, publish: bool = True) -> Course:
    """Create or update a course from a checked spec; lessons keep their ids and progress."""
    course = _load_course(spec.slug)
    if course is None:
        course = Course(slug=spec.slug, translations=[], modules=[])
        db.session.add(course)
    course.topic = spec.topic
    course.audience_codes = codes_field(a.value for a in spec.audience)
    course.language_codes = codes_field(spec.languages)
    course.estimated_hours = spec.estimated_hours
    course.version = spec.version
    if publish:
        course.status = CourseStatus.PUBLISHED
    _set_translations(course.translations, CourseTranslation, {
        language: {"title": spec.titles[language], "summary": spec.summaries[language].strip(),
                   "outcomes": "\n".join(" ".join(item.split()) for item in spec.outcomes[language])}
        for language in spec.languages
    })

    modules = {module.key: module for module in course.modules}
    lessons = {lesson.key: lesson for module in course.modules for lesson in module.lessons}
    # Lesson.module is lazy="raise": remember each loaded lesson's module instead of reading it.
    owners = {lesson.key: module for module in course.modules for lesson in module.lessons}
    seen_modules, seen_lessons = set(), set()
    for position, module_spec in enumerate(spec.modules):
        module = modules.get(module_spec.key)
        if module is None:
            module = Module(key=module_spec.key, translations=[], lessons=[])
            course.modules.append(module)
        module.position, module.is_retired = position, False
        _set_translations(module.translations, ModuleTranslation,
                          {language: {"title": title} for language, title in module_spec.titles.items()})
        seen_modules.add(module_spec.key)
        for lesson_position, lesson_spec in enumerate(module_spec.lessons):
            lesson = lessons.get(lesson_spec.key)
            if lesson is None:
                lesson = Lesson(key=lesson_spec.key, translations=[])
                db.session.add(lesson)
                lessons[lesson.key] = lesson
            lesson.course = course
            if owners.get(lesson.key) is not module:
                lesson.module = owners[lesson.key] = module
            lesson.position = lesson_position
            lesson.duration_minutes = lesson_spec.duration
            lesson.is_required = lesson_spec.required
            lesson.is_retired = False
            _set_translations(lesson.translations, LessonTranslation, {
                language: {"title": text["title"], "body_markdown": text["markdown"],
                           "body_html": render_markdown(text["markdown"])}
                for language, text in lesson_spec.texts.items()
            })
            seen_lessons.add(lesson_spec.key)
    for key, module in modules.items():
        if key not in seen_modules:
            module.is_retired = True
    for key, lesson in lessons.items():
        if key not in seen_lessons:
            lesson.is_retired = True
    db.session.flush()
    return course


def import_courses(path: Path | None = None) -> list[Course]:
    """Check every folder first, then import them all; a bad folder stops everything."""
    specs = [read_course_folder(folder) for folder in course_folders(path)]
    return [import_course(spec) for spec in specs]


def export_course(slug: str, target: Path) -> Path:
    """Write a course as ``target/<slug>/`` in the import format; retired parts are left out."""
    course = _load_course(slug)
    if course is None:
        raise LookupError(slug)
    folder = Path(target) / course.slug
    (folder / "lessons").mkdir(parents=True, exist_ok=True)
    languages = course.languages
    texts = {row.language: row for row in course.translations}
    modules = [module for module in course.modules if not module.is_retired]
    data = {
        "slug": course.slug,
        "version": course.version,
        "topic": course.topic.value,
        "audience": [audience.value for audience in course.audience],
        "estimated_hours": course.estimated_hours,
        "languages": languages,
        "title": {lang: texts[lang].title for lang in languages if lang in texts},
        "summary": {lang: texts[lang].summary for lang in languages if lang in texts},
        "outcomes": {lang: texts[lang].outcome_list for lang in languages if lang in texts},
        "modules": [],
    }
    for module in modules:
        module_titles = {row.language: row.title for row in module.translations}
        lessons = [lesson for lesson in module.lessons if not lesson.is_retired]
        data["modules"].append({"key": module.key, "title": module_titles,
                                "lessons": [lesson.key for lesson in lessons]})
        for lesson in lessons:
            for row in lesson.translations:
                front = yaml.safe_dump({"title": row.title, "duration": lesson.duration_minutes,
                                        "required": lesson.is_required}, allow_unicode=True, sort_keys=False)
                (folder / "lessons" / f"{lesson.key}.{row.language}.md").write_text(
                    f"---\n{front}---\n\n{row.body_markdown.strip()}\n", encoding="utf-8")
    (folder / "course.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
    return folder
