"""Server-rendered SVG charts: bar, stacked bar, line (trend) and donut.

Small pure functions: data in, safe SVG markup out. No JavaScript, no external fonts or services.
Every chart is accessible on its own: ``role="img"`` (``role="group"`` when its marks are links) with a ``<title>`` and a ``<desc>`` that lists
every value, and every value is also written as text next to its mark, so the chart reads the same
to a screen reader, in a printout and in a screenshot. Labels are escaped; a datum may carry an
``href`` so that each mark links to the list behind its number (drill-down).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT_STACK = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
    "'WenQuanYi Micro Hei', 'Heiti SC', sans-serif"
)
# Colour-blind-safe palette (Okabe–Ito, darkened where white text sits on it).
PALETTE = ("#0b5cad", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c6d1f", "#5f6b7a")
INK = "#1f2933"
MUTED = "#627080"
GRID = "#e4e9ef"
FONT_SIZE = 13


@dataclass(frozen=True)
class Datum:
    """One value with its label; ``href`` makes its mark a link; ``colour`` overrides the palette."""

    label: str
    value: float
    href: str = ""
    colour: str = ""


@dataclass(frozen=True)
class Series:
    """A named row of values for stacked bars and lines; ``hrefs`` (optional) parallel ``values``."""

    name: str
    values: Sequence[float]
    colour: str = ""
    hrefs: Sequence[str] = field(default_factory=tuple)


# ---------------------------------------------------------------- helpers

def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Rough rendered width: CJK and full-width characters are one em, the rest about 0.6 em."""
    width = 0.0
    for ch in str(text):
        width += size if ord(ch) > 0x2E7F else size * 0.6
    return width


def truncate(text: str, max_width: float, size: float = FONT_SIZE) -> str:
    text = str(text)
    if text_width(text, size) <= max_width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_width:
            break
        out += ch
    return out + "…"


def fmt(value: float, unit: str = "") -> str:
    if value is None:
        return "—"
    value = float(value)
    number = f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    return f"{number}{unit}"


def nice_max(value: float) -> float:
    """Round the axis maximum up to 1, 2, 2.5 or 5 × 10^n (at least 1)."""
    if value <= 0:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp  # pragma: no cover - the loop always returns


def _id(kind: str, title: str, payload: object) -> str:
    digest = hashlib.sha1(f"{kind}|{title}|{payload!r}".encode()).hexdigest()[:10]
    return f"chart-{kind}-{digest}"


def _colour(i: int, override: str = "") -> str:
    return override or PALETTE[i % len(PALETTE)]


def _as_data(items: Sequence[Datum | tuple]) -> list[Datum]:
    out = []
    for item in items:
        if isinstance(item, Datum):
            out.append(item)
        else:
            out.append(Datum(*item))
    return out


TITLE_H = 28  # room for the visible title above the plot


def _open(kind: str, title: str, desc: str, width: float, height: float, payload: object) -> tuple[str, list[str]]:
    """Open the SVG: accessible name and description, the visible title, then a group shifted below
    it (closed by ``_close``) in which the chart draws from y = 0."""
    cid = _id(kind, title, payload)
    total = height + TITLE_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" viewBox="0 0 {width:.0f} {total:.0f}" '
        f'width="100%" style="max-width:{width:.0f}px;height:auto" '
        f'font-family="{escape(FONT_STACK)}" font-size="{FONT_SIZE}" fill="{INK}">',
        f'<title id="{cid}-t">{escape(title)}</title>',
        f'<desc id="{cid}-d">{escape(desc)}</desc>',
        f'<text x="0" y="18" font-size="15" font-weight="700" aria-hidden="true">'
        f"{escape(truncate(title, width, 15))}</text>",
        f'<g transform="translate(0,{TITLE_H})">',
    ]
    return cid, parts


def _close(parts: list[str]) -> SafeString:
    if any(part.startswith("<a ") for part in parts):
        # an image has no interactive parts: a chart whose marks link to their lists is a group, named
        # and described the same way, so that each link stays reachable by keyboard and screen reader
        parts[0] = parts[0].replace(' role="img" ', ' role="group" ', 1)
    parts.append("</g></svg>")
    return mark_safe("".join(parts))


def _link(href: str, inner: str, label: str) -> str:
    if not href:
        return inner
    return f'<a href="{escape(href)}" aria-label="{escape(label)}">{inner}</a>'


def _empty(kind: str, title: str, width: float, message: str) -> SafeString:
    _, parts = _open(kind, title, f"{title}：{message}", width, 60, "empty")
    parts.append(f'<text x="{width / 2:.0f}" y="36" text-anchor="middle" fill="{MUTED}">{escape(message)}</text>')
    return _close(parts)


