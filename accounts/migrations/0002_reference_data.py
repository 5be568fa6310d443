"""Reference data enterprises are tagged with: industries, hazard tags, equipment/process tags, and
the administrative divisions used by the demo. Editable afterwards; this is only the starting set."""

from django.db import migrations

INDUSTRIES = [
    ("metallurgy", "冶金", True), ("nonferrous", "有色", True), ("building-materials", "建材", False),
    ("machinery", "机械", False), ("light-industry", "轻工", False), ("textile", "纺织", False),
    ("tobacco", "烟草", False), ("commerce-trade", "商贸", False), ("hazardous-chemicals", "危险化学品", True),
    ("fireworks", "烟花爆竹", True), ("non-coal-mine", "金属非金属矿山", True), ("coal-mine", "煤矿", True),
]
HAZARDS = [
    ("dust-explosion", "粉尘涉爆"), ("ammonia-refrigeration", "涉氨制冷"), ("confined-space", "有限空间作业"),
    ("metal-smelting", "金属冶炼"), ("hazchem-use", "危化品使用"), ("molten-metal", "高温熔融金属"),
    ("gas-coal", "煤气"), ("hot-work", "动火作业"),
]
PROCESS_TAGS = [
    ("dust-collector", "干式除尘器", "equipment"), ("ammonia-compressor", "氨压缩机", "equipment"),
    ("quick-freezer", "速冻装置", "equipment"), ("ladle-crane", "吊运熔融金属起重机", "equipment"),
    ("welding-machine", "电焊机", "equipment"), ("distribution-cabinet", "低压配电柜", "equipment"),
    ("polishing", "抛光打磨", "process"), ("wood-processing", "木制品加工", "process"),
    ("cold-storage", "冷库储存", "process"), ("sewage-pit", "污水池清理", "process"),
    ("aluminium-dust", "铝镁金属粉尘", "process"),
]
REGIONS = [
    ("440000", "广东省", None), ("440700", "江门市", "440000"), ("440703", "蓬江区", "440700"),
    ("440704", "江海区", "440700"), ("440705", "新会区", "440700"), ("440781", "台山市", "440700"),
    ("441900", "东莞市", "440000"), ("110000", "北京市", None), ("110101", "东城区", "110000"),
]


def forwards(apps, schema_editor):
    Industry = apps.get_model("accounts", "Industry")
    HazardTag = apps.get_model("accounts", "HazardTag")
    ProcessTag = apps.get_model("accounts", "ProcessTag")
    Region = apps.get_model("accounts", "Region")
    for code, name, high_risk in INDUSTRIES:
        Industry.objects.get_or_create(code=code, defaults={"name": name, "high_risk": high_risk})
    for code, name in HAZARDS:
        HazardTag.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, kind in PROCESS_TAGS:
        ProcessTag.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    for code, name, parent in REGIONS:
        Region.objects.get_or_create(code=code, defaults={"name": name, "parent_id": parent})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
