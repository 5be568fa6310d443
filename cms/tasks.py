from celery import shared_task
from django.core.management import call_command


@shared_task(name="cms.tasks.publish_scheduled")
def publish_scheduled() -> None:
    """Publish pages whose go-live time has come and unpublish expired ones (Wagtail's own command)."""
    call_command("publish_scheduled")


@shared_task(name="cms.tasks.warning_push")
def warning_push(page_id: int) -> int:
    from .services import warning_push as push

    return push(page_id=page_id)


@shared_task(name="cms.tasks.warning_counts_rebuild")
def warning_counts_rebuild() -> int:
    from .services import warning_counts_rebuild as rebuild

    return rebuild()


@shared_task(name="cms.tasks.search_index_page")
def search_index_page(page_id: int) -> None:
    from wagtail.models import Page

    from .services import search_index_page as index, search_unindex_page

    page = Page.objects.filter(pk=page_id).first()
    if page is None:
        search_unindex_page(page_id)
    else:
        index(page)


@shared_task(name="cms.tasks.warning_remind")
def warning_remind(page_id: int, actor_id: int) -> int:
    """Remind the unread recipients of one case within the actor's scope (the scope is read again here)."""
    from django.contrib.auth import get_user_model

    from .models import WarningCasePage
    from .selectors import warning_status_unread
    from .services import warning_remind_unread

    page = WarningCasePage.objects.live().filter(pk=page_id).first()
    actor = get_user_model().objects.filter(pk=actor_id, is_active=True).first()
    if page is None or actor is None:
        return 0
    return warning_remind_unread(page=page, notifications=warning_status_unread(actor, page).iterator(chunk_size=500),
                                 actor=actor)
