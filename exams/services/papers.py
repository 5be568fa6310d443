"""Papers: drawn from the testing bank by blueprint and frozen; prepared ahead of a session (提前组卷)."""

from __future__ import annotations


import datetime as dt
import random
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record

from .. import pools
from ..models import (
    Attempt,
    AttemptItem,
    Blueprint,
    BlueprintSection,
    ExamSession,
    Question,
    QuestionBank,
    Registration,
)
from .errors import ExamError


def draw_paper(*, blueprint: Blueprint, bank: QuestionBank, rng: random.Random | None = None,
               objective_only: bool = False, with_option_keys: dict | None = None,
               avoid: frozenset[int] = frozenset()) -> list[tuple[BlueprintSection, int]]:
    """Draw question ids for one paper: random, without duplicates, respecting type, tags and difficulty.

    Queries: sections (1) + section tags (1) + the bank's pool token (1); the candidate pool comes
    from the cache (exams.pools), so the cost does not grow with the bank or the number of candidates.
    """
    rng = rng or random.SystemRandom()
    sections = list(blueprint.sections.all().prefetch_related("tags"))
    if objective_only:  # mock exams on training banks: essays are not marked there
        sections = [s for s in sections if s.question_type != Question.Type.ESSAY]
    pool = pools.pool_for(bank.pk)
    if with_option_keys is not None:
        with_option_keys.update(pool.option_keys)
    return _draw(sections=sections, pool=pool, bank=bank, rng=rng, avoid=avoid)


def _draw(*, sections: list[BlueprintSection], pool: pools.Pool, bank: QuestionBank,
          rng: random.Random, avoid: frozenset[int] = frozenset()) -> list[tuple[BlueprintSection, int]]:
    """One paper's question ids from a pool already read (no queries): see ``draw_paper``.
    ``avoid``: question ids the candidate has already seen (a make-up), drawn only where a section
    cannot be filled without them."""
    taken: set[int] = set()
    drawn: list[tuple[BlueprintSection, int]] = []
    for s in sections:
        wanted = frozenset(t.pk for t in s.tags.all())
        candidates, candidate_set = pool.select(s.question_type, s.difficulty_min, s.difficulty_max, wanted)
        available = len(candidates) - sum(1 for qid in taken if qid in candidate_set)
        if available < s.count:
            raise ExamError(
                _("题库“%(bank)s”中符合“%(section)s”条件的试题只有 %(n)d 道，不足 %(count)d 道，无法组卷。")
                % {"bank": bank.name, "section": s.title, "n": available, "count": s.count},
                code="bank_too_small",
            )
        if avoid:
            fresh = [qid for qid in candidates if qid not in taken and qid not in avoid]
            seen = [qid for qid in candidates if qid not in taken and qid in avoid]
            chosen = rng.sample(fresh, min(len(fresh), s.count))
            chosen += rng.sample(seen, s.count - len(chosen))
            rng.shuffle(chosen)
            taken.update(chosen)
            drawn.extend((s, qid) for qid in chosen)
            continue
        # A uniform sample of the candidates not already on the paper: sample enough to cover the
        # ones already taken, drop those, keep the first ``count`` (order stays random).
        sample = rng.sample(candidates, min(len(candidates), s.count + len(taken)))
        chosen = [qid for qid in sample if qid not in taken][: s.count]
        taken.update(chosen)
        drawn.extend((s, qid) for qid in chosen)
    return drawn


def freeze_paper(*, attempt: Attempt, drawn, rng: random.Random, shuffle_questions: bool, shuffle_options: bool,
                  option_keys: dict[int, str]) -> Decimal:
    items = _paper_items(attempt=attempt, drawn=drawn, rng=rng, shuffle_questions=shuffle_questions,
                         shuffle_options=shuffle_options, option_keys=option_keys)
    AttemptItem.objects.bulk_create(items)
    return sum((item.points for item in items), Decimal(0))


