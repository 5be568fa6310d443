"""The SVG chart functions: well-formed, accessible, escaped, values written as text, links kept."""

import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from core.ui import charts
from core.ui.charts import Datum, Series

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_bar_chart_is_accessible_svg_with_values_as_text():
    svg = charts.bar_chart([("主要负责人", 12), ("安全生产管理人员", 30), Datum("从业人员", 7, href="/r/x?a=1&b=2")],
                           title="培训人数", unit="人")
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.get("role") == "group"  # one of its marks links to a list (an image has no links)
    title = root.find("s:title", NS)
    desc = root.find("s:desc", NS)
    assert title.text == "培训人数"
    assert desc.text == "培训人数：主要负责人 12人；安全生产管理人员 30人；从业人员 7人。"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    all_text = texts(root)
    for expected in ("主要负责人", "安全生产管理人员", "从业人员", "12人", "30人", "7人"):
        assert expected in all_text
    assert "Noto Sans CJK SC" in root.get("font-family")
    links = root.findall(".//s:a", NS)
    assert [a.get("href") for a in links] == ["/r/x?a=1&b=2"]
    # the longest bar belongs to the biggest value
    widths = {}
    for g in root.iter("{http://www.w3.org/2000/svg}g"):
        if g.get("transform"):
            continue
        label = "".join(g.find("s:text", NS).itertext())
        widths[label] = float(g.findall("s:rect", NS)[1].get("width"))
    assert widths["安全生产管理人员"] > widths["主要负责人"] > widths["从业人员"] > 0


def test_labels_are_escaped():
    svg = charts.bar_chart([("<script>alert(1)</script>", 1)], title='A "quoted" & <b>title</b>')
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)  # still well-formed
    assert root.find("s:title", NS).text == 'A "quoted" & <b>title</b>'
    assert any("<script>" in t for t in texts(root))


def test_long_labels_are_truncated_with_full_label_kept():
    long = "江门市华锐金属制品有限公司（演示）第一分厂粉尘涉爆车间"
    root = parse(charts.bar_chart([(long, 3)], title="企业", width=400))
    label = root.find(".//s:g/s:text", NS)
    assert label.text.endswith("…") and len(label.text) < len(long)
    assert label.find("s:title", NS).text == long
    assert long in root.find("s:desc", NS).text


@pytest.mark.parametrize("render", [
    lambda: charts.bar_chart([], title="空"),
    lambda: charts.donut_chart([("甲", 0)], title="空"),
    lambda: charts.stacked_bar_chart(["甲"], [Series("有效", [0])], title="空"),
    lambda: charts.line_chart([], [], title="空"),
])
def test_empty_data_says_so(render):
    root = parse(render())
    assert "暂无数据" in texts(root)
    assert root.find("s:desc", NS).text == "空：暂无数据"


def test_stacked_bar_chart_totals_and_segments():
    svg = charts.stacked_bar_chart(
        ["电工作业", "焊接与热切割作业"],
        [Series("有效", [10, 4], hrefs=["/a", "/b"]), Series("已过期", [2, 0]), Series("已撤销", [1, 3])],
        title="证书状态", unit="本")
    root = parse(svg)
    desc = root.find("s:desc", NS).text
    assert "电工作业：有效 10本，已过期 2本，已撤销 1本，合计 13本" in desc
    assert "焊接与热切割作业：有效 4本，已过期 0本，已撤销 3本，合计 7本" in desc
    all_text = texts(root)
    assert "13本" in all_text and "7本" in all_text
    assert "有效" in all_text and "已撤销" in all_text  # legend
    assert [a.get("href") for a in root.findall(".//s:a", NS)] == ["/a", "/b"]
    # zero segments are not drawn: 2 categories × 3 series − 1 zero = 5 segments
    segments = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.find("s:title", NS) is not None]
    assert len(segments) == 5


def test_line_chart_points_carry_values():
    root = parse(charts.line_chart(
        ["2026-09", "2026-10", "2026-11"],
        [Series("参考人数", [20, 35, 28]), Series("合格人数", [15, 30, None])],
        title="考试趋势", unit="人"))
    assert len(root.findall(".//s:circle", NS)) == 5  # the missing value draws no point
    assert len(root.findall(".//s:polyline", NS)) == 2
    all_text = texts(root)
    for v in ("20人", "35人", "28人", "15人", "30人"):
        assert v in all_text
    assert "2026-10" in all_text
    assert "参考人数：2026-09 20人，2026-10 35人，2026-11 28人" in root.find("s:desc", NS).text


