"""Course commands of the ``flask lms`` group."""

from pathlib import Path

import click

from courses.cohorts.services import send_session_reminders
from courses.content_files import ContentError, export_course, import_courses
from lms.cli import lms_cli, mail_context
from lms.extensions import db


@lms_cli.command("import-courses")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_courses_command(path: Path | None) -> None:
    """Import one course folder, or every course folder under PATH (the shipped courses by default).

    Every folder is checked before anything is written; importing again updates text and order
    and keeps learners' progress.
    """
    try:
        courses = import_courses(path)
    except ContentError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}; nothing was imported.")
    db.session.commit()
    for course in courses:
        click.echo(f"Imported {course.slug} (version {course.version}).")
    if not courses:
        click.echo("No course folder found.")


@lms_cli.command("export-course")
@click.argument("slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_course_command(slug: str, directory: Path) -> None:
    """Write course SLUG to DIRECTORY/SLUG in the import format."""
    try:
        folder = export_course(slug, directory)
    except LookupError:
        raise click.ClickException(f"No course with the slug {slug!r}.")
    click.echo(f"Exported {slug} to {folder}.")


@lms_cli.command("send-session-reminders")
def send_session_reminders_command() -> None:
    """Remind cohort members of the sessions held tomorrow (run once a day, for example from cron)."""
    with mail_context():
        sent = send_session_reminders()
    db.session.commit()
    click.echo(f"Sent {sent} session reminder(s).")
