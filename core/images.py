"""Reading a camera still or photo sent by a page: size-capped, and only JPEG, PNG or WebP that
Pillow can parse. One reader for study checks (courses) and the exam room (exams)."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def still_bytes(upload, *, max_bytes: int) -> bytes:
    """The upload's bytes, or a ValidationError with a message a person can act on."""
    from PIL import Image, UnidentifiedImageError

    if upload is None:
        raise ValidationError(_("请先拍摄或上传现场照片。"))
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(_("照片过大。"))
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            if image.format not in ("JPEG", "PNG", "WEBP"):
                raise ValidationError(_("请上传 JPEG 或 PNG 照片。"))
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError(_("无法识别的照片。")) from None
    return data
