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
