"""Candidate pools papers are drawn from.

Drawing a paper needs every usable question of the bank (id, type, difficulty, knowledge tags).
Reading 20,000 rows and their tag links for each candidate who presses "start" would make the
start of an exam session the slowest moment of the day, so the pool is built once per state of
the bank and shared:

- ``QuestionBank.pool_token`` changes whenever a question of the bank or its tags change
  (signals below for ordinary saves; :func:`bank_touch` for bulk writes, which send no signals);
- the pool for a token lives in the shared cache (Redis in production), so one app server builds
  it and the others read it; each process also keeps the last few pools in memory, with the
  per-section candidate lists it has already filtered.

A token is random, never a counter: a change rolled back with its transaction leaves a token that
nothing will ever ask for again, so a stale pool can never be served.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import KnowledgeTag, Question, QuestionBank

CACHE_SECONDS = 24 * 3600
LOCAL_POOLS = 16

_local: OrderedDict[tuple, "Pool"] = OrderedDict()
_lock = threading.Lock()


class Pool:
    """The usable questions of one bank at one token, indexed by type, with their option keys."""

    def __init__(self, rows: list[tuple[int, str, int, tuple[int, ...], str]]):
        self.by_type: dict[str, list[tuple[int, int, frozenset[int]]]] = {}
        self.option_keys: dict[int, str] = {}
        for qid, qtype, difficulty, tags, keys in rows:
            self.by_type.setdefault(qtype, []).append((qid, difficulty, frozenset(tags)))
            self.option_keys[qid] = keys
        self._selected: dict[tuple, tuple[list[int], frozenset[int]]] = {}
        self._select_lock = threading.Lock()

    def select(self, qtype: str, difficulty_min: int, difficulty_max: int,
               tags: frozenset[int]) -> tuple[list[int], frozenset[int]]:
        """Question ids of a type within a difficulty range carrying any of ``tags`` (all when empty),
        as a list to sample from and a set to test membership."""
        key = (qtype, difficulty_min, difficulty_max, tags)
        found = self._selected.get(key)
        if found is None:
            ids = [qid for qid, diff, qtags in self.by_type.get(qtype, ())
                   if difficulty_min <= diff <= difficulty_max and (not tags or qtags & tags)]
            found = (ids, frozenset(ids))
            with self._select_lock:
                self._selected[key] = found
        return found


def _cache_key(bank_id: int, token) -> str:
    return f"exams:pool:v2:{bank_id}:{token}"


def _build_rows(bank_id: int) -> list[tuple[int, str, int, tuple[int, ...], str]]:
    rows = list(
        Question.objects.filter(bank_id=bank_id, is_current=True, retired_at__isnull=True)
        .order_by("id").values_list("id", "type", "difficulty", "options")
    )
    tags_of: dict[int, list[int]] = {}
    through = Question.tags.through
    for qid, tid in through.objects.filter(question__bank_id=bank_id).values_list("question_id", "knowledgetag_id"):
        tags_of.setdefault(qid, []).append(tid)
    return [(qid, qtype, diff, tuple(sorted(tags_of.get(qid, ()))), "".join(o["key"] for o in options or ()))
            for qid, qtype, diff, options in rows]


def current_token(bank_id: int):
    return QuestionBank.objects.filter(pk=bank_id).values_list("pool_token", flat=True).first()


def pool_for(bank_id: int, token=None) -> Pool:
    """The pool of ``bank_id`` at ``token`` (read from the database when not given)."""
    if token is None:
        token = current_token(bank_id)
    key = (bank_id, str(token))
    with _lock:
        pool = _local.get(key)
        if pool is not None:
            _local.move_to_end(key)
            return pool
    rows = cache.get(_cache_key(bank_id, token))
    if rows is None:
        rows = _build_rows(bank_id)
        cache.set(_cache_key(bank_id, token), rows, CACHE_SECONDS)
    pool = Pool(rows)
    with _lock:
        _local[key] = pool
        while len(_local) > LOCAL_POOLS:
            _local.popitem(last=False)
    return pool


def bank_touch(*bank_ids: int) -> None:
    """Give the banks a new pool token: call after writing questions or tag links in bulk."""
    for bank_id in set(bank_ids):
        QuestionBank.objects.filter(pk=bank_id).update(pool_token=uuid.uuid4())


@receiver(post_save, sender=Question, dispatch_uid="exams.pools.question_saved")
@receiver(post_delete, sender=Question, dispatch_uid="exams.pools.question_deleted")
def _question_changed(sender, instance: Question, raw: bool = False, **kwargs) -> None:
    if not raw and instance.bank_id:
        bank_touch(instance.bank_id)


@receiver(m2m_changed, sender=Question.tags.through, dispatch_uid="exams.pools.question_tags_changed")
def _question_tags_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        bank_touch(instance.bank_id)
    elif pk_set:  # questions added to or removed from a tag
        bank_touch(*Question.objects.filter(pk__in=pk_set).values_list("bank_id", flat=True).distinct())
    else:  # a tag cleared of all its questions
        bank_touch(*QuestionBank.objects.values_list("pk", flat=True))


@receiver(post_delete, sender=KnowledgeTag, dispatch_uid="exams.pools.tag_deleted")
def _tag_deleted(sender, instance, **kwargs) -> None:
    bank_touch(*QuestionBank.objects.values_list("pk", flat=True))
