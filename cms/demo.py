"""Demo content for the CMS (idempotent).

The standard's metadata (应急管理部令第10号, in force 2023-05-15, replacing 安监总管四〔2017〕129号,
15 articles) is public fact. The clause texts below are paraphrased in our own words for the demo
and say so on the page; the accident and enforcement cases and the notices are invented (演示案例).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from wagtail.models import Page

from accounts.models import HazardTag, Industry, ProcessTag

from .models import (
    Clause, EnforcementCaseIndexPage, EnforcementCasePage, GuideIndexPage, HazardGuidePage, NoticeIndexPage,
    NoticePage, StandardIndexPage, StandardPage, WarningCaseIndexPage, WarningCasePage,
)
from .services import search_rebuild, site_tree_ensure

DEMO_NOTE = "（演示用转述：条文为本平台用自己的话概括，准确表述以应急管理部发布的正式文本为准。）"

# code, article, item, short title, paraphrased text, interpretation, industries, hazards, processes, examples
CLAUSES = [
    ("gm2023-3-1", 3, 1, "承包、承租单位未统一协调管理",
     "企业把生产经营项目、场所、设备发包或者出租后，没有对承包单位、承租单位的安全生产工作进行统一协调和管理，或者没有定期对其进行安全检查。",
     "“厂中厂”是工贸行业事故的高发场景。发包、出租并不转移企业的主体责任：要签订专门的安全生产管理协议，明确各自职责，把承包、承租单位纳入本企业的隐患排查和教育培训体系，并定期检查、留存记录。",
     [], ["hot-work"], [],
     [("出租厂房后对承租方不闻不问，双方没有安全管理协议。", "签订安全管理协议，承租方纳入本企业统一检查，检查记录存档。")]),
    ("gm2023-3-2", 3, 2, "特种作业人员无证上岗",
     "特种作业人员没有按照规定接受专门的安全作业培训、取得相应资格，就上岗作业。",
     "电工、焊接与热切割、高处作业、制冷与空调作业等属于特种作业，必须持有与所从事操作项目一致、在有效期内并按时复审的特种作业操作证。“谁招请无证人员，谁负责任”，企业应在上岗前核验证书真伪与操作项目。",
     [], ["hot-work"], ["welding-machine"],
     [("临时找来的焊工没有焊接与热切割作业操作证，直接在车间动火。", "动火前核验焊工证书（操作项目、有效期、复审情况），办理动火审批并安排监护人。")]),
    ("gm2023-3-3", 3, 3, "金属冶炼企业负责人和安管人员未考核合格",
     "金属冶炼企业的主要负责人、安全生产管理人员没有按照规定经安全生产知识和管理能力考核合格。",
     "金属冶炼属于高危行业，其主要负责人和安全生产管理人员须在任职后规定期限内通过考核，取得合格证明，并按要求参加再培训。",
     ["metallurgy", "nonferrous"], ["metal-smelting"], [], []),
    ("gm2023-4-1", 4, 1, "人员聚集场所设在熔融金属吊运影响区域",
     "冶金企业把会议室、活动室、休息室、操作室、交接班室、更衣室等人员聚集场所，设在铁水、钢水、液渣吊运跨的地坪区域内。",
     "熔融金属一旦倾翻、泄漏，吊运跨下方是最危险的区域。人员聚集场所必须移出吊运影响范围。" + DEMO_NOTE,
     ["metallurgy"], ["molten-metal", "metal-smelting"], ["ladle-crane"],
     [("交接班室紧挨钢水罐吊运通道，吊运时有人在室内休息。", "交接班室迁出吊运跨，吊运路线下方设置警戒，吊运时禁止人员停留。")]),
    ("gm2023-5-1", 5, 1, "熔融有色金属吊运设备不符合要求",
     "有色企业吊运熔融有色金属及渣的起重机不符合冶金起重机的相关要求，或者起吊装置未设置必要的安全保护。",
     "吊运铜水、铝水等熔融金属的起重机要按冶金起重机选型，制动、限位等安全保护装置要齐全有效并定期检验。" + DEMO_NOTE,
     ["nonferrous"], ["molten-metal", "metal-smelting"], ["ladle-crane"], []),
    ("gm2023-6-1", 6, 1, "煤磨袋式收尘器缺少监测和灭火措施",
     "建材企业水泥工厂的煤磨袋式收尘器（或者煤粉仓）没有设置温度和一氧化碳监测，或者没有设置气体灭火装置。",
     "煤粉具有自燃和爆炸危险，温度、一氧化碳浓度异常往往是阴燃的前兆，监测和气体灭火是最后一道防线。" + DEMO_NOTE,
     ["building-materials"], ["dust-explosion"], ["dust-collector"], []),
    ("gm2023-7-1", 7, 1, "机械企业熔炼场所人员聚集场所设置不当",
     "机械企业存在熔融金属作业的，把会议室、休息室、更衣室等人员聚集场所设在熔融金属吊运、浇注影响范围内。",
     "铸造车间的熔炼、浇注区域同样存在熔融金属喷溅、泄漏风险，判定思路与冶金行业一致。" + DEMO_NOTE,
     ["machinery"], ["molten-metal"], ["ladle-crane"], []),
    ("gm2023-8-1", 8, 1, "食品烘制、油炸设备无防过热切断",
     "轻工企业中食品制造企业的烘制、油炸设备没有设置防过热的自动切断装置。",
     "油温失控会引发火灾，自动切断装置要定期测试，不得擅自拆除或短接。" + DEMO_NOTE,
     ["light-industry"], [], [], []),
    ("gm2023-9-1", 9, 1, "热定型工艺场所未与人员聚集场所隔开",
     "纺织企业纱、线、织物加工中烧毛、烘干、热定型等工艺的热源设备间（如导热油炉室、燃气贮存间）没有与生产加工等人员聚集场所隔开或者单独设置。",
     "导热油炉、燃气设施一旦泄漏着火，会迅速蔓延到人员密集的车间，必须以防火分隔或独立设置的方式隔离。" + DEMO_NOTE,
     ["textile"], [], [], []),
    ("gm2023-10-1", 10, 1, "熏蒸作业场所缺少磷化氢检测报警",
     "烟草企业的熏蒸作业场所没有配备磷化氢气体浓度检测报警仪器，或者没有配备相应的个体防护用品。",
     "磷化氢剧毒，熏蒸、散气阶段都要检测浓度，人员进入前确认安全并佩戴防护用品。" + DEMO_NOTE,
     ["tobacco"], ["confined-space"], [], []),
    ("gm2023-11-1", 11, 1, "粉尘爆炸危险场所建筑和人员聚集问题",
     "粉尘爆炸危险场所设在非框架结构的多层建（构）筑物内，或者在粉尘爆炸危险场所内设置员工宿舍、会议室、办公室、休息室等人员聚集场所。",
     "粉尘爆炸的冲击波会导致非框架结构的多层建筑整体垮塌；把人员聚集场所设在危险场所内，会让一次爆炸造成群死群伤。",
     ["machinery", "light-industry", "nonferrous"], ["dust-explosion"], ["polishing", "aluminium-dust"],
     [("抛光车间楼上设员工宿舍，车间为砖混结构多层厂房。", "抛光作业移至单层框架结构厂房，危险场所内不设任何人员聚集场所。")]),
    ("gm2023-11-2", 11, 2, "除尘系统混用、跨区共用或互联互通",
     "不同类别的可燃性粉尘，或者可燃性粉尘与可燃气体等会加剧爆炸危险的介质，共用一套除尘系统；或者不同建（构）筑物、不同防火分区共用一套除尘系统，除尘系统之间互联互通。",
     "一套除尘系统连接多个区域，一处起爆就会沿风管传播到各处，形成连锁爆炸。应按粉尘类别、防火分区分别设置独立的除尘系统。",
     ["machinery", "light-industry", "nonferrous"], ["dust-explosion"], ["dust-collector"],
     [("铝粉抛光线与木粉砂光线接入同一台除尘器。", "铝粉、木粉分设独立除尘系统，风管不跨防火分区。")]),
    ("gm2023-11-3", 11, 3, "干式除尘系统无任何爆炸防控措施",
     "干式除尘系统没有采取泄爆、惰化、抑爆等任何一种控制爆炸的措施。",
     "干式除尘器内部粉尘浓度高，是粉尘爆炸最常见的起爆点。泄爆装置要朝向安全区域，惰化、抑爆系统要定期检验。",
     ["machinery", "light-industry", "nonferrous", "building-materials"], ["dust-explosion"], ["dust-collector"],
     [("布袋除尘器箱体没有泄爆口，也没有抑爆装置。", "除尘器设置泄爆片并朝向室外安全区域，泄爆口前方不设人员通道。")]),
    ("gm2023-11-4", 11, 4, "铝镁粉尘正压吹送且无点燃源防范",
     "铝镁等金属粉尘的除尘系统采用正压方式吹送粉尘，并且没有采取火花探测消除等防范点燃源的措施。",
     "正压吹送时风机位于含尘气流之中，叶轮摩擦、撞击产生的火花会直接引燃金属粉尘。应改为负压吸尘，或加装火花探测消除装置。",
     ["machinery", "nonferrous"], ["dust-explosion"], ["aluminium-dust", "dust-collector"], []),
    ("gm2023-11-5", 11, 5, "重力沉降室或干式巷道式风道除尘",
     "除尘系统采用重力沉降室除尘，或者采用干式巷道式构筑物作为除尘风道。",
     "沉降室和巷道式风道里积尘多、难清理，一旦扬起极易形成爆炸性粉尘云，属于明令淘汰的做法。",
     ["machinery", "light-industry"], ["dust-explosion"], ["dust-collector"], []),
    ("gm2023-11-6", 11, 6, "干式除尘系统无锁气卸灰装置",
     "铝镁等金属粉尘、木质粉尘的干式除尘系统没有设置锁气卸灰装置。",
     "卸灰时如果没有锁气装置，外部空气和火源可能进入灰斗，卸灰时也会扬尘。",
     ["machinery", "light-industry", "nonferrous"], ["dust-explosion"], ["aluminium-dust", "wood-processing"], []),
    ("gm2023-11-7", 11, 7, "20区未使用防爆电气设备",
     "粉尘爆炸危险场所的20区没有使用防爆电气设备。",
     "20区是粉尘云持续或长期存在的区域（如除尘器、料仓内部），其中的电气设备必须满足相应防爆等级。",
     ["machinery", "light-industry", "nonferrous"], ["dust-explosion"], ["dust-collector"], []),
    ("gm2023-11-8", 11, 8, "未去除杂物或未设火花探测消除",
     "粉碎、研磨、造粒等容易产生机械点燃源的工艺设备前，没有设置去除铁、石等杂物的装置；或者木制品加工企业与砂光机相连的风管没有设置火花探测消除装置。",
     "铁块、石子进入粉碎机会撞击出火花；砂光产生的火星会顺风管进入除尘器。前端除杂、风管上火花探测消除是切断点燃源的关键。",
     ["light-industry", "machinery"], ["dust-explosion"], ["wood-processing"], []),
    ("gm2023-11-9", 11, 9, "遇湿自燃金属粉尘防氢防潮不到位",
     "遇湿自燃的金属粉尘在收集、堆放、储存场所没有采取通风等防止氢气积聚的措施，或者干式收集、堆放、储存场所没有采取防水、防潮措施。",
     "铝、镁粉尘遇水会反应放出氢气并放热，可能自燃甚至爆炸。湿式除尘的泥浆要及时清运并保持通风，干粉储存要严防进水受潮。",
     ["machinery", "nonferrous"], ["dust-explosion"], ["aluminium-dust"],
     [("湿式除尘器泥浆堆在密闭库房角落，长期无人清理。", "泥浆及时清运到通风良好的专用场所，设置氢气检测。")]),
    ("gm2023-11-10", 11, 10, "粉尘清理制度不落实、现场积尘严重",
     "没有落实粉尘清理制度，造成作业现场积尘严重。",
     "积尘被一次小的爆炸扬起，会形成更大范围的二次爆炸。要按规定频次清理设备、梁、管道等处积尘，并做好记录。",
     ["machinery", "light-industry", "nonferrous"], ["dust-explosion"], ["polishing"],
     [("抛光机周围、横梁和管道表面积了厚厚一层铝粉。", "每班清扫并记录，采用防爆吸尘器清理，禁止用压缩空气吹扫。")]),
    ("gm2023-12-1", 12, 1, "人员作业场所空调采用氨直接蒸发制冷",
     "包装、分割、产品整理等人员较多的作业场所，空调系统采用氨直接蒸发的制冷方式。",
     "氨直接蒸发意味着车间内的蒸发器里就是液氨，一旦泄漏，人员密集的车间会立即中毒。应改用间接制冷（载冷剂）等方式。",
     ["light-industry", "commerce-trade"], ["ammonia-refrigeration"], ["cold-storage"], []),
    ("gm2023-12-2", 12, 2, "速冻装置未单独设置或作业人员超过9人",
     "快速冻结装置没有设在单独的作业间内，或者快速冻结装置作业间内的作业人员超过9人。",
     "速冻装置氨充注量大、管道接口多，是液氨泄漏的高风险点。单独设置、限制作业人数，是为了在泄漏时把受影响人数降到最低。",
     ["light-industry", "commerce-trade"], ["ammonia-refrigeration"], ["quick-freezer", "ammonia-compressor"],
     [("速冻间里有十几名员工同时理货、包装。", "速冻装置设在独立作业间，同时在内作业人数不超过9人，并设置氨气泄漏报警和事故排风。")]),
    ("gm2023-13-1", 13, 1, "有限空间未辨识、无台账、无警示标志",
     "没有对存在硫化氢、一氧化碳等中毒风险的有限空间进行辨识、建立安全管理台账，并且没有设置明显的安全警示标志。",
     "污水池、化粪池、发酵罐、地下管沟等都可能是有限空间。先辨识、建台账、设标志，员工才知道哪里“不能随便进”。",
     [], ["confined-space"], ["sewage-pit"],
     [("污水池井盖敞开，周围没有任何警示标志。", "污水池设置“有限空间 未经许可严禁入内”警示标志并上锁，纳入有限空间台账。")]),
    ("gm2023-13-2", 13, 2, "有限空间作业未审批、未先通风再检测、无监护",
     "有限空间作业没有落实作业审批，或者没有执行“先通风、再检测、后作业”的要求，或者作业现场没有设置监护人员。",
     "有限空间中毒事故中，盲目施救造成的伤亡往往超过最初的遇险者。作业必须审批，作业前通风并检测合格，全程有人监护，救援人员必须佩戴正压式空气呼吸器。",
     [], ["confined-space"], ["sewage-pit"],
     [("工人未经检测直接下到污水池清淤，池边无人监护。", "作业审批后先通风、再检测，合格后佩戴防护进入，池边专人监护并备好救援器材。")]),
    ("gm2023-14-0", 14, 0, "安全监测监控、报警、防护装置失效或被停用",
     "与本标准所列重大事故隐患相关的安全监测监控、报警、联锁、防护等装置，被擅自关闭、破坏、拆除，或者存在故障失效而未及时处置的，按重大事故隐患判定。" + DEMO_NOTE,
     "为了“生产方便”关闭报警、短接联锁的情况在检查中屡见不鲜。装置停用等同于隐患失控，企业要建立装置台账和定期测试制度，停用须审批并采取替代措施。",
     [], ["dust-explosion", "ammonia-refrigeration", "confined-space"], [], []),
]


def _user(ctx, key):
    return ctx.users.get(key)


def _publish(page, parent, *, editor, publisher, m2m=None):
    """Add a page under parent (if missing) as the editor's draft, then publish it as the publisher.
    Tags are set before the first save, so the revision and the warning push both see them."""
    existing = parent.get_children().filter(slug=page.slug).first()
    if existing is not None:
        return existing.specific, False
    page.owner = editor
    for name, values in (m2m or {}).items():
        getattr(page, name).set(values)
    parent.add_child(instance=page)
    revision = page.save_revision(user=editor)
    revision.publish(user=publisher)
    page.refresh_from_db()
    return page, True


def _pair(wrong, right, key=""):
    """A 隐患图例 pair; with a key, drawn demo pictures are attached (replace them with real photos)."""
    from .illustrations import demo_image

    scene = f"演示示意图 · {key}" if key else ""
    return ("hazard_pair", {
        "wrong_caption": wrong, "right_caption": right,
        "wrong_image": demo_image(key, "wrong", wrong, scene) if key else None,
        "right_image": demo_image(key, "right", right, scene) if key else None,
    })


def seed(ctx) -> None:
    root = site_tree_ensure()
    editor, publisher = _user(ctx, "editor"), _user(ctx, "publisher")
    standards = StandardIndexPage.objects.child_of(root).first()
    guides = GuideIndexPage.objects.child_of(root).first()
    cases = WarningCaseIndexPage.objects.child_of(root).first()
    enforcement = EnforcementCaseIndexPage.objects.child_of(root).first()
    notices = NoticeIndexPage.objects.child_of(root).first()

    if standards.intro == "":
        standards.intro = "<p>重大事故隐患判定标准及逐条解读、隐患图例。</p>"
        standards.save_revision(user=publisher).publish(user=publisher)

    old, _ = _publish(StandardPage(
        title="工贸行业重大生产安全事故隐患判定标准（2017版）", slug="gm-2017",
        document_number="安监总管四〔2017〕129号", issuing_body="原国家安全生产监督管理总局",
        effective_date=dt.date(2017, 11, 30), status=StandardPage.Status.SUPERSEDED,
        summary="已被《工贸企业重大事故隐患判定标准》（应急管理部令第10号）替代，自2023年5月15日起不再作为判定依据。平台保留其条目信息，供查阅历史检查记录时对照。（印发日期为演示数据，以原文为准）",
    ), standards, editor=editor, publisher=publisher)
    std, _ = _publish(StandardPage(
        title="工贸企业重大事故隐患判定标准", slug="gm-2023",
        document_number="应急管理部令第10号", issuing_body="应急管理部",
        effective_date=dt.date(2023, 5, 15), status=StandardPage.Status.IN_FORCE,
        supersedes=old,
        summary=(
            "本标准共15条：第一条立法目的，第二条适用范围（危险化学品、消防、燃气、特种设备等另有判定标准的从其规定），"
            "第三条为通用的管理类隐患，第四条至第十条分别适用于冶金、有色、建材、机械、轻工、纺织、烟草七个行业，"
            "第十一条为存在粉尘爆炸危险的企业，第十二条为使用液氨制冷的企业，第十三条为存在硫化氢、一氧化碳等中毒风险的有限空间作业企业，"
            "第十四条为监测监控、报警、防护装置失效的情形，第十五条为施行日期。"
        ),
        body=[
            ("callout", {"kind": "warn", "title": "演示说明",
                         "text": "<p>平台收录的条款为演示用转述，帮助学习理解；执法与整改请以应急管理部发布的正式文本为准。</p>"}),
            ("paragraph", "<p>判定为重大事故隐患的，企业应当立即停产停业或者停止使用相关设施设备，制定并落实整改方案，做到责任、措施、资金、时限、预案“五到位”。</p>"),
        ],
    ), standards, editor=editor, publisher=publisher)

    industries = {i.code: i for i in Industry.objects.all()}
    hazards = {h.code: h for h in HazardTag.objects.all()}
    processes = {p.code: p for p in ProcessTag.objects.all()}
    clauses: dict[str, Clause] = {}
    for code, article, item, title, text, interp, inds, hz, pr, examples in CLAUSES:
        clause, _ = Clause.objects.update_or_create(
            code=code,
            defaults={
                "standard": std, "article": article, "item": item, "title": title, "text": text,
                "interpretation": f"<p>{interp}</p>",
                "examples": [_pair(w, r, code) for w, r in examples],
            },
        )
        clause.industries.set([industries[c] for c in inds if c in industries])
        clause.hazard_tags.set([hazards[c] for c in hz if c in hazards])
        clause.process_tags.set([processes[c] for c in pr if c in processes])
        clauses[code] = clause

    _publish(HazardGuidePage(
        title="粉尘涉爆企业重大事故隐患排查指引", slug="dust-explosion-check",
        summary="适用于存在铝镁等金属粉尘、木质粉尘等可燃性粉尘的工贸企业，供主要负责人、安全管理人员自查和监管人员检查时参考（演示内容）。",
        industry=industries.get("machinery"), is_demo=True,
        steps=[
            ("step", {"title": "一、查厂房和人员聚集场所", "what": "粉尘爆炸危险场所所在建筑的结构形式；危险场所内及上方是否有宿舍、办公室、休息室。",
                      "how": "现场查看并核对厂房图纸；询问夜间是否有人在车间内住宿。",
                      "major_hazard": "危险场所设在非框架结构多层建筑内，或危险场所内设有人员聚集场所。",
                      "fix": "停止在该场所作业，迁移人员聚集场所或将作业移至合规厂房。",
                      "clauses": [clauses["gm2023-11-1"]], "pictures": [],
                      "pairs": [_pair("车间楼上设宿舍", "单层框架厂房，无人员聚集场所", "guide-dust-1")[1]]}),
            ("step", {"title": "二、查除尘系统的设置", "what": "除尘系统覆盖哪些工位、哪些粉尘种类、是否跨越防火分区；是否采用沉降室或巷道式风道。",
                      "how": "顺着风管从吸尘口走到除尘器，画出系统简图。",
                      "major_hazard": "不同类别粉尘共用、跨防火分区共用、系统互联互通，或采用重力沉降室、干式巷道式风道。",
                      "fix": "按粉尘类别和防火分区拆分为独立系统，拆除沉降室和巷道式风道。",
                      "clauses": [clauses["gm2023-11-2"], clauses["gm2023-11-5"]], "pictures": [], "pairs": []}),
            ("step", {"title": "三、查爆炸防控与点燃源控制", "what": "干式除尘器的泄爆、惰化、抑爆措施；锁气卸灰装置；正压吹送时的火花探测消除；20区防爆电气。",
                      "how": "查看除尘器本体、泄爆口朝向、卸灰阀；查阅防爆电气合格证和检测报告。",
                      "major_hazard": "干式除尘无任何爆炸防控措施；金属粉尘正压吹送且无火花探测消除；无锁气卸灰；20区非防爆电气。",
                      "fix": "加装泄爆或抑爆装置、锁气卸灰阀、火花探测消除装置，更换防爆电气设备。",
                      "clauses": [clauses["gm2023-11-3"], clauses["gm2023-11-4"], clauses["gm2023-11-6"], clauses["gm2023-11-7"]],
                      "pictures": [], "pairs": [_pair("除尘器无泄爆口", "泄爆片朝向室外安全区域", "guide-dust-3")[1]]}),
            ("step", {"title": "四、查粉尘清理和防水防潮", "what": "作业现场、设备、横梁、管道的积尘情况和清扫记录；铝镁粉尘、泥浆的存放。",
                      "how": "抽查最近一个月的清扫记录，用手电照看高处平面积尘。",
                      "major_hazard": "积尘严重且清理制度不落实；遇湿自燃粉尘存放场所不通风或不防潮。",
                      "fix": "立即组织清扫，落实每班清理；泥浆及时清运，干粉库房防水防潮。",
                      "clauses": [clauses["gm2023-11-9"], clauses["gm2023-11-10"]], "pictures": [], "pairs": []}),
        ],
        body=[("clause", {"clause": clauses["gm2023-14-0"], "note": "检查中发现报警、联锁装置被停用的，同样按重大事故隐患处理。"})],
    ), guides, editor=editor, publisher=publisher, m2m={
        "hazard_tags": [hazards["dust-explosion"]],
        "clauses": [clauses[c] for c in ("gm2023-11-1", "gm2023-11-2", "gm2023-11-3", "gm2023-11-10")],
    })

    case_specs = [
        dict(
            slug="demo-polishing-dust-explosion", title="某金属制品厂抛光车间铝粉尘爆炸事故（演示案例）",
            occurred_on=dt.date(2025, 8, 14), place="广东省某市（演示）", deaths=2, injuries=5, direct_loss=Decimal("860.00"),
            industry="machinery", hazards=["dust-explosion"], processes=["polishing", "aluminium-dust", "dust-collector"],
            clauses=["gm2023-11-2", "gm2023-11-3", "gm2023-11-10"],
            summary="演示案例：一家铝合金配件企业的抛光车间在夜班作业时发生铝粉尘爆炸，除尘器和车间局部被毁，造成2人死亡、5人受伤。",
            what="<p>当晚，抛光车间12台抛光机同时作业。除尘器灰斗积灰多日未清，风机异响后不久，除尘器内发生爆炸，冲击波沿风管传入车间，扬起横梁和地面的积尘引发二次爆炸。</p>",
            direct="<p>铝粉尘在干式除尘器内形成爆炸性粉尘云，风机叶轮与积灰摩擦产生火花引燃；除尘器无泄爆、抑爆措施，车间积尘严重导致二次爆炸。</p>",
            underlying="<p>抛光线与相邻车间共用一套除尘系统；粉尘清理制度流于形式；主要负责人未组织重大事故隐患排查；员工未接受粉尘防爆培训。</p>",
            lessons="<ul><li>按粉尘种类、防火分区设置独立的除尘系统。</li><li>干式除尘器必须有泄爆、惰化或抑爆措施。</li><li>每班清理积尘并记录，严禁用压缩空气吹扫。</li></ul>",
        ),
        dict(
            slug="demo-cold-store-ammonia-leak", title="某冷链企业速冻间液氨泄漏中毒事故（演示案例）",
            occurred_on=dt.date(2025, 6, 3), place="广东省某市（演示）", deaths=1, injuries=9, direct_loss=Decimal("320.00"),
            industry="commerce-trade", hazards=["ammonia-refrigeration"], processes=["quick-freezer", "ammonia-compressor", "cold-storage"],
            clauses=["gm2023-12-1", "gm2023-12-2", "gm2023-14-0"],
            summary="演示案例：一家冷链物流企业速冻装置供液管阀门处发生液氨泄漏，速冻间内十余名理货人员中毒，1人死亡、9人受伤。",
            what="<p>事发时速冻间内有14名员工同时理货包装。维修人员带压拆卸阀门，液氨喷出；氨气报警器此前因“误报”被关闭，事故排风未能联动启动。</p>",
            direct="<p>违规带压检修导致液氨泄漏；氨气泄漏报警和事故排风联锁被停用。</p>",
            underlying="<p>速冻装置未设置在单独的作业间，且作业人数远超9人的限制；检修未办理作业审批；应急演练缺失。</p>",
            lessons="<ul><li>速冻装置单独设置，作业间内同时作业不超过9人。</li><li>报警、联锁装置不得擅自停用。</li><li>涉氨检修必须先泄压、隔离并办理审批。</li></ul>",
        ),
        dict(
            slug="demo-sewage-pit-h2s", title="某企业污水池清淤硫化氢中毒事故（演示案例）",
            occurred_on=dt.date(2024, 7, 22), place="广东省某市（演示）", deaths=3, injuries=1, direct_loss=Decimal("410.00"),
            industry=None, hazards=["confined-space"], processes=["sewage-pit"],
            clauses=["gm2023-13-1", "gm2023-13-2"],
            summary="演示案例：一名工人下到污水池清淤时晕倒，两名同事未佩戴防护下池施救相继倒下，共造成3人死亡、1人受伤。",
            what="<p>企业安排外包人员清理厂区污水池。作业前未通风、未检测，池边无人监护。第一名工人下池后约两分钟晕倒，两名同事先后下池施救，均中毒倒地。</p>",
            direct="<p>污水池内硫化氢浓度严重超标，作业人员未经检测、未佩戴呼吸防护进入；盲目施救扩大了伤亡。</p>",
            underlying="<p>企业未对污水池进行有限空间辨识、未设警示标志；未落实作业审批和“先通风、再检测、后作业”；对外包单位未统一管理。</p>",
            lessons="<ul><li>建立有限空间台账并设置警示标志。</li><li>严格执行作业审批和“先通风、再检测、后作业”，全程监护。</li><li>救援必须佩戴正压式空气呼吸器，严禁盲目施救。</li></ul>",
        ),
    ]
    for spec in case_specs:
        page = WarningCasePage(
            title=spec["title"], slug=spec["slug"], occurred_on=spec["occurred_on"], place=spec["place"],
            deaths=spec["deaths"], injuries=spec["injuries"], direct_loss=spec["direct_loss"], summary=spec["summary"],
            what_happened=[("paragraph", spec["what"])], direct_causes=spec["direct"],
            underlying_causes=spec["underlying"], lessons=spec["lessons"],
            industry=industries.get(spec["industry"]) if spec["industry"] else None, is_demo=True,
        )
        _publish(page, cases, editor=editor, publisher=publisher, m2m={
            "hazard_tags": [hazards[c] for c in spec["hazards"]],
            "process_tags": [processes[c] for c in spec["processes"]],
            "clauses": [clauses[c] for c in spec["clauses"]],
        })

    enforcement_specs = [
        dict(
            slug="demo-dangerous-operation-crime", title="关闭氨气报警装置被以危险作业罪追究刑事责任（演示案例）",
            decided_on=dt.date(2025, 9, 10), place="广东省某市（演示）", industry="commerce-trade",
            hazards=["ammonia-refrigeration"], clauses=["gm2023-14-0", "gm2023-12-2"],
            violation="<p>执法人员“四不两直”检查发现，某冷库企业为减少“误报”，长期关闭速冻间氨气泄漏报警装置并断开事故排风联锁，速冻间内同时作业人员达15人。</p>",
            legal_basis="<p>《中华人民共和国刑法》第一百三十四条之一（危险作业罪）：关闭、破坏直接关系生产安全的监控、报警、防护、救生设备、设施，具有发生重大伤亡事故或者其他严重后果的现实危险的；《中华人民共和国安全生产法》相关规定。</p>",
            penalty="企业停产整改；对企业处以罚款；直接负责的生产主管被移送公安机关，以危险作业罪追究刑事责任。",
            fine=Decimal("30.00"), dual=False, criminal=True,
        ),
        dict(
            slug="demo-dual-punishment-dust", title="粉尘涉爆企业重大事故隐患未排除“一案双罚”（演示案例）",
            decided_on=dt.date(2025, 11, 5), place="广东省某市（演示）", industry="machinery",
            hazards=["dust-explosion"], clauses=["gm2023-11-2", "gm2023-11-10"],
            violation="<p>某五金企业抛光、打磨工序与木制品砂光工序共用一套除尘系统，车间积尘严重，且企业未建立重大事故隐患排查治理制度。</p>",
            legal_basis="<p>《中华人民共和国安全生产法》关于未采取措施消除事故隐患、未建立隐患排查治理制度的罚则，以及对主要负责人未履行安全生产管理职责的罚则。</p>",
            penalty="责令立即停止相关作业、限期整改；对企业罚款；对企业主要负责人另行处以罚款（一案双罚）。",
            fine=Decimal("18.50"), dual=True, criminal=False,
        ),
    ]
    for spec in enforcement_specs:
        page = EnforcementCasePage(
            title=spec["title"], slug=spec["slug"], decided_on=spec["decided_on"], place=spec["place"],
            violation=spec["violation"], legal_basis=spec["legal_basis"], penalty=spec["penalty"],
            fine_amount=spec["fine"], dual_punishment=spec["dual"], criminal_prosecution=spec["criminal"],
            industry=industries.get(spec["industry"]), is_demo=True,
        )
        _publish(page, enforcement, editor=editor, publisher=publisher, m2m={
            "hazard_tags": [hazards[c] for c in spec["hazards"]],
            "clauses": [clauses[c] for c in spec["clauses"]],
        })

    for slug, title, issued, summary, body in [
        ("demo-2026-hazard-campaign", "关于开展2026年工贸企业重大事故隐患专项排查整治的通知（演示）", dt.date(2026, 3, 2),
         "各区应急管理部门、各工贸企业：请对照《工贸企业重大事故隐患判定标准》开展全面自查，主要负责人每季度至少带队检查一次。",
         "<p>一、自查范围：全部工贸企业，重点是粉尘涉爆、涉氨制冷、有限空间作业企业。</p><p>二、时间安排：即日起至2026年12月31日。</p><p>三、工作要求：发现重大事故隐患的，立即停产整改，做到“五到位”。（演示内容）</p>"),
        ("demo-principal-training", "关于组织重点行业企业主要负责人参加判定标准培训的通知（演示）", dt.date(2026, 4, 15),
         "粉尘涉爆、涉氨制冷、有限空间作业等重点行业企业的主要负责人和安全生产管理人员，须在本平台完成判定标准专题课程学习。",
         "<p>请各企业管理员在平台上查看本单位人员的学习进度，确保年内全覆盖。（演示内容）</p>"),
    ]:
        _publish(NoticePage(title=title, slug=slug, issued_on=issued, issuer="江门市应急管理局（演示）", summary=summary,
                            body=[("paragraph", body)], is_demo=True), notices, editor=editor, publisher=publisher)

    search_rebuild()
    ctx.log.append(f"  cms: {Clause.objects.count()} 条标准条款, {Page.objects.live().type(WarningCasePage).count()} 个警示案例")


def after_population() -> None:
    """After ``seed_demo --scale`` bulk-loads pushes and read receipts: their read-status figures."""
    from .services import warning_counts_rebuild

    warning_counts_rebuild()
