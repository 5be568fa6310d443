"""Load the demo: organisations, accounts, and each app's demo content. Safe to run twice."""

from __future__ import annotations

import importlib
import importlib.util
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.demo import ACCOUNTS, DEMO_PASSWORD, DemoContext, seed as seed_accounts
from accounts.roles import Role

# Order matters: certificates and courses build on exams' and cms' content.
DEMO_APPS = ("cms", "exams", "courses", "certificates", "reports")


class Command(BaseCommand):
    help = "载入演示数据（幂等，可重复运行）。Load the demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password of every demo account")
        parser.add_argument("--scale", choices=["small", "city", "province"], default="small",
                            help="small: the hand-made demo; city/province: plus a generated population")
        parser.add_argument("--seed", type=int, default=2026, help="seed of the generated population")
        parser.add_argument("--enterprises", type=int, default=None, help="override the number of enterprises")

    def handle(self, *args, password: str, scale: str = "small", seed: int = 2026, enterprises=None, **options):
        module = settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")
        if module.endswith("production"):
            raise CommandError("seed_demo 不能在生产配置下运行。Refusing to load demo data with production settings.")
        ctx = DemoContext(password=password)
        with transaction.atomic():
            seed_accounts(ctx)
            for app in DEMO_APPS:
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app}.demo":
                        raise
                    continue
                module.seed(ctx)
        if scale != "small":
            # the generator needs every app's models: it lives in the top layer
            generator = importlib.import_module("reports.scale")
            try:
                stats = generator.generate(scale=scale, seed=seed, enterprises=enterprises, password=password,
                                           log=self.stdout.write)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            # the generator bulk-loads rows; figures the apps keep from them are recounted once
            for app in DEMO_APPS:
                demo = importlib.import_module(f"{app}.demo") if importlib.util.find_spec(f"{app}.demo") else None
                if hasattr(demo, "after_population"):
                    demo.after_population()
            counts = ", ".join(f"{k} {v}" for k, v in stats.counts.items())
            self.stdout.write(f"generated {scale} population in {stats.seconds} s: {counts}")
        self.stdout.write(self.style.SUCCESS("演示数据已就绪（全部为虚构的演示数据）。Demo data ready."))
        self.stdout.write(f"所有演示账号密码 / password for every demo account: {password}")
        for username, real_name, _id, org_key, roles in ACCOUNTS:
            labels = "、".join(str(Role(r).label) for r in roles)
            self.stdout.write(f"  {username:<16} {real_name}  {ctx.orgs[org_key].name}  {labels}")
        self.stdout.write(f"  {'admin':<16} 平台管理员（超级用户）")
        for line in ctx.log:
            self.stdout.write(line)
