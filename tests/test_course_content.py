"""Course content on disk: ``flask lms import-courses`` and ``flask lms export-course``.

Folders are written with ``support.write_course`` and then edited the way an author would edit them.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import yaml

from courses import queries
from courses.content_files import CONTENT_ROOT, course_folders
from courses.models import (
    Audience,
    Course,
    CourseStatus,
    CourseTranslation,
    Lesson,
    LessonProgress,
    LessonTranslation,
    Module,
    ModuleTranslation,
    Topic,
)
from lms.extensions import db
from support import scalar, scalars, write_course

LANGUAGES = ("fr", "ar", "en")
CONTENT_MODELS = (Course, CourseTranslation, Module, ModuleTranslation, Lesson, LessonTranslation)
TIMESTAMPS = {"created_at", "updated_at"}


# Helpers --------------------------------------------------------------------------------------

def lms(runner, *args: str):
    return runner.invoke(args=["lms", *args])


def import_ok(runner, path: Path | None = None):
    result = lms(runner, "import-courses", *([str(path)] if path else []))
    assert result.exit_code == 0, result.output
    return result


def snapshot(app) -> dict:
    """Every content row (without timestamps), to prove that an import changed nothing."""
    with app.app_context():
        rows = {}
        for model in CONTENT_MODELS:
            columns = [column for column in model.__table__.columns if column.name not in TIMESTAMPS]
            rows[model.__tablename__] = sorted(tuple(row) for row in db.session.execute(sa.select(*columns)))
        return rows


def read_yaml(folder: Path) -> dict:
    return yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))


def write_yaml(folder: Path, data: dict) -> None:
    (folder / "course.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def set_layout(folder: Path, layout: dict[str, list[str]]) -> None:
    """Rewrite the module list of course.yaml: module key -> lesson keys, in order (new modules get titles)."""
    data = read_yaml(folder)
    known = {module["key"]: module for module in data["modules"]}
    data["modules"] = [
        {"key": key, "title": known[key]["title"] if key in known else {lang: f"{key} {lang}" for lang in LANGUAGES},
         "lessons": lessons}
        for key, lessons in layout.items()
    ]
    write_yaml(folder, data)


def lesson_file(folder: Path, key: str, language: str) -> Path:
    return folder / "lessons" / f"{key}.{language}.md"


def split_lesson(text: str) -> tuple[dict, str]:
    """(front matter, body) of a lesson file."""
    assert text.startswith("---\n"), text[:40]
    front, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(front), body


def lesson_ids(app, slug: str) -> dict[str, int]:
    return dict(_rows(app, sa.select(Lesson.key, Lesson.id).join(Course).where(Course.slug == slug)))


def _rows(app, statement) -> list:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(statement)]


def lesson_state(app, slug: str, key: str) -> Lesson:
    return scalar(app, sa.select(Lesson).join(Course).where(Course.slug == slug, Lesson.key == key))


def current_outline(app, slug: str, user_id: int | None = None) -> list[tuple[str, str]]:
    """(module key, lesson key) of the lessons learners see, in order, as the course pages read them."""
    with app.app_context():
        course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
        modules = dict(db.session.execute(sa.select(Module.id, Module.key).where(Module.course_id == course.id)).all())
        return [(modules[item.module_id], item.key) for item in queries.outline(course.id, user_id, "fr")]


def done_keys(app, slug: str, user_id: int) -> set[str]:
    with app.app_context():
        course_id = db.session.scalar(sa.select(Course.id).where(Course.slug == slug))
        return {item.key for item in queries.outline(course_id, user_id, "fr") if item.is_done}


def progress_rows(app) -> list[tuple[int, int, int]]:
    return sorted(_rows(app, sa.select(LessonProgress.user_id, LessonProgress.lesson_id, LessonProgress.course_id)))


def finish_lessons(client, slug: str, keys) -> None:
    """Enrol the signed-in learner and mark lessons done through the real pages."""
    response = client.post_form(f"/courses/{slug}/enroll")
    assert response.status_code == 302, response.get_data(as_text=True)
    for key in keys:
        response = client.post_form(f"/courses/{slug}/lessons/{key}/done")
        assert response.status_code == 302, (key, response.status_code)


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


# Importing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("languages", [LANGUAGES, ("fr", "en"), ("ar",)], ids=["fr-ar-en", "fr-en", "ar"])
def test_import_creates_the_course_its_modules_lessons_and_every_translation(app, runner, tmp_path, languages):
    folder = write_course(tmp_path, slug="first-aid", lessons=5, modules=2, languages=languages,
                          extra_markdown="| A | B |\n|---|---|\n| 1 | 2 |")

    result = import_ok(runner, folder)

    assert "Imported first-aid (version 1)." in result.output
    course = scalar(app, sa.select(Course).where(Course.slug == "first-aid"))
    assert (course.topic, course.audience, course.languages) == (
        Topic.TRAFFICKING, [Audience.SOCIAL_WORKERS, Audience.CIVIL_SOCIETY], list(languages))
    assert (course.estimated_hours, course.version, course.status) == (2.5, 1, CourseStatus.PUBLISHED)
    names = {"fr": "Leçon", "ar": "الدرس", "en": "Lesson"}
    translations = {row.language: row for row in scalars(app, sa.select(CourseTranslation))}
    assert set(translations) == set(languages)
    for lang in languages:
        assert translations[lang].title == f"{names[lang]} first-aid"
        assert translations[lang].summary == f"Summary {lang} of first-aid"
        assert translations[lang].outcome_list == [f"Outcome one {lang}", f"Outcome two {lang}"]

    assert _rows(app, sa.select(Module.key, Module.position, Module.is_retired).order_by(Module.position)) == [
        ("module-1", 0, False), ("module-2", 1, False)]
    assert sorted(_rows(app, sa.select(ModuleTranslation.language, ModuleTranslation.title))) == sorted(
        (lang, f"Module {number} {lang}") for number in (1, 2) for lang in languages)
    assert current_outline(app, "first-aid") == [
        ("module-1", "lesson-001"), ("module-1", "lesson-002"), ("module-1", "lesson-003"),
        ("module-2", "lesson-004"), ("module-2", "lesson-005")]
    lessons = scalars(app, sa.select(Lesson))
    assert {(lesson.duration_minutes, lesson.is_required, lesson.is_retired) for lesson in lessons} == {(10, True, False)}

    texts = scalars(app, sa.select(LessonTranslation))
    assert len(texts) == 5 * len(languages)
    by_key = {(lesson.id, row.language): row for lesson in lessons for row in texts if row.lesson_id == lesson.id}
    for lesson in lessons:
        number = int(lesson.key.split("-")[1])
        for lang in languages:
            row = by_key[(lesson.id, lang)]
            assert row.title == f"{names[lang]} {number}"
            assert row.body_markdown.startswith("## Section\n\nword word")
            assert "<h2>Section</h2>" in row.body_html
            assert "<td>1</td>" in row.body_html and "<h2>Sources</h2>" in row.body_html
            assert "##" not in row.body_html


def test_importing_a_directory_imports_every_course_folder_in_it(app, runner, tmp_path):
    write_course(tmp_path, slug="course-a", lessons=2)
    write_course(tmp_path, slug="course-b", lessons=3, modules=2)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.md").write_text("not a course", encoding="utf-8")

    result = import_ok(runner, tmp_path)

    assert "Imported course-a (version 1)." in result.output and "Imported course-b (version 1)." in result.output
    assert sorted(scalars(app, sa.select(Course.slug))) == ["course-a", "course-b"]
    assert len(current_outline(app, "course-a")) == 2 and len(current_outline(app, "course-b")) == 3


def test_course_folders_gives_one_folder_or_every_course_folder_under_a_directory(tmp_path):
    second = write_course(tmp_path, slug="zeta")
    first = write_course(tmp_path, slug="alpha")
    (tmp_path / "empty").mkdir()
    (tmp_path / "README.md").write_text("x", encoding="utf-8")

    assert course_folders(tmp_path) == [first, second]
    assert course_folders(first) == [first]
    assert course_folders(tmp_path / "empty") == []


def test_importing_a_folder_again_unchanged_changes_nothing(app, runner, tmp_path):
    folder = write_course(tmp_path, slug="steady", lessons=3, modules=2)
    import_ok(runner, folder)
    before = snapshot(app)

    import_ok(runner, folder)

    assert snapshot(app) == before


# Importing again after edits ------------------------------------------------------------------

@pytest.fixture
def evolving(app, runner, tmp_path, make, client, login_as):
    """A course of six lessons (module-1: 1-2, module-2: 3-4, module-3: 5-6) whose learner finished 1, 2 and 4."""
    folder = write_course(tmp_path, slug="evolving", lessons=6, modules=3)
    import_ok(runner, folder)
    learner = make.user(locale="fr")
    login_as(learner)
    finish_lessons(client, "evolving", ["lesson-001", "lesson-002", "lesson-004"])
    return SimpleNamespace(folder=folder, learner=learner, ids=lesson_ids(app, "evolving"),
                           progress=progress_rows(app))


def test_reimport_updates_text_and_order_and_keeps_lesson_ids_and_progress(app, runner, client, evolving):
    lesson_file(evolving.folder, "lesson-003", "fr").write_text(
        '---\ntitle: "Leçon révisée"\nduration: 20\nrequired: false\n---\n\n## Nouvelle partie\n\nTexte révisé.\n',
        encoding="utf-8")
    set_layout(evolving.folder, {
        "module-3": ["lesson-006", "lesson-005"],
        "module-1": ["lesson-004", "lesson-001"],   # lesson-004 moves here from module-2
        "module-4": ["lesson-002"],                 # a new module, taking lesson-002 from module-1
        "module-2": ["lesson-003"],
    })

    import_ok(runner, evolving.folder)

    assert lesson_ids(app, "evolving") == evolving.ids
    assert current_outline(app, "evolving") == [
        ("module-3", "lesson-006"), ("module-3", "lesson-005"), ("module-1", "lesson-004"),
        ("module-1", "lesson-001"), ("module-4", "lesson-002"), ("module-2", "lesson-003")]
    assert progress_rows(app) == evolving.progress
    assert done_keys(app, "evolving", evolving.learner.id) == {"lesson-001", "lesson-002", "lesson-004"}

    edited = {row.language: row for row in scalars(
        app, sa.select(LessonTranslation).where(LessonTranslation.lesson_id == evolving.ids["lesson-003"]))}
    assert edited["fr"].title == "Leçon révisée"
    assert edited["fr"].body_markdown == "## Nouvelle partie\n\nTexte révisé.\n"
    assert "<h2>Nouvelle partie</h2>" in edited["fr"].body_html and "word" not in edited["fr"].body_html
    assert edited["en"].title == "Lesson 3" and "word word" in edited["en"].body_markdown
    lesson = lesson_state(app, "evolving", "lesson-003")
    assert (lesson.duration_minutes, lesson.is_required) == (20, False)

    html = page(client, "/courses/evolving/lessons/lesson-003")
    assert "Leçon révisée" in html and "Texte révisé." in html
    html = page(client, "/courses/evolving/lessons/lesson-004")
    assert 'href="/courses/evolving/lessons/lesson-005" rel="prev"' in html
    assert 'href="/courses/evolving/lessons/lesson-001" rel="next"' in html


def test_a_lesson_removed_from_the_folder_is_retired_not_deleted_and_disappears(app, runner, client, evolving):
    set_layout(evolving.folder, {"module-1": ["lesson-001"], "module-2": ["lesson-003", "lesson-004"],
                                 "module-3": ["lesson-005", "lesson-006"]})
    for lang in LANGUAGES:
        lesson_file(evolving.folder, "lesson-002", lang).unlink()

    import_ok(runner, evolving.folder)

    retired = lesson_state(app, "evolving", "lesson-002")
    assert retired.id == evolving.ids["lesson-002"] and retired.is_retired
    assert len(scalars(app, sa.select(LessonTranslation).where(LessonTranslation.lesson_id == retired.id))) == 3
    assert progress_rows(app) == evolving.progress  # progress on it is kept...
    assert [item[1] for item in current_outline(app, "evolving")] == [
        "lesson-001", "lesson-003", "lesson-004", "lesson-005", "lesson-006"]
    with app.app_context():
        (entry,) = queries.my_learning(evolving.learner.id, "fr")
    assert (entry.required, entry.done) == (5, 2)  # ...but no longer counts

    page(client, "/courses/evolving/lessons/lesson-002", status=404)
    for url in ("/courses/evolving", "/courses/evolving/lessons/lesson-001", "/courses/evolving/lessons/lesson-003"):
        html = page(client, url)
        assert not re.search(r"Leçon 2\b", html) and "lesson-002" not in html, url
    assert 'href="/courses/evolving/lessons/lesson-003" rel="next"' in page(
        client, "/courses/evolving/lessons/lesson-001")


def test_a_lesson_added_back_returns_with_its_old_id_and_progress(app, runner, client, evolving):
    original = read_yaml(evolving.folder)
    set_layout(evolving.folder, {"module-1": ["lesson-001"], "module-2": ["lesson-003", "lesson-004"],
                                 "module-3": ["lesson-005", "lesson-006"]})
    import_ok(runner, evolving.folder)
    assert lesson_state(app, "evolving", "lesson-002").is_retired

    write_yaml(evolving.folder, original)
    import_ok(runner, evolving.folder)

    lesson = lesson_state(app, "evolving", "lesson-002")
    assert lesson.id == evolving.ids["lesson-002"] and not lesson.is_retired
    assert lesson_ids(app, "evolving") == evolving.ids
    assert current_outline(app, "evolving")[1] == ("module-1", "lesson-002")
    assert done_keys(app, "evolving", evolving.learner.id) == {"lesson-001", "lesson-002", "lesson-004"}
    assert "Leçon 2" in page(client, "/courses/evolving/lessons/lesson-002")


def test_a_module_removed_from_the_folder_is_retired_with_its_lessons_and_can_come_back(app, runner, client,
                                                                                        evolving):
    original = read_yaml(evolving.folder)
    set_layout(evolving.folder, {"module-1": ["lesson-001", "lesson-002"], "module-3": ["lesson-005", "lesson-006"]})

    import_ok(runner, evolving.folder)

    assert _rows(app, sa.select(Module.key, Module.is_retired).order_by(Module.key)) == [
        ("module-1", False), ("module-2", True), ("module-3", False)]
    assert {key for key in evolving.ids if lesson_state(app, "evolving", key).is_retired} == {"lesson-003",
                                                                                             "lesson-004"}
    assert "Module 2 fr" not in page(client, "/courses/evolving")
    page(client, "/courses/evolving/lessons/lesson-004", status=404)
    assert progress_rows(app) == evolving.progress

    write_yaml(evolving.folder, original)
    import_ok(runner, evolving.folder)

    assert [key for _module, key in current_outline(app, "evolving")] == sorted(evolving.ids)
    assert lesson_ids(app, "evolving") == evolving.ids
    assert done_keys(app, "evolving", evolving.learner.id) == {"lesson-001", "lesson-002", "lesson-004"}


def test_reimport_in_other_languages_adds_the_new_and_drops_the_abandoned_translations(app, runner, tmp_path):
    folder = write_course(tmp_path, slug="bilingual", lessons=2, languages=("fr", "ar"))
    import_ok(runner, folder)
    ids = lesson_ids(app, "bilingual")

    write_course(tmp_path, slug="bilingual", lessons=2, languages=("fr", "en"))
    import_ok(runner, folder)

    assert lesson_ids(app, "bilingual") == ids
    assert scalar(app, sa.select(Course).where(Course.slug == "bilingual")).languages == ["fr", "en"]
    for model in (CourseTranslation, ModuleTranslation, LessonTranslation):
        assert set(scalars(app, sa.select(model.language))) == {"fr", "en"}, model.__name__


# Rejected folders -----------------------------------------------------------------------------

def replace_line(path: Path, old: str, new: str) -> int:
    """Replace the first line equal to ``old``; return its number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    number = lines.index(old)
    lines[number] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    numbers = [n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1) if line == text]
    return numbers[occurrence - 1]


