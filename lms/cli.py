"""The ``flask lms`` command group: administration from the shell."""

import secrets
from datetime import datetime
from pathlib import Path
from time import perf_counter

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lms.accounts import services
from lms.accounts.importing import ImportFailed, import_users
from lms.accounts.models import Role
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.reports.facts import rebuild

lms_cli = AppGroup("lms", help="Masar administration commands.")

DEMO_ADMIN_EMAIL = "admin@example.org"


@lms_cli.command("create-admin")
@click.option("--email", required=True, help="Email address of the administrator.")
@click.option("--password", help="New password; generated and printed for a new account when omitted.")
@click.option("--name", default="Administrator", show_default=True, help="Full name of a new account.")
def create_admin(email: str, password: str | None, name: str) -> None:
    """Create an administrator, or promote (and reactivate) an existing account.

    An existing account keeps its password unless --password is given.
    """
    user = services.find_user_by_email(email)
    generated = password is None and (user is None or not user.has_password)
    if generated:
        password = secrets.token_urlsafe(12)
    try:
        if user is None:
            user = services.create_user(email, name, Role.ADMIN, password=password, consent_at=utcnow())
            click.echo(f"Created administrator {user.email}.")
        else:
            services.change_role(None, user, Role.ADMIN)
            services.set_active(None, user, True)
            if password is not None:
                services.set_password(user, password)
            click.echo(f"{user.email} is now an active administrator.")
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    if generated:
        click.echo(f"Password: {password}")


@lms_cli.command("create-demo-admin")
def create_demo_admin() -> None:
    """Create the demo administrator once, printing its credentials; later runs do nothing."""
    if services.administrator_exists():
        click.echo("An administrator already exists; no demo account created.")
        return
    password = secrets.token_urlsafe(12)
    try:
        services.create_user(DEMO_ADMIN_EMAIL, "Demo administrator", Role.ADMIN, password=password,
                             consent_at=utcnow())
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{DEMO_ADMIN_EMAIL}: {error.message} Use create-admin instead.")
    db.session.commit()
    click.echo("=" * 60)
    click.echo("Demo administrator created. These credentials are shown only once:")
    click.echo(f"  email:    {DEMO_ADMIN_EMAIL}")
    click.echo(f"  password: {password}")
    click.echo("=" * 60)


@lms_cli.command("import-users")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-invite", is_flag=True, help="Do not email new users a set-your-password link.")
def import_users_command(path: Path, no_invite: bool) -> None:
    """Create or update users from a CSV file (UTF-8); nothing is written if any row is invalid."""
    try:
        result = import_users(path.read_bytes(), filename=path.name)
    except ImportFailed as failure:
        db.session.rollback()
        for error in failure.errors:
            where = f"row {error.row}" + (f", column {error.column}" if error.column else "")
            click.echo(f"{where}: {error.message}", err=True)
        raise click.ClickException(f"{len(failure.errors)} error(s); nothing was imported.")
    db.session.commit()
    click.echo(f"Created {result.created} user(s), updated {result.updated}.")
    if not no_invite:
        with mail_context():
            failed = services.send_invitations(result.invitations)
        for email in failed:
            click.echo(f"invitation not sent: {email}", err=True)


@lms_cli.command("seed-synthetic")
@click.option("--learners", type=click.IntRange(min=1), required=True, help="Number of synthetic learners to create.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seed of the random generator: the same seed gives the same data.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]),
              help="Day the three-year history ends (at midnight UTC); today when omitted.")
@click.option("--password", help="Password of every synthetic account; without it they cannot sign in.")
def seed_synthetic_command(learners: int, seed: int, until: datetime | None, password: str | None) -> None:
    """Fill the database with synthetic learners, enrolments, progress, certificates and workshops.

    For reports and benchmarks, never for a production database. Uses the published courses
    (the demo courses are imported first when there are none) and refuses to run twice.
    """
    from lms.synthetic import SyntheticDataExists, seed_synthetic  # with its bulk loader, only for this command

    if current_app.config["MASAR_ENV"] == "production":
        raise click.ClickException("Refusing to add synthetic data to a production instance (MASAR_ENV=production).")
    if until is not None and until.date() > utcnow().date():
        raise click.BadParameter("cannot be in the future.", param_hint="--until")
    started = perf_counter()
    try:
        counts = seed_synthetic(learners, seed, until=until.date() if until else None, password=password,
                                echo=click.echo)
    except (SyntheticDataExists, DomainError) as error:
        db.session.rollback()
        raise click.ClickException(getattr(error, "message", str(error)))
    db.session.commit()
    click.echo("Created " + ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in counts.items())
               + f" in {perf_counter() - started:.1f} s.")


@lms_cli.command("rebuild-report-facts")
def rebuild_report_facts_command() -> None:
    """Write the reports' summary table again from the source tables.

    The application keeps it in step on every commit; run this after changing enrolments,
    certificates, attendance, profiles or organizations outside it (SQL, a restored backup).
    """
    started = perf_counter()
    rows = rebuild()
    click.echo(f"Wrote {rows} report facts in {perf_counter() - started:.1f} s.")


def mail_context():
    """Links in mails sent from the shell point at the public address in BASE_URL."""
    return current_app.test_request_context(base_url=current_app.config["BASE_URL"])


def init_app(app: Flask) -> None:
    app.cli.add_command(lms_cli)
