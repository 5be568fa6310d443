"""Paper drawing: random, no duplicates, respects type/tags/difficulty, frozen, and fast."""

import io
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from exams import services
from exams.models import Attempt, AttemptItem, Question, QuestionBank
from tests.exams.conftest import add_questions


def test_draw_respects_sections_without_duplicates(blueprint, testing_bank):
    drawn = services.draw_paper(blueprint=blueprint, bank=testing_bank, rng=random.Random(1))
    ids = [qid for _s, qid in drawn]
    assert len(ids) == len(set(ids)) == 25
    types = dict(Question.objects.filter(pk__in=ids).values_list("id", "type"))
    for section, qid in drawn:
        assert types[qid] == section.question_type
    # different seeds, different papers
    other = [qid for _s, qid in services.draw_paper(blueprint=blueprint, bank=testing_bank, rng=random.Random(2))]
    assert other != ids


def test_draw_respects_tags_and_difficulty(centre, tag, special_kind):
    bank = QuestionBank.objects.create(code="tags", name="标签题库", kind="testing", owner=centre)
    tagged = add_questions(bank, 6, "single", prefix="有标签", tags=[tag], difficulty=4)
    add_questions(bank, 30, "single", prefix="无标签", difficulty=4)
    add_questions(bank, 30, "single", prefix="太易", difficulty=1, tags=[tag])
    bp = services.blueprint_save(actor=None, owner=centre, code="bp-tags", name="标签", bank=bank, sections=[
        services.SectionSpec("接地", "single", 6, Decimal(5), tags=(tag.code,), difficulty_min=3, difficulty_max=5)])
    for seed in range(5):
        ids = {qid for _s, qid in services.draw_paper(blueprint=bp, bank=bank, rng=random.Random(seed))}
        assert ids == {q.pk for q in tagged}
    bp.sections.update(count=7)
    with pytest.raises(services.ExamError, match="不足"):
        services.draw_paper(blueprint=bp, bank=bank)


def test_retired_and_old_versions_are_never_drawn(blueprint, testing_bank):
    retired = Question.objects.filter(bank=testing_bank, type="single").first()
    services.question_retire(actor=None, question=retired, reason="表述过时")
    for seed in range(10):
        ids = {qid for _s, qid in services.draw_paper(blueprint=blueprint, bank=testing_bank, rng=random.Random(seed))}
        assert retired.pk not in ids


@pytest.mark.django_db
def test_drawing_from_20000_questions_takes_few_queries(centre):
    bank = QuestionBank.objects.create(code="big", name="大题库", kind="testing", owner=centre)
    add_questions(bank, 12000, "single")
    add_questions(bank, 4000, "multiple")
    add_questions(bank, 4000, "truefalse")
    bp = services.blueprint_save(actor=None, owner=centre, code="bp-big", name="大", bank=bank, sections=[
        services.SectionSpec("单选", "single", 60, Decimal(1)), services.SectionSpec("多选", "multiple", 20, Decimal(1)),
        services.SectionSpec("判断", "truefalse", 20, Decimal(1))])
    with CaptureQueriesContext(connection) as ctx:
        drawn = services.draw_paper(blueprint=bp, bank=bank)
    assert len(drawn) == 100 and len({q for _s, q in drawn}) == 100
    assert len(ctx.captured_queries) <= 5
    assert not any("RANDOM" in q["sql"].upper() for q in ctx.captured_queries)


def test_paper_is_frozen_with_option_order(registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("question"))
    assert len(items) == 25 and attempt.max_score == Decimal(100)
    assert attempt.pass_mark == Decimal(80)  # from the certificate kind, as data
    for item in items:
        if item.question.type in ("single", "multiple"):
            assert sorted(item.option_order) == sorted(o["key"] for o in item.question.options)
    # Editing a used question creates a new version; the paper keeps the old one.
    used = items[0].question
    new = services.question_update(actor=None, question=used, stem=used.stem + "（修订）")
    assert new.pk != used.pk and new.version == used.version + 1 and new.lineage == used.lineage
    items[0].refresh_from_db()
    assert items[0].question_id == used.pk
    used.refresh_from_db()
    assert not used.is_current and new.is_current


