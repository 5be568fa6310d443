from core.navigation import items_for
from core.notify import unread_count

from .selectors import memberships_of, roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}

    def _nav():
        return items_for(user, roles_of(user), request.path)

    return {"nav_items": _nav, "my_memberships": lambda: memberships_of(user),
            "unread_notifications": lambda: unread_count(user)}