@dataclass
class Breakage:
    """A way to break a course folder: ``apply(folder)`` returns (file at fault, expected lines or None)."""
    apply: object
    reason: str


def _yaml_syntax(folder):
    path = folder / "course.yaml"
    return path, {replace_line(path, "topic: trafficking", "topic: trafficking: labour")}


def _missing_key(folder):
    data = read_yaml(folder)
    del data["summary"]
    write_yaml(folder, data)
    return folder / "course.yaml", None


def _unknown_topic(folder):
    path = folder / "course.yaml"
    return path, {replace_line(path, "topic: trafficking", "topic: cooking")}


def _slug_mismatch(folder):
    path = folder / "course.yaml"
    return path, {replace_line(path, f"slug: {folder.name}", "slug: another-course")}


def _missing_language_file(folder):
    path = lesson_file(folder, "lesson-002", "ar")
    path.unlink()
    return path, None


def _no_front_matter(folder):
    path = lesson_file(folder, "lesson-003", "en")
    path.write_text("## Section\n\nA lesson without front matter.\n", encoding="utf-8")
    return path, {1}


def _front_matter_bad_yaml(folder):
    path = lesson_file(folder, "lesson-001", "fr")
    return path, {replace_line(path, "required: true", 'required: "yes')}


def _front_matter_bad_yaml_mapping(folder):
    path = lesson_file(folder, "lesson-002", "en")
    return path, {replace_line(path, "duration: 10", "duration: 10: minutes")}


