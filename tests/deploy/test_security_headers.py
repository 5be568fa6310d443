"""Security headers on every kind of page: Content-Security-Policy (strict with a nonce for the site, its
own for the Wagtail admin, the site's own framed by the editor for previews), HSTS over HTTPS in
production, nosniff, frame denial, referrer and opener policies. Plus a static check that no template
has an inline event handler or an inline script without the response's nonce.

The page walk runs twice: with the embedded default (test settings, plain HTTP) and with the security
settings that production.py produces (read from a fresh interpreter with the env template filled in),
over HTTPS as nginx passes it on (X-Forwarded-Proto)."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.deploy.support import BASE_DIR, production_env, run_django_code, services_url

# The policies, written out: a test that derived them from the settings could not catch a bad setting.
SITE = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'nonce-*'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "media-src": ["'self'", "https:", "http:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Responses that render no template (JSON, files, redirects) never use the nonce, so it is left out.
SITE_NO_NONCE = {**SITE, "script-src": ["'self'"]}
PREVIEW = {**SITE, "frame-ancestors": ["'self'"]}
ADMIN = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:", "https:", "http:"],
    "font-src": ["'self'", "data:"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
# What Wagtail itself sends with a served document (tests/cms/test_security.py): nothing may run.
DOCUMENT = {"default-src": ["'none'"]}

HSTS = "max-age=31536000; includeSubDomains; preload"

PRODUCTION_SECURITY_SETTINGS = [
    "MIDDLEWARE", "SECURE_CSP", "SECURE_CSP_REPORT_ONLY", "ANXUN_ADMIN_CSP", "ANXUN_PREVIEW_CSP",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY", "X_FRAME_OPTIONS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
]


def parse_policy(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in policy, f"directive {name} twice in {header!r}"
        policy[name] = values
    return policy


def nonce_of(policy: dict[str, list[str]]) -> str | None:
    nonces = [v[len("'nonce-"):-1] for v in policy.get("script-src", []) if v.startswith("'nonce-")]
    assert len(nonces) <= 1
    return nonces[0] if nonces else None


def without_nonce_value(policy: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: ["'nonce-*'" if v.startswith("'nonce-") else v for v in vs] for k, vs in policy.items()}


class _Tags(HTMLParser):
    """Every start tag of a page (or template): (tag, attrs, has inline content)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[dict[str, str | None]] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self._script_text = ""

    def handle_data(self, data):
        if self._script is not None:
            self._script_text += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            if self._script_text.strip():
                self.inline_scripts.append(self._script)
            self._script = None


JS_TYPES = {None, "", "text/javascript", "application/javascript", "module"}


def script_problems(html: str) -> list[str]:
    """Inline event handlers, javascript: URLs and scripts the strict policy would block (no src and
    no nonce). Scripts that are data (type="application/json") do not run and are fine."""
    parser = _Tags()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.tags:
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=…> (inline event handler)")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "script" and attrs.get("type") in JS_TYPES and "src" not in attrs and "nonce" not in attrs:
            problems.append("<script> without src and without nonce")
    for attrs in parser.inline_scripts:
        if "src" in attrs:
            problems.append("<script src=…> with inline content as well")
    return problems


# --- the static check: templates -------------------------------------------------------------------

TEMPLATE_TAG = re.compile(r"{%.*?%}|{#.*?#}", re.S)
VARIABLE = re.compile(r"{{.*?}}", re.S)


def template_text_for_check(source: str) -> str:
    """A template's text with Django syntax neutralised: the nonce tags become a nonce attribute,
    other tags disappear and variables become a placeholder (so `onclick="{{ x }}"` stays visible)."""
    source = re.sub(r"{%\s*csp_nonce_attr\s*%}", 'nonce="n"', source)
    source = TEMPLATE_TAG.sub(" ", source)
    return VARIABLE.sub("x", source)


def project_templates() -> list[Path]:
    roots = [BASE_DIR / "templates"] + [p for p in BASE_DIR.glob("*/templates") if p.parent.name not in ("tests",)]
    return sorted(p for root in roots for p in root.rglob("*.html"))


