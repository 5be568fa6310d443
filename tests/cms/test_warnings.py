"""Targeted warning push, inbox read receipts and the bureau's read-status views."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region
from accounts.roles import OrgKind, Role
from cms.models import WarningNotification, WarningReadCount
from cms.services import notification_mark_opened, notification_mark_read, warning_counts_rebuild, warning_push
from tests.factories import OrganizationFactory


@pytest.fixture
def dust_case(make_case):
    return make_case("抛光车间铝粉尘爆炸", industry="machinery", hazards=["dust-explosion"], processes=["polishing"])


@pytest.fixture
def people(enterprise, make_member):
    dust = enterprise(industry="light-industry", hazards=["dust-explosion"])
    polish = enterprise(industry="textile", processes=["polishing"])
    same_industry = enterprise(industry="machinery")
    other = enterprise(industry="commerce-trade", hazards=["ammonia-refrigeration"], processes=["cold-storage"])
    return {
        "dust": dust, "polish": polish, "same_industry": same_industry, "other": other,
        "dust_principal": make_member(Role.PRINCIPAL, dust, email="p@example.com"),
        "dust_manager": make_member(Role.SAFETY_MANAGER, dust),
        "dust_worker": make_member(Role.WORKER, dust),
        "dust_admin": make_member(Role.ENT_ADMIN, dust),
        "polish_principal": make_member(Role.PRINCIPAL, polish),
        "industry_principal": make_member(Role.PRINCIPAL, same_industry),
        "other_principal": make_member(Role.PRINCIPAL, other),
    }


def test_push_reaches_principals_and_safety_managers_of_matching_enterprises_only(
        people, dust_case, sms_outbox, django_capture_on_commit_callbacks):
    from core.models import Notification

    people["dust_manager"].phone = "13700000002"
    people["dust_manager"].save()
    with django_capture_on_commit_callbacks(execute=True):
        created = warning_push(page_id=dust_case.pk)
    recipients = set(WarningNotification.objects.filter(page=dust_case).values_list("recipient__username", flat=True))
    expected = {people[k].username for k in ("dust_principal", "dust_manager", "polish_principal", "industry_principal")}
    assert recipients == expected
    assert created == 4
    n = WarningNotification.objects.get(recipient=people["dust_principal"])
    assert "粉尘涉爆" in n.matched_on and n.organization == people["dust"]
    assert "设备/工艺：抛光打磨" in WarningNotification.objects.get(recipient=people["polish_principal"]).matched_on
    # Email to those who have an address, a text message to those with a phone, once.
    assert [m.to for m in mail.outbox] == [["p@example.com"]]
    assert "抛光车间铝粉尘爆炸" in mail.outbox[0].subject
    assert [m.phone for m in sms_outbox] == ["13700000002"] and "抛光车间铝粉尘爆炸" in sms_outbox[0].body
    # every recipient has an in-app notification leading to their inbox item
    notes = Notification.objects.filter(kind="cms.warning")
    assert set(notes.values_list("user__username", flat=True)) == expected
    manager_item = WarningNotification.objects.get(recipient=people["dust_manager"])
    assert notes.get(user=people["dust_manager"]).url == reverse("cms:inbox_item", args=[manager_item.pk])
    assert not WarningNotification.objects.filter(page=dust_case, emailed_at__isnull=True).exists()


def test_push_is_idempotent_across_republish(people, dust_case, sms_outbox, django_capture_on_commit_callbacks):
    from core.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        warning_push(page_id=dust_case.pk)
        assert warning_push(page_id=dust_case.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        dust_case.title = "抛光车间铝粉尘爆炸（修订）"
        dust_case.save_revision().publish()
    assert WarningNotification.objects.filter(page=dust_case).count() == 4
    assert Notification.objects.filter(kind="cms.warning").count() == 4
    assert len(mail.outbox) == 1


def test_publishing_queues_the_push_on_commit(people, make_case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = make_case("液氨泄漏", hazards=["ammonia-refrigeration"])
    assert callbacks, "the push is queued on commit"
    assert list(WarningNotification.objects.filter(page=case).values_list("recipient", flat=True)) == [people["other_principal"].pk]


def test_draft_case_pushes_nothing(people, make_case):
    case = make_case("草稿案例", hazards=["dust-explosion"], publish=False)
    assert warning_push(page_id=case.pk) == 0
    assert not WarningNotification.objects.exists()


def test_person_joining_later_receives_past_matching_warnings(people, dust_case, make_member):
    warning_push(page_id=dust_case.pk)
    newcomer = make_member(Role.SAFETY_MANAGER, people["dust"])
    assert WarningNotification.objects.filter(recipient=newcomer, page=dust_case).count() == 1
    outsider = make_member(Role.SAFETY_MANAGER, people["other"])
    assert not WarningNotification.objects.filter(recipient=outsider).exists()


def test_inbox_shows_unread_and_confirm_read_records_time(client, people, dust_case):
    warning_push(page_id=dust_case.pk)
    user = people["dust_principal"]
    client.force_login(user)
    r = client.get(reverse("cms:inbox"))
    assert r.status_code == 200 and "1 条未读" in r.content.decode() and "抛光车间铝粉尘爆炸" in r.content.decode()
    n = WarningNotification.objects.get(recipient=user)
    assert client.get(reverse("cms:inbox_item", args=[n.pk])).status_code == 200
    r = client.post(reverse("cms:inbox_read", args=[n.pk]))
    assert r.status_code == 302
    n.refresh_from_db()
    first = n.read_at
    assert first is not None
    client.post(reverse("cms:inbox_read", args=[n.pk]))
    n.refresh_from_db()
    assert n.read_at == first, "a second confirmation keeps the first time"
    assert "条未读" not in client.get(reverse("cms:inbox")).content.decode()  # nor on the bell of the in-app notices


def test_confirm_is_refused_until_the_warning_was_opened(client, people, dust_case):
    from core.models import AuditLog

    warning_push(page_id=dust_case.pk)
    user = people["dust_principal"]
    n = WarningNotification.objects.get(recipient=user)
    client.force_login(user)
    inbox = client.get(reverse("cms:inbox")).content.decode()
    # the list offers to open the warning, never to confirm it
    assert "确认已读</button>" not in inbox and reverse("cms:inbox_read", args=[n.pk]) not in inbox
    assert reverse("cms:inbox_item", args=[n.pk]) in inbox
    r = client.post(reverse("cms:inbox_read", args=[n.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("cms:inbox_item", args=[n.pk])
    n.refresh_from_db()
    assert n.read_at is None and n.opened_at is None
    assert not AuditLog.objects.filter(action="cms.warning_read").exists()
    # the refusal is explained on the warning itself, where the person can read it
    assert "请先打开这条警示" in client.get(r["Location"]).content.decode()
    WarningNotification.objects.filter(pk=n.pk).update(opened_at=None)
    # opening records the time once; then confirming works
    item = client.get(reverse("cms:inbox_item", args=[n.pk])).content.decode()
    assert reverse("cms:inbox_read", args=[n.pk]) in item
    n.refresh_from_db()
    opened = n.opened_at
    assert opened is not None
    client.get(reverse("cms:inbox_item", args=[n.pk]))
    n.refresh_from_db()
    assert n.opened_at == opened, "a second opening keeps the first time"
    r = client.post(reverse("cms:inbox_read", args=[n.pk]))
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.read_at is not None and n.read_at >= n.opened_at


def test_opening_someone_elses_warning_records_nothing(client, people, dust_case):
    warning_push(page_id=dust_case.pk)
    n = WarningNotification.objects.get(recipient=people["dust_principal"])
    client.force_login(people["dust_manager"])
    assert client.get(reverse("cms:inbox_item", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.opened_at is None


def test_nobody_confirms_for_someone_else(client, people, dust_case):
    warning_push(page_id=dust_case.pk)
    n = WarningNotification.objects.get(recipient=people["dust_principal"])
    client.force_login(people["dust_manager"])
    assert client.post(reverse("cms:inbox_read", args=[n.pk])).status_code == 404
    assert client.get(reverse("cms:inbox_item", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_inbox_requires_login(client):
    r = client.get(reverse("cms:inbox"))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def confirm(person):
    """The recipient opens the warning and confirms it read (the one way a push becomes read)."""
    n = WarningNotification.objects.get(recipient=person)
    notification_mark_opened(notification=n, user=person)
    return notification_mark_read(notification=n, user=person)


def figures(page):
    return {r.region_code: (r.enterprises, r.recipients, r.read) for r in WarningReadCount.objects.filter(page=page)}


@pytest.fixture
def bureaus(make_member):
    jiangmen = OrganizationFactory(kind=OrgKind.BUREAU, credit_code=None, region=Region.objects.get(code="440700"))
    beijing = OrganizationFactory(kind=OrgKind.BUREAU, credit_code=None, region=Region.objects.get(code="110000"))
    return {
        "local": make_member(Role.BUREAU_ANALYST, jiangmen),
        "far": make_member(Role.BUREAU_PUBLISHER, beijing),
    }


def test_bureau_sees_who_has_and_has_not_read(client, people, dust_case, bureaus):
    warning_push(page_id=dust_case.pk)
    read = confirm(people["dust_principal"])
    client.force_login(bureaus["local"])
    r = client.get(reverse("cms:warning_status"))
    body = r.content.decode()
    assert r.status_code == 200 and "抛光车间铝粉尘爆炸" in body
    row = r.context["items"][0]
    assert (row.recipients, row.read, row.unread, row.enterprises) == (4, 1, 3, 3)
    r = client.get(reverse("cms:warning_status_detail", args=[dust_case.pk]))
    assert r.status_code == 200
    assert (r.context["total"], r.context["read"], r.context["unread"]) == (4, 1, 3)
    body = r.content.decode()
    assert people["dust"].name in body and people["dust_manager"].real_name in body
    assert timezone.localtime(read.read_at).strftime("%Y-%m-%d %H:%M") in body


def test_bureau_outside_the_region_sees_nothing(client, people, dust_case, bureaus):
    warning_push(page_id=dust_case.pk)
    client.force_login(bureaus["far"])
    r = client.get(reverse("cms:warning_status"))
    assert r.status_code == 200 and list(r.context["items"]) == []
    assert client.get(reverse("cms:warning_status_detail", args=[dust_case.pk])).status_code == 404
    assert client.post(reverse("cms:warning_remind", args=[dust_case.pk])).status_code == 404


def test_enterprise_people_cannot_open_the_bureau_views(client, people, dust_case):
    warning_push(page_id=dust_case.pk)
    client.force_login(people["dust_admin"])
    assert client.get(reverse("cms:warning_status")).status_code == 403
    assert client.get(reverse("cms:warning_status_detail", args=[dust_case.pk])).status_code == 403


def test_bureau_reminds_only_the_unread(client, people, dust_case, bureaus, django_capture_on_commit_callbacks):
    warning_push(page_id=dust_case.pk)
    confirm(people["polish_principal"])
    people["dust_manager"].email = "m@example.com"
    people["dust_manager"].save()
    mail.outbox.clear()
    client.force_login(bureaus["local"])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("cms:warning_remind", args=[dust_case.pk]))
    assert r.status_code == 302
    assert WarningNotification.objects.filter(reminded_at__isnull=False).count() == 3
    assert not WarningNotification.objects.get(recipient=people["polish_principal"]).reminded_at
    assert sorted(m.to[0] for m in mail.outbox) == ["m@example.com", "p@example.com"]
    from core.models import Notification

    assert Notification.objects.filter(kind="cms.warning_remind").count() == 3
    # a second press (or a retried task) within the hour sends nothing twice
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cms:warning_remind", args=[dust_case.pk]))
    assert Notification.objects.filter(kind="cms.warning_remind").count() == 3 and len(mail.outbox) == 2


def test_status_list_query_budget(client, people, make_case, bureaus, django_assert_max_num_queries):
    for i in range(6):
        case = make_case(f"案例{i}", hazards=["dust-explosion"], slug=f"c{i}")
        warning_push(page_id=case.pk)
    client.force_login(bureaus["local"])
    with django_assert_max_num_queries(12):
        r = client.get(reverse("cms:warning_status"))
    assert len(r.context["items"]) == 6


def test_read_status_figures_are_kept_by_push_and_confirmation(people, dust_case, make_member, enterprise):
    warning_push(page_id=dust_case.pk)
    assert figures(dust_case) == {"440704": (3, 4, 0)}
    confirm(people["dust_principal"])
    # a second confirmation (another tab) changes nothing
    n = WarningNotification.objects.get(recipient=people["dust_principal"])
    notification_mark_read(notification=n, user=people["dust_principal"])
    assert figures(dust_case) == {"440704": (3, 4, 1)}
    # a person who becomes principal later, in an enterprise of another district
    late = enterprise(industry="machinery", region="440703")
    make_member(Role.PRINCIPAL, late)
    assert figures(dust_case) == {"440704": (3, 4, 1), "440703": (1, 1, 0)}
    # what the services keep is what a recount from the pushes gives
    kept = figures(dust_case)
    WarningReadCount.objects.all().delete()
    warning_counts_rebuild()
    assert figures(dust_case) == kept


def test_confirmation_recounts_missing_figures(people, dust_case):
    warning_push(page_id=dust_case.pk)
    WarningReadCount.objects.all().delete()
    confirm(people["dust_manager"])
    assert figures(dust_case) == {"440704": (3, 4, 1)}


def test_rebuild_puts_right_an_enterprise_that_moved(people, dust_case):
    warning_push(page_id=dust_case.pk)
    confirm(people["dust_principal"])
    people["dust"].region = Region.objects.get(code="440703")
    people["dust"].save()
    warning_counts_rebuild(page_ids=[dust_case.pk])
    assert figures(dust_case) == {"440704": (2, 2, 0), "440703": (1, 2, 1)}


def test_status_list_is_summed_per_region_and_scoped(client, people, dust_case, bureaus, make_member):
    warning_push(page_id=dust_case.pk)
    confirm(people["dust_principal"])
    province = OrganizationFactory(kind=OrgKind.BUREAU, credit_code=None, region=Region.objects.get(code="440000"))
    district = OrganizationFactory(kind=OrgKind.BUREAU, credit_code=None, region=Region.objects.get(code="440703"))
    people["polish"].region = Region.objects.get(code="440703")
    people["polish"].save()
    warning_counts_rebuild()
    client.force_login(make_member(Role.BUREAU_ANALYST, province))
    row = client.get(reverse("cms:warning_status")).context["items"][0]
    assert (row.enterprises, row.recipients, row.read, row.unread) == (3, 4, 1, 3)
    client.force_login(make_member(Role.BUREAU_ANALYST, district))
    row = client.get(reverse("cms:warning_status")).context["items"][0]
    assert (row.enterprises, row.recipients, row.read, row.unread) == (1, 1, 0, 1)
    r = client.get(reverse("cms:warning_status_detail", args=[dust_case.pk]))
    assert [g["org"] for g in r.context["groups"]] == [people["polish"]]
    assert (r.context["total"], r.context["read"], r.context["unread"]) == (1, 0, 1)


def test_status_detail_pages_by_enterprise_keyset(client, people, dust_case, bureaus, enterprise, make_member,
                                                 django_assert_max_num_queries):
    from cms import selectors

    extra = [enterprise(hazards=["dust-explosion"]) for _ in range(5)]
    for org in extra:
        make_member(Role.PRINCIPAL, org)
    warning_push(page_id=dust_case.pk)
    user = bureaus["local"]
    seen, after, pages = [], 0, 0
    while True:
        groups, after = selectors.warning_status_detail(user, dust_case, after=after, size=3)
        seen += [g["org"].pk for g in groups]
        pages += 1
        if after is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8 and pages == 3
    client.force_login(user)
    first = client.get(reverse("cms:warning_status_detail", args=[dust_case.pk]))
    assert first.context["next_after"] is None and len(first.context["groups"]) == 8
    with django_assert_max_num_queries(14):
        r = client.get(reverse("cms:warning_status_detail", args=[dust_case.pk]) + f"?after={seen[4]}")
    assert [g["org"].pk for g in r.context["groups"]] == seen[5:]
    assert r.context["total"] == 9 and "回到第一页" in r.content.decode()


@pytest.mark.django_db
def test_generated_population_gets_its_read_figures():
    """seed_demo --scale bulk-loads pushes and read receipts; their figures are recounted after."""
    import io

    from django.core.management import call_command
    from django.db.models import Sum

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", "--scale", "city", "--enterprises", "12", "--seed", "3", stdout=io.StringIO())
    pushes = WarningNotification.objects.all()
    assert pushes.filter(read_at__isnull=True).exists() and pushes.filter(read_at__isnull=False).exists()
    kept = WarningReadCount.objects.aggregate(n=Sum("recipients"), r=Sum("read"))
    assert (kept["n"], kept["r"]) == (pushes.count(), pushes.filter(read_at__isnull=False).count())
