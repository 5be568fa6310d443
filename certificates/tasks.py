"""Celery tasks: ids in, idempotent, thin — the work is in pdf.py and services.py."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction
from django.core.exceptions import ValidationError
from django.utils import timezone


@shared_task(name="certificates.tasks.render_certificate_pdf", autoretry_for=(Exception,), retry_backoff=5,
             retry_backoff_max=600, retry_jitter=True, max_retries=6)
def render_certificate_pdf(certificate_id: int, force: bool = False) -> bool:
    """Render and store the certificate's PDF unless the stored one is already current.
    A failure (storage or database briefly away) is retried with growing delays; the periodic
    sweep below catches whatever still slips through."""
    from .models import Certificate
    from .pdf import store_certificate_pdf

    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None:
        return False
    if not force and certificate.pdf and certificate.pdf_revision == certificate.revision:
        return False
    store_certificate_pdf(certificate)
    return True


@shared_task(name="certificates.tasks.send_certificate_reminders")
def send_certificate_reminders(today: str | None = None) -> int:
    from .services import reminders_send_due

    return reminders_send_due(today=dt.date.fromisoformat(today) if today else None)


@shared_task(name="certificates.tasks.render_missing_pdfs")
def render_missing_pdfs(limit: int = 500) -> int:
    """Queue a render for certificates whose stored PDF is missing or older than the record
    (a render lost with a worker, a storage outage). Periodic; queues each at most once per run.
    Imported paper records are left alone: their PDF is rendered when someone asks for it."""
    from django.db.models import F, Q

    from .models import Certificate

    ids = list(Certificate.objects.filter(Q(pdf="") | ~Q(pdf_revision=F("revision")))
               .exclude(source=Certificate.Source.IMPORTED)  # paper records: rendered when someone asks
               .order_by("pk").values_list("pk", flat=True)[:limit])
    for certificate_id in ids:
        render_certificate_pdf.delay(certificate_id)
    return len(ids)


# A batch runs item by item and resumes where it stopped, so it may run long (below the broker's
# visibility timeout, after which it would be delivered again).
@shared_task(name="certificates.tasks.run_certificate_batch", soft_time_limit=3000, time_limit=3300)
def run_certificate_batch(batch_id: int) -> int:
    """Process a batch item by item, saving progress after each so the page can show a bar.
    Re-running continues where it stopped (items already processed are skipped)."""
    from .models import CertificateBatch
    from .pdf import store_certificate_pdf

    batch = CertificateBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status == CertificateBatch.Status.DONE:
        return 0
    batch.status = CertificateBatch.Status.RUNNING
    batch.save(update_fields=["status"])
    processed = batch.done + batch.failed
    for item_id in batch.item_ids[processed:]:
        try:
            if batch.action == CertificateBatch.Action.ISSUE:
                from .services import certificate_issue_from_registration_id

                certificate = certificate_issue_from_registration_id(officer=batch.created_by, registration_id=item_id)
                render_certificate_pdf(certificate.pk)
            else:
                from .models import Certificate

                store_certificate_pdf(Certificate.objects.get(pk=item_id))
            batch.done += 1
        except Exception as exc:  # noqa: BLE001 - one bad item is reported, the batch goes on
            batch.failed += 1
            # a refusal (e.g. a duplicate certificate) reads as its sentences, not as a dict
            message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            batch.errors = [*batch.errors, {"item": item_id, "error": message[:300]}]
        batch.save(update_fields=["done", "failed", "errors"])
    batch.status = CertificateBatch.Status.DONE
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return batch.done


__all__ = ["render_certificate_pdf", "render_missing_pdfs", "send_certificate_reminders", "run_certificate_batch",
           "transaction"]
