"""Credential commands of the ``flask lms`` group."""

import json
from pathlib import Path

import click
import sqlalchemy as sa

from certificates import keys
from certificates.codes import normalize
from certificates.credentials import verify
from certificates.issuing import issue_missing
from certificates.models import Certificate
from lms.cli import lms_cli
from lms.extensions import db


@lms_cli.command("verify-credential")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--did-document", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check against this saved did.json instead of this instance's keys.")
def verify_credential_command(file: Path, did_document: Path | None) -> None:
    """Check the signed credential in FILE offline against the issuer's published keys.

    Prints VALID, REVOKED or INVALID with the reason; the exit status is 0 only for VALID.
    """
    if did_document:
        document = json.loads(did_document.read_text())
        did, public_keys = document.get("id", ""), keys.keys_from_did_document(document)
    else:
        did, public_keys = keys.issuer_did(), keys.published_keys()
    check = verify(file.read_text(), public_keys, did)
    if not check.valid:
        click.echo(f"INVALID: {check.reason}")
        raise SystemExit(2)
    subject = check.claims["credentialSubject"]
    names = [item.get("identityHash") for item in subject.get("identifier", []) if item.get("identityType") == "name"]
    summary = f"{names[0] if names else '?'}, {subject['achievement']['name']}, issued {check.claims.get('validFrom')}"
    if did != keys.issuer_did():
        click.echo(f"VALID signature of {did} ({summary}); revocation is checked on its verification page: "
                   f"{check.claims['jti']}")
        return
    code = normalize(check.claims["jti"].rsplit("/", 1)[-1])
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.code == code)) if code else None
    if certificate is None:
        click.echo(f"INVALID: signed by {did} but unknown to this instance ({summary})")
        raise SystemExit(2)
    if certificate.is_revoked:
        click.echo(f"REVOKED on {certificate.revoked_at:%Y-%m-%d}: {certificate.revocation_reason} ({summary})")
        raise SystemExit(1)
    click.echo(f"VALID: signed by {did} ({summary})")


@lms_cli.command("rotate-credential-key")
def rotate_credential_key_command() -> None:
    """Create a new signing key; credentials signed with the old ones still verify."""
    click.echo(f"New signing key {keys.rotate()}; {len(keys.published_keys())} keys published.")


@lms_cli.command("issue-missing-certificates")
def issue_missing_command() -> None:
    """Issue the certificates of completions recorded before certificates existed."""
    issued = issue_missing()
    db.session.commit()
    click.echo(f"Issued {len(issued)} certificate{'s' if len(issued) != 1 else ''}.")
