"""Celery tasks for exams (idempotent, take ids or nothing)."""

from celery import shared_task


@shared_task(name="exams.autosubmit_due_attempts")
def autosubmit_due_attempts() -> int:
    """Submit every unfinished attempt whose server deadline has passed, with its last saved answers."""
    from .services import autosubmit_due_attempts as run

    return run()
