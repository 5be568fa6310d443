"""Our own certificate numbers and verification codes. Neither is derived from personal data.

A certificate number is ``AX`` + year + six-digit sequence + one check character (ISO 7064
MOD 11-2 over the ten digits), e.g. ``AX20260000017``. A typo in any digit is caught by the check
character before a lookup is made.
"""

from __future__ import annotations

import re
import secrets

NUMBER_PREFIX = "AX"
NUMBER_RE = re.compile(r"^AX(\d{4})(\d{6})([0-9X])$")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 10


def check_char(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits), start=2):
        total += int(d) * (2 ** (i - 1) % 11)
    return "10X98765432"[total % 11]


def format_number(year: int, sequence: int) -> str:
    digits = f"{year:04d}{sequence:06d}"
    return f"{NUMBER_PREFIX}{digits}{check_char(digits)}"


def normalize_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").replace("-", "").upper()


def is_valid_number(value: str) -> bool:
    match = NUMBER_RE.match(normalize_number(value))
    return bool(match) and check_char(match.group(1) + match.group(2)) == match.group(3)


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(value: str) -> str:
    return (value or "").strip().replace(" ", "").replace("-", "").upper()
