"""Fixtures for the exams tests: an exam centre with a testing bank, a training institution with a
training bank, a blueprint, an open session and a registered candidate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.roles import OrgKind, Role
from catalogue.models import CertificateKind, OperationItem
from exams import services
from exams.pools import bank_touch
from exams.models import KnowledgeTag, Question, QuestionBank
from tests.factories import OrganizationFactory


def add_questions(bank, n, qtype="single", prefix="题", difficulty=3, tags=()):
    """Bulk-create n valid questions of one type (fast)."""
    import uuid

    from exams.models import stem_digest, truefalse_options

    objs = []
    for i in range(n):
        stem = f"{bank.code}-{prefix}{qtype}{i}：下列说法正确的是？"
        if qtype == "single":
            opts = [{"key": k, "text": f"选项{k}{i}"} for k in "ABCD"]
            ans = "ABCD"[i % 4]
        elif qtype == "multiple":
            opts = [{"key": k, "text": f"选项{k}{i}"} for k in "ABCDE"]
            ans = "AC" if i % 2 else "BDE"
        elif qtype == "truefalse":
            opts, ans = truefalse_options(), "T" if i % 2 else "F"
        else:
            opts, ans = [], ""
        objs.append(Question(bank=bank, lineage=uuid.uuid4(), type=qtype, stem=stem, stem_digest=stem_digest(stem),
                             options=opts, answer=ans, explanation=f"解析{i}：依据规定。", difficulty=difficulty))
    created = Question.objects.bulk_create(objs)
    if tags:
        through = Question.tags.through
        through.objects.bulk_create([through(question_id=q.pk, knowledgetag_id=t.pk) for q in created for t in tags])
    bank_touch(bank.pk)  # bulk writes send no signals
    return created


@pytest.fixture(autouse=True)
def _reference_data_present(request):
    """A transactional test elsewhere on this worker flushes every table when it ends; make sure the
    reference data that migrations ship (regions, the operation catalogue) is there for these tests."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        yield
        return
    request.getfixturevalue("db") if not request.node.get_closest_marker("django_db") else None
    from accounts.models import Region

    if not Region.objects.exists() or not CertificateKind.objects.exists():
        import importlib
        from tests.conftest import REFERENCE_MIGRATIONS, TODAYS_APPS

        for module in REFERENCE_MIGRATIONS:
            importlib.import_module(module).forwards(TODAYS_APPS, None)
    yield


@pytest.fixture
def centre(db):
    return OrganizationFactory(kind=OrgKind.EXAM_CENTRE, name="测试考试中心", credit_code=None)


@pytest.fixture
def training_org(db):
    return OrganizationFactory(kind=OrgKind.TRAINING, name="测试培训学校", credit_code=None)


@pytest.fixture
def lv_item(db):
    return OperationItem.objects.get(code="elec-lv")


@pytest.fixture
def special_kind(db):
    return CertificateKind.objects.get(code="special-op", rule_version__code="2010")


@pytest.fixture
def testing_bank(centre, lv_item):
    bank = QuestionBank.objects.create(code="t-test", name="测试考试题库", kind="testing", owner=centre, operation_item=lv_item)
    add_questions(bank, 30, "single")
    add_questions(bank, 12, "multiple")
    add_questions(bank, 20, "truefalse")
    add_questions(bank, 3, "essay")
    return bank


@pytest.fixture
def training_bank(training_org, lv_item):
    bank = QuestionBank.objects.create(code="t-train", name="测试练习题库", kind="training", owner=training_org,
                                       operation_item=lv_item)
    add_questions(bank, 20, "single", prefix="练")
    add_questions(bank, 10, "multiple", prefix="练")
    add_questions(bank, 10, "truefalse", prefix="练")
    return bank


def small_sections(essay=False):
    S = services.SectionSpec
    secs = [S("单选题", "single", 10, Decimal("4")), S("多选题", "multiple", 5, Decimal("6")),
            S("判断题", "truefalse", 10, Decimal("3"))]
    if essay:
        secs[-1] = S("判断题", "truefalse", 5, Decimal("4"))
        secs.append(S("简答题", "essay", 1, Decimal("10")))
    return secs


@pytest.fixture
def blueprint(centre, testing_bank, training_bank, special_kind):
    return services.blueprint_save(
        actor=None, owner=centre, code="bp-test", name="低压电工作业理论考试（测试）", bank=testing_bank,
        training_bank=training_bank, certificate_kind=special_kind, sections=small_sections(), duration_minutes=60,
    )


@pytest.fixture
def examiner(make_member, centre):
    user = make_member(Role.ITEM_WRITER, org=centre)
    from tests.factories import MembershipFactory

    for role in (Role.PROCTOR, Role.PRACTICAL_EXAMINER, Role.CERT_OFFICER):
        MembershipFactory(user=user, organization=centre, role=role)
    return user


@pytest.fixture
def second_examiner(make_member, centre):
    """Another practical examiner of the same centre: confirms what ``examiner`` entered."""
    return make_member(Role.PRACTICAL_EXAMINER, org=centre)


@pytest.fixture
def session(centre, blueprint, special_kind, lv_item, examiner):
    now = timezone.now()
    return services.session_create(
        actor=examiner, centre=centre, name="测试场次", blueprint=blueprint, certificate_kind=special_kind,
        operation_item=lv_item, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3),
        room="第一考场", seats=60, require_check_in=False,
    )


@pytest.fixture
def candidate(make_member):
    return make_member(Role.WORKER, identity_verified=True)


@pytest.fixture
def registration(session, candidate, examiner):
    return services.registration_create(actor=examiner, session=session, candidate=candidate)


@pytest.fixture
def tag(db):
    return KnowledgeTag.objects.create(code="kp-ground", name="接地与接零")


@pytest.fixture
def candidates(make_member, session, examiner, registration):
    """Three registered candidates (the fixture's and two more)."""
    regs = [registration]
    for _ in range(2):
        user = make_member(Role.WORKER, identity_verified=True)
        regs.append(services.registration_create(actor=examiner, session=session, candidate=user))
    return regs
