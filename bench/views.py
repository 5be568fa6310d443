"""Baseline views: the least a Django view behind the production middleware can do."""

from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET", "POST"])
def baseline_authenticated(request):
    """Loads the session user (session + user queries, like any signed-in view) and names them."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden("login required")
    return HttpResponse(request.user.get_username(), content_type="text/plain")


def baseline_anonymous(request):
    return HttpResponse("ok", content_type="text/plain")
