"""Reads for exams, already scoped to the requesting user.

考培分离 lives here: testing banks and their questions are returned only to exam-centre staff of the
owning centre (and the superuser). Every page, API endpoint and export reads through these functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from core import faces
from accounts.roles import EXAM_CENTRE_ROLES, Role
from accounts.selectors import has_role, org_ids_with_role, testing_org_ids

from .models import (
    ExamVenue,
    PracticalEvidence,
    Attempt,
    AttemptItem,
    Blueprint,
    ExamSession,
    PracticalResult,
    PracticeRecord,
    Question,
    QuestionBank,
    Registration,
    option_token_map,
    options_by_key,
    truefalse_options,
)

TRAINING = QuestionBank.Kind.TRAINING
TESTING = QuestionBank.Kind.TESTING


def _authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_exam_staff(user) -> bool:
    return _authenticated(user) and (user.is_superuser or has_role(user, *EXAM_CENTRE_ROLES))


def banks_visible_to(user) -> QuerySet[QuestionBank]:
    """Training banks for every signed-in user; testing banks only for staff of the owning centre."""
    qs = QuestionBank.objects.select_related("owner")
    if not _authenticated(user):
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(Q(kind=TRAINING, is_active=True) | Q(kind=TESTING, owner_id__in=testing_org_ids(user)))


def banks_manageable_by(user) -> QuerySet[QuestionBank]:
    """Banks whose questions the user may write: item writers of the owning exam centre (both kinds),
    instructors of the owning training institution (training banks only)."""
    qs = QuestionBank.objects.select_related("owner")
    if not _authenticated(user):
        return qs.none()
    if user.is_superuser:
        return qs
    writer_orgs = org_ids_with_role(user, Role.ITEM_WRITER)
    instructor_orgs = org_ids_with_role(user, Role.INSTRUCTOR)
    return qs.filter(Q(owner_id__in=writer_orgs) | Q(kind=TRAINING, owner_id__in=instructor_orgs))


def may_write_questions(user) -> bool:
    """Whether the bank and question pages open for the user at all: item writers of an exam centre
    and instructors of a training institution. Which banks they then reach is
    ``banks_manageable_by`` — testing banks stay with the owning centre's writers (考培分离), an
    institution's training banks with its own instructors."""
    return _authenticated(user) and (user.is_superuser or has_role(user, Role.ITEM_WRITER, Role.INSTRUCTOR))


def practice_banks(user) -> QuerySet[QuestionBank]:
    """Banks open for practice: training banks only, for everyone signed in."""
    if not _authenticated(user):
        return QuestionBank.objects.none()
    return QuestionBank.objects.filter(kind=TRAINING, is_active=True).select_related("owner", "operation_item")


def questions_visible_to(user, bank: QuestionBank | None = None) -> QuerySet[Question]:
    qs = Question.objects.filter(bank__in=banks_visible_to(user))
    if bank is not None:
        qs = qs.filter(bank=bank)
    return qs


def questions_manageable_by(user) -> QuerySet[Question]:
    return Question.objects.filter(bank__in=banks_manageable_by(user))


def practice_questions(user, bank: QuestionBank) -> QuerySet[Question]:
    return Question.objects.filter(
        bank=bank, bank__kind=TRAINING, bank__in=practice_banks(user), is_current=True, retired_at__isnull=True,
    ).exclude(type=Question.Type.ESSAY)


def question_with_image_for(user, question_id: int) -> Question | None:
    """The question whose stem image this user may see: the candidate whose paper holds it, the staff
    of the bank's owner (testing banks: the exam centre's staff; any bank: its writers), and anyone
    who may practise its training bank. ``None`` for everyone else (and when it has no image)."""
    if not _authenticated(user):
        return None
    qs = Question.objects.filter(pk=question_id).exclude(image="").select_related("bank")
    if user.is_superuser:
        return qs.first()
    allowed = (Q(attempt_items__attempt__user=user) | Q(bank__in=banks_visible_to(user))
               | Q(bank__in=banks_manageable_by(user)) | Q(bank__in=practice_banks(user)))
    return qs.filter(allowed).distinct().first()


