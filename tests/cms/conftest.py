import datetime as dt

import pytest

from accounts.models import HazardTag, Industry, ProcessTag


@pytest.fixture(autouse=True)
def _reference_data_present(request):
    """A transactional test elsewhere in this process flushes every table when it ends; reload the
    shipped reference data (and the page tree) if that happened before one of our tests."""
    if "db" in getattr(request.node, "fixturenames", ()) or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        from accounts.models import Region
        from tests.conftest import REFERENCE_MIGRATIONS, TODAYS_APPS

        if not Region.objects.exists():
            import importlib

            for module in REFERENCE_MIGRATIONS:
                importlib.import_module(module).forwards(TODAYS_APPS, None)
    yield


@pytest.fixture
def root(db):
    from cms.models import ContentRootPage

    return ContentRootPage.objects.get()


@pytest.fixture
def sections(root):
    from cms import models as m

    return {
        "standards": m.StandardIndexPage.objects.get(),
        "guides": m.GuideIndexPage.objects.get(),
        "cases": m.WarningCaseIndexPage.objects.get(),
        "enforcement": m.EnforcementCaseIndexPage.objects.get(),
        "notices": m.NoticeIndexPage.objects.get(),
    }


def tag(model, code):
    return model.objects.get(code=code)


@pytest.fixture
def make_standard(sections):
    from cms.models import StandardPage

    def _make(slug="gm-2023", live=True, **fields):
        page = StandardPage(
            title=fields.pop("title", "工贸企业重大事故隐患判定标准"), slug=slug,
            document_number="应急管理部令第10号", issuing_body="应急管理部", effective_date=dt.date(2023, 5, 15),
            live=live, **fields,
        )
        sections["standards"].add_child(instance=page)
        if live:
            page.save_revision().publish()
        return page

    return _make


@pytest.fixture
def make_clause():
    from cms.models import Clause

    def _make(standard, code, article, item, title="要点", text="条文", hazards=(), **fields):
        clause = Clause.objects.create(standard=standard, code=code, article=article, item=item, title=title, text=text, **fields)
        if hazards:
            clause.hazard_tags.set([tag(HazardTag, h) for h in hazards])
        return clause

    return _make


@pytest.fixture
def make_case(sections):
    """make_case(title, industry=None, hazards=(), processes=(), publish=True, user=None, **fields)."""
    from cms.models import WarningCasePage

    def _make(title="演示警示案例", industry=None, hazards=(), processes=(), publish=True, user=None, slug=None, **fields):
        defaults = dict(occurred_on=dt.date(2025, 8, 14), place="某市", summary="简介", direct_causes="<p>原因</p>", lessons="<p>教训</p>")
        defaults.update(fields)
        page = WarningCasePage(title=title, slug=slug or f"case-{WarningCasePage.objects.count() + 1}", live=False, **defaults)
        if industry:
            page.industry = tag(Industry, industry)
        page.hazard_tags.set([tag(HazardTag, h) for h in hazards])
        page.process_tags.set([tag(ProcessTag, p) for p in processes])
        sections["cases"].add_child(instance=page)
        revision = page.save_revision(user=user)
        if publish:
            revision.publish(user=user)
            page.refresh_from_db()
        return page

    return _make


@pytest.fixture
def enterprise(db):
    """enterprise(industry=None, hazards=(), processes=(), region="440704") → Organization."""
    from accounts.models import Region
    from tests.factories import OrganizationFactory

    def _make(industry=None, hazards=(), processes=(), region="440704", **fields):
        org = OrganizationFactory(
            industry=tag(Industry, industry) if industry else None, region=Region.objects.get(code=region), **fields
        )
        org.hazard_tags.set([tag(HazardTag, h) for h in hazards])
        org.process_tags.set([tag(ProcessTag, p) for p in processes])
        return org

    return _make
