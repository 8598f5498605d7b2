"""Account operations shared by the web views, the CLI and the tests."""

import re
import smtplib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts import tokens
from lms.accounts.models import Gender, Role, User
from lms.audit import record_event
from lms.db import utcnow
from lms.errors import DomainError, flush_or_conflict
from lms.extensions import db
from lms.mail import external_url, send_mail
from lms.organizations.models import Organization, OrganizationStatus
from lms.organizations.regions import Region
from lms.organizations.services import OrganizationDetails, propose_organization
from lms.security import (
    hash_password,
    password_needs_rehash,
    spend_password_check_time,
    verify_password,
)

MIN_PASSWORD_LENGTH = 10
# Arabic letters (with the supplement and extended blocks), spaces, apostrophes, hyphens, dots.
ARABIC_NAME = re.compile(r"^[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\s'\-\.]+$")


@dataclass(frozen=True)
class OrganizationChoice:
    """An existing organization, a proposed new one, or neither (an individual learner)."""

    organization_id: int | None = None
    proposal: OrganizationDetails | None = None


@dataclass(frozen=True)
class Profile:
    full_name: str
    gender: Gender
    profession: str
    city: str
    region: Region | None
    locale: str
    organization: OrganizationChoice | None  # None keeps the current organization
    full_name_ar: str | None = None


def normalize_email(email: str) -> str:
    """Addresses are compared and stored in lower case, without surrounding spaces."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The account using this address, whatever its case."""
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def check_password_rules(password: str, email: str = "") -> None:
    """Raise a DomainError when a new password is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH), field="password"
        )
    if email and password.strip().lower() == normalize_email(email):
        raise DomainError(_("Your password must not be your email address."), field="password")


def _resolve_organization(choice: OrganizationChoice, current_id: int | None = None) -> Organization | None:
    """The organization chosen; a member may keep their current one while it awaits approval."""
    if choice.proposal is not None:
        return propose_organization(choice.proposal)
    if choice.organization_id is None:
        return None
    organization = db.session.get(Organization, choice.organization_id)
    if organization is None or (
        organization.status is not OrganizationStatus.APPROVED and organization.id != current_id
    ):
        raise DomainError(_("Choose an organization from the list."), field="organization")
    return organization


def _apply_profile(user: User, profile: Profile) -> None:
    user.full_name = profile.full_name.strip()
    user.full_name_ar = (profile.full_name_ar or "").strip() or None
    user.gender = profile.gender
    user.profession = profile.profession.strip()
    user.city = profile.city.strip()
    user.region = profile.region
    user.locale = profile.locale
    if profile.organization is not None:
        user.organization = _resolve_organization(profile.organization, user.organization_id)


# Functions run with each new account, in its transaction (cohorts link paper records to it).
REGISTRATION_HOOKS: list = []


def register_user(email: str, password: str, profile: Profile, consent: bool) -> User:
    """Create a learner account from the public registration form."""
    if not consent:
        raise DomainError(_("You must agree to the processing of your personal data."), field="consent")
    if find_user_by_email(email):
        raise DomainError(_("An account with this email address already exists."), field="email")
    check_password_rules(password, email)
    user = User(email=normalize_email(email), role=Role.LEARNER, consent_at=utcnow())
    _apply_profile(user, profile)
    user.password_hash = hash_password(password)
    db.session.add(user)
    flush_or_conflict(_("An account with this email address already exists."), field="email")
    record_event("registered", actor=user, target=user)
    for hook in REGISTRATION_HOOKS:
        hook(user)
    return user


def update_profile(user: User, profile: Profile) -> None:
    """Save the profile fields a user may edit themselves; a manager cannot move organization."""
    if (
        user.role is Role.MANAGER
        and profile.organization is not None
        and profile.organization != OrganizationChoice(organization_id=user.organization_id)
    ):
        raise DomainError(
            _("Your organization is set by an administrator because you manage it."), field="organization"
        )
    _apply_profile(user, profile)


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; failures are audited."""
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        spend_password_check_time(password)
        valid = False
    else:
        # Check the password before the status, so a deactivated account answers as slowly.
        valid = verify_password(user.password_hash, password)
    if not valid or not user.is_active:
        record_event("sign_in_failed", target=user, email=normalize_email(email)[:254])
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_sign_in(user: User) -> None:
    """Note the time of a successful sign-in and audit it."""
    user.last_login_at = utcnow()
    record_event("sign_in", actor=user, target=user)


def set_password(user: User, password: str) -> None:
    """Set a new password and sign out every other session of the account."""
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    user.rotate_session_token()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; other sessions end."""
    if not verify_password(user.password_hash, current_password):
        raise DomainError(_("Your current password is not correct."), field="current_password")
    set_password(user, new_password)
    record_event("password_changed", actor=user, target=user)


def send_password_reset(email: str) -> None:
    """Mail a reset link if an active account uses this address; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = tokens.make_token(user, "reset")
    send_mail(
        user.email,
        _l("Reset your Masar password"),
        "mail/password_reset.txt",
        locale=user.locale,
        user=user,
        hours=tokens.lifetime("reset"),
        link=external_url("accounts.reset_password", token=token),
    )


def reset_password(token: str, password: str, consent: bool = False) -> User:
    """Use a reset or invitation link once to set a password."""
    found = tokens.read_token(token, "reset") or tokens.read_token(token, "invite")
    if found is None:
        raise DomainError(_("This link is invalid, has expired or was already used."))
    user, _payload = found
    if user.consent_at is None:
        if not consent:
            raise DomainError(
                _("You must agree to the processing of your personal data."), field="consent"
            )
        user.consent_at = utcnow()
    set_password(user, password)
    record_event("password_reset", actor=user, target=user)
    return user