def question_image_url(question_id: int) -> str:
    from django.urls import reverse

    return reverse("exams:question_image", args=[question_id])


def blueprints_manageable_by(user) -> QuerySet[Blueprint]:
    qs = Blueprint.objects.select_related("bank", "training_bank", "certificate_kind", "owner")
    if not _authenticated(user):
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(owner_id__in=testing_org_ids(user))


def mock_blueprints(user) -> QuerySet[Blueprint]:
    """Blueprints whose shape learners may use for a mock exam (drawn from the training bank only)."""
    if not _authenticated(user):
        return Blueprint.objects.none()
    return Blueprint.objects.filter(is_active=True, training_bank__kind=TRAINING, training_bank__is_active=True).select_related(
        "training_bank"
    ).prefetch_related("sections")


def sessions_manageable_by(user) -> QuerySet[ExamSession]:
    qs = ExamSession.objects.select_related("centre", "blueprint", "certificate_kind", "operation_item", "rule_version",
                                            "venue")
    if not _authenticated(user):
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(centre_id__in=testing_org_ids(user))


def retraining_requirements_for(user, *, status: str = "open"):
    """Retraining requirements (重新培训) after a failed make-up, of the sessions the user's centres
    held (the superuser: all). ``status``: "open" (not yet completed), "done", or "all"."""
    from .models import RetrainingRequirement

    qs = RetrainingRequirement.objects.select_related(
        "candidate", "certificate_kind", "operation_item", "recorded_by", "failed_attempt__registration__session__centre",
    ).order_by("-required_since", "-pk")
    if not _authenticated(user):
        return qs.none()
    if not user.is_superuser:
        qs = qs.filter(failed_attempt__registration__session__centre_id__in=testing_org_ids(user))
    if status == "open":
        qs = qs.filter(completed_on__isnull=True)
    elif status == "done":
        qs = qs.filter(completed_on__isnull=False)
    return qs


def sessions_for_role(user, *roles: str) -> QuerySet[ExamSession]:
    qs = sessions_manageable_by(user)
    if not _authenticated(user) or user.is_superuser:
        return qs
    return qs.filter(centre_id__in=org_ids_with_role(user, *roles))


def venues_manageable_by(user) -> QuerySet[ExamVenue]:
    """The venues of the exam centres the user works for."""
    qs = ExamVenue.objects.select_related("owner")
    if not _authenticated(user):
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(owner_id__in=testing_org_ids(user))


def practical_evidence_for(user, pk: int) -> PracticalEvidence | None:
    """A practical exam's photo or video, for the staff of the session's exam centre only."""
    return (PracticalEvidence.objects.filter(pk=pk, result__registration__session__in=sessions_manageable_by(user))
            .first())


def registrations_manageable_by(user) -> QuerySet[Registration]:
    return Registration.objects.filter(session__in=sessions_manageable_by(user)).select_related("candidate", "session")


def my_registrations(user) -> QuerySet[Registration]:
    if not _authenticated(user):
        return Registration.objects.none()
    return (
        Registration.objects.filter(candidate=user, status=Registration.Status.REGISTERED)
        .select_related("session", "session__blueprint", "session__certificate_kind", "session__operation_item")
        .order_by("-session__starts_at")
    )


def my_attempts(user) -> QuerySet[Attempt]:
    if not _authenticated(user):
        return Attempt.objects.none()
    return Attempt.objects.filter(user=user).select_related("blueprint", "registration__session").order_by("-started_at")


def candidate_attempt(user, pk: int) -> Attempt | None:
    """The candidate's own attempt (never anyone else's)."""
    if not _authenticated(user):
        return None
    # A primary-key lookup needs no ORDER BY (the model's default ordering would add one).
    found = list(Attempt.objects.filter(pk=pk, user=user).select_related("blueprint", "registration__session")
                 .order_by()[:1])
    return found[0] if found else None


