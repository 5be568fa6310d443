"""Whitelist sanitising of rich text before it is stored, whatever the route it came by (admin
editor, import, shell, API): no <script>, no event-handler attributes, no javascript: links."""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup, Comment

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "h5", "h6", "b", "strong", "i", "em", "u", "s", "sub", "sup", "ul", "ol",
    "li", "a", "hr", "blockquote", "code", "span", "div", "table", "thead", "tbody", "tr", "th", "td",
    "embed",
}
ALLOWED_ATTRS = {
    "a": {"href", "linktype", "id", "title"},
    "embed": {"embedtype", "id", "format", "alt", "url"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "svg", "math", "template", "noscript", "form", "textarea", "select"}
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def safe_url(url: str) -> bool:
    compact = _CONTROL.sub("", url or "").lower()
    if not compact:
        return False
    if compact.startswith(("/", "#", "?")):
        return True
    if ":" not in compact.split("/", 1)[0]:
        return True  # relative path such as "cases/"
    return compact.startswith(SAFE_SCHEMES)


def clean_html(html: str) -> str:
    if not html or ("<" not in html and "javascript" not in html.lower()):
        return html
    soup = BeautifulSoup(html, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in list(soup.find_all(True)):
        if tag.decomposed:
            continue
        name = tag.name.lower()
        if name in DROP_WITH_CONTENT:
            tag.decompose()
            continue
        if name not in ALLOWED_TAGS:
            tag.unwrap()
            continue
        allowed = ALLOWED_ATTRS.get(name, set())
        for attr in list(tag.attrs):
            if attr.lower() not in allowed:
                del tag.attrs[attr]
        if name == "a" and "href" in tag.attrs and not safe_url(tag["href"]):
            del tag.attrs["href"]
        if name == "embed" and "url" in tag.attrs and not safe_url(tag["url"]):
            del tag.attrs["url"]
    return str(soup)


def clean_stream_data(data):
    """Sanitise every string inside a StreamField's raw JSON (rich text and plain text alike: plain
    text is escaped on output anyway, so removing markup from it loses nothing)."""
    if isinstance(data, str):
        return clean_html(data)
    if isinstance(data, list):
        return [clean_stream_data(x) for x in data]
    if isinstance(data, dict):
        return {k: (v if k in ("type", "id") else clean_stream_data(v)) for k, v in data.items()}
    return data


def clean_instance(instance) -> None:
    """Sanitise an instance's RichTextFields and StreamFields in place."""
    from wagtail.fields import RichTextField, StreamField

    for field in instance._meta.concrete_fields:
        if isinstance(field, RichTextField):
            value = getattr(instance, field.attname)
            if value:
                setattr(instance, field.attname, clean_html(value))
        elif isinstance(field, StreamField):
            value = getattr(instance, field.attname)
            if not value:
                continue
            raw = field.get_prep_value(value)
            if isinstance(raw, str):
                raw = json.loads(raw)
            cleaned = clean_stream_data(raw)
            if cleaned != raw:
                setattr(instance, field.attname, field.to_python(cleaned))