def test_donut_chart_shares():
    root = parse(charts.donut_chart([("已读", 3, "/read"), ("未读", 1)], title="阅读情况", unit="家"))
    desc = root.find("s:desc", NS).text
    assert desc == "阅读情况：已读 3家（75%）；未读 1家（25%）；合计 4家。"
    assert len(root.findall(".//s:path", NS)) == 2
    all_text = texts(root)
    assert "4家" in all_text and "已读" in all_text
    assert any("75%" in t for t in all_text)
    assert root.find(".//s:a", NS).get("href") == "/read"


def test_single_slice_donut_is_a_full_ring():
    root = parse(charts.donut_chart([("有效", 5)], title="证书"))
    path = root.find(".//s:path", NS).get("d")
    assert path.count("M") == 2  # drawn as two half rings


def test_ids_are_stable_and_distinct_per_chart():
    a = charts.bar_chart([("甲", 1)], title="一")
    assert a == charts.bar_chart([("甲", 1)], title="一")
    b = charts.bar_chart([("甲", 2)], title="一")
    assert parse(a).find("s:title", NS).get("id") != parse(b).find("s:title", NS).get("id")


@pytest.mark.parametrize("value,expected", [(0, 1), (1, 1), (7, 10), (12, 20), (23, 25), (260, 500), (0.3, 0.5)])
def test_nice_max(value, expected):
    assert charts.nice_max(value) == expected


def test_text_width_counts_cjk_wider():
    assert charts.text_width("安全") == 2 * charts.FONT_SIZE
    assert charts.text_width("ab") < charts.text_width("安全")
    assert charts.fmt(1234) == "1,234" and charts.fmt(2.5, "学时") == "2.5学时"


def test_share_mode_draws_full_bars_and_states_shares():
    root = parse(charts.stacked_bar_chart(["主要负责人", "从业人员"],
                                          [Series("已培训", [3, 47]), Series("未培训", [1, 9])],
                                          title="覆盖", unit="人", share=True))
    desc = root.find("s:desc", NS).text
    assert "主要负责人：已培训 3人（75%），未培训 1人（25%），合计 4人" in desc
    segs = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.find("s:title", NS) is not None]
    # both bars fill the same width although their totals differ
    first = float(segs[0].get("width")) + float(segs[1].get("width"))
    second = float(segs[2].get("width")) + float(segs[3].get("width"))
    assert abs(first - second) < 0.5


def test_line_chart_x_labels_do_not_collide():
    labels = [f"2026-{m:02d}" for m in range(1, 13)]
    root = parse(charts.line_chart(labels, [Series("人次", list(range(12)))], title="趋势"))
    shown = [t for t in texts(root) if t.startswith("2026-")]
    assert shown[-1] == "2026-12"
    xs = [float(t.get("x")) for t in root.iter("{http://www.w3.org/2000/svg}text") if (t.text or "").startswith("2026-")]
    assert all(b - a >= 50 for a, b in zip(xs, xs[1:]))


def test_a_chart_whose_marks_link_is_a_group_not_an_image():
    # an image has no interactive parts (WCAG: nested-interactive); the links must stay reachable
    plain = parse(charts.bar_chart([("持证", 3), ("过期", 1)], title="证书"))
    assert plain.get("role") == "img"
    linked = parse(charts.donut_chart([Datum("有效", 3, href="/a/"), Datum("一个很长很长很长很长很长很长很长很长的状态名称", 1,
                                                                            href="/b/")], title="证书", unit="张"))
    assert linked.get("role") == "group" and linked.get("aria-labelledby")
    links = linked.findall(".//s:a", NS)
    assert len(links) == 4  # two slices, two legend rows
    legend = links[2:]
    for a in legend:  # the name starts with the words shown (a person can say what they see)
        shown = " ".join(t for t in ("".join(x.itertext()) for x in a.iter("{http://www.w3.org/2000/svg}text")))
        assert a.get("aria-label").startswith(shown)
    assert "一个很长很长很长很长很长很长很长很长的状态名称" in legend[1].get("aria-label")
