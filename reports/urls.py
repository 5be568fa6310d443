from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index),
    path("dashboard/", views.index, name="index"),
    path("dashboard/bureau/", views.bureau, name="bureau"),
    path("dashboard/enterprise/", views.enterprise, name="enterprise"),
    path("dashboard/list/<slug:metric>/", views.drill, name="drill"),
    path("coverage/", views.coverage, name="coverage"),
    path("rollup/refresh/", views.rollup_refresh, name="rollup_refresh"),
    path("progress/", views.progress, name="progress"),
    path("progress/export/", views.progress_export, name="progress_export"),
    path("progress/<id:pk>/download/", views.progress_download, name="progress_download"),
]

from . import campaign_views  # noqa: E402

urlpatterns += [
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_edit, name="campaign_new"),
    path("campaigns/<id:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("campaigns/<id:pk>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path("campaigns/<id:pk>/export/", campaign_views.campaign_export, name="campaign_export"),
    path("campaigns/copies/<id:pk>/", campaign_views.copy_view, name="copy"),
    path("campaigns/copies/<id:pk>/export/", campaign_views.copy_export, name="copy_export"),
    path("campaigns/spot-checks/", campaign_views.spot_checks, name="spot_checks"),
    path("campaigns/units/", campaign_views.units, name="units"),
]
