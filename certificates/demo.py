"""Demo certificates so every status can be seen (all people and numbers invented).

``welder`` holds a valid 熔化焊接与热切割作业 certificate; the principal's management certificate has
expired; extra demo holders show review-overdue, review-due, expired, suspended and revoked
certificates; ``newhire`` holds none. Dates are relative to the day the demo is loaded so the
statuses stay the same whenever it is loaded. Safe to run twice.
"""

from __future__ import annotations

import datetime as dt
import io

from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.services import membership_grant

from catalogue.models import CertificateKind, OperationItem, RuleVersion
from .models import Certificate
from .services import certificate_issue, default_dates

AUTHORITY = "江门市应急管理局（演示）"

EXTRA_HOLDERS = [
    # username, name, ID number, org key
    ("demo_electrician", "赵立军", "440704198005123010", "huarui"),
    ("demo_scaffolder", "孙海燕", "440704199108234025", "huarui"),
    ("demo_presswelder", "刘强", "440704197711090039", "huarui"),
    ("demo_refrigeration", "周明", "440705198604172013", "binggang"),
    ("demo_gasworker", "吴志坚", "440781198209303016", "xinda"),
]


def _version_on(day: dt.date) -> RuleVersion:
    return RuleVersion.objects.filter(scope=RuleVersion.Scope.SPECIAL_OPERATION, effective_from__lte=day).order_by(
        "-effective_from").first()


def _kind(code: str, day: dt.date) -> CertificateKind:
    return CertificateKind.objects.get(rule_version=_version_on(day), code=code)


def _item(code: str, kind: CertificateKind) -> OperationItem:
    return OperationItem.objects.get(category__rule_version=kind.rule_version_id, code=code)


def _photo_png(text_seed: int) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 320), (226 - text_seed % 20, 234, 244))
    draw = ImageDraw.Draw(img)
    draw.ellipse((70, 50, 170, 160), fill=(120, 134, 150))
    draw.rounded_rectangle((40, 175, 200, 330), radius=60, fill=(120, 134, 150))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _ensure(ctx, *, holder: User, kind_code: str, item_code: str | None, valid_from: dt.date, employer_key: str,
            state: str = Certificate.State.ACTIVE, category: str = "", reason: str = "",
            reviewed: dt.date | None = None) -> Certificate:
    kind = _kind(kind_code, valid_from)
    item = _item(item_code, kind) if item_code else None
    valid_until, review_due = default_dates(kind, valid_from)
    existing = Certificate.objects.filter(holder=holder, kind__code=kind_code, operation_item__code=item_code,
                                          source=Certificate.Source.DEMO).first() if item_code else \
        Certificate.objects.filter(holder=holder, kind__code=kind_code, source=Certificate.Source.DEMO).first()
    if existing is None:
        existing = certificate_issue(
            officer=ctx.users["examiner"], holder=holder, kind=kind, operation_item=item, issuing_authority=AUTHORITY,
            issued_by_org=ctx.orgs["exam_centre"], employer=ctx.orgs[employer_key], valid_from=valid_from,
            source=Certificate.Source.DEMO,
        )
    changed = {
        "kind": kind, "operation_item": item, "rule_version": kind.rule_version, "valid_from": valid_from,
        "first_issued_on": valid_from, "valid_until": valid_until, "next_review_due": review_due,
        "last_reviewed_on": reviewed, "state": state, "state_category": category, "state_reason": reason, "holder_name": holder.real_name,
        "issuing_authority": AUTHORITY, "issued_by_org": ctx.orgs["exam_centre"], "employer": ctx.orgs[employer_key],
    }
    dirty = False
    for field, value in changed.items():
        if getattr(existing, field) != value:
            setattr(existing, field, value)
            dirty = True
    if dirty:
        existing.revision += 1
        existing.save()
        from django.db import transaction

        from .tasks import render_certificate_pdf

        pk = existing.pk
        transaction.on_commit(lambda: render_certificate_pdf.delay(pk))
    return existing


def seed(ctx) -> None:
    today = timezone.localdate()
    for username, name, id_number, org_key in EXTRA_HOLDERS:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.real_name = name
        user.email = f"{username}@demo.anxun.local"
        user.set_id_number(id_number)
        user.identity_verified = True
        user.set_password(ctx.password)
        user.save()
        membership_grant(user=user, organization=ctx.orgs[org_key], role=Role.WORKER)
        ctx.users[username] = user

    welder = ctx.users["welder"]
    if not welder.photo:
        welder.photo.save(f"demo-{welder.username}.png", ContentFile(_photo_png(7)), save=True)

    # valid: issued about 14 months ago
    _ensure(ctx, holder=welder, kind_code="special-op", item_code="weld-fusion",
            valid_from=today - relativedelta(months=14), employer_key="huarui")
    # expired management certificate (3 years, issued 40 months ago)
    _ensure(ctx, holder=ctx.users["principal"], kind_code="mgmt-principal", item_code=None,
            valid_from=today - relativedelta(months=40), employer_key="huarui")
    # review overdue: review was due 8 months ago, certificate still within its 6 years
    _ensure(ctx, holder=ctx.users["demo_electrician"], kind_code="special-op", item_code="elec-lv",
            valid_from=today - relativedelta(months=44), employer_key="huarui")
    # revoked
    _ensure(ctx, holder=ctx.users["demo_scaffolder"], kind_code="special-op", item_code="height-scaffold",
            valid_from=today - relativedelta(months=20), employer_key="huarui", state=Certificate.State.REVOKED,
            category=Certificate.StateCategory.FRAUD, reason="以欺骗手段取得证书，依法撤销（演示）")
    # expired: issued 6 years and 3 months ago
    _ensure(ctx, holder=ctx.users["demo_presswelder"], kind_code="special-op", item_code="weld-pressure",
            valid_from=today - relativedelta(months=75), employer_key="huarui")
    # review due: review in 40 days
    _ensure(ctx, holder=ctx.users["demo_refrigeration"], kind_code="special-op", item_code="refrig-op",
            valid_from=today + dt.timedelta(days=40) - relativedelta(months=36), employer_key="binggang")
    # suspended
    _ensure(ctx, holder=ctx.users["demo_gasworker"], kind_code="special-op", item_code="metal-gas",
            valid_from=today - relativedelta(months=10), employer_key="xinda", state=Certificate.State.SUSPENDED,
            category=Certificate.StateCategory.VIOLATION, reason="违章作业被责令暂扣（演示）")
    welder_cert = Certificate.objects.get(holder=welder, kind__code="special-op", operation_item__code="weld-fusion",
                                          source=Certificate.Source.DEMO)
    ctx.log.append(f"  证书查验示例: /verify/{welder_cert.verification_code}/  （王建国 熔化焊接与热切割作业）")
    ctx.log.append("  持证核查示例名单: certificates/demo_files/roster-demo.xlsx （用 ent_admin 登录上传）")
