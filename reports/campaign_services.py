"""Writes of campaign collection: opening a period, filling, submitting, returning, accepting,
reopening an accepted copy, reminders and department spot checks. Every write is audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.notify import notify

from .collection import period_containing, platform_values, units_of
from .models import Campaign, ReportCopy, ReportingUnit, SpotCheck


@transaction.atomic
def period_open(*, campaign: Campaign, day: dt.date, actor=None) -> list[ReportCopy]:
    """Give every active unit of the campaign region its copy for the period containing ``day``
    (idempotent); platform items are (re)filled in copies not yet accepted."""
    if campaign.template is None:
        raise ValidationError(_("该专项活动未选择调度表式样。"))
    start, end, due = period_containing(campaign, day)
    copies = []
    for unit in units_of(campaign):
        copy, created = ReportCopy.objects.get_or_create(
            campaign=campaign, unit=unit, period_start=start, defaults={"period_end": end, "due_date": due})
        if copy.status != ReportCopy.Status.ACCEPTED:
            copy.platform_values = platform_values(campaign, start, end, unit)
            copy.save(update_fields=["platform_values"])
        if created:
            audit_record(actor=actor, action="campaign_copy.open", target=copy,
                         after={"period": [str(start), str(end)], "unit": unit.name})
        copies.append(copy)
    return copies


def _check_editable(copy: ReportCopy):
    if not copy.editable:
        raise ValidationError(_("该表已报送，不能再修改；如需修改请联系监管部门退回。"))


@transaction.atomic
def copy_save(*, copy: ReportCopy, values: dict, actor, submit: bool = False) -> ReportCopy:
    copy = ReportCopy.objects.select_for_update().get(pk=copy.pk)
    _check_editable(copy)
    before = {"status": copy.status, "values": copy.values}
    copy.values = values
    copy.platform_values = platform_values(copy.campaign, copy.period_start, copy.period_end, copy.unit)
    if submit:
        copy.status = ReportCopy.Status.SUBMITTED
        copy.submitted_at, copy.submitted_by = timezone.now(), actor
    copy.save()
    audit_record(actor=actor, action="campaign_copy.submit" if submit else "campaign_copy.save", target=copy,
                 before=before, after={"status": copy.status, "values": copy.values})
    return copy


@transaction.atomic
def copy_return(*, copy: ReportCopy, reason: str, actor) -> ReportCopy:
    copy = ReportCopy.objects.select_for_update().get(pk=copy.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因。")})
    if copy.status != ReportCopy.Status.SUBMITTED:
        raise ValidationError(_("只能退回已报送的表。"))
    copy.status, copy.return_reason = ReportCopy.Status.RETURNED, reason
    copy.reviewed_at, copy.reviewed_by = timezone.now(), actor
    copy.save()
    audit_record(actor=actor, action="campaign_copy.return", target=copy, after={"reason": reason})
    _notify_unit(copy, title=_("调度表被退回：%(c)s") % {"c": copy.campaign.name}, body=reason,
                 kind="campaign.returned")
    return copy


def _notify_unit(copy: ReportCopy, *, title: str, body: str, kind: str) -> None:
    """Tell the unit's members that their copy is open for correction again (in-app, with the reason)."""
    notify(copy.unit.members.all(), title=title, body=body, url=reverse("reports:copy", args=[copy.pk]), kind=kind)


def _stored_tables_refresh(copy: ReportCopy) -> None:
    """The stored monthly tables (``ProgressReport``) print the campaign's roll-up of accepted copies, the
    cumulative column from the campaign start: when a copy enters or leaves the roll-up, every stored
    table of the campaign whose period ends on or after the copy's start is produced again, after the
    commit (the roll-up pages themselves are counted live and need nothing)."""
    from .models import ProgressReport
    from .tasks import progress_report_build

    stale = (ProgressReport.objects.filter(campaign_id=copy.campaign_id, period_end__gte=copy.period_start)
             .values_list("bureau_id", "month"))
    for bureau_id, month in stale:
        transaction.on_commit(lambda b=bureau_id, m=f"{month:%Y-%m}": progress_report_build.delay(b, m))