@dataclass(slots=True)
class SaveTarget:
    """What saving one answer needs to know about the item, its attempt and its session."""

    attempt_id: int
    item_id: int
    position: int
    option_order: str
    qtype: str
    status: str
    deadline: dt.datetime
    ip_ranges: str = ""
    option_tokens: str = ""

    def token_map(self) -> dict[str, str]:
        return option_token_map(self.option_order, self.option_tokens)

    def allowed_from(self, ip: str | None) -> bool:
        return not self.ip_ranges.strip() or ExamSession(allowed_ip_ranges=self.ip_ranges).ip_allowed(ip)


def save_target(user, *, attempt_id: int, item_id: int) -> SaveTarget | None:
    """The item an autosave writes to, with just what saving needs (status and deadline of the
    attempt, question type, option order, the session's allowed addresses), in one query. Only the
    candidate's own started attempt: a paper prepared ahead of time is nobody's until started."""
    if not _authenticated(user):
        return None
    row = (AttemptItem.objects.filter(pk=item_id, attempt_id=attempt_id, attempt__user=user)
           .exclude(attempt__status=Attempt.Status.PREPARED)
           .values_list("position", "option_order", "option_tokens", "question__type", "attempt__status",
                        "attempt__deadline", "attempt__registration__session__allowed_ip_ranges")
           .order_by()[:1])
    row = next(iter(row), None)
    if row is None:
        return None
    position, option_order, tokens, qtype, status, deadline, ip_ranges = row
    return SaveTarget(attempt_id=attempt_id, item_id=item_id, position=position, option_order=option_order or "",
                      qtype=qtype, status=status, deadline=deadline, ip_ranges=ip_ranges or "",
                      option_tokens=tokens or "")


PAPER_CACHE_SECONDS = 24 * 3600


def _paper_cache_key(attempt: Attempt) -> str:
    # started_at makes the key unique even where a restored database reuses an attempt's id
    return f"exams:paper:v2:{attempt.pk}:{attempt.started_at.timestamp():.6f}"


def frozen_paper(attempt: Attempt) -> list[dict]:
    """The attempt's paper as the candidate sees it, in order: stems and options in the frozen
    option order, each option's value the paper's opaque token — never the key or the explanation.
    (Each option also keeps its bank key under ``key`` for the saved-answer check marks;
    ``candidate_paper_view`` leaves it out of what the page gets.) A frozen paper never changes (questions are
    versioned; an edit after use makes a new version), so it is read once and kept in the cache."""
    key = _paper_cache_key(attempt)
    paper = cache.get(key)
    if paper is not None:
        return paper
    paper = []
    # plain rows rather than model instances: a paper is built once per candidate, at the first
    # page of the exam, when a whole room opens it in the same minute
    rows = AttemptItem.objects.filter(attempt=attempt).order_by("position").values_list(
        "pk", "position", "points", "option_order", "option_tokens", "question__type", "question__stem",
        "question__image", "question__options", "question_id")
    truefalse = options_by_key(truefalse_options())
    for pk, position, points, option_order, tokens, qtype, stem, image, question_options, question_id in rows:
        by_key = truefalse if qtype == Question.Type.TRUEFALSE else options_by_key(question_options)
        token_of = {k: t for t, k in option_token_map(option_order, tokens).items()}
        options = []
        for i, option_key in enumerate(option_order or "".join(by_key)):
            o = by_key.get(option_key)
            if o is None:
                continue
            label = ("√" if option_key == "T" else "×") if qtype == Question.Type.TRUEFALSE else "ABCDEF"[i]
            options.append({"value": token_of.get(option_key, option_key), "key": option_key, "label": label,
                            "text": o.get("text", ""), "image": o.get("image", "")})
        paper.append({"id": pk, "position": position, "type": qtype, "stem": stem,
                      "image": question_image_url(question_id) if image else "", "points": points, "options": options})
    if paper:
        cache.set(key, paper, PAPER_CACHE_SECONDS)
    return paper


