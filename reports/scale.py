"""A generated population for the city demo and the province benchmark (``seed_demo --scale``).

Everything is invented and marked as demo (enterprise names end in “（演示）”, e-mail addresses are
``@demo.anxun.local``, certificates have source ``demo``), and deterministic from the seed: the same
seed and size give the same rows. Enterprises are spread over real administrative divisions (the
districts of Jiangmen for ``city``, Guangdong's 21 prefecture-level cities for ``province``);
industries and hazard tags follow realistic shares. Each enterprise has a principal, a safety
manager, workers and special operators; ID numbers and credit codes pass accounts.validators.
People get enrolments and study trails, principals and safety managers training records (initial and
yearly refresher, some short), special operators exam results and certificates in every
lifecycle state; warning cases are pushed to the enterprises they match, most of them read.

Rows go in with bulk_create in batches, with one password hash shared by every generated person
(the demo password) and ID numbers encrypted through accounts.pii.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts import pii
from accounts.models import HazardTag, Industry, Membership, Organization, PersonOperation, Region, User
from accounts.roles import OrgKind, Role
from accounts.validators import make_credit_code, make_id_number
from catalogue.models import CertificateKind, OperationItem, RuleVersion
from certificates.models import Certificate
from cms.models import WarningCasePage, WarningNotification
from courses.models import Course, Enrolment, Lesson, StudyInterval, TrainingRecord
from exams.models import Attempt, Blueprint, ExamSession, Registration

BATCH = 2000

SCALES = {
    # enterprises, people per enterprise on average, region codes' parent
    "city": {"enterprises": 2000, "parent": "440700"},
    "province": {"enterprises": 100_000, "parent": "440000"},
}
# district weights for Jiangmen (roughly by number of industrial enterprises)
CITY_WEIGHTS = {"440703": 22, "440704": 10, "440705": 24, "440781": 12, "440783": 12, "440784": 13, "440785": 7}
# prefecture weights for Guangdong (the Pearl River Delta holds most industry)
PROVINCE_WEIGHTS = {
    "440100": 14, "440300": 16, "440600": 14, "441900": 14, "440700": 5, "442000": 6, "441300": 6, "440400": 3,
    "441200": 3, "440500": 3, "440200": 1, "440800": 2, "440900": 2, "441400": 1, "441500": 1, "441600": 1,
    "441700": 1, "441800": 2, "445100": 2, "445200": 2, "445300": 1,
}
INDUSTRY_WEIGHTS = {
    "machinery": 30, "light-industry": 22, "building-materials": 10, "textile": 10, "commerce-trade": 12,
    "metallurgy": 4, "nonferrous": 4, "hazardous-chemicals": 5, "tobacco": 1, "fireworks": 1, "non-coal-mine": 1,
}
# hazard tags by industry: (code, probability)
HAZARDS_BY_INDUSTRY = {
    "machinery": [("dust-explosion", 0.25), ("hot-work", 0.5), ("confined-space", 0.1)],
    "light-industry": [("dust-explosion", 0.15), ("ammonia-refrigeration", 0.1), ("confined-space", 0.15)],
    "building-materials": [("dust-explosion", 0.2), ("confined-space", 0.2)],
    "textile": [("dust-explosion", 0.1)],
    "commerce-trade": [("ammonia-refrigeration", 0.2)],
    "metallurgy": [("metal-smelting", 0.8), ("molten-metal", 0.7), ("gas-coal", 0.4), ("hot-work", 0.6)],
    "nonferrous": [("metal-smelting", 0.7), ("molten-metal", 0.6), ("dust-explosion", 0.3)],
    "hazardous-chemicals": [("hazchem-use", 0.9), ("confined-space", 0.5), ("hot-work", 0.4)],
    "tobacco": [("dust-explosion", 0.3)],
    "fireworks": [("hazchem-use", 0.5)],
    "non-coal-mine": [("confined-space", 0.3)],
}
TRADE_WORDS = {
    "machinery": ["五金制品", "机械设备", "精密铸造", "模具", "电机", "汽车配件"],
    "light-industry": ["食品", "家具", "纸业", "塑料制品", "卫浴", "灯饰"],
    "building-materials": ["建材", "陶瓷", "水泥制品", "玻璃"],
    "textile": ["纺织", "服装", "印染", "织造"],
    "commerce-trade": ["冷链物流", "商贸", "仓储"],
    "metallurgy": ["钢铁", "不锈钢", "铸锻"],
    "nonferrous": ["铝业", "铜材", "有色金属"],
    "hazardous-chemicals": ["化工", "涂料", "气体"],
    "tobacco": ["烟草机械"],
    "fireworks": ["烟花"],
    "non-coal-mine": ["石场", "矿业"],
}
BRAND = list("华盛鑫达丰源宏泰恒昌富兴隆祥安和荣嘉瑞兆永利金海新明福康德")
SURNAMES = list("李王张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯邓许曾彭萧蔡潘田董袁余叶")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华建国志红文斌辉海波玉兰宁健春")
SPECIAL_ITEMS = ["weld-fusion", "elec-lv", "height-scaffold", "refrig-op", "metal-gas", "weld-pressure"]


@dataclass
class Stats:
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _digest(*parts) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def _id_number(n: int, region: str) -> str:
    """A valid, unique ID number for person n: birth dates 1966–2004 and a sequence number."""
    day = dt.date(1966, 1, 1) + dt.timedelta(days=n % 13800)
    seq = (n // 13800) % 1000
    return make_id_number(f"{region}{day:%Y%m%d}{seq:03d}")


def _org_code(n: int, tag: str) -> str:
    return f"{tag}{n:07d}"


def _bulk(model, rows, stats: Stats, key: str) -> None:
    """Insert generated rows. On PostgreSQL they are streamed with COPY (a province is millions of
    rows, and building multi-row INSERT statements is most of the time); elsewhere bulk_create.
    Either way the values are the model fields' own database values, and no row needs its key back."""
    if rows and connection.vendor == "postgresql":
        _copy(model, rows)
    else:
        for i in range(0, len(rows), BATCH):
            model.objects.bulk_create(rows[i:i + BATCH], batch_size=BATCH)
    stats.add(key, len(rows))


