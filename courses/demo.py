"""Demo courses, rules, progress and offline training. Idempotent. Names of places, people and
training sessions are invented (marked 演示); the regulatory content summarises public texts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import HazardTag, Industry, Membership
from accounts.roles import Role

from catalogue.models import StudyHourRequirement, TrainingKind
from .models import (
    AssignmentRule,
    Course,
    Lesson,
    LessonProgress,
    OfflineAttendance,
    OfflineSession,
)
from .services import AttendanceRow, offline_attendance_record, rule_create, rule_sync

DUE = dt.date(2026, 12, 31)

P = "<p>{}</p>".format

COURSES = [
    {
        "code": "gm-major-hazard-dust",
        "title": "《工贸企业重大事故隐患判定标准》专题培训（粉尘涉爆企业）",
        "summary": "面向粉尘涉爆企业主要负责人和安全生产管理人员，讲解应急管理部令第10号（2023年5月15日起施行）"
                   "的适用范围、通用判定条款和粉尘爆炸专项条款，以及如何在本企业开展重大事故隐患排查。",
        "kind": TrainingKind.TOPIC, "hours": "4", "mandatory": True,
        "audience": [Role.PRINCIPAL, Role.SAFETY_MANAGER], "hazards": ["dust-explosion"], "industries": [],
        "requirement": None, "renewal": None, "practice": True,
        "lessons": [
            ("标准的来历、适用范围和结构",
             P("《工贸企业重大事故隐患判定标准》（应急管理部令第10号）自2023年5月15日起施行，取代2017年版判定标准。")
             + P("标准共15条：第一条说明目的，第二条规定适用范围——危险化学品、消防（火灾）、燃气、特种设备等方面的重大事故隐患"
                 "依照各自的判定标准执行；第三条为通用管理条款；第四条至第十条分别适用于冶金、有色、建材、机械、轻工、纺织、烟草行业；"
                 "第十一条至第十三条分别为粉尘爆炸、液氨制冷、有限空间作业的专项条款；第十四条规定安全监测监控、报警、防护等设施"
                 "失效或被停用也判定为重大事故隐患；第十五条为施行日期。")
             + P("学习提示：判定一项隐患时，先确定适用的条款（通用条款、行业条款、专项条款），再逐项对照现场情况。"), 45),
            ("通用判定条款：承包租赁管理与持证上岗",
             P("第三条列出适用于所有工贸企业的管理类重大事故隐患，例如：未对承包单位、承租单位的安全生产工作统一协调、管理，"
               "或者未定期进行安全检查；特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业。")
             + P("“谁招请无证人员，谁负责任”：企业安排焊接、电工、高处等特种作业时，应核验作业人员持有与所从事作业一致、"
                 "在有效期内且按时复审的特种作业操作证。"), 45),
            ("粉尘爆炸专项条款",
             P("第十一条针对存在粉尘爆炸危险的企业。典型情形包括：不同类别的可燃性粉尘、可燃性粉尘与可燃气体等易加剧爆炸危险的介质"
               "共用一套除尘系统，或者不同建（构）筑物、不同防火分区共用一套除尘系统、除尘系统互联互通；"
               "干式除尘系统未采取泄爆、惰化、抑爆等任一种控爆措施。")
             + P("排查时应对照除尘系统图纸和现场走向，确认每套系统服务的粉尘种类和区域，并核查控爆装置的型式、完好和维护记录。"), 45),
            ("监测报警设施与隐患排查治理",
             P("第十四条规定：安全监测监控、报警、防护等设施设备缺失、失效或者被擅自停用，也判定为重大事故隐患。")
             + P("主要负责人应定期组织排查重大事故隐患，对排查出的隐患做到责任、措施、资金、时限、预案“五到位”，"
                 "并建立内部隐患报告奖励机制。"), 45),
        ],
    },
    {
        "code": "confined-space-ops",
        "title": "有限空间作业安全培训",
        "summary": "有限空间辨识、作业审批、先通风再检测后作业、监护与应急救援。适用于存在有限空间作业的工贸企业。",
        "kind": TrainingKind.TOPIC, "hours": "2", "mandatory": False,
        "audience": [Role.PRINCIPAL, Role.SAFETY_MANAGER, Role.WORKER], "hazards": ["confined-space"], "industries": [],
        "requirement": None, "renewal": None, "practice": False,
        "lessons": [
            ("有限空间的辨识与台账",
             P("有限空间是封闭或者部分封闭、进出口受限但人员可以进入、未被设计为固定工作场所、通风不良，"
               "易造成有毒有害、易燃易爆物质积聚或者氧含量不足的空间，例如污水池、地坑、储罐、管道、炉窑。")
             + P("企业应辨识本单位的有限空间，建立台账并设置明显的安全警示标志。"), 45),
            ("作业审批、检测与监护",
             P("有限空间作业应当履行审批手续，坚持“先通风、再检测、后作业”，作业过程中持续监测，并安排专人在外监护。")
             + P("发生事故时严禁盲目施救：救援人员应佩戴正压式空气呼吸器等防护装备，并在外部人员监护下实施救援。"), 45),
        ],
    },
    {
        "code": "manager-annual-refresher",
        "title": "主要负责人和安全生产管理人员年度再培训",
        "summary": "每年再培训：新颁布的法律法规和标准、典型事故案例、本行业重大事故隐患判定要点。",
        "kind": TrainingKind.REFRESHER, "hours": "12", "mandatory": True,
        "audience": [Role.PRINCIPAL, Role.SAFETY_MANAGER], "hazards": [], "industries": [],
        "requirement": ("manager", "refresher", False), "renewal": 12, "practice": False,
        "lessons": [
            ("年度法规标准更新", P("回顾本年度新颁布或修订的安全生产法律法规、部门规章和标准。"), 180),
            ("典型事故案例警示", P("结合近年工贸行业典型事故，分析事故直接原因、间接原因和暴露出的管理问题。"), 180),
            ("重大事故隐患排查实务", P("以本行业判定条款为线索，演练隐患排查、登记、整改和销号的全过程。"), 180),
            ("安全生产责任制与“一案双罚”", P("主要负责人的法定职责、履职记录，以及违法行为对企业和个人的双重处罚。"), 180),
        ],
    },
    {
        "code": "welding-refresher",
        "title": "特种作业（焊接与热切割）复审培训",
        "summary": "焊接与热切割作业人员复审前的安全培训：新规定新标准、动火作业审批与监护、典型事故案例。",
        "kind": TrainingKind.REFRESHER, "hours": "8", "mandatory": False,
        "audience": [Role.WORKER], "hazards": ["hot-work"], "industries": [],
        "requirement": ("special_operator", "refresher", False), "renewal": None, "practice": False,
        "lessons": [
            ("动火作业审批与现场监护", P("动火作业须经审批，清理周边可燃物，配备灭火器材并安排监护人，作业结束后确认无遗留火种。"), 180),
            ("焊接与热切割典型事故", P("分析因无证作业、未清理可燃物、在有限空间内违规动火引发的火灾爆炸事故。"), 180),
        ],
    },
    {
        "code": "new-worker-3level",
        "title": "新上岗从业人员三级安全教育（厂级、车间级、班组级）",
        "summary": "新上岗从业人员岗前安全培训：厂级、车间级、班组级三级安全教育，合计不少于24学时（高危行业不少于72学时）。",
        "kind": TrainingKind.INITIAL, "hours": "24", "mandatory": True,
        "audience": [Role.WORKER], "hazards": [], "industries": [],
        "requirement": ("new_worker", "initial", False), "renewal": None, "practice": False,
        "lessons": [
            ("厂级安全教育", P("本单位安全生产情况、安全生产基本知识、规章制度和劳动纪律、从业人员的权利和义务、事故应急救援和疏散。"), 360),
            ("车间级安全教育", P("本车间工作环境和危险因素、可能遭受的职业伤害、岗位安全职责和操作技能、防护用品的使用。"), 360),
            ("班组级安全教育", P("岗位安全操作规程、岗位之间工作衔接配合、有关事故案例。"), 360),
            ("应急处置与自救互救", P("灭火器的选择和使用、创伤包扎、紧急疏散路线和集合点。"), 360),
        ],
    },
]


def _course(spec: dict, provider) -> Course:
    requirement = None
    if spec["requirement"]:
        population, kind, high_risk = spec["requirement"]
        requirement = StudyHourRequirement.in_force(population=population, kind=kind, high_risk=high_risk,
                                                    on=dt.date(2026, 1, 1))
    course, _ = Course.objects.update_or_create(
        code=spec["code"],
        defaults={
            "title": spec["title"], "summary": spec["summary"], "kind": spec["kind"],
            "required_hours": Decimal(spec["hours"]), "minutes_per_hour": 45, "is_mandatory": spec["mandatory"],
            "audience": [str(r) for r in spec["audience"]], "requirement": requirement,
            "renewal_months": spec["renewal"], "provider": provider, "is_published": True,
        },
    )
    course.hazard_tags.set(HazardTag.objects.filter(code__in=spec["hazards"]))
    course.industries.set(Industry.objects.filter(code__in=spec["industries"]))
    keep = []
    for order, (title, body, minutes) in enumerate(spec["lessons"], start=1):
        lesson, _ = Lesson.objects.update_or_create(
            course=course, sort_order=order,
            defaults={"title": title, "body": body, "min_minutes": minutes, "cap_minutes": None},
        )
        keep.append(lesson.pk)
    Lesson.objects.filter(course=course).exclude(pk__in=keep).delete()
    return course


def _rule(*, name, issuer, actor, course, **kwargs) -> AssignmentRule:
    rule = AssignmentRule.objects.filter(name=name, issuer=issuer).first()
    if rule is None:
        rule = rule_create(actor=actor, issuer=issuer, course=course, name=name, **kwargs)
    rule_sync(rule=rule)
    return rule


def _demo_study_rule() -> None:
    """The demo city's study rule: Guangdong's row asks for face checks during online study, which the
    demo's invented people (no real portrait) cannot pass; the demo city turns them off, saying so."""
    from decimal import Decimal

    from catalogue.models import StudyRule

    StudyRule.objects.update_or_create(region_prefix="4407", population="", effective_from=dt.date(2022, 6, 1), defaults={
        "minutes_per_hour": 45, "daily_cap_hours": Decimal("8"), "check_at_start": False, "check_interval_minutes": 0,
        "retention_years": 3, "retention_years_special": 6,
        "basis": "演示数据：江门演示环境未开启学习人脸核验（正式部署按广东省规则核验）"})


