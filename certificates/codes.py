"""Public certificate codes: 80 random bits written as 16 Crockford base32 characters, in groups of four."""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's: no I, L, O or U
LENGTH = 16
# What people mistype or what the alphabet leaves out reads as its look-alike.
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    value = secrets.randbits(5 * LENGTH)
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(LENGTH))


def normalize(text: str) -> str | None:
    """The stored form of a typed code (any case, with or without dashes or spaces), or None if it cannot be one."""
    if not text or len(text) > 64:
        return None
    code = "".join(text.split()).replace("-", "").upper().translate(_LOOK_ALIKES)
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def grouped(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))
