"""The monthly progress table: periods, campaign, Excel cells, idempotent job, downloads and scoping."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organization, Region
from accounts.roles import OrgKind, Role
from reports import progress
from reports.metrics import METRICS, Metric, register_metric
from reports.models import Campaign, ProgressReport
from reports.services import progress_report_build
from tests.factories import OrganizationFactory


def cells(content: bytes) -> dict[str, list]:
    """Row label → [本期, 累计, 说明] from a table's bytes."""
    ws = load_workbook(io.BytesIO(content)).active
    out = {}
    for row in ws.iter_rows(min_row=7, values_only=True):
        if row[2]:
            out[f"{row[0] or ''}|{row[2]}"] = list(row[4:7])
    return out


def find(rows: dict, label: str) -> list:
    matches = [v for k, v in rows.items() if k.endswith(f"|{label}")]
    assert len(matches) == 1, label
    return matches[0]


def test_standard_period_runs_from_the_23rd_to_the_22nd():
    assert progress.standard_period(dt.date(2026, 11, 5)) == (dt.date(2026, 10, 23), dt.date(2026, 11, 22))
    assert progress.standard_period(dt.date(2027, 1, 1)) == (dt.date(2026, 12, 23), dt.date(2027, 1, 22))


def test_campaign_for_region_prefers_the_most_local(db):
    prov = Campaign.objects.create(name="省级", region=Region.objects.get(code="440000"), start_date=dt.date(2026, 1, 1))
    city = Campaign.objects.create(name="市级", region=Region.objects.get(code="440700"), start_date=dt.date(2026, 3, 1),
                                   end_date=dt.date(2026, 12, 31))
    Campaign.objects.create(name="别市", region=Region.objects.get(code="441900"), start_date=dt.date(2026, 4, 1))
    assert Campaign.for_region("440704", dt.date(2026, 6, 1)) == city
    assert Campaign.for_region("440704", dt.date(2026, 2, 1)) == prov
    assert Campaign.for_region("440704", dt.date(2027, 2, 1)) == prov
    assert Campaign.for_region("110101", dt.date(2026, 6, 1)) is None


@pytest.fixture
def created_metric(db):
    """A test metric on enterprises by registration date, so period and cumulative can be checked by hand."""
    register_metric(Metric("test_ent_created", "测试：新登记企业", "enterprises",
                           lambda s: s.in_period("created_at"), unit="家"))
    row = progress.Row("测试", "1", "新登记企业", "家", "test_ent_created")
    progress.ROWS.append(row)
    yield row
    progress.ROWS.remove(row)
    del METRICS["test_ent_created"]


