"""Add questions read from a GIFT or Aiken file to a course's question bank."""

from pathlib import Path

import sqlalchemy as sa

from lms.extensions import db
from lms.yamldoc import ContentError
from quizzes.aiken import parse_aiken
from quizzes.gift import ParsedQuestion, parse_gift, slugify, unique_key
from quizzes.models import Question, QuestionCategory

DEFAULT_CATEGORY = "imported"


def _category(course_id: int, name: str, language: str, categories: list[QuestionCategory],
              taken: set[str]) -> QuestionCategory:
    """The course's category with this title in ``language`` or this key, else a new one."""
    key = slugify(name) or "category"
    for category in categories:
        if (category.titles or {}).get(language) == name:
            return category
    for category in categories:
        if category.key == key:
            return category
    category = QuestionCategory(course_id=course_id, key=unique_key(key, taken), titles={language: name})
    db.session.add(category)
    categories.append(category)
    return category


def import_questions(course, parsed: list[ParsedQuestion], category_override: str | None, language: str) -> int:
    """Insert the questions into ``course``; categories are created as needed and keys made unique.

    ``category_override`` puts every question in that category instead of the one the file names.
    Everything happens in the caller's transaction: this flushes and never commits.
    """
    categories = list(db.session.scalars(sa.select(QuestionCategory).where(QuestionCategory.course_id == course.id)))
    category_keys = {category.key for category in categories}
    question_keys = set(db.session.scalars(sa.select(Question.key).where(Question.course_id == course.id)))
    chosen = {}
    for item in parsed:
        name = (category_override or item.category or DEFAULT_CATEGORY).strip() or DEFAULT_CATEGORY
        chosen[id(item)] = _category(course.id, name, language, categories, category_keys)
    db.session.flush()
    for item in parsed:
        db.session.add(Question(course_id=course.id, category_id=chosen[id(item)].id,
                                key=unique_key(item.key, question_keys), type=item.type, mark=float(item.mark),
                                config=item.config, texts=item.texts, is_retired=False))
    db.session.flush()
    return len(parsed)


def parse_question_file(text: str, filename: str, language: str, file_format: str | None = None):
    """Parse a Moodle GIFT or Aiken file (format from ``file_format`` or the extension); ContentError if bad."""
    file_format = file_format or {".gift": "gift", ".txt": "aiken"}.get(Path(filename).suffix.lower())
    if file_format not in ("gift", "aiken"):
        raise ContentError(Path(filename), None, "cannot tell the format from the extension; choose GIFT or Aiken")
    parse = parse_gift if file_format == "gift" else parse_aiken
    parsed = parse(text, language, path=filename)
    if not parsed:
        raise ContentError(Path(filename), None, "no questions found")
    return parsed
