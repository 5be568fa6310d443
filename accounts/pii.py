"""Personal data protection: encryption at rest, keyed hash for lookups, masking for display.

One helper for masking, used everywhere (templates use the ``masked_name`` / ``masked_id`` filters
and ``show_id`` tag from ``accounts.templatetags.pii``, which call these functions).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(key_material: str) -> Fernet:
    digest = hashlib.sha256(("anxun-pii-enc:" + key_material).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _enc_key() -> str:
    return settings.PII_ENCRYPTION_KEY or settings.SECRET_KEY


def _hash_key() -> bytes:
    return _hash_key_of(settings.PII_HASH_KEY or settings.SECRET_KEY)


@lru_cache(maxsize=4)
def _hash_key_of(key_material: str) -> bytes:
    return ("anxun-pii-hash:" + key_material).encode()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(_enc_key()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(_enc_key()).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised identifier: equal inputs give equal hashes, unreadable without the key."""
    return hmac.digest(_hash_key(), value.strip().upper().encode(), "sha256").hex()


def mask_id(value: str) -> str:
    """``110101198503071235`` → ``1101**********1235``; also masks national certificate numbers (T + ID)."""
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_id_public(value: str) -> str:
    """The ID number as every public surface shows it (verification page and API, the printed
    certificate): the region code and the birth year, nothing else — ``110101198503071235`` →
    ``1101011985********``; the national number ``T`` + ID the same way (``T1101011985********``).

    Enough to tell two holders of the same name apart (they rarely share county and birth year),
    never the check digit with other digits (it lets a guess of the hidden digits be confirmed),
    never the birth date or the sequence number. An old 15-digit number shows its region code and
    two-digit birth year; anything else shows no digit at all. docs/certificates.md explains the choice.
    Staff and holders see ``mask_id`` (internal pages) or the full number (``show_id``)."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    if value.startswith("T") and len(value) in (16, 19):
        return "T" + mask_id_public(value[1:])
    if len(value) == 18 and value[:17].isdigit():
        return value[:10] + "*" * 8
    if len(value) == 15 and value.isdigit():
        return value[:8] + "*" * 7
    return "*" * len(value)


def mask_name(value: str) -> str:
    """``王建国`` → ``王*国``; ``李梅`` → ``李*``; ``欧阳小明`` → ``欧**明``."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_phone(value: str) -> str:
    if not value or len(value) < 7:
        return mask_id(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
