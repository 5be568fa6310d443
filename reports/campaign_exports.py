"""The campaign table as a workbook: the first sheet exactly in the template's printed layout (its
items, order and units, two items per row, each with the period and the cumulative figure), the
platform's own figures on a second sheet, and (for the roll-up) every unit's figures on a third."""

from __future__ import annotations

import datetime as dt

from core.exports import workbook, xlsx_bytes

from .collection import fmt, rollups
from .models import Campaign, ReportCopy


def printed_label(item: dict) -> str:
    if item["unit"] == "是/否":
        return item["label"]
    return f"{item['label']}({item['unit']})"


def _value(item: dict, values: dict):
    cells = item["cells"]
    if len(cells) == 1:
        v = values.get(f"{item['key']}.{cells[0]['key']}")
        if v is None or cells[0]["type"] == "int":
            return "—" if v is None else v
        return fmt(v, cells[0]["type"])
    parts = []
    for cell in cells:
        parts.append(f"{cell['label']}{fmt(values.get(item['key'] + '.' + cell['key']), cell['type'])}{cell['unit']}")
    return "；".join(parts)


def _annex_sheet(ws, campaign: Campaign, unit_name: str, start: dt.date, end: dt.date, period: dict,
                 cumulative: dict) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side

    template = campaign.template
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(vertical="center", wrap_text=True)
    ws.title = "调度表"
    ws.merge_cells("A1:I1")
    ws["A1"] = template.name
    ws["A1"].font = Font(size=15, bold=True)
    ws["A1"].alignment = centre
    ws["A2"] = f"({unit_name})"
    ws["A3"] = f"时间：{end:%Y年%m月%d日}　本期：{start:%Y-%m-%d} 至 {end:%Y-%m-%d}　累计自 {campaign.start_date:%Y-%m-%d}"
    ws.merge_cells("A2:I2")
    ws.merge_cells("A3:I3")
    headers = ["类别", "序号", "项目", "本期", "累计", "序号", "项目", "本期", "累计"]
    for col, text in enumerate(headers, start=1):
        c = ws.cell(row=5, column=col, value=text)
        c.font, c.alignment, c.border = Font(bold=True), centre, border
    r = 6
    sections: dict[str, list[dict]] = {}
    for item in template.items:
        sections.setdefault(item["section"], []).append(item)
    for section, items in sections.items():
        first = r
        for i in range(0, len(items), 2):
            ws.cell(row=r, column=1, value=section)
            for offset, item in enumerate(items[i:i + 2]):
                base = 2 + offset * 4
                for j, value in enumerate([item["number"], printed_label(item), _value(item, period),
                                           _value(item, cumulative)]):
                    ws.cell(row=r, column=base + j, value=value)
            for col in range(1, 10):
                c = ws.cell(row=r, column=col)
                c.border = border
                c.alignment = wrap if col in (3, 7) else centre
            r += 1
        if r - 1 > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=r - 1, end_column=1)
    for i, note in enumerate(template.notes or [], start=r + 1):
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=9)
        ws.cell(row=i, column=1, value=note).alignment = wrap
    for col, width in zip("ABCDEFGHI", (14, 5, 34, 12, 12, 5, 34, 12, 12)):
        ws.column_dimensions[col].width = width
    ws.page_setup.orientation = "landscape"


def _platform_sheet(wb, campaign: Campaign, start: dt.date, end: dt.date) -> None:
    from .progress import progress_figures

    ws = wb.create_sheet("平台数据")
    ws.append(["类别", "项目", "单位", "本期", "累计（专项活动以来）", "定义"])
    for item in campaign.template.items:
        if item.get("platform"):
            ws.append(["调度表项目", printed_label(item), item["unit"], "见调度表", "见调度表", item["definition"]])
    if campaign.bureau is None:
        ws.append(["", "未设置组织单位，无法统计平台培训考核数据。"])
        return
    for fig in progress_figures(campaign.bureau, start, end, campaign):
        if fig.row.metric is None or fig.period is None:
            continue
        ws.append([fig.row.section, fig.row.label, fig.row.unit, fig.period,
                   "—" if fig.cumulative is None else fig.cumulative, fig.note])
    for col, width in zip("ABCDEF", (18, 40, 8, 10, 14, 60)):
        ws.column_dimensions[col].width = width


def rollup_workbook(campaign: Campaign, start: dt.date, end: dt.date) -> bytes:
    wb = workbook()
    period, cumulative = rollups(campaign, start, end)
    name = campaign.bureau.name if campaign.bureau else campaign.region.name
    _annex_sheet(wb.active, campaign, f"{name}（汇总）", start, end, period, cumulative)
    _platform_sheet(wb, campaign, start, end)
    ws = wb.create_sheet("各单位")
    items = campaign.template.items
    ws.append(["填报单位", "状态"] + [f"{i['section']}{i['number']} {printed_label(i)}" for i in items])
    for copy in campaign.copies.filter(period_start=start).select_related("unit"):
        values = {**copy.values, **copy.platform_values}
        ws.append([copy.unit.name, copy.get_status_display()] + [_value(i, values) for i in items])
    return xlsx_bytes(wb)


def copy_workbook(copy: ReportCopy) -> bytes:
    campaign = copy.campaign
    wb = workbook()
    accepted = campaign.copies.filter(unit=copy.unit, status=ReportCopy.Status.ACCEPTED,
                                      period_end__lte=copy.period_end).exclude(pk=copy.pk)
    cumulative: dict = {}
    from .collection import _add, cell_keys

    for values in [c.values | c.platform_values for c in accepted] + [copy.values | copy.platform_values]:
        for _item, cell, key in cell_keys(campaign.template):
            cumulative[key] = _add(cumulative.get(key), values.get(key), cell["type"])
    _annex_sheet(wb.active, campaign, copy.unit.name, copy.period_start, copy.period_end,
                 {**copy.values, **copy.platform_values}, cumulative)
    return xlsx_bytes(wb)
