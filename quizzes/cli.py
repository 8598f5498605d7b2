"""Question bank commands of the ``flask lms`` group."""

from pathlib import Path

import click
import sqlalchemy as sa

from courses.models import Course
from lms.cli import lms_cli
from lms.extensions import db
from lms.i18n import LANGUAGES
from lms.yamldoc import ContentError, read_text
from quizzes.banks import import_banks
from quizzes.gift import export_gift
from quizzes.importing import import_questions, parse_question_file
from quizzes.queries import current_questions


@lms_cli.command("import-banks")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def import_banks_command(path: Path | None) -> None:
    """Import one question bank file, or every bank in PATH (the shipped banks by default).

    Every file is checked before anything is written; the course must be imported first.
    """
    try:
        courses = import_banks(path)
    except ContentError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}; nothing was imported.")
    db.session.commit()
    for course in courses:
        click.echo(f"Imported the question bank of {course.slug}.")


@lms_cli.command("import-questions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "slug", required=True, help="Slug of the course that receives the questions.")
@click.option("--category", help="Put every question in this category (created if needed).")
@click.option("--lang", "language", type=click.Choice(LANGUAGES), default="fr", show_default=True,
              help="Language of the file's texts.")
@click.option("--format", "file_format", type=click.Choice(["gift", "aiken"]),
              help="File format; guessed from the extension (.gift, .txt) when not given.")
def import_questions_command(file: Path, slug: str, category: str | None, language: str,
                             file_format: str | None) -> None:
    """Add the questions of a Moodle GIFT or Aiken FILE to a course's question bank.

    The whole file is checked first: on any error nothing is written.
    """
    if file_format is None and file.suffix.lower() not in (".gift", ".txt"):
        raise click.ClickException(f"{file}: cannot tell the format from the extension; give --format gift or aiken.")
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course with the slug {slug!r}; nothing was imported.")
    try:
        parsed = parse_question_file(read_text(file), str(file), language, file_format)
        count = import_questions(course, parsed, category, language)
    except ContentError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}; nothing was imported.")
    db.session.commit()
    click.echo(f"Imported {count} question{'s' if count != 1 else ''}.")


@lms_cli.command("export-gift")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", "language", type=click.Choice(LANGUAGES), default="fr", show_default=True,
              help="Language of the exported texts.")
def export_gift_command(slug: str, file: Path, language: str) -> None:
    """Write the current questions of course SLUG to FILE in Moodle's GIFT format."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course with the slug {slug!r}.")
    questions = current_questions(course.id)
    file.write_text(export_gift(questions, language), encoding="utf-8")
    click.echo(f"Exported {len(questions)} question{'s' if len(questions) != 1 else ''} to {file}.")
