"""Fixtures shared by the whole suite.

The database comes from ``TEST_DATABASE_URL`` (PostgreSQL in CI) or a temporary SQLite file.
The schema is built once per run by the real Alembic migrations; every test starts on empty
tables.
"""

import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from lms import create_app
from lms.accounts.models import Gender, Role, User
from lms.db import utcnow
from lms.extensions import db as _db
from lms.extensions import limiter
from lms.mail import outbox
from lms.organizations.models import (
    Organization,
    OrganizationStatus,
    OrganizationType,
    name_key,
)
from lms.organizations.regions import Region
from lms.security import hash_password

PASSWORD = "a long enough passphrase"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client(FlaskClient):
    """A test client that can send forms with a valid CSRF token, as a browser would."""

    def csrf_token(self) -> str:
        page = self.get("/").get_data(as_text=True)
        match = CSRF_INPUT.search(page)
        assert match, "no CSRF token on the home page"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


def _compile_catalogs() -> None:
    """Compile the .po catalogs so the suite runs on a fresh clone without a separate step."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (Path(__file__).resolve().parent.parent / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)


def _reset_schema(app) -> None:
    with app.app_context():
        _db.drop_all()
        with _db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    _compile_catalogs()
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'masar.db'}"
    app = create_app(
        {
            "MASAR_ENV": "testing",
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            "SUBMISSION_FOLDER": str(tmp_path_factory.mktemp("submissions")),
            "CREDENTIAL_KEY_FOLDER": str(tmp_path_factory.mktemp("credential-keys")),
        }
    )
    app.test_client_class = Client
    _reset_schema(app)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(app):
    """Empty every table, the outbox and the rate limiter after each test."""
    yield
    with app.app_context():
        _db.session.remove()
        tables = [table.name for table in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(sa.text(f"DELETE FROM {table}"))
        outbox().clear()
    limiter.reset()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def mail_outbox(app):
    with app.app_context():
        return outbox()


@dataclass
class Factories:
    app: object
    counter: int = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def organization(self, name=None, type=OrganizationType.CIVIL_SOCIETY, status=OrganizationStatus.APPROVED,
                     city="Rabat", region=Region.RABAT_SALE_KENITRA) -> Organization:
        name = name or f"Association {self._next()}"
        with self.app.app_context():
            organization = Organization(name=name, name_key=name_key(name), type=type, city=city,
                                        region=region, status=status)
            _db.session.add(organization)
            _db.session.commit()
            _db.session.refresh(organization)
            _db.session.expunge(organization)
            return organization

    def user(self, email=None, password=PASSWORD, role=Role.LEARNER, organization=None, **fields) -> User:
        number = self._next()
        values = {
            "full_name": f"Learner {number}",
            "gender": Gender.FEMALE,
            "profession": "Social worker",
            "city": "Rabat",
            "region": Region.RABAT_SALE_KENITRA,
            "locale": "fr",
            "consent_at": utcnow(),
        }
        values.update(fields)
        with self.app.app_context():
            user = User(
                email=email or f"user{number}@example.org",
                role=role,
                password_hash=hash_password(password) if password else None,
                organization_id=organization.id if organization else None,
                **values,
            )
            _db.session.add(user)
            _db.session.commit()
            _db.session.refresh(user)
            _db.session.expunge(user)
            return user


    def course(self, slug=None, publish=True, **options):
        """Write a course folder (see support.write_course), import it and return the Course."""
        import tempfile
        from pathlib import Path

        from support import write_course

        from courses.content_files import import_course, read_course_folder

        slug = slug or f"course-{self._next()}"
        folder = write_course(Path(tempfile.mkdtemp()), slug=slug, **options)
        with self.app.app_context():
            course = import_course(read_course_folder(folder), publish=publish)
            _db.session.commit()
            _db.session.refresh(course)
            _db.session.expunge(course)
            return course


@pytest.fixture
def make(app) -> Factories:
    """Factories: ``make.user(...)`` and ``make.organization(...)`` return detached, loaded objects."""
    return Factories(app)


@pytest.fixture
def login_as(client):
    """Sign ``client`` in through the real form; returns the response."""

    def login(user, password=PASSWORD, target=client):
        response = target.post_form("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return login


@pytest.fixture
def admin(make) -> User:
    return make.user(email="zineb@masar.ma", full_name="Zineb Admin", role=Role.ADMIN, locale="en")


@pytest.fixture
def admin_client(client, login_as, admin) -> Client:
    """The test client, signed in as the administrator."""
    login_as(admin)
    return client


@pytest.fixture
def count_queries(app):
    """``with count_queries() as queries:`` collects the SQL statements run inside the block."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)

    return counting


# Browser tests ---------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_server(app):
    """The application served over HTTP on a free loopback port, in a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