def user_for_token(token: str) -> User | None:
    """The account a valid reset or invitation link belongs to."""
    found = tokens.read_token(token, "reset") or tokens.read_token(token, "invite")
    return found[0] if found else None


@dataclass(frozen=True)
class Invitation:
    """What an invitation mail needs, read before a commit expires the account."""

    email: str
    full_name: str
    locale: str
    token: str


def prepare_invitation(user: User) -> Invitation:
    """A set-your-password invitation for a flushed account that has no password yet."""
    return Invitation(user.email, user.full_name, user.locale, tokens.make_token(user, "invite"))


def send_invitations(invitations: list[Invitation]) -> list[str]:
    """Mail each invitation; return the addresses that could not be reached, which are logged."""
    failed = []
    for invitation in invitations:
        try:
            send_mail(
                invitation.email,
                _l("You are invited to Masar"),
                "mail/invitation.txt",
                locale=invitation.locale,
                user=invitation,
                days=tokens.lifetime("invite", unit=24 * 3600),
                link=external_url("accounts.reset_password", token=invitation.token),
            )
        except (smtplib.SMTPException, OSError):
            current_app.logger.exception("invitation to %s not sent", invitation.email)
            failed.append(invitation.email)
    return failed


def request_email_change(user: User, password: str, new_email: str) -> None:
    """Check the password and mail a confirmation link to the new address."""
    if not verify_password(user.password_hash, password):
        raise DomainError(_("Your current password is not correct."), field="password")
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise DomainError(_("This is already your email address."), field="email")
    if find_user_by_email(new_email):
        raise DomainError(_("An account with this email address already exists."), field="email")
    token = tokens.make_token(user, "email", email=new_email)
    send_mail(
        new_email,
        _l("Confirm your new email address"),
        "mail/email_change.txt",
        locale=user.locale,
        user=user,
        hours=tokens.lifetime("email"),
        link=external_url("accounts.confirm_email", token=token),
    )


def email_change_request(token: str, user: User) -> str | None:
    """The new address carried by a valid email-change link for ``user``."""
    found = tokens.read_token(token, "email")
    if found is None or found[0].id != user.id:
        return None
    return found[1]["email"]


def confirm_email_change(token: str, user: User) -> str:
    """Switch the account to the address in a valid link; returns the old address."""
    new_email = email_change_request(token, user)
    if new_email is None:
        raise DomainError(_("This link is invalid, has expired or was already used."))
    if find_user_by_email(new_email):
        raise DomainError(_("An account with this email address already exists."))
    old_email = user.email
    user.email = new_email
    flush_or_conflict(_("An account with this email address already exists."))
    record_event("email_changed", actor=user, target=user, old=old_email, new=new_email)
    return old_email


def send_email_changed_notice(old_email: str, user: User) -> None:
    """Tell the previous address that the account now uses another one."""
    send_mail(
        old_email,
        _l("Your Masar email address was changed"),
        "mail/email_changed.txt",
        locale=user.locale,
        user=user,
    )


def create_user(
    email: str, full_name: str, role: Role, password: str | None = None, actor: User | None = None, **fields
) -> User:
    """Create an account on behalf of an administrator or the command line."""
    if find_user_by_email(email):
        raise DomainError(_("An account with this email address already exists."), field="email")
    user = User(email=normalize_email(email), full_name=full_name.strip(), role=role, **fields)
    if password is not None:
        check_password_rules(password, email)
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("user_created", actor=actor, target=user, role=role.value)
    return user


def administrator_exists() -> bool:
    """Whether any account, active or not, is an administrator."""
    return db.session.scalar(sa.select(sa.exists().where(User.role == Role.ADMIN)))


def _active_admin_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active)
    )


def change_role(actor: User | None, user: User, role: Role) -> None:
    """Give ``user`` a new role; the last active administrator keeps theirs."""
    if user.role is role:
        return
    if user.role is Role.ADMIN and user.is_active and _active_admin_count() <= 1:
        raise DomainError(_("The last administrator cannot lose that role."), field="role")
    record_event("role_changed", actor=actor, target=user, old=user.role.value, new=role.value)
    user.role = role


def assign_organization(actor: User, user: User, organization_id: int | None) -> None:
    """Attach an account to an approved organization, or to none."""
    organization = _resolve_organization(OrganizationChoice(organization_id=organization_id), user.organization_id)
    if user.organization_id == (organization.id if organization else None):
        return
    record_event(
        "organization_changed", actor=actor, target=user,
        old=user.organization.name if user.organization else None,
        new=organization.name if organization else None,
    )
    user.organization = organization


def set_active(actor: User | None, user: User, active: bool) -> None:
    """Deactivate or reactivate an account; deactivation ends its sessions at once."""
    if user.is_active == active:
        return
    if not active:
        if user.id == actor.id:
            raise DomainError(_("You cannot deactivate your own account."))
        if user.role is Role.ADMIN and _active_admin_count() <= 1:
            raise DomainError(_("The last administrator cannot be deactivated."))
        user.rotate_session_token()
    user.is_active = active
    record_event("user_reactivated" if active else "user_deactivated", actor=actor, target=user)


def set_locale(user: User, locale: str) -> None:
    """Remember the account's interface language."""
    user.locale = locale
