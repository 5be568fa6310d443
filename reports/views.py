"""Thin views: work out the scope, ask dashboards/metrics/progress for the figures, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from core.protected_files import serve_protected
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.selectors import enterprises_visible_to
from accounts.roles import OrgKind, Role
from core.ui.charts import Datum, bar_chart

from . import coverage as coverage_data
from . import keyset
from . import dashboards
from .forms import CoverageFilterForm
from .metrics import METRICS, SOURCES, SUM_OVER, compute_any, metric_rows
from .scope import ReportKind, add_months, build_scope, is_bureau_viewer, managed_enterprises, month_end

PAGE_SIZE = 50


def _enterprise_for(request) -> Organization:
    """The enterprise an enterprise-dashboard request is about (one the user manages)."""
    orgs = managed_enterprises(request.user)
    org_id = request.GET.get("org")
    if request.user.is_superuser and org_id:
        org = Organization.objects.filter(pk=org_id, kind=OrgKind.ENTERPRISE).first()
        if org:
            return org
    if org_id:
        for org in orgs:
            if str(org.pk) == org_id:
                return org
        raise Http404
    if not orgs:
        raise PermissionDenied
    return orgs[0]


def _scope_for(request, *, enterprise_view: bool):
    if enterprise_view:
        return build_scope(request.user, request.GET, kind=ReportKind.ENTERPRISE, enterprise=_enterprise_for(request))
    if not is_bureau_viewer(request.user):
        raise PermissionDenied
    return build_scope(request.user, request.GET, kind=ReportKind.BUREAU)


def quick_periods(scope) -> list[dict]:
    today = scope.today
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    periods = [
        (_("本月"), this_month, today),
        (_("上月"), last_month, month_end(last_month)),
        (_("近12个月"), add_months(this_month, -11), today),
        (_("本年"), today.replace(month=1, day=1), today),
    ]
    if scope.campaign and scope.campaign.start_date <= today:
        periods.append((_("专项活动以来"), scope.campaign.start_date, today))
    return [{"label": label, "qs": scope.with_period(start, end).query_string()} for label, start, end in periods]


@login_required
def index(request):
    if is_bureau_viewer(request.user):
        return redirect("reports:bureau")
    if managed_enterprises(request.user):
        return redirect("reports:enterprise")
    raise PermissionDenied


def _with_rollup(scope):
    """The scope reading the day's roll-up when its period is one the roll-up holds (the quick periods,
    and the default); any other period is counted live. The roll-up's own dates are shown."""
    from . import rollup as rolled

    key = rolled.period_key(scope.start, scope.end, scope.today)
    if key is None:  # a link from a page of an earlier day's roll-up names that roll-up's dates
        build = rolled.latest_build()
        wanted = [scope.start.isoformat(), scope.end.isoformat()]
        key = next((k for k, dates in (build.periods if build else {}).items() if dates == wanted), None)
        if key is None:
            return scope, build, False
    build = rolled.ensure_build()
    if key not in build.periods:
        return scope, build, False
    data = rolled.load(scope, build, key)
    scope = scope.with_period(data.start, data.end)
    scope.rollup = data
    return scope, build, True


@login_required
def bureau(request):
    from .rollup import register_totals

    scope, form = _scope_for(request, enterprise_view=False)
    scope, build, rolled_up = _with_rollup(scope)
    panels = dashboards.bureau_dashboard(scope)
    if rolled_up:
        register = register_totals(scope.rollup.figures.get("register", {}))
    else:
        register = coverage_data.register_coverage(request.user, enterprises=scope.enterprises)
    return render(request, "reports/dashboard_bureau.html", {
        "scope": scope, "form": form, "panels": panels, "quick": quick_periods(scope), "register": register,
        "build": build, "rolled_up": rolled_up})


