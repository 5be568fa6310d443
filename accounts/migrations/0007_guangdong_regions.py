"""Reference data: the administrative divisions (GB/T 2260) of Jiangmen (all its districts and
county-level cities) and Guangdong's 21 prefecture-level cities, so enterprises anywhere in the
province can be placed. Existing rows are left as they are."""

from django.db import migrations

JIANGMEN = [
    ("440703", "蓬江区"), ("440704", "江海区"), ("440705", "新会区"), ("440781", "台山市"),
    ("440783", "开平市"), ("440784", "鹤山市"), ("440785", "恩平市"),
]
GUANGDONG_CITIES = [
    ("440100", "广州市"), ("440200", "韶关市"), ("440300", "深圳市"), ("440400", "珠海市"), ("440500", "汕头市"),
    ("440600", "佛山市"), ("440700", "江门市"), ("440800", "湛江市"), ("440900", "茂名市"), ("441200", "肇庆市"),
    ("441300", "惠州市"), ("441400", "梅州市"), ("441500", "汕尾市"), ("441600", "河源市"), ("441700", "阳江市"),
    ("441800", "清远市"), ("441900", "东莞市"), ("442000", "中山市"), ("445100", "潮州市"), ("445200", "揭阳市"),
    ("445300", "云浮市"),
]


def forwards(apps, schema_editor):
    Region = apps.get_model("accounts", "Region")
    Region.objects.get_or_create(code="440000", defaults={"name": "广东省", "parent_id": None})
    for code, name in GUANGDONG_CITIES:
        Region.objects.get_or_create(code=code, defaults={"name": name, "parent_id": "440000"})
    for code, name in JIANGMEN:
        Region.objects.get_or_create(code=code, defaults={"name": name, "parent_id": "440700"})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_enterprise_application")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
