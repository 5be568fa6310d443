"""Certificate PDFs: WeasyPrint, Chinese text as real (extractable) text, photo, signed QR code.

Speed: embedding a whole CJK font makes WeasyPrint ~100× slower. We build once (cached under
``var/fonts``) a subset of Noto Sans CJK SC holding every character a certificate can normally
contain (GB 2312, ASCII, punctuation) and reference it with ``@font-face``; WeasyPrint then only
subsets that small font. A character outside it (a rare name character) falls back to the system
CJK font, so it still prints correctly, only slower.
"""

from __future__ import annotations

import atexit
import base64
import fcntl
import io
import logging
import os
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

logger = logging.getLogger("anxun.certificates")

FONT_FAMILY = "AnxunCertSC"
FONT_VERSION = "1"
SOURCE_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


def _source_font() -> tuple[str, int] | None:
    for path in SOURCE_FONT_CANDIDATES:
        if os.path.exists(path):
            return path, 2  # index 2 of the collection is "Noto Sans CJK SC"
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}", "Noto Sans CJK SC"], capture_output=True,
                             text=True, timeout=10, check=False).stdout
        path, _, index = out.partition("|")
        if path and "CJK" in path and os.path.exists(path):
            return path, int(index or 0)
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return None


def certificate_charset() -> str:
    """GB 2312 (6,763 hanzi + symbols), printable ASCII and the punctuation a certificate uses."""
    chars = {chr(c) for c in range(0x20, 0x7F)}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    chars.update("·—–“”‘’（）【】《》、。，：；！？％＋－×…￥№●○■□★☆")
    return "".join(sorted(chars))


def font_dir() -> Path:
    return Path(settings.BASE_DIR) / "var" / "fonts"


def subset_font_path() -> Path | None:
    """The cached subset font, built on first use (a file lock lets one process build it)."""
    target = font_dir() / f"anxun-cert-sc-v{FONT_VERSION}.otf"
    if target.exists():
        return target
    source = _source_font()
    if source is None:
        logger.warning("Noto Sans CJK not found: certificate PDFs fall back to the system fonts")
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        from fontTools import subset
        from fontTools.ttLib import TTFont

        font = TTFont(source[0], fontNumber=source[1], lazy=True)
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        options.notdef_outline = True
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=certificate_charset())
        subsetter.subset(font)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".otf")
        os.close(fd)
        font.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    return target


def _release_fonts() -> None:
    _font_setup.cache_clear()


atexit.register(_release_fonts)


