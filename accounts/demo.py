"""Demo organisations and accounts (clearly marked demo data: names and companies are invented)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import HazardTag, Industry, Organization, ProcessTag, Region, User
from .roles import OrgKind, Role
from .services import membership_grant
from .validators import make_credit_code

DEMO_PASSWORD = "anxun-demo-2026"


@dataclass
class DemoContext:
    password: str
    orgs: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


ORGS = [
    # key, kind, name, region, industry, hazards, processes, credit-code org part
    ("bureau", OrgKind.BUREAU, "江门市应急管理局（演示）", "440700", None, [], [], "MB2C03721"),
    ("exam_centre", OrgKind.EXAM_CENTRE, "江门市安全生产考试中心（演示）", "440703", None, [], [], "MB2C1138X"),
    ("training", OrgKind.TRAINING, "江门市安泰安全技术培训学校（演示）", "440703", None, [], [], "MJL4N8T2Q"),
    ("huarui", OrgKind.ENTERPRISE, "江门市华锐金属制品有限公司（演示）", "440704", "machinery",
     ["dust-explosion", "confined-space", "hot-work"], ["polishing", "aluminium-dust", "dust-collector", "welding-machine"],
     "MA51XK3R7"),
    ("binggang", OrgKind.ENTERPRISE, "江门市冰港冷链物流有限公司（演示）", "440705", "commerce-trade",
     ["ammonia-refrigeration", "confined-space"], ["ammonia-compressor", "quick-freezer", "cold-storage"],
     "MA4W2D9L0"),
    ("xinda", OrgKind.ENTERPRISE, "台山市鑫达铝业有限公司（演示）", "440781", "nonferrous",
     ["metal-smelting", "dust-explosion", "molten-metal"], ["ladle-crane", "aluminium-dust"], "MA53F7H6K"),
]

ACCOUNTS = [
    # username, real name, ID number, org key, roles
    ("editor", "周文静", "", "bureau", [Role.BUREAU_EDITOR]),
    ("publisher", "郑国华", "", "bureau", [Role.BUREAU_PUBLISHER, Role.BUREAU_ANALYST]),
    ("examiner", "冯建民", "", "exam_centre",
     [Role.ITEM_WRITER, Role.PROCTOR, Role.PRACTICAL_EXAMINER, Role.CERT_OFFICER]),
    ("trainer", "黄丽娟", "", "training", [Role.INSTRUCTOR]),
    ("ent_admin", "林晓燕", "", "huarui", [Role.ENT_ADMIN]),
    ("principal", "陈志强", "445221198801013318", "huarui", [Role.PRINCIPAL]),
    ("welder", "王建国", "110101198503071235", "huarui", [Role.WORKER]),
    ("newhire", "李秀梅", "440704199002154027", "huarui", [Role.WORKER]),
    ("cold_principal", "梁海涛", "", "binggang", [Role.PRINCIPAL]),
    ("smelt_principal", "吴振宇", "", "xinda", [Role.PRINCIPAL]),
]


def seed(ctx: DemoContext) -> None:
    for key, kind, name, region, industry, hazards, processes, org_part in ORGS:
        credit = make_credit_code("91" if kind == OrgKind.ENTERPRISE else "12", region, org_part[:8])
        org, _ = Organization.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind, "region": Region.objects.get(code=region),
                "industry": Industry.objects.get(code=industry) if industry else None,
                "credit_code": credit, "address": f"{Region.objects.get(code=region).name}（演示地址）",
            },
        )
        org.hazard_tags.set(HazardTag.objects.filter(code__in=hazards))
        org.process_tags.set(ProcessTag.objects.filter(code__in=processes))
        ctx.orgs[key] = org

    for username, real_name, id_number, org_key, roles in ACCOUNTS:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.real_name = real_name
        user.email = f"{username}@demo.anxun.local"
        user.set_id_number(id_number)
        user.identity_verified = bool(id_number)
        user.set_password(ctx.password)
        user.save()
        for role in roles:
            membership_grant(user=user, organization=ctx.orgs[org_key], role=role)
        ctx.users[username] = user

    admin = User.objects.filter(username="admin").first() or User(username="admin")
    admin.real_name = "平台管理员"
    admin.is_staff = admin.is_superuser = True
    admin.email = "admin@demo.anxun.local"
    admin.set_password(ctx.password)
    admin.save()
    ctx.users["admin"] = admin
