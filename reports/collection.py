"""Collecting a campaign's progress table from its reporting units.

Periods: a monthly template's copy for month M covers the due day of the month before up to the day
before the due day of M, and is due before the due day of M (the annex: before the 23rd); a weekly
template's copy covers Monday–Sunday and is due ``due_day`` days after the Sunday. Periods are clipped
to the campaign's dates. Cell values are stored as ``{"<item>.<cell>": value}``; counts are ints,
amounts decimal strings with two places, yes/no answers booleans.

Items with a ``platform`` key are computed here and locked in every copy; in the roll-up they are
computed once over the whole campaign region (not summed from copies), so a check is never counted
twice when two units report the same district.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, region_prefix
from accounts.roles import OrgKind

from .models import Campaign, ReportCopy, ReportingUnit, ReportTemplate, SpotCheck
from .scope import add_months

YES, NO = "yes", "no"


# ------------------------------------------------------------------ periods

def due_day_of(campaign: Campaign) -> int:
    return campaign.due_day or (campaign.template.due_day if campaign.template else 23)


def _monthly(campaign: Campaign, month: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    day = due_day_of(campaign)
    first = month.replace(day=1)
    return add_months(first, -1).replace(day=day), first.replace(day=day) - dt.timedelta(days=1), first.replace(day=day)


def period_containing(campaign: Campaign, day: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(start, end, due) of the reporting period that contains ``day`` (clipped to the campaign)."""
    if campaign.template and campaign.template.frequency == ReportTemplate.Frequency.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=6)
        due = end + dt.timedelta(days=max(campaign.template.due_day, 1))
    else:
        month = day.replace(day=1)
        if day.day >= due_day_of(campaign):
            month = add_months(month, 1)
        start, end, due = _monthly(campaign, month)
    start = max(start, campaign.start_date)
    if campaign.end_date:
        end = min(end, campaign.end_date)
    return start, end, due


def periods_of(campaign: Campaign, until: dt.date) -> list[tuple[dt.date, dt.date, dt.date]]:
    """Every period from the campaign start up to the one containing ``until``, newest first."""
    out, day = [], campaign.start_date
    last = min(until, campaign.end_date) if campaign.end_date else until
    while day <= last and len(out) < 400:
        period = period_containing(campaign, day)
        out.append(period)
        day = period[1] + dt.timedelta(days=1)
    return list(reversed(out))


# ------------------------------------------------------------------ units and scope

def units_of(campaign: Campaign):
    prefix = region_prefix(campaign.region_id)
    return ReportingUnit.objects.filter(is_active=True, region__code__startswith=prefix).order_by("region_id", "kind",
                                                                                               "name")


def campaign_enterprises(campaign: Campaign, region_code: str | None = None):
    """Active enterprises of the campaign region in its key sectors (any of its industries or hazard
    tags; every enterprise when it names none)."""
    qs = Organization.objects.filter(kind=OrgKind.ENTERPRISE, is_active=True,
                                     region__code__startswith=region_prefix(region_code or campaign.region_id))
    industries = list(campaign.industries.values_list("pk", flat=True))
    tags = list(campaign.hazard_tags.values_list("pk", flat=True))
    if industries or tags:
        qs = qs.filter(Q(industry_id__in=industries) | Q(hazard_tags__in=tags)).distinct()
    return qs


# ------------------------------------------------------------------ platform figures

PLATFORM_DEFINITIONS = {
    "spot_unlicensed": gettext_lazy("部门抽查发现特种作业人员无证上岗的企业（含证书过期、逾期未复审、暂扣、撤销）"),
}


def platform_values(campaign: Campaign, start: dt.date, end: dt.date, unit: ReportingUnit | None = None) -> dict:
    """Values of the template's platform items: for one unit (its own spot checks) or the whole region."""
    out = {}
    items = campaign.template.items if campaign.template else []
    for item in items:
        if item.get("platform") == "spot_unlicensed":
            qs = SpotCheck.objects.filter(checked_on__gte=start, checked_on__lte=end, invalid_count__gt=0,
                                          enterprise__region__code__startswith=region_prefix(campaign.region_id))
            if unit is not None:
                qs = qs.filter(unit=unit)
            out[f"{item['key']}.{item['cells'][0]['key']}"] = qs.values("enterprise_id").distinct().count()
    return out


