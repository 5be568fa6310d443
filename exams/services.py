"""Writes for exams: banks, questions (versioned), blueprints, sessions, registrations, attempts,
answers, grading, marking, practical results and practice. Keyword-only, typed."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
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
    duration_minutes: int = 90, editing: Blueprint | None = None, new: bool = False, **options,
) -> Blueprint:
    """Create or replace a blueprint and its sections. ``editing``: the blueprint being edited (its
    code may change); ``new``: a blueprint created under a code of its own; with neither, the
    blueprint of ``code`` is replaced, or created.

    A blueprint candidates have already sat is never changed (their papers refer to it): editing it
    saves a copy, which needs a code of its own. Every section must be drawable from the bank as
    it is, and the pass mark may not exceed the total."""
    if not sections:
        raise ValidationError(_("至少需要一个题组。"))
    if editing is not None and blueprint_in_use(editing):
        editing, new = None, True  # a copy
    same_code = Blueprint.objects.filter(code=code).exclude(pk=getattr(editing, "pk", None)).first()
    if same_code is not None:
        if new or editing is not None:
            raise ValidationError({"code": _("该代码已被其他组卷策略使用。")})
        if blueprint_in_use(same_code):
            raise ValidationError({"code": _("已有考生作答的组卷策略不能修改；请以新的代码另存。")})
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
    if editing is not None and editing.code != code:
        Blueprint.objects.filter(pk=editing.pk).update(code=code)
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


def blueprint_in_use(blueprint: Blueprint) -> bool:
    """Whether candidates have sat (or are sitting) papers of this blueprint."""
    return blueprint.attempts.exists()


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


def registration_create_for(*, actor, session: ExamSession, who: str, override_reason: str = "") -> Registration:
    """Register the person ``who`` names (a username or a resident ID number) for the session."""
    from accounts.models import User

    who = (who or "").strip()
    candidate = User.objects.filter(username=who).first() if who else None
    if candidate is None and who:
        candidate = User.objects.by_id_number(who).first()
    if candidate is None:
        raise ValidationError({"who": _("找不到该考生。")})
    return registration_create(actor=actor, session=session, candidate=candidate, override_reason=override_reason)


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
                flagged: bool | None = None, ip: str | None = None, now: dt.datetime | None = None) -> Answer:
    """Save one answer to ``item`` (its attempt loaded; the caller has checked that it is the
    candidate's): ``answer_record`` for a loaded item."""
    from .selectors import SaveTarget

    attempt = item.attempt
    session = attempt.registration.session if attempt.registration_id else None
    target = SaveTarget(attempt_id=attempt.pk, item_id=item.pk, position=item.position,
                        option_order=item.option_order or "", qtype=item.question.type, status=attempt.status,
                        deadline=attempt.deadline, ip_ranges=session.allowed_ip_ranges if session else "")
    values = answer_record(target=target, response=response, text=text, flagged=flagged, ip=ip, now=now)
    return Answer(attempt_id=attempt.pk, item_id=item.pk, **values)


def answer_record(*, target, response: str | None = None, text: str | None = None, flagged: bool | None = None,
                  ip: str | None = None, now: dt.datetime | None = None) -> dict:
    """Save one answer for ``target`` (exams.selectors.SaveTarget, already scoped to the candidate).
    Every rule of a save is here, once: the client inside the session's allowed addresses, the
    attempt in progress and before its deadline, a response made of the frozen paper's option keys
    (one for single choice and true/false). Then one upsert of the columns given, under the
    (attempt, item) constraint. Returns what was written."""
    now = now or timezone.now()
    if not target.allowed_from(ip):
        raise ExamError(_("当前 IP 不在允许范围内，答案未保存。"), code="ip")
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
    Answer.objects.bulk_create(
        [Answer(attempt_id=target.attempt_id, item_id=target.item_id, **values)],
        update_conflicts=True, unique_fields=["attempt", "item"], update_fields=list(values),
    )
    return values


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
