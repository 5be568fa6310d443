"""REST API for exams (thin; reads through the scoped selectors)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.audit import client_ip

from . import selectors, services
from .models import Attempt, Question


class BankSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    owner = serializers.CharField(source="owner.name")


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    type = serializers.CharField()
    stem = serializers.CharField()
    options = serializers.JSONField()
    difficulty = serializers.IntegerField()
    retired = serializers.BooleanField(source="is_retired")


class QuestionWithKeySerializer(QuestionSerializer):
    answer = serializers.CharField()
    explanation = serializers.CharField()


class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    blueprint = serializers.CharField(source="blueprint.name")
    mode = serializers.CharField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField()
    score = serializers.DecimalField(max_digits=6, decimal_places=1)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=1)
    passed = serializers.BooleanField(allow_null=True)


class AnswerInSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    response = serializers.CharField(
        required=False, allow_blank=True, max_length=200,
        help_text="所选选项在本试卷中的令牌（考试页面上选项的 value），多选题以空格或逗号分隔；空串清除作答。")
    text = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    flagged = serializers.BooleanField(required=False)


ERROR = inline_serializer("ExamsError", {"error": inline_serializer("ExamsErrorBody", {
    "code": serializers.CharField(), "message": serializers.CharField(),
    "details": serializers.JSONField(allow_null=True)})})
SAVED = inline_serializer("AnswerSaved", {"item": serializers.IntegerField(), "saved_at": serializers.DateTimeField()})


@extend_schema(summary="可见的题库（培训题库；考试题库仅限本考试中心）", responses={200: BankSerializer(many=True)})
@api_view(["GET"])
def bank_list(request):
    """Question banks the user may see: training banks, and testing banks of their own exam centre only."""
    return Response(BankSerializer(selectors.banks_visible_to(request.user).order_by("kind", "code"), many=True).data)


@extend_schema(summary="题库中的试题（考试题库仅限本中心命题人员；答案仅对命题人员可见）",
               responses={200: QuestionWithKeySerializer(many=True), 404: ERROR})
@api_view(["GET"])
def bank_questions(request, code: str):
    """Questions of one bank. Testing banks: item writers of the owning centre only (others get 404).
    Answer keys only for those who write the bank's questions."""
    bank = selectors.banks_visible_to(request.user).filter(code=code).first()
    if bank is None:
        raise NotFound("题库不存在。")
    manageable = selectors.banks_manageable_by(request.user).filter(pk=bank.pk).exists()
    if bank.is_testing and not manageable:
        raise NotFound("题库不存在。")
    qs = Question.objects.filter(bank=bank, is_current=True).order_by("id")[:500]
    serializer = QuestionWithKeySerializer if manageable else QuestionSerializer
    return Response(serializer(qs, many=True).data)


@extend_schema(summary="我的答卷与成绩", responses={200: AttemptSerializer(many=True)})
@api_view(["GET"])
def my_attempts(request):
    """The signed-in candidate's attempts and results."""
    return Response(AttemptSerializer(selectors.my_attempts(request.user)[:100], many=True).data)


@extend_schema(summary="保存一道题的答案（与考试页面相同的幂等写入）", request=AnswerInSerializer,
               responses={200: SAVED, 400: ERROR, 403: OpenApiResponse(ERROR, description="不在本场考试允许的考场 IP 范围内"),
                          404: ERROR, 409: OpenApiResponse(ERROR, description="已交卷或已过截止时间")})
@api_view(["POST"])
def attempt_answer(request, pk: int):
    """Save one answer (the same idempotent upsert as the exam page). 409 after the deadline."""
    data = AnswerInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    item_id = data.validated_data["item"]
    target = selectors.save_target(request.user, attempt_id=pk, item_id=item_id)
    if target is None:
        raise Http404
    try:
        saved = services.answer_record(target=target, response=data.validated_data.get("response"),
                                       text=data.validated_data.get("text"), flagged=data.validated_data.get("flagged"),
                                       ip=client_ip(request))
    except services.LateSave as exc:
        services.autosubmit_if_due(Attempt.objects.get(pk=pk))
        return Response({"error": {"code": exc.code, "message": exc.message, "details": None}}, status=status.HTTP_409_CONFLICT)
    except services.ExamError as exc:
        code = status.HTTP_403_FORBIDDEN if exc.code == "ip" else status.HTTP_400_BAD_REQUEST
        return Response({"error": {"code": exc.code, "message": exc.message, "details": None}}, status=code)
    return Response({"item": item_id, "saved_at": saved["saved_at"]})