def test_editing_an_unused_question_changes_it_in_place(testing_bank):
    q = Question.objects.filter(bank=testing_bank, type="single").first()
    same = services.question_update(actor=None, question=q, explanation="新的解析")
    assert same.pk == q.pk and same.version == 1 and same.explanation == "新的解析"


def test_attempt_count_and_mode(registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    assert attempt.mode == Attempt.Mode.EXAM and attempt.number == 1


def _pool_ids(bank, qtype="single", tags=frozenset()):
    from exams import pools

    return set(pools.pool_for(bank.pk).select(qtype, 1, 5, frozenset(tags))[0])


def test_the_cached_pool_follows_every_change_to_the_bank(centre, tag):
    """Papers come from a cached pool; each way a bank changes must reach the next draw."""
    from exams.importer import import_questions

    bank = QuestionBank.objects.create(code="live", name="在用题库", kind="testing", owner=centre)
    first = add_questions(bank, 5, "single", prefix="原有")
    assert _pool_ids(bank) == {q.pk for q in first}  # warm: built and cached

    # retired: gone; restored: back
    services.question_retire(actor=None, question=first[0], reason="表述过时")
    assert first[0].pk not in _pool_ids(bank)
    services.question_restore(actor=None, question=first[0])
    assert first[0].pk in _pool_ids(bank)

    # written one by one in the back office
    new = services.question_create(actor=None, bank=bank, qtype="single", stem="新增：接地电阻的测量周期？",
                                   options=[{"key": k, "text": f"选项{k}"} for k in "ABCD"], answer="B")
    assert new.pk in _pool_ids(bank)

    # edited in place (not yet used in any paper)
    edited = services.question_update(actor=None, question=first[1], stem="原有：修改后的题干？")
    assert edited.pk == first[1].pk and edited.pk in _pool_ids(bank)

    # knowledge tags added: the tagged section sees the question
    assert _pool_ids(bank, tags={tag.pk}) == set()
    first[2].tags.add(tag)
    assert _pool_ids(bank, tags={tag.pk}) == {first[2].pk}
    tag.questions.remove(first[2])  # from the tag's side
    assert _pool_ids(bank, tags={tag.pk}) == set()

    # imported in bulk from a spreadsheet
    wb = Workbook()
    wb.active.append(["type", "stem", "option_a", "option_b", "option_c", "option_d", "answer"])
    wb.active.append(["single", "导入：剩余电流保护装置应每月试验几次？", "一次", "两次", "三次", "四次", "A"])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_questions(actor=None, bank=bank, data=buf.getvalue(), filename="q.xlsx")
    assert report.ok and report.created == 1, report
    imported = Question.objects.get(bank=bank, stem__startswith="导入：")
    assert imported.pk in _pool_ids(bank)


def test_a_warm_draw_does_not_read_the_questions(blueprint, testing_bank):
    services.draw_paper(blueprint=blueprint, bank=testing_bank)  # builds the pool
    with CaptureQueriesContext(connection) as ctx:
        drawn = services.draw_paper(blueprint=blueprint, bank=testing_bank)
    assert len(drawn) == 25
    assert len(ctx.captured_queries) <= 3
    assert not any('"exams_question"' in q["sql"] for q in ctx.captured_queries), ctx.captured_queries


def test_sections_sharing_candidates_never_repeat_a_question(centre):
    """Two sections over the same questions: the second draws only from what the first left."""
    bank = QuestionBank.objects.create(code="overlap", name="重叠题库", kind="testing", owner=centre)
    add_questions(bank, 12, "single")
    bp = services.blueprint_save(actor=None, owner=centre, code="bp-overlap", name="重叠", bank=bank, sections=[
        services.SectionSpec("甲", "single", 7, Decimal(1)), services.SectionSpec("乙", "single", 5, Decimal(1))])
    seen_in_second: set[int] = set()
    for seed in range(40):
        drawn = services.draw_paper(blueprint=bp, bank=bank, rng=random.Random(seed))
        ids = [qid for _s, qid in drawn]
        assert len(ids) == len(set(ids)) == 12
        seen_in_second |= {qid for s, qid in drawn if s.title == "乙"}
    assert len(seen_in_second) == 12  # every question can land in either section
    bp.sections.filter(title="乙").update(count=6)
    with pytest.raises(services.ExamError, match="只有 5 道"):
        services.draw_paper(blueprint=bp, bank=bank)


def test_editing_a_question_used_in_a_paper_swaps_versions_in_the_pool(registration, candidate, testing_bank):
    attempt = services.attempt_start(user=candidate, registration=registration, ip="127.0.0.1")
    old = attempt.items.filter(question__type="single").first().question
    assert old.pk in _pool_ids(testing_bank)
    new = services.question_update(actor=None, question=old, stem="修改后的题干：漏电保护器的作用是？")
    assert new.pk != old.pk
    assert new.pk in _pool_ids(testing_bank) and old.pk not in _pool_ids(testing_bank)


def test_exam_pages_read_the_frozen_paper_once(client, registration, candidate, django_assert_max_num_queries):
    """Question pages and autosaves stay at a few queries: the paper comes from the cache after the
    first page, and the signed-in user from the cache too."""
    import re

    attempt = services.attempt_start(user=candidate, registration=registration, ip="127.0.0.1")
    client.force_login(candidate)
    base = f"/exams/attempts/{attempt.pk}"
    first = client.get(f"{base}/q/1/")
    assert first.status_code == 200
    html = first.content.decode()
    action = re.search(r'hx-post="([^"]+/save/)"', html).group(1)
    choice = re.search(r'name="choice" value="([0-9a-f]{12})"', html).group(1)
    with django_assert_max_num_queries(3):  # session, item with attempt and session, upsert
        saved = client.post(action, {"choice": choice}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and "已保存" in saved.content.decode()
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(f"{base}/q/2/")
    assert page.status_code == 200
    assert len(ctx.captured_queries) <= 3, [q["sql"][:120] for q in ctx.captured_queries]
    assert not any('"exams_question"' in q["sql"] for q in ctx.captured_queries)
    # the answer sheet shows question 1 answered, question 2 current
    sheet = page.content.decode()
    assert re.search(rf'href="{base}/q/1/" data-position="1" class="answered"', sheet)
    assert re.search(rf'href="{base}/q/2/" data-position="2" class="current"[^>]*aria-current="true"', sheet)
    assert sheet.count(f'href="{base}/q/') >= attempt.items.count()


def test_the_candidates_paper_follows_the_frozen_option_order_and_never_carries_the_key(registration, candidate):
    from exams.selectors import frozen_paper

    attempt = services.attempt_start(user=candidate, registration=registration, ip="127.0.0.1")
    first = attempt.items.select_related("question").order_by("position").first()
    Question.objects.filter(pk=first.question_id).update(image="exams/questions/2026/diagram.png")
    paper = frozen_paper(attempt)
    items = {i.pk: i for i in attempt.items.select_related("question")}
    assert [e["position"] for e in paper] == sorted(i.position for i in items.values())
    # the stem image through the view that checks who asks, never the storage's own URL
    assert paper[0]["image"] == f"/exams/questions/{first.question_id}/image/"
    for entry in paper:
        item = items[entry["id"]]
        q = item.question
        assert entry["stem"] == q.stem and entry["type"] == q.type and entry["points"] == item.points
        assert "answer" not in entry and "explanation" not in entry
        values = [o["value"] for o in entry["options"]]
        tokens = item.token_map()
        if q.type != "essay":  # every option's value is the paper's opaque token, never a letter
            assert values == item.tokens_for(item.option_order) and all(len(v) == 12 for v in values)
            keys = [tokens[v] for v in values]
        if q.type == "truefalse":
            assert keys == list(item.option_order) and sorted(keys) == ["F", "T"]
            assert [o["label"] for o in entry["options"]] == ["√" if k == "T" else "×" for k in keys]
        elif q.type != "essay":
            assert keys == list(item.option_order)
            assert [o["label"] for o in entry["options"]] == list("ABCDEF"[:len(values)])
            texts = {o["key"]: o["text"] for o in q.options}
            assert [o["text"] for o in entry["options"]] == [texts[k] for k in keys]
    assert {e["type"] for e in paper} >= {"single", "truefalse"}
