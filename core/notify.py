"""Tell people something: an in-app notification, and by text message and/or email when asked.

``notify(users, title=…, body=…, url=…, kind=…, sms=True, email=True)`` is the one way apps reach
people. The notifications are written in the caller's transaction; text messages and emails go out
after it commits (nothing is sent for a change that was rolled back). Reading is in ``selectors``
below: the badge counts unread ones with one indexed query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification
from .sms import send_sms

logger = logging.getLogger(__name__)


def notify(users: Iterable, *, title: str, body: str = "", url: str = "", kind: str = "",
           sms: bool = False, email: bool = False, sms_text: str = "") -> list[Notification]:
    people = [u for u in users if u is not None]
    rows = Notification.objects.bulk_create(
        [Notification(user=u, title=title[:200], body=body, url=url[:500], kind=kind) for u in people])
    if sms or email:
        text = sms_text or (f"【安训】{title}" + (f"：{body}" if body else ""))
        targets = [(getattr(u, "phone", ""), getattr(u, "email", "")) for u in people]

        def deliver():
            for phone, address in targets:
                if sms and phone:
                    send_sms(phone, text, kind=kind)
                if email and address:
                    try:
                        send_mail(title, body or title, None, [address])
                    except Exception:  # noqa: BLE001 - a mail failure must not stop the others
                        logger.exception("notification email could not be sent")

        transaction.on_commit(deliver)
    return rows


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user, pk: int | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())
