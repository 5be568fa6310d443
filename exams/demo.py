"""Demo content for exams: six banks (training/testing for 低压电工作业, 熔化焊接与热切割作业 and the
工贸 major-hazard criteria), blueprints, practical tasks and exam sessions open now. Idempotent."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from catalogue.models import CertificateKind, OperationItem, PracticalSubject

from . import pools, services
from .models import (
    Blueprint,
    ExamSession,
    ExamVenue,
    KnowledgeTag,
    PracticalResult,
    PracticalTask,
    Question,
    QuestionBank,
    Registration,
    stem_digest,
    truefalse_options,
)

DATA = Path(__file__).with_name("demo_data")
TYPES = {"S": "single", "M": "multiple", "T": "truefalse", "E": "essay"}

BANKS = [
    # code, name, kind, owner key, operation item code, data file
    ("lv-elec-train", "低压电工作业 练习题库（演示）", "training", "training", "elec-lv", "lv_elec_train.txt"),
    ("lv-elec-test", "低压电工作业 考试题库（演示）", "testing", "exam_centre", "elec-lv", "lv_elec_test.txt"),
    ("weld-train", "熔化焊接与热切割作业 练习题库（演示）", "training", "training", "weld-fusion", "weld_train.txt"),
    ("weld-test", "熔化焊接与热切割作业 考试题库（演示）", "testing", "exam_centre", "weld-fusion", "weld_test.txt"),
    ("gongmao-train", "工贸企业重大事故隐患判定标准 练习题库（演示）", "training", "training", None, "gongmao_train.txt"),
    ("gongmao-test", "工贸企业重大事故隐患判定标准 考试题库（演示）", "testing", "exam_centre", None, "gongmao_test.txt"),
]

TAGS = [
    # code, name, keywords found in the stem
    ("kp-first-aid", "触电急救", ("触电", "心肺复苏", "胸外")),
    ("kp-earthing", "接地与接零", ("接地", "接零", "PE线", "TN")),
    ("kp-electrical-fire", "电气防火与灭火", ("灭火", "着火", "火灾")),
    ("kp-safety-measures", "停电作业安全措施", ("停电", "验电", "标示牌", "工作票")),
    ("kp-gas-cylinders", "气瓶安全", ("气瓶", "乙炔瓶", "氧气瓶", "液化石油气")),
    ("kp-hot-work", "动火作业管理", ("动火", "十不焊割", "可燃物")),
    ("kp-welding-health", "焊接职业危害", ("烟尘", "中毒", "弧光", "眼炎", "尘肺", "金属烟热")),
    ("gm-general", "通用管理类重大事故隐患", ("第三条", "承包", "承租", "特种作业人员", "考核合格")),
    ("gm-dust", "粉尘防爆", ("粉尘", "除尘", "砂光", "研磨")),
    ("gm-ammonia", "液氨制冷", ("液氨", "氨直接", "快速冻结", "冷链")),
    ("gm-confined", "有限空间作业", ("有限空间",)),
]

# The four subjects of the national practical-exam standards, per operation item (demo values: the
# points follow the published K1–K4 layout of 20/40/20/20; the veto items are examples, to be checked
# against the standard in force before real use).
PRACTICAL_SUBJECTS = {
    "elec-lv": [
        ("K1", "K1 安全用具使用", Decimal(20), []),
        ("K2", "K2 安全操作技术", Decimal(40),
         ["未经考评员同意擅自通电", "带电作业未采取安全措施", "造成设备损坏或人身伤害"]),
        ("K3", "K3 作业现场安全隐患排除", Decimal(20), []),
        ("K4", "K4 作业现场应急处置", Decimal(20), ["心肺复苏操作中按压部位错误致模拟人损伤"]),
    ],
    "weld-fusion": [
        ("K1", "K1 安全用具使用", Decimal(20), []),
        ("K2", "K2 安全操作技术", Decimal(40),
         ["未穿戴焊接防护用品施焊", "焊接点周围易燃物未清理即动火", "造成人身伤害或火灾"]),
        ("K3", "K3 作业现场安全隐患排除", Decimal(20), []),
        ("K4", "K4 作业现场应急处置", Decimal(20), []),
    ],
}

PRACTICAL_TASKS = {
    # item: [(subject, code, title, points, criteria)]
    "elec-lv": [
        ("K1", "lv-k21", "电工仪表安全使用（兆欧表、钳形电流表、万用表）", Decimal(20), ["仪表选择正确", "测量方法正确", "读数与判断正确"]),
        ("K2", "lv-k11", "单相电能表带照明线路安装及接线", Decimal(40), ["按图接线正确", "导线颜色和截面选择正确", "通电试验一次成功"]),
        ("K3", "lv-k3-hazard", "判断作业现场存在的安全风险、职业危害", Decimal(20), ["指出隐患准确", "说明整改措施", "表述完整"]),
        ("K4", "lv-k31", "触电事故现场应急处置（单人徒手心肺复苏）", Decimal(10), ["脱离电源方法正确", "按压部位、深度和频率正确", "按压通气比30:2"]),
        ("K4", "lv-k41", "灭火器的选择和使用", Decimal(10), ["根据火灾类型选择灭火器", "操作步骤正确", "站位在上风方向"]),
    ],
    "weld-fusion": [
        ("K1", "wd-k11", "焊接设备及工具安全检查", Decimal(20), ["焊机接地检查", "焊钳与电缆绝缘检查", "气瓶、减压器、回火防止器检查"]),
        ("K2", "wd-k21", "手工电弧焊平焊操作", Decimal(40), ["参数选择合理", "焊缝成形良好", "操作中防护到位"]),
        ("K3", "wd-k3-hazard", "判断焊接作业现场存在的安全隐患", Decimal(20), ["指出隐患准确", "说明整改措施", "表述完整"]),
        ("K4", "wd-k31", "创伤包扎", Decimal(10), ["止血方法正确", "包扎松紧适度", "操作规范"]),
        ("K4", "wd-k41", "灭火器的选择和使用", Decimal(10), ["根据火灾类型选择灭火器", "操作步骤正确", "站位在上风方向"]),
    ],
}


def parse(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        t, stem, opts, answer, explanation, difficulty = line.split("|")
        qtype = TYPES[t]
        if qtype in ("single", "multiple"):
            options = [{"key": "ABCDEF"[i], "text": text} for i, text in enumerate(opts.split("；"))]
        elif qtype == "truefalse":
            options = truefalse_options()
        else:
            options = []
        rows.append({"type": qtype, "stem": stem, "options": options, "answer": answer, "explanation": explanation,
                     "difficulty": int(difficulty)})
    return rows


def _seed_questions(bank: QuestionBank, rows: list[dict], tags: dict[str, KnowledgeTag]) -> int:
    existing = set(Question.objects.filter(bank=bank, is_current=True).values_list("stem_digest", flat=True))
    new = []
    for r in rows:
        digest = stem_digest(r["stem"])
        if digest in existing:
            continue
        problems = services.question_problems(qtype=r["type"], stem=r["stem"], options=r["options"],
                                              answer=r["answer"], difficulty=r["difficulty"])
        if problems:
            raise ValueError(f"demo question invalid: {r['stem']}: {problems}")
        new.append(Question(bank=bank, lineage=uuid.uuid4(), type=r["type"], stem=r["stem"], stem_digest=digest,
                            options=r["options"], answer=r["answer"], explanation=r["explanation"],
                            difficulty=r["difficulty"]))
    created = Question.objects.bulk_create(new)
    through = Question.tags.through
    links = []
    for q in created:
        for code, _name, words in TAGS:
            if any(w in q.stem for w in words):
                links.append(through(question_id=q.pk, knowledgetag_id=tags[code].pk))
    through.objects.bulk_create(links, ignore_conflicts=True)
    pools.bank_touch(bank.pk)
    return len(created)


CLAUSES = [
    # clause code (cms demo: 工贸企业重大事故隐患判定标准), keywords found in a 工贸 question's stem
    ("gm2023-3-1", ("承包", "承租")),
    ("gm2023-3-2", ("特种作业人员", "操作证", "焊接与热切割作业操作证")),
    ("gm2023-3-3", ("金属冶炼企业主要负责人",)),
    ("gm2023-4-1", ("吊运跨",)),
    ("gm2023-11-1", ("非框架结构", "员工宿舍", "员工休息室", "设有员工", "设置员工")),
    ("gm2023-11-2", ("共用一套除尘", "互联互通", "不同防火分区")),
    ("gm2023-11-3", ("泄爆",)),
    ("gm2023-11-4", ("正压",)),
    ("gm2023-11-5", ("重力沉降",)),
    ("gm2023-11-6", ("锁气卸灰",)),
    ("gm2023-11-7", ("20区",)),
    ("gm2023-11-8", ("杂物去除", "砂光机")),
    ("gm2023-11-9", ("遇湿自燃",)),
    ("gm2023-11-10", ("积尘", "粉尘清理")),
    ("gm2023-12-1", ("氨直接蒸发",)),
    ("gm2023-12-2", ("快速冻结",)),
    ("gm2023-13-1", ("有限空间进行辨识", "辨识有限空间", "建立台账", "台账")),
    ("gm2023-13-2", ("先通风", "监护人员", "作业审批")),
    ("gm2023-14-0", ("失效",)),
]


def _link_clauses(banks: list[QuestionBank]) -> int:
    """Cite the 工贸 criteria clauses (from the cms demo) on the 工贸 questions. Idempotent."""
    Clause = Question.clauses.field.related_model  # the questions' own relation: exams imports nothing of cms
    clauses = {c.code: c.pk for c in Clause.objects.filter(code__in=[code for code, _w in CLAUSES])}
    if not clauses:
        return 0
    through = Question.clauses.through
    links = []
    for qid, stem in Question.objects.filter(bank__in=banks).values_list("id", "stem"):
        for code, words in CLAUSES:
            if code in clauses and any(w in stem for w in words):
                links.append(through(question_id=qid, clause_id=clauses[code]))
    through.objects.bulk_create(links, ignore_conflicts=True)
    return len(links)


def _sections(with_essay: bool) -> list[services.SectionSpec]:
    S = services.SectionSpec
    secs = [S("一、单项选择题", "single", 15, Decimal(3)), S("二、多项选择题", "multiple", 5, Decimal(5))]
    if with_essay:
        secs += [S("三、判断题", "truefalse", 10, Decimal(2)), S("四、简答题", "essay", 1, Decimal(10))]
    else:
        secs += [S("三、判断题", "truefalse", 10, Decimal(3))]
    return secs


def seed(ctx) -> None:
    centre, training = ctx.orgs["exam_centre"], ctx.orgs["training"]
    owners = {"exam_centre": centre, "training": training}
    items = {i.code: i for i in OperationItem.objects.filter(code__in=["elec-lv", "weld-fusion"], category__rule_version__code="2010")}
    tags = {}
    for code, name, _words in TAGS:
        tags[code], _ = KnowledgeTag.objects.update_or_create(code=code, defaults={"name": name})

    banks: dict[str, QuestionBank] = {}
    added = 0
    for code, name, kind, owner, item, filename in BANKS:
        bank, _ = QuestionBank.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "owner": owners[owner],
                                 "operation_item": items.get(item) if item else None,
                                 "description": "演示题库，题目为编写的示例，依据公开的法规和培训大纲。"},
        )
        banks[code] = bank
        added += _seed_questions(bank, parse(DATA / filename), tags)

    _link_clauses([banks["gongmao-train"], banks["gongmao-test"]])

    special = CertificateKind.objects.get(code="special-op", rule_version__code="2010")
    training_kind = CertificateKind.objects.get(code="training", rule_version__code="2010")
    blueprints = {}
    for code, name, bank, train, kind, essay, minutes in [
        ("bp-lv-elec", "低压电工作业 理论考试", "lv-elec-test", "lv-elec-train", special, True, 90),
        ("bp-weld", "熔化焊接与热切割作业 理论考试", "weld-test", "weld-train", special, True, 90),
        ("bp-gongmao", "工贸企业重大事故隐患判定标准 考试", "gongmao-test", "gongmao-train", training_kind, False, 60),
    ]:
        bp = Blueprint.objects.filter(code=code).first()
        if bp is None:
            bp = services.blueprint_save(
                actor=None, owner=centre, code=code, name=name, bank=banks[bank], training_bank=banks[train],
                certificate_kind=kind, sections=_sections(essay), duration_minutes=minutes,
                review_policy=Blueprint.Review.RESPONSES,
            )
        blueprints[code] = bp

    for item_code, subjects in PRACTICAL_SUBJECTS.items():
        by_code = {}
        for order, (code, name, points, vetoes) in enumerate(subjects):
            by_code[code], _ = PracticalSubject.objects.update_or_create(
                operation_item=items[item_code], code=code,
                defaults={"name": name, "points": points, "order": order, "veto_items": "\n".join(vetoes)})
        for order, (subject, code, title, points, criteria) in enumerate(PRACTICAL_TASKS[item_code]):
            PracticalTask.objects.update_or_create(
                operation_item=items[item_code], code=code,
                defaults={"title": title, "points": points, "order": order, "data": {"criteria": criteria},
                          "subject": by_code[subject]},
            )
    venue = ExamVenue.objects.filter(owner=centre, name="江门市安全生产考试中心 第一考点（演示）").first() or \
        services.venue_create(actor=None, owner=centre, name="江门市安全生产考试中心 第一考点（演示）",
                              address="江门市蓬江区（演示地址）")
    second_examiner = _second_examiner(ctx, centre)

    examiner = ctx.users["examiner"]
    now = timezone.now().replace(second=0, microsecond=0)
    sessions = [
        ("工贸企业重大事故隐患判定标准 考试（演示场次）", "bp-gongmao", training_kind, None, "第一考场",
         ["principal", "welder", "newhire"]),
        ("熔化焊接与热切割作业 理论考试（演示场次）", "bp-weld", special, items["weld-fusion"], "第二考场",
         ["welder", "newhire"]),
    ]
    for name, bp_code, kind, item, room, people in sessions:
        session = ExamSession.objects.filter(centre=centre, name=name).first()
        if session is None:
            session = services.session_create(
                actor=examiner, centre=centre, name=name, blueprint=blueprints[bp_code], certificate_kind=kind,
                operation_item=item, starts_at=now - dt.timedelta(hours=3), ends_at=now + dt.timedelta(hours=8),
                room=room, seats=40, proctors=[examiner], venue=venue,
                # the demo candidates start without a proctor in the room; the console still offers
                # the check-in step (考场签到) to try it
                require_check_in=False,
            )
        else:
            ExamSession.objects.filter(pk=session.pk).update(
                starts_at=now - dt.timedelta(hours=3), ends_at=now + dt.timedelta(hours=8), venue=venue,
                require_check_in=False)
            session.refresh_from_db()
        for username in people:
            user = ctx.users[username]
            if not Registration.objects.filter(session=session, candidate=user).exists():
                services.registration_create(actor=examiner, session=session, candidate=user,
                                             override_reason="" if user.identity_verified else "演示")
    _seed_application(ctx, centre, blueprints["bp-lv-elec"], special, items["elec-lv"], now)
    _demo_practical(ctx, items["weld-fusion"], examiner)
    ctx.log.append(f"考试：6 个题库（新增 {added} 道题）、3 套组卷策略、2 个正在进行的考试场次。"
                   f"考生 principal / welder / newhire 可在“我的考试”开始答题；考务管理账号 examiner。")
    ctx.log.append(f"  实操考试：newhire 的焊接实操成绩已由 examiner 录入，待第二位考评员 {second_examiner.username} 确认；"
                   f"考试场地“{venue.name}”。")


def _seed_application(ctx, centre, blueprint, kind, item, now) -> None:
    """A session next week open for applications (报名), and welder's application waiting for review."""
    from .models import ExamApplication
    from .services.applications import application_submit

    examiner, welder = ctx.users["examiner"], ctx.users["welder"]
    name = "低压电工作业 理论考试（报名演示场次）"
    starts = now + dt.timedelta(days=7)
    session = ExamSession.objects.filter(centre=centre, name=name).first()
    if session is None:
        session = services.session_create(
            actor=examiner, centre=centre, name=name, blueprint=blueprint, certificate_kind=kind, operation_item=item,
            starts_at=starts, ends_at=starts + dt.timedelta(hours=2), room="第一考场", seats=30, proctors=[examiner])
    else:
        ExamSession.objects.filter(pk=session.pk).update(starts_at=starts, ends_at=starts + dt.timedelta(hours=2))
        session.refresh_from_db()
    if not ExamApplication.objects.filter(person=welder, session=session).exists():
        application_submit(actor=welder, person=welder, session=session, education="senior", health_declared=True,
                           health_declared_on=timezone.localdate(now) - dt.timedelta(days=30))
    ctx.log.append("报名：低压电工作业报名演示场次（下周），welder 的报名申请待 examiner 在“报名审核”中审核。")



def _second_examiner(ctx, centre):
    """A second practical examiner of the centre, who confirms what ``examiner`` enters."""
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import membership_grant

    user = User.objects.filter(username="examiner2").first() or User(username="examiner2")
    user.real_name = "邓志刚"
    user.email = "examiner2@demo.anxun.local"
    user.set_password(ctx.password)
    user.save()
    membership_grant(user=user, organization=centre, role=Role.PRACTICAL_EXAMINER)
    ctx.users["examiner2"] = user
    return user


def _demo_practical(ctx, item, examiner) -> None:
    """newhire's welding practical: entered by ``examiner``, waiting for ``examiner2`` to confirm."""
    registration = Registration.objects.filter(candidate=ctx.users["newhire"], session__operation_item=item,
                                               status=Registration.Status.REGISTERED).first()
    if registration is None or PracticalResult.objects.filter(registration=registration).exists():
        return
    tasks = list(PracticalTask.objects.filter(operation_item=item, is_active=True))
    scores = {t.pk: t.points - (Decimal(4) if t.code == "wd-k21" else Decimal(0)) for t in tasks}
    services.practical_result_record(examiner=examiner, registration=registration, scores=scores,
                                     notes="演示：待第二位考评员确认")
