"""Default study-hour requirements (生产经营单位安全培训规定). Editable data; new versions get new rows."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

VERSION = "生产经营单位安全培训规定（2015修正）"
FROM = dt.date(2015, 7, 1)
ROWS = [
    # population, kind, high_risk, hours, verified, note
    ("manager", "initial", False, "32", True, "主要负责人、安全生产管理人员初次培训"),
    ("manager", "refresher", False, "12", True, "每年再培训"),
    ("manager", "initial", True, "48", True, "矿山、危险化学品、烟花爆竹、金属冶炼等"),
    ("manager", "refresher", True, "16", True, "矿山、危险化学品、烟花爆竹、金属冶炼等每年再培训"),
    ("new_worker", "initial", False, "24", True, "三级安全教育（厂、车间、班组）"),
    ("new_worker", "initial", True, "72", True, "高危行业新上岗从业人员"),
    ("new_worker", "refresher", True, "20", True, "高危行业从业人员每年再培训"),
    ("special_operator", "refresher", False, "8", True, "特种作业操作证复审前安全培训"),
]


def forwards(apps, schema_editor):
    Req = apps.get_model("courses", "StudyHourRequirement")
    for population, kind, high_risk, hours, verified, note in ROWS:
        Req.objects.get_or_create(
            population=population, kind=kind, high_risk=high_risk, effective_from=FROM,
            defaults={"version": VERSION, "hours": Decimal(hours), "minutes_per_hour": 45,
                      "verified": verified, "note": note},
        )


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
