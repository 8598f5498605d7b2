"""Flask-Login wiring: sessions are keyed by the user's rotating session token."""

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(User.session_token == session_token, User.is_active)
    )


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
