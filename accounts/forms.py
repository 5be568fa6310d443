from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .validators import validate_phone


class LoginForm(AuthenticationForm):
    """Django's sign-in form; failures are counted per (username, address) by django-axes
    (accounts/signin.py), which answers a locked pair before the password is even checked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码错误。请注意，连续多次输入错误后账号将被暂时锁定。"),
    }


class ThrottledPasswordResetForm(PasswordResetForm):
    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        from .signin import password_reset_allowed

        cleaned = super().clean()
        email = cleaned.get("email")
        if email and self.request is not None and not password_reset_allowed(self.request, email):
            raise forms.ValidationError(
                _("重置密码的请求过于频繁，请一小时后再试。如仍无法登录，请联系本单位管理员。"), code="throttled")
        return cleaned


class ProfileForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        return validate_phone(phone) if phone else ""
