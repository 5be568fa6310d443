import pytest
from django.db import connection
from django.template import Context, Template

from accounts import pii
from accounts.models import User
from accounts.roles import Role
from tests.factories import UserFactory


def test_mask_id_and_name():
    assert pii.mask_id("110101198503071235") == "1101**********1235"
    assert pii.mask_id("T110101198503071235") == "T110***********1235"
    assert pii.mask_name("王建国") == "王*国"
    assert pii.mask_name("李梅") == "李*"
    assert pii.mask_name("欧阳小明") == "欧**明"
    assert pii.mask_phone("13812345678") == "138****5678"


def test_encryption_round_trip_and_keyed_hash():
    token = pii.encrypt("110101198503071235")
    assert "110101198503071235" not in token
    assert pii.decrypt(token) == "110101198503071235"
    assert pii.keyed_hash("110101198503071235") == pii.keyed_hash("110101198503071235 ")
    assert pii.keyed_hash("110101198503071235") != pii.keyed_hash("445221198801013318")


@pytest.mark.django_db
def test_id_number_is_encrypted_at_rest_and_found_by_hash():
    user = UserFactory(id_number="110101198503071235")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_encrypted, id_number_hash FROM accounts_user WHERE id = %s", [user.pk])
        encrypted, digest = cursor.fetchone()
    assert "110101198503071235" not in encrypted and "110101198503071235" not in digest
    assert User.objects.by_id_number("110101198503071235").get() == user
    assert user.masked_id_number == "1101**********1235"


@pytest.mark.django_db
def test_show_id_tag_masks_for_others(make_member):
    welder = make_member(Role.WORKER, id_number="110101198503071235", real_name="王建国")
    other = make_member(Role.WORKER)
    tpl = Template("{% show_id viewer person %}|{{ person|masked_name }}")
    assert tpl.render(Context({"viewer": welder, "person": welder})) == "110101198503071235|王*国"
    assert tpl.render(Context({"viewer": other, "person": welder})) == "1101**********1235|王*国"


def test_public_id_mask_shows_region_and_birth_year_only():
    assert pii.mask_id_public("110101198503071235") == "1101011985********"
    assert pii.mask_id_public("11010119850307123x") == "1101011985********"
    assert pii.mask_id_public("T110101198503071235") == "T1101011985********"
    assert pii.mask_id_public("110101850307123") == "11010185*******"  # old 15-digit number
    # nothing recognisable: no digit at all (never the last one, which may be a check digit)
    assert pii.mask_id_public("A1234567") == "********"
    assert pii.mask_id_public("") == ""
    # the internal mask for staff pages is unchanged
    assert pii.mask_id("110101198503071235") == "1101**********1235"
