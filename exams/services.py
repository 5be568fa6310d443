"""Writes for exams: banks, questions (versioned), blueprints, sessions, registrations, attempts,
answers, grading, marking, practical results and practice. Keyword-only, typed."""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from config import prepared
from core.decimals import finite_decimal
from accounts.roles import OrgKind

from . import pools
from .eligibility import problems as eligibility_problems
from .grading import normalise_response, score_objective
from .models import (
    OPTION_KEYS,
    Answer,
    Attempt,
    AttemptItem,
    Blueprint,
    BlueprintSection,
    ExamSession,
    KnowledgeTag,
    PracticalResult,
    PracticalTask,
    PracticeRecord,
    Question,
    QuestionBank,
    Registration,
    stem_digest,
    truefalse_options,
)

TF_ALIASES = {"T": "T", "F": "F", "对": "T", "错": "F", "正确": "T", "错误": "F", "√": "T", "×": "F",
              "Y": "T", "N": "F", "TRUE": "T", "FALSE": "F", "是": "T", "否": "F"}


class ExamError(Exception):
    """A refused exam action with a clear Chinese message."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


# --------------------------------------------------------------------------- questions

def question_problems(*, qtype: str, stem: str, options: list[dict], answer: str, difficulty) -> list[str]:
    """Everything wrong with a question's data, as Chinese messages (empty when valid)."""
    problems: list[str] = []
    if qtype not in Question.Type.values:
        problems.append(_("未知题型“%(t)s”（应为 single/multiple/truefalse/essay 或 单选/多选/判断/简答）") % {"t": qtype})
        return problems
    if not (stem or "").strip():
        problems.append(_("题干为空"))
    try:
        d = int(difficulty)
        if not 1 <= d <= 5:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(_("难度应为 1 至 5 的整数"))
    keys = [o["key"] for o in options]
    if qtype in (Question.Type.SINGLE, Question.Type.MULTIPLE):
        if len(options) < 2:
            problems.append(_("选择题至少需要两个选项"))
        if any(not (o.get("text") or "").strip() for o in options):
            problems.append(_("选项内容为空"))
        if keys != list(OPTION_KEYS[: len(keys)]):
            problems.append(_("选项须从 A 开始连续填写"))
        if not answer:
            problems.append(_("缺少答案"))
        else:
            letters = normalise_response(answer)
            if len(letters) != len(answer.replace(",", "").replace(" ", "")) or not letters.isalpha():
                problems.append(_("答案“%(a)s”格式有误，应为选项字母") % {"a": answer})
            elif not set(letters) <= set(keys):
                problems.append(_("答案“%(a)s”不在选项中") % {"a": answer})
            elif qtype == Question.Type.SINGLE and len(letters) != 1:
                problems.append(_("单选题只能有一个答案"))
            elif qtype == Question.Type.MULTIPLE and len(letters) < 2:
                problems.append(_("多选题至少应有两个正确选项"))
    elif qtype == Question.Type.TRUEFALSE:
        if not answer:
            problems.append(_("缺少答案"))
        elif answer not in ("T", "F"):
            problems.append(_("判断题答案应为 T 或 F（对/错）"))
    return problems


def _clean_options(qtype: str, options: list[dict] | None) -> list[dict]:
    if qtype == Question.Type.TRUEFALSE:
        return truefalse_options()
    if qtype == Question.Type.ESSAY:
        return []
    return [{"key": o["key"], "text": (o.get("text") or "").strip(), **({"image": o["image"]} if o.get("image") else {})}
            for o in (options or [])]


def _normalise_answer(qtype: str, answer: str) -> str:
    answer = (answer or "").strip().upper()
    if qtype == Question.Type.TRUEFALSE:
        return TF_ALIASES.get(answer, answer)
    if qtype == Question.Type.ESSAY:
        return ""
    return answer.replace(",", "").replace("，", "").replace(" ", "").replace("、", "")


@transaction.atomic
def question_create(
    *, actor, bank: QuestionBank, qtype: str, stem: str, options: list[dict] | None = None, answer: str = "",
    explanation: str = "", difficulty: int = 3, tags: list[KnowledgeTag] | None = None, audit: bool = True,
) -> Question:
    options = _clean_options(qtype, options)
    answer = _normalise_answer(qtype, answer)
    problems = question_problems(qtype=qtype, stem=stem, options=options, answer=answer, difficulty=difficulty)
    if not problems and Question.objects.filter(bank=bank, is_current=True, stem_digest=stem_digest(stem)).exists():
        problems.append(_("题库中已有相同题干的试题"))
    if problems:
        raise ValidationError(problems)
    q = Question.objects.create(
        bank=bank, lineage=uuid.uuid4(), type=qtype, stem=stem.strip(), options=options,
        answer=normalise_response(answer) if qtype != Question.Type.TRUEFALSE else answer,
        explanation=explanation.strip(), difficulty=int(difficulty), created_by=actor,
    )
    if tags:
        q.tags.set(tags)
    if audit:
        audit_record(actor=actor, action="question.create", target=q, after={"bank": bank.code, "type": qtype})
    return q


QUESTION_FIELDS = ("type", "stem", "options", "answer", "explanation", "difficulty")


