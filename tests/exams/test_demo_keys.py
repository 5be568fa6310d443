"""The demo banks teach nothing wrong: single-choice keys spread evenly over the letters (a
chi-square bound), multiple-choice answers varied and never "every option"."""

from collections import Counter
from pathlib import Path

import pytest

from exams.demo import parse

DATA = sorted((Path(__file__).resolve().parents[2] / "exams" / "demo_data").glob("*.txt"))
CHI2_95 = {1: 3.84, 2: 5.99, 3: 7.81, 4: 9.49, 5: 11.07}  # chi-square at p = 0.05 by degrees of freedom


def _chi2(counts: Counter, letters: str) -> float:
    n = sum(counts[c] for c in letters)
    expected = n / len(letters)
    return sum((counts[c] - expected) ** 2 / expected for c in letters)


@pytest.mark.parametrize("path", DATA, ids=[p.stem for p in DATA])
def test_single_choice_keys_spread_evenly(path):
    rows = [r for r in parse(path) if r["type"] == "single"]
    assert len(rows) >= 12
    letters = "ABCD"
    assert all(len(r["options"]) == 4 for r in rows)
    counts = Counter(r["answer"] for r in rows)
    assert _chi2(counts, letters) < CHI2_95[len(letters) - 1], counts
    assert max(counts.values()) / len(rows) < 0.4, counts  # "always pick B" must not pay


def test_all_demo_single_choice_keys_together():
    counts = Counter(r["answer"] for p in DATA for r in parse(p) if r["type"] == "single")
    assert _chi2(counts, "ABCD") < CHI2_95[3], counts


@pytest.mark.parametrize("path", DATA, ids=[p.stem for p in DATA])
def test_multiple_choice_answers_are_varied(path):
    rows = [r for r in parse(path) if r["type"] == "multiple"]
    answers = Counter(r["answer"] for r in rows)
    assert len(answers) >= 4, answers
    assert max(answers.values()) / len(rows) <= 0.5, answers
    assert not any(len(r["answer"]) == len(r["options"]) for r in rows)  # never every option
    first_letters = Counter(r["answer"][0] for r in rows)
    assert first_letters["A"] < len(rows), first_letters  # not always starting at A