def saved_answers(attempt: Attempt) -> dict[int, tuple[str, str, bool]]:
    """item id → (response, essay text, flagged) for the items the candidate has touched (one query)."""
    return {item_id: (response, text, flagged)
            for item_id, response, text, flagged in attempt.answers.values_list("item_id", "response", "text", "flagged")}


def paper_nav(attempt: Attempt, answers: dict | None = None) -> list[dict]:
    """Position, type, answered and flagged state of every item (the answer sheet)."""
    answers = saved_answers(attempt) if answers is None else answers
    out = []
    for entry in frozen_paper(attempt):
        response, text, flagged = answers.get(entry["id"], ("", "", False))
        out.append({"id": entry["id"], "position": entry["position"], "type": entry["type"],
                    "answered": bool(response or text.strip()), "flagged": flagged})
    return out


def candidate_paper_view(attempt: Attempt, answers: dict | None = None) -> list[dict]:
    """Every frozen item as the candidate sees it, with the saved answers: the exam page carries the
    whole paper and moves between questions in the browser, so answering costs one autosave per
    click and no page loads. Never a key or an explanation."""
    answers = saved_answers(attempt) if answers is None else answers
    labels = {t: Question.Type(t).label for t in Question.Type.values}
    out = []
    for entry in frozen_paper(attempt):
        response, text, flagged = answers.get(entry["id"], ("", "", False))
        out.append({
            **entry, "type_label": labels[entry["type"]], "text": text, "flagged": flagged,
            "answered": bool(response or text.strip()),
            "options": [{"value": o["value"], "label": o["label"], "text": o["text"], "image": o["image"],
                         "checked": o["key"] in response} for o in entry["options"]],
        })
    return out


def full_review_allowed(attempt: Attempt) -> bool:
    """Keys, explanations and clause links after submission: only for papers drawn from a training
    bank (mock exams). Items of a testing bank never reach a candidate with their keys."""
    return (attempt.status != Attempt.Status.IN_PROGRESS and attempt.mode == Attempt.Mode.MOCK
            and attempt.bank.kind == TRAINING)


def review_allowed(attempt: Attempt, now=None) -> bool:
    """Whether the candidate may see more than the score after submission: the full review of a mock
    exam, or (real exam, per the blueprint's policy) the right/wrong counts per knowledge point."""
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return False
    if attempt.mode == Attempt.Mode.MOCK:
        return full_review_allowed(attempt)
    bp = attempt.blueprint
    if bp.review_policy not in Blueprint.EXAM_REVIEW_POLICIES or bp.review_policy == Blueprint.Review.SCORE:
        return False
    if bp.review_when == Blueprint.ReviewWhen.AFTER_SESSION and attempt.registration_id:
        return (now or timezone.now()) >= attempt.registration.session.ends_at
    return True


def _seen_letters(qtype: str, option_order: str, keys: str) -> str:
    """Keys written as the letters the candidate saw on their paper (√/× for true/false)."""
    if qtype == Question.Type.TRUEFALSE:
        return "".join("√" if k == "T" else "×" for k in keys)
    seen = {k: "ABCDEF"[i] for i, k in enumerate(option_order)}
    return "".join(sorted(seen.get(k, k) for k in keys))


def attempt_review(attempt: Attempt) -> list[dict]:
    """Per-item review of a mock exam (training bank): every item with the options in the order and
    with the letters the candidate saw, their answer, the key and the explanation. Nothing for a
    paper of a testing bank."""
    if not full_review_allowed(attempt):
        return []
    answers = {a.item_id: a for a in attempt.answers.all()}
    rows = []
    for item in attempt.items.select_related("question").prefetch_related("question__clauses").order_by("position"):
        q = item.question
        a = answers.get(item.pk)
        response = a.response if a else ""
        if q.type == Question.Type.TRUEFALSE:
            options = [{"label": "√" if o["key"] == "T" else "×", "text": o["text"], "key": o["key"]}
                       for o in truefalse_options()]
        else:
            by_key = options_by_key(q.options)
            order = item.option_order or "".join(by_key)
            options = [{"label": "ABCDEF"[i], "text": by_key[k].get("text", ""), "key": k}
                       for i, k in enumerate(order) if k in by_key]
        for o in options:
            o["chosen"] = o["key"] in response
            o["is_key"] = o["key"] in q.answer
            del o["key"]
        rows.append({
            "position": item.position, "type": Question.Type(q.type).label, "stem": q.stem, "points": item.points,
            "score": a.score if a else None, "text": a.text if a else "",
            "response": _seen_letters(q.type, item.option_order, response),
            "key": _seen_letters(q.type, item.option_order, q.answer),
            "correct": bool(a and a.score is not None and a.score == item.points),
            "explanation": q.explanation, "options": options,
            "clauses": [{"title": str(c), "url": c.get_absolute_url()} for c in q.clauses.all()],
        })
    return rows


