"""The English catalogue: every interface string has an English wording, none is left fuzzy (a
fuzzy entry is not compiled, so the English page would show the Chinese source), and the compiled
catalogue is the one the .po file gives."""

import gettext
import re
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries():
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        flags = " ".join(line for line in lines if line.startswith("#,"))
        body = [line for line in lines if not line.startswith("#")]
        text = "\n".join(body)
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', text, re.M)
        msgstrs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', text, re.M)
        if not msgid:
            continue
        unquote = lambda q: "".join(part[1:-1] for part in q.strip().splitlines())  # noqa: E731
        yield unquote(msgid.group(1)), [unquote(s) for s in msgstrs], "fuzzy" in flags


def test_every_string_has_an_english_wording_and_none_is_fuzzy():
    entries = [(mid, strs, fuzzy) for mid, strs, fuzzy in _entries() if mid]  # the header has an empty msgid
    assert len(entries) > 1000
    missing = [mid for mid, strs, _ in entries if not all(strs)]
    fuzzy = [mid for mid, _, is_fuzzy in entries if is_fuzzy]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_the_compiled_catalogue_matches():
    catalogue = gettext.GNUTranslations(open(PO.with_suffix(".mo"), "rb"))
    assert catalogue.gettext("已保存") == "Saved"
    assert catalogue.gettext("证书查验") != "证书查验"


def test_strings_marked_for_later_translation_are_in_the_catalogue():
    """Labels marked with ``N_`` (gettext_noop) are translated when shown; the catalogue's
    regeneration must collect them too, or they silently turn back into Chinese on English pages."""
    from cms.management.commands.makemessages import Command

    assert "--keyword=N_" in Command.xgettext_options
    root = PO.parents[3]
    marked = set()
    for source in root.glob("*/**/*.py"):
        if source.parts[len(root.parts)] in (".venv", "tests", "bench", "var", "node_modules"):
            continue
        text = source.read_text(encoding="utf-8")
        if "gettext_noop as N_" in text:
            marked |= set(re.findall(r'\bN_\("([^"]+)"\)', text))
    assert len(marked) > 5
    translated = {mid for mid, strs, _ in _entries() if mid and all(strs)}
    assert not sorted(marked - translated)


def test_the_chinese_catalogue_holds_every_msgid_so_lookups_stop_there():
    """zh-hans translates every project msgid to itself (scripts/identity_catalogue.py): a msgid no
    catalogue has would walk the twenty-odd catalogues and the fallbacks Wagtail's zh/zh_Hans bring."""
    from django.utils import translation

    def msgids(language):
        mo = PO.parents[2] / language / "LC_MESSAGES" / "django.mo"
        with mo.open("rb") as f:
            return {k if isinstance(k, str) else k[0] for k in gettext.GNUTranslations(f)._catalog} - {""}

    english, chinese = msgids("en"), msgids("zh_Hans")
    assert len(english) > 1000 and english <= chinese, sorted(english - chinese)[:5]
    with translation.override("zh-hans"):
        active = translation.trans_real._active.value
        assert "证书查验结果" in active._catalog and translation.gettext("证书查验结果") == "证书查验结果"
