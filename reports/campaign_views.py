"""Pages of campaigns and their collection: bureau staff manage campaigns and review copies; the
members of a reporting unit fill and submit their unit's copies."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Region, region_prefix
from accounts.roles import BUREAU_ROLES, OrgKind
from accounts.selectors import organizations_of
from core.exports import XLSX_CONTENT_TYPE

from . import campaign_services as services
from .campaign_exports import copy_workbook, printed_label, rollup_workbook
from .campaign_forms import CampaignForm, ReopenForm, ReturnForm, SpotCheckForm
from .collection import CopyForm, fmt, period_containing, periods_of, rollups, units_of
from .models import Campaign, ReportCopy, ReportingUnit, SpotCheck


def _bureaus(user) -> list[Organization]:
    return organizations_of(user, *BUREAU_ROLES)


def is_bureau_staff(user) -> bool:
    return user.is_superuser or bool(_bureaus(user))


def campaigns_for(user):
    qs = Campaign.objects.select_related("region", "template", "bureau")
    if user.is_superuser:
        return qs
    q = Q(pk__in=[])
    for b in _bureaus(user):
        q |= Q(region__code__startswith=region_prefix(b.region_id)) | Q(bureau=b)
    return qs.filter(q)


def _regions_for(user):
    if user.is_superuser:
        return Region.objects.all()
    q = Q(pk__in=[])
    for b in _bureaus(user):
        q |= Q(code__startswith=region_prefix(b.region_id))
    return Region.objects.filter(q)


def _xlsx(content: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@login_required
def campaign_list(request):
    staff = is_bureau_staff(request.user)
    my_copies = (ReportCopy.objects.filter(unit__members=request.user).select_related("campaign", "unit")
                 .order_by("-period_start", "unit__name")[:50])
    if not staff and not my_copies:
        raise Http404
    return render(request, "reports/campaigns/list.html", {
        "campaigns": campaigns_for(request.user) if staff else [], "staff": staff, "my_copies": my_copies})


@login_required
def campaign_edit(request, pk: int | None = None):
    if not is_bureau_staff(request.user):
        raise Http404
    campaign = get_object_or_404(campaigns_for(request.user), pk=pk) if pk else None
    form = CampaignForm(request.POST or None, instance=campaign, regions=_regions_for(request.user))
    if request.method == "POST" and form.is_valid():
        from core.audit import audit_record

        obj = form.save(commit=False)
        if obj.bureau_id is None:
            bureaus = _bureaus(request.user)
            obj.bureau = bureaus[0] if bureaus else None
        obj.save()
        form.save_m2m()
        form.save_targets(obj)
        audit_record(actor=request.user, action="campaign.update" if pk else "campaign.create", target=obj,
                     after={"name": obj.name, "start": str(obj.start_date), "region": obj.region_id})
        messages.success(request, _("已保存专项活动。"))
        return redirect("reports:campaign", pk=obj.pk)
    return render(request, "reports/campaigns/edit.html", {"form": form, "campaign": campaign})


def _period_from(request, campaign: Campaign, today: dt.date):
    raw = request.GET.get("period") or request.POST.get("period")
    try:
        day = dt.date.fromisoformat(raw) if raw else today
    except ValueError:
        day = today
    day = max(day, campaign.start_date)
    if campaign.end_date:
        day = min(day, campaign.end_date)
    return period_containing(campaign, day)


def rollup_rows(campaign: Campaign, start: dt.date, end: dt.date) -> list[dict]:
    period, cumulative = rollups(campaign, start, end)
    rows = []
    for item in campaign.template.items:
        cells = [{"label": c["label"], "unit": c["unit"],
                  "period": fmt(period.get(f"{item['key']}.{c['key']}"), c["type"]),
                  "cumulative": fmt(cumulative.get(f"{item['key']}.{c['key']}"), c["type"])} for c in item["cells"]]
        rows.append({"item": item, "label": printed_label(item), "cells": cells})
    return rows


@login_required
def campaign_detail(request, pk: int):
    if not is_bureau_staff(request.user):
        raise Http404
    campaign = get_object_or_404(campaigns_for(request.user), pk=pk)
    today = timezone.localdate()
    start, end, due = _period_from(request, campaign, today)
    if request.method == "POST" and request.POST.get("action") == "open":
        try:
            copies = services.period_open(campaign=campaign, day=start, actor=request.user)
            messages.success(request, _("已向 %(n)d 个填报单位下发本期调度表。") % {"n": len(copies)})
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        return redirect(f"{request.path}?period={start.isoformat()}")
    copies = list(campaign.copies.filter(period_start=start).select_related("unit"))
    late = [c for c in copies if c.status in (ReportCopy.Status.DRAFT, ReportCopy.Status.RETURNED) and today >= c.due_date]
    return render(request, "reports/campaigns/detail.html", {
        "campaign": campaign, "start": start, "end": end, "due": due, "copies": copies, "late": late,
        "units": units_of(campaign), "periods": periods_of(campaign, max(today, campaign.start_date)),
        "rows": rollup_rows(campaign, start, end) if campaign.template else [],
        "accepted": sum(c.status == ReportCopy.Status.ACCEPTED for c in copies),
    })


@login_required
def campaign_export(request, pk: int):
    if not is_bureau_staff(request.user):
        raise Http404
    campaign = get_object_or_404(campaigns_for(request.user), pk=pk)
    start, end, _due = _period_from(request, campaign, timezone.localdate())
    return _xlsx(rollup_workbook(campaign, start, end), f"调度表-{campaign.name}-汇总-{end:%Y%m%d}.xlsx")


def _copy_for(request, pk: int) -> tuple[ReportCopy, bool, bool]:
    """The copy, whether the user fills it (a member of its unit) and whether they review it — accept,
    return or reopen it (bureau staff whose campaigns include its campaign). The one rule for all three."""
    copy = get_object_or_404(ReportCopy.objects.select_related("campaign__template", "unit"), pk=pk)
    member = copy.unit.members.filter(pk=request.user.pk).exists()
    reviewer = is_bureau_staff(request.user) and campaigns_for(request.user).filter(pk=copy.campaign_id).exists()
    if not (member or reviewer):
        raise Http404
    return copy, member, reviewer


REVIEW_ACTIONS = ("accept", "return", "reopen")


def _review_error(request, form, exc: ValidationError) -> None:
    """A refused review: the reason's error on the reason field, anything else as a message."""
    if hasattr(exc, "error_dict") and "reason" in exc.error_dict:
        form.add_error("reason", exc.error_dict["reason"])
    else:
        messages.error(request, exc.messages[0])


