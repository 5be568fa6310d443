"""Text messages through a small backend interface, like Django's email backends.

``ANXUN_SMS_BACKEND`` names the class: ``core.sms.ConsoleBackend`` (default: prints the message, for a
machine without a gateway), ``core.sms.LocmemBackend`` (tests: messages collect in ``core.sms.outbox``)
or ``core.sms.HttpGatewayBackend`` (production: POSTs JSON to ``ANXUN_SMS_GATEWAY_URL`` with
``ANXUN_SMS_GATEWAY_TOKEN`` as a bearer token and ``ANXUN_SMS_SIGN`` as the signature the carrier
requires). Every message is recorded in ``SmsMessage`` whatever the backend, so a bureau can see what
was sent. A failure is recorded and logged, never raised into the request that caused the message.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

outbox: list["Sms"] = []


@dataclass(frozen=True)
class Sms:
    phone: str
    body: str
    kind: str = ""


class BaseBackend:
    def send(self, message: Sms) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    stream = None

    def send(self, message: Sms) -> None:
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {message.phone}: {message.body}\n")
        stream.flush()


class LocmemBackend(BaseBackend):
    def send(self, message: Sms) -> None:
        outbox.append(message)


class HttpGatewayBackend(BaseBackend):
    def send(self, message: Sms) -> None:
        url = getattr(settings, "ANXUN_SMS_GATEWAY_URL", "")
        if not url:
            raise RuntimeError("ANXUN_SMS_GATEWAY_URL is not set")
        payload = json.dumps({"phone": message.phone, "text": message.body,
                              "sign": getattr(settings, "ANXUN_SMS_SIGN", "")}).encode()
        request = urllib.request.Request(url, data=payload, method="POST", headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {getattr(settings, 'ANXUN_SMS_GATEWAY_TOKEN', '')}"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured URL
            if response.status >= 300:
                raise RuntimeError(f"gateway answered {response.status}")


def get_backend() -> BaseBackend:
    return import_string(getattr(settings, "ANXUN_SMS_BACKEND", "core.sms.ConsoleBackend"))()


def send_sms(phone: str, body: str, *, kind: str = "") -> bool:
    """Send one message now; True when the backend accepted it. Recorded either way."""
    from .models import SmsMessage

    phone = (phone or "").strip()
    if not phone:
        return False
    backend = get_backend()
    message = Sms(phone=phone, body=body, kind=kind)
    error = ""
    try:
        backend.send(message)
    except Exception as exc:  # noqa: BLE001 - one failed message must not stop the others
        logger.exception("text message to %s could not be sent", phone[-4:])
        error = str(exc)[:500]
    SmsMessage.objects.create(phone=phone, body=body, kind=kind, backend=type(backend).__name__,
                              delivered=not error, error=error)
    return not error