@transaction.atomic
def question_update(*, actor, question: Question, tags: list[KnowledgeTag] | None = None, **changes) -> Question:
    """Edit a question. When the version has been used in any paper, a new version is created and
    the old one stays as it was for the papers that used it."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not question.is_current:
        raise ValidationError(_("只能修改试题的当前版本。"))
    qtype = changes.get("type", question.type)
    data = {f: changes.get(f, getattr(question, f)) for f in QUESTION_FIELDS}
    data["options"] = _clean_options(qtype, data["options"])
    data["answer"] = _normalise_answer(qtype, data["answer"])
    if qtype in (Question.Type.SINGLE, Question.Type.MULTIPLE):
        data["answer"] = normalise_response(data["answer"])
    problems = question_problems(qtype=qtype, stem=data["stem"], options=data["options"], answer=data["answer"],
                                 difficulty=data["difficulty"])
    if not problems and Question.objects.filter(bank=question.bank, is_current=True, stem_digest=stem_digest(data["stem"])).exclude(
        lineage=question.lineage
    ).exists():
        problems.append(_("题库中已有相同题干的试题"))
    if problems:
        raise ValidationError(problems)
    before = {f: getattr(question, f) for f in QUESTION_FIELDS}
    old_tags = list(question.tags.all())
    used = question.attempt_items.exists()
    if used:
        Question.objects.filter(pk=question.pk).update(is_current=False)
        new = Question(bank=question.bank, lineage=question.lineage, version=question.version + 1, image=question.image,
                       created_by=actor, retired_at=question.retired_at)
        for f in QUESTION_FIELDS:
            setattr(new, f, data[f])
        new.save()
        new.tags.set(tags if tags is not None else old_tags)
        target = new
    else:
        for f in QUESTION_FIELDS:
            setattr(question, f, data[f])
        question.save()
        if tags is not None:
            question.tags.set(tags)
        target = question
    audit_record(actor=actor, action="question.new_version" if used else "question.update", target=target,
                 before=before, after={f: getattr(target, f) for f in QUESTION_FIELDS})
    return target


@transaction.atomic
def question_retire(*, actor, question: Question, reason: str = "") -> Question:
    if question.retired_at is None:
        question.retired_at = timezone.now()
        question.save(update_fields=["retired_at"])
        audit_record(actor=actor, action="question.retire", target=question, before={"retired": False},
                     after={"retired": True}, reason=reason)
    return question


@transaction.atomic
def question_restore(*, actor, question: Question, reason: str = "") -> Question:
    if question.retired_at is not None:
        question.retired_at = None
        question.save(update_fields=["retired_at"])
        audit_record(actor=actor, action="question.restore", target=question, before={"retired": True},
                     after={"retired": False}, reason=reason)
    return question


# --------------------------------------------------------------------------- blueprints

@dataclass
class SectionSpec:
    title: str
    question_type: str
    count: int
    points: Decimal
    tags: tuple[str, ...] = ()
    difficulty_min: int = 1
    difficulty_max: int = 5
    partial_credit: bool = False


@transaction.atomic
def blueprint_save(
    *, actor, owner, code: str, name: str, bank: QuestionBank, sections: list[SectionSpec],
    training_bank: QuestionBank | None = None, certificate_kind=None, pass_mark: Decimal | None = None,
    duration_minutes: int = 90, rename_from: str | None = None, **options,
) -> Blueprint:
    """Create or replace a blueprint and its sections (``rename_from``: the code of the blueprint
    being edited, when its code changes). Every section must be drawable from the bank as it is."""
    if bank.kind != QuestionBank.Kind.TESTING:
        raise ValidationError(_("组卷策略的考试题库必须是考试题库。"))
    if training_bank is not None and training_bank.kind != QuestionBank.Kind.TRAINING:
        raise ValidationError(_("模拟考试只能使用练习题库。"))
    if pass_mark is None and certificate_kind is not None:
        pass_mark = Decimal(certificate_kind.theory_pass_mark)
    total = sum((Decimal(s.count) * Decimal(s.points) for s in sections), Decimal(0))
    if total <= 0:
        raise ValidationError(_("试卷总分必须大于 0。"))
    if pass_mark is not None and pass_mark > total:
        raise ValidationError(_("合格分 %(pass)s 高于试卷总分 %(total)s。") % {"pass": pass_mark, "total": total})
    tag_pks = dict(KnowledgeTag.objects.filter(code__in={c for s in sections for c in s.tags}).values_list("code", "pk"))
    pool = pools.pool_for(bank.pk)
    short = []
    for s in sections:
        found = len(pool.select(s.question_type, s.difficulty_min, s.difficulty_max,
                                frozenset(tag_pks[c] for c in s.tags if c in tag_pks))[0])
        if found < s.count:
            short.append(_("“%(section)s”需要 %(count)d 道，题库“%(bank)s”中符合条件的只有 %(n)d 道。")
                         % {"section": s.title, "count": s.count, "bank": bank.name, "n": found})
    if short:
        raise ValidationError(short)
    if rename_from and rename_from != code:
        Blueprint.objects.filter(code=rename_from).update(code=code)
    bp, created = Blueprint.objects.update_or_create(
        code=code,
        defaults={"name": name, "owner": owner, "bank": bank, "training_bank": training_bank,
                  "certificate_kind": certificate_kind, "pass_mark": pass_mark, "duration_minutes": duration_minutes,
                  **options},
    )
    # Papers prepared under the old sections would no longer match the blueprint.
    Attempt.all_objects.filter(blueprint=bp, status=Attempt.Status.PREPARED).delete()
    bp.sections.all().delete()
    tag_map = {t.code: t for t in KnowledgeTag.objects.filter(code__in={c for s in sections for c in s.tags})}
    for i, s in enumerate(sections):
        sec = BlueprintSection.objects.create(
            blueprint=bp, order=i, title=s.title, question_type=s.question_type, count=s.count, points=s.points,
            difficulty_min=s.difficulty_min, difficulty_max=s.difficulty_max, partial_credit=s.partial_credit,
        )
        if s.tags:
            sec.tags.set([tag_map[c] for c in s.tags if c in tag_map])
    audit_record(actor=actor, action="blueprint.create" if created else "blueprint.update", target=bp,
                 after={"sections": len(sections), "pass_mark": pass_mark})
    return bp


def draw_paper(*, blueprint: Blueprint, bank: QuestionBank, rng: random.Random | None = None,
               objective_only: bool = False, with_option_keys: dict | None = None) -> list[tuple[BlueprintSection, int]]:
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
    return _draw(sections=sections, pool=pool, bank=bank, rng=rng)


def _draw(*, sections: list[BlueprintSection], pool: pools.Pool, bank: QuestionBank,
          rng: random.Random) -> list[tuple[BlueprintSection, int]]:
    """One paper's question ids from a pool already read (no queries): see ``draw_paper``."""
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
        # A uniform sample of the candidates not already on the paper: sample enough to cover the
        # ones already taken, drop those, keep the first ``count`` (order stays random).
        sample = rng.sample(candidates, min(len(candidates), s.count + len(taken)))
        chosen = [qid for qid in sample if qid not in taken][: s.count]
        taken.update(chosen)
        drawn.extend((s, qid) for qid in chosen)
    return drawn