@login_required
def copy_view(request, pk: int):
    copy, member, reviewer = _copy_for(request, pk)
    action = request.POST.get("action") if request.method == "POST" else None
    if action in REVIEW_ACTIONS and not reviewer:
        raise PermissionDenied
    submit = action == "submit"
    form = CopyForm(request.POST if action in ("save", "submit") else None, copy=copy, submit=submit)
    return_form = ReturnForm(request.POST if action == "return" else None)
    reopen_form = ReopenForm(request.POST if action == "reopen" else None)
    if action in ("save", "submit") and member:
        if form.is_valid():
            try:
                services.copy_save(copy=copy, values=form.values_from(form.cleaned_data), actor=request.user,
                                   submit=submit)
                messages.success(request, _("已报送。") if submit else _("已保存草稿。"))
                return redirect("reports:copy", pk=copy.pk)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
        else:
            messages.error(request, _("请按提示修改后再提交。"))
    elif action == "accept" and reviewer:
        try:
            services.copy_accept(copy=copy, actor=request.user)
            messages.success(request, _("已采用。"))
            return redirect("reports:copy", pk=copy.pk)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    elif action == "return" and reviewer and return_form.is_valid():
        try:
            services.copy_return(copy=copy, reason=return_form.cleaned_data["reason"], actor=request.user)
            messages.success(request, _("已退回。"))
            return redirect("reports:copy", pk=copy.pk)
        except ValidationError as exc:
            _review_error(request, return_form, exc)
    elif action == "reopen" and reviewer and reopen_form.is_valid():
        try:
            services.copy_reopen(copy=copy, reason=reopen_form.cleaned_data["reason"], actor=request.user)
            messages.success(request, _("已重新打开：该表不再计入汇总，填报单位修改后重新报送，采用后再计入。"))
            return redirect("reports:copy", pk=copy.pk)
        except ValidationError as exc:
            _review_error(request, reopen_form, exc)
    return render(request, "reports/campaigns/copy.html", {
        "copy": copy, "form": form, "return_form": return_form, "reopen_form": reopen_form, "member": member,
        "reviewer": reviewer, "rows": list(form.bound_rows()), "values": copy.values})