@lru_cache(maxsize=2)
def _font_setup(font_path: str):
    """One FontConfiguration and @font-face stylesheet per process (fonts are loaded once)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    rule = (
        f"@font-face {{ font-family: {FONT_FAMILY}; src: url('{Path(font_path).as_uri()}'); }}" if font_path else ""
    )
    css = CSS(string=rule + CERTIFICATE_CSS, font_config=font_config)
    return font_config, css


CERTIFICATE_CSS = """
@page { size: A4 landscape; margin: 0; }
html { font-family: AnxunCertSC, "Noto Sans CJK SC", sans-serif; color: #1c2733; font-size: 11pt; }
body { margin: 0; }
.frame { position: absolute; left: 12mm; top: 12mm; width: 273mm; height: 186mm; border: 2.5pt solid #8a1c1c; }
.inner { position: absolute; left: 4mm; top: 4mm; right: 4mm; bottom: 4mm; border: 0.8pt solid #8a1c1c; }
.title { position: absolute; left: 0; right: 0; top: 10mm; text-align: center; color: #8a1c1c; font-size: 24pt;
         letter-spacing: 6pt; }
.sub { position: absolute; left: 0; right: 0; top: 24mm; text-align: center; color: #5a6877; font-size: 10pt; }
.photo { position: absolute; left: 14mm; top: 40mm; width: 30mm; height: 40mm; border: 0.6pt solid #9aa6b2;
         color: #9aa6b2; text-align: center; line-height: 40mm; }
.photo img { width: 30mm; height: 40mm; }
.labels { position: absolute; left: 54mm; top: 40mm; width: 30mm; color: #5a6877; line-height: 9mm; }
.values { position: absolute; left: 86mm; top: 40mm; width: 110mm; font-size: 12pt; line-height: 9mm; }
.qr { position: absolute; left: 200mm; top: 40mm; width: 52mm; text-align: center; font-size: 8.5pt; color: #5a6877; }
.qr img { width: 46mm; height: 46mm; }
.foot { position: absolute; left: 10mm; right: 10mm; bottom: 6mm; font-size: 8.5pt; color: #5a6877; }
.state { position: absolute; top: 70mm; left: 95mm; border: 2pt solid #c0392b; color: #c0392b;
         font-size: 30pt; padding: 2mm 8mm; letter-spacing: 6pt; }
"""


def public_base_url(request=None) -> str:
    """The address printed in a certificate's QR code and footer: ``ANXUN_PUBLIC_BASE_URL``
    (required in production). Without it (development) the address of the request the PDF is
    rendered in, and for a PDF rendered outside a request (a worker) WAGTAILADMIN_BASE_URL's default;
    the download view renders again in the request then (``pdf_follows_request``)."""
    base = settings.ANXUN_PUBLIC_BASE_URL
    if not base and request is not None:
        base = request.build_absolute_uri("/")
    if not base:
        base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "http://127.0.0.1:8000"
    return base.rstrip("/")


def pdf_follows_request() -> bool:
    """True without a configured public address: a PDF downloaded in a request is rendered with
    that request's address, since the stored one may name another (development only)."""
    return not settings.ANXUN_PUBLIC_BASE_URL


def verification_url(certificate, payload: str | None = None, *, base_url: str | None = None) -> str:
    from .signing import sign_certificate

    payload = payload or sign_certificate(certificate)
    path = reverse("certificates:verify_code", args=[certificate.verification_code])
    return f"{base_url or public_base_url()}{path}?p={payload}"


@lru_cache(maxsize=256)
def qr_png(data: str) -> bytes:
    """QR code as a small 1-bit PNG (segno encodes, Pillow writes: faster than a pure-Python PNG)."""
    import segno
    from PIL import Image

    # A fixed mask is about six times faster than trying all eight, and decodes just as well.
    qr = segno.make(data, error="m", micro=False, mask=0)
    border, scale = 2, 4
    width, height = qr.symbol_size(scale=1, border=border)
    image = Image.new("1", (width, height), 1)
    pixels = image.load()
    for y, row in enumerate(qr.matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + border, y + border] = 0
    image = image.resize((width * scale, height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _photo_data_uri(user) -> str:
    photo = getattr(user, "photo", None)
    if not photo:
        return ""
    try:
        stamp = photo.storage.get_modified_time(photo.name).timestamp() if hasattr(photo.storage, "path") else 0
    except (OSError, NotImplementedError):
        stamp = 0
    return _photo_cached(photo.name, stamp, user.pk)


@lru_cache(maxsize=64)
def _photo_cached(name: str, stamp: float, user_pk: int) -> str:
    from accounts.models import User

    storage = User._meta.get_field("photo").storage  # encrypted at rest (core.storage): opened through it
    try:
        from PIL import Image

        with storage.open(name, "rb") as fh, Image.open(fh) as img:
            img = img.convert("RGB")
            img.thumbnail((240, 320))
            out = io.BytesIO()
            img.save(out, format="JPEG", quality=82)
    except (OSError, ValueError):
        logger.warning("photo of user %s could not be read", user_pk)
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def certificate_html(certificate, *, base_url: str | None = None) -> str:
    from .signing import sign_certificate

    base_url = base_url or public_base_url()
    payload = sign_certificate(certificate)
    url = verification_url(certificate, payload, base_url=base_url)
    context = {
        "c": certificate,
        "qr": "data:image/png;base64," + base64.b64encode(qr_png(url)).decode(),
        "photo": _photo_data_uri(certificate.holder),
        "verify_url": f"{base_url}{reverse('certificates:verify')}",
        "rendered_on": timezone.localdate(),
        "gender": {"M": "男", "F": "女"}.get(certificate.holder.gender, ""),
    }
    return render_to_string("certificates/pdf/certificate.html", context)


@lru_cache(maxsize=1)
def _url_fetcher():
    """One fetcher per process (building one sets up an SSL context, ~80 ms), and only data: and
    file: URLs: a certificate never makes the renderer fetch anything from the network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data", "file"})


def render_certificate_pdf_bytes(certificate, *, base_url: str | None = None) -> bytes:
    """The PDF; ``base_url`` (default: ``public_base_url()``) is the address its QR and footer name."""
    from weasyprint import HTML

    font = subset_font_path()
    font_config, css = _font_setup(str(font) if font else "")
    html = certificate_html(certificate, base_url=base_url)
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher())
    return document.write_pdf(stylesheets=[css], font_config=font_config)


def store_certificate_pdf(certificate, *, base_url: str | None = None) -> None:
    """Render, store under media, and mark which revision the stored file shows."""
    from .models import Certificate

    revision = certificate.revision
    data = render_certificate_pdf_bytes(certificate, base_url=base_url)
    old = certificate.pdf.name if certificate.pdf else ""
    certificate.pdf.save(f"{certificate.number}-r{revision}.pdf", ContentFile(data), save=False)
    Certificate.objects.filter(pk=certificate.pk).update(pdf=certificate.pdf.name, pdf_revision=revision)
    certificate.pdf_revision = revision
    if old and old != certificate.pdf.name:
        certificate.pdf.storage.delete(old)
