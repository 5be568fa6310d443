import importlib

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as account_views
from accounts.urls import auth_urlpatterns
from core import views as core_views
from core.errors import api_not_found

# REST API v1: each app contributes ``<app>/api_urls.py`` with ``urlpatterns``.
api_v1 = []
for _app in settings.ANXUN_APPS:
    try:
        api_v1 += importlib.import_module(f"{_app}.api_urls").urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.api_urls":
            raise

urlpatterns = [
    # the exam pages first: their autosave is the request an exam day sends most
    path("exams/", include("exams.urls")),
    # then the public verification page (behind every certificate's QR code) and the certificate
    # pages, which own top-level paths of their own (verify/, certificates/)
    path("", include("certificates.urls")),
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("ops/", include("core.ops")),
    path("notifications/", include("core.urls")),
    path("accounts/", include(auth_urlpatterns)),
    path("accounts/", include("accounts.urls")),
    path("i18n/switch/", account_views.switch_language, name="switch_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Any other /api/… address is a JSON 404, never a page of the site below.
    re_path(r"^api/", csrf_exempt(api_not_found)),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("courses/", include("courses.urls")),
    path("reports/", include("reports.urls")),
    # cms owns top-level paths of its own (inbox/ …)
    path("", include("cms.urls")),
]

if settings.DEBUG:
    # Only what the sample nginx site serves publicly too: Wagtail's image renditions shown on published
    # pages. Every other file under MEDIA_ROOT (certificate PDFs, 调度表 workbooks, photos, question
    # images, lesson videos) goes through a view that checks who asks (core.protected_files).
    urlpatterns += static(settings.MEDIA_URL + "images/", document_root=f"{settings.MEDIA_ROOT}/images")

# Wagtail pages last: standards, clauses, guides, cases and notices live under the site root.
urlpatterns += [path("", include(wagtail_urls))]

handler404 = "core.errors.page_not_found"
handler403 = "core.errors.permission_denied"
handler500 = "core.errors.server_error"
