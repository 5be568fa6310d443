"""Organisation kinds and the roles a membership can carry."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    BUREAU = "bureau", _("应急管理局")
    EXAM_CENTRE = "exam_centre", _("考试中心")
    TRAINING = "training", _("培训机构")


class Role(models.TextChoices):
    PRINCIPAL = "principal", _("主要负责人")
    SAFETY_MANAGER = "safety_manager", _("安全生产管理人员")
    WORKER = "worker", _("从业人员")
    ENT_ADMIN = "ent_admin", _("企业管理员")
    BUREAU_EDITOR = "bureau_editor", _("监管部门编辑")
    BUREAU_PUBLISHER = "bureau_publisher", _("监管部门审核发布")
    BUREAU_ANALYST = "bureau_analyst", _("监管部门统计分析")
    ITEM_WRITER = "item_writer", _("命题人员")
    PROCTOR = "proctor", _("监考人员")
    PRACTICAL_EXAMINER = "practical_examiner", _("实操考评员")
    CERT_OFFICER = "cert_officer", _("发证人员")
    INSTRUCTOR = "instructor", _("培训讲师")
    SPECIAL_OPERATOR = "special_operator", _("特种作业人员")


ROLE_KIND = {
    Role.PRINCIPAL: OrgKind.ENTERPRISE,
    Role.SAFETY_MANAGER: OrgKind.ENTERPRISE,
    Role.WORKER: OrgKind.ENTERPRISE,
    Role.ENT_ADMIN: OrgKind.ENTERPRISE,
    Role.BUREAU_EDITOR: OrgKind.BUREAU,
    Role.BUREAU_PUBLISHER: OrgKind.BUREAU,
    Role.BUREAU_ANALYST: OrgKind.BUREAU,
    Role.ITEM_WRITER: OrgKind.EXAM_CENTRE,
    Role.PROCTOR: OrgKind.EXAM_CENTRE,
    Role.PRACTICAL_EXAMINER: OrgKind.EXAM_CENTRE,
    Role.CERT_OFFICER: OrgKind.EXAM_CENTRE,
    Role.INSTRUCTOR: OrgKind.TRAINING,
    Role.SPECIAL_OPERATOR: OrgKind.ENTERPRISE,
}

ENTERPRISE_MANAGERS = frozenset({Role.PRINCIPAL, Role.SAFETY_MANAGER, Role.ENT_ADMIN})
BUREAU_ROLES = frozenset({Role.BUREAU_EDITOR, Role.BUREAU_PUBLISHER, Role.BUREAU_ANALYST})
EXAM_CENTRE_ROLES = frozenset({Role.ITEM_WRITER, Role.PROCTOR, Role.PRACTICAL_EXAMINER, Role.CERT_OFFICER})
LEARNER_ROLES = frozenset({Role.PRINCIPAL, Role.SAFETY_MANAGER, Role.WORKER, Role.SPECIAL_OPERATOR})
# 考培分离 for people: an instructor of a training institution never also holds one of these roles
# (writing testing items, proctoring, examining practicals), in any organisation.
EXAMINING_ROLES = frozenset({Role.ITEM_WRITER, Role.PROCTOR, Role.PRACTICAL_EXAMINER})
TRAINING_ROLES = frozenset({Role.INSTRUCTOR})
# Roles whose work needs the full ID number of people in their scope (identity checks, issuing).
FULL_ID_ROLES = frozenset({Role.PROCTOR, Role.CERT_OFFICER, Role.ENT_ADMIN})
# Roles an enterprise gives its people on the roster (花名册), and who keeps the roster.
ENTERPRISE_ROLES = frozenset(role for role, kind in ROLE_KIND.items() if kind == OrgKind.ENTERPRISE)
PEOPLE_MANAGERS = frozenset({Role.ENT_ADMIN, Role.SAFETY_MANAGER})
