"""Simple drawn hazard illustrations (错误/正确 cards) for demo content, made with Pillow so the demo
needs no downloaded pictures. Editors replace them with real photos."""

from __future__ import annotations

import glob
import io
import textwrap

from PIL import Image as PILImage, ImageDraw, ImageFont

FONT_GLOBS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/**/NotoSansCJK*.ttc", "/usr/share/fonts/**/*CJK*.ttc", "/usr/share/fonts/**/DroidSansFallback*.ttf"]

WRONG = {"bg": (253, 236, 234), "ink": (180, 35, 24), "label": "错误做法"}
RIGHT = {"bg": (230, 244, 234), "ink": (29, 122, 62), "label": "正确做法"}


def _font(size: int):
    for pattern in FONT_GLOBS:
        for path in sorted(glob.glob(pattern, recursive=True)):
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default()


def draw_card(kind: str, caption: str, scene: str = "") -> bytes:
    """A 640×400 PNG: coloured frame, big mark, the label and the caption."""
    style = WRONG if kind == "wrong" else RIGHT
    img = PILImage.new("RGB", (640, 400), style["bg"])
    d = ImageDraw.Draw(img)
    d.rectangle([6, 6, 633, 393], outline=style["ink"], width=6)
    # A plain "scene": floor line and a box standing for the equipment in question.
    d.line([40, 300, 600, 300], fill=(120, 130, 140), width=3)
    d.rectangle([60, 170, 220, 300], outline=(90, 100, 110), width=4, fill=(245, 247, 250))
    d.rectangle([250, 210, 330, 300], outline=(90, 100, 110), width=4, fill=(245, 247, 250))
    if kind == "wrong":
        for x in range(70, 600, 26):  # dust / hazard marks
            d.ellipse([x, 280 - (x % 5) * 6, x + 8, 288 - (x % 5) * 6], fill=(170, 150, 120))
    else:
        d.rectangle([360, 150, 600, 300], outline=style["ink"], width=4)
    d.ellipse([470, 30, 610, 170], outline=style["ink"], width=10, fill=(255, 255, 255))
    if kind == "wrong":
        d.line([505, 65, 575, 135], fill=style["ink"], width=14)
        d.line([575, 65, 505, 135], fill=style["ink"], width=14)
    else:
        d.line([500, 100, 530, 132], fill=style["ink"], width=14)
        d.line([530, 132, 582, 68], fill=style["ink"], width=14)
    d.text((30, 24), style["label"], fill=style["ink"], font=_font(40))
    if scene:
        d.text((30, 80), scene, fill=(60, 70, 80), font=_font(24))
    body = _font(24)
    y = 318
    for line in textwrap.wrap(caption, 24)[:3]:
        d.text((30, y), line, fill=(31, 41, 51), font=body)
        y += 26
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def demo_image(key: str, kind: str, caption: str, scene: str = ""):
    """The Wagtail image for one demo illustration, created once (idempotent by title)."""
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    Image = get_image_model()
    title = f"演示图例 {key} {'错误' if kind == 'wrong' else '正确'}"
    image = Image.objects.filter(title=title).first()
    if image is None:
        image = Image(title=title)
        image.file = ImageFile(io.BytesIO(draw_card(kind, caption, scene)), name=f"demo-{key}-{kind}.png")
        image.save()
    return image