def test_the_template_check_finds_what_the_policy_would_block():
    bad = [
        '<button onclick="go()">x</button>',
        "<form ONSUBMIT='return confirm(\"{% translate 'x' %}\")'>",
        '<img src=x onerror="{{ handler }}">',
        "<script>alert(1)</script>",
        '<script type="text/javascript">\nvar a = 1;\n</script>',
        '<a href="javascript:void(0)">x</a>',
        '{% if x %}<div onmouseover="x()">{% endif %}',
    ]
    for sample in bad:
        assert script_problems(template_text_for_check(sample)), sample
    good = [
        '<script src="{% static \'js/anxun.js\' %}" {% csp_nonce_attr %} defer></script>',
        '<script {% csp_nonce_attr %}>start();</script>',
        '<script nonce="{{ csp_nonce }}">start();</script>',
        '<script type="application/json" id="d">{"a": 1}</script>',
        '<form data-confirm="{% translate \'确认强制交卷？\' %}">',
        '<input type="checkbox" data-select-all="ids">',
        '{% blocktranslate with one=x %}{{ one }}{% endblocktranslate %}',
    ]
    for sample in good:
        assert not script_problems(template_text_for_check(sample)), sample


def test_no_template_has_an_inline_handler_or_an_inline_script_without_nonce():
    templates = project_templates()
    assert len(templates) > 50 and BASE_DIR / "templates" / "base.html" in templates
    found = {
        str(path.relative_to(BASE_DIR)): problems
        for path in templates
        if (problems := script_problems(template_text_for_check(path.read_text(encoding="utf-8"))))
    }
    assert not found, f"move these to static/js/anxun.js (or give the <script> {{% csp_nonce_attr %}}): {found}"


# --- the page walk -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def production_security(tmp_path_factory) -> dict:
    """The security settings production.py produces from the env template (values as JSON)."""
    tmp_path = tmp_path_factory.mktemp("production")
    services = services_url()
    database = services[0] if services else "postgres://anxun:s3cret@db.internal:5432/anxun"
    names = repr(PRODUCTION_SECURITY_SETTINGS)
    return run_django_code(production_env(tmp_path, DATABASE_URL=database),
                           f"from django.conf import settings\nresult = {{n: getattr(settings, n) for n in {names}}}")


def _apply(settings, values: dict) -> None:
    for name, value in values.items():
        if name == "SECURE_PROXY_SSL_HEADER" and value:
            value = tuple(value)
        setattr(settings, name, value)


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks, settings, tmp_path):
    """The demo data (its tasks run: enrolments, pushes, PDFs), an exam under way and a document."""
    from certificates.models import Certificate
    from courses.models import Enrolment
    from exams.models import Registration
    from wagtail.documents import get_document_model

    settings.MEDIA_ROOT = str(tmp_path / "media")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=open(os.devnull, "w"))
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    users = {u.username: u for u in get_user_model().objects.all()}
    now = timezone.now()
    registration = next(r for r in Registration.objects.filter(candidate=users["welder"]) if r.session.is_open(now))
    welder = Client()
    welder.force_login(users["welder"])
    started = welder.post(reverse("exams:start", args=[registration.pk]), follow=True)
    assert started.status_code == 200 and "/q/" in started.redirect_chain[-1][0], started.redirect_chain
    question_url = started.redirect_chain[-1][0]
    attempt_pk = int(re.search(r"/attempts/(\d+)/", question_url).group(1))

    certificate = Certificate.objects.filter(holder=users["welder"]).first()
    if not certificate.pdf:
        certificate.pdf.save(f"{certificate.number}.pdf", ContentFile(b"%PDF-1.7 certificate"), save=False)
        certificate.pdf_revision = certificate.revision
        certificate.save(update_fields=["pdf", "pdf_revision"])
    document = get_document_model().objects.create(title="事故调查报告", file=ContentFile(b"%PDF-1.7 report", name="report.pdf"))

    from cms.models import StandardPage, WarningCasePage

    enrolment = Enrolment.objects.filter(user=users["principal"], course__is_published=True).select_related("course").first()
    return {
        "users": users, "question_url": question_url, "attempt_pk": attempt_pk, "session_pk": registration.session_id,
        "certificate": certificate, "document": document,
        "standard": StandardPage.objects.live().first(), "case": WarningCasePage.objects.live().first(),
        "course": enrolment.course,
    }


