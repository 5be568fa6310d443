"""Fill empty msgstr entries of a .po file from locale/<lang>/glossary.tsv ("中文<TAB>English" lines).

Chinese is the source language; the glossary is the one place English wording is kept, so the
catalogue can be regenerated at any time without losing translations.
"""

import sys
from pathlib import Path


def load_glossary(path: Path) -> dict[str, str]:
    table = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "\t" in line and not line.startswith("#"):
                zh, en = line.split("\t", 1)
                table[zh.replace("\\n", "\n")] = en.replace("\\n", "\n")
    return table


def unquote(lines: list[str]) -> str:
    text = "".join(l.strip()[1:-1] for l in lines)
    return bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fill(po_path: Path) -> tuple[int, int]:
    glossary = load_glossary(po_path.parent.parent / "glossary.tsv")
    out, lines, i = [], po_path.read_text(encoding="utf-8").splitlines(), 0
    filled = missing = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("msgid ") and not line.startswith('msgid ""\n') and i + 1 < len(lines):
            block = [line[6:]]
            j = i + 1
            while j < len(lines) and lines[j].startswith('"'):
                block.append(lines[j]); j += 1
            msgid = unquote(block)
            out.extend(lines[i:j])
            if j < len(lines) and lines[j].startswith("msgstr ") and msgid:
                k = j + 1
                while k < len(lines) and lines[k].startswith('"'):
                    k += 1
                current = unquote([lines[j][7:], *lines[j + 1:k]])
                if not current and msgid in glossary:
                    out.append("msgstr " + quote(glossary[msgid])); filled += 1
                else:
                    out.extend(lines[j:k]); missing += 0 if current else 1
                i = k
                continue
            i = j
            continue
        out.append(line)
        i += 1
    po_path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return filled, missing


if __name__ == "__main__":
    filled, missing = fill(Path(sys.argv[1]))
    print(f"filled {filled} translations; {missing} strings still untranslated")
