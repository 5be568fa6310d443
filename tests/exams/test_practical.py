"""Practical exams to the national four-subject norm (K1–K4), veto items, equipment, two examiners,
changes after confirmation, venues (考培分离) and evidence files."""

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import OrgKind, Role
from catalogue.models import OperationItem, PracticalSubject
from core.models import AuditLog
from exams import services
from exams.models import ExamSession, ExamVenue, PracticalEvidence, PracticalResult, PracticalTask, Registration
from tests.factories import OrganizationFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_sheet(item, *, k2_pass_mark=None):
    """K1–K4 for ``item``: one task each (20/40/20/20), veto items in K2."""
    sheet = {}
    for order, (code, name, points) in enumerate(
            (("K1", "K1 安全用具使用", 20), ("K2", "K2 安全操作技术", 40), ("K3", "K3 作业现场安全隐患排除", 20),
             ("K4", "K4 作业现场应急处置", 20))):
        subject = PracticalSubject.objects.create(
            operation_item=item, code=code, name=name, points=Decimal(points), order=order,
            pass_mark=k2_pass_mark if code == "K2" else None,
            veto_items="带电作业未采取安全措施\n造成人身伤害" if code == "K2" else "")
        sheet[code] = PracticalTask.objects.create(operation_item=item, subject=subject, code=f"{item.code}-{code}",
                                                   title=f"{name}考试项目", points=Decimal(points), order=order)
    return sheet


def full_marks(sheet):
    return {t.pk: t.points for t in sheet.values()}


@pytest.fixture
def sheet(lv_item):
    return make_sheet(lv_item)


def test_a_veto_item_fails_the_practical_whatever_the_points(registration, examiner, sheet):
    result = services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet),
                                              vetoes={"K2": ["带电作业未采取安全措施"]})
    assert result.total == Decimal(100) and result.total >= result.pass_mark
    assert result.passed is False
    assert result.vetoes == [{"subject": "K2", "item": "带电作业未采取安全措施"}]
    clean = services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet))
    assert clean.passed is True and clean.vetoes == []
    assert clean.subject_scores["K2"]["score"] == "40.0"


def test_a_veto_item_not_in_the_catalogue_is_refused(registration, examiner, sheet):
    with pytest.raises(ValidationError) as exc:
        services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet),
                                         vetoes={"K2": ["自己编的否决项"]})
    assert "不是该操作项目K2科目的否决项" in " ".join(exc.value.messages)
    assert not PracticalResult.objects.exists()


def test_a_subject_below_its_own_pass_mark_fails(registration, examiner, lv_item):
    sheet = make_sheet(lv_item, k2_pass_mark=Decimal(32))
    scores = full_marks(sheet) | {sheet["K2"].pk: Decimal(30)}  # 90 in total, above the 80 pass mark
    result = services.practical_result_record(examiner=examiner, registration=registration, scores=scores)
    assert result.total == Decimal(90) and not result.passed
    assert result.subject_scores["K2"]["passed"] is False and result.subject_scores["K1"]["passed"] is True


def test_subject_points_must_match_its_tasks(registration, examiner, sheet):
    PracticalSubject.objects.filter(code="K4").update(points=Decimal(25))
    with pytest.raises(ValidationError) as exc:
        services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet))
    assert "不一致" in " ".join(exc.value.messages)


def test_a_simulator_score_is_refused_where_real_equipment_is_required(registration, examiner, sheet, lv_item):
    assert lv_item.real_equipment_required
    with pytest.raises(ValidationError) as exc:
        services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet),
                                         equipment={sheet["K2"].pk: "simulated"})
    assert "须在实际设备上进行" in " ".join(exc.value.messages)
    assert not PracticalResult.objects.exists()
    result = services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet),
                                              equipment={t.pk: "real" for t in sheet.values()})
    assert set(result.equipment.values()) == {"real"}