def seed(ctx) -> None:
    orgs, users = ctx.orgs, ctx.users
    _demo_study_rule()
    courses = {spec["code"]: _course(spec, orgs["training"]) for spec in COURSES}

    # practice on the training banks of the exams demo (never a testing bank)
    try:
        from exams.models import QuestionBank
    except ImportError:  # exams not installed
        QuestionBank = None
    for code, bank_codes in (("gm-major-hazard-dust", ["gongmao-train"]), ("welding-refresher", ["weld-train"])):
        if QuestionBank is None:
            break
        course = courses[code]
        banks = list(QuestionBank.objects.filter(code__in=bank_codes, kind=QuestionBank.Kind.TRAINING))
        course.practice_banks.set(banks)
        questions = sum(b.questions.filter(is_current=True).count() for b in banks)
        course.practice_min_answered = min(10, questions)
        course.practice_min_rate = Decimal("60") if banks else Decimal("0")
        course.save(update_fields=["practice_min_answered", "practice_min_rate"])
    dust = courses["gm-major-hazard-dust"]

    # when people joined (invented demo dates) — lets the new-worker rule find newcomers
    Membership.objects.filter(user=users["welder"], organization=orgs["huarui"], since__isnull=True).update(
        since=dt.date(2019, 3, 1))
    Membership.objects.filter(user=users["newhire"], organization=orgs["huarui"], since__isnull=True).update(
        since=dt.date(2026, 11, 2))

    _rule(name="粉尘涉爆企业主要负责人重大事故隐患判定标准培训（演示）", issuer=orgs["bureau"], actor=users["publisher"],
          course=dust, roles=[Role.PRINCIPAL, Role.SAFETY_MANAGER],
          hazard_tags=HazardTag.objects.filter(code="dust-explosion"), region_prefix_value="4407",
          due_date=DUE, due_in_days=60)
    _rule(name="2026年度主要负责人再培训（演示）", issuer=orgs["bureau"], actor=users["publisher"],
          course=courses["manager-annual-refresher"], roles=[Role.PRINCIPAL], region_prefix_value="4407", due_date=DUE)
    _rule(name="华锐公司新员工三级安全教育（演示）", issuer=orgs["huarui"], actor=users["ent_admin"],
          course=courses["new-worker-3level"], roles=[Role.WORKER], joined_since=dt.date(2026, 1, 1),
          due_date=DUE, due_in_days=30)

    # some progress for the principal: the first lesson done, the second under way
    lessons = list(dust.lessons.order_by("sort_order"))
    now = timezone.now()
    for lesson, seconds in zip(lessons, (lessons[0].min_seconds, 20 * 60)):
        LessonProgress.objects.update_or_create(
            user=users["principal"], lesson=lesson,
            defaults={"seconds": seconds, "completed_at": now if seconds >= lesson.min_seconds else None},
        )

    # offline training with attendance: the welders' refresher, and the annual refresher in class
    _offline(ctx, key="weld", course=courses["welding-refresher"], title="2026年焊接与热切割作业复审培训班（演示）",
             location="江门市安泰安全技术培训学校 第二教室（演示）", start=dt.date(2026, 9, 14), end=dt.date(2026, 9, 15),
             hours=Decimal("8"), rows=[(users["welder"], True, Decimal("8"), "")])
    _offline(ctx, key="mgr", course=courses["manager-annual-refresher"], title="2026年度主要负责人再培训班（第一期，演示）",
             location="江门市安泰安全技术培训学校 报告厅（演示）", start=dt.date(2026, 10, 12), end=dt.date(2026, 10, 13),
             hours=Decimal("12"), rows=[(users["cold_principal"], True, Decimal("12"), "")])
    _link_cms(courses)
    _institution(ctx, courses["confined-space-ops"])
    _inspection_evidence(ctx, dust, courses["new-worker-3level"])
    ctx.log.append("培训课程：5门课程、3条指派规则、2期线下培训、1个培训机构培训班、培训机构检查阈值（演示）")


