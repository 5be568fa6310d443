"""Serving restricted media (certificate PDFs, photos, documents) after the app has checked access.

``serve_protected(request, fieldfile, filename=…, content_type=…)`` is the one way views hand out such
a file:
- local disk with ``ANXUN_X_ACCEL_REDIRECT=1``: an empty response with ``X-Accel-Redirect`` — nginx
  sends the bytes from its ``internal`` /protected/ location (deploy/nginx/anxun.conf);
- local disk otherwise: streamed by Django (``FileResponse``);
- S3-compatible storage: a redirect to a short-lived signed URL;
- encrypted photos (``core.storage.encrypted_storage``, any backend): always streamed by Django,
  decrypted on the way out (nginx and a signed URL would hand out the ciphertext).

``sendfile`` is the same for Wagtail documents (``SENDFILE_BACKEND = "core.protected_files"``).
"""

from __future__ import annotations

import os
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect

from .storage import is_encrypted_storage


def x_accel_enabled() -> bool:
    return bool(getattr(settings, "X_ACCEL_REDIRECT", False))


def _accel_response(path: str, content_type: str) -> HttpResponse:
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(settings.MEDIA_ROOT))
    if rel.startswith(".."):
        raise Http404("file outside MEDIA_ROOT")
    response = HttpResponse(content_type=content_type)
    response["X-Accel-Redirect"] = getattr(settings, "X_ACCEL_REDIRECT_PREFIX", "/protected/") + quote(rel)
    return response


def sendfile(request, filename, mimetype="application/octet-stream", **kwargs):
    """Wagtail's SENDFILE_BACKEND interface (used for documents)."""
    return _accel_response(filename, mimetype)


def serve_protected(request, fieldfile, *, filename: str, content_type: str, attachment: bool = False) -> HttpResponse:
    if not fieldfile:
        raise Http404
    storage = fieldfile.storage
    if is_encrypted_storage(storage):
        response = FileResponse(fieldfile.open("rb"), content_type=content_type, as_attachment=attachment,
                                filename=filename)
    elif isinstance(storage, FileSystemStorage):
        if x_accel_enabled():
            response = _accel_response(fieldfile.path, content_type)
            disposition = "attachment" if attachment else "inline"
            response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
        else:
            response = FileResponse(fieldfile.open("rb"), content_type=content_type, as_attachment=attachment,
                                    filename=filename)
    else:
        response = HttpResponseRedirect(fieldfile.url)
    response["Cache-Control"] = "private, no-store"
    return response
