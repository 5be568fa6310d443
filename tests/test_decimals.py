"""core.decimals.finite_decimal: typed numbers as Decimals, NaN and infinities as none."""

from decimal import Decimal

import pytest

from core.decimals import finite_decimal


@pytest.mark.parametrize("value, expected", [
    ("7.5", Decimal("7.5")), (" 8 ", Decimal("8")), (3, Decimal("3")), (2.5, Decimal("2.5")),
    (Decimal("0.1"), Decimal("0.1")), ("-1", Decimal("-1")),
])
def test_numbers_are_read(value, expected):
    assert finite_decimal(value) == expected


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-inf", float("nan"), float("inf"), Decimal("NaN"),
                                   "", "二十", None, "1,5", [1]])
def test_anything_else_is_none(value):
    assert finite_decimal(value) is None
