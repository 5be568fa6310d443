"""Admission tickets (准考证) as PDF, rendered with WeasyPrint (Noto Sans CJK SC)."""

from __future__ import annotations

from django.template.loader import render_to_string

from accounts import pii
from accounts.selectors import may_see_full_id


def tickets_pdf(session, registrations, *, viewer) -> bytes:
    from weasyprint import HTML

    rows = []
    for reg in registrations:
        person = reg.candidate
        number = person.id_number
        rows.append({"reg": reg, "name": person.display_name,
                     "id_number": number if may_see_full_id(viewer, person) else pii.mask_id(number)})
    html = render_to_string("exams/ticket_pdf.html", {"session": session, "rows": rows})
    return HTML(string=html).write_pdf()
