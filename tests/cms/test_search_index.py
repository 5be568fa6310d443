"""The bigram index answers search exactly as the plain substring scan does."""

import datetime as dt
import random

import pytest

from cms.models import SearchDocument, search_bigrams
from cms.selectors import search, search_candidates

pytestmark = pytest.mark.django_db

WORDS = ["粉尘", "爆炸", "有限空间", "液氨", "制冷", "动火作业", "除尘器", "铝镁", "Dust", "LNG", "安全", "隐患",
         "重大事故", "作业", "检修", "中毒", "窒息", "GB 15577", "抛光", "冷库"]


@pytest.fixture
def docs():
    rng = random.Random(5)
    out = []
    for i in range(120):
        title = "".join(rng.sample(WORDS, 2))
        text = "，".join(rng.choice(WORDS) + rng.choice("的和与在") for _ in range(rng.randint(3, 30)))
        out.append(SearchDocument.objects.create(key=f"page:{i}", kind="x", title=title, text=text, url=f"/p/{i}/",
                                                 date=dt.date(2020, 1, 1) + dt.timedelta(days=i)))
    return out


QUERIES = ["粉尘", "粉尘爆", "有限空间", "限空", "dust", "DUST", "lng 作业", "安全 隐患", "冷库 检修 中毒",
           "15577", "gb", "尘", "的", "不存在的词", "爆炸，", "和液", "铝镁 窒息"]


@pytest.mark.parametrize("query", QUERIES)
def test_index_gives_the_same_results_as_the_scan(docs, query):
    with_index = [d.key for d in search(query)]
    scan = [d.key for d in search(query, use_index=False)]
    assert with_index == scan
    terms = query.split()
    assert set(search_candidates(terms).values_list("key", flat=True)) == \
        set(search_candidates(terms, use_index=False).values_list("key", flat=True))


def test_common_queries_find_documents(docs):
    assert search("粉尘")  # the comparison above is not between two empty lists
    assert search("lng 作业")


def test_grams_follow_edits(docs):
    doc = docs[0]
    SearchDocument.objects.update_or_create(key=doc.key, defaults={"title": "全新标题", "text": "氨压缩机房"})
    doc.refresh_from_db()
    assert " 压缩 " in doc.grams and " 全新 " in doc.grams
    assert doc.key in [d.key for d in search("氨压缩")]


def test_bigrams_skip_whitespace_and_fold_case():
    assert search_bigrams("Ab c", "粉尘") == {"ab", "粉尘"}


def test_ranking_and_case_folding():
    def doc(key, title, text, day):
        return SearchDocument.objects.create(key=key, kind="clause", title=title, text=text, url=f"/{key}/",
                                             date=dt.date(2024, 1, day))

    doc("a", "粉尘爆炸", "无关", 1)
    doc("b", "其他", "粉尘，" * 5, 2)
    doc("c", "其他", "粉尘", 3)
    doc("d", "其他", "粉尘", 4)
    doc("e", "DUST 防爆", "Dust collector", 5)
    found = search("粉尘")
    assert [d.key for d in found] == ["a", "b", "d", "c"]
    assert found[0].url == "/a/" and found[0].text == "无关" and found[0].kind == "clause"
    assert [d.key for d in search("dust")] == ["e"] and [d.key for d in search("dUsT 防爆")] == ["e"]
