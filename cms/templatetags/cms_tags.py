from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def cms_sections(context):
    """The live section index pages (标准规范, 排查指引, 警示案例 …), one query per request."""
    request = context.get("request")
    cached = getattr(request, "_cms_sections", None) if request is not None else None
    if cached is None:
        from .._sections import live_sections

        cached = live_sections()
        if request is not None:
            request._cms_sections = cached
    return cached


@register.filter
def kind_label(obj) -> str:
    """The model's verbose name (警示案例, 执法案例 …)."""
    return str(obj._meta.verbose_name)
