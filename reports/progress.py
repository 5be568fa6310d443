"""The monthly progress table (调度表) of the hazard-inspection campaign, as an Excel workbook.

Rows follow the bureau's own table (overall situation, spot checks of enterprises' self-inspection,
enforcement, leadership), followed by the training, examination, certificate and warning figures
the platform holds. A row is filled only from the platform's own data: rows the platform does not
collect, or whose data has not been connected yet, show “—” with a note — never a guessed number.
Each filled row has the figure for the period and the cumulative figure since the campaign start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, region_prefix
from accounts.roles import OrgKind

from .metrics import METRICS, SUM_PROVIDERS, compute_any
from .models import Campaign
from .scope import ReportKind, Scope, add_months

DASH = "—"
NOT_COLLECTED = "平台不采集此项，请按实际情况填报。"
NOT_CONNECTED = "相关业务数据尚未接入平台，请按实际情况填报。"
NO_CAMPAIGN = "未设置专项活动起始日期，无法计算累计数。"

# The day a monthly table is due; its period runs from this day of the previous month through the
# day before, so consecutive tables neither overlap nor leave gaps.
DUE_DAY = 23


@dataclass(frozen=True)
class Row:
    section: str
    number: str
    label: str
    unit: str
    metric: str | None = None  # None: not collected by the platform
    note: str = ""


# The bureau's table (labels in our words where the original is long), then the platform's figures.
ROWS: list[Row] = [
    Row("总体情况", "1", "企业自查发现的重大事故隐患", "个"),
    Row("总体情况", "2", "其中企业自查隐患已完成整改", "个"),
    Row("总体情况", "3", "部门检查发现的重大事故隐患", "个"),
    Row("总体情况", "4", "其中部门检查隐患已完成整改", "个"),
    Row("总体情况", "5", "政府挂牌督办的重大事故隐患", "个"),
    Row("总体情况", "6", "其中挂牌督办隐患已完成整改", "个"),
    Row("对企业自查自改进行抽查检查情况", "1", "部门抽查检查的企业", "家"),
    Row("对企业自查自改进行抽查检查情况", "2", "主要负责人未按要求亲自研究排查整治工作的企业", "家"),
    Row("对企业自查自改进行抽查检查情况", "3", "主要负责人未带队检查的企业", "家"),
    Row("对企业自查自改进行抽查检查情况", "4", "未制定分管负责人职责清单的企业", "家"),
    Row("对企业自查自改进行抽查检查情况", "5", "未依法设置安全管理机构、配足安全管理人员的企业", "家"),
    # Means the departments' spot checks, not enterprises' own roster checks: campaigns collect it
    # (reports.collection, "spot_unlicensed"); this legacy table leaves it to be filled in.
    Row("对企业自查自改进行抽查检查情况", "6", "电气焊等特种作业人员无证上岗的企业", "家"),
    Row("对企业自查自改进行抽查检查情况", "7", "外包外租安全管理混乱的企业", "家"),
    Row("对企业自查自改进行抽查检查情况", "8", "未按规定开展应急演练、员工不熟悉逃生出口的企业", "家"),
    Row("部门精准严格执法情况", "1", "帮扶指导重点乡镇", "个次"),
    Row("部门精准严格执法情况", "2", "帮扶指导重点企业", "家次"),
    Row("部门精准严格执法情况", "3", "行政处罚", "次/万元"),
    Row("部门精准严格执法情况", "4", "企业和主要负责人“一案双罚”", "次"),
    Row("部门精准严格执法情况", "5", "移送司法机关", "人"),
    Row("部门精准严格执法情况", "6", "责令停产整顿", "家"),
    Row("部门精准严格执法情况", "7", "曝光、约谈、联合惩戒企业", "家"),
    Row("部门精准严格执法情况", "8", "公布典型执法案例", "个", "enforcement_published",
        "平台数据：本单位在平台发布的执法案例。"),
    Row("部门精准严格执法情况", "8-1", "其中危险作业罪案例", "个", "enforcement_dangerous_work",
        "平台数据：发布的执法案例中标注为危险作业罪的。"),
    Row("部门精准严格执法情况", "9", "责任倒查追责问责", "人"),
    Row("部门精准严格执法情况", "10", "约谈通报有关地区及部门", "次"),
    Row("党委政府组织领导情况", "1", "党委、政府专题学习安全生产硬措施", "次"),
    Row("党委政府组织领导情况", "2", "党委、政府主要负责同志专题研究", "次"),
    Row("党委政府组织领导情况", "3", "政府负责同志现场督导检查", "次"),
    Row("党委政府组织领导情况", "4", "安委会成员单位负责同志到企业宣讲", "次"),
    Row("党委政府组织领导情况", "5", "举报奖励（其中匿名举报查实奖励）", "万元"),
    Row("党委政府组织领导情况", "6", "主流媒体是否设置安全生产专题栏目", "是/否"),
    Row("党委政府组织领导情况", "7", "配备专兼职技术检查员", "人"),
    Row("党委政府组织领导情况", "8", "开展考核巡查督导检查", "次"),
    Row("平台培训考核发证情况", "1", "开展培训的企业", "家", "ent_trained",
        "有人员完成培训（取得培训记录）的企业。"),
    Row("平台培训考核发证情况", "2", "完成培训的人员", "人", "people_trained"),
    Row("平台培训考核发证情况", "3", "其中主要负责人和安全生产管理人员", "人", "managers_trained"),
    Row("平台培训考核发证情况", "4", "组织考试", "场", "exam_sessions_held"),
    Row("平台培训考核发证情况", "5", "参加考试", "人次", "exam_sat"),
    Row("平台培训考核发证情况", "6", "考试合格", "人次", "exam_passed"),
    Row("平台培训考核发证情况", "7", "发放证书", "本", "certs_issued"),
    Row("平台培训考核发证情况", "8", "完成复审", "本", "certs_reviewed"),
    Row("平台培训考核发证情况", "9", "撤销证书", "本", "certs_revoked"),
    Row("平台培训考核发证情况", "10", "持证核查发现的无证特种作业人员", "人", "roster_unlicensed_rows",
        "企业在岗人员持证核查中“无证”“操作项目不符”的人员。"),
    Row("平台警示教育情况", "1", "发布事故警示案例", "个", "warnings_published"),
    Row("平台警示教育情况", "2", "推送警示通知", "份", "notif_sent"),
    Row("平台警示教育情况", "3", "其中已阅读", "份", "notif_read"),
]


@dataclass
class Figure:
    row: Row
    period: int | None
    cumulative: int | None
    note: str

    def as_dict(self) -> dict:
        return {"section": self.row.section, "number": self.row.number, "label": self.row.label,
                "unit": self.row.unit, "period": self.period, "cumulative": self.cumulative, "note": self.note}


def standard_period(month: dt.date) -> tuple[dt.date, dt.date]:
    """Period of the table due in ``month``: the DUE_DAY of the month before up to the day before DUE_DAY."""
    first = month.replace(day=1)
    return add_months(first, -1).replace(day=DUE_DAY), first.replace(day=DUE_DAY - 1)


def bureau_enterprises(bureau: Organization):
    return Organization.objects.filter(kind=OrgKind.ENTERPRISE, is_active=True,
                                       region__code__startswith=region_prefix(bureau.region_id))


def bureau_scope(bureau: Organization, start: dt.date, end: dt.date, campaign: Campaign | None = None) -> Scope:
    return Scope(user=None, kind=ReportKind.BUREAU, enterprises=bureau_enterprises(bureau), start=start, end=end,
                 campaign=campaign, params={"start": start.isoformat(), "end": end.isoformat()},
                 bureau=bureau)


def progress_figures(bureau: Organization, start: dt.date, end: dt.date,
                     campaign: Campaign | None) -> list[Figure]:
    """Every row's period and cumulative figure: two aggregate queries per data source, no more."""
    keys = [r.metric for r in ROWS if r.metric and (r.metric in METRICS or r.metric in SUM_PROVIDERS)]
    period = compute_any(bureau_scope(bureau, start, end, campaign), keys)
    if campaign is not None and campaign.start_date <= end:
        cumulative = compute_any(bureau_scope(bureau, campaign.start_date, end, campaign), keys)
    else:
        cumulative = {}
    out = []
    for row in ROWS:
        if row.metric is None:
            out.append(Figure(row, None, None, NOT_COLLECTED))
            continue
        if period.get(row.metric) is None:
            out.append(Figure(row, None, None, NOT_CONNECTED))
            continue
        metric = METRICS.get(row.metric)
        note = row.note or (metric.help if metric else "")
        if not cumulative:
            note = f"{note} {NO_CAMPAIGN}".strip()
        out.append(Figure(row, period[row.metric], cumulative.get(row.metric), note))
    return out


