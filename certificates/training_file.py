"""Training file (培训档案): one PDF per person with their courses, hours against the legal minimum
of their role, identity checks, study-trail totals, exams and certificates.

Rendered with WeasyPrint like the certificates (same subset CJK font) and signed with the same
Ed25519 key (``certificates.signing``): the summary of what the file states is signed into the QR
payload, and after rendering the SHA-256 digest of the PDF bytes is signed too and kept in a
``TrainingFile`` row. ``/verify/training-file/<code>/`` shows both signatures and checks an uploaded
copy's digest. Hours per course are the credited study time of the trail (``StudyInterval``)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record

from . import signing
from .models import Certificate, TrainingFile
from .pdf import FONT_FAMILY, _url_fetcher, public_base_url, qr_png, subset_font_path

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    return "TF" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


@dataclass
class FileData:
    person: object
    population: str
    population_label: str
    courses: list
    requirements: list
    trail: dict
    checks: dict
    exams: list
    certificates: list
    credited_hours: Decimal


def gather(person) -> FileData:
    """Everything the file states, read in a bounded number of queries."""
    from catalogue.models import Population, StudyHourRequirement
    from courses.models import Enrolment, StudyCheck, StudyInterval
    from courses.selectors import hours_from_seconds, population_of
    from exams.models import Attempt, Registration

    today = timezone.localdate()
    population = population_of(person)
    # credited seconds per course, from the trail
    per_course = defaultdict(int)
    uncredited = defaultdict(int)
    for row in (StudyInterval.objects.filter(user=person).values("lesson__course_id", "credited", "reason")
                .annotate(s=Sum("seconds"))):
        if row["credited"]:
            per_course[row["lesson__course_id"]] += row["s"]
        else:
            uncredited[row["reason"] or "other"] += row["s"]
    enrolments = list(Enrolment.objects.filter(user=person).select_related("course__provider").order_by("enrolled_at"))
    courses = []
    seen = set()
    total = Decimal("0")
    hours_by_kind: dict = defaultdict(Decimal)
    for e in enrolments:
        seen.add(e.course_id)
        hours = hours_from_seconds(per_course.get(e.course_id, 0), e.course.minutes_per_hour)
        total += hours
        hours_by_kind[e.course.kind] += hours
        courses.append({"course": e.course, "status": e.get_status_display(), "hours": hours,
                        "required": e.course.required_hours, "completed_at": e.completed_at,
                        "provider": e.course.provider.name if e.course.provider_id else ""})
    reqs = []
    if population:
        from django.db.models import Q

        for r in (StudyHourRequirement.objects.filter(population=population, effective_from__lte=today)
                  .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=today)).order_by("kind", "high_risk")):
            done = hours_by_kind.get(r.kind, Decimal("0"))
            reqs.append({"req": r, "done": done, "met": done >= r.hours})
    trail = StudyInterval.objects.filter(user=person).aggregate(
        n=Count("id"), days=Count("day", distinct=True), first=models_min("started_at"), last=models_max("ended_at"))
    credited_seconds = sum(per_course.values())
    trail.update({"credited_minutes": credited_seconds // 60,
                  "uncredited_minutes": sum(uncredited.values()) // 60,
                  "uncredited": [{"reason": _reason_label(k), "minutes": v // 60} for k, v in sorted(uncredited.items())]})
    check_counts = dict(StudyCheck.objects.filter(user=person).values_list("status").annotate(n=Count("id")))
    good = check_counts.get("passed", 0) + check_counts.get("accepted", 0)
    bad = check_counts.get("failed", 0) + check_counts.get("rejected", 0)
    checks = {"total": sum(check_counts.values()), "good": good, "bad": bad, "pending": check_counts.get("pending", 0)}
    regs = list(Registration.objects.filter(candidate=person).select_related(
        "session__certificate_kind", "session__operation_item", "session__centre")
        .prefetch_related("attempts").order_by("session__starts_at"))
    exams = []
    for reg in regs:
        attempts = [a for a in reg.attempts.all() if a.mode == Attempt.Mode.EXAM]
        scored = [a.score for a in attempts if a.score is not None]
        practical = reg.practical_result_or_none
        exams.append({"reg": reg, "session": reg.session, "theory": max(scored) if scored else None,
                      "theory_passed": reg.theory_passed_attempt is not None,
                      "practical": practical.total if practical else None,
                      "practical_passed": practical.passed if practical else None,
                      "check_in": reg.get_check_in_status_display() if reg.check_in_status else ""})
    certs = list(Certificate.objects.filter(holder=person).select_related("kind", "operation_item")
                 .order_by("valid_from"))
    return FileData(person=person, population=population,
                    population_label=str(Population(population).label) if population else "",
                    courses=courses, requirements=reqs, trail=trail, checks=checks, exams=exams,
                    certificates=certs, credited_hours=total)


def models_min(field):
    from django.db.models import Min

    return Min(field)


def models_max(field):
    from django.db.models import Max

    return Max(field)


def _reason_label(reason: str) -> str:
    from courses.models import StudyInterval

    try:
        return str(StudyInterval.Reason(reason).label)
    except ValueError:
        return reason


def summary_fields(data: FileData, code: str, issued_on) -> dict:
    """What the file asserts, compact and stable (masked name only): signed into the QR payload."""
    from accounts import pii

    return {"t": "tf", "c": code, "h": pii.mask_name(data.person.display_name), "d": issued_on.isoformat(),
            "hr": str(data.credited_hours), "nc": len(data.courses), "ne": len(data.exams),
            "nk": len(data.certificates), "ck": [data.checks["good"], data.checks["bad"]]}


def verify_url(code: str, payload: str, base_url: str | None = None) -> str:
    return f"{base_url or public_base_url()}{reverse('certificates:verify_training_file', args=[code])}?p={payload}"


TRAINING_FILE_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #5a6877; } }
html { font-family: %s, "Noto Sans CJK SC", sans-serif; color: #1c2733; font-size: 9.5pt; }
h1 { font-size: 18pt; color: #8a1c1c; margin: 0 0 2mm; letter-spacing: 3pt; }
h2 { font-size: 11.5pt; border-bottom: 1px solid #c8d1db; margin: 6mm 0 2mm; padding-bottom: 1mm; }
table { width: 100%%; border-collapse: collapse; }
th, td { border: 1px solid #c8d1db; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #eef2f6; font-weight: normal; color: #3a4a5a; }
.head { display: flex; justify-content: space-between; }
.qr { float: right; width: 34mm; text-align: center; font-size: 7.5pt; color: #5a6877; }
.qr img { width: 32mm; height: 32mm; }
.muted { color: #5a6877; } .ok { color: #1d7a3e; } .bad { color: #a12a2a; }
.foot { margin-top: 6mm; font-size: 8pt; color: #5a6877; }
""" % FONT_FAMILY


