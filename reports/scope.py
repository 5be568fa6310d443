"""What a report covers: the enterprises the viewer may see (narrowed by the filters) and a period.

Built on ``accounts.selectors``: a bureau sees the enterprises of its region, an enterprise manager
only their own enterprise, the superuser everything. Every figure and every drill-down list starts
from ``Scope.enterprises`` so a number and the list behind it always cover the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import selectors as acc
from accounts.models import HazardTag, Industry, Organization, Region, region_prefix
from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS, OrgKind

from .models import Campaign


class ReportKind:
    BUREAU = "bureau"
    ENTERPRISE = "enterprise"


def is_bureau_viewer(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or acc.has_role(user, *BUREAU_ROLES))


def managed_enterprises(user) -> list[Organization]:
    return [o for o in acc.organizations_of(user, *ENTERPRISE_MANAGERS) if o.kind == OrgKind.ENTERPRISE]


def bureau_of(user) -> Organization | None:
    orgs = [o for o in acc.organizations_of(user, *BUREAU_ROLES) if o.kind == OrgKind.BUREAU]
    return orgs[0] if orgs else None


def regions_for(user) -> QuerySet[Region]:
    """Regions a bureau viewer may filter by: those inside their own region(s)."""
    if user.is_superuser:
        return Region.objects.all()
    q = Q(pk__in=[])
    for p in acc.region_prefixes(user):
        q |= Q(code__startswith=p)
    return Region.objects.filter(q)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return add_months(day, 1) - dt.timedelta(days=1)


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    industry = forms.ModelChoiceField(label=_("行业"), queryset=Industry.objects.all(), required=False,
                                      empty_label=_("全部行业"))
    hazard = forms.ModelChoiceField(label=_("风险特征"), queryset=HazardTag.objects.all(), required=False,
                                    empty_label=_("全部"), to_field_name="code")
    region = forms.ModelChoiceField(label=_("地区"), queryset=Region.objects.none(), required=False,
                                    empty_label=_("全部地区"))

    def __init__(self, *args, user, bureau_view: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if bureau_view:
            self.fields["region"].queryset = regions_for(user)
        else:
            for name in ("industry", "hazard", "region"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        return data


@dataclass
class Scope:
    user: object
    kind: str
    enterprises: QuerySet[Organization]
    start: dt.date
    end: dt.date
    campaign: Campaign | None = None
    params: dict = field(default_factory=dict)
    today: dt.date = field(default_factory=timezone.localdate)
    bureau: Organization | None = None  # the bureau a bureau-wide report is made for
    rollup: object | None = None  # reports.rollup.Rollup: the day's roll-up the figures are read from

    # -- periods
    @property
    def start_dt(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_dt(self) -> dt.datetime:
        """Exclusive upper bound: the start of the day after ``end``."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))

    def in_period(self, field_name: str, *, is_date: bool = False) -> Q:
        if is_date:
            return Q(**{f"{field_name}__gte": self.start, f"{field_name}__lte": self.end})
        return Q(**{f"{field_name}__gte": self.start_dt, f"{field_name}__lt": self.end_dt})

    def up_to_end(self, field_name: str, *, is_date: bool = False) -> Q:
        if is_date:
            return Q(**{f"{field_name}__lte": self.end})
        return Q(**{f"{field_name}__lt": self.end_dt})

    def enterprise_ids(self):
        return self.enterprises.values("pk")

    def query_string(self, **extra) -> str:
        params = {k: v for k, v in {**self.params, **extra}.items() if v not in (None, "")}
        return urlencode(params)

    def with_period(self, start: dt.date, end: dt.date) -> "Scope":
        params = {**self.params, "start": start.isoformat(), "end": end.isoformat()}
        return Scope(user=self.user, kind=self.kind, enterprises=self.enterprises, start=start, end=end,
                     campaign=self.campaign, params=params, today=self.today, bureau=self.bureau)

    @property
    def is_bureau(self) -> bool:
        return self.kind == ReportKind.BUREAU


def default_start(campaign: Campaign | None, today: dt.date) -> dt.date:
    if campaign and campaign.start_date <= today:
        return campaign.start_date
    return today.replace(month=1, day=1)


def build_scope(user, data=None, *, kind: str = ReportKind.BUREAU, enterprise: Organization | None = None,
                today: dt.date | None = None) -> tuple[Scope, ReportFilterForm]:
    """Scope for ``user`` from request parameters. Invalid filters fall back to the defaults (the form
    carries the errors for display)."""
    today = today or timezone.localdate()
    form = ReportFilterForm(data or None, user=user, bureau_view=(kind == ReportKind.BUREAU))
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}

    if kind == ReportKind.BUREAU:
        enterprises = acc.enterprises_visible_to(user).filter(is_active=True)
        if not user.is_superuser:
            # staff of a bureau see their region's enterprises, never merely their own organisations
            prefixes = acc.region_prefixes(user)
            q = Q(pk__in=[])
            for p in prefixes:
                q |= Q(region__code__startswith=p)
            enterprises = enterprises.filter(q)
        bureau = bureau_of(user)
        region_code = bureau.region_id if bureau else ""
    else:
        if enterprise is None:
            raise ValueError("enterprise view needs an enterprise")
        enterprises = Organization.objects.filter(pk=enterprise.pk, kind=OrgKind.ENTERPRISE)
        region_code = enterprise.region_id
        bureau = None

    if cleaned.get("industry"):
        enterprises = enterprises.filter(industry=cleaned["industry"])
    if cleaned.get("hazard"):
        enterprises = enterprises.filter(pk__in=HazardTag.organizations.through.objects.filter(
            hazardtag=cleaned["hazard"]).values("organization_id"))
    if cleaned.get("region"):
        enterprises = enterprises.filter(region__code__startswith=region_prefix(cleaned["region"].code))

    campaign = Campaign.for_region(region_code, today) if region_code else None
    start = cleaned.get("start") or default_start(campaign, today)
    end = cleaned.get("end") or today
    if start > end:
        start = end
    params = {
        "start": start.isoformat(), "end": end.isoformat(),
        "industry": cleaned["industry"].pk if cleaned.get("industry") else "",
        "hazard": cleaned["hazard"].code if cleaned.get("hazard") else "",
        "region": cleaned["region"].pk if cleaned.get("region") else "",
    }
    if not form.is_bound or not form.is_valid():
        form = ReportFilterForm(initial={"start": start, "end": end, **{k: v for k, v in params.items() if v}},
                                user=user, bureau_view=(kind == ReportKind.BUREAU)) if not form.is_bound else form
    if kind != ReportKind.BUREAU:
        params = {"view": "enterprise", "org": enterprise.pk, "start": params["start"], "end": params["end"]}
    scope = Scope(user=user, kind=kind, enterprises=enterprises, start=start, end=end, campaign=campaign,
                  params=params, today=today, bureau=bureau)
    return scope, form
