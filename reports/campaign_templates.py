"""The progress-table templates (调度表式样) the platform ships, as data.

The first is the annex of the 2023 hazard-inspection campaign plan (月调度, before the 23rd): its items,
order and units exactly as printed, two items per printed row. The second is the weekly per-industry
table of the industry-wide plans. ``ensure_templates`` loads them (data migration and demo); a later
version of a table is a new row with a higher ``version``, old copies keep theirs.
"""

from __future__ import annotations

import datetime as dt


def _item(key, section, number, label, unit, *, cells=None, platform=None, definition=""):
    if cells is None:
        cells = [{"key": "n", "label": "", "unit": unit, "type": "bool" if unit == "是/否" else "int"}]
    return {"key": key, "section": section, "number": number, "label": label, "unit": unit,
            "cells": cells, "platform": platform, "definition": definition}


S1, S2, S3, S4 = "总体情况", "对企业自查自改进行抽查检查情况", "部门精准严格执法情况", "党委政府组织领导情况"

ANNEX_2023_ITEMS = [
    _item("overall_1", S1, "1", "企业自查发现的重大事故隐患", "个"),
    _item("overall_2", S1, "2", "企业自查发现重大事故隐患中已完成整改的", "个",
          cells=[{"key": "n", "label": "", "unit": "个", "type": "int", "le": "overall_1.n"}]),
    _item("overall_3", S1, "3", "部门检查发现的重大事故隐患", "个"),
    _item("overall_4", S1, "4", "部门检查发现重大事故隐患中已完成整改的", "个",
          cells=[{"key": "n", "label": "", "unit": "个", "type": "int", "le": "overall_3.n"}]),
    _item("overall_5", S1, "5", "政府挂牌督办的重大事故隐患", "个"),
    _item("overall_6", S1, "6", "挂牌督办重大事故隐患中已完成整改的", "个",
          cells=[{"key": "n", "label": "", "unit": "个", "type": "int", "le": "overall_5.n"}]),
    _item("spot_1", S2, "1", "部门抽查检查的企业总数", "家"),
    _item("spot_2", S2, "2", "企业主要负责人未按要求亲自研究排查整治工作", "家"),
    _item("spot_3", S2, "3", "企业主要负责人未带队检查", "家"),
    _item("spot_4", S2, "4", "企业未制定分管负责人职责清单", "家"),
    _item("spot_5", S2, "5", "企业未依法建立安全管理机构和配足安全管理人员", "家"),
    _item("spot_6", S2, "6", "电气焊等特种作业岗位人员无证上岗作业", "家", platform="spot_unlicensed",
          definition="平台数据：本期部门抽查（检查人员在平台对企业在岗人员做持证核查）中发现无证、操作项目不符，"
                     "或证书过期、逾期未复审、暂扣、撤销仍上岗人员的企业数，一家企业只计一次。"),
    _item("spot_7", S2, "7", "外包外租安全管理混乱", "家"),
    _item("spot_8", S2, "8", "未按规定开展应急演练、员工不熟悉逃生出口", "家"),
    _item("enforce_1", S3, "1", "帮扶指导重点乡镇", "个次"),
    _item("enforce_2", S3, "2", "帮扶指导重点企业", "家次",
          definition="指非执法检查性质的对重点企业安全生产技术或管理层面进行提升改进。"),
    _item("enforce_3", S3, "3", "行政处罚", "次, 万元", cells=[
        {"key": "count", "label": "次数", "unit": "次", "type": "int"},
        {"key": "amount", "label": "罚款金额", "unit": "万元", "type": "decimal"}]),
    _item("enforce_4", S3, "4", "企业和企业主要负责人“一案双罚”", "次"),
    _item("enforce_5", S3, "5", "移送司法机关", "人"),
    _item("enforce_6", S3, "6", "责令停产整顿", "家"),
    _item("enforce_7", S3, "7", "曝光、约谈、联合惩戒企业", "家"),
    _item("enforce_8", S3, "8", "公布典型执法案例", "个, 其中危险作业罪案例(个)", cells=[
        {"key": "cases", "label": "典型执法案例", "unit": "个", "type": "int"},
        {"key": "dangerous", "label": "其中危险作业罪案例", "unit": "个", "type": "int", "le": "enforce_8.cases"}]),
    _item("enforce_9", S3, "9", "责任倒查追责问责", "人"),
    _item("enforce_10", S3, "10", "约谈通报有关地区及部门", "次"),
    _item("lead_1", S4, "1", "党委政府分别组织专题学习安全生产十五条硬措施", "次"),
    _item("lead_2", S4, "2", "党委政府主要负责同志分别专题研究", "次"),
    _item("lead_3", S4, "3", "政府负责同志分别现场督导检查", "次"),
    _item("lead_4", S4, "4", "安委会成员单位负责同志分别到企业宣讲", "次"),
    _item("lead_5", S4, "5", "举报奖励", "万元, 其中匿名举报查实奖励(万元)", cells=[
        {"key": "amount", "label": "举报奖励", "unit": "万元", "type": "decimal"},
        {"key": "anonymous", "label": "其中匿名举报查实奖励", "unit": "万元", "type": "decimal",
         "le": "lead_5.amount"}]),
    _item("lead_6", S4, "6", "是否在主流媒体设置安全生产专题栏目", "是/否"),
    _item("lead_7", S4, "7", "配备专兼职技术检查员数量", "人"),
    _item("lead_8", S4, "8", "组织开展考核巡查督导检查", "次"),
]

