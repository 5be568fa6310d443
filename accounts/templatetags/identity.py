"""``{% identity_panel subject viewer as panel %}``: what the identity panel of a person page shows."""

from django import template
from django.utils.translation import gettext as _

from .. import identity

register = template.Library()


@register.simple_tag
def identity_panel(subject, viewer) -> dict:
    if subject is None or not getattr(viewer, "is_authenticated", False):
        return {}
    latest = identity.latest_submission(subject)
    pending = latest is not None and latest.status == latest.Status.PENDING
    return {
        "latest": latest,
        "pending": pending,
        "may_upload": identity.may_upload_for(viewer, subject),
        "may_see_files": latest is not None and identity.may_see_identity_files(viewer, latest),
        "may_review": pending and identity.is_identity_reviewer(viewer)
        and identity.submissions_reviewable_by(viewer).filter(pk=latest.pk).exists(),
        "parts": [("id_front", _("身份证人像面")), ("id_back", _("身份证国徽面")), ("portrait", _("近期免冠照片"))],
    }
