"""Validation of Chinese identifiers real users type every day.

* Resident identity card numbers (公民身份号码), GB 11643-1999: 17 digits + check character
  (ISO 7064 MOD 11-2), with a real birth date.
* Unified social credit codes (统一社会信用代码), GB 32100-2015: 18 characters from a 31-symbol
  alphabet, check character MOD 31, with the embedded organisation code (GB 11714) check digit.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# Province-level division codes (first two digits) that exist on resident ID cards.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83 91".split()
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORGCODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORGCODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


_ID_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
_mul = int.__mul__


def id_check_char(first17: str) -> str:
    total = sum(map(_mul, map(int, first17), ID_WEIGHTS))  # a roster check computes 10,000 of these
    return ID_CHECK[total % 11]


# What Excel shows for a long number stored as a number: 1.10101198503071E+17
_SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d*)?E[+-]?\d+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def normalize_identifier(value) -> str:
    """Identifiers as people type them: full-width digits and letters (１２３…Ｘ) become ASCII, every
    space (inner, full-width, invisible) goes, letters are upper case. The one normalisation for
    ID numbers, credit codes and phone numbers, in forms, imports and the API alike."""
    text = unicodedata.normalize("NFKC", str(value or "")).translate(_INVISIBLE)
    return "".join(text.split()).upper()


def _refuse_excel_number(value, message: str, code: str) -> None:
    """A numeric cell (or its text form 1.1E+17) has lost its last digits: refuse, never rebuild it."""
    if _is_number(value) or _SCIENTIFIC.fullmatch(normalize_identifier(value)):
        raise ValidationError(message, code=code)


def normalize_id_number(value) -> str:
    return normalize_identifier(value)


def validate_id_number(value, *, today: dt.date | None = None) -> str:
    """Return the normalised ID number or raise ValidationError with a Chinese message.

    ``value`` may be a spreadsheet cell: a number there is refused (Excel keeps 15 significant digits)."""
    _refuse_excel_number(value, _("身份证号被 Excel 存为数字，末几位已丢失，请将该列设为文本后重新填写"), "id_excel_number")
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("身份证号码应为18位，当前为%(n)d位。") % {"n": len(number)}, code="id_length"
        )
    if not _ID_FORMAT.fullmatch(number):
        raise ValidationError(_("身份证号码前17位须为数字，最后一位为数字或X。"), code="id_format")
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(_("身份证号码的地址码无效（前两位不是有效的省级行政区划代码）。"), code="id_region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="id_birth_date") from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="id_birth_date")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验位错误，请核对后重新输入。"), code="id_check_digit")
    return number


def id_birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_gender(number: str) -> str:
    """'M' or 'F' from the sequence code (odd = male)."""
    return "M" if int(number[16]) % 2 else "F"


def orgcode_check_char(first8: str) -> str:
    total = sum(ORGCODE_ALPHABET.index(c) * w for c, w in zip(first8, ORGCODE_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value) -> str:
    """Return the normalised unified social credit code or raise ValidationError."""
    _refuse_excel_number(value, _("统一社会信用代码被 Excel 存为数字，末几位已丢失，请将该列设为文本后重新填写"),
                         "uscc_excel_number")
    code = normalize_identifier(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)d位。") % {"n": len(code)}, code="uscc_length"
        )
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用I、O、Z、S、V）。") % {"chars": "、".join(bad)},
            code="uscc_charset",
        )
    if not code[2:8].isascii() or not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第3至8位应为行政区划代码。"), code="uscc_region")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位错误，请核对后重新输入。"), code="uscc_check")
    if orgcode_check_char(code[8:16]) != code[16]:
        raise ValidationError(_("统一社会信用代码中的组织机构代码校验位错误。"), code="uscc_orgcode_check")
    return code


_PHONE = re.compile(r"1\d{10}")


def validate_phone(value) -> str:
    """Return a mainland mobile number as 11 ASCII digits or raise ValidationError.

    Full-width digits, spaces, hyphens and a +86 prefix are accepted. A numeric spreadsheet cell keeps
    all 11 digits (Excel is exact up to 15), so an integral number is accepted; 1.38E+10 is refused."""
    if _is_number(value) and (value != int(value) or abs(value) >= 10**15):
        raise ValidationError(_("手机号被 Excel 存为数字，末几位已丢失，请将该列设为文本后重新填写"), code="phone_excel_number")
    if _is_number(value):
        value = str(int(value))
    _refuse_excel_number(value, _("手机号被 Excel 存为数字，末几位已丢失，请将该列设为文本后重新填写"), "phone_excel_number")
    phone = normalize_identifier(value).replace("-", "").replace("(", "").replace(")", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif len(phone) == 13 and phone.startswith("86"):
        phone = phone[2:]
    if not _PHONE.fullmatch(phone):
        raise ValidationError(_("请输入11位手机号码。"), code="phone_format")
    return phone


def make_credit_code(prefix2: str, region6: str, org8: str) -> str:
    """Build a valid code from its parts (used by demo data and tests)."""
    body = prefix2 + region6 + org8 + orgcode_check_char(org8)
    return body + uscc_check_char(body)


def make_id_number(first17: str) -> str:
    return first17 + id_check_char(first17)
