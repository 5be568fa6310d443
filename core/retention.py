"""Deleting photo files whose retention has ended (个人信息保护法: kept no longer than needed).

One rule for every kind of still (study checks, exam stills): a file is deleted when the number of
years its owner's rule gives, counted from when it was taken, has passed; files less than a year old
are never considered. The file is deleted from storage and the field blanked; the row (time,
outcome, decisions) stays. Callers pass the queryset, the field names and how many years apply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import QuerySet
from django.utils import timezone


def add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def delete_expired_files(queryset: QuerySet, *, file_field: str, taken_field: str,
                         years_of: Callable[[object], int], now: dt.datetime | None = None) -> int:
    """Delete the files of ``queryset``'s rows whose retention (``years_of(row)`` years from
    ``taken_field``) has ended; returns how many were deleted. ``years_of`` may cache per owner."""
    now = now or timezone.now()
    deleted = 0
    candidates = (queryset.exclude(**{file_field: ""}).filter(**{f"{taken_field}__lt": add_years(now, -1)})
                  .order_by(taken_field, "pk"))
    for row in candidates.iterator(chunk_size=500):
        if add_years(getattr(row, taken_field), years_of(row)) > now:
            continue
        fieldfile = getattr(row, file_field)
        name, storage = fieldfile.name, fieldfile.storage
        type(row)._default_manager.filter(pk=row.pk).update(**{file_field: ""})
        storage.delete(name)
        deleted += 1
    return deleted