def _paper_items(*, attempt: Attempt, drawn, rng: random.Random, shuffle_questions: bool, shuffle_options: bool,
                 option_keys: dict[int, str]) -> list[AttemptItem]:
    """The frozen items of one paper (question order within sections and option order shuffled
    per the blueprint), not yet saved."""
    order = list(drawn)
    if shuffle_questions:
        # Keep sections together (the order candidates expect), shuffle within each section.
        by_section: dict[int, list] = {}
        for s, qid in order:
            by_section.setdefault(s.pk, []).append((s, qid))
        order = []
        for group in by_section.values():
            rng.shuffle(group)
            order.extend(group)
    items = []
    for pos, (s, qid) in enumerate(order, start=1):
        keys = list(option_keys[qid])
        if s.question_type == Question.Type.TRUEFALSE and not keys:
            keys = ["T", "F"]
        if shuffle_options and s.question_type in (Question.Type.SINGLE, Question.Type.MULTIPLE):
            rng.shuffle(keys)
        tokens = option_tokens(rng, len(keys)) if s.question_type != Question.Type.ESSAY else []
        items.append(AttemptItem(attempt=attempt, position=pos, section=s, question_id=qid, option_order="".join(keys),
                                 option_tokens=" ".join(tokens), points=s.points, partial_credit=s.partial_credit))
    return items


