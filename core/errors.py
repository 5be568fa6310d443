"""Error pages: Chinese pages for people, the JSON error envelope for API clients (/api/…)."""

from django.http import JsonResponse
from django.views import defaults


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _envelope(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": None}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def api_not_found(request, *args, **kwargs):
    return _envelope("not_found", "未找到。", 404)


def page_not_found(request, exception):
    if _api(request):
        return _envelope("not_found", "未找到。", 404)
    return defaults.page_not_found(request, exception)


def permission_denied(request, exception):
    if _api(request):
        return _envelope("permission_denied", "无权访问。", 403)
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _api(request):
        return _envelope("server_error", "服务器内部错误，请稍后再试。", 500)
    return defaults.server_error(request)
