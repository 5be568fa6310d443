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
        module = importlib.import_module(f"{package}.{info.name}")
        for op in getattr(getattr(module, "Migration", None), "operations", []):
            if isinstance(op, migrations.RunPython):
                op.code(apps, None)
print("schema ready")
