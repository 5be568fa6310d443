"""REST API: roster checks for HR systems (token auth) and public verification by code."""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from accounts.selectors import organizations_of

from . import selectors, services
from .roster import MAX_ROWS, STATUSES
from .verification import allow, log_verification, masked_query


class IdentifierField(serializers.CharField):
    """A JSON number is kept as a number, so the row says its digits were lost instead of checking them."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return data
        return super().run_validation(data)


class RosterRowSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, allow_blank=True, trim_whitespace=False)
    id_number = IdentifierField(max_length=32, allow_blank=True, trim_whitespace=False)
    operation = serializers.CharField(max_length=64, min_length=1, trim_whitespace=False, help_text="操作项目：目录代码（如 weld-fusion）或中文名称")


class RosterRequestSerializer(serializers.Serializer):
    rows = serializers.ListField(child=RosterRowSerializer(), allow_empty=False, min_length=1, max_length=MAX_ROWS)


CertificateBrief = inline_serializer("CertificateBrief", fields={
    "number": serializers.CharField(), "verification_code": serializers.CharField(), "kind": serializers.CharField(),
    "operation": serializers.CharField(), "valid_until": serializers.DateField(),
    "next_review_due": serializers.DateField(allow_null=True), "status": serializers.CharField(),
    "status_label": serializers.CharField(),
}, allow_null=True)  # null: no certificate found for the row

RosterResult = inline_serializer("RosterCheckResult", fields={
    "id": serializers.IntegerField(),
    "summary": serializers.DictField(),
    "rows": inline_serializer("RosterRowResult", many=True, fields={
        "row": serializers.IntegerField(), "name": serializers.CharField(),
        "id_number": serializers.CharField(help_text="脱敏"), "operation": serializers.CharField(),
        "status": serializers.ChoiceField(choices=list(STATUSES)), "status_label": serializers.CharField(),
        "message": serializers.CharField(), "certificate": CertificateBrief,
    }),
})


class CanCheckRosters(permissions.BasePermission):
    message = "只有企业管理员、安全生产管理人员或监管部门人员可以核查名单。"

    def has_permission(self, request, view):
        return selectors.can_check_rosters(request.user)


class RosterCheckAPI(APIView):
    permission_classes = [permissions.IsAuthenticated, CanCheckRosters]

    @extend_schema(
        summary="核查人员名单的持证情况",
        description="逐行返回 status：valid, no_certificate, wrong_operation, review_overdue, expired, suspended, "
                    "revoked, name_mismatch, invalid_id，以及判定所依据的证书。也接受直接提交行数组。",
        request=RosterRequestSerializer, responses={201: RosterResult},
    )
    def post(self, request):
        data = request.data
        if isinstance(data, list):
            data = {"rows": data}
        serializer = RosterRequestSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        rows = [{**row, "_row": i} for i, row in enumerate(serializer.validated_data["rows"], start=1)]
        orgs = organizations_of(request.user, Role.ENT_ADMIN, Role.SAFETY_MANAGER)
        check = services.roster_check_run(user=request.user, rows=rows, channel="api",
                                          organization=orgs[0] if orgs else None)
        return Response({"id": check.pk, "summary": check.summary, "rows": check.results}, status=status.HTTP_201_CREATED)


VerifyResult = inline_serializer("CertificateVerification", fields={
    "found": serializers.BooleanField(), "status": serializers.CharField(), "status_label": serializers.CharField(),
    "holder_name": serializers.CharField(help_text="脱敏"),
    "id_number": serializers.CharField(help_text="脱敏：仅地区码与出生年份，如 1101011985********"),
    "kind": serializers.CharField(), "operation_category": serializers.CharField(), "operation": serializers.CharField(),
    "number": serializers.CharField(), "issuing_authority": serializers.CharField(),
    "first_issued_on": serializers.DateField(), "valid_from": serializers.DateField(),
    "valid_until": serializers.DateField(), "next_review_due": serializers.DateField(allow_null=True),
    "last_reviewed_on": serializers.DateField(allow_null=True),
    "state_category": serializers.CharField(help_text="暂扣/撤销类别代码（正常时为空）"),
    "state_category_label": serializers.CharField(help_text="暂扣/撤销类别；不含具体原因"),
})


@method_decorator(never_cache, name="dispatch")
class VerifyAPI(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="按查验码查询证书实时状态（公开，脱敏）",
                   parameters=[OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"},
                                               required=True, description="证书查验码")],
                   responses={200: VerifyResult})
    def get(self, request):
        raw = request.query_params.get("code") or ""
        if not raw:
            raise serializers.ValidationError({"code": ["请提供查验码。"]})
        code = raw.strip()  # blank after trimming: no certificate has it (404 below)
        query = masked_query(code=code)
        if not allow(request):
            log_verification(request=request, channel="api", query=query, rate_limited=True)
            raise Throttled(wait=60, detail="查询过于频繁，请稍后再试。")
        certificate = selectors.certificate_by_code(code)
        log_verification(request=request, channel="api", query=query, certificate=certificate)
        if certificate is None:
            raise NotFound("未找到该查验码对应的证书。")
        c = certificate
        status_value = c.status
        return Response({
            "found": True, "status": status_value, "status_label": c.status_label,
            "holder_name": c.masked_holder_name, "id_number": c.public_holder_id,
            "kind": c.kind.name, "operation_category": c.operation_item.category.name if c.operation_item_id else "",
            "operation": c.operation_item.name if c.operation_item_id else "", "number": c.number,
            "issuing_authority": c.issuing_authority, "first_issued_on": c.first_issued_on,
            "valid_from": c.valid_from, "valid_until": c.valid_until, "next_review_due": c.next_review_due,
            "last_reviewed_on": c.last_reviewed_on,
            # why it was suspended or revoked: the category only, never the officer's own words
            "state_category": c.state_category if c.state != c.State.ACTIVE else "",
            "state_category_label": c.get_state_category_display() if c.state != c.State.ACTIVE else "",
        })


__all__ = ["RosterCheckAPI", "VerifyAPI", "PermissionDenied"]
