"""Template helpers for personal data — every template shows names and ID numbers through these."""

from django import template

from .. import pii
from ..selectors import may_see_full_id

register = template.Library()


@register.filter
def masked_name(value) -> str:
    name = getattr(value, "display_name", value)
    return pii.mask_name(str(name or ""))


@register.filter
def masked_id(value) -> str:
    number = getattr(value, "id_number", value)
    return pii.mask_id(str(number or ""))


@register.simple_tag
def show_id(viewer, person) -> str:
    """Full ID number for the person and for staff whose role needs it; masked for everyone else."""
    number = getattr(person, "id_number", "")
    return number if may_see_full_id(viewer, person) else pii.mask_id(number)


@register.simple_tag
def show_name(viewer, person) -> str:
    name = getattr(person, "display_name", str(person or ""))
    if getattr(viewer, "is_authenticated", False):
        return name
    return pii.mask_name(name)