def _duration(value):
    def apply(folder):
        path = lesson_file(folder, "lesson-002", "fr")
        return path, {replace_line(path, "duration: 10", f"duration: {value}")}
    return apply


def _duplicate_lesson(folder):
    path = folder / "course.yaml"
    data = read_yaml(folder)
    data["modules"][1]["lessons"].append("lesson-001")
    write_yaml(folder, data)
    # The module's "lessons:" key or the repeated item itself.
    return path, {line_of(path, "  lessons:", 2), line_of(path, "  - lesson-001", 2)}


def _latin1(path: Path, text: str, replacement: bytes) -> set[int]:
    """Write ``text`` (found on one line of the file) as Latin-1 bytes; return that line."""
    line = line_of(path, text)
    path.write_bytes(path.read_bytes().replace(text.encode("utf-8"), replacement, 1))
    return {line}


def _not_utf8_lesson(folder):
    path = lesson_file(folder, "lesson-002", "fr")
    return path, _latin1(path, "## Section", "## Sécurité".encode("latin-1"))


def _not_utf8_course(folder):
    path = folder / "course.yaml"
    return path, _latin1(path, f"  fr: Leçon {folder.name}", f"  fr: Leçon {folder.name}".encode("latin-1"))


BREAKAGES = {
    "invalid YAML in course.yaml": Breakage(_yaml_syntax, "invalid YAML"),
    "missing required key": Breakage(_missing_key, "'summary'"),
    "unknown topic": Breakage(_unknown_topic, "'topic' must be one of"),
    "slug not matching the folder": Breakage(_slug_mismatch, "must match the folder name"),
    "lesson file missing in one language": Breakage(_missing_language_file, "has no ar file"),
    "lesson without front matter": Breakage(_no_front_matter, "front matter"),
    "front matter with unclosed quote": Breakage(_front_matter_bad_yaml, "invalid YAML"),
    "front matter with bad mapping": Breakage(_front_matter_bad_yaml_mapping, "invalid YAML"),
    "duration as a word": Breakage(_duration("ten"), "'duration'"),
    "duration with decimals": Breakage(_duration("12.5"), "'duration'"),
    "duplicate lesson key": Breakage(_duplicate_lesson, "'lesson-001' appears twice"),
    "lesson file not UTF-8": Breakage(_not_utf8_lesson, "not UTF-8"),
    "course.yaml not UTF-8": Breakage(_not_utf8_course, "not UTF-8"),
}


