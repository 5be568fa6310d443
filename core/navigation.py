"""Role-aware navigation. Each app registers its entries in its AppConfig.ready():

    from core.navigation import NavItem, register
    register(NavItem("exams:my_exams", _("我的考试"), roles={Role.PRINCIPAL, ...}, order=30))

``roles=None`` shows the entry to every signed-in user; ``public=True`` also to visitors.
Who holds which roles is answered by the app that knows (accounts registers ``set_roles_provider``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse

_ITEMS: list["NavItem"] = []
_roles_provider: Callable[[object], set[str]] = lambda user: set()  # noqa: E731


def set_roles_provider(provider: Callable[[object], set[str]]) -> None:
    """The function giving a signed-in user's roles (accounts sets it in its AppConfig.ready())."""
    global _roles_provider
    _roles_provider = provider


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return _roles_provider(user)


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    roles: frozenset[str] | None = None
    order: int = 50
    public: bool = False
    superuser: bool = True
    group: str = ""
    kwargs: dict = field(default_factory=dict, hash=False, compare=False)

    def visible_to(self, user, user_roles: set[str]) -> bool:
        if not getattr(user, "is_authenticated", False):
            return self.public
        if self.roles is None:
            return True
        if user.is_superuser and self.superuser:
            return True
        return bool(self.roles & user_roles)


def register(item: NavItem) -> None:
    if all(i.url_name != item.url_name for i in _ITEMS):
        _ITEMS.append(item)
        _ITEMS.sort(key=lambda i: (i.order, i.url_name))


def items_for(user, user_roles: set[str], current_path: str = "") -> list[dict]:
    out = []
    for item in _ITEMS:
        if not item.visible_to(user, user_roles):
            continue
        try:
            url = reverse(item.url_name, kwargs=item.kwargs or None)
        except NoReverseMatch:
            continue
        active = url != "/" and current_path.startswith(url)
        out.append({"url": url, "label": str(item.label), "active": active, "group": item.group})
    return out
