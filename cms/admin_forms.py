"""Forms of Wagtail's admin, adjusted where Wagtail leaves English in a Chinese page."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm


class AdminLoginForm(LoginForm):
    """Wagtail's sign-in form declares its password field without a label, so Django shows the bare
    field name "Password" whatever the language (settings.WAGTAILADMIN_USER_LOGIN_FORM)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("密码")
