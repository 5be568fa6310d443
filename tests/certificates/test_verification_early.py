"""The verification result answered high in the stack (certificates/middleware.py).

Each test compares the early answer with what the ordinary stack gives for the same request (a
request carrying an unrelated cookie goes the ordinary way and, for an anonymous visitor, shows the
same page), or checks that a request the early path must not answer reaches the ordinary view with
its lookup counted and logged once."""

import pytest
from django.urls import resolvers

from certificates import public_index, signing, views
from certificates.models import VerificationLog

from .test_public_index import indexed  # noqa: F401 — the index on, over Redis

pytestmark = pytest.mark.django_db

VOLATILE = {"Date", "Expires"}  # the clock's, not the page's


@pytest.fixture
def resolved(monkeypatch):
    """How many URL resolutions the requests from now on made (the ordinary stack resolves once)."""
    calls = []
    real = resolvers.URLResolver.resolve

    def spy(self, path):
        calls.append(path)
        return real(self, path)

    monkeypatch.setattr(resolvers.URLResolver, "resolve", spy)
    return calls


@pytest.fixture
def certificate(indexed, issue, welder):  # noqa: F811
    c = issue(welder)
    public_index.publish_ids([c.pk])
    return c


def _headers(response) -> dict:
    return {k: v for k, v in response.items() if k not in VOLATILE}


def _ordinary(client, url, **extra):
    return client.get(url, HTTP_COOKIE="unrelated=1", **extra)


@pytest.mark.parametrize("language", ["", "en", "zh-hans"])
def test_the_early_page_is_the_ordinary_page(certificate, client, resolved, language):
    url = f"/verify/{certificate.verification_code}/"
    extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    client.get(url, **extra)  # chrome and labels built for this language
    resolved.clear()
    early = client.get(url, **extra)
    assert resolved == []  # answered before the URL resolver
    ordinary = _ordinary(client, url, **extra)
    assert resolved  # the ordinary stack did resolve
    assert early.status_code == ordinary.status_code == 200
    assert _headers(early) == _headers(ordinary)
    assert early.content == ordinary.content
    # the security headers the upper middleware writes, on the early page too
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                   "Cross-Origin-Opener-Policy", "Content-Language", "Content-Length"):
        assert header in early, header
    assert early["Content-Language"] == ("en" if language == "en" else "zh-hans")
    assert "Accept-Language" in early["Vary"] and "no-store" in early["Cache-Control"]
    assert not early.cookies


def test_each_visitor_gets_the_language_their_header_asks_for(certificate, client, resolved):
    # the early path keeps the language chosen for each Accept-Language header: a kept choice
    # must never leak to a visitor asking for another
    url = f"/verify/{certificate.verification_code}/"
    asks = ["en", "zh-hans", "en-GB,en;q=0.8", "", "en", "fr", "zh-CN,zh;q=0.9", "en"]
    client.get(url, HTTP_ACCEPT_LANGUAGE="de")  # the path prefix is found once
    resolved.clear()
    got = [client.get(url, HTTP_ACCEPT_LANGUAGE=a)["Content-Language"] for a in asks]
    assert got == ["en", "zh-hans", "en", "zh-hans", "en", "zh-hans", "zh-hans", "en"]
    assert resolved == []
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Certificate status" in english and "证书状态" in chinese and "证书状态" not in english


def test_a_qr_scan_early_matches_the_ordinary_page(certificate, client, resolved):
    url = f"/verify/{certificate.verification_code}/"
    query = {"p": signing.sign_certificate(certificate)}
    client.get(url, query)
    resolved.clear()
    early = client.get(url, query)
    assert resolved == []
    ordinary = _ordinary(client, url, data=query)
    assert early.content == ordinary.content and 'data-signature="valid"' in early.content.decode()
    assert _headers(early) == _headers(ordinary)


def test_each_early_lookup_is_counted_and_logged_once(certificate, client, settings):
    settings.ANXUN_VERIFY_RATE_LIMIT = 2
    url = f"/verify/{certificate.verification_code}/"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    public_index.drain_log()
    rows = list(VerificationLog.objects.order_by("pk").values_list("found", "rate_limited"))
    assert rows == [(True, False), (True, False), (False, True)]


def test_over_the_limit_the_ordinary_view_answers_without_counting_again(certificate, client, settings,
                                                                         monkeypatch):
    settings.ANXUN_VERIFY_RATE_LIMIT = 1
    url = f"/verify/{certificate.verification_code}/"
    assert client.get(url).status_code == 200
    seen = []
    real = views.verify_code
    monkeypatch.setattr(views, "verify_code", lambda request, code: seen.append(code) or real(request, code))
    lookups = []
    real_lookup = public_index.lookup
    monkeypatch.setattr(public_index, "lookup", lambda *a, **k: lookups.append(1) or real_lookup(*a, **k))
    limited = client.get(url)
    assert limited.status_code == 429 and limited["Retry-After"] == "60"
    assert len(lookups) == 1  # made once, by the early path, and handed to the view


def test_not_found_goes_down_the_ordinary_stack_once(certificate, client, resolved):
    resolved.clear()
    response = client.get("/verify/NOSUCHCODE/")
    assert response.status_code == 404 and resolved  # Wagtail's redirects may answer a 404
    public_index.drain_log()
    assert list(VerificationLog.objects.values_list("found", flat=True)) == [False]  # logged once


def test_a_payload_naming_another_certificate_is_decided_by_the_database(certificate, client, resolved):
    fields = dict(signing.payload_fields(certificate), c="ZZZZZZZZZZ", n="AX0000000000")
    resolved.clear()
    response = client.get(f"/verify/{certificate.verification_code}/", {"p": signing.sign_fields(fields)})
    # a certificate the database does not know: "unknown", as the ordinary view's database path says
    assert resolved and 'data-signature="unknown"' in response.content.decode()
    public_index.drain_log()
    assert list(VerificationLog.objects.values_list("signature", flat=True)) == ["unknown"]  # logged once


def test_requests_the_early_path_leaves_alone(certificate, client, resolved):
    url = f"/verify/{certificate.verification_code}/"
    for send in (lambda: client.head(url), lambda: client.post(url), lambda: _ordinary(client, url),
                 lambda: client.get(f"/verify/{certificate.verification_code}/extra/")):
        resolved.clear()
        send()
        assert resolved, "went down the ordinary stack"


def test_a_foreign_host_is_refused_as_by_the_ordinary_stack(certificate, client):
    url = f"/verify/{certificate.verification_code}/"
    early = client.get(url, HTTP_HOST="evil.example")
    ordinary = _ordinary(client, url, HTTP_HOST="evil.example")
    assert early.status_code == ordinary.status_code == 400


def test_https_redirect_comes_first(certificate, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(f"/verify/{certificate.verification_code}/")
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_without_the_index_the_ordinary_view_answers(certificate, client, settings, resolved):
    settings.ANXUN_VERIFY_INDEX = False
    resolved.clear()
    response = client.get(f"/verify/{certificate.verification_code}/")
    assert response.status_code == 200 and resolved
    assert 'data-status="valid"' in response.content.decode()