def assert_rejected(result, path: Path, lines: set[int] | None, reason: str) -> None:
    assert result.exit_code == 1, result.output
    assert "nothing was imported" in result.output
    assert re.search(re.escape(str(path)) + r"(:\d+)?: .*" + re.escape(reason), result.output), result.output
    if lines is not None:
        reported = re.search(re.escape(str(path)) + r":(\d+): ", result.output)
        assert reported and int(reported.group(1)) in lines, (lines, result.output)


@pytest.mark.parametrize("breakage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_a_malformed_folder_is_rejected_with_file_line_and_reason_and_writes_nothing(app, runner, tmp_path,
                                                                                      breakage):
    folder = write_course(tmp_path, slug="broken", lessons=4, modules=2)
    path, lines = breakage.apply(folder)

    result = lms(runner, "import-courses", str(folder))

    assert_rejected(result, path, lines, breakage.reason)
    assert snapshot(app) == {model.__tablename__: [] for model in CONTENT_MODELS}


@pytest.mark.parametrize("breakage", [BREAKAGES["duration as a word"], BREAKAGES["duplicate lesson key"]],
                         ids=["bad duration", "duplicate key"])
def test_a_malformed_update_leaves_the_imported_course_untouched(app, runner, tmp_path, breakage):
    folder = write_course(tmp_path, slug="stable", lessons=4, modules=2)
    import_ok(runner, folder)
    before = snapshot(app)
    lesson_file(folder, "lesson-001", "fr").write_text(
        '---\ntitle: "Nouveau titre"\n---\n\nNouveau texte.\n', encoding="utf-8")
    set_layout(folder, {"module-2": ["lesson-004", "lesson-003"], "module-1": ["lesson-002", "lesson-001"]})
    path, lines = breakage.apply(folder)

    result = lms(runner, "import-courses", str(folder))

    assert_rejected(result, path, lines, breakage.reason)
    assert snapshot(app) == before


