"""Write the Simplified Chinese catalogue: every msgid of the project translated to itself.

Chinese is the source language, so zh-hans needs no translations; but a msgid that no catalogue
has makes gettext look through every catalogue Django merged for the language (Wagtail ships both
``zh`` and ``zh_Hans`` for each of its apps: about twenty catalogues and a dozen fallbacks), about
40 µs per lookup on every page. With each msgid present the lookup stops at the project's own
catalogue. Usage: identity_catalogue.py SOURCE.po OUT.po (SOURCE: the English catalogue, which
holds every msgid).
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


def main(source: str, out: str) -> None:
    parts = [HEADER]
    for context, msgid, plural in entries(Path(source).read_text(encoding="utf-8")):
        lines = []
        if context is not None:
            lines.append(f"msgctxt {quote(context)}")
        lines.append(f"msgid {quote(msgid)}")
        if plural is None:
            lines.append(f"msgstr {quote(msgid)}")
        else:
            lines += [f"msgid_plural {quote(plural)}", f"msgstr[0] {quote(plural)}"]
        parts.append("\n".join(lines) + "\n")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
