"""Journey 2: the enterprise administrator checks a roster of special-operation workers, downloads
the report, and opens a certificate's public verification page through the QR code on its PDF."""

import io
import subprocess
from urllib.parse import urlsplit

import openpyxl
import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_journey]

ROSTER = [
    ("姓名", "身份证号", "操作项目"),
    ("王建国", "110101198503071235", "熔化焊接与热切割作业"),  # holds exactly this certificate
    ("李秀梅", "440704199002154027", "熔化焊接与热切割作业"),  # holds no certificate
    ("王建国", "110101198503071235", "低压电工作业"),  # certified, but for another operation
]


def _roster_xlsx(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    for row in ROSTER:
        ws.append(row)
    wb.save(path)
    return path


def _decode_qr(pdf: bytes, tmp_path) -> str:
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(tmp_path / "certificate.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    png = sorted(tmp_path.glob("page*.png"))[0]
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[0]


def test_ent_admin_checks_a_roster_downloads_the_report_and_verifies_by_qr(page, live_server, demo, shot, tmp_path):
    base = live_server.url
    login(page, base, "ent_admin")

    # 1. Upload the roster.
    page.goto(f"{base}/certificates/roster/")
    shot(page, "j2-01-roster-upload")
    page.set_input_files("input[type=file]", str(_roster_xlsx(tmp_path / "特种作业人员名单.xlsx")))
    page.click("button:has-text('开始核查')")
    page.wait_for_load_state("networkidle")
    assert "/certificates/roster/" in page.url and page.locator("h1").inner_text() == "持证核查结果"

    # 2. The report: one valid, one without certificate, one for the wrong operation; IDs masked.
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    statuses = [rows.nth(i).get_attribute("data-status") for i in range(3)]
    assert statuses == ["valid", "no_certificate", "wrong_operation"]
    body = page.locator("tbody").inner_text()
    assert "110101198503071235" not in body and "440704199002154027" not in body
    shot(page, "j2-02-roster-report")

    # 3. The Excel report says the same.
    with page.expect_download() as info:
        page.click("a:has-text('下载Excel结果')")
    download = info.value
    wb = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    sheet = list(wb.active.iter_rows(values_only=True))
    header = list(sheet[0])
    code = header.index("结果代码")
    assert [r[code] for r in sheet[1:] if r[0] is not None] == statuses
    assert not any("110101198503071235" in str(v) for r in sheet for v in r)

    # 4. The valid row's certificate: its PDF carries a QR code that opens the public verification page.
    page.goto(f"{base}/certificates/people/")
    shot(page, "j2-03-people-certificates")
    page.locator("tr", has_text="熔化焊接与热切割作业").filter(has_text="王建国").locator("a").first.click()
    page.wait_for_load_state("networkidle")
    shot(page, "j2-04-certificate-detail")
    pdf = page.request.get(base + page.locator("a:has-text('下载PDF证书')").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    url = _decode_qr(pdf.body(), tmp_path)
    parts = urlsplit(url)
    assert parts.path.startswith("/verify/")
    page.context.clear_cookies()  # the public, signed out, scans it
    page.goto(f"{base}{parts.path}?{parts.query}")
    text = page.locator("main").inner_text()
    assert "熔化焊接与热切割作业" in text
    assert "签名有效" in text and "证书状态： 有效" in text
    assert "王*国" in text and "王建国" not in text  # the public sees masked personal data only
    assert "110101198503071235" not in text
    shot(page, "j2-05-verify-by-qr")