@lru_cache(maxsize=2)
def _setup(font_path: str):
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    rule = f"@font-face {{ font-family: {FONT_FAMILY}; src: url('{Path(font_path).as_uri()}'); }}" if font_path else ""
    return font_config, CSS(string=rule + TRAINING_FILE_CSS, font_config=font_config)


def render(data: FileData, *, code: str, payload: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    url = verify_url(code, payload, base_url)
    html = render_to_string("certificates/pdf/training_file.html", {
        "d": data, "code": code, "issued_at": timezone.localtime(),
        "name": data.person.display_name, "id_masked": data.person.masked_id_number,
        "qr": "data:image/png;base64," + base64.b64encode(qr_png(url)).decode(),
        "verify_url": f"{base_url or public_base_url()}{reverse('certificates:verify_training_file', args=[code])}",
    })
    font = subset_font_path()
    font_config, css = _setup(str(font) if font else "")
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher()).write_pdf(
        stylesheets=[css], font_config=font_config)


def digest_fields(code: str, sha256: str) -> dict:
    return {"t": "tfd", "c": code, "s": sha256}


@transaction.atomic
def issue_training_file(*, actor, person, base_url: str | None = None, request=None) -> tuple[TrainingFile, bytes]:
    """Render the person's training file, sign its summary and its digest, record it (audited)."""
    data = gather(person)
    code = new_code()
    while TrainingFile.objects.filter(code=code).exists():
        code = new_code()
    now = timezone.now()
    fields = summary_fields(data, code, timezone.localdate(now))
    payload = signing.sign_fields(fields)
    pdf = render(data, code=code, payload=payload, base_url=base_url)
    sha = hashlib.sha256(pdf).hexdigest()
    record = TrainingFile.objects.create(code=code, person=person, issued_at=now,
                                         issued_by=actor if getattr(actor, "is_authenticated", False) else None,
                                         fields=fields, payload=payload, sha256=sha,
                                         digest_signature=signing.sign_fields(digest_fields(code, sha)))
    audit_record(actor=actor, action="training_file.issue", target=record,
                 after={"person": person.pk, "sha256": sha}, request=request)
    return record, pdf


@dataclass
class FileCheck:
    record: TrainingFile | None
    payload_ok: bool | None  # the QR payload's signature (None: no payload given)
    payload_matches: bool | None
    digest_ok: bool  # the stored digest's signature
    upload_matches: bool | None  # an uploaded copy's digest (None: nothing uploaded)


def check_training_file(code: str, *, payload: str = "", upload_bytes: bytes | None = None) -> FileCheck:
    record = TrainingFile.objects.filter(code=code).first()
    payload_ok = payload_matches = None
    if payload:
        payload_ok, fields = signing.check_signature(signing.extract_payload(payload))
        payload_matches = bool(payload_ok and record and fields == record.fields)
    digest_ok = False
    if record is not None and record.digest_signature:
        ok, fields = signing.check_signature(record.digest_signature)
        digest_ok = ok and fields == digest_fields(record.code, record.sha256)
    upload_matches = None
    if upload_bytes is not None and record is not None:
        upload_matches = hashlib.sha256(upload_bytes).hexdigest() == record.sha256
    return FileCheck(record, payload_ok, payload_matches, digest_ok, upload_matches)
