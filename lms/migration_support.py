"""Flask-Migrate, imported when a migration runs rather than by every web worker.

Flask-Migrate brings Alembic, Mako and Pygments: about 10 MB that serving pages never uses. The
application registers what Flask-Migrate would (``app.extensions["migrate"]`` and the ``flask db``
commands) in a form that imports it on first use; ``flask db …`` and ``flask_migrate.upgrade()`` work as
before.
"""

import functools

import click
from flask import Flask


class MigrateConfig:
    """What Flask-Migrate keeps in ``app.extensions["migrate"]``; its ``Migrate`` is made when first asked for."""

    def __init__(self, db, directory: str):
        self.db = db
        self.directory = directory
        self.configure_args = {"compare_type": True, "render_as_batch": True}  # Flask-Migrate's defaults

    @functools.cached_property
    def migrate(self):
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **self.configure_args)

    @property
    def metadata(self):
        return self.db.metadata


class DeferredGroup(click.Command):
    """A command group listed under its name and help, loaded by ``load()`` only when it is run."""

    def __init__(self, name: str, load, help: str):
        super().__init__(name, help=help)
        self._load = load

    def make_context(self, info_name, args, parent=None, **extra):
        return self._load().make_context(info_name, args, parent=parent, **extra)


def _migration_commands() -> click.Group:
    from flask_migrate.cli import db

    return db


def init_app(app: Flask, db, directory: str) -> None:
    app.extensions["migrate"] = MigrateConfig(db, directory)
    app.cli.add_command(DeferredGroup("db", _migration_commands, help="Perform database migrations."))
