"""Bureau pages on the honesty of online study: anomalies per training institution and per
enterprise, with the flagged people (drill-down to their trail)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import BUREAU_ROLES
from accounts.selectors import has_role

from .anomalies import anomaly_overview, institution_evidence, recorded_at


def _month(value: str) -> tuple[dt.date, dt.datetime, dt.datetime]:
    today = timezone.localdate()
    try:
        first = dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        first = today.replace(day=1)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    tz = timezone.get_current_timezone()
    return first, dt.datetime.combine(first, dt.time(), tz), dt.datetime.combine(nxt, dt.time(), tz)


@login_required
def anomalies(request):
    if not (request.user.is_superuser or has_role(request.user, *BUREAU_ROLES)):
        raise Http404
    month, since, until = _month(request.GET.get("month", ""))
    overview = anomaly_overview(request.user, since=since, until=until)
    return render(request, "courses/anomalies.html", {"month": month, **overview})


@login_required
def evidence(request):
    """Evidence for the bureau per training institution and month (thresholds: InspectionThreshold)."""
    if not (request.user.is_superuser or has_role(request.user, *BUREAU_ROLES)):
        raise Http404
    month, since, until = _month(request.GET.get("month", ""))
    return render(request, "courses/evidence.html", {
        "month": month, "rows": institution_evidence(request.user, since=since, until=until),
        "computed_at": recorded_at(month)})
