from django.urls import path

from . import views

app_name = "cms"

urlpatterns = [
    path("standards/", views.section, {"path": "standards/"}, name="standards"),
    path("cases/", views.section, {"path": "cases/"}, name="cases"),
    path("clauses/<slug:code>/", views.clause_detail, name="clause"),
    path("search/", views.search, name="search"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<id:pk>/", views.inbox_item, name="inbox_item"),
    path("inbox/<id:pk>/read/", views.inbox_read, name="inbox_read"),
    path("warnings/status/", views.warning_status, name="warning_status"),
    path("warnings/status/<id:page_id>/", views.warning_status_detail, name="warning_status_detail"),
    path("warnings/status/<id:page_id>/remind/", views.warning_remind, name="warning_remind"),
    path("feeds/cases.rss", views.WarningCaseFeed(), name="feed_cases"),
    path("feeds/cases.atom", views.WarningCaseAtomFeed(), name="feed_cases_atom"),
    path("feeds/notices.rss", views.NoticeFeed(), name="feed_notices"),
    path("feeds/notices.atom", views.NoticeAtomFeed(), name="feed_notices_atom"),
]