DEMO_BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
DEMO_PHONE = "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def _inspection_evidence(ctx, dust, new_worker) -> None:
    """The bureau's evidence page (/courses/evidence/) with something to show: the inspection thresholds
    (data, with an effective date) and this month's study trail of two learners of the demo school, one
    of whom studied on a computer and a phone at once (the principal's 20 minutes on the second dust
    lesson, as his progress says) — half the school's learners flagged, so the school is marked for
    inspection. The month's anomalies are recorded at once, as the nightly job would."""
    from .anomalies import record_month
    from .models import InspectionThreshold, StudyInterval

    InspectionThreshold.objects.update_or_create(effective_from=dt.date(2024, 1, 1), defaults={
        "max_anomaly_rate": Decimal("20"), "max_check_failure_rate": Decimal("10"),
        "min_theory_pass_rate": Decimal("80"), "min_practical_pass_rate": Decimal("80"),
        "basis": "演示数据：江门市应急管理局对培训机构的检查阈值（演示）"})
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    base = max(month_start + dt.timedelta(minutes=1), now - dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    dust_second = dust.lessons.order_by("sort_order")[1]
    first_new = new_worker.lessons.order_by("sort_order").first()
    trail = [
        # the principal: the study moved to a phone two minutes after the computer's page stopped
        (ctx.users["principal"], dust_second, "demo-trail-pc", 0, 10, True, "", "10.20.0.15", DEMO_BROWSER),
        (ctx.users["principal"], dust_second, "demo-trail-phone", 12, 10, True, "", "172.16.8.33", DEMO_PHONE),
        # the new worker: a page left open in the background (not counted), nothing unusual
        (ctx.users["newhire"], first_new, "demo-trail-newhire", 30, 8, False, StudyInterval.Reason.INACTIVE,
         "10.20.0.21", DEMO_BROWSER),
    ]
    for user, lesson, token, offset, minutes, credited, reason, ip, agent in trail:
        start = base + dt.timedelta(minutes=offset)
        StudyInterval.objects.update_or_create(user=user, token=token, defaults={
            "lesson": lesson, "day": timezone.localdate(start), "started_at": start,
            "ended_at": start + dt.timedelta(minutes=minutes), "seconds": minutes * 60, "credited": credited,
            "reason": reason, "ip": ip, "user_agent": agent})
    record_month(timezone.localdate(now).replace(day=1))


def _institution(ctx, course) -> None:
    """The training institution's own work: the enterprise that chose it, a class with its trainees
    and attendance (the instructor login is ``trainer``; the school owns the demo's training banks)."""
    from . import institutions
    from .models import TrainingClass, TrainingProvider

    trainer, school = ctx.users["trainer"], ctx.orgs["training"]
    if not TrainingProvider.objects.filter(enterprise=ctx.orgs["huarui"], institution=school).exists():
        TrainingProvider.objects.create(enterprise=ctx.orgs["huarui"], institution=school,
                                        since=min(dt.date(2026, 11, 1), timezone.localdate()), chosen_by=ctx.users["ent_admin"])
    klass = TrainingClass.objects.filter(institution=school, name="有限空间作业安全培训班（2026年12月，演示）").first()
    if klass is None:
        klass = institutions.class_create(
            actor=trainer, institution=school, course=course, name="有限空间作业安全培训班（2026年12月，演示）",
            start_date=dt.date(2026, 12, 3), end_date=dt.date(2026, 12, 18),
            location="江门市安泰安全技术培训学校 第一教室（演示）")
    institutions.class_enrol(actor=trainer, training_class=klass, people=[ctx.users["welder"], ctx.users["newhire"]])
    if not klass.attendance.exists():
        institutions.attendance_record(actor=trainer, training_class=klass, date=dt.date(2026, 12, 3),
                                       present_ids=[ctx.users["welder"].pk, ctx.users["newhire"].pk])
        institutions.attendance_record(actor=trainer, training_class=klass, date=dt.date(2026, 12, 4),
                                       present_ids=[ctx.users["welder"].pk])


LESSON_LINKS = {
    # course code, lesson order → clause codes, page slugs (from the cms demo)
    ("gm-major-hazard-dust", 1): (["gm2023-3-1", "gm2023-11-1", "gm2023-14-0"], []),
    ("gm-major-hazard-dust", 2): (["gm2023-3-1", "gm2023-3-2"], []),
    ("gm-major-hazard-dust", 3): (["gm2023-11-2", "gm2023-11-3", "gm2023-11-10"],
                                  ["dust-explosion-check", "demo-polishing-dust-explosion"]),
    ("gm-major-hazard-dust", 4): (["gm2023-14-0"], ["demo-dual-punishment-dust"]),
    ("confined-space-ops", 1): (["gm2023-13-1"], []),
    ("confined-space-ops", 2): (["gm2023-13-2"], ["demo-sewage-pit-h2s"]),
}


def _link_cms(courses) -> None:
    try:
        from wagtail.models import Page

        from cms.models import Clause
    except ImportError:
        return
    for (code, order), (clause_codes, slugs) in LESSON_LINKS.items():
        lesson = Lesson.objects.filter(course=courses[code], sort_order=order).first()
        if lesson is None:
            continue
        lesson.clauses.set(Clause.objects.filter(code__in=clause_codes))
        lesson.pages.set(Page.objects.filter(slug__in=slugs))


def _offline(ctx, *, key, course, title, location, start, end, hours, rows) -> OfflineSession:
    session, _ = OfflineSession.objects.update_or_create(
        title=title,
        defaults={"course": course, "provider": ctx.orgs["training"], "instructor": ctx.users["trainer"],
                  "location": location, "start_date": start, "end_date": end, "hours": hours},
    )
    missing = [r for r in rows if not OfflineAttendance.objects.filter(session=session, person=r[0]).exists()]
    if missing:
        offline_attendance_record(actor=ctx.users["trainer"], session=session, rows=[
            AttendanceRow(person_id=u.pk, present=present, hours=h, note=note) for u, present, h, note in missing])
    return session

