"""Creating, proposing, approving and merging organizations."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.audit import record_event
from lms.errors import DomainError, flush_or_conflict
from lms.extensions import db
from lms.organizations.models import (
    Organization,
    OrganizationStatus,
    OrganizationType,
    name_key,
)
from lms.organizations.regions import Region


@dataclass(frozen=True)
class OrganizationDetails:
    name: str
    type: OrganizationType
    city: str = ""
    region: Region | None = None


def find_by_name(name: str) -> Organization | None:
    """The organization with this name, ignoring case and spacing."""
    return db.session.scalar(sa.select(Organization).where(Organization.name_key == name_key(name)))


def approved_organizations() -> list[Organization]:
    """Organizations anyone may choose, by name."""
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.status == OrganizationStatus.APPROVED)
            .order_by(Organization.name)
        )
    )


def organizations_offered_to(user) -> list[Organization]:
    """Approved organizations, plus the user's own while it awaits approval."""
    organizations = approved_organizations()
    if user.organization is not None and user.organization.is_pending:
        organizations.append(user.organization)
    return organizations


def create_organization(details: OrganizationDetails) -> Organization:
    """Create an approved organization; its name must be new."""
    if find_by_name(details.name):
        raise DomainError(_("An organization with this name already exists."), field="name")
    organization = Organization(
        name=" ".join(details.name.split()),
        name_key=name_key(details.name),
        type=details.type,
        city=details.city.strip(),
        region=details.region,
        status=OrganizationStatus.APPROVED,
    )
    db.session.add(organization)
    flush_or_conflict(_("An organization with this name already exists."), field="name")
    return organization


def propose_organization(details: OrganizationDetails) -> Organization:
    """A learner's proposal: reuse the organization of that name, else create it pending approval."""
    existing = find_by_name(details.name)
    if existing:
        return existing
    organization = create_organization(details)
    organization.status = OrganizationStatus.PENDING
    return organization


def update_organization(organization: Organization, details: OrganizationDetails) -> None:
    """Rename or re-describe an organization; the new name must not belong to another."""
    other = find_by_name(details.name)
    if other is not None and other.id != organization.id:
        raise DomainError(_("An organization with this name already exists."), field="name")
    organization.name = " ".join(details.name.split())
    organization.name_key = name_key(details.name)
    organization.type = details.type
    organization.city = details.city.strip()
    organization.region = details.region
    flush_or_conflict(_("An organization with this name already exists."), field="name")


def approve_organization(actor, organization: Organization) -> None:
    """Make a proposed organization available to everyone."""
    organization.status = OrganizationStatus.APPROVED
    record_event("organization_approved", actor=actor, organization=organization.name)


def merge_organization(actor, source: Organization, target: Organization) -> int:
    """Move every member of ``source`` into ``target`` and delete ``source``; returns members moved."""
    if source.id == target.id:
        raise DomainError(_("An organization cannot be merged into itself."), field="target")
    moved = db.session.execute(
        sa.update(User).where(User.organization_id == source.id).values(organization_id=target.id)
    ).rowcount
    # ``target`` is record_event's own keyword (the user concerned): name the organization ``into``.
    record_event(
        "organization_merged", actor=actor, source=source.name, into=target.name, members=moved
    )
    db.session.delete(source)
    db.session.flush()
    return moved