def _at(day: dt.date):
    from django.utils import timezone
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def test_table_cells_period_and_cumulative(world, created_metric, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    Campaign.objects.create(name="专项整治", region=Region.objects.get(code="440700"), start_date=dt.date(2026, 5, 1))
    e1, e2, e3, outside = world["e1"], world["e2"], world["e3"], world["outside"]
    Organization.objects.filter(pk=e1.pk).update(created_at=_at(dt.date(2026, 4, 30)))   # before the campaign
    Organization.objects.filter(pk=e2.pk).update(created_at=_at(dt.date(2026, 6, 10)))   # cumulative only
    Organization.objects.filter(pk=e3.pk).update(created_at=_at(dt.date(2026, 10, 23)))  # first day of period
    Organization.objects.filter(pk=outside.pk).update(created_at=_at(dt.date(2026, 11, 1)))  # other city
    late = OrganizationFactory(region=Region.objects.get(code="440781"))
    Organization.objects.filter(pk=late.pk).update(created_at=_at(dt.date(2026, 11, 23)))  # after the period

    report = progress_report_build(bureau=world["bureau"], month=dt.date(2026, 11, 1))
    assert (report.period_start, report.period_end) == (dt.date(2026, 10, 23), dt.date(2026, 11, 22))
    assert report.cumulative_start == dt.date(2026, 5, 1)
    rows = cells(report.file.read())
    assert find(rows, "新登记企业")[:2] == [1, 2]
    # rows the platform does not collect are dashes with a note, never numbers
    value = find(rows, "企业自查发现的重大事故隐患")
    assert value == ["—", "—", progress.NOT_COLLECTED]
    ws = load_workbook(io.BytesIO(report.file.open("rb").read())).active
    assert ws["A1"].value == "江门市应急管理局 重大事故隐患专项排查整治进展情况调度表"
    assert ws["B3"].value == "2026-10-23 至 2026-11-22"
    assert ws["B4"].value.startswith("2026-05-01（专项整治）")
    assert [c.value for c in ws[6]] == ["类别", "序号", "项目", "单位", "本期", "累计（专项活动以来）", "说明"]
    assert {r["label"]: r["period"] for r in report.figures}["新登记企业"] == 1


def test_without_campaign_cumulative_is_a_dash(world, created_metric, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    report = progress_report_build(bureau=world["bureau"], month=dt.date(2026, 11, 1))
    period, cumulative, note = find(cells(report.file.read()), "新登记企业")
    assert isinstance(period, int) and cumulative == "—" and progress.NO_CAMPAIGN in note


def test_rows_of_unconnected_data_are_dashes(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    report = progress_report_build(bureau=world["bureau"], month=dt.date(2026, 11, 1))
    rows = cells(report.file.read())
    for fig in report.figures:
        if fig["period"] is None:
            assert find(rows, fig["label"])[:2] == ["—", "—"]
            assert fig["note"] in (progress.NOT_COLLECTED, progress.NOT_CONNECTED)
    labels = [r.label for r in progress.ROWS]
    for expected in ("电气焊等特种作业人员无证上岗的企业", "公布典型执法案例", "发放证书", "撤销证书", "完成复审",
                     "考试合格", "完成培训的人员", "其中已阅读"):
        assert expected in labels


def test_build_is_idempotent(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    first = progress_report_build(bureau=world["bureau"], month=dt.date(2026, 11, 1))
    second = progress_report_build(bureau=world["bureau"], month=dt.date(2026, 11, 15))
    assert first.pk == second.pk
    assert ProgressReport.objects.count() == 1
    second.refresh_from_db()
    assert second.file.read()[:2] == b"PK"


def test_bureau_only(world):
    with pytest.raises(ValueError):
        progress_report_build(bureau=world["e1"], month=dt.date(2026, 11, 1))


def test_monthly_job_builds_one_table_per_bureau(world, settings, tmp_path, django_capture_on_commit_callbacks):
    from reports.tasks import progress_reports_monthly

    settings.MEDIA_ROOT = str(tmp_path)
    other = OrganizationFactory(kind=OrgKind.BUREAU, region=Region.objects.get(code="441900"), credit_code=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert progress_reports_monthly("2026-11") == 2
    with django_capture_on_commit_callbacks(execute=True):
        progress_reports_monthly("2026-11")  # a doubled beat changes nothing
    assert set(ProgressReport.objects.values_list("bureau_id", "month")) == {
        (world["bureau"].pk, dt.date(2026, 11, 1)), (other.pk, dt.date(2026, 11, 1))}


def test_schedule_runs_on_the_23rd():
    from config.celery import collect_beat_schedule

    entry = collect_beat_schedule()["reports-progress-monthly"]
    assert entry["task"] == "reports.tasks.progress_reports_monthly"
    assert entry["schedule"].day_of_month == {23}


def test_download_is_scoped_to_the_bureau(world, client, make_member, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    report = progress_report_build(bureau=world["bureau"], month=dt.date(2026, 11, 1))
    client.force_login(world["analyst"])
    page = client.get(reverse("reports:progress"))
    assert page.status_code == 200 and "2026年11月" in page.content.decode()
    resp = client.get(reverse("reports:progress_download", args=[report.pk]))
    assert resp.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active["A1"].value.startswith("江门市")
    other_bureau = OrganizationFactory(kind=OrgKind.BUREAU, region=Region.objects.get(code="441900"), credit_code=None)
    stranger = make_member(Role.BUREAU_ANALYST, other_bureau)
    client.force_login(stranger)
    assert client.get(reverse("reports:progress_download", args=[report.pk])).status_code == 404
    assert "2026年11月" not in client.get(reverse("reports:progress")).content.decode()
    client.force_login(world["ent_admin"])
    assert client.get(reverse("reports:progress")).status_code == 403
    assert client.get(reverse("reports:progress_download", args=[report.pk])).status_code == 403


def test_export_for_a_period(world, client):
    client.force_login(world["analyst"])
    resp = client.get(reverse("reports:progress_export"), {"bureau": world["bureau"].pk,
                                                           "start": "2026-06-01", "end": "2026-06-30"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws["B3"].value == "2026-06-01 至 2026-06-30"
    resp = client.get(reverse("reports:progress_export"), {"bureau": world["bureau"].pk,
                                                           "start": "2026-07-01", "end": "2026-06-30"}, follow=True)
    assert "开始日期不能晚于结束日期" in resp.content.decode()
    other_bureau = OrganizationFactory(kind=OrgKind.BUREAU, region=Region.objects.get(code="441900"), credit_code=None)
    resp = client.get(reverse("reports:progress_export"), {"bureau": other_bureau.pk,
                                                           "start": "2026-06-01", "end": "2026-06-30"})
    assert resp.status_code == 302  # not one of the user's bureaus: refused with a message


def test_generate_from_the_list_page(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(world["analyst"])
    resp = client.post(reverse("reports:progress"), {"bureau": world["bureau"].pk, "month": "2026-10"})
    assert resp.status_code == 302
    assert ProgressReport.objects.get().month == dt.date(2026, 10, 1)
    resp = client.post(reverse("reports:progress"), {"bureau": world["bureau"].pk, "month": "2099-01"})
    assert "不能生成未来月份的调度表" in resp.content.decode()
    resp = client.post(reverse("reports:progress"), {"bureau": world["bureau"].pk, "month": "十月"})
    assert "请按“年-月”填写月份" in resp.content.decode()


def test_progress_page_query_budget(world, client, settings, tmp_path, django_assert_max_num_queries):
    settings.MEDIA_ROOT = str(tmp_path)
    for m in range(1, 11):
        progress_report_build(bureau=world["bureau"], month=dt.date(2026, m, 1))
    client.force_login(world["analyst"])
    with django_assert_max_num_queries(10):
        resp = client.get(reverse("reports:progress"))
    assert resp.content.decode().count("下载") == 10


def test_table_query_budget_is_fixed(world, settings, tmp_path, django_assert_max_num_queries):
    settings.MEDIA_ROOT = str(tmp_path)
    Campaign.objects.create(name="专项整治", region=Region.objects.get(code="440700"), start_date=dt.date(2026, 5, 1))
    with django_assert_max_num_queries(40):
        progress_report_build(bureau=world["bureau"], month=dt.date(2026, 11, 1))


def test_every_platform_row_names_a_known_figure():
    from reports.metrics import METRICS, SUM_PROVIDERS

    for row in progress.ROWS:
        if row.metric:
            assert row.metric in METRICS or row.metric in SUM_PROVIDERS, row.metric


def test_warning_rows_are_filled(warnings_data, world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    Campaign.objects.create(name="专项整治", region=Region.objects.get(code="440700"), start_date=dt.date(2026, 5, 1))
    figures = {f.row.label: f for f in progress.progress_figures(
        world["bureau"], dt.date(2026, 6, 1), dt.date(2026, 6, 30), Campaign.objects.get())}
    assert (figures["推送警示通知"].period, figures["推送警示通知"].cumulative) == (3, 4)
    assert (figures["其中已阅读"].period, figures["其中已阅读"].cumulative) == (2, 2)
    assert (figures["公布典型执法案例"].period, figures["公布典型执法案例"].cumulative) == (2, 2)
    assert figures["其中危险作业罪案例"].period == 1
