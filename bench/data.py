"""Benchmark data, generated in bulk through the product's models (inside a Django process)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

TOPICS = ["动火作业", "有限空间", "粉尘防爆", "液氨制冷", "高处作业", "临时用电", "危险化学品", "消防器材",
          "个体防护", "应急救援", "起重吊装", "设备检修", "隐患排查", "事故报告", "安全标志", "防雷防静电",
          "压力容器", "焊割安全", "职业卫生", "承包商管理"]


def exam_centre():
    from accounts.models import Organization, Region
    from accounts.roles import OrgKind

    region = Region.objects.filter(code="440704").first() or Region.objects.order_by("code").first()
    org, _ = Organization.objects.get_or_create(
        kind=OrgKind.EXAM_CENTRE, name="基准测试考试中心", defaults={"region": region})
    return org


def testing_bank(*, code: str, size: int, types: dict[str, float] | None = None, seed: int = 7):
    """A testing bank with `size` current questions (types by share), knowledge tags, 4 options each."""
    from exams.models import KnowledgeTag, Question, QuestionBank, stem_digest

    bank = QuestionBank.objects.filter(code=code).first()
    if bank is not None:
        return bank
    rng = random.Random(seed)
    types = types or {"single": 0.6, "multiple": 0.2, "truefalse": 0.2}
    with transaction.atomic():
        bank = QuestionBank.objects.create(code=code, name=f"基准考试题库（{size} 题）", kind=QuestionBank.Kind.TESTING,
                                           owner=exam_centre())
        tags = [KnowledgeTag.objects.get_or_create(code=f"bench-{i:02d}", defaults={"name": f"基准·{t}"})[0]
                for i, t in enumerate(TOPICS)]
        kinds = []
        for qtype, share in types.items():
            kinds += [qtype] * round(size * share)
        kinds = (kinds + ["single"] * size)[:size]
        rng.shuffle(kinds)
        batch = []
        for i, qtype in enumerate(kinds):
            topic = TOPICS[i % len(TOPICS)]
            stem = f"【{topic}】第{i:05d}题：依据相关规定，下列关于{topic}的做法中，哪一项是正确的？"
            if qtype == "truefalse":
                options, answer = [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}], rng.choice("TF")
            else:
                options = [{"key": k, "text": f"{topic}做法{k}：作业前进行风险辨识并落实相应措施（{i}）"} for k in "ABCD"]
                answer = rng.choice("ABCD") if qtype == "single" else "".join(sorted(rng.sample("ABCD", 2)))
            batch.append(Question(bank=bank, lineage=uuid.uuid4(), version=1, is_current=True, type=qtype, stem=stem,
                                  stem_digest=stem_digest(stem), options=options, answer=answer,
                                  difficulty=rng.randint(1, 5), explanation="依据《安全生产法》及相关标准。"))
        Question.objects.bulk_create(batch, batch_size=2000)
        through = Question.tags.through
        ids = list(Question.objects.filter(bank=bank).values_list("id", flat=True))
        links = []
        for n, qid in enumerate(ids):
            links.append(through(question_id=qid, knowledgetag_id=tags[n % len(tags)].pk))
            if n % 3 == 0:
                links.append(through(question_id=qid, knowledgetag_id=tags[(n + 7) % len(tags)].pk))
        through.objects.bulk_create(links, batch_size=5000)
        from exams.pools import bank_touch

        bank_touch(bank.pk)
    return bank


def blueprint(*, code: str, bank, sections: list[tuple[str, str, int, str, tuple[str, ...]]]):
    """sections: (title, type, count, points, tag codes)."""
    from exams.models import Blueprint, BlueprintSection, KnowledgeTag

    bp = Blueprint.objects.filter(code=code).first()
    if bp is not None:
        return bp
    ck = certificate_kind()
    bp = Blueprint.objects.create(code=code, name="特种作业理论考试（基准）", owner=exam_centre(), bank=bank,
                                  certificate_kind=ck, pass_mark=Decimal(80), duration_minutes=120)
    for i, (title, qtype, count, points, tags) in enumerate(sections):
        s = BlueprintSection.objects.create(blueprint=bp, order=i, title=title, question_type=qtype, count=count,
                                            points=Decimal(points))
        if tags:
            s.tags.set(KnowledgeTag.objects.filter(code__in=tags))
    return bp


def certificate_kind():
    from catalogue.models import CertificateKind

    return (CertificateKind.objects.filter(requires_operation_item=False).order_by("id").first()
            or CertificateKind.objects.order_by("id").first())


def exam_session(*, bp, name: str, seats: int):
    from exams.models import ExamSession

    now = timezone.now()
    ck = bp.certificate_kind
    op = None
    if ck.requires_operation_item:
        from catalogue.models import OperationItem

        op = OperationItem.objects.filter(category__rule_version=ck.rule_version).first()
    return ExamSession.objects.create(
        centre=bp.owner, name=name, blueprint=bp, certificate_kind=ck, operation_item=op,
        rule_version=ck.rule_version, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=4),
        seats=max(seats, 30), require_identity_verified=False, require_check_in=False,
    )


def candidates(prefix: str, n: int) -> list:
    User = get_user_model()
    password = make_password(None)  # unusable: candidates are signed in by session
    User.objects.bulk_create(
        [User(username=f"{prefix}{i:05d}", real_name=f"考生{i}", password=password, identity_verified=True)
         for i in range(n)], batch_size=1000)
    return list(User.objects.filter(username__startswith=prefix).order_by("username"))


def registrations(*, session, users) -> list:
    from exams.models import Registration

    Registration.objects.bulk_create([
        Registration(session=session, candidate=u, seat=i + 1, ticket_number=f"BZ{session.pk:05d}{i:05d}",
                     status=Registration.Status.REGISTERED)
        for i, u in enumerate(users)], batch_size=1000)
    return list(Registration.objects.filter(session=session).select_related("candidate").order_by("seat"))
