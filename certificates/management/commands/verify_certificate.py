"""Check a certificate QR payload (or the URL the QR code carries): valid / altered / unknown."""

from django.core.management.base import BaseCommand

from certificates import signing
from certificates.verification import log_verification, masked_query


class Command(BaseCommand):
    help = "核验证书二维码中的签名数据：valid（有效）/ altered（被篡改）/ unknown（未知证书）。退出码：0 有效，1 其他。"

    def add_arguments(self, parser):
        parser.add_argument("payload", help="二维码内容：签名数据 AXC1.… 或完整的查验网址")

    def handle(self, *args, payload: str, **options):
        check = signing.verify_payload(payload)
        c = check.certificate
        log_verification(request=None, channel="command", query=masked_query(code=str(check.fields.get("c", ""))),
                         certificate=c, signature=check.outcome)
        self.stdout.write(check.outcome)
        self.stdout.write(check.message)
        if c is not None:
            self.stdout.write(f"{c.number} {c.masked_holder_name} {c.kind.name} {c.operation_item or ''} "
                              f"{c.valid_from}—{c.valid_until} status={c.status}")
        if check.outcome != signing.VALID:
            raise SystemExit(1)
