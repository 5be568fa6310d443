"""Reads of the reports app, scoped to the requesting user."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.roles import BUREAU_ROLES
from accounts.selectors import org_ids_with_role

from .models import ProgressReport


def progress_reports_for(user) -> QuerySet[ProgressReport]:
    """Progress tables of the bureaus the user works for (all of them for the superuser)."""
    qs = ProgressReport.objects.all()
    if user.is_superuser:
        return qs
    return qs.filter(bureau_id__in=org_ids_with_role(user, *BUREAU_ROLES))