def test_a_simulator_is_accepted_where_the_item_allows_it(examiner, centre, blueprint, special_kind, make_member):
    item = OperationItem.objects.get(code="chem-nitration", category__rule_version__code="2010")
    assert not item.real_equipment_required
    sheet = make_sheet(item)
    now = timezone.now()
    session = services.session_create(actor=examiner, centre=centre, name="硝化工艺", blueprint=blueprint,
                                      certificate_kind=special_kind, operation_item=item,
                                      starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=2))
    reg = services.registration_create(actor=examiner, session=session,
                                       candidate=make_member(Role.WORKER, identity_verified=True))
    result = services.practical_result_record(examiner=examiner, registration=reg, scores=full_marks(sheet),
                                              equipment={t.pk: "simulated" for t in sheet.values()})
    assert set(result.equipment.values()) == {"simulated"} and result.passed


def test_the_examiner_who_entered_cannot_confirm(registration, examiner, second_examiner, sheet):
    services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet))
    with pytest.raises(ValidationError) as exc:
        services.practical_result_confirm(examiner=examiner, registration=registration)
    assert "不能确认自己录入的成绩" in exc.value.messages[0]
    result = PracticalResult.objects.get()
    assert result.status == PracticalResult.Status.ENTERED and result.confirmed_by is None
    services.practical_result_confirm(examiner=second_examiner, registration=registration)
    result.refresh_from_db()
    assert result.is_confirmed and result.confirmed_by == second_examiner and result.confirmed_at
    assert AuditLog.objects.filter(action="practical_result.confirm", actor=second_examiner).exists()


def test_only_practical_examiners_of_the_centre_enter_or_confirm(registration, examiner, sheet, make_member):
    outsider = make_member(Role.PRACTICAL_EXAMINER)  # another exam centre
    proctor = make_member(Role.PROCTOR, org=registration.session.centre)
    for user in (outsider, proctor):
        with pytest.raises(PermissionDenied):
            services.practical_result_record(examiner=user, registration=registration, scores=full_marks(sheet))
    services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet))
    with pytest.raises(PermissionDenied):
        services.practical_result_confirm(examiner=outsider, registration=registration)
    assert not PracticalResult.objects.get().is_confirmed


def test_two_examiners_entering_must_agree(registration, examiner, second_examiner, sheet):
    services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet))
    other = full_marks(sheet) | {sheet["K3"].pk: Decimal(15)}
    with pytest.raises(ValidationError) as exc:
        services.practical_result_record(examiner=second_examiner, registration=registration, scores=other)
    assert "不一致" in exc.value.messages[0] and sheet["K3"].title in exc.value.messages[0]
    result = PracticalResult.objects.get()
    assert result.status == PracticalResult.Status.ENTERED and result.examiner == examiner
    assert result.total == Decimal(100)
    services.practical_result_record(examiner=second_examiner, registration=registration, scores=full_marks(sheet))
    result.refresh_from_db()
    assert result.is_confirmed and result.examiner == examiner and result.confirmed_by == second_examiner


def test_a_change_after_confirmation_needs_a_reason_and_is_audited(registration, examiner, second_examiner, sheet):
    services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet))
    services.practical_result_confirm(examiner=second_examiner, registration=registration)
    lower = full_marks(sheet) | {sheet["K1"].pk: Decimal(10)}
    with pytest.raises(ValidationError) as exc:
        services.practical_result_record(examiner=examiner, registration=registration, scores=lower)
    assert "修改须填写原因" in " ".join(exc.value.messages)
    result = PracticalResult.objects.get()
    assert result.is_confirmed and result.total == Decimal(100)
    services.practical_result_record(examiner=examiner, registration=registration, scores=lower,
                                     reason="复核录像，K1 漏检绝缘手套")
    result.refresh_from_db()
    assert result.total == Decimal(90)
    # the change must be confirmed again, and counts for nothing until then
    assert result.status == PracticalResult.Status.ENTERED and result.confirmed_by is None
    assert not Registration.objects.get(pk=registration.pk).is_qualified
    log = AuditLog.objects.get(action="practical_result.change_after_confirmation")
    assert log.reason == "复核录像，K1 漏检绝缘手套" and log.actor == examiner
    assert str(log.before["total"]) in ("100", "100.0") and str(log.after["total"]) in ("90", "90.0")


