from django import forms
from django.utils.translation import gettext_lazy as _

from . import numbers
from .models import StateCategory


class VerifyCodeForm(forms.Form):
    code = forms.CharField(label=_("查验码"), max_length=20, help_text=_("证书上二维码下方的10位查验码。"))

    def clean_code(self):
        return numbers.normalize_code(self.cleaned_data["code"])


class VerifyNameNumberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    number = forms.CharField(
        label=_("证书编号"), max_length=24,
        help_text=_("本平台证书编号（AX开头），或全国统一证号（T+身份证号）。"),
    )

    def clean_number(self):
        value = numbers.normalize_number(self.cleaned_data["number"])
        if value.startswith("T"):
            if len(value) != 19:
                raise forms.ValidationError(_("全国统一证号应为T加18位身份证号。"))
        elif not numbers.is_valid_number(value):
            raise forms.ValidationError(_("证书编号格式不正确或校验位错误，请核对。"))
        return value


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件"), help_text=_("Excel（.xlsx）或 CSV（UTF-8/GBK），第一行为表头。"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class StateChangeForm(ReasonForm):
    """Suspend, reinstate or revoke: the category (required by the service for a suspension or a
    revocation, and all the public page shows) and the internal reason."""

    category = forms.ChoiceField(
        label=_("暂扣/撤销类别"), required=False, choices=[("", "—")] + StateCategory.choices,
        help_text=_("暂扣、撤销时必选；公开查验页只显示此类别。"),
    )
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             help_text=_("仅内部可见，记入变更记录。"))

    field_order = ["category", "reason"]
