"""Celery tasks for exams (idempotent, take ids or nothing)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="exams.autosubmit_due_attempts")
def autosubmit_due_attempts() -> int:
    """Submit every unfinished attempt whose server deadline has passed, with its last saved answers."""
    from .services import autosubmit_due_attempts as run

    return run()


# 500 papers of 100 questions take a few seconds; a session of thousands stays well inside the limits.
@shared_task(name="exams.prepare_session_papers", soft_time_limit=600, time_limit=660)
def prepare_session_papers(session_id: int, actor_id: int | None = None) -> int:
    """Prepare the papers of one session ahead of time (idempotent: only registrations still
    without a usable paper get one)."""
    from django.contrib.auth import get_user_model

    from .models import ExamSession
    from .services import ExamError, papers_prepare

    session = ExamSession.objects.filter(pk=session_id).first()
    if session is None:
        return 0
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return papers_prepare(session=session, actor=actor)
    except ExamError as exc:  # e.g. the bank cannot supply the blueprint: starts will say so too
        logger.warning("papers for session %s not prepared: %s", session_id, exc.message)
        return 0


@shared_task(name="exams.prepare_papers_due")
def prepare_papers_due() -> int:
    """Beat job: queue the preparation of every session opening within the next
    ``EXAMS_PREPARE_PAPERS_AHEAD_MINUTES`` (default 60), and delete prepared papers nobody can sit
    any more. Returns the number of sessions queued."""
    from .services import papers_discard_unused, papers_prepare_due

    papers_discard_unused()
    session_ids = papers_prepare_due()
    for session_id in session_ids:
        prepare_session_papers.delay(session_id)
    return len(session_ids)


@shared_task(name="exams.delete_expired_exam_stills")
def delete_expired_exam_stills() -> int:
    """Daily: delete the files of exam stills whose retention (the study rule's years) has ended."""
    from .services import delete_expired_exam_stills as run

    return run()


@shared_task(name="exams.compare_attempt_still")
def compare_attempt_still(still_id: int) -> str:
    from .services.stills import attempt_still_compare

    return attempt_still_compare(still_id)
