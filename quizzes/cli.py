"""Question bank commands of the ``flask lms`` group."""

from pathlib import Path

import click

from lms.cli import lms_cli
from lms.extensions import db
from lms.yamldoc import ContentError
from quizzes.banks import import_banks


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
