"""Anxun's side of the peer comparison over HTTP: parallel candidates, each answering their frozen
paper the way the exam page does it. The page carries the whole paper (the browser moves between
questions without page loads), so a sitting is one page load, then one htmx autosave per answer;
the page load happens inside the measured time."""

from __future__ import annotations

import re

from bench.peer import sitting_load

SECTION_SPLIT = '<section class="card exam-question"'
ACTION_RE = re.compile(r'hx-post="([^"]+/save/)"')
CHOICE_RE = re.compile(r'name="choice" value="([0-9a-f]{12})"')


def paper_items(html: str) -> list[tuple[str, str]]:
    """(autosave URL, first option's value) of every question on the exam page, in order."""
    items = []
    for chunk in html.split(SECTION_SPLIT)[1:]:
        action, choice = ACTION_RE.search(chunk), CHOICE_RE.search(chunk)
        if not action or not choice:
            raise RuntimeError(f"no question in section: {chunk[:300]!r}")
        items.append((action.group(1), choice.group(1)))
    if not items:
        raise RuntimeError(f"no questions on page: {html[:300]!r}")
    return items


def _first(client, entry: dict):
    status, headers, page = client.get(f"/exams/attempts/{entry['attempt']}/q/1/")
    if status == 200:
        client.items = paper_items(page.decode())
    return status, headers, b"paper"


def _answer(client, page: bytes):
    action, choice = client.items.pop(0)
    status, _, body = client.post(action, {"choice": choice, "clear": ""}, headers={"HX-Request": "true"})
    if status != 200 or "已保存".encode() not in body:
        raise RuntimeError(f"autosave refused: {status} {body[:200]!r}")
    return page if client.items else None


def throughput(base: str, prep: dict, *, seconds: float, candidates: int) -> dict:
    return sitting_load(base, prep["pool"], seconds=seconds, candidates=candidates, first=_first, answer=_answer)
