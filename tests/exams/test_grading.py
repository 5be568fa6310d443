"""Grading rules, property-based: all-or-nothing, partial credit bounds and monotonicity."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from exams.grading import normalise_response, score_objective

KEYS = "ABCDEF"
letters = st.sets(st.sampled_from(KEYS), min_size=1, max_size=6)
points = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("20"), places=1)


@given(key=letters, resp=st.sets(st.sampled_from(KEYS), max_size=6), pts=points)
def test_multiple_all_or_nothing(key, resp, pts):
    s = score_objective(qtype="multiple", key="".join(key), response="".join(resp), points=pts, partial=False)
    assert s == (pts if resp == key else Decimal(0))


@given(key=letters, resp=st.sets(st.sampled_from(KEYS), max_size=6), pts=points)
def test_partial_credit_bounds(key, resp, pts):
    s = score_objective(qtype="multiple", key="".join(key), response="".join(resp), points=pts, partial=True)
    assert Decimal(0) <= s <= pts
    if resp == key:
        assert s == pts
    elif resp - key or not resp:
        assert s == 0  # any wrong option, or nothing chosen, earns nothing
    else:
        assert 0 <= s < pts  # a proper subset earns strictly less than full marks
        assert s == (pts * len(resp) / len(key)).quantize(Decimal("0.1"), rounding="ROUND_DOWN")


@given(key=st.sets(st.sampled_from(KEYS), min_size=2, max_size=6), pts=points, data=st.data())
def test_partial_credit_monotone(key, pts, data):
    """Choosing one more correct option never lowers the score."""
    ordered = sorted(key)
    k = data.draw(st.integers(min_value=1, max_value=len(ordered) - 1))
    small, bigger = ordered[:k], ordered[: k + 1]
    a = score_objective(qtype="multiple", key="".join(key), response="".join(small), points=pts, partial=True)
    b = score_objective(qtype="multiple", key="".join(key), response="".join(bigger), points=pts, partial=True)
    assert a <= b


@given(key=st.sampled_from("ABCD"), resp=st.text(alphabet="ABCDabcd ,", max_size=4), pts=points)
def test_single_choice(key, resp, pts):
    s = score_objective(qtype="single", key=key, response=resp, points=pts, partial=True)
    assert s == (pts if normalise_response(resp) == key else 0)


@given(resp=st.text(max_size=10))
def test_normalise_is_idempotent_and_sorted(resp):
    once = normalise_response(resp)
    assert normalise_response(once) == once
    assert list(once) == sorted(set(once))


def test_order_and_case_do_not_matter():
    assert score_objective(qtype="multiple", key="ACD", response="dca", points=Decimal(2)) == Decimal("2.0")
    assert score_objective(qtype="truefalse", key="T", response="F", points=Decimal(1)) == 0