# ------------------------------------------------------------------ the copy's form

def cell_keys(template: ReportTemplate) -> list[tuple[dict, dict, str]]:
    return [(item, cell, f"{item['key']}.{cell['key']}") for item in template.items for cell in item["cells"]]


def _field_name(key: str) -> str:
    return "c_" + key.replace(".", "__")


class CopyForm(forms.Form):
    """One field per typed-in cell; platform cells are shown, not posted. ``submit`` makes every cell
    required; a draft may be partial."""

    def __init__(self, *args, copy: ReportCopy, submit: bool = False, **kwargs):
        initial = {}
        template = copy.campaign.template
        for _item, cell, key in cell_keys(template):
            value = copy.values.get(key)
            if value is None:
                continue
            initial[_field_name(key)] = (YES if value else NO) if cell["type"] == "bool" else value
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.copy, self.template, self.rows = copy, template, []
        for item in template.items:
            cells = []
            for cell in item["cells"]:
                key = f"{item['key']}.{cell['key']}"
                if item.get("platform"):
                    cells.append({"cell": cell, "key": key, "field": None, "value": copy.platform_values.get(key)})
                    continue
                label = f"{item['number']}. {item['label']}" + (f" · {cell['label']}" if cell["label"] else "")
                if cell["type"] == "bool":
                    field = forms.ChoiceField(label=label, required=submit,
                                              choices=[("", "—"), (YES, _("是")), (NO, _("否"))])
                elif cell["type"] == "decimal":
                    field = forms.DecimalField(label=label, required=submit, min_value=0, max_digits=12,
                                               decimal_places=2, widget=forms.NumberInput(attrs={"step": "0.01"}))
                else:
                    field = forms.IntegerField(label=label, required=submit, min_value=0, max_value=10_000_000)
                field.error_messages.update({
                    "required": _("请填写此项（没有请填 0）。"), "invalid": _("请输入数字。"),
                    "min_value": _("不能为负数。"), "max_value": _("数值过大，请核对。"),
                    "max_decimal_places": _("最多保留两位小数。"), "max_digits": _("数值过大，请核对。"),
                    "invalid_choice": _("请选择“是”或“否”。"),
                })
                field.widget.attrs.setdefault("inputmode", "decimal" if cell["type"] == "decimal" else "numeric")
                name = _field_name(key)
                self.fields[name] = field
                cells.append({"cell": cell, "key": key, "field": name, "value": None})
            self.rows.append({"item": item, "cells": cells})

    def bound_rows(self):
        for row in self.rows:
            yield {"item": row["item"], "cells": [
                {**c, "bound": self[c["field"]] if c["field"] else None,
                 "display": fmt(self.copy.values.get(c["key"]), c["cell"]["type"])} for c in row["cells"]]}

    def clean(self):
        data = super().clean()
        values = self.values_from(data)
        for _item, cell, key in cell_keys(self.template):
            ceiling = cell.get("le")
            if not ceiling or values.get(key) is None or values.get(ceiling) is None:
                continue
            if Decimal(str(values[key])) > Decimal(str(values[ceiling])):
                parent = next(i for i in self.template.items if i["key"] == ceiling.split(".")[0])
                self.add_error(_field_name(key), _("不能大于“%(label)s”。") % {"label": parent["label"]})
        return data

    def values_from(self, data) -> dict:
        out = {}
        for _item, cell, key in cell_keys(self.template):
            name = _field_name(key)
            if name not in self.fields:
                continue
            value = data.get(name)
            if value in (None, ""):
                continue
            if cell["type"] == "bool":
                out[key] = value == YES
            elif cell["type"] == "decimal":
                out[key] = f"{Decimal(value):.2f}"
            else:
                out[key] = int(value)
        return out


