"""Ed25519 signatures over the compact payload a certificate's QR code carries.

The payload is ``AXC1.<base64url(JSON)>.<base64url(signature)>``. Anyone holding the public key
(published at ``/verify/public-key.pem``) can check a printed certificate offline; the site and
``manage.py verify_certificate`` report ``valid``, ``altered`` or ``unknown``.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

PREFIX = "AXC1"

VALID = "valid"
ALTERED = "altered"
UNKNOWN = "unknown"


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _ensure_key_file(path: Path) -> None:
    """Generate a key when none exists. Concurrent first calls agree on one key (link is atomic)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-")
    try:
        os.write(fd, pem)
        os.close(fd)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


@lru_cache(maxsize=4)
def _load_private_key(path: str) -> Ed25519PrivateKey:
    file = Path(path)
    _ensure_key_file(file)
    key = serialization.load_pem_private_key(file.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("ANXUN_SIGNING_KEY_FILE must hold an Ed25519 private key")
    return key


def private_key() -> Ed25519PrivateKey:
    return _load_private_key(str(settings.SIGNING_KEY_FILE))


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_pem() -> bytes:
    return public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def payload_fields(certificate) -> dict:
    """What a printed certificate asserts, in a stable, compact form (masked name only)."""
    return {
        "n": certificate.number,
        "c": certificate.verification_code,
        "h": certificate.masked_holder_name,
        "k": certificate.kind.code,
        "o": certificate.operation_item.code if certificate.operation_item_id else "",
        "f": certificate.valid_from.isoformat(),
        "u": certificate.valid_until.isoformat(),
    }


def sign_fields(fields: dict) -> str:
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    signature = private_key().sign(body)
    return f"{PREFIX}.{_b64e(body)}.{_b64e(signature)}"


def sign_certificate(certificate) -> str:
    return sign_fields(payload_fields(certificate))


@dataclass
class PayloadCheck:
    outcome: str  # valid / altered / unknown
    fields: dict
    certificate: object | None = None
    message: str = ""


def extract_payload(text: str) -> str:
    """Accept the bare payload or the whole URL the QR code carries."""
    from urllib.parse import parse_qs, urlsplit

    text = (text or "").strip()
    if "?" in text or text.startswith(("http://", "https://", "/")):
        query = parse_qs(urlsplit(text).query)
        return (query.get("p") or [""])[0]
    return text


def check_signature(payload: str, key: Ed25519PublicKey | None = None) -> tuple[bool, dict]:
    """(signature ok, decoded fields). Malformed input counts as a bad signature."""
    try:
        prefix, body_b64, sig_b64 = payload.strip().split(".")
        if prefix != PREFIX:
            return False, {}
        body = _b64d(body_b64)
        signature = _b64d(sig_b64)
        fields = json.loads(body.decode())
        if not isinstance(fields, dict):
            return False, {}
    except (ValueError, UnicodeDecodeError):
        return False, {}
    try:
        (key or public_key()).verify(signature, body)
    except InvalidSignature:
        return False, fields
    return True, fields


def verify_payload(payload: str) -> PayloadCheck:
    """Signature first (altered when it fails); then the record must exist and agree (unknown otherwise)."""
    from django.utils.translation import gettext as _

    from .models import Certificate

    ok, fields = check_signature(extract_payload(payload))
    if not ok:
        return PayloadCheck(ALTERED, fields, None, _("签名无效：证书内容被篡改或不是本平台签发。"))
    certificate = (
        Certificate.objects.select_related("kind", "operation_item__category", "holder")
        .filter(number=fields.get("n"), verification_code=fields.get("c"))
        .first()
    )
    if certificate is None:
        return PayloadCheck(UNKNOWN, fields, None, _("签名有效，但平台中没有这张证书的记录。"))
    if payload_fields(certificate) != fields:
        return PayloadCheck(VALID, fields, certificate, _("签名有效；证书信息此后已更新，请以平台当前记录为准。"))
    return PayloadCheck(VALID, fields, certificate, _("签名有效，与平台记录一致。"))


def card_payload_fields(card: dict, code: str) -> dict:
    """payload_fields of the certificate whose public card (certificates.public_index) this is."""
    return {"n": card["no"], "c": code, "h": card["name"], "k": card["kc"], "o": card["ic"], "f": card["from"],
            "u": card["until"]}


def check_against_card(payload: str, *, code: str, card: dict | None) -> PayloadCheck | None:
    """verify_payload for a QR payload opened at ``/verify/<code>/``, decided from that code's public
    card instead of the database; the same outcome and message as the page's database path.
    None when the payload names another verification code: only the database can tell whether
    that certificate exists (unknown) or the QR was moved to another code (altered)."""
    from django.utils.translation import gettext as _

    ok, fields = check_signature(extract_payload(payload))
    if not ok:
        return PayloadCheck(ALTERED, fields, None, _("签名无效：证书内容被篡改或不是本平台签发。"))
    if not code or fields.get("c") != code:
        return None
    if card is None or fields.get("n") != card["no"]:  # the code is unique: no record has both
        return PayloadCheck(UNKNOWN, fields, None, _("签名有效，但平台中没有这张证书的记录。"))
    if card_payload_fields(card, code) != fields:
        return PayloadCheck(VALID, fields, None, _("签名有效；证书信息此后已更新，请以平台当前记录为准。"))
    return PayloadCheck(VALID, fields, None, _("签名有效，与平台记录一致。"))
