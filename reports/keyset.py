"""Keyset pagination (``?after=<last key>``): the next page starts after the last row shown, by the
list's own ordering (NULLs last), so a page costs the same on page 1 and page 10,000 — no OFFSET, no
count(*) over the whole list."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q, QuerySet


@dataclass
class KeysetPage:
    rows: list
    next_after: str  # "" on the last page
    first: bool

    @property
    def has_next(self) -> bool:
        return bool(self.next_after)


def _fields(order_by) -> list[tuple[str, bool]]:
    out = [(f.lstrip("-"), f.startswith("-")) for f in order_by]
    if not any(name in ("pk", "id") for name, _desc in out):
        out.append(("pk", False))
    return out


def encode(values: list) -> str:
    raw = json.dumps(values, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return values if isinstance(values, list) else None


def page(qs: QuerySet, order_by, after: str = "", size: int = 50) -> KeysetPage:
    fields = _fields(order_by)
    names = [f"_k{i}" for i in range(len(fields))]
    qs = qs.annotate(**{n: F(f) for n, (f, _d) in zip(names, fields)})
    qs = qs.order_by(*[F(n).desc(nulls_last=True) if desc else F(n).asc(nulls_last=True)
                       for n, (_f, desc) in zip(names, fields)])
    values = decode(after) if after else None
    if values is not None and len(values) == len(fields):
        try:
            values = [None if v is None else qs.query.annotations[n].output_field.to_python(v)
                      for n, v in zip(names, values)]
        except Exception:  # a forged or stale token: start from the first page
            values = None
    else:
        values = None
    if values is not None:
        cond = Q(pk__in=[])
        for i, (n, (_f, desc)) in enumerate(zip(names, fields)):
            v = values[i]
            if v is None:
                continue  # NULLs come last: nothing lies beyond a NULL in this field
            beyond = Q(**{f"{n}__lt" if desc else f"{n}__gt": v}) | Q(**{f"{n}__isnull": True})
            same = Q()
            for m, w in zip(names[:i], values[:i]):
                same &= Q(**{f"{m}__isnull": True}) if w is None else Q(**{m: w})
            cond |= same & beyond
        qs = qs.filter(cond)
    rows = list(qs[: size + 1])
    nxt = ""
    if len(rows) > size:
        rows = rows[:size]
        nxt = encode([getattr(rows[-1], n) for n in names])
    return KeysetPage(rows=rows, next_after=nxt, first=values is None)
