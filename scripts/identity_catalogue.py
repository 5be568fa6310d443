"""Write the Simplified Chinese catalogue: every msgid of the project translated to itself.

Chinese is the source language, so zh-hans needs no translations; but a msgid that no catalogue
has makes gettext look through every catalogue Django merged for the language (Wagtail ships both
``zh`` and ``zh_Hans`` for each of its apps: about twenty catalogues and a dozen fallbacks), about
40 µs per lookup on every page. With each msgid present the lookup stops at the project's own
catalogue. Usage: identity_catalogue.py SOURCE.po OUT.po [WAGTAIL.tsv] (SOURCE: the English catalogue,
which holds every msgid).

WAGTAIL.tsv (locale/zh_Hans/wagtail.tsv): Chinese for the Wagtail admin strings that Wagtail's own
zh_Hans catalogues leave untranslated (a few hundred: the dashboard's "Pages created in", the search
box's "Search all pages…", the explorer's "Exploring" …), which Chinese editors would otherwise read
in English. Columns: domain (django / djangojs), msgctxt, msgid, msgid_plural, msgstr, with \\n, \\t
and \\\\ escaped. The django rows are appended to OUT.po (the project's catalogue is consulted before
Wagtail's), the djangojs rows go to djangojs.po beside it.
"""

import sys
from pathlib import Path

from fill_translations import quote, unquote

HEADER = '''msgid ""
msgstr ""
"Project-Id-Version: anxun\\n"
"PO-Revision-Date: 2026-12-07 00:00+0800\\n"
"Last-Translator: anxun\\n"
"Language-Team: zh_Hans\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Language: zh_Hans\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"
'''


def entries(text: str):
    """(msgctxt, msgid, msgid_plural) of every entry but the header."""
    for block in text.split("\n\n"):
        fields: dict[str, list[str]] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                if current:
                    fields[current].append(line)
                continue
            keyword = line.split(" ", 1)[0]
            current = keyword if keyword in ("msgctxt", "msgid", "msgid_plural") else None
            if current:
                fields[current] = [line.split(" ", 1)[1]]
        if "msgid" not in fields:
            continue
        msgid = unquote(fields["msgid"])
        if not msgid:
            continue
        yield (unquote(fields["msgctxt"]) if "msgctxt" in fields else None, msgid,
               unquote(fields["msgid_plural"]) if "msgid_plural" in fields else None)


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def wagtail_rows(path: str) -> dict[str, list[tuple]]:
    """{domain: [(msgctxt | None, msgid, msgid_plural | None, msgstr)]} from the Wagtail supplement."""
    rows: dict[str, list[tuple]] = {"django": [], "djangojs": []}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        domain, ctx, msgid, plural, msgstr = (_unescape(c) for c in line.split("\t"))
        rows[domain].append((ctx or None, msgid, plural or None, msgstr))
    return rows


def entry(context, msgid, plural, msgstr) -> str:
    lines = []
    if context is not None:
        lines.append(f"msgctxt {quote(context)}")
    lines.append(f"msgid {quote(msgid)}")
    if plural is None:
        lines.append(f"msgstr {quote(msgstr)}")
    else:
        lines += [f"msgid_plural {quote(plural)}", f"msgstr[0] {quote(msgstr)}"]
    return "\n".join(lines) + "\n"


def main(source: str, out: str, wagtail: str | None = None) -> None:
    parts = [HEADER]
    seen = set()
    for context, msgid, plural in entries(Path(source).read_text(encoding="utf-8")):
        seen.add((context, msgid))
        lines = []
        if context is not None:
            lines.append(f"msgctxt {quote(context)}")
        lines.append(f"msgid {quote(msgid)}")
        if plural is None:
            lines.append(f"msgstr {quote(msgid)}")
        else:
            lines += [f"msgid_plural {quote(plural)}", f"msgstr[0] {quote(plural)}"]
        parts.append("\n".join(lines) + "\n")
    extra = wagtail_rows(wagtail) if wagtail else {"django": [], "djangojs": []}
    parts += [entry(*row) for row in extra["django"] if (row[0], row[1]) not in seen]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("\n".join(parts), encoding="utf-8")
    if extra["djangojs"]:
        js = Path(out).with_name("djangojs.po")
        js.write_text("\n".join([HEADER] + [entry(*row) for row in extra["djangojs"]]), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
