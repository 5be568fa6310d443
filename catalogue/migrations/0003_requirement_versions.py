"""Each free-text version of the study-hour requirements becomes a training rule version: an existing
one of the same name or document, or a new one starting with the earliest requirement under it."""

import re

from django.db import migrations


def _code(name: str, taken: set[str]) -> str:
    year = re.search(r"(19|20)\d{2}", name)
    base = f"training-{year.group(0)}" if year else "training"
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


def forwards(apps, schema_editor):
    RuleVersion = apps.get_model("catalogue", "RuleVersion")
    Requirement = apps.get_model("catalogue", "StudyHourRequirement")
    taken = set(RuleVersion.objects.values_list("code", flat=True))
    for name in sorted(set(Requirement.objects.values_list("version", flat=True))):
        rows = Requirement.objects.filter(version=name)
        version = (RuleVersion.objects.filter(scope="training", name=name).first()
                   or RuleVersion.objects.filter(scope="training", document=name).first())
        if version is None:
            code = _code(name, taken)
            taken.add(code)
            version = RuleVersion.objects.create(
                scope="training", code=code, name=(name or "安全培训学时要求")[:128], document=name,
                effective_from=min(rows.values_list("effective_from", flat=True)))
        rows.update(rule_version=version)


def backwards(apps, schema_editor):
    Requirement = apps.get_model("catalogue", "StudyHourRequirement")
    for requirement in Requirement.objects.select_related("rule_version"):
        requirement.version = (requirement.rule_version.document or requirement.rule_version.name)[:64]
        requirement.save(update_fields=["version"])


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_ruleversion_scope_requirement_version")]

    operations = [migrations.RunPython(forwards, backwards)]
