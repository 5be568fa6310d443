"""Browser tests: Playwright driving the system's Chromium against pytest-django's live server.

Screenshots of key pages are written to ``test-artifacts/screenshots/`` for people to look at.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test itself
# (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: run `make test` as root or `apt-get install chromium`.")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def mobile_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def shot():
    """shot(page, "journey-step") saves a full-page screenshot and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def demo(transactional_db):
    from django.core.management import call_command

    call_command("seed_demo", stdout=open(os.devnull, "w"))


def login(page, base_url: str, username: str, password: str = "anxun-demo-2026") -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def logout(page) -> None:
    """Sign out through the header's button (a POST, as Django requires), from any site page."""
    if page.locator(".user-box button:has-text('退出')").count() == 0:  # e.g. in the Wagtail admin
        scheme, _, host = page.url.split("/", 3)[:3]
        page.goto(f"{scheme}//{host}/")
    page.click(".user-box button:has-text('退出')")
    page.wait_for_load_state("networkidle")


def has_url(name: str) -> bool:
    """Whether a part of the product is installed (its named URL resolves). Journeys use it to end at
    the last step the installed parts support, instead of failing on a page that does not exist."""
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


# --- a browser whose camera shows a picture (Chromium's fake camera fed from a .y4m file) -----------

def write_y4m(image, path: Path, frames: int = 10, fps: int = 10) -> Path:
    """A still as a YUV4MPEG2 video (4:2:0, JPEG range), which Chromium loops as the camera."""
    width, height = image.size
    assert width % 2 == 0 and height % 2 == 0
    import numpy as np

    ycbcr = np.asarray(image.convert("RGB").convert("YCbCr"))

    def half(plane):
        return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)

    frame = b"FRAME\n" + ycbcr[:, :, 0].tobytes() + half(ycbcr[:, :, 1]).tobytes() + half(ycbcr[:, :, 2]).tobytes()
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(frame)
    return path


@pytest.fixture
def camera_page(browser, tmp_path):
    """camera_page(scene) → a page of a Chromium whose camera shows ``scene`` (a PIL image, even
    sides): its own browser process, since the fake camera is chosen when Chromium starts."""
    opened = []

    def _open(scene):
        video = write_y4m(scene, tmp_path / f"camera-{len(opened)}.y4m")
        camera_browser = browser.browser_type.launch(executable_path=chromium_path(), args=[
            *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"])
        opened.append(camera_browser)
        context = camera_browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                             viewport={"width": 1280, "height": 900})
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.set_default_timeout(20000)
        return page

    yield _open
    for camera_browser in opened:
        camera_browser.close()