def attempt_point_counts(attempt: Attempt) -> list[dict]:
    """Right and wrong counts per knowledge point (知识点) of a submitted paper: what a theory exam's
    result shows besides the score. An item with several points counts for each; items without a
    point are counted under “其他”. Never a stem, a key or an option."""
    from django.utils.translation import gettext

    if attempt.status == Attempt.Status.IN_PROGRESS:
        return []
    items = list(attempt.items.values_list("pk", "points"))
    scores = dict(attempt.answers.values_list("item_id", "score"))
    tags: dict[int, list[str]] = {}
    for item_id, name in attempt.items.filter(question__tags__isnull=False).values_list("pk", "question__tags__name"):
        tags.setdefault(item_id, []).append(name)
    other = gettext("其他")
    counts: dict[str, dict] = {}
    for item_id, points in items:
        score = scores.get(item_id)
        right = score is not None and score == points
        for name in tags.get(item_id) or [other]:
            row = counts.setdefault(name, {"point": name, "right": 0, "wrong": 0})
            row["right" if right else "wrong"] += 1
    return sorted(counts.values(), key=lambda r: (r["point"] == other, r["point"]))


def attempts_in_session(user, session: ExamSession) -> QuerySet[Attempt]:
    """Proctor console rows: attempts of one session with the number of answered items."""
    if session not in sessions_manageable_by(user):
        return Attempt.objects.none()
    return (
        Attempt.objects.filter(registration__session=session, mode=Attempt.Mode.EXAM)
        .select_related("user", "registration")
        .annotate(
            n_items=Count("items", distinct=True),
            n_answered=Count("answers", filter=~Q(answers__response="") | ~Q(answers__text=""), distinct=True),
        )
        .order_by("registration__seat", "number")
    )


def console_rows(user, session: ExamSession) -> list[dict]:
    """Proctor console: every registered candidate of the session, by seat, with their latest
    attempt (``None`` for one who has not started: absent so far). Two queries after the scope check."""
    attempts = list(attempts_in_session(user, session))
    if not attempts and session not in sessions_manageable_by(user):
        return []
    latest: dict[int, Attempt] = {}
    for a in attempts:  # ordered by seat, then number: the last one wins
        latest[a.registration_id] = a
    regs = (Registration.objects.filter(session=session, status=Registration.Status.REGISTERED)
            .select_related("candidate").order_by("seat", "pk"))
    return [{"reg": reg, "attempt": latest.get(reg.pk)} for reg in regs]


def marking_queue(user) -> QuerySet:
    """Essay answers awaiting a mark in sessions of the examiner's centres."""
    from .models import Answer

    sessions = sessions_manageable_by(user)
    return (
        Answer.objects.filter(
            attempt__registration__session__in=sessions, attempt__status=Attempt.Status.MARKING,
            item__question__type=Question.Type.ESSAY, score__isnull=True,
        )
        .exclude(text="")
        .select_related("item__question", "attempt__registration__session")
        .order_by("attempt__submitted_at", "item__position")
    )


