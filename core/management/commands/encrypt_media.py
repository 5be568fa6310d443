"""Encrypt, in place, identity and face photos stored before encryption at rest (core/storage.py).

Idempotent: files already sealed under the current key are left alone, so it can run after every
deployment, and again after ``ANXUN_MEDIA_ENCRYPTION_KEY`` changes (it re-seals old-key files).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from core.storage import encrypt_existing


class Command(BaseCommand):
    help = "加密存量的身份证件照片、人像和现场照片（幂等）。Encrypt plain identity/face photos in place (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--verbose-names", action="store_true", help="print each file sealed")

    def handle(self, *args, verbose_names: bool = False, **options):
        counts = encrypt_existing(stdout=self.stdout if verbose_names else None)
        self.stdout.write(f"sealed {counts['sealed']}, already encrypted {counts['already']}, "
                          f"missing {counts['missing']}")
