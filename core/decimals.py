"""Reading a number someone typed (a spreadsheet cell, a form or API field) as a Decimal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def finite_decimal(value) -> Decimal | None:
    """The value as a finite Decimal, or None when it is none: unparsable text, or NaN and the
    infinities, which parse but neither compare nor quantize."""
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(value if isinstance(value, (Decimal, int)) else str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None
