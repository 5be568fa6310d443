"""Authentication backend that keeps the signed-in user's row in the shared cache.

Every authenticated request loads its user. On exam day that is one query on each autosave and
each question page of every candidate; with the row in the cache (Redis in production) the
request needs no query to know who is asking. The entry is dropped whenever the user is saved or
deleted (a password change, deactivation, last login), so the cache never lets a deactivated user
in; it also expires on its own after a few minutes.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

CACHE_SECONDS = 300


def _key(user_id) -> str:
    return f"accounts:user:v1:{user_id}"


class CachedUserBackend(ModelBackend):
    def get_user(self, user_id):
        key = _key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)  # None when missing or inactive
            if user is None:
                return None
            cache.set(key, user, CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None


def forget_user(sender, instance, **kwargs) -> None:
    cache.delete(_key(instance.pk))


post_save.connect(forget_user, sender=get_user_model(), dispatch_uid="accounts.backends.user_saved")
post_delete.connect(forget_user, sender=get_user_model(), dispatch_uid="accounts.backends.user_deleted")
