"""The ``flask lms`` administration commands and ``flask db upgrade``."""

import re
import pytest
from sqlalchemy import func, select, text

from lms.accounts.models import Role, User
from lms.extensions import db
from support import can_sign_in, scalar, user_by_email

PASSWORD = "a long enough passphrase"
OTHER_PASSWORD = "another long passphrase"


# Helpers --------------------------------------------------------------------------------------


def admin_count(app) -> int:
    return scalar(app, select(func.count()).select_from(User).where(User.role == Role.ADMIN))


def lms(runner, *args: str):
    return runner.invoke(args=["lms", *args])


def printed_password(output: str) -> str:
    match = re.search(r"^\s*password:\s*(\S+)\s*$", output, re.IGNORECASE | re.MULTILINE)
    assert match, output
    return match.group(1)


# create-admin ---------------------------------------------------------------------------------

def test_create_admin_creates_an_administrator_who_can_sign_in(app, runner, client, login_as):
    result = lms(runner, "create-admin", "--email", " Root@Example.ORG ", "--password", PASSWORD,
                 "--name", "Rachid Root")

    assert result.exit_code == 0, result.output
    assert "Created administrator root@example.org." in result.output
    assert PASSWORD not in result.output
    admin = user_by_email(app, "root@example.org")
    assert (admin.role, admin.full_name, admin.is_active) == (Role.ADMIN, "Rachid Root", True)
    assert admin.consent_at is not None
    login_as(admin)
    assert client.get("/admin/users").status_code == 200


def test_create_admin_on_an_existing_account_promotes_it_and_replaces_its_password(app, runner, make):
    learner = make.user(email="amina@example.org")

    result = lms(runner, "create-admin", "--email", "AMINA@example.org", "--password", OTHER_PASSWORD)

    assert result.exit_code == 0, result.output
    assert "amina@example.org is now an active administrator" in result.output
    promoted = user_by_email(app, "amina@example.org")
    assert promoted.id == learner.id and promoted.role is Role.ADMIN
    assert scalar(app, select(func.count()).select_from(User)) == 1
    assert can_sign_in(app, "amina@example.org", OTHER_PASSWORD)
    assert not can_sign_in(app, "amina@example.org", PASSWORD)


def test_create_admin_signs_out_the_promoted_accounts_sessions(app, runner, make, login_as):
    learner = make.user(email="amina@example.org")
    browser = app.test_client()
    login_as(learner, target=browser)

    lms(runner, "create-admin", "--email", "amina@example.org", "--password", OTHER_PASSWORD)

    assert browser.get("/account").status_code == 302


def test_create_admin_without_password_generates_and_prints_one(app, runner):
    result = lms(runner, "create-admin", "--email", "root@example.org")

    assert result.exit_code == 0, result.output
    password = printed_password(result.output)
    assert len(password) >= 12
    assert can_sign_in(app, "root@example.org", password)


def test_generated_passwords_differ_between_runs(runner):
    first = printed_password(lms(runner, "create-admin", "--email", "one@example.org").output)
    second = printed_password(lms(runner, "create-admin", "--email", "two@example.org").output)
    assert first != second


@pytest.mark.parametrize("password", ["short", "root@example.org"])
def test_create_admin_refuses_a_weak_password_and_creates_nothing(app, runner, password):
    result = lms(runner, "create-admin", "--email", "root@example.org", "--password", password)
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert user_by_email(app, "root@example.org") is None


def test_create_admin_with_a_weak_password_leaves_an_existing_account_alone(app, runner, make):
    make.user(email="amina@example.org")
    result = lms(runner, "create-admin", "--email", "amina@example.org", "--password", "short")
    assert result.exit_code == 1
    assert user_by_email(app, "amina@example.org").role is Role.LEARNER
    assert can_sign_in(app, "amina@example.org", PASSWORD)


def test_create_admin_requires_an_email(runner):
    result = lms(runner, "create-admin")
    assert result.exit_code == 2
    assert "--email" in result.output


# create-demo-admin ----------------------------------------------------------------------------

def test_create_demo_admin_prints_credentials_once(app, runner):
    first = lms(runner, "create-demo-admin")

    assert first.exit_code == 0, first.output
    assert "admin@example.org" in first.output
    password = printed_password(first.output)
    assert can_sign_in(app, "admin@example.org", password)

    second = lms(runner, "create-demo-admin")

    assert second.exit_code == 0, second.output
    assert "An administrator already exists; no demo account created." in second.output
    assert password not in second.output
    assert not re.search(r"password:", second.output, re.IGNORECASE)
    assert admin_count(app) == 1
    assert can_sign_in(app, "admin@example.org", password)


def test_create_demo_admin_does_nothing_once_any_administrator_exists(app, runner, make):
    make.user(email="zineb@masar.ma", role=Role.ADMIN)
    result = lms(runner, "create-demo-admin")
    assert result.exit_code == 0
    assert user_by_email(app, "admin@example.org") is None
    assert admin_count(app) == 1


# db upgrade -----------------------------------------------------------------------------------

def test_db_upgrade_is_idempotent_and_keeps_data(app, runner, make):
    make.user(email="amina@example.org")
    revision = select(text("version_num")).select_from(text("alembic_version"))
    head = scalar(app, revision)

    for _attempt in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "Running upgrade" not in result.output  # Already at head: no migration runs again.

    assert scalar(app, revision) == head
    assert user_by_email(app, "amina@example.org") is not None


def test_create_admin_records_the_creation_and_a_promotion_in_the_audit_log(app, runner, make):
    from sqlalchemy import select

    from lms.audit import AuditEvent

    existing = make.user(email="promote@example.org")
    runner.invoke(args=["lms", "create-admin", "--email", "new-admin@example.org", "--password", "a long enough passphrase"])
    runner.invoke(args=["lms", "create-admin", "--email", existing.email, "--password", "another long passphrase"])
    with app.app_context():
        actions = [(event.action, event.details) for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("user_created", {"role": "admin"}) in actions
    assert ("role_changed", {"old": "learner", "new": "admin"}) in actions


def test_create_admin_without_a_password_keeps_the_existing_password_and_reactivates(app, runner, make):
    make.user(email="former@example.org", is_active=False)

    result = lms(runner, "create-admin", "--email", "former@example.org")

    assert result.exit_code == 0, result.output
    assert "Password:" not in result.output
    promoted = user_by_email(app, "former@example.org")
    assert promoted.role is Role.ADMIN and promoted.is_active
    assert can_sign_in(app, "former@example.org", PASSWORD)


def test_demo_admin_refuses_politely_when_its_address_belongs_to_a_learner(app, runner, make):
    make.user(email="admin@example.org")

    result = lms(runner, "create-demo-admin")

    assert result.exit_code == 1
    assert "create-admin" in result.output
    assert user_by_email(app, "admin@example.org").role is Role.LEARNER