def option_tokens(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct random tokens for the options of one item of one paper: 12 hex digits, never
    an option letter, so a radio value says nothing about the option's letter in the bank."""
    tokens: list[str] = []
    while len(tokens) < n:
        token = f"{rng.getrandbits(48):012x}"
        if token not in tokens:
            tokens.append(token)
    return tokens


# --------------------------------------------------------------------------- papers prepared ahead of time

PREPARE_CHUNK = 50


def prepare_ahead_minutes() -> int:
    """How long before a session opens the beat job prepares its papers (setting
    ``EXAMS_PREPARE_PAPERS_AHEAD_MINUTES`` from ``ANXUN_PREPARE_PAPERS_AHEAD_MINUTES``, default 60)."""
    return int(settings.EXAMS_PREPARE_PAPERS_AHEAD_MINUTES)


def papers_prepare(*, session: ExamSession, actor=None, now: dt.datetime | None = None,
                   rng: random.Random | None = None) -> int:
    """Draw and freeze a paper ahead of time for every registration of the session that may start
    and has neither an open attempt nor a usable prepared paper, so that “start” only claims one.
    The draw and the option shuffling are those of a start; the papers stay invisible and count as
    no attempt until started. Idempotent; returns how many papers this run prepared. One audit
    entry per run that changed something (prepared or discarded papers), none per paper.

    Registrations are handled in chunks, each under its rows' locks; a registration being started
    right now is skipped (its start draws on the spot)."""
    now = now or timezone.now()
    rng = rng or random.SystemRandom()
    session = ExamSession.objects.select_related("blueprint__bank", "blueprint__certificate_kind").get(pk=session.pk)
    if now >= session.ends_at:
        return 0
    blueprint = session.blueprint
    bank = blueprint.bank
    sections = list(blueprint.sections.all().prefetch_related("tags"))
    token = pools.current_token(bank.pk)
    pool = pools.pool_for(bank.pk, token)
    pass_mark = blueprint.effective_pass_mark
    reg_ids = list(Registration.objects.filter(session=session, status=Registration.Status.REGISTERED)
                   .order_by("pk").values_list("pk", flat=True))
    made = discarded = 0
    for i in range(0, len(reg_ids), PREPARE_CHUNK):
        with transaction.atomic():
            regs = list(Registration.objects.select_for_update(skip_locked=True)
                        .filter(pk__in=reg_ids[i:i + PREPARE_CHUNK], status=Registration.Status.REGISTERED)
                        .order_by("pk").values_list("pk", "candidate_id"))
            if not regs:
                continue
            rows = list(Attempt.all_objects.filter(
                Q(registration_id__in=[r for r, _u in regs])
                | Q(user_id__in=[u for _r, u in regs], mode=Attempt.Mode.EXAM)
            ).order_by().values_list("pk", "registration_id", "user_id", "blueprint_id", "bank_id", "mode", "status",
                                     "passed", "pool_token"))
            todo, stale = [], []
            for reg_id, user_id in regs:
                mine = [r for r in rows if r[1] == reg_id]
                if any(r[6] == Attempt.Status.IN_PROGRESS for r in mine):
                    continue
                ready = next((r for r in mine if r[6] == Attempt.Status.PREPARED), None)
                if ready is not None:
                    if ready[3] == blueprint.pk and ready[4] == bank.pk and ready[8] == token:
                        continue
                    stale.append(ready[0])
                if any(r[2] == user_id and r[5] == Attempt.Mode.EXAM and r[6] != Attempt.Status.PREPARED
                       for r in rows):
                    # sat before (here: nothing more to sit; elsewhere: a make-up, whose paper is
                    # drawn at start, leaving out the items seen before)
                    continue
                todo.append((reg_id, user_id))
            if stale:
                Attempt.all_objects.filter(pk__in=stale, status=Attempt.Status.PREPARED).delete()
                discarded += len(stale)
            papers = []
            for reg_id, user_id in todo:
                drawn = _draw(sections=sections, pool=pool, bank=bank, rng=rng)
                attempt = Attempt(
                    mode=Attempt.Mode.EXAM, status=Attempt.Status.PREPARED, user_id=user_id, registration_id=reg_id,
                    blueprint=blueprint, bank=bank, number=0, started_at=now, deadline=session.ends_at,
                    pass_mark=pass_mark, max_score=sum((s.points for s, _qid in drawn), Decimal(0)), pool_token=token,
                )
                papers.append((attempt, drawn))
            if papers:
                Attempt.all_objects.bulk_create([a for a, _d in papers])
                items = []
                for attempt, drawn in papers:
                    items += _paper_items(attempt=attempt, drawn=drawn, rng=rng,
                                          shuffle_questions=blueprint.shuffle_questions,
                                          shuffle_options=blueprint.shuffle_options, option_keys=pool.option_keys)
                AttemptItem.objects.bulk_create(items, batch_size=2000)
                made += len(papers)
    if made or discarded:
        audit_record(actor=actor or "system", action="exam_session.papers_prepare", target=session,
                     after={"prepared": made, "discarded": discarded, "registrations": len(reg_ids)})
    return made


def papers_prepare_due(*, now: dt.datetime | None = None) -> list[int]:
    """Beat job: the sessions whose papers should be prepared now — opening within the next
    ``prepare_ahead_minutes()`` minutes (or open already) and not yet over, with registrations."""
    now = now or timezone.now()
    return list(ExamSession.objects.filter(
        starts_at__lte=now + dt.timedelta(minutes=prepare_ahead_minutes()), ends_at__gt=now,
        registrations__status=Registration.Status.REGISTERED,
    ).distinct().order_by("starts_at", "pk").values_list("pk", flat=True))


def papers_discard_unused(*, now: dt.datetime | None = None) -> int:
    """Beat job: delete prepared papers nobody can start any more (session over, registration
    cancelled). Returns how many were deleted."""
    now = now or timezone.now()
    _total, per_model = Attempt.all_objects.filter(status=Attempt.Status.PREPARED).filter(
        Q(registration__session__ends_at__lte=now) | ~Q(registration__status=Registration.Status.REGISTERED)
    ).delete()
    return per_model.get(Attempt._meta.label, 0)


def seen_question_ids(*, user, bank_id: int, attempt_ids) -> frozenset[int]:
    """The current questions of the bank that the candidate has already seen in the given earlier
    attempts (by lineage, so a question edited since still counts as seen). One query."""
    lineages = AttemptItem.objects.filter(attempt_id__in=list(attempt_ids)).values("question__lineage")
    return frozenset(Question.objects.filter(bank_id=bank_id, is_current=True, lineage__in=lineages)
                     .values_list("pk", flat=True))