def test_a_broken_folder_stops_the_import_of_the_folders_before_it(app, runner, tmp_path):
    write_course(tmp_path, slug="a-good-course", lessons=3)
    broken = write_course(tmp_path, slug="b-broken-course", lessons=3)
    path, lines = _unknown_topic(broken)

    result = lms(runner, "import-courses", str(tmp_path))

    assert_rejected(result, path, lines, "'topic' must be one of")
    assert "a-good-course" not in result.output
    assert scalar(app, sa.select(sa.func.count()).select_from(Course)) == 0
    assert scalar(app, sa.select(sa.func.count()).select_from(Lesson)) == 0


# Exporting ------------------------------------------------------------------------------------

RICH_MARKDOWN = """!!! note "À retenir : l'essentiel"
    Un encadré avec **gras** et un appel de note[^1].

| Indicateur | Exemple |
|---|---|
| Documents | Passeport confisqué |

> « Citation » -- avec des guillemets et des tirets --- longs.

[^1]: Protocole de Palerme, article 3."""


def test_export_then_import_round_trips_without_changes(app, runner, tmp_path):
    source = write_course(tmp_path / "source", slug="round-trip", lessons=4, modules=2, extra_markdown=RICH_MARKDOWN)
    data = read_yaml(source)
    data["title"]["fr"] = "Définitions : traite, trafic illicite et exploitation"
    data["summary"]["en"] = "yes"  # a string YAML would read as a boolean if written bare
    data["outcomes"]["ar"].append("# ليس عنوانًا: بل نتيجة")
    data["estimated_hours"] = 6
    write_yaml(source, data)
    lesson_path = lesson_file(source, "lesson-002", "fr")
    replace_line(lesson_path, 'title: "Leçon 2"', "title: 'Titre : avec deux-points, « guillemets » et #dièse'")
    for lang in LANGUAGES:
        path = lesson_file(source, "lesson-003", lang)
        replace_line(path, "duration: 10", "duration: 45")
        replace_line(path, "required: true", "required: false")
    import_ok(runner, source)
    imported = snapshot(app)

    result = lms(runner, "export-course", "round-trip", str(tmp_path / "export"))

    assert result.exit_code == 0, result.output
    exported = tmp_path / "export" / "round-trip"
    assert f"Exported round-trip to {exported}." in result.output
    assert read_yaml(exported) == read_yaml(source)
    names = sorted(path.name for path in (source / "lessons").iterdir())
    assert sorted(path.name for path in (exported / "lessons").iterdir()) == names
    for name in names:
        original_meta, original_body = split_lesson((source / "lessons" / name).read_text(encoding="utf-8"))
        meta, body = split_lesson((exported / "lessons" / name).read_text(encoding="utf-8"))
        assert meta == original_meta, name
        assert body.strip() == original_body.strip(), name

    import_ok(runner, exported)

    assert snapshot(app) == imported


