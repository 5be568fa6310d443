"""Practical exams (实操考试) to the national four-subject norm, exam venues and evidence.

The marking sheet is data: an operation item's subjects K1–K4 (``catalogue.PracticalSubject``: points,
an optional pass mark of their own, veto items) and its tasks (``PracticalTask``). Rules, each written
once here:

- every task records the equipment it was taken on; a simulator score for an operation item that
  needs real equipment (``OperationItem.real_equipment_required``) is refused;
- any veto item that occurred fails the practical exam whatever the points;
- a subject with a pass mark of its own must reach it; the total must reach the certificate kind's
  practical pass mark (a percentage of the full points);
- four eyes: one practical examiner of the centre enters, a second one confirms — or both enter and
  the second entry must agree with the first, which confirms it; only a confirmed result counts;
- a change after confirmation needs a reason, is audited, and needs confirming again.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import OrgKind, Role
from accounts.selectors import has_role
from catalogue.models import PracticalSubject
from core.audit import audit_record
from core.decimals import finite_decimal

from ..models import (
    Equipment,
    ExamSession,
    ExamVenue,
    PracticalEvidence,
    PracticalResult,
    PracticalTask,
    Registration,
)

EVIDENCE_MAX_BYTES = 200 * 1024 * 1024
EVIDENCE_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
    ".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
}


# --------------------------------------------------------------------------- venues (考培分离)

def venue_problems(*, centre, venue: ExamVenue | None) -> list[str]:
    """Why a session of ``centre`` may not be held at ``venue`` (empty when it may): the venue must
    belong to that exam centre — never to a training institution (考培分离)."""
    if venue is None:
        return []
    owner = venue.owner
    found = []
    if owner.kind == OrgKind.TRAINING:
        found.append(_("考培分离：不得使用培训机构的场地考试（“%(v)s”属于培训机构“%(o)s”）。")
                     % {"v": venue.name, "o": owner.name})
    elif owner.kind != OrgKind.EXAM_CENTRE:
        found.append(_("考试场地须属于考试中心（“%(v)s”属于“%(o)s”）。") % {"v": venue.name, "o": owner.name})
    elif centre is not None and owner.pk != getattr(centre, "pk", centre):
        found.append(_("考试场地“%(v)s”不属于本考试中心。") % {"v": venue.name})
    if not venue.is_active:
        found.append(_("考试场地“%(v)s”已停用。") % {"v": venue.name})
    return found


@transaction.atomic
def venue_create(*, actor, owner, name: str, address: str = "") -> ExamVenue:
    """Register a venue of an exam centre."""
    name = (name or "").strip()
    errors = {}
    if owner.kind != OrgKind.EXAM_CENTRE:
        errors["owner"] = _("考试场地只能登记在考试中心名下（考培分离，不得使用培训机构的场地）。")
    if not name:
        errors["name"] = _("请填写场地名称。")
    elif ExamVenue.objects.filter(owner=owner, name=name).exists():
        errors["name"] = _("本单位已有同名的考试场地。")
    if errors:
        raise ValidationError(errors)
    venue = ExamVenue.objects.create(owner=owner, name=name, address=(address or "").strip())
    audit_record(actor=actor, action="exam_venue.create", target=venue,
                 after={"owner": owner.pk, "name": venue.name, "address": venue.address})
    return venue


# --------------------------------------------------------------------------- the marking sheet

def practical_sheet(operation_item_id: int) -> tuple[list[PracticalTask], list[PracticalSubject]]:
    """The active tasks of an operation item (with their subjects) and its subjects K1–K4. Two queries."""
    tasks = list(PracticalTask.objects.filter(operation_item_id=operation_item_id, is_active=True)
                 .select_related("subject").order_by("subject__order", "subject__code", "order", "code"))
    subjects = list(PracticalSubject.objects.filter(operation_item_id=operation_item_id).order_by("order", "code"))
    return tasks, subjects


def _lookup(mapping, key):
    if not mapping:
        return None
    return mapping.get(key, mapping.get(str(key)))


def _mark(*, session: ExamSession, scores: dict, equipment: dict | None, vetoes: dict | None) -> dict:
    """Check and total one entry; a ValidationError lists every problem found."""
    item = session.operation_item
    tasks, subjects = practical_sheet(item.pk)
    if not tasks:
        raise ValidationError(_("该操作项目尚未设置实操考试项目。"))
    errors: list[str] = []
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for task in tasks:
        value = finite_decimal(_lookup(scores, task.pk))
        if value is None:
            errors.append(_("“%(t)s”的得分无效") % {"t": task.title})
        elif value < 0 or value > task.points:
            errors.append(_("“%(t)s”的得分应在 0 至 %(p)s 之间") % {"t": task.title, "p": task.points})
        else:
            clean[str(task.pk)] = str(value.quantize(Decimal("0.1")))
        kind = _lookup(equipment, task.pk) or Equipment.REAL
        if kind not in Equipment.values:
            errors.append(_("“%(t)s”的考试设备无效") % {"t": task.title})
        elif kind == Equipment.SIMULATED and item.real_equipment_required:
            errors.append(_("“%(t)s”：%(item)s的实操考试须在实际设备上进行，不能登记模拟设备上的成绩。")
                          % {"t": task.title, "item": item.name})
        else:
            used[str(task.pk)] = kind
    by_code = {s.code: s for s in subjects}
    occurred: list[dict] = []
    for code, items in (vetoes or {}).items():
        subject = by_code.get(code)
        for text in items or ():
            if subject is None or text not in subject.veto_list:
                errors.append(_("否决项“%(v)s”不是该操作项目%(s)s科目的否决项。") % {"v": text, "s": code})
            else:
                occurred.append({"subject": code, "item": text})
    subject_scores: dict[str, dict] = {}
    for subject in subjects:
        own = [t for t in tasks if t.subject_id == subject.pk]
        full = sum((t.points for t in own), Decimal(0))
        if full != subject.points:
            errors.append(_("科目“%(s)s”的分值（%(p)s）与其考试项目分值之和（%(t)s）不一致，请先核对实操考试设置。")
                          % {"s": subject.name, "p": subject.points, "t": full})
            continue
        got = sum((Decimal(clean.get(str(t.pk), "0")) for t in own), Decimal(0))
        subject_scores[subject.code] = {
            "name": subject.name, "score": str(got), "points": str(subject.points),
            "pass_mark": None if subject.pass_mark is None else str(subject.pass_mark),
            "passed": subject.pass_mark is None or got >= subject.pass_mark,
        }
    if errors:
        raise ValidationError(errors)
    total = sum((Decimal(v) for v in clean.values()), Decimal(0))
    max_total = sum((t.points for t in tasks), Decimal(0))
    pass_mark = (Decimal(session.certificate_kind.practical_pass_mark or 80) * max_total / Decimal(100)).quantize(
        Decimal("0.1"))
    passed = not occurred and total >= pass_mark and all(s["passed"] for s in subject_scores.values())
    occurred.sort(key=lambda v: (v["subject"], v["item"]))
    return {"scores": clean, "equipment": used, "subject_scores": subject_scores, "vetoes": occurred,
            "total": total, "pass_mark": pass_mark, "passed": passed}


def _snapshot(result: PracticalResult) -> dict:
    return {"scores": result.scores, "equipment": result.equipment, "vetoes": result.vetoes, "total": result.total,
            "passed": result.passed, "status": result.status, "examiner": result.examiner_id,
            "confirmed_by": result.confirmed_by_id}


def _same_entry(result: PracticalResult, marked: dict) -> bool:
    return (result.scores == marked["scores"] and result.equipment == marked["equipment"]
            and sorted((v["subject"], v["item"]) for v in result.vetoes)
            == [(v["subject"], v["item"]) for v in marked["vetoes"]])


def _differences(result: PracticalResult, marked: dict, tasks: dict[str, PracticalTask]) -> list[str]:
    found = []
    for tid, task in tasks.items():
        if result.scores.get(tid) != marked["scores"].get(tid) or result.equipment.get(tid) != marked["equipment"].get(tid):
            found.append(task.title)
    if sorted((v["subject"], v["item"]) for v in result.vetoes) != [(v["subject"], v["item"]) for v in marked["vetoes"]]:
        found.append(_("否决项"))
    return found


def _require_examiner(user, session: ExamSession) -> None:
    if getattr(user, "is_superuser", False):
        return
    if not has_role(user, Role.PRACTICAL_EXAMINER, organization=session.centre_id):
        raise PermissionDenied(_("只有本考试中心的实操考评员可以登记或确认实操成绩。"))


def _check_registration(registration: Registration) -> ExamSession:
    session = registration.session
    if session.operation_item_id is None:
        raise ValidationError(_("本场次没有操作项目，不需要实操考试。"))
    if registration.status != Registration.Status.REGISTERED:
        raise ValidationError(_("该报名已取消，不能登记实操成绩。"))
    return session


@transaction.atomic
def practical_result_record(*, examiner, registration: Registration, scores: dict, equipment: dict | None = None,
                            vetoes: dict | None = None, notes: str = "", reason: str = "") -> PracticalResult:
    """Enter a candidate's practical exam: ``scores`` {task id: points}, ``equipment`` {task id: "real" |
    "simulated"} (real when left out), ``vetoes`` {subject code: [veto items that occurred]}.

    The first entry waits for confirmation. The same examiner may correct it until then. A second
    examiner's own entry must agree with the first and then confirms it. A change after
    confirmation needs ``reason`` and must be confirmed again."""
    session = _check_registration(registration)
    _require_examiner(examiner, session)
    Registration.objects.select_for_update().filter(pk=registration.pk).first()
    marked = _mark(session=session, scores=scores, equipment=equipment, vetoes=vetoes)
    existing = PracticalResult.objects.select_for_update().filter(registration=registration).first()
    now = timezone.now()
    values = {**marked, "notes": notes}
    reason = (reason or "").strip()
    if existing is None:
        result = PracticalResult.objects.create(registration=registration, examiner=examiner, recorded_at=now, **values)
        audit_record(actor=examiner, action="practical_result.record", target=registration,
                     after=_snapshot(result), reason=notes)
        return result
    before = _snapshot(existing)
    if existing.status == PracticalResult.Status.CONFIRMED:
        if not reason:
            raise ValidationError({"reason": _("实操成绩已确认，修改须填写原因。")})
        if _same_entry(existing, marked):
            raise ValidationError(_("与已确认的成绩相同，无需修改。"))
        _save(existing, examiner=examiner, values=values, now=now)
        audit_record(actor=examiner, action="practical_result.change_after_confirmation", target=registration,
                     before=before, after=_snapshot(existing), reason=reason)
        return existing
    if examiner.pk == existing.examiner_id:
        _save(existing, examiner=examiner, values=values, now=now)
        audit_record(actor=examiner, action="practical_result.change", target=registration, before=before,
                     after=_snapshot(existing), reason=reason or notes)
        return existing
    # a second examiner's own entry: it must agree with the first, and then confirms it
    if not _same_entry(existing, marked):
        tasks = {str(t.pk): t for t in practical_sheet(session.operation_item_id)[0]}
        raise ValidationError(
            _("与%(name)s录入的成绩不一致（%(diff)s）。两位考评员的成绩须一致：请核对后重新录入，或请首位考评员修改。")
            % {"name": existing.examiner.display_name, "diff": "、".join(_differences(existing, marked, tasks))})
    return _confirm(existing, examiner=examiner, now=now, mode="double_entry", registration=registration)


def _save(result: PracticalResult, *, examiner, values: dict, now) -> None:
    for field, value in values.items():
        setattr(result, field, value)
    result.examiner = examiner
    result.status = PracticalResult.Status.ENTERED
    result.confirmed_by = None
    result.confirmed_at = None
    result.recorded_at = now
    result.save()


def _confirm(result: PracticalResult, *, examiner, now, mode: str, registration: Registration) -> PracticalResult:
    before = _snapshot(result)
    result.status = PracticalResult.Status.CONFIRMED
    result.confirmed_by = examiner
    result.confirmed_at = now
    result.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit_record(actor=examiner, action="practical_result.confirm", target=registration, before=before,
                 after={**_snapshot(result), "mode": mode})
    return result


@transaction.atomic
def practical_result_confirm(*, examiner, registration: Registration) -> PracticalResult:
    """A second practical examiner of the centre confirms the entered result."""
    session = _check_registration(registration)
    _require_examiner(examiner, session)
    result = PracticalResult.objects.select_for_update().filter(registration=registration).first()
    if result is None:
        raise ValidationError(_("尚未登记实操成绩，无法确认。"))
    if result.status == PracticalResult.Status.CONFIRMED:
        raise ValidationError(_("实操成绩已确认。"))
    if examiner.pk == result.examiner_id:
        raise ValidationError(_("录入成绩的考评员不能确认自己录入的成绩，须由另一位考评员确认。"))
    return _confirm(result, examiner=examiner, now=timezone.now(), mode="confirm", registration=registration)


# --------------------------------------------------------------------------- evidence (photos, video)

def _looks_like(head: bytes, ext: str) -> bool:
    if ext in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ext in (".mp4", ".mov"):
        return head[4:8] == b"ftyp" or head[4:8] in (b"moov", b"mdat", b"wide", b"free")
    if ext == ".webm":
        return head.startswith(b"\x1a\x45\xdf\xa3")
    return False


@transaction.atomic
def practical_evidence_add(*, examiner, registration: Registration, task: PracticalTask, upload) -> PracticalEvidence:
    """Keep a photo or video of one task (private file, served through core.protected_files)."""
    import os

    session = _check_registration(registration)
    _require_examiner(examiner, session)
    result = PracticalResult.objects.filter(registration=registration).first()
    if result is None:
        raise ValidationError(_("请先登记实操成绩，再上传影像资料。"))
    if task.operation_item_id != session.operation_item_id:
        raise ValidationError(_("考试项目不属于本场次的操作项目。"))
    name = os.path.basename(getattr(upload, "name", "") or "")
    ext = os.path.splitext(name)[1].lower()
    if ext not in EVIDENCE_TYPES:
        raise ValidationError(_("只能上传 JPG、PNG、WebP 照片或 MP4、MOV、WebM 视频。"))
    if upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationError(_("文件不能超过 %(n)d MB。") % {"n": EVIDENCE_MAX_BYTES // (1024 * 1024)})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not _looks_like(head, ext):
        raise ValidationError(_("文件内容与扩展名不符，未保存。"))
    evidence = PracticalEvidence(result=result, task=task, original_name=name[:255], content_type=EVIDENCE_TYPES[ext],
                                 uploaded_by=examiner)
    evidence.file.save(name, upload, save=False)
    evidence.save()
    audit_record(actor=examiner, action="practical_evidence.add", target=registration,
                 after={"task": task.code, "file": name})
    return evidence