def _freeze_paper(*, attempt: Attempt, drawn, rng: random.Random, shuffle_questions: bool, shuffle_options: bool,
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
        if shuffle_options and s.question_type in (Question.Type.SINGLE, Question.Type.MULTIPLE):
            rng.shuffle(keys)
        items.append(AttemptItem(attempt=attempt, position=pos, section=s, question_id=qid, option_order="".join(keys),
                                 points=s.points, partial_credit=s.partial_credit))
    return items


# --------------------------------------------------------------------------- sessions & registrations

@transaction.atomic
def session_create(
    *, actor, centre, name: str, blueprint: Blueprint, certificate_kind, starts_at: dt.datetime, ends_at: dt.datetime,
    operation_item=None, room: str = "", seats: int = 30, allowed_ip_ranges: str = "", required_course_code: str = "",
    require_identity_verified: bool = True, proctors=(),
) -> ExamSession:
    if centre.kind != OrgKind.EXAM_CENTRE:
        raise ValidationError(_("考试场次只能由考试中心组织。"))
    if ends_at <= starts_at:
        raise ValidationError(_("结束时间必须晚于开始时间。"))
    if certificate_kind.requires_operation_item and operation_item is None:
        raise ValidationError(_("该证书种类须指定操作项目。"))
    session = ExamSession.objects.create(
        centre=centre, name=name, blueprint=blueprint, certificate_kind=certificate_kind, operation_item=operation_item,
        rule_version=certificate_kind.rule_version, starts_at=starts_at, ends_at=ends_at, room=room, seats=seats,
        allowed_ip_ranges=allowed_ip_ranges, required_course_code=required_course_code,
        require_identity_verified=require_identity_verified,
    )
    if proctors:
        session.proctors.set(proctors)
    audit_record(actor=actor, action="exam_session.create", target=session,
                 after={"blueprint": blueprint.code, "starts_at": starts_at, "ends_at": ends_at})
    return session


@transaction.atomic
def registration_create(*, actor, session: ExamSession, candidate, override_reason: str = "") -> Registration:
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    existing = Registration.objects.filter(session=session, candidate=candidate).first()
    if existing is not None:
        if existing.status == Registration.Status.CANCELLED:
            existing.status = Registration.Status.REGISTERED
            existing.save(update_fields=["status"])
        return existing
    problems = eligibility_problems(session=session, candidate=candidate)
    if problems and not override_reason:
        raise ValidationError(problems)
    taken = Registration.objects.filter(session=session, status=Registration.Status.REGISTERED).count()
    if taken >= session.seats:
        raise ValidationError(_("本场次座位已满（%(n)d 座）。") % {"n": session.seats})
    seat = taken + 1
    override = _("破格")  # outside the f-string below, where the message extraction finds it
    reg = Registration.objects.create(
        session=session, candidate=candidate, seat=seat, registered_by=actor if getattr(actor, "pk", None) else None,
        ticket_number=f"ZK{session.starts_at:%Y%m%d}{session.pk:04d}{seat:03d}{uuid.uuid4().hex[:3].upper()}",
        identity_checked_at=timezone.now() if candidate.identity_verified else None,
        eligibility_notes="；".join(problems) + (f"（{override}：{override_reason}）" if problems else ""),
    )
    audit_record(actor=actor, action="exam_registration.create", target=reg,
                 after={"session": session.pk, "candidate": candidate.username}, reason=override_reason)
    return reg


@transaction.atomic
def registration_cancel(*, actor, registration: Registration, reason: str = "") -> Registration:
    if registration.status != Registration.Status.CANCELLED:
        registration.status = Registration.Status.CANCELLED
        registration.save(update_fields=["status"])
        # a paper prepared for it will never be sat
        Attempt.all_objects.filter(registration=registration, status=Attempt.Status.PREPARED).delete()
        audit_record(actor=actor, action="exam_registration.cancel", target=registration, reason=reason)
    return registration


# --------------------------------------------------------------------------- attempts

def attempt_start(*, user, registration: Registration, ip: str | None = None, now: dt.datetime | None = None,
                  rng: random.Random | None = None) -> Attempt:
    """Start (or resume) the candidate's attempt. One open attempt per registration, also under
    concurrent requests: the registration row is locked, and the database's unique constraints
    turn a lost race into fetching the winner's attempt.

    When a paper was prepared for the registration (``papers_prepare``) and the bank has not
    changed since, starting claims it with one conditional UPDATE; otherwise the paper is drawn
    and frozen here (a stale prepared paper is discarded first)."""
    now = now or timezone.now()
    if registration.candidate_id != user.pk:
        raise PermissionDenied
    session = registration.session
    if registration.status != Registration.Status.REGISTERED:
        raise ExamError(_("您的报名已取消，不能参加本场考试。"))
    blueprint = session.blueprint
    try:
        with transaction.atomic():
            # order_by(): the default ordering would join the session and lock its row too,
            # making every start in the session wait for every other.
            list(Registration.objects.select_for_update().filter(pk=registration.pk).order_by().values_list("pk"))
            # This registration's attempts (a prepared paper too) and the candidate's earlier ones
            # under the blueprint, in one query.
            rows = list(Attempt.all_objects.filter(
                Q(registration=registration) | Q(user=user, blueprint=blueprint, mode=Attempt.Mode.EXAM)
            ).annotate(bank_token=F("bank__pool_token")).order_by())
            mine = [a for a in rows if a.registration_id == registration.pk]
            open_attempt = next((a for a in mine if a.status == Attempt.Status.IN_PROGRESS), None)
            if open_attempt is not None:
                return open_attempt
            if not session.is_open(now):
                raise ExamError(_("不在本场考试的开放时间内（%(a)s 至 %(b)s）。") % {
                    "a": timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M"),
                    "b": timezone.localtime(session.ends_at).strftime("%Y-%m-%d %H:%M")})
            if not session.ip_allowed(ip):
                raise ExamError(_("请在指定考场的电脑上参加考试（当前 IP 不在允许范围内）。"), code="ip")
            previous = [(a.passed, a.status) for a in rows if a.blueprint_id == blueprint.pk
                        and a.mode == Attempt.Mode.EXAM and a.status != Attempt.Status.PREPARED]
            _check_may_start(blueprint=blueprint, previous=previous)
            number = len(previous) + 1
            deadline = min(now + dt.timedelta(minutes=blueprint.duration_minutes), session.ends_at)
            attempt = None
            ready = next((a for a in mine if a.status == Attempt.Status.PREPARED), None)
            if ready is not None:
                attempt = _claim_prepared(attempt=ready, user=user, registration=registration, blueprint=blueprint,
                                          number=number, now=now, deadline=deadline, ip=ip)
            prepared = attempt is not None
            if prepared:
                _commit_without_waiting_for_disk()
            if attempt is None:
                attempt = _create_attempt(user=user, blueprint=blueprint, bank=blueprint.bank, registration=registration,
                                          number=number, now=now, deadline=deadline, mode=Attempt.Mode.EXAM, ip=ip,
                                          rng=rng)
            # in the same transaction: one commit, and no start without its audit entry
            audit_record(actor=user, action="attempt.start", target=attempt,
                         after={"number": attempt.number, "ip": ip, "prepared": prepared})
    except IntegrityError:
        attempt = Attempt.objects.filter(registration=registration, status=Attempt.Status.IN_PROGRESS).first()
        if attempt is None:
            attempt = Attempt.objects.filter(registration=registration).order_by("-number").first()
        if attempt is None:
            raise
        return attempt
    return attempt


_START_AT_ONCE_SQL: str | None = None


def _start_at_once_sql() -> str:
    """Claiming a prepared paper as one PostgreSQL statement: everything ``attempt_start`` checks on
    this path is in its WHERE clauses — the candidate's own registration, still registered, under
    its row lock; the session open and without address ranges; no attempt of the registration in
    progress; the rules on earlier attempts (none passed, none being marked, attempts left); the
    paper prepared under the session's blueprint and the bank as it is now. The claim, the audit
    entry and the asynchronous commit (see ``_commit_without_waiting_for_disk``) go together. When
    anything does not hold, nothing is written and no row comes back; the caller then takes the
    ordinary path, which decides and says why."""
    global _START_AT_ONCE_SQL
    if _START_AT_ONCE_SQL is None:
        from django.contrib.contenttypes.models import ContentType  # noqa: F401 — the audit's target type

        from core.models import AuditLog
        from catalogue.models import CertificateKind

        t = {m.__name__: m._meta.db_table for m in (Registration, ExamSession, Blueprint, Attempt, AuditLog)}
        bank = Attempt._meta.get_field("bank").related_model._meta.db_table
        kind = CertificateKind._meta.db_table
        _START_AT_ONCE_SQL = f"""
WITH reg AS (
  SELECT r.id, s.ends_at, bp.id AS blueprint_id, bp.bank_id, bp.duration_minutes, bp.attempts_allowed,
         bp.name AS blueprint_name, COALESCE(bp.pass_mark, ck.theory_pass_mark::numeric, 80) AS pass_mark
  FROM "{t['Registration']}" r
  JOIN "{t['ExamSession']}" s ON s.id = r.session_id
  JOIN "{t['Blueprint']}" bp ON bp.id = s.blueprint_id
  LEFT JOIN "{kind}" ck ON ck.id = bp.certificate_kind_id
  WHERE r.id = %(registration)s::bigint AND r.candidate_id = %(user)s::bigint AND r.status = 'registered'
    AND s.starts_at <= %(now)s::timestamptz AND %(now)s::timestamptz < s.ends_at
    AND btrim(s.allowed_ip_ranges, E' \t\r\n') = ''
  FOR UPDATE OF r
), previous AS (
  SELECT count(*) AS n, COALESCE(bool_or(a.passed), false) AS passed,
         COALESCE(bool_or(a.status = 'marking'), false) AS marking
  FROM "{t['Attempt']}" a JOIN reg ON a.blueprint_id = reg.blueprint_id
  WHERE a.user_id = %(user)s::bigint AND a.mode = 'exam' AND a.status <> 'prepared'
), claim AS (
  UPDATE "{t['Attempt']}" a
  SET status = 'in_progress', number = previous.n + 1, started_at = %(now)s::timestamptz,
      deadline = LEAST(%(now)s::timestamptz + make_interval(mins => reg.duration_minutes), reg.ends_at),
      client_ip = %(ip)s::inet, pass_mark = reg.pass_mark
  FROM reg, previous, "{bank}" b
  WHERE a.registration_id = reg.id AND a.status = 'prepared' AND a.user_id = %(user)s::bigint
    AND a.blueprint_id = reg.blueprint_id AND a.bank_id = reg.bank_id
    AND b.id = reg.bank_id AND a.pool_token = b.pool_token
    AND NOT previous.passed AND NOT previous.marking AND previous.n < reg.attempts_allowed
    AND NOT EXISTS (SELECT 1 FROM "{t['Attempt']}" o WHERE o.registration_id = reg.id AND o.status = 'in_progress')
  RETURNING a.id, a.number, reg.blueprint_name
), asynchronous AS (
  SELECT set_config('synchronous_commit', 'off', true) FROM claim
), audit AS (
  INSERT INTO "{t['AuditLog']}" (created_at, actor_id, actor_repr, action, target_type_id, target_id, target_repr,
                                 before, after, reason, ip)
  SELECT %(now)s::timestamptz, %(user)s::bigint, %(actor_repr)s::text, 'attempt.start', %(target_type)s::int,
         claim.id::text, left(%(user_repr)s::text || ' · ' || claim.blueprint_name || ' · #' || claim.number, 255),
         NULL, jsonb_build_object('number', claim.number, 'ip', %(ip_text)s::text, 'prepared', true), '', NULL
  FROM claim, asynchronous
  RETURNING 1
)
SELECT claim.id FROM claim WHERE (SELECT count(*) FROM audit) = 1"""
    return _START_AT_ONCE_SQL


def attempt_start_at_once(*, user, registration_id: int, ip: str | None, now: dt.datetime | None = None) -> int | None:
    """Start the candidate's prepared paper in one round trip (PostgreSQL); the attempt's id, or
    None when this path does not apply or something does not hold — then ``attempt_start`` runs
    and decides. Same checks, same rows written, same audit entry as ``attempt_start``."""
    from django.contrib.contenttypes.models import ContentType

    conn = connections[router.db_for_write(Attempt)]
    if conn.vendor != "postgresql" or conn.in_atomic_block:
        return None
    try:
        ip = str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None  # the ordinary path deals with an address it cannot read
    params = {"registration": registration_id, "user": user.pk, "now": now or timezone.now(), "ip": ip, "ip_text": ip,
              "actor_repr": user.username[:150], "user_repr": str(user),
              "target_type": ContentType.objects.get_for_model(Attempt).pk}
    try:
        row = prepared.fetchone(conn, _start_at_once_sql(), params)
    except DatabaseError:
        return None
    return row[0] if row else None


def _commit_without_waiting_for_disk() -> None:
    """Claiming a prepared paper commits without waiting for the disk (PostgreSQL's asynchronous
    commit for this one transaction): at the start of a session hundreds of candidates press
    “start” within seconds. Nothing can be lost that matters: only a database server crash in the
    next fraction of a second could undo the claim — the paper then is prepared again and the
    candidate starts it afresh — and the first answer's (synchronous) commit flushes the claim with it."""
    conn = connections[router.db_for_write(Attempt)]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _check_may_start(*, blueprint: Blueprint, previous: list[tuple[bool | None, str]]) -> None:
    """The rules on earlier attempts (passed, marking pending, attempts allowed); ``previous`` holds
    (passed, status) of the candidate's exam attempts under the blueprint."""
    if any(p for p, _s in previous):
        raise ExamError(_("您已通过本科目考试，无需再考。"))
    if any(s == Attempt.Status.MARKING for _p, s in previous):
        raise ExamError(_("您的上一次答卷尚在阅卷中。"))
    if len(previous) >= blueprint.attempts_allowed:
        raise ExamError(_("您的考试次数（含补考）已用完。"))


def _claim_prepared(*, attempt: Attempt, user, registration: Registration, blueprint: Blueprint, number: int,
                    now: dt.datetime, deadline: dt.datetime, ip: str | None) -> Attempt | None:
    """Turn the registration's prepared paper (read with ``bank_token``, the bank's current pool
    token) into the started attempt with one conditional UPDATE; or discard it and return None
    when it was prepared under another blueprint or another state of the bank. Called under the
    registration's row lock."""
    usable = (attempt.blueprint_id == blueprint.pk and attempt.bank_id == blueprint.bank_id
              and attempt.user_id == user.pk and attempt.pool_token == attempt.bank_token)
    fields = {"status": Attempt.Status.IN_PROGRESS, "number": number, "started_at": now, "deadline": deadline,
              "client_ip": ip, "pass_mark": blueprint.effective_pass_mark}
    # The token is compared again in the UPDATE itself: a question changed since the read leaves
    # the row prepared, and it is discarded below.
    if usable and Attempt.all_objects.filter(
        pk=attempt.pk, status=Attempt.Status.PREPARED, pool_token=F("bank__pool_token")
    ).update(**fields) == 1:
        for name, value in fields.items():
            setattr(attempt, name, value)
        attempt.user, attempt.blueprint, attempt.registration = user, blueprint, registration
        return attempt
    Attempt.all_objects.filter(pk=attempt.pk, status=Attempt.Status.PREPARED).delete()
    return None


def _create_attempt(*, user, blueprint, bank, registration, number, now, deadline, mode, ip, rng) -> Attempt:
    rng = rng or random.SystemRandom()
    option_keys: dict[int, str] = {}
    drawn = draw_paper(blueprint=blueprint, bank=bank, rng=rng, objective_only=mode == Attempt.Mode.MOCK,
                       with_option_keys=option_keys)
    attempt = Attempt.objects.create(
        mode=mode, user=user, registration=registration, blueprint=blueprint, bank=bank, number=number,
        started_at=now, deadline=deadline, pass_mark=blueprint.effective_pass_mark, client_ip=ip,
        max_score=sum((s.points for s, _qid in drawn), Decimal(0)),
    )
    _freeze_paper(attempt=attempt, drawn=drawn, rng=rng, shuffle_questions=blueprint.shuffle_questions,
                  shuffle_options=blueprint.shuffle_options, option_keys=option_keys)
    return attempt


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
                | Q(user_id__in=[u for _r, u in regs], blueprint=blueprint, mode=Attempt.Mode.EXAM)
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
                previous = [(r[7], r[6]) for r in rows if r[2] == user_id and r[3] == blueprint.pk
                            and r[5] == Attempt.Mode.EXAM and r[6] != Attempt.Status.PREPARED]
                try:
                    _check_may_start(blueprint=blueprint, previous=previous)
                except ExamError:
                    continue  # nothing to sit: no paper
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


@transaction.atomic
def mock_start(*, user, blueprint: Blueprint, now: dt.datetime | None = None, rng=None) -> Attempt:
    """A mock exam with the blueprint's shape, drawn from its training bank only."""
    now = now or timezone.now()
    bank = blueprint.training_bank
    if bank is None or bank.kind != QuestionBank.Kind.TRAINING or not bank.is_active:
        raise ExamError(_("该组卷策略没有可用于模拟考试的练习题库。"))
    existing = Attempt.objects.filter(user=user, blueprint=blueprint, mode=Attempt.Mode.MOCK,
                                      status=Attempt.Status.IN_PROGRESS).first()
    if existing is not None and not existing.is_past_deadline(now):
        return existing
    if existing is not None:
        attempt_submit(attempt=existing, by=Attempt.SubmittedBy.DEADLINE, now=now)
    number = Attempt.objects.filter(user=user, blueprint=blueprint, mode=Attempt.Mode.MOCK).count() + 1
    return _create_attempt(user=user, blueprint=blueprint, bank=bank, registration=None, number=number, now=now,
                           deadline=now + dt.timedelta(minutes=blueprint.duration_minutes), mode=Attempt.Mode.MOCK,
                           ip=None, rng=rng)


class LateSave(ExamError):
    pass


def answer_save(*, item: AttemptItem, response: str | None = None, text: str | None = None,
                flagged: bool | None = None, now: dt.datetime | None = None) -> Answer:
    """Idempotent upsert of one answer. ``item.attempt`` must be loaded; the caller has checked
    that it belongs to the candidate."""
    from .selectors import SaveTarget

    attempt = item.attempt
    target = SaveTarget(attempt_id=attempt.pk, item_id=item.pk, position=item.position,
                        option_order=item.option_order or "", qtype=item.question.type, status=attempt.status,
                        deadline=attempt.deadline)
    values = answer_record(target=target, response=response, text=text, flagged=flagged, now=now)
    return Answer(attempt_id=attempt.pk, item_id=item.pk, **values)


def answer_record(*, target, response: str | None = None, text: str | None = None, flagged: bool | None = None,
                  now: dt.datetime | None = None) -> dict:
    """Save one answer for ``target`` (exams.selectors.SaveTarget, already scoped to the candidate):
    refused once the attempt is submitted or past its deadline, validated against the frozen option
    order, then one INSERT … ON CONFLICT DO UPDATE of the columns given. Returns what was written."""
    now = now or timezone.now()
    _note_ranges(target)
    if target.status != Attempt.Status.IN_PROGRESS:
        raise LateSave(_("本答卷已交卷，答案未保存。"), code="submitted")
    if now >= target.deadline:
        raise LateSave(_("考试时间已到（截止 %(t)s），此后的作答不再保存；系统已按最后保存的答案交卷。")
                       % {"t": timezone.localtime(target.deadline).strftime("%H:%M:%S")}, code="late")
    values: dict = {"saved_at": now}
    if response is not None:
        qtype = target.qtype
        allowed = target.option_order or ("TF" if qtype == Question.Type.TRUEFALSE else "")
        value = normalise_response(response, allowed)
        if qtype in (Question.Type.SINGLE, Question.Type.TRUEFALSE) and len(value) > 1:
            raise ExamError(_("此题只能选一个答案。"), code="invalid")
        values["response"] = value
    if text is not None:
        values["text"] = text[:5000]
    if flagged is not None:
        values["flagged"] = bool(flagged)
    _upsert_answer(attempt_id=target.attempt_id, item_id=target.item_id, values=values)
    return values


_CHOICE_AT_ONCE_SQL: str | None = None
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_RANGE_RE = f"^({_OCTET}[.]){{3}}{_OCTET}(/([0-9]|[12][0-9]|3[0-2]))?$"


def _choice_at_once_sql() -> str:
    """Lookup and upsert of a choice answer as one PostgreSQL statement: the item, its attempt and
    session are read, and the answer is written only when everything the two-step path checks holds
    — the candidate's own started attempt, in progress and before its deadline, the client inside
    the session's allowed addresses (none set, or one containing it), a response made only of the
    frozen paper's option keys (one for single choice and true/false). The lookup is the INSERT's
    source; the row count says whether it wrote. A save it did not write goes on through the
    two-step path, which decides, with its reasons. (Written as a CTE that also returned the
    lookup's row, the same work cost PostgreSQL about a quarter more per save.)"""
    global _CHOICE_AT_ONCE_SQL
    if _CHOICE_AT_ONCE_SQL is None:
        from .selectors import _save_lookup_sql

        answer = Answer._meta.db_table
        lookup = _save_lookup_sql().replace('%s', '%(item)s', 1).replace('%s', '%(attempt)s', 1) \
            .replace('%s', '%(user)s', 1)
        _CHOICE_AT_ONCE_SQL = (
            f'INSERT INTO "{answer}" ("attempt_id", "item_id", "response", "text", "flagged", "saved_at", "marker_comment") '
            # OFFSET 0 keeps the checks below out of the lookup: pushed into it, "in progress" lets
            # the planner find the attempt by walking the index of open attempts (one entry per
            # candidate in the room) instead of by its key, in a plan the connection then keeps
            f"SELECT %(attempt)s, %(item)s, %(response)s::text, '', false, %(now)s, '' FROM ({lookup} OFFSET 0) t "
            f"WHERE t.status = '{Attempt.Status.IN_PROGRESS}' AND t.deadline > %(now)s AND t.type <> '{Question.Type.ESSAY}' "
            f"AND translate(%(response)s::text, CASE WHEN t.type = '{Question.Type.TRUEFALSE}' THEN 'TF' ELSE t.option_order END, '') = '' "
            f"AND (t.type = '{Question.Type.MULTIPLE}' OR length(%(response)s::text) <= 1) "
            f"AND (btrim(COALESCE(t.allowed_ip_ranges, '')) = '' OR EXISTS (SELECT 1 FROM "
            f"regexp_split_to_table(btrim(t.allowed_ip_ranges), '[[:space:]]+') AS x(cidr) WHERE "
            # only ranges written as IPv4 addresses are cast (so the cast cannot fail); any other
            # range leaves the decision to the two-step path
            f"CASE WHEN x.cidr ~ '{_IPV4_RANGE_RE}' THEN %(ip)s::inet <<= x.cidr::inet ELSE false END)) "
            f'ON CONFLICT ("attempt_id", "item_id") DO UPDATE SET "saved_at" = excluded."saved_at", '
            f'"response" = excluded."response"'
        )
    return _CHOICE_AT_ONCE_SQL


_BY_SESSION_SQL: dict[str, str] = {}


def _choice_sql(vendor: str, *, by_session: bool = False) -> str:
    """The one-statement save of this database (``_choice_at_once_sql``, or SQLite's plainest
    click, ``_choice_at_once_sqlite_sql``). ``by_session``: with the candidate known by the bound
    session their click presents rather than by a signed-in user — the attempt must be bound to that
    session (its digest), the session row must exist and not have expired (on SQLite datetimes
    compare as it stores them: UTC text), and the attempt's owner must be active (exams/sessions.py)."""
    sql = _choice_at_once_sql() if vendor == "postgresql" else _choice_at_once_sqlite_sql()
    if not by_session:
        return sql
    found = _BY_SESSION_SQL.get(vendor)
    if found is None:
        from django.contrib.sessions.models import Session

        from accounts.models import User

        owner = "AND a.user_id = %(user)s "
        assert sql.count(owner) == 1 and sql.count(" WHERE i.id = ") == 1
        found = _BY_SESSION_SQL[vendor] = sql.replace(owner, "AND a.save_session = %(digest)s ").replace(
            " WHERE i.id = ",
            f' INNER JOIN "{Session._meta.db_table}" ds ON ds.session_key = %(session)s AND ds.expire_date > %(now)s'
            f' INNER JOIN "{User._meta.db_table}" u ON u.id = a.user_id AND u.is_active'
            " WHERE i.id = ", 1)
    return found


def answer_choice_by_session(*, session_key: str | None, attempt_id: int, item_id: int, response: str,
                             ip: str | None, now: dt.datetime) -> bool:
    """Save a choice answer in one statement for the candidate whose bound session the click
    presents (sessions kept in their table; exams/sessions.py). True when it wrote;
    False otherwise — the caller then signs the candidate in the ordinary way and saves through the
    path that decides and gives the reason."""
    from . import sessions

    if not session_key or not sessions.uses_table():
        return False
    return _save_choice_at_once({"digest": sessions.digest(session_key), "session": session_key},
                                attempt_id=attempt_id, item_id=item_id, response=response, ip=ip, now=now)


# Attempts whose session limits client addresses, as this process last saw them in the two-step
# path (which every click the one statement did not write goes through). SQLite's one statement
# writes only sessions without ranges, so their clicks go straight to the two-step path instead of
# running a statement that writes nothing first. Only the order of the tries depends on this: ranges
# given to a session mid-exam are enforced all the same (the one statement writes nothing, and the
# two-step path decides and notes the attempt).
_RANGED_ATTEMPTS: set[int] = set()
_RANGED_KEPT = 20_000


def _note_ranges(target) -> None:
    if target.ip_ranges.strip():
        if len(_RANGED_ATTEMPTS) >= _RANGED_KEPT:
            _RANGED_ATTEMPTS.clear()
        _RANGED_ATTEMPTS.add(target.attempt_id)
    else:
        _RANGED_ATTEMPTS.discard(target.attempt_id)


def answer_choice_at_once(*, user, attempt_id: int, item_id: int, response: str, ip: str | None,
                          now: dt.datetime | None = None):
    """Save a choice answer in one round trip where the database can check everything itself
    (PostgreSQL; on SQLite the plainest click, see ``_choice_at_once_sqlite_sql``). True when it
    wrote; False when it did not (the item is not the candidate's, a check failed, another
    database, a lost connection): the caller then saves through the two-step path, which decides
    and gives the reason."""
    return _save_choice_at_once({"user": user.pk}, attempt_id=attempt_id, item_id=item_id, response=response,
                                ip=ip, now=now or timezone.now())


def _save_choice_at_once(owner: dict, *, attempt_id: int, item_id: int, response: str, ip: str | None,
                         now: dt.datetime) -> bool:
    """Run this database's one-statement save for the candidate ``owner`` names (``{"user": id}``,
    or the bound session's ``digest`` and ``session`` key): whether it wrote the answer."""
    conn = connections[router.db_for_write(Answer)]
    vendor = conn.vendor
    if vendor not in ("postgresql", "sqlite") or (vendor == "sqlite" and attempt_id in _RANGED_ATTEMPTS):
        return False
    sql = _choice_sql(vendor, by_session="session" in owner)
    params = {"item": item_id, "attempt": attempt_id, "response": normalise_response(response), **owner}
    try:
        if vendor == "sqlite":
            params["now"] = conn.ops.adapt_datetimefield_value(now)
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.rowcount == 1
        try:  # an address PostgreSQL can read, or none (then only a session without ranges is written at once)
            params["ip"] = str(ipaddress.ip_address(ip)) if ip else None
        except ValueError:
            params["ip"] = None
        params["now"] = now
        return prepared.rowcount(conn, sql, params) == 1  # one statement, safe to run twice
    except DatabaseError:
        if conn.in_atomic_block:
            raise
        return False


_CHOICE_AT_ONCE_SQLITE: str | None = None


def _choice_at_once_sqlite_sql() -> str:
    """The embedded default's one-statement save: the autosave lookup (the same statement the
    two-step path runs) as the INSERT's source — SQLite has no data-modifying CTEs. It writes only
    the plainest case — the candidate's own attempt in progress before its deadline, a session
    without address ranges, one option key of the frozen paper — and leaves everything else to the
    two-step path.

    No RETURNING: SQLite commits a statement, and lets go of the database's one write lock, only
    when the statement has run to its end. With RETURNING that end is a second step, after the
    first has handed back a row and the thread has waited for the interpreter again — every other
    writer waited too (and slept a millisecond at each try). Without it the whole save, commit
    included, is one step; the row count says whether it wrote."""
    global _CHOICE_AT_ONCE_SQLITE
    if _CHOICE_AT_ONCE_SQLITE is None:
        from .selectors import _save_lookup_sql

        answer = Answer._meta.db_table
        _CHOICE_AT_ONCE_SQLITE = (
            f'INSERT INTO "{answer}" ("attempt_id", "item_id", "response", "text", "flagged", "saved_at", '
            f'"marker_comment") '
            f"SELECT %(attempt)s, %(item)s, %(response)s, '', 0, %(now)s, '' FROM ({_save_lookup_sql()}) t "
            f"WHERE t.status = '{Attempt.Status.IN_PROGRESS}' AND t.deadline > %(now)s "
            f"AND t.type <> '{Question.Type.ESSAY}' AND length(%(response)s) = 1 "
            f"AND instr(CASE WHEN t.type = '{Question.Type.TRUEFALSE}' THEN 'TF' ELSE t.option_order END, "
            f"%(response)s) > 0 AND trim(COALESCE(t.allowed_ip_ranges, '')) = '' "
            f'ON CONFLICT ("attempt_id", "item_id") DO UPDATE SET "saved_at" = excluded."saved_at", '
            f'"response" = excluded."response"'
        ).replace("%s", "%(item)s", 1).replace("%s", "%(attempt)s", 1).replace("%s", "%(user)s", 1)
    return _CHOICE_AT_ONCE_SQLITE


_UPSERT_SQL: dict[tuple[str, ...], str] = {}


def _upsert_answer(*, attempt_id: int, item_id: int, values: dict) -> None:
    """INSERT … ON CONFLICT (attempt, item) DO UPDATE of just the given columns, as one statement
    written out once per column set (PostgreSQL and SQLite share the syntax). The ORM's bulk_create
    with update_conflicts does the same, at several times the cost of the statement itself."""
    fields = tuple(values)
    sql = _UPSERT_SQL.get(fields)
    if sql is None:
        table = Answer._meta.db_table
        updates = ", ".join(f'"{f}" = excluded."{f}"' for f in fields)
        sql = (f'INSERT INTO "{table}" ("attempt_id", "item_id", "response", "text", "flagged", "saved_at", '
               f'"marker_comment") VALUES (%s, %s, %s, %s, %s, %s, \'\') '
               f'ON CONFLICT ("attempt_id", "item_id") DO UPDATE SET {updates}')
        _UPSERT_SQL[fields] = sql
    conn = connections[router.db_for_write(Answer)]
    params = [attempt_id, item_id, values.get("response", ""), values.get("text", ""), values.get("flagged", False),
              conn.ops.adapt_datetimefield_value(values["saved_at"])]
    with prepared.cursor(conn) as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def attempt_submit(*, attempt: Attempt, by: str = Attempt.SubmittedBy.CANDIDATE, actor=None, reason: str = "",
                   now: dt.datetime | None = None) -> Attempt:
    """Submit and grade with the last saved answers. Idempotent: a submitted attempt is returned as is."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return attempt
    attempt.submitted_at = min(now, attempt.deadline) if by == Attempt.SubmittedBy.DEADLINE else now
    attempt.submitted_by = by
    _grade(attempt)
    attempt.save()
    if by != Attempt.SubmittedBy.CANDIDATE or actor is not None:
        audit_record(actor=actor or "system", action=f"attempt.submit_{by}", target=attempt,
                     after={"score": attempt.score, "status": attempt.status}, reason=reason)
    return attempt


def _grade(attempt: Attempt) -> None:
    items = list(attempt.items.select_related("question"))
    answers = {a.item_id: a for a in attempt.answers.all()}
    total = Decimal(0)
    pending = False
    changed = []
    for item in items:
        a = answers.get(item.pk)
        q = item.question
        if q.type == Question.Type.ESSAY:
            if a is None or not a.text.strip():
                if a is not None:
                    a.score = Decimal(0)
                    changed.append(a)
                continue
            if a.score is None:
                pending = True
            else:
                total += a.score
            continue
        if a is None:
            continue
        a.score = score_objective(qtype=q.type, key=q.answer, response=a.response, points=item.points,
                                  partial=item.partial_credit)
        total += a.score
        changed.append(a)
    if changed:
        Answer.objects.bulk_update(changed, ["score"])
    attempt.score = total
    if pending:
        attempt.status = Attempt.Status.MARKING
        attempt.passed = None
    else:
        attempt.status = Attempt.Status.GRADED
        attempt.passed = total >= attempt.pass_mark


def autosubmit_if_due(attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    if attempt.status == Attempt.Status.IN_PROGRESS and attempt.is_past_deadline(now):
        return attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.DEADLINE, now=now)
    return attempt


def autosubmit_due_attempts(*, now: dt.datetime | None = None) -> int:
    """Beat job: submit every attempt whose deadline has passed, with its last saved answers."""
    now = now or timezone.now()
    n = 0
    for attempt in Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lte=now).only("pk"):
        attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.DEADLINE, now=now)
        n += 1
    return n


@transaction.atomic
def attempt_extend(*, actor, attempt: Attempt, minutes: int, reason: str) -> Attempt:
    if not reason.strip():
        raise ValidationError(_("延长时间须填写原因。"))
    if not 1 <= int(minutes) <= 120:
        raise ValidationError(_("延长时间应为 1 至 120 分钟。"))
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise ValidationError(_("该答卷已交卷，不能延长时间。"))
    before = attempt.deadline
    base = max(attempt.deadline, timezone.now())
    attempt.deadline = base + dt.timedelta(minutes=int(minutes))
    attempt.save(update_fields=["deadline"])
    audit_record(actor=actor, action="attempt.extend_time", target=attempt, before={"deadline": before},
                 after={"deadline": attempt.deadline, "minutes": int(minutes)}, reason=reason)
    return attempt


def attempt_force_submit(*, actor, attempt: Attempt, reason: str) -> Attempt:
    if not reason.strip():
        raise ValidationError(_("强制交卷须填写原因。"))
    return attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.PROCTOR, actor=actor, reason=reason)


@transaction.atomic
def essay_mark(*, actor, answer: Answer, score: Decimal, comment: str = "") -> Answer:
    answer = Answer.objects.select_for_update().select_related("item", "attempt").get(pk=answer.pk)
    score = finite_decimal(score)
    if score is None or score < 0 or score > answer.item.points:
        raise ValidationError(_("得分应在 0 至 %(p)s 之间。") % {"p": answer.item.points})
    if answer.attempt.status == Attempt.Status.IN_PROGRESS:
        raise ValidationError(_("答卷尚未交卷。"))
    before = answer.score
    answer.score = score.quantize(Decimal("0.1"))
    answer.marked_by = actor
    answer.marked_at = timezone.now()
    answer.marker_comment = comment
    answer.save(update_fields=["score", "marked_by", "marked_at", "marker_comment"])
    audit_record(actor=actor, action="answer.mark" if before is None else "answer.score_change", target=answer.attempt,
                 before={"item": answer.item.position, "score": before},
                 after={"item": answer.item.position, "score": answer.score}, reason=comment)
    attempt = Attempt.objects.select_for_update().get(pk=answer.attempt_id)
    prev = {"score": attempt.score, "passed": attempt.passed, "status": attempt.status}
    attempt.status = Attempt.Status.IN_PROGRESS  # let _grade recompute from the saved answers
    _grade(attempt)
    attempt.save(update_fields=["score", "passed", "status"])
    if prev["status"] == Attempt.Status.GRADED and (prev["score"] != attempt.score or prev["passed"] != attempt.passed):
        audit_record(actor=actor, action="attempt.score_change", target=attempt, before=prev,
                     after={"score": attempt.score, "passed": attempt.passed, "status": attempt.status})
    return answer


# --------------------------------------------------------------------------- practical exams

@transaction.atomic
def practical_result_record(*, examiner, registration: Registration, scores: dict, notes: str = "") -> PracticalResult:
    session = registration.session
    if session.operation_item_id is None:
        raise ValidationError(_("本场次没有操作项目，不需要实操考试。"))
    tasks = {t.pk: t for t in PracticalTask.objects.filter(operation_item_id=session.operation_item_id, is_active=True)}
    if not tasks:
        raise ValidationError(_("该操作项目尚未设置实操考试项目。"))
    clean: dict[str, str] = {}
    errors = []
    for tid, task in tasks.items():
        raw = scores.get(tid, scores.get(str(tid)))
        value = finite_decimal(raw)
        if value is None:
            errors.append(_("“%(t)s”的得分无效") % {"t": task.title})
            continue
        if value < 0 or value > task.points:
            errors.append(_("“%(t)s”的得分应在 0 至 %(p)s 之间") % {"t": task.title, "p": task.points})
            continue
        clean[str(tid)] = str(value.quantize(Decimal("0.1")))
    if errors:
        raise ValidationError(errors)
    total = sum((Decimal(v) for v in clean.values()), Decimal(0))
    max_total = sum((t.points for t in tasks.values()), Decimal(0))
    pass_mark = Decimal(session.certificate_kind.practical_pass_mark or 80) * max_total / Decimal(100)
    existing = PracticalResult.objects.select_for_update().filter(registration=registration).first()
    before = {"scores": existing.scores, "total": existing.total, "passed": existing.passed} if existing else None
    result, _created = PracticalResult.objects.update_or_create(
        registration=registration,
        defaults={"examiner": examiner, "scores": clean, "total": total, "pass_mark": pass_mark.quantize(Decimal("0.1")),
                  "passed": total >= pass_mark, "notes": notes, "recorded_at": timezone.now()},
    )
    audit_record(actor=examiner, action="practical_result.change" if existing else "practical_result.record",
                 target=registration, before=before,
                 after={"scores": clean, "total": total, "passed": result.passed}, reason=notes)
    return result


# --------------------------------------------------------------------------- practice

def practice_answer(*, user, question: Question, response: str) -> PracticeRecord:
    """Record a practice answer on a training question and return the learner's record."""
    if question.bank.kind != QuestionBank.Kind.TRAINING:
        raise PermissionDenied
    if question.type == Question.Type.ESSAY:
        raise ExamError(_("简答题不提供自动判分。"))
    allowed = "TF" if question.type == Question.Type.TRUEFALSE else "".join(o["key"] for o in question.options)
    value = normalise_response(response, allowed)
    correct = bool(value) and value == question.answer
    now = timezone.now()
    with transaction.atomic():
        record, _c = PracticeRecord.objects.select_for_update().get_or_create(
            user=user, question=question, defaults={"bank": question.bank}
        )
        record.last_response = value
        record.last_correct = correct
        record.times += 1
        if not correct:
            record.wrong_times += 1
            record.in_notebook = True
        record.answered_at = now
        record.save()
    return record


def notebook_remove(*, user, question_id: int) -> None:
    PracticeRecord.objects.filter(user=user, question_id=question_id).update(in_notebook=False)
