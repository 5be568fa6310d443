"""The generated population (``seed_demo --scale city``): valid identifiers, every certificate
status, realistic spread, and the same rows for the same seed."""

import io

import pytest
from django.core.management import call_command

from accounts import pii
from accounts.models import Membership, Organization, User
from accounts.roles import Role
from accounts.validators import validate_credit_code, validate_id_number
from certificates.models import Certificate, LiveStatus
from cms.models import WarningNotification
from courses.models import Enrolment, StudyInterval, TrainingRecord
from exams.models import Attempt
from reports import scale

pytestmark = pytest.mark.django_db


def snapshot():
    users = list(User.objects.filter(username__startswith="democ-").order_by("username")
                 .values_list("username", "real_name", "id_number_hash"))
    orgs = list(Organization.objects.filter(name__contains="（演示0").order_by("credit_code")
                .values_list("credit_code", "name", "region_id", "industry__code"))
    certs = list(Certificate.objects.filter(number__startswith="YSC").order_by("number")
                 .values_list("number", "holder__username", "valid_from", "state", "next_review_due"))
    return users, orgs, certs


def test_city_population_is_valid_and_deterministic():
    call_command("seed_demo", stdout=io.StringIO())  # the hand-made demo it builds on
    out = io.StringIO()
    call_command("seed_demo", "--scale", "city", "--enterprises", "40", "--seed", "7", stdout=out)
    assert "generated city population" in out.getvalue()

    people = User.objects.filter(username__startswith="democ-")
    assert people.count() >= 40 * 4
    for user in people:
        number = user.id_number
        assert validate_id_number(number) == number
        assert user.id_number_hash == pii.keyed_hash(number)
        assert user.email.endswith("@demo.anxun.local")
    enterprises = Organization.objects.filter(name__contains="（演示0")
    assert enterprises.count() == 40
    for org in enterprises:
        assert validate_credit_code(org.credit_code) == org.credit_code
        assert org.region.parent_id == "440700"  # a district of Jiangmen
    # every enterprise has its principal and safety manager
    for role in (Role.PRINCIPAL, Role.SAFETY_MANAGER):
        assert Membership.objects.filter(organization__in=enterprises, role=role).count() == 40

    certs = list(Certificate.objects.filter(number__startswith="YSC").select_related("kind"))
    assert {c.status for c in certs} == set(LiveStatus.values)
    assert all(c.source == Certificate.Source.DEMO for c in certs)
    assert Attempt.objects.filter(user__username__startswith="democ-", status="graded").count() == len(certs)
    assert Enrolment.objects.filter(user__username__startswith="democ-").count() == people.count()
    assert StudyInterval.objects.filter(user__username__startswith="democ-").exists()
    pushes = WarningNotification.objects.filter(recipient__username__startswith="democ-")
    assert pushes.filter(read_at__isnull=False).exists() and pushes.filter(read_at__isnull=True).exists()
    # the 调度表 at scale: six towns per district, an accepted copy for every finished period
    from reports.models import ReportCopy, RollupBuild

    copies = ReportCopy.objects.filter(campaign__name=scale.GENERATED_CAMPAIGN, status="accepted")
    assert copies.values("unit").distinct().count() == 7 * scale.UNITS_PER_REGION
    # the bureau pages' roll-up is built with the data
    assert RollupBuild.objects.get().cells.filter(enterprises__gt=0).exists()
    # principals and safety managers: some meet the legal minimum hours, some fall short, some never trained
    from reports.coverage import register_coverage

    bureau = User.objects.create_superuser("scale-check", password="x")
    reg = register_coverage(bureau, enterprises=enterprises)
    statuses = {row.status for row in reg["people"]}
    assert {"met", "short"} <= statuses, statuses

    first = snapshot()
    # a second load of the same scale is refused, nothing changed
    with pytest.raises(Exception, match="already loaded"):
        call_command("seed_demo", "--scale", "city", "--enterprises", "40", "--seed", "7", stdout=io.StringIO())
    assert snapshot() == first
    # same seed again from scratch: the same rows
    # from scratch (the test's transaction rolls all of it back)
    WarningNotification.objects.filter(recipient__username__startswith="democ-").delete()
    StudyInterval.objects.filter(user__username__startswith="democ-").delete()
    Enrolment.objects.filter(user__username__startswith="democ-").delete()
    TrainingRecord.objects.filter(person__username__startswith="democ-").delete()
    Certificate.objects.filter(number__startswith="YSC").delete()
    Attempt.all_objects.filter(user__username__startswith="democ-").delete()
    from exams.models import ExamSession, Registration

    Registration.objects.filter(candidate__username__startswith="democ-").delete()
    ExamSession.objects.filter(name__startswith="city规模演示考试").delete()
    people.delete()
    enterprises.delete()
    scale.generate(scale="city", seed=7, enterprises=40, log=lambda *_: None)
    assert snapshot() == first