def _describe(title: str, data: Sequence[Datum], unit: str) -> str:
    return f"{title}：" + "；".join(f"{d.label} {fmt(d.value, unit)}" for d in data) + "。"


EMPTY_MESSAGE = "暂无数据"


# ---------------------------------------------------------------- bar chart

def bar_chart(
    items: Sequence[Datum | tuple], *, title: str, unit: str = "", width: int = 520,
    bar_height: int = 22, gap: int = 10, max_value: float | None = None, empty: str = EMPTY_MESSAGE,
) -> SafeString:
    """Horizontal bars (long Chinese labels stay readable), the value written after each bar."""
    data = _as_data(items)
    if not data:
        return _empty("bar", title, width, empty)
    label_w = min(max(text_width(d.label) for d in data) + 10, width * 0.42)
    value_w = max(text_width(fmt(d.value, unit)) for d in data) + 12
    plot_w = max(width - label_w - value_w - 8, 40)
    top = 6
    height = top + len(data) * (bar_height + gap) + 4
    vmax = max_value or nice_max(max(d.value or 0 for d in data))
    _, parts = _open("bar", title, _describe(title, data, unit), width, height, [(d.label, d.value) for d in data])
    for i, d in enumerate(data):
        y = top + i * (bar_height + gap)
        length = 0 if not d.value else max(plot_w * min(d.value, vmax) / vmax, 2)
        text_y = y + bar_height / 2 + FONT_SIZE * 0.35
        shown = truncate(d.label, label_w - 10)
        inner = (
            f'<text x="{label_w - 8:.1f}" y="{text_y:.1f}" text-anchor="end">{escape(shown)}'
            + (f"<title>{escape(d.label)}</title>" if shown != d.label else "")
            + "</text>"
            f'<rect x="{label_w:.1f}" y="{y}" width="{plot_w:.1f}" height="{bar_height}" fill="{GRID}" rx="3"/>'
            f'<rect x="{label_w:.1f}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{_colour(0, d.colour)}" rx="3"/>'
            f'<text x="{label_w + plot_w + 6:.1f}" y="{text_y:.1f}" font-weight="600">{escape(fmt(d.value, unit))}</text>'
        )
        parts.append(_link(d.href, f"<g>{inner}</g>", f"{d.label} {fmt(d.value, unit)}"))
    return _close(parts)


# ---------------------------------------------------------------- stacked bar chart