ANNEX_2023_NOTES = [
    "注：1. 调度表于每月 23 日前报送，遇节假日顺延；统计专项整治开展以来的累计数据。",
    "2. 调度表内容应围绕专项排查整治工作并对照方案具体要求如实填报。",
    "3. 重点企业帮扶指导：指非执法检查性质的对重点企业安全生产技术或管理层面进行提升改进。",
]

WEEKLY_SECTIONS = [("hazchem", "危险化学品"), ("fireworks", "烟花爆竹"), ("mining", "非煤矿山"),
                   ("industry", "冶金等工贸")]


def _weekly_items():
    items = []
    for code, section in WEEKLY_SECTIONS:
        items += [
            _item(f"{code}_1", section, "1", "检查企业", "家"),
            _item(f"{code}_2", section, "2", "发现重大事故隐患", "个"),
            _item(f"{code}_3", section, "3", "其中已完成整改", "个",
                  cells=[{"key": "n", "label": "", "unit": "个", "type": "int", "le": f"{code}_2.n"}]),
            _item(f"{code}_4", section, "4", "行政处罚", "次, 万元", cells=[
                {"key": "count", "label": "次数", "unit": "次", "type": "int"},
                {"key": "amount", "label": "罚款金额", "unit": "万元", "type": "decimal"}]),
        ]
    return items


TEMPLATES = [
    {"code": "annex-2023", "version": 1, "name": "重大事故隐患专项排查整治进展情况调度表",
     "source": "重大事故隐患专项排查整治2023行动工作方案附件", "frequency": "monthly", "due_day": 23,
     "items": ANNEX_2023_ITEMS, "notes": ANNEX_2023_NOTES, "effective_from": dt.date(2023, 5, 16)},
    {"code": "weekly-industry", "version": 1, "name": "重大事故隐患专项排查整治行动进展情况调度表（分行业周报）",
     "source": "工贸等行业领域重大事故隐患专项排查整治2023行动实施方案附件1—4", "frequency": "weekly", "due_day": 1,
     "items": _weekly_items(), "notes": ["注：每周分行业报送检查数据，周期结束后次日前报送。"],
     "effective_from": dt.date(2023, 5, 19)},
]


def ensure_templates(model) -> None:
    """Create the shipped templates (``model``: the ReportTemplate class, real or historical)."""
    for spec in TEMPLATES:
        defaults = {k: v for k, v in spec.items() if k not in ("code", "version")}
        model.objects.get_or_create(code=spec["code"], version=spec["version"], defaults=defaults)
