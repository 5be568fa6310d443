"""Path converters.

``<id:pk>``: a database id — digits, at most 18 of them, so every value fits the 64-bit integer
columns. Django's ``<int:…>`` accepts any length; an address with a 30-digit id would reach the
database and fail there (a server error) instead of being a plain 404.
"""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
