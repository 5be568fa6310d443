"""REST API for HR systems: keep the enterprise roster (花名册) in step, by ID number.

Token auth as the roster-check API. The token's user must be an enterprise admin or safety manager;
the enterprise is theirs (``organization`` = its id when they keep several). Every input goes
through ``accounts.people`` (the rule the pages and the import use); a bad field is a structured 400
naming it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from . import people as roster
from .models import User
from .validators import validate_id_number

MAX_LIMIT = 500


class IdentifierField(serializers.CharField):
    """A JSON number keeps its type, so the rule can say its digits may be lost instead of guessing."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return data
        return super().run_validation(data)


@extend_schema_field({"oneOf": [{"type": "array", "items": {"type": "string"}, "maxItems": 50}, {"type": "string"}]})
class StringOrListField(serializers.Field):
    """A list of strings, or one string listing them ('a、b')."""

    default_error_messages = {"invalid": "须为字符串数组。"}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return roster.split_list(data)
        if isinstance(data, list) and all(isinstance(v, str) for v in data) and len(data) <= 50:
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class PersonInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, help_text="姓名")
    id_number = IdentifierField(max_length=32, help_text="18位公民身份号码")
    phone = IdentifierField(max_length=20, required=False, allow_blank=True, allow_null=True, help_text="手机号")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, allow_null=True)
    roles = StringOrListField(help_text="角色代码：principal, safety_manager, worker, special_operator, ent_admin")
    operations = StringOrListField(required=False, help_text="操作项目：目录代码或中文名称（特种作业人员必填）")
    organization = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                            help_text="单位 id（同时管理多个单位时填写）")


class EndInSerializer(serializers.Serializer):
    id_number = IdentifierField(max_length=32)
    reason = serializers.CharField(max_length=255)
    ended_on = serializers.DateField(required=False, allow_null=True)
    organization = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


PERSON_FIELDS = {
    "id": serializers.IntegerField(), "name": serializers.CharField(),
    "id_number": serializers.CharField(help_text="脱敏"), "phone": serializers.CharField(),
    "email": serializers.CharField(), "roles": serializers.ListField(child=serializers.CharField()),
    "operations": serializers.ListField(child=serializers.CharField()), "active": serializers.BooleanField(),
    "ended_on": serializers.DateField(allow_null=True), "activated": serializers.BooleanField(),
}
PersonOut = inline_serializer("RosterPerson", fields=PERSON_FIELDS)
PersonWritten = inline_serializer("RosterPersonWritten", fields={
    **PERSON_FIELDS, "created": serializers.BooleanField(help_text="新建了账号"),
    "joined": serializers.BooleanField(help_text="新加入本单位（新建、已在平台登记或重新入职）"),
    "changed": serializers.BooleanField()})


class KeepsRoster(permissions.BasePermission):
    message = "只有企业管理员或安全生产管理人员可以维护人员名单。"

    def has_permission(self, request, view):
        return roster.managed_enterprises(request.user).exists()


def _enterprise(request, organization_id=None):
    asked = organization_id if organization_id is not None else request.query_params.get("organization")
    org = roster.managed_enterprise(request.user, asked)
    if org is None:
        raise ValidationError({"organization": ["请指定您所管理的单位。"]})
    return org


def _person_json(person: User) -> dict:
    memberships = person.roster_memberships
    active = [m for m in memberships if m.is_active]
    ended = [m.ended_on for m in memberships if not m.is_active and m.ended_on]
    return {
        "id": person.pk, "name": person.real_name, "id_number": person.masked_id_number, "phone": person.phone,
        "email": person.email, "roles": sorted(m.role for m in active),
        "operations": sorted(po.operation_item.code for po in person.roster_operations),
        "active": bool(active), "ended_on": max(ended) if ended and not active else None,
        "activated": person.has_usable_password(),
    }


class PeopleAPI(APIView):
    permission_classes = [permissions.IsAuthenticated, KeepsRoster]

    @extend_schema(summary="本单位人员名单（身份证号脱敏）",
                   parameters=[OpenApiParameter("status", str, enum=["current", "ended", "all"]),
                               OpenApiParameter("offset", int), OpenApiParameter("limit", int),
                               OpenApiParameter("organization", int)],
                   responses={200: inline_serializer("RosterPage", fields={
                       "count": serializers.IntegerField(),
                       "results": inline_serializer("RosterPersonItem", fields=PERSON_FIELDS, many=True)})})
    def get(self, request):
        org = _enterprise(request)
        status_value = request.query_params.get("status", "current")
        if status_value not in ("current", "ended", "all"):
            raise ValidationError({"status": ["须为 current、ended 或 all。"]})
        try:
            offset = min(10**9, max(0, int(request.query_params.get("offset", 0))))
            limit = min(MAX_LIMIT, max(1, int(request.query_params.get("limit", 100))))
        except ValueError:
            raise ValidationError({"limit": ["offset 与 limit 须为整数。"]}) from None
        qs = roster.roster_of(org, status=status_value)
        return Response({"count": qs.count(), "results": [_person_json(p) for p in qs[offset:offset + limit]]})

    @extend_schema(summary="新增或更新人员（按身份证号，幂等）",
                   description="身份证号已在本单位：更新姓名、联系方式、角色与操作项目；已在平台其他单位登记：加入本单位；"
                               "否则新建账号并发送激活邀请。新建或加入返回 201，更新或无变化返回 200。",
                   request=PersonInSerializer, responses={200: PersonWritten, 201: PersonWritten})
    def post(self, request):
        serializer = PersonInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        org = _enterprise(request, data.get("organization"))
        result = roster.person_upsert(
            organization=org, actor=request.user, name=data["name"], id_number=data["id_number"],
            phone=data.get("phone") or "", email=data.get("email") or "", roles=data["roles"],
            operations=data.get("operations") or [], request=request)
        person = roster.roster_of(org, status="all").get(pk=result.user.pk)
        body = {**_person_json(person), "created": result.created, "joined": result.joined, "changed": result.changed}
        return Response(body, status=status.HTTP_201_CREATED if result.joined else status.HTTP_200_OK)


class EndEmploymentAPI(APIView):
    permission_classes = [permissions.IsAuthenticated, KeepsRoster]

    @extend_schema(summary="办理离职（保留账号与证书）", request=EndInSerializer, responses={200: PersonOut})
    def post(self, request):
        serializer = EndInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        org = _enterprise(request, data.get("organization"))
        try:
            number = validate_id_number(data["id_number"])
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from None
        person = User.objects.by_id_number(number).first()
        if person is None or roster.person_in(org, person.pk) is None:
            raise NotFound("本单位花名册中没有此身份证号的人员。")
        roster.employment_end(organization=org, actor=request.user, person=person, reason=data["reason"],
                              ended_on=data.get("ended_on"), request=request)
        return Response(_person_json(roster.person_in(org, person.pk)))
