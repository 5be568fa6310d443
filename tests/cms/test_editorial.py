"""Editorial workflow (editors draft, publishers approve), role → group mapping, scheduled publishing."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from wagtail.models import WorkflowState

from accounts.models import Region
from accounts.roles import OrgKind, Role
from accounts.services import membership_revoke
from cms.models import WarningCasePage, WarningNotification
from cms.schedule import SCHEDULE
from cms.tasks import publish_scheduled


@pytest.fixture
def bureau(db):
    from tests.factories import OrganizationFactory

    return OrganizationFactory(kind=OrgKind.BUREAU, credit_code=None, region=Region.objects.get(code="440700"))


def test_roles_map_to_wagtail_groups_and_back(make_member, bureau):
    editor = make_member(Role.BUREAU_EDITOR, bureau)
    publisher = make_member(Role.BUREAU_PUBLISHER, bureau)
    assert [g.name for g in editor.groups.all()] == ["Editors"]
    assert [g.name for g in publisher.groups.all()] == ["Moderators"]
    assert editor.has_perm("wagtailadmin.access_admin") and editor.has_perm("cms.add_clause")
    membership_revoke(membership=editor.memberships.get())
    editor = type(editor).objects.get(pk=editor.pk)
    assert not editor.groups.exists() and not editor.has_perm("wagtailadmin.access_admin")


def test_enterprise_roles_get_no_admin(make_member):
    user = make_member(Role.ENT_ADMIN)
    assert not user.groups.exists()


def test_admin_reachable_for_editor_and_publisher(client, make_member, bureau):
    for role in (Role.BUREAU_EDITOR, Role.BUREAU_PUBLISHER):
        client.force_login(make_member(role, bureau))
        assert client.get("/admin/").status_code == 200
    client.force_login(make_member(Role.PRINCIPAL))
    assert client.get("/admin/").status_code == 302


def _case_form(**over):
    from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

    from accounts.models import HazardTag

    data = nested_form_data({
        "title": "有限空间中毒事故", "slug": "confined-space-case", "occurred_on": "2025-07-22", "place": "某市",
        "deaths": "1", "injuries": "0", "direct_loss": "", "summary": "简介",
        "what_happened": streamfield([]), "direct_causes": rich_text("<p>未检测</p>"),
        "underlying_causes": rich_text(""), "lessons": rich_text("<p>先通风再检测</p>"),
        "industry": "", "is_demo": "",
    })
    data["hazard_tags"] = [str(HazardTag.objects.get(code="confined-space").pk)]
    data.update(over)
    return data


def test_editor_submits_publisher_approves_and_enterprise_is_notified(
    client, make_member, bureau, sections, enterprise, django_capture_on_commit_callbacks
):
    editor = make_member(Role.BUREAU_EDITOR, bureau)
    publisher = make_member(Role.BUREAU_PUBLISHER, bureau)
    org = enterprise(hazards=["confined-space"])
    principal = make_member(Role.PRINCIPAL, org)
    parent = sections["cases"]

    client.force_login(editor)
    add_url = reverse("wagtailadmin_pages:add", args=["cms", "warningcasepage", parent.pk])
    assert client.get(add_url).status_code == 200
    r = client.post(add_url, _case_form(**{"action-submit": "1"}))
    assert r.status_code == 302, r.content.decode()[:3000]
    page = WarningCasePage.objects.get(slug="confined-space-case")
    assert not page.live
    state = WorkflowState.objects.get(base_content_type__isnull=False, object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    # the workflow and its step speak the bureau's language, not Wagtail's defaults
    assert state.workflow.name == "编辑起草、审核发布"
    assert state.current_task_state.task.name == "监管部门审核发布"
    # The editor cannot publish directly.
    assert not page.permissions_for_user(editor).can_publish()

    client.force_login(publisher)
    task_state = state.current_task_state
    approve_url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(approve_url, {"comment": "同意发布"})
    assert r.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
    assert page.revisions.count() >= 1
    n = WarningNotification.objects.get(recipient=principal)
    assert n.page_id == page.pk

    client.force_login(principal)
    assert "有限空间中毒事故" in client.get(reverse("cms:inbox")).content.decode()
    client.get(reverse("cms:inbox_item", args=[n.pk]))  # opened before it can be confirmed
    client.post(reverse("cms:inbox_read", args=[n.pk]))
    n.refresh_from_db()
    assert n.read_at is not None


def test_beat_schedule_runs_publish_scheduled():
    assert SCHEDULE["cms-publish-scheduled"]["task"] == "cms.tasks.publish_scheduled"
    assert SCHEDULE["cms-publish-scheduled"]["schedule"] <= 300


def test_scheduled_publishing_happens_through_the_beat_task(make_case):
    go_live = timezone.now() + dt.timedelta(hours=2)
    case = make_case("定时发布的案例", hazards=["confined-space"], publish=False)
    case.go_live_at = go_live
    revision = case.save_revision()
    revision.publish()  # with a future go_live_at this only schedules
    case.refresh_from_db()
    assert not case.live
    publish_scheduled()
    case.refresh_from_db()
    assert not case.live, "not before its time"
    with time_machine.travel(go_live + dt.timedelta(minutes=1), tick=False):
        publish_scheduled()
    case.refresh_from_db()
    assert case.live
    assert case.url == f"/cases/{case.slug}/"
