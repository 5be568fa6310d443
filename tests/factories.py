"""Factories shared by every app's tests."""

import factory

from accounts.models import Membership, Organization, Region, User
from accounts.roles import OrgKind
from accounts.validators import make_credit_code, make_id_number

_ALNUM = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org_part(n: int) -> str:
    digits = []
    for _ in range(8):
        digits.append(_ALNUM[n % 31])
        n //= 31
    return "".join(reversed(digits))


def id_number_for(n: int, birth: str = "19850307", region: str = "440704") -> str:
    return make_id_number(f"{region}{birth}{n % 1000:03d}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrgKind.ENTERPRISE
    name = factory.Sequence(lambda n: f"测试单位{n}有限公司")
    region = factory.LazyFunction(lambda: Region.objects.get(code="440704"))
    credit_code = factory.Sequence(lambda n: make_credit_code("91", "440704", _org_part(1000 + n)))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"测试{'甲乙丙丁戊己庚辛'[n % 8]}{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-Anxun-2026")

    @factory.post_generation
    def id_number(self, create, extracted, **kwargs):
        if extracted:
            self.set_id_number(extracted)
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = "worker"