def test_venue_of_a_training_institution_is_refused(examiner, centre, blueprint, special_kind, lv_item, training_org):
    now = timezone.now()
    school = ExamVenue.objects.create(owner=training_org, name="培训学校实操室")
    kwargs = dict(actor=examiner, centre=centre, name="场次", blueprint=blueprint, certificate_kind=special_kind,
                  operation_item=lv_item, starts_at=now, ends_at=now + dt.timedelta(hours=2))
    with pytest.raises(ValidationError) as exc:
        services.session_create(venue=school, **kwargs)
    assert "考培分离" in " ".join(exc.value.messages)
    other_centre = ExamVenue.objects.create(owner=OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None),
                                            name="别的考试中心")
    with pytest.raises(ValidationError):
        services.session_create(venue=other_centre, **kwargs)
    assert not ExamSession.objects.filter(name="场次").exists()
    own = services.venue_create(actor=examiner, owner=centre, name="实操考场一", address="江门市蓬江区")
    session = services.session_create(venue=own, **kwargs)
    assert session.venue == own
    # checked on every save, not only by the service
    session.venue = school
    with pytest.raises(ValidationError):
        session.save()
    assert ExamSession.objects.get(pk=session.pk).venue == own
    with pytest.raises(ValidationError):
        services.venue_create(actor=examiner, owner=training_org, name="培训学校教室")


