"""Identity review on a phone: a worker uploads ID card and portrait with consent, the exam centre
confirms; no page is wider than the screen."""

import io

import pytest
from PIL import Image

from tests.e2e.conftest import login, logout

pytestmark = pytest.mark.e2e


def _png(path, colour):
    buf = io.BytesIO()
    Image.new("RGB", (480, 600), colour).save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return str(path)


def test_upload_and_review_at_phone_width(mobile_page, live_server, demo, shot, tmp_path):
    from accounts.models import IdentitySubmission, User

    page, base = mobile_page, live_server.url
    login(page, base, "newhire")
    page.goto(f"{base}/accounts/me/")
    page.click("a:has-text('上传身份证件和照片')")
    assert "个人信息处理说明" in page.content()
    page.set_input_files("input[name=id_front]", _png(tmp_path / "front.png", (220, 200, 180)))
    page.set_input_files("input[name=id_back]", _png(tmp_path / "back.png", (180, 200, 220)))
    page.set_input_files("input[name=portrait]", _png(tmp_path / "portrait.png", (200, 220, 180)))
    page.click("button:has-text('提交核验')")  # without the consent box: refused
    page.wait_for_load_state("networkidle")
    assert "请先阅读并同意个人信息处理说明" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "identity-upload-mobile")
    page.check("input[name=consent]")
    for part, colour in (("id_front", (220, 200, 180)), ("id_back", (180, 200, 220)), ("portrait", (200, 220, 180))):
        page.set_input_files(f"input[name={part}]", _png(tmp_path / f"{part}.png", colour))
    page.click("button:has-text('提交核验')")
    page.wait_for_load_state("networkidle")
    assert "材料待核验" in page.content()
    sub = IdentitySubmission.objects.get(person__username="newhire", status="pending")
    logout(page)

    login(page, base, "examiner")
    page.goto(f"{base}/accounts/identity/reviews/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(f"a[href='/accounts/identity/reviews/{sub.pk}/']")
    page.wait_for_load_state("networkidle")
    assert page.locator(".identity-photos img").count() == 3
    # each photo is served (fetched one by one: the test server's SQLite connection is shared by threads)
    for src in page.locator(".identity-photos img").evaluate_all("els => els.map(e => e.getAttribute('src'))"):
        answer = page.request.get(f"{base}{src}")
        assert answer.status == 200 and len(answer.body()) > 1000
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "identity-review-mobile")
    page.click("button:has-text('确认身份')")
    page.wait_for_load_state("networkidle")
    sub.refresh_from_db()
    assert sub.status == "verified" and User.objects.get(username="newhire").photo.name == sub.portrait.name