def _copy(model, rows) -> None:
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and getattr(rows[0], f.attname) is None)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in rows:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])


def generate(*, scale: str = "city", seed: int = 2026, enterprises: int | None = None, password: str = "",
             log=print) -> Stats:
    """Add the generated population. Refuses to run twice for the same scale (its enterprises exist)."""
    spec = SCALES[scale]
    n_ent = enterprises if enterprises is not None else spec["enterprises"]
    tag = "C" if scale == "city" else "P"
    prefix = f"demo{tag.lower()}"
    if User.objects.filter(username__startswith=f"{prefix}-").exists():
        raise ValueError(f"scale {scale} already loaded")
    t0 = time.perf_counter()
    stats = Stats()
    rng = random.Random(f"{seed}:{scale}")
    today = timezone.localdate()
    now = timezone.now()
    weights = CITY_WEIGHTS if scale == "city" else PROVINCE_WEIGHTS
    regions = {r.code: r for r in Region.objects.filter(code__in=weights)}
    missing = set(weights) - set(regions)
    if missing:
        raise ValueError(f"missing regions {sorted(missing)} (run the migrations)")
    industries = {i.code: i for i in Industry.objects.filter(code__in=INDUSTRY_WEIGHTS)}
    hazards = {h.code: h for h in HazardTag.objects.all()}
    password_hash = make_password(password) if password else make_password(None)

    with transaction.atomic():
        # ------------------------------------------------------------- enterprises
        orgs, org_meta = [], []
        for i in range(n_ent):
            region = _pick(rng, weights)
            ind = _pick(rng, {k: v for k, v in INDUSTRY_WEIGHTS.items() if k in industries})
            name = (f"{regions[region].name}{rng.choice(BRAND)}{rng.choice(BRAND)}"
                    f"{rng.choice(TRADE_WORDS[ind])}有限公司（演示{i + 1:06d}）")
            orgs.append(Organization(
                kind=OrgKind.ENTERPRISE, name=name[:128], region_id=region, industry=industries[ind],
                credit_code=make_credit_code("91", region, _org_code(i, tag)),
                address=f"{regions[region].name}演示工业园{rng.randint(1, 300)}号"))
            tags = [h for h, p in HAZARDS_BY_INDUSTRY.get(ind, []) if h in hazards and rng.random() < p]
            # people: small and medium enterprises dominate (log-normal-ish headcount, mean about 15)
            size = max(4, min(300, int(rng.lognormvariate(2.5, 0.7))))
            org_meta.append((region, ind, tags, size))
        _bulk(Organization, orgs, stats, "enterprises")
        orgs = list(Organization.objects.filter(credit_code__in=[o.credit_code for o in orgs]).order_by("credit_code"))
        by_code = {o.credit_code: o for o in orgs}
        orgs = [by_code[make_credit_code("91", meta[0], _org_code(i, tag))] for i, meta in enumerate(org_meta)]
        through = Organization.hazard_tags.through
        _bulk(through, [through(organization_id=o.pk, hazardtag_id=hazards[h].pk)
                        for o, meta in zip(orgs, org_meta) for h in meta[2]], stats, "hazard_tags")

        # ------------------------------------------------------------- people
        people = []  # (user, org index, role)
        users = []
        n = 0
        for idx, (region, _ind, _tags, size) in enumerate(org_meta):
            roles = [Role.PRINCIPAL, Role.SAFETY_MANAGER]
            n_special = max(1, size // 5)
            roles += [Role.SPECIAL_OPERATOR] * n_special + [Role.WORKER] * (size - 2 - n_special)
            for role in roles:
                id_number = _id_number(n + seed, region)
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
                u = User(username=f"{prefix}-{n:07d}", real_name=name, password=password_hash,
                         email=f"{prefix}-{n:07d}@demo.anxun.local", identity_verified=rng.random() < 0.9,
                         id_number_encrypted=pii.encrypt(id_number), id_number_hash=pii.keyed_hash(id_number),
                         date_joined=now)
                users.append(u)
                people.append((n, idx, role))
                n += 1
        _bulk(User, users, stats, "people")
        ids = dict(User.objects.filter(username__startswith=f"{prefix}-").values_list("username", "id"))
        uid = [ids[f"{prefix}-{k:07d}"] for k in range(n)]
        memberships = [Membership(user_id=uid[k], organization_id=orgs[idx].pk, role=role,
                                  since=today - dt.timedelta(days=rng.randint(30, 3650)))
                       for k, idx, role in people]
        _bulk(Membership, memberships, stats, "memberships")
        log(f"  enterprises and people: {time.perf_counter() - t0:.1f} s")

        # ------------------------------------------------------------- special operators: exams, certificates
        kind = (CertificateKind.objects.filter(code="special-op", rule_version__scope=RuleVersion.Scope.SPECIAL_OPERATION)
                .order_by("-rule_version__effective_from").select_related("rule_version").first())
        specials = [(k, idx) for k, idx, role in people if role == Role.SPECIAL_OPERATOR]
        if kind is not None and specials:
            items = {i.code: i for i in OperationItem.objects.filter(category__rule_version=kind.rule_version)}
            item_list = [items[c] for c in SPECIAL_ITEMS if c in items] or list(items.values())[:6]
            issuer = Organization.objects.filter(kind=OrgKind.EXAM_CENTRE).order_by("pk").first()
            ops, certs = [], []
            for j, (k, idx) in enumerate(specials):
                item = item_list[j % len(item_list)]
                ops.append(PersonOperation(user_id=uid[k], organization_id=orgs[idx].pk, operation_item=item))
                vf, state, reviewed, review_due = _certificate_dates(rng, j, kind, today)
                valid_until = vf + relativedelta(months=kind.validity_months) - dt.timedelta(days=1)
                cert = Certificate(
                    number=f"YS{tag}{seed % 100:02d}{j:09d}", verification_code=_digest(seed, scale, j)[:16].upper(),
                    holder_id=uid[k], holder_name=users[k].real_name, employer_id=orgs[idx].pk, kind=kind,
                    operation_item=item, rule_version=kind.rule_version, issuing_authority="应急管理部门（演示）",
                    issued_by_org=issuer, first_issued_on=vf, valid_from=vf, valid_until=valid_until,
                    next_review_due=review_due, last_reviewed_on=reviewed, state=state,
                    source=Certificate.Source.DEMO)
                if state != Certificate.State.ACTIVE:
                    cert.state_category = (Certificate.StateCategory.FRAUD if state == Certificate.State.REVOKED
                                           else Certificate.StateCategory.VIOLATION)
                    cert.state_reason = "演示数据"
                    cert.state_changed_at = now
                cert.national_number_encrypted = ""  # set below with the holder's number
                certs.append((cert, k))
            _bulk(PersonOperation, ops, stats, "person_operations")
            rows = []
            for cert, k in certs:
                region = org_meta[people[k][1]][0]
                cert.set_national_number(_id_number(k + seed, region))
                rows.append(cert)
            _bulk(Certificate, rows, stats, "certificates")
            _exam_results(rng, scale, seed, specials, uid, stats, now)
        log(f"  certificates and exam results: {time.perf_counter() - t0:.1f} s")

        # ------------------------------------------------------------- enrolments and study trails
        courses = list(Course.objects.order_by("pk")[:4])
        lessons = {}
        for c in courses:
            lessons[c.pk] = list(Lesson.objects.filter(course=c).order_by("sort_order", "pk").values_list("pk", flat=True))
        courses = [c for c in courses if lessons[c.pk]]
        if courses:
            enrolments, intervals = [], []
            for k, _idx, _role in people:
                course = courses[k % len(courses)]
                done = rng.random()
                status = Enrolment.Status.COMPLETED if done < 0.55 else Enrolment.Status.ACTIVE
                enrolled = now - dt.timedelta(days=rng.randint(5, 300))
                enrolments.append(Enrolment(
                    user_id=uid[k], course=course, status=status, enrolled_at=enrolled,
                    due_date=today + dt.timedelta(days=rng.randint(-60, 120)),
                    completed_at=enrolled + dt.timedelta(days=rng.randint(1, 4)) if status == "completed" else None))
                for s in range(rng.randint(0, 3) if status == "active" else 2):
                    start = enrolled + dt.timedelta(days=s, hours=rng.randint(8, 20))
                    secs = rng.randint(300, 2700)
                    credited = rng.random() < 0.93
                    intervals.append(StudyInterval(
                        user_id=uid[k], lesson_id=lessons[course.pk][s % len(lessons[course.pk])],
                        token=_digest(seed, k, s)[:32], day=timezone.localtime(start).date(), started_at=start,
                        ended_at=start + dt.timedelta(seconds=secs), seconds=secs, credited=credited,
                        reason="" if credited else StudyInterval.Reason.INACTIVE))
            _bulk(Enrolment, enrolments, stats, "enrolments")
            _bulk(StudyInterval, intervals, stats, "study_intervals")
            _manager_training(rng, people, uid, orgs, org_meta, industries, courses[0], today, stats)
        log(f"  enrolments and study trails: {time.perf_counter() - t0:.1f} s")

        # ------------------------------------------------------------- warning pushes and read receipts
        pages = list(WarningCasePage.objects.live().order_by("pk").prefetch_related("hazard_tags"))
        if pages:
            managers = {}
            for k, idx, role in people:
                if role in (Role.PRINCIPAL, Role.SAFETY_MANAGER):
                    managers.setdefault(idx, []).append((k, role))
            pushes = []
            for page in pages:
                page_tags = {t.code for t in page.hazard_tags.all()}
                pushed_at = now - dt.timedelta(days=rng.randint(3, 60))
                for idx, meta in enumerate(org_meta):
                    matched = page_tags & set(meta[2])
                    if page_tags and not matched:
                        continue
                    for k, role in managers.get(idx, []):
                        read = rng.random() < 0.7
                        pushes.append(WarningNotification(
                            page=page, organization_id=orgs[idx].pk, recipient_id=uid[k], role=role,
                            matched_on="、".join(sorted(matched)),
                            read_at=pushed_at + dt.timedelta(hours=rng.randint(1, 200)) if read else None))
            _bulk(WarningNotification, pushes, stats, "warning_pushes")
            stats.add("warning_pages", len(pages))
    _campaign_copies(sorted(regions.values(), key=lambda r: r.code), today, stats)
    from .rollup import rollup_build  # the bureau pages read the day's roll-up: build it with the data

    # fresh planner statistics after the bulk load (PostgreSQL's autovacuum would give them later;
    # SQLite has none until ANALYZE, and without them plans the roll-up's queries several times slower)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    build = rollup_build()
    log(f"roll-up of the bureau pages built in {build.seconds} s")
    stats.seconds = round(time.perf_counter() - t0, 1)
    return stats


def _manager_training(rng, people, uid, orgs, org_meta, industries, course, today: dt.date, stats: Stats) -> None:
    """Training records of principals and safety managers (classes of training institutions, 线下):
    most had their initial training years ago in full, most of those their yearly refresher in the
    last twelve months, some fall short; the hours are the catalogue's legal minimum of the
    enterprise's kind (high-risk or not), so coverage and compliance have realistic figures."""
    from catalogue.models import Population, StudyHourRequirement, TrainingKind

    minimum = {}
    for kind in (TrainingKind.INITIAL, TrainingKind.REFRESHER):
        for high_risk in (False, True):
            req = StudyHourRequirement.in_force(population=Population.MANAGER, kind=kind, high_risk=high_risk, on=today)
            minimum[(kind, high_risk)] = req.hours if req is not None else None
    records = []
    for k, idx, role in people:
        if role not in (Role.PRINCIPAL, Role.SAFETY_MANAGER) or rng.random() > 0.8:
            continue
        high_risk = industries[org_meta[idx][1]].high_risk
        hours = minimum[(TrainingKind.INITIAL, high_risk)]
        if hours is None:
            continue
        end = today - dt.timedelta(days=rng.randint(30, 2200))
        records.append(TrainingRecord(
            person_id=uid[k], course=course, hours=hours, start_date=end - dt.timedelta(days=6), end_date=end,
            source=TrainingRecord.Source.OFFLINE, organization_id=orgs[idx].pk))
        refresher = minimum[(TrainingKind.REFRESHER, high_risk)]
        if end < today - dt.timedelta(days=365) and refresher and rng.random() < 0.7:
            end = today - dt.timedelta(days=rng.randint(10, 360))
            short = rng.random() < 0.12  # left the class early
            records.append(TrainingRecord(
                person_id=uid[k], course=course, hours=refresher / 2 if short else refresher,
                start_date=end - dt.timedelta(days=2), end_date=end, source=TrainingRecord.Source.OFFLINE,
                organization_id=orgs[idx].pk))
    _bulk(TrainingRecord, records, stats, "manager_training_records")


def _certificate_dates(rng: random.Random, j: int, kind, today: dt.date):
    """Dates and state giving every lifecycle status in realistic shares (the first six
    certificates cover one status each, so even a tiny population shows all of them)."""
    review = kind.review_interval_months
    window = kind.review_window_days
    bucket = j if j < 6 else None
    r = rng.random()
    if bucket == 0 or (bucket is None and r < 0.62):  # valid, within its first review period
        vf = today - dt.timedelta(days=rng.randint(0, max(1, review * 30 - window - 10)))
        kind_state = "valid"
    elif bucket == 1 or (bucket is None and r < 0.70):  # review due within the window
        vf = today + dt.timedelta(days=rng.randint(5, max(6, window - 5))) - relativedelta(months=review)
        kind_state = "review_due"
    elif bucket == 2 or (bucket is None and r < 0.76):  # review overdue
        vf = today - relativedelta(months=review) - dt.timedelta(days=rng.randint(10, 600))
        kind_state = "review_overdue"
    elif bucket == 3 or (bucket is None and r < 0.86):  # expired
        vf = today - relativedelta(months=kind.validity_months) - dt.timedelta(days=rng.randint(10, 900))
        kind_state = "expired"
    elif bucket == 4 or (bucket is None and r < 0.88):
        vf = today - dt.timedelta(days=rng.randint(30, 900))
        kind_state = "suspended"
    elif bucket == 5 or (bucket is None and r < 0.895):
        vf = today - dt.timedelta(days=rng.randint(30, 900))
        kind_state = "revoked"
    else:  # reviewed on time, in its second period
        vf = today - relativedelta(months=review) - dt.timedelta(days=rng.randint(10, 900))
        kind_state = "reviewed"
    valid_until = vf + relativedelta(months=kind.validity_months) - dt.timedelta(days=1)
    review_due = vf + relativedelta(months=review) if review else None
    if review_due and review_due > valid_until:
        review_due = valid_until
    reviewed = None
    if kind_state == "reviewed":
        reviewed = review_due - dt.timedelta(days=rng.randint(5, 50)) if review_due else None
        review_due = None
    state = {"suspended": Certificate.State.SUSPENDED, "revoked": Certificate.State.REVOKED}.get(
        kind_state, Certificate.State.ACTIVE)
    return vf, state, reviewed, review_due


def _exam_results(rng, scale, seed, specials, uid, stats, now) -> None:
    """Graded theory exams of the special operators (one session per 20,000 candidates)."""
    template = ExamSession.objects.select_related("blueprint").order_by("pk").first()
    if template is None:
        return
    bp: Blueprint = template.blueprint
    regs_by_session = []
    for s in range(0, len(specials), 20000):
        when = now - dt.timedelta(days=30 + s // 20000)
        session = ExamSession.objects.create(
            centre=template.centre, name=f"{scale}规模演示考试第{s // 20000 + 1}场（演示）", blueprint=bp,
            certificate_kind=template.certificate_kind, operation_item=template.operation_item,
            rule_version=template.rule_version, starts_at=when, ends_at=when + dt.timedelta(hours=2),
            seats=30000, require_identity_verified=False)
        chunk = specials[s:s + 20000]
        regs = [Registration(session=session, candidate_id=uid[k], seat=i + 1,
                             ticket_number=f"YS{scale[0].upper()}{seed % 100:02d}{s + i:09d}")
                for i, (k, _idx) in enumerate(chunk)]
        _bulk(Registration, regs, stats, "registrations")
        regs_by_session.append((session, when))
    attempts = []
    for session, when in regs_by_session:
        for reg in Registration.objects.filter(session=session).only("id", "candidate_id").order_by("seat"):
            score = Decimal(max(40, min(100, int(rng.gauss(84, 9)))))
            attempts.append(Attempt(
                user_id=reg.candidate_id, registration_id=reg.pk, blueprint=bp, bank_id=bp.bank_id,
                status=Attempt.Status.GRADED, started_at=when, deadline=when + dt.timedelta(hours=2),
                submitted_at=when + dt.timedelta(minutes=rng.randint(30, 110)),
                submitted_by=Attempt.SubmittedBy.CANDIDATE, max_score=Decimal(100), pass_mark=bp.pass_mark,
                score=score, passed=score >= bp.pass_mark))
    _bulk(Attempt, attempts, stats, "exam_attempts")


GENERATED_CAMPAIGN = "广东省重大事故隐患专项排查整治（演示生成）"
UNITS_PER_REGION = 6


def _campaign_copies(regions: list, today: dt.date, stats: Stats) -> None:
    """A province-wide campaign (from 1 January) with six towns per generated region, every one of
    which sent an accepted copy for every finished period: the 调度表 roll-up at scale."""
    from .campaign_templates import ensure_templates
    from .collection import periods_of
    from .demo import demo_values
    from .models import Campaign, ReportCopy, ReportingUnit, ReportTemplate

    ensure_templates(ReportTemplate)
    template = ReportTemplate.objects.get(code="annex-2023", version=1)
    campaign, _ = Campaign.objects.get_or_create(
        name=GENERATED_CAMPAIGN, defaults={"region_id": "440000", "start_date": today.replace(month=1, day=1),
                                           "template": template, "document": "（演示）"})
    periods = [p for p in periods_of(campaign, today) if p[1] < today]
    generated = ReportingUnit.objects.filter(region__in=regions, name__endswith="镇（生成）")
    have = set(generated.values_list("region_id", "name"))
    ReportingUnit.objects.bulk_create([
        ReportingUnit(region=region, name=name, kind=ReportingUnit.Kind.TOWN)
        for region in regions for name in (f"{region.name}演示{k + 1}镇（生成）" for k in range(UNITS_PER_REGION))
        if (region.code, name) not in have])
    copies = [ReportCopy(campaign=campaign, unit=unit, period_start=start, period_end=end, due_date=due,
                         status=ReportCopy.Status.ACCEPTED, values=demo_values(template, n))
              for n, unit in enumerate(generated.order_by("region_id", "name")) for start, end, due in periods]
    ReportCopy.objects.bulk_create(copies, batch_size=BATCH, ignore_conflicts=True)  # idempotent
    stats.add("campaign_copies", len(copies))
