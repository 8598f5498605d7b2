"""The one place that says which role may do what; views and templates both ask ``can()``."""

from functools import wraps

from flask import abort
from flask_login import current_user

from lms.accounts.models import Role

PERMISSIONS: dict[str, frozenset[Role]] = {
    "admin.access": frozenset({Role.ADMIN}),
    "users.manage": frozenset({Role.ADMIN}),
    "users.import": frozenset({Role.ADMIN}),
    "organizations.manage": frozenset({Role.ADMIN}),
    "organization.view_members": frozenset({Role.MANAGER, Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN}),
    "courses.author": frozenset({Role.TRAINER, Role.ADMIN}),
    "certificates.issue": frozenset({Role.TRAINER, Role.ADMIN}),
    "certificates.manage": frozenset({Role.ADMIN}),
    # Managers see their organization's figures, trainers their cohorts', administrators all.
    "reports.view": frozenset({Role.MANAGER, Role.TRAINER, Role.ADMIN}),
}


def can(permission: str, user=None) -> bool:
    """Whether ``user`` (the signed-in user by default) holds ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    user = current_user if user is None else user
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return user.role in PERMISSIONS[permission]


def permission_required(permission: str):
    """Guard a view: guests are sent to sign in, signed-in users without the right get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from lms.extensions import login_manager

                return login_manager.unauthorized()
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
