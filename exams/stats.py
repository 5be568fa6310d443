"""Item statistics after a session: facility, discrimination (upper/lower 27 %), option choices."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .models import Answer, Attempt, AttemptItem, ExamSession, Question

WEAK_FACILITY_LOW = 0.3
WEAK_FACILITY_HIGH = 0.95
WEAK_DISCRIMINATION = 0.2


def item_statistics(session: ExamSession) -> dict:
    """Four queries whatever the number of candidates or items."""
    attempts = dict(
        Attempt.objects.filter(registration__session=session, mode=Attempt.Mode.EXAM)
        .exclude(status=Attempt.Status.IN_PROGRESS)
        .values_list("id", "score")
    )
    items = list(AttemptItem.objects.filter(attempt_id__in=attempts).values_list("id", "attempt_id", "question_id", "points"))
    answers = {
        item_id: (response, score)
        for item_id, response, score in Answer.objects.filter(attempt_id__in=attempts).values_list("item_id", "response", "score")
    }
    questions = {q.pk: q for q in Question.objects.filter(pk__in={i[2] for i in items}).only("id", "stem", "type", "options", "answer", "version")}
    per_q: dict[int, list[tuple[float, float, str]]] = defaultdict(list)  # (total score, fraction, response)
    for item_id, attempt_id, qid, points in items:
        response, score = answers.get(item_id, ("", None))
        frac = float((score or Decimal(0)) / points) if points else 0.0
        per_q[qid].append((float(attempts[attempt_id] or 0), frac, response))
    rows = []
    for qid, entries in per_q.items():
        q = questions[qid]
        n = len(entries)
        facility = sum(f for _t, f, _r in entries) / n
        ranked = sorted(entries, key=lambda e: e[0], reverse=True)
        k = max(1, round(n * 0.27))
        upper, lower = ranked[:k], ranked[-k:]
        discrimination = (sum(f for _t, f, _r in upper) / k - sum(f for _t, f, _r in lower) / k) if n >= 2 else None
        choices: dict[str, int] = defaultdict(int)
        for _t, _f, r in entries:
            if q.type == Question.Type.ESSAY:
                continue
            if not r:
                choices["未答"] += 1
            for key in r:
                choices[key] += 1
        keys = [o["key"] for o in q.options] if q.type != Question.Type.TRUEFALSE else ["T", "F"]
        distribution = [(k2, choices.get(k2, 0), k2 in q.answer) for k2 in keys] + [("未答", choices.get("未答", 0), False)]
        weak = facility < WEAK_FACILITY_LOW or facility > WEAK_FACILITY_HIGH or (
            discrimination is not None and n >= 5 and discrimination < WEAK_DISCRIMINATION)
        rows.append({"question": q, "n": n, "facility": round(facility, 3),
                     "discrimination": round(discrimination, 3) if discrimination is not None else None,
                     "distribution": distribution, "weak": weak})
    rows.sort(key=lambda r: (not r["weak"], r["facility"]))
    scores = [float(s or 0) for s in attempts.values()]
    return {"rows": rows, "candidates": len(attempts), "mean": round(sum(scores) / len(scores), 1) if scores else None,
            "weak": sum(1 for r in rows if r["weak"])}


def statistics_workbook(session: ExamSession, result: dict) -> bytes:
    from openpyxl.styles import Font, PatternFill

    from core.exports import workbook, xlsx_bytes

    wb = workbook()
    ws = wb.active
    ws.title = "试题分析"
    ws.append([f"{session.name} 试题分析", f"考生 {result['candidates']} 人", f"平均分 {result['mean']}"])
    ws.append(["试题ID", "版本", "题型", "题干", "作答人数", "难度系数（通过率）", "区分度（27%）", "选项分布", "需关注"])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    warn = PatternFill("solid", fgColor="FFF4E0")
    for r in result["rows"]:
        q = r["question"]
        dist = "；".join(f"{k}{'✓' if ok else ''}:{n}" for k, n, ok in r["distribution"])
        ws.append([q.pk, q.version, q.get_type_display(), q.stem, r["n"], r["facility"], r["discrimination"], dist,
                   "是" if r["weak"] else ""])
        if r["weak"]:
            for cell in ws[ws.max_row]:
                cell.fill = warn
    ws.column_dimensions["D"].width = 60
    ws.column_dimensions["H"].width = 40
    return xlsx_bytes(wb)
