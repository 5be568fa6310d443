import importlib

import pytest


@pytest.fixture(autouse=True)
def _study_hour_requirements(request):
    """The default requirement rows ship in a data migration; transactional tests elsewhere flush
    tables, so make sure they are present (the migration's function is idempotent)."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames \
            and request.node.get_closest_marker("django_db") is None:
        return
    from decimal import Decimal

    from catalogue.models import RuleVersion, StudyHourRequirement

    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    shipped = importlib.import_module("courses.migrations.0002_requirements")
    version, _ = RuleVersion.objects.get_or_create(
        code="training-2015", defaults={"scope": RuleVersion.Scope.TRAINING, "name": shipped.VERSION,
                                        "document": shipped.VERSION, "effective_from": shipped.FROM})
    for population, kind, high_risk, hours, verified, note in shipped.ROWS:
        StudyHourRequirement.objects.get_or_create(
            population=population, kind=kind, high_risk=high_risk, effective_from=shipped.FROM,
            defaults={"rule_version": version, "hours": Decimal(hours), "minutes_per_hour": 45,
                      "verified": verified, "note": note})
