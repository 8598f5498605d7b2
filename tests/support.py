"""Small helpers the test modules share: reading the database on a fresh session, and common checks.

Requests never share the test's session: each read opens its own application context.
"""

import os

import sqlalchemy as sa
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit import AuditEvent
from lms.extensions import db


# The same source as conftest's ``app`` fixture, readable when tests are collected.
ON_POSTGRESQL = sa.engine.make_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://").get_backend_name() == "postgresql"


def scalar(app, statement):
    """One value, read on a fresh session."""
    with app.app_context():
        return db.session.scalar(statement)


def scalars(app, statement) -> list:
    with app.app_context():
        return list(db.session.scalars(statement))


def reload(app, user: User) -> User:
    """The account as the database has it now."""
    with app.app_context():
        return db.session.get(User, user.id)


def user_by_email(app, email: str) -> User | None:
    return scalar(app, select(User).where(User.email == email))


def count(app, model, *conditions) -> int:
    return scalar(app, select(func.count()).select_from(model).where(*conditions))


def events(app, action: str) -> list[AuditEvent]:
    """Audit events of one kind, oldest first."""
    return scalars(app, select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))


def can_sign_in(app, email: str, password: str) -> bool:
    """Whether the real sign-in form accepts these credentials, on a fresh browser."""
    return app.test_client().post_form("/login", {"email": email, "password": password}).status_code == 302


def is_signed_in(client) -> bool:
    response = client.get("/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def write_course(root, slug="sample-course", lessons=5, languages=("fr", "ar", "en"), modules=1,
                 words=60, version=1, extra_markdown=""):
    """Write a valid course folder under ``root`` with ``lessons`` lessons spread over ``modules``."""
    import yaml

    folder = root / slug
    (folder / "lessons").mkdir(parents=True, exist_ok=True)
    keys = [f"lesson-{number:03d}" for number in range(1, lessons + 1)]
    per_module = max(1, -(-lessons // modules))
    names = {"fr": "Leçon", "ar": "الدرس", "en": "Lesson"}
    data = {
        "slug": slug,
        "version": version,
        "topic": "trafficking",
        "audience": ["social-workers", "civil-society"],
        "estimated_hours": 2.5,
        "languages": list(languages),
        "title": {lang: f"{names[lang]} {slug}" for lang in languages},
        "summary": {lang: f"Summary {lang} of {slug}" for lang in languages},
        "outcomes": {lang: [f"Outcome one {lang}", f"Outcome two {lang}"] for lang in languages},
        "modules": [
            {"key": f"module-{index + 1}", "title": {lang: f"Module {index + 1} {lang}" for lang in languages},
             "lessons": keys[index * per_module:(index + 1) * per_module]}
            for index in range(modules) if keys[index * per_module:(index + 1) * per_module]
        ],
    }
    (folder / "course.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for number, key in enumerate(keys, start=1):
        for lang in languages:
            body = " ".join(["word"] * words)
            (folder / "lessons" / f"{key}.{lang}.md").write_text(
                f"---\ntitle: \"{names[lang]} {number}\"\nduration: 10\nrequired: true\n---\n\n"
                f"## Section\n\n{body}\n\n{extra_markdown}\n\n## Sources\n\n- Source\n",
                encoding="utf-8",
            )
    return folder
