"""OpenAPI schema helpers for drf-spectacular."""


def only_product_api(endpoints):
    """Keep the product API (/api/…) and leave out Wagtail's admin API, which is internal to /admin/."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
