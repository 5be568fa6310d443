"""ID numbers, credit codes and phone numbers as people type them in Excel and in forms."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import (
    make_credit_code, make_id_number, normalize_identifier, validate_credit_code, validate_id_number, validate_phone,
)

ID = "110101198503071235"
assert make_id_number(ID[:17]) == ID
EXCEL_ID = "身份证号被 Excel 存为数字，末几位已丢失，请将该列设为文本后重新填写"


@pytest.mark.parametrize("cell", [110101198503071200, 110101198503071235, 1.10101198503071e17, 1.101011985030712e17,
                                  "1.10101198503071E+17", "1.10101E+17"])
def test_a_numeric_id_cell_is_refused_never_turned_into_digits(cell):
    with pytest.raises(ValidationError) as info:
        validate_id_number(cell)
    assert info.value.messages == [EXCEL_ID]


def test_the_excel_damaged_number_would_otherwise_pass_the_check_digit():
    # the very reason for refusing numbers: the damaged number is another valid-looking person
    assert validate_id_number("110101198503071200") == "110101198503071200"


@pytest.mark.parametrize("typed", ["１１０１０１１９８５０３０７１２３５", " 110101 1985 0307 1235 ", "110101\u3000198503071235",
                                   "\u200b110101198503071235"])
def test_full_width_digits_and_spaces_are_normalised(typed):
    assert validate_id_number(typed) == ID


def test_lower_case_and_full_width_x():
    number = next(n for n in (make_id_number(f"110101198503071{i:02d}") for i in range(100)) if n.endswith("X"))
    assert validate_id_number(number.lower()) == number
    assert validate_id_number(number[:-1] + "Ｘ") == number
    assert validate_id_number(number[:-1] + "ｘ") == number


def test_non_ascii_digits_are_not_digits():
    with pytest.raises(ValidationError):
        validate_id_number("١١٠١٠١١٩٨٥٠٣٠٧١٢٣٥")  # Arabic-Indic digits stay invalid


def test_credit_codes():
    code = make_credit_code("91", "440704", "MA4W1234")
    assert validate_credit_code(" ".join(code.lower())) == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert validate_credit_code(full_width) == code
    with pytest.raises(ValidationError, match="统一社会信用代码被 Excel 存为数字"):
        validate_credit_code(914407041234567890)
    with pytest.raises(ValidationError, match="统一社会信用代码被 Excel 存为数字"):
        validate_credit_code("9.14407041234568E+17")


def test_phone_numbers():
    assert validate_phone("１３８ ００１３ ８０００") == "13800138000"
    assert validate_phone("+86 138-0013-8000") == "13800138000"
    assert validate_phone(13800138000) == "13800138000"  # 11 digits survive Excel intact
    assert validate_phone(13800138000.0) == "13800138000"
    with pytest.raises(ValidationError, match="手机号被 Excel 存为数字"):
        validate_phone("1.38001E+10")
    with pytest.raises(ValidationError, match="11位手机号码"):
        validate_phone("2380013800")


def test_normalisation_is_one_function():
    assert normalize_identifier("ａｂ　ｃ\u200b 1") == "ABC1"


def test_profile_form_accepts_full_width_phone():
    from accounts.forms import ProfileForm

    form = ProfileForm(data={"phone": "１３８００１３８０００", "email": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "13800138000"


@pytest.mark.django_db
def test_imports_and_roster_refuse_a_numeric_id_cell_with_the_row_message():
    import io
    from decimal import Decimal

    from openpyxl import Workbook

    from certificates.imports import certificate_import
    from certificates.roster import check_rows
    from core.tables import read_rows
    from courses.imports import HEADERS, parse_attendance

    wb = Workbook()
    wb.active.append(HEADERS)
    wb.active.append(["张三", 110101198503071235, "是", 8, ""])
    buf = io.BytesIO()
    wb.save(buf)
    rows = read_rows(buf.getvalue(), filename="a.xlsx")
    assert isinstance(rows[1][1][1], (int, float))  # the reader keeps the cell's type
    result = parse_attendance(io.BytesIO(buf.getvalue()), session_hours=Decimal("8"))
    assert not result.ok and result.report[0].errors == [EXCEL_ID]
    results, _summary = check_rows([{"name": "张三", "id_number": 110101198503071200, "operation": "weld-fusion", "_row": 2}])
    assert results[0]["status"] == "invalid_id" and results[0]["message"] == EXCEL_ID
    report = certificate_import(officer=None, rows=[{"name": "张三", "id_number": 1.10101198503071e17, "_row": 2}],
                                dry_run=True)
    assert not report.ok and EXCEL_ID in report.rows[0]["messages"]


@pytest.mark.django_db
def test_roster_api_refuses_a_json_number(client, make_member):
    from accounts.roles import Role
    from tests.courses.helpers import enterprise

    client.force_login(make_member(Role.ENT_ADMIN, enterprise()))
    r = client.post("/api/v1/roster-checks/", {"rows": [{"name": "张三", "id_number": 110101198503071200,
                                                         "operation": "weld-fusion"}]}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["rows"][0]["status"] == "invalid_id" and r.json()["rows"][0]["message"] == EXCEL_ID
