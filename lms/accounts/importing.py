"""Bulk import of users from a CSV file: validate every row first, then write all or nothing."""

import csv
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.accounts.models import Gender, Role, User
from lms.accounts.services import (
    ARABIC_NAME,
    Invitation,
    change_role,
    normalize_email,
    prepare_invitation,
)
from lms.audit import record_event
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.organizations.models import (
    Organization,
    OrganizationStatus,
    OrganizationType,
    name_key,
)
from lms.organizations.regions import Region

COLUMNS = (
    "email",
    "full_name",
    "full_name_ar",
    "gender",
    "organization",
    "organization_type",
    "profession",
    "city",
    "region",
    "language",
    "role",
)
REQUIRED_COLUMNS = ("email", "full_name")
MAX_LENGTHS = {"email": 254, "full_name": 200, "full_name_ar": 200, "organization": 200,
               "profession": 200, "city": 100}
MAX_ROWS = 5000
FORMULA_START = re.compile(r"^[=+\-@\t\r]")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    invitations: list[Invitation] = field(default_factory=list)
    users: list[User] = field(default_factory=list)  # every row's account, in file order


class ImportFailed(Exception):
    """The file was rejected; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def _label_index(enum_cls) -> dict[str, object]:
    """Codes and labels in every language, folded, mapped to enum members."""
    index = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            for member in enum_cls:
                index[member.label.casefold()] = member
    for member in enum_cls:
        index[member.value.casefold()] = member
    return index


def _read_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([RowError(0, "", _("The file is not encoded in UTF-8. Save it as “CSV UTF-8” and try again."))])
    if not text.strip():
        raise ImportFailed([RowError(0, "", _("The file is empty."))])
    first_line = text.splitlines()[0]
    # Only the delimiter is guessed: a sniffed dialect turns off doubled quotes ("") when the
    # header has no quotes, which garbles cells such as "Association ""Amal"", Rabat".
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as error:
        raise ImportFailed([RowError(reader.line_num, "", _("The file is not valid CSV: %(reason)s", reason=str(error)))])
    header = [cell.strip().lower() for cell in rows[0]]
    return header, [dict(zip(header, row)) | {"__width__": str(len(row))} for row in rows[1:]]


def _check_header(header: list[str]) -> list[RowError]:
    errors = []
    for name in header:
        if name not in COLUMNS:
            errors.append(RowError(1, name, _("Unknown column. Allowed columns: %(columns)s.", columns=", ".join(COLUMNS))))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            errors.append(RowError(1, name, _("This column is required.")))
    if len(set(header)) != len(header):
        errors.append(RowError(1, "", _("A column appears twice.")))
    return errors


def validate_users_csv(data: bytes) -> list[dict]:
    """Parse and check every row; raise ImportFailed listing all errors by row and column."""
    header, raw_rows = _read_rows(data)
    errors = _check_header(header)
    if errors:
        raise ImportFailed(errors)
    if len(raw_rows) > MAX_ROWS:
        raise ImportFailed([RowError(0, "", _("A file may hold at most %(count)d rows.", count=MAX_ROWS))])

    indexes = {
        "gender": _label_index(Gender),
        "region": _label_index(Region),
        "role": _label_index(Role),
        "organization_type": _label_index(OrganizationType),
    }
    organizations = {org.name_key: org for org in db.session.scalars(sa.select(Organization))}
    languages = current_app.config["LANGUAGES"]
    seen_emails: dict[str, int] = {}
    created_in_file: set[str] = set()
    rows = []
    for number, raw in enumerate(raw_rows, start=2):
        width = int(raw.pop("__width__"))
        if width == 0 or not any(value.strip() for value in raw.values()):
            continue
        if width != len(header):
            errors.append(RowError(number, "", _("This row has %(found)d cells; the header has %(expected)d.",
                                                 found=width, expected=len(header))))
            continue
        row = {name: (raw.get(name) or "").strip() for name in COLUMNS}
        row_errors = []

        for name, value in row.items():
            # The stripped value is what gets stored: " =1+1" must not become "=1+1".
            if FORMULA_START.match(raw.get(name) or "") or FORMULA_START.match(value):
                row_errors.append(RowError(number, name, _("Formulas are not accepted: remove the leading sign.")))
            elif name in MAX_LENGTHS and len(value) > MAX_LENGTHS[name]:
                row_errors.append(RowError(number, name, _("At most %(count)d characters.", count=MAX_LENGTHS[name])))
        if row_errors:
            errors.extend(row_errors)
            continue

        if not row["email"]:
            row_errors.append(RowError(number, "email", _("The email address is missing.")))
        else:
            try:
                validate_email(row["email"], check_deliverability=False)
            except EmailNotValidError:
                row_errors.append(RowError(number, "email", _("Enter a valid email address.")))
            email = normalize_email(row["email"])
            if email in seen_emails:
                row_errors.append(RowError(number, "email", _("This address is already on row %(row)d.", row=seen_emails[email])))
            seen_emails.setdefault(email, number)
            row["email"] = email
        if not row["full_name"]:
            row_errors.append(RowError(number, "full_name", _("The full name is missing.")))
        if row["full_name_ar"] and not ARABIC_NAME.match(row["full_name_ar"]):
            row_errors.append(RowError(number, "full_name_ar", _("Write this name in Arabic letters only.")))
        for name, index in indexes.items():
            if row[name]:
                member = index.get(row[name].casefold())
                if member is None:
                    row_errors.append(RowError(number, name, _("Unknown value “%(value)s”.", value=row[name])))
                row[name] = member
            else:
                row[name] = None
        if row["language"] and row["language"].lower() not in languages:
            row_errors.append(RowError(number, "language", _("Use one of: %(values)s.", values=", ".join(languages))))
        row["language"] = row["language"].lower() or None
        if row["organization"]:
            key = name_key(row["organization"])
            organization = organizations.get(key)
            if organization is None and row["organization_type"] is not None:
                created_in_file.add(key)
            elif organization is None and key not in created_in_file and not row_errors:
                row_errors.append(RowError(number, "organization", _(
                    "Unknown organization. Fill in organization_type to create it.")))
            row["organization_object"] = organization
        errors.extend(row_errors)
        row["__row__"] = number
        rows.append(row)

    if errors:
        raise ImportFailed(errors)
    if not rows:
        raise ImportFailed([RowError(0, "", _("The file has no rows to import."))])
    return rows


def import_users(data: bytes, actor: User | None = None, filename: str = "", update_existing: bool = True
                 ) -> ImportResult:
    """Create or update users from a CSV file; never delete. Invitations are prepared, not mailed.

    With ``update_existing`` false (a trainer filling a cohort), existing accounts are left as they are.
    """
    rows = validate_users_csv(data)
    existing = {
        user.email: user
        for user in db.session.scalars(sa.select(User).where(User.email.in_([row["email"] for row in rows])))
    }
    new_organizations: dict[str, Organization] = {}
    result = ImportResult()
    new_users: list[User] = []
    now = utcnow()
    for row in rows:
        organization = row.get("organization_object")
        if row["organization"] and organization is None:
            key = name_key(row["organization"])
            organization = new_organizations.get(key)
            if organization is None:
                organization = Organization(
                    name=" ".join(row["organization"].split()), name_key=key, type=row["organization_type"],
                    city=row["city"], region=row["region"], status=OrganizationStatus.APPROVED,
                )
                db.session.add(organization)
                new_organizations[key] = organization

        user = existing.get(row["email"])
        if user is None:
            user = User(email=row["email"], role=Role.LEARNER, gender=Gender.UNDISCLOSED, locale="fr",
                        profession="", city="", invited_at=now)
            db.session.add(user)
            result.created += 1
            new_users.append(user)
        elif not update_existing:
            result.users.append(user)
            continue
        else:
            result.updated += 1
            if row["role"] and row["role"] is not user.role:
                # The same rule as the user page: the last active administrator keeps the role.
                try:
                    change_role(actor, user, row["role"])
                except DomainError as error:
                    raise ImportFailed([RowError(row["__row__"], "role", error.message)]) from None
        user.full_name = row["full_name"]
        for name, attribute in (("full_name_ar", "full_name_ar"), ("gender", "gender"), ("profession", "profession"),
                                ("city", "city"), ("region", "region"), ("language", "locale"), ("role", "role")):
            if row[name]:
                setattr(user, attribute, row[name])
        if organization is not None:
            user.organization = organization
        result.users.append(user)
    db.session.flush()
    result.invitations = [prepare_invitation(user) for user in new_users]
    record_event("users_imported", actor=actor, created=result.created, updated=result.updated,
                 file=filename[:200])
    return result
