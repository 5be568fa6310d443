"""学时 from seconds when the seconds come from courses with different lengths of one 学时."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def hours_from_seconds_any(seconds_by_minutes_per_hour: dict) -> Decimal:
    total = sum((Decimal(s) / Decimal(m * 60) for m, s in seconds_by_minutes_per_hour.items() if m), Decimal(0))
    return total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