def workbook_bytes(bureau: Organization, start: dt.date, end: dt.date, campaign: Campaign | None,
                   figures: list[Figure], generated_at: dt.datetime | None = None) -> bytes:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    from core.exports import workbook, xlsx_bytes

    generated_at = timezone.localtime(generated_at or timezone.now())
    wb = workbook()
    ws = wb.active
    ws.title = "调度表"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    ws.merge_cells("A1:G1")
    ws["A1"] = f"{bureau.name} 重大事故隐患专项排查整治进展情况调度表"
    ws["A1"].font = Font(size=15, bold=True)
    ws["A1"].alignment = centre
    ws.row_dimensions[1].height = 30
    ws["A2"] = "填报单位"
    ws["B2"] = bureau.name
    ws["A3"] = "本期统计期间"
    ws["B3"] = f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
    ws["A4"] = "累计起始"
    ws["B4"] = (f"{campaign.start_date:%Y-%m-%d}（{campaign.name}）" if campaign else "未设置专项活动")
    ws["E2"] = "生成时间"
    ws["F2"] = f"{generated_at:%Y-%m-%d %H:%M}"
    for cell in ("B2", "B3", "B4"):
        ws.merge_cells(f"{cell}:D{cell[1:]}")

    header_row = 6
    headers = ["类别", "序号", "项目", "单位", "本期", "累计（专项活动以来）", "说明"]
    fill = PatternFill("solid", fgColor="DCE6F1")
    for col, text in enumerate(headers, start=1):
        c = ws.cell(row=header_row, column=col, value=text)
        c.font = Font(bold=True)
        c.alignment = centre
        c.fill = fill
        c.border = border

    r = header_row + 1
    section_start, current = r, None
    for fig in figures:
        if fig.row.section != current:
            if current is not None and r - 1 > section_start:
                ws.merge_cells(start_row=section_start, start_column=1, end_row=r - 1, end_column=1)
            current, section_start = fig.row.section, r
        values = [fig.row.section, fig.row.number, fig.row.label, fig.row.unit,
                  DASH if fig.period is None else fig.period,
                  DASH if fig.cumulative is None else fig.cumulative, fig.note]
        for col, value in enumerate(values, start=1):
            c = ws.cell(row=r, column=col, value=value)
            c.border = border
            c.alignment = centre if col in (1, 2, 4, 5, 6) else wrap
        r += 1
    if r - 1 > section_start:
        ws.merge_cells(start_row=section_start, start_column=1, end_row=r - 1, end_column=1)

    notes = [
        f"注：1. 本表每月 {DUE_DAY} 日由平台生成；本期为上月 {DUE_DAY} 日至本月 {DUE_DAY - 1} 日，"
        "累计数自专项活动开始日期起算。",
        "2. 数字取自本平台的培训、考试、发证、持证核查和警示教育记录，范围为本单位辖区内的企业。",
        "3. 标“—”的项目平台没有相应数据，请按实际情况填报，不得以平台数字代替。",
    ]
    for i, text in enumerate(notes, start=r + 1):
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=7)
        ws.cell(row=i, column=1, value=text).alignment = wrap

    for col, width in zip("ABCDEFG", (16, 6, 40, 9, 10, 14, 46)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    return xlsx_bytes(wb)


def campaign_for(bureau: Organization, on: dt.date) -> Campaign | None:
    return Campaign.for_region(bureau.region_id, on)


def table_bytes(bureau: Organization, start: dt.date, end: dt.date, campaign: Campaign | None,
                figures: list[Figure], generated_at: dt.datetime | None = None) -> bytes:
    """The bureau's table: a campaign with a template gives its roll-up in the template's printed
    layout (collected from the reporting units); otherwise the platform-only table above."""
    if campaign is not None and campaign.template_id:
        from .campaign_exports import rollup_workbook

        return rollup_workbook(campaign, max(start, campaign.start_date), end)
    return workbook_bytes(bureau, start, end, campaign, figures, generated_at)


def bureau_orgs_q() -> Q:
    return Q(kind=OrgKind.BUREAU, is_active=True)
