"""Small helpers the test modules share: reading the database on a fresh session, and common checks.

Requests never share the test's session: each read opens its own application context.
"""

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit import AuditEvent
from lms.extensions import db


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