@login_required
def rollup_refresh(request):
    """“刷新数据”: bureau staff queue a rebuild of today's roll-up (runs at once without a broker)."""
    from django.contrib import messages
    from django.db import transaction
    from django.utils.http import url_has_allowed_host_and_scheme

    from .tasks import rollup_build

    if request.method != "POST":
        return HttpResponse(status=405)
    if not is_bureau_viewer(request.user):
        raise PermissionDenied
    transaction.on_commit(lambda: rollup_build.delay())
    messages.success(request, _("已提交刷新，数据汇总完成后页面将显示最新数据。"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("reports:bureau")
    return redirect(back)


@login_required
def enterprise(request):
    scope, form = _scope_for(request, enterprise_view=True)
    panels = dashboards.enterprise_dashboard(scope)
    org = scope.enterprises.first()
    return render(request, "reports/dashboard_enterprise.html", {
        "scope": scope, "form": form, "panels": panels, "org": org,
        "orgs": managed_enterprises(request.user),
    })


@login_required
def drill(request, metric: str):
    if metric not in METRICS:
        raise Http404
    m = METRICS[metric]
    source = SOURCES[m.source]
    if not m.available():
        raise Http404
    scope, form = _scope_for(request, enterprise_view=request.GET.get("view") == "enterprise")
    facets = {name: request.GET.get(name, "") for name in source.facets}
    scope, _build, rolled_up = _with_rollup(scope) if scope.kind == ReportKind.BUREAU else (scope, None, False)
    rows = metric_rows(scope, metric, facets)
    page = keyset.page(rows, SOURCES[m.source].order_by, request.GET.get("after", ""), PAGE_SIZE)
    active_facets = {k: v for k, v in facets.items() if v}
    # the list's total is the figure (the roll-up's when the period is rolled up; counted otherwise)
    total = None
    if not active_facets:
        total = (scope.rollup.values([metric]) if rolled_up else compute_any(scope, [metric]))[metric]
    elif page.first and not page.has_next:
        total = len(page.rows)
    # a figure that sums a column of these rows (e.g. people over roster checks) shows its total here
    total_key = request.GET.get("total", "")
    summed = None
    if total_key in SUM_OVER and SUM_OVER[total_key][1] == metric and not active_facets:
        summed = {"key": total_key, "label": SUM_OVER[total_key][0], "unit": SUM_OVER[total_key][2],
                  "value": (scope.rollup.values([total_key]) if rolled_up
                            else compute_any(scope, [total_key]))[total_key]}
        active_facets["total"] = total_key
    base_qs = scope.query_string(**active_facets)
    back = "reports:enterprise" if scope.kind == ReportKind.ENTERPRISE else "reports:bureau"
    return render(request, "reports/drill.html", {
        "scope": scope, "metric": m, "source": source, "page": page, "rows": page.rows,
        "row_template": source.template, "base_qs": base_qs, "facets": active_facets, "back": back,
        "summed": summed, "total": total,
    })


# ------------------------------------------------------------------ progress table (调度表)

def _bureaus_of(user) -> list[Organization]:
    from accounts.selectors import organizations_of
    from accounts.roles import BUREAU_ROLES

    return [o for o in organizations_of(user, *BUREAU_ROLES) if o.kind == OrgKind.BUREAU]


def _require_bureau(request) -> list[Organization]:
    bureaus = _bureaus_of(request.user)
    if not bureaus and not request.user.is_superuser:
        raise PermissionDenied
    return bureaus


@login_required
def progress(request):
    from .forms import ProgressExportForm, ProgressGenerateForm
    from .models import ProgressReport
    from .progress import DUE_DAY
    from .selectors import progress_reports_for

    bureaus = _require_bureau(request)
    reports = progress_reports_for(request.user).select_related("bureau", "campaign")
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    from .progress import standard_period

    today = timezone.localdate()
    generate_form = ProgressGenerateForm(bureaus=bureaus, initial={"month": f"{today:%Y-%m}"})
    start, end = standard_period(today)
    export_form = ProgressExportForm(bureaus=bureaus, initial={"start": start, "end": min(end, today)})
    if request.method == "POST":
        from django.contrib import messages

        from .services import progress_report_build

        generate_form = ProgressGenerateForm(request.POST, bureaus=bureaus)
        if generate_form.is_valid():
            report = progress_report_build(bureau=generate_form.cleaned_data["bureau"],
                                           month=generate_form.cleaned_data["month"], actor=request.user)
            messages.success(request, _("已生成%(month)s调度表。") % {"month": f"{report.month:%Y年%m月}"})
            return redirect("reports:progress")
    return render(request, "reports/progress.html", {
        "page": page, "reports": page.object_list, "generate_form": generate_form, "export_form": export_form,
        "due_day": DUE_DAY, "model": ProgressReport,
    })


@login_required
def progress_download(request, pk: int):
    from .selectors import progress_reports_for

    _require_bureau(request)
    report = get_object_or_404(progress_reports_for(request.user), pk=pk)
    return serve_protected(request, report.file, attachment=True,
                           filename=f"调度表-{report.bureau.name}-{report.month:%Y-%m}.xlsx",
                           content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
def progress_export(request):
    """An ad-hoc table for any period, downloaded at once (not stored)."""
    from .forms import ProgressExportForm
    from .progress import campaign_for, progress_figures, table_bytes

    bureaus = _require_bureau(request)
    form = ProgressExportForm(request.GET, bureaus=bureaus)
    if not form.is_valid():
        from django.contrib import messages

        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("reports:progress")
    bureau, start, end = (form.cleaned_data[k] for k in ("bureau", "start", "end"))
    campaign = campaign_for(bureau, end)
    content = table_bytes(bureau, start, end, campaign, progress_figures(bureau, start, end, campaign))
    resp = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    from urllib.parse import quote

    name = quote(f"调度表-{bureau.name}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return resp


# ---------------------------------------------------------------- training coverage

@login_required
def coverage(request):
    """Coverage by group from the day's roll-up (a non-mandatory course is counted live); the
    enterprises behind a group and the people of the register are listed by keyset pages."""
    from . import rollup as rolled

    if not coverage_data.can_view_coverage(request.user):
        raise Http404
    form = CoverageFilterForm(request.GET or None)
    dimension, course = "industry", None
    if form.is_valid():
        dimension = form.cleaned_data.get("dimension") or "industry"
        course = form.cleaned_data.get("course")
    build = rolled.ensure_build()
    base = reverse("reports:coverage")
    course_q = f"&course={course.pk}" if course else ""
    group = request.GET.get("group", "")
    enterprise_rows, page = [], None
    if dimension == "enterprise":
        flt = _group_filter(group) if group else {}
        orgs = enterprises_visible_to(request.user)
        if flt:
            orgs = orgs.filter(**flt).distinct() if "memberships__role" in flt else orgs.filter(**flt)
        page = keyset.page(orgs.only("pk"), ("pk",), request.GET.get("after", ""), PAGE_SIZE)
        data = coverage_data.coverage(request.user, course=course, dimension="enterprise",
                                      enterprise_filter={"pk__in": [o.pk for o in page.rows]})
        enterprise_rows = sorted(data["rows"], key=lambda r: int(r.key[1:]))
        for r in enterprise_rows:
            r.href = reverse("courses:enterprise") + f"?org={r.key[1:]}" + (f"&course={course.code}" if course else "")
        chart = ""
    else:
        if course is not None and not course.is_mandatory:
            data = coverage_data.coverage(request.user, course=course, dimension=dimension)
        else:
            data = rolled.coverage_rows(request.user, build, course_id=course.pk if course else None,
                                        dimension=dimension)
        chart = bar_chart(
            [Datum(r.label, float(r.rate), href=f"{base}?dimension=enterprise{course_q}&group={r.key}")
             for r in data["rows"][:20]],
            title=_("完成率（%）"), unit="%", max_value=100, width=640,
        )
    register, campaign = _register_coverage(request, build) if dimension != "enterprise" else (None, None)
    return render(request, "reports/coverage.html", {
        "form": form, "data": data, "chart": chart, "dimension": dimension, "course": course,
        "enterprise_rows": enterprise_rows, "group": group, "register": register, "campaign": campaign,
        "page": page, "build": build,
        "next_qs": f"dimension=enterprise{course_q}&group={group}&after={page.next_after}" if page and page.has_next
        else "",
    })


def _register_coverage(request, build):
    """Coverage against the enterprise register (every principal and safety manager): the totals from
    the roll-up (``?campaign=`` narrows to a campaign's key sectors, counted live); the people list shows
    one keyset page of enterprises at a time (``?reg_after=``), the uncovered first within the page."""
    from . import rollup as rolled
    from .campaign_views import campaigns_for
    from .collection import campaign_enterprises

    campaign = None
    raw = request.GET.get("campaign", "")
    if raw.isdigit():
        campaign = campaigns_for(request.user).filter(pk=int(raw)).first()
    orgs = enterprises_visible_to(request.user).filter(is_active=True)
    if campaign:
        orgs = orgs.filter(pk__in=campaign_enterprises(campaign).values("pk"))
        register = coverage_data.register_coverage(request.user, enterprises=orgs)
    else:
        register = rolled.register_of(request.user, build)
    page = keyset.page(orgs.only("pk"), ("pk",), request.GET.get("reg_after", ""), 20)
    people = coverage_data.register_coverage(
        request.user, enterprises=Organization.objects.filter(pk__in=[o.pk for o in page.rows]))["people"]
    people.sort(key=lambda p: (p.covered, p.status != "no_account", p.enterprise.pk, p.role))
    register["shown"] = people
    register["page"] = page
    return register, campaign


def _group_filter(group: str):
    """Coverage group key → enterprise filter for the drill-down (i=industry, h=hazard, r=region)."""
    if not group or len(group) < 2:
        return None
    kind, value = group[0], group[1:]
    if kind == "i" and value.isdigit():
        return {"industry_id": int(value) or None}
    if kind == "h" and value.isdigit():
        return {"hazard_tags": int(value)}
    if kind == "r" and value.isdigit():
        return {"region_id": value}
    if kind == "o" and value in Role.values:
        return {"memberships__role": value, "memberships__is_active": True}
    return None