def page_kinds(demo) -> list[tuple[str, str | None, str, dict, int]]:
    """(what, user, url, expected policy, expected status) for one page of every kind."""
    course = demo["course"]
    lesson = course.lessons.order_by("sort_order").first()
    case = demo["case"]
    return [
        ("home", None, "/", SITE, 200),
        ("login", None, reverse("login"), SITE, 200),
        ("verification page", None, reverse("certificates:verify"), SITE, 200),
        # the result page loads no script (templates/certificates/verify_result.html): the policy needs no nonce
        ("verification result", None, reverse("certificates:verify_code", args=[demo["certificate"].verification_code]), SITE_NO_NONCE, 200),
        ("verification: not found", None, reverse("certificates:verify_code", args=["XXXXXXXXXX"]), SITE_NO_NONCE, 404),
        ("CMS standard", None, demo["standard"].url, SITE, 200),
        ("CMS warning case", "principal", case.url, SITE, 200),
        ("course", "principal", reverse("courses:course", args=[course.code]), SITE, 200),
        ("lesson", "principal", reverse("courses:lesson", args=[course.code, lesson.pk]), SITE, 200),
        ("exam question (timer, htmx autosave)", "welder", demo["question_url"], SITE, 200),
        ("exam overview (timer)", "welder", reverse("exams:overview", args=[demo["attempt_pk"]]), SITE, 200),
        ("practice", "principal", reverse("exams:practice"), SITE, 200),
        ("my certificates", "welder", reverse("certificates:mine"), SITE, 200),
        ("roster check", "ent_admin", reverse("certificates:roster"), SITE, 200),
        ("back office: exams", "examiner", reverse("exams:manage"), SITE, 200),
        ("back office: exam console", "examiner", reverse("exams:manage_console", args=[demo["session_pk"]]), SITE, 200),
        ("back office: issue certificates", "examiner", reverse("certificates:issue"), SITE, 200),
        ("reports dashboard", "publisher", reverse("reports:bureau"), SITE, 200),
        ("Wagtail admin login", None, reverse("wagtailadmin_login"), ADMIN, 200),
        ("Wagtail admin dashboard", "editor", reverse("wagtailadmin_home"), ADMIN, 200),
        ("Wagtail page editor", "editor", reverse("wagtailadmin_pages:edit", args=[case.pk]), ADMIN, 200),
        ("Wagtail image chooser", "editor", reverse("wagtailimages_chooser:choose"), ADMIN, 200),
        ("Wagtail draft view (preview)", "editor", reverse("wagtailadmin_pages:view_draft", args=[case.pk]), PREVIEW, 200),
        # Django's own admin works under the site's policy (its scripts carry the nonce).
        ("Django admin login", None, "/django-admin/login/", SITE, 200),
        ("API (JSON)", "welder", reverse("exams-api-attempts"), SITE_NO_NONCE, 200),
        ("API: not found (JSON)", None, "/api/v1/no-such-thing/", SITE_NO_NONCE, 404),
        ("API docs (Swagger UI)", None, reverse("api-docs"), SITE, 200),
        ("404 page", None, "/no-such-page/", SITE, 404),
        ("static file", None, "/static/js/anxun.js", SITE_NO_NONCE, 200),
        ("certificate PDF download", "welder", reverse("certificates:pdf", args=[demo["certificate"].pk]), SITE_NO_NONCE, 200),
        ("document download", None, demo["document"].url, DOCUMENT, 200),
    ]


# drf-spectacular opens the API docs' OAuth window as a popup and relaxes the opener policy for it.
HEADER_EXCEPTIONS = {"API docs (Swagger UI)": {"Cross-Origin-Opener-Policy": "unsafe-none"}}


def _walk(demo, https: bool) -> tuple[list[str], dict[str, dict]]:
    clients: dict[str | None, Client] = {}
    problems, seen = [], {}
    extra = {"headers": {"X-Forwarded-Proto": "https"}} if https else {}
    for what, username, url, expected, status in page_kinds(demo):
        if username not in clients:
            clients[username] = Client()
            if username:
                clients[username].force_login(demo["users"][username])
        resp = clients[username].get(url, **extra)
        seen[what] = resp
        where = f"{what} ({url})"
        if resp.status_code != status:
            problems.append(f"{where}: status {resp.status_code}, expected {status}")
            continue
        header = resp.get("Content-Security-Policy")
        if not header:
            problems.append(f"{where}: no Content-Security-Policy")
            continue
        policy = parse_policy(header)
        if without_nonce_value(policy) != expected:
            problems.append(f"{where}: Content-Security-Policy {header!r}")
        if "'unsafe-eval'" in header:
            problems.append(f"{where}: 'unsafe-eval'")
        if expected in (SITE, PREVIEW):
            nonce = nonce_of(policy)
            if "'unsafe-inline'" in policy["script-src"] or not nonce:
                problems.append(f"{where}: script-src {policy['script-src']}")
            html = resp.content.decode()
            parser = _Tags()
            parser.feed(html)
            scripts = [a for t, a in parser.tags if t == "script"]
            # The page's scripts (base.html's at least) carry this response's nonce, and no script
            # comes from another origin.
            if not any(a.get("nonce") == nonce for a in scripts) or any(
                    "nonce" in a and a["nonce"] != nonce for a in scripts):
                problems.append(f"{where}: scripts without this response's nonce: {scripts}")
            if any(re.match(r"(?i)(https?:)?//", a.get("src") or "") for a in scripts):
                problems.append(f"{where}: a script from another origin: {scripts}")
            if found := script_problems(html):
                problems.append(f"{where}: {found}")
        want = {
            "X-Content-Type-Options": "nosniff",
            # Only the preview views the editor frames answer SAMEORIGIN (tests/e2e/test_csp.py).
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Strict-Transport-Security": HSTS if https else None,
            **HEADER_EXCEPTIONS.get(what, {}),
        }
        for name, value in want.items():
            if resp.get(name) != value:
                problems.append(f"{where}: {name} is {resp.get(name)!r}, expected {value!r}")
    return problems, seen


