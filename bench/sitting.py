"""Anxun's side of the peer comparison over HTTP: parallel candidates, each answering their frozen
paper the way the question page does it (htmx autosave on click, then the next question)."""

from __future__ import annotations

import re

from bench import lib
from bench.peer import sitting_load

ACTION_RE = re.compile(r'hx-post="([^"]+/save/)"')
CHOICE_RE = re.compile(r'name="choice" value="([A-Z])"')
POSITION_RE = re.compile(r'/q/(\d+)/$')


def _first(client: lib.Client, entry: dict):
    client.attempt = entry["attempt"]
    client.position = 1
    return client.get(f"/exams/attempts/{entry['attempt']}/q/1/")


def _answer(client: lib.Client, page: bytes):
    html = page.decode()
    action, choice = ACTION_RE.search(html), CHOICE_RE.search(html)
    if not action or not choice:
        raise RuntimeError(f"no question on page: {html[:300]!r}")
    status, _, body = client.post(action.group(1), {"choice": choice.group(1), "clear": ""},
                                  headers={"HX-Request": "true"})
    if status != 200 or "已保存".encode() not in body:
        raise RuntimeError(f"autosave refused: {status} {body[:200]!r}")
    if 'value="overview"' in html:  # the last question: the paper is answered
        return None
    client.position += 1
    status, _, page = client.get(f"/exams/attempts/{client.attempt}/q/{client.position}/")
    if status != 200:
        raise RuntimeError(f"next question: {status}")
    return page


def throughput(base: str, prep: dict, *, seconds: float, candidates: int) -> dict:
    return sitting_load(base, prep["pool"], seconds=seconds, candidates=candidates, first=_first, answer=_answer)
