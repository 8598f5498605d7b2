"""Refresh the message template and the catalogs from the source code.

Run through ``make extract-messages``. English is the source language, so its catalog is filled
from the msgids; French and Arabic entries that are new come out empty for a translator.
"""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
KEYWORDS = ["_l", "lazy_gettext", "lazy_ngettext:1,2"]


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def extract() -> None:
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    # Only hidden folders are skipped: Babel's default also skips templates/_macros.
    pybabel("extract", "-F", "babel.cfg", *keywords, "--ignore-dirs", ".*", "--no-location", "--sort-output",
            "--project", "Masar", "--copyright-holder", "Masar", "-o", str(POT), ".")


def fill_english() -> None:
    path = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, no_location=True)


if __name__ == "__main__":
    extract()
    pybabel("update", "-i", str(POT), "-d", "translations", "--no-fuzzy-matching", "--ignore-obsolete")
    fill_english()