def qualified_registrations(user) -> QuerySet[Registration]:
    """Registrations that qualify for a certificate, scoped to the certificate officer's exam centre(s):
    theory passed, and the practical passed and confirmed by a second examiner when the certificate
    kind has a practical pass mark. Annotated with ``theory_passed_at``, ``practical_passed_at`` (the
    confirmation) and ``qualified_on`` (a date)."""
    qs = Registration.objects.filter(status=Registration.Status.REGISTERED)
    if not _authenticated(user):
        return qs.none()
    if not user.is_superuser:
        qs = qs.filter(session__centre_id__in=org_ids_with_role(user, Role.CERT_OFFICER))
    passed_attempts = Attempt.objects.filter(registration=OuterRef("pk"), mode=Attempt.Mode.EXAM, passed=True)
    theory_at = Subquery(passed_attempts.order_by("submitted_at").values("submitted_at")[:1], output_field=DateTimeField())
    practical_ok = PracticalResult.objects.filter(registration=OuterRef("pk"), passed=True,
                                                  status=PracticalResult.Status.CONFIRMED)
    qs = (
        qs.filter(Exists(passed_attempts))
        .filter(Q(session__certificate_kind__practical_pass_mark__isnull=True) | Q(Exists(practical_ok)))
        .annotate(theory_passed_at=theory_at)
        .annotate(practical_passed_at=Subquery(practical_ok.values("confirmed_at")[:1], output_field=DateTimeField()))
        .annotate(qualified_at=Greatest(F("theory_passed_at"), Coalesce(F("practical_passed_at"), F("theory_passed_at"))))
        .annotate(qualified_on=TruncDate("qualified_at"))
        .select_related("candidate", "session", "session__certificate_kind", "session__operation_item",
                        "session__rule_version")
    )
    return qs


def practice_summary(user, bank_ids) -> dict:
    """Practice progress on training banks: distinct questions answered, answered correctly last time, rate."""
    if not _authenticated(user):
        return {"answered": 0, "correct": 0, "rate": 0.0}
    agg = PracticeRecord.objects.filter(user=user, bank_id__in=list(bank_ids), bank__kind=TRAINING).aggregate(
        answered=Count("id"), correct=Count("id", filter=Q(last_correct=True))
    )
    answered, correct = agg["answered"] or 0, agg["correct"] or 0
    return {"answered": answered, "correct": correct, "rate": round(correct / answered, 4) if answered else 0.0}


def notebook(user, bank: QuestionBank | None = None) -> QuerySet[PracticeRecord]:
    qs = PracticeRecord.objects.filter(user=user, in_notebook=True, bank__kind=TRAINING).select_related("question", "bank")
    if bank is not None:
        qs = qs.filter(bank=bank)
    return qs.order_by("-answered_at")


# ---------------------------------------------------------------- registrations as other apps count them
# Conditions on Registration rows, so reports (and anyone else) count sittings and passes the way exams
# decides them, without repeating its status values.

def registered_q() -> Q:
    """A registration that stands (not cancelled)."""
    return Q(status=Registration.Status.REGISTERED)


def sat_q() -> Q:
    """The candidate handed in a paper of the real exam (being marked or marked)."""
    attempts = Attempt.objects.filter(registration_id=OuterRef("pk"), mode=Attempt.Mode.EXAM,
                                      status__in=(Attempt.Status.MARKING, Attempt.Status.GRADED))
    return Q(Exists(attempts))


def passed_q() -> Q:
    """The theory exam was passed."""
    return Q(Exists(Attempt.objects.filter(registration_id=OuterRef("pk"), mode=Attempt.Mode.EXAM, passed=True)))


def qualified_q() -> Q:
    """Theory passed, and the practical passed and confirmed where the certificate kind has a practical exam."""
    practical_ok = (Q(session__certificate_kind__practical_pass_mark__isnull=True)
                    | Q(practical_result__passed=True, practical_result__status=PracticalResult.Status.CONFIRMED))
    return passed_q() & practical_ok


# --------------------------------------------------------------------------- applications (报名)

def _applications():
    from .models import ExamApplication

    return ExamApplication.objects.select_related(
        "person", "applied_by", "organization", "centre", "session", "certificate_kind", "operation_item",
        "registration")