@pytest.mark.parametrize("deployment", ["embedded default over HTTP", "production settings over HTTPS"])
def test_every_page_kind_carries_the_security_headers(demo, settings, production_security, deployment):
    settings.WHITENOISE_USE_FINDERS = True  # serve /static/ from the source folders (no collectstatic in tests)
    settings.WHITENOISE_AUTOREFRESH = True
    https = deployment.startswith("production")
    if https:
        assert production_security["SECURE_HSTS_SECONDS"] == 31536000 and production_security["SECURE_SSL_REDIRECT"]
        _apply(settings, production_security)
    problems, seen = _walk(demo, https=https)
    assert not problems, "\n".join(problems)
    # The nonce is new on every response.
    first = nonce_of(parse_policy(seen["home"]["Content-Security-Policy"]))
    assert first and first != nonce_of(parse_policy(Client().get("/", **(
        {"headers": {"X-Forwarded-Proto": "https"}} if https else {}))["Content-Security-Policy"]))
    if https:
        # Plain HTTP is sent to HTTPS first; no page is served without TLS.
        resp = Client().get("/verify/")
        assert resp.status_code == 301 and resp["Location"] == "https://testserver/verify/"


def test_production_and_embedded_default_share_the_policies(production_security, settings):
    """production.py adds HSTS and the HTTPS redirect; the policies and other headers are base.py's."""
    for name in ("SECURE_CSP", "ANXUN_ADMIN_CSP", "ANXUN_PREVIEW_CSP", "SECURE_REFERRER_POLICY",
                 "SECURE_CROSS_ORIGIN_OPENER_POLICY", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF", "MIDDLEWARE"):
        assert production_security[name] == getattr(settings, name), name
    assert not settings.SECURE_HSTS_SECONDS and not settings.SECURE_SSL_REDIRECT  # plain HTTP works locally
    assert production_security["SESSION_COOKIE_SECURE"] and production_security["CSRF_COOKIE_SECURE"]
    middleware = settings.MIDDLEWARE
    # Headers are added above WhiteNoise (static files carry them) and the admin's policy is chosen
    # before Django's CSP middleware writes the header.
    assert middleware.index("django.middleware.csp.ContentSecurityPolicyMiddleware") < middleware.index(
        "core.security.AdminContentSecurityPolicyMiddleware") < middleware.index("whitenoise.middleware.WhiteNoiseMiddleware")
    assert middleware.index("django.middleware.clickjacking.XFrameOptionsMiddleware") < middleware.index(
        "whitenoise.middleware.WhiteNoiseMiddleware")


def test_a_view_that_chose_its_own_policy_keeps_it_in_the_admin(rf, settings):
    from django.http import HttpResponse
    from django.views.decorators.csp import csp_override

    from core.security import AdminContentSecurityPolicyMiddleware

    own = {"default-src": ["'none'"]}
    chosen = AdminContentSecurityPolicyMiddleware(csp_override(own)(lambda request: HttpResponse()))
    assert chosen(rf.get("/admin/"))._csp_config is own
    plain = AdminContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    assert plain(rf.get("/admin/pages/"))._csp_config is settings.ANXUN_ADMIN_CSP
    assert not hasattr(plain(rf.get("/administration/")), "_csp_config")  # not the admin: the site's policy
    dummy = rf.get("/cases/some-case/")
    dummy.is_dummy = True  # Wagtail's preview request
    assert plain(dummy)._csp_config is settings.ANXUN_PREVIEW_CSP
