"""Every figure on a dashboard equals the number of rows (or the total) of the list it links to, for the
same user; the enterprise's own dashboard shows no bureau-only figures and agrees with the inbox and the
training progress page."""

import re

from django.urls import reverse

from cms.models import WarningNotification
from courses.models import Enrolment

from .conftest import JUNE
from .test_dashboard import figure_values


def tiles(html: str) -> list[tuple[str, str, str]]:
    """(metric key, shown number, link) of every figure tile that links somewhere."""
    return [(key, num.strip(), url.replace("&amp;", "&")) for url, key, num in re.findall(
        r'<a class="rep-figure[^"]*" href="([^"]+)" data-metric="([a-z_0-9]+)"[^>]*>\s*<span class="num">([^<]*)', html)]


def drill_total(client, url: str) -> int:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return int(re.search(r"data-total>(\d+)", resp.content.decode()).group(1))


def assert_every_tile_agrees(client, html: str) -> int:
    checked = 0
    for key, num, url in tiles(html):
        if not num[:1].isdigit() or num.endswith("%") or "<small>%" in num:
            continue
        if "rate" in key:  # a rate links to the list of its numerator
            continue
        shown = int(re.match(r"\d+", num).group(0))
        assert drill_total(client, url) == shown, (key, shown, url)
        checked += 1
    return checked


def test_enterprise_dashboard_every_figure_equals_its_list(activity, warnings_data, world, client):
    client.force_login(world["ent_admin"])
    html = client.get(reverse("reports:enterprise"), JUNE).content.decode()
    assert assert_every_tile_agrees(client, html) >= 15


def test_bureau_dashboard_every_figure_equals_its_list(activity, warnings_data, world, client):
    client.force_login(world["analyst"])
    html = client.get(reverse("reports:bureau"), JUNE).content.decode()
    assert assert_every_tile_agrees(client, html) >= 20


def test_enterprise_dashboard_shows_no_enterprise_counts(activity, warnings_data, world, client):
    client.force_login(world["ent_admin"])
    html = client.get(reverse("reports:enterprise"), JUNE).content.decode()
    keys = {k for k, _n, _u in tiles(html)} | set(figure_values(html))
    assert not {"ent_total", "ent_trained", "ent_roster_unlicensed", "ent_high_risk"} & keys
    assert "<small>家</small>" not in html
    # the bureau still has them
    client.force_login(world["analyst"])
    assert "<small>家</small>" in client.get(reverse("reports:bureau"), JUNE).content.decode()


def test_unread_warnings_figure_is_the_inbox_of_the_recipients(warnings_data, world, client):
    e1 = world["e1"]
    p0, p1 = world["people"][e1.pk][:2]
    client.force_login(world["ent_admin"])
    shown = figure_values(client.get(reverse("reports:enterprise"), JUNE).content.decode())["notif_unread_all"]
    unread_rows = WarningNotification.objects.filter(organization=e1, read_at__isnull=True)
    assert shown.startswith(str(unread_rows.count()))
    # the same rows are what the recipients find unread in their inboxes
    inbox_unread = 0
    for person in (p0, p1):
        client.force_login(person)
        body = client.get(reverse("cms:inbox")).content.decode()
        inbox_unread += body.count('class="unread-dot"')
    assert inbox_unread == unread_rows.count() == 1
    # the enterprise administrator, who receives no warnings, is told where the figure comes from
    client.force_login(world["ent_admin"])
    body = client.get(reverse("cms:inbox")).content.decode()
    assert "本单位人员尚有 1 份警示推送未确认阅读" in body
    link = re.search(r'href="(/reports/dashboard/list/notif_unread_all/\?[^"]+)"', body).group(1).replace("&amp;", "&")
    assert drill_total(client, link) == 1


def test_enrolment_figures_equal_the_training_progress_page(activity, world, client):
    e1 = world["e1"]
    p3 = world["people"][e1.pk][3]
    # a withdrawn enrolment counts nowhere
    from courses.models import Course

    Enrolment.objects.create(user=p3, course=Course.objects.get(code="rep-c1"), status="withdrawn")
    Enrolment.objects.create(user=world["people"][e1.pk][2], course=Course.objects.get(code="rep-c1"),
                             status="completed")
    client.force_login(world["ent_admin"])
    shown = figure_values(client.get(reverse("reports:enterprise"), JUNE).content.decode())
    page = client.get(reverse("courses:enterprise"), {"org": e1.pk}).content.decode()
    cards = dict(re.findall(r'<div class="muted">([^<]+)</div><strong class="big"[^>]*>(\d+)</strong>', page))
    assert shown["enrol_total"].startswith(cards["选课"]) and cards["选课"] == "3"
    assert shown["enrol_completed"].startswith(cards["已完成"]) and cards["已完成"] == "1"
    assert shown["enrol_overdue"].startswith(cards["已逾期"]) and cards["已逾期"] == "1"
