import pytest
from hypothesis import HealthCheck, settings as hypothesis_settings
from django.core.cache import cache

# Property-based tests judge correctness, not speed: a busy CI machine must not fail them.
hypothesis_settings.register_profile(
    "anxun", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
hypothesis_settings.load_profile("anxun")

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory  # noqa: E402


def clear_cache() -> None:
    """Forget this test process's cache keys only (a Redis FLUSHDB would hit other processes)."""
    from django.conf import settings

    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Chinese): a request made in English by an earlier
    test on the same worker leaves English active in the thread (the locale middleware activates
    the request's language and does not switch back)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def make_member(db):
    """make_member(role, org=None, **user_fields) → user holding that role in org (created if None)."""
    from accounts.roles import ROLE_KIND

    def _make(role, org=None, **user_fields):
        org = org or OrganizationFactory(kind=ROLE_KIND[role])
        user = UserFactory(**user_fields)
        MembershipFactory(user=user, organization=org, role=role)
        return user

    return _make


def pytest_sessionfinish(session, exitstatus):
    # Never let a run that collected nothing pass.
    if session.testscollected == 0 and not hasattr(session.config, "workerinput"):
        session.exitstatus = 5



REFERENCE_MIGRATIONS = ("accounts.migrations.0002_reference_data", "certificates.migrations.0002_catalogue_2010",
                        "catalogue.migrations.0006_study_rules_shipped", "catalogue.migrations.0008_exam_entry_rules_data",
                        "accounts.migrations.0007_guangdong_regions", "reports.migrations.0003_report_templates_data")


def ensure_reference_data() -> None:
    """Reload the migrations' reference data when a transactional test on this worker flushed it."""
    from accounts.models import Region
    from catalogue.models import CertificateKind

    if not Region.objects.exists() or not CertificateKind.objects.exists():
        import importlib

        for module in REFERENCE_MIGRATIONS:
            importlib.import_module(module).forwards(TODAYS_APPS, None)


class _TodaysApps:
    """The app registry as the reference-data migrations knew it: the catalogue's models lived in
    certificates then."""

    def get_model(self, app_label: str, model_name: str):
        from django.apps import apps

        if app_label == "certificates" and model_name.lower() in (
                "ruleversion", "operationcategory", "operationitem", "certificatekind"):
            app_label = "catalogue"
        return apps.get_model(app_label, model_name)


TODAYS_APPS = _TodaysApps()


def _is_transactional(item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return bool(
        "transactional_db" in names or "live_server" in names
        or (marker is not None and marker.kwargs.get("transaction"))
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, put the reference data back at once: ``--dist loadfile``
    hands a worker whole files in collection order, so ordinary tests may come next on it."""
    yield
    # (after the worker's last test the test database itself is gone: nothing to put back)
    if nextitem is not None and _is_transactional(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            ensure_reference_data()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table when they finish. Reload the reference data that
    migrations ship (regions, industries, tags, the operation catalogue) before each of them."""
    if _is_transactional(request.node):
        import importlib
        request.getfixturevalue("transactional_db")
        for module in REFERENCE_MIGRATIONS:
            importlib.import_module(module).forwards(TODAYS_APPS, None)
    yield


@pytest.fixture(autouse=True)
def sms_outbox():
    """Text messages sent during a test (the test settings use core.sms.LocmemBackend)."""
    from core import sms

    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()
