"""Signal receivers stay thin: they queue tasks on commit or call services."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished

from accounts.models import Membership

from .models import Clause, WarningCasePage


@receiver(pre_save, dispatch_uid="cms-sanitize")
def _sanitize_before_save(sender, instance, raw=False, **kwargs):
    """Every cms page and clause has its rich text cleaned before it is stored (and so before it is
    published: publishing saves the page from its revision)."""
    if raw or sender._meta.app_label != "cms":
        return
    from .sanitize import clean_instance

    clean_instance(instance)


def _on_page_published(sender, instance, **kwargs):
    from . import tasks

    page_id = instance.pk
    transaction.on_commit(lambda: tasks.search_index_page.delay(page_id))
    if isinstance(instance, WarningCasePage):
        transaction.on_commit(lambda: tasks.warning_push.delay(page_id))


def _on_page_unpublished(sender, instance, **kwargs):
    from .services import search_unindex_page

    search_unindex_page(instance.pk)


page_published.connect(_on_page_published, dispatch_uid="cms-page-published")
page_unpublished.connect(_on_page_unpublished, dispatch_uid="cms-page-unpublished")


@receiver(post_save, sender=Clause, dispatch_uid="cms-clause-saved")
def _on_clause_saved(sender, instance, **kwargs):
    from .services import search_index_clause

    clause_id = instance.pk

    def index():
        clause = Clause.objects.select_related("standard").filter(pk=clause_id).first()
        if clause:
            search_index_clause(clause)

    transaction.on_commit(index)


@receiver(post_delete, sender=Clause, dispatch_uid="cms-clause-deleted")
def _on_clause_deleted(sender, instance, **kwargs):
    from .models import SearchDocument

    SearchDocument.objects.filter(key=f"clause:{instance.pk}").delete()


@receiver(post_save, sender=Membership, dispatch_uid="cms-membership-saved")
@receiver(post_delete, sender=Membership, dispatch_uid="cms-membership-deleted")
def _on_membership_changed(sender, instance, **kwargs):
    from .services import ROLE_GROUPS, WARNING_ROLES, wagtail_groups_sync, warning_backfill_for_member

    if instance.role in ROLE_GROUPS:
        wagtail_groups_sync(user=instance.user)
    if instance.role in WARNING_ROLES and kwargs.get("signal") is post_save:
        warning_backfill_for_member(membership=instance)


def _on_post_migrate(sender, **kwargs):
    from django.db import connection

    from .models import ContentRootPage

    if ContentRootPage._meta.db_table not in connection.introspection.table_names():
        return
    from django.contrib.auth.management import create_permissions

    from .services import site_tree_ensure

    from django.apps import apps as global_apps

    # Our post_migrate runs before auth's: make sure the permissions we hand out exist.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    site_tree_ensure()


def connect_post_migrate(app_config):
    post_migrate.connect(_on_post_migrate, sender=app_config, dispatch_uid="cms-site-tree")