def _legend(series: Sequence[Series], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Legend items flowing left to right; returns the markup and the height used."""
    parts, cx, cy = [], x, y
    for i, s in enumerate(series):
        w = 16 + text_width(s.name) + 18
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + 20
        parts.append(
            f'<rect x="{cx:.1f}" y="{cy:.1f}" width="12" height="12" rx="2" fill="{_colour(i, s.colour)}"/>'
            f'<text x="{cx + 16:.1f}" y="{cy + 11:.1f}">{escape(s.name)}</text>'
        )
        cx += w
    return parts, cy - y + 20


def stacked_bar_chart(
    categories: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "", width: int = 520,
    bar_height: int = 22, gap: int = 10, empty: str = EMPTY_MESSAGE, share: bool = False,
) -> SafeString:
    """One horizontal bar per category, split into the series; segment values inside, total after.

    ``share=True`` draws every bar full width (segments as shares of their own total, e.g. coverage
    of populations of very different sizes); the segment labels still show the counts."""
    categories = [str(c) for c in categories]
    if not categories or not series:
        return _empty("stacked", title, width, empty)
    totals = [sum((s.values[i] or 0) for s in series) for i in range(len(categories))]
    if not any(totals):
        return _empty("stacked", title, width, empty)
    label_w = min(max(text_width(c) for c in categories) + 10, width * 0.38)
    value_w = max(text_width(fmt(t, unit)) for t in totals) + 12
    plot_w = max(width - label_w - value_w - 8, 40)
    legend, legend_h = _legend(series, label_w, 4, plot_w + value_w)
    top = 4 + legend_h + 6
    height = top + len(categories) * (bar_height + gap) + 4
    vmax = nice_max(max(totals))
    def _part(s: Series, i: int) -> str:
        text = f"{s.name} {fmt(s.values[i], unit)}"
        if share and totals[i]:
            text += f"（{(s.values[i] or 0) / totals[i]:.0%}）"
        return text

    desc = f"{title}：" + "；".join(
        f"{c}：" + "，".join(_part(s, i) for s in series) + f"，合计 {fmt(totals[i], unit)}"
        for i, c in enumerate(categories)
    ) + "。"
    payload = [categories, [(s.name, list(s.values)) for s in series]]
    _, parts = _open("stacked", title, desc, width, height, payload)
    parts.extend(legend)
    for i, cat in enumerate(categories):
        y = top + i * (bar_height + gap)
        text_y = y + bar_height / 2 + FONT_SIZE * 0.35
        shown = truncate(cat, label_w - 10)
        parts.append(
            f'<text x="{label_w - 8:.1f}" y="{text_y:.1f}" text-anchor="end">{escape(shown)}'
            + (f"<title>{escape(cat)}</title>" if shown != cat else "") + "</text>"
            f'<rect x="{label_w:.1f}" y="{y}" width="{plot_w:.1f}" height="{bar_height}" fill="{GRID}" rx="3"/>'
        )
        x = label_w
        for j, s in enumerate(series):
            value = s.values[i] or 0
            if not value:
                continue
            seg = plot_w * value / (totals[i] if share else vmax)
            inner = f'<rect x="{x:.1f}" y="{y}" width="{seg:.1f}" height="{bar_height}" fill="{_colour(j, s.colour)}">' \
                    f"<title>{escape(f'{cat} · {s.name} {fmt(value, unit)}')}</title></rect>"
            label = fmt(value, unit)
            if text_width(label, 12) + 6 <= seg:
                inner += (f'<text x="{x + seg / 2:.1f}" y="{text_y:.1f}" text-anchor="middle" fill="#fff" '
                          f'font-size="12" font-weight="600">{escape(label)}</text>')
            href = s.hrefs[i] if i < len(s.hrefs) else ""
            parts.append(_link(href, f"<g>{inner}</g>", f"{cat} {s.name} {label}"))
            x += seg
        parts.append(f'<text x="{label_w + plot_w + 6:.1f}" y="{text_y:.1f}" font-weight="600">'
                     f"{escape(fmt(totals[i], unit))}</text>")
    return _close(parts)


# ---------------------------------------------------------------- line chart

def line_chart(
    labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "", width: int = 520,
    height: int = 240, max_value: float | None = None, empty: str = EMPTY_MESSAGE,
) -> SafeString:
    """Trend over ordered labels (months); each point carries its value as text above it."""
    labels = [str(x) for x in labels]
    if not labels or not series:
        return _empty("line", title, width, empty)
    values = [v for s in series for v in s.values if v is not None]
    vmax = max_value or max(nice_max(max(values) if values else 0), 4)
    ticks = 5 if vmax % 5 == 0 else 4  # whole-number ticks for counts
    legend, legend_h = _legend(series, 44, 4, width - 50)
    top = 4 + legend_h + 14
    left, right, bottom = 44, 28, 28
    plot_w = width - left - right
    plot_h = height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)
    desc = f"{title}：" + "；".join(
        f"{s.name}：" + "，".join(f"{labels[i]} {fmt(v, unit)}" for i, v in enumerate(s.values)) for s in series
    ) + "。"
    payload = [labels, [(s.name, list(s.values)) for s in series]]
    _, parts = _open("line", title, desc, width, height, payload)
    parts.extend(legend)
    for k in range(ticks + 1):  # grid lines and y ticks
        v = vmax * k / ticks
        y = top + plot_h - plot_h * k / ticks
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}" font-size="11">'
                     f"{escape(fmt(v))}</text>")
    every = max(1, math.ceil(len(labels) * 60 / plot_w))  # keep x labels from overlapping
    last = len(labels) - 1
    for i, lab in enumerate(labels):
        if i == last or (i % every == 0 and last - i >= every):
            x = left + (i * step if len(labels) > 1 else plot_w / 2)
            parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="{MUTED}" font-size="11">'
                         f"{escape(lab)}</text>")
    for j, s in enumerate(series):
        colour = _colour(j, s.colour)
        points = []
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x = left + (i * step if len(labels) > 1 else plot_w / 2)
            y = top + plot_h - plot_h * min(v, vmax) / vmax
            points.append((i, x, y, v))
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for _, x, y, _ in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        quiet_zeros = len(labels) > 6  # on long trends a row of “0” labels only adds noise
        for i, x, y, v in points:
            href = s.hrefs[i] if i < len(s.hrefs) else ""
            dy = -8 - j * 12 if len(series) > 1 else -8
            inner = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#fff" stroke="{colour}" stroke-width="2.5"/>'
            if v or not quiet_zeros:
                inner += (f'<text x="{x:.1f}" y="{y + dy:.1f}" text-anchor="middle" font-size="11" fill="{colour}" '
                          f'font-weight="600">{escape(fmt(v, unit))}</text>')
            parts.append(_link(href, f"<g>{inner}</g>", f"{s.name} {labels[i]} {fmt(v, unit)}"))
    return _close(parts)


# ---------------------------------------------------------------- donut chart

def _arc(cx: float, cy: float, r_out: float, r_in: float, a0: float, a1: float) -> str:
    """Path of a ring segment between angles a0 and a1 (radians, clockwise from 12 o'clock)."""
    if a1 - a0 >= 2 * math.pi - 1e-9:  # a full ring cannot be one arc: draw two halves
        return _arc(cx, cy, r_out, r_in, a0, a0 + math.pi) + " " + _arc(cx, cy, r_out, r_in, a0 + math.pi, a1)

    def pt(r, a):
        return cx + r * math.sin(a), cy - r * math.cos(a)

    large = 1 if a1 - a0 > math.pi else 0
    x0, y0 = pt(r_out, a0)
    x1, y1 = pt(r_out, a1)
    x2, y2 = pt(r_in, a1)
    x3, y3 = pt(r_in, a0)
    return (f"M{x0:.2f},{y0:.2f} A{r_out},{r_out} 0 {large} 1 {x1:.2f},{y1:.2f} "
            f"L{x2:.2f},{y2:.2f} A{r_in},{r_in} 0 {large} 0 {x3:.2f},{y3:.2f} Z")


def donut_chart(
    items: Sequence[Datum | tuple], *, title: str, unit: str = "", width: int = 420, centre_label: str = "合计",
    empty: str = EMPTY_MESSAGE,
) -> SafeString:
    """Shares of a whole; the legend lists each label with its value and percentage."""
    data = _as_data(items)
    total = sum(d.value or 0 for d in data)
    if not data or total <= 0:
        return _empty("donut", title, width, empty)
    size = 160
    cx = cy = size / 2 + 4
    r_out, r_in = size / 2, size / 2 - 30
    legend_x = size + 24
    height = max(size + 8, 12 + len(data) * 24)
    desc = f"{title}：" + "；".join(
        f"{d.label} {fmt(d.value, unit)}（{(d.value or 0) / total:.0%}）" for d in data
    ) + f"；{centre_label} {fmt(total, unit)}。"
    _, parts = _open("donut", title, desc, width, height, [(d.label, d.value) for d in data])
    a = 0.0
    for i, d in enumerate(data):
        if not d.value:
            continue
        a1 = a + 2 * math.pi * d.value / total
        inner = (f'<path d="{_arc(cx, cy, r_out, r_in, a, a1)}" fill="{_colour(i, d.colour)}" stroke="#fff" '
                 f'stroke-width="1.5"><title>{escape(f"{d.label} {fmt(d.value, unit)}")}</title></path>')
        parts.append(_link(d.href, inner, f"{d.label} {fmt(d.value, unit)}"))
        a = a1
    parts.append(f'<text x="{cx:.1f}" y="{cy - 4:.1f}" text-anchor="middle" font-size="22" font-weight="700">'
                 f"{escape(fmt(total, unit))}</text>"
                 f'<text x="{cx:.1f}" y="{cy + 16:.1f}" text-anchor="middle" fill="{MUTED}" font-size="12">'
                 f"{escape(centre_label)}</text>")
    for i, d in enumerate(data):
        y = 12 + i * 24
        share = f"{(d.value or 0) / total:.0%}"
        label = truncate(d.label, width - legend_x - 130)
        # the texts are separated by spaces and the link's name starts with exactly what is shown, so
        # that a person using speech input can say the words they see (the full label follows if cut)
        inner = (f'<rect x="{legend_x}" y="{y}" width="12" height="12" rx="2" fill="{_colour(i, d.colour)}"/> '
                 f'<text x="{legend_x + 18}" y="{y + 11}">{escape(label)}</text> '
                 f'<text x="{width - 48}" y="{y + 11}" text-anchor="end" font-weight="600">'
                 f"{escape(fmt(d.value, unit))}</text> "
                 f'<text x="{width - 4}" y="{y + 11}" text-anchor="end" fill="{MUTED}">{share}</text>')
        name = f"{label} {fmt(d.value, unit)} {share}" + (f"（{d.label}）" if label != d.label else "")
        parts.append(_link(d.href, f"<g>{inner}</g>", name))
    return _close(parts)


__all__ = ["Datum", "Series", "bar_chart", "stacked_bar_chart", "line_chart", "donut_chart", "nice_max",
           "text_width", "truncate", "fmt", "FONT_STACK", "PALETTE"]