def sessions_open_for_application(now: dt.datetime | None = None) -> QuerySet[ExamSession]:
    """Sessions not started yet that still have a free seat, annotated ``n_registered``; a full
    session is never offered."""
    now = now or timezone.now()
    return (ExamSession.objects.filter(starts_at__gt=now)
            .annotate(n_registered=Count("registrations", filter=Q(registrations__status="registered")))
            .filter(n_registered__lt=F("seats"))
            .select_related("centre", "certificate_kind", "operation_item")
            .order_by("starts_at", "pk"))


def applications_for_centre(user):
    """Every application to the user's exam centres (the superuser: all)."""
    if not _authenticated(user):
        return _applications().none()
    qs = _applications()
    return qs if user.is_superuser else qs.filter(centre_id__in=testing_org_ids(user))


def applications_waiting(user):
    """Applications waiting for review at the user's exam centres, oldest first (home page)."""
    return applications_for_centre(user).filter(status="submitted").order_by("submitted_at", "pk")


def my_applications(user):
    """The candidate's own applications, newest first (home page)."""
    if not _authenticated(user):
        return _applications().none()
    return _applications().filter(person=user).order_by("-submitted_at", "-pk")


def applications_made_by(user):
    """Applications the user may follow as applicant: their own, those they submitted, and those
    of the organisations they apply for (enterprise managers, training-institution instructors)."""
    if not _authenticated(user):
        return _applications().none()
    from accounts.roles import ENTERPRISE_MANAGERS

    q = Q(person=user) | Q(applied_by=user)
    orgs = org_ids_with_role(user, *ENTERPRISE_MANAGERS) | org_ids_with_role(user, Role.INSTRUCTOR)
    if orgs:
        q |= Q(organization_id__in=orgs) & ~Q(channel="self")
    return _applications().filter(q).order_by("-submitted_at", "-pk")


# --- stills during the theory exam (exams/services/stills.py holds the writes) -----------------------

def exam_stills_of_attempt(user, session: ExamSession, attempt_id: int):
    """(attempt, its stills) for a proctor of the session's exam centre; (None, []) for anyone else.
    ``session`` must come from ``sessions_for_role(user, Role.PROCTOR)``."""
    from .models import AttemptStill

    if session not in sessions_for_role(user, Role.PROCTOR):
        return None, []
    attempt = (Attempt.objects.filter(pk=attempt_id, registration__session=session, mode=Attempt.Mode.EXAM)
               .select_related("user", "registration").first())
    if attempt is None:
        return None, []
    return attempt, list(AttemptStill.objects.filter(attempt=attempt).order_by("taken_at", "pk"))


def exam_still_visible_to(user, pk: int):
    """One exam still, for the proctors of its session's exam centre only."""
    from .models import AttemptStill

    return (AttemptStill.objects.filter(pk=pk, attempt__registration__session__in=sessions_for_role(user, Role.PROCTOR))
            .select_related("attempt__registration__session").first())


def exam_still_counts(session: ExamSession) -> dict[int, dict]:
    """Per attempt of the session: how many stills were kept and whether the camera was refused (one query)."""
    from .models import AttemptStill

    if not session.exam_stills:
        return {}
    rows = (AttemptStill.objects.filter(attempt__registration__session=session).order_by()
            .values("attempt_id")
            .annotate(photos=Count("pk", filter=Q(kind=AttemptStill.Kind.PHOTO)),
                      no_camera=Count("pk", filter=Q(kind=AttemptStill.Kind.NO_CAMERA)),
                      mismatched=Count("pk", filter=Q(match__in=MISMATCH_OUTCOMES))))
    return {r["attempt_id"]: {"photos": r["photos"], "no_camera": r["no_camera"] > 0, "mismatched": r["mismatched"]}
            for r in rows}


# stills whose face is not the candidate's, or shows no face or several: the proctor looks at them
MISMATCH_OUTCOMES = (faces.NO_MATCH, faces.NO_FACE, faces.SEVERAL_FACES)
