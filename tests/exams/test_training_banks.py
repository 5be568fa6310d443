"""考培分离 on the bank pages: an instructor manages the training banks their institution owns and
nothing else; exam-centre staff never edit an institution's training bank."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts.roles import OrgKind, Role
from exams import selectors
from exams.models import Question, QuestionBank
from tests.exams.conftest import add_questions
from tests.factories import OrganizationFactory


@pytest.fixture
def instructor(make_member, training_org):
    return make_member(Role.INSTRUCTOR, org=training_org)


def _xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "标签", "难度"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("q.xlsx", buf.getvalue())


def test_instructor_manages_own_training_bank(client, instructor, training_bank):
    client.force_login(instructor)
    assert client.get(reverse("exams:manage_bank", kwargs={"code": training_bank.code})).status_code == 200
    r = client.post(reverse("exams:manage_question_add", kwargs={"code": training_bank.code}), {
        "type": "single", "stem": "讲师新增的练习题", "option_a": "甲", "option_b": "乙", "answer": "B",
        "difficulty": 2})
    assert r.status_code == 302
    q = Question.objects.get(bank=training_bank, stem="讲师新增的练习题")
    r = client.post(reverse("exams:manage_question_edit", kwargs={"code": training_bank.code, "pk": q.pk}), {
        "type": "single", "stem": "讲师修改的练习题", "option_a": "甲", "option_b": "乙", "answer": "A",
        "difficulty": 2})
    assert r.status_code == 302
    q = Question.objects.get(bank=training_bank, stem="讲师修改的练习题", is_current=True)
    assert q.answer == "A"
    client.post(reverse("exams:manage_question_retire", kwargs={"code": training_bank.code, "pk": q.pk}),
                {"reason": "过时"})
    q.refresh_from_db()
    assert q.retired_at is not None


def test_instructor_imports_questions_all_or_nothing(client, instructor, training_bank):
    client.force_login(instructor)
    url = reverse("exams:manage_import", kwargs={"code": training_bank.code})
    before = Question.objects.filter(bank=training_bank).count()
    bad = client.post(url, {"file": _xlsx([["单选", "好题", "甲", "乙", "", "", "A", "", "", 3],
                                           ["单选", "坏题", "甲", "乙", "", "", "Z", "", "", 3]])})
    assert bad.status_code == 200 and "未导入任何试题" in bad.content.decode()
    assert Question.objects.filter(bank=training_bank).count() == before
    good = client.post(url, {"file": _xlsx([["单选", "导入题一", "甲", "乙", "", "", "A", "", "", 3],
                                            ["判断", "导入题二", "", "", "", "", "对", "", "", 2]])})
    assert good.status_code == 302
    assert Question.objects.filter(bank=training_bank, stem__startswith="导入题").count() == 2
    assert client.get(reverse("exams:manage_import_template")).status_code == 200


def test_instructor_never_reaches_testing_or_other_banks(client, instructor, testing_bank):
    other = QuestionBank.objects.create(code="other-train", name="别家练习题库", kind="training",
                                        owner=OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None))
    add_questions(other, 2, prefix="别家")
    own_testing = QuestionBank.objects.create(code="own-testing", name="机构名下的考试题库", kind="testing",
                                              owner=instructor.memberships.get().organization)
    add_questions(own_testing, 2, prefix="不该看到")
    client.force_login(instructor)
    for bank in (testing_bank, other, own_testing):
        q = bank.questions.first()
        for name, kwargs in [("exams:manage_bank", {}), ("exams:manage_question_add", {}),
                             ("exams:manage_import", {}), ("exams:manage_question_edit", {"pk": q.pk})]:
            r = client.get(reverse(name, kwargs={"code": bank.code, **kwargs}))
            assert r.status_code == 404, (bank.code, name)
        r = client.post(reverse("exams:manage_question_retire", kwargs={"code": bank.code, "pk": q.pk}))
        assert r.status_code == 404
        assert not bank.questions.filter(retired_at__isnull=False).exists()
    # the rest of the exam-centre back office stays closed
    for name in ("exams:manage", "exams:manage_sessions", "exams:manage_blueprints", "exams:manage_marking"):
        assert client.get(reverse(name)).status_code == 404, name
    assert set(selectors.banks_manageable_by(instructor)) == set(QuestionBank.objects.none())


def test_exam_centre_staff_cannot_edit_institution_training_bank(client, examiner, training_bank):
    client.force_login(examiner)
    q = training_bank.questions.first()
    assert client.get(reverse("exams:manage_bank", kwargs={"code": training_bank.code})).status_code == 404
    assert client.get(reverse("exams:manage_question_edit",
                              kwargs={"code": training_bank.code, "pk": q.pk})).status_code == 404
    r = client.post(reverse("exams:manage_import", kwargs={"code": training_bank.code}),
                    {"file": _xlsx([["单选", "考试中心混入", "甲", "乙", "", "", "A", "", "", 3]])})
    assert r.status_code == 404
    assert not Question.objects.filter(stem="考试中心混入").exists()
    assert training_bank not in selectors.banks_manageable_by(examiner)


def test_rule_in_one_place(instructor, examiner, training_bank, testing_bank, make_member):
    assert selectors.may_write_questions(instructor) and selectors.may_write_questions(examiner)
    assert not selectors.may_write_questions(make_member(Role.PROCTOR))
    assert not selectors.may_write_questions(make_member(Role.ENT_ADMIN))
    assert list(selectors.banks_manageable_by(instructor)) == [training_bank]
    assert list(selectors.banks_manageable_by(examiner)) == [testing_bank]