@transaction.atomic
def copy_accept(*, copy: ReportCopy, actor) -> ReportCopy:
    copy = ReportCopy.objects.select_for_update().get(pk=copy.pk)
    if copy.status != ReportCopy.Status.SUBMITTED:
        raise ValidationError(_("只能采用已报送的表。"))
    copy.status, copy.return_reason = ReportCopy.Status.ACCEPTED, ""
    copy.reviewed_at, copy.reviewed_by = timezone.now(), actor
    copy.save()
    audit_record(actor=actor, action="campaign_copy.accept", target=copy)
    _stored_tables_refresh(copy)
    return copy


@transaction.atomic
def copy_reopen(*, copy: ReportCopy, reason: str, actor) -> ReportCopy:
    """Reopen an accepted copy (e.g. the unit found a wrong figure): it goes back to “returned” with the
    reason, so the unit corrects and resubmits it as after a return, and it leaves the roll-up until the
    bureau accepts it again. Who may do it is decided where accepting is (the copy's reviewers)."""
    copy = ReportCopy.objects.select_for_update().get(pk=copy.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写重新打开的原因。")})
    if copy.status != ReportCopy.Status.ACCEPTED:
        raise ValidationError(_("只能重新打开已采用的表。"))
    before = {"status": copy.status, "reviewed_by": copy.reviewed_by_id,
              "reviewed_at": copy.reviewed_at.isoformat() if copy.reviewed_at else None}
    copy.status, copy.return_reason = ReportCopy.Status.RETURNED, reason
    copy.reviewed_at, copy.reviewed_by = timezone.now(), actor
    copy.save()
    audit_record(actor=actor, action="campaign_copy.reopen", target=copy, before=before,
                 after={"status": copy.status, "reason": reason}, reason=reason)
    _notify_unit(copy, title=_("已采用的调度表被重新打开：%(c)s") % {"c": copy.campaign.name}, body=reason,
                 kind="campaign.reopened")
    _stored_tables_refresh(copy)
    return copy


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the members of every unit whose copy is still open and due within the campaign's
    ``remind_days``: once per unit and period (``reminded_at`` is set in the same update that claims it)."""
    today = today or timezone.localdate()
    sent = 0
    open_statuses = [ReportCopy.Status.DRAFT, ReportCopy.Status.RETURNED]
    candidates = (ReportCopy.objects.filter(status__in=open_statuses, reminded_at__isnull=True, due_date__gt=today)
                  .select_related("campaign", "unit"))
    for copy in candidates:
        if (copy.due_date - today).days > copy.campaign.remind_days:
            continue
        claimed = ReportCopy.objects.filter(pk=copy.pk, reminded_at__isnull=True).update(reminded_at=timezone.now())
        if not claimed:
            continue
        last_day = copy.due_date - dt.timedelta(days=1)
        notify(copy.unit.members.all(),
               title=_("请于%(d)s前报送调度表") % {"d": f"{copy.due_date:%m月%d日}"},
               body=_("%(c)s：%(u)s %(s)s至%(e)s的调度表尚未报送，截止%(l)s。") % {
                   "c": copy.campaign.name, "u": copy.unit.name, "s": f"{copy.period_start:%m月%d日}",
                   "e": f"{copy.period_end:%m月%d日}", "l": f"{last_day:%m月%d日}"},
               url=reverse("reports:copy", args=[copy.pk]), kind="campaign.reminder", sms=True)
        sent += 1
    return sent


# Roster-check results that mean a person works without a valid certificate (无证上岗): no certificate,
# one for another operation, or one expired, overdue for review, suspended or revoked.
UNLICENSED_AT_WORK = ("no_certificate", "wrong_operation", "expired", "review_overdue", "suspended", "revoked")


@transaction.atomic
def spot_check_run(*, user, enterprise, rows: list[dict], unit: ReportingUnit | None = None,
                   checked_on: dt.date | None = None, source_name: str = "") -> SpotCheck:
    """A department spot check: the roster check is run as inspection staff, against ``enterprise``."""
    from certificates.services import roster_check_run

    check = roster_check_run(user=user, rows=rows, source_name=source_name, channel="inspect",
                             organization=enterprise)
    by_status = check.summary.get("by_status", {})
    invalid = sum(int(by_status.get(s, 0)) for s in UNLICENSED_AT_WORK)
    spot = SpotCheck.objects.create(roster_check=check, enterprise=enterprise, unit=unit,
                                    checked_on=checked_on or timezone.localdate(), invalid_count=invalid,
                                    created_by=user)
    audit_record(actor=user, action="spot_check.run", target=spot,
                 after={"enterprise": enterprise.pk, "invalid": invalid})
    return spot
