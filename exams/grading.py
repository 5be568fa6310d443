"""Scoring rules for objective items, as pure functions (property-tested)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

TENTH = Decimal("0.1")
ZERO = Decimal("0.0")


def normalise_response(value: str | None, allowed: str | None = None) -> str:
    """'ca' → 'AC': upper-case, unique, sorted; keys not in ``allowed`` dropped."""
    letters = {c for c in (value or "").upper() if c.isalpha()}
    if allowed is not None:
        letters &= set(allowed.upper())
    return "".join(sorted(letters))


def score_objective(*, qtype: str, key: str, response: str, points: Decimal, partial: bool = False) -> Decimal:
    """Score one objective item.

    single / truefalse: full points when the response equals the key, else 0.
    multiple: all-or-nothing; with ``partial`` a response that is a non-empty proper subset of the key
    (no wrong option) earns points × chosen/correct, rounded down to 0.1, so it is always less than full.
    """
    points = Decimal(points)
    key_set = set(normalise_response(key))
    resp_set = set(normalise_response(response))
    if not resp_set or not key_set:
        return ZERO
    if resp_set == key_set:
        return points.quantize(TENTH)
    if qtype == "multiple" and partial and resp_set < key_set:
        value = points * Decimal(len(resp_set)) / Decimal(len(key_set))
        return value.quantize(TENTH, rounding=ROUND_DOWN)
    return ZERO


def is_correct(*, key: str, response: str) -> bool:
    return bool(normalise_response(response)) and normalise_response(response) == normalise_response(key)