def test_export_leaves_out_retired_lessons_and_modules(runner, tmp_path):
    folder = write_course(tmp_path / "source", slug="shrinking", lessons=6, modules=3)
    import_ok(runner, folder)
    set_layout(folder, {"module-1": ["lesson-001"], "module-3": ["lesson-006", "lesson-005"]})
    import_ok(runner, folder)

    assert lms(runner, "export-course", "shrinking", str(tmp_path / "export")).exit_code == 0

    exported = tmp_path / "export" / "shrinking"
    assert [(module["key"], module["lessons"]) for module in read_yaml(exported)["modules"]] == [
        ("module-1", ["lesson-001"]), ("module-3", ["lesson-006", "lesson-005"])]
    assert sorted(path.name for path in (exported / "lessons").iterdir()) == sorted(
        f"lesson-{number:03d}.{lang}.md" for number in (1, 5, 6) for lang in LANGUAGES)


def test_exporting_an_unknown_course_fails_with_a_message(runner, tmp_path):
    result = lms(runner, "export-course", "no-such-course", str(tmp_path))

    assert result.exit_code == 1
    assert "No course with the slug 'no-such-course'" in result.output
    assert list(tmp_path.iterdir()) == []


# The shipped courses --------------------------------------------------------------------------

SOURCES_HEADING = re.compile(r"^##\s+(Sources|المراجع)\s*$", re.MULTILINE)
MIN_WORDS = 300
MIN_LESSONS = 5


