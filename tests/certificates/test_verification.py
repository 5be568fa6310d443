import datetime as dt
import logging
import re
import subprocess
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from certificates import signing
from certificates.models import VerificationLog
from certificates.pdf import render_certificate_pdf_bytes
from certificates.services import certificate_revoke

from .conftest import WELDER_ID

pytestmark = pytest.mark.django_db


def _qr_url_from_pdf(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "110", str(path), str(tmp_path / "page")], check=True)
    png = sorted(tmp_path.glob("page*.png"))[0]
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=True).stdout
    return out.strip()


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _assert_no_full_id(text: str):
    assert WELDER_ID not in text and "王建国" not in text


def test_pdf_is_chinese_text_with_a_qr_that_opens_the_live_status(issue, welder, client, tmp_path):
    c = issue(welder, valid_from=dt.date(2025, 9, 1))
    pdf = render_certificate_pdf_bytes(c)
    assert len(pdf) < 300 * 1024
    (tmp_path / "t.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True).stdout
    assert "特种作业操作证" in text and "熔化焊接与热切割作业" in text and "王建国" in text and c.number in text
    assert WELDER_ID not in text  # the national number is printed masked, as on the public page
    assert "T1101011985********" in text and "1235" not in text

    url = _qr_url_from_pdf(pdf, tmp_path)
    assert f"/verify/{c.verification_code}/?p=AXC1." in url
    resp = client.get(_local(url))
    body = resp.content.decode()
    assert resp.status_code == 200
    assert 'data-status="valid"' in body and "有效" in body and "王*国" in body
    assert 'data-signature="valid"' in body
    assert "1101011985********" in body and "T1101011985********" in body
    _assert_no_full_id(body)
    assert "no-store" in resp["Cache-Control"]


def test_revoked_certificate_qr_shows_revoked_in_red(issue, welder, officer, client, tmp_path):
    c = issue(welder, valid_from=dt.date(2025, 9, 1))
    url = _qr_url_from_pdf(render_certificate_pdf_bytes(c), tmp_path)  # the card printed before revocation
    certificate_revoke(category="fraud", actor=officer, certificate=c, reason="以欺骗手段取得证书")
    body = client.get(_local(url)).content.decode()
    assert 'data-status="revoked"' in body and "已撤销" in body and "badge bad" in body
    assert "以欺骗、贿赂等不正当手段取得证书" in body and "以欺骗手段取得证书" not in body


def test_altered_payload_is_reported_altered_on_page_and_command(issue, welder, client, capsys):
    c = issue(welder, valid_from=dt.date(2025, 9, 1))
    payload = signing.sign_certificate(c)
    prefix, body, sig = payload.split(".")
    import base64
    import json

    fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    fields["u"] = "2099-12-31"  # a forger extends the validity
    forged_body = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).rstrip(b"=").decode()
    forged = f"{prefix}.{forged_body}.{sig}"

    page = client.get(f"/verify/{c.verification_code}/", {"p": forged}).content.decode()
    assert 'data-signature="altered"' in page

    call_command("verify_certificate", payload)
    assert capsys.readouterr().out.splitlines()[0] == "valid"
    with pytest.raises(SystemExit):
        call_command("verify_certificate", forged)
    assert capsys.readouterr().out.splitlines()[0] == "altered"
    with pytest.raises(SystemExit):
        call_command("verify_certificate", payload[:-6] + "AAAAAA")
    assert capsys.readouterr().out.splitlines()[0] == "altered"


def test_unknown_when_signed_certificate_is_not_on_record(issue, welder, capsys):
    c = issue(welder)
    fields = signing.payload_fields(c)
    fields["n"] = "AX20240999991"
    with pytest.raises(SystemExit):
        call_command("verify_certificate", signing.sign_fields(fields))
    assert capsys.readouterr().out.splitlines()[0] == "unknown"


def test_offline_check_with_the_published_public_key(issue, welder, client):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    c = issue(welder)
    resp = client.get("/verify/public-key.pem")
    key = load_pem_public_key(resp.content)
    ok, fields = signing.check_signature(signing.sign_certificate(c), key=key)
    assert ok and fields["n"] == c.number and fields["h"] == "王*国"


def test_verify_by_code_and_by_name_and_number_and_national_number(issue, welder, client):
    c = issue(welder)
    r = client.post("/verify/", {"mode": "code", "c-code": c.verification_code.lower()})
    assert r.status_code == 200 and "王*国" in r.content.decode()
    r = client.post("/verify/", {"mode": "name", "n-name": "王建国", "n-number": c.number})
    assert r.status_code == 200 and c.number in r.content.decode()
    r = client.post("/verify/", {"mode": "name", "n-name": "王建国", "n-number": "T" + WELDER_ID})
    assert r.status_code == 200 and c.number in r.content.decode()
    _assert_no_full_id(r.content.decode())
    r = client.post("/verify/", {"mode": "name", "n-name": "王建军", "n-number": c.number})
    assert r.status_code == 404 and "未找到" in r.content.decode()
    r = client.post("/verify/", {"mode": "name", "n-name": "王建国", "n-number": c.number[:-1] + "0"})
    assert "校验位错误" in r.content.decode() or c.number.endswith("0")


