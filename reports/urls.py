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
    path("progress/", views.progress, name="progress"),
    path("progress/export/", views.progress_export, name="progress_export"),
    path("progress/<id:pk>/download/", views.progress_download, name="progress_download"),
]
