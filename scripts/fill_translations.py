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
    text = "".join(line.strip()[1:-1] for line in lines)
    return bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _fuzzy_flag_index(out: list[str], entry_start: int) -> int | None:
    """Index in ``out`` of the "#, ..." flags line of the entry whose msgid starts at entry_start, if fuzzy."""
    k = entry_start - 1
    while k >= 0 and out[k].startswith("#"):
        if out[k].startswith("#,") and "fuzzy" in [f.strip() for f in out[k][2:].split(",")]:
            return k
        k -= 1
    return None


def _drop_fuzzy(out: list[str], flag_index: int) -> None:
    """Remove the fuzzy flag and the "#|" previous-msgid lines msgmerge added with it."""
    end = flag_index + 1
    while end < len(out) and out[end].startswith("#|"):
        end += 1
    flags = [f.strip() for f in out[flag_index][2:].split(",") if f.strip() != "fuzzy"]
    out[flag_index:end] = ["#, " + ", ".join(flags)] if flags else []


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
                block.append(lines[j])
                j += 1
            msgid = unquote(block)
            out.extend(lines[i:j])
            if j < len(lines) and lines[j].startswith("msgstr ") and msgid:
                k = j + 1
                while k < len(lines) and lines[k].startswith('"'):
                    k += 1
                current = unquote([lines[j][7:], *lines[j + 1:k]])
                # msgmerge pre-fills new msgids with a similar string's translation and marks them
                # fuzzy; such a guess is not a translation, so the glossary wording replaces it.
                fuzzy = _fuzzy_flag_index(out, len(out) - (j - i))
                if (not current or fuzzy is not None) and msgid in glossary:
                    if fuzzy is not None:
                        _drop_fuzzy(out, fuzzy)
                    out.append("msgstr " + quote(glossary[msgid]))
                    filled += 1
                else:
                    out.extend(lines[j:k])
                    missing += 0 if current and fuzzy is None else 1
                i = k
                continue
            if j < len(lines) and lines[j].startswith("msgid_plural ") and msgid:
                # Plural entries cannot be filled from the one-form glossary; count them as missing.
                k = j + 1
                while k < len(lines) and (lines[k].startswith('"') or lines[k].startswith("msgstr[")):
                    if (lines[k].startswith("msgstr[") and lines[k].endswith(' ""')
                            and not (k + 1 < len(lines) and lines[k + 1].startswith('"'))):
                        missing += 1
                        break
                    k += 1
            i = j
            continue
        out.append(line)
        i += 1
    po_path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return filled, missing


if __name__ == "__main__":
    filled, missing = fill(Path(sys.argv[1]))
    print(f"filled {filled} translations; {missing} strings still untranslated")
