from django.urls import path

from .api import RosterCheckAPI, VerifyAPI

urlpatterns = [
    path("roster-checks/", RosterCheckAPI.as_view(), name="api-roster-checks"),
    path("certificates/verify/", VerifyAPI.as_view(), name="api-certificate-verify"),
]
