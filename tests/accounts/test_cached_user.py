"""The signed-in user's row comes from the cache, and every change to the user drops it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory


def _user_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if 'FROM "accounts_user"' in q["sql"]]


def test_signed_in_requests_read_the_user_from_the_cache(client, db):
    user = UserFactory(real_name="缓存用户")
    client.force_login(user)
    assert client.get("/accounts/me/").status_code == 200  # first request: read and cached
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/accounts/me/")
    assert page.status_code == 200 and "缓存用户" in page.content.decode()
    assert _user_queries(ctx) == []


def test_a_deactivated_user_is_out_on_the_next_request(client, db):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/accounts/me/").status_code == 200
    user.is_active = False
    user.save()
    response = client.get("/accounts/me/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_password_change_elsewhere_ends_the_session(client, db):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/accounts/me/").status_code == 200
    user.set_password("Another-passw0rd!")
    user.save()
    response = client.get("/accounts/me/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_renamed_user_shows_the_new_name_at_once(client, db):
    user = UserFactory(real_name="旧名字")
    client.force_login(user)
    assert "旧名字" in client.get("/accounts/me/").content.decode()
    user.real_name = "新名字"
    user.save(update_fields=["real_name"])
    assert "新名字" in client.get("/accounts/me/").content.decode()
