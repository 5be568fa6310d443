import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import (
    id_birth_date, id_gender, make_credit_code, validate_credit_code, validate_id_number,
)


@pytest.mark.parametrize("number", ["445221198801013318", "110101198503071235", "440704199002154027",
                                    "11010519491231002X"])
def test_valid_id_numbers(number):
    assert validate_id_number(number) == number


def test_lower_case_x_is_accepted_and_normalised():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert validate_id_number(" 110101198503071235 ") == "110101198503071235"


@pytest.mark.parametrize("number, code", [
    ("110101198503071234", "id_check_digit"),      # last digit should be 5
    ("11010119850307123", "id_length"),
    ("1101011985030712350", "id_length"),
    ("110101198502301238", "id_birth_date"),      # 30 February
    ("110101209901011234", "id_birth_date"),      # in the future
    ("11010119850307123A", "id_format"),
    ("000101198503071235", "id_region"),
])
def test_invalid_id_numbers(number, code):
    with pytest.raises(ValidationError) as err:
        validate_id_number(number)
    assert err.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)  # Chinese message


def test_wrong_check_digit_message_is_clear():
    with pytest.raises(ValidationError) as err:
        validate_id_number("445221198801013319")
    assert "校验位" in err.value.message


def test_birth_date_and_gender():
    assert id_birth_date("110101198503071235") == dt.date(1985, 3, 7)
    assert id_gender("110101198503071235") == "M"   # 3 is odd
    assert id_gender("440704199002154027") == "F"   # 2 is even


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91440703MA4UP6J053"])
def test_valid_credit_codes(code):
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code


@pytest.mark.parametrize("code, err_code", [
    ("91350100M000100Y44", "uscc_check"),
    ("91350100M000100Y4", "uscc_length"),
    ("91350100M0001O0Y43", "uscc_charset"),       # letter O is never used
    ("91ABCDEFM000100Y43", "uscc_region"),
])
def test_invalid_credit_codes(code, err_code):
    with pytest.raises(ValidationError) as err:
        validate_credit_code(code)
    assert err.value.code == err_code


def test_make_credit_code_round_trips():
    code = make_credit_code("91", "440704", "MA51XK3R")
    assert validate_credit_code(code) == code