@login_required
def copy_export(request, pk: int):
    copy, _m, _r = _copy_for(request, pk)
    return _xlsx(copy_workbook(copy), f"调度表-{copy.unit.name}-{copy.period_end:%Y%m%d}.xlsx")


@login_required
def spot_checks(request):
    if not is_bureau_staff(request.user):
        raise Http404
    regions = _regions_for(request.user)
    enterprises = Organization.objects.filter(kind=OrgKind.ENTERPRISE, is_active=True, region__in=regions)
    units = ReportingUnit.objects.filter(is_active=True, region__in=regions)
    form = SpotCheckForm(request.POST or None, request.FILES or None, enterprises=enterprises, units=units,
                         initial={"checked_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        from certificates.roster import COLUMN_ALIASES
        from core.tables import read_table

        upload = form.cleaned_data["file"]
        try:
            rows = read_table(upload, COLUMN_ALIASES, ("name", "id_number", "operation"))
            spot = services.spot_check_run(user=request.user, enterprise=form.cleaned_data["enterprise"],
                                           unit=form.cleaned_data["unit"], rows=rows, source_name=upload.name,
                                           checked_on=form.cleaned_data["checked_on"])
            messages.success(request, _("抽查完成：发现无证上岗 %(n)d 人。") % {"n": spot.invalid_count})
            return redirect("reports:spot_checks")
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
    checks = SpotCheck.objects.filter(enterprise__region__in=regions).select_related("enterprise", "unit")[:50]
    return render(request, "reports/campaigns/spot_checks.html", {"form": form, "checks": checks})


@login_required
def units(request):
    """The reporting units of the bureau's region and who fills their copies."""
    from core.audit import audit_record

    from .campaign_forms import UnitForm, UnitMemberForm

    if not is_bureau_staff(request.user):
        raise Http404
    regions = _regions_for(request.user)
    qs = ReportingUnit.objects.filter(region__in=regions).select_related("region").prefetch_related("members")
    form = UnitForm(request.POST if request.POST.get("action") == "add" else None, regions=regions)
    member_form = UnitMemberForm(request.POST if request.POST.get("action") == "member" else None)
    action = request.POST.get("action")
    if action == "add" and form.is_valid():
        unit = form.save()
        audit_record(actor=request.user, action="reporting_unit.create", target=unit, after={"name": unit.name})
        messages.success(request, _("已添加填报单位。"))
        return redirect("reports:units")
    if action in ("member", "remove"):
        unit = get_object_or_404(qs, pk=request.POST.get("unit") or 0)
        if action == "member" and member_form.is_valid():
            person = member_form.cleaned_data["login"]
            unit.members.add(person)
            audit_record(actor=request.user, action="reporting_unit.member_add", target=unit, after={"user": person.pk})
            messages.success(request, _("已添加填报人员。"))
            return redirect("reports:units")
        if action == "remove":
            person = get_object_or_404(unit.members.all(), pk=request.POST.get("user") or 0)
            unit.members.remove(person)
            audit_record(actor=request.user, action="reporting_unit.member_remove", target=unit,
                         after={"user": person.pk})
            messages.success(request, _("已移除填报人员。"))
            return redirect("reports:units")
        member_unit = unit.pk
    else:
        member_unit = None
    return render(request, "reports/campaigns/units.html", {
        "units": qs, "form": form, "member_form": member_form, "member_unit": member_unit})
