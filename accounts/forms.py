from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import throttling
from .validators import validate_phone
from core.audit import client_ip


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码错误。请注意，连续多次输入错误后账号将被暂时锁定。"),
        "locked": _("登录失败次数过多，请%(minutes)d分钟后再试，或使用“忘记密码”重置。"),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if throttling.is_locked(username, ip):
            from django.conf import settings

            raise forms.ValidationError(
                self.error_messages["locked"], code="locked",
                params={"minutes": max(1, settings.LOGIN_THROTTLE_WINDOW // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttling.register_failure(username, ip)
            raise
        throttling.reset(username, ip)
        return cleaned


class ProfileForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        return validate_phone(phone) if phone else ""
