from django.core.management import call_command
from wagtail.models import Page

from cms.models import Clause, SearchDocument, WarningNotification


def _snapshot():
    return (
        sorted(Page.objects.values_list("url_path", "live")),
        sorted(Clause.objects.values_list("code", "article", "item", "standard__slug")),
        sorted(WarningNotification.objects.values_list("page__slug", "recipient__username")),
        SearchDocument.objects.count(),
    )


def test_demo_content_is_idempotent_and_targets_the_demo_enterprises(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert _snapshot() == first
    assert Clause.objects.count() >= 12
    assert Clause.objects.filter(article=11).count() == 10
    assert Clause.objects.get(code="gm2023-11-2").get_absolute_url() == "/clauses/gm2023-11-2/"
    pushes = set(first[2])
    assert ("demo-polishing-dust-explosion", "principal") in pushes
    assert ("demo-cold-store-ammonia-leak", "cold_principal") in pushes
    assert ("demo-sewage-pit-h2s", "principal") in pushes
    assert ("demo-cold-store-ammonia-leak", "principal") not in pushes
    assert not any(user in {"welder", "newhire", "ent_admin"} for _slug, user in pushes)
