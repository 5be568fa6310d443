"""Fast schema for ``--quick``: tables straight from the models, then the reference data that the
project's data migrations ship (regions, industries, tags, the operation catalogue …).

Run as ``BENCH_SYNCDB=1 python -m bench.schema``. Full runs use the real migrations instead.
"""

import importlib
import os
import pkgutil

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
assert os.environ.get("BENCH_SYNCDB"), "set BENCH_SYNCDB=1"

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import migrations  # noqa: E402

from bench.lib import ROOT  # noqa: E402

# Models that moved between apps since their data migration was written (same tables).
MOVED = {("certificates", name): "catalogue" for name in ("ruleversion", "operationcategory", "operationitem",
                                                          "certificatekind")}
# Written against a model state that no longer exists; their rows are loaded below instead.
REWRITTEN = {"courses.migrations.0002_requirements", "catalogue.migrations.0003_requirement_versions"}


class TodaysApps:
    def get_model(self, app_label: str, model_name: str):
        return apps.get_model(MOVED.get((app_label, model_name.lower()), app_label), model_name)


def study_hour_requirements() -> None:
    from courses.services import study_hour_requirements_ensure_shipped

    study_hour_requirements_ensure_shipped()


call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
for config in apps.get_app_configs():
    if not config.path.startswith(str(ROOT)) or "site-packages" in config.path:
        continue
    package = f"{config.name}.migrations"
    try:
        pkg = importlib.import_module(package)
    except ImportError:
        continue
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if f"{package}.{info.name}" in REWRITTEN:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for op in getattr(getattr(module, "Migration", None), "operations", []):
            if isinstance(op, migrations.RunPython) and not op.elidable:  # elidable: bookkeeping of moves
                op.code(TodaysApps(), None)
study_hour_requirements()
print("schema ready")