def words(text: str) -> int:
    return sum(1 for token in text.split() if any(character.isalpha() for character in token))


def test_course_folders_lists_every_shipped_course_folder():
    expected = sorted(path for path in CONTENT_ROOT.iterdir() if (path / "course.yaml").is_file())

    assert course_folders() == expected
    assert all(path.parent == CONTENT_ROOT for path in course_folders())


def test_shipped_courses_are_complete(app, runner):
    folders = course_folders()
    if not folders:
        pytest.skip("no course folder is shipped yet")
    problems = []
    for folder in folders:
        data = read_yaml(folder)
        if set(data.get("languages") or []) != set(LANGUAGES):
            problems.append(f"{folder.name}: languages are {data.get('languages')}, not fr, ar and en")
        keys = [key for module in data.get("modules") or [] for key in module.get("lessons") or []]
        if len(keys) < MIN_LESSONS:
            problems.append(f"{folder.name}: {len(keys)} lessons, fewer than {MIN_LESSONS}")
        for key in keys:
            for lang in LANGUAGES:
                path = lesson_file(folder, key, lang)
                if not path.is_file():
                    problems.append(f"{path}: missing")
                    continue
                _meta, body = split_lesson(path.read_text(encoding="utf-8"))
                if words(body) < MIN_WORDS:
                    problems.append(f"{path}: {words(body)} words, fewer than {MIN_WORDS}")
                if not SOURCES_HEADING.search(body):
                    problems.append(f"{path}: no '## Sources' / '## المراجع' section")

    result = lms(runner, "import-courses")

    if result.exit_code != 0:
        problems.append(f"import-courses failed: {result.output}")
    assert not problems, "\n".join(problems)
    for folder in folders:
        keys = [key for module in read_yaml(folder)["modules"] for key in module["lessons"]]
        assert [key for _module, key in current_outline(app, folder.name)] == keys
        course = scalar(app, sa.select(Course).where(Course.slug == folder.name))
        assert course.is_published and course.languages == list(LANGUAGES)


def test_a_duplicate_key_in_course_yaml_is_reported_with_its_line(tmp_path):
    from courses.content_files import ContentError, read_course_folder
    from support import write_course

    folder = write_course(tmp_path, slug="dup-course", lessons=1)
    path = folder / "course.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(1, "topic: media")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        read_course_folder(folder)
    assert "duplicate" in error.value.reason


def test_a_lesson_file_saved_with_a_byte_order_mark_still_imports(tmp_path):
    from courses.content_files import read_course_folder
    from support import write_course

    folder = write_course(tmp_path, slug="bom-course", lessons=1)
    lesson = folder / "lessons" / "lesson-001.fr.md"
    lesson.write_bytes("\ufeff".encode() + lesson.read_bytes())
    spec = read_course_folder(folder)
    assert spec.modules[0].lessons[0].texts["fr"]["title"] == "Leçon 1"
