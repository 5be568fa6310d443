import datetime as dt

import pytest

from accounts.roles import OrgKind, Role
from catalogue.models import CertificateKind, OperationItem
from certificates.services import certificate_issue
from tests.factories import OrganizationFactory

WELDER_ID = "110101198503071235"


@pytest.fixture
def centre(db):
    return OrganizationFactory(kind=OrgKind.EXAM_CENTRE, name="测试考试中心")


@pytest.fixture
def officer(make_member, centre):
    return make_member(Role.CERT_OFFICER, org=centre, real_name="冯发证")


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="测试焊接有限公司")


@pytest.fixture
def welder(make_member, enterprise):
    return make_member(Role.WORKER, org=enterprise, real_name="王建国", id_number=WELDER_ID,
                       email="welder@example.test")


@pytest.fixture
def ent_admin(make_member, enterprise):
    return make_member(Role.ENT_ADMIN, org=enterprise, real_name="林管理", email="admin@example.test")


def kind(code="special-op", version="2010"):
    return CertificateKind.objects.get(rule_version__code=version, code=code)


def item(code, version="2010"):
    return OperationItem.objects.get(category__rule_version__code=version, code=code)


@pytest.fixture
def issue(officer, centre, enterprise):
    """issue(holder, item_code="weld-fusion", valid_from=date(2024, 3, 1), kind_code="special-op", **kw)"""

    def _issue(holder, item_code="weld-fusion", valid_from=dt.date(2024, 3, 1), kind_code="special-op", **kw):
        k = kind(kind_code)
        return certificate_issue(officer=officer, holder=holder, kind=k,
                                 operation_item=item(item_code) if item_code else None,
                                 issuing_authority="测试市应急管理局", issued_by_org=centre, employer=enterprise,
                                 valid_from=valid_from, **kw)

    return _issue
