"""Writes for exams, one module per use case: questions, blueprints, papers, registrations,
attempts, answers, marking, practical exams and practice. Keyword-only, typed; the public names are here."""

from .answers import answer_record, answer_save
from .attempts import (
    attempt_extend,
    attempt_force_submit,
    attempt_start,
    attempt_submit,
    autosubmit_due_attempts,
    autosubmit_if_due,
    mock_start,
)
from .checkin import checkin_decide, checkin_still, start_refusal
from .stills import attempt_still_record, delete_expired_exam_stills, still_due_in
from .blueprints import SectionSpec, blueprint_in_use, blueprint_save
from .errors import ExamError, LateSave
from .marking import essay_mark
from .practical import (
    practical_evidence_add,
    practical_result_confirm,
    practical_result_record,
    practical_sheet,
    venue_create,
    venue_problems,
)
from .papers import (
    PREPARE_CHUNK,
    seen_question_ids,
    draw_paper,
    papers_discard_unused,
    papers_prepare,
    papers_prepare_due,
    prepare_ahead_minutes,
)
from .practice import notebook_remove, practice_answer
from .questions import (
    QUESTION_FIELDS,
    TF_ALIASES,
    question_create,
    question_problems,
    question_restore,
    question_retire,
    question_update,
)
from .registrations import (
    eligibility_problems,
    registration_cancel,
    registration_create,
    registration_create_for,
    makeup_check,
    retraining_complete,
    session_create,
    subject_sittings,
)

__all__ = [
    "checkin_decide", "checkin_still", "start_refusal",
    "attempt_still_record", "delete_expired_exam_stills", "still_due_in",
    "PREPARE_CHUNK", "QUESTION_FIELDS", "TF_ALIASES", "ExamError", "LateSave", "SectionSpec", "answer_record",
    "answer_save", "attempt_extend", "attempt_force_submit", "attempt_start", "attempt_submit",
    "autosubmit_due_attempts", "autosubmit_if_due", "blueprint_in_use", "blueprint_save", "seen_question_ids",
    "draw_paper", "eligibility_problems", "essay_mark", "mock_start", "notebook_remove", "papers_discard_unused",
    "papers_prepare", "papers_prepare_due", "practical_result_record", "practice_answer", "prepare_ahead_minutes",
    "question_create", "question_problems", "question_restore", "question_retire", "question_update",
    "registration_cancel", "registration_create", "registration_create_for", "session_create",
    "makeup_check", "retraining_complete", "subject_sittings", "practical_evidence_add", "practical_result_confirm",
    "practical_sheet", "venue_create", "venue_problems",
]