# ------------------------------------------------------------------ roll-up

def rollup(campaign: Campaign, start: dt.date, end: dt.date) -> dict:
    """Sum of the accepted copies whose period lies in [start, end], with the platform items computed
    over the whole region. Yes/no items: yes when any unit answered yes."""
    return rollups(campaign, start, end, cumulative=False)[0]


def rollups(campaign: Campaign, start: dt.date, end: dt.date, *, cumulative: bool = True) -> tuple[dict, dict]:
    """The period's roll-up and (``cumulative``) the one since the campaign start: one aggregate query
    over the accepted copies (sums of counts and amounts; 是 when any unit answered 是, 否 when every
    answer was 否, none without answers), plus the platform items. Costs the same for 40 or 4,000 copies
    on the page: the database adds them up."""
    from django.db.models import Count, DecimalField, IntegerField, Sum
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    typed = [(key, cell["type"]) for item, cell, key in cell_keys(campaign.template)
             if not item.get("platform")] if campaign.template else []
    first = campaign.start_date if cumulative else start
    windows = {"p": Q(period_start__gte=start)}
    if cumulative:
        windows["c"] = Q()
    exprs, names = {}, {}
    for i, (key, cell_type) in enumerate(typed):
        path = f"values__{key}"
        for w, q in windows.items():
            name = f"{w}{i}"
            names[name] = (w, key, cell_type)
            if cell_type == "bool":
                exprs[name] = Count("pk", filter=q & Q(**{path: True}))
                exprs[f"{name}_n"] = Count("pk", filter=q & Q(**{"values__has_key": key}))
            elif cell_type == "decimal":
                exprs[name] = Sum(Cast(KT(path), DecimalField(max_digits=16, decimal_places=2)), filter=q or None)
            else:
                exprs[name] = Sum(Cast(KT(path), IntegerField()), filter=q or None)
    totals: dict[str, dict] = {"p": {}, "c": {}}
    if exprs:
        copies = campaign.copies.filter(status=ReportCopy.Status.ACCEPTED, period_start__gte=first, period_end__lte=end)
        row = copies.aggregate(**exprs)
        for name, (w, key, cell_type) in names.items():
            value = row[name]
            if cell_type == "bool":
                value = (value > 0) if row[f"{name}_n"] else None
            elif cell_type == "decimal" and value is not None:
                value = Decimal(str(value)).quantize(Decimal("0.01"))
            if value is not None:
                totals[w][key] = value
    totals["p"].update(platform_values(campaign, start, end))
    if cumulative:
        totals["c"].update(platform_values(campaign, campaign.start_date, end))
    return totals["p"], totals["c"]


def fmt(value, cell_type: str = "int") -> str:
    if value is None:
        return "—"
    if cell_type == "bool":
        return "是" if value else "否"
    if cell_type == "decimal":
        return f"{Decimal(str(value)):.2f}"
    return str(value)


def copy_tasks(user):
    """Home-page tasks of a reporting unit's members: copies to fill in, or returned for correction."""
    from core.todo import Task

    open_statuses = [ReportCopy.Status.DRAFT, ReportCopy.Status.RETURNED]
    copies = (ReportCopy.objects.filter(unit__members=user, status__in=open_statuses)
              .select_related("campaign", "unit").order_by("due_date")[:10])
    from django.urls import reverse
    from django.utils import timezone

    today = timezone.localdate()

    for copy in copies:
        returned = copy.status == ReportCopy.Status.RETURNED
        yield Task(title=(_("修改被退回的调度表：%(u)s") if returned else _("填报调度表：%(u)s")) % {"u": copy.unit.name},
                   url=reverse("reports:copy", args=[copy.pk]), detail=copy.return_reason or copy.campaign.name,
                   due=copy.due_date, urgent=returned or copy.due_date <= today)
