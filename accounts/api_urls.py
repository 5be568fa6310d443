from django.urls import path

from .people_api import EndEmploymentAPI, PeopleAPI

urlpatterns = [
    path("people/", PeopleAPI.as_view(), name="api-people"),
    path("people/end-employment/", EndEmploymentAPI.as_view(), name="api-people-end"),
]