def test_every_verification_is_logged_without_full_id(issue, welder, client, caplog):
    c = issue(welder)
    with caplog.at_level(logging.INFO, logger="anxun.verify"):
        client.post("/verify/", {"mode": "name", "n-name": "王建国", "n-number": "T" + WELDER_ID})
        client.get(f"/verify/{c.verification_code}/")
        client.get("/api/v1/certificates/verify/", {"code": c.verification_code})
    logs = list(VerificationLog.objects.all())
    assert len(logs) == 3 and all(log.found for log in logs)
    assert {log.channel for log in logs} == {"name_number", "code", "api"}
    stored = " ".join(f"{log.query} {log.client}" for log in logs)
    assert WELDER_ID not in stored and "王建国" not in stored and "127.0.0.1" not in stored
    assert "T110***********1235" in stored
    assert WELDER_ID not in caplog.text and "王建国" not in caplog.text


def test_rate_limited_per_client(issue, welder, client, settings):
    settings.ANXUN_VERIFY_RATE_LIMIT = 3
    c = issue(welder)
    codes = [client.get(f"/verify/{c.verification_code}/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    api = client.get("/api/v1/certificates/verify/", {"code": c.verification_code})
    assert api.status_code == 429 and api.json()["error"]["code"] == "throttled"
    other = client.get(f"/verify/{c.verification_code}/", REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200  # another client is not affected
    assert VerificationLog.objects.filter(rate_limited=True).count() == 2


def test_public_api_verify_is_masked_and_no_store(issue, welder, client):
    c = issue(welder)
    resp = client.get("/api/v1/certificates/verify/", {"code": c.verification_code})
    data = resp.json()
    assert resp.status_code == 200 and data["holder_name"] == "王*国" and data["id_number"] == "1101011985********"
    assert data["operation"] == "熔化焊接与热切割作业" and data["status"] in ("valid", "review_due", "review_overdue")
    assert "no-store" in resp["Cache-Control"]
    _assert_no_full_id(resp.content.decode())
    missing = client.get("/api/v1/certificates/verify/", {"code": "NOPE234567"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/certificates/verify/").status_code == 400


def test_public_pages_never_show_full_id(issue, welder, client):
    c = issue(welder)
    for resp in (client.get("/verify/"), client.get(f"/verify/{c.verification_code}/"),
                 client.post("/verify/", {"mode": "code", "c-code": c.verification_code})):
        body = resp.content.decode()
        _assert_no_full_id(body)
        assert not re.search(r"\d{17}[\dX]", body)
        assert "no-store" in resp["Cache-Control"]


def test_public_surfaces_show_region_and_birth_year_only(issue, welder, client):
    """Page (code and name + number), API and card: the ID number and the national number show the
    region code and birth year, never the check digit or the birth date."""
    from certificates.selectors import public_card

    c = issue(welder)
    card = public_card(c.verification_code)
    assert card["idn"] == "1101011985********" and card["nat"] == "T1101011985********"
    pages = [client.get(f"/verify/{c.verification_code}/").content.decode(),
             client.post("/verify/", {"mode": "name", "n-name": "王建国", "n-number": "T" + WELDER_ID}).content.decode(),
             client.get("/api/v1/certificates/verify/", {"code": c.verification_code}).content.decode()]
    for body in pages:
        assert "1101011985********" in body
        assert "1235" not in body and "0307" not in body and "1101**" not in body


def _pdf_text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "f.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", str(tmp_path / "f.pdf"), "-"], capture_output=True, text=True).stdout


def test_pdf_qr_and_footer_use_the_public_base_url(issue, welder, client, settings, tmp_path):
    settings.ANXUN_PUBLIC_BASE_URL = "https://anxun.example.cn"
    c = issue(welder, valid_from=dt.date(2025, 9, 1))
    pdf = render_certificate_pdf_bytes(c)  # as a worker renders it: no request
    assert _qr_url_from_pdf(pdf, tmp_path).startswith(f"https://anxun.example.cn/verify/{c.verification_code}/?p=AXC1.")
    text = _pdf_text(pdf, tmp_path)
    assert "https://anxun.example.cn/verify/" in text and "127.0.0.1" not in text
    # downloaded through another host name: still the configured public address
    client.force_login(welder)
    resp = client.get(f"/certificates/{c.pk}/pdf/", HTTP_HOST="localhost:8123")
    assert resp.status_code == 200
    downloaded = b"".join(resp.streaming_content)
    assert _qr_url_from_pdf(downloaded, tmp_path).startswith("https://anxun.example.cn/verify/")


def test_pdf_in_development_names_the_address_it_was_downloaded_from(issue, welder, client, settings, tmp_path):
    settings.ANXUN_PUBLIC_BASE_URL = ""
    c = issue(welder, valid_from=dt.date(2025, 9, 1))
    client.force_login(welder)
    resp = client.get(f"/certificates/{c.pk}/pdf/", HTTP_HOST="localhost:8123")
    pdf = b"".join(resp.streaming_content)
    url = _qr_url_from_pdf(pdf, tmp_path)
    assert url.startswith(f"http://localhost:8123/verify/{c.verification_code}/?p=AXC1."), url
    assert "http://localhost:8123/verify/" in _pdf_text(pdf, tmp_path)
    assert client.get(_local(url)).status_code == 200
