"""The signed-in home page's task list: what this person should do next, from every app.

Each app that knows about some work registers a provider in its ``AppConfig.ready()``::

    from core import todo
    todo.register(my_tasks)          # my_tasks(user) -> Iterable[todo.Task]

A provider reads through its app's selectors (scoped to the user) and returns only tasks that need
doing; ``tasks_for`` puts overdue and urgent ones first, then by due date. The figures shown are
the same selectors the linked pages list, so a count and its page agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    title: str
    url: str
    detail: str = ""
    count: int | None = None
    due: dt.date | None = None
    urgent: bool = False
    order: int = 50


Provider = Callable[[object], Iterable[Task]]
_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def tasks_for(user) -> list[Task]:
    if not getattr(user, "is_authenticated", False):
        return []
    found: list[Task] = []
    for provider in _PROVIDERS:
        found.extend(provider(user))
    far = dt.date.max
    return sorted(found, key=lambda t: (not t.urgent, t.due or far, t.order, t.title))
