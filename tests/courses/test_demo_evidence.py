"""The demo ships the inspection thresholds as data and a month of study in which the demo school is
marked for inspection on the bureau's evidence page; seeding twice changes nothing."""

import os

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from courses.models import InspectionThreshold, StudyAnomalyMonth, StudyInterval

pytestmark = pytest.mark.django_db


def _state():
    return (sorted(InspectionThreshold.objects.values_list("effective_from", "max_anomaly_rate")),
            sorted(StudyInterval.objects.values_list("user__username", "token", "seconds", "credited")),
            sorted(StudyAnomalyMonth.objects.values_list("user__username", "month", "two_devices", "providers")))


def test_the_demo_school_is_marked_for_inspection(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    first = _state()
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert _state() == first
    threshold = InspectionThreshold.objects.get()
    assert threshold.max_anomaly_rate is not None and "演示" in threshold.basis

    client.force_login(User.objects.get(username="publisher"))  # bureau publisher and analyst
    page = client.get(reverse("courses:evidence")).content.decode()
    assert "江门市安泰安全技术培训学校（演示）" in page
    assert 'data-inspect="1"' in page and "异常学员比例超过上限" in page and "50.0%" in page
    page = client.get(reverse("courses:anomalies")).content.decode()
    principal = User.objects.get(username="principal")
    assert reverse("courses:person_trail", args=[principal.pk]) in page
    assert "尚未统计" not in page
