from django.urls import path

from . import notification_views as n

app_name = "core"

urlpatterns = [
    path("", n.notification_list, name="notifications"),
    path("<id:pk>/", n.notification_open, name="notification_open"),
    path("read-all/", n.notification_read_all, name="notifications_read_all"),
]
