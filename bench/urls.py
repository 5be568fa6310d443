"""The whole site (config.urls) plus two baseline views the hot paths are compared with."""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/baseline/auth/", views.baseline_authenticated, name="bench-baseline-auth"),
    path("bench/baseline/anon/", views.baseline_anonymous, name="bench-baseline-anon"),
    path("", include("config.urls")),
]
