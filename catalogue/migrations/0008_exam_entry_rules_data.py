"""Ship who may apply for a special-operation exam, for every special-operation rule version that
exists: 18 to the statutory retirement age, junior middle school (hazardous-chemical operations:
senior middle school or equivalent), a health declaration, no new application within 3 years of a
revoked certificate; and the statutory retirement ages as raised gradually from 2025-01-01.
Idempotent (the tests reload it after a flush)."""

import datetime as dt

from django.db import migrations

RETIREMENT_DOC = "全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定（2024年9月13日，自2025年1月1日起施行）"
RETIREMENT = [
    # gender, label, base age, raised from births of, one month per N months, ceiling, applies
    ("M", "男职工", 60, dt.date(1965, 1, 1), 4, 36, True),
    ("F", "女职工（原法定退休年龄50周岁）", 50, dt.date(1975, 1, 1), 2, 60, True),
    ("F", "女干部（原法定退休年龄55周岁）", 55, dt.date(1970, 1, 1), 4, 36, False),
]
ENTRY_NOTE = "特种作业人员安全技术培训考核管理规定（国家安全监管总局令第30号）第四条"
SENIOR_CATEGORIES = {"chem": "危险化学品特种作业人员应具备高中或者相当于高中及以上文化程度"}


def forwards(apps, schema_editor):
    RuleVersion = apps.get_model("catalogue", "RuleVersion")
    OperationCategory = apps.get_model("catalogue", "OperationCategory")
    ExamEntryRule = apps.get_model("catalogue", "ExamEntryRule")
    RetirementAgeRule = apps.get_model("catalogue", "RetirementAgeRule")
    for version in RuleVersion.objects.filter(scope="special_operation"):
        ExamEntryRule.objects.get_or_create(
            rule_version=version, category=None,
            defaults={"min_age": 18, "min_education": "junior", "health_declaration_required": True,
                      "reapply_after_revocation_months": 36, "note": ENTRY_NOTE})
        for code, note in SENIOR_CATEGORIES.items():
            category = OperationCategory.objects.filter(rule_version=version, code=code).first()
            if category is not None:
                ExamEntryRule.objects.get_or_create(
                    rule_version=version, category=category,
                    defaults={"min_age": 18, "min_education": "senior", "health_declaration_required": True,
                              "reapply_after_revocation_months": 36, "note": note})
        for gender, label, base, start, step, ceiling, applies in RETIREMENT:
            RetirementAgeRule.objects.get_or_create(
                rule_version=version, gender=gender, label=label,
                defaults={"base_age_years": base, "raise_from_birth": start, "months_per_step": step,
                          "max_raise_months": ceiling, "applies": applies, "document": RETIREMENT_DOC})


def backwards(apps, schema_editor):
    apps.get_model("catalogue", "ExamEntryRule").objects.all().delete()
    apps.get_model("catalogue", "RetirementAgeRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0007_exam_entry_rules_retirement_ages"), ("certificates", "0002_catalogue_2010")]

    operations = [migrations.RunPython(forwards, backwards)]
