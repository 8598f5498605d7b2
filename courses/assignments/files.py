"""Files handed in with submissions: recognised by their content, kept under random names."""

import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.errors import DomainError

# What an assignment may accept, each with the types its content may have.
FILE_TYPES = {
    "pdf": (_l("PDF"), {"application/pdf"}),
    "docx": (_l("Word document (.docx)"), {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    "odt": (_l("OpenDocument text (.odt)"), {"application/vnd.oasis.opendocument.text"}),
    "image": (_l("Photo (JPEG or PNG)"), {"image/jpeg", "image/png"}),
    "audio": (_l("Audio recording (MP3, M4A or OGG)"), {"audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/ogg"}),
    "video": (_l("Video (MP4)"), {"video/mp4"}),
}

# Archives and programs are refused whatever an assignment accepts.
REFUSED = {"zip", "tar", "rar", "gz", "bz2", "7z", "xz", "lz", "lzo", "Z", "cab", "deb", "rpm", "ar", "exe", "elf",
           "crx", "swf", "sqlite", "wasm", "br", "lz4", "zst", "epub"}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes


def file_type_choices() -> list[tuple[str, str]]:
    return [(code, label) for code, (label, _types) in FILE_TYPES.items()]


def check_file(filename: str, data: bytes, accepted: list[str], max_mb: int) -> CheckedFile:
    """The file if its content is of an accepted type and within the size, else DomainError."""
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    if len(data) > max_mb * 1024 * 1024:
        raise DomainError(_("The file is larger than %(size)s MB.", size=max_mb), field="file")
    kind = filetype.guess(data)
    if kind is not None and kind.extension in REFUSED:
        raise DomainError(_("Archives and programs are not accepted: send the document itself."), field="file")
    allowed = set().union(*(FILE_TYPES[code][1] for code in accepted if code in FILE_TYPES))
    if kind is None or kind.mime not in allowed:
        labels = ", ".join(str(FILE_TYPES[code][0]) for code in accepted if code in FILE_TYPES)
        raise DomainError(_("This kind of file is not accepted here. Accepted: %(types)s.", types=labels), field="file")
    name = Path(filename or "file").name.replace("\x00", "")[:150] or "file"
    return CheckedFile(name=name, content_type=kind.mime, data=data)


def folder() -> Path:
    path = Path(current_app.config["SUBMISSION_FOLDER"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store(checked: CheckedFile) -> str:
    """Write the file under a new random token (outside the static folder); return the token."""
    token = secrets.token_urlsafe(16)
    (folder() / token).write_bytes(checked.data)
    return token


def path_of(token: str) -> Path:
    return folder() / token
