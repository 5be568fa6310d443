"""Ship the special-operation catalogue in force before 2026-06-01 (version "2010") and the
certificate kinds with their default validity, review and pass-mark rules, as data."""

import datetime as dt

from django.db import migrations

CATALOGUE = [
    ("elec", "电工作业", True, [
        ("elec-hv", "高压电工作业"), ("elec-lv", "低压电工作业"), ("elec-ex", "防爆电气作业")]),
    ("weld", "焊接与热切割作业", True, [
        ("weld-fusion", "熔化焊接与热切割作业"), ("weld-pressure", "压力焊作业"), ("weld-braze", "钎焊作业")]),
    ("height", "高处作业", True, [
        ("height-scaffold", "登高架设作业"), ("height-install", "高处安装、维护、拆除作业")]),
    ("refrig", "制冷与空调作业", True, [
        ("refrig-op", "制冷与空调设备运行操作作业"), ("refrig-repair", "制冷与空调设备安装修理作业")]),
    ("coal", "煤矿安全作业", False, [
        ("coal-elec", "煤矿井下电气作业"), ("coal-blast", "煤矿井下爆破作业"),
        ("coal-monitor", "煤矿安全监测监控作业"), ("coal-gas-check", "煤矿瓦斯检查作业"),
        ("coal-inspect", "煤矿安全检查作业"), ("coal-hoist", "煤矿提升机操作作业"),
        ("coal-shearer", "煤矿采煤机(掘进机)操作作业"), ("coal-gas-drain", "煤矿瓦斯抽采作业"),
        ("coal-outburst", "煤矿防突作业"), ("coal-water", "煤矿探放水作业")]),
    ("mine", "金属非金属矿山安全作业", False, [
        ("mine-vent", "金属非金属矿井通风作业"), ("mine-tailings", "尾矿作业"),
        ("mine-inspect", "金属非金属矿山安全检查作业"), ("mine-hoist", "金属非金属矿山提升机操作作业"),
        ("mine-support", "金属非金属矿山支柱作业"), ("mine-elec", "金属非金属矿山井下电气作业"),
        ("mine-drain", "金属非金属矿山排水作业"), ("mine-blast", "金属非金属矿山爆破作业")]),
    ("oilgas", "石油天然气安全作业", False, [("oilgas-driller", "司钻作业")]),
    ("metal", "冶金（有色）生产安全作业", False, [("metal-gas", "煤气作业")]),
    ("chem", "危险化学品安全作业", False, [
        ("chem-phosgene", "光气及光气化工艺作业"), ("chem-chloralkali", "氯碱电解工艺作业"),
        ("chem-chlorination", "氯化工艺作业"), ("chem-nitration", "硝化工艺作业"),
        ("chem-ammonia", "合成氨工艺作业"), ("chem-cracking", "裂解（裂化）工艺作业"),
        ("chem-fluorination", "氟化工艺作业"), ("chem-hydrogenation", "加氢工艺作业"),
        ("chem-diazotization", "重氮化工艺作业"), ("chem-oxidation", "氧化工艺作业"),
        ("chem-peroxidation", "过氧化工艺作业"), ("chem-amination", "胺基化工艺作业"),
        ("chem-sulfonation", "磺化工艺作业"), ("chem-polymerization", "聚合工艺作业"),
        ("chem-alkylation", "烷基化工艺作业"), ("chem-instrument", "化工自动化控制仪表作业")]),
    ("firework", "烟花爆竹安全作业", True, [
        ("fw-pyro", "烟火药制造作业"), ("fw-blackpowder", "黑火药制造作业"), ("fw-fuse", "引火线制造作业"),
        ("fw-product", "烟花爆竹产品涉药作业"), ("fw-storage", "烟花爆竹储存作业")]),
]

KINDS = [
    # code, family, name, validity, review interval, window, refresher hours, practical pass, needs item
    ("special-op", "special_operation", "特种作业操作证", 72, 36, 60, 8, 80, True),
    ("mgmt-principal", "management", "安全生产知识和管理能力考核合格证（主要负责人）", 36, None, 60, 0, None, False),
    ("mgmt-manager", "management", "安全生产知识和管理能力考核合格证（安全生产管理人员）", 36, None, 60, 0, None, False),
    ("training", "training", "培训合格证明", 12, None, 30, 0, None, False),
]


def forwards(apps, schema_editor):
    RuleVersion = apps.get_model("certificates", "RuleVersion")
    Category = apps.get_model("certificates", "OperationCategory")
    Item = apps.get_model("certificates", "OperationItem")
    Kind = apps.get_model("certificates", "CertificateKind")
    version, _ = RuleVersion.objects.get_or_create(
        code="2010",
        defaults={
            "name": "特种作业人员安全技术培训考核管理规定（2010）",
            "document": "原国家安全生产监督管理总局令第30号（2013、2015年修正）及其附件特种作业目录",
            "effective_from": dt.date(2010, 7, 1),
            "effective_until": dt.date(2026, 6, 1),
            "notes": "2026-06-01起由应急管理部令第19号及新《特种作业目录》（应急〔2026〕45号）取代；"
                     "新目录由授权人员录入为版本“2026”。",
        },
    )
    for c_order, (c_code, c_name, real_equipment, items) in enumerate(CATALOGUE, start=1):
        category, _ = Category.objects.get_or_create(
            rule_version=version, code=c_code, defaults={"name": c_name, "order": c_order}
        )
        for i_order, (i_code, i_name) in enumerate(items, start=1):
            Item.objects.get_or_create(
                category=category, code=i_code,
                defaults={"name": i_name, "order": i_order, "real_equipment_required": real_equipment},
            )
    for code, family, name, validity, interval, window, hours, practical, needs_item in KINDS:
        Kind.objects.get_or_create(
            rule_version=version, code=code,
            defaults={
                "family": family, "name": name, "validity_months": validity,
                "review_interval_months": interval, "review_window_days": window,
                "review_refresher_hours": hours, "theory_pass_mark": 80, "theory_full_mark": 100,
                "practical_pass_mark": practical, "makeup_attempts": 1,
                "requires_operation_item": needs_item,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