def test_session_form_offers_own_venues_and_refuses_others(client, examiner, centre, blueprint, training_org):
    own = services.venue_create(actor=examiner, owner=centre, name="第一实操考场")
    school = ExamVenue.objects.create(owner=training_org, name="培训学校实操室")
    client.force_login(examiner)
    page = client.get(reverse("exams:manage_session_create")).content.decode()
    assert own.name in page and school.name not in page
    now = timezone.localtime() + dt.timedelta(days=1)
    data = {"name": "明日场次", "blueprint": blueprint.pk, "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "seats": 10}
    r = client.post(reverse("exams:manage_session_create"), data | {"venue": school.pk})
    assert r.status_code == 200 and not ExamSession.objects.filter(name="明日场次").exists()
    r = client.post(reverse("exams:manage_session_create"), data | {"venue": own.pk})
    assert r.status_code == 302 and ExamSession.objects.get(name="明日场次").venue == own


def test_practical_page_enters_confirms_and_keeps_evidence(client, registration, examiner, second_examiner, sheet,
                                                          make_member, django_assert_max_num_queries):
    url = reverse("exams:manage_practical", kwargs={"pk": registration.pk})
    k2 = PracticalSubject.objects.get(code="K2")
    data = {f"task_{t.pk}": str(t.points) for t in sheet.values()} | {f"equipment_{t.pk}": "real" for t in sheet.values()}
    client.force_login(examiner)
    r = client.post(url, data | {f"veto_{k2.pk}": "1"})
    assert r.status_code == 302
    result = PracticalResult.objects.get()
    assert not result.passed and result.vetoes == [{"subject": "K2", "item": "造成人身伤害"}]
    r = client.post(url, data | {f"equipment_{sheet['K1'].pk}": "simulated"})
    assert "须在实际设备上进行" in r.content.decode()
    client.post(url, data)
    result.refresh_from_db()
    assert result.passed and result.vetoes == []
    evidence_url = reverse("exams:manage_practical_evidence", kwargs={"pk": registration.pk})
    client.post(evidence_url, {"task": sheet["K2"].pk, "file": SimpleUploadedFile("k2.png", b"not an image")})
    assert not PracticalEvidence.objects.exists()
    client.post(evidence_url, {"task": sheet["K2"].pk, "file": SimpleUploadedFile("k2.png", PNG)})
    evidence = PracticalEvidence.objects.get()
    assert "/media/" not in client.get(url).content.decode()
    served = client.get(reverse("exams:manage_practical_evidence_file", kwargs={"pk": evidence.pk}))
    assert served.status_code == 200 and served["Cache-Control"] == "private, no-store"
    client.force_login(make_member(Role.PRACTICAL_EXAMINER))  # another centre
    assert client.get(reverse("exams:manage_practical_evidence_file", kwargs={"pk": evidence.pk})).status_code == 404
    # the examiner who entered is told to wait; the second one confirms
    client.force_login(examiner)
    assert "等待另一位考评员确认" in client.get(url).content.decode()
    client.force_login(second_examiner)
    with django_assert_max_num_queries(25):
        page = client.get(url).content.decode()
    assert "核对无误，确认成绩" in page
    client.post(reverse("exams:manage_practical_confirm", kwargs={"pk": registration.pk}))
    result.refresh_from_db()
    assert result.is_confirmed and result.confirmed_by == second_examiner
    # after confirmation a change without a reason is refused on the page too
    client.force_login(examiner)
    r = client.post(url, data | {f"task_{sheet['K1'].pk}": "10"})
    assert "修改须填写原因" in r.content.decode()
    result.refresh_from_db()
    assert result.is_confirmed and result.total == Decimal(100)


class _Text(HTMLParser):
    """The visible text of <main>, and the visible attribute texts (labels, placeholders)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        if tag in ("script", "style"):
            self.skip += 1
        if self.depth:
            self.parts += [v for k, v in attrs if k in ("aria-label", "placeholder", "title") and v]

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth -= 1
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    allowed = {"JPG", "PNG", "WebP", "MP4", "MOV", "WebM", "PDF", "IP"}
    return {w for w in re.findall(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])", " ".join(parser.parts)) if w not in allowed}


def test_exam_centre_pages_show_no_english(client, registration, examiner, second_examiner, sheet, centre):
    services.venue_create(actor=examiner, owner=centre, name="第一实操考场")
    services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet))
    client.force_login(second_examiner)
    page = client.get(reverse("exams:manage_practical", kwargs={"pk": registration.pk})).content.decode()
    assert "K2 安全操作技术" in page and not english_words(page), english_words(page)
    client.force_login(examiner)
    for name in ("exams:manage_venues", "exams:manage_session_create"):
        page = client.get(reverse(name)).content.decode()
        assert not english_words(page), (name, english_words(page))
    page = client.get(reverse("exams:manage_session", kwargs={"pk": registration.session_id})).content.decode()
    assert "待确认" in page


def test_subjects_are_catalogue_data_copied_with_a_new_version(lv_item, client, django_user_model):
    import io

    from django.core.management import call_command

    make_sheet(lv_item)
    call_command("catalogue_new_version", "2026", "--from", "2010", "--effective", "2026-06-01", stdout=io.StringIO())
    copied = list(PracticalSubject.objects.filter(operation_item__category__rule_version__code="2026",
                                                  operation_item__code="elec-lv").order_by("order"))
    assert [s.code for s in copied] == ["K1", "K2", "K3", "K4"]
    assert copied[1].veto_list == ["带电作业未采取安全措施", "造成人身伤害"] and copied[1].points == Decimal(40)
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.test", "pw-Anxun-2026"))
    page = client.get("/admin/snippets/catalogue/practicalsubject/")
    assert page.status_code == 200 and "K2 安全操作技术" in page.content.decode()


def test_the_second_examiner_sees_the_result_to_confirm_on_the_home_page(registration, examiner, second_examiner,
                                                                          sheet):
    from core.todo import tasks_for

    services.practical_result_record(examiner=examiner, registration=registration, scores=full_marks(sheet))
    titles = {t.title: t.count for t in tasks_for(second_examiner)}
    assert titles.get("待第二考评员确认的实操成绩") == 1
    assert "待第二考评员确认的实操成绩" not in {t.title for t in tasks_for(examiner)}
    services.practical_result_confirm(examiner=second_examiner, registration=registration)
    assert "待第二考评员确认的实操成绩" not in {t.title for t in tasks_for(second_examiner)}
