"""The committed migrations build exactly the models' schema, and undo it."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.extensions import db


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrated_database_matches_the_models(app):
    """Runs on the suite's database: SQLite locally, PostgreSQL in CI."""
    with app.app_context():
        assert schema_differences(db.engine) == []


def test_migrations_downgrade_to_nothing_and_upgrade_again(tmp_path):
    other = create_app({"MASAR_ENV": "testing", "SECRET_KEY": "migrations",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrations.db'}"})
    with other.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema_differences(db.engine) == []
        db.engine.dispose()
