"""The language switch in every page's header: a link, no token needed, only the language cookie."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_every_page_links_to_the_other_language_and_back(client):
    page = client.get("/accounts/login/?next=/exams/").content.decode()
    assert 'href="/i18n/switch/?language=en&amp;next=%2Faccounts%2Flogin%2F%3Fnext%3D%2Fexams%2F"' in page
    switched = client.get("/i18n/switch/", {"language": "en", "next": "/accounts/login/?next=/exams/"})
    assert switched.status_code == 302 and switched["Location"] == "/accounts/login/?next=/exams/"
    english = client.get(switched["Location"]).content.decode()
    assert 'lang="en"' in english and 'href="/i18n/switch/?language=zh-hans&amp;next=' in english
    client.get("/i18n/switch/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client.get("/accounts/login/").content.decode()


def test_a_signed_in_page_needs_no_token_for_the_switch(client, django_user_model):
    user = django_user_model.objects.create_user(username="lang-switch", password="x-Unused-9")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/i18n/switch/?language=en&next=/").cookies["django_language"].value == "en"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "", "\\\\evil"])
def test_only_a_path_of_this_site_is_followed(client, next_url):
    response = client.get("/i18n/switch/", {"language": "en", "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["django_language"].value == "en"


def test_an_unknown_language_changes_nothing(client):
    response = client.get("/i18n/switch/", {"language": "fr", "next": "/verify/"})
    assert response.status_code == 302 and response["Location"] == "/verify/"
    assert "django_language" not in response.cookies and response["Cache-Control"] == "no-store"
